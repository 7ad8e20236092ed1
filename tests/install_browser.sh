#!/bin/sh
# Installs what tests/test_browser.py drives: Debian's Chromium (Playwright's own browser download needs
# network access CI does not have; the `playwright` Python package comes from requirements.txt).
# Idempotent and quiet: does nothing when `chromium` is already on PATH. Needs root (CI runs as root).
set -e
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing: run 'sudo apt-get install -y chromium' (or this script as root)" >&2
  exit 1
fi
echo "installing chromium (apt-get) for tests/test_browser.py"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
