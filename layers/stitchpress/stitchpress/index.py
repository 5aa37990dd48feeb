"""The DynamoDB tag index: the single source of truth for listings.

One table, two kinds of item:
- the post item   pk="POST#<draft key>"  sk="POST"   (its summary and the draft version applied)
- memberships     pk="LIST#<listing>"    sk="<UTC instant>#<draft key>"  (a summary copy, so a
  listing page is one bounded Query, newest first)
Listings are "home", "tag/<key>", "category/<key>" and "month/<yyyy>/<mm>".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .model import PostSummary, Term

HOME = "home"


def listings_of(post: PostSummary) -> set[str]:
    """Every listing a post appears on."""
    out = {HOME, f"month/{post.date:%Y}/{post.date:%m}"}
    out.update(f"tag/{t.key}" for t in post.tags)
    out.update(f"category/{c.key}" for c in post.categories)
    return out


def sort_key(post: PostSummary) -> str:
    instant = post.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{instant}#{post.source_key}"


@dataclass(frozen=True)
class IndexedPost:
    summary: PostSummary
    state: dict[str, str] = field(default_factory=dict)  # version_id, etag, sequencer... of the draft applied


# --- attribute (de)serialisation: the low-level client keeps imports cheap ------------------------


def _terms(terms: Iterable[Term]) -> dict[str, Any]:
    return {"L": [{"M": {"k": {"S": t.key}, "n": {"S": t.name}}} for t in terms]}


def _summary_attrs(p: PostSummary) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "source_key": {"S": p.source_key},
        "title": {"S": p.title},
        "date": {"S": p.date.isoformat()},
        "url": {"S": p.url},
        "excerpt": {"S": p.excerpt},
        "tags": _terms(p.tags),
        "categories": _terms(p.categories),
    }
    if p.author:
        attrs["author"] = {"S": p.author}
    if p.lang:
        attrs["lang"] = {"S": p.lang}
    return attrs


def _summary(item: dict[str, Any]) -> PostSummary:
    def terms(name: str) -> tuple[Term, ...]:
        return tuple(
            Term(key=t["M"]["k"]["S"], name=t["M"]["n"]["S"]) for t in item.get(name, {}).get("L", [])
        )

    return PostSummary(
        source_key=item["source_key"]["S"],
        title=item["title"]["S"],
        date=datetime.fromisoformat(item["date"]["S"]),
        url=item["url"]["S"],
        excerpt=item.get("excerpt", {}).get("S", ""),
        author=item.get("author", {}).get("S"),
        tags=terms("tags"),
        categories=terms("categories"),
        lang=item.get("lang", {}).get("S"),
    )


class PostIndex:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.db = dynamodb
        self.table = table

    def get_post(self, source_key: str) -> IndexedPost | None:
        resp = self.db.get_item(
            TableName=self.table,
            Key={"pk": {"S": f"POST#{source_key}"}, "sk": {"S": "POST"}},
            ConsistentRead=True,
        )
        item = resp.get("Item")
        if not item:
            return None
        state = {k: v["S"] for k, v in item.get("state", {}).get("M", {}).items()}
        return IndexedPost(summary=_summary(item), state=state)

    def save_post(self, post: PostSummary, state: dict[str, str], old: IndexedPost | None) -> None:
        """Write the post and its memberships, and remove its stale memberships, atomically."""
        new_members = {(f"LIST#{name}", sort_key(post)) for name in listings_of(post)}
        old_members: set[tuple[str, str]] = set()
        if old is not None:
            old_members = {(f"LIST#{name}", sort_key(old.summary)) for name in listings_of(old.summary)}
        summary = _summary_attrs(post)
        ops: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        "pk": {"S": f"POST#{post.source_key}"},
                        "sk": {"S": "POST"},
                        **summary,
                        "state": {"M": {k: {"S": v} for k, v in state.items()}},
                    },
                }
            }
        ]
        ops += [
            {"Put": {"TableName": self.table, "Item": {"pk": {"S": pk}, "sk": {"S": sk}, **summary}}}
            for pk, sk in sorted(new_members)
        ]
        ops += [
            {"Delete": {"TableName": self.table, "Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
            for pk, sk in sorted(old_members - new_members)
        ]
        self._transact(ops)

    def remove_post(self, old: IndexedPost) -> None:
        ops: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": {"pk": {"S": f"POST#{old.summary.source_key}"}, "sk": {"S": "POST"}},
                }
            }
        ]
        ops += [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": {"pk": {"S": f"LIST#{name}"}, "sk": {"S": sort_key(old.summary)}},
                }
            }
            for name in sorted(listings_of(old.summary))
        ]
        self._transact(ops)

    def _transact(self, ops: Sequence[dict[str, Any]]) -> None:
        # DynamoDB caps a transaction at 100 items; validation caps tags and categories well below.
        self.db.transact_write_items(TransactItems=list(ops))

    def listing(self, name: str, limit: int) -> list[PostSummary]:
        """The newest `limit` posts of a listing: one Query, a bounded read."""
        resp = self.db.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"LIST#{name}"}},
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
        return [_summary(i) for i in resp.get("Items", [])]

    def neighbours(self, post: PostSummary) -> tuple[PostSummary | None, PostSummary | None]:
        """The previous (older) and next (newer) post on the home listing."""
        sk = sort_key(post)

        def one(op: str, forward: bool) -> PostSummary | None:
            resp = self.db.query(
                TableName=self.table,
                KeyConditionExpression=f"pk = :pk AND sk {op} :sk",
                ExpressionAttributeValues={":pk": {"S": f"LIST#{HOME}"}, ":sk": {"S": sk}},
                ScanIndexForward=forward,
                Limit=1,
                ConsistentRead=True,
            )
            items = resp.get("Items", [])
            return _summary(items[0]) if items else None

        return one("<", False), one(">", True)
