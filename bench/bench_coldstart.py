"""Handler cold start: import the publish function as deployed and build its clients, in fresh processes.

    .venv/bin/python bench/bench_coldstart.py [--runs N] [--quick] [--no-py313] [--code DIR]
    .venv/bin/python bench/bench_coldstart.py --every-function [--runs N] [--code DIR]

Each run is a new interpreter (as a new Lambda execution environment) that imports the function
as Lambda does: template.yaml's Handler (app.handler) from its CodeUri, under the template's
environment with the parameters' defaults plus what Lambda sets (LAMBDA_TASK_ROOT, active
tracing's X-Ray variables; tests/deployed.py), with bytecode for every module as the built
layer has (written once by a warm-up run under bench/out/pycache). Then it builds what the first invocation builds:
the Publisher (boto3 session, S3, DynamoDB and CloudFront clients, the Renderer) and the
idempotency layer. No AWS call is made. Variants:
- as deployed: TraceAwsCalls=false (the default): Lambda's active tracing, no X-Ray SDK;
- TraceAwsCalls=true: Powertools' Tracer imports the X-Ray SDK and patches botocore.
--code DIR measures another checkout's functions/ and layer (e.g. /work/main before a change).
On Python 3.11 (.venv) and, when bench/setup.sh installed it, Python 3.13 with the layer's
pinned dependencies (x86_64 wheels in bench/.layer-py313; the layer `sam build` makes is
aarch64). --every-function times only the import, as deployed, of each function in the template
(3.11). Also runs `python -X importtime` once per variant and sums self time by top-level
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
sys.path.insert(0, str(ROOT))
from tests.deployed import handler_location, lambda_env, template  # noqa: E402

LAYER_313 = machine.BENCH / ".layer-py313"
PY313 = Path("/root/.pyenv/versions/3.13.0/bin/python")
PYCACHE = machine.BENCH / "out" / "pycache"
FUNCTION = "PublishFunction"
VARIANTS: dict[str, dict[str, str]] = {
    "as deployed": {},
    "TraceAwsCalls=true": {"TraceAwsCalls": "true"},
}

# Runs in the child, in the function's code directory: time the import and the client building.
CHILD = r"""
import time
t0, c0 = time.perf_counter(), time.process_time()
import importlib, sys
app = importlib.import_module(sys.argv[1])
t1, c1 = time.perf_counter(), time.process_time()
h = sys.modules[app.handler.__module__]  # the layer's handler module, in any layout
h.publisher()
h._idempotency()[1]
t2, c2 = time.perf_counter(), time.process_time()
import json
print(json.dumps({"import": t1 - t0, "clients": t2 - t1, "import cpu": c1 - c0,
                  "import + clients cpu": c2 - c0, "modules": len(sys.modules),
                  "xray": "aws_xray_sdk" in sys.modules}))
"""


def interpreters(use_313: bool, code: Path) -> dict[str, tuple[str, dict[str, str]]]:
    layer = str(code / "layers" / "stitchpress")
    out: dict[str, tuple[str, dict[str, str]]] = {
        f"3.11 ({sys.version.split()[0]})": (sys.executable, {"PYTHONPATH": layer})
    }
    if use_313 and PY313.exists() and (LAYER_313 / ".installed").exists():
        path = os.pathsep.join([str(LAYER_313), layer])
        out["3.13 (layer deps, x86_64)"] = (str(PY313), {"PYTHONPATH": path})
    return out


def child_env(
    interp_env: dict[str, str], parameters: dict[str, str], function: str = FUNCTION
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "LAMBDA_"))}
    env.pop("PYTHONPATH", None)
    # The deployed layer ships bytecode (layers/stitchpress/Makefile precompiles it), so the
    # children must find it: with PYTHONDONTWRITEBYTECODE set (as on this machine) the warm-up
    # wrote none and every run compiled stitchpress from source (~120 ms more, 2026-12-03). The
    # caches go under bench/out, not into the checkouts measured.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return {**env, **lambda_env(function, **parameters), **interp_env}


# Only the import, of any function's handler module.
CHILD_IMPORT = r"""
import time
t0, c0 = time.perf_counter(), time.process_time()
import importlib, sys
importlib.import_module(sys.argv[1])
import json
print(json.dumps({"import": time.perf_counter() - t0, "import cpu": time.process_time() - c0}))
"""


def functions() -> list[str]:
    resources = template()["Resources"]
    return sorted(k for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function")


def every_function(codes: list[Path], runs: int) -> dict[str, Any]:
    """Import-only time of each function as deployed, the rows' runs interleaved."""
    rows: dict[str, tuple[list[str], dict[str, str], Path]] = {}
    for code in codes:
        layer = {"PYTHONPATH": str(code / "layers" / "stitchpress")}
        for function in functions():
            code_dir, module, _ = handler_location(function)
            name = f"{function:<16}" + (f" | {code}" if len(codes) > 1 else "")
            env = child_env(layer, {}, function)
            rows[name] = (
                [sys.executable, "-c", CHILD_IMPORT, module],
                env,
                code / code_dir.relative_to(ROOT),
            )
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in rows}
    for attempt in range(runs + 1):  # the first: warm-up
        for name, (args, env, cwd) in rows.items():
            proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-3000:])
            if attempt:
                samples[name].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    results: dict[str, Any] = {}
    for name, runs_ in samples.items():
        row = {
            k: (statistics.median(s[k] for s in runs_) * 1000, min(s[k] for s in runs_) * 1000)
            for k in ("import", "import cpu")
        }
        results[name] = row
        print(f"{name} | " + ", ".join(f"{k} {med:.0f} ({lo:.0f})" for k, (med, lo) in row.items()))
    return results


