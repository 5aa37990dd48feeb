"""Plain data shared by the pure core (stitch, validate, render) and the AWS edges.

Nothing here imports boto3 or does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Message:
    """One finding about a draft, formatted like a compiler diagnostic.

    `field` names the front matter field (or "stitch", "body", ...) the finding is about;
    `line` is a 1-based line number in the draft file when one is known, or in `file` when the
    finding is about another file (a theme template: "theme/post.html").
    """

    level: Level
    text: str
    line: int | None = None
    field: str | None = None
    file: str | None = None

    def format(self, path: str) -> str:
        where = self.file or path
        loc = f"{where}:{self.line}" if self.line else where
        prefix = "" if self.level == "error" else f"{self.level}: "
        subject = f"{self.field}: " if self.field else ""
        return f"{loc}: {prefix}{subject}{self.text}"

    def to_json(self) -> dict[str, Any]:
        out = {"level": self.level, "text": self.text, "line": self.line, "field": self.field}
        return out if self.file is None else {**out, "file": self.file}


class DraftRejected(Exception):
    """A draft that must not be published. Carries every error found (and any warnings)."""

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        super().__init__("; ".join(m.format("<draft>") for m in messages if m.level == "error"))

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.level == "error"]


@dataclass(frozen=True)
class Term:
    """A tag or category: `key` is the case-insensitive URL key, `name` the writer's spelling."""

    key: str
    name: str


@dataclass(frozen=True)
class PostMeta:
    """Validated, normalised front matter."""

    title: str
    date: datetime  # always timezone-aware; keeps the writer's offset
    slug: str
    expires: datetime | None = None  # when the post comes down again (timezone-aware)
    tags: tuple[Term, ...] = ()
    categories: tuple[Term, ...] = ()
    author: str | None = None
    excerpt: str | None = None  # as written; derived later when missing
    reading_time: int | None = None  # as written; derived later when missing
    layout: str = "post"
    draft: bool = False  # `draft: true` or `published: false`
    lang: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    image: str | None = None  # front matter `image:` as written (jekyll-seo-tag's): path or URL


@dataclass(frozen=True)
class ParsedDraft:
    """A draft whose front matter passed validation; the body is not stitched yet."""

    key: str  # the S3 key or file path it came from
    meta: PostMeta
    body: str  # the Markdown after the front matter, newlines normalised to \n
    body_line: int  # line number in the file of the body's first line
    warnings: tuple[Message, ...] = ()


@dataclass(frozen=True)
class PostSummary:
    """What a listing, feed or sitemap needs to know about a post (one index item)."""

    source_key: str
    title: str
    date: datetime
    url: str  # site-relative path, e.g. /2025/09/21/slug/
    excerpt: str = ""
    author: str | None = None
    tags: tuple[Term, ...] = ()
    categories: tuple[Term, ...] = ()
    lang: str | None = None
    # The post's picture for feeds and link previews: a site path (/media/...) or an https URL.
    image: str | None = None


@dataclass(frozen=True)
class SiteSettings:
    """Site-wide settings: from environment variables in AWS, from flags or a file locally."""

    title: str = "stitchpress"
    base_url: str = "http://localhost:8000"  # absolute, no trailing slash
    language: str = "en"
    description: str = ""
    author: str | None = None
