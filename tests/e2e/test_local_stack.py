"""End to end: a real boto3 client uploads to the embedded local stack; S3 notifies SQS; the
worker invokes the handler; we read the published site back over HTTP."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import quote

import boto3
import pytest

from stitchpress.local.session import LocalRun, local_stack
from tests.conftest import EXAMPLE_DRAFT

pytestmark = pytest.mark.e2e
TITLE = "Metaの6000億ドルAI投資、その真意と業界への波紋とは？"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalRun]:
    with local_stack(preview_port=0) as run:
        yield run


def fetch(local: LocalRun, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(local.site_url + quote(path), timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_upload_publishes_automatically(local: LocalRun) -> None:
    # A writer's own client, configured only by the endpoint the stack prints.
    s3 = boto3.client("s3", endpoint_url=local.endpoint)
    put = s3.put_object(
        Bucket=local.stack.config.drafts_bucket,
        Key="drafts/2025-09-21-meta-ai-investment.md",
        Body=EXAMPLE_DRAFT.read_bytes(),
    )
    reports = local.wait_for_reports([("drafts/2025-09-21-meta-ai-investment.md", put.get("VersionId"))])
    assert reports["drafts/2025-09-21-meta-ai-investment.md"]["status"] == "published"

    status, html = fetch(local, "/2025/09/21/meta-ai-investment/")
    assert status == 200
    assert TITLE in html
    assert "---END---" not in html
    assert "しかし、それだけではありません。" in html
    status, tag_page = fetch(local, "/tags/最新ニュース/")
    assert status == 200
    assert (
        "/2025/09/21/meta-ai-investment/" in tag_page or quote("/2025/09/21/meta-ai-investment/") in tag_page
    )


def test_bad_draft_is_reported_and_site_unchanged(local: LocalRun) -> None:
    s3 = boto3.client("s3", endpoint_url=local.endpoint)
    site = local.stack.config.site_bucket
    before = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=site).get("Contents", [])}
    put = s3.put_object(
        Bucket=local.stack.config.drafts_bucket,
        Key="drafts/2025-11-01-broken.md",
        Body=b"no front matter here\n",
    )
    report = local.wait_for_reports([("drafts/2025-11-01-broken.md", put.get("VersionId"))])[
        "drafts/2025-11-01-broken.md"
    ]
    assert report["status"] == "rejected"
    assert report["errors"] and report["errors"][0].startswith("drafts/2025-11-01-broken.md")
    after = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=site).get("Contents", [])}
    assert after == before
    assert fetch(local, "/2025/11/01/broken/")[0] == 404


def test_deleting_the_draft_unpublishes(local: LocalRun) -> None:
    s3 = boto3.client("s3", endpoint_url=local.endpoint)
    bucket = local.stack.config.drafts_bucket
    key = "drafts/2025-11-02-short-lived.md"
    body = b'---\ntitle: "Short lived"\ndate: 2025-11-02\ntags: [ephemeral]\n---\n\nHere, then gone.\n'
    put = s3.put_object(Bucket=bucket, Key=key, Body=body)
    local.wait_for_reports([(key, put.get("VersionId"))])
    assert fetch(local, "/2025/11/02/short-lived/")[0] == 200
    s3.delete_object(Bucket=bucket, Key=key)  # versioned bucket: S3 leaves a delete marker

    def gone() -> bool:
        # The post page goes first, its listings a moment later in the same invocation.
        return (
            fetch(local, "/2025/11/02/short-lived/")[0] == 404
            and fetch(local, "/tags/ephemeral/")[0] == 404
            and "/2025/11/02/short-lived/" not in fetch(local, "/")[1]
        )

    deadline = time.monotonic() + 30
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert fetch(local, "/2025/11/02/short-lived/")[0] == 404
    assert fetch(local, "/tags/ephemeral/")[0] == 404
    assert "/2025/11/02/short-lived/" not in fetch(local, "/")[1]
