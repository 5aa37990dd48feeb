#!/usr/bin/env bash
# Install the tools the comparison benchmarks run against, idempotently:
#   - Hugo from Debian (apt-get install hugo)
#   - Pelican in its own venv, bench/.venv-pelican (never in the project's .venv)
# Re-running does nothing when both are there. Set BENCH_SKIP_HUGO=1 / BENCH_SKIP_PELICAN=1 to skip one.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"

if [[ "${BENCH_SKIP_HUGO:-0}" != 1 ]] && ! command -v hugo >/dev/null 2>&1; then
    sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hugo >/dev/null
fi

venv="$here/.venv-pelican"
if [[ "${BENCH_SKIP_PELICAN:-0}" != 1 ]] && [[ ! -f "$venv/.installed" ]]; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "pelican[markdown]"
    touch "$venv/.installed"
fi

command -v hugo >/dev/null 2>&1 && hugo version || true
[[ -x "$venv/bin/pelican" ]] && "$venv/bin/pelican" --version || true
