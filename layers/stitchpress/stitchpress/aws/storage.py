"""S3 adapters: the drafts bucket (read drafts, write reports, read theme overrides) and the
site bucket (write only what changed).

Thin on purpose: no publishing logic here, only S3 calls and their error mapping.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.keys import THEME_PREFIX, report_key
from . import parallel

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef

# A theme file's characters are capped by stitchpress.core.sandbox (256 Ki); UTF-8 takes <= 4 bytes each.
THEME_FILE_MAX_BYTES = 4 * 256 * 1024 + 4

# Browsers revalidate after 5 minutes; CloudFront keeps pages a day and we invalidate on change.
PAGE_CACHE_CONTROL = "public, max-age=300, s-maxage=86400"
ASSET_CACHE_CONTROL = "public, max-age=86400"
# Concurrent S3 requests of one publish: each is a network round trip, so ~20 page writes take
# about two rounds (HEAD, PUT) instead of forty.
WRITE_WORKERS = parallel.WORKERS


@dataclass(frozen=True)
class DraftObject:
    key: str
    data: bytes
    version_id: str | None
    etag: str


class NotFound(Exception):
    """The object (or the version the event names) does not exist."""


def _error_code(error: Any) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def _not_found(error: Any) -> bool:
    return _error_code(error) in {"NoSuchKey", "404", "NoSuchVersion", "NotFound"}


def _version_id(resp: Mapping[str, Any]) -> str | None:
    version = resp.get("VersionId")
    return str(version) if version not in (None, "null") else None  # "null": unversioned


def _head(s3: S3Client, bucket: str, key: str) -> HeadObjectOutputTypeDef | None:
    """The object's HEAD; None when there is no such object."""
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as e:
        if _not_found(e):
            return None
        raise


class DraftStore:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket
        self._theme_cache: dict[str, tuple[str, str | None]] = {}  # key -> (ETag, source)

    def get(self, key: str, version_id: str | None = None, *, max_bytes: int | None = None) -> DraftObject:
        """Read exactly the version the event names (the latest when it names none).

        With `max_bytes`, reads at most one byte more than the limit so an oversized upload
        is detected without downloading all of it.
        """
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        if max_bytes is not None:
            kwargs["Range"] = f"bytes=0-{max_bytes}"
        try:
            resp = self.s3.get_object(**kwargs)
        except self.s3.exceptions.ClientError as e:
            if _not_found(e):
                raise NotFound(key) from e
            if _error_code(e) != "InvalidRange" or "Range" not in kwargs:
                raise
            # S3 answers a range of an empty object with 416: read it whole (it is empty), so
            # a 0-byte draft is rejected with a report instead of failing every delivery.
            return self.get(key, version_id)
        data = resp["Body"].read()
        return DraftObject(
            key=key,
            data=data,
            version_id=_version_id(resp),
            etag=str(resp.get("ETag", "")).strip('"'),
        )

    def current(self, key: str) -> tuple[str | None, str] | None:
        """(version id, ETag) of the draft's current version; None when it is deleted."""
        head = _head(self.s3, self.bucket, key)
        if head is None:
            return None
        return _version_id(head), str(head.get("ETag", "")).strip('"')

    def put_report(self, draft_key: str, report: dict[str, Any]) -> str:
        return self.put_json(report_key(draft_key), report)

    def put_json(self, key: str, report: dict[str, Any]) -> str:
        body = json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True).encode()
        self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType="application/json; charset=utf-8"
        )
        return key

    def theme_overrides(self) -> dict[str, str]:
        """Templates a writer uploaded under theme/ (name -> source). Undecodable files are skipped.

        One LIST per call; a file is read again only when its ETag changed (the sources are
        compiled once per theme version, see render.Renderer). At most THEME_FILE_MAX_BYTES of
        a file are read: a longer one is reported as too long by the theme's compiler.
        """
        out: dict[str, str] = {}
        cache = self._theme_cache
        seen: set[str] = set()
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=THEME_PREFIX):
            for obj in page.get("Contents", []):
                key, etag = obj["Key"], str(obj.get("ETag", ""))
                name = key[len(THEME_PREFIX) :]
                if not name or "/" in name:
                    continue
                seen.add(key)
                if key not in cache or cache[key][0] != etag or not etag:
                    cache[key] = (etag, self._theme_file(key, int(obj.get("Size", 0))))
                text = cache[key][1]
                if text is not None:
                    out[name] = text
        for key in set(cache) - seen:
            del cache[key]
        return out

    def _theme_file(self, key: str, size: int) -> str | None:
        kwargs: dict[str, Any] = (
            {"Range": f"bytes=0-{THEME_FILE_MAX_BYTES}"} if size > THEME_FILE_MAX_BYTES else {}
        )
        data = self.s3.get_object(Bucket=self.bucket, Key=key, **kwargs)["Body"].read()
        try:
            return str(data.decode("utf-8", errors="replace" if kwargs else "strict"))
        except UnicodeDecodeError:
            return None


@dataclass(frozen=True)
class Page:
    """One site object to write (`body`) or to delete (`body` None)."""

    key: str
    body: bytes | None
    content_type: str = ""
    cache_control: str = PAGE_CACHE_CONTROL
    # A post page's related posts as (draft key, URL): not written; a rebuild re-reads them to
    # render the page again if one left its URL meanwhile (stitchpress.service.post_range).
    links: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # A post page's rendered Markdown (not written): a rebuild keeps the post's search text from it.
    body_html: str | None = field(default=None, compare=False, repr=False)


class SiteStore:
    """The public site bucket. Writes are skipped when the bytes are already there, so unchanged
    pages are neither rewritten nor invalidated."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def write_changed(
        self, pages: Iterable[Page], record: Callable[[list[str]], None] | None = None
    ) -> list[str]:
        """Write (or delete) every page whose bytes differ from the bucket's; the keys that
        changed, sorted. Of two pages with one key, the later wins.

        Readers must never follow a link to a missing page, so the writes go in three rounds
        (each concurrent): new objects, then changed ones, then deletions. A new post page
        exists before the listings that link it change; an unpublished one goes after them.
        `record(keys)` is called with every key about to change before the first write.
        """
        todo = list({p.key: p for p in pages}.values())
        digests = parallel.each(self.digest, [p.key for p in todo], workers=WRITE_WORKERS)
        rounds: tuple[list[Page], list[Page], list[Page]] = ([], [], [])
        for page, digest in zip(todo, digests, strict=True):
            if page.body is None:
                if digest is not None:
                    rounds[2].append(page)
            elif digest is None:
                rounds[0].append(page)
            elif digest != hashlib.sha256(page.body).hexdigest():
                rounds[1].append(page)
        keys = sorted(p.key for r in rounds for p in r)
        if keys and record is not None:
            record(keys)
        for pages_of_round in rounds:
            parallel.each(self._write, pages_of_round, workers=WRITE_WORKERS)
        return keys

    def _write(self, page: Page) -> None:
        if page.body is None:
            self.s3.delete_object(Bucket=self.bucket, Key=page.key)
        else:
            self._put(page.key, page.body, page.content_type, page.cache_control)

    def _put(self, key: str, body: bytes, content_type: str, cache_control: str) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            CacheControl=cache_control,
            Metadata={"sha256": hashlib.sha256(body).hexdigest()},
        )

    def digest(self, key: str) -> str | None:
        head = _head(self.s3, self.bucket, key)
        if head is None:
            return None
        return str(head.get("Metadata", {}).get("sha256", "")) or None

    def get(self, key: str) -> bytes | None:
        try:
            return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except self.s3.exceptions.ClientError as e:
            if _not_found(e):
                return None
            raise
