#!/usr/bin/env bash
# Dashboard benchmark: `GET /dashboard` and `GET /api/v1/stats` over random filter combinations
# (signed-in staff), p50/p95, then 4 requests at a time with the server's peak resident memory.
# Run it on a database filled by `dxready seed-demo --responses 1000000`:
#
#   target/release/dxready seed-demo --responses 1000000 --database-url 'sqlite:///tmp/m.db?mode=rwc'
#   bench/dashboard.sh 'sqlite:///tmp/m.db?mode=rwc'
#   bench/dashboard.sh postgres://postgres@127.0.0.1:5432/bench_million
#
#   COUNT=100 bench/dashboard.sh URL      # filter combinations (default 60, at least 50)
#   FILTERS=province,sector,size,from,to bench/dashboard.sh URL   # only these query parameters
#
# Uses target/release/dxready (build it first; BIN=path for another build), python3 (standard library) and curl. Creates or
# updates the staff account bench-staff@example.invalid in that database. Starts and stops its
# own server on 127.0.0.1:$PORT; nothing else is contacted.

set -euo pipefail
url=${1:?usage: bench/dashboard.sh DATABASE_URL}
PORT=${PORT:-18190}
COUNT=${COUNT:-60}
cd "$(dirname "$0")/.."
bin=${BIN:-target/release/dxready}
[ -x "$bin" ] || { echo "build first: cargo build --release (or set BIN)" >&2; exit 2; }

work=$(mktemp -d /tmp/dxready-dashboard.XXXXXX)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

email=bench-staff@example.invalid
password="bench-$(date +%s)-password"
printf '%s' "$password" | "$bin" user add --email "$email" --role staff --password-stdin \
  --database-url "$url" >/dev/null

DXREADY_DATABASE_URL="$url" DXREADY_ADDR="127.0.0.1:$PORT" DXREADY_SUBMIT_RATE=0 \
  DXREADY_MAIL_DIR="$work/mail" RUST_LOG=${RUST_LOG:-warn} "$bin" serve 2>"$work/server.log" &
server=$!
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
  sleep 0.2
done
echo "== $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), database ${url%%\?*}"
python3 bench/dashboard.py "http://127.0.0.1:$PORT" "$server" "$email" "$password" "$COUNT"
