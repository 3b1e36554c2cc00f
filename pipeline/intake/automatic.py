"""Is this mail from a robot? Then it never gets an acknowledgment.

Answering automatic mail is how mail loops start: two auto-responders answering each
other forever, or our acknowledgment bouncing and being acknowledged. The signals are
the ones RFC 3834 (automatic responses), RFC 2369/2919 (mailing lists), RFC 3462
(reports) and the big mail systems (Exchange, Gmail, Postfix) use; the full list is in
reliability-cases.md and the README.

Everything here reads a ``ParsedMail`` only: no I/O, so every rule is a unit test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence

from pipeline.mail.message import ParsedMail

# Local parts that only mail systems and robots send from. "bounces" covers VERP
# return addresses such as bounces+1234@list.example; "-anything" covers
# noreply-dmarc-support@google.com and the like.
_ROBOT_LOCAL = re.compile(
    r"^(?:mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply"
    r"|auto[-_.]?reply|bounces?)(?:[-+._].*)?$",
    re.IGNORECASE,
)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_SUPPRESS_MEANS_ROBOT = frozenset({"all", "oof", "autoreply"})
_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post")
_AUTORESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")
_OOO_SUBJECT = re.compile(
    r"\bout[ -]of[ -](?:the[ -])?office\b|\bautomatic[ -]reply\b|\bauto[ -]?reply\b"
    r"|\bauto[ -]?response\b|\bautoantwort\b|\babwesenheit|\bautomatische antwort\b"
    r"|\bréponse automatique\b|自动回复|自動回覆|自動回復|自动答复|自動答覆|不在办公室|不在辦公室",
    re.IGNORECASE,
)
_REASON_VALUE_LIMIT = 80


def automatic_reason(
    mail: ParsedMail,
    *,
    loop_header: str,
    own_domains: Sequence[str],
    own_addresses: Collection[str] = (),
) -> str | None:
    """Why this mail is automatic, in words for staff; None for a person's mail.

    The first matching rule wins, strongest evidence first (our own mail coming back).
    ``own_addresses`` are the From addresses of all our mailboxes: mail from one of
    them is one of our mailboxes writing to another (an acknowledgment sent to the
    other address), which answered would start a loop between the two.
    """
    if loop_header.strip().lower() in mail.headers:
        return f"Our own loop header {loop_header}: our mail came back"
    own_address = _own_address(mail, own_addresses)
    if own_address:
        return own_address
    own = _own_message_id(mail, own_domains)
    if own:
        return own
    for check in _CHECKS:
        reason = check(mail)
        if reason:
            return reason
    return None


def is_out_of_office(mail: ParsedMail) -> bool:
    """An out-of-office style auto-reply (to label replies to our acknowledgments).

    Exchange marks its replies only by subject ("Automatic reply:", "自动答复:") and
    QQ/163 often by subject alone, so the subject counts as much as the headers.
    """
    if "auto-replied" in _tokens(mail, "Auto-Submitted"):
        return True
    if "auto_reply" in _tokens(mail, "Precedence"):
        return True
    if any(name.lower() in mail.headers for name in _AUTORESPONDER_HEADERS):
        return True
    return bool(_OOO_SUBJECT.search(mail.subject))


def _values(mail: ParsedMail, name: str) -> list[str]:
    return [value.strip() for value in mail.headers.get(name.lower(), [])]


def _tokens(mail: ParsedMail, name: str) -> list[str]:
    """The first word of each value, lower-cased, parameters after ';' dropped."""
    return [value.split(";")[0].strip().strip("\"'").lower() for value in _values(mail, name)]


def _shown(value: str) -> str:
    """A header value short and single-line enough for a staff reason."""
    value = " ".join(value.split())
    return value if len(value) <= _REASON_VALUE_LIMIT else value[:_REASON_VALUE_LIMIT] + "…"


def _own_address(mail: ParsedMail, own_addresses: Collection[str]) -> str | None:
    address = mail.from_address.strip().strip("<>").lower()
    if address and address in {a.strip().lower() for a in own_addresses}:
        return f"Sent from our own address {_shown(address)}: one of our mailboxes wrote to us"
    return None


def _own_message_id(mail: ParsedMail, own_domains: Sequence[str]) -> str | None:
    # Exact domain match only: a sub-domain rule would turn every customer of a
    # freemail provider into "our own mail" if our address were at that provider.
    if not mail.message_id:
        return None
    domain = mail.message_id.strip().strip("<>").rpartition("@")[2].strip().rstrip(".").lower()
    ours = {d.strip().rstrip(".").lower() for d in own_domains if d.strip()}
    if domain and domain in ours:
        return f"Message-ID from our own domain {domain}: our mail came back"
    return None


def _auto_submitted(mail: ParsedMail) -> str | None:
    # RFC 3834: any value but "no" (an empty value is no human either).
    for token, value in zip(
        _tokens(mail, "Auto-Submitted"), _values(mail, "Auto-Submitted"), strict=True
    ):
        if token != "no":
            return f"Auto-Submitted: {_shown(value) or '(empty)'}"
    return None


def _precedence(mail: ParsedMail) -> str | None:
    for token in _tokens(mail, "Precedence"):
        if token in _BULK_PRECEDENCE:
            return f"Precedence: {token}"
    return None


def _list_headers(mail: ParsedMail) -> str | None:
    for name in _LIST_HEADERS:
        if name.lower() in mail.headers:
            return f"Mailing-list mail ({name})"
    return None


def _autoresponder_headers(mail: ParsedMail) -> str | None:
    for name in _AUTORESPONDER_HEADERS:
        if name.lower() in mail.headers:
            return f"Auto-responder header {name}"
    return None


def _suppress(mail: ParsedMail) -> str | None:
    # Exchange/Outlook put this on their own automatic mail, asking others not to
    # answer it: "All", or a list such as "DR, RN, NRN, OOF, AutoReply".
    for value in _values(mail, "X-Auto-Response-Suppress"):
        words = {word.lower() for word in re.split(r"[\s,;]+", value) if word}
        if words & _SUPPRESS_MEANS_ROBOT:
            return f"X-Auto-Response-Suppress: {_shown(value)}"
    return None


def _exchange_rule_loop(mail: ParsedMail) -> str | None:
    if "x-ms-exchange-inbox-rules-loop" in mail.headers:
        return "Forwarded by an Exchange inbox rule (X-MS-Exchange-Inbox-Rules-Loop)"
    return None


def _report(mail: ParsedMail) -> str | None:
    if mail.content_type.split(";")[0].strip().lower() == "multipart/report":
        return "A delivery, read or abuse report (multipart/report)"
    return None


def _empty_return_path(mail: ParsedMail) -> str | None:
    # "<>" is the null sender of bounces and other mail-system mail (RFC 5321 4.5.5).
    if mail.return_path is not None and not mail.return_path.strip().strip("<>").strip():
        return "Empty Return-Path (<>): sent by a mail system"
    return None


def _robot_sender(mail: ParsedMail) -> str | None:
    address = mail.from_address.strip().strip("<>")
    local = address.rpartition("@")[0] if "@" in address else address
    if local and _ROBOT_LOCAL.match(local):
        return f"Automatic sender address ({_shown(local.lower())})"
    return None


_CHECKS: tuple[Callable[[ParsedMail], str | None], ...] = (
    _auto_submitted,
    _precedence,
    _list_headers,
    _autoresponder_headers,
    _suppress,
    _exchange_rule_loop,
    _report,
    _empty_return_path,
    _robot_sender,
)
