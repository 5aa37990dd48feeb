from __future__ import annotations

import json
from pathlib import Path

import pytest

from stitchpress.aws.cdn import caller_reference, invalidation_paths
from stitchpress.core.events import DraftChange, changes_from_s3_event, is_test_event, time_of

EVENTS = Path(__file__).resolve().parents[2] / "events"


def load(name: str) -> dict:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def test_put_event() -> None:
    [change] = changes_from_s3_event(load("s3-put.json"))
    assert change.kind == "put"
    assert change.key == "drafts/2025-09-21-meta-ai-investment.md"
    assert change.bucket == "stitchpress-drafts"


def test_keys_are_url_decoded_with_plus_as_space() -> None:
    [change] = changes_from_s3_event(load("s3-put-japanese-key.json"))
    assert change.key == "drafts/2025-10-01-日本語 の メモ.md"


def test_moto_style_fully_encoded_key() -> None:
    event = load("s3-put.json")
    event["Records"][0]["s3"]["object"]["key"] = "drafts%2F2025-09-21-a+b.md"
    assert changes_from_s3_event(event)[0].key == "drafts/2025-09-21-a b.md"


def test_delete_and_other_keys() -> None:
    assert changes_from_s3_event(load("s3-delete.json"))[0].kind == "delete"
    event = load("s3-put.json")
    for key in ["reports/x.md.json", "theme/post.html", "drafts/notes.txt"]:
        event["Records"][0]["s3"]["object"]["key"] = key
        assert changes_from_s3_event(event) == []


def test_test_event_is_recognised() -> None:
    body = json.loads(load("sqs-s3-test-event.json")["Records"][0]["body"])
    assert is_test_event(body)
    assert changes_from_s3_event(body) == []


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("0055AED6DCD90281E5", "0055AED6DCD90281E6"),
        # AWS: right-pad the shorter sequencer with zeros before comparing.
        ("0055AED6DCD9028", "0055AED6DCD90281"),
        ("005", "0050000001"),
    ],
)
def test_sequencer_order(older: str, newer: str) -> None:
    a = DraftChange("b", "drafts/x.md", "put", sequencer=older)
    b = DraftChange("b", "drafts/x.md", "put", sequencer=newer)
    assert a.order < b.order


def test_invalidation_paths() -> None:
    keys = ["index.html", "tags/最新/index.html", "feed.xml", "tags/最新/index.html"]
    # Only the object paths: the viewer-request function makes them the cache keys of /dir/ too.
    assert invalidation_paths(keys, limit=10) == [
        "/feed.xml",
        "/index.html",
        "/tags/%E6%9C%80%E6%96%B0/index.html",
    ]
    assert invalidation_paths(keys, limit=2) == ["/*"]
    assert invalidation_paths([], limit=10) == []


def test_caller_reference_is_stable_per_batch() -> None:
    paths = ["/", "/feed.xml"]
    assert caller_reference(paths, "batch-1") == caller_reference(list(paths), "batch-1")
    assert caller_reference(paths, "batch-1") != caller_reference(paths, "batch-2")
    assert caller_reference(paths, "batch-1") != caller_reference(["/"], "batch-1")


def test_time_orders_tell_apart_two_events_of_the_same_time() -> None:
    at = "2025-09-21T09:00:00.000Z"
    put = DraftChange("b", "drafts/x.md", "put", version_id="v2", etag="e2", event_time=at)
    delete = DraftChange("b", "drafts/x.md", "delete", event_time=at)
    earlier = DraftChange("b", "drafts/x.md", "put", event_time="2025-09-21T08:59:59.999Z")
    later = DraftChange("b", "drafts/x.md", "delete", event_time="2025-09-21T09:00:00.001Z")
    assert put.order != delete.order
    assert (
        DraftChange("b", "drafts/x.md", "put", version_id="v2", etag="e2", event_time=at).order == put.order
    )
    assert time_of(put.order) == time_of(delete.order)
    assert earlier.order < time_of(put.order) < min(put.order, delete.order) <= max(put.order, delete.order)
    assert max(put.order, delete.order) < later.order


def test_an_event_matches_the_draft_it_left() -> None:
    put = DraftChange("b", "drafts/x.md", "put", version_id="v2", etag="e2")
    assert put.matches(("v2", "e2"))
    assert not put.matches(("v3", "e2")) and not put.matches(None)
    moto_put = DraftChange("b", "drafts/x.md", "put", etag="e2")  # moto: no version id
    assert moto_put.matches((None, "e2")) and not moto_put.matches(("v3", "e3"))
    delete = DraftChange("b", "drafts/x.md", "delete")
    assert delete.matches(None) and not delete.matches(("v2", "e2"))


def test_an_sqs_records_nested_s3_event_reads_as_the_raw_event() -> None:
    """The handler passes Powertools' decoded_nested_s3_event; moto's shape (no sequencer or
    versionId, the whole key quote_plus'd) reads the same through it."""
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from stitchpress.core.events import read_s3_event

    event = load("s3-put.json")
    obj = event["Records"][0]["s3"]["object"]
    obj.pop("sequencer", None)
    obj.pop("versionId", None)
    obj["key"] = "drafts%2F2025-09-21-a+b.md"
    record = SQSRecord({"messageId": "m-1", "body": json.dumps(event)})
    nested = read_s3_event(record.decoded_nested_s3_event)
    assert nested == read_s3_event(event)
    [change] = nested[0]
    assert (change.key, change.sequencer, change.version_id) == ("drafts/2025-09-21-a b.md", None, None)
