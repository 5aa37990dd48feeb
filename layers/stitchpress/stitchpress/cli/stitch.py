"""`stitchpress stitch DRAFT.md [--json]`: print the stitched Markdown body of one draft.

Exit status: 0 when stitched, 1 when the draft is rejected (front matter or stitching errors,
printed on stderr as `path:line: ...`), 2 on usage errors or a file that cannot be read.
Warnings go to stderr too, so stdout holds only the article (or the JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.model import DraftRejected, Message


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("draft", metavar="DRAFT", help="a draft file (front matter + segmented body)")
    parser.add_argument(
        "--json",
        action="store_true",
        help='print {"markdown": ..., "report": {"segments", "warnings", "errors"}} instead',
    )


def run(args: argparse.Namespace) -> int:
    from ..core.stitch import stitch
    from ..core.validate import parse_draft

    path: str = args.draft
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        print(f"{path}: cannot read: {e.strerror or e}", file=sys.stderr)
        return 2
    try:
        parsed = parse_draft(path, data)
    except DraftRejected as e:
        _print_messages(path, e.messages)
        if args.json:
            report = {
                "segments": [],
                "warnings": [m.to_json() for m in e.messages if m.level != "error"],
                "errors": [m.to_json() for m in e.errors],
            }
            _print_json({"markdown": None, "report": report})
        return 1
    result = stitch(parsed.body, title=parsed.meta.title, first_line=parsed.body_line)
    _print_messages(path, [*parsed.warnings, *result.warnings, *result.errors])
    if args.json:
        _print_json({"markdown": result.markdown if result.ok else None, "report": result.to_json()})
    elif result.ok:
        sys.stdout.write(result.markdown)
    return 0 if result.ok else 1


def _print_messages(path: str, messages: list[Message]) -> None:
    for m in messages:
        print(m.format(path), file=sys.stderr)


def _print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
