"""How a publish writes the site: only what changed, concurrently, and the pages a change
really touches — including ones far back in a long listing."""

from __future__ import annotations

import hashlib

import pytest

from stitchpress.aws.storage import Page, SiteStore
from stitchpress.service import pages as pages_module
from tests.functional.conftest import Aws
from tests.helpers import draft, nav_links, publish, s3_event


def etags(aws: Aws, *keys: str) -> list[str]:
    return [aws.s3.head_object(Bucket=aws.site, Key=k)["ETag"] for k in keys]


def test_retitling_an_old_post_rewrites_the_numbered_page_it_is_on(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages_module, "PAGE_SIZE", 3)  # the same code as with 20 a page, fewer posts
    # 9 posts: page 1 holds the 3 oldest, page 2 the next 3, the front page the newest 3.
    for n in range(1, 10):
        day = f"2025-01-{n:02d}"
        publish(aws, f"drafts/{day}-old{n}.md", draft(f"Old {n}", day, ["long"]))
    pages = [f"tags/long/page/{n}/index.html" for n in (1, 2)] + ["tags/long/index.html"]
    assert "Old 1" in aws.page(pages[0]) and "Old 4" in aws.page(pages[1]) and "Old 9" in aws.page(pages[2])
    before = etags(aws, *pages[1:])
    outcome = publish(aws, "drafts/2025-01-01-old1.md", draft("Renamed oldest", "2025-01-01", ["long"]))
    assert outcome["status"] == "published"
    assert "Renamed oldest" in aws.page(pages[0]) and "Old 1<" not in aws.page(pages[0])
    assert etags(aws, *pages[1:]) == before  # the posts on the other pages did not move


def test_a_theme_change_reaches_the_static_pages_on_the_next_publish(aws: Aws) -> None:
    publish(aws, "drafts/2025-09-01-a.md", draft("A", "2025-09-01"))
    assert "Page not found" in aws.page("404.html")
    override = '{% extends "base.html" %}{% block main %}<h1>Nothing here, sorry</h1>{% endblock %}'
    aws.s3.put_object(Bucket=aws.drafts, Key="theme/404.html", Body=override.encode())
    publish(aws, "drafts/2025-09-02-b.md", draft("B", "2025-09-02"))
    assert "Nothing here, sorry" in aws.page("404.html")
    aws.s3.delete_object(Bucket=aws.drafts, Key="theme/404.html")
    publish(aws, "drafts/2025-09-03-c.md", draft("C", "2025-09-03"))
    assert "Page not found" in aws.page("404.html")  # and back when the override goes


def test_site_store_writes_and_deletes_only_what_changed(aws: Aws) -> None:
    store = SiteStore(aws.s3, aws.site)
    pages = [Page(f"p/{n}/index.html", f"page {n}".encode(), "text/html") for n in range(40)]
    assert store.write_changed(pages) == sorted(p.key for p in pages)
    kept = etags(aws, "p/0/index.html")
    again = [*pages[:30], Page("p/30/index.html", b"changed", "text/html"), Page("p/31/index.html", None)]
    again.append(Page("p/32/index.html", b"first", "text/html"))
    again.append(Page("p/32/index.html", b"second wins", "text/html"))
    assert store.write_changed(again) == ["p/30/index.html", "p/31/index.html", "p/32/index.html"]
    objects = aws.site_objects()
    assert objects["p/30/index.html"] == b"changed" and objects["p/32/index.html"] == b"second wins"
    assert "p/31/index.html" not in objects
    assert etags(aws, "p/0/index.html") == kept
    head = aws.s3.head_object(Bucket=aws.site, Key="p/30/index.html")
    assert head["Metadata"]["sha256"] == hashlib.sha256(b"changed").hexdigest()
    assert store.write_changed([Page("p/31/index.html", None)]) == []  # already gone: nothing to invalidate


def test_neighbours_keep_their_other_neighbour_when_a_post_arrives_moves_or_leaves(aws: Aws) -> None:
    def post_links(day: int, slug: str) -> set[str]:
        """The previous/next links (related posts link posts too, chosen by their own rule)."""
        html = aws.page(f"2025/09/{day:02d}/{slug}/index.html")
        return {h for h in nav_links(html) if h.startswith("/2025/09/")}

    for day, slug in ((1, "w"), (2, "x"), (4, "y"), (5, "z")):
        publish(aws, f"drafts/2025-09-{day:02d}-{slug}.md", draft(slug.upper(), f"2025-09-{day:02d}"))
    publish(aws, "drafts/2025-09-03-new.md", draft("New", "2025-09-03"))  # between X and Y
    assert post_links(2, "x") == {"/2025/09/01/w/", "/2025/09/03/new/"}
    assert post_links(4, "y") == {"/2025/09/03/new/", "/2025/09/05/z/"}
    # Moved to the end: X and Y close the gap, Z gains it as its next post.
    publish(aws, "drafts/2025-09-03-new.md", draft("New", "2025-09-06"))
    assert post_links(2, "x") == {"/2025/09/01/w/", "/2025/09/04/y/"}
    assert post_links(4, "y") == {"/2025/09/02/x/", "/2025/09/05/z/"}
    assert post_links(5, "z") == {"/2025/09/04/y/", "/2025/09/06/new/"}
    # Unpublished: Z is the newest again.
    aws.s3.delete_object(Bucket=aws.drafts, Key="drafts/2025-09-03-new.md")
    assert (
        aws.invoke(s3_event(aws, "drafts/2025-09-03-new.md", kind="delete"))["outcomes"][0]["status"]
        == "unpublished"
    )
    assert post_links(5, "z") == {"/2025/09/04/y/"}
