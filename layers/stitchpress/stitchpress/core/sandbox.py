"""The environment theme overrides run in: Jinja2's sandbox, plus a bound on what compiling
and rendering one page may cost.

Jinja's sandbox keeps a template away from Python internals, not from using up the CPU or
the memory. A theme file comes from the drafts bucket, so here:

- `**`, `*`, `+` and `%` are intercepted: Jinja then no longer folds them at compile time
  (`{{ 9**(9**9) }}` held the GIL forever while compiling) and each result is checked before
  it is built (number size, repeated strings and lists, format widths);
- every call, filter, loop iteration and output piece of a render is counted: a page render
  stops after RENDER_SECONDS (wall time: pages render in threads, and each thread's own CPU
  time would not bound them together; a page takes milliseconds), MAX_ITERATIONS loop turns or
  MAX_OUTPUT_CHARS of output; no value a template builds may exceed MAX_VALUE;
- `lipsum` and `range` are capped, and numbers passed to filters and methods (widths, counts)
  are at most MAX_NUMBER_ARG;
- autoescaping cannot be turned off (`{% autoescape false %}`) and `|safe` is refused: the
  post body already arrives as safe HTML, and a writer's value must never become markup.

A limit raises ThemeLimit (a SecurityError) inside the render; stitchpress.core.render reports it
with the theme file and line and renders the packaged template instead.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import update_wrapper
from typing import Any

from jinja2 import nodes, pass_context
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from jinja2.utils import Namespace, generate_lorem_ipsum
from markupsafe import Markup

RENDER_SECONDS = 3.0  # per page
MAX_OUTPUT_CHARS = 10_000_000  # per page, the same as a post's rendered body (budget.MAX_PAGE_CHARS)
MAX_ITERATIONS = 1_000_000  # loop turns per page: a sitemap of 50,000 URLs needs ~50,000
MAX_VALUE = 1_000_000  # characters of a string, items of a list
MAX_NUMBER_ARG = 100_000  # widths, counts and repeats passed to filters, methods and macros
MAX_INT_BITS = 4_096  # ~1,200 digits: no page needs a bigger number
MAX_SOURCE_CHARS = 256 * 1024  # per theme file
MAX_LIPSUM = (20, 200)  # paragraphs, words per paragraph
_TICK_MASK = 255  # the clock is read every 256 calls, loop turns and outputs
_FORMAT_WIDTH = re.compile(r"\d{6,}")  # a width or precision of 100,000 or more


class ThemeLimit(SecurityError):
    """A theme template went over one of the limits above."""


@dataclass
class _Render:
    seconds: float
    end: float
    ticks: int = 0
    output: int = 0
    iterations: int = 0


_current: ContextVar[_Render | None] = ContextVar("stitchpress_theme_render", default=None)


@contextmanager
def render_limits(seconds: float | None = None) -> Iterator[None]:
    """Count one page render of a theme template against the limits (per thread)."""
    seconds = RENDER_SECONDS if seconds is None else seconds
    token = _current.set(_Render(seconds, time.monotonic() + seconds))
    try:
        yield
    finally:
        _current.reset(token)


def _tick() -> None:
    render = _current.get()
    if render is None:
        return  # compile time (folding constants): sizes are still checked, time is short
    render.ticks += 1
    if render.ticks & _TICK_MASK == 0 and time.monotonic() > render.end:
        raise ThemeLimit(f"the template took over {render.seconds:g} s to render one page")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set | frozenset) else 0


def _check_value(value: Any) -> Any:
    if _size(value) > MAX_VALUE:
        raise ThemeLimit(
            f"the template builds a value of {_size(value):,} characters or items (the limit is {MAX_VALUE:,})"
        )
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ThemeLimit(
            f"the template builds a number of {value.bit_length():,} bits (the limit is {MAX_INT_BITS:,})"
        )
    return value


def _check_args(args: Iterable[Any]) -> None:
    for arg in args:
        if isinstance(arg, int | float) and not isinstance(arg, bool) and abs(arg) > MAX_NUMBER_ARG:
            raise ThemeLimit(f"the number {arg:g} passed to a filter or function is over {MAX_NUMBER_ARG:,}")
        _check_value(arg)


def _check_growth(name: str, value: Any, args: tuple[Any, ...]) -> None:
    """Filters and str methods whose result can be far bigger than their arguments: check the
    size before building it."""
    if not isinstance(value, str):
        if name == "join" and isinstance(value, list | tuple):
            _check_join(value, args[0] if args else "")
        return
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        count = value.count(args[0]) if args[0] else len(value) + 1
        _check_size(len(value) + count * len(args[1]))
    elif name == "join" and args and isinstance(args[0], list | tuple):
        _check_join(args[0], value)
    elif name == "indent" and args and isinstance(args[0], int):
        _check_size(len(value) + (value.count("\n") + 1) * args[0])
    elif name in ("format", "format_map") and _FORMAT_WIDTH.search(value):
        raise ThemeLimit(
            f"the format string {value[:40]!r} asks for a width or precision over {MAX_NUMBER_ARG:,}"
        )


def _check_join(items: list[Any] | tuple[Any, ...], sep: Any) -> None:
    total = 0
    for item in items:
        total += _size(item) + _size(sep)
        _check_size(total)


def _check_size(size: int) -> None:
    if size > MAX_VALUE:
        raise ThemeLimit(
            f"the template builds a value of {size:,} characters or items (the limit is {MAX_VALUE:,})"
        )


def _binop_size(operator: str, left: Any, right: Any) -> None:
    numbers = (int, float)
    if operator == "**" and isinstance(left, numbers) and isinstance(right, numbers):
        big = isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
        if big and right * math.log2(abs(left)) > MAX_INT_BITS:
            raise ThemeLimit(f"{left} ** {right} is over {MAX_INT_BITS:,} bits (the limit for a number)")
    elif operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise ThemeLimit(f"a product of over {MAX_INT_BITS:,} bits (the limit for a number)")
        elif isinstance(right, int) and _size(left):
            _check_size(_size(left) * right)
        elif isinstance(left, int) and _size(right):
            _check_size(_size(right) * left)
    elif operator == "+" and _size(left) and _size(right):
        _check_size(_size(left) + _size(right))
    elif operator == "%" and isinstance(left, str) and _FORMAT_WIDTH.search(left):
        raise ThemeLimit(
            f"the format string {left[:40]!r} asks for a width or precision over {MAX_NUMBER_ARG:,}"
        )


def _bounded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter with its number arguments, growth and result checked."""

    passes_context = getattr(func, "jinja_pass_arg", None) is not None  # @pass_context etc.

    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        plain = args[1:] if passes_context else args
        _check_args([*plain[1:], *kwargs.values()])
        if plain:
            _check_growth(name, plain[0], tuple(plain[1:]))
        return _check_value(func(*args, **kwargs))

    return update_wrapper(bounded, func)  # keeps jinja_pass_arg (pass_context...)


