"""Issue 18: each post page lists related posts (3-5) chosen from the index by shared tags and
categories."""

from __future__ import annotations

import re

from tests.functional.conftest import Aws
from tests.helpers import draft, publish, s3_event


def related(aws: Aws, key: str) -> list[str]:
    return related_of(aws.page(key))


def related_of(html: str) -> list[str]:
    section = re.search(r'<section class="related".*?</section>', html, re.S)
    return re.findall(r'<a href="[^"]+">([^<]+)</a>', section.group(0)) if section else []


def test_a_post_page_lists_the_posts_sharing_most_tags_and_categories(aws: Aws) -> None:
    posts = [
        ("2025-05-01", "Both tags", ["ai", "llm"], "Research"),
        ("2025-05-02", "Cooking", ["food"], "Life"),
        ("2025-05-03", "AI only", ["ai"], "Life"),
        ("2025-05-04", "Same category", ["misc"], "Research"),
        ("2025-05-05", "Food again", ["food"], "Life"),
        ("2025-05-06", "LLM only", ["llm"], "Life"),
    ]
    for day, title, tags, category in posts:
        publish(aws, f"drafts/{day}-{day[-2:]}.md", draft(title, day, tags, categories=f'["{category}"]'))
    publish(
        aws, "drafts/2025-05-07-me.md", draft("Me", "2025-05-07", ["ai", "llm"], categories='["Research"]')
    )
    got = related(aws, "2025/05/07/me/index.html")
    assert got[:3] == ["Both tags", "LLM only", "AI only"]  # two shared tags first, then the nearer
    assert got[3] == "Same category" and "Cooking" not in got and "Food again" not in got
    assert 3 <= len(got) <= 5
    # A post sharing nothing with three others still gets three: the posts just before it.
    publish(aws, "drafts/2025-05-08-lonely.md", draft("Lonely", "2025-05-08", ["unique"]))
    assert related(aws, "2025/05/08/lonely/index.html") == ["Me", "LLM only", "Food again"]
    # Only earlier posts are related, so an arrival leaves the older pages' lists as they were.
    before = aws.page("2025/05/06/06/index.html")
    publish(aws, "drafts/2025-05-09-late.md", draft("Late", "2025-05-09", ["llm"], categories='["Life"]'))
    assert related(aws, "2025/05/06/06/index.html") == related_of(before)
    assert "Late" not in related(aws, "2025/05/07/me/index.html")


def test_an_unpublished_or_moved_post_leaves_the_related_lists_that_named_it(aws: Aws) -> None:
    for n in range(1, 6):
        publish(aws, f"drafts/2025-06-0{n}-p{n}.md", draft(f"P{n}", f"2025-06-0{n}", ["t"]))
    publish(aws, "drafts/2025-06-09-x.md", draft("Far", "2025-06-09", ["u"]))  # P5 is no neighbour of it
    assert "P2" in related(aws, "2025/06/05/p5/index.html")
    aws.s3.delete_object(Bucket=aws.drafts, Key="drafts/2025-06-02-p2.md")
    aws.invoke(s3_event(aws, "drafts/2025-06-02-p2.md", kind="delete"))
    for n in (3, 4, 5):
        assert "P2" not in related(aws, f"2025/06/0{n}/p{n}/index.html")
        assert "/2025/06/02/p2/" not in aws.page(f"2025/06/0{n}/p{n}/index.html")
    # A new slug moves P1: pages that listed it link its new URL, not the gone one.
    publish(aws, "drafts/2025-06-01-p1.md", draft("P1", "2025-06-01", ["t"], slug="renamed"))
    for n in (3, 4, 5):
        page = aws.page(f"2025/06/0{n}/p{n}/index.html")
        assert "/2025/06/01/p1/" not in page and "/2025/06/01/renamed/" in page
