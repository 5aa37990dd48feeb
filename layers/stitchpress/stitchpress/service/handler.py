"""The Lambda entry point (functions/publish/app.py re-exports `handler`).

S3 -> SQS -> Lambda in production: each SQS message carries one S3 event; failures are reported
per message (partial batch response) so only they are retried and, in the end, dead-lettered.
A raw S3 event is accepted too, for `sam local invoke -e events/s3-put.json`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import parallel
from ..core.events import DraftChange, batch_id, is_test_event, read_s3_event, refresh_target
from .config import Config, ConfigError, in_lambda
from .logs import log_outcome
from .publish import Outcome, Publisher
from .tracing import capture_lambda_handler

logger = Logger()
metrics = Metrics()
# Report every failed record, even when all failed: the mapping retries exactly those.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

_METRIC = {
    "published": "DraftsPublished",
    "rejected": "DraftsRejected",
    "unpublished": "DraftsUnpublished",
    "scheduled": "DraftsScheduled",
    "expired": "DraftsExpired",
}
# Left of the invocation before a draft is started: its compile (budget.COMPILE_SECONDS of CPU,
# ~7 s at 1024 MB), theme renders (sandbox.RENDER_SECONDS) and the writes, with room to spare.
RESERVE_MS = 15_000
IDEMPOTENCY_TTL = 24 * 3600  # S3 redelivers within minutes; a day is generous
# The records' key prefix. Powertools' default holds the function's module name, which differs
# between the local runtime's execution environments (and would change with a module move).
IDEMPOTENCY_KEY_PREFIX = "stitchpress.apply"


@lru_cache(maxsize=1)
def config() -> Config:
    """The function's settings, read and checked once per execution environment."""
    return Config.from_env()


if in_lambda():
    # A missing or malformed variable fails the cold start, naming it and what sets it in
    # template.yaml, instead of the first draft (or a live site with a localhost URL).
    config()


@lru_cache(maxsize=1)
def publisher() -> Publisher:
    """Built once per execution environment, on first use (keeps the import cheap)."""
    import boto3  # deferred: boto3 import is the bulk of the cold start

    client = partial(boto3.session.Session().client, config=parallel.client_config())
    return Publisher(config(), s3=client("s3"), dynamodb=client("dynamodb"), cloudfront=client("cloudfront"))


