"""Bounces: which of our mails failed to arrive, to whom, and whether for good.

RFC 3464 delivery reports (``multipart/report; report-type=delivery-status``) are read
from their ``message/delivery-status`` part, one block per recipient; the original
Message-ID comes from the returned ``message/rfc822`` or ``text/rfc822-headers`` part.
Many mail systems (Exim, qmail, QQ/163 "系统退信") send plain text instead: those are
recognised by sender *and* subject together, and the original Message-ID is found in
the quoted headers. A mail is a bounce only when both say so, because a complaint
wrongly taken for a bounce would never become a case.

Read receipts (``report-type=disposition-notification``) are reports too but never
bounces; ``is_read_receipt`` names them. Both functions accept any bytes and never
raise: a mail we cannot read is simply not a bounce here (the parser reports it).
Intake hands them the MIME tree it has parsed already (``tree``), so the mail is not
parsed again; given bytes alone, they parse what they need.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.utils
import logging
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32

from pipeline.mail.charsets import decode_text
from pipeline.mail.headers import decode_header_value, normalise_msgid, raw_header
from pipeline.mail.htmltext import html_to_text
from pipeline.mail.message import BounceInfo

log = logging.getLogger(__name__)

_BOUNCE_LOCAL = re.compile(r"^(?:mailer[-_.]?daemon|mail[-_.]?daemon|postmaster)$", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|returned to sender|delivery status notification"
    r"|delivery (?:has )?failed|delivery failure|mail delivery fail|failure notice"
    r"|non[- ]?delivery|could not be delivered|delivery problem|\bdelayed\b"
    r"|could not send message"
    r"|退信|无法投递|投遞失敗|投递失败|发送失败|未能送达|无法送达|被退回|延迟投递|投递延迟",
    re.IGNORECASE,
)
_DELAY_SUBJECT = re.compile(r"delay|warning|still being retried|延迟|延時|延误", re.IGNORECASE)
_MSGID_LINE = re.compile(
    r"^[ \t>]*Message-ID[ \t]*:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE
)
_STATUS_CODE = re.compile(r"(?<![\d.])([45])\.\d{1,3}\.\d{1,3}(?![\d.])")
_SMTP_CODE = re.compile(r"(?<![\d.#])([45][0-5]\d)(?=[ -]\D)")
_ADDRESS = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")
# Where the explanation ends and the copy of the original mail begins.
_ORIGINAL_START = re.compile(
    r"^[ \t>]*(?:Received|Return-Path|Message-ID|Date|Subject|From|To|MIME-Version|Content-Type"
    r"|DKIM-Signature|X-[\w-]+)[ \t]*:"
    r"|below this line is a copy|this is a copy of the message|original message follows"
    r"|^[ \t-]*(?:original message|原邮件|原始邮件|原信件|邮件原文|原邮件头)",
    re.IGNORECASE | re.MULTILINE,
)
_REASON_WORDS = re.compile(
    r"error|reason|said|rejected|refused|unknown|not found|does not exist|doesn't exist|full"
    r"|quota|exceeded|blocked|spam|原因|错误|失败|不存在|已满|拒绝|超出",
    re.IGNORECASE,
)
_MAX_RECIPIENTS = 50
_DIAGNOSTIC_LIMIT = 1000


@dataclass(frozen=True)
class _Recipient:
    """One per-recipient block of a delivery-status report."""

    address: str
    action: str
    status: str
    diagnostic: str

    @property
    def failing(self) -> bool:
        # "delivered", "relayed" and "expanded" are success reports (NOTIFY=SUCCESS).
        if self.action:
            return self.action in ("failed", "delayed")
        return self.status[:1] in ("4", "5")

    @property
    def permanent(self) -> bool:
        # A delay is never final: the mail may still arrive. Otherwise the status
        # class decides (5 = permanent, 4 = transient); a failure without one is final.
        if self.action == "delayed":
            return False
        return self.status[:1] != "4"


def parse_bounce(raw: bytes, tree: Message | None = None) -> BounceInfo | None:
    """A BounceInfo for a delivery failure or delay report, else None."""
    try:
        return _parse_bounce(raw, tree)
    except Exception as err:  # noqa: BLE001 - garbage is simply not a bounce
        log.warning("bounce check skipped an unreadable mail (%s)", type(err).__name__)
        return None


def is_read_receipt(raw: bytes, tree: Message | None = None) -> bool:
    """True for an RFC 8098 read receipt (a disposition notification)."""
    try:
        head = _head(raw, tree)
        if head.get_content_type() != "multipart/report":
            return False
        kind = _report_type(head)
        if kind:
            return kind == "disposition-notification"
        parts = _parts(_whole(raw, tree))
        return any(p.get_content_type() == "message/disposition-notification" for p in parts)
    except Exception as err:  # noqa: BLE001 - garbage is simply not a receipt
        log.warning("read-receipt check skipped an unreadable mail (%s)", type(err).__name__)
        return False


def _parse_bounce(raw: bytes, tree: Message | None) -> BounceInfo | None:
    head = _head(raw, tree)
    is_report = head.get_content_type() == "multipart/report"
    report_type = _report_type(head) if is_report else ""
    if is_report and report_type not in ("", "delivery-status"):
        return None  # read receipts, abuse (ARF) and other reports
    plain = _looks_like_plain_bounce(head)
    if not (is_report or plain):
        return None
    message = _whole(raw, tree)
    status_parts = [p for p in _parts(message) if _is_status_part(p)]
    if status_parts:
        return _from_dsn(message, status_parts)
    if plain or report_type == "delivery-status":
        return _from_text(message, head)
    return None


def _head(raw: bytes, tree: Message | None) -> Message:
    """The mail's headers: the tree intake parsed, else the headers alone (most mail is
    no bounce, and its body need not be parsed to tell)."""
    if tree is not None:
        return tree
    return email.parser.BytesParser(policy=compat32).parsebytes(raw, headersonly=True)


def _whole(raw: bytes, tree: Message | None) -> Message:
    """The whole mail: the tree intake parsed, else the bytes parsed now."""
    if tree is not None:
        return tree
    return email.parser.BytesParser(policy=compat32).parsebytes(raw)


def _report_type(message: Message) -> str:
    value = message.get_param("report-type")
    if isinstance(value, tuple):  # an RFC 2231 encoded parameter
        value = email.utils.collapse_rfc2231_value(value)
    return str(value or "").strip().lower()


def _parts(message: Message) -> Iterator[Message]:
    """Every part, without descending into a delivery-status part's field blocks."""
    yield message
    payload = message.get_payload()
    if _is_status_part(message) or not isinstance(payload, list):
        return
    for sub in payload:
        if isinstance(sub, Message):
            yield from _parts(sub)


