"""The DynamoDB tag index: the single source of truth for listings.

One table (pk, sk), four kinds of item:
- post        pk="POST#<draft key>"   sk="POST"    the summary and the draft version applied
- membership  pk="LIST#<listing>"     sk="<UTC instant>#<draft key>"  a summary copy, so a
              listing page is one bounded Query, newest first
- listing     pk="LISTVER#<kind>"     sk="<listing>"  display name, post count `c` and a version
              `v` bumped by every transaction that changes the listing (renderers re-check it)
- head        pk="HEAD#<draft key>"   sk="HEAD"    the order of the last S3 event applied to the
              draft, so older events arriving late are ignored; `olds`: the earlier versions of
              the post whose pages a change has not finished rewriting (the index transaction
              sets them, the change clears them when done: a retry, or the next event, reads
              them and finishes the change; for an unpublished post they are its tombstone);
              `paths <order>`: site keys an event's attempt is about to write, recorded before
              writing and removed once invalidated, so no attempt's writes escape invalidation
- url owner   pk="URL#<url>" sk="URL"  the draft a post URL belongs to: a second draft
              resolving to the same URL is rejected instead of overwriting the page
- site        pk="SITE" sk="STATIC"  the fingerprint of the static files the bucket holds
- archive     pk="ARCHIVE"            sk="<month listing>"  the month's posts (url, title, date,
              language) as compact JSON, kept for /archives/ so that page is one Query, not one
              per month; written with the month listing's version `v` it was read at
- search      pk="SEARCH"             the posts' plain text and the "search is due" mark, written
              in the same transactions as the posts (stitchpress.aws.search_store)
Listings are "home", "tag/<key>", "category/<key>" and "month/<yyyy>/<mm>".
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from ..core import clock
from ..core.events import time_of
from ..core.model import PostSummary, Term
from ..core.plan import HOME, listings_of, sort_key
from . import parallel, search_store
from .query import query_items, query_pages

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit
MAX_BATCH_GET_KEYS = 100  # likewise
# UnprocessedKeys (throttling) are retried with capped exponential backoff and full jitter, as
# AWS advises; after the last attempt the change fails and SQS redelivers it later.
BATCH_GET_ATTEMPTS = 8
BACKOFF_BASE = 0.05  # seconds before the first retry at most; doubles each retry
ARCHIVE_MAX_BYTES = 300_000  # of one month's archive entries: DynamoDB items hold 400 KB
BACKOFF_CAP = 1.0  # seconds: the longest single wait (all of them: under 4 s)


@dataclass(frozen=True)
class IndexedPost:
    summary: PostSummary
    state: dict[str, str] = field(default_factory=dict)  # version_id, etag, order of the draft applied


@dataclass(frozen=True)
class Listing:
    name: str
    title: str
    count: int
    version: int
    updated: datetime = datetime(1970, 1, 1, tzinfo=UTC)  # when a publish last changed it
    writer: str = ""  # the order of the event that changed it last ("" before that was kept)


@dataclass(frozen=True)
class Head:
    """What a claim found on the draft's head item: the change left unfinished and the site keys
    this event's earlier attempts recorded for invalidation."""

    olds: tuple[PostSummary, ...] = ()
    paths: frozenset[str] = frozenset()


class Stale(Exception):
    """A newer event for the same draft has been applied (or claimed) already."""

    def __init__(self, source_key: str, paths: frozenset[str] = frozenset()) -> None:
        super().__init__(source_key)
        self.paths = paths  # recorded by this event's earlier attempts: still to invalidate


def paths_attribute(order: str) -> str:
    return f"paths {order}"


def returned_item(response: Mapping[str, object]) -> dict[str, Any]:
    """The item a failed condition returned (ReturnValuesOnConditionCheckFailure=ALL_OLD, or a
    transaction's cancellation reason); empty when there was none."""
    item = response.get("Item")
    return item if isinstance(item, dict) else {}


def _head(item: dict[str, Any], order: str) -> Head:
    olds = tuple(_summary(o["M"]) for o in item.get("olds", {}).get("L", []))
    return Head(olds, frozenset(item.get(paths_attribute(order), {}).get("SS", [])))


class UrlTaken(Exception):
    """The post's URL belongs to another draft."""

    def __init__(self, url: str, owner: str) -> None:
        super().__init__(f"{url} belongs to {owner}")
        self.url = url
        self.owner = owner


