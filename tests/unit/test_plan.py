"""The pure planning step: what a post's arrival, change or departure affects."""

from __future__ import annotations

from datetime import UTC, datetime

from stitchpress.core.model import PostSummary, Term
from stitchpress.core.plan import (
    Change,
    first_page,
    listing_path,
    numbered_pages_gone,
    relinked_from,
    sitemap_path,
)


def post(
    day: int, tags: tuple[str, ...] = (), url: str | None = None, key: str = "drafts/a.md"
) -> PostSummary:
    date = datetime(2025, 9, day, tzinfo=UTC)
    return PostSummary(
        source_key=key,
        title="A",
        date=date,
        url=url or f"/2025/09/{day:02d}/a/",
        tags=tuple(Term(t, t.upper()) for t in tags),
    )


def test_a_retag_covers_the_old_and_the_new_tags_and_keeps_the_url() -> None:
    change = Change(post(1, ("new", "kept")), (post(1, ("old", "kept")),))
    assert sorted(change.listings()) == ["home", "month/2025/09", "tag/kept", "tag/new", "tag/old"]
    assert change.listings()["tag/kept"] == "KEPT"
    assert change.gone_urls() == [] and change.moved_from() == []
    assert change.months() == ["month/2025/09"]


def test_an_unfinished_earlier_change_is_covered_too() -> None:
    # v0 (tag a, day 1) -> v1 (tag b, day 2) never reached the site -> v2 (tag c, day 3).
    change = Change(post(3, ("c",)), (post(2, ("b",)), post(1, ("a",))))
    assert {"tag/a", "tag/b", "tag/c"} <= set(change.listings())
    assert change.gone_urls() == ["/2025/09/01/a/", "/2025/09/02/a/"]
    assert [p.date.day for p in change.moved_from()] == [2, 1]


def test_an_unpublish_removes_the_post_url() -> None:
    change = Change(None, (post(1, ("a",)),))
    assert change.gone_urls() == ["/2025/09/01/a/"]
    assert "tag/a" in change.listings() and change.touched == [post(1, ("a",))]


def test_paths_of_listings_and_sitemaps() -> None:
    assert listing_path("home") == "/" and listing_path("tag/ai") == "/tags/ai/"
    assert listing_path("month/2025/09") == "/2025/09/"
    assert sitemap_path("month/2025/09") == "/sitemaps/2025-09.xml"


def test_numbered_pages_exist_only_while_the_front_page_holds_two_pages_worth() -> None:
    assert numbered_pages_gone("/tags/a/", 39, 20) == ["/tags/a/page/1/"]
    assert numbered_pages_gone("/tags/a/", 40, 20) == []
    assert numbered_pages_gone("/tags/a/", 59, 20) == ["/tags/a/page/2/"]


def test_the_first_page_to_render_is_where_a_touched_post_is() -> None:
    assert first_page(61, [], every_page=False, size=20) == 1  # the page before the newest
    assert first_page(81, [], every_page=False, size=20) == 2
    assert first_page(81, [80], every_page=False, size=20) == 1  # the oldest post moved
    assert first_page(81, [], every_page=True, size=20) == 1
    # The listing's own last change, which did not move page links: only the front page.
    assert first_page(81, [], every_page=False, size=20, relinked=relinked_from(81, 20)) == 4
    assert first_page(81, [80], every_page=False, size=20, relinked=4) == 1


def test_only_a_change_of_the_number_of_numbered_pages_relinks_them() -> None:
    # 60 posts: a new page 2, and page 1's "newer" link moved to it. 59 (one fewer than 60):
    # page 2 went, and page 1's "newer" link is back on the front page. 41: nothing moved.
    assert [relinked_from(n, 20) for n in (40, 41, 58, 59, 60, 61, 79)] == [0, 2, 2, 1, 1, 3, 2]
