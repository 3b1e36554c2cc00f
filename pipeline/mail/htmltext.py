"""Plain text from HTML mail, for search, extraction and letters (never for display).

This is one linear regular-expression pass, not an HTML parser. The standard library's
``HTMLParser`` is quadratic on hostile markup (20,000 ``<a`` take 2 s, 500,000 take
many minutes) and html5ever (nh3) is quadratic on deep nesting (20,000 ``<div>``
take 1.5 s); a customer's mail must never stall a worker. Every step below moves
forward (each token pattern, once started, always matches), so the cost is linear. The
raw HTML is kept separately and sanitised with nh3 before anyone sees it.
"""

from __future__ import annotations

import html
import re

# Blocks that end a paragraph (a blank line) and blocks that only end a line.
_PARAGRAPHS = frozenset(
    {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "pre", "table", "ul"}
)
_LINES = frozenset(
    {
        "address",
        "article",
        "aside",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "footer",
        "form",
        "header",
        "li",
        "section",
        "tr",
    }
)
_CELLS = frozenset({"td", "th"})
# One token pattern for everything that is not text. Comments end at "-->" or at the
# end of the text, doctypes and processing instructions at ">", tags at ">" or the end:
# every alternative always matches once it starts, so the engine never rescans.
_MARKUP = re.compile(
    r"<(?:!--[^-]*(?:-(?!->)[^-]*)*(?:-->)?"
    r"|[!?][^>]*>?"
    r"|/?([A-Za-z][A-Za-z0-9]*)[^>]*>?)"
)
# Elements whose content is never text a person reads in the mail. (``noscript`` is
# shown: mail clients never run scripts. ``head`` is not skipped as a whole: a missing
# ``</head>`` would swallow the whole mail.)
_SKIPPED_NAMES = ("script", "style", "title", "template", "xml")
_SKIPPED = re.compile(rf"<(?i:({'|'.join(_SKIPPED_NAMES)}))(?![A-Za-z0-9])")
# Searched case-insensitively in place: ``str.lower()`` can change a text's length
# ("İ" becomes two characters), so positions in a lowered copy are not positions here.
_CLOSING = {name: re.compile(rf"</(?i:{name})") for name in _SKIPPED_NAMES}
# Markers for block boundaries, kept until whitespace is collapsed.
_LINE, _PARAGRAPH = "\x00", "\x01"
_BREAKS = re.compile(r"([\x00\x01][\x00\x01\s]*)")  # no leading \s*: quadratic on long spaces


def html_to_text(markup: str) -> str:
    """Readable plain text: scripts and styles dropped, blocks on their own lines."""
    markup = _without_skipped(markup.replace(_LINE, "").replace(_PARAGRAPH, ""))
    text = html.unescape(_markers(markup))
    pieces = _BREAKS.split(text)
    for index, piece in enumerate(pieces):
        if index % 2:  # a run of block boundaries: one line or one paragraph break
            pieces[index] = "\n\n" if _PARAGRAPH in piece else "\n"
        else:
            pieces[index] = " ".join(piece.split())
    return "".join(pieces).strip()


def _names(names: frozenset[str]) -> str:
    return "|".join(sorted(names, key=len, reverse=True))


# The same tokens as ``_MARKUP``, replaced kind by kind with constant strings: no Python
# call per tag, so 200,000 tags cost milliseconds, not most of a second.
_NOT_TAGS = re.compile(r"<(?:!--[^-]*(?:-(?!->)[^-]*)*(?:-->)?|[!?][^>]*>?)")
_TAG_PASSES = (
    (re.compile(rf"</?(?:{_names(_PARAGRAPHS)})(?![a-z0-9])[^>]*>?", re.I | re.A), _PARAGRAPH),
    (re.compile(rf"</?(?:{_names(_LINES)})(?![a-z0-9])[^>]*>?", re.I | re.A), _LINE),
    (re.compile(rf"</?(?:{_names(_CELLS)})(?![a-z0-9])[^>]*>?", re.I | re.A), " "),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9]*[^>]*>?"), ""),
)


def _markers(markup: str) -> str:
    """Markup removed; block boundaries left as markers and table cells as spaces."""
    if "<" not in markup:
        return markup
    markup = _NOT_TAGS.sub("", markup)
    for pattern, replacement in _TAG_PASSES:
        markup = pattern.sub(replacement, markup)
    return markup


def _replace_tag(found: re.Match[str]) -> str:
    name = (found.group(1) or "").lower()
    if name in _PARAGRAPHS:
        return _PARAGRAPH
    if name in _LINES:
        return _LINE
    return " " if name in _CELLS else ""


def _without_skipped(markup: str) -> str:
    """The markup minus script/style/... elements; an unclosed one runs to the end."""
    found = _SKIPPED.search(markup)
    if found is None:
        return markup
    kept: list[str] = []
    position = 0
    while found is not None:
        kept.append(markup[position : found.start()])
        closing = _CLOSING[found.group(1).lower()].search(markup, found.end())
        if closing is None:
            return "".join(kept)
        end = markup.find(">", closing.end())
        position = len(markup) if end < 0 else end + 1
        found = _SKIPPED.search(markup, position)
    kept.append(markup[position:])
    return "".join(kept)
