"""The Jinja2 environment for letter templates, with admins' overrides.

One environment, with autoescaping decided by the template's name: ``*.html.j2`` is
always escaped, ``*.txt.j2``, ``*.letter.j2`` and ``*.subject.j2`` never are. Tying it to the name
(rather than to which environment a caller picked) means an HTML template cannot be
rendered unescaped by mistake. Customer text (names, summaries) only ever enters as
context data, never as template source, so ``{{ 7*7 }}`` in a complaint stays literal.

Admins may replace any template from the console (see ``pipeline.templates``). The
package stays a leaf: it does not know the database, it asks an :class:`Overrides`
source that the application installs. Template source written by admins is untrusted
code, so the environment is a ``SandboxedEnvironment`` (no ``__class__`` walks, no
calling unsafe methods). Compiled templates are cached by Jinja and re-checked on each
use through ``uptodate``, which asks the source for the latest version number only:
one small indexed query per template, and the text is loaded and compiled again only
when a new version was saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from types import CodeType
from typing import Any, Protocol

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound
from jinja2.bccache import Bucket, BytecodeCache
from jinja2.sandbox import SandboxedEnvironment

TEMPLATES = Path(__file__).parent / "templates"
SUFFIXES = (".html.j2", ".txt.j2", ".letter.j2", ".subject.j2")


class Overrides(Protocol):
    """Where admins' versions of templates live (the database, in the application)."""

    def latest_version(self, name: str) -> tuple[int, str] | None:
        """The newest saved version of ``name`` and a stamp that tells it apart from any
        other save (when it was saved), or None when the file is used."""

    def body(self, name: str, version: int) -> str:
        """The text of one saved version."""


_overrides: Overrides | None = None
_trial: ContextVar[Environment | None] = ContextVar("letters_trial", default=None)
_captured: ContextVar[list[tuple[str, dict[str, Any]]] | None] = ContextVar(
    "letters_captured", default=None)


def install_overrides(source: Overrides | None) -> None:
    """Make every later render consult ``source`` (None: the files only)."""
    global _overrides
    _overrides = source


def _escape_html(name: str | None) -> bool:
    return name is not None and name.endswith(".html.j2")


def template_names() -> list[str]:
    """Every template shipped in ``letters/templates``, sorted."""
    return sorted(p.name for p in TEMPLATES.iterdir() if p.name.endswith(SUFFIXES))


def file_source(name: str) -> str:
    """The shipped text of a template (what a revert to "no override" gives)."""
    if name not in template_names():
        raise TemplateNotFound(name)
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _latest(name: str) -> tuple[int, str] | None:
    return _overrides.latest_version(name) if _overrides is not None else None


class LetterLoader(BaseLoader):
    """Admins' latest version when there is one, else the shipped file."""

    def get_source(self, environment: Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        latest = _latest(template)
        if latest is not None and _overrides is not None:
            return (_overrides.body(template, latest[0]), None,
                    lambda: _latest(template) == latest)
        path = TEMPLATES / template
        if template not in template_names():
            raise TemplateNotFound(template)
        mtime = path.stat().st_mtime
        return (path.read_text(encoding="utf-8"), str(path),
                lambda: _latest(template) is None and path.stat().st_mtime == mtime)


class _DraftLoader(LetterLoader):
    """One template replaced by a draft, for checking and previewing it before saving."""

    def __init__(self, name: str, body: str) -> None:
        self.name, self.body = name, body

    def get_source(self, environment: Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template == self.name:
            return self.body, None, lambda: False
        return super().get_source(environment, template)


class _CompiledCode(BytecodeCache):
    """Compiled template code, kept in memory by template and source checksum for every
    environment built here.

    A draft is checked by rendering every sample letter in an environment of its own,
    so that the letters including it see the draft. Each check used to compile every
    template again (72 loads), though only the draft's source had changed: 0.23 s of CPU
    per save in the console (0.04 s now), 40-66 s for the test suite's checks.

    The code Jinja compiles depends only on the source, the name, the file name and the
    environment's settings, which are the same for every environment built here. Jinja
    binds it to a new template object in each environment, so includes still resolve
    through the environment that renders. One entry per template and file: a new
    version of a template replaces its old code.
    """

    def __init__(self) -> None:
        self._codes: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        held = self._codes.get(bucket.key)
        if held is not None and held[0] == bucket.checksum:
            bucket.code = held[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self._codes[bucket.key] = (bucket.checksum, bucket.code)


_COMPILED = _CompiledCode()


def _build(loader: BaseLoader) -> Environment:
    return SandboxedEnvironment(
        loader=loader,
        bytecode_cache=_COMPILED,
        autoescape=_escape_html,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def environment() -> Environment:
    """Build the environment once; StrictUndefined makes a template typo fail loudly."""
    return _build(LetterLoader())


@contextmanager
def trial(name: str, body: str) -> Iterator[Environment]:
    """Render with ``body`` standing in for template ``name`` (nothing is saved or cached)."""
    env = _build(_DraftLoader(name, body))
    token = _trial.set(env)
    try:
        yield env
    finally:
        _trial.reset(token)


@contextmanager
def capture() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Record the name and context of every template rendered inside the block."""
    seen: list[tuple[str, dict[str, Any]]] = []
    token = _captured.set(seen)
    try:
        yield seen
    finally:
        _captured.reset(token)


def render_template(name: str, context: dict[str, Any]) -> str:
    """Render one template (admins' override or the file from ``letters/templates``)."""
    seen = _captured.get()
    if seen is not None:
        seen.append((name, dict(context)))
    env = _trial.get() or environment()
    return env.get_template(name).render(**context)


def render_subject(name: str, context: dict[str, Any]) -> str:
    """Render a ``*.subject.j2`` template as one line (a subject has no line breaks)."""
    return " ".join(render_template(name, context).split())


def render_blocks(name: str, context: dict[str, Any]) -> dict[str, str]:
    """Render each ``{% block %}`` of a template on its own: a letter built of phrases."""
    seen = _captured.get()
    if seen is not None:
        seen.append((name, dict(context)))
    env = _trial.get() or environment()
    template = env.get_template(name)
    return {key: "".join(block(template.new_context(dict(context))))
            for key, block in template.blocks.items()}


def render_pair(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``name.txt.j2`` and ``name.html.j2`` with the same context."""
    return render_template(f"{name}.txt.j2", context), render_template(f"{name}.html.j2", context)
