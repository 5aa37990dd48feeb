"""The search job (SearchFunction; a worker under `stitchpress local up`): rebuild the Pagefind
index from the texts the publishes keep in the index table, and put it on the site.

Readers never see a half-written index: Pagefind names its index, fragment and meta files after
their content, so the new ones are uploaded beside the old ones (files already there are not
uploaded again) and only then the entry file, which names the new meta files, is replaced and
invalidated in CloudFront: the one path that changes on every run. Files the new index no
longer uses are deleted by a later run once they have been unused for the grace period, so a
reader who loaded the old entry a moment before can still search. functions/search/app.py
re-exports `handler`.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..aws import parallel
from ..aws.cdn import Invalidator
from ..aws.search_store import SearchStore
from ..aws.storage import ASSET_CACHE_CONTROL
from ..core import clock
from ..core.search import (
    ENTRY,
    ENTRY_CACHE_CONTROL,
    HASHED_CACHE_CONTROL,
    PREFIX,
    is_hashed,
)
from . import search_engine
from .config import (
    BUCKET_HINT,
    BUCKET_NAME,
    DISTRIBUTION_HINT,
    DISTRIBUTION_ID,
    LANGUAGE,
    LANGUAGE_HINT,
    SOURCES,
    TABLE_HINT,
    TABLE_NAME,
    EnvReader,
    in_lambda,
)

DEFAULT_GRACE_SECONDS = 86_400  # a reader's tab may hold yesterday's entry; files cost little
DELETE_BATCH = 1000  # DeleteObjects' limit

ENV_VARS: dict[str, str] = {
    "INDEX_TABLE": "DynamoDB table holding the posts' search texts (pk SEARCH)",
    "SITE_BUCKET": "bucket holding the rendered site; the index goes under pagefind/",
    "DISTRIBUTION_ID": "CloudFront distribution whose cached entry file is invalidated",
    "SITE_LANGUAGE": "language of posts that name none (Pagefind indexes per language)",
    "SEARCH_GRACE_SECONDS": "how long index files the new index no longer uses are kept",
}
# Where template.yaml gets each (named in a configuration error).
SEARCH_SOURCES: dict[str, str] = {
    **{k: SOURCES[k] for k in ("INDEX_TABLE", "SITE_BUCKET", "DISTRIBUTION_ID", "SITE_LANGUAGE")},
    "SEARCH_GRACE_SECONDS": "SearchFunction's Environment",
}
# The local stack's search worker shares the publish worker's environment: these have defaults.
LOCAL_OPTIONAL = frozenset({"SITE_LANGUAGE", "SEARCH_GRACE_SECONDS"})

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
}


@dataclass
class JobResult:
    records: int = 0
    uploaded: list[str] = field(default_factory=list)
    invalidated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    build_seconds: float = 0.0
    seconds: float = 0.0
    pagefind_max_rss_mb: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "uploaded": len(self.uploaded),
            "invalidated": self.invalidated,
            "deleted": len(self.deleted),
            "build_seconds": round(self.build_seconds, 3),
            "seconds": round(self.seconds, 3),
            "pagefind_max_rss_mb": round(self.pagefind_max_rss_mb, 1),
        }


def content_type(key: str) -> str:
    return _TYPES.get(os.path.splitext(key)[1], "application/octet-stream")


def cache_control(key: str) -> str:
    if is_hashed(key):
        return HASHED_CACHE_CONTROL
    return ENTRY_CACHE_CONTROL if key == ENTRY else ASSET_CACHE_CONTROL


@dataclass(frozen=True)
class SearchConfig:
    index_table: str
    site_bucket: str
    distribution_id: str
    site_language: str = "en"
    grace: float = DEFAULT_GRACE_SECONDS

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, lambda_mode: bool | None = None
    ) -> SearchConfig:
        """The search job's settings, each checked; in Lambda every variable is required (as
        config.Config.from_env), elsewhere the language and the grace period have defaults."""
        e = os.environ if env is None else env
        strict = in_lambda(e) if lambda_mode is None else lambda_mode
        required = set(ENV_VARS) - (set() if strict else LOCAL_OPTIONAL)
        r = EnvReader(e, required, SEARCH_SOURCES)
        config = cls(
            index_table=r.text("INDEX_TABLE", form=TABLE_NAME if strict else None, hint=TABLE_HINT),
            site_bucket=r.text("SITE_BUCKET", form=BUCKET_NAME if strict else None, hint=BUCKET_HINT),
            distribution_id=r.text(
                "DISTRIBUTION_ID", form=DISTRIBUTION_ID if strict else None, hint=DISTRIBUTION_HINT
            ),
            site_language=r.text("SITE_LANGUAGE", "en", LANGUAGE, LANGUAGE_HINT),
            grace=r.seconds("SEARCH_GRACE_SECONDS", DEFAULT_GRACE_SECONDS, 365 * 86_400),
        )
        r.done("the search function's configuration" + (" (Lambda)" if strict else ""))
        return config


class SearchJob:
    def __init__(
        self,
        store: SearchStore,
        s3: Any,
        bucket: str,
        invalidator: Invalidator,
        site_language: str,
        grace: float = DEFAULT_GRACE_SECONDS,
    ) -> None:
        self.store = store
        self.s3 = s3
        self.bucket = bucket
        self.invalidator = invalidator
        self.site_language = site_language
        self.grace = timedelta(seconds=grace)

    def run(self, batch_id: str, now: datetime | None = None) -> JobResult:
        started = time.monotonic()
        result = JobResult()
        existing = self._existing()
        with tempfile.TemporaryDirectory(prefix="stitchpress-search-") as tmp:
            out = Path(tmp)
            result.records = search_engine.build(self.store.records(self.site_language), out)
            result.build_seconds = time.monotonic() - started
            # ru_maxrss of the largest child waited for: Pagefind (kB on Linux).
            result.pagefind_max_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            bundle = dict(search_engine.files(out))
            todo = [k for k in sorted(bundle) if k != ENTRY and self._differs(k, bundle[k], existing)]
            parallel.each(lambda k: self._put(k, bundle[k]), todo)
            # The entry last: it names the new meta files, which now exist.
            if self._differs(ENTRY, bundle[ENTRY], existing):
                self._put(ENTRY, bundle[ENTRY])
                todo.append(ENTRY)
        result.uploaded = todo
        # Content-hashed names never change meaning: only the others can be stale in a cache.
        result.invalidated = sorted(k for k in todo if not is_hashed(k) and k in existing)
        self.invalidator.invalidate(result.invalidated, batch_id)
        result.deleted = self._collect(set(existing) - set(bundle), set(bundle), now or clock.now())
        result.seconds = time.monotonic() - started
        return result

    def _existing(self) -> dict[str, str]:
        """Site key -> ETag (the MD5 of a single-part upload) of every file under pagefind/."""
        found: dict[str, str] = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=PREFIX):
            for obj in page.get("Contents", []):
                found[obj["Key"]] = str(obj.get("ETag", "")).strip('"')
        return found

    @staticmethod
    def _differs(key: str, path: Path, existing: dict[str, str]) -> bool:
        if key not in existing:
            return True
        if is_hashed(key):
            return False  # same name, same content
        return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest() != existing[key]

    def _put(self, key: str, path: Path) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(key),
            CacheControl=cache_control(key),
        )

    def _collect(self, unused: set[str], live: set[str], now: datetime) -> list[str]:
        """Record the files that just went unused; delete those unused for the grace period."""
        records = self.store.stale()
        recorded = set().union(*(keys for _, _, keys in records)) if records else set()
        if unused - recorded:
            self.store.add_stale(now, unused - recorded)
        doomed: list[str] = []
        for sk, when, keys in records:
            if when <= now - self.grace:
                doomed += sorted(keys & unused)  # the rest are gone already, or in use again
                self.store.replace_stale(sk, set())
            elif keys & live:
                self.store.replace_stale(sk, keys - live)  # in use again: its clock starts anew
        for start in range(0, len(doomed), DELETE_BATCH):
            self.s3.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in doomed[start : start + DELETE_BATCH]], "Quiet": True},
            )
        return doomed


@lru_cache(maxsize=1)
def config() -> SearchConfig:
    """The function's settings, read and checked once per execution environment."""
    return SearchConfig.from_env()


if in_lambda():
    config()  # a missing or malformed variable fails the cold start, naming it (as handler.py)


@lru_cache(maxsize=1)
def _job() -> SearchJob:
    import boto3  # deferred, as in the publish handler

    c = config()
    session = boto3.session.Session()
    client_config = parallel.client_config()
    return SearchJob(
        SearchStore(session.client("dynamodb", config=client_config), c.index_table),
        session.client("s3", config=client_config),
        c.site_bucket,
        Invalidator(session.client("cloudfront"), c.distribution_id, path_limit=100),
        c.site_language,
        c.grace,
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One rebuild per batch, whatever it holds (each message only says "search is due"). A
    failure raises: the batch comes back, and after three tries goes to the dead-letter queue."""
    records = event.get("Records", [])
    batch_id = ",".join(sorted(r.get("messageId", "") for r in records)) or clock.now().isoformat()
    result = _job().run(hashlib.sha256(batch_id.encode()).hexdigest())
    print(json.dumps({"search_index": result.to_json()}))  # one structured log line a run
    return {"batchItemFailures": []}


def reset() -> None:
    """Forget the cached clients and settings (the local stack sets a new environment)."""
    config.cache_clear()
    _job.cache_clear()
