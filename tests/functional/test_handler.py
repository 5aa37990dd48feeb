"""The handler against moto, driven by the same events/*.json files `sam local invoke` uses."""

from __future__ import annotations

import argparse
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest

from stitchpress.local.runtime import LocalContext
from tests.conftest import EXAMPLE_DRAFT
from tests.functional.conftest import Aws, load_event

POST_KEY = "2025/09/21/meta-ai-investment/index.html"
TITLE = "Metaの6000億ドルAI投資、その真意と業界への波紋とは？"
TAGS = ["AI", "最新ニュース", "技術動向", "Meta", "投資", "チップ"]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [v for k, v in attrs if k == "href" and v]


def hrefs(html: str) -> list[str]:
    p = Links()
    p.feed(html)
    return p.hrefs


def upload_example(aws: Aws, key: str = "drafts/2025-09-21-meta-ai-investment.md") -> None:
    aws.s3.put_object(Bucket=aws.drafts, Key=key, Body=EXAMPLE_DRAFT.read_bytes())


def test_s3_put_event_publishes_the_post_page(aws: Aws) -> None:
    upload_example(aws)
    result = aws.invoke(load_event("s3-put.json"))

    assert result["outcomes"] == [
        {
            "key": "drafts/2025-09-21-meta-ai-investment.md",
            "status": "published",
            "url": "/2025/09/21/meta-ai-investment/",
        }
    ]
    head = aws.s3.head_object(Bucket=aws.site, Key=POST_KEY)
    assert head["ContentType"] == "text/html; charset=utf-8"
    assert "max-age" in head["CacheControl"]
    html = aws.page(POST_KEY)
    assert TITLE in html
    assert "---END---" not in html
    # A sentence each continuation repeated appears once in the article, not twice.
    assert html.count("しかし、それだけではありません。") == 1
    assert "それだけ\n" not in html


def test_each_tag_page_lists_the_post(aws: Aws) -> None:
    upload_example(aws)
    aws.invoke(load_event("s3-put.json"))
    post_url = "/2025/09/21/meta-ai-investment/"
    for tag in TAGS:
        key = f"tags/{tag.casefold()}/index.html"
        html = aws.page(key)
        assert tag in html
        assert any(h.endswith(quote(post_url)) or h.endswith(post_url) for h in hrefs(html)), key


def test_index_holds_the_post_and_its_tag_memberships(aws: Aws) -> None:
    upload_example(aws)
    aws.invoke(load_event("s3-put.json"))
    table = aws.stack.config.index_table
    post = aws.ddb.get_item(
        TableName=table,
        Key={"pk": {"S": "POST#drafts/2025-09-21-meta-ai-investment.md"}, "sk": {"S": "POST"}},
    )["Item"]
    assert post["title"]["S"] == TITLE
    assert post["url"]["S"] == "/2025/09/21/meta-ai-investment/"
    for tag in TAGS:
        items = aws.ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"LIST#tag/{tag.casefold()}"}},
        )["Items"]
        assert [i["url"]["S"] for i in items] == ["/2025/09/21/meta-ai-investment/"]


def test_one_invalidation_holds_every_changed_url(aws: Aws) -> None:
    upload_example(aws)
    aws.invoke(load_event("s3-put.json"))
    invalidations = aws.invalidations()
    assert len(invalidations) == 1
    paths = set(invalidations[0])
    assert {"/2025/09/21/meta-ai-investment/index.html", "/index.html", "/feed.xml"} <= paths
    assert quote("/tags/最新ニュース/index.html") in paths  # non-ASCII percent-encoded
    assert all(p.isascii() for p in paths)


def test_sqs_message_carrying_the_s3_event_publishes(aws: Aws) -> None:
    upload_example(aws)
    result = aws.invoke(load_event("sqs-s3-put.json"))
    assert result == {"batchItemFailures": []}
    assert TITLE in aws.page(POST_KEY)
    assert aws.report("drafts/2025-09-21-meta-ai-investment.md")["status"] == "published"


def test_s3_test_event_is_ignored(aws: Aws) -> None:
    result = aws.invoke(load_event("sqs-s3-test-event.json"))
    assert result == {"batchItemFailures": []}
    assert aws.site_objects() == {}
    assert aws.invalidations() == []


def test_key_with_spaces_and_japanese_is_decoded(aws: Aws) -> None:
    key = "drafts/2025-10-01-日本語 の メモ.md"
    aws.s3.put_object(
        Bucket=aws.drafts,
        Key=key,
        Body='---\ntitle: "日本語のメモ"\ndate: 2025-10-01\ntags: [メモ]\n---\n\n短いメモです。\n'.encode(),
    )
    result = aws.invoke(load_event("s3-put-japanese-key.json"))
    assert result["outcomes"][0]["key"] == key
    assert result["outcomes"][0]["status"] == "published"
    html = aws.page("2025/10/01/日本語-の-メモ/index.html")
    assert "短いメモです。" in html


