#!/usr/bin/env bash
# Installs Debian's chromium, the browser the tests in tests/browser launch (Playwright's own browser builds are
# never downloaded). Does nothing when /usr/bin/chromium is already there. Needs root, or sudo without a password.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") is installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: FAILED: $CHROMIUM is missing and this machine has no apt-get; install chromium by hand" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "chromium: FAILED: installing it needs root, or sudo without a password; as root run:" >&2
  echo "  apt-get update && apt-get install -y chromium" >&2
  exit 1
fi

echo "chromium: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q chromium

if [ ! -x "$CHROMIUM" ]; then
  echo "chromium: FAILED: the chromium package installed no $CHROMIUM" >&2
  exit 1
fi
echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") installed"
