"""Handler cold start: import stitchpress.service.handler and build its clients in fresh processes.

    .venv/bin/python bench/bench_coldstart.py [--runs N] [--quick] [--no-py313]

Each run is a new interpreter (as a new Lambda execution environment, LAMBDA_TASK_ROOT set as
Lambda sets it) that imports the handler
module and then builds what the first invocation builds: the Publisher (boto3 session, S3,
DynamoDB and CloudFront clients, the Renderer) and the idempotency layer. No AWS call is made.
Variants:
- tracer active: as deployed (Tracing: Active): Powertools' Tracer imports the X-Ray SDK and
  patches botocore and the other libraries it knows;
- tracer disabled: POWERTOOLS_TRACE_DISABLED=true (the Tracer object is still built);
- no tracer: a copy of handler.py with the Tracer lines taken out (written to bench/out/).
On Python 3.11 (.venv) and, when bench/setup.sh installed it, Python 3.13 with the layer's
pinned dependencies (x86_64 wheels in bench/.layer-py313; the layer `sam build` makes is
aarch64). Also runs `python -X importtime` once per variant and sums self time by top-level
package. Reports the median and the minimum over N runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import machine

ROOT = machine.BENCH.parent
HANDLER = ROOT / "layers" / "stitchpress" / "stitchpress" / "service" / "handler.py"
LAYER_313 = machine.BENCH / ".layer-py313"
PY313 = Path("/root/.pyenv/versions/3.13.0/bin/python")
NO_TRACER = machine.BENCH / "out" / "handler_no_tracer.py"

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "DRAFTS_BUCKET": "stitchpress-drafts",
    "SITE_BUCKET": "stitchpress-site",
    "INDEX_TABLE": "stitchpress-index",
    "IDEMPOTENCY_TABLE": "stitchpress-idempotency",
    "DISTRIBUTION_ID": "E2EXAMPLE",
    "POWERTOOLS_SERVICE_NAME": "stitchpress",
    "POWERTOOLS_METRICS_NAMESPACE": "stitchpress",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    # As in Lambda. Without it the X-Ray SDK builds its centralised sampler (a botocore session
    # of its own) at import: +100 ms that a Lambda never pays.
    "LAMBDA_TASK_ROOT": "/var/task",
}
VARIANTS: dict[str, dict[str, str]] = {
    "tracer active": {"POWERTOOLS_TRACE_DISABLED": "false"},
    "tracer disabled": {"POWERTOOLS_TRACE_DISABLED": "true"},
    "no tracer": {"POWERTOOLS_TRACE_DISABLED": "true", "BENCH_HANDLER_FILE": str(NO_TRACER)},
}

# Runs in the child: time the import and the client building, print JSON.
CHILD = r"""
import os, time
t0 = time.perf_counter()
path = os.environ.get("BENCH_HANDLER_FILE")
if path:
    import importlib.util
    spec = importlib.util.spec_from_file_location("stitchpress.service.handler_variant", path)
    h = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(h)
else:
    import stitchpress.service.handler as h
t1 = time.perf_counter()
h.publisher()
h._idempotency()[1]
t2 = time.perf_counter()
import json, sys
print(json.dumps({"import": t1 - t0, "clients": t2 - t1, "modules": len(sys.modules)}))
"""


def write_no_tracer_variant() -> None:
    """handler.py without its Tracer: the import, the object and the decorator removed."""
    source = HANDLER.read_text(encoding="utf-8")
    lines = []
    removed = 0
    for line in source.splitlines(keepends=True):
        if line.strip() in ("tracer = Tracer()", "@tracer.capture_lambda_handler"):
            removed += 1
            continue
        if line.startswith("from aws_lambda_powertools import") and "Tracer" in line:
            line = line.replace(", Tracer", "").replace("Tracer, ", "")
            removed += 1
        lines.append(line)
    if removed != 3:
        raise RuntimeError(f"handler.py changed shape: removed {removed} Tracer lines, expected 3")
    NO_TRACER.parent.mkdir(exist_ok=True)
    NO_TRACER.write_text("".join(lines), encoding="utf-8")


def interpreters(use_313: bool) -> dict[str, tuple[str, dict[str, str]]]:
    out: dict[str, tuple[str, dict[str, str]]] = {f"3.11 ({sys.version.split()[0]})": (sys.executable, {})}
    if use_313 and PY313.exists() and (LAYER_313 / ".installed").exists():
        path = os.pathsep.join([str(LAYER_313), str(ROOT / "layers" / "stitchpress")])
        out["3.13 (layer deps, x86_64)"] = (str(PY313), {"PYTHONPATH": path})
    return out


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "LAMBDA_"))}
    env.pop("PYTHONPATH", None)
    return {**env, **FAKE_ENV, **extra}


def run_once(python: str, env: dict[str, str]) -> dict[str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([python, "-c", CHILD], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process"] = wall
    return result


def importtime(python: str, env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """Self import time (ms) by top-level package, heaviest first."""
    proc = subprocess.run(
        [python, "-X", "importtime", "-c", CHILD], env=env, capture_output=True, text=True, check=False
    )
    by_package: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        package = name.split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + int(self_us) / 1000
    return sorted(by_package.items(), key=lambda kv: -kv[1])[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="5 runs")
    parser.add_argument("--no-py313", action="store_true")
    args = parser.parse_args(argv)
    runs = 5 if args.quick else args.runs
    write_no_tracer_variant()
    print(machine.banner())
    print(
        f"{runs} fresh processes per row; median (min) in ms; 'import' = import stitchpress.service.handler,"
    )
    print("'clients' = publisher() + _idempotency(), 'process' = spawn to exit, interpreter start included")
    results: dict[str, Any] = {}
    for interp, (python, interp_env) in interpreters(not args.no_py313).items():
        for variant, extra in VARIANTS.items():
            env = child_env({**interp_env, **extra})
            run_once(python, env)  # warm-up: bytecode caches written, files in the page cache
            samples = [run_once(python, env) for _ in range(runs)]
            row = {
                k: (statistics.median(s[k] for s in samples) * 1000, min(s[k] for s in samples) * 1000)
                for k in ("import", "clients", "process")
            }
            total = [(s["import"] + s["clients"]) * 1000 for s in samples]
            row["import + clients"] = (statistics.median(total), min(total))
            heavy = importtime(python, env)
            results[f"{interp} / {variant}"] = {"ms": row, "importtime_self_ms": heavy}
            cells = ", ".join(f"{k} {med:.0f} ({lo:.0f})" for k, (med, lo) in row.items())
            print(f"{interp:>28} | {variant:<15} | {cells}")
            print(
                f"{'':>28} | {'':<15} | -X importtime self ms: "
                + ", ".join(f"{p} {ms:.0f}" for p, ms in heavy)
            )
    out = machine.BENCH / "out" / "coldstart.json"
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
