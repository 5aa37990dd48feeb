"""The search job's state in the index table, all in the partition pk=SEARCH (so its functions'
IAM can be limited to it with dynamodb:LeadingKeys):

- sk=POST#<draft key>: a post's url, title, language, date and compressed plain text, written and
  deleted in the publish's own transaction (stitchpress.aws.index), so search never names a post
  the site does not have once the job has run;
- sk=DIRTY: `since` (first change not yet indexed) and `last` (latest change), set by the same
  transactions; the sweep starts the job when search.due() says so and clears it;
- sk=STALE#<time>#<n>: index files the job stopped referencing at <time>, deleted by a later
  job once the grace period has passed (a reader who loaded the old entry keeps working).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ..core.model import PostSummary
from ..core.search import Dirty, Record, language, unpack
from .query import query_items

PK = {"S": "SEARCH"}
DIRTY_KEY = {"pk": PK, "sk": {"S": "DIRTY"}}
STALE_PREFIX = "STALE#"
STALE_KEYS_PER_ITEM = 5_000  # ~40 bytes a key before compression: well under DynamoDB's 400 KB


def text_key(source_key: str) -> dict[str, Any]:
    return {"pk": PK, "sk": {"S": f"POST#{source_key}"}}


def mark_op(table: str, now: datetime) -> dict[str, Any]:
    """The transaction item that marks search dirty."""
    stamp = now.isoformat(timespec="milliseconds")
    return {
        "Update": {
            "TableName": table,
            "Key": DIRTY_KEY,
            "UpdateExpression": "SET #l = :now, #s = if_not_exists(#s, :now)",
            "ExpressionAttributeNames": {"#l": "last", "#s": "since"},
            "ExpressionAttributeValues": {":now": {"S": stamp}},
        }
    }


STATE_KEY = "search"  # in a post's index state: digest() of the search record it last wrote


def digest(post: PostSummary, text: bytes) -> str:
    """What the post's search record holds (put_ops), in short: the same digest means the record,
    and so the search index, would not change."""
    parts = [post.url, post.title, post.date.isoformat(), post.lang or ""]
    h = hashlib.sha256("\0".join(parts).encode())
    h.update(b"\0" + text)
    return h.hexdigest()[:32]


def text_item(post: PostSummary, text: bytes) -> dict[str, Any]:
    """The post's search record, as a publish writes it (and a rebuild compares it)."""
    item = {
        **text_key(post.source_key),
        "url": {"S": post.url},
        "title": {"S": post.title},
        "date": {"S": post.date.isoformat()},
        "text": {"B": text},
    }
    if post.lang:
        item["lang"] = {"S": post.lang}
    return item


def put_ops(table: str, post: PostSummary, text: bytes, now: datetime) -> list[dict[str, Any]]:
    """Transaction items of a publish: the post's text, and the dirty mark."""
    return [{"Put": {"TableName": table, "Item": text_item(post, text)}}, mark_op(table, now)]


def delete_ops(table: str, source_key: str, now: datetime) -> list[dict[str, Any]]:
    """Transaction items of an unpublish."""
    return [{"Delete": {"TableName": table, "Key": text_key(source_key)}}, mark_op(table, now)]


class SearchStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.db = dynamodb
        self.table = table

    def _query(self, prefix: str) -> Iterator[dict[str, Any]]:
        return query_items(
            self.db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={":pk": PK, ":p": {"S": prefix}},
            ConsistentRead=True,
        )

    def records(self, site_language: str) -> Iterator[Record]:
        """Every published post's record, one Query page (1 MB) at a time."""
        for item in self._query("POST#"):
            yield Record(
                url=item["url"]["S"],
                title=item["title"]["S"],
                language=language(item.get("lang", {}).get("S"), site_language),
                date=item["date"]["S"],
                text=unpack(bytes(item["text"]["B"])),
            )

    def marker(self) -> Dirty | None:
        item = self.db.get_item(TableName=self.table, Key=DIRTY_KEY, ConsistentRead=True).get("Item")
        if not item or "last" not in item:
            return None
        return Dirty(
            since=datetime.fromisoformat(item["since"]["S"]), last=datetime.fromisoformat(item["last"]["S"])
        )

    def clear(self, seen: Dirty) -> bool:
        """Clear the mark unless a change came after `seen` (then the next sweep starts another
        job); whether it was cleared."""
        try:
            self.db.delete_item(
                TableName=self.table,
                Key=DIRTY_KEY,
                ConditionExpression="#l = :seen",
                ExpressionAttributeNames={"#l": "last"},
                ExpressionAttributeValues={":seen": {"S": seen.last.isoformat(timespec="milliseconds")}},
            )
        except self.db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # --- stale index files ------------------------------------------------------------------

    def stale(self) -> list[tuple[str, datetime, set[str]]]:
        """(item sort key, when the files went unused, their site keys), oldest first."""
        found = []
        for item in self._query(STALE_PREFIX):
            sk = item["sk"]["S"]
            when = datetime.fromisoformat(sk.removeprefix(STALE_PREFIX).rsplit("#", 1)[0])
            keys = zlib.decompress(bytes(item["keys"]["B"])).decode("utf-8").split("\n")
            found.append((sk, when, {k for k in keys if k}))
        return found

    def add_stale(self, when: datetime, keys: set[str]) -> None:
        ordered = sorted(keys)
        for n, start in enumerate(range(0, len(ordered), STALE_KEYS_PER_ITEM)):
            chunk = "\n".join(ordered[start : start + STALE_KEYS_PER_ITEM]).encode("utf-8")
            self.db.put_item(
                TableName=self.table,
                Item={
                    "pk": PK,
                    "sk": {"S": f"{STALE_PREFIX}{when.isoformat(timespec='milliseconds')}#{n}"},
                    "keys": {"B": zlib.compress(chunk, 6)},
                },
            )

    def replace_stale(self, sk: str, keys: set[str]) -> None:
        """Keep only `keys` in a stale item (the others are in use again); none: delete it."""
        if not keys:
            self.db.delete_item(TableName=self.table, Key={"pk": PK, "sk": {"S": sk}})
            return
        chunk = "\n".join(sorted(keys)).encode("utf-8")
        self.db.put_item(
            TableName=self.table, Item={"pk": PK, "sk": {"S": sk}, "keys": {"B": zlib.compress(chunk, 6)}}
        )
