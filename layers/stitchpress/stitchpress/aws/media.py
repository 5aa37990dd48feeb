"""Adapters for images: their records in the index table and their derivatives in the site bucket.

Index items (same table as the posts, see stitchpress.aws.index):
- image   pk="IMAGE#<source key>"   sk="IMAGE"          the derivatives that exist (ImageInfo)
- use     pk="IMGUSE#<source key>"  sk="<draft key>"    a draft refers to the image
The images a published post refers to are also in its post item's state ("images"), so a
publish drops the uses its draft no longer has without another read, and a post without
images costs no call here at all.

Order independence rests on one rule: a publish records its draft's uses *before* it reads the
images' records, and the image function writes an image's record *before* it reads its uses
(both strongly consistent). Whichever of the two comes second sees the other: a draft uploaded
before its image is re-rendered when the image arrives, and one uploaded after finds it.

Derivatives no post can use any more (their source deleted or replaced) are not deleted at
once: pages cached in browsers and feed readers still point at them. They are marked with the
tag UNUSED_TAG, rewritten in place so the mark starts a fresh clock, and the site bucket's
lifecycle rule ExpireUnusedMedia (template.yaml) expires them UNUSED_GRACE_DAYS later.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core import clock
from ..core.images import MEDIA_CACHE_CONTROL, MEDIA_PREFIX, Derivative, ImageInfo
from . import parallel
from .index import Stale
from .query import query_items

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from ..core.mdrender import RenderedBody
    from ..core.pictures import ImageLookup

UNUSED_TAG = "stitchpress-unused"
UNUSED_GRACE_DAYS = 7
MAX_BATCH_GET_KEYS = 100
BATCH_GET_ATTEMPTS = 8
IMAGES_STATE = "images"  # in a post's index state: the images it refers to, one key a line


def _image_key(source_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"IMAGE#{source_key}"}, "sk": {"S": "IMAGE"}}


def _use_key(source_key: str, draft_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"IMGUSE#{source_key}"}, "sk": {"S": draft_key}}


class MediaIndex:
    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self.db = dynamodb
        self.table = table

    # --- images (written by the image function) -------------------------------------------

    def put_image(self, source_key: str, info: ImageInfo | None, order: str) -> ImageInfo | None:
        """Record the image's derivatives (None: a tombstone, the source is deleted) as of the
        S3 event with this order; what was recorded before. A record of a newer event stays:
        raises Stale (two events of one image processed at once, the older finishing last)."""
        item: dict[str, Any] = {**_image_key(source_key), "order": {"S": order}}
        if info is not None:
            item["info"] = {"S": json.dumps(info.to_json(), sort_keys=True)}
        try:
            resp = self.db.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(#o) OR #o <= :o",
                ExpressionAttributeNames={"#o": "order"},
                ExpressionAttributeValues={":o": {"S": order}},
                ReturnValues="ALL_OLD",
            )
        except self.db.exceptions.ConditionalCheckFailedException as e:
            raise Stale(source_key) from e
        return _info(resp.get("Attributes"))

    def image(self, source_key: str) -> ImageInfo | None:
        resp = self.db.get_item(TableName=self.table, Key=_image_key(source_key), ConsistentRead=True)
        return _info(resp.get("Item"))

    def images(self, source_keys: Iterable[str]) -> dict[str, ImageInfo | None]:
        """Every named image's record (None: not uploaded, or rejected), strongly consistent."""
        wanted = sorted(set(source_keys))
        found: dict[str, ImageInfo | None] = dict.fromkeys(wanted)
        for start in range(0, len(wanted), MAX_BATCH_GET_KEYS):
            keys = [_image_key(k) for k in wanted[start : start + MAX_BATCH_GET_KEYS]]
            for item in self._batch_get(keys):
                found[item["pk"]["S"].removeprefix("IMAGE#")] = _info(item)
        return found

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {self.table: {"Keys": keys, "ConsistentRead": True}}
        items: list[dict[str, Any]] = []
        for attempt in range(BATCH_GET_ATTEMPTS):
            if attempt:
                time.sleep(min(1.0, 0.05 * 2**attempt))
            resp = self.db.batch_get_item(RequestItems=request)
            items += resp.get("Responses", {}).get(self.table, [])
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                return items
        raise RuntimeError(f"DynamoDB left keys of {self.table} unprocessed (throttled); retried later")

    # --- uses (written by the publish function) -------------------------------------------

    def record_uses(self, draft_key: str, source_keys: Iterable[str], before: Iterable[str] = ()) -> None:
        """The draft refers to exactly these images now (`before`: the ones it referred to):
        add the new uses, drop the old ones."""
        new, old = set(source_keys), set(before)
        writes: list[Any] = [lambda k=k: self._put_use(k, draft_key) for k in sorted(new - old)]
        writes += [lambda k=k: self._delete_use(k, draft_key) for k in sorted(old - new)]
        parallel.call_all(writes)

    def _put_use(self, source_key: str, draft_key: str) -> None:
        self.db.put_item(TableName=self.table, Item=_use_key(source_key, draft_key))

    def _delete_use(self, source_key: str, draft_key: str) -> None:
        self.db.delete_item(TableName=self.table, Key=_use_key(source_key, draft_key))

    def users(self, source_key: str) -> list[str]:
        """The drafts that refer to the image."""
        items = query_items(
            self.db,
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"IMGUSE#{source_key}"}},
            ConsistentRead=True,
        )
        return [item["sk"]["S"] for item in items]


