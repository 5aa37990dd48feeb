#!/usr/bin/env bash
# Mutation testing of the pure core's two rule-heavy modules (issue 15): mutmut mutates
# stitch.py and validate.py and runs their unit tests against every mutant.
#   scripts/mutation.sh [--max-children N] [MUTANT...]     (make mutation; N defaults to 2)
# CPU heavy: not part of `make test`. Runs under nice. By default a fixed sample is tested: the
# mutants whose number (mutmut numbers them per function, in source order) ends in 3 or 7, a
# fifth of them (~600, ~35 min on 2 loaded cores); MUTATION_SAMPLE=all tests all ~3,000
# (hours). Naming mutants (globs allowed) re-tests just those, e.g. the survivors.
# mutmut wants the code under src/ and imports it by package name, so the run happens in a
# workspace, .mutation/ (git-ignored): the package, the tests that check these two modules, the
# example drafts they read. The score, with the equivalent mutants of
# scripts/mutation_equivalent.txt excluded, is printed by scripts/mutation_score.py.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
CHILDREN=2
if [ "${1:-}" = --max-children ]; then CHILDREN=$2; shift 2; fi
WS=$ROOT/.mutation
TESTS=(test_stitch.py test_stitch_markers.py test_stitch_properties.py test_validate.py test_validate_boundaries.py test_validate_properties.py)

# The workspace is kept between runs: mutmut re-tests only the mutants whose function changed
# (copies keep their mtimes), and `scripts/mutation.sh NAME...` re-runs chosen mutants.
mkdir -p "$WS/src/stitchpress" "$WS/tests/unit"
rm -rf "$WS/src/stitchpress" && cp -a layers/stitchpress/stitchpress "$WS/src/stitchpress"
find "$WS/src" -name __pycache__ -prune -exec rm -rf {} +
rm -rf "$WS/examples" && cp -a examples "$WS/examples"
cp tests/__init__.py tests/conftest.py "$WS/tests/"
cp tests/unit/__init__.py "$WS/tests/unit/"
for t in "${TESTS[@]}"; do
    # Fewer examples per property test: each survivor runs every test, and the examples that
    # found defects are kept in .hypothesis/ and replayed first.
    sed -E 's/max_examples=([0-9]+)/max_examples=min(\1, 12)/' "tests/unit/$t" > "$WS/tests/unit/$t"
done
selection=$(printf '"tests/unit/%s", ' "${TESTS[@]}")
cat > "$WS/pyproject.toml" <<TOML
[tool.mutmut]
source_paths = ["src/stitchpress"]
only_mutate = ["src/stitchpress/core/stitch.py", "src/stitchpress/core/validate.py"]
pytest_add_cli_args_test_selection = [${selection%, }]
# Timing tests (a generous ceiling against hangs) mean nothing under mutmut's tracing.
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-k", "not adversarial_drafts_stay_fast"]
use_git_change_detection = false
# A mutant that loops (a binary search that never ends) is stopped after 5x the tests' CPU time,
# not 15x (each such mutant otherwise holds a worker for many minutes); 2x gave false timeouts.
timeout_multiplier = 5.0
also_copy = ["examples"]

[tool.pytest.ini_options]
addopts = "-q"
filterwarnings = ["ignore::DeprecationWarning"]
TOML

cd "$WS"
SAMPLE=${MUTATION_SAMPLE:-37}
if [ $# -gt 0 ] || [ "$SAMPLE" = all ]; then
    nice -n 19 "$BIN/mutmut" run --max-children "$CHILDREN" "$@" || true
elif [ ! -f mutants/src/stitchpress/core/stitch.py.meta ]; then  # first run: the sample by globs
    nice -n 19 "$BIN/mutmut" run --max-children "$CHILDREN" \
        $(for d in $(echo "$SAMPLE" | grep -o .); do echo "stitchpress.core.stitch.*__mutmut_*$d stitchpress.core.validate.*__mutmut_*$d"; done) || true
else
    # Named mutants are always re-tested: name only the sampled ones not killed yet, so a re-run
    # after new tests costs only those. Twice: a changed function's mutants are regenerated
    # (and unchecked) during the first pass.
    for pass in 1 2; do
        pending=$("$BIN/python" "$ROOT/scripts/mutation_score.py" --pending "$WS" "$SAMPLE")
        [ -n "$pending" ] || break
        nice -n 19 "$BIN/mutmut" run --max-children "$CHILDREN" $pending || true
    done
fi
nice -n 19 "$BIN/mutmut" export-cicd-stats >/dev/null 2>&1 || true
"$BIN/python" "$ROOT/scripts/mutation_score.py" "$WS" "$SAMPLE"
