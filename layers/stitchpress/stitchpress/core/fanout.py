"""A site rebuild as a job of chunks that many function instances run at once: pure planning,
the job's record, and the messages on the rebuild queue. No AWS here (stitchpress.aws.jobs keeps
the record in DynamoDB; stitchpress.service.rebuild_job runs the chunks).

A job is started by one "start" message. The coordinator reads which listings and posts exist
and splits them into chunks: groups of listings (each rendered with every page), and ranges of
the home listing's sort keys (every post page in the range). The ranges are contiguous and
cover all keys, so a post published after the split still falls in exactly one chunk. Each
chunk is one message; the chunk that completes the job writes the overviews, sitemaps and
static files and sends one invalidation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

POSTS_PER_CHUNK = 100  # post pages one chunk renders (one BatchGetItem of their index entries)
LISTING_POSTS_PER_CHUNK = 2_000  # listing entries (~100 listing pages) one chunk renders at most
LISTINGS_PER_CHUNK = 50  # listings one chunk renders at most (their versions: one BatchGetItem)
LISTING_COST = 20  # entries a listing costs besides its posts (its reads, feed and front page)
# A job nobody has advanced for this long (its messages dead-lettered, its starter gone) no
# longer blocks a new one: longer than a chunk's retries take (3 x the queue's visibility).
STALE_SECONDS = 3 * 3600

MAX_RECEIVES = 3  # the rebuild queue's maxReceiveCount (template.yaml): then the dead-letter queue
RUNNING_STATES = ("starting", "running", "finishing")
ChunkKind = Literal["listings", "posts"]


@dataclass(frozen=True)
class Chunk:
    """One message's work. Posts: every post whose home-listing sort key is after `after` (None:
    from the oldest) and at most `upto` (None: to the newest). Listings: the listings named."""

    number: int
    kind: ChunkKind
    names: tuple[str, ...] = ()
    after: str | None = None
    upto: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"number": self.number, "kind": self.kind}
        if self.kind == "listings":
            out["names"] = list(self.names)
        else:
            out.update(after=self.after, upto=self.upto)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Chunk:
        kind = data.get("kind")
        number = data.get("number")
        if kind not in ("listings", "posts") or not isinstance(number, int):
            raise ValueError(f"not a rebuild chunk: {dict(data)!r}")
        if kind == "listings":
            names = data.get("names")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError(f"a listings chunk needs a list of names: {dict(data)!r}")
            return cls(number, "listings", names=tuple(names))
        after, upto = data.get("after"), data.get("upto")
        if not all(v is None or isinstance(v, str) for v in (after, upto)):
            raise ValueError(f"a posts chunk's bounds are sort keys or null: {dict(data)!r}")
        return cls(number, "posts", after=after, upto=upto)

    def describe(self) -> str:
        if self.kind == "listings":
            more = f" and {len(self.names) - 1} more" if len(self.names) > 1 else ""
            return f"listings {self.names[0] if self.names else '-'}{more}"
        return f"posts after {self.after or 'the oldest'} up to {self.upto or 'the newest'}"


def listing_chunks(
    listings: Sequence[tuple[str, int]],
    start: int = 0,
    budget: int | None = None,
    most: int | None = None,
) -> list[Chunk]:
    """Listings (name, post count) in groups of at most `budget` entries (a listing costs its
    posts plus LISTING_COST) and `most` names, numbered from `start`. A listing larger than the
    budget is a chunk of its own; the order given is kept."""
    budget = LISTING_POSTS_PER_CHUNK if budget is None else budget
    most = LISTINGS_PER_CHUNK if most is None else most
    chunks: list[Chunk] = []
    names: list[str] = []
    cost = 0
    for name, count in listings:
        weight = count + LISTING_COST
        if names and (cost + weight > budget or len(names) >= most):
            chunks.append(Chunk(start + len(chunks), "listings", names=tuple(names)))
            names, cost = [], 0
        names.append(name)
        cost += weight
    if names:
        chunks.append(Chunk(start + len(chunks), "listings", names=tuple(names)))
    return chunks


def post_chunks(sort_keys: Sequence[str], start: int = 0, size: int | None = None) -> list[Chunk]:
    """Contiguous ranges of `size` posts over the home listing's sort keys (any order given),
    numbered from `start`: the first open to the oldest, the last to the newest, so together
    they cover every key, including ones published after this split."""
    size = POSTS_PER_CHUNK if size is None else size
    if size < 1:
        raise ValueError(f"a chunk needs at least one post, got {size}")
    keys = sorted(sort_keys)
    if not keys:
        return []
    bounds = keys[size - 1 : -1 : size]  # the last key of every chunk but the last one
    lows: list[str | None] = [None, *bounds]
    highs: list[str | None] = [*bounds, None]
    return [
        Chunk(start + n, "posts", after=low, upto=high)
        for n, (low, high) in enumerate(zip(lows, highs, strict=True))
    ]


def plan(listings: Sequence[tuple[str, int]], sort_keys: Sequence[str] | None) -> list[Chunk]:
    """Every chunk of a job: the listings first, then (for a rebuild of posts, `sort_keys` not
    None) the post ranges. Numbers are 0..n-1."""
    chunks = listing_chunks(listings)
    if sort_keys is not None:
        chunks += post_chunks(sort_keys, start=len(chunks))
    return chunks


def in_range(chunk: Chunk, sort_key: str) -> bool:
    return (chunk.after is None or sort_key > chunk.after) and (chunk.upto is None or sort_key <= chunk.upto)


# --- messages on the rebuild queue -----------------------------------------------------------------


def start_message(job_id: str) -> str:
    return json.dumps({"rebuild": "start", "job": job_id}, separators=(",", ":"))


def chunk_message(job_id: str, chunk: Chunk) -> str:
    return json.dumps({"rebuild": "chunk", "job": job_id, "chunk": chunk.to_json()}, separators=(",", ":"))


@dataclass(frozen=True)
class Message:
    action: Literal["start", "chunk"]
    job: str
    chunk: Chunk | None = None


def read_message(body: str) -> Message:
    """A rebuild queue message; ValueError naming what is wrong with any other body."""
    try:
        data = json.loads(body)
    except (TypeError, ValueError) as e:
        raise ValueError(f"the message body is not JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("job"), str) or not data["job"]:
        raise ValueError(f"not a rebuild message (no job id): {body[:200]!r}")
    if data.get("rebuild") == "start":
        return Message("start", data["job"])
    if data.get("rebuild") == "chunk" and isinstance(data.get("chunk"), dict):
        return Message("chunk", data["job"], Chunk.from_json(data["chunk"]))
    raise ValueError(f"not a rebuild message (rebuild: start or chunk): {body[:200]!r}")


# --- the job's record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What the index holds about the current (or last) rebuild job."""

    id: str
    state: str  # starting, running, finishing, succeeded, failed
    posts: bool
    started: datetime
    updated: datetime
    total: int | None = None  # chunks, once the coordinator has split the work
    done: int = 0
    retries: int = 0  # failed attempts of chunks (each is retried, then dead-lettered)
    changed: int = 0  # site objects written or deleted
    ended: datetime | None = None
    error: str | None = None
    invalidation: str | None = None
    report: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES

    def stale(self, now: datetime, seconds: float = STALE_SECONDS) -> bool:
        return self.running and (now - self.updated).total_seconds() > seconds


def progress_line(job: Job, now: datetime) -> str:
    """One line for `stitchpress rebuild --follow`."""
    elapsed = ((job.ended or now) - job.started).total_seconds()
    chunks = f"{job.done}/{job.total} chunks" if job.total is not None else "splitting the work"
    parts = [f"job {job.id}: {job.state}", chunks, f"{job.changed} objects changed"]
    if job.retries:
        parts.append(f"{job.retries} failed attempts retried")
    parts.append(f"{elapsed:.1f}s")
    line = ", ".join(parts)
    if job.error:
        line += f"; {job.error}"
    return line
