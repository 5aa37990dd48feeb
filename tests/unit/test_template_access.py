"""Issue 13 in template.yaml: who may publish drafts is separate from who may change the theme,
and the alarms show what a stalled publisher looks like."""

from __future__ import annotations

import fnmatch
from typing import Any

from stitchpress.core import keys
from tests.helpers import props, template, text

WRITE = {"s3:PutObject", "s3:DeleteObject"}


def statements(policy: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = props(policy)["PolicyDocument"]["Statement"]
    assert all(s["Effect"] == "Allow" for s in found)
    return found


def allows(policy: str, action: str, key: str) -> bool:
    """Whether `policy` allows `action` on the drafts bucket's object `key`."""
    for statement in statements(policy):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for resource in map(text, resources):
            if action in actions and fnmatch.fnmatchcase(f"${{DraftsBucket.Arn}}/{key}", resource):
                return True
    return False


def test_writers_may_publish_and_unpublish_drafts_but_not_touch_the_theme() -> None:
    draft = keys.DRAFTS_PREFIX + "2025-09-21-post.md"
    theme = keys.THEME_PREFIX + "post.html"
    for action in WRITE:
        assert allows("WritersPolicy", action, draft)
        assert allows("WritersPolicy", action, keys.DRAFTS_PREFIX + "photo.jpg")  # images too
        assert not allows("WritersPolicy", action, theme)
        assert not allows("WritersPolicy", action, keys.REPORTS_PREFIX + "post.md.json")
    assert allows("WritersPolicy", "s3:GetObject", keys.report_key(draft))


def test_editors_may_change_the_theme_and_publish() -> None:
    for action in WRITE:
        assert allows("EditorsPolicy", action, keys.THEME_PREFIX + "base.html")
        assert allows("EditorsPolicy", action, keys.DRAFTS_PREFIX + "2025-09-21-post.md")
        assert not allows("EditorsPolicy", action, keys.REPORTS_PREFIX + "post.md.json")


def test_both_policies_are_stack_outputs() -> None:
    outputs = template()["Outputs"]
    assert outputs["WritersPolicyArn"]["Value"] == {"Ref": "WritersPolicy"}
    assert outputs["EditorsPolicyArn"]["Value"] == {"Ref": "EditorsPolicy"}


def test_an_alarm_fires_when_drafts_wait_in_the_queue() -> None:
    alarm = props("PublishQueueAgeAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateAgeOfOldestMessage")
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["PublishQueue", "QueueName"]}}
    ]
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] <= 900


def test_an_alarm_fires_before_invocations_reach_their_timeout() -> None:
    alarm = props("FunctionDurationAlarm")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/Lambda",
        "Duration",
        "Maximum",
    )
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "PublishFunction"}}]
    timeout_ms = props("PublishFunction")["Timeout"] * 1000
    assert 0.5 * timeout_ms <= alarm["Threshold"] < timeout_ms
