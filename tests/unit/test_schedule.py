"""Scheduled publishing, the pure part: planning against a fake clock, the front matter fields,
the messages the sweep enqueues, and the clock seam."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stitchpress.core import clock, schedule
from stitchpress.core.events import DraftChange, changes_from_s3_event, scheduled_event
from stitchpress.core.model import DraftRejected, PostMeta
from stitchpress.core.validate import parse_draft
from stitchpress.service.sweep import delay_seconds
from tests.conftest import ROOT
from tests.helpers import JST

NOW = datetime(2026, 12, 3, 6, 0, 0, tzinfo=UTC)


# --- planning ------------------------------------------------------------------------------------


def test_a_post_dated_in_the_future_is_held_until_its_date() -> None:
    date = datetime(2027, 1, 15, 9, 0, tzinfo=JST)
    p = schedule.plan(date, None, NOW)
    assert (p.action, p.due, p.status) == ("hold", date, "scheduled")


def test_a_post_dated_now_or_earlier_is_published_with_nothing_more_due() -> None:
    assert schedule.plan(NOW, None, NOW) == schedule.Plan("publish", None)
    assert schedule.plan(NOW - timedelta(days=3), None, NOW) == schedule.Plan("publish", None)


def test_one_microsecond_ahead_is_still_the_future() -> None:
    assert schedule.plan(NOW + timedelta(microseconds=1), None, NOW).action == "hold"


def test_a_live_post_with_expires_is_published_and_due_again_at_its_expiry() -> None:
    expires = NOW + timedelta(days=7)
    p = schedule.plan(NOW - timedelta(days=1), expires, NOW)
    assert (p.action, p.due, p.status) == ("publish", expires, "published")


def test_a_future_post_with_expires_is_due_first_at_its_date() -> None:
    date, expires = NOW + timedelta(hours=1), NOW + timedelta(days=1)
    assert schedule.plan(date, expires, NOW) == schedule.Plan("hold", date)


def test_a_post_past_its_expiry_is_expired_with_nothing_more_due() -> None:
    p = schedule.plan(NOW - timedelta(days=2), NOW - timedelta(seconds=1), NOW)
    assert (p.action, p.due, p.status) == ("expired", None, "expired")
    assert schedule.plan(NOW - timedelta(days=2), NOW, NOW).action == "expired"  # at its second


def test_expires_not_after_date_is_refused() -> None:
    with pytest.raises(ValueError, match="not after"):
        schedule.plan(NOW, NOW, NOW)


def test_offsets_are_compared_as_instants() -> None:
    # 09:00 in Tokyo is 00:00 UTC: at 23:59:59 UTC the day before it is still ahead.
    date = datetime(2027, 1, 15, 9, 0, tzinfo=JST)
    assert schedule.plan(date, None, datetime(2027, 1, 14, 23, 59, 59, tzinfo=UTC)).action == "hold"
    assert schedule.plan(date, None, datetime(2027, 1, 15, 0, 0, 0, tzinfo=UTC)).action == "publish"
    # Likewise west of UTC: 2027-01-14 20:00 -05:00 is 2027-01-15 01:00 UTC.
    west = datetime(2027, 1, 14, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert schedule.plan(west, None, datetime(2027, 1, 15, 0, 30, tzinfo=UTC)).action == "hold"


def test_years_ahead_is_just_a_later_due_time() -> None:
    date = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert schedule.plan(date, None, NOW) == schedule.Plan("hold", date)
    assert schedule.due_key(date) == "2999-12-31T23:59:59.000000Z"


instants = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.astimezone(timezone(timedelta(minutes=d.microsecond % 1440 - 720))))


@given(instants, instants)
def test_due_keys_sort_as_the_instants_do(a: datetime, b: datetime) -> None:
    assert (schedule.due_key(a) < schedule.due_key(b)) == (a < b)
    assert schedule.parse_due_key(schedule.due_key(a)) == a


@given(instants, instants)
def test_a_post_is_never_published_before_its_date(date: datetime, now: datetime) -> None:
    p = schedule.plan(date, None, now)
    assert (p.action == "publish") == (date <= now)


def test_the_fake_clock_moves_only_when_told() -> None:
    fake = clock.FakeClock(NOW)
    with clock.using(fake):
        assert clock.now() == NOW
        fake.advance(seconds=90)
        assert clock.now() == NOW + timedelta(seconds=90)
    assert clock.now() != NOW + timedelta(seconds=90)  # the system clock again


# --- reports -------------------------------------------------------------------------------------


def test_a_scheduled_report_gives_the_go_live_time_in_the_drafts_offset_and_in_utc() -> None:
    date = datetime(2027, 1, 15, 9, 0, tzinfo=JST)
    p = schedule.plan(date, None, NOW)
    fields = schedule.report_fields(PostMeta(title="t", date=date, slug="t"), NOW)
    assert fields == {
        "scheduled_for": {"local": "2027-01-15 09:00:00+09:00", "utc": "2027-01-15 00:00:00 UTC"}
    }
    (message,) = schedule.messages(p, date, None)
    assert "2027-01-15 09:00:00+09:00" in message.text and "2027-01-15 00:00:00 UTC" in message.text


def test_an_expired_report_says_how_to_publish_it_again() -> None:
    date, expires = NOW - timedelta(days=2), NOW - timedelta(days=1)
    p = schedule.plan(date, expires, NOW)
    meta = PostMeta(title="t", date=date, slug="t", expires=expires)
    assert schedule.report_fields(meta, NOW) == {
        "expires": {"local": "2026-12-02 06:00:00+00:00", "utc": "2026-12-02 06:00:00 UTC"}
    }
    (message,) = schedule.messages(p, date, expires)
    assert "expires:" in message.text


# --- front matter ----------------------------------------------------------------------------------


def meta_of(front: str) -> object:
    return parse_draft("drafts/x.md", f"---\ntitle: x\n{front}\n---\nbody\n".encode()).meta


def errors_of(front: str) -> list[str]:
    with pytest.raises(DraftRejected) as e:
        meta_of(front)
    return [m.format("drafts/x.md") for m in e.value.errors]


@pytest.mark.parametrize("name", ["expires", "expiryDate"])
def test_expires_and_hugos_expirydate_are_read_with_their_offset(name: str) -> None:
    meta = meta_of(f"date: 2027-01-15 09:00:00 +0900\n{name}: 2027-02-01 18:30 -0500")
    assert meta.expires == datetime(2027, 2, 1, 18, 30, tzinfo=timezone(timedelta(hours=-5)))  # type: ignore[attr-defined]


def test_no_expires_or_an_empty_one_means_never() -> None:
    assert meta_of("date: 2027-01-15").expires is None  # type: ignore[attr-defined]
    assert meta_of("date: 2027-01-15\nexpires:").expires is None  # type: ignore[attr-defined]


def test_expires_before_date_is_an_error_naming_line_and_fix() -> None:
    (error,) = errors_of("date: 2027-01-15 09:00:00 +0900\nexpires: 2027-01-14")
    assert error.startswith("drafts/x.md:4: expires: ")
    assert "not after the post's date" in error and "fix the date or remove the field" in error


def test_expires_equal_to_date_is_an_error_even_in_another_offset() -> None:
    (error,) = errors_of("date: 2027-01-15 09:00:00 +0900\nexpiryDate: 2027-01-15 00:00:00 Z")
    assert "drafts/x.md:4: expiryDate:" in error


def test_both_spellings_at_once_is_an_error() -> None:
    (error,) = errors_of("date: 2027-01-15\nexpires: 2027-02-01\nexpiryDate: 2027-03-01")
    assert "keep one of them" in error and ":5:" in error


def test_an_unreadable_expires_is_an_error_with_the_formats() -> None:
    (error,) = errors_of("date: 2027-01-15\nexpires: next tuesday")
    assert 'expires: cannot parse "next tuesday"' in error and "YYYY-MM-DD" in error


def test_a_far_future_date_is_accepted_not_an_error() -> None:
    assert meta_of("date: 2999-12-31 23:59:59 +0000").date.year == 2999  # type: ignore[attr-defined]


# --- the message a due entry becomes ---------------------------------------------------------------


def test_a_scheduled_message_round_trips_through_the_queue_body() -> None:
    change = DraftChange(
        bucket="b",
        key="drafts/a post+more.md",
        kind="put",
        version_id="v1",
        etag="e1",
        event_time="2026-12-03T06:00:00.000Z",
        due="2027-01-15T00:00:00.000000Z",
        claimed="t:2026-12-03T06:00:00.000Z#abc",
    )
    (back,) = changes_from_s3_event(json.loads(json.dumps(scheduled_event(change))))
    assert back == change
    assert back.order == "t:2026-12-03T06:00:00.000Z#abc"  # applied under the claim it was held with


def test_a_go_live_is_another_change_than_its_upload_but_a_second_sweep_of_it_is_the_same() -> None:
    upload = DraftChange(bucket="b", key="drafts/a.md", kind="put", version_id="v1", sequencer="0A")
    go_live = DraftChange(
        **{**upload.__dict__, "due": "2027-01-15T00:00:00.000000Z", "claimed": upload.order}
    )
    again = DraftChange(**go_live.__dict__)
    assert go_live.order == upload.order
    assert go_live.identity != upload.identity  # not deduplicated against the held upload
    assert again.identity == go_live.identity  # a duplicate sweep is
    expiry = DraftChange(**{**go_live.__dict__, "due": "2027-02-01T00:00:00.000000Z"})
    assert expiry.identity != go_live.identity


def test_a_delayed_message_never_arrives_before_its_time() -> None:
    assert delay_seconds(NOW + timedelta(seconds=10, microseconds=1), NOW) == 11
    assert delay_seconds(NOW + timedelta(seconds=10), NOW) == 10
    assert delay_seconds(NOW - timedelta(seconds=5), NOW) == 0
    assert delay_seconds(NOW + timedelta(hours=1), NOW) == 900  # SQS's limit; swept again later


# --- the clock seam --------------------------------------------------------------------------------


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    package = ROOT / "layers" / "stitchpress" / "stitchpress"
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "clock.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"datetime\.(now|utcnow|today)\(|date\.today\(|time\.time\(\)", line)
    ]
    assert not offenders, offenders
