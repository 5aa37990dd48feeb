"""Issue 16: the image function against moto — derivatives, reports for bad images, replaced and
deleted images, and the re-render requests it sends to the publish queue."""

from __future__ import annotations

import json
import os

import pytest

from stitchpress.aws.media import UNUSED_TAG, MediaIndex
from stitchpress.core.images import MEDIA_CACHE_CONTROL
from tests.functional.conftest import Aws
from tests.helpers import (
    delete_image,
    media,
    picture,
    png_claiming,
    put_image,
    tags,
)


def queued_refreshes(aws: Aws) -> list[str]:
    """Drafts the publish queue was asked to re-render (the messages are consumed)."""
    out = []
    while True:
        msgs = aws.sqs.receive_message(QueueUrl=aws.stack.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not msgs:
            return sorted(out)
        for m in msgs:
            body = json.loads(m["Body"])
            if body.get("stitchpress") == "refresh":
                out.append(body["draft"])
            aws.sqs.delete_message(QueueUrl=aws.stack.queue_url, ReceiptHandle=m["ReceiptHandle"])


def test_an_image_becomes_derivatives_cached_forever(aws: Aws) -> None:
    outcome = put_image(aws, "drafts/img/chart.png", picture(size=(1200, 800)))
    assert outcome["status"] == "published"
    keys = media(aws)
    assert len(keys) == 9  # 480, 960, 1200 x AVIF, WebP, PNG
    (digest,) = {k.split("/")[1].split("-")[0] for k in keys}
    assert keys == {f"media/{digest}-{w}.{e}" for w in (480, 960, 1200) for e in ("avif", "webp", "png")}
    head = aws.s3.head_object(Bucket=aws.site, Key=f"media/{digest}-960.avif")
    assert head["ContentType"] == "image/avif"
    assert head["CacheControl"] == MEDIA_CACHE_CONTROL
    report = aws.report("drafts/img/chart.png")
    assert report["status"] == "published"
    assert (report["width"], report["height"]) == (1200, 800)
    assert sorted(report["derivatives"]) == sorted(keys)
    assert aws.invalidations() == []  # new keys: nothing cached to invalidate


@pytest.mark.parametrize(
    ("key", "data", "env", "expected"),
    [
        ("drafts/notes.png", b"not a picture at all", {}, "not an image"),
        (
            "drafts/chart.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            {},
            "script",
        ),
        ("drafts/cut.jpg", picture(fmt="JPEG")[:3000], {}, "cut off"),
        ("drafts/huge.png", picture(size=(2000, 2000)), {"MAX_IMAGE_PIXELS": "1000000"}, "1,000,000"),
        ("drafts/heavy.png", picture(size=(1000, 1000)), {"MAX_IMAGE_BYTES": "2000"}, "more than the limit"),
    ],
)
def test_a_bad_image_gets_a_report_and_nothing_reaches_the_site(
    aws: Aws, key: str, data: bytes, env: dict[str, str], expected: str
) -> None:
    from stitchpress.service import image_handler

    os.environ.update(env)
    image_handler.reset()
    outcome = put_image(aws, key, data)
    assert outcome["status"] == "rejected"
    report = aws.report(key)
    assert report["status"] == "rejected"
    (error,) = report["errors"]
    assert error.startswith(f"{key}: ") and expected in error
    assert media(aws) == set()
    assert MediaIndex(aws.ddb, aws.stack.config.index_table).image(key) is None


def test_a_decompression_bomb_is_refused_unopened(aws: Aws) -> None:

    put_image(aws, "drafts/bomb.png", png_claiming(100_000, 100_000))
    assert "decompression bomb" in aws.report("drafts/bomb.png")["errors"][0]
    assert media(aws) == set()


def test_a_bad_replacement_leaves_the_published_image_alone(aws: Aws) -> None:
    key = "drafts/photo.jpg"
    put_image(aws, key, picture("red", fmt="JPEG"))
    before = media(aws)
    record = MediaIndex(aws.ddb, aws.stack.config.index_table).image(key)
    assert put_image(aws, key, b"oops")["status"] == "rejected"
    assert media(aws) == before
    assert MediaIndex(aws.ddb, aws.stack.config.index_table).image(key) == record
    assert all(UNUSED_TAG not in tags(aws, k) for k in before)


def test_a_replaced_image_gets_new_keys_and_the_old_ones_expire_later(aws: Aws) -> None:
    key = "drafts/photo.png"
    put_image(aws, key, picture("red"))
    old = media(aws)
    put_image(aws, key, picture("blue"))
    new = media(aws) - old
    assert len(new) == 6  # 480 and 600 wide, three formats each
    # Still there for pages cached with the old keys; tagged for the lifecycle rule to expire.
    assert all(tags(aws, k) == {UNUSED_TAG: "true"} for k in old)
    assert all(tags(aws, k) == {} for k in new)
    assert all(aws.s3.head_object(Bucket=aws.site, Key=k)["CacheControl"] == MEDIA_CACHE_CONTROL for k in old)


def test_a_deleted_image_is_forgotten_and_its_derivatives_expire_later(aws: Aws) -> None:
    key = "drafts/gone.png"
    put_image(aws, key, picture("green"))
    keys = media(aws)
    assert delete_image(aws, key)["status"] == "removed"
    assert MediaIndex(aws.ddb, aws.stack.config.index_table).image(key) is None
    assert all(tags(aws, k) == {UNUSED_TAG: "true"} for k in keys)
    # Uploaded again: the same bytes, the same keys, no longer marked.
    put_image(aws, key, picture("green"))
    assert all(tags(aws, k) == {} for k in keys)


def test_a_late_older_event_does_not_undo_a_newer_one(aws: Aws) -> None:
    key = "drafts/order.png"
    put_image(aws, key, picture("red"), seq=10)
    red = MediaIndex(aws.ddb, aws.stack.config.index_table).image(key)
    assert put_image(aws, key, picture("blue"), seq=5)["status"] == "skipped"
    assert MediaIndex(aws.ddb, aws.stack.config.index_table).image(key) == red


def test_posts_that_use_an_image_are_queued_for_re_rendering(aws: Aws) -> None:
    records = MediaIndex(aws.ddb, aws.stack.config.index_table)
    records.record_uses("drafts/a.md", ["drafts/shared/logo.png"])
    records.record_uses("drafts/b.md", ["drafts/shared/logo.png", "drafts/other.png"])
    queued_refreshes(aws)
    assert put_image(aws, "drafts/shared/logo.png", picture())["status"] == "published"
    assert queued_refreshes(aws) == ["drafts/a.md", "drafts/b.md"]
    assert aws.report("drafts/shared/logo.png")["used_by"] == ["drafts/a.md", "drafts/b.md"]
    # b no longer shows the logo
    records.record_uses("drafts/b.md", ["drafts/other.png"], ["drafts/shared/logo.png", "drafts/other.png"])
    delete_image(aws, "drafts/shared/logo.png")
    assert queued_refreshes(aws) == ["drafts/a.md"]
