"""The image function's Lambda entry point (functions/images/app.py re-exports `handler`).

S3 -> SQS (the image queue) -> Lambda, one message per S3 event; failures are reported per
message, so only they are retried and, in the end, dead-lettered. Processing an image twice
writes the same derivatives and record again, so redeliveries need no idempotency store.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..core.events import changes_from_s3_event, is_test_event
from .config import in_lambda
from .image_publish import ImageConfig, ImageOutcome, ImagePublisher, is_image_source_key
from .logs import log_outcome
from .tracing import capture_lambda_handler

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

_METRIC = {"published": "ImagesPublished", "rejected": "ImagesRejected", "removed": "ImagesRemoved"}


@lru_cache(maxsize=1)
def config() -> ImageConfig:
    """The function's settings, read and checked once per execution environment."""
    return ImageConfig.from_env()


if in_lambda():
    config()  # a missing or malformed variable fails the cold start, naming it (as handler.py)


@lru_cache(maxsize=1)
def publisher() -> ImagePublisher:
    import boto3

    session = boto3.session.Session()
    return ImagePublisher(
        config(),
        s3=session.client("s3"),
        dynamodb=session.client("dynamodb"),
        sqs=session.client("sqs"),
    )


def reset() -> None:
    """Forget the clients (the local stack and tests start new endpoints in one process)."""
    config.cache_clear()
    publisher.cache_clear()


def apply_event(event: S3Event | dict[str, Any]) -> list[ImageOutcome]:
    outcomes = []
    for change in changes_from_s3_event(event, accept=is_image_source_key):
        outcome = publisher().apply(change)
        log_outcome(
            logger,
            metrics,
            _METRIC,
            change.key,
            outcome.status,
            image=change.key,
            errors=outcome.errors,
            messages=outcome.errors,  # what `local up` prints (stitchpress.local.console)
            refreshed=outcome.refreshed,
        )
        outcomes.append(outcome)
    return outcomes


def record_handler(record: SQSRecord) -> None:
    if not is_test_event(record.json_body):
        apply_event(record.decoded_nested_s3_event)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records", [])
    if records and records[0].get("eventSource") == "aws:sqs":
        return dict(process_partial_response(event, record_handler, processor, context))
    # A raw S3 event (sam local invoke -e ...): any failure fails the invocation.
    return {"outcomes": [{"key": o.key, "status": o.status, "errors": o.errors} for o in apply_event(event)]}
