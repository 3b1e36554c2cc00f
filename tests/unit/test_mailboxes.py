"""The mailboxes file: the example loads, the single-mailbox settings stay one mailbox,
and every mistake stops with a clear message in English and Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from config.departments import load_departments
from config.mailboxes import (
    MailboxesFileError,
    check_departments,
    is_our_address,
    load_mailboxes,
    mailbox_by_key,
    our_addresses,
    our_domains,
)
from config.settings import Settings
from pipeline.intake.automatic import automatic_reason
from pipeline.mail.mime import parse_mail
from pipeline.outbound.envelope import envelope_sender
from pipeline.routing.suggest import suggest
from pipeline.text.language import detect_language
from tests.support import mails

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "mailboxes.example.toml"

TWO = """
[[mailbox]]
key = "cn"
from_address = "complaints@brand-a.example"
from_name = "A 客户服务部"
language = "zh"

[[mailbox]]
key = "en"
from_address = "service@brand-b.example"
language = "en"
department = "logistics"
folder = "mail/en/inbox"
"""


def settings_with(tmp_path: Path, text: str | None, **extra: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path / "var",
                                 "from_address": "complaints@shop.example"}
    if text is not None:
        path = tmp_path / "mailboxes.toml"
        path.write_text(text, encoding="utf-8")
        values["mailboxes_file"] = str(path)
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def error_for(tmp_path: Path, text: str) -> MailboxesFileError:
    with pytest.raises(MailboxesFileError) as caught:
        load_mailboxes(settings_with(tmp_path, text))
    return caught.value


def test_the_shipped_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAND_A_IMAP_PASSWORD", "pw-a")
    monkeypatch.setenv("BRAND_B_IMAP_PASSWORD", "pw-b")
    settings = Settings(data_dir=tmp_path / "var", mailboxes_file=str(EXAMPLE))
    boxes = load_mailboxes(settings)
    assert [b.key for b in boxes] == ["default", "service-en", "shop-form"]
    first, second, third = boxes
    assert first.imap is not None and first.imap.password.get_secret_value() == "pw-a"
    assert first.imap.done_folder == "Recorded" and first.language == "zh"
    assert second.imap is not None and second.imap.port == 993 and second.imap.ssl
    assert second.department == "logistics"
    assert third.imap is None and third.inbox == tmp_path / "var" / "mail/shop-form/inbox"
    check_departments(boxes, {d.key for d in load_departments(settings)}, str(EXAMPLE))


def test_without_a_file_the_single_mailbox_settings_are_mailbox_default(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, None, imap_host="imap.shop.example", imap_user="c",
                             imap_password=SecretStr("pw"), from_name="Shop 客服")
    (box,) = load_mailboxes(settings)
    assert box.key == "default" and box.from_address == "complaints@shop.example"
    assert box.from_name == "Shop 客服" and box.language == "" and box.department == ""
    assert box.imap is not None and box.imap.password.get_secret_value() == "pw"
    # The same lease and watermark name as before mailboxes existed: nothing polled twice.
    assert box.ledger_name == settings.mailbox_name
    assert box.inbox == settings.inbox_dir


def test_the_single_mailbox_follows_its_settings(tmp_path: Path) -> None:
    """The single mailbox is made once per set of values (every mail asks for it several
    times), so a change of any of them must give a new one."""
    settings = settings_with(tmp_path, None)
    assert load_mailboxes(settings)[0].imap is None
    settings.imap_host = "imap.shop.example"
    settings.from_address = "service@shop.example"
    settings.data_dir = tmp_path / "elsewhere"
    (box,) = load_mailboxes(settings)
    assert box.imap is not None and box.imap.host == "imap.shop.example"
    assert box.from_address == "service@shop.example" and box.inbox == settings.inbox_dir
    folder = settings_with(tmp_path, None)
    assert load_mailboxes(folder)[0].ledger_name == folder.mailbox_name


def test_lookup_addresses_and_domains(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, TWO)
    assert mailbox_by_key(settings, "en").from_address == "service@brand-b.example"
    # A case of a mailbox removed since is answered by the first one, never by nobody.
    assert mailbox_by_key(settings, "gone").key == "cn"
    assert our_addresses(settings) == {"complaints@brand-a.example", "service@brand-b.example"}
    assert our_domains(settings) == {"brand-a.example", "brand-b.example"}
    assert is_our_address(settings, "Service@Brand-B.example")
    assert not is_our_address(settings, "jane@customer.example")
    assert mailbox_by_key(settings, "cn").from_name == "A 客户服务部"
    assert mailbox_by_key(settings, "en").from_name == settings.from_name  # default name


@pytest.mark.parametrize(
    ("text", "english", "chinese"),
    [
        ('[[mailbox]]\nkey = "a"\n', "mailbox 'a': 'from_address' is required",
         "邮箱“a”：缺少必填项“from_address”"),
        ('[[mailbox]]\nkey = "a"\nfrom_address = "a@x.example"\nfrom_adress = "b@x.example"\n',
         "'from_adress' is not a known setting", "“from_adress”不是可用的设置项"),
        ('[[mailbox]]\nkey = "A b"\nfrom_address = "a@x.example"\n',
         "'key' must be 1-32 lower-case letters", "“key”须为 1-32 个小写字母"),
        ("mailbox = []\n", "lists no mailbox", "没有列出任何邮箱"),
        ('[[mailbox]]\nkey = "a"\nfrom_address = "nobody"\n',
         "from_address 'nobody' is not an email address", "不是有效的邮箱地址"),
        ('[[mailbox]]\nkey = "a"\nfrom_address = "a@x.example"\nfolder = "in"\n'
         '[mailbox.imap]\nhost = "h"\nuser = "u"\n', "either [mailbox.imap] or 'folder'",
         "只能二选一"),
        ('[[mailbox]]\nkey = "a"\nfrom_address = "a@x.example"\n[mailbox.imap]\nhost = "h"\n'
         'user = "u"\npassword_env = "NO_SUCH_VARIABLE_HERE"\n',
         "environment variable NO_SUCH_VARIABLE_HERE", "未设置环境变量 NO_SUCH_VARIABLE_HERE"),
        ('[[mailbox]]\nkey = "a"\nfrom_address = "a@x.example"\n'
         '[[mailbox]]\nkey = "a"\nfrom_address = "b@x.example"\nfolder = "b"\n',
         "mailboxes 'a' and 'a' have the same key", "的key相同"),
        ('[[mailbox]]\nkey = "a"\nfrom_address = "a@x.example"\n'
         '[[mailbox]]\nkey = "b"\nfrom_address = "A@x.example"\nfolder = "b"\n',
         "'a' and 'b' have the same from_address", "的from_address相同"),
        ('[[mailbox]]\nkey = "a"\nfrom_address = "a@x.example"\nfolder = "same"\n'
         '[[mailbox]]\nkey = "b"\nfrom_address = "b@x.example"\nfolder = "same"\n',
         "have the same mailbox folder", "的收件文件夹相同"),
        ("[[mailbox]\n", "is not valid TOML", "不是有效的 TOML 格式"),
    ],
)
def test_mistakes_are_explained_in_both_languages(
    tmp_path: Path, text: str, english: str, chinese: str
) -> None:
    error = error_for(tmp_path, text)
    assert english in str(error) and chinese in str(error)
    assert str(tmp_path / "mailboxes.toml") in str(error)


def test_a_missing_file_and_an_unknown_department_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MailboxesFileError, match="cannot be read"):
        load_mailboxes(Settings(data_dir=tmp_path, mailboxes_file=str(tmp_path / "none.toml")))
    boxes = load_mailboxes(settings_with(tmp_path, TWO.replace("logistics", "nowhere")))
    with pytest.raises(MailboxesFileError, match=r"department 'nowhere'.*\n.*部门“nowhere”"):
        check_departments(boxes, {"quality", "logistics"}, "f.toml")


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, TWO)
    assert len(load_mailboxes(settings)) == 2
    Path(settings.mailboxes_file).write_text(TWO.split("[[mailbox]]")[0] + "[[mailbox]]"
                                             + TWO.split("[[mailbox]]")[1] + "# one left\n")
    assert [b.key for b in load_mailboxes(settings)] == ["cn"]


def test_a_short_mail_takes_the_mailbox_language() -> None:
    assert detect_language("Order 12345678", "zh") == "zh"
    assert detect_language("订单", "en") == "en"
    assert detect_language("Order 12345678") == "en"  # no mailbox language: as before
    long_english = "The kettle I received leaks, please replace it."
    assert detect_language(long_english, "zh") == "en"  # a clear mail keeps its language
    assert detect_language("我买的水壶漏水了，请给我换一个。", "en") == "zh"


def test_mail_from_another_of_our_mailboxes_is_automatic() -> None:
    raw = mails.complaint(sender="Brand B <service@brand-b.example>")
    mail = parse_mail(raw)
    reason = automatic_reason(mail, loop_header="X-Complaints-Loop", own_domains=(),
                              own_addresses={"service@brand-b.example"})
    assert reason is not None and "service@brand-b.example" in reason
    person = parse_mail(mails.complaint())
    assert automatic_reason(person, loop_header="X-Complaints-Loop", own_domains=(),
                            own_addresses={"service@brand-b.example"}) is None


def test_the_envelope_sender_is_the_from_address() -> None:
    raw = b"From: =?utf-8?b?5a6i5pyN?= <service@brand-b.example>\r\nTo: x@y.example\r\n\r\nhi"
    assert envelope_sender(raw, "fallback@shop.example") == "service@brand-b.example"
    assert envelope_sender(b"To: x@y.example\r\n\r\nhi", "f@shop.example") == "f@shop.example"


def test_the_envelope_sender_is_read_from_the_headers_alone() -> None:
    """A From line in the body is not the sender; a mail with no blank line (no body)
    or with bare LF line ends still gives its From."""
    body_from = b"To: x@y.example\r\n\r\nFrom: other@elsewhere.example\r\n"
    assert envelope_sender(body_from, "f@shop.example") == "f@shop.example"
    assert envelope_sender(b"From: a@b.example\r\n", "f@shop.example") == "a@b.example"
    assert envelope_sender(b"From: a@b.example\n\nbody", "f@shop.example") == "a@b.example"


def test_the_mailbox_department_is_the_suggestion(tmp_path: Path) -> None:
    departments = load_departments(settings_with(tmp_path, None))
    text = "水壶漏水了，质量太差"
    by_mailbox = suggest(text, departments, None, ("en", "logistics"))
    assert by_mailbox is not None and by_mailbox.department == "logistics"
    assert by_mailbox.source == "mailbox" and "en" in by_mailbox.reason_en
    by_words = suggest(text, departments, None, ("cn", ""))
    assert by_words is not None and by_words.source == "keywords"


def test_a_running_process_keeps_the_last_good_file(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, TWO)
    assert len(load_mailboxes(settings)) == 2
    Path(settings.mailboxes_file).write_text("[[mailbox]\nbroken = ", encoding="utf-8")
    assert [b.key for b in load_mailboxes(settings)] == ["cn", "en"]


def test_the_check_command_explains_a_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from workers.cli import app

    path = tmp_path / "mailboxes.toml"
    path.write_text('[[mailbox]]\nkey = "a"\nfrom_address = "a@x.example"\nfolder = "in"\n'
                    'department = "nowhere"\n', encoding="utf-8")
    monkeypatch.setenv("COMPLAINTS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COMPLAINTS_MAILBOXES_FILE", str(path))
    broken = CliRunner().invoke(app, ["mailboxes", "check"])
    assert broken.exit_code == 2
    assert "department 'nowhere'" in broken.output and "部门“nowhere”" in broken.output
    path.write_text(TWO, encoding="utf-8")
    good = CliRunner().invoke(app, ["mailboxes", "list", "--json"])
    assert good.exit_code == 0, good.output
    assert '"key": "en"' in good.output and '"department": "logistics"' in good.output
    assert "password" not in good.output


def test_the_envelope_sender_of_a_folded_or_lower_case_from_field() -> None:
    """Header names are case-insensitive and a long From is folded: both still give the
    address; the first From counts."""
    folded = (b"Subject: x\r\nfrom: =?utf-8?b?5a6i5pyN5Lit5b+D5a6i5pyN5Lit5b+D?=\r\n"
              b" <service@brand-b.example>\r\nFrom: second@elsewhere.example\r\n\r\nhi")
    assert envelope_sender(folded, "f@shop.example") == "service@brand-b.example"
    assert envelope_sender(b"From: not an address\r\n\r\n", "f@shop.example") == "f@shop.example"
