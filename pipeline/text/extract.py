"""Record-form fields (客户投诉记录单) read from a complaint's text, in Chinese or English.

A pure module: text in, fields out. It aims for the fields a careful clerk would
type; staff confirm them in review, so a missed field costs a correction, not a case.
Everything is regular expressions over at most ``MAX_SCAN`` characters, so a
typical mail costs about a millisecond and a hostile one cannot cost much more.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from pipeline.mail.message import ExtractedFields
from pipeline.text.demands import find_demands
from pipeline.text.language import detect_language
from pipeline.text.phone_reading import read_phones
from pipeline.text.phones import MAX_SCAN, find_phones, fold_fullwidth
from pipeline.text.regions import phone_context
from pipeline.text.replies import clean_subject

__all__ = [
    "customer_email",
    "customer_name",
    "detect_language",
    "extract_fields",
    "find_demands",
    "find_order_numbers",
    "find_phones",
    "summarise",
    "what_happened",
]

DEFAULT_ORDER_PATTERN = r"\b(?:[A-Z]{2,4}-?\d{6,12}|\d{12,20})\b"
MAX_WHAT_HAPPENED = 4000
SUMMARY_LIMITS = {"zh": 200, "en": 300}

# --- names -----------------------------------------------------------------------------

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟"
    "艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞"
    "姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND = "欧阳|司马|诸葛|上官|东方|皇甫|令狐|慕容|尉迟|公孙|夏侯|长孙|宇文|司徒|端木"
_ZH_NAME = rf"(?:{_COMPOUND}|[{_SURNAMES}])[\u4e00-\u9fff]{{1,2}}?(?:先生|女士|小姐)?"
_NOT_NAMES = {"常客", "单位", "客户", "明天", "方面", "时间", "和平"}
# A name must end here: punctuation, a space, the line's end, or (after 本人) a verb.
_ZH_INTRO = re.compile(
    rf"(?:我叫|我的名字是|我是)\s*({_ZH_NAME})(?=[\s,，.。!！;；:：(（]|$)"
    rf"|本人\s*({_ZH_NAME})(?=[\s,，.。(（于在从已曾]|$)",
    re.MULTILINE,
)
_ZH_LABELLED = re.compile(
    r"(?:姓名|客户姓名|客户|顾客|联系人|投诉人|署名)\s*[:：]\s*([\u4e00-\u9fff]{2,4}(?:先生|女士|小姐)?)"
    r"(?![\u4e00-\u9fff])"
)
_ZH_SIGNATURE = re.compile(
    r"(?:此致\s*)?(?:敬礼\s*[!！。]?\s*)?"
    rf"(?:(?:投诉人|客户|顾客)\s*[:：]?\s*)?({_ZH_NAME})\s*(?:敬上|谨上|上)?"
    r"(?:\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)?"
)
_LATIN_NAME = r"[A-Z][a-zA-Z'’.\-]*(?: [A-Z][a-zA-Z'’.\-]*){0,3}"
_EN_INTRO = re.compile(rf"\b[Mm]y name is ({_LATIN_NAME})")
_EN_SIGNOFF = re.compile(
    r"^(?:best regards|kind regards|warm regards|warmest regards|regards|sincerely|"
    r"yours sincerely|sincerely yours|yours faithfully|yours truly|many thanks|thanks|"
    r"thank you|best wishes|best|cheers)\s*[,.!]?\s*(.*)$",
    re.IGNORECASE,
)
_NOT_PERSON = re.compile(
    r"service|support|noreply|no-reply|admin|info|team|customer|sales|office|mailer|daemon|"
    r"客服|服务|官方|公司|团队|管理员|系统|中心",
    re.IGNORECASE,
)
_NAME_WORDS_NOT_NAMES = {
    "thanks",
    "thank",
    "regards",
    "sent",
    "from",
    "dear",
    "hello",
    "sincerely",
    "please",
    "help",
    "the",
    "my",
    "your",
    "urgent",
    "you",
}


def customer_name(text: str, from_name: str) -> str:
    """The display name if it looks like a person, else a name the text gives."""
    display = " ".join(from_name.strip().strip("'\"").split())
    if _is_person(display):
        return display
    return _stated_name(text) or _signature_name(text)


def _is_person(name: str) -> bool:
    """Whether a display name reads as a person, not an address, handle or department."""
    if not name or len(name) > 40 or "@" in name or re.search(r"\d", name):
        return False
    if _NOT_PERSON.search(name):
        return False
    if re.search(r"[\u4e00-\u9fff]", name):
        return bool(re.fullmatch(_ZH_NAME, name)) and name not in _NOT_NAMES
    words = name.split()
    # A single lower-case word ("zhangsan") is a mailbox handle, not a name.
    return 0 < len(words) <= 4 and not (len(words) == 1 and name.islower())


def _stated_name(text: str) -> str:
    """A name the customer gives: "我叫张三", "姓名：张三", "My name is Jane Smith"."""
    for found in (_ZH_LABELLED.search(text), _ZH_INTRO.search(text), _EN_INTRO.search(text)):
        if found:
            name = next(group for group in found.groups() if group)
            if name not in _NOT_NAMES:
                return name.strip()
    return ""


def _signature_name(text: str) -> str:
    """The name under a sign-off ("Regards,\\nJane") or alone near the end ("张三\\n2026年…")."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()][-8:]
    for index, line in enumerate(lines):
        signoff = _EN_SIGNOFF.match(line)
        if signoff:
            candidates = [signoff.group(1), *lines[index + 1 : index + 2]]
            for candidate in candidates:
                if _is_latin_name(candidate.strip(" ,.")):
                    return candidate.strip(" ,.")
    for line in reversed(lines[-4:]):
        found = _ZH_SIGNATURE.fullmatch(line)
        if found and found.group(1) not in _NOT_NAMES:
            return found.group(1)
    # "…leaks.\n\nJane Smith": a bare full name (two words at least) under the text.
    last = lines[-1] if len(lines) > 1 else ""
    return last if len(last.split()) >= 2 and _is_latin_name(last) else ""


