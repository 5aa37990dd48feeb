"""Issue 18: listings paginate without repeats. Numbered pages are anchored at the oldest post,
so a page keeps its posts as new ones arrive, every page links its neighbours, and a publish
rewrites a bounded number of listing pages. The page size is lowered to 3 so that a dozen
publishes cross several page boundaries (the same code runs with 20 on the site)."""

from __future__ import annotations

import re

import pytest

from stitchpress.service import pages as pages_module
from tests.functional.conftest import Aws
from tests.helpers import draft, publish, s3_event

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
