"""The sweep: every minute (EventBridge `rate(1 minute)` on AWS; every few seconds under
`stitchpress local up`), enqueue on the publish queue each pending go-live or expiry that falls
due before the next sweep.

An entry due within the look-ahead is sent with SQS DelaySeconds until its time, so a post goes
live at its second, not up to a minute late; the publish checks the time again and never shows a
post early (if its clock is behind, it holds the post once more and the next sweep sends it).
An entry is removed only after SQS accepted its message; a sweep that fails midway leaves the
rest for the next one, and a message sent twice is applied once (the publish is idempotent on
the draft change and its due time). functions/sweep/app.py re-exports `handler`.

The sweep also starts the search job (stitchpress.service.search_job): when the publishes that marked
search dirty have been quiet for SEARCH_QUIET_SECONDS (or the first of them is
SEARCH_LONGEST_SECONDS old), it sends one message to the search queue and then clears the mark,
unless a publish came in between (then a later sweep starts another job). A burst of publishes
therefore costs one index build, not one per post.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..aws.pending import Due, PendingIndex
from ..aws.search_store import SearchStore
from ..core import clock
from ..core.events import scheduled_event
from ..core.search import due as search_is_due
from .config import TABLE_NAME, EnvReader, in_lambda

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10  # SendMessageBatch's limit
MAX_DELAY = 900  # seconds: SQS's DelaySeconds limit
DEFAULT_LOOKAHEAD = 60  # seconds: the schedule's rate, so each entry is sent by the sweep before it
DEFAULT_SEARCH_QUIET = 30  # seconds without a publish before the search index is rebuilt
DEFAULT_SEARCH_LONGEST = 300  # seconds: the longest a publish waits for search in a long burst

# The sweep function's environment (template.yaml sets exactly these; tests/unit/test_template.py).
ENV_VARS: dict[str, str] = {
    "INDEX_TABLE": "DynamoDB table holding the pending index (pk PENDING)",
    "PUBLISH_QUEUE_URL": "the publish queue the due changes are sent to",
    "SWEEP_LOOKAHEAD_SECONDS": "entries due within this many seconds are sent now, delayed until due",
    "SEARCH_QUEUE_URL": "the search job's queue: one message starts one rebuild of the search index",
    "SEARCH_QUIET_SECONDS": "rebuild the search index once publishes have paused this long",
    "SEARCH_LONGEST_SECONDS": "or once the oldest change not yet searchable is this old",
}


SOURCES: dict[str, str] = {
    "INDEX_TABLE": "resource IndexTable, Output IndexTableName",
    "PUBLISH_QUEUE_URL": "resource PublishQueue, Output PublishQueueUrl",
    "SWEEP_LOOKAHEAD_SECONDS": "SweepFunction's Environment",
    "SEARCH_QUEUE_URL": "resource SearchQueue, Output SearchQueueUrl",
    "SEARCH_QUIET_SECONDS": "SweepFunction's Environment",
    "SEARCH_LONGEST_SECONDS": "SweepFunction's Environment",
}


@dataclass(frozen=True)
class SweepConfig:
    index_table: str
    publish_queue_url: str
    search_queue_url: str
    lookahead: float = DEFAULT_LOOKAHEAD
    search_quiet: float = DEFAULT_SEARCH_QUIET
    search_longest: float = DEFAULT_SEARCH_LONGEST

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, lambda_mode: bool | None = None
    ) -> SweepConfig:
        """The sweep's settings, each checked; in Lambda every variable is required (as
        config.Config.from_env), elsewhere the durations have defaults."""
        e = os.environ if env is None else env
        strict = in_lambda(e) if lambda_mode is None else lambda_mode
        required = set(ENV_VARS) if strict else {"INDEX_TABLE", "PUBLISH_QUEUE_URL", "SEARCH_QUEUE_URL"}
        r = EnvReader(e, required, SOURCES)
        config = cls(
            index_table=r.text(
                "INDEX_TABLE", form=TABLE_NAME if strict else None, hint="a DynamoDB table name"
            ),
            publish_queue_url=r.url("PUBLISH_QUEUE_URL", ""),
            search_queue_url=r.url("SEARCH_QUEUE_URL", ""),
            lookahead=r.seconds("SWEEP_LOOKAHEAD_SECONDS", DEFAULT_LOOKAHEAD, MAX_DELAY),
            search_quiet=r.seconds("SEARCH_QUIET_SECONDS", DEFAULT_SEARCH_QUIET, 24 * 3600),
            search_longest=r.seconds("SEARCH_LONGEST_SECONDS", DEFAULT_SEARCH_LONGEST, 24 * 3600),
        )
        r.done("the sweep function's configuration" + (" (Lambda)" if strict else ""))
        return config


# In Lambda a missing or malformed variable fails the cold start, naming it; elsewhere (the
# local stack, tests) the environment is read at each sweep.
_LAMBDA_CONFIG = SweepConfig.from_env() if in_lambda() else None


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


def start_search(
    store: SearchStore, sqs: Any, queue_url: str, now: datetime, quiet: float, longest: float
) -> bool:
    """Send one "rebuild the search index" message when search.due() says so; whether it did.
    The mark is cleared after the send (a failed send leaves it for the next sweep), and only
    if no publish marked it since it was read."""
    marker = store.marker()
    if marker is None or not search_is_due(marker, now, quiet, longest):
        return False
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps({"search": "rebuild", "since": marker.since.isoformat()}),
        # A FIFO queue with one group: one job at a time. A sweep that sends the same mark again
        # (it failed before clearing it) is deduplicated by SQS for 5 minutes.
        MessageGroupId="search",
        MessageDeduplicationId=hashlib.sha256(f"{marker.since}|{marker.last}".encode()).hexdigest(),
    )
    store.clear(marker)
    return True


@lru_cache(maxsize=1)
def _clients() -> tuple[DynamoDBClient, SQSClient]:
    import boto3  # deferred, as in the publish handler

    session = boto3.session.Session()
    return session.client("dynamodb"), session.client("sqs")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The sweep function: the scheduled event itself carries nothing we need."""
    ddb, sqs = _clients()
    config = _LAMBDA_CONFIG or SweepConfig.from_env()
    now = clock.now()
    sent = sweep(PendingIndex(ddb, config.index_table), sqs, config.publish_queue_url, now, config.lookahead)
    search = start_search(
        SearchStore(ddb, config.index_table),
        sqs,
        config.search_queue_url,
        now,
        config.search_quiet,
        config.search_longest,
    )
    result = {
        "swept_at": now.isoformat(timespec="seconds"),
        "enqueued": [{"draft": e.key, "due": e.change.due} for e in sent],
        "search_started": search,
    }
    print(json.dumps(result))  # one structured log line per sweep (CloudWatch Logs)
    return result