def _is_status_part(part: Message) -> bool:
    # "message/global-delivery-status" is the RFC 6533 (internationalised) form.
    return part.get_content_type() in (
        "message/delivery-status",
        "message/global-delivery-status",
    )


def _header(message: Message, name: str) -> str:
    value = raw_header(message, name)
    return decode_header_value(value, []) if value is not None else ""


def _sender_local(message: Message) -> str:
    address = email.utils.parseaddr(_header(message, "From"))[1]
    return address.rpartition("@")[0] if "@" in address else address


def _looks_like_plain_bounce(head: Message) -> bool:
    """From MAILER-DAEMON or postmaster *and* a bounce-like subject.

    The subject is asked first: it rules out nearly every mail, for about half the cost
    of parsing the From address.
    """
    if not _BOUNCE_SUBJECT.search(_header(head, "Subject")):
        return False
    return bool(_BOUNCE_LOCAL.match(_sender_local(head).strip()))


# --- RFC 3464 reports -------------------------------------------------------------


def _from_dsn(message: Message, status_parts: list[Message]) -> BounceInfo | None:
    recipients = [r for part in status_parts for r in _recipients(part)]
    failing = [r for r in recipients if r.failing]
    if recipients and not failing:
        return None  # a success report: nothing bounced
    addresses = [r.address for r in failing if r.address] or _failed_header(message)
    diagnostics = [r.diagnostic or _status_words(r) for r in failing]
    return BounceInfo(
        original_message_id=_original_message_id(message),
        failed_recipients=tuple(dict.fromkeys(addresses))[:_MAX_RECIPIENTS],
        permanent=any(r.permanent for r in failing) if failing else True,
        diagnostic=_limit("; ".join(dict.fromkeys(diagnostics)) or "Delivery failed"),
    )


def _recipients(part: Message) -> list[_Recipient]:
    found = []
    for block in _status_blocks(part):
        address = _field(block, "Final-Recipient") or _field(block, "Original-Recipient")
        action = _field(block, "Action").lower()
        if not (address or action):
            continue  # the per-message block (Reporting-MTA, Arrival-Date, ...)
        found.append(
            _Recipient(
                address=address.strip("<> "),
                action=action.split()[0] if action else "",
                status=(_field(block, "Status").split() or [""])[0],
                diagnostic=_field(block, "Diagnostic-Code"),
            )
        )
    return found


