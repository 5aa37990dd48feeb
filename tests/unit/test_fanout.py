"""Issue 19: how a rebuild job splits the site into chunks, and its messages (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stitchpress.core import fanout
from stitchpress.core.fanout import Chunk, Job

KEYS = st.lists(st.text(alphabet="0123456789:TZ#abc", min_size=1, max_size=12), unique=True, max_size=60)


@given(KEYS, st.integers(min_value=1, max_value=9), st.text(alphabet="0123456789:TZ#abc", max_size=12))
def test_post_ranges_hold_every_key_once_and_any_later_key_once(
    keys: list[str], size: int, later: str
) -> None:
    chunks = fanout.post_chunks(keys, start=3, size=size)
    for key in keys:
        assert sum(fanout.in_range(c, key) for c in chunks) == 1
    assert [c.number for c in chunks] == list(range(3, 3 + len(chunks)))
    for chunk in chunks:
        assert sum(fanout.in_range(chunk, k) for k in keys) <= size
    if keys:  # a post published after the split falls in exactly one chunk too
        assert sum(fanout.in_range(c, later) for c in chunks) == 1
        assert chunks[0].after is None and chunks[-1].upto is None
    else:
        assert chunks == []


def test_post_ranges_of_an_exact_multiple() -> None:
    keys = [f"k{n:02d}" for n in range(6)]
    assert fanout.post_chunks(keys, size=3) == [
        Chunk(0, "posts", after=None, upto="k02"),
        Chunk(1, "posts", after="k02", upto=None),
    ]
    assert fanout.post_chunks(keys, size=6) == [Chunk(0, "posts")]
    with pytest.raises(ValueError, match="at least one post"):
        fanout.post_chunks(keys, size=0)


def test_listings_are_grouped_within_the_budget_and_a_big_one_alone() -> None:
    listings = [("home", 5000), ("tag/a", 30), ("tag/b", 40), ("tag/c", 950), ("month/2025/09", 60)]
    chunks = fanout.listing_chunks(listings, start=0, budget=1000, most=3)
    assert [c.names for c in chunks] == [
        ("home",),
        ("tag/a", "tag/b"),
        ("tag/c",),
        ("month/2025/09",),
    ]
    assert [name for c in chunks for name in c.names] == [name for name, _ in listings]
    many = [(f"tag/{n}", 1) for n in range(7)]
    assert [len(c.names) for c in fanout.listing_chunks(many, budget=10_000, most=3)] == [3, 3, 1]


def test_a_plan_numbers_listings_then_posts_and_skips_posts_unless_asked() -> None:
    listings = [("home", 3), ("tag/a", 3)]
    assert fanout.plan(listings, None) == [Chunk(0, "listings", names=("home", "tag/a"))]
    chunks = fanout.plan(listings, ["b", "a", "c"])
    assert [c.kind for c in chunks] == ["listings", "posts"]
    assert [c.number for c in chunks] == [0, 1]


@pytest.mark.parametrize(
    "chunk",
    [
        Chunk(0, "listings", names=("home", "tag/日本")),
        Chunk(4, "posts", after="2025-09-01T00:00:00Z#drafts/a.md", upto=None),
        Chunk(5, "posts"),
    ],
)
def test_messages_round_trip(chunk: Chunk) -> None:
    message = fanout.read_message(fanout.chunk_message("job-1", chunk))
    assert (message.action, message.job, message.chunk) == ("chunk", "job-1", chunk)
    start = fanout.read_message(fanout.start_message("job-2"))
    assert (start.action, start.job, start.chunk) == ("start", "job-2", None)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("nope", "not JSON"),
        ('{"rebuild": "start"}', "no job id"),
        ('{"rebuild": "stop", "job": "j"}', "rebuild: start or chunk"),
        ('{"rebuild": "chunk", "job": "j", "chunk": {"number": 1, "kind": "pages"}}', "not a rebuild chunk"),
        ('{"rebuild": "chunk", "job": "j", "chunk": {"number": 1, "kind": "listings"}}', "list of names"),
        (
            '{"rebuild": "chunk", "job": "j", "chunk": {"number": 1, "kind": "posts", "after": 3}}',
            "sort keys",
        ),
    ],
)
def test_a_malformed_message_is_named(body: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        fanout.read_message(body)


def test_progress_line_and_staleness() -> None:
    t0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    job = Job("j1", "running", True, t0, t0 + timedelta(seconds=5), total=12, done=5, retries=1, changed=300)
    line = fanout.progress_line(job, t0 + timedelta(seconds=7.5))
    assert line == "job j1: running, 5/12 chunks, 300 objects changed, 1 failed attempts retried, 7.5s"
    assert "splitting the work" in fanout.progress_line(Job("j2", "starting", False, t0, t0), t0)
    assert not job.stale(t0 + timedelta(hours=1))
    assert job.stale(t0 + timedelta(hours=4))
    done = Job("j3", "succeeded", True, t0, t0, ended=t0 + timedelta(seconds=3))
    assert not done.stale(t0 + timedelta(days=1)) and not done.running
    assert fanout.progress_line(done, t0 + timedelta(days=1)).endswith("3.0s")
