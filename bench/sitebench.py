"""A stitchpress site of N posts in moto (in-process `mock_aws`), and one publish through the real
handler, measured: wall time, AWS calls by kind (counted with botocore event hooks), time spent
inside those calls, and site objects written.

Pre-loading N posts through the handler would take hours on moto, so the index items are
written directly: `PostIndex.claim` and `PostIndex.save_post` run against a recorder that keeps
the items they would write (the same shapes, built by index.py itself), and those items go in
with batch_write_item. Every draft is uploaded to the drafts bucket (a publish re-renders the
neighbouring post from its draft). Then `Publisher.rebuild(posts=True)` renders the whole site,
as a site that has been running for a while has it.
"""

from __future__ import annotations

import bisect
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Fake credentials and region before boto3 or moto are imported: nothing here can reach AWS.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "stitchpress",
        "POWERTOOLS_METRICS_NAMESPACE": "stitchpress",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: tests.moto_speed

import boto3
import botocore.session
import moto
from corpus import Post

from stitchpress.aws.index import PostIndex
from stitchpress.core.keys import report_key
from stitchpress.core.model import PostSummary, SiteSettings
from stitchpress.core.pipeline import compile_draft
from stitchpress.local.runtime import LocalContext, sqs_batch_event
from stitchpress.local.stack import Stack, create_stack
from stitchpress.service.publish import Publisher
from tests.moto_speed import _UNPATCHED, moto_one_call_at_a_time, moto_plain_json, moto_transaction_backup

moto_one_call_at_a_time()  # each call atomic, as on AWS (moto's backends are not thread-safe)

PRELOAD_ORDER = "t:2025-01-01T00:00:00.000Z"  # the order of the (imagined) events that published the corpus


# --- counting AWS calls -------------------------------------------------------------------------


@dataclass
class CallLog:
    """Every AWS API call made by clients created after `install()`: kind -> count, the S3
    bucket each S3 call named, and the time spent between before-call and after-call (moto's
    work and botocore building the request and parsing the answer). Calls may run concurrently
    (a publish writes its pages from a thread pool): each call's interval is kept, and `seconds`
    is the length of their union, the wall time during which at least one call was in flight."""

    calls: Counter[str] = field(default_factory=Counter)
    buckets: Counter[str] = field(default_factory=Counter)
    kind_seconds: dict[str, float] = field(default_factory=dict)
    intervals: list[tuple[float, float]] = field(default_factory=list)
    call_cpu: float = 0.0  # CPU seconds the calling threads spent inside calls (moto + botocore)
    rtt: float = 0.0  # seconds of modelled network round trip added to every call (before-send)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.buckets.clear()
            self.kind_seconds.clear()
            self.intervals.clear()
            self.call_cpu = 0.0

    @property
    def seconds(self) -> float:
        return union_length(self.intervals)

    def on_params(self, params: dict[str, Any], event_name: str, context: dict[str, Any], **_: Any) -> None:
        service, op = event_name.split(".", 2)[1:]
        label = f"{service}.{op}"
        if op == "Query":  # which kind of partition: LIST#home, LIST#tag, LISTVER#month...
            pk = str(params.get("ExpressionAttributeValues", {}).get(":pk", {}).get("S", ""))
            label += " " + pk.split("/")[0]
        context["bench_label"] = label
        with self._lock:
            self.calls[f"{service}.{op}"] += 1
            if service == "s3" and "Bucket" in params:
                self.buckets[f"{op} {params['Bucket']}"] += 1

    def on_before(self, context: dict[str, Any], **_: Any) -> None:
        context["bench_t0"] = time.perf_counter()
        context["bench_cpu0"] = time.thread_time()  # before-call and after-call run in the caller's thread

    def on_send(self, **_: Any) -> None:
        if self.rtt:
            time.sleep(self.rtt)  # releases the GIL: concurrent calls overlap, as on a network

    def on_after(self, context: dict[str, Any], **_: Any) -> None:
        t0 = context.get("bench_t0")
        if t0 is None:
            return
        t1 = time.perf_counter()
        cpu = time.thread_time() - float(context.get("bench_cpu0", time.thread_time()))
        kind = str(context.get("bench_label", "?"))
        with self._lock:
            self.call_cpu += cpu
            self.intervals.append((t0, t1))
            self.kind_seconds[kind] = self.kind_seconds.get(kind, 0.0) + (t1 - t0)

    def total(self) -> int:
        return sum(self.calls.values())


