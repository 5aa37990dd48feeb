"""Run a publish's independent AWS round trips at once.

Each S3 or DynamoDB call is a network round trip; a publish makes dozens that do not depend on
one another (the pages of several listings, their writes). boto3's low-level clients are
thread-safe, and the GIL is released while a thread waits on the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from botocore.config import Config as BotocoreConfig

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")
B = TypeVar("B")

WORKERS = 16  # more than a publish's rounds need
# A pool's WORKERS jobs may each call `both` (one more thread): the calls a publish has in flight.
MAX_IN_FLIGHT = 2 * WORKERS


def client_config() -> BotocoreConfig:
    """botocore settings for the clients a publish uses: a connection pool for every call in
    flight. With boto3's default of 10, the other calls open a connection each and drop it."""
    from botocore.config import Config  # deferred: keeps this module cheap to import

    return Config(max_pool_connections=MAX_IN_FLIGHT)


def each(fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None) -> list[R]:
    """fn(item) for every item, concurrently, results in the items' order. The first exception
    raised is raised here (after the calls already started have finished)."""
    todo = list(items)
    limit = min(WORKERS if workers is None else workers, len(todo))
    if limit <= 1:
        return [fn(item) for item in todo]
    with ThreadPoolExecutor(max_workers=limit) as pool:
        return list(pool.map(fn, todo))


def call_all(fns: Iterable[Callable[[], R]]) -> list[R]:
    """Every fn(), concurrently, results in order."""
    return each(lambda fn: fn(), fns)


def both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """(first(), second()), the two at once; an exception of either is raised here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(second)
        return first(), later.result()
