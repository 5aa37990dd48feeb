"""Time to live for one new post, and full-rebuild throughput: stitchpress vs Hugo vs Pelican.

    .venv/bin/python bench/bench_live.py            # sites of 0, 1,000 and 10,000 posts
    .venv/bin/python bench/bench_live.py --quick    # 0, 100 and 1,000 posts
    .venv/bin/python bench/bench_live.py --sizes 10000 --moto-as-is   # + unpatched moto at 10,000

For each size, on the same generated corpus (bench/corpus.py):
- stitchpress: the corpus is pre-loaded into moto in-process (`mock_aws`): index items written
  directly in the shapes index.py writes, drafts uploaded, the site rendered by
  Publisher.rebuild (with posts=True at <= --rebuild-max posts: that run is the rebuild
  throughput). Then new posts are published one at a time through the real handler (an SQS
  message holding the S3 event): wall time, AWS calls by kind, pages written.
- Hugo (Debian's hugo): full build from an empty public/ (throughput; also with GOMAXPROCS=1),
  then, with the new post added, full builds (time to live: Hugo has no partial build).
- Pelican (bench/.venv-pelican): full build with an empty content cache (throughput), then the
  new post added and a rebuild reading the content cache (time to live).
Hugo's and Pelican's times stop when the files are on local disk; uploading and invalidating
them would come on top. stitchpress's time includes its S3 writes and its invalidation request.

moto artefacts (see sitebench.py): moto's Query sorts the whole table on every call and its
TransactWriteItems deep-copies the whole table per item. The main figures use two
benchmark-only patches (partition-local Query, no transaction backup); each size also
publishes with backup-once, and with moto as it is (<= 1,000 posts, or --moto-as-is).

Writes bench/out/live-<sizes>.json; prints a summary.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import corpus
import machine
import sitebench

from stitchpress.aws import parallel, storage

OUT = machine.BENCH / "out"
HUGO_CONFIG = machine.BENCH / "hugo" / "hugo.toml"
HUGO_THEMES = machine.BENCH / "hugo" / "themes"
PELICAN_CONF = machine.BENCH / "pelican" / "pelicanconf.py"


def timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env={**os.environ, **(env or {})}, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return seconds


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _count_files(root: Path, suffix: str) -> int:
    return sum(1 for _ in root.rglob(f"*{suffix}"))


# --- Hugo -------------------------------------------------------------------------------------------


def run_hugo(posts: list[corpus.Post], new: corpus.Post, repeat: int) -> dict[str, Any]:
    site = _fresh(OUT / f"hugo-{len(posts)}")
    shutil.copy(HUGO_CONFIG, site / "hugo.toml")
    corpus.write(posts, site / "content" / "posts", "hugo")
    cmd = ["hugo", "--quiet", "--themesDir", str(HUGO_THEMES), "--source", str(site)]
    full = timed(cmd)  # empty public/: a full build, all cores
    shutil.rmtree(site / "public")
    full_1cpu = timed(cmd, env={"GOMAXPROCS": "1"})
    corpus.write([new], site / "content" / "posts", "hugo")
    live = [timed(cmd) for _ in range(repeat)]  # public/ exists; Hugo renders everything again
    if not (site / "public" / new.date.strftime("%Y/%m/%d") / new.slug / "index.html").exists():
        raise RuntimeError("hugo did not write the new post")
    return {
        "full_build_s": full,
        "full_build_1cpu_s": full_1cpu,
        "live_s": live,
        "html_files": _count_files(site / "public", ".html"),
    }


# --- Pelican ----------------------------------------------------------------------------------------


def run_pelican(posts: list[corpus.Post], new: corpus.Post) -> dict[str, Any]:
    site = _fresh(OUT / f"pelican-{len(posts)}")
    env = {
        "BENCH_PELICAN_CONTENT": str(site / "content"),
        "BENCH_PELICAN_OUTPUT": str(site / "output"),
        "BENCH_PELICAN_CACHE": str(site / "cache"),
    }
    corpus.write(posts, site / "content", "pelican")
    cmd = [str(machine.PELICAN), "--quiet", "--settings", str(PELICAN_CONF)]
    full = timed(cmd, env=env, cwd=site)  # empty cache: a full build
    corpus.write([new], site / "content", "pelican")
    live = timed(cmd, env=env, cwd=site)  # the content cache spares re-reading the old posts
    if not (site / "output" / new.date.strftime("%Y/%m/%d") / new.slug / "index.html").exists():
        raise RuntimeError("pelican did not write the new post")
    return {"full_build_s": full, "live_s": [live], "html_files": _count_files(site / "output", ".html")}


# --- stitchpress ------------------------------------------------------------------------------------


@contextmanager
def one_at_a_time(enabled: bool) -> Iterator[None]:
    """Make every AWS call of a publish one after the other (stitchpress.aws.parallel with one worker)."""
    saved = parallel.WORKERS, storage.WRITE_WORKERS
    if enabled:
        parallel.WORKERS = storage.WRITE_WORKERS = 1
    try:
        yield
    finally:
        parallel.WORKERS, storage.WRITE_WORKERS = saved


def _publish_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "seconds": r["seconds"],
        "aws_seconds": r["aws_seconds"],
        "outside_aws_seconds": r["seconds"] - r["aws_seconds"],
        "total_calls": r["total_calls"],
        "calls": r["calls"],
        "call_seconds": r["call_seconds"],
        "site_puts": r["site_puts"],
        "site_deletes": r["site_deletes"],
        "changed": len(r["changed"]),
    }


def run_stitchpress(
    posts: list[corpus.Post],
    *,
    publishes: int,
    rebuild_posts: bool,
    check: bool,
    as_is: bool,
    rtts: list[int],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    numbers = itertools.count()
    with sitebench.moto_site() as site:
        with sitebench.moto_patches(query=True, backup="none"):
            site.preload(posts)
        out["preload"] = dict(site.timings)
        with sitebench.moto_patches(query=True, backup="none"):
            if check and posts:
                out["query_patch_checked"] = sitebench.check_partition_query(site, posts)
            seconds, changed = site.rebuild(posts=rebuild_posts)
            calls = sitebench.LOG.total()
            out["rebuild"] = {
                "posts": rebuild_posts,
                "seconds": seconds,
                "aws_seconds": sitebench.LOG.seconds,
                "calls": calls,
                "changed": changed,
            }
            # The first invocation of the process builds the handler's clients: reported apart.
            out["first_publish"] = _publish_row(site.publish(corpus.new_post(next(numbers))))
            out["publishes"] = [
                _publish_row(site.publish(corpus.new_post(next(numbers)))) for _ in range(publishes)
            ]
            # A modelled network: every call waits `rtt` before moto answers (calls in flight
            # together wait together), with the publish's independent calls made concurrently
            # (as deployed) and all one at a time.
            for ms in rtts:
                for concurrent in (True, False):
                    with one_at_a_time(not concurrent):
                        sitebench.LOG.rtt = ms / 1000
                        try:
                            row = _publish_row(site.publish(corpus.new_post(next(numbers))))
                        finally:
                            sitebench.LOG.rtt = 0.0
                    out.setdefault("rtt", []).append({"rtt_ms": ms, "concurrent": concurrent, **row})
            if check and posts:  # again, now that the publishes' writes moved the partitions
                out["query_patch_checked_after"] = sitebench.check_partition_query(site, posts)
        with sitebench.moto_patches(query=True, backup="none", plain_json=False):
            out["moto_serializer"] = _publish_row(site.publish(corpus.new_post(next(numbers))))
        with sitebench.moto_patches(query=True, backup="once"):
            out["backup_once"] = _publish_row(site.publish(corpus.new_post(next(numbers))))
        if as_is:
            with sitebench.moto_patches(query=False, backup="per-item"):
                out["moto_as_is"] = _publish_row(site.publish(corpus.new_post(next(numbers))))
    return out


# --- report -----------------------------------------------------------------------------------------


def _med(xs: list[float]) -> float:
    return statistics.median(xs)


def summary(results: dict[str, Any]) -> str:
    lines = [f"machine: {results['machine']}", ""]
    lines.append(
        "| posts | stitchpress publish (median) | of which in moto | outside AWS calls | calls | pages written "
        "| Hugo full build | Pelican cached rebuild | Hugo / stitchpress | Pelican / stitchpress |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for size, r in results["sizes"].items():
        s = r["stitchpress"]
        pubs = s["publishes"]
        t = _med([p["seconds"] for p in pubs])
        aws = _med([p["aws_seconds"] for p in pubs])
        outside = _med([p["outside_aws_seconds"] for p in pubs])
        calls = "/".join(str(p["total_calls"]) for p in pubs)
        pages = "/".join(str(p["site_puts"] + p["site_deletes"]) for p in pubs)
        hugo = _med(r["hugo"]["live_s"]) if "hugo" in r else None
        pel = _med(r["pelican"]["live_s"]) if "pelican" in r else None
        lines.append(
            f"| {size} | {t * 1000:.0f} ms | {aws * 1000:.0f} ms | {outside * 1000:.0f} ms | {calls} | {pages} | "
            + (f"{hugo:.2f} s | " if hugo else "– | ")
            + (f"{pel:.2f} s | " if pel else "– | ")
            + (f"{hugo / t:.1f}× | " if hugo else "– | ")
            + (f"{pel / t:.1f}× |" if pel else "– |")
        )
    lines += [
        "",
        "with a modelled round trip per call (one publish each): independent calls concurrent / all one at a time",
    ]
    for size, r in results["sizes"].items():
        rows = r["stitchpress"].get("rtt", [])
        for ms in sorted({row["rtt_ms"] for row in rows}):
            par, seq = (
                next(row for row in rows if row["rtt_ms"] == ms and row["concurrent"] == concurrent)
                for concurrent in (True, False)
            )
            lines.append(
                f"  {size} posts, {ms} ms: {par['seconds'] * 1000:.0f} ms / {seq['seconds'] * 1000:.0f} ms"
                f" ({par['total_calls']} calls)"
            )
    lines += ["", "moto variants (one publish each): moto's serializer / backup-once / moto as it is"]
    for size, r in results["sizes"].items():
        s = r["stitchpress"]
        ser = s["moto_serializer"]["seconds"]
        once = s["backup_once"]["seconds"]
        as_is = s.get("moto_as_is", {}).get("seconds")
        lines.append(
            f"  {size} posts: {ser * 1000:.0f} ms / {once * 1000:.0f} ms / "
            + (f"{as_is * 1000:.0f} ms" if as_is else "not run")
        )
    lines += ["", "full rebuild throughput (posts/s, one process):"]
    for size, r in results["sizes"].items():
        if not int(size):
            continue
        s = r["stitchpress"]["rebuild"]
        parts = []
        if s["posts"]:
            n = int(size)
            parts.append(
                f"stitchpress {n / s['seconds']:.1f} (outside AWS calls {n / (s['seconds'] - s['aws_seconds']):.0f})"
            )
        if "hugo" in r:
            h = r["hugo"]
            parts.append(
                f"Hugo {int(size) / h['full_build_s']:.0f} (GOMAXPROCS=1 {int(size) / h['full_build_1cpu_s']:.0f})"
            )
        if "pelican" in r:
            parts.append(f"Pelican {int(size) / r['pelican']['full_build_s']:.0f}")
        lines.append(f"  {size} posts: " + ", ".join(parts))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="sizes 0, 100, 1000")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--publishes", type=int, default=3, help="measured publishes per size")
    parser.add_argument("--rebuild-max", type=int, default=1000, help="largest site rebuilt with --posts")
    parser.add_argument(
        "--moto-as-is", action="store_true", help="also publish on unpatched moto above 1,000"
    )
    parser.add_argument(
        "--rtt",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[10],
        help="modelled round trips (ms, comma-separated) to publish with too; empty for none",
    )
    parser.add_argument("--no-compare", action="store_true", help="stitchpress only (no Hugo, no Pelican)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([0, 100, 1000] if args.quick else [0, 1000, 10000])
    have_hugo = shutil.which("hugo") is not None and not args.no_compare
    have_pelican = machine.PELICAN.exists() and not args.no_compare
    if not args.no_compare and not (have_hugo and have_pelican):
        print(
            "bench_live: hugo or pelican missing; run bench/setup.sh (or pass --no-compare)", file=sys.stderr
        )
        return 2
    results: dict[str, Any] = {"machine": machine.banner(), "command": " ".join(sys.argv), "sizes": {}}
    print(results["machine"], flush=True)
    for size in sizes:
        t0 = time.perf_counter()
        posts = corpus.generate(size)
        new = corpus.new_post(0)
        r: dict[str, Any] = {}
        r["stitchpress"] = run_stitchpress(
            posts,
            publishes=args.publishes,
            rebuild_posts=0 < size <= args.rebuild_max,
            check=0 < size <= 1000,
            as_is=size <= 1000 or args.moto_as_is,
            rtts=args.rtt,
        )
        if size and have_hugo:
            r["hugo"] = run_hugo(posts, new, repeat=3)
        if size and have_pelican:
            r["pelican"] = run_pelican(posts, new)
        if posts:
            top, n = next(iter(corpus.tag_counts(posts).items()))
            r["top_tag"] = {"name": top, "posts": n, "share": n / len(posts)}
        r["elapsed_s"] = time.perf_counter() - t0
        results["sizes"][str(size)] = r
        print(f"  {size} posts done in {r['elapsed_s']:.0f} s", flush=True)
    OUT.mkdir(exist_ok=True)
    tags = [t for t, on in (("as-is", args.moto_as_is), ("only", args.no_compare)) if on]
    if args.rebuild_max != 1000:
        tags.append(f"rebuild{args.rebuild_max}")
    path = OUT / ("-".join(["live", *map(str, sizes), *tags]) + ".json")
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    print(summary(results))
    print(f"(details: {path.relative_to(machine.BENCH.parent)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
