"""`stitchpress rebuild` takes its settings from the deployed stack and never from defaults."""

from __future__ import annotations

import pytest

from stitchpress.cli.deployed import StackSettingsError, merged_environment, require
from stitchpress.cli.main import main

NAMES = {
    "DRAFTS_BUCKET": "stitchpress-drafts-1",
    "SITE_BUCKET": "stitchpress-site-1",
    "INDEX_TABLE": "stitchpress-index-1",
    "DISTRIBUTION_ID": "E123",
}


def test_rebuild_refuses_to_run_without_the_site_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in NAMES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SITE_URL", raising=False)
    # Were it to go on, it would fail on this closed port instead of exiting 2.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

    assert main(["rebuild"]) == 2
    err = capsys.readouterr().err
    assert "SITE_URL (template.yaml Output SiteUrl)" in err
    assert "--stack NAME" in err
    assert "Traceback" not in err


def test_the_message_names_template_outputs_for_every_missing_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (*NAMES, "SITE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main(["rebuild"]) == 2
    err = capsys.readouterr().err
    for output in ("DraftsBucketName", "SiteBucketName", "IndexTableName", "DistributionId", "SiteUrl"):
        assert f"template.yaml Output {output}" in err


def test_the_function_environment_wins_and_outputs_fill_gaps() -> None:
    outputs = {"DraftsBucketName": "from-output", "SiteUrl": "https://d1.cloudfront.net", "Other": "x"}
    function_env = {"DRAFTS_BUCKET": "from-function", "SITE_TITLE": "Blog", "SITE_DESCRIPTION": ""}
    assert merged_environment(outputs, function_env) == {
        "DRAFTS_BUCKET": "from-function",
        "SITE_URL": "https://d1.cloudfront.net",
        "SITE_TITLE": "Blog",
    }


def test_require_keeps_the_stack_settings() -> None:
    env = {**NAMES, "SITE_URL": "https://blog.example/", "SITE_TITLE": "Blog", "SITE_LANGUAGE": "ja"}
    config = require(env, "stack x")
    assert (config.site.base_url, config.site.title, config.site.language) == (
        "https://blog.example",
        "Blog",
        "ja",
    )
    with pytest.raises(StackSettingsError, match=r"stack x does not give SITE_URL"):
        require(NAMES, "stack x")


def test_a_job_always_invalidates_so_no_invalidate_needs_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # never reached
    assert main(["rebuild", "--stack", "blog", "--no-invalidate"]) == 2
    err = capsys.readouterr().err
    assert "--no-invalidate applies to --in-process only" in err and "Traceback" not in err
