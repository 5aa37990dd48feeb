"""Settings read from the environment: the template.yaml contract.

template.yaml sets exactly these variables on the function; the local stack sets them for its
worker. tests/unit/test_template.py checks the two agree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

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

# Where template.yaml gets each value: named in every configuration error, so whoever sees the
# function's failed cold start knows what to fix in the stack.
SOURCES: dict[str, str] = {
    "DRAFTS_BUCKET": "resource DraftsBucket, Output DraftsBucketName",
    "SITE_BUCKET": "resource SiteBucket, Output SiteBucketName",
    "INDEX_TABLE": "resource IndexTable, Output IndexTableName",
    "IDEMPOTENCY_TABLE": "resource IdempotencyTable",
    "DISTRIBUTION_ID": "resource Distribution, Output DistributionId",
    "SITE_URL": "parameter DomainName, else the Distribution's domain, Output SiteUrl",
    "SITE_TITLE": "parameter SiteTitle",
    "SITE_LANGUAGE": "parameter SiteLanguage",
    "SITE_DESCRIPTION": "parameter SiteDescription",
    "SITE_AUTHOR": "parameter SiteAuthor",
    "MAX_DRAFT_BYTES": "parameter MaxDraftBytes",
    "INVALIDATION_PATH_LIMIT": "parameter InvalidationPathLimit",
}
# May be empty (the template's parameters default to ""), or absent.
OPTIONAL = frozenset({"SITE_DESCRIPTION", "SITE_AUTHOR"})
# Outside Lambda (the local stack, the CLI, tests) these may be left out.
LOCAL_OPTIONAL = frozenset(
    {
        "IDEMPOTENCY_TABLE",
        "SITE_URL",
        "SITE_TITLE",
        "SITE_LANGUAGE",
        "MAX_DRAFT_BYTES",
        "INVALIDATION_PATH_LIMIT",
    }
)

DEFAULT_MAX_DRAFT_BYTES = 2 * 1024 * 1024
DEFAULT_INVALIDATION_PATH_LIMIT = 100

# The forms AWS gives these names (a malformed one is a broken stack, not a user's typo).
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
DISTRIBUTION_ID = re.compile(r"[A-Za-z0-9]{1,128}")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")  # template.yaml's AllowedPattern
LANGUAGE_HINT = "a BCP 47 language tag such as en or ja"
BUCKET_HINT = "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)"
TABLE_HINT = "a DynamoDB table name (3-255 letters, digits, _ . -)"
DISTRIBUTION_HINT = "a CloudFront distribution id"


class ConfigError(RuntimeError):
    """The function's environment is missing or malformed: the stack, not a draft, is wrong."""


def in_lambda(env: Mapping[str, str] | None = None) -> bool:
    """Running as a deployed function: Lambda sets AWS_LAMBDA_FUNCTION_NAME in every runtime."""
    return bool((os.environ if env is None else env).get("AWS_LAMBDA_FUNCTION_NAME"))


class EnvReader:
    """Reads variables, collecting every problem; `done()` raises them all as one ConfigError.
    A variable not in `required` falls back to its default when absent or empty."""

    def __init__(self, env: Mapping[str, str], required: Iterable[str], sources: Mapping[str, str]) -> None:
        self.env = env
        self.required = frozenset(required)
        self.sources = sources
        self.problems: list[str] = []

    def _problem(self, name: str, what: str) -> None:
        source = self.sources.get(name)
        self.problems.append(f"{name} {what}" + (f" (template.yaml: {source})" if source else ""))

    def text(self, name: str, default: str = "", form: re.Pattern[str] | None = None, hint: str = "") -> str:
        value = self.env.get(name, "")
        if not value:
            if name in self.required:
                self._problem(name, "is missing")
            return default
        if form is not None and not form.fullmatch(value):
            self._problem(name, f"is {value!r}: expected {hint}")
        return value

    def url(self, name: str, default: str) -> str:
        value = self.text(name, default)
        parts = urlsplit(value)
        if value and (
            parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment
        ):
            self._problem(
                name, f"is {value!r}: expected an absolute http(s) URL such as https://blog.example.com"
            )
        return value.rstrip("/")

    def integer(self, name: str, default: int, minimum: int = 1) -> int:
        value = self.text(name)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            self._problem(name, f"is {value!r}: expected a whole number, at least {minimum}")
            return default
        return number

    def seconds(self, name: str, default: float, maximum: float) -> float:
        value = self.text(name)
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0 <= number <= maximum:
            self._problem(name, f"is {value!r}: expected a number of seconds from 0 to {maximum:.10g}")
            return default
        return number

    def done(self, what: str) -> None:
        if self.problems:
            raise ConfigError(f"{what}: " + "; ".join(self.problems))


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
    def from_env(cls, env: Mapping[str, str] | None = None, *, lambda_mode: bool | None = None) -> Config:
        """The publish function's settings, every variable checked once. In Lambda (detected,
        or `lambda_mode`) each variable the template sets is required: a missing SITE_URL must
        not become localhost on a live site. Elsewhere the site settings have defaults."""
        e = os.environ if env is None else env
        strict = in_lambda(e) if lambda_mode is None else lambda_mode
        r = EnvReader(e, cls.required(strict), SOURCES)
        config = cls.read(r, strict)
        r.done("the publish function's configuration" + (" (Lambda)" if strict else ""))
        return config

    @staticmethod
    def required(strict: bool) -> set[str]:
        """The variables that must be set: all but OPTIONAL in Lambda, fewer locally."""
        return set(ENV_VARS) - (OPTIONAL if strict else OPTIONAL | LOCAL_OPTIONAL)

    @classmethod
    def read(cls, r: EnvReader, strict: bool) -> Config:
        """The settings from `r`, its problems collected there (the rebuild function reads these
        and one more variable with one reader, so one error names them all)."""
        # The resources' names are checked in Lambda only: locally the stack names them.
        bucket = BUCKET_NAME if strict else None
        table = TABLE_NAME if strict else None
        return cls(
            drafts_bucket=r.text("DRAFTS_BUCKET", form=bucket, hint=BUCKET_HINT),
            site_bucket=r.text("SITE_BUCKET", form=bucket, hint=BUCKET_HINT),
            index_table=r.text("INDEX_TABLE", form=table, hint=TABLE_HINT),
            idempotency_table=r.text("IDEMPOTENCY_TABLE", form=table, hint=TABLE_HINT),
            distribution_id=r.text(
                "DISTRIBUTION_ID",
                form=DISTRIBUTION_ID if strict else None,
                hint=DISTRIBUTION_HINT,
            ),
            site=SiteSettings(
                title=r.text("SITE_TITLE", "stitchpress"),
                base_url=r.url("SITE_URL", SiteSettings.base_url),
                language=r.text("SITE_LANGUAGE", "en", LANGUAGE, LANGUAGE_HINT),
                description=r.text("SITE_DESCRIPTION"),
                author=r.text("SITE_AUTHOR") or None,
            ),
            max_draft_bytes=r.integer("MAX_DRAFT_BYTES", DEFAULT_MAX_DRAFT_BYTES),
            invalidation_path_limit=r.integer("INVALIDATION_PATH_LIMIT", DEFAULT_INVALIDATION_PATH_LIMIT),
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
