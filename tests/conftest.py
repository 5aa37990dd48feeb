"""Test-wide setup. moto is imported before any boto3 session exists, and fake credentials and
a region are set, so no test can ever reach a real AWS account."""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "stitchpress",
        "POWERTOOLS_METRICS_NAMESPACE": "stitchpress",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

from pathlib import Path

import moto  # noqa: F401  - before boto3, as moto's docs require
import pytest

from tests.moto_speed import moto_one_call_at_a_time

moto_one_call_at_a_time()

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DRAFT = ROOT / "examples" / "drafts" / "2025-09-21-meta-ai-investment.md"
# The example post with a picture, and the picture (uploaded as drafts/img/ai-capex.png).
EXAMPLE_IMAGE_DRAFT = ROOT / "examples" / "drafts" / "2025-09-22-ai-capex-chart.md"
EXAMPLE_IMAGE = ROOT / "examples" / "drafts" / "img" / "ai-capex.png"


@pytest.fixture
def example_draft() -> bytes:
    return EXAMPLE_DRAFT.read_bytes()
