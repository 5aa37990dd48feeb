"""Issue 18: /archives/ lists the posts of each month, newest month first, not only counts;
kept as posts arrive, change and leave."""

from __future__ import annotations

import re

from tests.functional.conftest import Aws
from tests.helpers import draft, publish, s3_event


def months(aws: Aws) -> list[tuple[str, list[str]]]:
    """(month heading link, post titles) of each month section, in page order."""
    html = aws.page("archives/index.html")
    out = []
    for section in re.findall(r'<section class="archive-month">(.*?)</section>', html, re.S):
        month = re.search(r'<h2><a href="([^"]+)">', section)
        assert month is not None
        out.append((month.group(1), re.findall(r'<a href="/20[^"]+">([^<]+)</a></li>', section)))
    return out


def test_archives_list_each_months_posts_newest_month_first(aws: Aws) -> None:
    publish(aws, "drafts/2025-08-03-a.md", draft("August A", "2025-08-03"))
    publish(aws, "drafts/2025-09-01-b.md", draft("September B", "2025-09-01"))
    publish(aws, "drafts/2025-08-20-c.md", draft("August C", "2025-08-20", lang="ja"))
    publish(aws, "drafts/2025-09-15-d.md", draft("September D", "2025-09-15"))
    assert months(aws) == [
        ("/2025/09/", ["September D", "September B"]),
        ("/2025/08/", ["August C", "August A"]),
    ]
    html = aws.page("archives/index.html")
    assert "September 2025" in html and "(2 posts)" in html
    assert '<li lang="ja">' in html  # a post in another language is marked as such

    # Retitled, moved to another month, and unpublished: the archive follows.
    publish(aws, "drafts/2025-08-03-a.md", draft("August A, renamed", "2025-08-03"))
    publish(aws, "drafts/2025-09-15-d.md", draft("Now July D", "2025-07-02"))
    aws.s3.delete_object(Bucket=aws.drafts, Key="drafts/2025-09-01-b.md")
    aws.invoke(s3_event(aws, "drafts/2025-09-01-b.md", kind="delete"))
    assert months(aws) == [
        ("/2025/08/", ["August C", "August A, renamed"]),
        ("/2025/07/", ["Now July D"]),
    ]
    assert "2025/09/index.html" not in aws.site_objects()  # month pages as before
