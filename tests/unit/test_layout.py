"""The package layout is the architecture (README "Architecture"): the pure core imports no
adapter and no AWS SDK; nothing the Lambda layer ships imports the CLI or the local stack."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "layers" / "stitchpress" / "stitchpress"
AWS_SDKS = ("boto3", "botocore", "moto", "mypy_boto3")


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (relative imports made absolute), at any depth in the file."""
    package = ".".join(("stitchpress", *path.parent.relative_to(PACKAGE).parts))
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def offenders(folder: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    bad = {}
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        hits = sorted(m for m in imports_of(path) if m.split(".")[0] in forbidden or m.startswith(forbidden))
        if hits:
            bad[path.relative_to(PACKAGE).as_posix()] = hits
    return bad


def test_the_core_imports_no_adapter_and_no_aws_sdk() -> None:
    forbidden = (*AWS_SDKS, "stitchpress.aws", "stitchpress.service", "stitchpress.cli", "stitchpress.local")
    assert offenders("core", forbidden) == {}


def test_what_the_layer_ships_imports_no_cli_and_no_local_stack() -> None:
    for folder in ("aws", "service"):
        assert offenders(folder, ("moto", "stitchpress.cli", "stitchpress.local")) == {}


def test_the_checker_sees_relative_imports() -> None:
    assert "stitchpress.aws.index" in imports_of(PACKAGE / "aws" / "pending.py")  # from .index import
    assert "stitchpress.core.model" in imports_of(PACKAGE / "aws" / "index.py")  # from ..core.model import
