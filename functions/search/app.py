"""SearchFunction: rebuild the Pagefind search index once the publishes pause. The logic lives in
the layer (stitchpress.service.search_job); the Pagefind binary comes from the search layer."""

from stitchpress.service.search_job import handler

__all__ = ["handler"]
