"""S3 event notifications -> the changes to apply. Accepts a raw S3 event or an SQS message body
that carries one (the production path S3 -> SQS -> Lambda)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote_plus

from .storage import DRAFTS_PREFIX

SEQUENCER_WIDTH = 40
TIE = "#"  # in a time order: what follows tells apart two events of the same time


@dataclass(frozen=True)
class DraftChange:
    bucket: str
    key: str  # URL-decoded
    kind: Literal["put", "delete"]
    version_id: str | None = None
    etag: str | None = None
    sequencer: str | None = None
    event_time: str = ""
    # Set when the change re-applies the event the index recorded as applied last (a post
    # re-rendered because an image it shows changed): that event's order, so it claims as a retry.
    replay_order: str | None = None

    @property
    def order(self) -> str:
        """Sortable position of this event among the draft's events.

        S3's sequencer is a hex string; AWS documents comparing two of them by right-padding the
        shorter with zeros, then comparing as strings. Without one (moto), the event time orders,
        then a digest of the event: a redelivery keeps its order, another event of the same time
        gets another (which of the two is newer, PostIndex.claim asks the draft).
        """
        if self.replay_order:
            return self.replay_order
        if self.sequencer:
            return "s:" + self.sequencer.upper().ljust(SEQUENCER_WIDTH, "0")
        return f"t:{self.event_time}{TIE}{hashlib.sha256(self.identity.encode()).hexdigest()[:16]}"

    def matches(self, current: tuple[str | None, str] | None) -> bool:
        """Whether the draft's current (version id, ETag), None when deleted, is what this event left."""
        if self.kind == "delete" or current is None:
            return self.kind == "delete" and current is None
        version_id, etag = current
        return version_id == self.version_id if self.version_id else etag == (self.etag or "").strip('"')

    @property
    def identity(self) -> str:
        """What makes two deliveries of the same S3 event the same (idempotency key material)."""
        parts = (
            self.bucket,
            self.key,
            self.kind,
            self.version_id,
            self.etag,
            self.sequencer,
            self.event_time,
        )
        return "|".join(p or "" for p in parts)


def time_of(order: str) -> str:
    """The part of an order that two different events can share (a sequencer is unique)."""
    return order.partition(TIE)[0]


def is_test_event(body: Mapping[str, Any]) -> bool:
    """S3 sends one s3:TestEvent when a notification is configured; it carries no records."""
    return body.get("Event") == "s3:TestEvent"


def is_draft_key(key: str) -> bool:
    return key.startswith(DRAFTS_PREFIX) and key.endswith(".md") and "/../" not in key


def changes_from_s3_event(
    event: Mapping[str, Any], accept: Callable[[str], bool] = is_draft_key
) -> list[DraftChange]:
    """The changes in an S3 event of the keys `accept`s (drafts; the image function: images).
    Records for other keys or event kinds are dropped."""
    out: list[DraftChange] = []
    for record in event.get("Records", []):
        if record.get("eventSource") != "aws:s3":
            continue
        name = str(record.get("eventName", ""))
        kind: Literal["put", "delete"]
        if name.startswith("ObjectCreated"):
            kind = "put"
        elif name.startswith("ObjectRemoved"):
            kind = "delete"
        else:
            continue
        s3 = record["s3"]
        obj = s3["object"]
        # S3 URL-encodes keys in events, spaces as "+" (moto encodes "/" too).
        key = unquote_plus(obj["key"])
        if not accept(key):
            continue
        out.append(
            DraftChange(
                bucket=s3["bucket"]["name"],
                key=key,
                kind=kind,
                version_id=obj.get("versionId") or None,
                etag=(obj.get("eTag") or None),
                sequencer=obj.get("sequencer") or None,
                event_time=str(record.get("eventTime", "")),
            )
        )
    return out


def batch_id(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()
