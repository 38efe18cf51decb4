#!/usr/bin/env bash
# Writes a self-signed TLS certificate for the compose stack's load balancer (docs/operations.md,
# "Load balancer and TLS"): DIR/datahub.pem (certificate + private key, what HAProxy loads) and
# DIR/datahub.crt (the certificate alone, for clients: curl --cacert DIR/datahub.crt).
#   scripts/self-signed-cert.sh [DIR] [DAYS]    DIR defaults to deploy/compose/tls, DAYS to 365
# Valid for localhost and 127.0.0.1. For anything but a local stack, use a certificate from your CA.
set -euo pipefail
dir=${1:-"$(dirname "$0")/../deploy/compose/tls"}
days=${2:-365}
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
cat "$tmp/cert.pem" "$tmp/key.pem" > "$dir/datahub.pem"
cp "$tmp/cert.pem" "$dir/datahub.crt"
# Readable by the haproxy image's unprivileged user through the bind mount: a throwaway local key.
chmod 644 "$dir/datahub.pem" "$dir/datahub.crt"
echo "$dir/datahub.pem"