def _range(*args: int) -> range:
    _check_args(args)
    return safe_range(*args)


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> Markup | str:
    paragraphs, words = MAX_LIPSUM
    if n > paragraphs or min > words or max > words:
        raise ThemeLimit(f"lipsum is limited to {paragraphs} paragraphs of {words} words")
    return generate_lorem_ipsum(n=n, html=html, min=min, max=max)


class _Namespace(Namespace):
    """namespace() whose attributes are checked as they are set (`{% set ns.s = ns.s ~ ns.s %}`
    in a loop doubled a string 40 times)."""

    def __setitem__(self, name: str, value: Any) -> None:
        _tick()
        super().__setitem__(name, _check_value(value))


@pass_context
def _loop(context: Context, iterable: Any) -> Iterator[Any]:
    """Every {% for %} iterates through this (added by BoundedSandbox._parse)."""
    render = _current.get()
    for item in iterable:
        if render is not None:
            render.iterations += 1
            if render.iterations > MAX_ITERATIONS:
                raise ThemeLimit(f"the template's loops ran over {MAX_ITERATIONS:,} times for one page")
            _tick()
        yield item


@pass_context
def _output(context: Context, value: Any) -> Any:
    """Every piece of output goes through this (added by BoundedSandbox._parse), macro bodies
    and {% set %} blocks included: a loop of large literals is counted too."""
    render = _current.get()
    if render is not None:
        render.output += len(value) if isinstance(value, str) else 1
        if render.output > MAX_OUTPUT_CHARS:
            raise ThemeLimit(f"the template wrote over {MAX_OUTPUT_CHARS:,} characters for one page")
        _tick()
    return value


_LOOP, _OUTPUT = "stitchpress_loop", "stitchpress_output"


class BoundedSandbox(ImmutableSandboxedEnvironment):
    # call(__self, ...) and lipsum's min/max keep Jinja's own names.
    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals.update(range=_range, lipsum=_lipsum, namespace=_Namespace)

    def bound_filters(self) -> None:
        """Wrap every filter registered so far (call after adding the site's own)."""
        self.filters = {name: _bounded(name, f) for name, f in self.filters.items()}
        self.filters.update({_LOOP: _loop, _OUTPUT: _output})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        _binop_size(operator, left, right)
        return _check_value(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        _check_args([*args, *kwargs.values()])
        name = getattr(__obj, "__name__", "")
        if name in ("replace", "join", "format", "format_map"):
            _check_growth(name, getattr(__obj, "__self__", None), args)
        return _check_value(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        _check_growth("format", value.__self__, ())
        return wrapper

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        if len(source) > MAX_SOURCE_CHARS:
            raise TemplateSyntaxError(
                f"the file is {len(source):,} characters, over the limit of {MAX_SOURCE_CHARS:,}",
                1,
                name,
                filename,
            )
        tree = super()._parse(source, name, filename)
        _refuse_unescaped(tree, name, filename)
        for loop in list(tree.find_all(nodes.For)):
            loop.iter = nodes.Filter(loop.iter, _LOOP, [], [], None, None, lineno=loop.lineno)
        for output in list(tree.find_all(nodes.Output)):
            output.nodes = [_counted(child) for child in output.nodes]
        return tree


def _counted(child: nodes.Expr) -> nodes.Expr:
    if isinstance(child, nodes.TemplateData):
        child = nodes.MarkSafe(nodes.Const(child.data), lineno=child.lineno)
    return nodes.Filter(child, _OUTPUT, [], [], None, None, lineno=child.lineno)


def _refuse_unescaped(tree: nodes.Template, name: str | None, filename: str | None) -> None:
    for node in tree.find_all(nodes.Filter):
        if node.name == "safe":
            raise TemplateSyntaxError(
                "|safe is not allowed in a theme (values are escaped; the post body is already safe HTML)",
                node.lineno,
                name,
                filename,
            )
    for modifier in tree.find_all(nodes.EvalContextModifier):
        for option in modifier.options:
            if option.key == "autoescape" and not (
                isinstance(option.value, nodes.Const) and option.value.value
            ):
                raise TemplateSyntaxError(
                    "autoescaping cannot be turned off in a theme", modifier.lineno, name, filename
                )
