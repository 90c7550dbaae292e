-- wrk script: POSTs varied realistic submissions, one per line of a bodies file made by
-- bench/make_bodies.py, each thread cycling through them from its own offset. Counts answers
-- that are not 201 and prints a summary line that bench/load.sh reads.
--
--   BODIES=bodies.jsonl wrk -t2 -c32 -d20s --latency -s bench/submit.lua \
--       http://127.0.0.1:8080/api/v1/questionnaires/dxready-sme/responses

local bodies = {}
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("BODIES") or "bodies.jsonl"
  local file = assert(io.open(path, "r"), "cannot open " .. path)
  for line in file:lines() do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  file:close()
  assert(#bodies > 0, path .. " is empty")
  i = offset or 0
  not_created = 0
  first_error = ""
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

-- FORWARDED=1: each request comes from its own client address (X-Forwarded-For, the app
-- trusting 127.0.0.1 as its proxy), so a per-address submit limit is checked on every request
-- but never reached.
local forwarded = os.getenv("FORWARDED") == "1"

function request()
  i = i + 1
  if forwarded then
    local n = i + (offset or 0) * 1000
    wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  end
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end

function response(status, headers, body)
  if status ~= 201 then
    not_created = not_created + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  local bad, err = 0, ""
  for _, t in ipairs(threads) do
    bad = bad + (t:get("not_created") or 0)
    local e = t:get("first_error")
    if e and e ~= "" and err == "" then err = e end
  end
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f not_201=%d socket_errors=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  if err ~= "" then io.write("FIRST_ERROR " .. err .. "\n") end
end
