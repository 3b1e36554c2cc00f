"""Record-form fields read from realistic complaint mails, and the rules behind each field."""

from __future__ import annotations

import time

import pytest

from pipeline.mail.message import ExtractedFields
from pipeline.text.extract import (
    MAX_WHAT_HAPPENED,
    customer_email,
    customer_name,
    extract_fields,
    find_order_numbers,
    summarise,
    what_happened,
)

DAMAGED_ZH = """尊敬的客服：
您好！

我是张三，于2026年11月20日在贵公司网店购买了一台55寸电视机，订单号：202611200001234。
11月25日收到货时发现屏幕已经破裂，外包装也有明显的挤压痕迹。我当天就拨打了客服热线400-820-8820，
但一直没有人处理。

请尽快给我换货，或者全额退款，并对耽误的时间给予补偿。我的联系电话：138 0013 8000。

此致
敬礼！

张三
2026年11月28日
"""

LATE_ZH = """你好，

我在11月15日下单的羽绒服（订单号JD20261115001）到今天还没收到。物流信息显示包裹11月17日就到了
北京分拨中心，之后一直没有更新。我打了快递公司的电话，对方说是仓库积压，让我等。

已经过去两周了，天气越来越冷，我需要你们给个说法，如果本周内还送不到请直接退款。
我的手机：１３９００１３９０００

李娜
"""

LATE_EN = """Dear Sir or Madam,

I am writing to complain about order no. AB-12345678, which I placed on 20 November 2026.
The parcel was due on 22 November but the courier only delivered it on 30 November, and
the kettle inside was dented. I called your helpline twice and nobody called me back.

I would like a replacement kettle and an explanation of why the delivery took so long.
You can reach me on +44 20 7946 0958.

Kind regards,
Jane Smith
"""

WRONG_ITEM_EN = """Hi,

I ordered a pair of black running shoes in size 42 (Order #SH-88231907) but the box contained
brown leather boots in size 39. This is the second time this has happened with your shop.

Please send me a prepaid label so I can return the boots, and ship the correct shoes. No apology
needed, I just want the right item before the race on 14 December.

My contact email is tom.baker@runners.example and my phone is +1 415 555 2671.

Thanks,
Tom Baker
"""

RUDE_STAFF_ZH = """您好！
本人王芳，11月26日下午在贵公司朝阳门店办理退货时，一名工号为A017的店员态度非常恶劣，
不仅当众大声训斥我，还拒绝给我开具发票。我当时手里抱着孩子，非常难堪。

我不需要赔偿，但要求该店员当面向我道歉，并对此事作出解释。
联系方式：010-12345678（白天）或13700137000。
"""

REFUND_EN = """Hello,

I returned a faulty blender (order 202610050004567) on 8 October and your warehouse confirmed
receipt on 12 October. It is now 28 November and I still have not received my refund of
£89.99. Your chat agent told me the refund was "processing" three weeks ago.

I want my money back within 7 days, plus compensation for the time I have spent chasing this.

Sincerely,
Margaret Okafor
"""


def test_damaged_goods_in_chinese() -> None:
    """GIVEN a Chinese mail about a broken TV from a handle-like display name
    THEN every record-form field is read, the customer's mobile before our hotline."""
    fields = extract_fields(
        text=DAMAGED_ZH,
        subject="投诉：电视机屏幕破裂",
        from_name="zhangsan1985",
        from_address="ZhangSan1985@QQ.com",
    )
    assert fields == ExtractedFields(
        customer_name="张三",
        customer_email="zhangsan1985@qq.com",
        phones=("+8613800138000", "+864008208820"),
        order_numbers=("202611200001234",),
        language="zh",
        what_happened=(
            "我是张三，于2026年11月20日在贵公司网店购买了一台55寸电视机，订单号：202611200001234。\n"
            "11月25日收到货时发现屏幕已经破裂，外包装也有明显的挤压痕迹。"
            "我当天就拨打了客服热线400-820-8820，\n但一直没有人处理。\n\n"
            "请尽快给我换货，或者全额退款，并对耽误的时间给予补偿。我的联系电话：138 0013 8000。"
        ),
        demands=("replacement", "refund", "compensation"),
        summary=(
            "电视机屏幕破裂：我是张三，于2026年11月20日在贵公司网店购买了一台55寸电视机，"
            "订单号：202611200001234。11月25日收到货时发现屏幕已经破裂，外包装也有明显的挤压痕迹…"
        ),
        phone="+8613800138000",
        phone_written="138 0013 8000",
        phone_candidates=("+8613800138000", "+864008208820"),
    )


