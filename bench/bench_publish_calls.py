"""One-post publish without images: AWS calls by kind and wall time, on moto in-process.

    .venv/bin/python bench/bench_publish_calls.py [--posts 30]

Publishes --posts small posts (three tags each, no images) one at a time through the real
handler (a raw S3 event per upload, as `sam local invoke` sends), counting every AWS call with
botocore's provide-client-params hook, and reports the median over the last two thirds (the
first ones build clients and the site's static files). Run it on two trees with
PYTHONPATH=<tree>/layers/stitchpress to compare them (BENCHMARKS.md, "Images").
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
)

import boto3
import botocore.session
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=30)
    args = parser.parse_args()
    calls: list[str] = []
    original = botocore.session.Session.create_client

    def create_client(self, *a, **k):  # type: ignore[no-untyped-def]
        client = original(self, *a, **k)
        client.meta.events.register(
            "provide-client-params", lambda params, event_name, **_: calls.append(event_name.split(".", 1)[1])
        )
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    event_template = json.loads((ROOT / "events" / "s3-put.json").read_text())
    with mock_aws():
        from stitchpress.local.runtime import LocalContext
        from stitchpress.local.stack import create_stack
        from stitchpress.service import handler

        stack = create_stack(boto3.session.Session())
        os.environ.update(stack.config.to_env())
        handler.reset()
        s3 = boto3.client("s3")
        per_publish: list[collections.Counter[str]] = []
        seconds: list[float] = []
        for n in range(args.posts):
            key = f"drafts/2025-09-{n % 28 + 1:02d}-post-{n}.md"
            body = (
                f'---\ntitle: "Post {n}"\ndate: 2025-09-{n % 28 + 1:02d} 10:00:00 +0000\n'
                f'tags: ["AI", "tag-{n % 5}", "tag-{n % 7}"]\ncategories: ["News"]\n---\n\n'
                + "A paragraph of text about the news of the day. " * 40
                + "\n"
            )
            version = s3.put_object(Bucket=stack.config.drafts_bucket, Key=key, Body=body.encode())[
                "VersionId"
            ]
            event = copy.deepcopy(event_template)
            obj = event["Records"][0]["s3"]["object"]
            obj.update(key=key, versionId=version, sequencer=f"{n + 1:018X}")
            event["Records"][0]["s3"]["bucket"]["name"] = stack.config.drafts_bucket
            calls.clear()
            start = time.perf_counter()
            out = handler.handler(event, LocalContext(aws_request_id=str(n)))
            seconds.append(time.perf_counter() - start)
            assert out["outcomes"][0]["status"] == "published", out
            per_publish.append(collections.Counter(calls))
    measured = per_publish[len(per_publish) // 3 :]
    totals = [sum(c.values()) for c in measured]
    kinds = collections.Counter[str]()
    for c in measured:
        kinds.update(c)
    print(
        json.dumps(
            {
                "posts": args.posts,
                "calls_median": statistics.median(totals),
                "calls_min_max": [min(totals), max(totals)],
                "calls_by_kind_mean": {k: round(v / len(measured), 1) for k, v in sorted(kinds.items())},
                "ms_median": round(1000 * statistics.median(seconds[len(seconds) // 3 :])),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