def _is_latin_name(candidate: str) -> bool:
    words = candidate.split()
    return (
        bool(re.fullmatch(_LATIN_NAME, candidate))
        and len(candidate) <= 40
        and not any(word.lower() in _NAME_WORDS_NOT_NAMES for word in words)
    )


# --- contact e-mail and order numbers ---------------------------------------------------

_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
_CONTACT_EMAIL = re.compile(
    r"(?:联系邮箱|电子邮箱|电子邮件|邮箱地址|邮件地址|邮箱|contact e-?mail|e-?mail address|"
    r"e-?mail|reply to|write to me at|reach me at)\s*(?:is|为|是|:|me at|at)?\s*:?\s*<?"
    rf"({_EMAIL})",
    re.IGNORECASE,
)
_ORDER_LABELLED = re.compile(
    r"(?:订单号码|订单编号|订单号|订单|运单号|快递单号|物流单号|单号|"
    r"(?<![A-Za-z])(?:order\s*(?:no\.?|number|num|id|#)?|tracking\s*(?:no\.?|number|#)?|"
    r"waybill\s*(?:no\.?|number)?))\s*(?:is|为|是)?\s*[:#]?\s*"
    # Not a date: "订单2026年11月…", "order 2026-11-28".
    r"(?!\d{4}-\d{1,2}-\d{1,2}\b)([A-Za-z0-9][A-Za-z0-9\-]{4,39})(?![年月日号])",
    re.IGNORECASE,
)


def customer_email(text: str, from_address: str) -> str:
    """The sender's address, unless the text names another one to write to."""
    found = _CONTACT_EMAIL.search(fold_fullwidth(text[:MAX_SCAN]))
    address = found.group(1) if found else from_address
    return address.strip().rstrip(".").lower()


@lru_cache(maxsize=8)
def _order_regex(pattern: str) -> re.Pattern[str]:
    # ASCII: with Unicode \b, "订单号202611280001234" has no word boundary before the
    # digits (Han characters are word characters) and the number would be missed.
    return re.compile(pattern, re.ASCII)


