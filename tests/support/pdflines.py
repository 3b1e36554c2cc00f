"""The lines of a PDF as a reader sees them: one string per printed line (pdftotext)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest


def pdf_lines(pdf: bytes, tmp_path: Path, name: str = "lines.pdf") -> list[str]:
    """Each physical line's words joined, in page order; table cells are lines of their own."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    path = tmp_path / name
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    root = ElementTree.fromstring(out.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    return ["".join(word.text or "" for word in line.iter("word")) for line in root.iter("line")]