def test_late_delivery_by_a_carrier_in_chinese() -> None:
    """GIVEN no display name, a full-width phone number and a hard-wrapped line
    THEN the name comes from the signature and the summary joins the wrapped line."""
    fields = extract_fields(
        text=LATE_ZH, subject="快递延误两周", from_name="", from_address="lina88@163.com"
    )
    assert fields.customer_name == "李娜"
    assert fields.customer_email == "lina88@163.com"
    assert fields.phones == ("+8613900139000",)
    assert fields.order_numbers == ("JD20261115001",)
    assert fields.language == "zh"
    assert fields.demands == ("explanation", "refund")
    assert fields.what_happened.startswith("我在11月15日下单的羽绒服")
    assert fields.what_happened.endswith("我的手机：１３９００１３９０００")
    assert fields.summary == (
        "快递延误两周：我在11月15日下单的羽绒服（订单号JD20261115001）到今天还没收到。"
        "物流信息显示包裹11月17日就到了北京分拨中心，之后一直没有更新…"
    )


def test_late_delivery_by_a_carrier_in_english() -> None:
    fields = extract_fields(
        text=LATE_EN,
        subject="Late delivery and damaged kettle",
        from_name="Jane Smith",
        from_address="jane.smith@example.co.uk",
    )
    assert fields == ExtractedFields(
        customer_name="Jane Smith",
        customer_email="jane.smith@example.co.uk",
        phones=("+442079460958",),
        order_numbers=("AB-12345678",),
        language="en",
        what_happened=(
            "I am writing to complain about order no. AB-12345678, which I placed on "
            "20 November 2026.\nThe parcel was due on 22 November but the courier only delivered "
            "it on 30 November, and\nthe kettle inside was dented. I called your helpline twice "
            "and nobody called me back.\n\nI would like a replacement kettle and an explanation "
            "of why the delivery took so long.\nYou can reach me on +44 20 7946 0958."
        ),
        demands=("replacement", "explanation"),
        summary=(
            "Late delivery and damaged kettle: I am writing to complain about order no. "
            "AB-12345678, which I placed on 20 November 2026. The parcel was due on 22 November "
            "but the courier only delivered it on 30 November, and the kettle inside was dented…"
        ),
        phone="+442079460958",
        phone_written="+44 20 7946 0958",
        phone_candidates=("+442079460958",),
    )


def test_wrong_item_in_english() -> None:
    """GIVEN a handle as display name, a stated contact e-mail and a waved-away apology
    THEN the sign-off name and the stated e-mail are used and no apology is demanded."""
    fields = extract_fields(
        text=WRONG_ITEM_EN,
        subject="Wrong item sent",
        from_name="tbaker",
        from_address="tbaker@gmail.example",
    )
    assert fields.customer_name == "Tom Baker"
    assert fields.customer_email == "tom.baker@runners.example"
    assert fields.phones == ("+14155552671",)
    assert fields.order_numbers == ("SH-88231907",)
    assert fields.language == "en"
    assert fields.demands == ("return", "replacement")
    assert fields.what_happened.endswith("and my phone is +1 415 555 2671.")
    assert fields.summary == (
        "Wrong item sent: I ordered a pair of black running shoes in size 42 "
        "(Order #SH-88231907) but the box contained brown leather boots in size 39. "
        "This is the second time this has happened with your shop…"
    )


