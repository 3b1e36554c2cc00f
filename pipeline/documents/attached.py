"""Complaints written in an attached document (.docx, .odt, .txt, a PDF with text).

Customers write their complaint in Word and send it with "详见附件。" as the whole
mail. The document's text is then the complaint: fields (phone, order numbers,
demands, name) are read from it exactly as from a mail body. Scans (PDFs without a
text layer, photos) keep going to OCR.

A document is customer input and may be hostile: a .docx is a zip, and a zip bomb
or an XML entity bomb disguised as one must not take the worker down. Every read is
bounded in bytes, in unzipped bytes (from the zip directory, which also caps what
``zipfile`` will inflate), in entries, pages and characters, and in time (checked
between paragraphs and pages). XML is parsed with entities refused. An unreadable
document gives a reason for staff, never an exception.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element

import pypdfium2 as pdfium
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from pipeline.documents.pdftext import MIN_TEXT_CHARS, open_pdf
from pipeline.documents.reasons import Unreadable, both
from pipeline.mail.charsets import decode_text
from pipeline.mail.message import MailAttachment
from pipeline.text.boilerplate import says_nothing

__all__ = [
    "ComplaintText",
    "DocumentLimits",
    "DocumentReading",
    "complaint_text",
    "has_text_layer",
    "is_document",
    "read_document_text",
]

MAX_DOCUMENTS = 5  # documents read per mail
MAX_ZIP_ENTRIES = 2000
_ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_ODT = "application/vnd.oasis.opendocument.text"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted Office files are OLE containers


@dataclass(frozen=True)
class DocumentLimits:
    max_bytes: int = 10_000_000
    max_unzipped_bytes: int = 30_000_000
    max_pages: int = 50
    max_chars: int = 20_000
    seconds: float = 10.0


@dataclass(frozen=True)
class DocumentReading:
    """A document's text, or in plain words why it could not be read."""

    name: str
    text: str = ""
    problem: str = ""


@dataclass(frozen=True)
class ComplaintText:
    """The text to read fields from, and a note for staff when something was unreadable."""

    text: str
    note: str = ""
    from_documents: tuple[str, ...] = ()


class _TooSlow(Exception):
    pass


def _kind(item: MailAttachment) -> str:
    suffix = PurePosixPath(item.filename.lower()).suffix
    content_type = item.content_type.lower()
    if suffix == ".docx" or content_type == _DOCX:
        return "docx"
    if suffix == ".odt" or content_type == _ODT:
        return "odt"
    if suffix == ".txt" or content_type == "text/plain":
        return "txt"
    if suffix == ".pdf" or content_type == "application/pdf" or item.payload[:5] == b"%PDF-":
        return "pdf"
    return ""


def is_document(item: MailAttachment) -> bool:
    """A file that may hold a written complaint: .docx, .odt, .txt, or a PDF with text."""
    kind = _kind(item)
    return kind in ("docx", "odt", "txt") or (kind == "pdf" and has_text_layer(item))


def has_text_layer(item: MailAttachment, limits: DocumentLimits | None = None) -> bool:
    """A PDF whose first page has typed text: a document, not a scan to OCR."""
    if _kind(item) != "pdf":
        return False
    limits = limits or DocumentLimits()
    if len(item.payload) > limits.max_bytes:
        return False
    try:
        document = open_pdf(item.payload, name=item.filename, max_pages=limits.max_pages)
    except Unreadable:
        return False
    try:
        page = document[0]
        try:
            return len(page.get_textpage().get_text_bounded().strip()) >= MIN_TEXT_CHARS
        finally:
            page.close()
    except pdfium.PdfiumError:
        return False
    finally:
        document.close()


def read_document_text(item: MailAttachment, limits: DocumentLimits) -> DocumentReading:
    """The text of one document, at most ``limits.max_chars``; never raises."""
    name = item.filename or "the attachment"
    if len(item.payload) > limits.max_bytes:
        return DocumentReading(name, problem=_too_big(name, limits.max_bytes))
    deadline = time.monotonic() + limits.seconds
    kind = _kind(item)
    try:
        if kind == "txt":
            text = decode_text(item.payload[: limits.max_chars * 4], None)[0]
        elif kind == "pdf":
            text = _joined(_pdf_pages(item, limits, deadline), limits.max_chars)
        elif kind in ("docx", "odt"):
            text = _zipped_text(item, kind, limits, deadline)
        else:
            return DocumentReading(name, problem=_unknown(name))
    except Unreadable as err:
        return DocumentReading(name, problem=err.reason)
    except _TooSlow:
        return DocumentReading(
            name,
            problem=both(
                f"Reading {name} took longer than {limits.seconds:g} seconds; it was stopped.",
                f"读取 {name} 超过 {limits.seconds:g} 秒，已停止。",
            ),
        )
    text = text.replace("\x00", "").replace("\r\n", "\n")[: limits.max_chars].strip()
    if not text:
        return DocumentReading(
            name, problem=both(f"{name} contains no text.", f"{name} 中没有任何文字。")
        )
    return DocumentReading(name, text=text)


