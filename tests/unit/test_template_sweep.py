"""template.yaml's sweep (issue 17) agrees with the code it deploys: handler, environment,
schedule, and a role that can do only what the sweep does."""

from __future__ import annotations

import re

from stitchpress.aws import pending
from stitchpress.service import sweep
from tests.helpers import as_list, function_handler, props, resource, role_statements, template, text


def test_sweep_handler_resolves_to_the_librarys_sweep() -> None:
    fn = props("SweepFunction")
    handler = function_handler("SweepFunction", "sweep")
    assert handler is sweep.handler
    assert fn["Layers"] == [{"Ref": "StitchpressLayer"}]
    assert fn["Role"] == {"Fn::GetAtt": ["SweepFunctionRole", "Arn"]}


def test_sweep_environment_is_exactly_its_contract() -> None:
    env = props("SweepFunction")["Environment"]["Variables"]
    assert set(env) == set(sweep.ENV_VARS)
    assert env["INDEX_TABLE"] == {"Ref": "IndexTable"}
    assert env["PUBLISH_QUEUE_URL"] == {"Ref": "PublishQueue"}


def test_the_sweep_runs_every_minute_and_looks_ahead_exactly_one_period() -> None:
    (event,) = props("SweepFunction")["Events"].values()
    assert event["Type"] == "Schedule"
    rate = event["Properties"]["Schedule"]
    m = re.fullmatch(r"rate\((\d+) (minute|minutes)\)", rate)
    assert m is not None and int(m[1]) == 1, rate
    lookahead = int(props("SweepFunction")["Environment"]["Variables"]["SWEEP_LOOKAHEAD_SECONDS"])
    # Each entry due before the next sweep is sent by this one, delayed to its second.
    assert lookahead == 60 == sweep.DEFAULT_LOOKAHEAD
    assert lookahead <= sweep.MAX_DELAY
    assert props("SweepFunction")["Timeout"] < 60  # a sweep ends before the next begins
    assert props("SweepFunction")["EventInvokeConfig"]["MaximumRetryAttempts"] == 0


def test_the_sweep_role_reads_and_clears_only_the_pending_and_search_partitions_and_sends_only_to_the_queues() -> (
    None
):
    statements = [s for s in role_statements("SweepFunctionRole") if s["Effect"] == "Allow"]
    grants = {
        (a, text(s["Resource"]), str(s.get("Condition"))) for s in statements for a in as_list(s["Action"])
    }
    leading = lambda pk: str({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [pk]}})  # noqa: E731
    assert grants == {
        ("dynamodb:Query", "${IndexTable.Arn}", leading(pending.PENDING)),
        ("dynamodb:DeleteItem", "${IndexTable.Arn}", leading(pending.PENDING)),
        # the search mark (stitchpress.aws.search_store): read, and cleared once the job is sent
        ("dynamodb:GetItem", "${IndexTable.Arn}", leading("SEARCH")),
        ("dynamodb:DeleteItem", "${IndexTable.Arn}", leading("SEARCH")),
        ("sqs:SendMessage", "${PublishQueue.Arn}", "None"),
        ("sqs:SendMessage", "${SearchQueue.Arn}", "None"),
        ("logs:CreateLogStream", "${SweepFunctionLogGroup.Arn}", "None"),
        ("logs:PutLogEvents", "${SweepFunctionLogGroup.Arn}", "None"),
        ("xray:PutTraceSegments", "*", "None"),
        ("xray:PutTelemetryRecords", "*", "None"),
    }


def test_a_failing_sweep_raises_an_alarm() -> None:
    alarm = props("SweepErrorsAlarm")
    assert alarm["MetricName"] == "Errors"
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "SweepFunction"}}]
    assert resource("SweepFunctionLogGroup")["Type"] == "AWS::Logs::LogGroup"
    assert "SweepFunction" in template()["Resources"]
