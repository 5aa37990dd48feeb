"""Settings read from the environment: the template.yaml contract.

template.yaml sets exactly these variables on the function; the local stack sets them for its
worker. tests/unit/test_template.py checks the two agree.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.model import SiteSettings

if TYPE_CHECKING:  # argparse and tomllib only for local commands: not on the Lambda's cold start
    import argparse

# Variable name -> what it is. Every name here is read by the code below.
ENV_VARS: dict[str, str] = {
    "DRAFTS_BUCKET": "bucket writers upload drafts to (drafts/*.md); reports go under reports/",
    "SITE_BUCKET": "bucket holding the rendered site, served by CloudFront",
    "INDEX_TABLE": "DynamoDB table: posts and their tag/category memberships",
    "IDEMPOTENCY_TABLE": "DynamoDB table for Powertools idempotency records",
    "DISTRIBUTION_ID": "CloudFront distribution to invalidate",
    "SITE_URL": "absolute base URL of the site, no trailing slash",
    "SITE_TITLE": "site title",
    "SITE_LANGUAGE": "default page language (BCP 47), e.g. ja or en",
    "SITE_DESCRIPTION": "site description for the home page and feed",
    "SITE_AUTHOR": "default author when a draft names none",
    "MAX_DRAFT_BYTES": "largest draft accepted, in bytes",
    "INVALIDATION_PATH_LIMIT": "above this many changed paths, invalidate /* instead",
}

DEFAULT_MAX_DRAFT_BYTES = 2 * 1024 * 1024
DEFAULT_INVALIDATION_PATH_LIMIT = 100


def require_env(env: Mapping[str, str], *names: str) -> None:
    """Fail at cold start, naming every variable the function's configuration lacks."""
    missing = [n for n in names if not env.get(n)]
    if missing:
        raise RuntimeError(f"missing environment variables: {', '.join(missing)}")


@dataclass(frozen=True)
class Config:
    drafts_bucket: str
    site_bucket: str
    index_table: str
    idempotency_table: str
    distribution_id: str
    site: SiteSettings
    max_draft_bytes: int = DEFAULT_MAX_DRAFT_BYTES
    invalidation_path_limit: int = DEFAULT_INVALIDATION_PATH_LIMIT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        e = os.environ if env is None else env
        require_env(e, "DRAFTS_BUCKET", "SITE_BUCKET", "INDEX_TABLE", "DISTRIBUTION_ID")
        return cls(
            drafts_bucket=e["DRAFTS_BUCKET"],
            site_bucket=e["SITE_BUCKET"],
            index_table=e["INDEX_TABLE"],
            idempotency_table=e.get("IDEMPOTENCY_TABLE", ""),
            distribution_id=e["DISTRIBUTION_ID"],
            site=SiteSettings(
                title=e.get("SITE_TITLE") or "stitchpress",
                base_url=(e.get("SITE_URL") or "http://localhost:8000").rstrip("/"),
                language=e.get("SITE_LANGUAGE") or "en",
                description=e.get("SITE_DESCRIPTION") or "",
                author=e.get("SITE_AUTHOR") or None,
            ),
            max_draft_bytes=int(e.get("MAX_DRAFT_BYTES") or DEFAULT_MAX_DRAFT_BYTES),
            invalidation_path_limit=int(e.get("INVALIDATION_PATH_LIMIT") or DEFAULT_INVALIDATION_PATH_LIMIT),
        )

    def to_env(self) -> dict[str, str]:
        s = self.site
        return {
            "DRAFTS_BUCKET": self.drafts_bucket,
            "SITE_BUCKET": self.site_bucket,
            "INDEX_TABLE": self.index_table,
            "IDEMPOTENCY_TABLE": self.idempotency_table,
            "DISTRIBUTION_ID": self.distribution_id,
            "SITE_URL": s.base_url,
            "SITE_TITLE": s.title,
            "SITE_LANGUAGE": s.language,
            "SITE_DESCRIPTION": s.description,
            "SITE_AUTHOR": s.author or "",
            "MAX_DRAFT_BYTES": str(self.max_draft_bytes),
            "INVALIDATION_PATH_LIMIT": str(self.invalidation_path_limit),
        }


SITE_FIELDS = ("title", "base_url", "language", "description", "author")


def add_site_arguments(parser: argparse.ArgumentParser) -> None:
    """Local commands take the site settings AWS gets from template parameters: from a TOML file
    (keys as in SiteSettings: title, base_url, language, description, author) and/or flags."""
    parser.add_argument("--settings", type=Path, help="TOML file of site settings")
    parser.add_argument("--title", help="site title")
    parser.add_argument("--language", help="default page language, e.g. ja or en")
    parser.add_argument("--description", help="site description")
    parser.add_argument("--author", help="default author")


def site_from_arguments(args: argparse.Namespace, base: SiteSettings | None = None) -> SiteSettings:
    """Settings file first, then flags; raises ValueError with the file and key on a bad file."""
    import tomllib

    site = base or SiteSettings()
    if args.settings is not None:
        try:
            data = tomllib.loads(args.settings.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ValueError(f"{args.settings}: {e}") from e
        known = {f.name for f in fields(SiteSettings)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"{args.settings}: unknown setting {', '.join(unknown)}; known: {', '.join(SITE_FIELDS)}"
            )
        bad = sorted(k for k, v in data.items() if not isinstance(v, str))
        if bad:
            raise ValueError(f"{args.settings}: {', '.join(bad)}: expected a string")
        site = replace(site, **data)
    flags = {
        k: getattr(args, k) for k in ("title", "language", "description", "author") if getattr(args, k, None)
    }
    return replace(site, **flags)