def child_args(python: str, *flags: str) -> list[str]:
    return [python, *flags, "-c", CHILD, handler_location(FUNCTION)[1]]


def run_once(python: str, env: dict[str, str], cwd: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(child_args(python), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process"] = wall
    return result


def importtime(python: str, env: dict[str, str], cwd: Path, top: int = 8) -> list[tuple[str, float]]:
    """Self import time (ms) by top-level package, heaviest first."""
    proc = subprocess.run(
        child_args(python, "-X", "importtime"), cwd=cwd, env=env, capture_output=True, text=True, check=False
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
    parser.add_argument(
        "--code", type=Path, action="append", help="checkout whose functions/ and layer to run (repeatable)"
    )
    parser.add_argument("--every-function", action="store_true", help="import time of each function")
    args = parser.parse_args(argv)
    runs = 5 if args.quick else args.runs
    codes = [c.resolve() for c in args.code or [ROOT]]
    print(machine.banner())
    if args.every_function:
        print(f"{runs} fresh processes per row, interleaved; import as deployed, median (min) in ms")
        every = every_function(codes, runs)
        out = machine.BENCH / "out" / "coldstart-functions.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(every, indent=2), encoding="utf-8")
        return 0
    print(f"{runs} fresh processes per row, the rows' runs interleaved (same load); median (min) in ms;")
    print("'import' = import functions/publish/app.py as Lambda does, 'clients' = publisher() +")
    print("_idempotency(), 'process' = spawn to exit, interpreter start included; '... cpu' = the")
    print("child's CPU time (user + system), which a loaded machine inflates far less than wall time")
    rows: dict[str, tuple[str, dict[str, str], Path]] = {}
    for code in codes:
        for interp, (python, interp_env) in interpreters(not args.no_py313, code).items():
            for variant, parameters in VARIANTS.items():
                name = f"{interp} | {variant:<18}" + (f" | {code}" if len(codes) > 1 else "")
                cwd = code / handler_location(FUNCTION)[0].relative_to(ROOT)
                rows[name] = (python, child_env(interp_env, parameters), cwd)
    for python, env, cwd in rows.values():
        run_once(python, env, cwd)  # warm-up: bytecode written under PYCACHE, files in the page cache
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in rows}
    for _ in range(runs):
        for name, (python, env, cwd) in rows.items():
            samples[name].append(run_once(python, env, cwd))
    results: dict[str, Any] = {}
    for name, (python, env, cwd) in rows.items():
        runs_ = samples[name]
        row = {
            k: (statistics.median(s[k] for s in runs_) * 1000, min(s[k] for s in runs_) * 1000)
            for k in ("import", "clients", "process", "import cpu", "import + clients cpu")
        }
        total = [(s["import"] + s["clients"]) * 1000 for s in runs_]
        row["import + clients"] = (statistics.median(total), min(total))
        heavy = importtime(python, env, cwd)
        xray = "X-Ray SDK loaded" if runs_[0]["xray"] else "no X-Ray SDK"
        results[name] = {"ms": row, "importtime_self_ms": heavy, "xray_sdk": bool(runs_[0]["xray"])}
        cells = ", ".join(f"{k} {med:.0f} ({lo:.0f})" for k, (med, lo) in row.items())
        print(f"{name} | {cells} | {xray}")
        print("    -X importtime self ms: " + ", ".join(f"{p} {ms:.0f}" for p, ms in heavy))
    out = machine.BENCH / "out" / "coldstart.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