def find_order_numbers(
    text: str, pattern: str = DEFAULT_ORDER_PATTERN, phones: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """Order (and waybill) numbers in order of appearance; phone numbers never count."""
    folded = fold_fullwidth(text[:MAX_SCAN])
    spans: list[tuple[int, int, str]] = []
    for found in _ORDER_LABELLED.finditer(folded):
        value = found.group(1).rstrip("-")
        if sum(char.isdigit() for char in value) >= 4:
            spans.append((found.start(1), found.start(1) + len(value), value))
    for found in _order_regex(pattern).finditer(folded):
        if not any(start < found.end() and found.start() < end for start, end, _ in spans):
            spans.append((found.start(), found.end(), found.group()))
    phone_forms = _phone_forms(phones)
    kept: dict[str, str] = {}
    for _, _, value in sorted(spans):
        if re.sub(r"\D", "", value) not in phone_forms or re.search(r"[A-Za-z]", value):
            kept.setdefault(value.upper().replace("-", ""), value)
    return tuple(kept.values())


def _phone_forms(phones: tuple[str, ...]) -> set[str]:
    """Every way a found phone number's digits can be written without separators."""
    forms = set()
    for e164 in phones:
        number = phonenumbers.parse(e164, None)
        national, code = str(number.national_number), str(number.country_code)
        forms |= {national, "0" + national, code + national, "00" + code + national}
    return forms


# --- what happened ----------------------------------------------------------------------

_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_GREETING = re.compile(
    r"^\s*(?:(?:尊敬的|亲爱的)[^\n，,:：!！。]{0,20}|您好|你好|你们好|大家好|"
    r"dear\s+[^\n,:!]{1,60}?|(?:hello|hi|hey|good (?:morning|afternoon|evening))(?:\s+\w+){0,3}|"
    r"to whom it may concern)\s*(?:[,，:：!！。]+|\n|$)\s*",
    re.IGNORECASE,
)
_SIGNOFF_LINE = re.compile(
    r"^(?:此致|敬礼|谢谢|多谢|感谢|顺祝商祺|顺颂商祺|祝好|[!！。\s])+$"
    r"|^(?:best regards|kind regards|warm regards|warmest regards|regards|sincerely|"
    r"yours sincerely|sincerely yours|yours faithfully|yours truly|many thanks|thanks|"
    r"thank you|best wishes|best|cheers)\b[\s,.!]*(?:[A-Z][\w'’.\-]*\s*){0,4}$"
    r"|^--\s*$|^(?:sent from|get outlook for|发自我的|来自我的)",
    re.IGNORECASE,
)
_DATE_LINE = re.compile(
    r"^(?:\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|"
    r"\d{1,2}\s+[A-Z][a-z]+\s+\d{4}|[A-Z][a-z]+\s+\d{1,2},?\s+\d{4})\s*$"
)


def what_happened(text: str, name: str = "") -> str:
    """The complaint text without greeting, sign-off and signature, whitespace tidied."""
    lines = _tidy_lines(text[:MAX_SCAN])
    body = "\n".join(lines).strip()
    for _ in range(3):  # "尊敬的客服：\n您好！" is two greetings
        body = _GREETING.sub("", body, count=1)
    lines = _trim_signature(body.split("\n"), name)
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return _cap(body, MAX_WHAT_HAPPENED)


def _tidy_lines(text: str) -> list[str]:
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\t", " ").replace("\u00a0", " ").replace("\u3000", " ")
    return [" ".join(line.split()) for line in text.split("\n")]


def _trim_signature(lines: list[str], name: str) -> list[str]:
    """Cut from a sign-off near the end, then trailing name and date lines."""
    content = [index for index, line in enumerate(lines) if line]
    for index in content[-8:]:
        if _SIGNOFF_LINE.match(lines[index]):
            lines = lines[:index]
            break
    while lines and (not lines[-1] or _is_signature_line(lines[-1], name)):
        lines = lines[:-1]
    return lines


def _is_signature_line(line: str, name: str) -> bool:
    if _DATE_LINE.match(line) or (name and line.strip(" ,.-") == name):
        return True
    found = _ZH_SIGNATURE.fullmatch(line)
    return found is not None and found.group(1) not in _NOT_NAMES


def _cap(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut after a sentence when one ends late enough."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    ends = [found.end() for found in _SENTENCE_END.finditer(head)]
    cut = ends[-1] if ends and ends[-1] > limit * 3 // 4 else len(head)
    return head[:cut].rstrip() + "…"


# --- summary ----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[。！？!?]+[”’」』）)]*|(?<!\b\d)\.(?=\s|$)")
_ABBREVIATIONS = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|No|St|Jr|Sr|vs|etc|e\.g|i\.e|approx|Ltd|Co|Inc|Tel|Ref)\.$", re.I
)
_SUBJECT_PREFIX = re.compile(
    r"^(?:关于)?(?:客户)?投诉(?:信|建议)?\s*[:：\-—]?\s*"
    r"|^(?:a\s+|formal\s+|customer\s+)*complaint\s*(?:about|regarding|re|on|[:\-–—])?\s*",
    re.IGNORECASE,
)
_GENERIC_SUBJECTS = {
    "",
    "投诉",
    "问题",
    "反馈",
    "建议",
    "紧急",
    "无主题",
    "complaint",
    "help",
    "urgent",
    "hello",
    "hi",
    "question",
    "feedback",
    "(no subject)",
    "no subject",
}
# "订单号：…", "Phone number: …": a short label, then a value with a digit or an "@".
_DATA_LINE = re.compile(
    r"^[^\s。！？.!?:：]{1,12}(?: [^\s:：]+){0,2}\s*[:：]\s*[^。！？]{0,40}[\d@]"
)


