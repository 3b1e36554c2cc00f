"""Interface text in English and Chinese; each member of staff picks a language."""

from __future__ import annotations

from collections.abc import Callable

from console.i18n_fields import FIELD_STRINGS
from console.i18n_queues import QUEUE_STRINGS
from pipeline.cases.lifecycle import CLOSING_KINDS, STATUSES

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
    "quarantine": ("Quarantine", "隔离区"),
    "users": ("Staff accounts", "员工账号"),
    "reference": ("Reference", "编号"),
    "received": ("Received", "收到时间"),
    "channel": ("Channel", "渠道"),
    "mailbox": ("Mailbox (we answer from)", "收件邮箱（以此地址回复）"),
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
    "no_quarantine": ("Nothing in quarantine.", "隔离区为空。"),
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


STRINGS.update({
    "resolution": ("Resolution", "处理"),
    "deadline": ("Answer promised by", "承诺答复期限"),
    "working_days": ("working days", "个工作日"),
    "moved": ("moved", "已调整"),
    "move_deadline": ("Move the deadline", "调整期限"),
    "new_working_days": ("New deadline, in working days from today",
                         "新期限（自今日起的工作日数）"),
    "reason_for_customer": ("Reason (the customer is told)", "原因（将告知客户）"),
    "proposal": ("Proposal", "处理方案"),
    "proposal_proposed": ("waiting for approval", "待批准"),
    "proposal_approved": ("approved", "已批准"),
    "proposal_sent_back": ("sent back", "已退回"),
    "propose": ("Propose the resolution", "提交处理方案"),
    "findings": ("Findings (cause)", "调查结果（原因）"),
    "method": ("Handling method", "处理方式"),
    "method_compensation": ("Compensation", "赔偿"),
    "method_return": ("Return", "退货"),
    "method_discount": ("Discount", "折价"),
    "method_replacement": ("Replacement", "换货"),
    "method_repair": ("Repair", "维修"),
    "method_apology": ("Apology", "致歉"),
    "method_explanation": ("Explanation", "解释说明"),
    "method_other": ("Other", "其他"),
    "loss_amount": ("Loss (CNY)", "损失金额（元）"),
    "compensation_amount": ("Compensation (CNY)", "赔偿金额（元）"),
    "points_and_answers": ("What the customer raised, and our answer to each point",
                           "客户提出的问题及逐条答复"),
    "point": ("Point", "问题"),
    "answer": ("Answer", "答复"),
    "next_steps": ("What happens next (refund date, shipping…)", "后续安排（退款日期、发货等）"),
    "contact_person": ("Contact person", "联系人"),
    "supervisor_decision": ("Supervisor's decision", "主管审批"),
    "instructions_or_comments": ("Instructions (approve) or comments (send back)",
                                 "批示（批准）或意见（退回）"),
    "approve": ("Approve and send the notice", "批准并发送通知"),
    "send_back": ("Send back to the department", "退回部门"),
    "notice_issued": ("Written notice issued", "已发出书面通知"),
    "record_agreement": ("Record the customer's agreement", "登记客户同意"),
    "agreed_via": ("Agreed by", "同意方式"),
    "via_phone": ("phone", "电话"),
    "via_letter": ("letter", "信函"),
    "via_in_person": ("in person", "当面"),
    "note": ("Note", "备注"),
    "follow_up": ("Satisfaction follow-up", "满意度回访"),
    "survey_sent": ("survey sent, no answer yet", "已发送，尚未回复"),
    "survey_due": ("survey due on", "计划发送日期"),
    "proposed_ok": ("Proposal recorded.", "处理方案已提交。"),
    "decided_ok": ("Decision recorded.", "审批已记录。"),
    "deadline_moved_ok": ("Deadline moved; the customer is told.", "期限已调整，已通知客户。"),
    "agreement_ok": ("Agreement recorded; the case is closed.", "已登记客户同意，案件已结案。"),
    "satisfaction_ok": ("The customer's answer is recorded.", "已登记客户的满意度评价。"),
    "record_phone_answer": ("Record the answer the customer gave by phone",
                            "登记客户电话回访的评价"),
    "score": ("Score", "评分"),
    "score_choices": ("1 very unsatisfied|2 unsatisfied|3 neutral|4 satisfied|5 very satisfied",
                      "1 很不满意|2 不满意|3 一般|4 满意|5 很满意"),
    "comment": ("What the customer said", "客户意见"),
    "survey_score_needed": ("Choose a score from 1 to 5.", "请选择 1 到 5 分。"),
    "reports": ("Reports", "统计报表"),
    "period": ("Period (2026-11, 2026-Q4 or 2026)", "期间（2026-11、2026-Q4 或 2026）"),
    "show": ("Show", "查看"),
    "download": ("Download", "下载"),
    "per_week": ("Complaints per week by department", "每周投诉（按部门）"),
    "days_to_close": ("Days to close", "结案用时（天）"),
    "top_products": ("Top products", "投诉最多的产品"),
    "recurring": ("Recurring problems", "重复出现的问题"),
    "no_recurring": ("No recurring problem in this period.", "本期没有重复出现的问题。"),
    "export": ("Export this list", "导出列表"),
    "due_left": ("Answer due (working days left)", "答复期限（剩余工作日）"),
    "root_cause": ("Root cause (note for the department)", "根本原因（供责任部门追查）"),
    "save": ("Save", "保存"),
    "survey_title": ("How did we do?", "服务满意度评价"),
    "survey_confirm": ("Please confirm your answer for complaint", "请确认您对以下投诉的评价"),
    "survey_send": ("Send my answer", "提交评价"),
    "survey_thanks": ("Thank you: your answer is recorded.", "谢谢！您的评价已记录。"),
    "survey_already": ("We already have your answer for this complaint. Thank you.",
                       "我们已收到您对此投诉的评价，谢谢。"),
    # Identity (issue 11): unverified mail, the customer's addresses, held acknowledgments.
    "unverified": ("Unverified sender", "发件人未核实"),
    "unverified_explained": (
        "This mail names the case but does not come from an address of the customer. It"
        " changed nothing.", "此邮件提及本案，但并非来自客户的已知地址，未改动任何内容。"),
    "confirm_sender": ("This is the customer", "确认是该客户"),
    "split_mail": ("Treat as a new complaint", "作为新投诉处理"),
    "sender_confirmed": (
        "The address now belongs to the customer. The mail's content was not applied: record"
        " a phone number, agreement or score with the usual actions.",
        "该地址已加入客户地址。邮件内容未自动生效：如有电话、同意或评分，请按常规操作登记。"),
    "split_ok": ("A new case was opened from the mail.", "已根据该邮件新建投诉。"),
    "customer_addresses": ("Customer's addresses", "客户邮箱地址"),
    "customer_addresses_explained": (
        "Only mail from a verified address acts on this case. Addresses named in the"
        " customer's text are candidates: we write to one only after staff adopt it.",
        "只有来自已核实地址的邮件才会影响本案。客户正文中提到的地址仅供参考，经员工采用后才会向其发信。"),
    "address_verified": ("verified", "已核实"),
    "address_candidate": ("named in the text, not used", "正文中提到，未使用"),
    "adopt_address": ("Write to this address", "改用此地址联系"),
    "address_adopted": ("We now write to this address.", "今后将向此地址发信。"),
    "held_mail": ("Held acknowledgments", "暂缓发送的确认邮件"),
    "held_explained": (
        "More automatic mail than the hourly budget allows: these wait for staff.",
        "自动邮件超过每小时限额，以下邮件等待员工处理。"),
    "no_held": ("No mail is held.", "没有暂缓发送的邮件。"),
    "send_now": ("Send now", "立即发送"),
    "ack_released": ("The mail will be sent now.", "邮件即将发送。"),
    "to": ("To", "收件人"),
})


