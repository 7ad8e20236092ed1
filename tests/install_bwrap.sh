#!/bin/sh
# Installs what `make grade` jails student code with: bubblewrap (Debian package `bubblewrap`).
# Idempotent and quiet: does nothing when `bwrap` is already on PATH. Needs root (CI runs as root).
set -e
command -v bwrap >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "bubblewrap is missing: run 'sudo apt-get install -y bubblewrap' (or this script as root)" >&2
  exit 1
fi
echo "installing bubblewrap (apt-get) for make grade's jail"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
  || { apt-get update -qq >/dev/null; apt-get install -y -qq bubblewrap >/dev/null; }
command -v bwrap >/dev/null
