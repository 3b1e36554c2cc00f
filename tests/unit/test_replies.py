"""Replies: subject prefixes, quoted text and case references, as real clients write them."""

from __future__ import annotations

import pytest

from pipeline.text.replies import clean_subject, find_case_references, strip_quoted

ACK_EN = "[CP-2026-000123] We have received your complaint"
ACK_ZH = "[CP-2026-000123] 我们已收到您的投诉"

# --- clean_subject ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (f"Re: {ACK_EN}", ACK_EN),
        (f"RE: {ACK_EN}", ACK_EN),
        (f"re:{ACK_EN}", ACK_EN),
        (f"Re[2]: {ACK_EN}", ACK_EN),
        (f"Re(3): {ACK_EN}", ACK_EN),
        (f"Re : {ACK_EN}", ACK_EN),
        (f"Fw: {ACK_EN}", ACK_EN),
        (f"FW: {ACK_EN}", ACK_EN),
        (f"Fwd: {ACK_EN}", ACK_EN),
        (f"FWD: {ACK_EN}", ACK_EN),
        (f"AW: {ACK_EN}", ACK_EN),
        (f"WG: {ACK_EN}", ACK_EN),
        (f"SV: {ACK_EN}", ACK_EN),
        (f"VS: {ACK_EN}", ACK_EN),
        (f"Antw: {ACK_EN}", ACK_EN),
        (f"回复: {ACK_ZH}", ACK_ZH),
        (f"回复：{ACK_ZH}", ACK_ZH),
        (f"回覆：{ACK_ZH}", ACK_ZH),
        (f"答复: {ACK_ZH}", ACK_ZH),
        (f"转发: {ACK_ZH}", ACK_ZH),
        (f"转寄：{ACK_ZH}", ACK_ZH),
        (f"轉寄：{ACK_ZH}", ACK_ZH),
        (f"Re：{ACK_ZH}", ACK_ZH),
    ],
)
def test_clean_subject_strips_one_prefix(subject: str, expected: str) -> None:
    assert clean_subject(subject) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        # Outlook answering Gmail answering Outlook.
        (f"RE: Re: RE: {ACK_EN}", ACK_EN),
        (f"Re:Re:Re:{ACK_EN}", ACK_EN),
        # A customer forwarding our reply to a colleague who answers in Chinese Outlook.
        (f"答复: FW: 回复：{ACK_ZH}", ACK_ZH),
        # QQ Mail after several rounds, with full-width colons and a counter.
        (f"回复：回复(2)：Re：{ACK_ZH}", ACK_ZH),
        (f"Fwd: Re[2]: AW: WG: {ACK_EN}", ACK_EN),
    ],
)
def test_clean_subject_strips_repeated_and_mixed_prefixes(subject: str, expected: str) -> None:
    assert clean_subject(subject) == expected


@pytest.mark.parametrize(
    "subject",
    [f"[EXT] RE: {ACK_EN}", f"[External] Re: {ACK_EN}", f"RE: [EXTERNAL] {ACK_EN}"],
)
def test_clean_subject_strips_gateway_tags(subject: str) -> None:
    assert clean_subject(subject) == ACK_EN


def test_clean_subject_keeps_our_case_reference_tag() -> None:
    """GIVEN a reply to our acknowledgment THEN the [CP-...] tag stays: threading reads it."""
    assert clean_subject(f"Re: {ACK_EN}").startswith("[CP-2026-000123]")


def test_clean_subject_collapses_whitespace() -> None:
    assert clean_subject("  Re:   broken \t kettle\u3000again  ") == "broken kettle again"


@pytest.mark.parametrize(
    "subject",
    [
        "Refund not received",  # "Re" starting a word is no prefix
        "Reorder of AB-12345678",
        "Awful service",
        "Forward delivery address wrong",
        "回复太慢了",  # "回复" without a colon is part of the sentence
        "SVG logo printed wrong",
    ],
)
def test_clean_subject_leaves_words_that_merely_start_like_prefixes(subject: str) -> None:
    assert clean_subject(subject) == subject