def test_delete_event_unpublishes(aws: Aws) -> None:
    upload_example(aws)
    aws.invoke(load_event("s3-put.json"))
    aws.s3.delete_object(Bucket=aws.drafts, Key="drafts/2025-09-21-meta-ai-investment.md")
    result = aws.invoke(load_event("s3-delete.json"))
    assert result["outcomes"][0]["status"] == "unpublished"
    objects = aws.site_objects()
    assert POST_KEY not in objects
    # Emptied tag pages are removed; the overview stays, listing no tags.
    assert [k for k in objects if k.startswith("tags/")] == ["tags/index.html"]
    assert "/tags/ai/" not in objects["tags/index.html"].decode()
    assert "/2025/09/21/meta-ai-investment/" not in objects["index.html"].decode()


def test_rejected_draft_changes_nothing_and_writes_a_report(aws: Aws) -> None:
    upload_example(aws)
    aws.invoke(load_event("s3-put.json"))
    before = aws.site_objects()
    aws.s3.put_object(
        Bucket=aws.drafts,
        Key="drafts/2025-09-21-meta-ai-investment.md",
        Body=b'---\ntitle: "Broken"\ndate: 21/09/2025\n---\n\nBody.\n',
    )
    event = load_event("s3-put.json")  # a new upload is a new event: new sequencer and ETag
    event["Records"][0]["s3"]["object"].update(sequencer="0065F1C2A1B2C3D4F9", eTag="f" * 32)
    result = aws.invoke(event)
    assert result["outcomes"][0]["status"] == "rejected"
    assert aws.site_objects() == before
    report = aws.report("drafts/2025-09-21-meta-ai-investment.md")
    assert report["status"] == "rejected"
    assert any(e.startswith("drafts/2025-09-21-meta-ai-investment.md:3: date:") for e in report["errors"])


def test_transient_aws_failure_is_reported_for_retry(aws: Aws) -> None:
    """An AWS error is not the writer's fault: the message is handed back to SQS (and, after the
    redrive policy's attempts, to the dead-letter queue) instead of being reported as rejected."""
    upload_example(aws)
    aws.s3.delete_bucket(Bucket=aws.site)  # every site write now fails
    event = load_event("sqs-s3-put.json")
    result = aws.invoke(event)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    with pytest.raises(aws.s3.exceptions.NoSuchKey):
        aws.report("drafts/2025-09-21-meta-ai-investment.md")


def test_the_first_invocation_builds_one_boto3_session(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The idempotency layer uses the publisher's DynamoDB client: a second Session and client
    would add ~50 ms to every cold start (BENCHMARKS.md, "Handler cold start")."""
    import boto3

    from stitchpress.service import handler

    sessions: list[object] = []
    session_class = boto3.session.Session

    def counting(*args: object, **kwargs: object) -> object:
        sessions.append(session_class(*args, **kwargs))
        return sessions[-1]

    monkeypatch.setattr(boto3.session, "Session", counting)
    handler.reset()
    upload_example(aws)
    assert aws.invoke(load_event("s3-put.json"))["outcomes"][0]["status"] == "published"
    assert len(sessions) == 1


def _pools(publisher: Any) -> list[int]:
    clients = (publisher.drafts.s3, publisher.site.s3, publisher.index.db, publisher.invalidator.cloudfront)
    return [c.meta.config.max_pool_connections for c in clients]


def test_clients_pool_a_connection_for_every_call_a_publish_has_in_flight(aws: Aws) -> None:
    """A publish runs a pool of parallel.WORKERS jobs, each of which may start one more thread;
    boto3's default pool of 10 connections made the other calls open and drop a connection each."""
    from stitchpress.aws import parallel
    from stitchpress.service import handler

    assert parallel.MAX_IN_FLIGHT >= 2 * parallel.WORKERS
    assert min(_pools(handler.publisher())) >= parallel.MAX_IN_FLIGHT


def test_rebuild_cli_clients_pool_a_connection_for_every_call_in_flight(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stitchpress.aws import parallel
    from stitchpress.cli import rebuild as cli_rebuild
    from stitchpress.service import publish

    built: list[publish.Publisher] = []

    class Recorded(publish.Publisher):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            built.append(self)

    monkeypatch.setattr(publish, "Publisher", Recorded)
    parser = argparse.ArgumentParser()
    cli_rebuild.add_arguments(parser)  # every option's default, as the command line gives them
    assert cli_rebuild.run(parser.parse_args(["--posts", "--no-invalidate"])) == 0
    assert len(built) == 1
    assert min(_pools(built[0])) >= parallel.MAX_IN_FLIGHT


def test_two_execution_environments_share_one_idempotency_record(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event redelivered to another execution environment returns the first outcome instead
    of applying the change again (the local runtime loads each environment's handler under its
    own module name, which Powertools' default key included)."""
    from stitchpress.local.runtime import handler_module

    upload_example(aws)
    event = load_event("s3-put.json")
    first = handler_module(0).handler(event, LocalContext(aws_request_id="first"))
    other = handler_module(1)

    def apply_again(change: Any) -> None:
        raise AssertionError(f"the other environment applied {change.key} again")

    monkeypatch.setattr(other, "publish_change", apply_again)
    try:
        second = other.handler(event, LocalContext(aws_request_id="second"))
    finally:
        other.reset()
    assert first["outcomes"][0]["status"] == "published"
    assert second == first
    records = aws.ddb.scan(TableName=aws.stack.config.idempotency_table)["Items"]
    assert len(records) == 1
