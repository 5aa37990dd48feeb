#!/usr/bin/env bash
# Make headless Chromium (Debian's package) and a Japanese font available for the browser e2e
# test (tests/e2e/test_browser.py). Installs only when something is missing and we are root;
# quick when everything is there. Exit 0 when /usr/bin/chromium runs, non-zero otherwise.
#
#   scripts/ensure-chromium.sh
set -euo pipefail

CHROMIUM=/usr/bin/chromium
# Without a CJK font Chromium draws the example post's Japanese as boxes in screenshots.
FONT_PACKAGE=fonts-noto-cjk

log() { printf '[ensure-chromium] %s\n' "$*"; }

missing=()
if [[ -x "$CHROMIUM" ]]; then
	log "chromium present: $CHROMIUM"
else
	missing+=(chromium)
fi
if command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list :lang=ja family 2>/dev/null)" ]]; then
	log "Japanese font present: $(fc-list :lang=ja family | head -n 1)"
else
	missing+=("$FONT_PACKAGE")
fi

if ((${#missing[@]})); then
	if [[ "$(id -u)" -ne 0 ]]; then
		log "missing: ${missing[*]}; not root, so not installing (run: sudo apt-get install -y ${missing[*]})"
	elif ! command -v apt-get >/dev/null 2>&1; then
		log "missing: ${missing[*]}; no apt-get on this machine, so not installing"
	else
		log "installing with apt-get: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		log "installed: ${missing[*]}"
	fi
fi

if [[ -x "$CHROMIUM" ]] && version="$("$CHROMIUM" --version 2>/dev/null)"; then
	log "ready: $version"
	exit 0
fi
log "chromium is not available at $CHROMIUM"
exit 1
