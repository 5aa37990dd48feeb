"""SearchFunction: rebuild the Pagefind search index once the publishes pause. The logic lives in
the layer (stitchpress.search_job); the Pagefind binary comes from the search layer."""

from stitchpress.search_job import handler

__all__ = ["handler"]
