"""Complaint documents made on the spot: Word, OpenDocument, plain text and typed PDF,
and hostile ones (damaged, password-protected, a zip bomb and an entity bomb in .docx
clothing)."""

from __future__ import annotations

import io
import zipfile

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from tests.support.scans import font_path

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"


def docx_bytes(text: str) -> bytes:
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def odt_bytes(text: str) -> bytes:
    """A minimal valid OpenDocument text: one text:p per line."""
    from xml.sax.saxutils import escape

    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in text.split("\n"))
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text>{paragraphs}</office:text></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="'
        f'{ODT_TYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", ODT_TYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def text_pdf(text: str) -> bytes:
    """A typed PDF with a text layer (CJK font embedded), as "Save as PDF" makes."""
    if "CJK" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("CJK", font_path(), subfontIndex=0))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("CJK", 11)
    y = A4[1] - 72
    for line in text.split("\n"):
        page.drawString(72, y, line)
        y -= 16
    page.save()
    return buffer.getvalue()


def corrupt_docx() -> bytes:
    """The start of a real .docx, cut off: the zip directory is gone."""
    return docx_bytes("A complaint that was cut off in transit.")[:700]


def encrypted_docx() -> bytes:
    """What Word saves under a password: an OLE container, not a zip."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088)


def zip_bomb_docx(unzipped: int = 200_000_000) -> bytes:
    """A .docx-shaped zip whose document.xml unpacks to ``unzipped`` bytes of padding."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b" " * 1_000_000
            for _ in range(unzipped // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def entity_bomb_docx() -> bytes:
    """A real .docx whose document.xml is a "billion laughs" entity bomb."""
    laughs = "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10 if i else "lol"}">' for i in range(10)
    )
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE w:document [{laughs}]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>"
    )
    source = zipfile.ZipFile(io.BytesIO(docx_bytes("x")))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            data = bomb.encode() if entry.filename == "word/document.xml" else source.read(entry)
            archive.writestr(entry.filename, data)
    return buffer.getvalue()
