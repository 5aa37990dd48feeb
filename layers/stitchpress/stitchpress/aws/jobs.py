"""The rebuild job's record in the index table (DynamoDB adapter; the job itself: stitchpress.core.fanout).

Two kinds of item:
- job     pk="JOB"       sk="REBUILD"      the current (or last) job: its id, state, chunks done
          and total, retried attempts, objects changed, times, invalidation and report. One
          item, so a second job is refused while one runs (a conditional put).
- chunk   pk="JOB#<id>"  sk="CHUNK#<n>"    a chunk's work (the message it was sent as), `done`
          once counted, and `paths`: the site keys its attempts were about to write, recorded
          before writing (as a publish records them on the draft's head item), so the job's one
          invalidation covers a write whose attempt died before counting the chunk; past
          MAX_RECORDED_PATHS keys at once, `everything` instead (the invalidation is then `/*`).
          sk="FINAL": the same for the overviews, sitemaps and static files of the last step.
          The last step deletes them once the job has succeeded (`forget`); every one also
          carries `purge_at` (epoch seconds, KEEP_SECONDS on), the table's time-to-live
          attribute, so DynamoDB removes the ones a failed job (or a late duplicate) leaves.

A chunk is counted once however often it is delivered: `done` on its item and the job's counter
change in one transaction, on condition the chunk was not done.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..core import clock
from ..core.fanout import RUNNING_STATES, STALE_SECONDS, Chunk, Job
from . import parallel
from .query import query_items

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_dynamodb import DynamoDBClient

JOB_KEY = {"pk": {"S": "JOB"}, "sk": {"S": "REBUILD"}}
FINAL = "FINAL"
MAX_RECORDED_PATHS = 2_000  # keys one record keeps (~100 KB); more: "everything" (one `/*`)
MAX_BATCH_WRITE = 25  # DynamoDB's limit per BatchWriteItem
# The index table's time-to-live attribute (template.yaml TimeToLiveSpecification); only a
# job's chunk records carry it. A week: long after any job ends (STALE_SECONDS), long enough to
# look into a failed one.
PURGE_ATTRIBUTE = "purge_at"
KEEP_SECONDS = 7 * 86_400
BATCH_WRITE_ATTEMPTS = 8


class JobRunning(Exception):
    """Another rebuild job is running: it must end (or go stale) before a new one starts."""

    def __init__(self, job: Job | None) -> None:
        super().__init__(job.id if job else "?")
        self.job = job


def _time(t: datetime) -> str:
    # One fixed format in UTC, so times compare as strings in conditions.
    return t.astimezone(UTC).isoformat(timespec="milliseconds")


def _chunk_key(job_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": sk}}


def _purge_at() -> dict[str, str]:
    # Epoch seconds: DynamoDB compares the attribute with its own clock.
    return {"N": str(int(clock.now().timestamp()) + KEEP_SECONDS)}


def chunk_sk(number: int) -> str:
    return f"CHUNK#{number:06d}"


def _job(item: dict[str, Any]) -> Job:
    def s(name: str) -> str | None:
        value = item.get(name, {}).get("S")
        return str(value) if value is not None else None

    def n(name: str) -> int:
        return int(item.get(name, {}).get("N", "0"))

    ended = s("ended")
    return Job(
        id=s("id") or "",
        state=s("state") or "",
        posts=bool(item.get("posts", {}).get("BOOL", False)),
        started=datetime.fromisoformat(s("started") or "1970-01-01T00:00:00+00:00"),
        updated=datetime.fromisoformat(s("updated") or "1970-01-01T00:00:00+00:00"),
        total=n("total") if "total" in item else None,
        done=n("done"),
        retries=n("retries"),
        changed=n("changed"),
        ended=datetime.fromisoformat(ended) if ended else None,
        error=s("error"),
        invalidation=s("invalidation"),
        report=s("report"),
    )


class JobStore:
    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self.db = dynamodb
        self.table = table

    def get(self) -> Job | None:
        item = self.db.get_item(TableName=self.table, Key=JOB_KEY, ConsistentRead=True).get("Item")
        return _job(item) if item else None

    def start(self, job_id: str, *, posts: bool, now: datetime, stale_after: float = STALE_SECONDS) -> Job:
        """Record a new job, unless one is running (and advanced within `stale_after` seconds):
        then JobRunning names it."""
        stamp = _time(now)
        stale = _time(datetime.fromtimestamp(now.timestamp() - stale_after, UTC))
        item: dict[str, Any] = {
            **JOB_KEY,
            "id": {"S": job_id},
            "state": {"S": "starting"},
            "posts": {"BOOL": posts},
            "started": {"S": stamp},
            "updated": {"S": stamp},
            "done": {"N": "0"},
            "retries": {"N": "0"},
            "changed": {"N": "0"},
        }
        try:
            self.db.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR NOT #s IN (:a, :b, :c) OR #u < :stale",
                ExpressionAttributeNames={"#s": "state", "#u": "updated"},
                ExpressionAttributeValues={
                    **{f":{k}": {"S": state} for k, state in zip("abc", RUNNING_STATES, strict=True)},
                    ":stale": {"S": stale},
                },
            )
        except self.db.exceptions.ConditionalCheckFailedException as e:
            raise JobRunning(self.get()) from e
        return _job(item)

    # --- the coordinator ----------------------------------------------------------------------

    def chunks(self, job_id: str) -> list[tuple[Chunk, bool]]:
        """The job's chunks as planned, each with whether it is counted done."""
        out: list[tuple[Chunk, bool]] = []
        for item in self._query(job_id, "spec, done"):
            if "spec" in item:
                out.append((Chunk.from_json(json.loads(item["spec"]["S"])), "done" in item))
        return sorted(out, key=lambda c: c[0].number)

    def plan(self, job_id: str, chunks: list[Chunk], now: datetime) -> bool:
        """Store the chunks, then the job's total (only once: False when an earlier delivery of
        the start message stored it already, or the job is no longer this one)."""
        items = [
            {
                "PutRequest": {
                    "Item": {
                        **_chunk_key(job_id, chunk_sk(c.number)),
                        "spec": {"S": json.dumps(c.to_json())},
                        PURGE_ATTRIBUTE: _purge_at(),
                    }
                }
            }
            for c in chunks
        ]
        parallel.each(
            self._batch_write, [items[i : i + MAX_BATCH_WRITE] for i in range(0, len(items), MAX_BATCH_WRITE)]
        )
        try:
            self.db.update_item(
                TableName=self.table,
                Key=JOB_KEY,
                UpdateExpression="SET #t = :t, #s = :running, #u = :u",
                ConditionExpression="#i = :id AND attribute_not_exists(#t)",
                ExpressionAttributeNames={"#t": "total", "#s": "state", "#u": "updated", "#i": "id"},
                ExpressionAttributeValues={
                    ":t": {"N": str(len(chunks))},
                    ":running": {"S": "running"},
                    ":u": {"S": _time(now)},
                    ":id": {"S": job_id},
                },
            )
        except self.db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        todo: dict[str, Any] = {self.table: requests}
        for _ in range(BATCH_WRITE_ATTEMPTS):
            todo = self.db.batch_write_item(RequestItems=todo).get("UnprocessedItems") or {}
            if not todo:
                return
        raise RuntimeError(f"DynamoDB left {len(todo[self.table])} chunk records unwritten (throttled)")

    # --- chunks -------------------------------------------------------------------------------

    def record_paths(self, job_id: str, sk: str, keys: Iterable[str]) -> None:
        """Before writing: the keys go on the chunk's item, for the job's invalidation. More than
        MAX_RECORDED_PATHS keys at once (a listing of thousands of pages) are recorded as
        "everything": the job's invalidation is then `/*`, and the item stays far below
        DynamoDB's 400 KB."""
        wanted = sorted(set(keys))
        # A record made here (the last step's, or a duplicate's after `forget`) expires too.
        names = {"#x": PURGE_ATTRIBUTE}
        values: dict[str, Any] = {":x": _purge_at()}
        if len(wanted) > MAX_RECORDED_PATHS:
            update = "SET #x = if_not_exists(#x, :x), #a = :t"
            names["#a"], values[":t"] = "everything", {"BOOL": True}
        else:
            update = "SET #x = if_not_exists(#x, :x) ADD #p :p"
            names["#p"], values[":p"] = "paths", {"SS": wanted}
        self.db.update_item(
            TableName=self.table,
            Key=_chunk_key(job_id, sk),
            UpdateExpression=update,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def complete(self, job_id: str, number: int, changed: int, now: datetime) -> bool:
        """Count the chunk done, once: False when it was counted already (or the job is another)."""
        try:
            self.db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": _chunk_key(job_id, chunk_sk(number)),
                            "UpdateExpression": "SET #d = :t",
                            "ConditionExpression": "attribute_exists(#sp) AND attribute_not_exists(#d)",
                            "ExpressionAttributeNames": {"#d": "done", "#sp": "spec"},
                            "ExpressionAttributeValues": {":t": {"BOOL": True}},
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": JOB_KEY,
                            "UpdateExpression": "SET #u = :u ADD #d :one, #c :c",
                            "ConditionExpression": "#i = :id",
                            "ExpressionAttributeNames": {
                                "#u": "updated",
                                "#d": "done",
                                "#c": "changed",
                                "#i": "id",
                            },
                            "ExpressionAttributeValues": {
                                ":u": {"S": _time(now)},
                                ":one": {"N": "1"},
                                ":c": {"N": str(changed)},
                                ":id": {"S": job_id},
                            },
                        }
                    },
                ]
            )
        except self.db.exceptions.TransactionCanceledException:
            return False
        return True

    def claim_finish(self, job_id: str, number: int, now: datetime) -> bool:
        """The chunk that finds every chunk done takes the last step; a retry of that same chunk
        may take it again (its first attempt may have died in it)."""
        try:
            self.db.update_item(
                TableName=self.table,
                Key=JOB_KEY,
                UpdateExpression="SET #s = :finishing, #f = :n, #u = :u",
                ConditionExpression=(
                    "#i = :id AND ((#s = :running AND #d = #t) OR (#s = :finishing AND #f = :n))"
                ),
                ExpressionAttributeNames={
                    "#s": "state",
                    "#f": "finisher",
                    "#u": "updated",
                    "#i": "id",
                    "#d": "done",
                    "#t": "total",
                },
                ExpressionAttributeValues={
                    ":finishing": {"S": "finishing"},
                    ":running": {"S": "running"},
                    ":n": {"N": str(number)},
                    ":u": {"S": _time(now)},
                    ":id": {"S": job_id},
                },
            )
        except self.db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def paths(self, job_id: str) -> set[str] | None:
        """Every site key the job's chunks and last step recorded; None when one of them
        recorded "everything"."""
        out: set[str] = set()
        for item in self._query(job_id, "paths, everything"):
            if "everything" in item:
                return None
            out.update(item.get("paths", {}).get("SS", []))
        return out

    def forget(self, job_id: str) -> int:
        """Delete the job's chunk records (its record JOB/REBUILD stays): the last step's final
        act. Idempotent: a retry deletes what is left. How many were deleted."""
        keys = [
            {"DeleteRequest": {"Key": {"pk": {"S": f"JOB#{job_id}"}, "sk": item["sk"]}}}
            for item in self._query(job_id, "sk")
        ]
        parallel.each(
            self._batch_write, [keys[i : i + MAX_BATCH_WRITE] for i in range(0, len(keys), MAX_BATCH_WRITE)]
        )
        return len(keys)

    def _query(self, job_id: str, projection: str) -> Iterable[dict[str, Any]]:
        names = {f"#{n.strip()}": n.strip() for n in projection.split(",")}
        return query_items(
            self.db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"JOB#{job_id}"}},
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
            ConsistentRead=True,
        )

    # --- the end ------------------------------------------------------------------------------

    def finish(
        self, job_id: str, now: datetime, *, changed: int, invalidation: str | None, report: str
    ) -> None:
        values: dict[str, Any] = {
            ":ok": {"S": "succeeded"},
            ":now": {"S": _time(now)},
            ":c": {"N": str(changed)},
            ":r": {"S": report},
            ":id": {"S": job_id},
        }
        update = "SET #s = :ok, #e = :now, #u = :now, #c = :c, #r = :r"
        if invalidation:
            update += ", #v = :v"
            values[":v"] = {"S": invalidation}
        self.db.update_item(
            TableName=self.table,
            Key=JOB_KEY,
            UpdateExpression=update,
            ConditionExpression="#i = :id",
            ExpressionAttributeNames={
                "#s": "state",
                "#e": "ended",
                "#u": "updated",
                "#c": "changed",
                "#r": "report",
                "#i": "id",
                **({"#v": "invalidation"} if invalidation else {}),
            },
            ExpressionAttributeValues=values,
        )

    def note_failure(self, job_id: str, error: str, now: datetime, *, final: bool) -> None:
        """A chunk's attempt failed: count it; when it was the last attempt (the message goes to
        the dead-letter queue), the job has failed, and says why."""
        names = {"#r": "retries", "#u": "updated", "#i": "id", "#s": "state"}
        values: dict[str, Any] = {
            ":one": {"N": "1"},
            ":u": {"S": _time(now)},
            ":id": {"S": job_id},
            **{f":{k}": {"S": state} for k, state in zip("abc", RUNNING_STATES, strict=True)},
        }
        update = "SET #u = :u ADD #r :one"
        if final:
            update = "SET #u = :u, #s = :failed, #e = :u, #x = :x ADD #r :one"
            names.update({"#e": "ended", "#x": "error"})
            values.update({":failed": {"S": "failed"}, ":x": {"S": error[:2000]}})
        # Another job by now, or this one ended: nothing to note.
        with contextlib.suppress(self.db.exceptions.ConditionalCheckFailedException):
            self.db.update_item(
                TableName=self.table,
                Key=JOB_KEY,
                UpdateExpression=update,
                ConditionExpression="#i = :id AND #s IN (:a, :b, :c)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
