#!/usr/bin/env bash
# Installs the command-line tools that the test suite calls besides Node.js: promtool (checks
# /metrics output, alert rules and their unit tests) from Debian's `prometheus` package, and
# kubectl (renders the kustomize overlays), which must already be there. Used by CI (.ci/run) and
# by the quick start.
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
# kubectl renders deploy/k8s in the tests (`kubectl kustomize`); it is not in Debian's archive, so
# say plainly what is missing instead of letting the manifest tests fail one by one.
if ! command -v kubectl >/dev/null 2>&1; then
  echo "error: kubectl is missing (the deploy/k8s tests run \`kubectl kustomize\`); install it from https://kubernetes.io/docs/tasks/tools/ and re-run" >&2
  exit 1
fi
echo "==> kubectl: $(kubectl version --client 2>/dev/null | head -1)"
