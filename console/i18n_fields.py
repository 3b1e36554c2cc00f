"""Interface text for the classification fields and the person responsible (issue 13)."""

from __future__ import annotations

FIELD_STRINGS: dict[str, tuple[str, str]] = {
    "classification": ("Classification (sets the deadline)", "分类（决定处理期限）"),
    "category": ("Category", "投诉类别"),
    "severity": ("Severity", "严重程度"),
    "product": ("Product", "品名"),
    "quantity": ("Quantity", "数量"),
    "not_chosen": ("— choose —", "— 请选择 —"),
    "sev_low": ("low", "低"),
    "sev_normal": ("normal", "一般"),
    "sev_high": ("high (safety)", "高（涉及安全）"),
    "sev_critical": ("critical", "严重"),
    "suggested_value": ("suggested", "系统建议"),
    "needs_classification": (
        "Choose the category and the severity in the record form and save before routing: "
        "the deadline depends on them.",
        "分派前请在记录单中选择投诉类别和严重程度并保存：处理期限取决于它们。"),
    "responsible": ("Person responsible", "负责人"),
    "nobody_yet": ("nobody yet", "尚未指定"),
    "take_it": ("Take it", "由我负责"),
    "assign_to": ("Assign to…", "指派给…"),
    "assign": ("Assign", "指派"),
    "assigned_ok": ("The person responsible is set.", "已指定负责人。"),
    "assign_refused": (
        "Only a supervisor assigns a case; a handler of its department may take it.",
        "只有主管可以指派案件；本部门的处理人员可以自己认领。"),
    "route_handler": ("Person responsible (optional)", "负责人（可选）"),
}