STRINGS.update({  # hardening (issue 11): throttled sign-in, held scans
    "sign_in_throttled": ("Too many failed sign-ins. Wait {seconds} seconds and try again.",
                          "登录失败次数过多，请等待 {seconds} 秒后重试。"),
    "sign_in_busy": ("The console is busy signing others in. Try again in a moment.",
                     "系统正忙于处理其他登录，请稍后重试。"),
    "held_scans": ("Scans waiting for staff (over an OCR budget)",
                   "等待人工放行的扫描件（超出识别额度）"),
    "release_scan": ("Release for OCR", "放行识别"),
    "no_held_scans": ("No scan is waiting.", "没有等待放行的扫描件。"),
    "scan_released": ("The scan is released and will be read.", "扫描件已放行，将进行识别。"),
})


# A scanned letter beside its scan, and scans in the one quarantine view.
STRINGS.update({
    "scan_pages": ("The scanned letter", "来信扫描件"),
    "scan_legend": ("Outlined: where each field was read; red: please check.",
                    "框出的是各字段的识别位置；红框请核对。"),
    "page_n": ("Page {n} of {total}", "第 {n} 页，共 {total} 页"),
    "ocr_text": ("Text read by OCR", "识别出的文字"),
    "ocr_confidence": ("OCR confidence", "识别可信度"),
    "read_confidence": ("read", "识别"),
    "not_in_letter": ("not found in the letter", "信中未找到"),
    "letter_date": ("Letter date", "来信日期"),
    "amounts": ("Amounts", "金额"),
    "kind": ("Kind", "类型"),
    "kind_mail": ("Mail", "邮件"),
    "kind_scan": ("Scanned letter", "扫描来信"),
    "source": ("Source", "来源"),
    "files": ("Files", "文件"),
    "quarantined_scan": ("Quarantined scanned letter", "隔离的扫描来信"),
})

