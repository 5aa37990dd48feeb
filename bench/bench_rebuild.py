"""Rebuild jobs (issue 19): measured on the local stack, modelled on AWS.

1. Local stack (`stitchpress local up`'s code: moto's server in this process, rebuild workers
   as threads): a site of N posts pre-loaded (bench/sitebench.py), then `stitchpress rebuild
   --posts` as a job with 1, 2 and 4 rebuild workers; wall time from the job's start to its
   record saying succeeded, into an emptied site bucket each time. moto's server answers one
   request at a time and every worker shares this interpreter's GIL: the speed-up here is
   bounded by that and by the machine's 2 shared cores, not by the design.

2. Per invocation, for the AWS model (in-process moto, AWS calls counted by kind; the site
   with its search texts, as publishes keep them, so the rebuild writes none): every
   invocation of one job (the split, each chunk, the last step) run through the real handler,
   twice: as it is, and with a modelled network round trip of 100 ms slept in every call (the
   sleep releases the GIL, so calls in flight together wait together). From the two: the CPU of
   our own code (process CPU minus the CPU spent inside calls; CPU time survives the machine's
   load) and the effective sequential round trips R = (time with a call in flight at 100 ms -
   the same at 0) / 100 ms. The home listing's chunk and the last step, which grow with the
   site, are measured the same way alone on a larger site.

3. The model: a chunk on AWS takes cpu x factor + R x rtt (SCENARIOS); chunks run at most
   `concurrency` at a time, and the SQS event source starts 5 instances and adds up to 300 a
   minute (AWS Lambda docs, "Configuring scaling behavior for SQS event source mappings"); the
   split comes first, the last step after every chunk. Beside it, for a decision only (not
   built): the same job with the home listing's pages split into chunks of <= 2,000 entries, and
   the site size at which the one home chunk reaches the function's timeout. A 100,000-post
   site is not built here:
   post chunks cost the same at any size (100 posts each), and the listing chunks and the last
   step are scaled from the measured site by their entries (posts shown) per listing.

    .venv/bin/python bench/bench_rebuild.py                 # 1,000 and 10,000 posts
    .venv/bin/python bench/bench_rebuild.py --quick         # 1,000 posts, model from it
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import machine
import sitebench
from corpus import generate
from sitebench import LOG, Site, install_call_log, moto_patches, moto_site

from stitchpress.aws import search_store
from stitchpress.aws.index import PostIndex
from stitchpress.aws.jobs import JobStore
from stitchpress.aws.search_store import SearchStore
from stitchpress.core import fanout, search
from stitchpress.core.pipeline import compile_draft
from stitchpress.local.runtime import LocalContext, QueueWorker, sqs_batch_event
from stitchpress.local.session import local_stack
from stitchpress.service import rebuild_handler, rebuild_job
from stitchpress.service.publish import Publisher

OUT = machine.BENCH / "out"
# (name, round trip, CPU factor): RebuildFunction has 1,769 MB, one full vCPU (Graviton2),
# taken as one core of this machine; the second scenario is slower on both counts.
SCENARIOS = (("10 ms, CPU x1", 0.010, 1.0), ("20 ms, CPU x1.5", 0.020, 1.5))
IN_FLIGHT = 16  # stitchpress.aws.parallel.WORKERS: no invocation does fewer rounds than calls / 16
# Seconds slept in every call of the second pass: long against the machine's noise (other work
# makes a call's own time vary by milliseconds), so R = (in-call time at RTT - at 0) / RTT.
RTTS = (0.100,)
START_INSTANCES, RAMP_PER_MINUTE = 5, 300  # the SQS event source's scaling (AWS docs)
DISPATCH = 0.1  # seconds from a message sent to its invocation, a warm instance (stated, not measured)
FUNCTION_TIMEOUT = 300.0  # RebuildFunction's Timeout (template.yaml)
COLD_START = 1.0  # seconds of each new instance's first invocation (BENCHMARKS "Handler cold start": ~0.4 s import+clients, doubled)


# --- 1. the local stack -----------------------------------------------------------------------------


def wipe_site(s3: Any, bucket: str) -> int:
    n = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            n += len(keys)
    return n


def local_runs(size: int, workers: list[int], timeout: float) -> list[dict[str, Any]]:
    posts = generate(size)
    out: list[dict[str, Any]] = []
    with moto_patches(query=True, backup="none"), local_stack(port=0, sweep_seconds=None) as local:
        # Nothing is uploaded meanwhile: only the rebuild workers poll (moto serves one request at a time).
        for w in (local.worker, local.image_worker, local.rebuild_worker):
            if w is not None:
                w.stop()
        site = Site(local.stack, local.session, None, local.client("s3"), local.client("dynamodb"))
        t0 = time.perf_counter()
        site.preload(posts)
        print(f"  local stack: {size} posts pre-loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        sqs, s3 = local.client("sqs"), local.client("s3")
        jobs = JobStore(local.client("dynamodb"), local.stack.config.index_table)
        for n in workers:
            wipe_site(s3, local.stack.config.site_bucket)
            worker = QueueWorker(
                local.stack,
                sqs,
                rebuild_handler.handler,
                batch_size=1,
                concurrency=n,
                queue_url=local.stack.rebuild_queue_url,
                module="rebuild_handler",
            )
            worker.start()
            load0, cpu0, t0 = os.getloadavg()[0], time.process_time(), time.perf_counter()
            job = rebuild_job.start(jobs, sqs, local.stack.rebuild_queue_url, posts=True)
            while True:
                time.sleep(0.5)
                now = jobs.get()
                if now is not None and now.state in ("succeeded", "failed"):
                    break
                if time.perf_counter() - t0 > timeout:
                    raise TimeoutError(f"job {job.id} not done after {timeout:.0f} s: {now}")
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            worker.stop()
            row = {
                "posts": size,
                "workers": n,
                "wall_s": wall,
                "posts_per_s": size / wall,
                "process_cpu_s": cpu,
                "state": now.state,
                "chunks": now.total,
                "retries": now.retries,
                "changed": now.changed,
                "load_before": load0,
                "load_after": os.getloadavg()[0],
                "errors": [repr(e) for e in worker.errors[:3]],
            }
            out.append(row)
            print(
                f"  {size} posts, {n} worker(s): {wall:.1f} s, {size / wall:.1f} posts/s, {now.total} chunks, "
                f"state {now.state}, load {load0:.1f}->{row['load_after']:.1f}",
                flush=True,
            )
    return out


# --- 2. per invocation ------------------------------------------------------------------------------


def _search_item(key: str, data: bytes, site: Any) -> dict[str, Any]:
    compiled = compile_draft(key, data, site)
    return search_store.text_item(compiled.summary, search.pack(search.text_of(compiled.body.html)))


def with_search_texts(site: Site, posts: list[Any]) -> None:
    """The search records each publish keeps (sitebench's preload writes none): a rebuild of a
    site that has search finds them all equal and writes none, the usual case measured here."""
    cfg = site.stack.config
    keys = ["drafts/" + p.draft_name for p in posts]
    bodies = [p.jekyll().encode() for p in posts]
    with ProcessPoolExecutor() as pool:
        items = list(pool.map(_search_item, keys, bodies, [cfg.site] * len(keys), chunksize=64))
    sitebench.batch_write(site.ddb, cfg.index_table, items)


def invocations(size: int) -> dict[str, Any]:
    """Every invocation of a job through the real handler, at each modelled round trip."""
    install_call_log()
    posts = generate(size)
    passes: dict[str, list[dict[str, Any]]] = {}
    with moto_patches(query=True, backup="none"), moto_site() as site:
        os.environ["REBUILD_QUEUE_URL"] = site.stack.rebuild_queue_url
        t0 = time.perf_counter()
        site.preload(posts)
        with_search_texts(site, posts)
        print(f"  in-process: {size} posts pre-loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        sqs = site.session.client("sqs")
        jobs = JobStore(site.ddb, site.stack.config.index_table)
        index = PostIndex(site.ddb, site.stack.config.index_table)
        counts = {"home": index.listing("home").count}
        counts.update(
            {lst.name: lst.count for kind in ("tag", "category", "month") for lst in index.listings(kind)}
        )
        rebuild_handler.reset()
        original = rebuild_job.Rebuilds.finish

        def timed_finish(self: Any, job: Any) -> None:  # the last step alone, inside its invocation
            calls0, call_cpu0, cpu0, t0 = LOG.total(), LOG.call_cpu, time.process_time(), time.perf_counter()
            first = len(LOG.intervals)
            original(self, job)
            FINISHED.append(
                {
                    "wall_s": time.perf_counter() - t0,
                    "union_s": sitebench.union_length(LOG.intervals[first:]),
                    "cpu_s": max(0.0, time.process_time() - cpu0 - (LOG.call_cpu - call_cpu0)),
                    "calls": LOG.total() - calls0,
                }
            )

        rebuild_job.Rebuilds.finish = timed_finish  # type: ignore[method-assign]
        for rtt in (0.0, *RTTS):
            wipe_site(site.s3, site.stack.config.site_bucket)
            LOG.rtt = rtt
            rebuild_job.start(jobs, sqs, site.stack.rebuild_queue_url, posts=True)
            passes[f"{rtt * 1000:g}"] = drain(sqs, site.stack.rebuild_queue_url)
            LOG.rtt = 0.0
            done = jobs.get()
            assert done is not None and done.state == "succeeded", done
            # Every search text was there already: the rebuild wrote none, so marked nothing.
            assert SearchStore(site.ddb, site.stack.config.index_table).marker() is None
            walls = [r["wall_s"] for r in passes[f"{rtt * 1000:g}"]]
            print(f"  rtt {rtt * 1000:g} ms: {len(walls)} invocations, {sum(walls):.1f} s in all", flush=True)
        rebuild_job.Rebuilds.finish = original  # type: ignore[method-assign]
        rebuild_handler.reset()
    return {"posts": size, "passes": passes, "listing_counts": counts}


def scaling(size: int) -> dict[str, Any]:
    """The parts of a job that grow with the site, on a site of `size` posts: the home listing's
    chunk (every page of it) and the last step (overviews, every sitemap, archive), each run
    alone at each modelled round trip into an emptied site bucket."""
    install_call_log()
    out: dict[str, Any] = {"posts": size}
    with moto_patches(query=True, backup="none"), moto_site() as site:
        t0 = time.perf_counter()
        site.preload(generate(size))
        print(f"  in-process: {size} posts pre-loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        publisher = Publisher(site.stack.config, site.s3, site.ddb, site.session.client("cloudfront"))
        for rtt in (0.0, *RTTS):
            wipe_site(site.s3, site.stack.config.site_bucket)
            publisher.begin()
            for part, run in (
                ("home", lambda: publisher.rebuild_listings(["home"])),
                ("last", publisher.rebuild_overviews),
            ):
                LOG.reset()
                LOG.rtt = rtt
                cpu0, t0 = time.process_time(), time.perf_counter()
                run()
                wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
                LOG.rtt = 0.0
                out.setdefault(part, {})[f"{rtt * 1000:g}"] = {
                    "wall_s": wall,
                    "cpu_s": max(0.0, cpu - LOG.call_cpu),
                    "union_s": LOG.seconds,
                    "calls": LOG.total(),
                }
                print(
                    f"  {size} posts, {part}, rtt {rtt * 1000:g} ms: {wall:.1f} s, {LOG.total()} calls",
                    flush=True,
                )
    return with_rounds(out)


def with_rounds(scaled: dict[str, Any]) -> dict[str, Any]:
    """The scaled parts' CPU and round trips, from their passes."""
    for part in ("home", "last"):
        low, high = scaled[part]["0"], scaled[part][f"{RTTS[-1] * 1000:g}"]
        measured = max(0.0, (high["union_s"] - low["union_s"]) / RTTS[-1])
        scaled[part]["rounds_measured"] = measured
        scaled[part]["rounds"] = max(measured, low["calls"] / IN_FLIGHT)
        scaled[part]["cpu_s"] = low["cpu_s"]
    return scaled


FINISHED: list[dict[str, float]] = []  # the last step's own figures, when an invocation took it


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"])
        messages = resp.get("Messages", [])
        if not messages:
            return rows
        m = messages[0]
        message = fanout.read_message(m["Body"])
        event = sqs_batch_event([m], "arn:aws:sqs:us-east-1:123456789012:stitchpress-rebuild", "us-east-1")
        LOG.reset()
        FINISHED.clear()
        cpu0, t0 = time.process_time(), time.perf_counter()
        response = rebuild_handler.handler(
            event, LocalContext(function_name="RebuildFunction", aws_request_id=str(uuid.uuid4()))
        )
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        if response.get("batchItemFailures"):
            raise RuntimeError(f"{m['Body'][:200]} failed")
        chunk = message.chunk
        kind = "split" if chunk is None else chunk.kind
        names = list(chunk.names) if chunk is not None else []
        rows.append(
            {
                "kind": kind,
                "number": None if chunk is None else chunk.number,
                "names": names,
                "wall_s": wall,
                "cpu_s": max(0.0, cpu - LOG.call_cpu),
                "call_cpu_s": LOG.call_cpu,
                "calls": LOG.total(),
                "union_s": LOG.seconds,
                "by_kind": dict(sorted(LOG.calls.items())),
                "finish": FINISHED[0] if FINISHED else None,
            }
        )
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


# --- 3. the model ------------------------------------------------------------------------------------

KEY_BYTES = 70  # a home-listing sort key as the split reads it (projection: sk only)
QUERY_PAGE = 1_000_000  # bytes a DynamoDB Query returns per call


def per_invocation(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """Each invocation with its CPU (first pass), calls and effective round trips R."""
    passes = measured["passes"]
    base = passes["0"]
    low, high = base, passes[f"{RTTS[-1] * 1000:g}"]
    out = []
    for b, lo, hi in zip(base, low, high, strict=True):
        # Time with a call in flight grows by R x the added round trip: compute and the load's
        # waits outside calls cancel out (the wall time's difference would keep them).
        rounds = max(0.0, (hi["union_s"] - lo["union_s"]) / RTTS[-1])
        row = {**b, "rounds": max(rounds, b["calls"] / IN_FLIGHT), "rounds_measured": rounds}
        if b["finish"] and lo["finish"] and hi["finish"]:
            f_rounds = max(0.0, (hi["finish"]["union_s"] - lo["finish"]["union_s"]) / RTTS[-1])
            row["finish"] = {**b["finish"], "rounds": f_rounds}
            # The chunk's own part: the invocation without its last step.
            row["cpu_s"] = max(0.0, b["cpu_s"] - b["finish"]["cpu_s"])
            row["rounds"] = max(rounds - f_rounds, (b["calls"] - b["finish"]["calls"]) / IN_FLIGHT)
        out.append(row)
    return out


def ramp_finish(work: list[float], concurrency: int, start: float) -> float:
    """When chunks of `work` seconds are done by at most `concurrency` instances, which the SQS
    event source brings up START_INSTANCES at first and RAMP_PER_MINUTE more a minute; each
    instance's first chunk pays COLD_START, every chunk DISPATCH. Longest chunk first."""
    import heapq

    online = [
        start + max(0, k - START_INSTANCES + 1) * 60 / RAMP_PER_MINUTE + COLD_START
        for k in range(concurrency)
    ]
    free = [(t, k) for k, t in enumerate(online)]
    heapq.heapify(free)
    finish = start
    for w in sorted(work, reverse=True):
        t, k = heapq.heappop(free)
        end = t + DISPATCH + w
        finish = max(finish, end)
        heapq.heappush(free, (end, k))
    return finish


def plan_cpu(size: int) -> float:
    """CPU seconds to split `size` posts (sort the keys, build the chunks and their messages)."""
    keys = [f"2025-01-01T00:00:{n:08d}Z#drafts/post-{n:06d}.md" for n in range(size)]
    t0 = time.process_time()
    chunks = fanout.plan([("home", size)], keys)
    for chunk in chunks:
        fanout.chunk_message("job", chunk)
    return time.process_time() - t0


def model(
    measured: dict[str, Any], scaled: dict[str, Any], sizes: list[int], concurrencies: list[int]
) -> list[dict[str, Any]]:
    rows = per_invocation(measured)
    n = measured["posts"]
    counts: dict[str, int] = measured["listing_counts"]
    post_rows = [r for r in rows if r["kind"] == "posts"]
    listing_rows = [r for r in rows if r["kind"] == "listings"]
    split = next(r for r in rows if r["kind"] == "split")

    def entries(r: dict[str, Any]) -> int:
        return sum(counts.get(name, 0) + fanout.LISTING_COST for name in r["names"])

    out = []
    for rtt_name, rtt, cpu_factor in SCENARIOS:

        def seconds(r: dict[str, Any], rtt: float = rtt, cpu_factor: float = cpu_factor) -> float:
            return float(r["cpu_s"] * cpu_factor + r["rounds"] * rtt)

        post_chunk = statistics.median(seconds(r) for r in post_rows)  # 100 posts at any size
        # Listings cost by entries (posts shown, plus LISTING_COST each): per entry, measured.
        per_entry = sum(seconds(r) for r in listing_rows) / sum(entries(r) for r in listing_rows)
        for size in sizes:
            scale = size / n
            chunks = math.ceil(size / fanout.POSTS_PER_CHUNK)
            # The home listing (one chunk) and the last step: measured alone on the `scaled`
            # site, taken as linear in the posts beyond it (over-estimating their fixed part).
            grow = size / scaled["posts"]
            home_s = (scaled["home"]["cpu_s"] * cpu_factor + scaled["home"]["rounds"] * rtt) * grow
            other_entries = (sum(counts.values()) - counts["home"]) * scale + fanout.LISTING_COST * (
                len(counts) - 1
            ) * scale
            n_listing = max(1, math.ceil(other_entries / fanout.LISTING_POSTS_PER_CHUNK))
            work = [post_chunk] * chunks + [per_entry * other_entries / n_listing] * n_listing
            # The split: the keys (Query pages, one after the other), then the chunk items and
            # the messages (concurrent calls: ~2 rounds each); the planning CPU is measured.
            split_rounds = split["rounds"] + math.ceil(size * KEY_BYTES / QUERY_PAGE) + 4
            split_s = (split["cpu_s"] + plan_cpu(size)) * cpu_factor + split_rounds * rtt
            # The last step (every month's sitemap and archive, the overviews, the paths) grows
            # with the site: its measured CPU and round trips scaled linearly (an over-estimate
            # of its fixed part).
            last_s = (scaled["last"]["cpu_s"] * cpu_factor + scaled["last"]["rounds"] * rtt) * grow
            # Not built, for the decision (BENCHMARKS "Rebuild jobs"): the home listing's pages
            # split into chunks of at most LISTING_POSTS_PER_CHUNK entries, each anchored at a
            # sort key the split read, run among the others; its work divided evenly, with no
            # cost for the split (optimistic).
            home_parts = math.ceil((size + fanout.LISTING_COST) / fanout.LISTING_POSTS_PER_CHUNK)
            # The size at which the one home chunk reaches the function's timeout (FUNCTION_TIMEOUT).
            timeout_posts = FUNCTION_TIMEOUT / (home_s / size)
            for c in concurrencies:
                body = ramp_finish(work, c, DISPATCH)
                home_done = DISPATCH + COLD_START + home_s  # one instance renders the home listing
                total = split_s + max(body, home_done) + DISPATCH + last_s
                parts = ramp_finish(work + [home_s / home_parts] * home_parts, c, DISPATCH)
                total_home_split = split_s + parts + DISPATCH + last_s
                out.append(
                    {
                        "posts": size,
                        "concurrency": c,
                        "rtt": rtt_name,
                        "post_chunk_s": post_chunk,
                        "post_chunks": chunks,
                        "listing_chunks": n_listing + 1,
                        "home_chunk_s": home_s,
                        "split_s": split_s,
                        "chunks_s": body,
                        "last_step_s": last_s,
                        "total_s": total,
                        "home_parts": home_parts,
                        "total_home_split_s": total_home_split,
                        "home_timeout_posts": timeout_posts,
                    }
                )
    return out


def summary(result: dict[str, Any]) -> str:
    lines = [result["machine"], "", "local stack (rebuild --posts as a job; wall to 'succeeded'):"]
    lines.append("| posts | workers | wall | posts/s | chunks | load before -> after |")
    lines.append("|---|---|---|---|---|---|")
    for r in result.get("local", []):
        lines.append(
            f"| {r['posts']:,} | {r['workers']} | {r['wall_s']:.1f} s | {r['posts_per_s']:.1f} | {r['chunks']} | "
            f"{r['load_before']:.1f} -> {r['load_after']:.1f} |"
        )
    if "invocations" in result:
        rows = per_invocation(result["invocations"])
        posts = [r for r in rows if r["kind"] == "posts"]
        lines += ["", f"per invocation at {result['invocations']['posts']:,} posts (median of each kind):"]
        lines.append(
            "| invocation | n | our CPU | calls | round trips (measured; model: at least calls / 16) |"
        )
        lines.append("|---|---|---|---|---|")
        for kind in ("split", "listings", "posts"):
            rs = [r for r in rows if r["kind"] == kind]
            if rs:
                lines.append(
                    f"| {kind} | {len(rs)} | {statistics.median(r['cpu_s'] for r in rs):.2f} s | "
                    f"{statistics.median(r['calls'] for r in rs):.0f} | "
                    f"{statistics.median(r['rounds_measured'] for r in rs):.0f}; {statistics.median(r['rounds'] for r in rs):.0f} |"
                )
        if posts:
            calls: Counter[str] = Counter()
            for r in posts:
                calls.update(r["by_kind"])
            per_post = {k: v / (len(posts) * fanout.POSTS_PER_CHUNK) for k, v in calls.most_common()}
            lines.append(
                "calls per post in post chunks: " + ", ".join(f"{k} {v:.2f}" for k, v in per_post.items())
            )
        sc = result["scaling"]
        for part, what in (("home", "the home listing's chunk"), ("last", "the last step")):
            f = sc[part]
            lines.append(
                f"{what} alone at {sc['posts']:,} posts: our CPU {f['cpu_s']:.2f} s, {f['0']['calls']} calls, "
                f"round trips {f['rounds_measured']:.0f} measured, {f['rounds']:.0f} in the model"
            )
        lines += [
            "",
            "modelled on AWS, seconds:",
            "| posts | instances | scenario | post chunk | chunks done | home chunk | split | last step | total "
            "| total, home split (not built) | home chunk at the 300 s timeout |",
        ]
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for m in result["model"]:
            lines.append(
                f"| {m['posts']:,} | {m['concurrency']} | {m['rtt']} | {m['post_chunk_s']:.2f} | {m['chunks_s']:.1f} | "
                f"{m['home_chunk_s']:.1f} | {m['split_s']:.1f} | {m['last_step_s']:.1f} | **{m['total_s']:.0f}** "
                f"| {m['total_home_split_s']:.0f} ({m['home_parts']} chunks) | {m['home_timeout_posts']:,.0f} posts |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 posts only")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    parser.add_argument(
        "--model-size", type=int, default=1000, help="site whose every invocation is measured"
    )
    parser.add_argument(
        "--scale-size",
        type=int,
        default=None,
        help="site whose home chunk and last step are measured (10,000; --quick 1,000)",
    )
    parser.add_argument(
        "--no-model", action="store_true", help="skip the per-invocation passes and the model"
    )
    parser.add_argument("--no-local", action="store_true", help="skip the local stack runs")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--from", dest="source", metavar="JSON", help="recompute the model from a saved run")
    parser.add_argument(
        "--scaling-from",
        metavar="JSON",
        help="take the home chunk and last step measured alone from a saved run (they take ~35 min to measure)",
    )
    args = parser.parse_args(argv)
    if args.source:
        saved = json.loads(Path(args.source).read_text(encoding="utf-8"))
        saved["model"] = model(
            saved["invocations"], with_rounds(saved["scaling"]), [10_000, 100_000], [50, 200]
        )
        print(summary(saved))
        return 0
    sizes = args.sizes or ([1000] if args.quick else [1000, 10000])
    result: dict[str, Any] = {"machine": machine.banner(), "command": " ".join(sys.argv)}
    print(result["machine"], flush=True)
    if not args.no_local:
        result["local"] = [row for size in sizes for row in local_runs(size, args.workers, args.timeout)]
    if not args.no_model:
        result["invocations"] = invocations(args.model_size)
        if args.scaling_from:
            saved = json.loads(Path(args.scaling_from).read_text(encoding="utf-8"))
            result["scaling"] = with_rounds(saved["scaling"])
            result["scaling_from"] = args.scaling_from
        else:
            result["scaling"] = scaling(args.scale_size or (1000 if args.quick else 10_000))
        result["model"] = model(result["invocations"], result["scaling"], [10_000, 100_000], [50, 200])
    OUT.mkdir(exist_ok=True)
    tags = [t for t, on in (("nolocal", args.no_local), ("nomodel", args.no_model)) if on]
    path = OUT / ("-".join(["rebuild", *map(str, sizes), *tags]) + ".json")
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(summary(result))
    print(f"(details: {path.relative_to(machine.BENCH.parent)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
