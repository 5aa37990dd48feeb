"""Issue 18: listings paginate without repeats. Numbered pages are anchored at the oldest post,
so a page keeps its posts as new ones arrive, every page links its neighbours, and a publish
rewrites a bounded number of listing pages. The page size is lowered to 3 so that a dozen
publishes cross several page boundaries (the same code runs with 20 on the site)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stitchpress.aws.storage import SiteStore
from stitchpress.core.events import changes_from_s3_event
from stitchpress.service import pages as pages_module
from stitchpress.service.publish import Publisher
from tests.functional.conftest import Aws
from tests.helpers import draft, publish, s3_event, upload

SIZE = 3
FRONT = "tags/t/index.html"


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages_module, "PAGE_SIZE", SIZE)


def key_of(path: str) -> str:
    return path.lstrip("/") + "index.html"


def rel(html: str, kind: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{kind}">', html)
    return found.group(1) if found else None


def titles(html: str) -> list[str]:
    return re.findall(r'class="post-summary-title"><a href="[^"]+">([^<]+)</a>', html)


def crawl(aws: Aws) -> list[tuple[str, list[str]]]:
    """Follow "older" links from the front page as a reader would: (page key, titles), checking
    that each page's "newer" link leads back to where the reader came from."""
    out = [(FRONT, titles(aws.page(FRONT)))]
    html = aws.page(FRONT)
    assert rel(html, "prev") is None
    while (older := rel(html, "next")) is not None:
        came_from = out[-1][0]
        html = aws.page(key_of(older))
        assert key_of(rel(html, "prev") or "") == came_from
        out.append((key_of(older), titles(html)))
    return out


def post(aws: Aws, n: int) -> dict:
    return publish(aws, f"drafts/2025-03-{n:02d}-p{n}.md", draft(f"P{n}", f"2025-03-{n:02d}", ["t"]))


def listing_pages(aws: Aws) -> dict[str, bytes]:
    return {k: v for k, v in aws.site_objects().items() if k.startswith("tags/t/") and k.endswith(".html")}


def test_no_repeats_stable_pages_and_bounded_rewrites_as_posts_arrive(aws: Aws) -> None:
    frozen: dict[str, list[str]] = {}  # numbered page -> the posts it held when first seen
    for n in range(1, 11):
        before = listing_pages(aws)
        post(aws, n)
        after = listing_pages(aws)
        rewritten = [k for k in after if before.get(k) != after[k]]
        assert len(rewritten) <= 3, rewritten  # front page, a new numbered page, the one before it
        pages = crawl(aws)
        seen = [t for _, ts in pages for t in ts]
        assert seen == [f"P{k}" for k in range(n, 0, -1)]  # every post once, newest first
        front = len(pages[0][1])
        assert SIZE <= front < 2 * SIZE if n >= SIZE else front == n
        for page, ts in pages[1:]:
            assert len(ts) == SIZE
            assert frozen.setdefault(page, ts) == ts  # a numbered page keeps its posts
    assert [p for p, _ in crawl(aws)][1:] == [f"tags/t/page/{k}/index.html" for k in (2, 1)]


def test_departures_keep_older_pages_and_remove_emptied_ones(aws: Aws) -> None:
    for n in range(1, 13):  # pages 1-3 hold P1-P9, the front page P10-P12
        post(aws, n)
    before = {p: ts for p, ts in crawl(aws)}
    etag = aws.s3.head_object(Bucket=aws.site, Key="tags/t/page/1/index.html")["ETag"]
    # P5 leaves: page 1 keeps P1-P3; pages 2 and 3 move one post along.
    key = "drafts/2025-03-05-p5.md"
    aws.s3.delete_object(Bucket=aws.drafts, Key=key)
    assert aws.invoke(s3_event(aws, key, kind="delete"))["outcomes"][0]["status"] == "unpublished"
    after = crawl(aws)
    assert [t for _, ts in after for t in ts] == [f"P{k}" for k in range(12, 0, -1) if k != 5]
    assert dict(after)["tags/t/page/1/index.html"] == before["tags/t/page/1/index.html"]
    assert aws.s3.head_object(Bucket=aws.site, Key="tags/t/page/1/index.html")["ETag"] == etag
    assert len(after) == 3  # 11 posts: two numbered pages and a front page of five
    assert "tags/t/page/3/index.html" not in aws.site_objects()
    # A newer arrival brings the page back with the same posts a reader would expect.
    post(aws, 13)
    assert [t for _, ts in crawl(aws) for t in ts] == [f"P{k}" for k in range(13, 0, -1) if k != 5]


def test_a_publish_reads_only_the_listing_pages_it_may_change(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Was: every publish also rendered and looked up (HeadObject) the two newest numbered pages
    # of each listing of the post, unchanged unless the post filled a new page: a publish on a
    # big site made ~10 more calls than on a small one.
    looked_up: list[str] = []
    digest = SiteStore.digest

    def recorded(store: SiteStore, key: str) -> str | None:
        looked_up.append(key)
        return digest(store, key)

    monkeypatch.setattr(SiteStore, "digest", recorded)
    for n in range(1, 12):
        before = listing_pages(aws)
        looked_up.clear()
        post(aws, n)
        after = listing_pages(aws)
        rewritten = {k for k in after if before.get(k) != after[k]}
        extra = {k for k in looked_up if k in after} - rewritten
        # One post short of a new page, the newest numbered page is looked at too: a retry
        # cannot tell whether its change added the post or removed one (then that page's
        # "newer" link moved back to the front page).
        newest = f"tags/t/page/{n // SIZE - 1}/index.html"
        assert extra == (set() if (n + 1) % SIZE or n < 2 * SIZE else {newest}), n
    assert len(crawl(aws)) == 3  # the front page and two numbered ones


def test_a_new_numbered_page_is_written_when_a_later_publish_lands_meanwhile(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 6):
        post(aws, n)
    slow = Publisher(aws.stack.config, aws.s3, aws.ddb, aws.cloudfront)
    read = slow.index.listings_named
    interleaved: list[bool] = []

    def listings_after_another_publish(*args: Any, **kwargs: Any) -> Any:
        if not interleaved:  # P6 fills the first numbered page; P7 lands before P6 renders
            interleaved.append(True)
            post(aws, 7)
        return read(*args, **kwargs)

    monkeypatch.setattr(slow.index, "listings_named", listings_after_another_publish)
    key = "drafts/2025-03-06-p6.md"
    version = upload(aws, key, draft("P6", "2025-03-06", ["t"]))
    slow.begin()
    (change,) = changes_from_s3_event(s3_event(aws, key, version=version))
    assert slow.apply(change).status == "published" and interleaved
    slow.flush("slow")
    # P7 saw 7 posts, one numbered page it did not make; P6 saw P7's change, and wrote it.
    pages = crawl(aws)
    assert [p for p, _ in pages] == [FRONT, "tags/t/page/1/index.html"]
    assert [t for _, ts in pages for t in ts] == [f"P{k}" for k in range(7, 0, -1)]
