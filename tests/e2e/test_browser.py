"""End to end in a real browser: the example draft is uploaded to the local stack, published by the
real pipeline, served by the stack's preview server, and opened in headless Chromium, which checks
what a reader sees and saves screenshots at phone and desktop widths.

Needs Debian's Chromium at /usr/bin/chromium and a Japanese font: run `scripts/ensure-chromium.sh`
(as root it installs both with apt-get). Without them this test FAILS, so it never passes silently
without a browser. On a machine that cannot have a browser, set STITCHPRESS_SKIP_BROWSER=1 to skip
it instead.

Screenshots land in test-output/ (gitignored) for a person to look at:
post-phone.png (360x800) and post-desktop.png (1280x900), and the same of the example post with
a picture: post-image-phone.png, post-image-desktop.png.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import html5lib  # type: ignore[import-untyped]
import pytest

from stitchpress.local.session import LocalRun, local_stack
from tests.conftest import EXAMPLE_DRAFT, EXAMPLE_IMAGE, EXAMPLE_IMAGE_DRAFT, ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
TITLE = "Metaの6000億ドルAI投資、その真意と業界への波紋とは？"
POST_PATH = "/2025/09/21/meta-ai-investment/"
IMAGE_POST_PATH = "/2025/09/22/ai-capex-chart/"
OUTPUT = ROOT / "test-output"
ENGLISH_PATH = "/2025/10/06/static-search/"
ENGLISH_DRAFT = """---
title: "Static search for a small blog"
date: 2025-10-06 09:00:00 +0000
tags: ["search"]
lang: en
---

