# What the layers' Makefiles share; each sets HERE (its own folder) and PIP_PLATFORM first.
# SAM runs `make -f layers/<name>/Makefile build-<Layer>` with ARTIFACTS_DIR set. Its own python
# builder would install wheels for the build machine (x86_64 here), whatever the template's
# architecture says; asking pip for Lambda's platform explicitly does not.

PYTHON ?= python3
# The runtime's interpreter, used only to precompile; skipped when it is not installed.
PYTHON_RUNTIME ?= python3.13
OUT = $(ARTIFACTS_DIR)/python

# The layer's requirements.txt into $(OUT), for $(PIP_PLATFORM), with no __pycache__.
# -qq: errors only (this machine's pip config adds noisy warnings about absent local indexes)
define install_requirements
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (run sam build)" >&2; exit 1; }
	$(PYTHON) -m pip install -qq --disable-pip-version-check --no-compile $(PIP_PLATFORM) --target "$(OUT)" -r "$(HERE)requirements.txt"
	find "$(OUT)" -depth -name __pycache__ -type d -exec rm -rf {} +
endef

# /opt is read-only on Lambda, so bytecode not shipped in the layer is recompiled on every cold
# start. unchecked-hash: zip round-trips lose mtime precision, which would invalidate timestamp pycs.
define precompile
	@if $(PYTHON_RUNTIME) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then \
		echo "precompiling with $$($(PYTHON_RUNTIME) -V)"; \
		$(PYTHON_RUNTIME) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(OUT)" >/dev/null; \
	else \
		echo "warning: $(PYTHON_RUNTIME) not found; layer ships without bytecode (slower cold start)" >&2; \
	fi
endef
