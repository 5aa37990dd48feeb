"""One running local stack: embedded AWS + resources + queue worker (+ optional preview server)."""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..core.keys import report_key
from ..core.model import SiteSettings
from ..service.search_job import DEFAULT_GRACE_SECONDS
from .runtime import DEFAULT_SWEEP_SECONDS, Handler, QueueWorker, Sweeper, embedded_aws, serve_site
from .stack import Stack, create_stack, register_stack, site_bucket_name

# Quiet, local-friendly Powertools settings (the same variables template.yaml sets in AWS).
LOCAL_POWERTOOLS = {
    "POWERTOOLS_SERVICE_NAME": "stitchpress",
    "POWERTOOLS_METRICS_NAMESPACE": "stitchpress",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


@dataclass
class LocalRun:
    endpoint: str
    stack: Stack
    session: Any
    worker: QueueWorker
    site_url: str
    preview: ThreadingHTTPServer | None
    image_worker: QueueWorker | None = None
    sweeper: Sweeper | None = None
    rebuild_worker: QueueWorker | None = None
    search_worker: QueueWorker | None = None

    def client(self, name: str) -> Any:
        return self.session.client(name)

    def upload(self, path: Path, key: str | None = None) -> tuple[str, str | None]:
        """Upload a draft as a writer would; returns (key, version id)."""
        key = key or f"drafts/{path.name}"
        resp = self.client("s3").put_object(
            Bucket=self.stack.config.drafts_bucket, Key=key, Body=path.read_bytes()
        )
        return key, resp.get("VersionId")

    def wait_for_reports(
        self, uploads: Iterable[tuple[str, str | None]], timeout: float = 60
    ) -> dict[str, Any]:
        """Block until each upload's report names its version (the worker has processed it)."""
        s3 = self.client("s3")
        pending = dict(uploads)
        reports: dict[str, Any] = {}
        deadline = time.monotonic() + timeout
        while pending:
            for key, version in list(pending.items()):
                try:
                    body = s3.get_object(Bucket=self.stack.config.drafts_bucket, Key=report_key(key))[
                        "Body"
                    ].read()
                except s3.exceptions.ClientError:
                    continue
                report = json.loads(body)
                if version is None or report.get("version_id") == version:
                    reports[key] = report
                    del pending[key]
            if pending:
                if time.monotonic() > deadline:
                    last = f"; last worker error: {self.worker.errors[-1]!r}" if self.worker.errors else ""
                    raise TimeoutError(
                        f"no report after {timeout:.0f}s for: {', '.join(sorted(pending))}{last}"
                    )
                time.sleep(0.1)
        return reports

    def download_site(self, dest: Path) -> list[str]:
        s3 = self.client("s3")
        keys: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.stack.config.site_bucket):
            for obj in page.get("Contents", []):
                target = dest / obj["Key"]
                if not target.resolve().is_relative_to(dest.resolve()):
                    continue  # never write outside dest, whatever the key says
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(
                    s3.get_object(Bucket=self.stack.config.site_bucket, Key=obj["Key"])["Body"].read()
                )
                keys.append(obj["Key"])
        return sorted(keys)


def functions_env(stack: Stack) -> dict[str, str]:
    """The variables template.yaml sets on the functions this process runs as workers (publish,
    image, rebuild, search), with the local stack's values: every one each function's
    configuration requires in Lambda (tests/unit/test_config.py)."""
    return {
        **LOCAL_POWERTOOLS,
        **stack.image_config.to_env(),
        **stack.config.to_env(),
        "REBUILD_QUEUE_URL": stack.rebuild_queue_url,
        "SEARCH_GRACE_SECONDS": str(DEFAULT_GRACE_SECONDS),
    }


@contextmanager
def local_stack(
    *,
    port: int = 0,
    preview_port: int | None = None,
    site: SiteSettings | None = None,
    concurrency: int = 1,
    batch_size: int = 10,
    sweep_seconds: float | None = DEFAULT_SWEEP_SECONDS,
    register: bool = False,
    rebuild_workers: int = 1,
) -> Iterator[LocalRun]:
    """Start everything; with `preview_port` (0 = any free port) also serve the site over HTTP.
    Every `sweep_seconds` (None: never) scheduled posts that fall due are sent to the queue.
    With `register`, also record the stack in CloudFormation (for `rebuild --endpoint`).
    `rebuild_workers` rebuild function instances take rebuild jobs' chunks at once."""
    import boto3

    # Powertools warns on invocations that add no metric (e.g. S3's test event); noise here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with embedded_aws(port) as endpoint:
        session = boto3.session.Session()
        site = site or SiteSettings()
        preview = None
        if preview_port is not None:
            preview = serve_site(session.client("s3"), site_bucket_name(), preview_port)
            site = SiteSettings(
                **{**site.__dict__, "base_url": f"http://127.0.0.1:{preview.server_address[1]}"}
            )
        stack = create_stack(session, site=site)
        if register:
            register_stack(session, stack)
        env = functions_env(stack)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        from ..service import handler as handler_module
        from ..service import image_handler, rebuild_handler, search_job

        functions = (handler_module, image_handler, rebuild_handler, search_job)
        for function in functions:
            function.reset()

        def poller(
            handler: Handler, module: str, queue_url: str, batch_size: int, concurrency: int = 1
        ) -> QueueWorker:
            sqs = session.client("sqs")
            return QueueWorker(
                stack,
                sqs,
                handler,
                batch_size=batch_size,
                concurrency=concurrency,
                queue_url=queue_url,
                module=module,
            )

        # The image function's own queue and worker, as in AWS: a photo never delays a publish.
        image_worker = poller(image_handler.handler, "image_handler", stack.image_queue_url, 1)
        worker = poller(handler_module.handler, "handler", stack.queue_url, batch_size, concurrency)
        # The rebuild function: one message (a job's split, or a chunk) per invocation.
        rebuild_worker = poller(
            rebuild_handler.handler, "rebuild_handler", stack.rebuild_queue_url, 1, rebuild_workers
        )
        # The search job's worker: one poller, as the FIFO queue's one message group gives on AWS.
        search_worker = poller(search_job.handler, "search_job", stack.search_queue_url, 10)
        worker.start()
        image_worker.start()
        rebuild_worker.start()
        search_worker.start()
        sweeper = None
        if sweep_seconds is not None:
            sweeper = Sweeper(stack, session.client("dynamodb"), session.client("sqs"), sweep_seconds)
            sweeper.start()
        try:
            yield LocalRun(
                endpoint,
                stack,
                session,
                worker,
                site.base_url,
                preview,
                image_worker,
                sweeper,
                rebuild_worker,
                search_worker,
            )
        finally:
            # All of them asked first, then joined: stopping takes the longest one, not the sum.
            running = [
                w for w in (sweeper, search_worker, image_worker, rebuild_worker, worker) if w is not None
            ]
            for w in running:
                w.stop(wait=False)
            for w in running:
                w.stop()
            if preview is not None:
                preview.shutdown()
            for function in functions:
                function.reset()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