STRINGS.update({
    "change_password": ("Change password", "修改密码"),
    "current_password": ("Current password", "当前密码"),
    "new_password": ("New password (at least 10 characters)", "新密码（至少 10 个字符）"),
    "repeat_password": ("New password again", "再次输入新密码"),
    "passwords_differ": ("The two new passwords differ.", "两次输入的新密码不一致。"),
    "password_changed": ("Your password is changed.", "密码已修改。"),
    "must_change_password": ("Choose a new password before you go on.",
                             "请先设置新密码再继续。"),
    "reset_link_bad": ("This reset link has expired or was already used.",
                       "该重置链接已过期或已被使用。"),
    "choose_password": ("Choose a new password", "设置新密码"),
    "actions": ("Actions", "操作"),
    "email": ("Mail address", "邮箱"),
    "disable": ("Disable", "停用"),
    "enable": ("Enable", "启用"),
    "set_role": ("Change role", "修改角色"),
    "reset_mail_link": ("Mail a reset link", "邮件发送重置链接"),
    "reset_temporary": ("Temporary password", "临时密码"),
    "reset_link_sent": ("A one-time reset link was mailed to", "一次性重置链接已发送至"),
    "temporary_password_is": ("Temporary password (shown once; it must be changed at sign-in) for",
                              "临时密码（仅显示一次，登录时须修改），用户"),
    "user_changed": ("Account changed.", "账号已修改。"),
    "staff_audit": ("Account and personal-data log", "账号与个人信息操作记录"),
    "personal_data": ("Personal data of a customer", "客户个人信息"),
    "personal_data_help": ("Export everything we hold about a customer, or erase it. "
                           "Find the customer by mail address or phone number.",
                           "导出或删除我们保存的某位客户的全部信息。按邮箱或电话查找客户。"),
    "pd_customer_email": ("Customer mail address", "客户邮箱"),
    "pd_customer_phone": ("Customer phone", "客户电话"),
    "export_zip": ("Export (zip)", "导出（zip）"),
    "erase": ("Erase", "删除"),
    "erase_confirm": ("Type ERASE to confirm: this cannot be undone",
                      "输入 ERASE 确认：此操作无法撤销"),
    "erased_cases": ("Personal data erased; number of cases:", "个人信息已删除；涉及投诉数："),
    "nothing_found": ("We hold nothing about this customer.", "没有该客户的信息。"),
})

