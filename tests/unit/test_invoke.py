"""stitchpress.local.invoke's pure parts: what `make invoke` reads from an event and from
template.yaml, and how it decides that an invocation failed. tests/e2e/test_make_invoke.py runs
the command itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from stitchpress.core.events import read_s3_event
from stitchpress.local.invoke import (
    UserError,
    draft_changes,
    environment,
    failed,
    load_event,
    read_function,
    seed_record,
)
from stitchpress.local.stack import FUNCTION_GLOBALS
from stitchpress.service.config import ENV_VARS
from tests.conftest import ROOT

EVENTS = ROOT / "events"
KEY = "drafts/2025-09-21-meta-ai-investment.md"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("s3-put.json", [("put", KEY)]),
        ("sqs-s3-put.json", [("put", KEY)]),  # the S3 event inside the SQS message body
        ("s3-delete.json", [("delete", KEY)]),
        ("s3-put-japanese-key.json", [("put", "drafts/2025-10-01-日本語 の メモ.md")]),
        ("sqs-s3-test-event.json", []),
    ],
)
def test_the_drafts_each_event_file_names(name: str, expected: list[tuple[str, str]]) -> None:
    changes = draft_changes(load_event(EVENTS / name))
    assert [(c.kind, c.key) for c in changes] == expected


@pytest.mark.parametrize("sequencer", ["0065F1C2A1B2C3D5A0", None])
def test_the_seed_put_is_older_than_the_removal_it_prepares(sequencer: str | None) -> None:
    event = load_event(EVENTS / "s3-delete.json")
    if sequencer is None:  # moto's events carry none: the time orders them
        del event["Records"][0]["s3"]["object"]["sequencer"]
    (removal,) = draft_changes(event)
    seed = seed_record(removal, "v1", "abc")
    (put,), problems = read_s3_event({"Records": [seed]})
    assert problems == []
    assert (put.kind, put.key, put.version_id, put.etag) == ("put", removal.key, "v1", "abc")
    assert put.order < removal.order


def test_the_function_is_read_from_template_yaml() -> None:
    function = read_function(ROOT / "template.yaml", "PublishFunction")
    assert function.handler == "app.handler"
    assert (function.memory, function.timeout) == (1024, 30)
    assert function.code == ROOT / "functions" / "publish"
    assert function.layers == (ROOT / "layers" / "stitchpress",)


def test_the_environment_is_the_templates_with_the_local_stacks_values() -> None:
    function = read_function(ROOT / "template.yaml", "PublishFunction")
    stack_env = {**FUNCTION_GLOBALS, **{name: f"local-{name}" for name in ENV_VARS}}
    env = environment(function, stack_env, Path("/rt"), "http://127.0.0.1:5000")
    for name in ENV_VARS:
        assert env[name] == f"local-{name}"
    assert env["POWERTOOLS_SERVICE_NAME"] == "stitchpress"  # a literal in the template's Globals
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "1024"
    assert env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "30"
    layer = ROOT / "layers" / "stitchpress" / "python"
    assert env["PYTHONPATH"].split(":") == [
        str(ROOT / "functions" / "publish"),
        str(layer / "lib" / "python3.13" / "site-packages"),
        str(layer),
        "/rt",
    ]


def test_a_template_variable_the_local_stack_lacks_is_named() -> None:
    function = read_function(ROOT / "template.yaml", "PublishFunction")
    with pytest.raises(UserError, match=r"template\.yaml sets SITE_URL on PublishFunction"):
        stack_env = {**FUNCTION_GLOBALS, **{k: "x" for k in ENV_VARS if k != "SITE_URL"}}
        environment(function, stack_env, Path("/rt"), "http://x")


def test_failures_are_errors_and_failed_records_not_rejections() -> None:
    assert (
        failed({"errorType": "ValueError", "errorMessage": "boom"}) == "the function failed: ValueError: boom"
    )
    assert "1 record(s) failed" in (failed({"batchItemFailures": [{"itemIdentifier": "m1"}]}) or "")
    assert failed({"batchItemFailures": []}) is None
    assert failed({"outcomes": [{"key": KEY, "status": "rejected", "url": None}]}) is None


def test_event_file_mistakes_name_the_file_and_place(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"nope\.json: cannot read the event"):
        load_event(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "Records": [\n    {"a": 1,}\n  ]\n}\n')
    with pytest.raises(UserError, match=r"bad\.json:3:\d+: not JSON"):
        load_event(bad)
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(UserError, match="an event is a JSON object"):
        load_event(tmp_path / "list.json")
