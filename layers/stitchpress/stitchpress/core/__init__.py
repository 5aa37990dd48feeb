"""The pure core: validate, stitch, render, plan. No I/O but reading the packaged templates;
nothing here imports boto3 or the adapters in stitchpress.aws."""