def test_rude_staff_in_chinese() -> None:
    """GIVEN a generic subject "投诉" THEN the summary is the first sentences alone."""
    fields = extract_fields(
        text=RUDE_STAFF_ZH, subject="投诉", from_name="王芳", from_address="wangfang@126.com"
    )
    assert fields.customer_name == "王芳"
    assert fields.phones == ("+861012345678", "+8613700137000")  # in the customer's order
    assert fields.order_numbers == ()
    assert fields.demands == ("apology", "explanation")
    assert fields.what_happened.startswith("本人王芳，11月26日下午")
    assert fields.summary == (
        "本人王芳，11月26日下午在贵公司朝阳门店办理退货时，一名工号为A017的店员态度非常恶劣，"
        "不仅当众大声训斥我，还拒绝给我开具发票。我当时手里抱着孩子，非常难堪…"
    )


def test_refund_not_received_in_english() -> None:
    fields = extract_fields(
        text=REFUND_EN,
        subject="Re: Refund not received",
        from_name="Margaret Okafor",
        from_address="M.Okafor@Example.org",
    )
    assert fields.customer_name == "Margaret Okafor"
    assert fields.customer_email == "m.okafor@example.org"
    assert fields.phones == ()
    assert fields.order_numbers == ("202610050004567",)
    assert fields.demands == ("refund", "compensation")
    assert fields.what_happened.endswith("for the time I have spent chasing this.")
    assert fields.summary == (
        "Refund not received: I returned a faulty blender (order 202610050004567) on 8 October "
        "and your warehouse confirmed receipt on 12 October. It is now 28 November and I still "
        "have not received my refund of £89.99…"
    )


# --- customer name ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_name", "expected"),
    [
        ("Jane Smith", "Jane Smith"),
        ('"Jane Smith"', "Jane Smith"),
        ("张三", "张三"),
        ("Customer Service", "李明"),
        ("noreply", "李明"),
        ("zhangsan1985", "李明"),
        ("zhangsan", "李明"),
        ("jane@example.com", "李明"),
        ("快乐的小鱼", "李明"),
        ("", "李明"),
    ],
)
def test_display_name_used_only_when_it_reads_as_a_person(from_name: str, expected: str) -> None:
    assert customer_name("我叫李明，手机13800138000。", from_name) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我是张三，订单有问题。", "张三"),
        ("我叫欧阳娜娜。", "欧阳娜娜"),
        ("本人李明于11月20日购买了冰箱。", "李明"),
        ("我是王先生，上周买的。", "王先生"),
        ("客户：王芳\n电话：13800138000", "王芳"),
        ("姓名：司马光", "司马光"),
        ("屏幕坏了。\n\n张三\n2026年11月28日", "张三"),
        ("屏幕坏了。\n此致 敬礼 王五", "王五"),
        ("屏幕坏了。\n谢谢！\n\n李四", "李四"),
        ("My name is Jane Smith and my kettle broke.", "Jane Smith"),
        ("It broke.\n\nRegards,\nJane Smith", "Jane Smith"),
        ("It broke.\n\nThanks, Tom", "Tom"),
        ("It broke.\n\nBest,\n\nPeter O'Neil\n+44 20 7946 0958", "Peter O'Neil"),
        ("It broke.\n\nSincerely,\nSent from my iPhone", ""),
        ("The kettle leaks.\n\nJane Smith\n", "Jane Smith"),
        ("The kettle leaks.\n\nPlease Help Me", ""),
        ("The kettle leaks.\n\nThank You", ""),
    ],
)
def test_name_read_from_the_text(text: str, expected: str) -> None:
    assert customer_name(text, "") == expected


@pytest.mark.parametrize(
    "text", ["我是一名老客户。", "我是你们的老客户，", "我是常客，", "我是张三的妻子。"]
)
def test_phrases_after_wo_shi_that_are_not_names_are_ignored(text: str) -> None:
    assert customer_name(text, "") == ""


# --- contact e-mail -----------------------------------------------------------------------


def test_email_is_the_sender_lower_cased() -> None:
    assert customer_email("屏幕坏了。", "Jane.Smith@Example.COM") == "jane.smith@example.com"


