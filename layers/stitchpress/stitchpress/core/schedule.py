"""Scheduled publishing and expiry, the pure part: given a post's `date`, its `expires` and the
current time, what happens now and when the draft must be looked at again.

- date in the future             -> hold: not on the site; look again at `date` (go-live)
- date reached, expires ahead    -> publish; look again at `expires` (take-down)
- date reached, no expires       -> publish; nothing more to do
- expires reached                -> expired: not on the site; nothing more to do

"Looking again" re-applies the same draft version through the ordinary publish path
(stitchpress.aws.pending records when, stitchpress.service.sweep enqueues it then), so a go-live or an
expiry gets the same ordering, idempotency, listings and invalidation as an upload. No I/O here
(the time comes in as an argument; only report_fields defaults it to the clock seam).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from . import clock
from .model import Message, PostMeta

Action = Literal["publish", "hold", "expired"]


@dataclass(frozen=True)
class Plan:
    action: Action
    due: datetime | None  # when to apply the draft again (go-live or expiry); None: never

    @property
    def status(self) -> Literal["published", "scheduled", "expired"]:
        return {"publish": "published", "hold": "scheduled", "expired": "expired"}[self.action]  # type: ignore[return-value]


def plan(date: datetime, expires: datetime | None, now: datetime) -> Plan:
    """Decide for a post dated `date` (expiring at `expires`) at the instant `now`. All three are
    timezone-aware; they are compared as instants, whatever their offsets."""
    if expires is not None and expires <= date:
        raise ValueError(f"expires {expires.isoformat()} is not after date {date.isoformat()}")
    if expires is not None and expires <= now:
        return Plan("expired", None)
    if date > now:
        return Plan("hold", date)
    return Plan("publish", expires)


def due_key(when: datetime) -> str:
    """A sortable UTC text for an instant, to the microsecond (dates may carry fractions)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_due_key(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def both_zones(when: datetime) -> dict[str, str]:
    """An instant as the writer wrote it (their offset) and in UTC, for reports."""
    return {
        "local": when.isoformat(sep=" "),
        "utc": when.astimezone(UTC).isoformat(sep=" ").replace("+00:00", " UTC"),
    }


def report_fields(meta: PostMeta, now: datetime | None = None) -> dict[str, Any]:
    """What a writer's report says about the post's schedule (`now` defaults to the clock)."""
    out: dict[str, Any] = {}
    if meta.date > (now or clock.now()):
        out["scheduled_for"] = both_zones(meta.date)
    if meta.expires is not None:
        out["expires"] = both_zones(meta.expires)
    return out


def messages(p: Plan, date: datetime, expires: datetime | None) -> list[Message]:
    if p.action == "hold":
        when = both_zones(date)
        text = f"scheduled: goes live at {when['local']} ({when['utc']}); until then it is not on the site"
        if expires is not None:
            text += f", and it comes down at {both_zones(expires)['local']}"
        return [Message("info", text, field="date")]
    if p.action == "expired":
        assert expires is not None
        return [
            Message(
                "info",
                f"expired at {both_zones(expires)['local']}: not on the site; "
                "remove or change expires: to publish it again",
                field="expires",
            )
        ]
    if expires is not None:
        return [
            Message("info", f"live until {both_zones(expires)['local']}, then taken down", field="expires")
        ]
    return []
