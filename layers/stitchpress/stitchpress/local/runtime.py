"""Embedded AWS (moto's server, in-process), the queue poller that stands in for Lambda's SQS
event source mapping, and a preview HTTP server that serves the site bucket like CloudFront."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .stack import Stack

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

REGION = "us-east-1"
DEFAULT_SWEEP_SECONDS = 5.0  # the local stand-in for the SweepFunction's rate(1 minute)
# Locally the search index is rebuilt at the first sweep after a second without publishes (on
# AWS: 30 s), so the demo's search works moments after its posts are published.
DEFAULT_SEARCH_QUIET = 1.0
# moto accepts any credentials; these keep boto3 from looking for real ones.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _notify_delete_markers() -> None:
    """Make moto notify on a delete in a versioned bucket, as S3 does.

    S3 sends s3:ObjectRemoved:DeleteMarkerCreated when a delete in a versioned bucket leaves a
    delete marker; moto 5.2.5 sends nothing, so `aws s3 rm` would never unpublish locally.
    """
    from moto.s3 import notifications
    from moto.s3.models import S3Backend

    original = S3Backend._set_delete_marker
    if getattr(original, "_stitchpress", False):
        return

    def set_delete_marker(self: Any, bucket_name: str, key_name: str) -> Any:
        marker = original(self, bucket_name, key_name)
        event = notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT
        notifications.send_event(self.account_id, event, self.get_bucket(bucket_name), marker.key)
        return marker

    set_delete_marker._stitchpress = True  # type: ignore[attr-defined]
    S3Backend._set_delete_marker = set_delete_marker  # type: ignore[method-assign]


def _serialised_moto_server(port: int) -> Any:
    """moto's ThreadedMotoServer, answering one request at a time.

    moto's backends are not thread-safe (its DynamoDB transactions deep-copy tables that other
    request threads are changing). AWS makes each API call atomic; a lock around each request
    gives the same guarantee, while the clients still interleave their calls freely.
    """
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    lock = threading.Lock()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    class Serialised(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = DomainDispatcherApplication(create_backend_app)

            def locked(environ: Any, start_response: Any) -> Any:
                with lock:
                    # Drain the response inside the lock: moto builds it lazily.
                    return list(app(environ, start_response))

            try:
                self._server = make_server(
                    self._ip_address, self._port, locked, True, request_handler=MotoRequestHandler
                )
            except (OSError, SystemExit):  # werkzeug exits when the port is taken
                self._server_ready_event.set()  # moto's start() would otherwise wait forever
                return
            self._server_ready_event.set()
            self._server.serve_forever()

        def start(self) -> None:
            super().start()
            if self._server is None:
                raise OSError(f"cannot listen on 127.0.0.1:{self._port} (in use?)")

    return Serialised(ip_address="127.0.0.1", port=port, verbose=False)


@contextmanager
def embedded_aws(port: int = 0) -> Iterator[str]:
    """Start moto's server on 127.0.0.1 and point every boto3 client in this process at it.

    Yields the endpoint URL. Environment changes are undone on exit.
    """
    _notify_delete_markers()
    server = _serialised_moto_server(port)
    server.start()
    host, bound = server.get_host_and_port()
    endpoint = f"http://{host}:{bound}"
    env = {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield endpoint
    finally:
        # moto's state lives in this process, not in the server: forget it with the server.
        reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310 - our http endpoint
        urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class LocalContext:
    """The parts of Lambda's context object that Powertools reads."""

    function_name: str = "PublishFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:PublishFunction"
    aws_request_id: str = ""
    log_group_name: str = "/aws/lambda/PublishFunction"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def sqs_batch_event(messages: Iterable[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping invokes a function with, for messages as
    ReceiveMessage returns them."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def handler_module(environment: int, name: str = "handler") -> ModuleType:
    """A fresh copy of a handler module (stitchpress.service.handler, or stitchpress.service.image_handler), as
    a separate Lambda execution environment has: its own publisher, clients and Powertools state."""
    import importlib
    import importlib.util

    module = importlib.import_module(f"stitchpress.service.{name}")

    if environment == 0:
        return module
    spec = importlib.util.spec_from_file_location(
        f"stitchpress.service._{name}_env{environment}", module.__file__
    )
    assert spec is not None and spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    # Registered as an import would: a dataclass in the module looks its module up there.
    sys.modules[spec.name] = copy
    spec.loader.exec_module(copy)
    return copy


class QueueWorker:
    """Polls the publish queue and invokes the handler with Lambda-shaped SQS batches.

    Like the event source mapping: messages the handler reports as failed stay on the queue and
    come back (here after RETRY_DELAY seconds instead of the visibility timeout) until the
    redrive policy moves them to the dead-letter queue. With `concurrency` > 1, that many
    pollers run at once, each with its own copy of the handler, as concurrent execution
    environments do.
    """

    RETRY_DELAY = 1
    IDLE_SLEEP = 0.1

    def __init__(
        self,
        stack: Stack,
        sqs: SQSClient,
        handler: Handler,
        *,
        batch_size: int = 10,
        concurrency: int = 1,
        queue_url: str | None = None,
        module: str = "handler",
    ) -> None:
        self.stack = stack
        self.queue_url = queue_url or stack.queue_url  # the image worker polls the image queue
        self.module = module
        self.sqs = sqs
        self.handler = handler
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.invocations = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def poll_once(self, wait_seconds: int = 1, handler: Handler | None = None) -> int:
        resp = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
        )
        messages = resp.get("Messages", [])
        if not messages:
            return 0
        event = sqs_batch_event(messages, self._queue_arn, self.stack.region)
        self.invocations += 1
        try:
            response = (handler or self.handler)(event, LocalContext(aws_request_id=str(uuid.uuid4())))
        except Exception as e:
            # A failed invocation: Lambda retries the whole batch (Powertools raises when every
            # record of a batch failed).
            self.errors.append(e)
            response = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
        failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url,
                    ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=self.RETRY_DELAY,
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)

    def start(self) -> None:
        for n in range(self.concurrency):
            handler = self.handler if n == 0 else handler_module(n, self.module).handler
            thread = threading.Thread(
                target=self._run, args=(handler,), name=f"stitchpress-worker-{n}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, *, wait: bool = True) -> None:
        """Ask the pollers to stop after their current invocation; with `wait`, join them."""
        self._stop.set()
        for thread in self._threads if wait else ():
            thread.join(timeout=10)

    def _run(self, handler: Handler) -> None:
        while not self._stop.is_set():
            try:
                # Short polls: a long poll would hold the serialised local endpoint for its wait.
                if self.poll_once(wait_seconds=0, handler=handler) == 0:
                    self._stop.wait(self.IDLE_SLEEP)
            except Exception as e:  # a crashed invocation: keep polling, like Lambda would
                self.errors.append(e)
                time.sleep(0.5)


class Sweeper:
    """Runs the sweep every `interval` seconds, as the SweepFunction's rate(1 minute) schedule
    does on AWS; it looks ahead one interval, so a post goes live at its second here too."""

    def __init__(
        self,
        stack: Stack,
        ddb: DynamoDBClient,
        sqs: SQSClient,
        interval: float,
        search_quiet: float = DEFAULT_SEARCH_QUIET,
    ) -> None:
        from ..aws.pending import PendingIndex
        from ..aws.search_store import SearchStore

        if not 0 < interval <= 900:
            raise ValueError(
                f"the sweep interval must be more than 0 and at most 900 seconds, got {interval}"
            )
        self.pending = PendingIndex(ddb, stack.config.index_table)
        self.search = SearchStore(ddb, stack.config.index_table)
        self.search_quiet = search_quiet
        self.search_queue_url = stack.search_queue_url
        self.searches = 0  # search jobs started
        self.sqs = sqs
        self.queue_url = stack.queue_url
        self.interval = interval
        self.sweeps = 0
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stitchpress-sweep", daemon=True)

    def sweep_once(self) -> int:
        from ..core import clock
        from ..service.sweep import DEFAULT_SEARCH_LONGEST, start_search, sweep

        self.sweeps += 1
        now = clock.now()
        sent = len(sweep(self.pending, self.sqs, self.queue_url, now, lookahead=self.interval))
        if self.search_queue_url and start_search(
            self.search, self.sqs, self.search_queue_url, now, self.search_quiet, DEFAULT_SEARCH_LONGEST
        ):
            self.searches += 1
        return sent

    def start(self) -> None:
        self._thread.start()

    def stop(self, *, wait: bool = True) -> None:
        self._stop.set()
        if wait:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep_once()
            except Exception as e:  # like a failed scheduled invocation: the next one catches up
                self.errors.append(e)


def serve_site(s3: S3Client, bucket: str, port: int = 0) -> ThreadingHTTPServer:
    """Serve the site bucket on 127.0.0.1, mapping /path/ to /path/index.html as the
    CloudFront Function does, and answering 404 with /404.html."""

    class SiteHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve(head=False)

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def _serve(self, *, head: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            key = path.lstrip("/")
            if key == "" or key.endswith("/"):
                key += "index.html"
            status, obj = 200, _get(key)
            if obj is None and "." not in key.rsplit("/", 1)[-1]:
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.end_headers()
                return
            if obj is None:
                status, obj = 404, _get("404.html")
            body = obj["Body"].read() if obj else b"not found"
            self.send_response(status)
            self.send_header("Content-Type", obj["ContentType"] if obj else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    def _get(key: str) -> Any:
        try:
            return s3.get_object(Bucket=bucket, Key=key)
        except s3.exceptions.ClientError:
            return None

    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), SiteHandler)
    except OSError as e:
        raise OSError(f"cannot serve the preview on 127.0.0.1:{port} ({e.strerror})") from e
    threading.Thread(target=server.serve_forever, name="stitchpress-preview", daemon=True).start()
    return server
