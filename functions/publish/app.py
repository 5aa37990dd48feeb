"""PublishFunction: S3 (via SQS) events in, published site out. The logic lives in the layer."""

from stitchpress.service.handler import handler

__all__ = ["handler"]
