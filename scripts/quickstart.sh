#!/usr/bin/env bash
# Quick start, command 1 of 2: install everything and start the whole system.
#   npm ci → PostgreSQL + Redis (reused, started or installed) → the test suite's tools (promtool)
#   → migrations → all five services.
set -euo pipefail
cd "$(dirname "$0")/.."

printf '==> npm ci\n'
npm ci --no-audit --no-fund --loglevel=error
bash scripts/ensure-deps.sh
# `npm test` (command 2) also checks /metrics and the alert rules with promtool.
bash scripts/ensure-tools.sh
if [ -f .datahub.env ]; then set -a; . ./.datahub.env; set +a; fi
printf '==> applying migrations\n'
npx datahub migrate
printf '==> starting DataHub (DATAHUB_TARGET=all); Ctrl-C stops it\n'
DATAHUB_TARGET="${DATAHUB_TARGET:-all}" exec npx datahub start