def _status_blocks(part: Message) -> list[Message]:
    """The field blocks of a delivery-status part, also when it is base64-encoded."""
    payload = part.get_payload()
    blocks = [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []
    if any(len(b) for b in blocks):
        return blocks
    text = _encoded_status_text(part, blocks, payload)
    parser = email.parser.HeaderParser(policy=compat32)
    return [parser.parsestr(chunk.strip() + "\n") for chunk in re.split(r"\r?\n\s*\r?\n", text)]


def _encoded_status_text(part: Message, blocks: list[Message], payload: object) -> str:
    # The stdlib parses the fields before decoding, so an encoded part arrives as one
    # headerless block holding the encoded text.
    encoded = "".join(str(b.get_payload()) for b in blocks) if blocks else str(payload or "")
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    try:
        if cte == "base64":
            data = base64.b64decode(encoded.encode("ascii", "ignore"))
        elif cte == "quoted-printable":
            data = quopri.decodestring(encoded.encode("ascii", "ignore"))
        else:
            return encoded
    except (binascii.Error, ValueError):
        return ""
    return decode_text(data, "utf-8")[0]


def _field(block: Message, name: str) -> str:
    """A DSN field's value, without its type prefix ("rfc822;", "smtp;") and unfolded."""
    value = block.get(name)
    if value is None:
        return ""
    text = " ".join(str(value).split())
    kind, sep, rest = text.partition(";")
    if sep and re.fullmatch(r"[\w.-]{1,20}", kind.strip()):
        return rest.strip()
    return text


def _status_words(recipient: _Recipient) -> str:
    return f"Status {recipient.status or 'unknown'} ({recipient.action or 'failed'})"


def _failed_header(message: Message) -> list[str]:
    """Exim and Gmail name the failed addresses in X-Failed-Recipients."""
    value = _header(message, "X-Failed-Recipients")
    return [address for _name, address in email.utils.getaddresses([value]) if "@" in address]


def _original_message_id(message: Message) -> str | None:
    """The Message-ID of the mail that bounced: returned copy, quoted text, or threading."""
    for part in _parts(message):
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            found = _returned_copy_id(part)
        elif kind in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            found = _quoted_headers_id(part)
        else:
            continue
        if found:
            return found
    quoted = _MSGID_LINE.search(_all_text(message))
    if quoted:
        return quoted.group(1)[:998]
    # Microsoft 365 and some others thread the report to the mail it is about.
    return normalise_msgid(_header(message, "In-Reply-To") or None)


def _returned_copy_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        value = payload[0].get("Message-ID")
        return normalise_msgid(value) if value else None
    return None


def _quoted_headers_id(part: Message) -> str | None:
    text = _part_text(part)
    value = email.parser.HeaderParser(policy=compat32).parsestr(text.lstrip()).get("Message-ID")
    if value:
        return normalise_msgid(value)
    found = _MSGID_LINE.search(text)
    return found.group(1)[:998] if found else None


# --- plain-text bounces ------------------------------------------------------------


def _from_text(message: Message, head: Message) -> BounceInfo:
    text = _all_text(message)
    found = _ORIGINAL_START.search(text)
    explanation = text[: found.start()] if found else text
    status = _STATUS_CODE.search(explanation)
    code = status or _SMTP_CODE.search(explanation)
    delayed = bool(_DELAY_SUBJECT.search(_header(head, "Subject")))
    return BounceInfo(
        original_message_id=_original_message_id(message),
        failed_recipients=tuple(_failed_header(message) or _named_addresses(explanation, head)),
        permanent=not delayed and (code is None or code.group(1)[0] == "5"),
        diagnostic=_limit(_reason_lines(explanation, code)),
    )


def _all_text(message: Message) -> str:
    texts = []
    for part in _parts(message):
        kind = part.get_content_type()
        if part.get_content_maintype() == "text" or kind == "message/rfc822-headers":
            texts.append(_part_text(part))
        elif kind == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                texts.append("".join(f"{k}: {v}\n" for k, v in inner.items()))
    return "\n".join(texts)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_text(payload, part.get_content_charset())[0].replace("\r\n", "\n")
    return html_to_text(text) if part.get_content_type() == "text/html" else text


def _named_addresses(explanation: str, head: Message) -> list[str]:
    """Addresses the explanation names, except the bounce's own sender and recipients."""
    own = {
        address.lower()
        for _name, address in email.utils.getaddresses(
            [_header(head, "From"), _header(head, "To"), _header(head, "Cc")]
        )
    }
    found = []
    for address in _ADDRESS.findall(explanation):
        address = address.strip(".'")
        local = address.rpartition("@")[0]
        if address.lower() not in own and not _BOUNCE_LOCAL.match(local):
            found.append(address)
    return list(dict.fromkeys(found))[:_MAX_RECIPIENTS]


def _reason_lines(explanation: str, code: re.Match[str] | None) -> str:
    """The lines that say why: those with the status code, else the first few."""
    lines = [" ".join(line.split()) for line in explanation.splitlines()]
    lines = list(dict.fromkeys(line for line in lines if line))  # text and HTML say it twice
    if code is not None:
        coded = [line for line in lines if code.group(0) in line]
        if coded:
            return " ".join(coded[:3])
    worded = [line for line in lines if _REASON_WORDS.search(line)]
    return " ".join(worded[:3] or lines[:4]) or "Delivery failed"


def _limit(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DIAGNOSTIC_LIMIT else text[: _DIAGNOSTIC_LIMIT - 1] + "…"
