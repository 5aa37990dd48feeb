from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from stitchpress.core.model import SiteSettings
from stitchpress.service.config import Config, ConfigError, add_site_arguments, site_from_arguments
from tests.deployed import LAYER, function_env, handler_location, lambda_env

ROOT = Path(__file__).resolve().parents[2]
# What the Lambda runtime (not template.yaml) sets: tests/deployed.py's lambda_env.
LAMBDA_RUNTIME = set(lambda_env("SweepFunction")) - set(function_env("SweepFunction"))


def refusal(read: Callable[[dict[str, str]], object], env: dict[str, str]) -> str:
    """The message of the ConfigError a function's settings reader raises on `env`."""
    with pytest.raises(ConfigError) as e:
        read(env)
    return str(e.value)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_site_arguments(parser)
    return parser.parse_args(argv)


def test_settings_file_then_flags() -> None:
    site = site_from_arguments(parse("--settings", str(ROOT / "examples/site.toml"), "--author", "Me"))
    assert site.title == "ALLFORCES ブログ"
    assert site.language == "ja"
    assert site.author == "Me"  # the flag wins over the file
    assert site.base_url == SiteSettings().base_url


def test_bad_settings_file_names_the_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "site.toml"
    bad.write_text('titel = "typo"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"site.toml: unknown setting titel"):
        site_from_arguments(parse("--settings", str(bad)))
    bad.write_text("title = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"site.toml: title: expected a string"):
        site_from_arguments(parse("--settings", str(bad)))


def test_config_round_trips_through_the_environment() -> None:
    config = Config(
        drafts_bucket="d",
        site_bucket="s",
        index_table="i",
        idempotency_table="p",
        distribution_id="E1",
        site=SiteSettings(
            title="T", base_url="https://x.example", language="ja", description="D", author="A"
        ),
        max_draft_bytes=123,
        invalidation_path_limit=7,
    )
    assert Config.from_env(config.to_env()) == config
    with pytest.raises(RuntimeError, match="DRAFTS_BUCKET"):
        Config.from_env({})


def test_import_leaves_argparse_and_tomllib_to_the_local_commands() -> None:
    """The handler imports config on every cold start; argparse and tomllib serve only the local
    TOML/flags path (~3 ms, BENCHMARKS.md "Handler cold start")."""
    code = "import sys, stitchpress.service.config\nprint(sorted(m for m in ('argparse', 'tomllib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- Lambda mode: the template's variables, each checked once at cold start ----------------------


def deployed_env(**changes: str | None) -> dict[str, str]:
    """The publish function's environment as template.yaml deploys it, with `changes` (None
    removes a variable)."""
    env = lambda_env("PublishFunction")
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_the_deployed_environment_is_a_valid_lambda_config() -> None:
    config = Config.from_env(deployed_env())
    assert config.site.base_url == "https://d111111abcdef8.cloudfront.net"
    assert config.idempotency_table  # the handler's idempotency store: from Config, not os.environ


def test_lambda_mode_refuses_a_missing_site_url_naming_what_sets_it() -> None:
    message = refusal(Config.from_env, deployed_env(SITE_URL=None))
    assert "SITE_URL is missing" in message
    assert "Output SiteUrl" in message and "DomainName" in message
    # Outside Lambda (no AWS_LAMBDA_FUNCTION_NAME), the local default stands.
    local = Config.from_env(deployed_env(SITE_URL=None, AWS_LAMBDA_FUNCTION_NAME=None))
    assert local.site.base_url == "http://localhost:8000"


@pytest.mark.parametrize(
    "url", ["d111111abcdef8.cloudfront.net", "ftp://blog.example.com", "https://", "https://x.example/?a=1"]
)
def test_lambda_mode_refuses_a_malformed_site_url(url: str) -> None:
    with pytest.raises(ConfigError, match=r"SITE_URL is '.*': expected an absolute http\(s\) URL"):
        Config.from_env(deployed_env(SITE_URL=url))


@pytest.mark.parametrize(
    ("name", "value", "source"),
    [
        ("IDEMPOTENCY_TABLE", None, "resource IdempotencyTable"),
        ("DISTRIBUTION_ID", None, "Output DistributionId"),
        ("DRAFTS_BUCKET", "Drafts_Bucket", "Output DraftsBucketName"),
        ("INDEX_TABLE", "a b", "Output IndexTableName"),
        ("MAX_DRAFT_BYTES", "2MB", "parameter MaxDraftBytes"),
        ("INVALIDATION_PATH_LIMIT", "0", "parameter InvalidationPathLimit"),
        ("SITE_LANGUAGE", "english!", "parameter SiteLanguage"),
        ("SITE_TITLE", "", "parameter SiteTitle"),
    ],
)
def test_lambda_mode_names_each_bad_variable_and_its_source(
    name: str, value: str | None, source: str
) -> None:
    problem = refusal(Config.from_env, deployed_env(**{name: value})).split(": ", 1)[1]
    assert problem.startswith(f"{name} is ") and problem.endswith(f"{source})")


def test_every_problem_in_one_message() -> None:
    env = deployed_env(SITE_URL="example.com", SITE_BUCKET=None, MAX_DRAFT_BYTES="-1")
    problems = refusal(Config.from_env, env).split(": ", 1)[1].split("; ")
    assert [p.split()[0] for p in problems] == ["SITE_BUCKET", "SITE_URL", "MAX_DRAFT_BYTES"]


def test_description_and_author_may_be_empty_in_lambda() -> None:
    config = Config.from_env(deployed_env(SITE_DESCRIPTION="", SITE_AUTHOR=None))
    assert config.site.description == "" and config.site.author is None


def test_explicit_mode_overrides_detection() -> None:
    env = deployed_env(SITE_URL=None, AWS_LAMBDA_FUNCTION_NAME=None)
    with pytest.raises(ConfigError, match="SITE_URL is missing"):
        Config.from_env(env, lambda_mode=True)
    assert Config.from_env(deployed_env(SITE_URL=None), lambda_mode=False).site.base_url.startswith("http://")


def test_the_image_function_checks_its_environment_the_same_way() -> None:
    from stitchpress.service.image_publish import ImageConfig

    env = lambda_env("ImageFunction")
    assert ImageConfig.from_env(env).publish_queue_url.startswith("https://sqs.")
    env["PUBLISH_QUEUE_URL"] = "publish-queue"
    del env["MAX_IMAGE_BYTES"]
    assert refusal(ImageConfig.from_env, env) == (
        "the image function's configuration (Lambda): PUBLISH_QUEUE_URL is 'publish-queue': expected an"
        " absolute http(s) URL such as https://blog.example.com (template.yaml: resource PublishQueue,"
        " Output PublishQueueUrl); MAX_IMAGE_BYTES is missing (template.yaml: parameter MaxImageBytes)"
    )


def test_the_sweep_checks_its_environment_the_same_way() -> None:
    from stitchpress.service.sweep import SweepConfig

    env = lambda_env("SweepFunction")
    assert SweepConfig.from_env(env).lookahead == 60
    env["SWEEP_LOOKAHEAD_SECONDS"] = "3600"  # past SQS's longest delay
    del env["SEARCH_QUEUE_URL"]
    assert refusal(SweepConfig.from_env, env) == (
        "the sweep function's configuration (Lambda): SEARCH_QUEUE_URL is missing (template.yaml:"
        " resource SearchQueue, Output SearchQueueUrl); SWEEP_LOOKAHEAD_SECONDS is '3600': expected a"
        " number of seconds from 0 to 900 (template.yaml: SweepFunction's Environment)"
    )
    local = {k: v for k, v in env.items() if k not in ("AWS_LAMBDA_FUNCTION_NAME", "SWEEP_LOOKAHEAD_SECONDS")}
    with pytest.raises(ConfigError, match="SEARCH_QUEUE_URL is missing"):  # required everywhere
        SweepConfig.from_env(local)


def test_the_search_function_checks_its_environment_the_same_way() -> None:
    from stitchpress.service.search_job import SearchConfig

    env = lambda_env("SearchFunction")
    assert SearchConfig.from_env(env).grace == 86_400
    env["SEARCH_GRACE_SECONDS"] = "a day"
    env["SITE_BUCKET"] = "Site_Bucket"
    del env["SITE_LANGUAGE"]
    assert refusal(SearchConfig.from_env, env) == (
        "the search function's configuration (Lambda): SITE_BUCKET is 'Site_Bucket': expected an S3"
        " bucket name (3-63 lowercase letters, digits, dots, hyphens) (template.yaml: resource"
        " SiteBucket, Output SiteBucketName); SITE_LANGUAGE is missing (template.yaml: parameter"
        " SiteLanguage); SEARCH_GRACE_SECONDS is 'a day': expected a number of seconds from 0 to"
        " 31536000 (template.yaml: SearchFunction's Environment)"
    )
    # Outside Lambda the language and the grace period have defaults; the resources do not.
    local = {"INDEX_TABLE": "t", "SITE_BUCKET": "s", "DISTRIBUTION_ID": "E1"}
    assert SearchConfig.from_env(local).site_language == "en"
    with pytest.raises(ConfigError, match="DISTRIBUTION_ID is missing"):
        SearchConfig.from_env({k: v for k, v in local.items() if k != "DISTRIBUTION_ID"})


def test_the_rebuild_function_checks_its_environment_the_same_way() -> None:
    from stitchpress.service.rebuild_handler import RebuildConfig

    env = lambda_env("RebuildFunction")
    config = RebuildConfig.from_env(env)
    assert config.publish == Config.from_env(lambda_env("PublishFunction"))  # the same pages
    assert config.queue_url.startswith("https://sqs.")
    del env["SITE_URL"]
    env["REBUILD_QUEUE_URL"] = "rebuild-queue"
    assert refusal(RebuildConfig.from_env, env) == (
        "the rebuild function's configuration (Lambda): SITE_URL is missing (template.yaml: parameter"
        " DomainName, else the Distribution's domain, Output SiteUrl); REBUILD_QUEUE_URL is"
        " 'rebuild-queue': expected an absolute http(s) URL such as https://blog.example.com"
        " (template.yaml: resource RebuildQueue, Output RebuildQueueUrl)"
    )
    local = {k: v for k, v in env.items() if k not in ("AWS_LAMBDA_FUNCTION_NAME", "REBUILD_QUEUE_URL")}
    with pytest.raises(ConfigError, match="REBUILD_QUEUE_URL is missing"):  # required everywhere
        RebuildConfig.from_env(local)


def test_the_local_stack_gives_each_worker_every_variable_lambda_requires() -> None:
    """`stitchpress local up` runs the publish, image, rebuild and search functions in one
    process: their environment holds every variable template.yaml sets on each of them."""
    from stitchpress.local.session import functions_env
    from stitchpress.local.stack import Stack
    from stitchpress.service.image_publish import ImageConfig
    from stitchpress.service.rebuild_handler import RebuildConfig
    from stitchpress.service.search_job import SearchConfig

    site = SiteSettings(base_url="http://127.0.0.1:8000")
    config = Config("drafts-x", "site-x", "index-x", "idem-x", "E1", site)
    stack = Stack(
        config, "http://q.local/q", "http://q.local/dlq", "us-east-1", rebuild_queue_url="http://q.local/r"
    )
    env = functions_env(stack)
    for function in ("PublishFunction", "ImageFunction", "RebuildFunction", "SearchFunction"):
        assert set(lambda_env(function)) - set(env) <= LAMBDA_RUNTIME, function
    for read in (Config.from_env, ImageConfig.from_env, RebuildConfig.from_env, SearchConfig.from_env):
        read(env, lambda_mode=True)  # none missing, none malformed


@pytest.mark.parametrize(
    ("function", "variable", "says"),
    [
        (
            "SweepFunction",
            "INDEX_TABLE",
            "the sweep function's configuration (Lambda): INDEX_TABLE is missing",
        ),
        ("PublishFunction", "SITE_URL", "the publish function's configuration (Lambda): SITE_URL is missing"),
        (
            "RebuildFunction",
            "REBUILD_QUEUE_URL",
            "the rebuild function's configuration (Lambda): REBUILD_QUEUE_URL is missing",
        ),
        (
            "SearchFunction",
            "DISTRIBUTION_ID",
            "the search function's configuration (Lambda): DISTRIBUTION_ID is missing",
        ),
        (
            "ImageFunction",
            "PUBLISH_QUEUE_URL",
            "the image function's configuration (Lambda): PUBLISH_QUEUE_URL is missing",
        ),
    ],
)
def test_a_bad_configuration_fails_the_cold_start(function: str, variable: str, says: str) -> None:
    """Imported as Lambda imports it, the function refuses to start (before any event), with
    the one message; nothing is published with a localhost URL."""
    code_dir, module, _ = handler_location(function)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "LAMBDA_"))}
    env = keep | lambda_env(function) | {"PYTHONPATH": str(LAYER)}
    del env[variable]
    proc = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=code_dir, env=env, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert f"ConfigError: {says}" in proc.stderr
