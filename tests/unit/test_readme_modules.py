"""The README's architecture table names every module of the library (it once left out half)."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_every_module_has_a_row() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| where | what |") :].split("\n\n", 1)[0]
    package = ROOT / "layers" / "stitchpress" / "stitchpress"
    modules = {p.relative_to(package).as_posix() for p in package.rglob("*.py") if p.stem != "__init__"}
    assert sorted(m for m in modules if f"`{m}`" not in table) == []
    folders = {p.parent.name for p in package.glob("*/__init__.py")}
    assert sorted(f for f in folders if f"`{f}/`" not in table) == []


def test_where_things_are_names_paths_that_exist() -> None:
    """The README's map for a new engineer ("Where things are") points at real files."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Where things are") :].split("\n## ", 1)[0]
    package = ROOT / "layers" / "stitchpress" / "stitchpress"
    named = [
        p for p in re.findall(r"`([^`\s]+)`", section) if "/" in p or p.endswith((".py", ".yaml", ".md"))
    ]
    assert len(named) > 20
    missing = [p for p in named if not any(any(base.glob(p.rstrip("/"))) for base in (ROOT, package))]
    assert missing == []
    for question in (
        "stitching rule",
        "page plan",
        "DynamoDB schema",
        "the template",
        "unit tests",
        "functional tests",
        "end-to-end tests",
        "benchmarks",
    ):
        assert question in section
