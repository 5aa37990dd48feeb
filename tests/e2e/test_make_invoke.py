"""`make invoke EVENT=...`, typed as the README shows it: PublishFunction built for this machine
(sam build), run under the Lambda Runtime Interface Emulator with awslambdaric, against an
embedded stack seeded with the example draft. A file of its own: the build alone takes 15-60 s.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

POST_PAGE = "2025/09/21/meta-ai-investment/index.html"


def make(arguments: str) -> subprocess.CompletedProcess[str]:
    # As typed in a terminal: not as a sub-make of `make test` (whose MAKEFLAGS would leak in).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    return subprocess.run(
        ["bash", "-c", f"make {arguments}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def response(stdout: str) -> Any:
    """The JSON printed after the `response (N s):` line."""
    _, _, rest = stdout.partition("response (")
    assert rest, f"no response in the output:\n{stdout}"
    return json.JSONDecoder().raw_decode(rest.split("\n", 1)[1])[0]


def listed(stdout: str, heading: str) -> list[str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    out = []
    for line in lines[start + 1 :]:
        if not line.startswith("  "):
            break
        out.append(line.strip())
    return out


# On a fresh machine the first run also installs the SAM CLI (scripts/sam.sh, ~1 min).
@pytest.mark.timeout(900)
def test_make_invoke_runs_the_function_on_the_sqs_event_and_publishes_the_post() -> None:
    result = make("invoke EVENT=events/sqs-s3-put.json")
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]
    assert response(result.stdout) == {"batchItemFailures": []}
    assert POST_PAGE in listed(result.stdout, "site objects written")
    assert {"index.html", "feed.xml", "tags/ai/index.html"} <= set(
        listed(result.stdout, "site objects written")
    )
    assert listed(result.stdout, "site objects deleted") == []
    assert (
        "report drafts/2025-09-21-meta-ai-investment.md: published /2025/09/21/meta-ai-investment/"
        in result.stdout.splitlines()
    )
    # It ran under the emulator (its REPORT line), as template.yaml configures the function, and
    # the function logged through Powertools with Lambda's context.
    assert "Memory Size: 1024 MB" in result.stderr
    assert '"function_name":"PublishFunction"' in result.stderr
    assert '"cold_start":true' in result.stderr


def test_make_invoke_with_a_rejected_draft_publishes_nothing_and_shows_the_error(tmp_path: Path) -> None:
    # The build of the test above is reused (no source changed): this run costs seconds.
    draft = tmp_path / "post.md"
    draft.write_text('---\ntitle: "Broken"\ndate: 21/09/2025\n---\n\nBody.\n')
    result = make(f"invoke EVENT=events/s3-put.json DRAFT={draft}")
    assert result.returncode == 0, result.stdout + result.stderr[-5000:]  # the function did its job
    (outcome,) = response(result.stdout)["outcomes"]
    assert outcome["status"] == "rejected"
    assert (
        'report drafts/2025-09-21-meta-ai-investment.md: rejected drafts/2025-09-21-meta-ai-investment.md:3: date: cannot parse "21/09/2025"'
        in result.stdout
    )
    assert listed(result.stdout, "site objects written") == []


def test_make_invoke_without_an_event_says_how_to_call_it() -> None:
    result = make("invoke")
    assert result.returncode != 0
    assert "usage: make invoke EVENT=events/s3-put.json" in result.stderr


def test_make_invoke_with_a_missing_event_file_lists_the_events() -> None:
    result = make("invoke EVENT=events/nope.json")
    assert result.returncode != 0
    assert "events/nope.json: no such event file; events/ has: s3-delete.json" in result.stderr
    assert "Traceback" not in result.stderr
