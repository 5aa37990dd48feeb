"""CloudFront invalidation: one request per handler invocation, holding every changed URL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..core.urls import quote_path

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from mypy_boto3_cloudfront import CloudFrontClient


def invalidation_paths(changed_keys: Iterable[str], limit: int) -> list[str]:
    """Paths to invalidate for the changed site objects.

    A directory page is requested as /dir/ or /dir/index.html, but the distribution's
    viewer-request function rewrites /dir/ to /dir/index.html before the cache lookup, so the
    object's own path is the only cache key: invalidating it covers both, at half the cost.
    Non-ASCII is percent-encoded (CloudFront matches the encoded form). Above `limit` paths the
    whole distribution is invalidated with one wildcard, which CloudFront bills as one path.
    """
    paths = {quote_path("/" + key) for key in changed_keys}
    if len(paths) > limit:
        return ["/*"]
    return sorted(paths)


def caller_reference(paths: list[str], batch_id: str) -> str:
    """Same batch and same paths -> same reference, so a retried invocation does not pay twice."""
    h = hashlib.sha256(batch_id.encode())
    for p in paths:
        h.update(b"\0" + p.encode())
    return h.hexdigest()[:64]


class Invalidator:
    def __init__(self, cloudfront: CloudFrontClient, distribution_id: str, path_limit: int) -> None:
        self.cloudfront = cloudfront
        self.distribution_id = distribution_id
        self.path_limit = path_limit

    def paths(self, changed_keys: Iterable[str]) -> list[str]:
        return invalidation_paths(changed_keys, self.path_limit)

    def invalidate(self, changed_keys: Iterable[str] | None, batch_id: str) -> str | None:
        """Create one invalidation (of everything with None); returns its id, or None when
        nothing changed."""
        paths = ["/*"] if changed_keys is None else self.paths(changed_keys)
        if not paths:
            return None
        resp = self.cloudfront.create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": caller_reference(paths, batch_id),
            },
        )
        return str(resp["Invalidation"]["Id"])
