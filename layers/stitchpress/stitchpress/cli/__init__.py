"""The `stitchpress` command line (not shipped in the Lambda layer)."""