Readers find older posts with an index that the browser downloads in pieces; no server answers
the queries. The index is rebuilt a little after each burst of publishing.
"""
# Flags for this machine's closed network: without the background-networking ones Chromium's own
# outbound connections are refused and slow it down. A fresh profile per run keeps runs independent.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
SETUP_HINT = "run scripts/ensure-chromium.sh (or set STITCHPRESS_SKIP_BROWSER=1 to skip browser tests)"


@pytest.fixture(scope="module")
def chromium() -> Path:
    if os.environ.get("STITCHPRESS_SKIP_BROWSER") == "1":
        pytest.skip("STITCHPRESS_SKIP_BROWSER=1")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: {SETUP_HINT}", pytrace=False)
    return CHROMIUM


@pytest.fixture(scope="module")
def site_url(chromium: Path) -> Iterator[str]:
    with local_stack(preview_port=0) as run:
        image = run.upload(EXAMPLE_IMAGE, "drafts/img/ai-capex.png")
        assert run.wait_for_reports([image])[image[0]]["status"] == "published"
        uploads = [run.upload(EXAMPLE_DRAFT), run.upload(EXAMPLE_IMAGE_DRAFT)]
        # An English post beside the Japanese ones: search must find both languages' posts.
        english = Path(tempfile.mkdtemp(prefix="stitchpress-e2e-")) / "2025-10-06-static-search.md"
        english.write_text(ENGLISH_DRAFT, encoding="utf-8")
        uploads.append(run.upload(english))
        reports = run.wait_for_reports(uploads)
        assert {r["status"] for r in reports.values()} == {"published"}, reports
        _RUNS[run.site_url] = run
        yield run.site_url


@pytest.fixture(scope="module")
def post_url(site_url: str) -> str:
    return site_url + POST_PATH


def run_chromium(chromium: Path, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="stitchpress-chromium-") as profile:
        proc = subprocess.run(
            [str(chromium), *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    assert proc.returncode == 0, f"chromium exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_post_reads_correctly_in_chromium(chromium: Path, post_url: str) -> None:
    dom = run_chromium(chromium, "--dump-dom", post_url).stdout
    doc = html5lib.parse(dom, namespaceHTMLElements=False)
    # The site is English (the default): its chrome stays English on a Japanese post, whose own
    # text is marked Japanese.
    assert doc.get("lang") == "en"
    nav = doc.find(".//nav[@class='site-nav']")
    assert nav is not None and "Archives" in text_of(nav)
    title = doc.find("head/title")
    assert title is not None and text_of(title) == f"{TITLE} | stitchpress"
    h1s = doc.findall(".//h1")
    assert [text_of(h) for h in h1s] == [TITLE]
    body = doc.find(".//div[@class='post-body']")
    assert body is not None, "no post body in the DOM"
    assert body.get("lang") == "ja" and h1s[0].get("lang") == "ja"
    paragraphs = [text_of(p) for p in body.iter("p")]
    assert any("しかし、それだけではありません。" in p for p in paragraphs)
    # The seams are invisible: no segment marker, no paragraph opening with the "…" a segment starts with.
    assert "---END---" not in text_of(body)
    assert not [p for p in paragraphs if p.startswith(("…", "..."))]


@pytest.mark.parametrize(("name", "width", "height"), [("phone", 360, 800), ("desktop", 1280, 900)])
def test_screenshots(chromium: Path, post_url: str, name: str, width: int, height: int) -> None:
    fc_list = shutil.which("fc-list")
    japanese_fonts = (
        subprocess.run([fc_list, ":lang=ja", "family"], capture_output=True, text=True).stdout.strip()
        if fc_list
        else ""
    )
    assert japanese_fonts, f"no Japanese font: the screenshots would show boxes; {SETUP_HINT}"
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / f"post-{name}.png"
    shot.unlink(missing_ok=True)
    run_chromium(chromium, f"--screenshot={shot}", f"--window-size={width},{height}", post_url)
    assert png_size(shot) == (width, height)
    # A blank page compresses to about 5 KB; a rendered article is many times that.
    assert shot.stat().st_size > 20_000, f"{shot} looks blank ({shot.stat().st_size} bytes)"


def test_footer_lines_up_with_the_content_column_on_desktop(
    chromium: Path, post_url: str, tmp_path: Path
) -> None:
    # The post page as served, with a probe that writes where the header, content and footer
    # columns start and how wide they are (a script after the stylesheet runs once it applied).
    with urllib.request.urlopen(post_url, timeout=10) as resp:
        page = resp.read().decode()
    probe = (
        "<script>const box = s => document.querySelector(s).getBoundingClientRect();"
        "document.body.dataset.columns = ['.site-header .wrap', 'main', '.site-footer .wrap']"
        ".map(s => `${Math.round(box(s).left)}:${Math.round(box(s).width)}`).join(' ');</script>"
    )
    page = page.replace("<head>", f'<head><base href="{post_url}">', 1).replace("</body>", probe + "</body>")
    local = tmp_path / "post.html"
    local.write_text(page, encoding="utf-8")
    dom = run_chromium(chromium, "--window-size=1280,900", "--dump-dom", local.as_uri()).stdout
    body = html5lib.parse(dom, namespaceHTMLElements=False).find("body")
    assert body is not None
    header, main, footer = body.get("data-columns", "").split()
    assert header == main == footer, f"columns (left:width) header {header}, content {main}, footer {footer}"


def test_a_post_with_a_picture_serves_every_size_it_names(chromium: Path, site_url: str) -> None:
    dom = run_chromium(chromium, "--dump-dom", site_url + IMAGE_POST_PATH).stdout
    doc = html5lib.parse(dom, namespaceHTMLElements=False)
    (picture,) = doc.findall(".//div[@class='post-body']//picture")
    img = picture.find("img")
    assert img is not None
    assert img.get("alt", "").startswith("AI関連設備投資の推移")
    assert (img.get("width"), img.get("height")) == ("1200", "675")  # the box is reserved: no layout shift
    urls = {img.get("src", "")}
    for element in [*picture.findall("source"), img]:
        urls |= {part.split()[0] for part in element.get("srcset", "").split(", ")}
    assert len(urls) == 9, urls  # 480, 960, 1200 wide in AVIF, WebP and PNG
    for url in sorted(urls):
        with urllib.request.urlopen(site_url + url, timeout=10) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("image/"), url


@pytest.mark.parametrize(("name", "width", "height"), [("phone", 360, 800), ("desktop", 1280, 900)])
def test_screenshots_of_a_post_with_a_picture(
    chromium: Path, site_url: str, name: str, width: int, height: int
) -> None:
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / f"post-image-{name}.png"
    shot.unlink(missing_ok=True)
    # Tall enough that the picture, below the first paragraph, is in the shot.
    run_chromium(
        chromium, f"--screenshot={shot}", f"--window-size={width},{height + 600}", site_url + IMAGE_POST_PATH
    )
    assert png_size(shot) == (width, height + 600)
    assert shot.stat().st_size > 20_000, f"{shot} looks blank ({shot.stat().st_size} bytes)"


_RUNS: dict[str, LocalRun] = {}  # the stack behind each site_url, to explain a missing index
_NO_INDEX: list[str] = []  # set once the index did not come: the other searches fail at once


def search_index_ready(site_url: str, posts: int, timeout: float = 90) -> None:
    """Wait for the search job (started by the stack's sweep once the publishes pause) to put an
    index of `posts` pages on the site."""
    import json
    import time

    if _NO_INDEX:
        pytest.fail(_NO_INDEX[0], pytrace=False)
    deadline = time.monotonic() + timeout
    seen: object = "no pagefind/pagefind-entry.json"
    while True:
        try:
            with urllib.request.urlopen(site_url + "/pagefind/pagefind-entry.json", timeout=10) as resp:
                entry = json.load(resp)
            seen = {name: lang["page_count"] for name, lang in entry["languages"].items()}
            if sum(lang["page_count"] for lang in entry["languages"].values()) == posts:
                return
        except (OSError, ValueError) as e:
            seen = f"no index ({e})"
        if time.monotonic() > deadline:
            _NO_INDEX.append(
                f"no search index of {posts} pages after {timeout:g} s: {seen}; {_why(site_url)}"
            )
            pytest.fail(_NO_INDEX[0], pytrace=False)
        time.sleep(0.5)


def _why(site_url: str) -> str:
    run = _RUNS.get(site_url)
    if run is None or run.sweeper is None or run.search_worker is None:
        return "no stack"
    sweeper, worker = run.sweeper, run.search_worker
    return (
        f"{sweeper.sweeps} sweeps started {sweeper.searches} search jobs (errors: {sweeper.errors[-3:]!r}); "
        f"the search worker ran {worker.invocations} invocations (errors: {worker.errors[-3:]!r})"
    )


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("投資", {POST_PATH, IMAGE_POST_PATH}),  # Japanese: a word inside sentences without spaces
        ("グラフ", {IMAGE_POST_PATH}),
        ("Meta", {POST_PATH}),  # an English word in a Japanese post
        ("publishing", {ENGLISH_PATH}),  # English
        ("servers", {ENGLISH_PATH}),  # English, stemmed: "server" in the post
    ],
)
def test_the_search_page_finds_posts_by_a_japanese_or_an_english_word(
    chromium: Path, site_url: str, query: str, found: set[str]
) -> None:
    search_index_ready(site_url, posts=3)
    # /search/ is linked from every page's header.
    with urllib.request.urlopen(site_url + POST_PATH, timeout=10) as resp:
        assert '<a href="/search/">Search</a>' in resp.read().decode()
    dom = run_chromium(
        chromium, "--virtual-time-budget=20000", "--dump-dom", f"{site_url}/search/?q={query}"
    ).stdout
    doc = html5lib.parse(dom, namespaceHTMLElements=False)
    links = {
        a.get("href") for a in doc.iter("a") if "pagefind-ui__result-link" in (a.get("class") or "").split()
    }
    assert links == found, dom[dom.find("<main") :][:2000]
