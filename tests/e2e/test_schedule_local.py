"""Issue 17 end to end: on the local stack (what `stitchpress local up` runs: embedded AWS, the
queue worker and the sweep), a post dated a few seconds ahead is held, then appears by itself
at its time, over HTTP, with nothing but the wall clock moving."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from stitchpress.local.session import LocalRun, local_stack

pytestmark = pytest.mark.e2e
AHEAD = 6  # seconds


@pytest.fixture(scope="module")
def local() -> Iterator[LocalRun]:
    with local_stack(preview_port=0, sweep_seconds=1) as run:
        yield run


def status(local: LocalRun, path: str) -> int:
    try:
        with urllib.request.urlopen(local.site_url + path, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return e.code


def test_a_post_dated_seconds_ahead_appears_by_itself_at_its_time(local: LocalRun) -> None:
    go_live = (datetime.now(UTC) + timedelta(seconds=AHEAD)).replace(microsecond=0)
    stamp = go_live.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
    day = go_live.strftime("%Y/%m/%d")
    body = f'---\ntitle: "Soon"\ndate: {stamp}\nslug: soon\ntags: [later]\n---\n\nIt is time.\n'
    s3 = boto3.client("s3", endpoint_url=local.endpoint)  # a writer's own client
    key = "drafts/soon.md"
    put = s3.put_object(Bucket=local.stack.config.drafts_bucket, Key=key, Body=body.encode())
    report = local.wait_for_reports([(key, put.get("VersionId"))])[key]
    assert report["status"] == "scheduled"
    assert report["scheduled_for"]["utc"] == go_live.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert status(local, f"/{day}/soon/") == 404

    deadline = go_live + timedelta(seconds=15)
    while status(local, f"/{day}/soon/") != 200:
        assert datetime.now(UTC) < deadline, f"not live 15 s after {go_live}; sweeper: {local.sweeper}"
        time.sleep(0.2)
    appeared = datetime.now(UTC)
    assert appeared >= go_live  # never early
    print(f"live {(appeared - go_live).total_seconds():.2f} s after its time")
    assert status(local, "/tags/later/") == 200
    with urllib.request.urlopen(local.site_url + "/", timeout=10) as resp:
        assert f"/{day}/soon/" in resp.read().decode()
    assert local.sweeper is not None and not local.sweeper.errors and local.sweeper.sweeps >= AHEAD - 1
    assert not local.worker.errors
