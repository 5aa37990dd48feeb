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
if [[ "${BENCH_SKIP_PELICAN:-0}" != 1 ]] && { [[ ! -f "$venv/.installed" ]] || [[ ! -x "$venv/bin/pelican" ]]; }; then
    "$python" -m venv --clear "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "pelican[markdown]"
    touch "$venv/.installed"
fi

# The Lambda layer's dependencies for the cold-start benchmark on Python 3.13 (the runtime's
# version), for this machine's architecture: the layer `sam build` makes holds aarch64 wheels.
py313="${PY313:-}"
if [[ -z "$py313" ]]; then
    for candidate in python3.13 /root/.pyenv/versions/3.13.0/bin/python; do
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
            py313="$candidate"
            break
        fi
    done
fi
layer="$here/.layer-py313"
if [[ "${BENCH_SKIP_PY313:-0}" != 1 ]] && [[ -n "$py313" ]] && [[ ! -f "$layer/.installed" ]]; then
    rm -rf "$layer"
    "$py313" -m pip install -qq --disable-pip-version-check --target "$layer" \
        -r "$here/../layers/stitchpress/requirements.txt"
    "$py313" -m compileall -q -j 0 "$layer" >/dev/null || true
    touch "$layer/.installed"
fi

command -v hugo >/dev/null 2>&1 && hugo version || true
[[ -x "$venv/bin/pelican" ]] && "$venv/bin/pelican" --version || true
