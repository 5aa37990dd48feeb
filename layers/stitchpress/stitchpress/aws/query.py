"""A DynamoDB Query read page by page (each page at most 1 MB, or `Limit` items).

Hand-written rather than boto3's `get_paginator("query")`: the same calls, without loading the
paginator model at cold start, and a caller that stops early (a generator not asked for more)
makes no further call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryOutputTypeDef


def query_pages(db: DynamoDBClient, most: int | None = None, **kwargs: Any) -> Iterator[QueryOutputTypeDef]:
    """Every page of the Query `kwargs` describes, the next one read only when asked for.
    `most`: at most that many items in all; each page's Limit asks only for those still wanted."""
    while most is None or most > 0:
        if most is not None:
            kwargs["Limit"] = most
        page = db.query(**kwargs)
        yield page
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if most is not None:
            most -= len(page.get("Items", []))


def query_items(
    db: DynamoDBClient, most: int | None = None, **kwargs: Any
) -> Iterator[dict[str, AttributeValueTypeDef]]:
    """Every item of the Query (at most `most` of them), in its order, read a page at a time."""
    for page in query_pages(db, most, **kwargs):
        yield from page.get("Items", [])
