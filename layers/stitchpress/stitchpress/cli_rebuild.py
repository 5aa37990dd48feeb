"""`stitchpress rebuild`: re-render every listing page (and with --posts every post page) of the
stack the environment names (the same variables template.yaml sets on the function)."""

from __future__ import annotations

import argparse
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--posts", action="store_true", help="also re-render every post page from its draft")
    parser.add_argument(
        "--no-invalidate", action="store_true", help="do not create a CloudFront invalidation"
    )


def run(args: argparse.Namespace) -> int:
    import boto3

    from .config import Config
    from .parallel import client_config
    from .publish import Publisher

    try:
        config = Config.from_env()
    except RuntimeError as e:
        print(f"stitchpress rebuild: {e}; set them as template.yaml's Outputs name them", file=sys.stderr)
        return 2
    session = boto3.session.Session()
    clients = (session.client(name, config=client_config()) for name in ("s3", "dynamodb", "cloudfront"))
    publisher = Publisher(config, *clients)
    publisher.begin()
    start = time.perf_counter()
    changed = publisher.rebuild(
        posts=args.posts, progress=lambda line: print(line, file=sys.stderr, flush=True)
    )
    invalidation = None if args.no_invalidate else publisher.flush(f"rebuild-{time.time_ns()}")
    print(f"rebuilt in {time.perf_counter() - start:.1f}s: {len(changed)} objects changed", end="")
    print(f"; invalidation {invalidation}" if invalidation else "")
    return 0
