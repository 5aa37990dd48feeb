#!/usr/bin/env bash
# AWS tooling for template.yaml: SAM CLI and checkov, each in its own venv under ~/.cache/stitchpress/
# (their pins clash with moto's and with each other, so never in .venv).
#
#   scripts/sam.sh install    install the tools (skipped when the pinned versions are there)
#   scripts/sam.sh build      sam build (layer for python3.13/arm64, checked for x86_64 .so files)
#   scripts/sam.sh lint       cfn-lint + sam validate --lint + checkov (offline)
#   scripts/sam.sh all        install, lint, build
#   scripts/sam.sh sam ARGS   any other sam command, e.g. `scripts/sam.sh sam deploy --guided`
#   scripts/sam.sh invoke EVENT  build PublishFunction for this machine, run it on EVENT under the
#                             Lambda Runtime Interface Emulator (`make invoke`; stitchpress.local.invoke)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SAM_VERSION="1.170.0"
CHECKOV_VERSION="3.3.30"
# Outside the clone by default, so every clone on a machine (CI's fresh one included) shares one
# install per pinned version; TOOLS_DIR overrides it.
TOOLS="${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stitchpress/venv-tools}"
TOOLS_PYTHON="${TOOLS_PYTHON:-python3}"
SAM="$TOOLS/sam/bin/sam"
CHECKOV="$TOOLS/checkov/bin/checkov"
TEMPLATE="template.yaml"

# SAM CLI collects usage telemetry unless told not to; CI and this project do not want it.
export SAM_CLI_TELEMETRY=0
# Lint and build need no account; a region keeps boto3 from complaining when none is configured.
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}"

log() { printf '[sam.sh] %s\n' "$*" >&2; }

timed() {
  local label="$1" start rc=0
  shift
  start=$(date +%s)
  "$@" || rc=$?
  log "$label: $(($(date +%s) - start)) s$([[ $rc == 0 ]] || echo ", FAILED (exit $rc)")"
  return "$rc"
}

# Runs a command, showing its output only when it fails.
quiet() {
  local out rc=0
  out="$(mktemp)"
  "$@" >"$out" 2>&1 || rc=$?
  [[ "$rc" == 0 ]] || cat "$out" >&2
  rm -f "$out"
  return "$rc"
}

install_one() { # venv-name package==version
  local name="$1" spec="$2" dir="$TOOLS/$1"
  if [[ -f "$dir/.installed" && "$(cat "$dir/.installed")" == "$spec" ]]; then
    return 0
  fi
  log "installing $spec into $dir"
  rm -rf "$dir"
  "$TOOLS_PYTHON" -m venv "$dir"
  # Checked explicitly: callers may run this where `set -e` does not apply.
  if ! "$dir/bin/python" -m pip install -qq --disable-pip-version-check "$spec"; then
    rm -rf "$dir"
    return 1
  fi
  echo "$spec" >"$dir/.installed"
}

cmd_install() {
  mkdir -p "$TOOLS"
  install_one sam "aws-sam-cli==$SAM_VERSION" || return 1
  install_one checkov "checkov==$CHECKOV_VERSION" || return 1
}

# sam build's python workflow (the function) insists on the runtime's interpreter on PATH.
ensure_python313() {
  if command -v python3.13 >/dev/null 2>&1 && python3.13 -V >/dev/null 2>&1; then
    return 0
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local v
    v="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13(\.|$)' | tail -n 1 || true)"
    if [[ -n "$v" ]]; then
      export PYENV_VERSION="${PYENV_VERSION:-$(pyenv version-name 2>/dev/null || echo system)}:$v"
      return 0
    fi
  fi
  log "python3.13 not found: sam build needs the Lambda runtime's Python on PATH"
  return 1
}

cmd_build() {
  if [[ ! -f functions/publish/app.py || ! -f functions/images/app.py || ! -f functions/sweep/app.py ]]; then
    log "a function's app.py (publish, images, sweep) is missing: nothing to build"
    return 1
  fi
  ensure_python313
  timed "sam build" "$SAM" build --template-file "$TEMPLATE" "$@"
  check_layer_arch
  check_layer_contents
  check_imports
}

