"""The clock seam: the one place that reads the wall clock.

Scheduling decides by comparing a post's date with "now", so tests (and a local stack that wants
to move time) swap the clock here instead of patching datetime. Everything that needs the time
calls `now()`; nothing else calls datetime.now().
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Clock = system_clock


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return _clock()


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Use `clock` for every now() in this process until the block ends."""
    global _clock
    saved, _clock = _clock, clock
    try:
        yield clock
    finally:
        _clock = saved


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a FakeClock needs a timezone-aware start")
        self.current = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, when: datetime) -> datetime:
        self.current = when.astimezone(UTC)
        return self.current
