from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from stitchpress.core.model import SiteSettings
from stitchpress.service.config import Config, add_site_arguments, site_from_arguments

ROOT = Path(__file__).resolve().parents[2]


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
