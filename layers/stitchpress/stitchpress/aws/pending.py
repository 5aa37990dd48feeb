"""The pending index: drafts to apply again at a given time (a go-live or an expiry).

Two kinds of item in the index table (stitchpress.aws.index describes the others):
- due      pk="PENDING"            sk="<due, UTC to the microsecond>#<draft key>"  what to
           re-apply: the draft version and the event order it was held under
- pointer  pk="SCHEDULE#<draft key>"  sk="SCHEDULE"  the due item's sk, so a re-dated upload
           replaces its draft's entry and a delete cancels it without searching

One partition sorted by due time, not a GSI on a due attribute: the sweep's question "what is due
by T" is one strongly consistent Query (a GSI is only eventually consistent), an entry and its
pointer change in one transaction with the event-order check, and the table needs no new index.
Scheduled posts are few (a writer's pace, not a hot key): one partition's 1,000 writes/s and
3,000 reads/s are far beyond what it sees.

Every write is conditional on the draft's event-order head still naming the event being applied
(as the post writes are), so an older event that lost the claim midway cannot overwrite the
schedule a newer one set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from ..core import clock
from ..core.events import DraftChange
from ..core.model import PostMeta
from ..core.schedule import Plan, due_key, parse_due_key, plan
from .index import Stale, _head_key  # the event-order head PostIndex.claim keeps
from .query import query_items

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

PENDING = "PENDING"
SEPARATOR = "#"
AFTER_SEPARATOR = chr(ord(SEPARATOR) + 1)  # sorts after "<due>#<any key>"
_CHANGE_FIELDS = ("bucket", "version_id", "etag", "sequencer", "event_time")


@dataclass(frozen=True)
class Due:
    """One pending entry: apply `change` (a put of one draft version) again at `due`."""

    key: str
    due: datetime
    change: DraftChange  # its `order` is the claim it was held under
    sk: str


def _pointer_key(key: str) -> dict[str, Any]:
    return {"pk": {"S": f"SCHEDULE#{key}"}, "sk": {"S": "SCHEDULE"}}


def _due_sk(due: datetime, key: str) -> str:
    return f"{due_key(due)}{SEPARATOR}{key}"


def _item(due: datetime, change: DraftChange) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": PENDING},
        "sk": {"S": _due_sk(due, change.key)},
        "key": {"S": change.key},
        "order": {"S": change.order},
    }
    for name in _CHANGE_FIELDS:
        value = getattr(change, name)
        if value:
            item[name] = {"S": value}
    return item


def _due(item: dict[str, Any]) -> Due:
    def text(name: str) -> str | None:
        value = item.get(name, {}).get("S")
        return str(value) if value else None

    sk = item["sk"]["S"]
    key = item["key"]["S"]
    change = DraftChange(
        bucket=text("bucket") or "",
        key=key,
        kind="put",
        version_id=text("version_id"),
        etag=text("etag"),
        sequencer=text("sequencer"),
        event_time=text("event_time") or "",
        due=sk.partition(SEPARATOR)[0],
        claimed=item["order"]["S"],
    )
    return Due(key=key, due=parse_due_key(change.due), change=change, sk=sk)


class PendingIndex:
    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self.db = dynamodb
        self.table = table

    # --- the publish side: set, replace, cancel -----------------------------------------------

    def scheduled(self, key: str) -> str | None:
        """The due item's sk of the draft's pending entry, if any."""
        item = self.db.get_item(TableName=self.table, Key=_pointer_key(key), ConsistentRead=True).get("Item")
        return str(item["due"]["S"]) if item else None

    def schedule(self, change: DraftChange, due: datetime) -> None:
        """Apply `change` again at `due`, replacing any earlier entry of the draft."""
        old = self.scheduled(change.key)
        item = _item(due, change)
        ops: list[dict[str, Any]] = [
            self._head_check(change),
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {**_pointer_key(change.key), "due": item["sk"]},
                }
            },
            {"Put": {"TableName": self.table, "Item": item}},
        ]
        if old is not None and old != item["sk"]["S"]:
            ops.append({"Delete": {"TableName": self.table, "Key": self._due_item_key(old)}})
        self._transact(ops)

    def cancel(self, change: DraftChange) -> bool:
        """Forget the draft's pending entry (deleted, unpublished, or nothing more due). False
        when it had none (one read, no write)."""
        old = self.scheduled(change.key)
        if old is None:
            return False
        self._transact(
            [
                self._head_check(change),
                {"Delete": {"TableName": self.table, "Key": _pointer_key(change.key)}},
                {"Delete": {"TableName": self.table, "Key": self._due_item_key(old)}},
            ]
        )
        return True

    def carry(self, change: DraftChange) -> bool:
        """A newer upload of the draft was rejected: the live site and the schedule stand, so
        the pending entry goes on under the newer event's claim (else it would be stale)."""
        old = self.scheduled(change.key)
        if old is None:
            return False
        try:
            self._transact(
                [
                    self._head_check(change),
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": self._due_item_key(old),
                            "UpdateExpression": "SET #o = :o",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeNames": {"#o": "order"},
                            "ExpressionAttributeValues": {":o": {"S": change.order}},
                        }
                    },
                ]
            )
        except Stale:
            return False  # a newer event won meanwhile, or the sweep sent the entry already
        return True

    # --- the sweep side -----------------------------------------------------------------------

    def due_by(self, when: datetime) -> Iterator[Due]:
        """Every entry due at or before `when`, earliest first."""
        items = query_items(
            self.db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk < :upto",
            ExpressionAttributeValues={
                ":pk": {"S": PENDING},
                ":upto": {"S": due_key(when) + AFTER_SEPARATOR},
            },
            ConsistentRead=True,
        )
        return (_due(item) for item in items)

    def sent(self, entry: Due) -> bool:
        """Remove an entry the sweep has enqueued, unless it changed since it was read (a new
        upload with the same due time, or a carried claim): that one is still to be sent."""
        try:
            self.db.delete_item(
                TableName=self.table,
                Key=self._due_item_key(entry.sk),
                ConditionExpression="#o = :o",
                ExpressionAttributeNames={"#o": "order"},
                ExpressionAttributeValues={":o": {"S": entry.change.order}},
            )
        except self.db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # --- helpers ------------------------------------------------------------------------------

    def _due_item_key(self, sk: str) -> dict[str, Any]:
        return {"pk": {"S": PENDING}, "sk": {"S": sk}}

    def _head_check(self, change: DraftChange) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": _head_key(change.key),
                "ConditionExpression": "#o = :o",
                "ExpressionAttributeNames": {"#o": "order"},
                "ExpressionAttributeValues": {":o": {"S": change.order}},
            }
        }

    def _transact(self, ops: list[dict[str, Any]]) -> None:
        try:
            # Built as plain dicts, read back below when a condition cancels the transaction.
            self.db.transact_write_items(TransactItems=cast("list[TransactWriteItemTypeDef]", ops))
        except self.db.exceptions.TransactionCanceledException as e:
            if any(
                r.get("Code") == "ConditionalCheckFailed" for r in e.response.get("CancellationReasons", [])
            ):
                raise Stale(str(ops[0]["ConditionCheck"]["Key"]["pk"]["S"])) from e
            raise


class Scheduler:
    """What the publish path asks at the start of a put: publish now, or hold (and until when)?
    Records the answer's next due time in the pending index, replacing or cancelling the old."""

    def __init__(self, pending: PendingIndex) -> None:
        self.pending = pending

    def gate(self, change: DraftChange, meta: PostMeta, version_id: str | None = None) -> Plan:
        """`version_id`: the draft version read (S3 events from moto name none): the one that is
        re-applied later, even if newer uploads are rejected meanwhile."""
        p = plan(meta.date, meta.expires, clock.now())
        if version_id and version_id != change.version_id:
            change = replace(change, version_id=version_id, claimed=change.order)
        if meta.draft or p.due is None:
            self.pending.cancel(change)
        else:
            self.pending.schedule(change, p.due)
        return p
