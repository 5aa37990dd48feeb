"""Site search, the pure part: what a post contributes to the index, when the debounced search job
is due, and which of Pagefind's files are content-hashed.

The search index is built by Pagefind (stitchpress.service.search_engine) in a job of its own
(stitchpress.service.search_job), not in every publish: a publish keeps the post's plain text in the
index table (stitchpress.aws.search_store) and marks search "dirty"; the sweep starts one job once
the publishes have been quiet for a while (or a burst has gone on too long).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser

# A post's text is kept compressed in one DynamoDB item (400 KB at most, with its other fields).
MAX_STORED_BYTES = 300_000
PREFIX = "pagefind/"  # where the index lives in the site bucket (Pagefind's default bundle path)
ENTRY = PREFIX + "pagefind-entry.json"
# Pagefind names these after a hash of their content: a name never changes meaning, so they are
# cached for good and never invalidated. Everything else (the entry, pagefind.js, the UI and the
# wasm files, named by Pagefind's version) is compared by content and invalidated on change.
_HASHED = re.compile(r"^pagefind/(?:(?:fragment|index|filter)/[^/]+|pagefind\.[^/]+\.pf_meta)$")
HASHED_CACHE_CONTROL = "public, max-age=31536000, immutable"
ENTRY_CACHE_CONTROL = "public, max-age=60, s-maxage=86400"  # invalidated when a job changes it

_BLOCKS = {
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote",
    "table", "tr", "td", "th", "figure", "figcaption", "br", "hr", "dt", "dd", "section",
}  # fmt: skip
_SKIP = {"script", "style", "template"}


def is_hashed(key: str) -> bool:
    return bool(_HASHED.match(key))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f" {alt} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def text_of(html: str) -> str:
    """The readable text of a rendered post body: one line per block, no markup."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def pack(text: str) -> bytes:
    """The text compressed for the index; a text too long for one item is cut (at a character)
    until it fits: search then finds the post by its first few hundred KB of words."""
    data = zlib.compress(text.encode("utf-8"), 6)
    while len(data) > MAX_STORED_BYTES:
        text = text[: int(len(text) * MAX_STORED_BYTES / len(data) * 0.9)]
        data = zlib.compress(text.encode("utf-8"), 6)
    return data


def unpack(data: bytes) -> str:
    return zlib.decompress(data).decode("utf-8")


def language(lang: str | None, site_language: str) -> str:
    """Pagefind's language for a record: the primary subtag ("ja" of "ja-JP"), lowercased.
    Pagefind splits the index per language and segments Japanese and Chinese words only in a
    "ja"/"zh" index, so this must name the post's language, not the site's."""
    tag = (lang or site_language or "en").split("-")[0].strip().lower()
    return tag if re.fullmatch(r"[a-z]{2,3}", tag) else "en"


@dataclass(frozen=True)
class Record:
    """One post as Pagefind gets it (add_custom_record)."""

    url: str
    title: str
    language: str
    date: str  # ISO 8601
    text: str

    def content(self) -> str:
        # The title is part of the searchable content: readers search for titles first.
        return f"{self.title}\n{self.text}"


@dataclass(frozen=True)
class Dirty:
    """The search marker: when the first and the last change since the last job were made."""

    since: datetime
    last: datetime


def due(marker: Dirty | None, now: datetime, quiet: float, longest: float) -> bool:
    """Start the job once the changes have been quiet for `quiet` seconds, or at the latest when
    the first unindexed change is `longest` seconds old (a burst that never pauses)."""
    if marker is None:
        return False
    return now - marker.last >= timedelta(seconds=quiet) or now - marker.since >= timedelta(seconds=longest)
