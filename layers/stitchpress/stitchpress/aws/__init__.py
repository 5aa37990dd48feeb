"""The AWS adapters: thin wrappers of S3, DynamoDB and CloudFront calls and their error mapping,
no publishing logic."""
