"""Mutation score per module from a mutmut run (scripts/mutation.sh), equivalent mutants excluded.

    .venv/bin/python scripts/mutation_score.py [WORKSPACE [SAMPLE]]   (default: .mutation 37)

SAMPLE is the last digits of the mutant numbers tested (scripts/mutation.sh), or "all".
With --pending, prints instead the sampled mutants not yet killed (none checked, survived, no
tests), for scripts/mutation.sh to re-test only those.

Reads mutmut's results (mutants/src/stitchpress/core/<module>.py.meta), leaves out the mutants listed
in scripts/mutation_equivalent.txt (one `name  reason` a line: each one cannot change behaviour,
and the reason says why), prints killed / (all - equivalent) per module and every other
survivor, and exits 1 when a module is under TARGET.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

MODULES = ("stitch", "validate")
TARGET = 0.90
KILLED = {1, 3, -11, -9}  # a test failed, or the run crashed (mutmut's exit codes)
TIMEOUT = {36, 24, -24, 152, 255}  # over its CPU budget: a loop the mutant made endless
DETECTED = KILLED | TIMEOUT
NOT_RUN = {None, 2, 34}  # not checked, interrupted, skipped
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.txt")


def equivalents() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.strip().partition(" ")
            out[name] = reason.strip()
    return out


def pending(workspace: Path, sample: str) -> int:
    in_sample = re.compile(r".*" if sample == "all" else rf".*__mutmut_\d*[{sample}]")
    for module in MODULES:
        for name, code in _codes(workspace, module).items():
            if in_sample.fullmatch(name) and code not in DETECTED:
                print(name)
    return 0


def _codes(workspace: Path, module: str) -> dict[str, int | None]:
    meta = workspace / "mutants" / "src" / "stitchpress" / "core" / f"{module}.py.meta"
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--pending"]:
        return pending(Path(argv[2]), argv[3])
    workspace = Path(argv[1] if len(argv) > 1 else ".mutation")
    sample = argv[2] if len(argv) > 2 else "37"
    in_sample = re.compile(r".*" if sample == "all" else rf".*__mutmut_\d*[{sample}]")
    print(f"sample: {'all mutants' if sample == 'all' else 'mutants numbered *' + ' or *'.join(sample)}")
    equivalent = equivalents()
    failed = False
    for module in MODULES:
        meta = workspace / "mutants" / "src" / "stitchpress" / "core" / f"{module}.py.meta"
        if not meta.exists():
            print(f"{module}.py: no results ({meta} is missing): run scripts/mutation.sh")
            failed = True
            continue
        codes: dict[str, int | None] = {
            n: c
            for n, c in json.loads(meta.read_text())["exit_code_by_key"].items()
            if in_sample.fullmatch(n)
        }
        eq = [name for name in codes if name in equivalent]
        counted = {n: c for n, c in codes.items() if n not in equivalent}
        not_run = [n for n, c in counted.items() if c in NOT_RUN]
        killed = [n for n, c in counted.items() if c in DETECTED]
        timeouts = [n for n, c in counted.items() if c in TIMEOUT]
        survivors = sorted(n for n, c in counted.items() if c not in DETECTED and c not in NOT_RUN)
        total = len(counted) - len(not_run)
        score = len(killed) / total if total else 0.0
        print(
            f"{module}.py: {score:.1%} killed ({len(killed)} of {total}, {len(timeouts)} of them by timeout; "
            f"{len(codes)} mutants, {len(eq)} equivalent, {len(not_run)} not run)"
        )
        for name in survivors:
            print(f"    survived: {name}")
        for name in timeouts:
            print(f"    timeout: {name}")
        failed |= score < TARGET or bool(not_run)
    stale = sorted(set(equivalent) - {n for m in MODULES for n in _names(workspace, m)})
    for name in stale:
        print(f"    listed as equivalent but not a mutant of this source (renumbered?): {name}")
    return 1 if failed else 0


def _names(workspace: Path, module: str) -> list[str]:
    return list(_codes(workspace, module))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
