"""The index's batch reads under DynamoDB throttling: UnprocessedKeys are retried with capped
exponential backoff and jitter, and a read that stays throttled fails the change (SQS retries it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from stitchpress.aws.index import BACKOFF_BASE, BACKOFF_CAP, BATCH_GET_ATTEMPTS, PostIndex, Throttled
from stitchpress.core.model import PostSummary

TABLE = "index"


def _key(name: str) -> dict[str, Any]:
    return {"pk": {"S": "LISTVER#" + name.partition("/")[0]}, "sk": {"S": name}}


def _item(name: str, count: int) -> dict[str, Any]:
    return {**_key(name), "c": {"N": str(count)}, "v": {"N": "1"}}


def _request(*names: str) -> dict[str, Any]:
    return {"RequestItems": {TABLE: {"Keys": [_key(n) for n in names], "ConsistentRead": True}}}


def _index() -> tuple[PostIndex, Stubber, list[float]]:
    client = boto3.session.Session().client("dynamodb", region_name="us-east-1")
    waits: list[float] = []
    return PostIndex(client, TABLE, sleep=waits.append), Stubber(client), waits


def test_unprocessed_keys_are_read_again_after_growing_waits() -> None:
    index, stub, waits = _index()
    unprocessed = {TABLE: {"Keys": [_key("tag/b")], "ConsistentRead": True}}
    stub.add_response(
        "batch_get_item",
        {"Responses": {TABLE: [_item("tag/a", 3)]}, "UnprocessedKeys": unprocessed},
        _request("tag/a", "tag/b"),
    )
    stub.add_response(
        "batch_get_item", {"Responses": {TABLE: []}, "UnprocessedKeys": unprocessed}, _request("tag/b")
    )
    stub.add_response("batch_get_item", {"Responses": {TABLE: [_item("tag/b", 5)]}}, _request("tag/b"))
    with stub:
        found = index.listings_named(["tag/a", "tag/b"])
    stub.assert_no_pending_responses()
    assert {n: lst.count for n, lst in found.items()} == {"tag/a": 3, "tag/b": 5}
    assert len(waits) == 2
    assert 0 <= waits[0] <= BACKOFF_BASE and 0 <= waits[1] <= 2 * BACKOFF_BASE


def test_keys_that_stay_unprocessed_fail_the_change_after_capped_waits() -> None:
    index, stub, waits = _index()
    unprocessed = {TABLE: {"Keys": [_key("tag/a")], "ConsistentRead": True}}
    for _ in range(BATCH_GET_ATTEMPTS):
        stub.add_response("batch_get_item", {"Responses": {TABLE: []}, "UnprocessedKeys": unprocessed})
    with (
        stub,
        pytest.raises(
            Throttled, match=f"1 keys of table index unprocessed after {BATCH_GET_ATTEMPTS} attempts"
        ),
    ):
        index.listings_named(["tag/a"])
    stub.assert_no_pending_responses()  # exactly BATCH_GET_ATTEMPTS reads, no tight loop
    assert len(waits) == BATCH_GET_ATTEMPTS - 1
    ceilings = [min(BACKOFF_CAP, BACKOFF_BASE * 2**n) for n in range(len(waits))]
    assert all(0 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert sum(waits) > 0  # jittered, not all zero
    assert sum(ceilings) < 4  # the whole wait stays well inside the function's timeout


# --- Query paging: the calls each read makes (stitchpress.aws.query) ---------------------------


def _url_item(n: int) -> dict[str, Any]:
    return {"url": {"S": f"/p{n}/"}, "date": {"S": f"2025-01-{n:02d}T00:00:00+00:00"}}


def _newest_request(limit: int, start: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "LIST#home"}},
        "ScanIndexForward": False,
        "Limit": limit,
        "ConsistentRead": True,
        "ProjectionExpression": "#u, #d",
        "ExpressionAttributeNames": {"#u": "url", "#d": "date"},
        **({"ExclusiveStartKey": start} if start else {}),
    }


def test_a_page_cut_short_asks_only_for_the_rest_and_no_more_once_enough() -> None:
    index, stub, _ = _index()
    last = {"pk": {"S": "LIST#home"}, "sk": {"S": "x"}}
    # DynamoDB stops a page at 1 MB: two items of the five wanted, and a key to go on from.
    stub.add_response(
        "query", {"Items": [_url_item(9), _url_item(8)], "LastEvaluatedKey": last}, _newest_request(5)
    )
    stub.add_response(
        "query",
        {"Items": [_url_item(n) for n in (7, 6, 5)], "LastEvaluatedKey": last},
        _newest_request(3, last),
    )
    with stub:
        urls = index.newest_urls("home", 5)
    stub.assert_no_pending_responses()  # two calls: none after the fifth item, though more exist
    assert [u for u, _ in urls] == ["/p9/", "/p8/", "/p7/", "/p6/", "/p5/"]
    with stub:
        assert index.newest_urls("home", 0) == []  # no call at all


def test_a_count_adds_up_every_page() -> None:
    index, stub, _ = _index()
    last = {"pk": {"S": "LIST#tag/a"}, "sk": {"S": "x"}}
    stub.add_response("query", {"Count": 4, "ScannedCount": 4, "LastEvaluatedKey": last})
    stub.add_response("query", {"Count": 3, "ScannedCount": 3})
    post = PostSummary(source_key="drafts/a.md", title="A", date=datetime(2025, 1, 1, tzinfo=UTC), url="/a/")
    with stub:
        assert index.newer_than("tag/a", post) == 7
    stub.assert_no_pending_responses()
