#!/usr/bin/env bash
# Load benchmark of `POST /api/v1/questionnaires/dxready-sme/responses` against the release build
# on a fresh SQLite file, and of its baseline (examples/baseline_insert.rs: a bare axum handler
# storing the same number of rows per request in the same kind of database).
#
#   bench/load.sh                      # 32 connections, 20 s measured after a 5 s warm-up
#   DURATION=60s CONNECTIONS=64 bench/load.sh
#   SKIP_BUILD=1 bench/load.sh          # use the binaries already in target/release
#   APP_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench SUBMIT_RATE=60 bench/load.sh
#                                       # the app on PostgreSQL (give it a fresh, empty database),
#                                       # with the default shared submit limit; FORWARDED=1 gives
#                                       # each request its own client address (bench/submit.lua)
#   ONLY_APP=1 bench/load.sh            # skip the baseline
#
# Tools: wrk (Debian: `apt-get install wrk`; the script is bench/submit.lua), python3 (makes the
# request bodies, standard library only), sqlite3 (counts the rows a submission writes; Debian:
# `apt-get install sqlite3`) and curl. Only 127.0.0.1 is ever targeted; both servers are started
# and stopped by this script, and every run is bounded by DURATION.
#
# Prints one RESULT line per server and a summary; with RESULTS_FILE set, appends the summary
# there too. The target on a 2-core machine: >= 2,000 submissions/s with p99 < 50 ms at 32
# connections, and >= 60 % of the baseline's throughput.

set -euo pipefail

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
BODY_COUNT=${BODY_COUNT:-5000}
APP_PORT=${APP_PORT:-18181}
BASELINE_PORT=${BASELINE_PORT:-18182}
# The app's own default log level (one INFO line per request, to a file here) unless set.
APP_LOG=${RUST_LOG:-}

cd "$(dirname "$0")/.."
for tool in wrk python3 sqlite3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/load.sh needs $tool (see the header of this script)" >&2; exit 2; }
done

if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --release --bin dxready --example baseline_insert
fi

