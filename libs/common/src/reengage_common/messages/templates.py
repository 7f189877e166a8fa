"""Message templates: Jinja2 in a locked-down sandbox, compiled once, rendered per patient.

Real patients have gaps (no completed visit yet, no name on file): every filter takes a missing
value (None or blank text) without failing. `ago` says "a while ago", every other filter gives
nothing, and `default(...)` (alias `d`) replaces a missing value, or a filter's stand-in for
one, with the template's own words:

    {{ patient.lastVisitDate | ago }}                           -> "a while ago"
    {{ patient.lastVisitDate | ago | default("some time ago") }} -> "some time ago"
    {{ patient.firstName | default("there") }}                  -> "there"
"""

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.dates import format_date, format_timedelta
from babel.numbers import format_currency
from jinja2 import (
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    Undefined,
    UndefinedError,
    pass_context,
)
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from reengage_common.messages.template_checks import (
    TemplateInspection,
    TemplateProblem,
    inspect_template,
)

# Render settings travel in the context under names no template may use (inspect_template
# refuses every name that is not a merge field), so filters can read them.
_NOW, _CURRENCY, _LOCALE = "__rendered_at", "__currency", "__locale"

# Built-in filters that cannot amplify a value: no padding widths, repeats or re-escaping that
# would let a short template produce a huge message.
_SAFE_BUILTIN_FILTERS = frozenset(
    {"abs", "capitalize", "count", "first", "int", "last", "length", "lower"}
    | {"round", "string", "striptags", "title", "trim", "truncate", "upper", "wordcount"}
)
AGO_FALLBACK = "a while ago"


class Fallback(str):
    """A filter's stand-in for a missing value ("a while ago", or nothing). Falsy, so that
    `default(...)` and `{% if %}` still see the value as missing."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False


def is_missing(value: Any) -> bool:
    """None, blank text, or a filter's stand-in for either: what a patient's record lacks."""
    if value is None or isinstance(value, Fallback):
        return True
    return isinstance(value, str) and not value.strip()


class TemplateRefused(ValueError):
    """The template is not valid Jinja or uses something not allowed; one problem per line."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


class TemplateRenderFailed(ValueError):
    """The template could not be rendered with this merge data (e.g. a field is missing)."""


class RenderedTooLarge(TemplateRenderFailed):
    """The rendered text would pass `limit` characters; rendering stopped there."""

    def __init__(self, limit: int, part: str = "message") -> None:
        super().__init__(f"the rendered {part} is longer than {limit:,} characters")
        self.limit = limit
        self.part = part


# What any one rendered part may reach when its caller names no tighter limit (an email body's
# limit, the largest of the channels'): a template of 20,000 characters repeating a long merge
# value would otherwise build hundreds of megabytes.
RENDERED_MAX_CHARS = 100_000