def test_clean_subject_of_prefix_only_is_empty() -> None:
    assert clean_subject("Re: ") == ""


# --- strip_quoted: English clients ------------------------------------------------------------

ACK_BODY_QUOTED = (
    "> Dear Ms Smith,\n"
    ">\n"
    "> We have received your complaint and registered it as CP-2026-000123.\n"
    "> Please call us on 400-820-8820 if anything is missing.\n"
    ">\n"
    "> -- \n"
    "> Shop Customer Service\n"
)


def test_gmail_reply_keeps_new_text_above_attribution() -> None:
    text = (
        "Thank you. My phone number is 138 0013 8000.\n"
        "\n"
        "Jane\n"
        "\n"
        "On Mon, Nov 30, 2026 at 10:15 AM Shop Complaints <complaints@shop.example> wrote:\n"
        "\n" + ACK_BODY_QUOTED
    )

    assert strip_quoted(text) == "Thank you. My phone number is 138 0013 8000.\n\nJane"


def test_gmail_attribution_wrapped_over_two_lines() -> None:
    text = (
        "Please call me tomorrow.\n"
        "\n"
        "On Mon, Nov 30, 2026 at 10:15 AM Shop Complaints <\n"
        "complaints@shop.example> wrote:\n"
        "\n" + ACK_BODY_QUOTED
    )

    assert strip_quoted(text) == "Please call me tomorrow."


def test_gmail_html_reply_without_quote_marks_is_cut_at_attribution() -> None:
    """GIVEN text derived from HTML (blockquote gives no '>') THEN all after 'wrote:' goes."""
    text = (
        "Yes, a replacement is fine.\n"
        "On Mon, Nov 30, 2026 at 10:15 AM Shop Complaints <complaints@shop.example> wrote:\n"
        "Dear Ms Smith,\n"
        "We have received your complaint. Call 400-820-8820.\n"
    )

    assert strip_quoted(text) == "Yes, a replacement is fine."


def test_apple_mail_reply() -> None:
    text = (
        "The kettle still leaks.\n"
        "\n"
        "Sent from my iPhone\n"
        "\n"
        "> On 30 Nov 2026, at 10:15, Shop Complaints <complaints@shop.example> wrote:\n"
        ">\n" + ACK_BODY_QUOTED
    )

    assert strip_quoted(text) == "The kettle still leaks.\n\nSent from my iPhone"


def test_apple_mail_attribution_not_quoted() -> None:
    text = (
        "Order number is AB-12345678.\n"
        "\n"
        "On Nov 30, 2026, at 10:15, Shop Complaints <complaints@shop.example> wrote:\n"
        "\n" + ACK_BODY_QUOTED
    )

    assert strip_quoted(text) == "Order number is AB-12345678."


def test_thunderbird_bottom_post_keeps_answer_below_quote() -> None:
    """GIVEN a reply written below the '>'-quoted mail THEN the answer is kept, the quote not."""
    text = (
        "On 30/11/2026 10:15, Shop Complaints wrote:\n" + ACK_BODY_QUOTED + "\n"
        "My phone is 13800138000. Please call after 6 pm.\n"
    )

    assert strip_quoted(text) == "My phone is 13800138000. Please call after 6 pm."


def test_inline_answers_between_quoted_lines_are_kept() -> None:
    text = (
        "On Mon, Nov 30, 2026 at 10:15 AM Shop Complaints <complaints@shop.example> wrote:\n"
        "> Which colour was the kettle?\n"
        "Red.\n"
        "> When did you receive it?\n"
        "On 28 November.\n"
    )

    assert strip_quoted(text) == "Red.\nOn 28 November."


