#!/usr/bin/env bash
# Make Debian's Chromium available for the browser tests (no browser download by a test tool).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "Installing Debian's chromium for the browser tests..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  }
else
  echo "chromium is not installed and cannot be installed here; browser tests will be skipped." >&2
  echo "On Debian/Ubuntu: sudo apt-get install chromium" >&2
fi
