#!/usr/bin/env bash
# Every benchmark, one after the other (each stays under ~10 minutes on 2 cores, except
# bench_rebuild.py: its 10,000-post local-stack runs take ~25 minutes each here):
#   bench/run.sh            the full set (sites of 0, 1,000 and 10,000 posts)
#   bench/run.sh --quick    a fast check (sites of 0, 100 and 1,000 posts; fewer repeats)
# Installs what the comparisons need first (bench/setup.sh). Details land in bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
quick=()
[[ "${1:-}" == "--quick" ]] && quick=(--quick)

bench/setup.sh
"$python" bench/bench_stitch.py ${quick:+--repeat 3}
"$python" bench/bench_compute.py "${quick[@]}"
"$python" bench/bench_coldstart.py "${quick[@]}"
"$python" bench/bench_live.py "${quick[@]}"
"$python" bench/bench_batching.py
"$python" bench/bench_rebuild.py "${quick[@]}"
