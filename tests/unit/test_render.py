"""Rendering: Markdown features, every page kind's content, the feed, sitemaps and theme overrides."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stitchpress.core import render
from stitchpress.core.mdrender import Heading, RenderedBody, heading_slug, is_safe_url
from stitchpress.core.model import SiteSettings, Term
from stitchpress.core.render import (
    FEED_PATH,
    STYLESHEET_PATH,
    Renderer,
    _page_numbers,
    pygments_css,
    render_markdown,
    static_assets,
)
from stitchpress.core.urls import category_path, quote_path, tag_path
from tests.conftest import EXAMPLE_DRAFT
from tests.helpers import JST, SITE, parse, post_page, summary, text_of

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def meta(doc: Any, key: str) -> list[str]:
    return [m.get("content") for m in doc.iter("meta") if m.get("name") == key or m.get("property") == key]


# --- Markdown --------------------------------------------------------------------------------


def test_heading_ids_are_prefixed_unique_and_keep_japanese() -> None:
    body = render_markdown("## Intro\n\n## Intro\n\n### 日本語の見出し：テスト\n\n## `code` & more!\n")
    assert [h.id for h in body.headings] == ["h-intro", "h-intro-2", "h-日本語の見出しテスト", "h-code-more"]
    assert [h.text for h in body.headings] == ["Intro", "Intro", "日本語の見出し：テスト", "code & more!"]
    assert [h.level for h in body.headings] == [2, 2, 3, 2]
    ids = [el.get("id") for el in parse(body.html).iter() if el.get("id")]
    assert ids == [h.id for h in body.headings]


def test_heading_that_would_clobber_a_global_is_prefixed() -> None:
    body = render_markdown("# document\n\n# location\n\n# !!!\n")
    assert [h.id for h in body.headings] == ["h-document", "h-location", "h-section"]


@given(st.lists(st.text(min_size=1, max_size=30).filter(lambda s: s.strip()), min_size=1, max_size=8))
@settings(max_examples=60, deadline=None)
def test_heading_ids_prefixed_unique_whitespace_free(titles: list[str]) -> None:
    source = "\n\n".join("## " + " ".join(t.split()) for t in titles)
    ids = [h.id for h in render_markdown(source).headings]
    assert len(ids) == len(set(ids))
    for ident in ids:
        assert ident.startswith("h-")
        assert not any(ch.isspace() for ch in ident)


def test_heading_slug_examples() -> None:
    assert heading_slug("Hello,  World!") == "hello-world"
    assert heading_slug("Ｆｕｌｌ　ｗｉｄｔｈ") == "full-width"  # NFKC: full-width letters and space
    assert heading_slug("AIインフラ競争の激化") == "aiインフラ競争の激化"


def test_raw_html_is_text_not_markup() -> None:
    doc = parse(render_markdown("<b>bold</b> and <i onclick=x>it</i>").html)
    assert list(doc.iter("b")) == [] and list(doc.iter("i")) == []
    assert "<b>bold</b> and <i onclick=x>it</i>" in text_of(doc)


def test_tables_use_classes_not_inline_styles() -> None:
    html = render_markdown("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n").html
    cells = list(parse(html).iter("td"))
    assert [c.get("class") for c in cells] == ["align-left", "align-center", "align-right"]
    assert "style=" not in html


def test_strikethrough_and_footnotes() -> None:
    doc = parse(render_markdown("~~gone~~ text[^n]\n\n[^n]: The note.\n").html)
    assert [text_of(s) for s in doc.iter("s")] == ["gone"]
    refs = [a.get("href") for a in doc.iter("a")]
    assert refs == ["#fn1", "#fnref1"]
    assert "The note." in text_of(doc)


def test_code_is_highlighted_with_classes_and_escaped() -> None:
    html = render_markdown('```python\ndef f():\n    return "<b>"\n```\n').html
    doc = parse(html)
    (pre,) = doc.iter("pre")
    assert pre.get("class") == "highlight"
    (code,) = pre.iter("code")
    assert code.get("class") == "language-python"
    keywords = [text_of(s) for s in code.iter("span") if s.get("class") == "k"]
    assert keywords == ["def", "return"]
    assert 'return "<b>"' in text_of(code)
    assert "<b>" not in html  # the string literal is escaped
    assert "style=" not in html


def test_unknown_language_is_escaped_plain_code() -> None:
    doc = parse(render_markdown("```nosuchlang\n<i>x</i>\n```\n").html)
    (code,) = doc.iter("code")
    assert text_of(code) == "<i>x</i>\n"
    assert list(code.iter("span")) == [] and list(code.iter("i")) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a?b=c#d",
        "http://example.com",
        "/relative/path",
        "relative",
        "#fragment",
        "?q=1",
        "//example.com/x",
        "mailto:a@example.com",
        "tel:+81-3-1234",
        "data:image/png;base64,iVBORw0KGgo=",
        "/path/with:colon",
    ],
)
def test_safe_urls(url: str) -> None:
    assert is_safe_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript&colon;alert(1)",
        "java%09script:alert(1)",
        "%6Aavascript:alert(1)",
        "%256Aavascript:alert(1)",
        "ｊａｖａｓｃｒｉｐｔ:alert(1)",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "data:text/html;base64,PHNjcmlwdD4=",
        "data:image/svg+xml;base64,PHN2Zz4=",
        "DATA:text/html,<script>",
        "livescript:x",
    ],
)
def test_dangerous_urls(url: str) -> None:
    assert not is_safe_url(url)


# --- post page -------------------------------------------------------------------------------


def test_post_page_content_and_head() -> None:
    post = summary(21, author="Ann", tags=(Term("ai", "AI"), Term("最新ニュース", "最新ニュース")))
    body = render_markdown("Hello.\n")
    doc = parse(Renderer(SITE).post_page(post, body, reading_time=7))
    assert doc.get("lang") == "en"
    (h1,) = doc.iter("h1")
    assert text_of(h1) == "Post 21"
    assert text_of(doc.find(".//title")) == "Post 21 | Example"
    (time,) = (t for t in doc.iter("time") if t.get("datetime"))
    assert datetime.fromisoformat(time.get("datetime")) == post.date
    assert text_of(time) == "September 21, 2025"
    author = [text_of(s) for s in doc.iter("span") if s.get("class") == "author"]
    assert author == ["Ann"]
    assert "7 min read" in text_of(doc)
    hrefs = {a.get("href") for a in doc.iter("a")}
    assert quote_path(tag_path("最新ニュース")) in hrefs
    assert quote_path(category_path("投資分析")) in hrefs
    # head
    canonical = "https://blog.example.com/2025/09/21/post-21/"
    links = {(lk.get("rel"), lk.get("href")) for lk in doc.iter("link")}
    assert ("canonical", canonical) in links
    assert ("alternate", FEED_PATH) in links
    assert any(rel == "stylesheet" and href.startswith(STYLESHEET_PATH) for rel, href in links)
    assert meta(doc, "description") == ["Excerpt 21"]
    assert meta(doc, "og:title") == ["Post 21"]
    assert meta(doc, "og:type") == ["article"]
    assert meta(doc, "og:url") == [canonical]
    assert meta(doc, "twitter:card") == ["summary"]
    assert meta(doc, "article:tag") == ["AI", "最新ニュース"]
    (script,) = doc.iter("script")
    assert script.get("type") == "application/ld+json"
    ld = json.loads(script.text)
    assert ld["@type"] == "BlogPosting"
    assert ld["headline"] == "Post 21"
    assert ld["url"] == canonical
    assert ld["author"] == {"@type": "Person", "name": "Ann"}
    assert datetime.fromisoformat(ld["datePublished"]) == post.date
    assert ld["keywords"] == ["AI", "最新ニュース"]


def test_author_falls_back_to_site_then_disappears() -> None:
    def authors(site: SiteSettings) -> list[str]:
        doc = parse(post_page(Renderer(site)))
        return [text_of(s) for s in doc.iter("span") if s.get("class") == "author"]

    assert authors(SITE) == ["Site Owner"]
    assert authors(SiteSettings(author=None)) == []


def test_the_chrome_is_in_the_sites_language_and_a_post_marks_its_own() -> None:
    renderer = Renderer(SiteSettings(language="ja"))
    body = render_markdown("x")
    en = parse(renderer.post_page(summary(lang="en-GB"), body, reading_time=1))
    assert en.get("lang") == "ja"  # was en-GB: an English post had English navigation on a Japanese site
    assert "約1分で読めます" in text_of(en)  # UI strings follow the site
    marked = {e.get("class"): e.get("lang") for e in en.iter() if e.get("lang") and e.tag != "html"}
    assert marked == {"post-title": "en-GB", "post-body": "en-GB"}
    ja = parse(renderer.post_page(summary(), body, reading_time=1))
    assert ja.get("lang") == "ja"
    assert [e for e in ja.iter() if e.get("lang") and e.tag != "html"] == []  # nothing to mark
    assert parse(renderer.listing_page(kind="home", title="", path="/", posts=[])).get("lang") == "ja"
    assert parse(renderer.not_found_page()).get("lang") == "ja"


def test_listing_marks_posts_in_another_language() -> None:
    page = Renderer(SITE).listing_page(
        kind="home", title="", path="/", posts=[summary(2, lang="ja"), summary(1)]
    )
    langs = [a.get("lang") for a in parse(page).iter("article")]
    assert langs == ["ja", None]


def toc_links(page: str) -> list[str] | None:
    navs = [n for n in parse(page).iter("nav") if n.get("class") == "toc"]
    if not navs:
        return None
    return [a.get("href") for a in navs[0].iter("a")]


def test_toc_only_with_three_or_more_headings() -> None:
    renderer = Renderer(SITE)
    two = render_markdown("## One\n\ntext\n\n## Two\n")
    three = render_markdown("## One\n\n### Sub\n\n## 三つ目\n")
    assert toc_links(renderer.post_page(summary(), two, reading_time=1)) is None
    links = toc_links(renderer.post_page(summary(), three, reading_time=1))
    assert links == ["#h-one", "#h-sub", "#h-三つ目"]
    # every TOC link points at a heading that exists on the page
    ids = {el.get("id") for el in parse(renderer.post_page(summary(), three, reading_time=1)).iter()}
    assert {link[1:] for link in links} <= ids


def test_prev_and_next_links() -> None:
    page = Renderer(SITE).post_page(
        summary(2), render_markdown("x"), reading_time=1, prev=summary(1), next=summary(3)
    )
    rels = {a.get("rel"): (a.get("href"), text_of(a)) for a in parse(page).iter("a") if a.get("rel")}
    assert rels["prev"] == ("/2025/09/01/post-1/", "Post 1")
    assert rels["next"] == ("/2025/09/03/post-3/", "Post 3")
    alone = Renderer(SITE).post_page(summary(2), render_markdown("x"), reading_time=1)
    assert not [a for a in parse(alone).iter("a") if a.get("rel") in ("prev", "next")]


def test_japanese_example_renders_intact() -> None:
    text = EXAMPLE_DRAFT.read_text(encoding="utf-8")
    body_md = text.split("\n---\n", 1)[1]
    first = (
        "いやはや、Metaが2028年までにAIインフラとデータセンターに少なくとも6000億ドルを投じるというニュース"
    )
    assert first in body_md
    title = "Metaの6000億ドルAI投資、その真意と業界への波紋とは？"
    body = render_markdown(body_md)
    page = Renderer(SiteSettings(language="ja")).post_page(summary(title=title), body, reading_time=8)
    doc = parse(page)
    assert first in text_of(doc)
    assert text_of(doc.find(".//h1")) == title
    assert "h-広告依存からの脱却と新たな収益の柱" in {h.id for h in body.headings}
    assert toc_links(page) is not None


# --- listings --------------------------------------------------------------------------------


def pagination(page: str) -> list[tuple[str | None, str, str | None]]:
    navs = [n for n in parse(page).iter("nav") if n.get("class") == "pagination"]
    if not navs:
        return []
    return [(a.get("rel"), text_of(a), a.get("href")) for a in navs[0].iter("a")]


def test_listing_pagination_default_urls() -> None:
    page = Renderer(SITE).listing_page(
        kind="tag", title="AI", path="/tags/ai/page/6/", posts=[summary()], page=6, pages=12
    )
    links = pagination(page)
    assert links[0] == ("prev", "Newer posts", "/tags/ai/page/5/")
    assert links[-1] == ("next", "Older posts", "/tags/ai/page/7/")
    numbers = [(text, href) for _, text, href in links[1:-1]]
    assert numbers == [("1", "/tags/ai/")] + [(str(n), f"/tags/ai/page/{n}/") for n in (4, 5, 6, 7, 8, 12)]
    current = [a for a in parse(page).iter("a") if a.get("aria-current") == "page"]
    assert [text_of(a) for a in current] == ["6"]
    assert "Page 6" in text_of(parse(page).find(".//title"))


def test_listing_pagination_custom_url_and_edges() -> None:
    def url(n: int) -> str:
        return f"/カテゴリ/{n}.html"

    first = Renderer(SITE).listing_page(
        kind="home", title="", path="/", posts=[summary()], page=1, pages=2, page_url=url
    )
    assert pagination(first) == [
        (None, "1", quote_path("/カテゴリ/1.html")),
        (None, "2", quote_path("/カテゴリ/2.html")),
        ("next", "Older posts", quote_path("/カテゴリ/2.html")),
    ]
    single = Renderer(SITE).listing_page(kind="home", title="", path="/", posts=[summary()])
    assert pagination(single) == []


@dataclass(frozen=True)
class Nav:  # the shape of stitchpress.core.paging.Nav
    page: int | None
    pages: int
    newer: str | None
    older: str | None


def test_listing_with_neighbour_only_nav() -> None:
    def render(nav: Nav, path: str) -> str:
        return Renderer(SITE).listing_page(kind="tag", title="AI", path=path, posts=[summary()], nav=nav)

    middle = render(Nav(3, 9, "/tags/ai/page/4/", "/tags/ai/page/2/"), "/tags/ai/page/3/")
    assert pagination(middle) == [
        ("prev", "Newer posts", "/tags/ai/page/4/"),
        ("next", "Older posts", "/tags/ai/page/2/"),
    ]
    assert "Page 3" in text_of(parse(middle).find(".//title"))
    front = render(Nav(None, 9, None, "/tags/ai/page/8/"), "/tags/ai/")
    assert pagination(front) == [("next", "Older posts", "/tags/ai/page/8/")]
    assert text_of(parse(front).find(".//title")) == "AI | Example"
    assert pagination(render(Nav(None, 1, None, None), "/tags/ai/")) == []
    # Page 1 is the oldest page, not the front page: its title says so (was the front page's).
    oldest = render(Nav(1, 9, "/tags/ai/page/2/", None), "/tags/ai/page/1/")
    assert text_of(parse(oldest).find(".//title")) == "Page 1 | AI | Example"


@given(st.integers(1, 60).flatmap(lambda pages: st.tuples(st.integers(1, pages), st.just(pages))))
def test_page_numbers_property(case: tuple[int, int]) -> None:
    page, pages = case
    items = _page_numbers(page, pages)
    numbers = [n for n in items if n is not None]
    assert numbers == sorted(set(numbers))
    assert {1, page, pages} <= set(numbers)
    # a gap marker stands for at least two hidden pages; no marker means nothing is hidden
    for i, item in enumerate(items):
        if item is None:
            before, after = items[i - 1], items[i + 1]
            assert before is not None and after is not None and after - before > 2
        elif i and items[i - 1] is not None:
            assert item - items[i - 1] == 1  # type: ignore[operator]


def test_listing_lists_posts_with_links_and_excerpts() -> None:
    posts = [summary(3), summary(2, excerpt=""), summary(1)]
    doc = parse(
        Renderer(SITE).listing_page(kind="category", title="投資分析", path="/categories/x/", posts=posts)
    )
    assert text_of(doc.find(".//h1")) == "投資分析"
    titles = [(a.get("href"), text_of(a)) for h2 in doc.iter("h2") for a in h2.iter("a")]
    assert titles == [(p.url, p.title) for p in posts]
    excerpts = [text_of(p) for p in doc.iter("p") if p.get("class") == "excerpt"]
    assert excerpts == ["Excerpt 3", "Excerpt 1"]
    assert text_of(doc.find(".//title")) == "投資分析 | Example"


def test_home_title_and_empty_listing() -> None:
    doc = parse(Renderer(SITE).listing_page(kind="home", title="", path="/", posts=[]))
    assert text_of(doc.find(".//title")) == "Example"
    assert text_of(doc.find(".//h1")) == "Example"
    assert "No posts yet." in text_of(doc)
    ld = json.loads(next(doc.iter("script")).text)
    assert ld["@type"] == "WebSite" and ld["url"] == "https://blog.example.com/"


def test_archive_groups_by_year() -> None:
    posts = [summary(2), summary(1), summary(3, date=datetime(2024, 12, 31, tzinfo=UTC))]
    doc = parse(Renderer(SITE).listing_page(kind="archive", title="Archives", path="/archives/", posts=posts))
    sections = [(text_of(s.find("h2")), [text_of(a) for a in s.iter("a")]) for s in doc.iter("section")]
    assert sections == [("2025", ["Post 2", "Post 1"]), ("2024", ["Post 3"])]


def test_unknown_listing_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown listing kind"):
        Renderer(SITE).listing_page(kind="tagz", title="x", path="/", posts=[])


def test_tags_overview_with_counts() -> None:
    terms = [(Term("ai", "AI"), 3), (Term("最新ニュース", "最新ニュース"), 1)]
    doc = parse(Renderer(SITE).tags_overview(kind="tags", terms=terms))
    items = [
        (a.get("href"), text_of(a), text_of(li.find("span")))
        for li in doc.iter("li")
        if (a := li.find("a")) is not None and li.find("span") is not None
    ]
    assert items == [
        ("/tags/ai/", "AI", "(3 posts)"),
        (quote_path("/tags/最新ニュース/"), "最新ニュース", "(1 post)"),
    ]
    cats = parse(Renderer(SITE).tags_overview(kind="categories", terms=[(Term("x", "X"), 2)]))
    assert "/categories/x/" in {a.get("href") for a in cats.iter("a")}
    assert text_of(cats.find(".//h1")) == "Categories"


def test_not_found_page() -> None:
    doc = parse(Renderer(SITE).not_found_page())
    assert meta(doc, "robots") == ["noindex"]
    assert not [lk for lk in doc.iter("link") if lk.get("rel") == "canonical"]
    assert text_of(doc.find(".//h1")) == "Page not found"
    # served at any depth, so every internal link is root-relative
    assert all(a.get("href").startswith(("/", "#")) for a in doc.iter("a"))


# --- feed, sitemaps, robots ------------------------------------------------------------------


def test_atom_feed() -> None:
    posts = [summary(2, author="Ann", lang="ja"), summary(1, excerpt="")]
    updated = datetime(2025, 9, 21, 12, 0, tzinfo=UTC)
    root = ET.fromstring(Renderer(SITE).feed(posts, updated=updated).encode())
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Example"
    assert root.findtext(f"{ATOM}id") == "https://blog.example.com/"
    assert datetime.fromisoformat(root.findtext(f"{ATOM}updated") or "") == updated
    self_link = [lk.get("href") for lk in root.findall(f"{ATOM}link") if lk.get("rel") == "self"]
    assert self_link == ["https://blog.example.com/feed.xml"]
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Site Owner"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Post 2", "Post 1"]
    first, second = entries
    assert first.findtext(f"{ATOM}id") == "https://blog.example.com/2025/09/02/post-2/"
    assert first.find(f"{ATOM}link").get("href") == "https://blog.example.com/2025/09/02/post-2/"  # type: ignore[union-attr]
    assert datetime.fromisoformat(first.findtext(f"{ATOM}published") or "") == posts[0].date
    assert first.findtext(f"{ATOM}summary") == "Excerpt 2"
    assert first.findtext(f"{ATOM}author/{ATOM}name") == "Ann"
    assert first.get("{http://www.w3.org/XML/1998/namespace}lang") == "ja"
    labels = {(c.get("label"), c.get("scheme")) for c in first.findall(f"{ATOM}category")}
    assert labels == {
        ("AI", "https://blog.example.com/tags/"),
        ("投資分析", "https://blog.example.com/categories/"),
    }
    assert second.find(f"{ATOM}summary") is None
    assert second.findtext(f"{ATOM}author/{ATOM}name") == "Site Owner"  # the site's author


def test_feed_drops_characters_xml_forbids() -> None:
    post = summary(title="bell\x07 and \x0bvt \ufffe", excerpt="nul\x00")
    root = ET.fromstring(Renderer(SITE).feed([post], updated=datetime(2025, 9, 21, tzinfo=UTC)).encode())
    assert root.findtext(f"{ATOM}entry/{ATOM}title") == "bell and vt "
    assert root.findtext(f"{ATOM}entry/{ATOM}summary") == "nul"


# Every code point XML 1.0 forbids in text, spelled out independently of render.py.
NOT_XML = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(chr(plane * 0x10000 + low) for plane in range(17) for low in (0xFFFE, 0xFFFF))
    + "]"
)


@pytest.mark.parametrize(
    "markdown",
    [
        "bell\x07, vt\x0b, del\x7f, c1\x85 and \ud800 in text",
        "astral nonchars \U0001fffe \U0010ffff next to 🙂 and 𠀋",
        "a form feed from an entity: a&#12;b",  # markdown-it decodes &#12; to U+000C
        "<http://x.example/%EF%BF%BE%0C>",  # autolink text is percent-decoded: U+FFFE, U+000C
        "# heading\x01 one\n\n## two\x02\n\n### three\ufffe",
        "```py\na\x0cb\n```\n",
        "| a\x01 | b |\n|---|---|\n| \x02 | \U0002ffff |\n",
    ],
)
def test_forbidden_code_points_in_the_body_never_reach_the_page(markdown: str) -> None:
    body = render_markdown(markdown)
    page = Renderer(SITE).post_page(summary(), body, reading_time=1)
    assert NOT_XML.search(page) is None
    assert "🙂" in page or "🙂" not in markdown  # other astral characters stay
    # Whoever builds the body: it is cleaned where it is printed.
    dirty = RenderedBody(html="<p>x\x01\U0003fffe</p>", headings=(Heading(1, "h-x", "x\x02"),) * 3)
    assert NOT_XML.search(Renderer(SITE).post_page(summary(), dirty, reading_time=1)) is None


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [*"a語\x00\x0c\x85\ud800\ufdd0\ufffe\uffff", "\U0001fffe", "\U00020000", "🙂"]
        )
    )
)
def test_strip_forbidden_is_one_pass_of_the_whole_class(text: str) -> None:
    assert render._strip_forbidden(text) == NOT_XML.sub("", text) == render._forbidden().sub("", text)


def test_sitemaps() -> None:
    when = datetime(2025, 9, 21, 8, 0, tzinfo=JST)
    renderer = Renderer(SITE)
    urlset = ET.fromstring(renderer.sitemap([("/", when), ("/tags/最新ニュース/", when)]).encode())
    assert urlset.tag == f"{SM}urlset"
    locs = [u.findtext(f"{SM}loc") or "" for u in urlset.findall(f"{SM}url")]
    assert locs == [
        "https://blog.example.com/",
        "https://blog.example.com" + quote_path("/tags/最新ニュース/"),
    ]
    assert unquote(locs[1]).endswith("/tags/最新ニュース/")
    lastmods = [datetime.fromisoformat(u.findtext(f"{SM}lastmod") or "") for u in urlset.findall(f"{SM}url")]
    assert lastmods == [when, when]
    index = ET.fromstring(renderer.sitemap_index([("/sitemap-posts.xml", when)]).encode())
    assert index.tag == f"{SM}sitemapindex"
    assert index.findtext(f"{SM}sitemap/{SM}loc") == "https://blog.example.com/sitemap-posts.xml"
    with pytest.raises(ValueError, match="at most 50000"):
        renderer.sitemap([("/", when)] * 50_001)


def test_robots_txt_points_at_sitemap() -> None:
    lines = Renderer(SITE).robots_txt().splitlines()
    assert "User-agent: *" in lines
    assert "Sitemap: https://blog.example.com/sitemap.xml" in lines


# --- assets ----------------------------------------------------------------------------------


def test_static_assets_are_one_stylesheet_with_highlighting_and_the_search_script() -> None:
    assets = static_assets()
    assert list(assets) == [STYLESHEET_PATH, "/assets/search.js"]
    assert b"PagefindUI" in assets["/assets/search.js"]
    css = assets[STYLESHEET_PATH].decode()
    for needle in ("prefers-color-scheme: dark", "@media print", ".highlight .k", "Hiragino", ".align-right"):
        assert needle in css
    assert "@import" not in css and "url(" not in css  # no web fonts, nothing fetched


def test_committed_pygments_css_is_current() -> None:
    committed = static_assets()[STYLESHEET_PATH].decode()
    assert committed.endswith(pygments_css()), (
        "templates/pygments.css is stale: python -m stitchpress.core.render > "
        "layers/stitchpress/stitchpress/templates/pygments.css"
    )


def test_stylesheet_link_changes_with_the_css() -> None:
    doc = parse(Renderer(SITE).not_found_page())
    (href,) = [lk.get("href") for lk in doc.iter("link") if lk.get("rel") == "stylesheet"]
    import hashlib

    assert href == f"{STYLESHEET_PATH}?v={hashlib.sha256(static_assets()[STYLESHEET_PATH]).hexdigest()[:12]}"


def test_import_is_cheap() -> None:
    code = (
        "import sys, stitchpress.core.render\n"
        "print(sorted(m for m in ('jinja2', 'pygments', 'markdown_it') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- theme overrides -------------------------------------------------------------------------


def test_override_takes_precedence() -> None:
    overrides = {
        "404.html": '{% extends "base.html" %}{% block main %}<h1>Lost: {{ site.title }}</h1>{% endblock %}'
    }
    renderer = Renderer(SITE, overrides)
    doc = parse(renderer.not_found_page())
    assert text_of(doc.find(".//h1")) == "Lost: Example"
    assert renderer.problems == []
    # other templates stay packaged
    assert (
        text_of(parse(renderer.listing_page(kind="home", title="", path="/", posts=[])).find(".//h1"))
        == "Example"
    )


def test_override_of_base_applies_to_every_page() -> None:
    base = (
        '<!DOCTYPE html><html lang="{{ lang }}"><title>T</title>'
        '<p class="mine">{% block main %}{% endblock %}'
    )
    renderer = Renderer(SITE, {"base.html": base})
    doc = parse(post_page(renderer))
    assert next(p.get("class") for p in doc.iter("p")) == "mine"


def test_override_with_syntax_error_falls_back_and_is_reported() -> None:
    broken = "{% extends 'base.html' %}\n{% block main %}\n<h1>{{ post.title }</h1>\n{% endblock %}\n"
    renderer = Renderer(SITE, {"post.html": broken})
    (problem,) = renderer.problems
    assert problem.field == "theme" and problem.level == "warning"
    assert problem.line == 3
    assert problem.text.startswith("post.html: ")
    assert "using the packaged post.html" in problem.text
    doc = parse(post_page(renderer))
    assert text_of(doc.find(".//h1")) == "Post 1"
    assert problem.format("theme/post.html").startswith("theme/post.html:3: warning: theme: post.html: ")


def test_override_with_unknown_filter_is_caught_up_front() -> None:
    renderer = Renderer(SITE, {"404.html": "line one\n{{ site.title|no_such_filter }}\n"})
    (problem,) = renderer.problems
    assert problem.line == 2 and "no_such_filter" in problem.text
    assert text_of(parse(renderer.not_found_page()).find(".//h1")) == "Page not found"


def test_override_failing_at_render_time_falls_back_and_is_reported() -> None:
    broken = "{% extends 'base.html' %}\n{% block main %}\n\n{{ post.no_such_field }}\n{% endblock %}\n"
    renderer = Renderer(SITE, {"post.html": broken})
    assert renderer.problems == []
    doc = parse(post_page(renderer))
    assert text_of(doc.find(".//h1")) == "Post 1"
    (problem,) = renderer.problems
    assert problem.line == 4 and "no_such_field" in problem.text
    assert problem.text.startswith("post.html: error while rendering post.html")
    post_page(renderer)
    assert len(renderer.problems) == 1  # reported once, not once per page


def test_override_cannot_reach_python_internals() -> None:
    evil = "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ site.__class__ }}"
    renderer = Renderer(SITE, {"robots.txt": evil})
    assert renderer.robots_txt().startswith("User-agent: *")  # the packaged one
    (problem,) = renderer.problems
    assert problem.text.startswith("robots.txt: error while rendering robots.txt")


def test_renderers_share_compiled_templates_but_not_settings() -> None:
    first = Renderer(SITE)
    other_site = SiteSettings(title="Other", base_url="https://other.example", language="ja")
    second = Renderer(other_site)
    assert first._env is second._env  # compiled once per process
    assert text_of(parse(first.not_found_page()).find(".//title")) == "Page not found | Example"
    doc = parse(second.not_found_page())
    assert text_of(doc.find(".//title")) == "ページが見つかりません | Other"
    assert doc.get("lang") == "ja"
    assert text_of(parse(first.not_found_page()).find(".//h1")) == "Page not found"  # unchanged


def test_renderers_with_the_same_overrides_share_them_and_a_change_is_picked_up() -> None:
    one = Renderer(SITE, {"robots.txt": "v1 {{ sitemap_url }}\n"})
    again = Renderer(SITE, {"robots.txt": "v1 {{ sitemap_url }}\n"})
    assert one._env is again._env
    assert again.robots_txt() == "v1 https://blog.example.com/sitemap.xml\n"
    changed = Renderer(SITE, {"robots.txt": "v2 {{ sitemap_url }}\n"})
    assert changed.robots_txt() == "v2 https://blog.example.com/sitemap.xml\n"
    other_site = SiteSettings(title="Other", base_url="https://other.example")
    assert Renderer(other_site, {"robots.txt": "v2 {{ sitemap_url }}\n"}).robots_txt() == (
        "v2 https://other.example/sitemap.xml\n"
    )
    assert Renderer(SITE, {}).robots_txt().startswith("User-agent: *")  # removed: packaged again
    assert Renderer(SITE).robots_txt().startswith("User-agent: *")


def test_every_renderer_reports_the_problems_of_cached_overrides() -> None:
    overrides = {"404.html": "{{ x }", "../evil.html": "x"}
    first, second = Renderer(SITE, overrides), Renderer(SITE, dict(reversed(overrides.items())))
    assert first._env is second._env
    assert first.problems == second.problems
    assert len(first.problems) == 2
    first.problems.clear()
    assert len(Renderer(SITE, overrides).problems) == 2  # the cached list itself is not shared


def test_override_with_bad_name_is_ignored() -> None:
    renderer = Renderer(SITE, {"../evil.html": "x", "notes.md": "x"})
    assert len(renderer.problems) == 2
    assert all("ignored" in p.text for p in renderer.problems)
    assert text_of(parse(renderer.not_found_page()).find(".//h1")) == "Page not found"
