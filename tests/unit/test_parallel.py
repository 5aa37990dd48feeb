from __future__ import annotations

import threading

import pytest

from stitchpress.aws import parallel


def test_results_come_back_in_the_items_order() -> None:
    assert parallel.each(lambda n: n * n, range(50)) == [n * n for n in range(50)]
    assert parallel.call_all([lambda: "a", lambda: "b"]) == ["a", "b"]
    assert parallel.each(str, []) == []


def test_calls_really_overlap() -> None:
    # Each call waits for the other: run one after the other, the barrier would time out.
    barrier = threading.Barrier(2, timeout=10)
    assert parallel.each(lambda _: barrier.wait() >= 0, [1, 2]) == [True, True]


def test_one_worker_runs_in_this_thread() -> None:
    me = threading.get_ident()
    assert parallel.each(lambda _: threading.get_ident(), [1, 2, 3], workers=1) == [me, me, me]


def test_a_failure_is_raised_to_the_caller() -> None:
    def boom(n: int) -> int:
        if n == 3:
            raise ValueError("three")
        return n

    with pytest.raises(ValueError, match="three"):
        parallel.each(boom, range(6))


def test_both_runs_the_two_at_once_and_keeps_their_order() -> None:
    barrier = threading.Barrier(2, timeout=10)
    assert (
        parallel.both(lambda: ("first", barrier.wait()), lambda: ("second", barrier.wait()))[1][0] == "second"
    )
    with pytest.raises(KeyError):
        parallel.both(lambda: 1, lambda: {}["missing"])
