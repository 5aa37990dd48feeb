"""ImageFunction: images uploaded under drafts/ (S3 via SQS) in, web derivatives out.
The logic lives in the layer (stitchpress.service.image_handler); Pillow comes from ImagesLayer."""

from stitchpress.service.image_handler import handler

__all__ = ["handler"]
