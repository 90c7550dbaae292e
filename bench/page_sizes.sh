#!/usr/bin/env bash
# Sizes of the respondent's pages as served, without and with gzip (the app compresses when the
# browser asks), plus the stylesheet: the issue's budget is under 50 KB per page.
#
#   bench/page_sizes.sh http://127.0.0.1:8080
#
# Needs curl and python3 (to make one realistic submission for the result page). Starts a draft
# through the start form (with its CSRF token) to reach the question pages.

set -euo pipefail
base=${1:-http://127.0.0.1:8080}
base=${base%/}
qid=dxready-sme
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT

size() { # label path
  local plain gz
  plain=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{size_download}' "$base$2")
  gz=$(curl -sS -b "$jar" -c "$jar" -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$base$2")
  printf '%-34s %8s bytes  %7s gzip\n' "$1" "$plain" "$gz"
}

size "landing /" "/"
start=$(curl -sS -b "$jar" -c "$jar" "$base/s/$qid")
token=$(printf '%s' "$start" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
curl -sS -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$token" "$base/s/$qid/start"
size "business step" "/s/$qid/step/business"
first=$(curl -sS "$base/api/v1/questionnaires/$qid" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sections"][0]["id"])')
size "first section ($first)" "/s/$qid/step/$first"
size "a section of radios (awareness)" "/s/$qid/step/awareness"
result=$(python3 "$(dirname "$0")/make_bodies.py" "$base" 1 7 \
  | curl -sS -H 'Content-Type: application/json' --data-binary @- "$base/api/v1/questionnaires/$qid/responses" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
size "result /r/{token}" "/r/$result"
size "static/style.css" "/static/style.css"