def test_outlook_original_message_separator() -> None:
    text = (
        "Hello,\r\n"
        "I still have not received the refund.\r\n"
        "\r\n"
        "-----Original Message-----\r\n"
        "From: Shop Complaints <complaints@shop.example>\r\n"
        "Sent: Monday, November 30, 2026 10:15 AM\r\n"
        "To: Jane Smith <jane@customer.example>\r\n"
        f"Subject: {ACK_EN}\r\n"
        "\r\n"
        "Dear Ms Smith, call us on 400-820-8820.\r\n"
    )

    assert strip_quoted(text) == "Hello,\nI still have not received the refund."


def test_outlook_underscore_line_then_from_block() -> None:
    text = (
        "Please send a courier on Friday.\n"
        "\n"
        "Get Outlook for iOS\n"
        "________________________________\n"
        "From: Shop Complaints <complaints@shop.example>\n"
        "Sent: Monday, November 30, 2026 10:15:02 AM\n"
        "To: Jane Smith <jane@customer.example>\n"
        f"Subject: {ACK_EN}\n"
        "\n"
        "Dear Ms Smith,\n"
    )

    assert strip_quoted(text) == "Please send a courier on Friday.\n\nGet Outlook for iOS"


def test_outlook_from_sent_block_without_separator() -> None:
    text = (
        "Attached is the photo.\n"
        "\n"
        "From: Shop Complaints <complaints@shop.example>\n"
        "Sent: 30 November 2026 10:15\n"
        "To: jane@customer.example\n"
        "Subject: RE: your complaint\n"
        "\n"
        "Dear Ms Smith,\n"
    )

    assert strip_quoted(text) == "Attached is the photo."


def test_outlook_for_mac_from_date_block() -> None:
    text = (
        "Thanks, the replacement arrived.\n"
        "\n"
        "From: Shop Complaints <complaints@shop.example>\n"
        "Date: Monday, 30 November 2026 at 10:15\n"
        "To: Jane Smith <jane@customer.example>\n"
        f"Subject: {ACK_EN}\n"
    )

    assert strip_quoted(text) == "Thanks, the replacement arrived."


def test_signature_after_dash_dash_space_is_removed() -> None:
    text = "I want a refund.\n\n-- \nJane Smith\nSenior Buyer, Example Ltd\nTel. +44 20 7946 0000\n"

    assert strip_quoted(text) == "I want a refund."


def test_dash_dash_without_space_is_not_a_signature() -> None:
    text = "First point.\n--\nSecond point."

    assert strip_quoted(text) == text


def test_plain_text_without_quote_is_unchanged_but_trimmed() -> None:
    text = "\n\n  My kettle leaks. On Monday I wrote to you already.  \n\n"

    assert strip_quoted(text) == "My kettle leaks. On Monday I wrote to you already."


def test_prose_mentioning_what_someone_wrote_is_not_cut() -> None:
    """GIVEN a line ending 'wrote:' without a time or address THEN it is the customer's text."""
    text = "On Monday your driver wrote:\nWe could not find you.\nBut I was at home all day."

    assert strip_quoted(text) == text


def test_reply_that_is_only_a_quote_is_kept_whole() -> None:
    text = "\n-----Original Message-----\nFrom: Shop <complaints@shop.example>\nSent: today\n"

    assert strip_quoted(text) == text.strip()


def test_reply_of_only_quoted_lines_is_kept_whole() -> None:
    text = "> Please send us your phone number.\n> Shop Customer Service\n"

    assert strip_quoted(text) == text.strip()


def test_empty_text_stays_empty() -> None:
    assert strip_quoted("  \n ") == ""


# --- strip_quoted: Chinese clients ------------------------------------------------------------


