"""RebuildFunction: rebuild jobs from the rebuild queue (a start message, then its chunks).
The logic lives in the layer (stitchpress.rebuild_handler)."""

from stitchpress.rebuild_handler import handler

__all__ = ["handler"]
