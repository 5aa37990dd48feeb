"""The embedded local AWS: moto's server in-process, the stack template.yaml declares, and a
worker that polls the queue the way Lambda's SQS event source mapping does."""
