"""The publish queue's batching window (issue 19): invalidation paths per month against seconds
added to a post's time to live.

Measured (in-process moto, the real handler): the CloudFront paths one invocation invalidates
when it publishes k new posts of a 1,000-post site, for k = 1, 2, 5 and 10, against the same k
posts published one invocation each. The model: how many uploads share an invocation for a
window of W seconds, for two ways uploads arrive (one at a time, minutes apart; and a writer's
or a tool's burst of drafts uploaded together), then paths per month and their price
(CloudFront: the first 1,000 paths a month free, then $0.005 a path; `/*` counts as one), and the
seconds W adds: the event source waits the whole window unless 10 messages fill the batch
first, so a lone upload waits all of W.

    .venv/bin/python bench/bench_batching.py
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import machine
from corpus import generate, new_post
from sitebench import Site, moto_patches, moto_site, sqs_event

from stitchpress.local.runtime import LocalContext

OUT = machine.BENCH / "out"
FREE_PATHS, PRICE = 1000, 0.005  # CloudFront invalidation pricing (aws.amazon.com/cloudfront/pricing)
WINDOWS = (0, 1, 2, 5, 10)


def invalidated(site: Site) -> list[list[str]]:
    cf = site.session.client("cloudfront")
    dist = site.stack.config.distribution_id
    items = cf.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])
    return [
        cf.get_invalidation(DistributionId=dist, Id=i["Id"])["Invalidation"]["InvalidationBatch"][
            "Paths"
        ].get("Items", [])
        for i in items
    ]


def publish(site: Site, posts: list[Any], together: bool, n0: int) -> int:
    """Upload the posts and hand their events to the handler, in one batch or one each; the
    paths invalidated."""
    cfg = site.stack.config
    events = []
    for i, post in enumerate(posts):
        key = "drafts/" + post.draft_name
        resp = site.s3.put_object(Bucket=cfg.drafts_bucket, Key=key, Body=post.jekyll().encode())
        events.append(
            sqs_event(cfg.drafts_bucket, key, resp.get("VersionId"), str(resp["ETag"]).strip('"'), n0 + i)
        )
    before = len(invalidated(site))
    batches = [{"Records": [r for e in events for r in e["Records"]]}] if together else events
    for event in batches:
        result = site.app.handler(event, LocalContext(aws_request_id=f"b{time.time_ns()}"))
        assert not result.get("batchItemFailures"), result
    return sum(len(paths) for paths in invalidated(site)[before:])


def main() -> int:
    result: dict[str, Any] = {"machine": machine.banner(), "measured": []}
    print(result["machine"], flush=True)
    with moto_patches(query=True, backup="none"), moto_site() as site:
        site.preload(generate(1000))
        site.rebuild(posts=False)
        n = 0
        for k in (1, 2, 5, 10):
            row: dict[str, Any] = {"posts": k}
            for together in (False, True):
                posts = [new_post(n + i) for i in range(k)]
                row["together" if together else "apart"] = publish(site, posts, together, 100 + n)
                n += k
            result["measured"].append(row)
            print(
                f"  {k} new posts: {row['apart']} paths one invocation each, {row['together']} in one",
                flush=True,
            )
    per_post = result["measured"][0]["apart"]
    burst = next(r for r in result["measured"] if r["posts"] == 10)["together"]
    # Workloads: uploads a month; the share arriving in bursts of 10 (within a second).
    lines = [
        result["machine"],
        "",
        "| new posts | paths, one invocation each | paths, one invocation |",
        "|---|---|---|",
    ]
    lines += [f"| {r['posts']} | {r['apart']} | {r['together']} |" for r in result["measured"]]
    lines += [
        "",
        "| window W | seconds added to a lone upload | 300 uploads a month, one at a time | 3,000 a month, one at a time | 3,000 a month, 30% in bursts of 10 |",
        "|---|---|---|---|---|",
    ]
    for w in WINDOWS:
        cells = [f"{w} s", f"{w}"]
        for uploads, burst_share in ((300, 0.0), (3000, 0.0), (3000, 0.3)):
            alone = uploads * (1 - burst_share)
            bursts = uploads * burst_share / 10
            # W = 0: the event source hands over what one poll returns; a burst arriving over
            # ~1 s is taken as it arrives (counted here as one invocation per upload).
            burst_paths = bursts * (burst if w >= 1 else 10 * per_post)
            paths = alone * per_post + burst_paths
            cost = max(0.0, paths - FREE_PATHS) * PRICE
            cells.append(f"{paths:,.0f} paths, ${cost:,.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    result["table"] = lines
    OUT.mkdir(exist_ok=True)
    (OUT / "batching.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
