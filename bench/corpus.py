"""Synthetic complaint corpus for the benchmarks: plain, HTML, attachments, and a third
Chinese in UTF-8, GBK and Big5, each with a unique Message-ID."""

from __future__ import annotations

import random
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from pipeline.db.base import utcnow

EN = (
    "Dear Sir or Madam,\n\nI ordered a {item} (order AB-{order}) and it arrived {problem}. "
    "I have been a customer for years and expected better. Please {ask}.\n\n"
    "You can call me on +44 20 7946 {tail}.\n\nRegards,\n{name}\n"
)
ZH = (
    "您好：\n\n我在贵公司购买的{item}（订单号 JD-{order}）{problem}，"
    "已经联系过客服但没有结果。请尽快{ask}。\n我的电话：138{tail}5678\n\n{name}\n"
)
EN_ITEMS = ["kettle", "washing machine", "rice cooker", "vacuum cleaner", "blender"]
EN_PROBLEMS = ["broken", "nine days late", "with parts missing", "in the wrong colour"]
EN_ASKS = ["refund me", "send a replacement", "compensate me for the delay", "repair it"]
ZH_ITEMS = ["电饭煲", "洗衣机", "空调", "热水器", "吸尘器"]
ZH_PROBLEMS = ["外壳破损", "迟到了一周", "少了配件", "无法开机"]
ZH_ASKS = ["退款", "换货", "赔偿损失", "上门维修"]
ZH_NAMES = ["张伟", "李喆", "王芳", "陈堃", "刘洋"]
EN_NAMES = ["Jane Smith", "Tom Brown", "Alice Green", "Bob White", "Carol King"]


def _base(i: int, sender: str, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "complaints@shop.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(idstring=f"bench{i}", domain="customer.example")
    return msg


def english(i: int, rng: random.Random) -> bytes:
    name = rng.choice(EN_NAMES)
    body = EN.format(
        item=rng.choice(EN_ITEMS),
        order=10_000_000 + i,
        problem=rng.choice(EN_PROBLEMS),
        ask=rng.choice(EN_ASKS),
        tail=f"{i % 10000:04d}",
        name=name,
    )
    msg = _base(i, f"{name} <c{i}@customer.example>", f"Complaint about order AB-{10_000_000 + i}")
    kind = i % 3
    if kind == 0:
        msg.set_content(body)
    elif kind == 1:
        html = "".join(f"<p>{line}</p>" for line in body.splitlines() if line)
        msg.set_content(body)
        msg.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
    else:
        msg.set_content(body)
        msg.add_attachment(
            rng.randbytes(20_000), maintype="image", subtype="jpeg", filename="photo.jpg"
        )
    return bytes(msg)


def chinese(i: int, rng: random.Random) -> bytes:
    name = rng.choice(ZH_NAMES)
    body = ZH.format(
        item=rng.choice(ZH_ITEMS),
        order=20_000_000 + i,
        problem=rng.choice(ZH_PROBLEMS),
        ask=rng.choice(ZH_ASKS),
        tail=f"{i % 10000:04d}",
        name=name,
    )
    charset = ("utf-8", "gbk", "big5")[i % 3]
    if charset == "big5":
        body = body.replace("贵公司购买的", "貴公司購買的")
    msg = _base(i, f"{name} <c{i}@customer.example>", f"投诉：订单 JD-{20_000_000 + i}")
    raw = bytes(msg)[:-1] if bytes(msg).endswith(b"\n") else bytes(msg)
    label = "gb2312" if charset == "gbk" else charset
    encoded = body.encode(
        "gbk" if charset == "gbk" else "big5hkscs" if charset == "big5" else "utf-8", "replace"
    )
    head = raw.rstrip(b"\r\n") + (
        f"\nMIME-Version: 1.0\nContent-Type: text/plain; charset={label}\n"
        "Content-Transfer-Encoding: 8bit\n\n"
    ).encode("ascii")
    return head + encoded


def corpus(n: int, seed: int = 7) -> list[bytes]:
    """n mails: two thirds English of three shapes, one third Chinese in three charsets."""
    rng = random.Random(seed)
    return [chinese(i, rng) if i % 3 == 2 else english(i, rng) for i in range(n)]
