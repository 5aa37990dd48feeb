"""X-Ray tracing of a Lambda handler, with the X-Ray SDK imported only when it is used.

Powertools' `Tracer()` imports the X-Ray SDK (~210 ms of a cold start here, BENCHMARKS.md
"Handler cold start") even when POWERTOOLS_TRACE_DISABLED is set. So the handlers build no
Tracer unless tracing is on. template.yaml deploys the functions with Lambda's active tracing,
which records each initialisation and invocation without any SDK, and the SDK off
(POWERTOOLS_TRACE_DISABLED=true); its TraceAwsCalls parameter turns the SDK on, adding a
subsegment per AWS call for that price.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from aws_lambda_powertools.shared import constants
from aws_lambda_powertools.shared.functions import resolve_truthy_env_var_choice

F = TypeVar("F", bound=Callable[..., Any])


def sdk_tracing(env: Mapping[str, str] | None = None) -> bool:
    """Whether Powertools' Tracer would trace: Powertools' own rule (off when
    POWERTOOLS_TRACE_DISABLED is true, outside Lambda, and in SAM's or Chalice's emulators)."""
    e = os.environ if env is None else env
    if resolve_truthy_env_var_choice(env=e.get(constants.TRACER_DISABLED_ENV, "false")):
        return False
    emulated = e.get(constants.SAM_LOCAL_ENV) or e.get(constants.CHALICE_LOCAL_ENV)
    return bool(e.get(constants.LAMBDA_TASK_ROOT_ENV)) and not emulated


def capture_lambda_handler(handler: F) -> F:
    """The handler in an X-Ray subsegment (cold start annotated, AWS calls patched) when tracing
    is on; the handler itself, and no SDK import, when it is off."""
    if not sdk_tracing():
        return handler
    from aws_lambda_powertools import Tracer

    return cast(F, Tracer().capture_lambda_handler(handler))
