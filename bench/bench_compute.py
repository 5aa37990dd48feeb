"""Per-post compute: parse + validate + stitch + render, next to markdown-it-py alone.

    .venv/bin/python bench/bench_compute.py [--repeat N] [--quick]

For the example draft (examples/drafts/2025-09-21-meta-ai-investment.md, 5 segments) and a
generated ~1 MB draft (200 segments, as bench_stitch.py makes it, behind a front matter), times
pipeline.compile_draft + Renderer.post_page (a warm Renderer, as the Lambda has after its first
page), then markdown-it-py rendering the same Markdown (the stitched article) with its default
CommonMark preset: the floor. Best of N, single process. Also prints where the time goes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import machine
from bench_stitch import make_draft
from markdown_it import MarkdownIt

from stitchpress.core import textstats
from stitchpress.core.mdrender import render_markdown
from stitchpress.core.model import SiteSettings
from stitchpress.core.pipeline import compile_draft
from stitchpress.core.render import Renderer
from stitchpress.core.stitch import stitch
from stitchpress.core.validate import parse_draft

EXAMPLE = machine.BENCH.parent / "examples" / "drafts" / "2025-09-21-meta-ai-investment.md"
FRONT_MATTER = """---
title: "1 MB の下書き: a stitched benchmark article"
date: 2025-09-21 08:34:12 +0900
categories: ["Analysis"]
tags: ["AI", "投資", "Meta"]
---

"""


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(best, median) seconds of `repeat` calls after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def measure(name: str, key: str, data: bytes, repeat: int) -> dict[str, Any]:
    site = SiteSettings()
    renderer = Renderer(site)
    compiled = compile_draft(key, data, site)
    markdown = compiled.markdown
    floor_md = MarkdownIt("commonmark")

    def ours() -> str:
        c = compile_draft(key, data, site)
        return renderer.post_page(c.summary, c.body, reading_time=c.reading_time)

    parsed = parse_draft(key, data)
    meta = parsed.meta
    # The parts compile_draft runs for this draft (excerpt and reading time are skipped or only
    # checked when the front matter gives them).
    parts: dict[str, Callable[[], Any]] = {
        "parse + validate": lambda: parse_draft(key, data),
        "stitch": lambda: stitch(parsed.body, title=meta.title, first_line=parsed.body_line),
    }
    if meta.excerpt is None:
        parts["derive excerpt"] = lambda: textstats.derive_excerpt(markdown)
    if meta.reading_time is None:
        parts["estimate reading time"] = lambda: textstats.estimate_reading_time(markdown)
    else:
        parts["check reading time"] = lambda: textstats.check_reading_time(meta.reading_time or 1, markdown)
    if meta.lang is None:
        parts["detect language"] = lambda: textstats.detect_language(markdown)
    parts["render Markdown (ours)"] = lambda: render_markdown(markdown)
    parts["post page template"] = lambda: renderer.post_page(
        compiled.summary, compiled.body, reading_time=compiled.reading_time
    )
    total = best(ours, repeat)
    floor = best(lambda: floor_md.render(markdown), repeat)
    return {
        "name": name,
        "bytes": len(data),
        "segments": len(compiled.stitch.segments),
        "total": total,
        "floor": floor,
        "ratio": total[0] / floor[0],
        "parts": {k: best(fn, repeat) for k, fn in parts.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="repeat 3")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else args.repeat
    body, _ = make_draft(1_000_000, 200)
    cases = [
        ("example draft", "drafts/" + EXAMPLE.name, EXAMPLE.read_bytes()),
        ("1 MB draft", "drafts/2025-09-21-one-megabyte.md", (FRONT_MATTER + body).encode()),
    ]
    print(machine.banner())
    print(f"best of {repeat} (median in brackets); floor = MarkdownIt('commonmark').render(same Markdown)")
    for name, key, data in cases:
        r = measure(name, key, data, repeat)
        t, f = r["total"], r["floor"]
        print(
            f"{name} ({r['bytes'] / 1000:.0f} kB, {r['segments']} segments): ours {t[0] * 1000:.1f} ms "
            f"[{t[1] * 1000:.1f}], markdown-it-py alone {f[0] * 1000:.1f} ms [{f[1] * 1000:.1f}], "
            f"ratio {r['ratio']:.2f}×"
        )
        for part, (b, m) in r["parts"].items():
            print(f"    {part}: {b * 1000:.1f} ms [{m * 1000:.1f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
