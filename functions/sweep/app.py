"""SweepFunction: every minute, send the due go-lives and expiries to the publish queue."""

from stitchpress.sweep import handler

__all__ = ["handler"]
