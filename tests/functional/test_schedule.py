"""Issue 17: scheduled publishing and expiry, through the real path on moto.

Drafts are uploaded with boto3; moto's S3 notifications go to the publish queue; a QueueWorker
hands them to the real handler as Lambda's SQS mapping would. Time is a FakeClock (the clock
seam), moved between sweeps; the sweep is the function's own code, sending to the same queue.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stitchpress.core import clock
from tests.functional.conftest import Aws
from tests.helpers import Site, draft

START = datetime(2026, 12, 3, 6, 0, 0, tzinfo=UTC)
GO_LIVE = datetime(2027, 1, 15, 0, 0, 0, tzinfo=UTC)  # 2027-01-15 09:00 in Tokyo
ATOM = {"a": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def site(aws: Aws) -> Iterator[Site]:
    fake = clock.FakeClock(START)
    with clock.using(fake):
        yield Site(aws, fake)


def invalidated(aws: Aws) -> set[str]:
    return {path for batch in aws.invalidations() for path in batch}


def test_a_post_dated_ahead_is_held_then_goes_live_by_itself_at_its_time(site: Site, aws: Aws) -> None:
    key = "drafts/2027-01-15-launch.md"
    url = "/2027/01/15/launch/"
    report = site.upload(key, draft("Launch", "2027-01-15 09:00:00 +0900", ["news"]))
    assert report["status"] == "scheduled"
    assert report["scheduled_for"] == {"local": "2027-01-15 09:00:00+09:00", "utc": "2027-01-15 00:00:00 UTC"}
    assert any("goes live at 2027-01-15 09:00:00+09:00" in m["text"] for m in report["messages"])
    assert not site.live(url)
    assert "tags/news/index.html" not in site.objects()

    assert site.at(GO_LIVE - timedelta(seconds=1)) == []  # not a second early
    assert not site.live(url)
    before = invalidated(aws)
    assert site.at(GO_LIVE) == [key]
    assert site.live(url)
    assert "Launch" in aws.page("2027/01/15/launch/index.html")
    assert url in aws.page("tags/news/index.html")
    assert aws.report(key)["status"] == "published"
    assert {f"{url}index.html", "/index.html", "/feed.xml", "/tags/news/index.html"} <= invalidated(
        aws
    ) - before
    assert site.pending_items() == []
    assert site.at(GO_LIVE + timedelta(minutes=1)) == []  # nothing left to do


def test_expires_takes_a_live_post_down_at_its_time(site: Site, aws: Aws) -> None:
    key = "drafts/2026-12-01-sale.md"
    url = "/2026/12/01/sale/"
    report = site.upload(
        key, draft("Sale", "2026-12-01 10:00 +0100", ["deals"], expires="2026-12-24 18:00 +0100")
    )
    assert report["status"] == "published"
    assert report["expires"]["utc"] == "2026-12-24 17:00:00 UTC"
    assert site.live(url)
    assert site.at(datetime(2026, 12, 24, 16, 59, 59, tzinfo=UTC)) == []
    assert site.live(url)
    assert site.at(datetime(2026, 12, 24, 17, 0, tzinfo=UTC)) == [key]
    assert not site.live(url)
    assert "tags/deals/index.html" not in site.objects()
    assert aws.report(key)["status"] == "expired"
    assert f"{url}index.html" in invalidated(aws)


def test_a_post_with_both_go_live_and_expiry_comes_and_goes(site: Site) -> None:
    key = "drafts/2027-01-15-window.md"
    site.upload(key, draft("Window", "2027-01-15 00:00 Z", expires="2027-01-16 00:00 Z"))
    assert site.at(GO_LIVE) == [key]
    assert site.live("/2027/01/15/window/")
    assert site.at(GO_LIVE + timedelta(days=1)) == [key]
    assert not site.live("/2027/01/15/window/")


def test_a_draft_uploaded_already_expired_is_never_published(site: Site, aws: Aws) -> None:
    key = "drafts/2026-11-01-old.md"
    assert site.upload(key, draft("Old", "2026-11-01", expires="2026-11-30"))["status"] == "expired"
    assert not site.live("/2026/11/01/old/")
    assert site.pending_items() == []


@pytest.mark.parametrize(
    ("new_date", "live_at"),
    [
        ("2027-01-20 00:00 Z", datetime(2027, 1, 20, tzinfo=UTC)),  # later
        ("2027-01-10 00:00 Z", datetime(2027, 1, 10, tzinfo=UTC)),  # earlier, still ahead
        ("2026-12-01 00:00 Z", START),  # into the past: live at once
    ],
)
def test_a_re_dated_upload_replaces_the_schedule(site: Site, new_date: str, live_at: datetime) -> None:
    key = "drafts/moving.md"
    site.upload(key, draft("Moving", "2027-01-15 00:00 Z", slug="moving"))
    report = site.upload(key, draft("Moving", new_date, slug="moving"))
    url = f"/{new_date[:10].replace('-', '/')}/moving/"
    assert report["status"] == ("published" if live_at == START else "scheduled")
    assert site.live(url) == (live_at == START)
    assert len(site.pending_items()) == (0 if live_at == START else 1)
    for moment in sorted({live_at, GO_LIVE, datetime(2027, 1, 20, tzinfo=UTC)}):
        if moment >= START:
            site.at(moment)
        # Live from its new time on; the old time does nothing of its own.
        assert site.live(url) == (moment >= live_at)
    assert not site.live("/2027/01/15/moving/") or live_at == GO_LIVE


def test_a_live_post_re_dated_into_the_future_is_taken_down_until_then(site: Site, aws: Aws) -> None:
    key = "drafts/back.md"
    site.upload(key, draft("Back", "2026-12-01 00:00 Z", ["t"], slug="back"))
    assert site.live("/2026/12/01/back/")
    report = site.upload(key, draft("Back", "2027-01-15 00:00 Z", ["t"], slug="back"))
    assert report["status"] == "scheduled"
    assert not site.live("/2026/12/01/back/") and not site.live("/2027/01/15/back/")
    assert "tags/t/index.html" not in site.objects()
    assert "/2026/12/01/back/index.html" in invalidated(aws)
    site.at(GO_LIVE)
    assert site.live("/2027/01/15/back/")


def test_deleting_a_scheduled_draft_cancels_its_go_live(site: Site) -> None:
    key = "drafts/2027-01-15-cancelled.md"
    site.upload(key, draft("Cancelled", "2027-01-15 00:00 Z"))
    assert len(site.pending_items()) == 1
    site.delete(key)
    assert site.pending_items() == []
    assert site.at(GO_LIVE) == []
    assert not site.live("/2027/01/15/cancelled/")


def test_draft_true_cancels_a_schedule(site: Site) -> None:
    key = "drafts/2027-01-15-paused.md"
    site.upload(key, draft("Paused", "2027-01-15 00:00 Z"))
    assert site.upload(key, draft("Paused", "2027-01-15 00:00 Z", draft="true"))["status"] == "draft"
    assert site.pending_items() == []
    site.at(GO_LIVE)
    assert not site.live("/2027/01/15/paused/")


def test_a_rejected_re_upload_leaves_the_schedule_standing(site: Site, aws: Aws) -> None:
    key = "drafts/2027-01-15-steady.md"
    site.upload(key, draft("Steady", "2027-01-15 00:00 Z"))
    assert site.upload(key, b"---\ntitle: [\n---\nbroken\n")["status"] == "rejected"
    assert site.at(GO_LIVE) == [key]
    assert site.live("/2027/01/15/steady/")
    assert "Steady" in aws.page("2027/01/15/steady/index.html")


def test_a_rejected_re_upload_does_not_stop_an_expiry(site: Site) -> None:
    key = "drafts/2026-12-01-ends.md"
    site.upload(key, draft("Ends", "2026-12-01", expires="2026-12-31"))
    site.upload(key, b"---\ntitle: [\n---\nbroken\n")
    assert site.live("/2026/12/01/ends/")  # a bad draft leaves the live site intact
    site.at(datetime(2026, 12, 31, tzinfo=UTC))
    assert not site.live("/2026/12/01/ends/")


def test_two_posts_due_the_same_second_both_go_live_in_order(site: Site, aws: Aws) -> None:
    site.upload("drafts/2027-01-15-first.md", draft("First", "2027-01-15 09:00 +0900", ["same"]))
    site.upload("drafts/2027-01-15-second.md", draft("Second", "2027-01-15 00:00:00 Z", ["same"]))
    assert sorted(site.at(GO_LIVE)) == ["drafts/2027-01-15-first.md", "drafts/2027-01-15-second.md"]
    assert site.live("/2027/01/15/first/") and site.live("/2027/01/15/second/")
    tag = aws.page("tags/same/index.html")
    assert tag.count("/2027/01/15/") >= 2
    assert "/2027/01/15/second/" in aws.page("2027/01/15/first/index.html")  # neighbours link


def test_a_date_years_ahead_waits_for_years(site: Site, aws: Aws) -> None:
    key = "drafts/2999-12-31-far.md"
    report = site.upload(key, draft("Far", "2999-12-31 23:59:59 +0000"))
    assert report["scheduled_for"]["utc"] == "2999-12-31 23:59:59 UTC"
    assert site.at(datetime(2999, 12, 31, 23, 59, 58, tzinfo=UTC)) == []
    assert site.at(datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)) == [key]
    assert site.live("/2999/12/31/far/")


def test_duplicate_and_late_sweep_messages_change_nothing(site: Site, aws: Aws) -> None:
    key = "drafts/2027-01-15-once.md"
    site.upload(key, draft("Once", "2027-01-15 00:00 Z"))
    site.fake.set(GO_LIVE + timedelta(hours=5))  # a late sweep: still goes live
    bodies: list[str] = []
    original = aws.sqs.send_message_batch

    def recording(**kwargs: Any) -> Any:
        bodies.extend(e["MessageBody"] for e in kwargs["Entries"])
        return original(**kwargs)

    aws.sqs.send_message_batch = recording
    try:
        assert site.at(GO_LIVE + timedelta(hours=5)) == [key]
    finally:
        del aws.sqs.send_message_batch
    assert site.live("/2027/01/15/once/")
    objects, invalidations = site.objects(), aws.invalidations()
    # The same message twice more (SQS at-least-once, or two overlapping sweeps).
    for body in bodies * 2:
        aws.sqs.send_message(QueueUrl=aws.stack.queue_url, MessageBody=body)
    site.drain()
    assert site.objects() == objects
    assert aws.invalidations() == invalidations
    assert aws.report(key)["status"] == "published"


def test_a_go_live_message_from_before_a_re_date_is_ignored(site: Site, aws: Aws) -> None:
    key = "drafts/stale.md"
    site.upload(key, draft("Stale", "2027-01-15 00:00 Z", slug="stale"))
    (entry,) = site.pending.due_by(GO_LIVE)
    from stitchpress.core.events import scheduled_event

    old_message = json.dumps(scheduled_event(entry.change))
    site.upload(key, draft("Stale", "2027-02-01 00:00 Z", slug="stale"))  # re-dated later
    site.fake.set(GO_LIVE)
    aws.sqs.send_message(QueueUrl=aws.stack.queue_url, MessageBody=old_message)
    site.drain()
    assert not site.live("/2027/01/15/stale/") and not site.live("/2027/02/01/stale/")
    site.at(datetime(2027, 2, 1, tzinfo=UTC))
    assert site.live("/2027/02/01/stale/")


def test_the_feed_is_never_updated_in_the_future(site: Site, aws: Aws) -> None:
    # A post indexed while the clock was ahead (or before scheduling existed), then the clock back.
    site.fake.set(datetime(2028, 1, 1, tzinfo=UTC))
    site.upload("drafts/2028-01-01-ahead.md", draft("Ahead", "2028-01-01"))
    site.fake.set(START)
    site.upload("drafts/2026-12-01-now.md", draft("Now", "2026-12-01"))
    feed = ET.fromstring(aws.s3.get_object(Bucket=aws.site, Key="feed.xml")["Body"].read())
    updated = datetime.fromisoformat(feed.find("a:updated", ATOM).text)  # type: ignore[union-attr,arg-type]
    assert updated <= START
