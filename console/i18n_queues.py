"""Interface text of the queues, the customer history and merging (English, Chinese)."""

from __future__ import annotations

QUEUE_STRINGS: dict[str, tuple[str, str]] = {
    "approvals": ("Approvals", "待批准"),
    "overdue_view": ("Overdue", "已逾期"),
    "view_open": ("Open", "处理中"),
    "view_mine": ("Mine", "我负责的"),
    "view_unassigned": ("Unassigned", "未指定负责人"),
    "view_waiting": ("Waiting on the customer", "等待客户答复"),
    "view_overdue": ("Overdue", "已逾期"),
    "view_all": ("All statuses", "全部状态"),
    "queue_filters": ("Show", "显示"),
    "waiting_means": ("Waiting on the customer: the resolution is approved and sent; the "
                      "customer has not yet agreed.",
                      "等待客户答复：处理方案已批准并发出，客户尚未表示同意。"),
    "handler": ("Handler", "负责人"),
    "nobody": ("nobody yet", "尚未指定"),
    "overdue_badge": ("overdue", "已逾期"),
    "no_deadline": ("no deadline yet", "尚无期限"),
    "nothing_due": ("No cases here.", "这里没有投诉。"),
    "nothing_to_approve": ("No proposal is waiting for approval.", "没有待批准的处理方案。"),
    "nothing_overdue": ("Nothing is overdue.", "没有逾期的投诉。"),
    "customer_history": ("This customer's other cases", "该客户的其他投诉"),
    "no_other_cases": ("No other case of this customer.", "该客户没有其他投诉。"),
    "rel_follows": ("this case follows it", "本投诉是其后续"),
    "rel_followed_by": ("follows this case", "为本投诉的后续"),
    "rel_merged_into": ("merged into it", "本投诉已并入"),
    "rel_merged_from": ("merged into this case", "已并入本投诉"),
    "rel_same_customer": ("same customer", "同一客户"),
    "relation": ("Link", "关系"),
    "merged_into_note": ("This case was merged into", "本投诉已并入"),
    "merge_title": ("Merge a duplicate", "合并重复投诉"),
    "merge_help": ("This case is a duplicate of another case of the same customer: its mails "
                   "and files move there and this case closes as merged.",
                   "本投诉与同一客户的另一投诉重复：其邮件和附件将移至该投诉，本投诉以“已合并”结案。"),
    "merge_into": ("Reference of the case that goes on", "保留的投诉编号"),
    "merge_button": ("Merge into that case", "合并到该投诉"),
    "merged_ok": ("The duplicate was merged into this case.", "重复投诉已并入本投诉。"),
    "merge_target_missing": ("There is no case with that reference.", "没有该编号的投诉。"),
}
