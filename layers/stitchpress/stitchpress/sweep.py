"""The sweep: every minute (EventBridge `rate(1 minute)` on AWS; every few seconds under
`stitchpress local up`), enqueue on the publish queue each pending go-live or expiry that falls
due before the next sweep.

An entry due within the look-ahead is sent with SQS DelaySeconds until its time, so a post goes
live at its second, not up to a minute late; the publish checks the time again and never shows a
post early (if its clock is behind, it holds the post once more and the next sweep sends it).
An entry is removed only after SQS accepted its message; a sweep that fails midway leaves the
rest for the next one, and a message sent twice is applied once (the publish is idempotent on
the draft change and its due time). functions/sweep/app.py re-exports `handler`.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import clock
from .events import scheduled_event
from .pending import Due, PendingIndex

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10  # SendMessageBatch's limit
MAX_DELAY = 900  # seconds: SQS's DelaySeconds limit
DEFAULT_LOOKAHEAD = 60  # seconds: the schedule's rate, so each entry is sent by the sweep before it

# The sweep function's environment (template.yaml sets exactly these; tests/unit/test_template.py).
ENV_VARS: dict[str, str] = {
    "INDEX_TABLE": "DynamoDB table holding the pending index (pk PENDING)",
    "PUBLISH_QUEUE_URL": "the publish queue the due changes are sent to",
    "SWEEP_LOOKAHEAD_SECONDS": "entries due within this many seconds are sent now, delayed until due",
}


def delay_seconds(due: datetime, now: datetime) -> int:
    """Whole seconds until `due`, rounded up: a message never arrives before its time."""
    return max(0, min(MAX_DELAY, math.ceil((due - now).total_seconds())))


def sweep(
    pending: PendingIndex, sqs: SQSClient, queue_url: str, now: datetime, lookahead: float = 0
) -> list[Due]:
    """Send every entry due by `now` + `lookahead` seconds; the entries sent, earliest first."""
    if not 0 <= lookahead <= MAX_DELAY:
        raise ValueError(f"lookahead must be 0-{MAX_DELAY} seconds (SQS's longest delay), got {lookahead}")
    due = list(pending.due_by(now + timedelta(seconds=lookahead)))
    sent: list[Due] = []
    for start in range(0, len(due), SQS_BATCH):
        batch = due[start : start + SQS_BATCH]
        resp = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": json.dumps(scheduled_event(entry.change)),
                    "DelaySeconds": delay_seconds(entry.due, now),
                }
                for n, entry in enumerate(batch)
            ],
        )
        accepted = {int(ok["Id"]) for ok in resp.get("Successful", [])}
        for n, entry in enumerate(batch):
            if n in accepted:
                pending.sent(entry)  # a failed one stays for the next sweep
                sent.append(entry)
    return sent


@lru_cache(maxsize=1)
def _clients() -> tuple[DynamoDBClient, SQSClient]:
    import boto3  # deferred, as in the publish handler

    session = boto3.session.Session()
    return session.client("dynamodb"), session.client("sqs")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The sweep function: the scheduled event itself carries nothing we need."""
    ddb, sqs = _clients()
    pending = PendingIndex(ddb, os.environ["INDEX_TABLE"])
    lookahead = float(os.environ.get("SWEEP_LOOKAHEAD_SECONDS") or DEFAULT_LOOKAHEAD)
    now = clock.now()
    sent = sweep(pending, sqs, os.environ["PUBLISH_QUEUE_URL"], now, lookahead)
    result = {
        "swept_at": now.isoformat(timespec="seconds"),
        "enqueued": [{"draft": e.key, "due": e.change.due} for e in sent],
    }
    print(json.dumps(result))  # one structured log line per sweep (CloudWatch Logs)
    return result
