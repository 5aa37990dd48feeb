"""The X-Ray SDK stays off the functions' cold start unless tracing AWS calls is asked for
(stitchpress.service.tracing): Powertools' Tracer() imports it (~210 ms here) even when disabled.

Each check imports the function as Lambda does (template.yaml's Handler from its CodeUri, under
the template's environment and what Lambda sets) in a fresh interpreter, and looks at
sys.modules: a module-presence check, not a timing test.
"""

from __future__ import annotations

import pytest

from stitchpress.service.tracing import sdk_tracing
from tests.deployed import handler_location, run_as_deployed

FUNCTIONS = ["PublishFunction", "ImageFunction", "SweepFunction"]

CHILD = """
import importlib, json, sys
handler = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])
wrapped = getattr(handler, "__wrapped__", None) is not None
print(json.dumps({"xray": "aws_xray_sdk" in sys.modules, "wrapped": wrapped}))
"""


def import_as_deployed(function: str, **parameters: str) -> dict[str, bool]:
    _, _, attr = handler_location(function)
    result: dict[str, bool] = run_as_deployed(function, CHILD, [attr], **parameters)
    return result


@pytest.mark.parametrize("function", FUNCTIONS)
def test_as_deployed_the_handler_import_leaves_out_the_xray_sdk(function: str) -> None:
    assert import_as_deployed(function)["xray"] is False


@pytest.mark.parametrize("function", ["PublishFunction", "ImageFunction"])
def test_trace_aws_calls_imports_the_sdk_and_wraps_the_handler(function: str) -> None:
    """The parameter still turns Powertools' tracing on (and the check above can fail)."""
    assert import_as_deployed(function, TraceAwsCalls="true") == {"xray": True, "wrapped": True}


@pytest.mark.parametrize(
    ("env", "traced"),
    [
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
        ({}, False),  # outside Lambda: the local stack, the CLI, tests
    ],
)
def test_sdk_tracing_follows_powertools_rule(env: dict[str, str], traced: bool) -> None:
    from aws_lambda_powertools import Tracer

    assert sdk_tracing(env) is traced
    with pytest.MonkeyPatch.context() as mp:
        for name in (
            "LAMBDA_TASK_ROOT",
            "POWERTOOLS_TRACE_DISABLED",
            "AWS_SAM_LOCAL",
            "AWS_CHALICE_CLI_MODE",
        ):
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        assert (not Tracer._is_tracer_disabled()) is traced  # the rule we mirror
