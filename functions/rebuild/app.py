"""RebuildFunction: rebuild jobs from the rebuild queue (a start message, then its chunks).
The logic lives in the layer (stitchpress.service.rebuild_handler)."""

from stitchpress.service.rebuild_handler import handler

__all__ = ["handler"]
