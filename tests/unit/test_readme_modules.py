"""The README's architecture table names every module of the library (it once left out half)."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_every_module_has_a_row() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| where | what |") :].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", table))
    package = ROOT / "layers" / "stitchpress" / "stitchpress"
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    assert sorted(modules - named) == []
    assert "`local/`" in table
