"""Functional tier: the real handler, driven with the events/*.json files, against moto."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stitchpress.local.runtime import LocalContext
from stitchpress.local.stack import Stack, create_stack

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def load_app(function: str = "publish") -> Any:
    """functions/<function>/app.py exactly as SAM packages it (CodeUri functions/<function>/)."""
    spec = importlib.util.spec_from_file_location(f"{function}_app", ROOT / "functions" / function / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Aws:
    stack: Stack
    s3: Any
    ddb: Any
    cloudfront: Any
    sqs: Any
    app: Any

    @property
    def drafts(self) -> str:
        return self.stack.config.drafts_bucket

    @property
    def site(self) -> str:
        return self.stack.config.site_bucket

    def invoke(self, event: dict[str, Any]) -> Any:
        return self.app.handler(event, LocalContext(aws_request_id="test"))

    def invoke_images(self, event: dict[str, Any]) -> Any:
        """The image function (functions/images/app.py), as its queue would invoke it."""
        app = load_app("images")
        return app.handler(event, LocalContext(function_name="ImageFunction", aws_request_id="test"))

    def site_objects(self) -> dict[str, bytes]:
        out = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.site):
            for obj in page.get("Contents", []):
                out[obj["Key"]] = self.s3.get_object(Bucket=self.site, Key=obj["Key"])["Body"].read()
        return out

    def page(self, key: str) -> str:
        return self.s3.get_object(Bucket=self.site, Key=key)["Body"].read().decode()

    def invalidations(self) -> list[list[str]]:
        dist = self.stack.config.distribution_id
        items = self.cloudfront.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])
        out = []
        for item in items:
            inv = self.cloudfront.get_invalidation(DistributionId=dist, Id=item["Id"])["Invalidation"]
            out.append(inv["InvalidationBatch"]["Paths"].get("Items", []))
        return out

    def report(self, draft_key: str) -> dict[str, Any]:
        from stitchpress.core.keys import report_key

        return json.loads(self.s3.get_object(Bucket=self.drafts, Key=report_key(draft_key))["Body"].read())


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        session = boto3.session.Session()
        stack = create_stack(session)
        saved = dict(os.environ)
        os.environ.update({**stack.image_config.to_env(), **stack.config.to_env()})
        from stitchpress.service import handler, image_handler, search_job

        handler.reset()
        image_handler.reset()
        search_job.reset()
        try:
            yield Aws(
                stack,
                session.client("s3"),
                session.client("dynamodb"),
                session.client("cloudfront"),
                session.client("sqs"),
                load_app(),
            )
        finally:
            handler.reset()
            image_handler.reset()
            search_job.reset()
            os.environ.clear()
            os.environ.update(saved)
