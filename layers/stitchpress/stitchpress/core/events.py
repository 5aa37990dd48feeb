"""S3 event notifications -> the changes to apply. Accepts a raw S3 event or an SQS message body
that carries one (the production path S3 -> SQS -> Lambda)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote_plus, unquote_plus

from .keys import DRAFTS_PREFIX

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.s3_event import S3EventRecord

SEQUENCER_WIDTH = 40
TIE = "#"  # in a time order: what follows tells apart two events of the same time
S3_SOURCE = "aws:s3"
SCHEDULE_SOURCE = "stitchpress:schedule"  # a go-live or expiry the sweep enqueued
REFRESH = "refresh"  # the image function asks the publish function to re-render a post


@dataclass(frozen=True)
class DraftChange:
    bucket: str
    key: str  # URL-decoded
    kind: Literal["put", "delete"]
    version_id: str | None = None
    etag: str | None = None
    sequencer: str | None = None
    event_time: str = ""
    # A scheduled re-apply (stitchpress.aws.pending): the due time it carries out, and the claim
    # (order) the draft was held under, which it applies under again.
    due: str = ""
    claimed: str | None = None

    @property
    def order(self) -> str:
        """Sortable position of this event among the draft's events.

        S3's sequencer is a hex string; AWS documents comparing two of them by right-padding the
        shorter with zeros, then comparing as strings. Without one (moto), the event time orders,
        then a digest of the event: a redelivery keeps its order, another event of the same time
        gets another (which of the two is newer, PostIndex.claim asks the draft).
        """
        if self.claimed:
            return self.claimed
        if self.sequencer:
            return "s:" + self.sequencer.upper().ljust(SEQUENCER_WIDTH, "0")
        return f"t:{self.event_time}{TIE}{hashlib.sha256(self._event_identity.encode()).hexdigest()[:16]}"

    def matches(self, current: tuple[str | None, str] | None) -> bool:
        """Whether the draft's current (version id, ETag), None when deleted, is what this event left."""
        if self.kind == "delete" or current is None:
            return self.kind == "delete" and current is None
        version_id, etag = current
        return version_id == self.version_id if self.version_id else etag == (self.etag or "").strip('"')

    @property
    def identity(self) -> str:
        """What makes two deliveries of the same S3 event the same (idempotency key material).
        A scheduled re-apply is another change than the event it re-applies (which was held),
        and two sweeps' messages for one due time are the same one."""
        if self.due:
            return f"{self._event_identity}|due={self.due}|{self.order}"
        return self._event_identity

    @property
    def _event_identity(self) -> str:
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


DRAFT_SUFFIXES = (".md", ".markdown")  # template.yaml notifies the publish queue of each


def is_draft_key(key: str) -> bool:
    return key.startswith(DRAFTS_PREFIX) and key.endswith(DRAFT_SUFFIXES) and "/../" not in key


def changes_from_s3_event(event: object, accept: Callable[[str], bool] = is_draft_key) -> list[DraftChange]:
    """The changes in an S3 event of the keys `accept`s (drafts; the image function: images).
    Records for other keys or event kinds are dropped, and so are malformed ones
    (read_s3_event says why)."""
    return read_s3_event(event, accept)[0]


def read_s3_event(
    event: object, accept: Callable[[str], bool] = is_draft_key
) -> tuple[list[DraftChange], list[str]]:
    """(the changes in an S3 event of the keys `accept`s, why each malformed record was
    dropped). `event`: Powertools' S3Event (an SQS record's decoded_nested_s3_event) or the raw
    event. Records for other keys or event kinds are dropped quietly: they are not for us."""
    # Deferred: the sweep imports this module and never reads an S3 event.
    from aws_lambda_powertools.utilities.data_classes import S3Event

    raw = event.raw_event if isinstance(event, S3Event) else event
    if not isinstance(raw, dict) or not isinstance(raw.get("Records"), list):
        return [], ["not an S3 event (no Records list)"]
    out: list[DraftChange] = []
    problems: list[str] = []
    for i, record in enumerate(S3Event(raw).records):
        try:
            change = _change(record, accept)
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            problems.append(f"record {i}: malformed S3 event record ({type(e).__name__}: {e}); skipped")
            continue
        if change is not None:
            out.append(change)
    return out, problems


def _change(record: S3EventRecord, accept: Callable[[str], bool]) -> DraftChange | None:
    # .get where S3 or moto may leave a field out (moto: no sequencer, no versionId).
    if record.get("eventSource") not in (S3_SOURCE, SCHEDULE_SOURCE):
        return None
    name = str(record.get("eventName", ""))
    kind: Literal["put", "delete"]
    if name.startswith("ObjectCreated"):
        kind = "put"
    elif name.startswith("ObjectRemoved"):
        kind = "delete"
    else:
        return None
    obj = record.s3.get_object
    # S3 URL-encodes keys in events, spaces as "+" (moto encodes "/" too).
    key = unquote_plus(obj.key)
    if not accept(key):
        return None
    return DraftChange(
        bucket=str(record.s3.bucket.name),
        key=key,
        kind=kind,
        version_id=obj.version_id or None,
        etag=obj.etag or None,
        sequencer=obj.get("sequencer") or None,
        event_time=str(record.get("eventTime", "")),
        **_scheduled(record),
    )


def _scheduled(record: Mapping[str, Any]) -> dict[str, Any]:
    if record.get("eventSource") != SCHEDULE_SOURCE:
        return {}
    extra = record.get("schedule") or {}
    return {"due": str(extra.get("due", "")), "claimed": str(extra.get("order", "")) or None}


def scheduled_event(change: DraftChange) -> dict[str, Any]:
    """The message the sweep enqueues for a due entry: shaped like an S3 event record of the
    version to re-apply, so it takes the publish queue's ordinary path (stitchpress.service.sweep)."""
    obj: dict[str, Any] = {"key": quote_plus(change.key)}
    for name, value in (
        ("versionId", change.version_id),
        ("eTag", change.etag),
        ("sequencer", change.sequencer),
    ):
        if value:
            obj[name] = value
    record = {
        "eventSource": SCHEDULE_SOURCE,
        "eventName": "ObjectCreated:Scheduled",
        "eventTime": change.event_time,
        "s3": {"bucket": {"name": change.bucket}, "object": obj},
        "schedule": {"due": change.due, "order": change.order},
    }
    return {"Records": [record]}


def refresh_message(draft_key: str) -> str:
    """The publish queue message the image function sends when an image a post shows changed.
    Here, not in the image function's module, so the publish function reads it without
    importing the image code (tests/unit/test_coldstart_imports.py)."""
    return json.dumps({"stitchpress": REFRESH, "draft": draft_key})


def refresh_target(body: Mapping[str, Any]) -> str | None:
    """The draft a publish queue message asks to re-render, if it is such a message."""
    key = body.get("draft")
    if body.get("stitchpress") == REFRESH and isinstance(key, str) and is_draft_key(key):
        return key
    return None


def batch_id(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()
