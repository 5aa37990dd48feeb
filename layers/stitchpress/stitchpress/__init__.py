"""stitchpress: stitch segmented Markdown drafts and publish them as a static site."""

__version__ = "0.1.0"