class Throttled(Exception):
    """DynamoDB kept keys of a batch read unprocessed; a later retry of the change may succeed."""


def _differs(stored: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
    if stored is None:
        return True
    return any(stored.get(k) != v for k, v in wanted.items()) or ("lang" in stored) != ("lang" in wanted)


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
    if p.image:
        attrs["image"] = {"S": p.image}
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
        image=item.get("image", {}).get("S"),
    )


def _indexed(item: dict[str, Any]) -> IndexedPost:
    state = {k: v["S"] for k, v in item.get("state", {}).get("M", {}).items()}
    return IndexedPost(summary=_summary(item), state=state)


def _listing(name: str, item: dict[str, Any]) -> Listing:
    updated = item.get("updated", {}).get("S")
    return Listing(
        name=name,
        title=item.get("title", {}).get("S", ""),
        count=int(item.get("c", {}).get("N", "0")),
        version=int(item.get("v", {}).get("N", "0")),
        updated=datetime.fromisoformat(updated) if updated else datetime(1970, 1, 1, tzinfo=UTC),
        writer=item.get("w", {}).get("S", ""),
    )


def _listing_key(name: str) -> dict[str, Any]:
    return {"pk": {"S": f"LISTVER#{name.partition('/')[0]}"}, "sk": {"S": name}}


def _url_key(url: str) -> dict[str, Any]:
    return {"pk": {"S": f"URL#{url}"}, "sk": {"S": "URL"}}


def _post_key(source_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"POST#{source_key}"}, "sk": {"S": "POST"}}


def _head_key(source_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"HEAD#{source_key}"}, "sk": {"S": "HEAD"}}


_STATIC_KEY = {"pk": {"S": "SITE"}, "sk": {"S": "STATIC"}}


