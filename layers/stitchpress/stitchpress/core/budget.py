"""What one draft may cost: explicit limits, and a compile deadline as the last line of defence.

Every stage of the compile is linear in the draft (tests/functional/test_bounded.py), and the
limits below cap what linear time cannot: output that grows faster than the input, and
Pygments, which is slow per character. A draft that still costs more than COMPILE_SECONDS is
rejected with a report instead of timing out the invocation: the deadline is checked between
stages and between the blocks of the Markdown (cooperatively: nothing is interrupted).

The deadline counts the compiling thread's CPU time, not wall time, so a draft is judged by
its own cost and not by what else the machine is doing. On Lambda at 1024 MB (about 0.6 of a
core) 4 s of CPU is about 7 s of the function's 30 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

COMPILE_SECONDS = 4.0
# A published draft compiled again (a neighbour's links, a rebuild) passed COMPILE_SECONDS once:
# the same bytes on a slower or busier run must not be turned away, so it gets twice that.
RECOMPILE_SECONDS = 2 * COMPILE_SECONDS
MAX_PAGE_CHARS = 10_000_000  # the rendered article; browsers and CloudFront cope, readers do not
MAX_HIGHLIGHT_CHARS = 100_000  # per code block: a longer one is shown without colours
MAX_HIGHLIGHT_TOTAL = 200_000  # per draft: Pygments' Python lexer costs ~7 µs a character
MAX_TABLE_COLUMNS = 1_000  # markdown-it builds every cell: 100,000 columns took 12 s

TOO_DEEP = "nested too deeply to render (lists, quotes or brackets inside each other); flatten it"

Clock = Callable[[], float]


class TooComplex(Exception):
    """The draft used up its compile budget; `message` tells the writer what to change."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_HINTS = {
    "reading the front matter": "shorten the front matter",
    "stitching the segments": "join small segments (fewer ---END--- lines) or split the draft into several posts",
    "counting words": "split the draft into several posts",
    "rendering the Markdown": (
        "split the longest paragraphs, and close the brackets, parentheses and < that open "
        "links, images and HTML (or escape them with a backslash)"
    ),
}


class Deadline:
    def __init__(self, seconds: float = COMPILE_SECONDS, clock: Clock = time.thread_time) -> None:
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def expired(self) -> bool:
        return self._clock() > self._end

    def check(self, stage: str, where: Callable[[], str] | None = None) -> None:
        """Raise TooComplex when the budget is used up (`stage`: what the compile was doing,
        `where`: says which part of the draft it was at, when known; called only to report)."""
        if self.expired():
            hint = _HINTS.get(stage, "split the draft into several posts")
            at = f" at {where()}" if where is not None else ""
            raise TooComplex(
                f"too complex to render within {self.seconds:g} s of compute (the limit for one "
                f"draft; it was still {stage}{at}); {hint}"
            )


_current: ContextVar[Deadline | None] = ContextVar("stitchpress_deadline", default=None)


@contextmanager
def deadline(seconds: float = COMPILE_SECONDS, clock: Clock = time.thread_time) -> Iterator[Deadline]:
    """The deadline `check` uses in this context (a thread or task has its own)."""
    current = Deadline(seconds, clock)
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


def check(stage: str, where: Callable[[], str] | None = None) -> None:
    """Deadline.check of the current deadline; nothing outside a `deadline` block."""
    current = _current.get()
    if current is not None:
        current.check(stage, where)
