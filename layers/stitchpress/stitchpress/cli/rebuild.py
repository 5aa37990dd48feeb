"""`stitchpress rebuild`: re-render every listing page (and with --posts every post page) of a
deployed stack, with the settings the stack's function publishes with (never defaults).

With --stack or --endpoint it starts a rebuild job that the stack's rebuild function runs in
chunks (stitchpress.service.rebuild_job), and with --follow prints its progress until it ends. With
--in-process (or with the function's variables in the environment instead of a stack) this
machine renders the site itself, one process."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from ..local.stack import STACK_NAME

FOLLOW_SECONDS = 1.0  # between two reads of the job's record


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
        "--follow",
        action="store_true",
        help="print the job's progress until it ends (exit 1 if it failed); joins a job already running",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="render here, in this one process, instead of starting a job on the stack's rebuild function",
    )
    parser.add_argument(
        "--no-invalidate",
        action="store_true",
        help="with --in-process: do not create a CloudFront invalidation",
    )


def run(args: argparse.Namespace) -> int:
    import boto3

    from ..aws.parallel import client_config
    from .deployed import StackSettingsError, require, stack_config, stack_output

    session = _session(boto3, local=args.endpoint is not None)

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=args.endpoint, config=client_config())

    stack = args.stack or STACK_NAME
    on_stack = bool(args.stack or args.endpoint)
    if args.no_invalidate and on_stack and not args.in_process:
        print(
            "stitchpress rebuild: --no-invalidate applies to --in-process only (a job always "
            "invalidates what it changed)",
            file=sys.stderr,
        )
        return 2
    try:
        if on_stack:
            config = stack_config(client("cloudformation"), client("lambda"), stack)
            queue_url = (
                None if args.in_process else stack_output(client("cloudformation"), stack, "RebuildQueueUrl")
            )
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
    if not on_stack or args.in_process:
        return _in_process(args, config, client)
    if queue_url is None:
        print(
            f"stitchpress rebuild: stack {stack} has no RebuildQueueUrl output (deployed before rebuild "
            "jobs): deploy the current template.yaml, or add --in-process to render on this machine",
            file=sys.stderr,
        )
        return 2
    return _job(args, config, client, queue_url)


def _job(args: argparse.Namespace, config: Any, client: Any, queue_url: str) -> int:
    from ..aws.jobs import JobRunning, JobStore
    from ..service.rebuild_job import start

    jobs = JobStore(client("dynamodb"), config.index_table)
    try:
        job = start(jobs, client("sqs"), queue_url, posts=args.posts)
    except JobRunning as running:
        other = running.job
        if other is None:  # it ended between the refusal and the read: try once more
            return _job(args, config, client, queue_url)
        if not args.follow:
            print(
                f"stitchpress rebuild: job {other.id} is running (started {other.started:%Y-%m-%d %H:%M:%S} "
                "UTC); one job at a time: add --follow to watch it, then start yours",
                file=sys.stderr,
            )
            return 1
        print(
            f"job {other.id} is running already ({'posts and ' if other.posts else ''}listings): following it"
        )
        return _follow(jobs, other.id, config.drafts_bucket)
    what = "every listing and post page" if args.posts else "every listing page"
    print(f"job {job.id} started: {what}, in chunks on the stack's rebuild function", flush=True)
    if not args.follow:
        print("progress: run the same command with --follow (it joins the running job)")
        return 0
    return _follow(jobs, job.id, config.drafts_bucket)


def _follow(jobs: Any, job_id: str, drafts_bucket: str) -> int:
    from ..core import clock
    from ..core.fanout import progress_line

    last: tuple[object, ...] | None = None
    while True:
        job = jobs.get()
        now = clock.now()
        if job is None or job.id != job_id:
            print(f"stitchpress rebuild: job {job_id} is no longer the stack's job", file=sys.stderr)
            return 1
        seen = (job.state, job.done, job.total, job.retries)
        if seen != last:
            print(progress_line(job, now), flush=True)
            last = seen
        if job.state == "succeeded":
            where = f"; invalidation {job.invalidation}" if job.invalidation else ""
            print(f"rebuilt: {job.changed} objects changed{where}; report s3://{drafts_bucket}/{job.report}")
            return 0
        if job.state == "failed":
            print(f"stitchpress rebuild: job {job.id} failed: {job.error}", file=sys.stderr)
            return 1
        if job.stale(now):
            print(
                f"stitchpress rebuild: job {job.id} has not advanced since {job.updated:%H:%M:%S} UTC; "
                "see the rebuild function's log and its dead-letter queue",
                file=sys.stderr,
            )
            return 1
        time.sleep(FOLLOW_SECONDS)


def _in_process(args: argparse.Namespace, config: Any, client: Any) -> int:
    from ..service.publish import Publisher

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
