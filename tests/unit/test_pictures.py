"""Images in a post body (stitchpress.core.pictures via render_markdown and compile_draft): pure, with
the image records given as a dict."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser

from stitchpress.core.images import ImageInfo
from stitchpress.core.model import SiteSettings
from stitchpress.core.pipeline import compile_draft
from stitchpress.core.render import Renderer, render_markdown

CHART = ImageInfo(hash="a" * 20, width=1600, height=900, fallback="png", widths=(480, 960, 1600))
PHOTO = ImageInfo(hash="b" * 20, width=700, height=1000, fallback="jpg", widths=(480, 700))
KEY = "drafts/blog/2025-09-01-post.md"


def lookup(found: Mapping[str, ImageInfo | None], asked: list[list[str]] | None = None):  # type: ignore[no-untyped-def]
    def look(keys: Sequence[str]) -> Mapping[str, ImageInfo | None]:
        if asked is not None:
            asked.append(list(keys))
        return {k: found.get(k) for k in keys}

    return look


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str, name: str) -> list[dict[str, str | None]]:
    parser = Tags()
    parser.feed(html)
    return [a for t, a in parser.tags if t == name]


def test_a_draft_relative_image_becomes_a_responsive_picture() -> None:
    asked: list[list[str]] = []
    body = render_markdown(
        '![Sales "by" <month>](img/chart.png "Q3")\n',
        draft_key=KEY,
        images=lookup({"drafts/blog/img/chart.png": CHART}, asked),
    )
    assert asked == [["drafts/blog/img/chart.png"]]  # one lookup for the whole body
    avif, webp = tags(body.html, "source")
    assert avif["type"] == "image/avif" and webp["type"] == "image/webp"
    assert avif["srcset"] == ", ".join(f"/media/{'a' * 20}-{w}.avif {w}w" for w in (480, 960, 1600))
    assert avif["sizes"] == webp["sizes"]
    (img,) = tags(body.html, "img")
    assert img["src"] == f"/media/{'a' * 20}-960.png"
    assert img["srcset"] == ", ".join(f"/media/{'a' * 20}-{w}.png {w}w" for w in (480, 960, 1600))
    assert (img["width"], img["height"]) == ("1600", "900")
    assert img["alt"] == 'Sales "by" <month>'  # escaped in the markup, intact for the reader
    assert img["title"] == "Q3"
    assert "loading" not in img and "decoding" not in img  # the first image loads at once
    assert body.images[0].key == "drafts/blog/img/chart.png"


def test_images_after_the_first_load_lazily() -> None:
    found = {"drafts/blog/a.png": CHART, "drafts/shared/b.jpg": PHOTO}
    body = render_markdown("![a](a.png)\n\n![b](../shared/b.jpg)\n", draft_key=KEY, images=lookup(found))
    first, second = tags(body.html, "img")
    assert "loading" not in first
    assert (second["loading"], second["decoding"]) == ("lazy", "async")
    assert (second["width"], second["height"]) == ("700", "1000")


def test_a_missing_image_shows_its_alt_text() -> None:
    body = render_markdown("Before ![A *chart* <x>](img/none.png) after\n", draft_key=KEY, images=lookup({}))
    assert tags(body.html, "img") == [] and tags(body.html, "picture") == []
    assert '<span class="image-missing">A chart &lt;x&gt;</span>' in body.html
    assert body.images[0].info is None


def test_other_images_stay_plain_and_are_not_looked_up() -> None:
    asked: list[list[str]] = []
    md = "![ext](https://example.com/a.png) ![up](../../../etc/x.png) ![doc](notes.pdf)\n"
    body = render_markdown(md, draft_key=KEY, images=lookup({}, asked))
    assert asked == [[]]
    assert [i["src"] for i in tags(body.html, "img")] == [
        "https://example.com/a.png",
        "../../../etc/x.png",
        "notes.pdf",
    ]
    # Without a lookup (stitchpress check, older callers) every image is plain, as before.
    assert tags(render_markdown("![a](a.png)\n").html, "img") == [{"src": "a.png", "alt": "a"}]


def draft(body: str, extra: str = "") -> bytes:
    return f"---\ntitle: Post\ndate: 2025-09-01\n{extra}---\n\n{body}".encode()


def test_compile_warns_about_each_missing_image_with_its_line() -> None:
    data = draft("Intro.\n\n![Chart](img/chart.png)\n\n![Again](img/chart.png)\n\n![Photo](p.jpg)\n")
    post = compile_draft(KEY, data, SiteSettings(), images=lookup({"drafts/blog/p.jpg": PHOTO}))
    (warning,) = [m for m in post.messages if m.field == "image"]
    assert warning.level == "warning" and warning.line == 8
    assert warning.format(KEY).startswith(f"{KEY}:8: warning: image: img/chart.png: no published image")
    assert "'Chart'" in warning.text and "reports/blog/img/chart.png.json" in warning.text
    assert post.summary.image == f"/media/{'b' * 20}-700.jpg"  # the first image that exists


def test_front_matter_image_wins_and_may_be_an_https_url() -> None:
    found = {"drafts/blog/cover.jpg": PHOTO, "drafts/blog/a.png": CHART}
    post = compile_draft(
        KEY, draft("![a](a.png)\n", "image: cover.jpg\n"), SiteSettings(), images=lookup(found)
    )
    assert post.summary.image == PHOTO.largest
    url = "https://cdn.example.com/cover.png"
    post = compile_draft(KEY, draft("![a](a.png)\n", f"image: {url}\n"), SiteSettings(), images=lookup(found))
    assert post.summary.image == url
    post = compile_draft(
        KEY, draft("text\n", "image: javascript:alert(1)\n"), SiteSettings(), images=lookup({})
    )
    assert post.summary.image is None
    assert any(m.field == "image" and m.line == 4 for m in post.messages)


def test_the_post_image_is_the_pages_open_graph_and_json_ld_image() -> None:
    site = SiteSettings(base_url="https://blog.example")
    post = compile_draft(KEY, draft("![Chart](a.png)\n"), site, images=lookup({"drafts/blog/a.png": CHART}))
    html = Renderer(site).post_page(post.summary, post.body, reading_time=1)
    metas = {m["property"]: m["content"] for m in tags(html, "meta") if m.get("property")}
    assert metas["og:image"] == f"https://blog.example/media/{'a' * 20}-1600.png"
    assert (metas["og:image:width"], metas["og:image:height"], metas["og:image:alt"]) == (
        "1600",
        "900",
        "Chart",
    )
    assert f'"image":"https://blog.example/media/{"a" * 20}-1600.png"' in html
    feed = Renderer(site).feed([post.summary], updated=post.summary.date)
    assert re.search(
        rf'<link rel="enclosure" type="image/png" href="https://blog.example/media/{"a" * 20}-1600.png"/>',
        feed,
    )
