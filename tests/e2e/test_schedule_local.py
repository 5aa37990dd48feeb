"""Issue 17 end to end, as a writer runs it: `stitchpress local up --sweep-seconds 1` in a
terminal, a post dated a few seconds ahead uploaded with boto3. The post is held, then appears
by itself at its time, over HTTP, with nothing but the wall clock moving."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.helpers import STARTUP_LIMIT, Running, get

pytestmark = pytest.mark.e2e
AHEAD = 8  # seconds: startup of the client and the held publish fit well inside


@pytest.fixture(scope="module")
def up() -> Iterator[Running]:
    running = Running(".venv/bin/stitchpress local up --port 0 --preview-port 0 --sweep-seconds 1")
    try:
        running.outputs()
        yield running
    finally:
        running.interrupt()
        assert running.exit_status() == 0  # Ctrl-C stops it cleanly


def test_a_post_dated_seconds_ahead_appears_by_itself_at_its_time(up: Running) -> None:
    out = up.outputs()
    go_live = (datetime.now(UTC) + timedelta(seconds=AHEAD)).replace(microsecond=0)
    day = go_live.strftime("%Y/%m/%d")
    url = f"{out['site_url']}/{day}/soon/"
    stamp = go_live.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
    body = f'---\ntitle: "Soon"\ndate: {stamp}\nslug: soon\ntags: [later]\n---\n\nIt is time.\n'
    s3 = boto3.client("s3", endpoint_url=out["endpoint"], region_name=out["region"])
    s3.put_object(Bucket=out["drafts_bucket"], Key="drafts/soon.md", Body=body.encode())

    when = go_live.strftime("%Y-%m-%d %H:%M:%S")
    up.wait_for(rf"^scheduled\s+drafts/soon\.md\s.*goes live at {when}\+00:00", timeout=STARTUP_LIMIT)
    assert datetime.now(UTC) < go_live, "the held publish took too long for this test's margin"
    assert get(url)[0] == 404
    assert f"/{day}/soon/" not in get(out["site_url"] + "/")[1]

    while get(url)[0] != 200:
        assert datetime.now(UTC) < go_live + timedelta(seconds=20), "\n".join(up.lines)
        time.sleep(0.2)
    appeared = datetime.now(UTC)
    print(f"live {(appeared - go_live).total_seconds():.2f} s after its time")
    assert appeared >= go_live  # never early
    up.wait_for(r"^published\s+drafts/soon\.md\s", timeout=10)
    assert f"/{day}/soon/" in get(out["site_url"] + "/")[1]
    assert get(f"{out['site_url']}/tags/later/")[0] == 200
