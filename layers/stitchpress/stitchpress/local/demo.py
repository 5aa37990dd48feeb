"""`stitchpress demo`: publish the example drafts on an embedded local AWS and write the site to
_site/ — the README's first command."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

from ..service.config import add_site_arguments, site_from_arguments
from ..service.image_publish import is_image_source_key

EXIT_WITHOUT_TEARDOWN = True  # see cli.main


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--drafts", type=Path, default=Path("examples/drafts"), help="folder of drafts to upload"
    )
    parser.add_argument("--out", type=Path, default=Path("_site"), help="where to download the site")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for the worker")
    add_site_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from .session import local_stack

    try:
        site = site_from_arguments(args)
    except ValueError as e:
        print(f"stitchpress demo: {e}", file=sys.stderr)
        return 2
    drafts = (
        sorted(p for p in args.drafts.iterdir() if p.suffix in (".md", ".markdown"))
        if args.drafts.is_dir()
        else []
    )
    if not drafts:
        print(f"stitchpress demo: no drafts (*.md, *.markdown) in {args.drafts}", file=sys.stderr)
        return 2
    # Images next to the drafts (any folder below), uploaded first so that the posts' first
    # render shows them (in the other order the posts are re-rendered when the images arrive).
    images = sorted(
        p for p in args.drafts.rglob("*") if p.is_file() and is_image_source_key(f"drafts/{p.name}")
    )
    with local_stack(site=site) as local:
        print(f"embedded AWS at {local.endpoint}; drafts bucket s3://{local.stack.config.drafts_bucket}")
        image_uploads = [local.upload(p, "drafts/" + p.relative_to(args.drafts).as_posix()) for p in images]
        for key, _ in image_uploads:
            print(f"uploaded {key}")
        image_reports = local.wait_for_reports(image_uploads, timeout=args.timeout)
        uploads = [local.upload(path) for path in drafts]
        for key, _ in uploads:
            print(f"uploaded {key}")
        reports = local.wait_for_reports(uploads, timeout=args.timeout)
        if args.out.exists():
            shutil.rmtree(args.out)
        files = local.download_site(args.out)
    print()
    for key, _ in image_uploads:
        print_report(key, image_reports[key])
    for key, _ in uploads:
        print_report(key, reports[key])
    print()
    print(f"{len(files)} files written to {args.out}/. To read the site:")
    print(f"  python3 -m http.server --directory {args.out} 8000   # then open http://localhost:8000/")
    print("To publish your own posts live: .venv/bin/stitchpress local up  (see README.md)")
    rejected = [k for k, r in {**image_reports, **reports}.items() if r["status"] == "rejected"]
    return 1 if rejected else 0


def print_report(key: str, report: dict[str, Any]) -> None:
    status = report["status"]
    print(f"{status:>10}  {key}")
    if report.get("url"):
        print(f"{'':>10}  url:  {report['url']}")
    if report.get("tags"):
        print(f"{'':>10}  tags: {', '.join(report['tags'])}")
    if report.get("derivatives"):
        print(
            f"{'':>10}  {report['width']} x {report['height']}: {len(report['derivatives'])} files under media/"
        )
    for line in report.get("errors", []) + report.get("warnings", []):
        print(f"{'':>10}  {line}")
