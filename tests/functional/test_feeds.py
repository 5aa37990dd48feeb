"""Issue 18: a feed per tag and per category (Atom, the newest posts, linked from the listing's
<head> and page) and a JSON Feed 1.1 beside /feed.xml, all kept as posts arrive and leave. Read
with feedparser, as a feed reader would; the JSON Feed checked against version 1.1's required
fields."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import feedparser
import pytest

from stitchpress.service import pages as pages_module
from tests.functional.conftest import Aws
from tests.helpers import draft, publish, s3_event

BASE = "https://blog.example.com"


def atom(aws: Aws, key: str) -> feedparser.FeedParserDict:
    obj = aws.s3.get_object(Bucket=aws.site, Key=key)
    assert obj["ContentType"].startswith("application/atom+xml")
    parsed = feedparser.parse(obj["Body"].read())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def post(aws: Aws, n: int, tags: list[str], **extra: str) -> None:
    day = f"2025-04-{n:02d}"
    publish(aws, f"drafts/{day}-p{n}.md", draft(f"P{n}", day, tags, **extra))


def test_a_tag_and_a_category_have_their_own_atom_feed_kept_as_posts_come_and_go(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages_module, "FEED_SIZE", 3)  # "the latest N" with a few posts
    base = aws.stack.config.site.base_url.rstrip("/")
    for n in range(1, 6):
        post(aws, n, ["機械学習", "ai"] if n % 2 else ["ai"], categories='["Notes"]')
    post(aws, 6, ["other"])
    feed = atom(aws, "tags/ai/feed.xml")
    assert [e.title for e in feed.entries] == ["P5", "P4", "P3"]  # the newest 3 of the tag, newest first
    assert feed.feed.title.startswith("ai")
    assert feed.feed.link == f"{base}/tags/ai/"
    assert any(link.rel == "self" and link.href == f"{base}/tags/ai/feed.xml" for link in feed.feed.links)
    assert feed.entries[0].link == f"{base}/2025/04/05/p5/"
    ja = atom(aws, "tags/機械学習/feed.xml")
    assert [e.title for e in ja.entries] == ["P5", "P3", "P1"]
    assert ja.feed.link == f"{base}/tags/{quote('機械学習')}/"
    assert [e.title for e in atom(aws, "categories/notes/feed.xml").entries] == ["P5", "P4", "P3"]

    # The listing links its feed in <head> and on the page, its numbered pages too.
    page = aws.page("tags/ai/index.html")
    assert re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="/tags/ai/feed.xml">', page
    )
    assert '<a href="/tags/ai/feed.xml" type="application/atom+xml">' in page

    # A post leaving its tag leaves the feed; an emptied tag's feed goes with its page.
    aws.s3.delete_object(Bucket=aws.drafts, Key="drafts/2025-04-05-p5.md")
    aws.invoke(s3_event(aws, "drafts/2025-04-05-p5.md", kind="delete"))
    assert [e.title for e in atom(aws, "tags/ai/feed.xml").entries] == ["P4", "P3", "P2"]
    post(aws, 6, ["ai"])  # retagged: "other" is empty now
    assert [e.title for e in atom(aws, "tags/ai/feed.xml").entries] == ["P6", "P4", "P3"]
    objects = aws.site_objects()
    assert "tags/other/feed.xml" not in objects and "tags/other/index.html" not in objects
    assert not any(k.startswith("2025/") and k.endswith("feed.xml") for k in objects)  # months have none


def test_json_feed_1_1_beside_the_atom_feed(aws: Aws) -> None:
    base = aws.stack.config.site.base_url.rstrip("/")
    post(aws, 1, ["ai"], excerpt='"First things"', lang="ja")
    post(aws, 2, ["ai", "x"])
    obj = aws.s3.get_object(Bucket=aws.site, Key="feed.json")
    assert obj["ContentType"].startswith("application/feed+json")
    feed = json.loads(obj["Body"].read())
    # JSON Feed 1.1: version and title required, items required; each item an id and content.
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["feed_url"] == f"{base}/feed.json" and feed["home_page_url"] == f"{base}/"
    assert [i["title"] for i in feed["items"]] == ["P2", "P1"]
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item.get("content_html") or item.get("content_text")
        assert item["url"].startswith(base + "/")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)", item["date_published"])
        assert all(isinstance(a["name"], str) for a in item["authors"])
    assert feed["items"][1]["summary"] == "First things" and feed["items"][1]["language"] == "ja"
    assert feed["items"][0]["tags"] == ["ai", "x"]
    home = aws.page("index.html")
    assert '<link rel="alternate" type="application/feed+json"' in home and 'href="/feed.json"' in home
    # Kept like the Atom feed: a post that leaves leaves the JSON Feed too.
    aws.s3.delete_object(Bucket=aws.drafts, Key="drafts/2025-04-02-p2.md")
    aws.invoke(s3_event(aws, "drafts/2025-04-02-p2.md", kind="delete"))
    feed = json.loads(aws.page("feed.json"))
    assert [i["title"] for i in feed["items"]] == ["P1"]