STRINGS.update({  # complaints taken by hand (issue 13)
    "new_complaint": ("New complaint", "登记投诉"),
    "new_complaint_help": (
        "Record a complaint taken on the phone, at the counter or from a letter that was not"
        " scanned. Write down the customer's own words; the fields are read from them as for"
        " a mail, and you can correct them on the case page.",
        "登记电话、现场或未扫描来信的投诉。请记录客户的原话；系统会像处理邮件一样从中识别各项内容，"
        "您可在案件页面修改。"),
    "channel_phone": ("Phone", "电话"),
    "channel_visit": ("In person", "现场"),
    "channel_email": ("Email", "电邮"),
    "channel_letter": ("Letter (not scanned)", "信函（未扫描）"),
    "channel_other": ("Other", "其他"),
    "language_zh": ("Chinese", "中文"),
    "language_en": ("English", "英文"),
    "postal_address": ("Postal address", "通信地址"),
    "customer_words": ("What the customer said", "客户陈述"),
    "record_complaint": ("Record the complaint", "登记投诉"),
    "ack_by_email_help": ("With an email address, the acknowledgment is mailed to it.",
                          "填写邮箱后，受理回执将发送到该邮箱。"),
    "ack_by_post_help": ("Without email, a printed acknowledgment goes to this address.",
                         "没有邮箱时，将向此地址寄送书面回执。"),
    "ack_verbal_help": (
        "With neither, tell the customer the case reference now: the acknowledgment is"
        " recorded as given by you on the phone or in person.",
        "如两者都没有，请当场告知客户案件编号：回执记录为由您电话或当面告知。"),
    "recorded_ok": ("The complaint is recorded.", "投诉已登记。"),
    "taken_by": ("Taken by", "受理人员"),
    "acknowledgment": ("Acknowledgment", "受理回执"),
    "ack_none": ("none", "无"),
    "ack_pending": ("email waiting to be sent", "邮件待发送"),
    "ack_sending": ("email being sent", "邮件发送中"),
    "ack_sent": ("sent by email", "已通过邮件发送"),
    "ack_failed": ("email could not be sent", "邮件发送失败"),
    "ack_held": ("email held (hourly limit)", "邮件暂缓发送（超出每小时限额）"),
    "ack_print_waiting": ("printed letter waiting in the print queue", "书面回执等待打印"),
    "ack_printed": ("printed letter", "书面回执已打印"),
    "ack_verbal": ("given on the phone or in person", "已电话或当面告知"),
})


# The customer's status page (issue 12): what a customer reads, in plain words.
STRINGS.update({
    "plain_text": ("Text", "纯文本"),
    "status_page_title": ("Your complaint", "您的投诉"),
    "status_reference": ("Reference", "受理编号"),
    "status_state": ("Where it stands", "处理进度"),
    "status_handled_by": ("Handled by", "负责部门"),
    "status_handler": ("Your contact", "负责人"),
    "status_due": ("Our answer by", "预计答复日期"),
    "status_not_yet": ("not yet decided", "尚未确定"),
    "status_letters": ("Letters we sent you", "我们寄给您的信函"),
    "status_no_letters": ("None yet.", "暂无。"),
    "status_by_post": ("by post", "邮寄"),
    "status_by_mail": ("by email", "电子邮件"),
    "status_download": ("Download (PDF)", "下载（PDF）"),
    "status_write": ("Write to us", "给我们留言"),
    "status_write_help": ("Your message goes to the staff handling your complaint, as if you"
                          " had replied to our email. Up to 4,000 characters.",
                          "您的留言将送达处理您投诉的工作人员，与回复我们的邮件效果相同。"
                          "最多 4000 字。"),
    "status_send": ("Send", "发送"),
    "status_sent": ("Thank you: your message has reached us.", "谢谢，我们已收到您的留言。"),
    "status_empty": ("Please write a message first.", "请先填写留言内容。"),
    "status_too_many": ("Too many requests. Please wait {seconds} seconds and try again.",
                        "请求过于频繁，请等待 {seconds} 秒后重试。"),
    "status_other_language": ("中文", "English"),
    "status_private": ("This page is yours alone: please do not pass its address on.",
                       "此页面仅供您本人使用，请勿将网址转给他人。"),
    "cst_new": ("We have received your complaint and are reviewing it.",
                "我们已收到您的投诉，正在审核。"),
    "cst_routed": ("The department responsible is looking into your complaint.",
                   "责任部门正在调查处理您的投诉。"),
    "cst_proposed": ("Our answer is written and is being checked before we send it.",
                     "我们的处理方案已拟定，正在审核，审核后将发送给您。"),
    "cst_approved": ("We have sent you our written answer and are waiting for your reply.",
                     "我们已将书面处理结果发送给您，正在等待您的答复。"),
    "cst_closed": ("Your complaint is closed.", "您的投诉已处理完毕。"),
    "cst_not_ours": ("Closed: we have explained in writing why this is not ours to resolve.",
                     "已结案：我们已书面说明此事不属于我方责任的原因。"),
    "cst_open": ("Your complaint is being handled.", "您的投诉正在处理中。"),
    "cst_disputed": ("You did not accept our answer: the department is looking at it again"
                     " and will send you a revised one.",
                     "您未接受我们的答复，责任部门正在重新研究，之后会寄给您修改后的答复。"),
    "cst_merged": ("This complaint is handled together with your other complaint on the same"
                   " matter.", "此投诉已与您就同一问题的另一投诉合并处理。"),
})