# Import the built handler the way Lambda will: the runtime's Python, only the function and the
# layer on sys.path (-S: no site-packages). Extension modules are aarch64, so on x86_64 this takes
# their pure-Python fallbacks; it still proves the layer holds every module the handler imports.
check_imports() {
  local fn
  for fn in PublishFunction ImageFunction SweepFunction RebuildFunction SearchFunction; do
    FN="$fn" POWERTOOLS_TRACE_DISABLED=true python3.13 -S -c '
import os, sys, time
fn = os.environ["FN"]
sys.path[:0] = [f".aws-sam/build/{fn}", ".aws-sam/build/StitchpressLayer/python"]
start = time.perf_counter()
import app
assert callable(app.handler)
print(f"[sam.sh] built {fn} handler imports on {sys.version.split()[0]} in {time.perf_counter() - start:.2f} s")
' >&2 || return 1
  done
}

# `make invoke`: sam build of PublishFunction and its layer for this machine's architecture (the
# layer Makefile's LAYER_ARCH; Lambda's are arm64) into .aws-sam/invoke, plus the runtime interface
# client (awslambdaric) for the runtime's Python. Then stitchpress.local.invoke runs it under the
# emulator the SAM CLI wheel ships (samcli/local/rapid/aws-lambda-rie-<arch>), as `sam local
# invoke` does inside its container.
INVOKE_DIR=".aws-sam/invoke"
cmd_invoke() {
  local event="${1:-}"
  if [[ -z "$event" ]]; then
    log "usage: make invoke EVENT=events/s3-put.json (or any events/*.json)"
    return 2
  fi
  shift
  if [[ ! -f "$event" ]]; then
    log "$event: no such event file; events/ has: $(cd events && echo *.json)"
    return 2
  fi
  ensure_python313
  local machine rie_arch rie python
  machine="$(uname -m)"
  case "$machine" in
    x86_64) rie_arch=x86_64 ;;
    aarch64 | arm64) machine=aarch64 rie_arch=arm64 ;;
    *)
      log "Lambda runs x86_64 and arm64 only, this machine is $machine"
      return 1
      ;;
  esac
  rie="$("$TOOLS/sam/bin/python" -c 'import os, samcli; print(os.path.dirname(samcli.__file__))')/local/rapid/aws-lambda-rie-$rie_arch"
  [[ -x "$rie" ]] || { log "no emulator at $rie (aws-sam-cli $SAM_VERSION)"; return 1; }
  # Built again only when its sources change (sam's --cached keeps nothing for a build of one
  # function): a digest of every file the build reads, and the architecture.
  local digest
  digest="$machine $(find "$TEMPLATE" functions/publish layers/stitchpress -type f \
    -not -path '*/__pycache__/*' -not -path '*.egg-info/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum)"
  if [[ -f "$INVOKE_DIR/.sources" && "$(cat "$INVOKE_DIR/.sources")" == "$digest" ]]; then
    log "PublishFunction for $machine: built already, no source changed since"
  else
    timed "sam build PublishFunction for $machine" quiet env LAYER_ARCH="$machine" "$SAM" build PublishFunction \
      --template-file "$TEMPLATE" --build-dir "$INVOKE_DIR" || return 1
    echo "$digest" >"$INVOKE_DIR/.sources"
  fi
  # Beside the build, not in it: sam build empties its --build-dir.
  local runtime=".aws-sam/invoke-runtime-$machine" wanted="scripts/invoke-requirements.txt"
  if ! cmp -s "$wanted" "$runtime/.installed" 2>/dev/null; then
    rm -rf "$runtime"
    timed "awslambdaric for $machine" "$TOOLS_PYTHON" -m pip install -qq --disable-pip-version-check \
      --target "$runtime" --platform "manylinux2014_$machine" --implementation cp --python-version 3.13 \
      --only-binary=:all: -r "$wanted" || return 1
    cp "$wanted" "$runtime/.installed"
  fi
  python="$(python3.13 -c 'import sys; print(sys.executable)')"
  "${STITCHPRESS_PYTHON:-.venv/bin/python}" -m stitchpress.local.invoke --build-dir "$INVOKE_DIR" \
    --runtime "$runtime" --rie "$rie" --python "$python" "$event" "$@"
}

