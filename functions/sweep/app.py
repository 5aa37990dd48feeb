"""SweepFunction: every minute, send the due go-lives and expiries to the publish queue."""

from stitchpress.service.sweep import handler

__all__ = ["handler"]
