#!/usr/bin/env bash
# Quick start, command 1 of 2: install everything and start the whole system.
#   npm ci → PostgreSQL + Redis (reused, started or installed) → migrations → the demo echo
#   upstream and a datahub.yaml routing /echo to it → all five services.
# The test suite's own tools (promtool, kubectl, jq) are `npm test`'s business: its pretest step runs
# scripts/ensure-tools.sh, so nothing here waits for them or stops without them.
set -euo pipefail
cd "$(dirname "$0")/.."

printf '==> npm ci\n'
npm ci --no-audit --no-fund --loglevel=error
bash scripts/ensure-deps.sh
printf '==> building the console\n'
npm run build --silent -w @datahub/console
# The CLI reads .datahub.env (written by ensure-deps.sh where PostgreSQL wants a password) itself.
printf '==> applying migrations\n'
node_modules/.bin/datahub migrate

# The README walkthrough's upstream: `datahub echo`, only ever started here (never by `datahub
# start`), so no deployment serves a demo endpoint.
echo_port="${DATAHUB_ECHO_PORT:-9000}"
if [ -z "${DATAHUB_CONFIG:-}" ] && [ ! -e datahub.yaml ]; then
  sed "s|http://127.0.0.1:9000|http://127.0.0.1:${echo_port}|" examples/datahub.yaml > datahub.yaml
  printf '==> wrote datahub.yaml from examples/datahub.yaml (route /echo → the echo upstream); edit it freely\n'
else
  printf '==> using %s as it is (the walkthrough expects the /echo route of examples/datahub.yaml)\n' "${DATAHUB_CONFIG:-datahub.yaml}"
fi
printf '==> starting the echo upstream on http://127.0.0.1:%s\n' "$echo_port"
node_modules/.bin/datahub echo --port "$echo_port" &
echo_pid=$!
# This shell becomes the gateway (exec below), so signals sent to it reach the gateway itself and
# a second, forwarded copy can never turn a graceful stop into an immediate one. The echo upstream
# is stopped by this watcher once that process is gone.
( while kill -0 $$ 2>/dev/null; do sleep 1; done; kill -TERM "$echo_pid" 2>/dev/null ) &

printf '==> starting DataHub (DATAHUB_TARGET=all); Ctrl-C stops it\n'
printf '==> console: http://127.0.0.1:%s%s/ (sign in with the root key printed below on the first start; lost it? npx datahub root-key reset)\n' "${DATAHUB_EDGE_PORT:-8080}" "${DATAHUB_CONSOLE_PATH:-/console}"
# The walkthrough's webhook endpoint is the echo upstream on loopback, which the SSRF guard refuses
# by default; the quick start (and nothing else) allows loopback.
# exec the CLI itself, not npx: npx runs it under `sh -c`, which does not pass on a SIGTERM sent to
# this script, so the gateway would outlive its supervisor.
DATAHUB_TARGET="${DATAHUB_TARGET:-all}" DATAHUB_WEBHOOKS_ALLOW_CIDRS="${DATAHUB_WEBHOOKS_ALLOW_CIDRS:-127.0.0.0/8}" \
  exec node_modules/.bin/datahub start
