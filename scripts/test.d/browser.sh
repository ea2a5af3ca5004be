#!/usr/bin/env bash
# A real browser for the web tests: Debian's chromium, driven by Playwright (whose own browser download is not
# reachable here). Skipped when both are already present.
set -euo pipefail
py=${PYTHON:-python3}
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
$py -c 'import playwright' 2>/dev/null || $py -m pip install -q playwright