# The correspondence kinds and demands, shown in the reader's language everywhere.
KINDS: dict[str, tuple[str, str]] = {
    "complaint": ("complaint", "投诉来信"),
    "reply": ("reply", "客户回复"),
    "auto_reply": ("automatic reply", "自动回复"),
    "bounce": ("returned mail", "退信"),
    "letter": ("letter", "来信"),
    "scan": ("scanned letter", "扫描来信"),
    "acknowledgment": ("acknowledgment", "受理确认"),
    "neutral_ack": ("neutral acknowledgment", "中性回执"),
    "deadline": ("deadline letter", "处理期限通知"),
    "deadline_moved": ("new deadline", "期限调整通知"),
    "not_ours": ("explanation (not ours)", "非我方责任说明"),
    "resolution_notice": ("written notice", "书面处理结果通知"),
    "survey": ("satisfaction survey", "满意度回访"),
    "staff_reply": ("reply from staff", "工作人员回复"),
    "reminder": ("reminder", "提醒"),
    "escalation": ("escalation", "升级通知"),
    "department_notice": ("department notice", "部门通知"),
    "processing_form": ("processing form", "客户投诉处理单"),
}
DIRECTIONS = {"in": ("received", "收到"), "out": ("sent", "发出")}
DEMANDS: dict[str, tuple[str, str]] = {
    "refund": ("refund", "退款"), "return": ("return", "退货"),
    "replacement": ("replacement", "换货"), "repair": ("repair", "维修"),
    "compensation": ("compensation", "赔偿"), "apology": ("apology", "道歉"),
    "explanation": ("explanation", "解释说明"), "discount": ("discount", "折价"),
}

VALUES: dict[str, tuple[str, str]] = {  # stored codes shown as words: channels, ways, sources
    "email": ("email", "电子邮件"), "letter": ("letter", "信函"), "post": ("post", "邮寄"),
    "phone": ("phone", "电话"), "visit": ("in person", "现场"), "onsite": ("in person", "现场"),
    "other": ("other", "其他"),
    "reply": ("reply", "回复邮件"), "link": ("survey link", "回访链接"),
    "in_person": ("in person", "当面"), "status_page": ("status page", "进度查询页面"),
    "keywords": ("keywords", "关键词"), "classifier": ("learned from past cases", "历史案件学习"),
    "mailbox": ("the mailbox", "收件邮箱"), "ours": ("ours", "我方"),
    "third_party": ("a third party", "第三方"), "not_ours": ("not ours", "非我方"),
    "zh": ("Chinese", "中文"), "en": ("English", "英文"), "archive": ("archive", "存档"),
    "customer_email": ("the address we write to", "联系邮箱"), "sender": ("sender", "发件人"),
    "staff": ("confirmed by staff", "员工确认"), "backfill": ("known before", "原有记录"),
    "text": ("named in the text", "正文中提到"),
    "temporary_password": ("temporary password", "临时密码"),
    "mailed_link": ("a link by mail", "邮件重置链接"),
    "intake": ("intake", "受理人员"), "handler": ("handler", "处理人员"),
    "supervisor": ("supervisor", "主管"), "admin": ("admin", "管理员"),
}


def value_label(value: str, language: str) -> str:
    """A stored code (channel, way of answering, source) in the reader's language."""
    return _pick(VALUES, value, language, (value, value))


def _pick(table: dict[str, tuple[str, str]], key: str, language: str,
          fallback: tuple[str, str]) -> str:
    pair = table.get(key, fallback)
    return pair[1] if language == "zh" else pair[0]


