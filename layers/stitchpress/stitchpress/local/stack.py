"""Create, on any endpoint (moto's server locally), the resources template.yaml declares.

The constants below describe what is created; tests/unit/test_template.py compares them with
template.yaml so the local stack and the deployed one cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..aws import jobs
from ..core.images import NOTIFICATION_SUFFIXES
from ..core.model import SiteSettings
from ..service.config import Config
from ..service.image_publish import ImageConfig

if TYPE_CHECKING:  # typed clients: boto3-stubs, a dev dependency only (never in the layer)
    from boto3.session import Session
    from mypy_boto3_dynamodb.type_defs import KeySchemaElementTypeDef
    from mypy_boto3_s3.literals import EventType
    from mypy_boto3_s3.type_defs import FilterRuleTypeDef, QueueConfigurationTypeDef
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

# Logical id in template.yaml -> resource type created here.
RESOURCES: dict[str, str] = {
    "DraftsBucket": "AWS::S3::Bucket",
    "SiteBucket": "AWS::S3::Bucket",
    "IndexTable": "AWS::DynamoDB::Table",
    "IdempotencyTable": "AWS::DynamoDB::Table",
    "PublishQueue": "AWS::SQS::Queue",
    "PublishDeadLetterQueue": "AWS::SQS::Queue",
    "ImageQueue": "AWS::SQS::Queue",
    "ImageDeadLetterQueue": "AWS::SQS::Queue",
    "SearchQueue": "AWS::SQS::Queue",
    "SearchDeadLetterQueue": "AWS::SQS::Queue",
    "RebuildQueue": "AWS::SQS::Queue",
    "RebuildDeadLetterQueue": "AWS::SQS::Queue",
    "Distribution": "AWS::CloudFront::Distribution",
}
INDEX_KEY_SCHEMA: list[KeySchemaElementTypeDef] = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]
IDEMPOTENCY_KEY_SCHEMA: list[KeySchemaElementTypeDef] = [{"AttributeName": "id", "KeyType": "HASH"}]
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"
NOTIFICATION_EVENTS: list[EventType] = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
NOTIFICATION_PREFIX = "drafts/"
DRAFT_SUFFIXES = (".md", ".markdown")  # events.DRAFT_SUFFIXES; one notification each
MAX_RECEIVE_COUNT = 3  # deliveries before a message goes to the dead-letter queue
VISIBILITY_TIMEOUT = 180  # seconds; 6x the function timeout, as AWS recommends
IMAGE_VISIBILITY_TIMEOUT = 720  # likewise for the image function (120 s)
SEARCH_VISIBILITY_TIMEOUT = 5400  # likewise for the search function (900 s)
REBUILD_VISIBILITY_TIMEOUT = 1800  # likewise for the rebuild function (300 s)
STACK_NAME = "stitchpress"
# template.yaml's Globals: the function's Powertools variables.
FUNCTION_GLOBALS = {
    "POWERTOOLS_SERVICE_NAME": "stitchpress",
    "POWERTOOLS_METRICS_NAMESPACE": "stitchpress",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",  # the TraceAwsCalls parameter's default
}


def site_bucket_name(name: str = STACK_NAME) -> str:
    return f"{name}-site"


@dataclass(frozen=True)
class Stack:
    config: Config
    queue_url: str
    dlq_url: str
    region: str
    distribution_domain: str = ""
    image_queue_url: str = ""
    image_dlq_url: str = ""
    search_queue_url: str = ""
    search_dlq_url: str = ""
    rebuild_queue_url: str = ""
    rebuild_dlq_url: str = ""

    @property
    def image_config(self) -> ImageConfig:
        c = self.config
        return ImageConfig(c.drafts_bucket, c.site_bucket, c.index_table, self.queue_url)

    def outputs(self, endpoint: str, site_url: str) -> dict[str, str]:
        return {
            "endpoint": endpoint,
            "region": self.region,
            "drafts_bucket": self.config.drafts_bucket,
            "site_bucket": self.config.site_bucket,
            "table": self.config.index_table,
            "distribution_id": self.config.distribution_id,
            "site_url": site_url,
        }


def create_stack(session: Session, *, name: str = STACK_NAME, site: SiteSettings | None = None) -> Stack:
    s3 = session.client("s3")
    sqs = session.client("sqs")
    ddb = session.client("dynamodb")
    cloudfront = session.client("cloudfront")
    region = session.region_name
    drafts, site_bucket = f"{name}-drafts", site_bucket_name(name)

    for bucket in (drafts, site_bucket):
        s3.create_bucket(Bucket=bucket)
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    s3.put_bucket_versioning(Bucket=drafts, VersioningConfiguration={"Status": "Enabled"})

    queue_url, dlq_url, queue_arn = _queue_with_dlq(sqs, f"{name}-publish", VISIBILITY_TIMEOUT)
    image_url, image_dlq_url, image_arn = _queue_with_dlq(sqs, f"{name}-images", IMAGE_VISIBILITY_TIMEOUT)
    search_url, search_dlq_url, _ = _queue_with_dlq(
        sqs, f"{name}-search", SEARCH_VISIBILITY_TIMEOUT, fifo=True
    )
    rebuild_url, rebuild_dlq_url, _ = _queue_with_dlq(sqs, f"{name}-rebuild", REBUILD_VISIBILITY_TIMEOUT)
    s3.put_bucket_notification_configuration(
        Bucket=drafts,
        NotificationConfiguration={
            "QueueConfigurations": [
                *(_notification(queue_arn, suffix) for suffix in DRAFT_SUFFIXES),
                *(_notification(image_arn, suffix) for suffix in NOTIFICATION_SUFFIXES),
            ]
        },
    )

    index_table, idem_table = f"{name}-index", f"{name}-idempotency"
    ddb.create_table(
        TableName=index_table,
        KeySchema=INDEX_KEY_SCHEMA,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    # moto keeps the setting but never expires an item (nor does a local stack).
    ddb.update_time_to_live(
        TableName=index_table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": jobs.PURGE_ATTRIBUTE},
    )
    ddb.create_table(
        TableName=idem_table,
        KeySchema=IDEMPOTENCY_KEY_SCHEMA,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_time_to_live(
        TableName=idem_table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": IDEMPOTENCY_TTL_ATTRIBUTE},
    )

    dist = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": f"{name}-site",
            "Comment": f"{name} site",
            "Enabled": True,
            "DefaultRootObject": "index.html",
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": f"{site_bucket}.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": "redirect-to-https",
                "Compress": True,
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",  # AWS managed CachingOptimized
            },
        }
    )["Distribution"]

    config = Config(
        drafts_bucket=drafts,
        site_bucket=site_bucket,
        index_table=index_table,
        idempotency_table=idem_table,
        distribution_id=dist["Id"],
        site=site or SiteSettings(),
    )
    return Stack(
        config=config,
        queue_url=queue_url,
        dlq_url=dlq_url,
        region=region,
        distribution_domain=dist.get("DomainName", ""),
        image_queue_url=image_url,
        image_dlq_url=image_dlq_url,
        search_queue_url=search_url,
        search_dlq_url=search_dlq_url,
        rebuild_queue_url=rebuild_url,
        rebuild_dlq_url=rebuild_dlq_url,
    )


def _notification(queue_arn: str, suffix: str) -> QueueConfigurationTypeDef:
    """Objects under drafts/ ending in `suffix`, created or removed, notify the queue."""
    rules: list[FilterRuleTypeDef] = [
        {"Name": "prefix", "Value": NOTIFICATION_PREFIX},
        {"Name": "suffix", "Value": suffix},
    ]
    return {"QueueArn": queue_arn, "Events": NOTIFICATION_EVENTS, "Filter": {"Key": {"FilterRules": rules}}}


def _queue_with_dlq(
    sqs: SQSClient, name: str, visibility_timeout: int, *, fifo: bool = False
) -> tuple[str, str, str]:
    """(queue URL, dead-letter queue URL, queue ARN) of a queue with its redrive policy."""
    suffix = ".fifo" if fifo else ""
    dlq_url = sqs.create_queue(
        QueueName=f"{name}-dlq{suffix}", Attributes={"FifoQueue": "true"} if fifo else {}
    )["QueueUrl"]
    dlq_arn = _arn(sqs, dlq_url)
    attributes: dict[QueueAttributeNameType, str] = {
        "VisibilityTimeout": str(visibility_timeout),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
    }
    if fifo:
        attributes["FifoQueue"] = "true"
    queue_url = sqs.create_queue(QueueName=f"{name}{suffix}", Attributes=attributes)["QueueUrl"]
    return queue_url, dlq_url, _arn(sqs, queue_url)


def _arn(sqs: SQSClient, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def cloudformation_template(stack: Stack, function_code: str) -> dict[str, Any]:
    """A CloudFormation template that records the local stack as template.yaml describes a deployed
    one: the same Outputs and a PublishFunction whose environment is the worker's. (moto would run
    no code from it: the queue worker is the function here.)"""
    c = stack.config
    outputs = {
        "DraftsBucketName": c.drafts_bucket,
        "SiteBucketName": c.site_bucket,
        "SiteUrl": c.site.base_url,
        "DistributionId": c.distribution_id,
        "DistributionDomainName": stack.distribution_domain,
        "UploadCommand": f"aws s3 cp POST.md s3://{c.drafts_bucket}/drafts/",
        "PublishQueueUrl": stack.queue_url,
        "DeadLetterQueueUrl": stack.dlq_url,
        "ImageQueueUrl": stack.image_queue_url,
        "ImageDeadLetterQueueUrl": stack.image_dlq_url,
        "SearchQueueUrl": stack.search_queue_url,
        "SearchDeadLetterQueueUrl": stack.search_dlq_url,
        "RebuildQueueUrl": stack.rebuild_queue_url,
        "RebuildDeadLetterQueueUrl": stack.rebuild_dlq_url,
        "IndexTableName": c.index_table,
        # moto enforces no IAM: the writers' and editors' policies exist only on AWS
        "WritersPolicyArn": "(not enforced locally)",
        "EditorsPolicyArn": "(not enforced locally)",
    }
    assume = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    return {
        "Resources": {
            "PublishFunctionRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": assume},
            },
            "PublishFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": f"{STACK_NAME}-publish",
                    "Runtime": "python3.13",
                    "Handler": "app.handler",
                    "Role": {"Fn::GetAtt": ["PublishFunctionRole", "Arn"]},
                    "Code": {"ZipFile": function_code},
                    "Environment": {"Variables": {**FUNCTION_GLOBALS, **c.to_env()}},
                },
            },
        },
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }


def register_stack(session: Session, stack: Stack, name: str = STACK_NAME) -> None:
    """Create the CloudFormation stack `stitchpress rebuild --stack/--endpoint` reads.

    Costs moto's CloudFormation import (seconds: it loads every service it can create), so only
    `local up` does it."""
    code = "from stitchpress.service.handler import handler\n"  # functions/publish/app.py
    session.client("cloudformation").create_stack(
        StackName=name, TemplateBody=json.dumps(cloudformation_template(stack, code))
    )
