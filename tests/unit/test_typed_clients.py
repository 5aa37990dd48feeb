"""The AWS clients are typed with the boto3-stubs packages (mypy_boto3_*), a dev dependency:
imported under TYPE_CHECKING only, so neither the layer nor any run-time import needs them."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

IMPORT_ALL = """
import importlib, pkgutil, sys
import stitchpress
for module in pkgutil.walk_packages(stitchpress.__path__, "stitchpress."):
    importlib.import_module(module.name)
print(sorted({n.split(".")[0] for n in sys.modules if n.startswith("mypy_boto3")}))
"""


def test_no_module_imports_the_type_stubs_at_run_time() -> None:
    out = subprocess.run([sys.executable, "-c", IMPORT_ALL], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_layer_does_not_ship_the_stubs() -> None:
    wanted = (ROOT / "layers" / "stitchpress" / "requirements.txt").read_text(encoding="utf-8").lower()
    assert "stubs" not in wanted and "mypy" not in wanted
