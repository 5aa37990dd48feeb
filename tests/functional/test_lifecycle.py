"""Issue 5: the site kept correct incrementally — updates, unpublishing, moves, and real event
delivery (duplicates, out of order). Events are hand-made from events/*.json because moto's lack
`sequencer` and `versionId`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.functional.conftest import Aws
from tests.helpers import draft, links, nav_links, publish, s3_event, sqs_wrap, upload


def test_republishing_identical_bytes_writes_and_invalidates_nothing(aws: Aws) -> None:
    data = draft("Same", "2025-09-01", ["a"])
    publish(aws, "drafts/2025-09-01-same.md", data)
    before = {k: aws.s3.head_object(Bucket=aws.site, Key=k)["ETag"] for k in aws.site_objects()}
    assert len(aws.invalidations()) == 1
    outcome = publish(aws, "drafts/2025-09-01-same.md", data)
    assert outcome["status"] == "published"
    after = {k: aws.s3.head_object(Bucket=aws.site, Key=k)["ETag"] for k in aws.site_objects()}
    assert after == before
    assert len(aws.invalidations()) == 1  # nothing changed, nothing invalidated


def test_changing_tags_moves_the_post_between_tag_pages(aws: Aws) -> None:
    key = "drafts/2025-09-01-moving.md"
    publish(aws, key, draft("Moving", "2025-09-01", ["old", "kept"]))
    publish(aws, "drafts/2025-08-01-other.md", draft("Other", "2025-08-01", ["old"]))
    publish(aws, key, draft("Moving", "2025-09-01", ["kept", "new"]))
    objects = aws.site_objects()
    assert "/2025/09/01/moving/" not in objects["tags/old/index.html"].decode()
    assert "/2025/08/01/other/" in objects["tags/old/index.html"].decode()
    assert "/2025/09/01/moving/" in objects["tags/new/index.html"].decode()
    assert "/2025/09/01/moving/" in objects["tags/kept/index.html"].decode()
    overview = objects["tags/index.html"].decode()
    assert "/tags/new/" in overview and "/tags/old/" in overview


def test_a_tag_left_empty_disappears(aws: Aws) -> None:
    key = "drafts/2025-09-01-alone.md"
    publish(aws, key, draft("Alone", "2025-09-01", ["solo"]))
    assert "tags/solo/index.html" in aws.site_objects()
    publish(aws, key, draft("Alone", "2025-09-01", ["other"]))
    objects = aws.site_objects()
    assert "tags/solo/index.html" not in objects
    assert "/tags/solo/" not in objects["tags/index.html"].decode()


def test_slug_change_moves_the_post(aws: Aws) -> None:
    key = "drafts/2025-09-01-first.md"
    publish(aws, key, draft("Post", "2025-09-01", ["a"]))
    publish(aws, key, draft("Post", "2025-09-01", ["a"], slug="renamed"))
    objects = aws.site_objects()
    assert "2025/09/01/first/index.html" not in objects
    assert "2025/09/01/renamed/index.html" in objects
    home = objects["index.html"].decode()
    assert "/2025/09/01/renamed/" in home and "/2025/09/01/first/" not in home


def test_draft_true_unpublishes_a_live_post(aws: Aws) -> None:
    key = "drafts/2025-09-01-pulled.md"
    publish(aws, key, draft("Pulled", "2025-09-01", ["a"]))
    outcome = publish(aws, key, draft("Pulled", "2025-09-01", ["a"], draft="true"))
    assert outcome["status"] == "unpublished"
    objects = aws.site_objects()
    assert "2025/09/01/pulled/index.html" not in objects
    assert "/2025/09/01/pulled/" not in objects["index.html"].decode()
    assert aws.report(key)["status"] == "draft"


def test_duplicate_delivery_does_the_work_once(aws: Aws) -> None:
    key = "drafts/2025-09-01-dup.md"
    version = upload(aws, key, draft("Dup", "2025-09-01", ["a"]))
    event = sqs_wrap(s3_event(aws, key, version=version), "m-1")
    assert aws.invoke(event) == {"batchItemFailures": []}
    report = aws.report(key)
    # The same message again (SQS at-least-once delivery) and the same S3 event in a new message.
    assert aws.invoke(event) == {"batchItemFailures": []}
    assert aws.invoke(sqs_wrap(json.loads(event["Records"][0]["body"]), "m-2")) == {"batchItemFailures": []}
    assert aws.report(key) == report  # not processed again
    assert len(aws.invalidations()) == 1


def test_an_older_upload_arriving_late_is_ignored(aws: Aws) -> None:
    key = "drafts/2025-09-01-race.md"
    v1 = upload(aws, key, draft("Version one", "2025-09-01"))
    v2 = upload(aws, key, draft("Version two", "2025-09-01"))
    newer = aws.invoke(s3_event(aws, key, version=v2, seq=0x200))
    older = aws.invoke(s3_event(aws, key, version=v1, seq=0x100))
    assert newer["outcomes"][0]["status"] == "published"
    assert older["outcomes"][0]["status"] == "skipped"
    page = aws.page("2025/09/01/race/index.html")
    assert "Version two" in page and "Version one" not in page


def test_a_late_put_cannot_resurrect_a_deleted_post(aws: Aws) -> None:
    key = "drafts/2025-09-01-gone.md"
    v1 = upload(aws, key, draft("Gone", "2025-09-01", ["a"]))
    aws.invoke(s3_event(aws, key, version=v1, seq=0x100))
    v2 = upload(aws, key, draft("Gone again", "2025-09-01", ["a"]))  # its event is delayed
    aws.s3.delete_object(Bucket=aws.drafts, Key=key)
    assert aws.invoke(s3_event(aws, key, kind="delete", seq=0x300))["outcomes"][0]["status"] == "unpublished"
    # The put's event arrives after the delete's (its version still exists: versioned bucket).
    late = aws.invoke(s3_event(aws, key, version=v2, seq=0x200))
    assert late["outcomes"][0]["status"] == "skipped"
    objects = aws.site_objects()
    assert "2025/09/01/gone/index.html" not in objects
    assert "/2025/09/01/gone/" not in objects["index.html"].decode()


def test_a_listing_under_two_pages_worth_is_one_front_page_without_repeats(aws: Aws) -> None:
    # 25 posts, 20 a page: the front page holds all of them; there is no numbered page that would
    # repeat 15 of them (stitchpress.core.paging; tests/functional/test_pagination.py for more pages).
    for day in range(1, 26):
        publish(aws, f"drafts/2025-07-{day:02d}-p{day}.md", draft(f"P{day}", f"2025-07-{day:02d}", ["many"]))
    objects = aws.site_objects()
    front = objects["tags/many/index.html"].decode()
    assert all(f"/2025/07/{day:02d}/p{day}/" in front for day in range(1, 26))
    assert not any("tags/many/page/" in key for key in objects)
    assert not any("/page/" in link for link in links(front))


def test_feed_and_sitemaps(aws: Aws) -> None:
    for day in range(1, 23):
        publish(aws, f"drafts/2025-06-{day:02d}-f{day}.md", draft(f"F{day}", f"2025-06-{day:02d}", ["t"]))
    publish(aws, "drafts/2025-05-31-may.md", draft("May", "2025-05-31"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(aws.s3.get_object(Bucket=aws.site, Key="feed.xml")["Body"].read())
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 20
    assert entries[0].find("a:title", ns).text == "F22"
    assert all(e.find("a:link", ns).get("href").startswith("http") for e in entries)
    sm = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ET.fromstring(aws.s3.get_object(Bucket=aws.site, Key="sitemap.xml")["Body"].read())
    locs = [e.text for e in index.findall("s:sitemap/s:loc", sm)]
    assert sorted(loc.rsplit("/", 1)[1] for loc in locs) == ["2025-05.xml", "2025-06.xml"]
    june = ET.fromstring(aws.s3.get_object(Bucket=aws.site, Key="sitemaps/2025-06.xml")["Body"].read())
    assert len(june.findall("s:url", sm)) == 22
    robots = aws.s3.get_object(Bucket=aws.site, Key="robots.txt")["Body"].read().decode()
    assert "sitemap.xml" in robots


def test_previous_and_next_links(aws: Aws) -> None:
    publish(aws, "drafts/2025-09-01-a.md", draft("A", "2025-09-01"))
    publish(aws, "drafts/2025-09-03-c.md", draft("C", "2025-09-03"))
    publish(aws, "drafts/2025-09-02-b.md", draft("B", "2025-09-02"))  # lands between A and C
    a, c, b = (nav_links(aws.page(f"2025/09/{p}/index.html")) for p in ("01/a", "03/c", "02/b"))
    assert "/2025/09/02/b/" in a and "/2025/09/03/c/" not in a
    assert "/2025/09/02/b/" in c and "/2025/09/01/a/" not in c
    assert {"/2025/09/01/a/", "/2025/09/03/c/"} <= b


def test_rebuild_restores_every_page(aws: Aws) -> None:
    from stitchpress.service.handler import publisher

    for day in (1, 2, 3):
        publish(aws, f"drafts/2025-09-0{day}-r{day}.md", draft(f"R{day}", f"2025-09-0{day}", ["r"]))
    before = aws.site_objects()
    for key in before:  # e.g. a theme change: every page must be written again
        aws.s3.delete_object(Bucket=aws.site, Key=key)
    lines: list[str] = []
    changed = publisher().rebuild(posts=True, progress=lines.append)
    assert aws.site_objects() == before
    assert sorted(changed) == sorted(before)
    assert lines[-1] == "posts 3/3"


def same_time_event(aws: Aws, key: str, kind: str, version: str | None) -> dict:
    """An event as moto sends it: no sequencer, and (here) the very same time as another one."""
    event = s3_event(aws, key, kind, version=version)
    del event["Records"][0]["s3"]["object"]["sequencer"]
    event["Records"][0]["eventTime"] = "2025-09-21T09:00:00.000Z"
    return event


@pytest.mark.parametrize("delete_first_delivered", [True, False])
@pytest.mark.parametrize("last_change", ["upload", "delete"])
def test_of_two_events_at_the_same_time_the_drafts_own_last_change_wins(
    aws: Aws, last_change: str, delete_first_delivered: bool
) -> None:
    """A delete and an upload of one draft with equal event times and no sequencer, delivered
    either way round: the site ends as the draft is (the later change), never as the other."""
    key = "drafts/2025-09-01-tie.md"
    first = upload(aws, key, draft("Version one", "2025-09-01", ["a"]))
    before = s3_event(aws, key, version=first)
    del before["Records"][0]["s3"]["object"]["sequencer"]  # an earlier time, as moto sends it
    assert aws.invoke(before)["outcomes"][0]["status"] == "published"
    if last_change == "upload":
        aws.s3.delete_object(Bucket=aws.drafts, Key=key)
        second = upload(aws, key, draft("Version two", "2025-09-01", ["a"]))
    else:
        second = upload(aws, key, draft("Version two", "2025-09-01", ["a"]))
        aws.s3.delete_object(Bucket=aws.drafts, Key=key)
    put, delete = same_time_event(aws, key, "put", second), same_time_event(aws, key, "delete", None)
    for event in [delete, put] if delete_first_delivered else [put, delete]:
        aws.invoke(event)
    objects = aws.site_objects()
    home = objects["index.html"].decode()
    if last_change == "upload":
        assert "Version two" in objects.get("2025/09/01/tie/index.html", b"").decode()
        assert "/2025/09/01/tie/" in home
    else:
        assert "2025/09/01/tie/index.html" not in objects
        assert "/2025/09/01/tie/" not in home
