"""Issue 4, end to end through the handler: a draft full of XSS payloads is published and every
object it reaches — post, listings, overviews, feed — is parsed the way a browser would."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from tests import helpers as hostile  # the payloads test_render_security renders
from tests.functional.conftest import Aws, load_event

KEY = "drafts/2025-09-21-meta-ai-investment.md"  # the key events/s3-put.json names


def hostile_draft() -> bytes:
    front = {
        "title": hostile.TITLE,
        "date": "2025-09-21 08:00:00 +0000",
        "author": hostile.AUTHOR,
        "excerpt": hostile.EXCERPT,
        "tags": hostile.TAG_NAMES,
        "categories": hostile.CATEGORY_NAMES,
        "slug": "hostile",
    }
    # JSON is YAML: every value arrives exactly as written, quotes and brackets included.
    lines = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items()]
    return ("---\n" + "\n".join(lines) + "\n---\n\n" + hostile.BODY).encode()


def test_no_script_reaches_any_page_or_the_feed(aws: Aws) -> None:
    aws.s3.put_object(Bucket=aws.drafts, Key=KEY, Body=hostile_draft())
    outcome = aws.invoke(load_event("s3-put.json"))["outcomes"][0]
    assert outcome["status"] == "published", aws.report(KEY)
    objects = aws.site_objects()
    pages = [k for k in objects if k.endswith(".html")]
    # post, home, month, 4 tags, 1 category, 3 overviews, 404 — every kind of page was written
    assert "2025/09/21/hostile/index.html" in pages
    assert len([k for k in pages if k.startswith("tags/") and k != "tags/index.html"]) == len(
        hostile.TAG_NAMES
    )
    # The search page runs Pagefind's UI and the theme's search.js: exactly those two same-origin
    # files, no inline script (the CSP allows scripts on /search/ only: test_template_search).
    search_scripts = (
        '<script src="/pagefind/pagefind-ui.js" defer></script>',
        '<script src="/assets/search.js" defer></script>',
    )
    for key in pages:
        html = objects[key].decode()
        if key == "search/index.html":
            assert all(html.count(tag) == 1 for tag in search_scripts), html
            for tag in search_scripts:
                html = html.replace(tag, "")
        try:
            hostile.assert_safe_html(html)
        except AssertionError as e:
            raise AssertionError(f"{key}: {e}") from e
    post = objects["2025/09/21/hostile/index.html"].decode()
    assert "alert(10)" in post  # the raw HTML is shown as text, not dropped silently
    for key in [k for k in objects if k.endswith(".xml")]:
        root = ET.fromstring(objects[key])
        for el in root.iter():
            assert "script" not in el.tag.lower(), f"{key}: <{el.tag}>"
            for name, value in el.attrib.items():
                assert not name.lower().startswith("on"), f"{key}: {name}"
                if name == "href":
                    assert hostile.squash(value).startswith("http"), f"{key}: href={value!r}"
    # No key escaped its prefix, whatever the tags said.
    assert all(not k.startswith(("/", ".")) and "/../" not in k for k in objects)