def _zipped_text(item: MailAttachment, kind: str, limits: DocumentLimits, deadline: float) -> str:
    name = item.filename or "the attachment"
    if item.payload[:8] == _OLE_MAGIC:
        raise Unreadable(
            both(
                f"{name} is protected by a password (or is an old Word file) and cannot be read.",
                f"{name} 有密码保护（或为旧版 Word 文件），无法读取。",
            )
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(item.payload))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise Unreadable(_damaged(name)) from err
    unzipped = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ZIP_ENTRIES or unzipped > limits.max_unzipped_bytes:
        raise Unreadable(
            both(
                f"{name} would unpack to {unzipped:,} bytes in {len(entries)} files, more "
                f"than a letter needs (at most {limits.max_unzipped_bytes:,}); it was not opened.",
                f"{name} 解压后达 {unzipped:,} 字节，超出限制，未予打开。",
            )
        )
    try:
        if kind == "docx":
            return _joined(_docx_paragraphs(item.payload, deadline), limits.max_chars)
        return _joined(_odt_paragraphs(archive, deadline), limits.max_chars)
    except (_TooSlow, Unreadable):
        raise
    except Exception as err:  # a damaged document fails in the library in many ways
        raise Unreadable(_damaged(name)) from err


def _docx_paragraphs(payload: bytes, deadline: float) -> Iterator[str]:
    """Paragraphs and table cells, in document order (python-docx refuses entities)."""
    import docx  # imported here: only mails with a Word document pay for it

    document = docx.Document(io.BytesIO(payload))
    for block in document.iter_inner_content():
        _check(deadline)
        if isinstance(block, docx.table.Table):
            for row in block.rows:
                yield "\t".join(cell.text for cell in row.cells)
        else:
            yield block.text


def _odt_paragraphs(archive: zipfile.ZipFile, deadline: float) -> Iterator[str]:
    """text:p and text:h elements of content.xml, spaces and tabs as written."""
    try:
        root = SafeET.fromstring(archive.read("content.xml"), forbid_dtd=True)
    except (KeyError, SafeET.ParseError, DefusedXmlException) as err:
        raise Unreadable(_damaged("the OpenDocument file")) from err
    for element in root.iter():
        if element.tag in (f"{_ODF_TEXT}p", f"{_ODF_TEXT}h"):
            _check(deadline)
            yield "".join(_odf_text(element))


def _odf_text(element: Element) -> Iterable[str]:
    if element.text:
        yield element.text
    for child in element:
        if child.tag == f"{_ODF_TEXT}s":
            yield " " * int(child.get(f"{_ODF_TEXT}c", "1") or 1)
        elif child.tag == f"{_ODF_TEXT}tab":
            yield "\t"
        elif child.tag == f"{_ODF_TEXT}line-break":
            yield "\n"
        elif child.tag not in (f"{_ODF_TEXT}p", f"{_ODF_TEXT}h"):
            yield from _odf_text(child)
        if child.tail:
            yield child.tail


def _pdf_pages(item: MailAttachment, limits: DocumentLimits, deadline: float) -> Iterator[str]:
    document = open_pdf(item.payload, name=item.filename, max_pages=limits.max_pages)
    try:
        for index in range(len(document)):
            _check(deadline)
            page = document[index]
            try:
                yield page.get_textpage().get_text_bounded()
            finally:
                page.close()
    except pdfium.PdfiumError as err:
        raise Unreadable(_damaged(item.filename or "the PDF")) from err
    finally:
        document.close()


def _joined(parts: Iterable[str], max_chars: int) -> str:
    """Parts one per line, stopping once ``max_chars`` are read (a huge file costs no more)."""
    kept: list[str] = []
    size = 0
    for part in parts:
        kept.append(part)
        size += len(part) + 1
        if size > max_chars:
            break
    return "\n".join(kept)


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise _TooSlow


def _too_big(name: str, limit: int) -> str:
    return both(
        f"{name} is larger than {limit:,} bytes and was not read.",
        f"{name} 超过 {limit:,} 字节，未予读取。",
    )


def _damaged(name: str) -> str:
    return both(f"{name} is damaged and cannot be read.", f"{name} 已损坏，无法读取。")


def _unknown(name: str) -> str:
    return both(f"{name} is not a document we can read.", f"{name} 不是可读取的文档。")


def complaint_text(
    text: str, attachments: tuple[MailAttachment, ...], limits: DocumentLimits
) -> ComplaintText:
    """What the complaint says: the mail's text, or its documents when the text says
    nothing more than "see the attachment". A complaint whose text could not be read
    comes with a note for staff, so the case is never silently empty."""
    if not says_nothing(text):
        return ComplaintText(text=text)
    documents = [item for item in attachments if is_document(item)][:MAX_DOCUMENTS]
    readings = [read_document_text(item, limits) for item in documents]
    read = [reading for reading in readings if reading.text]
    problems = [f"{reading.name}: {reading.problem}" for reading in readings if reading.problem]
    note = ""
    if problems:
        note = both("An attached document could not be read", "附件文档无法读取") + ": " + (
            "; ".join(problems)
        )
    if read:
        joined = "\n\n".join(reading.text for reading in read)
        return ComplaintText(
            text=joined, note=note, from_documents=tuple(reading.name for reading in read)
        )
    if not problems and not attachments:
        note = both(
            "The mail has no text of its own and nothing attached; ask the customer what "
            "the complaint is",
            "邮件没有正文，也没有附件，请向客户询问投诉内容",
        )
    elif not problems:
        note = both(
            "The mail has no text of its own and no readable document; read its attachments",
            "邮件没有正文，也没有可读取的文档，请查看附件",
        )
    return ComplaintText(text=text, note=note)
