"""Issue 4: a hostile draft must not get script into any page or the feed.

Pages are parsed the way a browser would (html5lib), and the checks look at what a browser would
run: <script> elements, on* attributes, and href/src values with a dangerous scheme after the
browser's own decoding.
"""

from __future__ import annotations

import json
import unicodedata
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stitchpress.core.model import PostSummary, SiteSettings, Term
from stitchpress.core.render import Renderer, render_markdown
from stitchpress.core.urls import url_key
from tests.helpers import (
    AUTHOR,
    BODY,
    CATEGORY_NAMES,
    EXCERPT,
    TAG_NAMES,
    TITLE,
    assert_safe_html,
    text_of,
)

SITE = SiteSettings(title="Safe <Site>", base_url="https://blog.example.com", language="en")


def hostile(n: int = 1, **kw: Any) -> PostSummary:
    fields: dict[str, Any] = {
        "source_key": f"drafts/evil-{n}.md",
        "title": TITLE,
        "date": datetime(2025, 9, n, tzinfo=UTC),
        "url": f"/2025/09/{n:02d}/evil/",
        "excerpt": EXCERPT,
        "author": AUTHOR,
        "tags": tuple(Term(url_key(name) or "x", name) for name in TAG_NAMES),
        "categories": tuple(Term(url_key(name) or "x", name) for name in CATEGORY_NAMES),
    }
    fields.update(kw)
    return PostSummary(**fields)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(SITE)


def test_hostile_post_page(renderer: Renderer) -> None:
    body = render_markdown(BODY)
    page = renderer.post_page(hostile(2), body, reading_time=3, prev=hostile(1), next=hostile(3))
    doc = assert_safe_html(page)
    # the payloads are shown, as text, exactly as written
    assert text_of(doc.find(".//h1")) == TITLE
    assert text_of(doc.find(".//title")) == f"{TITLE} | Safe <Site>"
    metas = {m.get("name") or m.get("property"): m.get("content") for m in doc.iter("meta")}
    assert metas["description"] == " ".join(EXCERPT.split())
    assert metas["og:title"] == TITLE
    assert AUTHOR in text_of(doc)
    for name in TAG_NAMES + CATEGORY_NAMES:
        assert name in [text_of(a) for a in doc.iter("a")]
    ld = json.loads(next(doc.iter("script")).text or "")
    assert ld["headline"] == TITLE
    assert ld["author"]["name"] == AUTHOR
    assert ld["keywords"] == TAG_NAMES
    # the body's raw HTML is visible text; the one safe link survives, the image too
    body_text = text_of(doc)
    assert "<script>alert(10)</script>" in body_text
    assert "<img src=x onerror=alert(11)>" in body_text
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert "https://example.com/safe" in hrefs
    assert [i.get("src") for i in doc.iter("img")] == ["data:image/png;base64,iVBORw0KGgo="]
    for el in doc.iter():
        if el.get("id"):
            assert el.get("id").startswith(("h-", "fn", "content")), el.get("id")


def test_hostile_heading_ids_and_toc(renderer: Renderer) -> None:
    body = render_markdown('# "><script>x</script>\n\n## onload\n\n## javascript:alert(1)\n')
    assert [h.id for h in body.headings] == ["h-scriptxscript", "h-onload", "h-javascriptalert1"]
    page = renderer.post_page(hostile(), body, reading_time=1)
    doc = assert_safe_html(page)
    toc = [a.get("href") for n in doc.iter("nav") if n.get("class") == "toc" for a in n.iter("a")]
    assert toc == ["#h-scriptxscript", "#h-onload", "#h-javascriptalert1"]


def test_hostile_listing_pages(renderer: Renderer) -> None:
    posts = [hostile(3), hostile(2), hostile(1)]
    for kind, title, path in [
        ("home", "", "/"),
        ("tag", TAG_NAMES[0], "/tags/script/"),
        ("category", CATEGORY_NAMES[0], "/categories/iframe/"),
        ("archive", TITLE, "/archives/"),
    ]:
        page = renderer.listing_page(
            kind=kind, title=title, path=path, posts=posts, page=2, pages=3, page_url=lambda n: f"/x/{n}/"
        )
        doc = assert_safe_html(page)
        assert [text_of(a) for a in doc.iter("a") if a.get("href") == "/2025/09/03/evil/"] == [TITLE]
        if title:
            assert text_of(doc.find(".//h1")) == title


