"""Issue 12: a fault at any AWS call converges to exactly the fault-free site, CDN included.

For one publish, one unpublish and one retag on a pre-populated site, each kind of fault is
injected at every AWS call of the delivery in turn (the publisher's S3, DynamoDB and CloudFront
calls, the idempotency layer's included):
- 5xx: the service answers 500 and does nothing;
- throttle: the service's throttling error, nothing done;
- connection: the call is carried out but the response is lost (the connection drops);
- crash: the execution environment dies (Lambda timeout): from that call on nothing reaches AWS,
  no `except` or `finally` gets an AWS call through, and the next delivery runs in a new one.
Then the message is redelivered as SQS does (after a failed record, a failed invocation or the
visibility timeout) until a delivery succeeds. The final site bucket, index and the union of the
invalidated paths must equal the fault-free run's; after every delivery (so at every point a
crash can stop a publish at), no page a reader can reach links, lists or maps a missing page.

Each case forks from the prepared site, so cases start from the same state and run two at a time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from stitchpress.local.runtime import LocalContext
from stitchpress.service.publish import Publisher
from tests.functional.conftest import Aws
from tests.helpers import draft, s3_event, sqs_wrap, upload
from tests.moto_speed import moto_plain_json, moto_transaction_backup

KINDS = ("5xx", "throttle", "connection", "crash")
WORKERS = 2
MAX_DELIVERIES = 5
# FAULT_STRIDE=n: each kind at every n-th call, the kinds at staggered offsets, so every call
# still gets a fault of some kind (`make test` uses 4: one kind per call; `make faults`: all).
STRIDE = int(os.environ.get("FAULT_STRIDE", "1"))
FROZEN = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)  # after every post: none is scheduled
POSTS = [  # the pre-populated site: (day, slug, tags, categories)
    ("2025-08-20", "a", ["shared", "old"], ["notes"]),
    ("2025-08-25", "b", ["shared"], ["notes"]),
    ("2025-09-01", "c", ["shared", "solo"], ["misc"]),
    ("2025-09-03", "d", ["shared"], ["notes"]),
    ("2025-09-05", "e", ["other"], ["notes"]),
    ("2025-09-07", "f", ["shared"], []),
    ("2025-09-09", "g", ["shared", "other"], []),
    ("2025-09-11", "h", ["shared"], ["notes"]),
]
THROTTLE = {"s3": "SlowDown", "dynamodb": "ProvisionedThroughputExceededException"}


class Crash(BaseException):
    """The execution environment died: not an Exception, so no `except Exception` catches it."""


class ShortContext(LocalContext):
    """The idempotency layer's in-progress record expires with the invocation's remaining time;
    SQS redelivers only after the visibility timeout, later than that. 1 ms, told to Powertools
    only, models it; the handler itself sees a fresh invocation's time (it starts no draft with
    less than handler.RESERVE_MS left)."""

    def get_remaining_time_in_millis(self) -> int:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        return 1 if caller.startswith("aws_lambda_powertools") else 30_000


@dataclass
class Faults:
    """Injected through botocore's before-call/after-call hooks of the publisher's clients."""

    kind: str = ""
    at: int = -1
    calls: int = 0
    crashed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        with self.lock:
            n, self.calls = self.calls, self.calls + 1
        if self.crashed:
            raise Crash
        if n != self.at:
            return
        service = model.service_model.service_name
        if self.kind == "crash":
            self.crashed = True
            raise Crash
        if self.kind == "connection":
            context["drop_response"] = True  # raised after the call is carried out
            return
        code, status = (
            ("InternalError", 500) if self.kind == "5xx" else (THROTTLE.get(service, "Throttling"), 503)
        )
        error = {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        raise ClientError(error, model.name)  # type: ignore[arg-type]

    def after(self, context: dict[str, Any], **_: Any) -> None:
        if context.get("drop_response"):
            raise ReadTimeoutError(endpoint_url="injected")


@dataclass
class Scenario:
    name: str
    key: str
    change: Callable[[Aws], dict[str, Any]]  # makes the change in the drafts bucket: its S3 event


def _new_post(aws: Aws) -> dict[str, Any]:
    key = "drafts/2025-10-02-new.md"
    version = upload(aws, key, draft("New", "2025-10-02", ["shared", "fresh"], categories='["misc"]'))
    return s3_event(aws, key, version=version, seq=0x900)


def _unpublish(aws: Aws) -> dict[str, Any]:
    key = "drafts/2025-09-01-c.md"
    aws.s3.delete_object(Bucket=aws.drafts, Key=key)
    return s3_event(aws, key, kind="delete", seq=0x901)


def _retag(aws: Aws) -> dict[str, Any]:
    key = "drafts/2025-09-03-d.md"
    version = upload(aws, key, draft("D", "2025-09-03", ["fresh", "other"], categories='["notes"]'))
    return s3_event(aws, key, version=version, seq=0x902)


SCENARIOS = [
    Scenario("publish", "drafts/2025-10-02-new.md", _new_post),
    Scenario("unpublish", "drafts/2025-09-01-c.md", _unpublish),
    Scenario("retag", "drafts/2025-09-03-d.md", _retag),
]


# --- what a reader and the operator see ----------------------------------------------------------


def site_objects(aws: Aws) -> dict[str, bytes]:
    """The site bucket's objects, read from moto's backend directly (a case reads it often)."""
    from moto.s3.models import s3_backends

    bucket = s3_backends["123456789012"]["aws"].buckets[aws.site]
    return {key: bucket.keys[key].value for key in list(bucket.keys.keys())}


def index_items(aws: Aws) -> list[dict[str, Any]]:
    table = aws.stack.config.index_table
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        resp = aws.ddb.scan(**kwargs)
        items += resp["Items"]
        if "LastEvaluatedKey" not in resp:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def invalidated(aws: Aws) -> set[str]:
    """Every path invalidated so far (moto's backend: no calls)."""
    from moto.cloudfront.models import cloudfront_backends

    batches = cloudfront_backends["123456789012"]["aws"].invalidations.get(
        aws.stack.config.distribution_id, []
    )
    return {path for batch in batches for path in batch.paths}


_HREF = re.compile(r'(?:href|src)="([^"]+)"|<loc>([^<]+)</loc>')


# The search page's script and styles come with the search index, which the debounced search
# job writes (tests/functional/test_search.py), never a publish: not this test's to find.
SEARCH_BUNDLE = "pagefind/"


def broken_links(aws: Aws, objects: dict[str, bytes]) -> list[str]:
    """Links, feed entries and sitemap entries to a missing object, on every page a reader can
    reach from the home page, the feed, the sitemap index and the 404 page."""
    base = aws.stack.config.site.base_url.rstrip("/")

    def key_of(link: str) -> str | None:
        link = link.replace("&amp;", "&").split("#")[0].split("?")[0]
        if link.startswith(base):
            link = link[len(base) :]
        if not link.startswith("/") or link.startswith("//"):
            return None
        path = unquote(link).lstrip("/")
        return path + "index.html" if path == "" or path.endswith("/") else path

    todo = ["index.html", "feed.xml", "sitemap.xml", "404.html"]
    seen, broken = set(todo), []
    while todo:
        key = todo.pop()
        body = objects.get(key)
        if body is None or not key.endswith((".html", ".xml")):
            continue
        for match in _HREF.finditer(body.decode()):
            target = key_of(match.group(1) or match.group(2))
            if target is None or target.startswith(SEARCH_BUNDLE):
                continue
            if target not in objects:
                broken.append(f"{key} -> {target}")
            elif target not in seen:
                seen.add(target)
                todo.append(target)
    return broken


@dataclass
class Result:
    site: dict[str, str]
    index: list[dict[str, Any]]
    invalidated: set[str]
    calls: int
    deliveries: int
    status: str
    broken: list[str]


def digest(objects: dict[str, bytes]) -> dict[str, str]:
    return {k: hashlib.sha256(v).hexdigest() for k, v in objects.items()}


# --- one case ------------------------------------------------------------------------------------


def run_case(aws: Aws, scenario: Scenario, kind: str, at: int) -> Result:
    from stitchpress.service import handler

    faults = Faults(kind, at)

    clients = handler.publisher()  # built before the fork: one set of clients for every case
    s3, db, cloudfront = clients.drafts.s3, clients.index.db, clients.invalidator.cloudfront
    for client in {id(c): c for c in (s3, db, cloudfront)}.values():
        client.meta.events.register("before-call", faults.before)
        client.meta.events.register("after-call", faults.after)

    def environment() -> None:
        """A new execution environment (after a crash): a new publisher and idempotency layer."""
        publisher = Publisher(clients.config, s3, db, cloudfront)
        handler.publisher = lambda: publisher  # type: ignore[assignment]
        handler._idempotency.cache_clear()

    before = invalidated(aws)
    event = sqs_wrap(scenario.change(aws), "m-1")
    environment()
    broken: list[str] = []
    deliveries = 0
    while True:
        deliveries += 1
        try:
            failed = bool(
                aws.app.handler(event, ShortContext(aws_request_id=f"r{deliveries}"))["batchItemFailures"]
            )
        except Crash:
            failed = True
            faults.crashed = False
            environment()
        except Exception:  # the invocation failed: SQS redelivers the whole batch
            failed = True
        broken += broken_links(aws, site_objects(aws))
        if not failed:
            break
        assert deliveries < MAX_DELIVERIES, f"{scenario.name}: {kind} at call {at} never succeeded"
        faults.at = -1  # one fault per case
    report = aws.report(scenario.key)
    return Result(
        site=digest(site_objects(aws)),
        index=index_items(aws),
        invalidated=invalidated(aws) - before,
        calls=faults.calls,
        deliveries=deliveries,
        status=str(report["status"]),
        broken=broken,
    )


def forked(
    cases: list[tuple[Scenario, str, int]], aws: Aws
) -> Iterator[tuple[tuple[str, str, int], Result | str]]:
    """Each case in a child forked from the prepared state, WORKERS at a time."""
    with tempfile.TemporaryDirectory() as tmp:
        running: dict[int, tuple[str, tuple[str, str, int]]] = {}
        todo = list(enumerate(cases))
        while todo or running:
            while todo and len(running) < WORKERS:
                n, (scenario, kind, at) = todo.pop(0)
                out = os.path.join(tmp, f"{n}.pickle")
                pid = os.fork()
                if pid == 0:  # the child: run, write the result, leave without cleanup
                    try:
                        try:
                            result: Result | str = run_case(aws, scenario, kind, at)
                        except BaseException as e:
                            result = f"{type(e).__name__}: {e}"
                        with open(out, "wb") as f:
                            pickle.dump(result, f)
                    finally:
                        os._exit(0)
                running[pid] = (out, (scenario.name, kind, at))
            pid, _ = os.wait()
            out, case = running.pop(pid)
            try:
                with open(out, "rb") as f:
                    yield case, pickle.load(f)
            except FileNotFoundError:
                yield case, "the child died without a result"


@pytest.fixture
def moto_faster() -> Iterator[None]:
    """moto's answers, with most of its CPU time per call cut (tests/moto_speed.py): DynamoDB
    results sent as plain JSON, and each table copied once per transaction for its rollback."""
    with moto_plain_json(), moto_transaction_backup("once"):
        yield


@pytest.fixture
def prepared(aws: Aws, moto_faster: None, monkeypatch: pytest.MonkeyPatch) -> Aws:
    import stitchpress.core.clock
    import stitchpress.service.pages

    monkeypatch.setattr(stitchpress.core.clock, "_clock", lambda: FROZEN)  # listings' "updated" times
    monkeypatch.setattr(stitchpress.service.pages, "PAGE_SIZE", 4)  # numbered pages come and go
    monkeypatch.setattr(stitchpress.service.pages, "FEED_SIZE", 4)
    for n, (day, slug, tags, cats) in enumerate(POSTS):
        key = f"drafts/{day}-{slug}.md"
        version = upload(aws, key, draft(slug.upper(), day, tags, categories=str(cats).replace("'", '"')))
        aws.invoke(s3_event(aws, key, version=version, seq=0x100 + n))
    from stitchpress.service import handler

    handler.publisher()  # the clients every forked case shares
    return aws


@pytest.mark.timeout(1200)  # ~800 cases; minutes on CI's two cores (README: Reliability)
def test_a_fault_at_any_aws_call_converges_to_the_fault_free_site(prepared: Aws) -> None:
    started = time.perf_counter()
    reference: dict[str, Result] = {}
    for (name, _, _), result in forked([(s, "", -1) for s in SCENARIOS], prepared):
        assert isinstance(result, Result), result
        assert result.broken == [], f"{name}: fault-free run has broken links {result.broken}"
        reference[name] = result
    assert [reference[s.name].status for s in SCENARIOS] == ["published", "unpublished", "published"]
    cases = [
        (s, kind, at)
        for s in SCENARIOS
        for k, kind in enumerate(KINDS)
        for at in range(k % STRIDE, reference[s.name].calls, STRIDE)
    ]
    differences: list[str] = []
    identical = 0
    for (name, kind, at), result in forked(cases, prepared):
        where = f"{name}: {kind} at call {at}"
        if isinstance(result, str):
            differences.append(f"{where}: {result}")
            continue
        ref = reference[name]
        wrong = [
            what
            for what, same in (
                ("site", result.site == ref.site),
                ("index", result.index == ref.index),
                ("invalidations", result.invalidated == ref.invalidated),
                ("report", result.status == ref.status),
                ("no broken links", not result.broken),
            )
            if not same
        ]
        if wrong:
            detail = ""
            if "site" in wrong:
                keys = set(result.site) | set(ref.site)
                detail = f" objects {sorted(k for k in keys if result.site.get(k) != ref.site.get(k))}"
            if "invalidations" in wrong:
                detail += f" invalidated {sorted(result.invalidated ^ ref.invalidated)}"
            if "no broken links" in wrong:
                detail += f" broken {result.broken[:3]}"
            differences.append(f"{where}: {', '.join(wrong)} differ{detail}")
        else:
            identical += 1
    calls = {s.name: reference[s.name].calls for s in SCENARIOS}
    print(
        f"\nfault injection: {len(cases)} faults tried ({', '.join(KINDS)} at each of {calls} AWS calls), "
        f"{identical} identical to the fault-free run, in {time.perf_counter() - started:.0f} s"
    )
    by_kind = Counter(" ".join(d.split()[:2]) for d in differences)
    assert not differences, f"{len(differences)} of {len(cases)} differ ({dict(by_kind)}):\n" + "\n".join(
        differences[:40]
    )