@pytest.mark.parametrize(
    "text",
    [
        "请回复到我的联系邮箱：Zhang.San@Example.com。",
        "邮箱：zhang.san@example.com",
        "邮箱：ｚｈａｎｇ.ｓａｎ@ｅｘａｍｐｌｅ.ｃｏｍ",
        "My contact email is zhang.san@example.com.",
        "Please reply to zhang.san@example.com, not this address.",
    ],
)
def test_an_explicit_contact_email_wins_over_the_sender(text: str) -> None:
    assert customer_email(text, "other@qq.com") == "zhang.san@example.com"


# --- order numbers ------------------------------------------------------------------------


def test_order_numbers_from_subject_and_text_unique_in_order() -> None:
    fields = extract_fields(
        text="订单JD20261115001和订单号：202611280001234都没到，JD20261115001催了三次。",
        subject="订单 AB-12345678 未发货",
        from_name="",
        from_address="a@example.com",
    )
    assert fields.order_numbers == ("AB-12345678", "JD20261115001", "202611280001234")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("订单号：202611280001234，谢谢", ("202611280001234",)),
        ("订单号202611280001234", ("202611280001234",)),
        ("订单编号: A8839201", ("A8839201",)),
        ("Order #12345678 is late", ("12345678",)),
        ("order no. JD-20261128001", ("JD-20261128001",)),
        ("order number is 8837261", ("8837261",)),
        ("订单号：ＪＤ１２３４５６７８", ("JD12345678",)),
        ("运单号 SF1234567890123 显示已签收", ("SF1234567890123",)),
        ("my order was late on 2026-11-28", ()),
        ("订单2026年11月20日下的，还没到", ()),
        ("order 2026-11-28 was late", ()),
        ("the border 12345678 crossing", ()),
    ],
)
def test_order_numbers_plain_and_labelled(text: str, expected: tuple[str, ...]) -> None:
    assert find_order_numbers(text) == expected


def test_a_phone_number_is_never_an_order_number() -> None:
    """GIVEN a 15-digit international phone that the order pattern would match
    THEN it is reported as a phone, not as an order."""
    fields = extract_fields(
        text="订单号：202611280001234。请打我的电话008613800138000。",
        subject="",
        from_name="",
        from_address="a@example.com",
    )
    assert fields.phones == ("+8613800138000",)
    assert fields.order_numbers == ("202611280001234",)


def test_a_custom_order_pattern_is_used() -> None:
    found = find_order_numbers("Ticket SO/2026/000123 still open", r"SO/\d{4}/\d{6}")
    assert found == ("SO/2026/000123",)


# --- what happened ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("您好！我于11月20日购买了电视。", "我于11月20日购买了电视。"),
        ("尊敬的客服：\n您好！\n快递延误了三天。\n\n谢谢！\n张三", "快递延误了三天。"),
        ("Hi, I bought a kettle.", "I bought a kettle."),
        ("Dear Customer Service Team,\n\nMy parcel is late.\n\nThanks\nJane", "My parcel is late."),
        ("To whom it may concern:\nThe TV broke.\n\n-- \nJane Smith\nAcme Ltd", "The TV broke."),
        ("Hi there!\nMy order.\n\nSent from my iPhone", "My order."),
        ("The kettle leaks.\n\nJane Smith\n", "The kettle leaks."),
        ("屏幕坏了。\n\n\n\n  请  处理。\t\u200b", "屏幕坏了。\n\n请 处理。"),
        ("屏幕坏了。\r\n请处理。\r\n张三\r\n2026年11月28日", "屏幕坏了。\n请处理。"),
    ],
)
def test_what_happened_drops_greeting_signoff_and_extra_whitespace(
    text: str, expected: str
) -> None:
    assert what_happened(text, customer_name(text, "")) == expected


def test_thanks_inside_the_complaint_is_kept() -> None:
    text = "谢谢你们上次的帮助，但这次的电视又坏了。\n请尽快处理。"
    assert what_happened(text) == text