def test_hostile_page_url_cannot_inject_a_scheme(renderer: Renderer) -> None:
    page = renderer.listing_page(
        kind="home",
        title="",
        path="/",
        posts=[hostile()],
        page=1,
        pages=2,
        page_url=lambda n: "javascript:alert(1)",
    )
    assert_safe_html(page)


def test_hostile_tags_overview(renderer: Renderer) -> None:
    terms = [(Term(url_key(n) or "x", n), 1) for n in TAG_NAMES]
    doc = assert_safe_html(renderer.tags_overview(kind="tags", terms=terms))
    assert [text_of(a) for a in doc.iter("a") if a.get("rel") == "tag"] == TAG_NAMES


def test_hostile_site_settings_are_escaped() -> None:
    site = SiteSettings(
        title="</title><script>alert(1)</script>",
        description='"><script>alert(2)</script>',
        author="<img src=x onerror=alert(3)>",
        language='en" onload="alert(4)',
    )
    renderer = Renderer(site)
    for page in (
        renderer.not_found_page(),
        renderer.listing_page(kind="home", title="", path="/", posts=[hostile()]),
        renderer.post_page(hostile(), render_markdown("x"), reading_time=1),
    ):
        doc = assert_safe_html(page)
        assert text_of(doc.find(".//title")).endswith(site.title)


def test_hostile_feed(renderer: Renderer) -> None:
    feed = renderer.feed([hostile(2), hostile(1, lang='ja" x="y')], updated=datetime(2025, 9, 21, tzinfo=UTC))
    root = ET.fromstring(feed.encode())
    atom = "{http://www.w3.org/2005/Atom}"
    for el in root.iter():
        assert el.tag.startswith(atom), f"element {el.tag} injected into the feed"
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on")
            if name in ("href", "scheme"):
                assert value.startswith("https://blog.example.com/"), value
    entries = root.findall(f"{atom}entry")
    assert [e.findtext(f"{atom}title") for e in entries] == [TITLE, TITLE]
    assert entries[0].findtext(f"{atom}summary") == " ".join(EXCERPT.split())
    assert entries[0].findtext(f"{atom}author/{atom}name") == AUTHOR
    labels = [c.get("label") for c in entries[0].findall(f"{atom}category")]
    assert sorted(labels) == sorted(CATEGORY_NAMES + TAG_NAMES)
    assert entries[1].get("{http://www.w3.org/XML/1998/namespace}lang") == 'ja" x="y'


FRAGMENTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[a](javascript:alert(1))",
    "[a](JAVASCRIPT:alert(1))",
    "[a](&#106;avascript:alert(1))",
    "[a](<java\tscript:x>)",
    "[a](java&#9;script:x)",
    "[a](data:text/html,x)",
    "![a](data:image/svg+xml,x)",
    "<javascript:alert(1)>",
    "[r]: javascript:alert(1)\n\n[r]",
    '<a href="javascript:x">a</a>',
    "\n# heading <b onmouseover=x>\n",
    '\n```x" onload="y\n<script>\n```\n',
    "`<script>`",
    "[x](https://ok.example/ 'title \" onmouseover=x')",
    "**",
    "]",
    "(",
    "<",
    "&",
    "\n\n",
    "|a|b|\n|-|-|\n|<script>|x|\n",
    "[^n]\n\n[^n]: <b onclick=x>",
]


@given(
    parts=st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=12),
    title=st.text(max_size=40),
    tag=st.text(min_size=1, max_size=20),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzzed_hostile_input_never_yields_script(
    parts: list[str], title: str, tag: str, renderer: Renderer
) -> None:
    post = hostile(title=title, excerpt=title, author=tag, tags=(Term(url_key(tag) or "x", tag),))
    page = renderer.post_page(post, render_markdown("".join(parts)), reading_time=1)
    doc = assert_safe_html(page)
    ld = json.loads(next(doc.iter("script")).text or "")
    assert ld["headline"] == "".join(ch for ch in title if printable_in_html(ch))


def printable_in_html(ch: str) -> bool:
    """False for code points HTML/XML forbid (controls but tab/LF/CR, noncharacters)."""
    cp = ord(ch)
    if ch in "\t\n\r":
        return True
    return unicodedata.category(ch) != "Cc" and not (0xFDD0 <= cp <= 0xFDEF or cp & 0xFFFE == 0xFFFE)
