"""Every command the README shows, run as a user types it: through bash, from the project
folder, with real arguments; we check what it prints and what it leaves behind.

One `local up` (with --settings) serves every test that needs a running stack; the bare
`local up` (the README's form, and the before-stop hook's) starts alongside it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest

from tests.conftest import EXAMPLE_DRAFT, ROOT
from tests.helpers import Running, get

# One worker should run them all (one pair of `local up`): honoured under --dist loadgroup.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("commands")]

SITE_TITLE = "ALLFORCES ブログ"  # examples/site.toml
POST_URL = "/2025/09/21/meta-ai-investment/"


def sh(command: str, timeout: float = 120, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run one command line through bash, as typed in a terminal."""
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def ups() -> Iterator[tuple[Running, Running]]:
    """Both forms at once (startup is mostly imports; two in parallel cost little more than one)."""
    # As a user's shell runs it: without the Powertools variables tests/conftest.py sets.
    with_settings = Running(
        "env -u POWERTOOLS_SERVICE_NAME -u POWERTOOLS_METRICS_NAMESPACE -u POWERTOOLS_TRACE_DISABLED "
        "-u POWERTOOLS_DEV .venv/bin/stitchpress local up --port 0 --preview-port 0 "
        "--settings examples/site.toml --workers 2"
    )
    bare = Running(".venv/bin/stitchpress local up --port 0 --preview-port 0")
    try:
        yield with_settings, bare
    finally:
        for running in (bare, with_settings):
            running.interrupt()
        statuses = [bare.exit_status(), with_settings.exit_status()]
        assert statuses == [0, 0], "Ctrl-C must stop `local up` cleanly"


@pytest.fixture(scope="module")
def up(ups: tuple[Running, Running]) -> Running:
    return ups[0]


def s3_client(outputs: dict[str, str]) -> Any:
    # A writer's own client, configured only by what `local up` printed.
    return boto3.client("s3", endpoint_url=outputs["endpoint"], region_name=outputs["region"])


def upload(run: Running, key: str, body: bytes, status: str = "published") -> str:
    """Upload a draft with a writer's own client (configured only by what `local up` printed);
    `local up`'s line about it, once it has one saying `status`."""
    outputs = run.outputs()
    s3_client(outputs).put_object(Bucket=outputs["drafts_bucket"], Key=key, Body=body)
    return run.wait_for(rf"^{status}\s+{re.escape(key)}\s").string


def test_local_up_prints_where_everything_is(up: Running) -> None:
    outputs = up.outputs()
    assert set(outputs) == {
        "endpoint",
        "region",
        "drafts_bucket",
        "site_bucket",
        "table",
        "distribution_id",
        "site_url",
    }
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", outputs["site_url"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", outputs["endpoint"])
    assert outputs["site_url"] != outputs["endpoint"]


def test_local_up_publishes_an_upload_and_prints_one_line(up: Running) -> None:
    outputs = up.outputs()
    key = f"drafts/{EXAMPLE_DRAFT.name}"
    line = upload(up, key, EXAMPLE_DRAFT.read_bytes())
    assert f"{outputs['site_url']}{POST_URL}" in line
    status, page = get(outputs["site_url"] + POST_URL)
    assert status == 200
    assert SITE_TITLE in page  # --settings examples/site.toml reached the function
    assert 'lang="ja"' in page
    assert "---END---" not in page


def test_local_up_prints_a_rejection_as_one_readable_line(up: Running) -> None:
    outputs = up.outputs()
    key = "drafts/2025-11-01-bad-date.md"
    body = "---\ntitle: Bad date\ndate: 21/09/2025\n---\n\nText.\n"
    line = upload(up, key, body.encode(), "rejected")
    # The first error, as `stitchpress check` prints it: file, line, field, fix.
    assert f"{key}:3: date:" in line
    assert "YYYY-MM-DD" in line
    assert not any(x.lstrip().startswith("{") for x in up.lines), "no raw JSON log lines"
    assert get(outputs["site_url"] + "/2025/11/01/bad-date/")[0] == 404


def test_bare_local_up_uses_the_default_settings(ups: tuple[Running, Running]) -> None:
    bare = ups[1]
    outputs = bare.outputs()
    key = "drafts/2025-10-01-plain.md"
    body = "---\ntitle: Plain post\ndate: 2025-10-01\ntags: [x]\n---\n\nHello there.\n"
    upload(bare, key, body.encode())
    status, home = get(outputs["site_url"] + "/")
    assert status == 200
    assert "<title>stitchpress" in home
    assert SITE_TITLE not in home
    assert quote("/2025/10/01/plain/") in home or "/2025/10/01/plain/" in home


def test_local_up_refuses_a_bad_settings_file(tmp_path: Path) -> None:
    bad = tmp_path / "site.toml"
    bad.write_text('titel = "typo"\n', encoding="utf-8")
    proc = sh(f".venv/bin/stitchpress local up --port 0 --preview-port 0 --settings {bad}", timeout=60)
    assert proc.returncode == 2
    assert f"{bad}: unknown setting titel" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_rebuild_endpoint_rerenders_the_running_stack(up: Running) -> None:
    outputs = up.outputs()
    key = "drafts/2025-10-02-rebuilt.md"
    body = "---\ntitle: Rebuilt\ndate: 2025-10-02\ntags: [rebuild]\n---\n\nListed again after a rebuild.\n"
    upload(up, key, body.encode())
    s3 = s3_client(outputs)
    for page in ("index.html", "tags/rebuild/index.html"):  # as if lost, or from an old theme
        s3.delete_object(Bucket=outputs["site_bucket"], Key=page)
    assert get(outputs["site_url"] + "/tags/rebuild/")[0] == 404

    proc = sh(f".venv/bin/stitchpress rebuild --endpoint {outputs['endpoint']} --posts --follow")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The stack's own settings, read through CloudFormation and the function's environment.
    assert f"rebuilding {outputs['site_url']} ('{SITE_TITLE}', ja)" in proc.stdout
    # A job the local stack's rebuild workers ran, followed to its end.
    job = re.search(r"^job (\S+) started: every listing and post page", proc.stdout, re.M)
    assert job, proc.stdout
    assert re.search(rf"^job {job[1]}: succeeded, (\d+)/\1 chunks", proc.stdout, re.M), proc.stdout
    report = re.search(
        r"^rebuilt: [1-9]\d* objects changed; invalidation \S+; report (s3://\S+)$", proc.stdout, re.M
    )
    assert report and report[1] == f"s3://{outputs['drafts_bucket']}/reports/rebuilds/{job[1]}.json"
    status, tag_page = get(outputs["site_url"] + "/tags/rebuild/")
    assert status == 200 and "/2025/10/02/rebuilt/" in tag_page
    status, home = get(outputs["site_url"] + "/")
    assert status == 200 and SITE_TITLE in home
    up.wait_for(rf"^rebuilt\s+job {job[1]}")  # `local up` says so too

    # The same on this machine, one process (stacks deployed before rebuild jobs).
    s3.delete_object(Bucket=outputs["site_bucket"], Key="index.html")
    proc = sh(f".venv/bin/stitchpress rebuild --endpoint {outputs['endpoint']} --in-process")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^rebuilt in [\d.]+s: [1-9]\d* objects changed", proc.stdout, re.M)
    assert get(outputs["site_url"] + "/")[0] == 200


def test_rebuild_names_a_stack_that_is_not_there(up: Running) -> None:
    outputs = up.outputs()
    proc = sh(f".venv/bin/stitchpress rebuild --endpoint {outputs['endpoint']} --stack nope")
    assert proc.returncode == 2
    assert "stack nope" in proc.stderr and "Traceback" not in proc.stderr