def test_qq_mail_original_block() -> None:
    text = (
        "您好，我的电话是13800138000，请尽快处理。\n"
        "\n"
        "\n"
        "------------------&nbsp;原始邮件&nbsp;------------------".replace("&nbsp;", "\xa0")
        + "\n"
        '发件人: "Shop Complaints"<complaints@shop.example>;\n'
        "发送时间: 2026年11月30日(星期一) 上午10:15\n"
        '收件人: "张三"<zhangsan@qq.com>;\n'
        f"主题: {ACK_ZH}\n"
        "\n"
        "尊敬的张先生：我们已收到您的投诉，客服电话 400-820-8820。\n"
    )

    assert strip_quoted(text) == "您好，我的电话是13800138000，请尽快处理。"


def test_qq_mail_english_interface_original_block() -> None:
    text = (
        "OK, thanks.\n"
        "\n"
        "------------------ Original ------------------\n"
        'From:  "Shop Complaints"<complaints@shop.example>;\n'
        "Date:  Mon, Nov 30, 2026 10:15 AM\n"
        'To:  "jane"<jane@qq.com>;\n'
    )

    assert strip_quoted(text) == "OK, thanks."


def test_foxmail_from_block_with_full_width_colons() -> None:
    text = (
        "退款还没有到账。\n"
        "\n"
        "zhangsan@foxmail.com\n"
        "\n"
        "发件人：Shop Complaints\n"
        "发送时间：2026-11-30 10:15\n"
        "收件人：zhangsan\n"
        f"主题：{ACK_ZH}\n"
        "尊敬的张先生：\n"
    )

    assert strip_quoted(text) == "退款还没有到账。\n\nzhangsan@foxmail.com"


def test_outlook_chinese_header_block() -> None:
    text = (
        "附件是发票照片。\n"
        "\n"
        "发件人: Shop Complaints <complaints@shop.example>\n"
        "发送时间: 2026年11月30日 10:15\n"
        "收件人: 张三 <zhangsan@example.cn>\n"
        f"主题: {ACK_ZH}\n"
        "\n"
        "尊敬的张先生：\n"
    )

    assert strip_quoted(text) == "附件是发票照片。"


def test_new_outlook_chinese_uses_date_line() -> None:
    text = (
        "收到，谢谢。\n"
        "________________________________\n"
        "发件人: Shop Complaints <complaints@shop.example>\n"
        "日期: 2026年11月30日星期一 10:15\n"
    )

    assert strip_quoted(text) == "收到，谢谢。"


def test_outlook_chinese_original_message_separator() -> None:
    text = "请回电。\n\n-----邮件原件-----\n发件人: Shop\n发送时间: 2026年11月30日 10:15\n"

    assert strip_quoted(text) == "请回电。"


def test_163_mail_attribution() -> None:
    text = (
        "我已经寄回了商品，快递单号 SF1234567890。\n"
        "\n"
        '在 2026-11-30 10:15:00，"Shop Complaints" <complaints@shop.example> 写道：\n'
        "尊敬的客户：我们已收到您的投诉。\n"
    )

    assert strip_quoted(text) == "我已经寄回了商品，快递单号 SF1234567890。"


def test_netease_mail_master_replied_message_block() -> None:
    text = (
        "好的。\n"
        "---- 回复的原邮件 ----\n"
        "| 发件人 | Shop Complaints<complaints@shop.example> |\n"
        "| 日期 | 2026年11月30日 10:15 |\n"
    )

    assert strip_quoted(text) == "好的。"


def test_163_original_mail_separator() -> None:
    text = "麻烦再确认一下。\n\n-----原始邮件-----\n发件人：complaints@shop.example\n"

    assert strip_quoted(text) == "麻烦再确认一下。"


def test_gmail_chinese_attribution() -> None:
    text = (
        "我的订单号是 AB-12345678。\n"
        "\n"
        "Shop Complaints <complaints@shop.example> 于2026年11月30日周一 10:15写道：\n"
        "\n"
        "> 尊敬的张先生：\n"
        "> 客服电话 400-820-8820\n"
    )

    assert strip_quoted(text) == "我的订单号是 AB-12345678。"


