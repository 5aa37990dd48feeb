"""template.yaml's search job (issue 18) agrees with the code it deploys: handler, layer,
environment, one job at a time, a role that can touch only the search partition and /pagefind/,
alarms, and a CSP that lets only the search page and Pagefind's files run scripts."""

from __future__ import annotations

from stitchpress.local import stack
from stitchpress.service import search_job
from tests.conftest import ROOT
from tests.helpers import as_list, function_handler, props, role_statements, template, text


def test_search_handler_resolves_to_the_librarys_job_with_the_pagefind_layer() -> None:
    fn = props("SearchFunction")
    handler = function_handler("SearchFunction", "search")
    assert handler is search_job.handler
    assert fn["Layers"] == [{"Ref": "StitchpressLayer"}, {"Ref": "SearchLayer"}]
    layer = props("SearchLayer")
    assert layer["ContentUri"] == "layers/search/" and layer["CompatibleArchitectures"] == ["arm64"]
    assert template()["Globals"]["Function"]["Architectures"] == ["arm64"]
    # The layer's pin is the one the local stack and the tests run.
    pin = (ROOT / "layers" / "search" / "requirements.txt").read_text().split("\n")
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert [p for p in pin if p.startswith("pagefind")] == ["pagefind-bin-extended==1.5.2"]
    assert '"pagefind-bin-extended==1.5.2"' in pyproject


def test_search_environment_is_exactly_its_contract() -> None:
    env = props("SearchFunction")["Environment"]["Variables"]
    assert set(env) == set(search_job.ENV_VARS)
    assert int(env["SEARCH_GRACE_SECONDS"]) == search_job.DEFAULT_GRACE_SECONDS


def test_one_search_job_at_a_time_from_a_fifo_queue_with_a_dead_letter_queue() -> None:
    queue = props("SearchQueue")
    assert queue["FifoQueue"] is True and props("SearchDeadLetterQueue")["FifoQueue"] is True
    assert queue["RedrivePolicy"]["maxReceiveCount"] == stack.MAX_RECEIVE_COUNT
    assert (
        int(queue["VisibilityTimeout"])
        == stack.SEARCH_VISIBILITY_TIMEOUT
        >= 6 * props("SearchFunction")["Timeout"]
    )
    (event,) = props("SearchFunction")["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["Queue"] == {"Fn::GetAtt": ["SearchQueue", "Arn"]}
    for alarm in ("SearchDeadLetterQueueAlarm", "SearchErrorsAlarm"):
        assert props(alarm)["Threshold"] == 0


def test_the_search_role_touches_only_the_search_partition_and_the_index_files() -> None:
    statements = [s for s in role_statements("SearchFunctionRole") if s["Effect"] == "Allow"]
    grants = {(a, text(s["Resource"])) for s in statements for a in as_list(s["Action"])}
    assert grants == {
        ("dynamodb:Query", "${IndexTable.Arn}"),
        ("dynamodb:PutItem", "${IndexTable.Arn}"),
        ("dynamodb:DeleteItem", "${IndexTable.Arn}"),
        ("s3:PutObject", "${SiteBucket.Arn}/pagefind/*"),
        ("s3:DeleteObject", "${SiteBucket.Arn}/pagefind/*"),
        ("s3:ListBucket", "${SiteBucket.Arn}"),
        (
            "cloudfront:CreateInvalidation",
            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}",
        ),
        ("sqs:ReceiveMessage", "${SearchQueue.Arn}"),
        ("sqs:DeleteMessage", "${SearchQueue.Arn}"),
        ("sqs:GetQueueAttributes", "${SearchQueue.Arn}"),
        ("logs:CreateLogStream", "${SearchFunctionLogGroup.Arn}"),
        ("logs:PutLogEvents", "${SearchFunctionLogGroup.Arn}"),
        ("xray:PutTraceSegments", "*"),
        ("xray:PutTelemetryRecords", "*"),
    }
    for s in statements:
        if "dynamodb:Query" in as_list(s["Action"]):
            assert s["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["SEARCH"]}}
        if "s3:ListBucket" in as_list(s["Action"]):
            assert s["Condition"] == {"StringLike": {"s3:prefix": ["pagefind/*"]}}


def test_only_the_search_page_and_pagefind_may_run_scripts() -> None:
    config = props("Distribution")["DistributionConfig"]
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(behaviors) == {"/search/*", "/pagefind/*"}
    for b in behaviors.values():
        assert b["ResponseHeadersPolicyId"] == {"Ref": "SearchHeadersPolicy"}
    csp = props("SearchHeadersPolicy")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    policy = {
        d.split()[0]: d.split()[1:]
        for d in csp["ContentSecurityPolicy"]["ContentSecurityPolicy"].split(";")
        if d.strip()
    }
    # Pagefind's own scripts and its WebAssembly; still no inline script, no other origin.
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert policy["default-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}
