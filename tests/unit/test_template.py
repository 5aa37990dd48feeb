"""template.yaml agrees with the code it deploys and with the local stack (stitchpress.local.stack).

The template is read with cfn-lint's loader, which keeps !Ref/!Sub/!GetAtt as their long forms
({"Ref": ...}, {"Fn::Sub": ...}, {"Fn::GetAtt": [...]}).
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from stitchpress.aws import jobs
from stitchpress.core import keys
from stitchpress.local import stack
from stitchpress.service.config import (
    DEFAULT_INVALIDATION_PATH_LIMIT,
    DEFAULT_MAX_DRAFT_BYTES,
    ENV_VARS,
    Config,
)
from tests import deployed
from tests.conftest import EXAMPLE_DRAFT, ROOT
from tests.helpers import (
    allowed,
    as_list,
    function_handler,
    props,
    resource,
    role_statements,
    template,
    text,
)

POWERTOOLS_VARS = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_TRACE_DISABLED",
}


def function_env(function: str = "PublishFunction") -> dict[str, Any]:
    """The function's variables as deployed: Globals merged with the function's own."""
    merged: dict[str, Any] = dict(template()["Globals"]["Function"]["Environment"]["Variables"])
    merged.update(props(function)["Environment"]["Variables"])
    return merged


# --- the function --------------------------------------------------------------------------------


def test_handler_resolves_to_the_handler_function() -> None:
    handler = function_handler("PublishFunction", "publish")
    assert callable(handler)
    assert list(inspect.signature(handler).parameters) == ["event", "context"]


def test_function_runs_python313_on_arm64_with_the_layer_and_tracing() -> None:
    glob = template()["Globals"]["Function"]
    fn = props("PublishFunction")
    assert fn.get("Runtime", glob.get("Runtime")) == "python3.13"
    assert fn.get("Architectures", glob.get("Architectures")) == ["arm64"]
    assert fn.get("Tracing", glob.get("Tracing")) == "Active"
    assert fn["Layers"] == [{"Ref": "StitchpressLayer"}]
    layer = resource("StitchpressLayer")
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    makefile = (ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text()
    assert "build-StitchpressLayer:" in makefile
    # aarch64 unless told otherwise (`make invoke` builds for the machine it runs on)
    assert "LAYER_ARCH ?= aarch64" in makefile and "manylinux2014_$(LAYER_ARCH)" in makefile
    assert "--python-version 3.13" in makefile


def test_function_environment_is_exactly_the_config_contract() -> None:
    env = function_env()
    assert set(env) == set(ENV_VARS) | POWERTOOLS_VARS
    assert env["POWERTOOLS_SERVICE_NAME"] == "stitchpress"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "stitchpress"
    # Each name points at the resource it describes (a swap would pass the set check above).
    assert env["DRAFTS_BUCKET"] == {"Ref": "DraftsBucket"}
    assert env["SITE_BUCKET"] == {"Ref": "SiteBucket"}
    assert env["INDEX_TABLE"] == {"Ref": "IndexTable"}
    assert env["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}
    assert env["DISTRIBUTION_ID"] == {"Ref": "Distribution"}
    site_url = env["SITE_URL"]["Fn::If"]
    assert [text(site_url[1]), text(site_url[2])] == [
        "https://${DomainName}",
        "https://${Distribution.DomainName}",
    ]


def test_parameter_defaults_parse_into_the_same_config_as_the_code_defaults() -> None:
    # As Lambda reads them: every variable checked (deployed.function_env: parameter defaults).
    config = Config.from_env(deployed.function_env(), lambda_mode=True)
    assert config.max_draft_bytes == DEFAULT_MAX_DRAFT_BYTES
    assert config.invalidation_path_limit == DEFAULT_INVALIDATION_PATH_LIMIT
    assert config.site.base_url == "https://d111111abcdef8.cloudfront.net"
    assert set(config.to_env()) == set(ENV_VARS)


# --- local stack parity --------------------------------------------------------------------------


def test_logical_ids_and_types_match_the_local_stack() -> None:
    resources = template()["Resources"]
    for logical_id, kind in stack.RESOURCES.items():
        assert resources[logical_id]["Type"] == kind, logical_id
    assert resources["PublishFunction"]["Type"] == "AWS::Serverless::Function"
    assert resources["StitchpressLayer"]["Type"] == "AWS::Serverless::LayerVersion"


def test_the_local_stack_records_the_same_outputs_and_function_environment() -> None:
    # `rebuild --endpoint` reads the local stack with the code that reads a deployed one.
    from stitchpress.cli.deployed import FUNCTION_LOGICAL_ID, OUTPUT_VARS
    from stitchpress.core.model import SiteSettings
    from stitchpress.service.config import Config as _Config

    config = _Config("d", "s", "i", "idem", "E1", SiteSettings(base_url="http://127.0.0.1:8000"))
    local = stack.cloudformation_template(
        stack.Stack(config, "q", "dlq", "us-east-1", "x.net", "iq", "idlq", "rq", "rdlq"), ""
    )
    assert set(local["Outputs"]) == set(template()["Outputs"])
    assert set(OUTPUT_VARS) <= set(template()["Outputs"])
    for output, var in OUTPUT_VARS.items():  # each Output names what the function's variable holds
        assert template()["Outputs"][output]["Value"] == function_env()[var], output
    local_env = local["Resources"][FUNCTION_LOGICAL_ID]["Properties"]["Environment"]["Variables"]
    assert set(local_env) == set(function_env())
    assert local_env["SITE_URL"] == local["Outputs"]["SiteUrl"]["Value"] == "http://127.0.0.1:8000"


def test_index_table_key_schema() -> None:
    table = props("IndexTable")
    assert (
        table["KeySchema"]
        == stack.INDEX_KEY_SCHEMA
        == [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ]
    )
    assert table["AttributeDefinitions"] == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    assert "GlobalSecondaryIndexes" not in table
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    # Rebuild jobs' chunk records expire by it when a failed job leaves them (stitchpress.aws.jobs).
    assert table["TimeToLiveSpecification"] == {"AttributeName": jobs.PURGE_ATTRIBUTE, "Enabled": True}


def test_idempotency_table_uses_the_powertools_default_schema() -> None:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    defaults = inspect.signature(DynamoDBPersistenceLayer.__init__).parameters
    key_attr, expiry_attr = defaults["key_attr"].default, defaults["expiry_attr"].default
    table = props("IdempotencyTable")
    assert (
        table["KeySchema"] == stack.IDEMPOTENCY_KEY_SCHEMA == [{"AttributeName": key_attr, "KeyType": "HASH"}]
    )
    assert table["AttributeDefinitions"] == [{"AttributeName": key_attr, "AttributeType": "S"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": expiry_attr, "Enabled": True}
    assert expiry_attr == stack.IDEMPOTENCY_TTL_ATTRIBUTE
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def notification_filters(queue: str = "${PublishQueue.Arn}") -> list[tuple[str, str, str, str]]:
    """(event, queue, prefix, suffix) of every drafts bucket notification to `queue`."""
    out = []
    for conf in props("DraftsBucket")["NotificationConfiguration"]["QueueConfigurations"]:
        rules = {r["Name"]: r["Value"] for r in conf["Filter"]["S3Key"]["Rules"]}
        assert set(rules) == {"prefix", "suffix"}
        if text(conf["Queue"]) == queue:
            out.append((conf["Event"], text(conf["Queue"]), rules["prefix"], rules["suffix"]))
    return out


def test_every_notification_goes_to_one_of_the_two_queues() -> None:
    confs = props("DraftsBucket")["NotificationConfiguration"]["QueueConfigurations"]
    assert {text(c["Queue"]) for c in confs} == {"${PublishQueue.Arn}", "${ImageQueue.Arn}"}


def test_only_markdown_under_drafts_notifies_the_publish_queue() -> None:
    from stitchpress.core.events import DRAFT_SUFFIXES

    filters = notification_filters()
    assert sorted(stack.NOTIFICATION_EVENTS) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    assert sorted((f[0], f[3]) for f in filters) == sorted(
        (event, suffix) for event in stack.NOTIFICATION_EVENTS for suffix in DRAFT_SUFFIXES
    )
    assert stack.DRAFT_SUFFIXES == DRAFT_SUFFIXES == (".md", ".markdown")
    for _event, queue, prefix, _suffix in filters:
        assert queue == "${PublishQueue.Arn}"
        assert prefix == stack.NOTIFICATION_PREFIX == "drafts/"


def matches_notification(key: str, queue: str = "${PublishQueue.Arn}") -> bool:
    return any(
        key.startswith(prefix) and key.endswith(suffix)
        for _e, _q, prefix, suffix in notification_filters(queue)
    )


@pytest.mark.parametrize(
    ("key", "triggers"),
    [
        ("drafts/2025-09-21-meta-ai-investment.md", True),
        ("drafts/nested/x.md", True),
        ("drafts/2025-09-21-jekyll.markdown", True),
        ("drafts/notes.txt", False),
        ("theme/post.html", False),
        ("theme/x.md", False),
        ("x.md", False),
        (keys.report_key("drafts/2025-09-21-meta-ai-investment.md"), False),
    ],
)
def test_what_triggers_a_publish(key: str, triggers: bool) -> None:
    assert matches_notification(key) is triggers


def test_queue_redrive_and_visibility_match_the_local_stack() -> None:
    queue = props("PublishQueue")
    assert queue["VisibilityTimeout"] == stack.VISIBILITY_TIMEOUT
    assert queue["VisibilityTimeout"] >= 6 * props("PublishFunction")["Timeout"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["PublishDeadLetterQueue", "Arn"]},
        "maxReceiveCount": stack.MAX_RECEIVE_COUNT,
    }
    # The dead-letter queue keeps messages longer than the source queue, so none expire on the way.
    assert props("PublishDeadLetterQueue")["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


def test_event_source_reports_partial_batch_failures_with_bounded_concurrency() -> None:
    (event,) = props("PublishFunction")["Events"].values()
    assert event["Type"] == "SQS"
    p = event["Properties"]
    assert text(p["Queue"]) == "${PublishQueue.Arn}"
    assert p["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert p["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "MaximumConcurrency"}}
    assert 1 <= p["BatchSize"] <= 10


# --- the rebuild function (issue 19) -------------------------------------------------------------


def test_rebuild_function_runs_its_handler_with_the_publish_settings_and_its_queue() -> None:
    from stitchpress.core import fanout

    fn = props("RebuildFunction")
    handler = function_handler("RebuildFunction", "rebuild")
    assert list(inspect.signature(handler).parameters) == ["event", "context"]
    assert fn["Layers"] == [{"Ref": "StitchpressLayer"}]
    # The pages it renders are the publish function's: the very same settings, and its queue.
    env = function_env("RebuildFunction")
    assert {k: v for k, v in env.items() if k != "REBUILD_QUEUE_URL"} == function_env()
    assert env["REBUILD_QUEUE_URL"] == {"Ref": "RebuildQueue"}
    queue = props("RebuildQueue")
    assert queue["VisibilityTimeout"] == stack.REBUILD_VISIBILITY_TIMEOUT >= 6 * fn["Timeout"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["RebuildDeadLetterQueue", "Arn"]},
        "maxReceiveCount": stack.MAX_RECEIVE_COUNT,
    }
    assert fanout.MAX_RECEIVES == stack.MAX_RECEIVE_COUNT  # the last attempt fails the job
    (event,) = fn["Events"].values()
    p = event["Properties"]
    assert event["Type"] == "SQS" and text(p["Queue"]) == "${RebuildQueue.Arn}"
    assert p["BatchSize"] == 1 and p["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert p["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "RebuildConcurrency"}}
    alarm = props("RebuildDeadLetterQueueAlarm")
    assert text(alarm["Dimensions"][0]["Value"]) == "${RebuildDeadLetterQueue.QueueName}"
    assert allowed("sqs:SendMessage", "RebuildFunctionRole") == ["${RebuildQueue.Arn}"]
    assert allowed("sqs:ReceiveMessage", "RebuildFunctionRole") == ["${RebuildQueue.Arn}"]


def test_the_publish_batching_window_is_a_parameter() -> None:
    (event,) = props("PublishFunction")["Events"].values()
    assert event["Properties"]["MaximumBatchingWindowInSeconds"] == {"Ref": "PublishBatchingWindowSeconds"}
    param = template()["Parameters"]["PublishBatchingWindowSeconds"]
    assert (param["MinValue"], param["MaxValue"]) == (0, 300)  # what SQS event sources accept
    assert param["Default"] == 1


def test_editors_may_start_and_follow_rebuild_jobs_and_nothing_else_in_the_index() -> None:
    statements = props("EditorsPolicy")["PolicyDocument"]["Statement"]
    table = [s for s in statements if text(s["Resource"]) == "${IndexTable.Arn}"]
    assert len(table) == 1
    assert table[0]["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["JOB"]}}
    from stitchpress.aws.jobs import JOB_KEY

    assert JOB_KEY["pk"]["S"] == "JOB"
    assert [text(s["Resource"]) for s in statements if "sqs:SendMessage" in as_list(s["Action"])] == [
        "${RebuildQueue.Arn}"
    ]


# --- the image function --------------------------------------------------------------------------


def test_image_function_runs_its_handler_on_arm64_with_pillows_own_layer() -> None:
    fn = props("ImageFunction")
    handler = function_handler("ImageFunction", "images")
    assert list(inspect.signature(handler).parameters) == ["event", "context"]
    glob = template()["Globals"]["Function"]
    assert fn.get("Architectures", glob.get("Architectures")) == ["arm64"]
    assert fn["Layers"] == [{"Ref": "StitchpressLayer"}, {"Ref": "ImagesLayer"}]
    # The publish function does not carry Pillow: its layer and cold start stay small.
    assert props("PublishFunction")["Layers"] == [{"Ref": "StitchpressLayer"}]
    layer = resource("ImagesLayer")
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    makefile = (ROOT / layer["Properties"]["ContentUri"] / "Makefile").read_text()
    assert "build-ImagesLayer:" in makefile
    # Pillow 13 has aarch64 wheels for manylinux_2_28 only.
    assert "--platform manylinux_2_28_aarch64" in makefile and "--python-version 3.13" in makefile
    pins = (ROOT / layer["Properties"]["ContentUri"] / "requirements.txt").read_text()
    from PIL import __version__ as pillow

    assert f"pillow=={pillow}" in pins.splitlines()  # the layer runs what the tests ran
    stitchpress_pins = (ROOT / "layers" / "stitchpress" / "requirements.txt").read_text().lower()
    assert "pillow" not in stitchpress_pins


def test_image_function_is_sized_for_encoding_and_its_queue_for_its_timeout() -> None:
    fn = props("ImageFunction")
    assert fn["MemorySize"] >= 2048 and fn["Timeout"] >= 60
    assert fn["Timeout"] > props("PublishFunction")["Timeout"]
    queue = props("ImageQueue")
    assert queue["VisibilityTimeout"] == stack.IMAGE_VISIBILITY_TIMEOUT >= 6 * fn["Timeout"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["ImageDeadLetterQueue", "Arn"]},
        "maxReceiveCount": stack.MAX_RECEIVE_COUNT,
    }
    (event,) = fn["Events"].values()
    assert event["Type"] == "SQS" and text(event["Properties"]["Queue"]) == "${ImageQueue.Arn}"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_image_function_environment_is_exactly_its_config_contract() -> None:
    from stitchpress.core.images import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
    from stitchpress.service.image_publish import IMAGE_ENV_VARS, ImageConfig

    env = function_env("ImageFunction")
    assert set(env) == set(IMAGE_ENV_VARS) | POWERTOOLS_VARS
    assert env["DRAFTS_BUCKET"] == {"Ref": "DraftsBucket"}
    assert env["SITE_BUCKET"] == {"Ref": "SiteBucket"}
    assert env["INDEX_TABLE"] == {"Ref": "IndexTable"}
    assert env["PUBLISH_QUEUE_URL"] == {"Ref": "PublishQueue"}
    config = ImageConfig.from_env(deployed.function_env("ImageFunction"), lambda_mode=True)
    assert (config.limits.max_bytes, config.limits.max_pixels) == (DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS)
    assert set(config.to_env()) == set(IMAGE_ENV_VARS)


@pytest.mark.parametrize(
    ("key", "triggers"),
    [
        ("drafts/chart.png", True),
        ("drafts/img/IMG_0001.JPG", True),
        ("drafts/a.jpeg", True),
        ("drafts/a.gif", True),
        ("drafts/a.webp", True),
        ("drafts/a.avif", True),
        ("drafts/logo.svg", True),  # to be told why it is refused
        ("drafts/post.md", False),
        ("theme/x.png", False),
        ("x.png", False),
        ("reports/chart.png.json", False),
    ],
)
def test_what_notifies_the_image_queue(key: str, triggers: bool) -> None:
    assert matches_notification(key, "${ImageQueue.Arn}") is triggers
    from stitchpress.service.image_publish import is_image_source_key

    assert is_image_source_key(key) is triggers


def test_image_notifications_match_the_local_stack() -> None:
    from stitchpress.core.images import NOTIFICATION_SUFFIXES

    filters = notification_filters("${ImageQueue.Arn}")
    assert sorted((e, p, x) for e, _q, p, x in filters) == sorted(
        (e, "drafts/", x) for e in stack.NOTIFICATION_EVENTS for x in NOTIFICATION_SUFFIXES
    )


def test_image_function_writes_only_media_on_the_site_and_never_drafts() -> None:
    role = "ImageFunctionRole"
    for action in ("s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject"):
        for res in allowed(action, role):
            assert res in {"${SiteBucket.Arn}/media/*", "${DraftsBucket.Arn}/reports/*"}, (action, res)
    assert allowed("sqs:SendMessage", role) == ["${PublishQueue.Arn}"]
    assert allowed("cloudfront:CreateInvalidation", role) == []
    assert allowed("dynamodb:TransactWriteItems", role) == []


def test_unused_media_expire_by_lifecycle_after_a_grace_period() -> None:
    from stitchpress.aws.media import UNUSED_GRACE_DAYS, UNUSED_TAG

    rules = {r["Id"]: r for r in props("SiteBucket")["LifecycleConfiguration"]["Rules"]}
    rule = rules["ExpireUnusedMedia"]
    assert rule["Status"] == "Enabled" and rule["Prefix"] == "media/"
    assert rule["TagFilters"] == [{"Key": UNUSED_TAG, "Value": "true"}]
    assert rule["ExpirationInDays"] == UNUSED_GRACE_DAYS


# --- permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["PublishFunctionRole", "ImageFunctionRole", "RebuildFunctionRole"])
def test_the_function_can_write_to_the_drafts_bucket_only_outside_drafts(role: str) -> None:
    for action in ("s3:PutObject", "s3:DeleteObject"):
        for res in allowed(action, role):
            if "DraftsBucket" in res:
                assert res == "${DraftsBucket.Arn}/reports/*", (action, res)
    assert not keys.REPORTS_PREFIX.startswith(stack.NOTIFICATION_PREFIX)
    assert not matches_notification(keys.REPORTS_PREFIX + "x.md")
    assert not matches_notification(keys.REPORTS_PREFIX + "x.png.json", "${ImageQueue.Arn}")
    # The site lives in another bucket, which has no notifications at all.
    assert "NotificationConfiguration" not in props("SiteBucket")


def test_the_function_reads_drafts_and_theme_including_versions() -> None:
    expected = {"${DraftsBucket.Arn}/drafts/*", "${DraftsBucket.Arn}/theme/*"}
    assert expected <= set(allowed("s3:GetObject"))
    assert expected <= set(allowed("s3:GetObjectVersion"))
    assert keys.DRAFTS_PREFIX == "drafts/" and keys.THEME_PREFIX == "theme/"


@pytest.mark.parametrize("role", ["PublishFunctionRole", "ImageFunctionRole", "RebuildFunctionRole"])
def test_permissions_are_scoped_to_this_stacks_resources(role: str) -> None:
    invalidate = allowed("cloudfront:CreateInvalidation", role)
    if role != "ImageFunctionRole":
        assert invalidate == [
            "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"
        ]
    for st in role_statements(role):
        actions = as_list(st["Action"])
        assert not any(a.endswith("*") for a in actions), st
        if "*" in as_list(st["Resource"]):
            assert all(a.startswith("xray:") for a in actions), st  # X-Ray has no resource-level scoping


# --- the site ------------------------------------------------------------------------------------


def test_site_bucket_is_private_and_read_only_by_this_distribution() -> None:
    for bucket in ("SiteBucket", "DraftsBucket"):
        assert set(props(bucket)["PublicAccessBlockConfiguration"].values()) == {True}
        assert props(bucket)["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    allows = [s for s in props("SiteBucketPolicy")["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (st,) = allows
    assert st["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert st["Action"] == "s3:GetObject"
    assert text(st["Condition"]["StringEquals"]["AWS:SourceArn"]).endswith(":distribution/${Distribution}")
    (origin,) = props("Distribution")["DistributionConfig"]["Origins"]
    assert text(origin["OriginAccessControlId"]) == "${SiteOriginAccessControl.Id}"


def test_distribution_serves_https_http3_compressed_with_a_404_page() -> None:
    config = props("Distribution")["DistributionConfig"]
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["Compress"] is True
    assert config["HttpVersion"] == "http2and3"
    assert {r["ErrorCode"]: r["ResponsePagePath"] for r in config["CustomErrorResponses"]} == {
        403: "/404.html",
        404: "/404.html",
    }
    assert all(r["ResponseCode"] == 404 for r in config["CustomErrorResponses"])
    headers = props("SecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"


def run_viewer_request(uri: str) -> dict[str, Any]:
    """Run the CloudFront Function's code in Node (close enough to cloudfront-js-2.0 for this)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    code = props("DirectoryIndexFunction")["FunctionCode"]
    script = code + f"\nconsole.log(JSON.stringify(handler({{request: {{uri: {json.dumps(uri)}}}}})));\n"
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True, timeout=30)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/", "/index.html"),
        ("/2025/09/21/meta-ai-investment/", "/2025/09/21/meta-ai-investment/index.html"),
        ("/tags/%E6%8A%95%E8%B3%87/", "/tags/%E6%8A%95%E8%B3%87/index.html"),
        ("/assets/style.css", "/assets/style.css"),
        ("/feed.xml", "/feed.xml"),
        ("/404.html", "/404.html"),
    ],
)
def test_directory_urls_map_to_index_html(uri: str, expected: str) -> None:
    assert run_viewer_request(uri) == {"uri": expected}


