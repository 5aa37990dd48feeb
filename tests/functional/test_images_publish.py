"""Issue 16: posts and their images, in either order — the publish function and the image
function against moto, the image function's re-render requests delivered through the publish queue."""

from __future__ import annotations

import json
import re
from typing import Any

import feedparser

from stitchpress.aws.media import UNUSED_TAG
from tests.functional.conftest import Aws
from tests.helpers import delete_image, draft, media, picture, publish, put_image, sqs_record, tags

POST = "drafts/2025-09-01-charts.md"
URL_KEY = "2025/09/01/charts/index.html"
BODY = "Intro paragraph.\n\n![Sales by month](img/chart.png)\n\nMore text.\n"


def deliver_refreshes(aws: Aws) -> list[dict[str, Any]]:
    """Hand the publish function the re-render requests waiting on its queue (as its event
    source mapping would); S3's own notifications there are left out: the tests send those."""
    records = []
    while True:
        msgs = aws.sqs.receive_message(QueueUrl=aws.stack.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not msgs:
            break
        for m in msgs:
            aws.sqs.delete_message(QueueUrl=aws.stack.queue_url, ReceiptHandle=m["ReceiptHandle"])
            if json.loads(m["Body"]).get("stitchpress") == "refresh":
                records.append(sqs_record(m["Body"], m["MessageId"], m["ReceiptHandle"]))
    if records:
        response = aws.invoke({"Records": records})
        assert response == {"batchItemFailures": []}, response
    return records


def pictures_in(html: str) -> list[str]:
    return re.findall(r"<picture>.*?</picture>", html)


def image_srcs(html: str) -> set[str]:
    """Every derivative URL a page refers to (src and srcset)."""
    urls = set(re.findall(r'src="(/media/[^"]+)"', html))
    for srcset in re.findall(r'srcset="([^"]+)"', html):
        urls |= {part.split()[0] for part in srcset.split(", ")}
    return urls


def assert_shows_picture(aws: Aws, html: str) -> None:
    (pic,) = pictures_in(html)
    assert 'alt="Sales by month"' in pic
    assert 'width="600" height="400"' in pic
    assert "image-missing" not in html
    site = aws.site_objects()
    missing = {u for u in image_srcs(html) if u.lstrip("/") not in site}
    assert not missing, missing  # every derivative the page names is on the site


def assert_shows_alt_text(html: str) -> None:
    assert pictures_in(html) == []
    assert "<img" not in html
    assert '<span class="image-missing">Sales by month</span>' in html


def warnings(aws: Aws, key: str = POST) -> list[str]:
    return [w for w in aws.report(key)["warnings"] if "image" in w]


def test_draft_first_then_its_image(aws: Aws) -> None:
    assert publish(aws, POST, draft("Charts", "2025-09-01", body=BODY))["status"] == "published"
    assert_shows_alt_text(aws.page(URL_KEY))
    (warning,) = warnings(aws)
    # Named by file and line: the draft is 4 front matter lines, a blank one, then BODY.
    assert warning.startswith(
        f"{POST}:8: warning: image: img/chart.png: no published image at drafts/img/chart.png"
    )
    invalidations_before = len(aws.invalidations())

    assert put_image(aws, "drafts/img/chart.png", picture())["status"] == "published"
    assert deliver_refreshes(aws)  # the image function asked for the post
    html = aws.page(URL_KEY)
    assert_shows_picture(aws, html)
    assert warnings(aws) == []
    assert aws.report(POST)["images"] == [
        {"src": "img/chart.png", "image": "drafts/img/chart.png", "published": True, "alt": "Sales by month"}
    ]
    # The page changed, so CloudFront is told; the derivatives are new keys and never are.
    latest = aws.invalidations()[invalidations_before:]
    assert any("/2025/09/01/charts/index.html" in paths for paths in latest)
    assert not any(p.startswith("/media/") for paths in aws.invalidations() for p in paths)


def test_image_first_then_the_draft(aws: Aws) -> None:
    put_image(aws, "drafts/img/chart.png", picture())
    assert publish(aws, POST, draft("Charts", "2025-09-01", body=BODY))["status"] == "published"
    assert_shows_picture(aws, aws.page(URL_KEY))
    assert warnings(aws) == []


def test_the_first_image_is_the_posts_preview_in_head_json_ld_and_feed(aws: Aws) -> None:
    put_image(aws, "drafts/img/chart.png", picture())
    put_image(aws, "drafts/img/second.png", picture("black"))
    body = BODY + "\n![Second](img/second.png)\n"
    publish(aws, POST, draft("Charts", "2025-09-01", body=body))
    html = aws.page(URL_KEY)
    first, second = pictures_in(html)
    assert 'loading="lazy"' not in first and 'loading="lazy" decoding="async"' in second
    og = re.search(r'<meta property="og:image" content="([^"]+)">', html)
    assert og is not None
    largest = og.group(1)
    assert re.fullmatch(r"http://localhost:8000/media/[0-9a-f]{20}-600\.png", largest)
    assert largest.removeprefix("http://localhost:8000") in image_srcs(first)
    assert '<meta property="og:image:alt" content="Sales by month">' in html
    jsonld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert jsonld["image"] == largest
    feed = feedparser.parse(aws.page("feed.xml"))
    (entry,) = feed.entries
    assert [e["href"] for e in entry.enclosures] == [largest]


def test_front_matter_image_is_the_preview(aws: Aws) -> None:
    put_image(aws, "drafts/img/chart.png", picture())
    put_image(aws, "drafts/cover.jpg", picture("navy", fmt="JPEG"))
    publish(aws, POST, draft("Charts", "2025-09-01", body=BODY, image="cover.jpg"))
    html = aws.page(URL_KEY)
    og = re.search(r'<meta property="og:image" content="[^"]+/media/([0-9a-f]{20})-600\.jpg">', html)
    assert og is not None
    assert og.group(1) not in "".join(pictures_in(html))  # the cover, not the body's chart
    assert warnings(aws) == []


def test_a_replaced_image_re_renders_the_post_with_its_new_keys(aws: Aws) -> None:
    put_image(aws, "drafts/img/chart.png", picture("white"))
    publish(aws, POST, draft("Charts", "2025-09-01", body=BODY))
    old = image_srcs(aws.page(URL_KEY))
    put_image(aws, "drafts/img/chart.png", picture("red"))
    deliver_refreshes(aws)
    html = aws.page(URL_KEY)
    assert_shows_picture(aws, html)
    new = image_srcs(html)
    assert new.isdisjoint(old)
    assert all(tags(aws, u.lstrip("/")) == {UNUSED_TAG: "true"} for u in old)


def test_a_missing_image_is_a_warning_and_alt_text_never_a_broken_image(aws: Aws) -> None:
    body = "Text.\n\n![Sales by month](img/chart.png)\n\n![](img/none.png)\n"
    publish(aws, POST, draft("Charts", "2025-09-01", body=body))
    html = aws.page(URL_KEY)
    assert_shows_alt_text(html)
    report = aws.report(POST)
    assert report["status"] == "published"
    assert [w.split(": warning: image: ")[0] for w in warnings(aws)] == [f"{POST}:8", f"{POST}:10"]
    assert "reports/img/chart.png.json" in warnings(aws)[0]


def test_a_deleted_image_leaves_the_alt_text_and_a_warning(aws: Aws) -> None:
    put_image(aws, "drafts/img/chart.png", picture())
    publish(aws, POST, draft("Charts", "2025-09-01", body=BODY))
    keys = media(aws)
    delete_image(aws, "drafts/img/chart.png")
    deliver_refreshes(aws)
    assert_shows_alt_text(aws.page(URL_KEY))
    assert len(warnings(aws)) == 1
    assert all(tags(aws, k) == {UNUSED_TAG: "true"} for k in keys)  # gone after the grace period


def test_a_bad_image_keeps_the_post_up_with_its_alt_text(aws: Aws) -> None:
    assert put_image(aws, "drafts/img/chart.png", b"GIF89a broken")["status"] == "rejected"
    publish(aws, POST, draft("Charts", "2025-09-01", body=BODY))
    assert_shows_alt_text(aws.page(URL_KEY))
    assert aws.report("drafts/img/chart.png")["status"] == "rejected"
    assert "reports/img/chart.png.json" in warnings(aws)[0]


def test_a_post_that_drops_an_image_is_no_longer_re_rendered_for_it(aws: Aws) -> None:
    publish(aws, POST, draft("Charts", "2025-09-01", body=BODY))
    publish(aws, POST, draft("Charts", "2025-09-01", body="No pictures any more.\n"))
    put_image(aws, "drafts/img/chart.png", picture())
    assert deliver_refreshes(aws) == []
    assert aws.report("drafts/img/chart.png")["used_by"] == []


def test_posts_without_images_make_no_image_calls(aws: Aws, monkeypatch: Any) -> None:
    from stitchpress.service import handler

    calls: list[str] = []
    media_index = handler.publisher().media
    for name in ("record_uses", "images"):
        original = getattr(media_index, name)
        monkeypatch.setattr(
            media_index, name, lambda *a, _n=name, _o=original, **k: calls.append(_n) or _o(*a, **k)
        )
    publish(aws, "drafts/2025-09-02-plain.md", draft("Plain", "2025-09-02", body="Just words.\n"))
    assert "images" not in calls
    assert "<picture>" not in aws.page("2025/09/02/plain/index.html")