def test_gmail_chinese_attribution_with_name_on_its_own_line() -> None:
    text = (
        "请尽快退款。\n"
        "\n"
        "Shop Complaints <complaints@shop.example>\n"
        "于2026年11月30日周一 上午10:15写道：\n"
        "尊敬的张先生：\n"
    )

    assert strip_quoted(text) == "请尽快退款。"


def test_gmail_traditional_chinese_attribution() -> None:
    text = (
        "謝謝。\n\nShop <complaints@shop.example> 於 2026年11月30日 週一 上午10:15寫道：\n> 您好\n"
    )

    assert strip_quoted(text) == "謝謝。"


def test_apple_mail_chinese_attribution() -> None:
    text = (
        "已经收到换货，谢谢！\n"
        "\n"
        "发自我的iPhone\n"
        "\n"
        "在 2026年11月30日，上午10:15，Shop Complaints <complaints@shop.example> 写道：\n"
        "\n"
        "> 尊敬的张先生：\n"
    )

    assert strip_quoted(text) == "已经收到换货，谢谢！\n\n发自我的iPhone"


def test_thunderbird_chinese_attribution() -> None:
    text = "电话 13800138000\n\n在 2026/11/30 10:15, Shop Complaints 写道:\n> 请提供电话。\n"

    assert strip_quoted(text) == "电话 13800138000"


def test_chinese_prose_quoting_a_letter_is_not_cut() -> None:
    """GIVEN '在…写道：' in the customer's own words, without time or address THEN kept."""
    text = "我在上一封邮件中写道：\n水壶漏水。\n请尽快处理。"

    assert strip_quoted(text) == text


def test_earliest_marker_wins() -> None:
    """GIVEN a QQ block quoting an Outlook block THEN the cut is at the first one."""
    text = (
        "新的内容\n"
        "------------------ 原始邮件 ------------------\n"
        "发件人: 李四\n"
        "发送时间: 2026年11月29日\n"
        "中间内容\n"
        "-----Original Message-----\n"
        "更早的内容\n"
    )

    assert strip_quoted(text) == "新的内容"


# --- find_case_references ---------------------------------------------------------------------


def test_reference_found_in_reply_subject() -> None:
    assert find_case_references(f"Re: {ACK_EN}") == ("CP-2026-000123",)


@pytest.mark.parametrize(
    "written",
    [
        "CP-2026-000123",
        "cp-2026-000123",
        "Cp-2026-000123",
        "CP2026000123",
        "CP－2026－000123",  # full-width hyphen from a Chinese input method
        "ＣＰ－２０２６－０００１２３",  # all full-width
        "CP–2026–000123",  # en dash from a word processor
        "CP 2026 000123",
        "CP - 2026 - 000123",
    ],
)
def test_reference_variants_are_normalised(written: str) -> None:
    assert find_case_references(f"我的案件号是{written}，请查询。") == ("CP-2026-000123",)


def test_references_are_unique_in_order_of_appearance() -> None:
    text = "About CP-2026-000200 and cp2026000100, again CP-2026-000200."

    assert find_case_references(text) == ("CP-2026-000200", "CP-2026-000100")


@pytest.mark.parametrize(
    "text",
    [
        "CP-2026-0001234",  # seven digits: some other number
        "XCP-2026-000123",  # part of a longer code
        "CP-26-000123",  # two-digit year
        "order AB-2026-000123",
        "no reference at all",
    ],
)
def test_things_that_are_not_references(text: str) -> None:
    assert find_case_references(text) == ()


def test_reference_prefix_is_configurable() -> None:
    text = "Ticket ts-2026-000042 and CP-2026-000001"

    assert find_case_references(text, prefix="TS") == ("TS-2026-000042",)


def test_reference_prefix_with_regex_characters_is_literal() -> None:
    assert find_case_references("A.B-2026-000001 AXB-2026-000002", prefix="A.B") == (
        "A.B-2026-000001",
    )
