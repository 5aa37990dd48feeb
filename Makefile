# The two commands a new user needs: `make demo` and `make test`. Both create .venv/ on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit template build invoke bench clean setup faults mutation

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/stitchpress demo --settings examples/site.toml

test: lint typecheck unit template

# cfn-lint, sam validate --lint, checkov, then sam build of the arm64 layer (tools in ~/.cache/stitchpress/).
template:
	scripts/sam.sh all

build:
	scripts/sam.sh build

# Run the PublishFunction on an event as Lambda runs it (built for this machine, under the Lambda
# Runtime Interface Emulator, against an embedded stack): make invoke EVENT=events/s3-put.json
# [DRAFT=my-post.md: the draft to upload as the event's key, instead of examples/drafts/].
invoke: $(STAMP)
	@[ -n "$(EVENT)" ] || { echo "usage: make invoke EVENT=events/s3-put.json (or any events/*.json)" >&2; exit 2; }
	scripts/sam.sh invoke $(EVENT) $(if $(DRAFT),--draft $(DRAFT))

# Benchmarks (installs hugo and pelican for the comparisons); `bench/run.sh --quick` for a fast check.
bench: $(STAMP)
	bench/run.sh

# Mutation testing of stitch.py and validate.py (mutmut; tens of minutes of CPU, under nice; not
# part of `make test`). Prints each module's score with the equivalent mutants excluded and exits
# 1 below 90% (BENCHMARKS.md). MUTMUT_ARGS="--max-children 1" to leave a core free.
mutation: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,mutation]'
	scripts/mutation.sh $(MUTMUT_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy layers/stitchpress/stitchpress

# The browser test needs Chromium and a Japanese font: installed here when missing (as root);
# STITCHPRESS_SKIP_BROWSER=1 skips that test instead. The tests mostly wait on the local stack
# (wall time is ~2.5x CPU time), so they run in one worker per core (pytest-xdist), a test
# module per worker: modules share a local stack between tests that build on each other.
unit: $(STAMP)
	@[ "$$STITCHPRESS_SKIP_BROWSER" = 1 ] || scripts/ensure-chromium.sh
	FAULT_STRIDE=4 $(BIN)/pytest -q -n auto --dist loadfile

# Every fault kind at every AWS call (~1,000 faults, several minutes of CPU); `make test` runs one kind per call.
faults: $(STAMP)
	$(BIN)/pytest -q -s tests/functional/test_faults.py

clean:
	rm -rf $(VENV) _site .aws-sam .mutation .pytest_cache .mypy_cache .ruff_cache
