"""`stitchpress rebuild`: re-render every listing page (and with --posts every post page) of a
deployed stack, with the settings the stack's function publishes with (never defaults)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from ..local.stack import STACK_NAME


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack",
        metavar="NAME",
        help="the CloudFormation stack (sam deploy's stack name): its Outputs and its function's settings",
    )
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help=f"a running `stitchpress local up` (its endpoint= line); its stack is {STACK_NAME!r}",
    )
    parser.add_argument("--posts", action="store_true", help="also re-render every post page from its draft")
    parser.add_argument(
        "--no-invalidate", action="store_true", help="do not create a CloudFront invalidation"
    )


def run(args: argparse.Namespace) -> int:
    import boto3

    from ..aws.parallel import client_config
    from ..service.publish import Publisher
    from .deployed import StackSettingsError, require, stack_config

    session = _session(boto3, local=args.endpoint is not None)

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=args.endpoint, config=client_config())

    try:
        if args.stack or args.endpoint:
            config = stack_config(client("cloudformation"), client("lambda"), args.stack or STACK_NAME)
        else:
            config = require(os.environ, "the environment")
    except StackSettingsError as e:
        print(
            f"stitchpress rebuild: {e}; name the stack with --stack NAME (or --endpoint URL of a "
            "running `stitchpress local up`), or set those variables from the stack's Outputs",
            file=sys.stderr,
        )
        return 2
    site = config.site
    print(f"rebuilding {site.base_url} ({site.title!r}, {site.language}) from s3://{config.site_bucket}")
    publisher = Publisher(config, client("s3"), client("dynamodb"), client("cloudfront"))
    publisher.begin()
    start = time.perf_counter()
    changed = publisher.rebuild(
        posts=args.posts, progress=lambda line: print(line, file=sys.stderr, flush=True)
    )
    invalidation = None if args.no_invalidate else publisher.flush(f"rebuild-{time.time_ns()}")
    done = f"rebuilt in {time.perf_counter() - start:.1f}s: {len(changed)} objects changed"
    print(done + (f"; invalidation {invalidation}" if invalidation else ""), flush=True)
    return 0


def _session(boto3: Any, *, local: bool) -> Any:
    """A local endpoint accepts any credentials: use fake ones when none are configured."""
    session = boto3.session.Session()
    if local and session.get_credentials() is None:
        from ..local.runtime import FAKE_CREDENTIALS

        session = boto3.session.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=session.region_name or "us-east-1",
        )
    elif local and session.region_name is None:
        session = boto3.session.Session(region_name="us-east-1")
    return session
