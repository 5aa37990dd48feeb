"""Every AWS call the handler makes is one its role in template.yaml allows, on that resource.

moto does not enforce IAM, so a call the code starts to make (a new API, another bucket prefix)
would pass every other test here and fail only once deployed, with AccessDenied. This test
records the calls of a publisher's whole life (publish, re-publish with moved tags, a theme
override, a rejected draft, unpublish) and checks each against the role's statements.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from tests.functional.conftest import Aws
from tests.helpers import allowed, draft, publish, s3_event

# TransactWriteItems is authorised per item, by the action each item performs.
_TRANSACT_ITEM_ACTION = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, dict[str, Any]]]]:
    """(service, operation, params) of every call made by clients created during the test, but
    sqs.GetQueueUrl: the library never calls it (functions are given their queues' URLs), and no
    role allows it."""
    seen: list[tuple[str, str, dict[str, Any]]] = []
    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)

        def record(params: dict[str, Any], event_name: str, **_: Any) -> None:
            _, service, op = event_name.split(".", 2)
            if (service, op) != ("sqs", "GetQueueUrl"):
                seen.append((service, op, dict(params)))

        client.meta.events.register("provide-client-params", record)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    yield seen


def required(aws: Aws, service: str, op: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, resource as template.yaml writes it) that the call needs."""
    cfg = aws.stack.config
    if service == "s3":
        buckets = {cfg.drafts_bucket: "${DraftsBucket.Arn}", cfg.site_bucket: "${SiteBucket.Arn}"}
        bucket = buckets[params["Bucket"]]
        if op == "ListObjectsV2":
            return [("s3:ListBucket", bucket)]
        obj = f"{bucket}/{params['Key']}"
        if op == "CopyObject":  # reads the source, writes the copy (and its tags)
            source = params["CopySource"]
            needs = [("s3:GetObject", f"{buckets[source['Bucket']]}/{source['Key']}"), ("s3:PutObject", obj)]
            return needs + ([("s3:PutObjectTagging", obj)] if params.get("Tagging") else [])
        action = {"HeadObject": "GetObject"}.get(op, op)
        needs = [(f"s3:{action}", obj)]
        if op == "GetObject" and params.get("VersionId"):
            needs.append(("s3:GetObjectVersion", obj))
        return needs
    if service == "dynamodb":
        tables = {cfg.index_table: "${IndexTable.Arn}", cfg.idempotency_table: "${IdempotencyTable.Arn}"}
        if op == "TransactWriteItems":
            return [
                (f"dynamodb:{_TRANSACT_ITEM_ACTION[kind]}", tables[body["TableName"]])
                for item in params["TransactItems"]
                for kind, body in item.items()
            ]
        if op == "BatchGetItem":
            return [("dynamodb:BatchGetItem", tables[name]) for name in params["RequestItems"]]
        return [(f"dynamodb:{op}", tables[params["TableName"]])]
    if service == "sqs":
        queues = {
            aws.stack.queue_url: "${PublishQueue.Arn}",
            aws.stack.image_queue_url: "${ImageQueue.Arn}",
            aws.stack.search_queue_url: "${SearchQueue.Arn}",  # the search job's start (issue 18)
        }
        action = {"SendMessageBatch": "SendMessage"}.get(op, op)
        return [(f"sqs:{action}", queues[params["QueueUrl"]])]
    if service == "cloudfront":
        return [
            (
                f"cloudfront:{op}",
                "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}",
            )
        ]
    raise AssertionError(f"unexpected call {service}.{op}")


def denied(aws: Aws, made: list[tuple[str, str, dict[str, Any]]], role: str) -> list[str]:
    """The calls that need an action `role` does not allow on that resource."""
    out = set()
    for service, op, params in made:
        for action, res in required(aws, service, op, params):
            if not any(fnmatch.fnmatchcase(res, pattern) for pattern in allowed(action, role)):
                out.add(f"{service}.{op} needs {action} on {res}")
    return sorted(out)


def test_every_call_of_a_publishers_life_is_allowed_by_its_role(
    aws: Aws, calls: list[tuple[str, str, dict[str, Any]]]
) -> None:
    from stitchpress.service import handler

    handler.reset()  # build the handler's clients now, under the recorder
    aws.s3.put_object(Bucket=aws.drafts, Key="theme/robots.txt", Body=b"User-agent: *\nAllow: /\n")
    key = "drafts/2025-09-01-perm.md"
    assert publish(aws, key, draft("Perm", "2025-09-01", ["a", "b"]))["status"] == "published"
    assert publish(aws, key, draft("Perm", "2025-09-01", ["b", "c"]))["status"] == "published"
    assert publish(aws, "drafts/2025-09-02-bad.md", b"---\ntitle: [\n---\nx\n")["status"] == "rejected"
    aws.s3.delete_object(Bucket=aws.drafts, Key=key)
    assert aws.invoke(s3_event(aws, key, kind="delete"))["outcomes"][0]["status"] == "unpublished"

    ops = {f"{s}.{o}" for s, o, _ in calls}
    # The life above exercised every kind of call a publish makes.
    assert {
        "s3.GetObject",
        "s3.HeadObject",
        "s3.PutObject",
        "s3.DeleteObject",
        "s3.ListObjectsV2",
        "dynamodb.BatchGetItem",
        "dynamodb.TransactWriteItems",
        "dynamodb.Query",
        "cloudfront.CreateInvalidation",
    } <= ops, ops
    assert denied(aws, calls, "PublishFunctionRole") == []


def test_a_scheduled_posts_life_is_allowed_by_both_roles(
    aws: Aws, calls: list[tuple[str, str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: the publish role covers holding, cancelling and carrying a schedule; the sweep
    role covers the sweep, which touches only the pending partition and the publish queue."""
    from datetime import UTC, datetime

    from stitchpress.core import clock
    from stitchpress.service import handler, sweep
    from tests.helpers import Site

    handler.reset()
    sweep._clients.cache_clear()  # build the sweep's clients now, under the recorder
    monkeypatch.setenv("PUBLISH_QUEUE_URL", aws.stack.queue_url)
    monkeypatch.setenv("SEARCH_QUEUE_URL", aws.stack.search_queue_url)
    fake = clock.FakeClock(datetime(2026, 12, 3, tzinfo=UTC))
    with clock.using(fake):
        site = Site(aws, fake)
        key = "drafts/2027-01-15-perm.md"
        assert site.upload(key, draft("Perm", "2027-01-15 00:00 Z", ["a"]))["status"] == "scheduled"
        assert site.upload(key, b"---\ntitle: [\n---\nx\n")["status"] == "rejected"  # carried
        site.upload("drafts/2027-01-16-gone.md", draft("Gone", "2027-01-16 00:00 Z"))
        site.delete("drafts/2027-01-16-gone.md")  # cancelled
        before = len(calls)
        fake.set(datetime(2027, 1, 15, tzinfo=UTC))
        assert [e["draft"] for e in sweep.handler({}, None)["enqueued"]] == [key]
        swept = calls[before:]
        site.drain()
    assert aws.report(key)["status"] == "published"
    sweep._clients.cache_clear()

    publish_calls = calls[:before] + calls[before + len(swept) :]
    assert {"dynamodb.GetItem", "dynamodb.TransactWriteItems"} <= {f"{s}.{o}" for s, o, _ in publish_calls}
    assert denied(aws, publish_calls, "PublishFunctionRole") == []
    assert {f"{s}.{o}" for s, o, _ in swept} == {
        "dynamodb.Query",
        "dynamodb.DeleteItem",
        "dynamodb.GetItem",  # the search mark (none: nothing was published yet, so no job)
        "sqs.SendMessageBatch",
    }
    assert denied(aws, swept, "SweepFunctionRole") == []
    # The role's dynamodb:LeadingKeys conditions: the sweep queries and deletes in the PENDING
    # partition, and reads and clears the search mark in the SEARCH partition.
    for _service, op, params in swept:
        if op == "Query":
            assert params["ExpressionAttributeValues"][":pk"] == {"S": "PENDING"}
        elif op == "DeleteItem":
            assert params["Key"]["pk"] in ({"S": "PENDING"}, {"S": "SEARCH"})
        elif op == "GetItem":
            assert params["Key"]["pk"] == {"S": "SEARCH"}


def test_every_call_of_the_image_functions_life_is_allowed_by_its_role(
    aws: Aws, calls: list[tuple[str, str, dict[str, Any]]]
) -> None:
    from stitchpress.aws.media import MediaIndex
    from stitchpress.service import image_handler
    from tests.helpers import delete_image, picture, put_image

    MediaIndex(aws.ddb, aws.stack.config.index_table).record_uses("drafts/post.md", ["drafts/p.png"])
    image_handler.reset()  # build the function's clients now, under the recorder
    calls.clear()
    assert put_image(aws, "drafts/p.png", picture("red"))["status"] == "published"
    assert put_image(aws, "drafts/p.png", picture("blue"))["status"] == "published"  # replaced
    assert put_image(aws, "drafts/p.png", b"not an image")["status"] == "rejected"
    assert delete_image(aws, "drafts/p.png")["status"] == "removed"
    ops = {f"{s}.{o}" for s, o, _ in calls}
    assert {
        "s3.GetObject",
        "s3.PutObject",
        "s3.CopyObject",
        "dynamodb.UpdateItem",
        "dynamodb.PutItem",
        "dynamodb.Query",
        "sqs.SendMessageBatch",
    } <= ops, ops
    assert denied(aws, calls, "ImageFunctionRole") == []