def summarise(subject: str, happened: str, language: str) -> str:
    """One short restatement for the acknowledgment: the topic, then the first sentences."""
    limit = SUMMARY_LIMITS.get(language, SUMMARY_LIMITS["en"])
    topic = _topic(subject, language)
    body = _joined_body(happened, language)
    if topic and topic.casefold() in body[: len(topic) + 200].casefold():
        topic = ""
    if not body:
        return _cap(topic, limit)
    if not topic:
        return _first_sentences(body, limit)
    if topic[-1] in "。！？!?.":
        separator = "" if language == "zh" else " "
    else:
        separator = "：" if language == "zh" else ": "
    topic = _cap(topic, limit // 2)
    return topic + separator + _first_sentences(body, limit - len(topic) - len(separator))


def _topic(subject: str, language: str) -> str:
    """The subject when it says more than "complaint", without reply prefixes."""
    topic = _SUBJECT_PREFIX.sub("", clean_subject(subject)).strip(" :：-—")
    if topic.casefold() in _GENERIC_SUBJECTS:
        return ""
    return topic[:1].upper() + topic[1:] if language == "en" else topic


def _joined_body(happened: str, language: str) -> str:
    """The text as one paragraph, without leading "订单号：…"/"Phone: …" data lines."""
    lines = [line for line in happened.split("\n") if line.strip()]
    while len(lines) > 1 and _DATA_LINE.match(lines[0]) and len(lines[0]) <= 60:
        lines = lines[1:]
    joined = ""
    for line in lines:
        # Chinese needs no space between lines, unless they end in a number or a word.
        glue = "" if language == "zh" and not joined[-1:].isascii() else " "
        joined = f"{joined}{glue}{line}" if joined else line
        if len(joined) > 2 * SUMMARY_LIMITS["en"]:
            break  # more than any summary can quote
    return joined


def _first_sentences(body: str, budget: int, most: int = 2) -> str:
    """Whole sentences that fit in ``budget``; "…" marks that the text goes on."""
    ends = _sentence_ends(body, budget, most)
    if not ends:
        return _cut_in_sentence(body, budget)
    summary = body[: ends[-1]].strip()
    if ends[-1] >= len(body.rstrip()):
        return summary
    return (summary[:-1] if summary[-1] in "。." else summary) + "…"


def _sentence_ends(body: str, budget: int, most: int) -> list[int]:
    """Up to ``most`` sentence ends within ``budget``, skipping "Mr." and "No."."""
    ends: list[int] = []
    for found in _SENTENCE_END.finditer(body, 0, budget + 1):
        if len(ends) == most:
            break
        if not _ABBREVIATIONS.search(body[max(0, found.end() - 6) : found.end()]):
            ends.append(found.end())
    return ends


def _cut_in_sentence(body: str, budget: int) -> str:
    """A first sentence too long to quote whole: cut after a clause, else a word."""
    if len(body) <= budget:
        return body
    head = body[: budget - 1]
    clause = max(head.rfind(mark) for mark in "，,；;、")
    if clause > budget // 2:
        return head[:clause] + "…"
    space = head.rfind(" ")
    return (head[:space] if space > budget // 2 else head).rstrip() + "…"


# --- all fields -------------------------------------------------------------------------


def extract_fields(
    *,
    text: str,
    subject: str,
    from_name: str,
    from_address: str,
    default_region: str = "CN",
    order_pattern: str = DEFAULT_ORDER_PATTERN,
    default_language: str = "",
) -> ExtractedFields:
    """All record-form fields we can read from one complaint mail.

    ``default_language`` (the mailbox's) is the language when the text is too short
    to tell. Phone numbers are read in the customer's region: the sender's country
    domain, the address in the signature block, the language (see ``regions``).
    """
    text = text[:MAX_SCAN]
    language = detect_language(f"{subject}\n{text}", default_language)
    context = phone_context(
        from_address=from_address,
        address_text=signature_block(text),
        text=text,
        language=language,
        fallback=default_region,
    )
    reading = read_phones(text, context)
    phones = reading.phones
    name = customer_name(text, from_name)
    happened = what_happened(text, name)
    return ExtractedFields(
        customer_name=name,
        customer_email=customer_email(text, from_address),
        phones=phones,
        order_numbers=find_order_numbers(
            f"{subject}\n{text}", order_pattern, reading.candidates
        ),
        language=language,
        what_happened=happened,
        demands=find_demands(f"{subject}\n{text}"),
        summary=summarise(subject, happened, language),
        phone=reading.best,
        phone_written=reading.best_written,
        phones_unsure=reading.unsure,
        phone_candidates=reading.candidates,
    )


def signature_block(text: str) -> str:
    """The last lines of a mail, where a customer's address and sign-off usually are.

    Only these count as an address for the phone region: "I bought it in Hong Kong"
    in the story says nothing about where the customer lives.
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-8:])
