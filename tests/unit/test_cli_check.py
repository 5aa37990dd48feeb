"""`stitchpress check`: the full publish check on local files, its output and exit status."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stitchpress.cli.main import main
from tests.conftest import EXAMPLE_DRAFT

GOOD = "---\ntitle: Hello\ndate: 2025-09-21 10:00:00 +0900\ntags: [a]\n---\n\nSome text for the post.\n"


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    status = main(["check", *args])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def test_a_good_draft_is_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "2025-09-21-hello.md", GOOD)
    status, lines, err = run(capsys, path)
    assert (status, lines, err) == (0, [f"{path}: ok"], "")


def test_the_example_draft_is_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / EXAMPLE_DRAFT.name)
    shutil.copy(EXAMPLE_DRAFT, path)
    status, lines, _ = run(capsys, path)
    assert status == 0
    assert lines[-1].startswith(f"{path}: ok")
    assert all(line.startswith(f"{path}:") for line in lines)


def test_front_matter_errors_are_printed_like_a_compiler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "2025-09-21-x.md", '---\ntitle: x\ndate: "21/09/2025"\nlayout: fancy\n---\nText\n')
    status, lines, _ = run(capsys, path)
    assert status == 1
    assert lines == [
        f'{path}:3: date: cannot parse "21/09/2025"; use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS +ZZZZ',
        f'{path}:4: warning: layout: unknown layout "fancy"; using "post" (known: post, page)',
        f"{path}: rejected (1 error, 1 warning)",
    ]


def test_a_continuation_whose_quote_is_missing_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "---\ntitle: x\ndate: 2025-09-21\n---\n\n"
        "The first segment ends here with some words.\n\n---END---\n\n"
        "…a sentence that was never written before\n\nThe second segment.\n"
    )
    path = write(tmp_path, "2025-09-21-x.md", text)
    status, lines, _ = run(capsys, path)
    assert status == 1
    assert lines[-1].startswith(f"{path}: rejected (")
    errors = [line for line in lines[:-1] if ": warning: " not in line]
    assert errors, "the stitching error must be printed"
    assert all(line.startswith(f"{path}:") for line in errors)


def test_draft_flag_is_ok_but_says_it_will_not_be_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "2025-09-21-x.md", GOOD.replace("tags:", "draft: true\ntags:"))
    status, lines, _ = run(capsys, path)
    assert (status, lines) == (0, [f"{path}: ok (marked draft: it will not be published)"])


def test_missing_file_exits_2_and_the_others_are_still_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, "2025-09-21-a.md", GOOD)
    bad = write(tmp_path, "2025-09-21-b.md", "no front matter\n")
    missing = str(tmp_path / "nope.md")
    status, lines, err = run(capsys, missing, bad, good)
    assert status == 2
    assert err == f"{missing}: cannot read: No such file or directory\n"
    assert f"{bad}: rejected (1 error)" in lines
    assert lines[-1] == f"{good}: ok"


def test_rejected_without_missing_files_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, "2025-09-21-a.md", GOOD)
    bad = write(tmp_path, "2025-09-21-b.md", "---\ntitle: x\n---\nText\n")
    status, lines, _ = run(capsys, good, bad)
    assert status == 1
    assert lines == [
        f"{good}: ok",
        f"{bad}:1: date: missing; add a line like date: 2025-09-21",
        f"{bad}: rejected (1 error)",
    ]


def test_a_directory_means_its_markdown_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "2025-09-21-a.md", GOOD)
    b = write(tmp_path, "2025-09-21-b.markdown", GOOD)
    write(tmp_path, "notes.txt", "not a draft")
    status, lines, _ = run(capsys, str(tmp_path))
    assert (status, lines) == (0, [f"{a}: ok", f"{b}: ok"])


def test_an_empty_directory_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, err = run(capsys, str(tmp_path))
    assert (status, lines) == (2, [])
    assert err == f"{tmp_path}: no drafts (.md, .markdown) in this directory\n"


def test_max_bytes_option_and_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "2025-09-21-a.md", GOOD)
    size = len(GOOD.encode())
    expected = [
        f"{path}: the draft is {size} bytes, over the limit of 50 bytes; "
        "shorten or split it, or raise the MAX_DRAFT_BYTES setting",
        f"{path}: rejected (1 error)",
    ]
    assert run(capsys, "--max-bytes", "50", path)[:2] == (1, expected)
    monkeypatch.setenv("MAX_DRAFT_BYTES", "50")
    assert run(capsys, path)[:2] == (1, expected)
    assert run(capsys, "--max-bytes", "100000", path)[:2] == (0, [f"{path}: ok"])


def test_bad_max_bytes_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "--max-bytes", "0", "x.md"])
    assert info.value.code == 2
    assert "--max-bytes: must be at least 1" in capsys.readouterr().err


def test_binary_file_is_rejected_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "2025-09-21-x.md"
    path.write_bytes(b"\x00\xff\xfe\x89PNG\r\n\x1a\n")
    status, lines, err = run(capsys, str(path))
    assert status == 1
    assert lines[-1].startswith(f"{path}: rejected (")
    assert "Traceback" not in err


def test_images_next_to_the_draft_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's writer: `![chart](chart.png)` with no chart.png got a plain "ok"."""
    from tests.conftest import EXAMPLE_IMAGE

    path = write(tmp_path, "2025-09-21-hello.md", GOOD + "\n![Sales](img/chart.png)\n")
    status, lines, _ = run(capsys, path)
    assert status == 0
    assert lines[0].startswith(f"{path}:9: warning: image: img/chart.png: no published image")
    assert lines[-1] == f"{path}: ok (1 warning)"

    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "chart.png").write_bytes(b"<svg onload=alert(1)>")
    status, lines, _ = run(capsys, path)
    assert any("img/chart.png: would be rejected: SVG is not published" in line for line in lines)

    shutil.copy(EXAMPLE_IMAGE, tmp_path / "img" / "chart.png")
    assert run(capsys, path)[:2] == (0, [f"{path}: ok"])