def kind_label(kind: str, language: str) -> str:
    """A correspondence kind in the reader's language ("deadline-2" is a deadline letter)."""
    base = kind.split("-", 1)[0]
    return _pick(KINDS, base, language, (base.replace("_", " "), "信件"))


def demand_label(demand: str, language: str) -> str:
    return _pick(DEMANDS, demand, language, (demand.replace("_", " "), "其他要求"))


def direction_label(direction: str, language: str) -> str:
    return _pick(DIRECTIONS, direction, language, (direction, direction))


def customer_status(status: str, closed: bool) -> str:
    """The key of a status in the customer's plain words (unknown ones: open or closed)."""
    key = f"cst_{status}"
    return key if key in STRINGS else ("cst_closed" if closed else "cst_open")


STRINGS.update(QUEUE_STRINGS)

# Issue 12: disputes, sending a case back to review, closing kinds.
STRINGS.update({
    "unroute": ("Send back to review", "退回审核"),
    "unroute_help": ("Routed to the wrong department? The case goes back to the review queue "
                     "and its department is told by mail. The customer's deadline stands.",
                     "分派错了部门？案件回到待审核队列，并邮件通知该部门。告知客户的期限不变。"),
    "unroute_reason": ("Reason (the department reads it)", "原因（部门会看到）"),
    "unrouted_ok": ("Sent back to review. The department has been told.",
                    "已退回审核，已通知该部门。"),
    "dispute_words": ("The customer does not accept the resolution and wrote",
                      "客户不接受处理结果，来信说"),
    "dispute_round": ("time", "次数"),
    "dispute_help": ("Propose again below: once approved, a revised notice referring to the "
                     "earlier one goes to the customer.",
                     "请在下方重新提出处理方案：批准后，客户会收到一份注明取代前一份通知的修改后通知。"),
    **{f"closing_{kind}": names for kind, names in CLOSING_KINDS.items()},
})
from console.i18n_templates import TEMPLATE_STRINGS  # noqa: E402

STRINGS.update(TEMPLATE_STRINGS)


STRINGS.update({  # issue 12: writing to the customer, and mail staff must see
    "reply_to_customer": ("Reply to the customer", "答复客户"),
    "reply_goes_by_mail": ("Goes by email to", "将通过电子邮件发送至"),
    "reply_goes_by_post": ("The customer has no working email address: the reply is printed and "
                           "posted (print queue).",
                           "客户没有可用的电子邮箱：答复将打印后邮寄（打印队列）。"),
    "reply_in_language": ("Write in the customer's language", "请使用客户的语言书写"),
    "reply_start_from": ("Start from a template", "从模板开始"),
    "reply_use_template": ("Use this template", "使用此模板"),
    "reply_text": ("Your reply", "答复内容"),
    "reply_files": ("Attach files", "添加附件"),
    "reply_files_limit": ("at most {n} files, {mb} MB together",
                          "最多 {n} 个文件，合计不超过 {mb} MB"),
    "reply_files_pdf_only": ("only PDF files can be printed with a letter",
                             "随信只能打印 PDF 文件"),
    "reply_send": ("Send the reply", "发送答复"),
    "reply_sent_email": ("Your reply is on its way to the customer by email.",
                         "答复已通过电子邮件发送给客户。"),
    "reply_sent_post": ("Your reply is in the print queue, to be posted to the customer.",
                        "答复已进入打印队列，将邮寄给客户。"),
    "customer_wrote": ("customer wrote", "客户来信"),
    "reply_templates": ("Reply templates", "回复模板"),
    "reply_templates_help": ("Texts staff can start a reply from, in Chinese and English. "
                             "{reference} and {name} are filled with the case's reference "
                             "and the customer's name.",
                             "员工答复客户时可以使用的起始文本，分中文和英文。"
                             "{reference} 和 {name} 会替换为案件编号和客户姓名。"),
    "template_name": ("Name", "名称"),
    "template_body": ("Text", "正文"),
    "add_reply_template": ("Add a template", "添加模板"),
    "no_reply_templates": ("No reply templates yet.", "还没有回复模板。"),
    "delete": ("Delete", "删除"),
})
STRINGS.update(FIELD_STRINGS)


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
