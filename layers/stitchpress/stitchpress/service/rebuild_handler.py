"""The rebuild function's Lambda entry point (functions/rebuild/app.py re-exports `handler`).

SQS (the rebuild queue) -> Lambda, one message per invocation: a job's start message (the
coordinator splits the job) or one of its chunks (stitchpress.service.rebuild_job). A failed attempt is
counted on the job and retried; the last one (the message goes to the dead-letter queue) marks
the job failed with the reason, which `stitchpress rebuild --follow` prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..aws import parallel
from ..core import clock, fanout
from .config import SOURCES, Config, EnvReader, in_lambda
from .rebuild_job import Rebuilds
from .tracing import capture_lambda_handler

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


# The rebuild function renders the publish function's pages: its settings, and its own queue.
REBUILD_SOURCES: dict[str, str] = {
    **SOURCES,
    "REBUILD_QUEUE_URL": "resource RebuildQueue, Output RebuildQueueUrl",
}


@dataclass(frozen=True)
class RebuildConfig:
    publish: Config
    queue_url: str

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, lambda_mode: bool | None = None
    ) -> RebuildConfig:
        """The publish settings (checked as config.Config.from_env) and REBUILD_QUEUE_URL,
        required everywhere: the coordinator sends the chunks there. One error names them all."""
        e = os.environ if env is None else env
        strict = in_lambda(e) if lambda_mode is None else lambda_mode
        r = EnvReader(e, Config.required(strict) | {"REBUILD_QUEUE_URL"}, REBUILD_SOURCES)
        config = cls(publish=Config.read(r, strict), queue_url=r.url("REBUILD_QUEUE_URL", ""))
        r.done("the rebuild function's configuration" + (" (Lambda)" if strict else ""))
        return config


@lru_cache(maxsize=1)
def config() -> RebuildConfig:
    """The function's settings, read and checked once per execution environment."""
    return RebuildConfig.from_env()


if in_lambda():
    config()  # a missing or malformed variable fails the cold start, naming it (as handler.py)


@lru_cache(maxsize=1)
def rebuilds() -> Rebuilds:
    """Built once per execution environment, on first use (keeps the import cheap)."""
    import boto3

    from ..aws.jobs import JobStore
    from .publish import Publisher

    c = config()
    client = partial(boto3.session.Session().client, config=parallel.client_config())
    publisher = Publisher(
        c.publish, s3=client("s3"), dynamodb=client("dynamodb"), cloudfront=client("cloudfront")
    )
    return Rebuilds(
        publisher, JobStore(publisher.index.db, c.publish.index_table), client("sqs"), c.queue_url
    )


def reset() -> None:
    """Forget the clients (the local stack and tests start new endpoints in one process)."""
    config.cache_clear()
    rebuilds.cache_clear()


def record_handler(record: SQSRecord) -> None:
    try:
        message = fanout.read_message(record.body)
    except ValueError as e:  # a retry would fail the same way: logged, then acknowledged
        logger.warning(f"skipped: {e}", message_id=record.message_id)
        return
    what = (
        "the split" if message.chunk is None else f"chunk {message.chunk.number} ({message.chunk.describe()})"
    )
    logger.append_keys(job=message.job)
    try:
        if message.chunk is None:
            chunks = rebuilds().coordinate(message.job)
            logger.info(f"job {message.job}: {len(chunks)} chunks sent", chunks=len(chunks))
        else:
            ended = rebuilds().run_chunk(message.job, message.chunk)
            logger.info(f"job {message.job}: {what} done")
            if ended:  # `local up` prints records with a status (stitchpress.local.console)
                logger.info(f"rebuilt: job {message.job}", status="rebuilt", url=None, messages=[])
    except Exception as e:
        attempt = int(record.attributes.approximate_receive_count or "1")
        final = attempt >= fanout.MAX_RECEIVES
        logger.exception(f"job {message.job}: {what} failed (attempt {attempt}): {e!r}", attempt=attempt)
        reason = (
            f"{what} failed {attempt} times, last with {e!r}; the message is in the rebuild dead-letter queue"
        )
        rebuilds().jobs.note_failure(message.job, reason, clock.now(), final=final)
        raise


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    rebuilds().publisher.begin()  # the theme as uploaded now, and the static files' fingerprint
    return dict(process_partial_response(event, record_handler, processor, context))
