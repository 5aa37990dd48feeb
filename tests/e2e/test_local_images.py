"""End to end: images through the embedded local stack — real S3 notifications to the image
queue and the publish queue, both workers polling as Lambda's event source mappings would."""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterator

import boto3
import pytest

from stitchpress.local.session import LocalRun, local_stack
from tests.conftest import EXAMPLE_IMAGE, EXAMPLE_IMAGE_DRAFT

pytestmark = pytest.mark.e2e
DRAFT_KEY = "drafts/2025-09-22-ai-capex-chart.md"
IMAGE_KEY = "drafts/img/ai-capex.png"
PAGE = "/2025/09/22/ai-capex-chart/"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalRun]:
    with local_stack(preview_port=0) as run:
        yield run


def get(local: LocalRun, path: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(local.site_url + path, timeout=10) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), resp.read()


def page_until(local: LocalRun, predicate: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        html = get(local, PAGE)[2].decode()
        if predicate in html:
            return html
        if time.monotonic() > deadline:
            errors = local.worker.errors + (local.image_worker.errors if local.image_worker else [])
            raise TimeoutError(f"{predicate!r} never appeared on {PAGE}; worker errors: {errors!r}")
        time.sleep(0.2)


def test_a_draft_uploaded_before_its_image_shows_it_once_the_image_arrives(local: LocalRun) -> None:
    s3 = boto3.client("s3", endpoint_url=local.endpoint)  # a writer's own client
    bucket = local.stack.config.drafts_bucket
    put = s3.put_object(Bucket=bucket, Key=DRAFT_KEY, Body=EXAMPLE_IMAGE_DRAFT.read_bytes())
    report = local.wait_for_reports([(DRAFT_KEY, put.get("VersionId"))])[DRAFT_KEY]
    assert report["status"] == "published"
    assert any("img/ai-capex.png: no published image" in w for w in report["warnings"])
    assert 'class="image-missing"' in get(local, PAGE)[2].decode()

    put = s3.put_object(Bucket=bucket, Key=IMAGE_KEY, Body=EXAMPLE_IMAGE.read_bytes())
    image_report = local.wait_for_reports([(IMAGE_KEY, put.get("VersionId"))])[IMAGE_KEY]
    assert image_report["status"] == "published" and image_report["used_by"] == [DRAFT_KEY]
    html = page_until(local, "<picture>")
    assert "image-missing" not in html
    for url in {u.split()[0] for s in re.findall(r'srcset="([^"]+)"', html) for u in s.split(", ")}:
        status, content_type, body = get(local, url)
        assert status == 200 and content_type.startswith("image/") and body, url
    # The draft's report no longer warns once the post was re-rendered with the image.
    deadline = time.monotonic() + 30
    while any(
        "no published image" in w for w in local.wait_for_reports([(DRAFT_KEY, None)])[DRAFT_KEY]["warnings"]
    ):
        assert time.monotonic() < deadline, "the draft's report still warns about the image"
        time.sleep(0.2)


def test_a_bad_image_is_reported_and_the_site_keeps_the_good_one(local: LocalRun) -> None:
    s3 = boto3.client("s3", endpoint_url=local.endpoint)
    before = page_until(local, "<picture>")
    put = s3.put_object(Bucket=local.stack.config.drafts_bucket, Key=IMAGE_KEY, Body=b"<svg onload=alert(1)>")
    report = local.wait_for_reports([(IMAGE_KEY, put.get("VersionId"))])[IMAGE_KEY]
    assert report["status"] == "rejected"
    assert "SVG" in report["errors"][0] and "script" in report["errors"][0]
    assert get(local, PAGE)[2].decode() == before
