"""Is this mail from a robot? Then it never gets an acknowledgment.

Answering automatic mail is how mail loops start: two auto-responders answering each
other forever. The signals are the ones RFC 3834 and the big mail systems use; the
full list is in reliability-cases.md and the README.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.intake.message import ParsedMail

_ROBOT_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|bounces?|auto-?reply)([+.-].*)?$",
    re.IGNORECASE,
)
_OOO_SUBJECT = re.compile(
    r"(out of (the )?office|automatic reply|auto(matic)?[- ]?reply|autoreply|abwesenheit|"
    r"自动回复|自動回覆|不在办公室|休假|away from)",
    re.IGNORECASE,
)


def _first(mail: ParsedMail, name: str) -> str | None:
    values = mail.headers.get(name.lower())
    return values[0].strip() if values else None


def automatic_reason(
    mail: ParsedMail, *, loop_header: str, own_domains: Sequence[str]
) -> str | None:
    """Why this mail is automatic, in words for staff; None for a person's mail."""
    for check in (_auto_submitted, _precedence, _list_headers, _autoreply_headers):
        reason = check(mail)
        if reason:
            return reason
    if loop_header.lower() in mail.headers:
        return f"It carries our own loop header {loop_header}: it is our mail coming back."
    return _sender_reason(mail, own_domains)


def _auto_submitted(mail: ParsedMail) -> str | None:
    value = _first(mail, "Auto-Submitted")
    if value and value.split(";")[0].strip().lower() != "no":
        return f"Auto-Submitted: {value}"
    return None


def _precedence(mail: ParsedMail) -> str | None:
    value = (_first(mail, "Precedence") or "").lower()
    if value in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {value}"
    return None


def _list_headers(mail: ParsedMail) -> str | None:
    for name in ("List-Id", "List-Unsubscribe", "List-Post"):
        if name.lower() in mail.headers:
            return f"Mailing-list mail ({name})"
    return None


def _autoreply_headers(mail: ParsedMail) -> str | None:
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if name.lower() in mail.headers:
            return f"Auto-responder header {name}"
    suppress = (_first(mail, "X-Auto-Response-Suppress") or "").lower()
    if {s.strip() for s in suppress.split(",")} & {"all", "oof", "autoreply"}:
        return f"X-Auto-Response-Suppress: {suppress}"
    if "x-ms-exchange-inbox-rules-loop" in mail.headers:
        return "Forwarded by an Exchange inbox rule (X-MS-Exchange-Inbox-Rules-Loop)"
    if mail.content_type == "multipart/report":
        return "A delivery or read report (multipart/report)"
    return None


def _sender_reason(mail: ParsedMail, own_domains: Sequence[str]) -> str | None:
    if mail.return_path == "":
        return "Empty Return-Path (<>): mail from a mail system, not a person"
    local, _, _domain = mail.from_address.rpartition("@")
    if local and _ROBOT_SENDERS.match(local):
        return f"Sent by an automatic address ({mail.from_address})"
    if mail.message_id:
        msgid_domain = mail.message_id.strip("<>").rpartition("@")[2].lower()
        if msgid_domain and msgid_domain in {d.lower() for d in own_domains}:
            return "Its Message-ID is one of ours: it is our own mail coming back."
    return None


def is_out_of_office(mail: ParsedMail) -> bool:
    """An auto-reply of the out-of-office kind (for labelling replies to our mail)."""
    auto = (_first(mail, "Auto-Submitted") or "").lower().startswith("auto-replied")
    headers = any(h in mail.headers for h in ("x-autoreply", "x-autorespond"))
    return auto or headers or bool(_OOO_SUBJECT.search(mail.subject))
