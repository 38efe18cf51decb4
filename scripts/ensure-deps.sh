#!/usr/bin/env bash
# Makes sure a local PostgreSQL (14+) and Redis (7+) answer on 127.0.0.1: reuses running ones,
# starts installed ones, and installs them with apt-get where they are missing.
# Used by the quick start and by CI (.ci/run). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."  # .datahub.env goes to the repository root, where every entry point reads it

log() { printf '==> %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $* missing and apt-get is not available; install it yourself and re-run" >&2
    exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

# --- PostgreSQL ---
if ! command -v pg_isready >/dev/null 2>&1; then
  log "installing PostgreSQL"
  apt_install postgresql postgresql-client
fi
if ! pg_up; then
  log "starting PostgreSQL"
  for v in $(ls /etc/postgresql 2>/dev/null); do
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || $SUDO pg_ctlcluster "$v" main start || true
  done
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "error: PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }

# The default DATABASE_URL connects as `postgres` without a password over TCP. A fresh Debian
# install asks for a password there; give the local role one and write it to .datahub.env, which
# the CLI, the tests and the bench read (packages/runtime/src/env-file.ts). -w: never prompt.
if ! psql -w "postgres://postgres@127.0.0.1:5432/postgres" -Atqc 'select 1' >/dev/null 2>&1; then
  if [ -z "${DATABASE_URL:-}" ]; then
    log "PostgreSQL wants a password on 127.0.0.1; creating role datahub (password datahub), see .datahub.env"
    as_postgres psql -qc "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='datahub') THEN CREATE ROLE datahub LOGIN SUPERUSER PASSWORD 'datahub'; END IF; END\$\$;" >/dev/null
    echo "DATABASE_URL=postgres://datahub:datahub@127.0.0.1:5432/datahub" > .datahub.env
  fi
fi

# --- Redis ---
if ! command -v redis-server >/dev/null 2>&1; then
  log "installing Redis"
  apt_install redis-server
fi
if ! redis_up; then
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/datahub.log
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
fi
redis_up || { echo "error: Redis does not answer on 127.0.0.1:6379" >&2; exit 1; }
log "PostgreSQL and Redis are up"
