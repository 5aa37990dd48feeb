"""Apply one image change (the image function's orchestration; stitchpress.core.images is the pure core).

Upload: claim the event's place in the image's order (the same per-key record drafts use) ->
read exactly that version, at most the byte limit -> process (pure) -> on rejection write the
report and stop: the derivatives and record of the image's last good version stay, so the live
site is intact -> write the derivatives (content-hashed: nothing is invalidated) -> record the
image -> ask the publish function to re-render every post that refers to it.
Delete: record a tombstone, mark the derivatives unused (stitchpress.aws.media), re-render the posts
(they show the alt text and their reports warn).

Posts are re-rendered through the publish queue, never here: page rendering stays in one
function, and this one never needs the site's pages, the listings or CloudFront.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..aws.index import PostIndex, Stale
from ..aws.media import MediaIndex, MediaStore
from ..aws.storage import DraftStore, NotFound
from ..core import clock
from ..core.events import DraftChange, refresh_message
from ..core.images import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    NOTIFIED_SUFFIXES,
    ImageRejected,
    Limits,
    process,
)
from ..core.keys import DRAFTS_PREFIX
from .config import BUCKET_NAME, SOURCES, TABLE_NAME, EnvReader, in_lambda

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

IMAGE_ENV_VARS: dict[str, str] = {
    "DRAFTS_BUCKET": "bucket writers upload drafts and their images to; reports go under reports/",
    "SITE_BUCKET": "bucket holding the rendered site; derivatives go under media/",
    "INDEX_TABLE": "DynamoDB table: image records and which posts use which image",
    "PUBLISH_QUEUE_URL": "the publish function's queue: posts showing a changed image are re-rendered",
    "MAX_IMAGE_BYTES": "largest source image accepted, in bytes",
    "MAX_IMAGE_PIXELS": "most pixels (width x height) a source image may have",
}
# Where template.yaml gets each (named in a configuration error).
IMAGE_SOURCES: dict[str, str] = {
    **{k: SOURCES[k] for k in ("DRAFTS_BUCKET", "SITE_BUCKET", "INDEX_TABLE")},
    "PUBLISH_QUEUE_URL": "resource PublishQueue, Output PublishQueueUrl",
    "MAX_IMAGE_BYTES": "parameter MaxImageBytes",
    "MAX_IMAGE_PIXELS": "parameter MaxImagePixels",
}
MAX_SEND_BATCH = 10  # SQS SendMessageBatch limit

Status = Literal["published", "rejected", "removed", "skipped"]


def is_image_source_key(key: str) -> bool:
    """Keys the image function handles: images (and refused kinds, to report them) under drafts/."""
    return key.startswith(DRAFTS_PREFIX) and key.lower().endswith(NOTIFIED_SUFFIXES) and "/../" not in key


@dataclass(frozen=True)
class ImageConfig:
    drafts_bucket: str
    site_bucket: str
    index_table: str
    publish_queue_url: str
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, lambda_mode: bool | None = None
    ) -> ImageConfig:
        """The image function's settings, checked once; in Lambda every variable is required
        and checked (as config.Config.from_env), elsewhere the limits have defaults."""
        e = os.environ if env is None else env
        strict = in_lambda(e) if lambda_mode is None else lambda_mode
        required = (
            set(IMAGE_ENV_VARS)
            if strict
            else {"DRAFTS_BUCKET", "SITE_BUCKET", "INDEX_TABLE", "PUBLISH_QUEUE_URL"}
        )
        r = EnvReader(e, required, IMAGE_SOURCES)
        bucket = BUCKET_NAME if strict else None
        bucket_hint = "an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)"
        config = cls(
            drafts_bucket=r.text("DRAFTS_BUCKET", form=bucket, hint=bucket_hint),
            site_bucket=r.text("SITE_BUCKET", form=bucket, hint=bucket_hint),
            index_table=r.text(
                "INDEX_TABLE", form=TABLE_NAME if strict else None, hint="a DynamoDB table name"
            ),
            publish_queue_url=r.url("PUBLISH_QUEUE_URL", ""),
            limits=Limits(
                max_bytes=r.integer("MAX_IMAGE_BYTES", DEFAULT_MAX_BYTES),
                max_pixels=r.integer("MAX_IMAGE_PIXELS", DEFAULT_MAX_PIXELS),
            ),
        )
        r.done("the image function's configuration" + (" (Lambda)" if strict else ""))
        return config

    def to_env(self) -> dict[str, str]:
        return {
            "DRAFTS_BUCKET": self.drafts_bucket,
            "SITE_BUCKET": self.site_bucket,
            "INDEX_TABLE": self.index_table,
            "PUBLISH_QUEUE_URL": self.publish_queue_url,
            "MAX_IMAGE_BYTES": str(self.limits.max_bytes),
            "MAX_IMAGE_PIXELS": str(self.limits.max_pixels),
        }


@dataclass
class ImageOutcome:
    key: str
    status: Status
    errors: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)  # drafts asked to re-render
    written: list[str] = field(default_factory=list)  # site keys


class ImagePublisher:
    def __init__(self, config: ImageConfig, s3: S3Client, dynamodb: DynamoDBClient, sqs: SQSClient) -> None:
        self.config = config
        self.drafts = DraftStore(s3, config.drafts_bucket)
        self.media = MediaStore(s3, config.site_bucket)
        self.records = MediaIndex(dynamodb, config.index_table)
        self.order = PostIndex(dynamodb, config.index_table)
        self.sqs = sqs

    def apply(self, change: DraftChange) -> ImageOutcome:
        try:
            self.order.claim(
                change.key, change.order, change.kind, lambda: change.matches(self.drafts.current(change.key))
            )
            if change.kind == "delete":
                return self._remove(change)
            return self._put(change)
        except Stale:
            return ImageOutcome(change.key, "skipped")

    def _put(self, change: DraftChange) -> ImageOutcome:
        limits = self.config.limits
        try:
            source = self.drafts.get(change.key, change.version_id, max_bytes=limits.max_bytes)
        except NotFound:
            return ImageOutcome(change.key, "skipped")  # deleted since: its own event follows
        report: dict[str, Any] = {
            "image": change.key,
            "version_id": source.version_id,
            "etag": source.etag,
            "processed_at": clock.now().isoformat(timespec="seconds"),
            "warnings": [],
        }
        try:
            processed = process(change.key, source.data, limits)
        except ImageRejected as e:
            error = f"{change.key}: {e}"
            self.drafts.put_report(
                change.key,
                {
                    **report,
                    "status": "rejected",
                    "errors": [error],
                    # Nothing of this upload reached the site; a version published before stays.
                    "live": "unchanged",
                },
            )
            return ImageOutcome(change.key, "rejected", errors=[error])
        written = self.media.put_all(processed.derivatives)
        old = self.records.put_image(change.key, processed.info, change.order)
        if old is not None and old.hash != processed.info.hash:
            self.media.mark_unused(set(old.keys()) - set(processed.info.keys()))
        users = self.records.users(change.key)
        self._refresh(users)
        info = processed.info
        self.drafts.put_report(
            change.key,
            {
                **report,
                "status": "published",
                "errors": [],
                "warnings": [f"{change.key}: warning: {n}" for n in processed.notes],
                "width": info.width,
                "height": info.height,
                "hash": info.hash,
                "derivatives": written,
                "used_by": sorted(users),
            },
        )
        return ImageOutcome(change.key, "published", refreshed=sorted(users), written=written)

    def _remove(self, change: DraftChange) -> ImageOutcome:
        old = self.records.put_image(change.key, None, change.order)
        if old is not None:
            self.media.mark_unused(old.keys())
        users = self.records.users(change.key)
        self._refresh(users)
        return ImageOutcome(change.key, "removed", refreshed=sorted(users))

    def _refresh(self, drafts: list[str]) -> None:
        for start in range(0, len(drafts), MAX_SEND_BATCH):
            chunk = drafts[start : start + MAX_SEND_BATCH]
            resp = self.sqs.send_message_batch(
                QueueUrl=self.config.publish_queue_url,
                Entries=[{"Id": str(n), "MessageBody": refresh_message(key)} for n, key in enumerate(chunk)],
            )
            if resp.get("Failed"):
                raise RuntimeError(f"could not queue re-renders of {chunk}: {resp['Failed']}")
