"""Issue 12: what the site shows stays right when execution environments, concurrent publishes
and rebuilds interleave, and a takedown is reported."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from stitchpress.core import fanout
from stitchpress.core.events import changes_from_s3_event
from stitchpress.service.publish import Publisher
from tests.functional.conftest import Aws
from tests.helpers import draft, post_links, s3_event, upload
from tests.helpers import publish as publish_via_handler


def environment(aws: Aws) -> Publisher:
    """An execution environment of its own: a publisher with its own memory."""
    return Publisher(aws.stack.config, aws.s3, aws.ddb, aws.cloudfront)


def apply(aws: Aws, publisher: Publisher, key: str, data: bytes, seq: int) -> str:
    version = upload(aws, key, data)
    publisher.begin()
    (change,) = changes_from_s3_event(s3_event(aws, key, version=version, seq=seq))
    outcome = publisher.apply(change)
    publisher.flush(f"batch-{seq}")
    return outcome.status


def test_static_files_follow_the_buckets_theme_not_an_environments_memory(aws: Aws) -> None:
    first, second = environment(aws), environment(aws)
    assert apply(aws, first, "drafts/2025-09-01-a.md", draft("A", "2025-09-01"), 0x10) == "published"
    assert "Page not found" in aws.page("404.html")
    override = '{% extends "base.html" %}{% block main %}<h1>Nothing here, sorry</h1>{% endblock %}'
    aws.s3.put_object(Bucket=aws.drafts, Key="theme/404.html", Body=override.encode())
    apply(aws, second, "drafts/2025-09-02-b.md", draft("B", "2025-09-02"), 0x11)
    assert "Nothing here, sorry" in aws.page("404.html")
    # The override goes; the first environment last saw (and wrote) the default theme.
    aws.s3.delete_object(Bucket=aws.drafts, Key="theme/404.html")
    apply(aws, first, "drafts/2025-09-03-c.md", draft("C", "2025-09-03"), 0x12)
    assert "Nothing here, sorry" not in aws.page("404.html")


def test_neighbour_links_are_right_when_a_publish_lands_next_to_one_in_progress(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day, slug in ((1, "w"), (2, "x"), (8, "y"), (9, "z")):
        publish_via_handler(
            aws, f"drafts/2025-09-{day:02d}-{slug}.md", draft(slug.upper(), f"2025-09-{day:02d}")
        )
    slow = environment(aws)
    read_around = slow.index.around
    interleaved: list[bool] = []

    def around_then_other_publish(*args: Any, **kwargs: Any) -> Any:
        found = read_around(*args, **kwargs)
        if not interleaved:  # another environment publishes right beside it, start to finish
            interleaved.append(True)
            publish_via_handler(aws, "drafts/2025-09-05-other.md", draft("Other", "2025-09-05"))
        return found

    monkeypatch.setattr(slow.index, "around", around_then_other_publish)
    assert apply(aws, slow, "drafts/2025-09-04-new.md", draft("New", "2025-09-04"), 0x20) == "published"
    assert interleaved
    assert post_links(aws, 2, "x") == {"/2025/09/01/w/", "/2025/09/04/new/"}
    assert post_links(aws, 4, "new") == {"/2025/09/02/x/", "/2025/09/05/other/"}
    assert post_links(aws, 5, "other") == {"/2025/09/04/new/", "/2025/09/08/y/"}
    assert post_links(aws, 8, "y") == {"/2025/09/05/other/", "/2025/09/09/z/"}


def test_rebuild_posts_keeps_neighbour_links_right_when_a_post_arrives_meanwhile(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day, slug in ((1, "w"), (2, "x"), (8, "y"), (9, "z")):
        publish_via_handler(
            aws, f"drafts/2025-09-{day:02d}-{slug}.md", draft(slug.upper(), f"2025-09-{day:02d}")
        )
    monkeypatch.setattr(fanout, "POSTS_PER_CHUNK", 1)  # one post page a range, oldest first
    arrived: list[bool] = []

    def progress(line: str) -> None:
        if line.startswith("posts") and not arrived:  # after the oldest post's page
            arrived.append(True)
            publish_via_handler(aws, "drafts/2025-09-05-new.md", draft("New", "2025-09-05"))

    rebuilder: Callable[..., Any] = environment(aws).rebuild
    rebuilder(posts=True, progress=progress)
    assert arrived
    assert post_links(aws, 8, "y") == {"/2025/09/05/new/", "/2025/09/09/z/"}
    assert post_links(aws, 2, "x") == {"/2025/09/01/w/", "/2025/09/05/new/"}
    assert post_links(aws, 5, "new") == {"/2025/09/02/x/", "/2025/09/08/y/"}


def test_an_unpublished_drafts_report_says_so_with_the_time(aws: Aws) -> None:
    key = "drafts/2025-09-01-gone.md"
    publish_via_handler(aws, key, draft("Gone", "2025-09-01", ["a"]))
    assert aws.report(key)["status"] == "published"
    aws.s3.delete_object(Bucket=aws.drafts, Key=key)
    assert aws.invoke(s3_event(aws, key, kind="delete"))["outcomes"][0]["status"] == "unpublished"
    report = aws.report(key)
    assert report["status"] == "unpublished"
    assert report["url"] == "/2025/09/01/gone/"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", report["unpublished_at"])


def test_a_second_draft_claiming_an_owned_url_is_rejected_and_its_delete_leaves_the_owner(aws: Aws) -> None:
    owner, second = "drafts/one/2025-09-01-same.md", "drafts/two/2025-09-01-same.md"
    assert publish_via_handler(aws, owner, draft("First", "2025-09-01", ["a"]))["status"] == "published"
    assert publish_via_handler(aws, second, draft("Second", "2025-09-01", ["b"]))["status"] == "rejected"
    errors = aws.report(second)["errors"]
    assert len(errors) == 1 and owner in errors[0] and "/2025/09/01/same/" in errors[0], errors
    assert "First" in aws.page("2025/09/01/same/index.html")
    aws.s3.delete_object(Bucket=aws.drafts, Key=second)
    aws.invoke(s3_event(aws, second, kind="delete"))
    objects = aws.site_objects()
    assert "First" in objects["2025/09/01/same/index.html"].decode()
    assert "/2025/09/01/same/" in objects["index.html"].decode()
    assert "tags/a/index.html" in objects and "tags/b/index.html" not in objects
    # The owner can still change and leave its URL; then the URL is free for another draft.
    publish_via_handler(aws, owner, draft("First", "2025-09-01", ["a"], slug="moved"))
    assert publish_via_handler(aws, second, draft("Second", "2025-09-01", ["b"]))["status"] == "published"
    assert "Second" in aws.page("2025/09/01/same/index.html")
    assert "First" in aws.page("2025/09/01/moved/index.html")