def test_a_directory_url_without_its_slash_redirects() -> None:
    response = run_viewer_request("/2025/09/21/meta-ai-investment")
    assert response["statusCode"] == 301
    assert response["headers"]["location"]["value"] == "/2025/09/21/meta-ai-investment/"


# --- the Content-Security-Policy against the rendered theme ----------------------------------------


def csp() -> dict[str, list[str]]:
    headers = props("SecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    policy = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    out: dict[str, list[str]] = {}
    for directive in filter(None, (d.strip() for d in policy.split(";"))):
        name, *values = directive.split()
        out[name] = values
    return out


def test_csp_is_strict() -> None:
    policy = csp()
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'none'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "base-uri" in policy
    assert not any("'unsafe-inline'" in v or "'unsafe-eval'" in v for v in policy.values())


class CspAudit(HTMLParser):
    """Collects what a browser would block under a CSP of the shape test_csp_is_strict checks."""

    def __init__(self, policy: dict[str, list[str]]) -> None:
        super().__init__()
        self.policy = policy
        self.violations: list[str] = []
        self.stylesheets: list[str] = []

    def source_allowed(self, directive: str, url: str) -> bool:
        sources = self.policy.get(directive, self.policy["default-src"])
        if "'none'" in sources:
            return False
        has_scheme = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url) is not None
        if not has_scheme and not url.startswith("//"):  # a path: same origin
            return "'self'" in sources
        return has_scheme and url.split(":", 1)[0].lower() + ":" in sources

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "style" in a:
            self.violations.append(f"inline style attribute on <{tag}>")
        if any(k.startswith("on") for k in a):
            self.violations.append(f"event handler attribute on <{tag}>")
        if tag == "style":
            self.violations.append("<style> element")
        if tag == "script" and a.get("type") != "application/ld+json":
            self.violations.append(f"<script type={a.get('type')!r}>")
        if tag in {"iframe", "object", "embed", "frame"}:
            self.violations.append(f"<{tag}>")
        if tag == "link" and "stylesheet" in a.get("rel", "").split():
            self.stylesheets.append(a.get("href", ""))
            if not self.source_allowed("style-src", a.get("href", "")):
                self.violations.append(f"stylesheet {a.get('href')}")
        if tag == "img" and not self.source_allowed("img-src", a.get("src", "")):
            self.violations.append(f"image {a.get('src')}")
        if tag == "base":
            self.violations.append("<base>")


def test_the_default_theme_satisfies_the_csp() -> None:
    from stitchpress.core.model import PostSummary, SiteSettings, Term
    from stitchpress.core.render import Renderer, render_markdown

    renderer = Renderer(SiteSettings(title="t", base_url="https://example.com", language="ja"))
    body = EXAMPLE_DRAFT.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    body += (
        "\n\n| l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n\n```python\nprint('x')\n```\n\n"
        "![remote](https://images.example.com/a.png) ![local](/images/b.png)\n\n"
        '<span style="color:red" onclick="x()">raw</span><script>alert(1)</script>\n'
    )
    post = PostSummary(
        source_key="drafts/2025-09-21-x.md",
        title="x",
        date=datetime(2025, 9, 21, tzinfo=UTC),
        url="/2025/09/21/x/",
        tags=(Term("ai", "AI"),),
        categories=(Term("投資分析", "投資分析"),),
    )
    pages = {
        "post": renderer.post_page(post, render_markdown(body), reading_time=3),
        "404": renderer.not_found_page(),
    }
    for name, html in pages.items():
        audit = CspAudit(csp())
        audit.feed(html)
        assert audit.violations == [], name
        assert audit.stylesheets, name  # the theme's stylesheet is there, and allowed