# The build holds only what the functions import: the layer ships stitchpress's core/, aws/,
# service/ and templates/, never cli/ or local/ (the command line and the embedded moto stack),
# and no function or layer carries moto.
check_layer_contents() {
  local found
  [[ -d .aws-sam/build/StitchpressLayer/python/stitchpress/service ]] || {
    log "StitchpressLayer has no stitchpress/service: the layer Makefile ships the wrong folders"
    return 1
  }
  found="$(find .aws-sam/build \( -path '*/stitchpress/cli' -o -path '*/stitchpress/local' \
    -o -name moto -o -name 'moto-*.dist-info' \) -print | sort)"
  if [[ -n "$found" ]]; then
    log "the build ships what no function imports: $(echo "$found" | tr '\n' ' ')"
    return 1
  fi
  # Bytecode for the runtime's Python: without it every cold start compiles stitchpress from
  # source (~50 ms more, BENCHMARKS.md "Cold start").
  if ! compgen -G ".aws-sam/build/StitchpressLayer/python/stitchpress/core/__pycache__/*.cpython-313.pyc" >/dev/null; then
    log "StitchpressLayer ships no python3.13 bytecode: build it with python3.13 on PATH"
    return 1
  fi
  log "StitchpressLayer: $(cd .aws-sam/build/StitchpressLayer/python/stitchpress && echo */ | tr -d / | sed "s/__pycache__ //"); no cli/, local/ or moto in the build; bytecode for 3.13"
}

# Each layer must hold only aarch64 (or pure-Python) extension modules; ImagesLayer must hold
# Pillow's (a wheel for the build machine, or none, would fail only once deployed).
check_layer_arch() {
  local name layer bad=0 so
  for name in StitchpressLayer ImagesLayer; do
    layer=".aws-sam/build/$name"
    [[ -d "$layer/python" ]] || { log "no layer in $layer"; return 1; }
    while IFS= read -r -d '' so; do
      if ! file -b "$so" | grep -q 'aarch64'; then
        log "not arm64: $so: $(file -b "$so")"
        bad=1
      fi
    done < <(find "$layer" -name '*.so' -print0)
    log "$name: $(find "$layer" -name '*.so' | wc -l) .so files, all aarch64; $(du -sh "$layer" | cut -f1) unzipped"
  done
  if ! compgen -G ".aws-sam/build/ImagesLayer/python/PIL/_imaging.*aarch64*.so" >/dev/null; then
    log "ImagesLayer has no aarch64 build of Pillow's _imaging"
    bad=1
  fi
  [[ "$bad" == 0 ]] || return 1
}

# All three run, so one failure does not hide another's findings. --skip-download: checkov
# otherwise tries to fetch guideline links from its vendor's API, which is unreachable offline.
cmd_lint() {
  local failed=0
  timed "cfn-lint" "$TOOLS/sam/bin/cfn-lint" "$TEMPLATE" || failed=1
  timed "sam validate --lint" "$SAM" validate --lint --template-file "$TEMPLATE" || failed=1
  timed "checkov" "$CHECKOV" --skip-download --quiet --compact --framework cloudformation -f "$TEMPLATE" || failed=1
  return "$failed"
}

main() {
  local cmd="${1:-all}"
  shift || true
  case "$cmd" in
    install | build | lint | all | sam) timed "tools install" cmd_install ;;
    invoke) mkdir -p "$TOOLS" && timed "SAM CLI install" install_one sam "aws-sam-cli==$SAM_VERSION" ;; # no checkov
    *)
      sed -n '2,11p' "$0" >&2
      return 2
      ;;
  esac
  case "$cmd" in
    build) cmd_build "$@" ;;
    lint) cmd_lint ;;
    invoke) cmd_invoke "$@" ;;
    all)
      cmd_lint
      cmd_build "$@"
      ;;
    sam)
      ensure_python313
      "$SAM" "$@"
      ;;
  esac
}

main "$@"