@lru_cache(maxsize=1)
def _idempotency() -> tuple[Callable[..., dict[str, Any]], Any]:
    """publish_change() made idempotent on the S3 event's identity (bucket, key, version, ETag, sequencer):
    the same event delivered twice does the work once and returns the first outcome."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    table = config().idempotency_table
    if not table:  # optional for the local commands that build a Config, not for the handler
        raise ConfigError("the publish function's configuration: IDEMPOTENCY_TABLE is missing")
    idempotency_config = IdempotencyConfig(expires_after_seconds=IDEMPOTENCY_TTL)
    # The publisher's DynamoDB client, not a new boto3 Session and client of the layer's own:
    # that would cost ~50 ms of every cold start (BENCHMARKS.md, "Handler cold start").
    store = DynamoDBPersistenceLayer(table_name=table, boto3_client=publisher().index.db)

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="event",
        persistence_store=store,
        config=idempotency_config,
        key_prefix=IDEMPOTENCY_KEY_PREFIX,
    )
    def publish_recorded(event: dict[str, str], change: DraftChange, ran: list[bool]) -> dict[str, Any]:
        ran.append(True)
        outcome = publish_change(change)
        return {"key": outcome.key, "status": outcome.status, "url": outcome.url}

    return publish_recorded, idempotency_config


def reset() -> None:
    """Forget the clients built for this environment (the local stack and tests start new
    endpoints in one process; Lambda never needs this)."""
    config.cache_clear()
    publisher.cache_clear()
    _idempotency.cache_clear()


def publish_change(change: DraftChange) -> Outcome:
    """Apply one draft change to the site; log and count its outcome."""
    logger.append_keys(draft=change.key)
    outcome = publisher().apply(change)
    log_outcome(
        logger,
        metrics,
        _METRIC,
        change.key,
        outcome.status,
        url=outcome.url,
        messages=[m.format(change.key) for m in outcome.messages],
        changed=len(outcome.changed),
    )
    return outcome


def publish_once(change: DraftChange) -> dict[str, Any]:
    """publish_change, once per S3 event: a redelivered event finishes the earlier delivery's
    invalidation instead of publishing again."""
    run, _ = _idempotency()
    ran: list[bool] = []
    result = dict(run(event={"identity": change.identity}, change=change, ran=ran))
    if not ran:
        # Done in an earlier delivery: invalidate what its attempts recorded (that delivery's
        # invalidation may have failed after the change completed).
        publisher().resume(change)
    return result


def refresh(key: str) -> Outcome | None:
    """Re-render a published post because an image it shows changed (the image function asks):
    the draft event the index applied last is applied again, as a retry of it would be. Not
    when a newer upload of the draft exists (rejected, or on its way): that upload's own
    report stays, and a fixed upload will show the image."""
    pub = publisher()
    indexed = pub.index.get_post(key)
    if indexed is None:
        return None  # not published: deleted, rejected or `draft: true`
    state = indexed.state
    live = DraftChange(
        bucket=pub.config.drafts_bucket,
        key=key,
        kind="put",
        version_id=state.get("version_id") or None,
        etag=state.get("etag"),
        claimed=state.get("order"),  # re-applied as a retry of that event
    )
    if not live.matches(pub.drafts.current(key)):
        return None
    return publish_change(live)


# AWS errors (throttling, timeouts) and a concurrent delivery of the same event in progress.
_TRANSIENT_MODULES = ("botocore", "urllib3", "aws_lambda_powertools.utilities.idempotency")


class OutOfTime(Exception):
    """Too little of the invocation is left to publish one more draft: SQS redelivers it."""


def _skip(reason: str, **keys: Any) -> None:
    """A record that can never publish anything: logged loudly, then acknowledged (a retry
    would fail the same way, and the dead-letter queue is for what a retry may fix)."""
    logger.warning(f"skipped: {reason}", reason=reason, **keys)
    metrics.add_metric(name="RecordsSkipped", unit=MetricUnit.Count, value=1)


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> None:
    message_id = record.message_id
    try:
        body = record.json_body
    except (TypeError, ValueError) as e:
        return _skip(f"the message body is not JSON ({e})", message_id=message_id)
    if isinstance(body, dict) and is_test_event(body):
        return None
    target = refresh_target(body) if isinstance(body, dict) else None
    if target is not None:
        refresh(target)
        return None
    changes, problems = read_s3_event(record.decoded_nested_s3_event if isinstance(body, dict) else body)
    for problem in problems:
        _skip(problem, message_id=message_id)
    for change in changes:
        _publish_logged(change, lambda_context, message_id=message_id)
    return None


def _publish_logged(change: DraftChange, context: LambdaContext | None, **keys: Any) -> dict[str, Any]:
    """publish_once, with every way it can fail logged with the draft's key and the reason."""
    left = context.get_remaining_time_in_millis() if context is not None else None
    try:
        if left is not None and left < RESERVE_MS:
            raise OutOfTime(f"{left} ms of the invocation left, {RESERVE_MS} ms needed for a draft")
        return publish_once(change)
    except Exception as e:  # SQS (or Lambda, for a raw event) retries it
        if isinstance(e, OutOfTime) or type(e).__module__.startswith(_TRANSIENT_MODULES):
            logger.warning(f"retrying {change.key}: {e}", draft=change.key, reason=str(e), **keys)
        else:  # not a user mistake (those are rejected with a report): a bug, with its trace
            logger.exception(f"failed {change.key}: {e!r}", draft=change.key, reason=repr(e), **keys)
        raise


def _sqs_records(event: object) -> list[dict[str, Any]] | None:
    """The event's SQS messages, None when it is not an SQS event (a raw S3 event, or something
    else: read_s3_event says what). A record that is no SQS message (not an object, or without a
    message id) is logged and left out: it has no id to report for a retry, and a retry of the
    whole batch would fail the same way."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not any(
        isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records
    ):
        return None
    out = []
    for i, record in enumerate(records):
        if isinstance(record, dict) and isinstance(record.get("messageId"), str):
            out.append(record)
        else:
            _skip(f"record {i}: not an SQS message (no messageId)", record=repr(record)[:200])
    return out


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@capture_lambda_handler
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    pub = publisher()
    _, idempotency_config = _idempotency()
    idempotency_config.register_lambda_context(context)
    pub.begin()
    ids: list[str] = []
    try:
        sqs = _sqs_records(event)
        if sqs is not None:
            ids = [r["messageId"] for r in sqs]
            if not sqs:  # Powertools rejects an empty batch
                return {"batchItemFailures": []}
            return dict(
                process_partial_response({**event, "Records": sqs}, record_handler, processor, context)
            )
        # A raw S3 event: any failure fails the invocation, and Lambda retries it.
        changes, problems = read_s3_event(event)
        for problem in problems:
            _skip(problem)
        ids = [c.identity for c in changes]
        outcomes = [_publish_logged(c, context) for c in changes]
        return {"outcomes": outcomes, "skipped": problems} if problems else {"outcomes": outcomes}
    finally:
        pub.flush(batch_id(ids))
