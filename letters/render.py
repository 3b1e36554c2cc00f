"""The Jinja2 environment for letter templates.

One environment, with autoescaping decided by the template's name: ``*.html.j2`` is
always escaped, ``*.txt.j2`` never is. Tying it to the name (rather than to which
environment a caller picked) means an HTML template cannot be rendered unescaped by
mistake. Customer text (names, summaries) only ever enters as context data, never as
template source, so ``{{ 7*7 }}`` in a complaint stays literal text.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"


def _escape_html(name: str | None) -> bool:
    return name is not None and name.endswith(".html.j2")


@cache
def environment() -> Environment:
    """Build the environment once; StrictUndefined makes a template typo fail loudly."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=_escape_html,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(name: str, context: dict[str, Any]) -> str:
    """Render one template file from ``letters/templates``."""
    return environment().get_template(name).render(**context)


def render_pair(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``name.txt.j2`` and ``name.html.j2`` with the same context."""
    return render_template(f"{name}.txt.j2", context), render_template(f"{name}.html.j2", context)
