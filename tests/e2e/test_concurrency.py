"""Many posts sharing tags, uploaded at the same moment and published by concurrent handler
environments, all end up on every tag page, the home page and the feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from stitchpress.local.session import local_stack

pytestmark = pytest.mark.e2e
POSTS = 20
TAGS = ["shared", "共有", "Mixed"]


def draft(n: int) -> bytes:
    tags = ", ".join(f'"{t}"' for t in [*TAGS, f"only-{n}"])
    return (
        f'---\ntitle: "Concurrent {n}"\ndate: 2025-10-{n:02d} 09:00:00 +0900\ntags: [{tags}]\n'
        f'categories: ["load"]\n---\n\nPost number {n} says hello.\n'
    ).encode()


def test_concurrent_publishes_all_reach_every_listing() -> None:
    with local_stack(concurrency=POSTS, batch_size=1) as local:
        s3 = boto3.client("s3", endpoint_url=local.endpoint)
        bucket = local.stack.config.drafts_bucket

        def put(n: int) -> tuple[str, str | None]:
            key = f"drafts/2025-10-{n:02d}-concurrent-{n}.md"
            return key, s3.put_object(Bucket=bucket, Key=key, Body=draft(n)).get("VersionId")

        with ThreadPoolExecutor(max_workers=POSTS) as pool:
            uploads = list(pool.map(put, range(1, POSTS + 1)))
        reports = local.wait_for_reports(uploads, timeout=240)
        assert {r["status"] for r in reports.values()} == {"published"}
        assert local.worker.invocations >= POSTS  # batch size 1: one invocation per post

        site = local.stack.config.site_bucket

        def page(key: str) -> str:
            return s3.get_object(Bucket=site, Key=key)["Body"].read().decode()

        expected = {f"/2025/10/{n:02d}/concurrent-{n}/" for n in range(1, POSTS + 1)}
        for key in ["index.html", "tags/shared/index.html", "tags/共有/index.html", "tags/mixed/index.html"]:
            found = set(re.findall(r"/2025/10/\d\d/concurrent-\d+/", page(key)))
            assert found == expected, f"{key} is missing {sorted(expected - found)}"
        feed = ET.fromstring(page("feed.xml"))
        links = {
            e.get("href", "")
            for e in feed.iter("{http://www.w3.org/2005/Atom}link")
            if "/concurrent-" in e.get("href", "")
        }
        assert len(links) == POSTS
        overview = page("tags/index.html")
        assert "/tags/shared/" in overview
