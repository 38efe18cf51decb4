#!/usr/bin/env bash
# Quick start, command 1 of 2: install everything and start the whole system.
#   npm ci → PostgreSQL + Redis (reused, started or installed) → migrations → all five services.
# The test suite's own tools (promtool, kubectl) are `npm test`'s business: its pretest step runs
# scripts/ensure-tools.sh, so nothing here waits for them or stops without them.
set -euo pipefail
cd "$(dirname "$0")/.."

printf '==> npm ci\n'
npm ci --no-audit --no-fund --loglevel=error
bash scripts/ensure-deps.sh
# The CLI reads .datahub.env (written by ensure-deps.sh where PostgreSQL wants a password) itself.
printf '==> applying migrations\n'
node_modules/.bin/datahub migrate
printf '==> starting DataHub (DATAHUB_TARGET=all); Ctrl-C stops it\n'
# exec the CLI itself, not npx: npx runs it under `sh -c`, which does not pass on a SIGTERM sent to
# this script, so the gateway would outlive its supervisor.
DATAHUB_TARGET="${DATAHUB_TARGET:-all}" exec node_modules/.bin/datahub start