class PostIndex:
    def __init__(
        self, dynamodb: DynamoDBClient, table: str, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.db = dynamodb
        self.table = table
        self.sleep = sleep

    # --- event order ----------------------------------------------------------------------

    def claim(self, source_key: str, order: str, kind: str, live: Callable[[], bool] = lambda: False) -> Head:
        """Record that the event with this order is being applied to the draft.

        Raises Stale when a newer event was claimed already. An equal order is the same event
        (a retry) and may proceed. Of two events with the same time and no sequencer (moto),
        the newer is the one the draft now matches (`live()`, asked only then): it takes the
        claim over, the other is stale. No fixed tie-break knows which of the two came last.
        """
        earliest = time_of(order)  # every order of this time sorts at or above it
        try:
            item = self._set_head(source_key, order, kind, "#o < :t OR #o = :o", {":t": {"S": earliest}})
        except self.db.exceptions.ConditionalCheckFailedException as e:
            held_item = returned_item(e.response)
            held = held_item.get("order", {}).get("S", "")
            if time_of(held) != earliest or not live():
                raise Stale(source_key, _head(held_item, order).paths) from e
            try:
                item = self._set_head(source_key, order, kind, "#o = :held", {":held": {"S": held}})
            except self.db.exceptions.ConditionalCheckFailedException as again:
                raise Stale(source_key, _head(returned_item(again.response), order).paths) from again
        return _head(item, order)

    def _set_head(
        self, source_key: str, order: str, kind: str, condition: str, values: dict[str, Any]
    ) -> dict[str, Any]:
        resp = self.db.update_item(
            TableName=self.table,
            Key=_head_key(source_key),
            UpdateExpression="SET #o = :o, #k = :k",
            ConditionExpression=f"attribute_not_exists(#o) OR {condition}",
            ExpressionAttributeNames={"#o": "order", "#k": "kind"},
            ExpressionAttributeValues={":o": {"S": order}, ":k": {"S": kind}, **values},
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return dict(resp.get("Attributes", {}))

    def pending(self, source_key: str, order: str) -> Head:
        """The head item's unfinished change and this event's recorded paths (no claim)."""
        item = self.db.get_item(TableName=self.table, Key=_head_key(source_key), ConsistentRead=True).get(
            "Item", {}
        )
        return _head(item, order)

    def record_paths(self, source_key: str, order: str, keys: Iterable[str]) -> None:
        """Record site keys this event is about to write, before writing them."""
        self.db.update_item(
            TableName=self.table,
            Key=_head_key(source_key),
            UpdateExpression="ADD #p :p",
            ExpressionAttributeNames={"#p": paths_attribute(order)},
            ExpressionAttributeValues={":p": {"SS": sorted(set(keys))}},
        )

    def finish(self, source_key: str, order: str, invalidated: Iterable[str], *, done: bool) -> None:
        """After the invalidation: forget the paths this event recorded and, when its change is
        `done` and no newer event holds the draft now (that one finishes the change itself), the
        unfinished change."""
        paths = sorted(set(invalidated))
        names = {"#p": paths_attribute(order)}
        values: dict[str, Any] = {":p": {"SS": paths}}
        key: dict[str, Any] = {"TableName": self.table, "Key": _head_key(source_key)}
        if done:
            try:
                self.db.update_item(
                    **key,
                    UpdateExpression="REMOVE #olds" + (" DELETE #p :p" if paths else ""),
                    ConditionExpression="#o = :o",
                    ExpressionAttributeNames={"#olds": "olds", "#o": "order", **(names if paths else {})},
                    ExpressionAttributeValues={":o": {"S": order}, **(values if paths else {})},
                )
                return
            except self.db.exceptions.ConditionalCheckFailedException:
                pass
        if paths:
            self.db.update_item(
                **key,
                UpdateExpression="DELETE #p :p",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

    def head(self, source_key: str) -> str | None:
        item = self.db.get_item(TableName=self.table, Key=_head_key(source_key), ConsistentRead=True).get(
            "Item"
        )
        return str(item["order"]["S"]) if item else None

    def _head_update(self, source_key: str, order: str, olds: Iterable[PostSummary]) -> dict[str, Any]:
        """Only if no newer event claimed the draft: record the versions whose pages the change
        is yet to rewrite (the unfinished change survives a crash right after the commit)."""
        unique = list({sort_key(p) + p.url + repr(p): p for p in olds}.values())
        return {
            "Update": {
                "TableName": self.table,
                "Key": _head_key(source_key),
                "UpdateExpression": "SET #olds = :olds" if unique else "REMOVE #olds",
                "ConditionExpression": "#o = :o",
                "ExpressionAttributeNames": {"#o": "order", "#olds": "olds"},
                "ExpressionAttributeValues": {
                    ":o": {"S": order},
                    **({":olds": {"L": [{"M": _summary_attrs(p)} for p in unique]}} if unique else {}),
                },
            }
        }

    # --- posts ----------------------------------------------------------------------------

    def get_post(self, source_key: str) -> IndexedPost | None:
        resp = self.db.get_item(
            TableName=self.table,
            Key=_post_key(source_key),
            ConsistentRead=True,
        )
        item = resp.get("Item")
        return _indexed(item) if item else None

    def get_posts(self, source_keys: Iterable[str]) -> dict[str, IndexedPost]:
        """Several posts as indexed (the ones not published are left out), in as few strongly
        consistent BatchGetItem calls as DynamoDB allows."""
        wanted = sorted(set(source_keys))
        out: dict[str, IndexedPost] = {}
        for start in range(0, len(wanted), MAX_BATCH_GET_KEYS):
            keys = [_post_key(k) for k in wanted[start : start + MAX_BATCH_GET_KEYS]]
            for item in self._batch_get(keys):
                post = _indexed(item)
                out[post.summary.source_key] = post
        return out

    def save_post(
        self,
        post: PostSummary,
        state: dict[str, str],
        old: IndexedPost | None,
        order: str,
        olds: Iterable[PostSummary] = (),
        search_text: bytes | None = None,
    ) -> None:
        """Write the post and its memberships, remove stale memberships, and bump every touched
        listing's version and count — atomically, and only if no newer event claimed the draft.
        `olds` (earlier versions still to be taken off the site) and `old` are recorded on the
        head item as the unfinished change. `search_text` (search.pack) is kept for the search
        job, which the same transaction marks due, unless the post's search record stays the
        same (an identical re-upload, a change of tags only): then no search job runs for it."""
        mark = search_store.digest(post, search_text) if search_text is not None else None
        if mark is not None:
            state = {**state, search_store.STATE_KEY: mark}
        new = listings_of(post)
        old_names = listings_of(old.summary) if old else {}
        if old is not None and old.summary == post:
            new = old_names = {}  # only the applied version changes: no listing moves
        summary = _summary_attrs(post)
        # Until the change is finished, the head names every version whose pages it (re)writes,
        # the new one included: a retry after this commit must not take the post as done.
        moves = old is None or old.summary != post
        unfinished = [
            *olds,
            *([old.summary] if old is not None and moves else []),
            *([post] if moves else []),
        ]
        ops: list[dict[str, Any]] = [
            self._head_update(post.source_key, order, unfinished),
            {
                "Put": {
                    "TableName": self.table,
                    "Item": {
                        **_post_key(post.source_key),
                        **summary,
                        "state": {"M": {k: {"S": v} for k, v in state.items()}},
                    },
                }
            },
        ]
        ops.append(self._own(post.url, post.source_key))
        if old is not None and old.summary.url != post.url:
            ops.append(self._release(old.summary.url, post.source_key))
        for name in sorted(new):
            ops.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": {"pk": {"S": f"LIST#{name}"}, "sk": {"S": sort_key(post)}, **summary},
                    }
                }
            )
        moved = old is not None and sort_key(old.summary) != sort_key(post)
        for name in sorted(old_names):
            if name not in new or moved:
                assert old is not None
                ops.append(
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": {"pk": {"S": f"LIST#{name}"}, "sk": {"S": sort_key(old.summary)}},
                        }
                    }
                )
        for name in sorted(set(new) | set(old_names)):
            delta = (name in new) - (name in old_names)
            ops.append(self._bump(name, new.get(name) or old_names.get(name, ""), delta, order))
        if search_text is not None and (old is None or old.state.get(search_store.STATE_KEY) != mark):
            ops += search_store.put_ops(self.table, post, search_text, clock.now())
        self._transact(ops)

    def remove_post(self, old: IndexedPost, order: str, olds: Iterable[PostSummary] = ()) -> None:
        names = listings_of(old.summary)
        ops: list[dict[str, Any]] = [
            self._head_update(old.summary.source_key, order, [*olds, old.summary]),
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": _post_key(old.summary.source_key),
                }
            },
            self._release(old.summary.url, old.summary.source_key),
        ]
        for name in sorted(names):
            ops.append(
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": {"pk": {"S": f"LIST#{name}"}, "sk": {"S": sort_key(old.summary)}},
                    }
                }
            )
            ops.append(self._bump(name, names[name], -1, order))
        ops += search_store.delete_ops(self.table, old.summary.source_key, clock.now())
        self._transact(ops)

    def _own(self, url: str, source_key: str) -> dict[str, Any]:
        """Claim the URL for the draft, unless another draft holds it."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": {**_url_key(url), "owner": {"S": source_key}},
                "ConditionExpression": "attribute_not_exists(#w) OR #w = :me",
                "ExpressionAttributeNames": {"#w": "owner"},
                "ExpressionAttributeValues": {":me": {"S": source_key}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _release(self, url: str, source_key: str) -> dict[str, Any]:
        """Give the URL up, if the draft holds it (posts indexed before URLs had owners don't)."""
        return {
            "Delete": {
                "TableName": self.table,
                "Key": _url_key(url),
                "ConditionExpression": "attribute_not_exists(#w) OR #w = :me",
                "ExpressionAttributeNames": {"#w": "owner"},
                "ExpressionAttributeValues": {":me": {"S": source_key}},
            }
        }

    def url_owner(self, url: str) -> str | None:
        item = self.db.get_item(TableName=self.table, Key=_url_key(url), ConsistentRead=True).get("Item")
        return str(item["owner"]["S"]) if item else None

    def _bump(self, name: str, title: str, delta: int, order: str) -> dict[str, Any]:
        """A listing's change: its count and version, and which event (`order`) changed it last."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": _listing_key(name),
                "UpdateExpression": "SET #t = :t, #u = :u, #w = :w ADD #v :one, #c :d",
                "ExpressionAttributeNames": {"#t": "title", "#u": "updated", "#w": "w", "#v": "v", "#c": "c"},
                "ExpressionAttributeValues": {
                    ":t": {"S": title},
                    ":u": {"S": clock.now().isoformat(timespec="seconds")},
                    ":w": {"S": order},
                    ":one": {"N": "1"},
                    ":d": {"N": str(delta)},
                },
            }
        }

    def keep_search_texts(self, texts: list[tuple[IndexedPost, bytes]]) -> int:
        """A rebuild's repair of search: each post's search record (search_store.text_item), where
        the index lacks it (a post published before search existed) or holds another; then search
        is marked due. A record is written only while the post is still indexed as `IndexedPost`
        says (a transaction with a condition on the post item), so a post unpublished or changed
        meanwhile keeps what its own publish wrote. How many records were written."""
        wanted = {post.summary.source_key: search_store.text_item(post.summary, text) for post, text in texts}
        keys = sorted(wanted)
        stored: dict[str, dict[str, Any]] = {}
        batches = [keys[i : i + MAX_BATCH_GET_KEYS] for i in range(0, len(keys), MAX_BATCH_GET_KEYS)]
        found = parallel.each(self._batch_get, [[search_store.text_key(k) for k in b] for b in batches])
        for item in (i for items in found for i in items):
            stored[str(item["sk"]["S"]).removeprefix("POST#")] = item
        todo = [(post, wanted[post.summary.source_key]) for post, _ in texts]
        todo = [(post, item) for post, item in todo if _differs(stored.get(post.summary.source_key), item)]
        if not todo:
            return 0
        # Marked before (a write that lands and then dies still leaves search due) and after (a
        # search job started in between may have cleared the first mark without these texts).
        self._mark_search()
        written = sum(parallel.each(lambda t: self._keep_search_text(*t), todo))
        self._mark_search()
        return written

    def _keep_search_text(self, post: IndexedPost, item: dict[str, Any]) -> bool:
        try:
            self.db.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self.table,
                            "Key": _post_key(post.summary.source_key),
                            "ConditionExpression": "#st = :st",
                            "ExpressionAttributeNames": {"#st": "state"},
                            "ExpressionAttributeValues": {
                                ":st": {"M": {k: {"S": v} for k, v in post.state.items()}}
                            },
                        }
                    },
                    {"Put": {"TableName": self.table, "Item": item}},
                ]
            )
        except self.db.exceptions.TransactionCanceledException:
            return False  # unpublished or changed since: its own publish keeps its text
        return True

    def _mark_search(self) -> None:
        self.db.update_item(**search_store.mark_op(self.table, clock.now())["Update"])

    def _transact(self, ops: list[dict[str, Any]]) -> None:
        if len(ops) > MAX_TRANSACTION_ITEMS:  # validation caps tags and categories well below this
            raise ValueError(f"a post touching {len(ops)} index items cannot be written atomically")
        try:
            # Built as plain dicts, read back below when a condition cancels the transaction.
            self.db.transact_write_items(TransactItems=cast("list[TransactWriteItemTypeDef]", ops))
        except self.db.exceptions.TransactionCanceledException as e:
            reasons = e.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise Stale(str(ops[0]["Update"]["Key"]["pk"]["S"])) from e
            for op, reason in zip(ops, reasons, strict=False):
                if (
                    reason.get("Code") == "ConditionalCheckFailed"
                    and "Put" in op
                    and "owner" in op["Put"]["Item"]
                ):
                    url = str(op["Put"]["Item"]["pk"]["S"]).removeprefix("URL#")
                    owner = (
                        returned_item(reason).get("owner", {}).get("S")
                        or self.url_owner(url)
                        or "another draft"
                    )
                    raise UrlTaken(url, owner) from e
            raise

    # --- static files --------------------------------------------------------------------

    def static_fingerprint(self) -> str | None:
        item = self.db.get_item(TableName=self.table, Key=_STATIC_KEY, ConsistentRead=True).get("Item")
        return str(item["fingerprint"]["S"]) if item else None

    def set_static_fingerprint(self, fingerprint: str) -> None:
        self.db.put_item(TableName=self.table, Item={**_STATIC_KEY, "fingerprint": {"S": fingerprint}})

    # --- listings -------------------------------------------------------------------------

    def listing(self, name: str) -> Listing:
        item = self.db.get_item(TableName=self.table, Key=_listing_key(name), ConsistentRead=True).get(
            "Item", {}
        )
        return _listing(name, item)

    def listings_named(self, names: Iterable[str]) -> dict[str, Listing]:
        """Several listings by name (a missing one has count and version 0), in as few strongly
        consistent BatchGetItem calls as DynamoDB allows (100 keys each)."""
        wanted = sorted(set(names))
        items: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), MAX_BATCH_GET_KEYS):
            keys = [_listing_key(n) for n in wanted[start : start + MAX_BATCH_GET_KEYS]]
            items.update((item["sk"]["S"], item) for item in self._batch_get(keys))
        return {n: _listing(n, items.get(n, {})) for n in wanted}

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
        items: list[dict[str, Any]] = []
        for attempt in range(BATCH_GET_ATTEMPTS):
            if attempt:
                ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
                self.sleep(random.uniform(0, ceiling))  # noqa: S311 - jitter, not a secret
            resp = self.db.batch_get_item(RequestItems=request)
            items += resp.get("Responses", {}).get(self.table, [])
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                return items
        left = len(request[self.table]["Keys"])
        raise Throttled(
            f"DynamoDB left {left} keys of table {self.table} unprocessed after {BATCH_GET_ATTEMPTS} "
            "attempts (throttled); the change fails now so that SQS retries it later"
        )

    def listings(self, kind: str) -> list[Listing]:
        """All listings of a kind ("tag", "category", "month") that hold posts."""
        items = query_items(
            self.db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"LISTVER#{kind}"}},
            ConsistentRead=True,
        )
        listings = (_listing(item["sk"]["S"], item) for item in items)
        return [lst for lst in listings if lst.count > 0]

    def newest(self, name: str, limit: int) -> list[PostSummary]:
        """The newest `limit` posts of a listing, newest first: one bounded Query."""
        return [_summary(i) for i in self._newest(name, limit)]

    # --- archive --------------------------------------------------------------------------

    def put_archive(self, name: str, version: int, posts: list[PostSummary]) -> None:
        """Keep a month's posts (newest first) for the archive page, unless a newer version of
        the month is kept already. A month too large for one item keeps its newest posts and
        how many more there are."""
        entries: list[list[str]] = []
        size = 0
        for p in posts:
            entry = [p.url, p.title, p.date.isoformat(), p.lang or ""]
            size += len(json.dumps(entry, ensure_ascii=False).encode())
            if size > ARCHIVE_MAX_BYTES:
                break
            entries.append(entry)
        # A publish that read the month later may have kept it already: then it stands.
        with contextlib.suppress(self.db.exceptions.ConditionalCheckFailedException):
            self.db.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": "ARCHIVE"},
                    "sk": {"S": name},
                    "v": {"N": str(version)},
                    "posts": {"S": json.dumps(entries, ensure_ascii=False, separators=(",", ":"))},
                    "more": {"N": str(len(posts) - len(entries))},
                },
                ConditionExpression="attribute_not_exists(#v) OR #v <= :v",
                ExpressionAttributeNames={"#v": "v"},
                ExpressionAttributeValues={":v": {"N": str(version)}},
            )

    def archive(self) -> dict[str, tuple[list[PostSummary], int]]:
        """Every kept month -> (its posts newest first, how many more it has than are kept)."""
        out: dict[str, tuple[list[PostSummary], int]] = {}
        items = query_items(
            self.db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "ARCHIVE"}},
            ConsistentRead=True,
        )
        for item in items:
            posts = [
                PostSummary(
                    source_key="",
                    url=url,
                    title=title,
                    date=datetime.fromisoformat(date),
                    lang=lang or None,
                )
                for url, title, date, lang in json.loads(item["posts"]["S"])
            ]
            out[item["sk"]["S"]] = (posts, int(item.get("more", {}).get("N", "0")))
        return out

    def newest_urls(self, name: str, limit: int) -> list[tuple[str, datetime]]:
        """(url, date) of the newest `limit` posts of a listing, newest first: what a sitemap
        needs, without reading (and parsing) the rest of each summary."""
        items = self._newest(name, limit, projection={"#u": "url", "#d": "date"})
        return [(i["url"]["S"], datetime.fromisoformat(i["date"]["S"])) for i in items]

    def _newest(
        self, name: str, limit: int, projection: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"LIST#{name}"}},
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        if projection:
            kwargs["ProjectionExpression"] = ", ".join(projection)
            kwargs["ExpressionAttributeNames"] = projection
        return list(query_items(self.db, most=limit, **kwargs))

    def newer_than(self, name: str, post: PostSummary) -> int:
        """How many posts of a listing are newer than `post` (reads only those)."""
        pages = query_pages(
            self.db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk > :sk",
            ExpressionAttributeValues={":pk": {"S": f"LIST#{name}"}, ":sk": {"S": sort_key(post)}},
            Select="COUNT",
            ConsistentRead=True,
        )
        return sum(int(page.get("Count", 0)) for page in pages)

    def neighbours(self, post: PostSummary) -> tuple[PostSummary | None, PostSummary | None]:
        """The previous (older) and next (newer) post on the home listing."""
        older, newer = self.around(post, 1)
        return (older[0] if older else None), (newer[0] if newer else None)

    def older(self, post: PostSummary, limit: int, listing: str = HOME) -> list[PostSummary]:
        """The `limit` posts just older than `post` on a listing, nearest first."""
        return self._beside(post, limit, listing, newer=False)

    def newer(self, post: PostSummary, limit: int, listing: str = HOME) -> list[PostSummary]:
        """The `limit` posts just newer than `post` on a listing, nearest first."""
        return self._beside(post, limit, listing, newer=True)

    def _beside(self, post: PostSummary, limit: int, listing: str, *, newer: bool) -> list[PostSummary]:
        resp = self.db.query(
            TableName=self.table,
            KeyConditionExpression=f"pk = :pk AND sk {'>' if newer else '<'} :sk",
            ExpressionAttributeValues={":pk": {"S": f"LIST#{listing}"}, ":sk": {"S": sort_key(post)}},
            ScanIndexForward=newer,
            Limit=limit,
            ConsistentRead=True,
        )
        return [_summary(i) for i in resp.get("Items", [])]

    def home_range(
        self, after: str | None, upto: str | None, page: int = 100
    ) -> tuple[PostSummary | None, list[PostSummary], PostSummary | None]:
        """The home listing's posts with sort keys after `after` and at most `upto` (None: no
        bound), oldest first, with the post just older and the one just newer than the range:
        their neighbours. Reads the range in pages of `page` items, and one item each side."""
        older: list[PostSummary] = []
        if after is not None:
            older = self._beside_key(after, 1, newer=False, inclusive=True)
        posts: list[PostSummary] = []
        items = query_items(
            self.db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk" + (" AND sk > :sk" if after is not None else ""),
            ExpressionAttributeValues={
                ":pk": {"S": f"LIST#{HOME}"},
                **({":sk": {"S": after}} if after is not None else {}),
            },
            ScanIndexForward=True,
            Limit=page + 1,
            ConsistentRead=True,
        )
        for item in items:
            post = _summary(item)
            if upto is not None and item["sk"]["S"] > upto:
                return (older[0] if older else None), posts, post
            posts.append(post)
        return (older[0] if older else None), posts, None

    def _beside_key(self, sk: str, limit: int, *, newer: bool, inclusive: bool = False) -> list[PostSummary]:
        op = (">" if newer else "<") + ("=" if inclusive else "")
        resp = self.db.query(
            TableName=self.table,
            KeyConditionExpression=f"pk = :pk AND sk {op} :sk",
            ExpressionAttributeValues={":pk": {"S": f"LIST#{HOME}"}, ":sk": {"S": sk}},
            ScanIndexForward=newer,
            Limit=limit,
            ConsistentRead=True,
        )
        return [_summary(i) for i in resp.get("Items", [])]

    def home_keys(self) -> list[str]:
        """The sort keys of every post on the home listing, oldest first (keys only: ~60 bytes
        a post, so 100,000 posts are a few 1 MB Query pages)."""
        items = query_items(
            self.db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"LIST#{HOME}"}},
            ProjectionExpression="#k",
            ExpressionAttributeNames={"#k": "sk"},
            ConsistentRead=True,
        )
        return [item["sk"]["S"] for item in items]

    def around(
        self, post: PostSummary, depth: int = 2, listing: str = HOME
    ) -> tuple[list[PostSummary], list[PostSummary]]:
        """The `depth` posts before (older) and after (newer) `post`'s place on a listing (the
        home listing unless named), nearest first: two posts each way on the home listing also
        tell the neighbours' own neighbours."""
        sk = sort_key(post)

        def side(op: str, forward: bool) -> list[PostSummary]:
            resp = self.db.query(
                TableName=self.table,
                KeyConditionExpression=f"pk = :pk AND sk {op} :sk",
                ExpressionAttributeValues={":pk": {"S": f"LIST#{listing}"}, ":sk": {"S": sk}},
                ScanIndexForward=forward,
                Limit=depth,
                ConsistentRead=True,
            )
            return [_summary(i) for i in resp.get("Items", [])]

        return parallel.both(lambda: side("<", False), lambda: side(">", True))
