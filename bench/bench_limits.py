"""Bounded work (issue 13): what the worst drafts and theme files cost, against the budgets.

    .venv/bin/python bench/bench_limits.py [--size BYTES] [--patterns NAME ...] [--quick]

For each adversarial pattern of tests/adversarial.py at the size limit (2 MiB): the compile's
CPU time with the production deadline (budget.COMPILE_SECONDS) and how it ended (published, or
the rejection), then each stage's CPU time with no deadline at a sixteenth of the size (each
stage is linear: x16 for the full size). Ordinary articles of 1 and 2 MB must
publish. Then each theme bomb of tests/unit/test_theme_limits.py: the wall time of one page
render and the limit that stopped it. CPU times are the thread's own (time.thread_time), so a
loaded machine changes them little; each is one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import machine

sys.path.insert(0, str(machine.BENCH.parent))

from stitchpress.core import budget, sandbox, textstats
from stitchpress.core.mdrender import render_markdown
from stitchpress.core.model import DraftRejected, SiteSettings
from stitchpress.core.pipeline import compile_draft
from stitchpress.core.stitch import stitch
from stitchpress.core.validate import DEFAULT_MAX_BYTES, parse_draft
from tests.adversarial import PATTERNS, draft, prose_draft

SITE = SiteSettings(title="bench", base_url="https://example.com")
KEY = "drafts/bench.md"


def compile_once(data: bytes, seconds: float) -> tuple[float, str]:
    start = time.thread_time()
    try:
        post = compile_draft(KEY, data, SITE, seconds=seconds)
        status = f"published ({len(post.body.html):,} chars of HTML)"
    except DraftRejected as e:
        status = "rejected: " + e.messages[0].text
    return time.thread_time() - start, status


def stages(data: bytes) -> dict[str, float]:
    out: dict[str, float] = {}

    def timed(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        except budget.TooComplex:
            return None
        finally:
            out[name] = time.thread_time() - start

    parsed = timed("front matter", parse_draft, KEY, data)
    stitched = timed("stitch", stitch, parsed.body, title=parsed.meta.title) if parsed else None
    if stitched is None:
        return out
    markdown = stitched.markdown
    timed(
        "word counts",
        lambda: (textstats.estimate_reading_time(markdown), textstats.detect_language(markdown)),
    )
    timed("excerpt", textstats.derive_excerpt, markdown)
    timed("render", render_markdown, markdown)
    return out


def theme_bombs() -> list[tuple[str, float, str]]:
    from stitchpress.core.render import Renderer, render_markdown
    from tests.helpers import BOMBS, HEAD, TAIL, summary

    rows = []
    for name, bomb in BOMBS.items():
        renderer = Renderer(SITE, {"post.html": HEAD + bomb + TAIL})
        start = time.monotonic()
        renderer.post_page(summary(), render_markdown("x"), reading_time=1)
        took = time.monotonic() - start
        problem = renderer.problems[0].text if renderer.problems else "(no problem reported)"
        rows.append((name, took, problem.split(": ", 2)[-1].split("; using the packaged")[0]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DEFAULT_MAX_BYTES - 1024)
    parser.add_argument("--patterns", nargs="*", default=list(PATTERNS))
    parser.add_argument("--quick", action="store_true", help="256 KB drafts, no stage breakdown")
    args = parser.parse_args(argv)
    size = 256 * 1024 if args.quick else args.size
    print(machine.banner())
    print(f"compile budget {budget.COMPILE_SECONDS:g} s of CPU; drafts of {size:,} bytes\n")
    print(f"{'pattern':20} {'CPU s':>6}  outcome")
    for name in args.patterns:
        took, status = compile_once(draft(name, size), budget.COMPILE_SECONDS)
        print(f"{name:20} {took:6.2f}  {status[:150]}", flush=True)
    for mb in (1, 2):
        took, status = compile_once(prose_draft(mb * 1_000_000), budget.COMPILE_SECONDS)
        print(f"{'prose ' + str(mb) + ' MB':20} {took:6.2f}  {status[:150]}", flush=True)
    if not args.quick:
        part = size // 16
        print(f"\nstages without a deadline, {part:,} bytes (CPU s)")
        names = ["front matter", "stitch", "word counts", "excerpt", "render"]
        print(f"{'pattern':20} " + " ".join(f"{n:>12}" for n in names))
        for name in args.patterns:
            times = stages(draft(name, part))
            print(f"{name:20} " + " ".join(f"{times.get(n, float('nan')):12.3f}" for n in names), flush=True)
    print(f"\ntheme bombs (one page; render deadline {sandbox.RENDER_SECONDS:g} s wall)")
    for name, took, why in theme_bombs():
        print(f"{name:20} {took:6.2f}  {why[:110]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
