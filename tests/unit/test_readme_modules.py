"""The README's architecture table names every module of the library (it once left out half)."""

from __future__ import annotations

from tests.conftest import ROOT


def test_every_module_has_a_row() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| where | what |") :].split("\n\n", 1)[0]
    package = ROOT / "layers" / "stitchpress" / "stitchpress"
    modules = {p.relative_to(package).as_posix() for p in package.rglob("*.py") if p.stem != "__init__"}
    assert sorted(m for m in modules if f"`{m}`" not in table) == []
    folders = {p.parent.name for p in package.glob("*/__init__.py")}
    assert sorted(f for f in folders if f"`{f}/`" not in table) == []