class _OutreachSandbox(ImmutableSandboxedEnvironment):
    # Constant folding is off for these, so even literals meet call_binop at render time.
    intercepted_binops = frozenset({"**", "*", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the power operator ** is not allowed in message templates")
        # On text, * repeats and % pads: both turn a few characters into gigabytes.
        if not (_is_number(left) and _is_number(right)):
            raise SecurityError(f"'{operator}' works on numbers only in message templates")
        return super().call_binop(context, operator, left, right)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal)


def _moment(value: Any) -> date | datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return _moment(parsed)
    raise ValueError(f"{value!r} is not a date")


@pass_context
def _ago(context: Context, value: Any) -> str:
    if is_missing(value):
        return Fallback(AGO_FALLBACK)
    when, now = _moment(value), context[_NOW]
    # A bare date has no time of day: count whole days, so the hour of `now` changes nothing.
    delta = when - now if isinstance(when, datetime) else timedelta(days=(when - now.date()).days)
    return _relative_time(delta, context[_LOCALE])


# Dates are whole days, so a campaign's thousands of messages share a few dozen phrases; babel
# is slow to word each (docs/perf.md).
@lru_cache(maxsize=4096)
def _relative_time(delta: timedelta, locale: str) -> str:
    return format_timedelta(delta, add_direction=True, locale=locale)


@pass_context
def _date(context: Context, value: Any, style: str = "long") -> str:
    if is_missing(value):
        return Fallback()
    return format_date(_moment(value), format=style, locale=context[_LOCALE])


@pass_context
def _money(context: Context, cents: Any, currency: str | None = None) -> str:
    if is_missing(cents):
        return Fallback()
    if isinstance(cents, bool) or not isinstance(cents, int | str):
        raise ValueError(f"money expects a whole number of cents, not {cents!r}")
    amount = Decimal(int(cents)) / 100
    return format_currency(amount, currency or context[_CURRENCY], locale=context[_LOCALE])


def _default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    # Jinja's own default replaces only an undefined name; merge data is always defined, and a
    # gap in it is None or blank, so those (and a filter's stand-in) count as missing here.
    if isinstance(value, Undefined) or is_missing(value) or (boolean and not value):
        return default_value
    return value


def _passing_missing_values(builtin: Callable[..., Any]) -> Callable[..., Any]:
    """`builtin` that hands a missing value on as missing (None.upper() or first(None) would
    print "NONE" or fail), so a `default` further down the chain still applies. A stand-in
    with words ("a while ago") is changed like any text: `| capitalize` at a sentence start."""
    # Jinja passes the environment first to filters marked for it (wraps copies the mark).
    position = 1 if hasattr(builtin, "jinja_pass_arg") else 0

    @functools.wraps(builtin)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        value = args[position]
        if not is_missing(value):
            return builtin(*args, **kwargs)
        if not isinstance(value, Fallback) or not len(value):
            return Fallback()
        shown = builtin(*args[:position], str(value), *args[position + 1 :], **kwargs)
        return Fallback(shown) if isinstance(shown, str) else shown

    return guarded


def _blank_for_none(value: Any) -> Any:
    # Real patient data has gaps; "Dear None" is worse than "Dear ".
    return "" if value is None else value


def _outreach_environment() -> _OutreachSandbox:
    environment = _OutreachSandbox(
        autoescape=False, undefined=StrictUndefined, finalize=_blank_for_none
    )
    environment.globals.clear()  # range, dict, lipsum, cycler, joiner, namespace
    environment.filters = {
        **{
            name: _passing_missing_values(environment.filters[name])
            for name in _SAFE_BUILTIN_FILTERS
        },
        "default": _default,
        "d": _default,
        "ago": _ago,
        "date": _date,
        "money": _money,
    }
    return environment


_ENVIRONMENT = _outreach_environment()
FILTERS: frozenset[str] = frozenset(_ENVIRONMENT.filters)
_TESTS: frozenset[str] = frozenset(_ENVIRONMENT.tests)


@dataclass(frozen=True)
class CompiledTemplate:
    """A checked, compiled template; `merge_fields` are the dotted fields it uses."""

    source: str
    merge_fields: frozenset[str]
    compiled: Template = field(repr=False, compare=False)

    def render(
        self,
        merge_data: Mapping[str, Any],
        *,
        now: datetime,
        currency: str = "USD",
        locale: str = "en",
        limit: int = RENDERED_MAX_CHARS,
    ) -> str:
        """Raises TemplateRenderFailed, e.g. when a used merge field is missing, and
        RenderedTooLarge once the text passes `limit` characters."""
        context = {**merge_data, _NOW: now, _CURRENCY: currency, _LOCALE: locale}
        try:
            return _bounded(self.compiled.generate(context), limit)
        except RenderedTooLarge:
            raise
        except UndefinedError as exc:
            raise TemplateRenderFailed(f"merge data is missing a field: {exc}") from exc
        except Exception as exc:  # a clinic's template may fail in any way; report, don't crash
            raise TemplateRenderFailed(str(exc) or type(exc).__name__) from exc


def _bounded(pieces: Iterator[str], limit: int) -> str:
    # Jinja's generate() yields the output piece by piece (a loop's every pass, every merge
    # value): stopping at the limit means the oversized text is never built. One piece is at
    # most one merge value or one stretch of template text, both bounded where they come in.
    kept: list[str] = []
    length = 0
    for piece in pieces:
        length += len(piece)
        if length > limit:
            raise RenderedTooLarge(limit)
        kept.append(piece)
    return "".join(kept)


def template_problems(source: str) -> list[TemplateProblem]:
    """Everything wrong with a template, each with its line; empty when it may be compiled."""
    return list(_inspect(source).problems)


@lru_cache(maxsize=4096)
def compile_template(source: str) -> CompiledTemplate:
    """Check and compile `source` (cached by text), or raise TemplateRefused."""
    inspection = _inspect(source)
    if inspection.problems:
        raise TemplateRefused(list(inspection.problems))
    try:
        compiled = _ENVIRONMENT.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateRefused([_syntax_problem(exc)]) from exc
    return CompiledTemplate(source, inspection.merge_fields, compiled)


def _inspect(source: str) -> TemplateInspection:
    try:
        tree = _ENVIRONMENT.parse(source)
    except TemplateSyntaxError as exc:
        return TemplateInspection(frozenset(), (_syntax_problem(exc),))
    return inspect_template(tree, filters=FILTERS, tests=_TESTS)


def _syntax_problem(exc: TemplateSyntaxError) -> TemplateProblem:
    return TemplateProblem(exc.lineno, exc.message or "invalid template syntax")