work=$(mktemp -d /tmp/dxready-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

wait_up() { # url
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server at $1 did not come up" >&2
  return 1
}

run_wrk() { # label base_url
  local url="$2/api/v1/questionnaires/dxready-sme/responses"
  BODIES="$work/bodies.jsonl" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s bench/submit.lua "$url" >/dev/null
  echo "== $1: $CONNECTIONS connections, $DURATION (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  BODIES="$work/bodies.jsonl" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/submit.lua "$url" \
    | tee "$work/$1.wrk"
}

field() { # file name
  grep '^RESULT' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# --- the app -------------------------------------------------------------------------------
(
  export DXREADY_DATABASE_URL="${APP_DATABASE_URL:-sqlite://$work/app.db?mode=rwc}"
  export DXREADY_ADDR="127.0.0.1:$APP_PORT"
  # 0 = no limit; 60 is the default (shared through the database on PostgreSQL). All of wrk's
  # requests come from 127.0.0.1, so a real limit would refuse them: with a limit, the bodies are
  # sent with X-Forwarded-For addresses of their own (see DXREADY_TRUSTED_PROXIES below).
  export DXREADY_SUBMIT_RATE=${SUBMIT_RATE:-0}
  export DXREADY_TRUSTED_PROXIES=127.0.0.1
  export DXREADY_MAIL_DIR="$work/mail"
  [ -n "$APP_LOG" ] && export RUST_LOG="$APP_LOG"
  exec target/release/dxready serve 2>"$work/app.log"
) &
pids+=($!)
wait_up "http://127.0.0.1:$APP_PORT/healthz"
python3 bench/make_bodies.py "http://127.0.0.1:$APP_PORT" "$BODY_COUNT" 1 >"$work/bodies.jsonl"
echo "request bodies: $(wc -l <"$work/bodies.jsonl") different, $(( $(wc -c <"$work/bodies.jsonl") / BODY_COUNT )) bytes on average"
run_wrk app "http://127.0.0.1:$APP_PORT"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true; pids=()

if [ -n "${APP_DATABASE_URL:-}" ] || [ -n "${ONLY_APP:-}" ]; then
  summary="$(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $CONNECTIONS connections, $DURATION, ${APP_DATABASE_URL:-sqlite} submit rate ${SUBMIT_RATE:-0}
  app:      $(field "$work/app.wrk" rps) req/s  p50 $(field "$work/app.wrk" p50_ms) ms  p90 $(field "$work/app.wrk" p90_ms) ms  p99 $(field "$work/app.wrk" p99_ms) ms  not 201: $(field "$work/app.wrk" not_201)"
  echo; echo "$summary"
  [ -n "${RESULTS_FILE:-}" ] && echo "$summary" >>"$RESULTS_FILE"
  grep -h FIRST_ERROR "$work"/*.wrk && exit 1
  exit 0
fi

# What one submission writes, on average (rounded), from the app's own database.
avg() { sqlite3 "$work/app.db" "SELECT CAST(ROUND(1.0 * (SELECT COUNT(*) FROM $1) / (SELECT COUNT(*) FROM response)) AS INTEGER)"; }
answers=$(sqlite3 "$work/app.db" "SELECT CAST(ROUND(AVG((SELECT COUNT(*) FROM json_each(answers)))) AS INTEGER) FROM response"); dims=$(avg result_dimension); barriers=$(avg result_barrier); consents=$(avg consent)
contacts=$(avg contact); results=$(avg assessment_result)
result_bytes=$(sqlite3 "$work/app.db" "SELECT CAST(AVG(LENGTH(dimensions) + LENGTH(barriers) + LENGTH(roadmap)) AS INTEGER) FROM assessment_result")
rows=$(( 1 + results + dims + barriers + contacts + consents ))
echo "one submission writes $rows rows on average: 1 response (with its $answers answers), $results result ($result_bytes bytes of JSON), $dims dimensions, $barriers barriers, $contacts contact, $consents consents"

# --- the baseline --------------------------------------------------------------------------
(
  export BASELINE_DATABASE_URL="sqlite://$work/baseline.db?mode=rwc"
  export BASELINE_ADDR="127.0.0.1:$BASELINE_PORT"
  export BASELINE_ANSWERS=$answers BASELINE_DIMENSIONS=$dims BASELINE_BARRIERS=$barriers
  export BASELINE_CONSENTS=$consents BASELINE_RESULT_BYTES=$result_bytes
  exec target/release/examples/baseline_insert 2>"$work/baseline.log"
) &
pids+=($!)
wait_up "http://127.0.0.1:$BASELINE_PORT/healthz"
run_wrk baseline "http://127.0.0.1:$BASELINE_PORT"

# --- summary -------------------------------------------------------------------------------
app_rps=$(field "$work/app.wrk" rps); base_rps=$(field "$work/baseline.wrk" rps)
summary=$(cat <<EOF
$(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $CONNECTIONS connections, $DURATION, $rows rows per submission
  app:      $app_rps req/s  p50 $(field "$work/app.wrk" p50_ms) ms  p90 $(field "$work/app.wrk" p90_ms) ms  p99 $(field "$work/app.wrk" p99_ms) ms  not 201: $(field "$work/app.wrk" not_201)
  baseline: $base_rps req/s  p50 $(field "$work/baseline.wrk" p50_ms) ms  p90 $(field "$work/baseline.wrk" p90_ms) ms  p99 $(field "$work/baseline.wrk" p99_ms) ms  not 201: $(field "$work/baseline.wrk" not_201)
  app / baseline: $(python3 -c "print(f'{100 * $app_rps / $base_rps:.0f} %')")
EOF
)
echo
echo "$summary"
[ -n "${RESULTS_FILE:-}" ] && echo "$summary" >>"$RESULTS_FILE"
grep -h FIRST_ERROR "$work"/*.wrk && exit 1
exit 0