def lookup_for(records: MediaIndex, draft_key: str, live_state: Mapping[str, str] | None) -> ImageLookup:
    """The image lookup for publishing a draft: records the draft's uses first, then reads the
    images' records (the order that makes uploads order-independent, see the module docstring).
    `live_state`: the state of the post as published now (its "images")."""
    before = images_of(live_state)

    def lookup(keys: Sequence[str]) -> Mapping[str, ImageInfo | None]:
        records.record_uses(draft_key, keys, before)
        return records.images(keys) if keys else {}

    return lookup


def images_of(state: Mapping[str, str] | None) -> list[str]:
    return [k for k in (state or {}).get(IMAGES_STATE, "").split("\n") if k]


def state_of(body: RenderedBody) -> dict[str, str]:
    """What a post's state records of its images (see images_of)."""
    keys = sorted({u.key for u in body.images})
    return {IMAGES_STATE: "\n".join(keys)} if keys else {}


def report_fields(body: RenderedBody) -> dict[str, Any]:
    """The images of a published post, as its report lists them."""
    if not body.images:
        return {}
    return {
        "images": [
            {"src": u.src, "image": u.key, "published": u.info is not None, "alt": u.alt} for u in body.images
        ]
    }


def _info(item: dict[str, Any] | None) -> ImageInfo | None:
    if not item or "info" not in item:
        return None
    return ImageInfo.from_json(json.loads(item["info"]["S"]))


class MediaStore:
    """Derivatives in the site bucket, under media/."""

    def __init__(self, s3: S3Client, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def put_all(self, derivatives: Iterable[Derivative]) -> list[str]:
        """Write every derivative (unconditionally: a write also clears an unused mark left by
        an earlier delete of the same picture)."""
        todo = list(derivatives)
        parallel.each(self._put, todo)
        return sorted(d.key for d in todo)

    def _put(self, d: Derivative) -> None:
        assert d.key.startswith(MEDIA_PREFIX)
        self.s3.put_object(
            Bucket=self.bucket,
            Key=d.key,
            Body=d.data,
            ContentType=d.content_type,
            CacheControl=MEDIA_CACHE_CONTROL,
        )

    def mark_unused(self, keys: Iterable[str]) -> list[str]:
        """Tag the derivatives for expiry by the lifecycle rule; the keys that were there."""
        todo = [k for k in keys if k.startswith(MEDIA_PREFIX)]
        done = parallel.each(self._mark, todo)
        return [k for k, ok in zip(todo, done, strict=True) if ok]

    def _mark(self, key: str) -> bool:
        try:
            # A copy onto itself is a new version: the lifecycle rule counts days from now.
            self.s3.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                MetadataDirective="REPLACE",
                ContentType=_content_type(key),
                CacheControl=MEDIA_CACHE_CONTROL,
                Metadata={"unused-since": clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")},
                TaggingDirective="REPLACE",
                Tagging=f"{UNUSED_TAG}=true",
            )
        except self.s3.exceptions.ClientError as e:
            code = str(e.response.get("Error", {}).get("Code", ""))
            if code in {"NoSuchKey", "404", "NotFound"}:
                return False
            raise
        return True


def _content_type(key: str) -> str:
    ext = key.rsplit(".", 1)[-1]
    return {"avif": "image/avif", "webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}.get(
        ext, "application/octet-stream"
    )
