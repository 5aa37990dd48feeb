"""A function's environment as template.yaml deploys it: its variables (Globals merged with its
own) resolved with the parameters' defaults, plus what Lambda itself sets (python3.13, active
tracing). Cold-start checks (tests/unit/test_tracing.py) and bench/bench_coldstart.py run the
handler under it, as Lambda imports it: `Handler` (app.handler) from the function's CodeUri.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

from cfnlint.decode.cfn_yaml import load  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
LAYER = ROOT / "layers" / "stitchpress"
REGION = "us-east-1"
ACCOUNT = "123456789012"
# Stand-ins for what CloudFormation resolves at deploy time.
ATTRIBUTES = {"Distribution.DomainName": "d111111abcdef8.cloudfront.net"}


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = load(str(TEMPLATE))
    return loaded


def _condition(node: Any, params: dict[str, str]) -> bool:
    if isinstance(node, dict) and "Condition" in node:
        return _condition(template()["Conditions"][node["Condition"]], params)
    (fn, arg), *_ = node.items()
    if fn == "Fn::Equals":
        return _value(arg[0], params) == _value(arg[1], params)
    if fn == "Fn::Not":
        return not _condition(arg[0], params)
    if fn == "Fn::And":
        return all(_condition(a, params) for a in arg)
    if fn == "Fn::Or":
        return any(_condition(a, params) for a in arg)
    raise ValueError(f"condition {fn} not understood")


def _sub(match: re.Match[str], params: dict[str, str]) -> str:
    name = match.group(1)
    if name in params:
        return params[name]
    if name in ATTRIBUTES:
        return ATTRIBUTES[name]
    return {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT}.get(name, f"{name.lower()}-example")


def _ref(resource: str) -> str:
    """What !Ref of a resource gives: a queue's URL, a name or an id for the others."""
    name = f"stitchpress-{resource.lower()}-example"
    kind = template()["Resources"][resource]["Type"]
    if kind == "AWS::SQS::Queue":
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
    if kind == "AWS::CloudFront::Distribution":
        return "E2QWRUHAPOMQZL"
    return name


def _value(node: Any, params: dict[str, str]) -> str:
    if isinstance(node, (str, int, float)):
        return str(node)
    (fn, arg), *_ = node.items()
    if fn == "Ref":
        return params[arg] if arg in params else _ref(arg)
    if fn == "Fn::If":
        name, yes, no = arg
        return _value(yes if _condition(template()["Conditions"][name], params) else no, params)
    if fn == "Fn::Sub" and isinstance(arg, str):
        return re.sub(r"\$\{([^}]+)\}", lambda m: _sub(m, params), arg)
    if fn == "Fn::GetAtt":
        return ATTRIBUTES.get(".".join(arg), f"{arg[0].lower()}-example")
    raise ValueError(f"{fn} not understood")


def function_env(function: str = "PublishFunction", **parameters: str) -> dict[str, str]:
    """The function's variables with the template parameters' defaults (or `parameters`)."""
    t = template()
    params = {k: str(v.get("Default", "")) for k, v in t["Parameters"].items()} | parameters
    variables = dict(t["Globals"]["Function"]["Environment"]["Variables"])
    variables.update(t["Resources"][function]["Properties"]["Environment"]["Variables"])
    return {k: _value(v, params) for k, v in variables.items()}


def lambda_env(function: str = "PublishFunction", **parameters: str) -> dict[str, str]:
    """function_env plus what the Lambda runtime sets in an execution environment (fake
    credentials: nothing run under it may reach AWS)."""
    props = template()["Resources"][function]["Properties"]
    runtime = {
        "AWS_LAMBDA_FUNCTION_NAME": f"stitchpress-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props.get("MemorySize", 128)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        # Tracing: Active
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "_AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129",
        "_AWS_XRAY_DAEMON_PORT": "2000",
    }
    return runtime | function_env(function, **parameters)


def handler_location(function: str = "PublishFunction") -> tuple[Path, str, str]:
    """(the code directory Lambda runs in, the handler's module, its attribute)."""
    props = template()["Resources"][function]["Properties"]
    module, _, attr = props["Handler"].partition(".")
    return ROOT / props["CodeUri"], module, attr


def run_as_deployed(function: str, child: str, args: list[str], **parameters: str) -> Any:
    """What `child` (Python code run with the handler's module and `args` as sys.argv[1:])
    prints as JSON on its last line, run in a fresh interpreter as Lambda would: in the function's
    code directory, with the layer on the path and the environment template.yaml deploys."""
    code_dir, module, _ = handler_location(function)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "LAMBDA_"))}
    env = keep | lambda_env(function, **parameters) | {"PYTHONPATH": str(LAYER)}
    proc = subprocess.run(
        [sys.executable, "-c", child, module, *args],
        cwd=code_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
