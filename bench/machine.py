"""What every benchmark prints first: the machine, the interpreter, the tools and the date."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PELICAN = BENCH / ".venv-pelican" / "bin" / "pelican"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(cmd: list[str]) -> str | None:
    if shutil.which(cmd[0]) is None and not Path(cmd[0]).exists():
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError:
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def describe() -> dict[str, str | None]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "hugo": _version(["hugo", "version"]),
        "pelican": _version([str(PELICAN), "--version"]),
    }


def banner() -> str:
    m = describe()
    tools = ", ".join(f"{k} {v}" for k, v in m.items() if k in ("hugo", "pelican") and v)
    return f"{m['date']}; nproc {m['nproc']}, {m['cpu']}; Python {m['python']}" + (
        f"; {tools}" if tools else ""
    )
