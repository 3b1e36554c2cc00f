"""The letter font: a system or packaged CJK TrueType font, embedded; a logged fallback."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont as ToolsFont
from reportlab.pdfgen import canvas

from letters.pdf import fonts
from tests.support.fonts import TEST_FONT_CACHE, fonts_for_tests


def _draw(font_name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont(font_name, 12)
    pdf.drawString(72, 720, text)
    pdf.save()
    return buffer.getvalue()


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "font.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_finds_and_embeds_a_truetype_cjk_font() -> None:
    font = fonts.letter_font(fonts_for_tests())
    assert font.embedded and font.name.startswith(fonts.FONT_NAME)
    pdf = _draw(font.name, "客户投诉 Complaint")
    assert b"/FontFile2" in pdf


@pytest.mark.slow
@pytest.mark.timeout(900)  # about a minute of CPU the first time: slow on a shared machine
def test_packaged_font_is_instanced_regular_and_bold_and_renders_chinese(tmp_path: Path) -> None:
    """Without any system font, Noto Sans SC from the Python package prints Chinese."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) not installed")
    source = fonts_for_tests(hide_system=True)
    files = fonts.find_font_files(source)
    assert files is not None and files.origin == "packaged"
    assert files.bold is not None and files.regular.parent == TEST_FONT_CACHE
    assert files.regular != files.bold
    for path, weight in ((files.regular, 400), (files.bold, 700)):
        static = ToolsFont(str(path))
        assert "fvar" not in static and static["OS/2"].usWeightClass == weight
    font = fonts.letter_font(source)
    assert font.path == str(files.regular) and font.bold_name != font.name
    assert "客户投诉处理" in _text(_draw(font.name, "客户投诉处理，谢谢。"), tmp_path)
    again = fonts.find_font_files(source)
    assert again == files  # cached: the same files, not instanced anew


def test_search_path_folder_finds_a_known_font(tmp_path: Path) -> None:
    system = fonts.system_fonts(fonts.CANDIDATES)
    if not system:
        pytest.skip("no system CJK font on this machine to copy")
    folder = tmp_path / "myfonts" / "cjk"
    folder.mkdir(parents=True)
    shutil.copy(system[0], folder / system[0].name)
    files = fonts.find_font_files(fonts.FontSource(search_path=(str(tmp_path / "myfonts"),)))
    assert files is not None and files.origin == "system"
    assert files.regular == folder / system[0].name


def test_settings_choose_search_path_and_cache(tmp_path: Path) -> None:
    from config.settings import Settings

    settings = Settings(data_dir=tmp_path / "var", pdf_font_search_path=f"/nowhere:{tmp_path}")
    source = fonts.FontSource.from_settings(settings)
    assert source.search_path == ("/nowhere", str(tmp_path))
    assert source.cache_dir == tmp_path / "var" / "fonts"
    assert fonts.FontSource.from_settings(Settings()).search_path == fonts.CANDIDATES


def test_unusable_configured_font_falls_back_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bogus = tmp_path / "broken.ttf"
    bogus.write_bytes(b"not a font")
    source = fonts.FontSource(configured_path=str(bogus), search_path=(), packaged=False)
    with caplog.at_level(logging.WARNING):
        font = fonts.letter_font(source)
    assert font.name == fonts.FALLBACK_FONT and not font.embedded and font.path is None
    assert "No CJK TrueType font found" in caplog.text
    assert _draw(font.name, "投诉").startswith(b"%PDF")


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_a_process_waits_for_the_one_making_the_font_and_uses_its_file(tmp_path: Path) -> None:
    """GIVEN one process making the packaged font's instance WHEN a second starts on the
    same cache THEN it waits on the lock file and uses the finished file instead of
    spending a minute of CPU making it again. The "font" here is not a font: a process
    that tried to make it would fail."""
    import os
    import sys

    from tests.support.waiting import wait_until

    cache, fake = tmp_path / "cache", tmp_path / "Fake[wght].ttf"
    cache.mkdir()
    fake.write_bytes(b"not a font")
    target = fonts.instance_path(fake, cache, 400)
    lock = cache / ".instancing.lock"
    code = ("import sys; from pathlib import Path; from letters.pdf.fonts import instantiate;"
            "print(instantiate(Path(sys.argv[1]), Path(sys.argv[2]), 400))")
    with fonts._one_process_at_a_time(lock):
        second = subprocess.Popen(
            [sys.executable, "-c", code, str(fake), str(cache)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
        inode = f":{os.stat(lock).st_ino} "

        def waiting() -> bool:
            assert second.poll() is None, second.communicate()
            return any("->" in line and inode in line
                       for line in Path("/proc/locks").read_text().splitlines())

        wait_until(waiting, 60, "the second process to wait on the lock file")
        target.write_bytes(b"the finished instance")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert out.strip() == str(target) and target.read_bytes() == b"the finished instance"