def test_what_happened_is_capped_on_a_sentence() -> None:
    text = "电视坏了，请尽快处理。" * 1000
    happened = what_happened(text)
    assert len(happened) <= MAX_WHAT_HAPPENED
    assert happened.endswith("。…")


# --- summary ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "language", "expected"),
    [
        (
            "投诉",
            "我于11月20日购买了电视，收到时屏幕破裂。请退款。",
            "zh",
            "我于11月20日购买了电视，收到时屏幕破裂。请退款。",
        ),
        (
            "Re: Complaint about late delivery",
            "My parcel arrived a week late. I want compensation. Also the box was wet.",
            "en",
            "Late delivery: My parcel arrived a week late. I want compensation…",
        ),
        (
            "电视机屏幕碎了！",
            "收到时屏幕破裂。请退款。",
            "zh",
            "电视机屏幕碎了！收到时屏幕破裂。请退款。",
        ),
        ("快递延误", "", "zh", "快递延误"),
        (
            "",
            "订单号：123456\n电话：13800138000\n我买的电视坏了。",
            "zh",
            "我买的电视坏了。",
        ),
        (
            "Damaged kettle",
            "I bought it from Mr. Lee at your St. Albans store. It is damaged. I want a refund.",
            "en",
            "Damaged kettle: I bought it from Mr. Lee at your St. Albans store. It is damaged…",
        ),
        (
            "Broken TV",
            "My broken TV was delivered on Monday.",
            "en",
            "My broken TV was delivered on Monday.",
        ),
    ],
)
def test_summary_reads_naturally(subject: str, body: str, language: str, expected: str) -> None:
    assert summarise(subject, body, language) == expected


def test_summary_keeps_a_first_line_that_is_a_sentence_with_a_colon() -> None:
    body = "I have a problem: the TV is broken.\nPlease help."
    assert summarise("", body, "en") == "I have a problem: the TV is broken. Please help."


def test_summary_skips_leading_data_lines_in_english() -> None:
    body = "Order no: 12345\nPhone: +44 20 7946 0958\nThe TV is broken."
    assert summarise("", body, "en") == "The TV is broken."


def test_summary_of_one_long_chinese_sentence_is_cut_after_a_clause() -> None:
    body = "我在贵公司购买的冰箱" + "，质量问题非常严重" * 40 + "。"
    summary = summarise("", body, "zh")
    assert len(summary) <= 200
    assert summary.endswith("质量问题非常严重…")


def test_summary_of_one_long_english_sentence_is_cut_after_a_word() -> None:
    body = "The fridge " + "and the freezer " * 40 + "broke."
    summary = summarise("", body, "en")
    assert len(summary) <= 300
    assert summary.endswith("freezer…")


@pytest.mark.parametrize("language,limit", [("zh", 200), ("en", 300)])
def test_summary_stays_within_its_limit(language: str, limit: int) -> None:
    summary = summarise("S" * 500, "Word. " * 500, language)
    assert len(summary) <= limit


# --- cost ---------------------------------------------------------------------------------


def test_a_typical_mail_is_extracted_in_a_few_milliseconds() -> None:
    """A ~2 KB mail must stay cheap: intake runs it for every mail (about 2 ms measured)."""
    text = DAMAGED_ZH + LATE_ZH + RUDE_STAFF_ZH + WRONG_ITEM_EN + REFUND_EN
    assert 1800 < len(text.encode()) < 3000
    started = time.perf_counter()
    for _ in range(20):
        extract_fields(text=text, subject="投诉", from_name="", from_address="a@example.com")
    assert (time.perf_counter() - started) / 20 < 0.025


def test_a_huge_mail_is_bounded_in_time() -> None:
    text = ("电话13800138000，订单号202611280001234，请退款。Dear Sir, refund. " * 20_000)[
        :1_000_000
    ]
    started = time.perf_counter()
    fields = extract_fields(text=text, subject="x", from_name="", from_address="a@example.com")
    assert time.perf_counter() - started < 2.0
    assert fields.phones == ("+8613800138000",)
    assert len(fields.what_happened) <= MAX_WHAT_HAPPENED
