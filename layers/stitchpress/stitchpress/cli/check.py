"""`stitchpress check DRAFT...`: run the full publish check (front matter, stitching, rendering)
on local drafts without publishing anything.

Prints every message as `path:line: ...`, then one verdict line per draft. Exit status: 0 when
every draft would publish, 1 when any is rejected, 2 when a file cannot be read (2 wins).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from ..core.images import ImageInfo
from ..core.model import DraftRejected, Message, SiteSettings
from ..core.validate import DEFAULT_MAX_BYTES

DRAFT_SUFFIXES = (".md", ".markdown")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "drafts", nargs="+", metavar="DRAFT", help="draft file, or a directory whose *.md files are checked"
    )
    parser.add_argument(
        "--max-bytes",
        type=_positive_int,
        default=None,
        help=f"largest draft accepted (default: $MAX_DRAFT_BYTES, else {DEFAULT_MAX_BYTES})",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    max_bytes = args.max_bytes or _env_max_bytes()
    status = 0
    for path in _expand(args.drafts):
        if path is None:
            status = 2
            continue
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            print(f"{path}: cannot read: {e.strerror or e}", file=sys.stderr)
            status = 2
            continue
        if not check_one(path, data, max_bytes=max_bytes, out=sys.stdout):
            status = max(status, 1)
    return status


def check_one(path: str, data: bytes, *, max_bytes: int, out: TextIO) -> bool:
    """Print the messages and verdict for one draft; True when it would be published."""
    from ..core.pipeline import compile_draft  # imported here so `--help` stays fast

    images = LocalImages(path)
    try:
        post = compile_draft(
            "drafts/" + Path(path).name, data, SiteSettings(), max_bytes=max_bytes, images=images
        )
    except DraftRejected as e:
        _print(out, path, e.messages)
        n_err = len(e.errors)
        print(f"{path}: rejected ({_counted(n_err, 'error')}{_warn_suffix(e.messages)})", file=out)
        return False
    except Exception as e:  # a bug, not the writer's mistake: say so, keep checking the others
        traceback.print_exc(file=sys.stderr)
        print(f"{path}: rejected (internal error: {type(e).__name__}; please report it)", file=out)
        return False
    messages = [*post.messages, *images.problems]
    _print(out, path, messages)
    n_warn = sum(1 for m in messages if m.level == "warning")
    notes = [_counted(n_warn, "warning")] if n_warn else []
    if post.meta.draft:
        notes.append("marked draft: it will not be published")
    print(f"{path}: ok" + (f" ({'; '.join(notes)})" if notes else ""), file=out)
    return True


class LocalImages:
    """The image lookup for local drafts: images next to the draft file, as they would be next
    to the draft under drafts/, checked as the image function would (without encoding)."""

    def __init__(self, draft_path: str) -> None:
        self.folder = Path(draft_path).parent
        self.problems: list[Message] = []

    def __call__(self, keys: Sequence[str]) -> Mapping[str, ImageInfo | None]:
        from ..core.images import ImageRejected, inspect

        found: dict[str, ImageInfo | None] = {}
        for key in keys:
            local = self.folder / key.removeprefix("drafts/")
            try:
                found[key] = inspect(key, local.read_bytes())
            except OSError:
                found[key] = None  # the pipeline warns about it, with the line
            except ImageRejected as e:
                found[key] = None
                self.problems.append(Message("warning", f"{local}: would be rejected: {e}", field="image"))
        return found


def _print(out: TextIO, path: str, messages: list[Message] | tuple[Message, ...]) -> None:
    for m in messages:
        print(m.format(path), file=out)


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _warn_suffix(messages: list[Message]) -> str:
    n = sum(1 for m in messages if m.level == "warning")
    return f", {_counted(n, 'warning')}" if n else ""


def _expand(paths: list[str]) -> list[str | None]:
    """Directories stand for the drafts directly inside them; None marks an empty directory."""
    out: list[str | None] = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(str(c) for c in Path(p).iterdir() if c.is_file() and c.suffix in DRAFT_SUFFIXES)
            if not found:
                print(f"{p}: no drafts ({', '.join(DRAFT_SUFFIXES)}) in this directory", file=sys.stderr)
            out.extend(found or [None])
        else:
            out.append(p)
    return out


def _env_max_bytes() -> int:
    raw = os.environ.get("MAX_DRAFT_BYTES", "")
    try:
        return int(raw) if raw.strip() and int(raw) > 0 else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES
