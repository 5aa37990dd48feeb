"""`stitchpress preview DRAFT... --out DIR`: render drafts to HTML on this machine, no AWS at all.

Each draft goes through the function's own path (compile_draft, then the Renderer with the
packaged theme or the templates in --theme DIR) and lands at DIR/<its URL>/index.html with the
stylesheet beside it. Exit status: 0 when every draft rendered, 1 when any is rejected (the
messages are printed like a compiler's, as `stitchpress check` prints them), 2 when a file
cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..service.config import add_site_arguments, site_from_arguments

PREVIEW_URL = "http://localhost:8000"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("drafts", nargs="+", type=Path, metavar="DRAFT", help="draft files")
    parser.add_argument(
        "--out", type=Path, default=Path("_preview"), help="folder to write (default _preview)"
    )
    parser.add_argument(
        "--theme",
        type=Path,
        help="folder of template overrides, as uploaded under theme/ in the drafts bucket",
    )
    add_site_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..core.model import DraftRejected, SiteSettings
    from ..core.pipeline import compile_draft
    from ..core.render import Renderer, static_assets
    from ..core.urls import object_key

    try:
        site = site_from_arguments(args, SiteSettings(base_url=PREVIEW_URL))
    except ValueError as e:
        print(f"stitchpress preview: {e}", file=sys.stderr)
        return 2
    site = replace(site, base_url=PREVIEW_URL)  # the server suggested below
    overrides = _theme(args.theme) if args.theme else None
    if overrides is None and args.theme:
        return 2
    status, written = 0, []
    for path in args.drafts:
        try:
            data = path.read_bytes()
        except OSError as e:
            print(f"{path}: cannot read: {e.strerror or e}", file=sys.stderr)
            status = 2
            continue
        try:
            post = compile_draft(str(path), data, site)
        except DraftRejected as e:
            for m in e.messages:
                print(m.format(str(path)), file=sys.stderr)
            print(
                f"{path}: rejected ({len(e.errors)} error{'s' if len(e.errors) != 1 else ''})",
                file=sys.stderr,
            )
            status = max(status, 1)
            continue
        renderer = Renderer(site, overrides)
        html = renderer.post_page(post.summary, post.body, reading_time=post.reading_time)
        for m in [*post.messages, *renderer.problems]:
            print(m.format(str(path)), file=sys.stderr)  # a theme's names its template
        target = args.out / object_key(post.summary.url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
        written.append((path, target, post.summary.url))
    if written:
        for name, data in static_assets().items():
            (args.out / object_key(name)).parent.mkdir(parents=True, exist_ok=True)
            (args.out / object_key(name)).write_bytes(data)
        for path, target, url in written:
            print(f"{path}: {target}  ({PREVIEW_URL}{url})")
        print(f"To read them with styles and links: python3 -m http.server --directory {args.out} 8000")
    return status


def _theme(folder: Path) -> dict[str, str] | None:
    try:
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()}
    except (OSError, UnicodeDecodeError) as e:
        print(f"{folder}: cannot read the theme: {e}", file=sys.stderr)
        return None
