"""`stitchpress stitch DRAFT.md [--json]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stitchpress.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "drafts" / "2025-09-21-meta-ai-investment.md"

FRONT = '---\ntitle: "A test post"\ndate: 2025-09-21\n---\n'  # body starts on line 5


def _write(tmp_path: Path, body: str, name: str = "2025-09-21-test.md") -> str:
    path = tmp_path / name
    path.write_text(FRONT + body, encoding="utf-8")
    return str(path)


def test_prints_the_stitched_article(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(
        tmp_path, "\n# A test post\n\nThe quick brown fox jum\n---END---\n…brown fox jumps over the dog.\n"
    )
    assert main(["stitch", path]) == 0
    out, err = capsys.readouterr()
    assert out == "The quick brown fox jumps over the dog.\n"
    assert err == ""


def test_example_draft(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stitch", str(EXAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("いやはや、Metaが2028年までに") and out.endswith("対話に他なりません。\n")
    assert "---END---" not in out and "しかし、それだけではありません。" in out
    # Warnings go to stderr, compiler style, with file lines.
    assert f"{EXAMPLE}:98: warning: stitch: segment 4" in err
    assert "superseded branch" in err


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stitch", str(EXAMPLE), "--json"]) == 0
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert set(data) == {"markdown", "report"}
    assert data["markdown"].startswith("いやはや")
    assert set(data["report"]) == {"segments", "warnings", "errors"}
    assert [s["status"] for s in data["report"]["segments"]].count("discarded") == 1
    assert data["report"]["errors"] == []


def test_rejected_draft_exits_1_with_errors_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "\nSome text.\n---END---\n…words that were never written before.\n")
    assert main(["stitch", path]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    # Body line 1 is file line 5; the continuation is on file line 8.
    assert f"{path}:8: stitch: segment 2: its quote " in err
    assert "repeating the last sentence" in err


def test_rejected_draft_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "\nSome text.\n---END---\n…words that were never written before.\n")
    assert main(["stitch", path, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["markdown"] is None
    assert [e["line"] for e in data["report"]["errors"]] == [8]


def test_bad_front_matter_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "2025-09-21-bad.md"
    path.write_text('---\ntitle: "x"\ndate: 21/09/2025\n---\nBody.\n', encoding="utf-8")
    assert main(["stitch", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and f"{path}:3:" in err and "date" in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.md")
    assert main(["stitch", missing]) == 2
    assert f"{missing}: cannot read" in capsys.readouterr().err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["stitch"])
    assert exc.value.code == 2
    assert "DRAFT" in capsys.readouterr().err
