"""How a function reports what it did with one change: one log line and one metric."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit


def log_outcome(
    logger: Logger, metrics: Metrics, metric_names: Mapping[str, str], key: str, status: str, **fields: Any
) -> None:
    """Log the change's outcome (a rejection as a warning: the writer has something to fix) and
    count it under its metric, when its status has one."""
    log = logger.warning if status == "rejected" else logger.info
    log(f"{status}: {key}", stacklevel=3, status=status, **fields)  # located at the caller
    if status in metric_names:
        metrics.add_metric(name=metric_names[status], unit=MetricUnit.Count, value=1)
