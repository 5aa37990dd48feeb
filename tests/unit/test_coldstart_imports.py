"""What each function's cold start does not import (BENCHMARKS.md "Handler cold start").

Each check imports the function as Lambda does (template.yaml's Handler from its CodeUri, under
the template's environment and what Lambda sets; tests/deployed.py) in a fresh interpreter and
looks at sys.modules: a module-presence check, not a timing test. A module listed here is either
never used by that function or built on the first event (the AWS clients, the renderer).
"""

from __future__ import annotations

import pytest

from tests.deployed import run_as_deployed

CHILD = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.argv[2:] if m in sys.modules)))
"""

# Built on the first event, by the functions' cached builders (publisher(), _clients(), ...).
# (Powertools imports the bare botocore package, ~0.5 ms; its sessions and clients wait.)
FIRST_EVENT = ["boto3", "botocore.session", "jinja2", "markdown_it"]
# Never on a function's path: the local stack, the command line, tracing's SDK when it is off.
NEVER = ["moto", "stitchpress.cli", "stitchpress.local", "aws_xray_sdk"]
# The image function's code: the publish function only reads its refresh messages
# (stitchpress.core.events), and Pillow is in the image function's layer only.
IMAGE_CODE = ["stitchpress.service.image_publish", "stitchpress.service.image_handler", "PIL"]

LEFT_OUT: dict[str, list[str]] = {
    "PublishFunction": FIRST_EVENT + NEVER + IMAGE_CODE,
    "RebuildFunction": FIRST_EVENT + NEVER + IMAGE_CODE,
    "ImageFunction": ["boto3", "botocore.session", "jinja2", *NEVER],
    "SweepFunction": FIRST_EVENT + NEVER + IMAGE_CODE,
    "SearchFunction": FIRST_EVENT + NEVER + IMAGE_CODE,
}


def loaded_after_import(function: str, modules: list[str]) -> list[str]:
    loaded: list[str] = run_as_deployed(function, CHILD, modules)
    return loaded


@pytest.mark.parametrize("function", sorted(LEFT_OUT))
def test_the_cold_start_leaves_out_what_the_function_does_not_need_yet(function: str) -> None:
    assert loaded_after_import(function, LEFT_OUT[function]) == []


def test_the_check_sees_a_module_the_import_does_load() -> None:
    """The same check names what the publish function does import (so it can fail)."""
    assert loaded_after_import("PublishFunction", ["stitchpress.service.publish", "PIL"]) == [
        "stitchpress.service.publish"
    ]