def union_length(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


LOG = CallLog()
_installed = False


def install_call_log() -> CallLog:
    """Register the hooks on every botocore client created from now on (Powertools' own
    DynamoDB client for idempotency included)."""
    global _installed
    if not _installed:
        original = botocore.session.Session.create_client

        def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(self, *args, **kwargs)
            client.meta.events.register("provide-client-params", LOG.on_params)
            client.meta.events.register("before-call", LOG.on_before)
            # First, so the delay comes before moto's stub answers the request.
            client.meta.events.register_first("before-send", LOG.on_send)
            client.meta.events.register("after-call", LOG.on_after)
            return client

        botocore.session.Session.create_client = create_client
        _installed = True
    return LOG


# --- moto artefacts (benchmark-only patches of moto, never of stitchpress) -----------------------


_LOWER = {
    "<": bisect.bisect_left,
    "LT": bisect.bisect_left,
    "<=": bisect.bisect_right,
    "LE": bisect.bisect_right,
}
_UPPER = {
    ">": bisect.bisect_right,
    "GT": bisect.bisect_right,
    ">=": bisect.bisect_left,
    "GE": bisect.bisect_left,
}


@contextmanager
def moto_partition_query(enabled: bool = True) -> Iterator[None]:
    """moto's Table.query collects and sorts every item of the table (all partitions) on every
    Query, then walks the queried partition item by item; DynamoDB reads only the partition's
    matching key range. This patch answers a base-table Query on a string sort key from the
    queried partition alone, by binary search over its sorted keys (sorted once, then kept in
    order as items are put and deleted), then filters and projects its results as moto does;
    anything else (indexes, begins_with) goes to moto's own code. `check_partition_query`
    compares the answers of both, before and after publishes."""
    if not enabled:
        yield
        return
    import copy

    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, Table

    original_query, original_put, original_delete = Table.query, Table.put_item, Table.delete_item
    sorted_partitions: dict[tuple[int, Any], tuple[list[str], list[Any]]] = {}
    tables: dict[int, Any] = {}  # keeps each table alive while its id keys the cache

    def put_item(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        item = original_put(self, item_attrs, *args, **kwargs)
        cached = sorted_partitions.get((id(self), DynamoType(item_attrs[self.hash_key_attr])))
        if cached is not None:  # keep the partition's order up to date, as DynamoDB does
            value = item_attrs[self.range_key_attr]["S"]
            values, items = cached
            at = bisect.bisect_left(values, value)
            if at < len(values) and values[at] == value:
                items[at] = item
            else:
                values.insert(at, value)
                items.insert(at, item)
        return item

    def delete_item(self: Any, hash_key: Any, range_key: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_delete(self, hash_key, range_key, *args, **kwargs)
        cached = sorted_partitions.get((id(self), hash_key))
        if cached is not None and item is not None:
            values, items = cached
            at = bisect.bisect_left(values, range_key.value)
            if at < len(values) and values[at] == range_key.value:
                del values[at], items[at]
        return item

    def partition(self: Any, hash_key: Any) -> tuple[list[str], list[Any]] | None:
        cached = sorted_partitions.get((id(self), hash_key))
        if cached is None:
            items = self.items.get(hash_key) or {}
            if any(k.type != "S" for k in items):
                return None
            pairs = sorted((k.value, item) for k, item in items.items())
            cached = ([v for v, _ in pairs], [i for _, i in pairs])
            tables[id(self)] = self
            sorted_partitions[(id(self), hash_key)] = cached
        return cached

    def query(
        self: Any,
        hash_key: Any,
        range_comparison: str | None,
        range_objs: list[Any],
        limit: int,
        exclusive_start_key: dict[str, Any],
        scan_index_forward: bool,
        projection_expressions: Any,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: Any = None,
        range_key_conditions: Any = None,
        **filter_kwargs: Any,
    ) -> tuple[list[Any], int, dict[str, Any] | None]:
        simple = (
            not index_name
            and not filter_kwargs
            and self.range_key_attr
            and hash_key is not None
            and len(range_key_conditions or []) <= 1
            and range_comparison in (None, "=", "EQ", "BETWEEN", *_LOWER, *_UPPER)
        )
        found = partition(self, hash_key) if simple else None
        if found is None:
            return original_query(
                self,
                hash_key,
                range_comparison,
                range_objs,
                limit,
                exclusive_start_key,
                scan_index_forward,
                projection_expressions,
                index_name,
                consistent_read,
                filter_expression,
                hash_key_conditions=hash_key_conditions,
                range_key_conditions=range_key_conditions,
                **filter_kwargs,
            )
        values, items = found
        lo, hi = 0, len(values)
        if range_comparison:
            v = [o.value for o in range_objs]
            if range_comparison in _LOWER:
                hi = _LOWER[range_comparison](values, v[0])
            elif range_comparison in _UPPER:
                lo = _UPPER[range_comparison](values, v[0])
            elif range_comparison == "BETWEEN":
                lo, hi = bisect.bisect_left(values, v[0]), bisect.bisect_right(values, v[1])
            else:
                lo, hi = bisect.bisect_left(values, v[0]), bisect.bisect_right(values, v[0])
        if exclusive_start_key:
            start = exclusive_start_key[self.range_key_attr]["S"]
            if scan_index_forward:
                lo = max(lo, bisect.bisect_right(values, start))
            else:
                hi = min(hi, bisect.bisect_left(values, start))
        order = range(lo, hi) if scan_index_forward else range(hi - 1, lo - 1, -1)
        results: list[Any] = []
        size = 0
        last = None
        for i in order:
            item = items[i]
            if len(results) == limit or size + item.size() > RESULT_SIZE_LIMIT:
                last = self._get_last_evaluated_key(results[-1], None)
                break
            results.append(item)
            size += item.size()
        scanned = len(results)
        results = copy.deepcopy(results)
        if filter_expression is not None:
            results = [r for r in results if filter_expression.expr(r)]
        if projection_expressions:  # as moto's own query does, after the filter
            results = [r.project(projection_expressions) for r in results]
        return results, scanned, last

    Table.query, Table.put_item, Table.delete_item = query, put_item, delete_item  # type: ignore[method-assign]
    _UNPATCHED["query"] = original_query
    try:
        yield
    finally:
        del _UNPATCHED["query"]
        Table.query, Table.put_item, Table.delete_item = original_query, original_put, original_delete  # type: ignore[method-assign]


@contextmanager
def moto_own_reads() -> Iterator[None]:
    """Inside moto_partition_query and moto_plain_json: moto's own Query and serializer for a
    moment, while writes would still keep the patched partitions in order."""
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoResult

    patched = Table.query, DynamoResult.execute_result
    Table.query, DynamoResult.execute_result = _UNPATCHED["query"], _UNPATCHED["execute_result"]  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query, DynamoResult.execute_result = patched  # type: ignore[method-assign]


@contextmanager
def moto_patches(*, query: bool, backup: str, plain_json: bool | None = None) -> Iterator[None]:
    """The benchmark's moto patches; `plain_json` goes with `query` unless said otherwise."""
    plain = query if plain_json is None else plain_json
    with moto_partition_query(query), moto_transaction_backup(backup), moto_plain_json(plain):
        yield


# --- pre-loading ----------------------------------------------------------------------------------


class _IndexRecorder:
    """Stands in for the DynamoDB client under PostIndex: keeps the items claim() and
    save_post() would write instead of writing them one transaction at a time."""

    class exceptions:
        class ConditionalCheckFailedException(Exception):
            pass

        class TransactionCanceledException(Exception):
            pass

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.listings: dict[tuple[str, str], dict[str, Any]] = {}

    def update_item(self, **kw: Any) -> dict[str, Any]:  # claim(): the draft's head
        key = kw["Key"]
        values = kw["ExpressionAttributeValues"]
        item = {**key, "order": values[":o"], "kind": values[":k"]}
        self.items[(key["pk"]["S"], key["sk"]["S"])] = item
        return {"Attributes": item}

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> None:
        for op in TransactItems:
            if "Put" in op:
                item = op["Put"]["Item"]
                self.items[(item["pk"]["S"], item["sk"]["S"])] = item
            elif "Update" in op and op["Update"]["Key"]["pk"]["S"].startswith("HEAD#"):
                continue  # the unfinished change save_post records: the preload finishes it
            elif "Update" in op:  # a listing bump: SET title, updated ADD v 1, c delta
                u = op["Update"]
                key = u["Key"]
                values = u["ExpressionAttributeValues"]
                cur = self.listings.setdefault((key["pk"]["S"], key["sk"]["S"]), {**key, "v": 0, "c": 0})
                cur.update(title=values[":t"], updated=values[":u"])
                cur["v"] += 1
                cur["c"] += int(values[":d"]["N"])
            elif "Delete" in op:
                key = op["Delete"]["Key"]
                self.items.pop((key["pk"]["S"], key["sk"]["S"]), None)

    def all_items(self) -> list[dict[str, Any]]:
        out = list(self.items.values())
        for cur in self.listings.values():
            out.append({**cur, "v": {"N": str(cur["v"])}, "c": {"N": str(cur["c"])}})
        return out


def _summary(key: str, data: bytes, site: SiteSettings) -> PostSummary:
    return compile_draft(key, data, site).summary


def batch_write(ddb: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        requests: Any = {table: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
        while requests:
            requests = ddb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or None


@dataclass
class Site:
    stack: Stack
    session: Any
    app: Any  # the handler module
    s3: Any
    ddb: Any
    timings: dict[str, float] = field(default_factory=dict)
    published: int = 0

    def preload(self, posts: list[Post]) -> None:
        """Index and upload the corpus (no handler involved)."""
        cfg = self.stack.config
        drafts = cfg.drafts_bucket
        t0 = time.perf_counter()
        keys = ["drafts/" + p.draft_name for p in posts]
        bodies = [p.jekyll().encode() for p in posts]
        # compile_draft is pure: both cores share the 3 ms per post.
        with ProcessPoolExecutor() as pool:
            summaries = list(pool.map(_summary, keys, bodies, [cfg.site] * len(keys), chunksize=64))
        t1 = time.perf_counter()
        # S3 would queue an event per upload; moto does too. Nobody polls here: switch it off.
        notification = self.s3.get_bucket_notification_configuration(Bucket=drafts)
        notification.pop("ResponseMetadata", None)
        self.s3.put_bucket_notification_configuration(Bucket=drafts, NotificationConfiguration={})
        recorder = _IndexRecorder()
        index = PostIndex(recorder, cfg.index_table)
        for key, data, summary in zip(keys, bodies, summaries, strict=True):
            resp = self.s3.put_object(Bucket=drafts, Key=key, Body=data)
            state = {
                "version_id": resp.get("VersionId") or "",
                "etag": str(resp["ETag"]).strip('"'),
                "order": PRELOAD_ORDER,
            }
            index.claim(key, PRELOAD_ORDER, "put")
            index.save_post(summary, state, None, PRELOAD_ORDER)
        self.s3.put_bucket_notification_configuration(Bucket=drafts, NotificationConfiguration=notification)
        t2 = time.perf_counter()
        batch_write(self.ddb, cfg.index_table, recorder.all_items())
        self.timings["compile_s"] = t1 - t0
        self.timings["upload_drafts_s"] = t2 - t1
        self.timings["write_index_s"] = time.perf_counter() - t2
        self.timings["index_items"] = len(recorder.items) + len(recorder.listings)

    def rebuild(self, *, posts: bool) -> tuple[float, int]:
        """`stitchpress rebuild [--posts]` in this process: (seconds, site objects changed)."""
        session = self.session
        publisher = Publisher(
            self.stack.config, session.client("s3"), session.client("dynamodb"), session.client("cloudfront")
        )
        publisher.begin()
        LOG.reset()
        t0 = time.perf_counter()
        changed = publisher.rebuild(posts=posts, progress=lambda _line: None)
        publisher.flush(f"rebuild-{time.time_ns()}")
        return time.perf_counter() - t0, len(changed)

    def publish(self, post: Post) -> dict[str, Any]:
        """Upload a draft and hand its S3 event, in an SQS message, to the real handler."""
        cfg = self.stack.config
        key = "drafts/" + post.draft_name
        resp = self.s3.put_object(Bucket=cfg.drafts_bucket, Key=key, Body=post.jekyll().encode())
        self.published += 1
        event = sqs_event(
            cfg.drafts_bucket, key, resp.get("VersionId"), str(resp["ETag"]).strip('"'), self.published
        )
        LOG.reset()
        t0 = time.perf_counter()
        result = self.app.handler(event, LocalContext(aws_request_id=str(uuid.uuid4())))
        seconds = time.perf_counter() - t0
        calls, buckets, aws_seconds = Counter(LOG.calls), Counter(LOG.buckets), LOG.seconds
        kind_seconds = dict(sorted(LOG.kind_seconds.items()))
        if result.get("batchItemFailures"):
            raise RuntimeError(f"publish of {key} failed: {result}")
        report = json.loads(self.s3.get_object(Bucket=cfg.drafts_bucket, Key=report_key(key))["Body"].read())
        if report["status"] != "published":
            raise RuntimeError(f"{key}: {report['status']}: {report['errors']}")
        return {
            "seconds": seconds,
            "aws_seconds": aws_seconds,
            "calls": dict(sorted(calls.items())),
            "total_calls": sum(calls.values()),
            "call_seconds": kind_seconds,
            "site_puts": buckets.get(f"PutObject {cfg.site_bucket}", 0),
            "site_deletes": buckets.get(f"DeleteObject {cfg.site_bucket}", 0),
            "changed": report.get("changed", []),
        }


def sqs_event(bucket: str, key: str, version_id: str | None, etag: str, n: int) -> dict[str, Any]:
    """What S3 -> SQS hands the function for one upload (see events/sqs-s3-put.json)."""
    from urllib.parse import quote_plus

    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {
                "key": quote_plus(key, safe="/"),
                "versionId": version_id or "",
                "eTag": etag,
                "sequencer": f"{0x0065F1C2A1B2C3D4E5 + n:018X}",
            },
        },
    }
    message = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": "bench",
        "Body": json.dumps({"Records": [record]}),
        "Attributes": {"ApproximateReceiveCount": "1"},
    }
    return sqs_batch_event([message], "arn:aws:sqs:us-east-1:123456789012:stitchpress-publish", "us-east-1")


@contextmanager
def moto_site() -> Iterator[Site]:
    """An empty stack in moto, the handler module pointed at it (as tests/functional do)."""
    install_call_log()
    with ExitStack() as stack:
        stack.enter_context(moto.mock_aws())
        session = boto3.session.Session()
        created = create_stack(session)
        saved = dict(os.environ)
        os.environ.update(created.config.to_env())
        from stitchpress.service import handler

        handler.reset()
        try:
            yield Site(created, session, handler, session.client("s3"), session.client("dynamodb"))
        finally:
            handler.reset()
            os.environ.clear()
            os.environ.update(saved)


def check_partition_query(site: Site, posts: list[Post]) -> int:
    """Ask the index the questions a publish and a rebuild ask, with the partition and plain-JSON
    patches as they are (on: call it inside moto_patches, whose partitions the writes so far kept
    in order) and with moto's own Query and serializer; raise if any answer differs. Returns the
    number of questions."""
    index = PostIndex(site.ddb, site.stack.config.index_table)
    sample = [posts[0], posts[len(posts) // 2], posts[-1]] if posts else []
    summaries = [p.summary for p in (index.get_post("drafts/" + s.draft_name) for s in sample) if p]
    names = ["home", *(f"tag/{t.key}" for s in summaries for t in s.tags)]
    questions: list[Any] = []
    for name in names:
        questions += [lambda n=name: index.newest(n, 45), lambda n=name: index.newest(n, 10**6)]
        questions += [lambda n=name, s=s: index.newer_than(n, s) for s in summaries]
        questions += [lambda n=name: index.newest_urls(n, 30)]
    questions += [lambda s=s: index.around(s) for s in summaries]
    questions += [lambda: index.listings_named(names), lambda: index.listings("tag")]
    questions += [lambda s=s: index.get_post(s.source_key) for s in summaries]
    got = [q() for q in questions]
    with moto_own_reads():
        expected = [q() for q in questions]
    if got != expected:
        bad = next(i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b)
        raise AssertionError(f"moto patches disagree with moto on question {bad}")
    return len(questions)
