"""Interface text in English and Chinese; each member of staff picks a language."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.cases.lifecycle import STATUSES

LANGUAGES = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("Complaints console", "客户投诉工作台"),
    "sign_in": ("Sign in", "登录"),
    "sign_out": ("Sign out", "退出"),
    "username": ("User name", "用户名"),
    "password": ("Password", "密码"),
    "login_failed": ("Wrong user name or password.", "用户名或密码错误。"),
    "review_queue": ("Review queue", "待审核"),
    "department_queue": ("My department", "本部门"),
    "search": ("Search", "搜索"),
    "quarantine": ("Quarantined mail", "隔离邮件"),
    "users": ("Staff accounts", "员工账号"),
    "reference": ("Reference", "编号"),
    "received": ("Received", "收到时间"),
    "channel": ("Channel", "渠道"),
    "language": ("Language", "语言"),
    "customer": ("Customer", "客户"),
    "subject": ("Subject", "主题"),
    "status": ("Status", "状态"),
    "department": ("Department", "部门"),
    "confidence": ("Parsed", "识别"),
    "conf_high": ("looks complete", "完整"),
    "conf_check": ("check one field", "请核对"),
    "conf_low": ("check carefully", "需仔细核对"),
    "nothing_waiting": ("Nothing waiting for review.", "没有待审核的投诉。"),
    "no_results": ("No cases match.", "没有符合条件的投诉。"),
    "next_page": ("Next page", "下一页"),
    "prev_page": ("Previous page", "上一页"),
    "original": ("Original", "原件"),
    "record_form": ("Record form", "客户投诉记录单"),
    "customer_name": ("Customer name", "客户姓名"),
    "customer_email": ("Email", "电子邮箱"),
    "customer_phone": ("Phone", "联系电话"),
    "customer_address": ("Address", "地址"),
    "what_happened": ("What happened", "投诉内容"),
    "demands": ("Demands", "客户要求"),
    "order_numbers": ("Order numbers", "订单号"),
    "one_per_line": ("one per line", "每行一个"),
    "save_corrections": ("Save corrections", "保存修改"),
    "saved": ("Saved.", "已保存。"),
    "nothing_changed": ("Nothing changed.", "没有改动。"),
    "weak_field": ("please check", "请核对"),
    "attention": ("Needs attention", "需要注意"),
    "decide": ("Decide", "处理决定"),
    "responsibility": ("Responsibility", "责任"),
    "resp_ours": ("Ours", "我方责任"),
    "resp_third_party": ("A third party (e.g. the carrier)", "第三方（如承运商）"),
    "third_party_name": ("Which third party", "第三方名称"),
    "opinion": ("Receiving staff's opinion", "接待人员意见"),
    "route": ("Route to department", "分派到部门"),
    "suggested": ("Suggested", "建议"),
    "no_suggestion": ("No suggestion: no keywords matched.", "无建议：没有匹配的关键词。"),
    "accepted_rate": ("Suggestions accepted", "建议采纳率"),
    "not_ours": ("Not our responsibility", "非我方责任"),
    "explanation": ("Explanation for the customer", "给客户的书面说明"),
    "close_not_ours": ("Close and send the explanation", "结案并发送说明"),
    "routed_ok": ("Routed. The department has been notified.", "已分派，已通知该部门。"),
    "closed_ok": ("Closed as not ours; the explanation goes to the customer.",
                  "已按非我方责任结案，说明将发给客户。"),
    "thread": ("Correspondence", "往来邮件"),
    "audit": ("Audit trail", "操作记录"),
    "attachments": ("Attachments", "附件"),
    "no_attachments": ("No attachments.", "没有附件。"),
    "filters": ("Filters", "筛选"),
    "any": ("any", "全部"),
    "from_date": ("From", "起始日期"),
    "to_date": ("To", "截止日期"),
    "free_text": ("Text", "关键词"),
    "reason": ("Reason", "原因"),
    "raw_source": ("Raw source", "原始邮件"),
    "reprocess": ("Reprocess", "重新处理"),
    "reprocessed": ("Sent through intake again.", "已重新处理。"),
    "not_quarantined": ("This mail is no longer quarantined.", "该邮件已不在隔离区。"),
    "no_quarantine": ("No quarantined mail.", "没有隔离邮件。"),
    "from": ("From", "发件人"),
    "size": ("Size", "大小"),
    "role": ("Role", "角色"),
    "display_name": ("Name", "姓名"),
    "add_user": ("Add user", "添加用户"),
    "user_added": ("User added.", "已添加用户。"),
    "active": ("Active", "启用"),
    "switch_language": ("中文", "English"),
    "forbidden": ("You may not do this.", "您没有此权限。"),
    "not_found": ("Not found.", "未找到。"),
    "bad_csrf": ("The form expired. Go back, reload the page and try again.",
                 "表单已过期，请返回并刷新页面后重试。"),
    "keyboard_help": ("Keys: g q queue, g s search, / search box, j/k move, Enter open",
                      "快捷键：g q 待审核，g s 搜索，/ 搜索框，j/k 上下，回车打开"),
    "html_frame": ("Sanitised HTML (scripts, forms and remote images removed)",
                   "已净化的 HTML（已移除脚本、表单和远程图片）"),
}


def translator(language: str) -> Callable[[str], str]:
    """A lookup for one language; an unknown key shows itself, so it is noticed."""
    index = 1 if language == "zh" else 0

    def t(key: str) -> str:
        pair = STRINGS.get(key)
        return pair[index] if pair else key

    return t


def status_label(status: str, language: str) -> str:
    pair = STATUSES.get(status, (status, status))
    return pair[1] if language == "zh" else pair[0]
