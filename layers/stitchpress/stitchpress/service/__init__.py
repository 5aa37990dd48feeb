"""The orchestration: the Lambda handlers (publish, images, sweep), their config, and the
publishers that drive the pure core through the AWS adapters."""