def test_check_prints_compiler_style_lines(tmp_path: Path) -> None:
    proc = sh(".venv/bin/stitchpress check examples/drafts/*.md")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"examples/drafts/{EXAMPLE_DRAFT.name}: ok" in proc.stdout

    bad = tmp_path / "2025-09-21-bad.md"
    bad.write_text("---\ntitle: Bad\ndate: 21/09/2025\n---\n\nText.\n", encoding="utf-8")
    proc = sh(f".venv/bin/stitchpress check {bad}")
    assert proc.returncode == 1
    assert f"{bad}:3: date: cannot parse" in proc.stdout + proc.stderr


def test_stitch_prints_the_article_and_json() -> None:
    proc = sh(f".venv/bin/stitchpress stitch examples/drafts/{EXAMPLE_DRAFT.name}")
    assert proc.returncode == 0, proc.stderr
    assert "しかし、それだけではありません。" in proc.stdout
    assert "---END---" not in proc.stdout
    assert "superseded branch" in proc.stderr  # the decisions, on stderr

    proc = sh(f".venv/bin/stitchpress stitch examples/drafts/{EXAMPLE_DRAFT.name} --json")
    assert proc.returncode == 0, proc.stderr
    assert '"markdown": "いやはや' in proc.stdout


def test_stitch_json_into_head_ends_quietly() -> None:
    # The reader stops after one byte while stitch is still writing (sleep: head exits first).
    proc = sh(
        f".venv/bin/stitchpress stitch --json examples/drafts/{EXAMPLE_DRAFT.name} "
        "| (sleep 0.5; head -c 1 >/dev/null)"
    )
    assert "BrokenPipeError" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_make_demo_publishes_the_examples_with_their_settings() -> None:
    proc = sh("make demo", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert POST_URL in proc.stdout
    assert "files written to _site/" in proc.stdout
    page = (ROOT / "_site" / POST_URL.strip("/") / "index.html").read_text(encoding="utf-8")
    assert "Metaの6000億ドルAI投資" in page
    assert SITE_TITLE in page  # make demo uses examples/site.toml


def test_preview_renders_drafts_without_aws(tmp_path: Path) -> None:
    out = tmp_path / "preview"
    proc = sh(
        f".venv/bin/stitchpress preview examples/drafts/{EXAMPLE_DRAFT.name} --out {out} --settings examples/site.toml"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = out / POST_URL.strip("/") / "index.html"
    assert f"examples/drafts/{EXAMPLE_DRAFT.name}: {page}" in proc.stdout
    html = page.read_text(encoding="utf-8")
    assert "Metaの6000億ドルAI投資" in html and SITE_TITLE in html
    assert "---END---" not in html and "しかし、それだけではありません。" in html
    assert (out / "assets" / "style.css").is_file()  # the page's stylesheet, beside it
    assert "superseded branch" in proc.stderr  # the same warnings as check


def test_preview_rejects_like_a_compiler(tmp_path: Path) -> None:
    bad = tmp_path / "2025-09-21-bad.md"
    bad.write_text("---\ntitle: Bad\ndate: 21/09/2025\n---\n\nText.\n", encoding="utf-8")
    out = tmp_path / "preview"
    proc = sh(f".venv/bin/stitchpress preview {bad} --out {out}")
    assert proc.returncode == 1
    assert f"{bad}:3: date: cannot parse" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() or not any(out.rglob("*.html"))


def test_a_markdown_extension_draft_publishes_with_its_liquid_warning(ups: tuple[Running, Running]) -> None:
    bare = ups[1]
    outputs = bare.outputs()
    key = "drafts/2025-10-03-from-jekyll.markdown"
    body = "---\ntitle: From Jekyll\ndate: 2025-10-03\n---\n\nSee {{ site.url }}/about for more.\n"
    line = upload(bare, key, body.encode())
    s3 = s3_client(outputs)
    assert "/2025/10/03/from-jekyll/" in line and "(1 warning" in line
    report = s3.get_object(
        Bucket=outputs["drafts_bucket"], Key="reports/2025-10-03-from-jekyll.markdown.json"
    )
    assert f"{key}:6: warning: body: Liquid {{{{ site.url }}}}" in report["Body"].read().decode()
    assert get(outputs["site_url"] + "/2025/10/03/from-jekyll/")[0] == 200
