"""`stitchpress rebuild --in-process --posts` (Publisher.rebuild, which the CLI runs) with
publishes running: it renders the home listing range by range as a job's chunks do
(stitchpress.service.post_range), so a post unpublished or moved while it runs is not brought
back by a page it rendered just before."""

from __future__ import annotations

from typing import Any

import pytest

from stitchpress.core import fanout
from stitchpress.service.publish import Publisher
from tests.functional.conftest import Aws
from tests.functional.test_rebuild_job import (
    POSTS,
    key_of,
    preload,
    published_search_item,
    search_items,
    single_process_rebuild,
)
from tests.helpers import draft, publish, s3_event


def rebuilder(aws: Aws) -> Publisher:
    publisher = Publisher(aws.stack.config, aws.s3, aws.ddb, aws.cloudfront)
    publisher.begin()
    return publisher


def test_a_post_unpublished_or_moved_during_an_in_process_rebuild_stays_off_the_site(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "POSTS_PER_CHUNK", 3)  # three ranges of the nine posts
    preload(aws)
    publisher = rebuilder(aws)
    render = publisher.pages.render_indexed
    done: list[str] = []

    def render_then_change(entry: Any, *args: Any) -> Any:
        pages = render(entry, *args)  # rendered from the entry as it was...
        key = entry.summary.source_key
        if key == key_of(20, "g") and "gone" not in done:  # ...then unpublished before the write
            done.append("gone")
            aws.s3.delete_object(Bucket=aws.drafts, Key=key)
            aws.invoke(s3_event(aws, key, kind="delete"))
        if key == key_of(3, "b") and "moved" not in done:  # ...or re-dated: another URL
            done.append("moved")
            publish(aws, key, draft("B", "2025-09-04", ["x", "y"]))
        return pages

    monkeypatch.setattr(publisher.pages, "render_indexed", render_then_change)
    publisher.rebuild(posts=True, progress=lambda line: None)
    assert sorted(done) == ["gone", "moved"]
    objects = aws.site_objects()
    assert "2025/09/20/g/index.html" not in objects
    assert "2025/09/03/b/index.html" not in objects and "2025/09/04/b/index.html" in objects
    for listing in ("index.html", "tags/y/index.html", "tags/z/index.html", "archives/index.html"):
        assert "/2025/09/20/g/" not in objects[listing].decode(), listing
        assert "/2025/09/03/b/" not in objects[listing].decode(), listing
    # Neighbours close the gap the unpublished post left.
    assert "/2025/09/26/h/" in objects["2025/09/15/f/index.html"].decode()
    # Search: every post but the unpublished one has its record (the preload wrote none), b's
    # the one its re-dating publish wrote.
    texts = search_items(aws)
    assert sorted(texts) == sorted(key_of(day, slug) for day, slug, _ in POSTS if slug != "g")
    assert texts[key_of(1, "a")] == published_search_item(aws, 1, "a", ["x"])
    assert texts[key_of(3, "b")]["url"] == {"S": "/2025/09/04/b/"}
    # And it is what a rebuild of the index as it is now renders, page for page.
    assert single_process_rebuild(aws) == objects


def test_a_rebuild_keeps_no_search_text_for_a_post_unpublished_after_it_was_read(aws: Aws) -> None:
    """The last race: the post is unpublished between the rebuild's last read and its search
    write. The write is conditional on the post item as read, so search does not name it."""
    from stitchpress.aws.index import PostIndex

    preload(aws)
    index = PostIndex(aws.ddb, aws.stack.config.index_table)
    key = key_of(20, "g")
    entry = index.get_post(key)
    assert entry is not None
    aws.s3.delete_object(Bucket=aws.drafts, Key=key)
    aws.invoke(s3_event(aws, key, kind="delete"))
    other = index.get_post(key_of(1, "a"))
    assert other is not None
    text = published_search_item(aws, 20, "g", ["y", "z"])["text"]["B"]
    assert index.keep_search_texts([(entry, text), (other, text)]) == 1  # a's only
    assert sorted(search_items(aws)) == [key_of(1, "a")]
