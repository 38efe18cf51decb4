#!/usr/bin/env bash
# Installs the command-line tools that the test suite calls besides Node.js: promtool (checks
# /metrics output, alert rules and their unit tests) from Debian's `prometheus` package, and
# kubectl (renders the kustomize overlays) is expected on the machine. Used by CI (.ci/run).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v promtool >/dev/null 2>&1; then
  echo "==> installing promtool (Debian package prometheus)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  # The package starts a Prometheus server where systemd runs; the tests need only promtool.
  $SUDO systemctl stop prometheus >/dev/null 2>&1 || true
fi
echo "==> promtool: $(promtool --version 2>&1 | head -1)"
