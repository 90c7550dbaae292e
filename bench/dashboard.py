#!/usr/bin/env python3
"""Times GET /dashboard and GET /api/v1/stats over random filter combinations, signed in as
staff, then the same requests 4 at a time while sampling the server's resident memory.

    python3 bench/dashboard.py BASE_URL SERVER_PID EMAIL PASSWORD [COUNT] [SEED]

Standard library only. FILTERS (comma-separated) names the query parameters to draw from
(default: every filter of the dashboard); each is set with probability 0.4, so a combination
has two of them on average and some have none. Prints one RESULT line per endpoint and one
for memory. Only BASE_URL (127.0.0.1) is requested.
"""

import http.cookiejar
import json
import os
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request

base, pid, email, password = sys.argv[1].rstrip("/"), int(sys.argv[2]), sys.argv[3], sys.argv[4]
count = int(sys.argv[5]) if len(sys.argv) > 5 else 60
rng = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 12)
wanted = os.environ.get(
    "FILTERS", "province,former_province,commune,sector,size,ocop,trade,version,from,to"
).split(",")

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def fetch(path, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with opener.open(base + path, body, timeout=300) as r:
        return r.status, r.read()


def sign_in():
    _, page = fetch("/login")
    token = re.search(rb'name="csrf_token" value="([^"]*)"', page).group(1).decode()
    fetch("/login", {"email": email, "password": password, "csrf_token": token})
    status, _ = fetch("/api/v1/stats")
    assert status == 200, f"not signed in: {status}"


def profile_values():
    """Allowed values of the profile fields, from the live definition."""
    _, body = fetch("/api/v1/questionnaires")
    latest = json.loads(body)[-1]
    _, body = fetch(f"/api/v1/questionnaires/{latest['id']}")
    definition = json.loads(body)
    fields = definition.get("profile") or definition.get("profile_fields") or []
    values = {}
    for f in fields:
        opts = f.get("options") or f.get("values") or []
        values[f["id"]] = [o["value"] if isinstance(o, dict) else o for o in opts]
    return values, latest["version"]


def random_filter(values, version):
    q = {}
    pick = lambda key: rng.random() < 0.4 and key in wanted
    province = None
    if pick("province") and values.get("province"):
        province = rng.choice(values["province"])
        q["province"] = province
    if pick("former_province") and values.get("former_province"):
        q["former_province"] = rng.choice(values["former_province"])
    if pick("commune") and values.get("commune"):
        q["commune"] = rng.choice(values["commune"])
    if pick("sector") and values.get("sector"):
        q["sector"] = rng.choice(values["sector"])
    if pick("size"):
        q["size"] = rng.choice(["micro", "small", "medium", "large"])
    if pick("ocop"):
        q["ocop"] = rng.choice(["true", "false"])
    if pick("trade") and values.get("trade"):
        q["trade"] = rng.choice(values["trade"])
    if pick("version"):
        q["version"] = version
    if pick("from"):
        q["from"] = f"2026-{rng.randint(1, 12):02d}-01"
    if pick("to"):
        q["to"] = f"2026-{rng.randint(1, 12):02d}-28"
    if "from" in q and "to" in q and q["from"] > q["to"]:
        q["from"], q["to"] = q["to"], q["from"]
    return urllib.parse.urlencode(q)


def timed(path):
    started = time.perf_counter()
    status, body = fetch(path)
    elapsed = (time.perf_counter() - started) * 1000
    assert status == 200, f"{path}: {status}"
    return elapsed, len(body)


def rss_kb(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


sign_in()
values, version = profile_values()
filters = [random_filter(values, version) for _ in range(count)]
print(f"{count} filter combinations, e.g. {filters[:3]}")
rss_start = rss_kb("VmRSS")
endpoints = ["/dashboard", "/api/v1/stats"]
for endpoint in endpoints:
    timed(endpoint)  # warm-up: the first request opens connections and reads pages in
for endpoint in endpoints:
    times = [timed(f"{endpoint}?{q}")[0] for q in filters]
    print(
        f"RESULT endpoint={endpoint} n={len(times)} p50_ms={percentile(times, 50):.1f} "
        f"p95_ms={percentile(times, 95):.1f} max_ms={max(times):.1f} mean_ms={statistics.mean(times):.1f}"
    )
hwm_sequential = rss_kb("VmHWM")

# Four at a time: each of 4 threads walks the same filters, both endpoints, while the main
# thread samples the resident set every 20 ms (VmHWM is the kernel's own peak as well).
peak = [0]
done = threading.Event()


def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_kb("VmRSS"))
        time.sleep(0.02)


failures = []


def worker(offset):
    lat = []
    for i in range(len(filters)):
        q = filters[(i + offset * 7) % len(filters)]
        try:
            lat.append(timed(f"{endpoints[(i + offset) % 2]}?{q}")[0])
        except Exception as e:  # a 408 from the server's own request timeout, say
            failures.append(str(e))
    return lat


sampler = threading.Thread(target=sample)
sampler.start()
results = [None] * 4
threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, worker(k))) for k in range(4)]
started = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - started
done.set()
sampler.join()
concurrent = [x for r in results for x in r]
print(
    f"RESULT concurrent=4 n={len(concurrent)} failed={len(failures)} "
    f"p50_ms={percentile(concurrent, 50) if concurrent else float('nan'):.1f} "
    f"p95_ms={percentile(concurrent, 95) if concurrent else float('nan'):.1f} wall_s={wall:.1f}"
    + (f" first_failure={failures[0]!r}" if failures else "")
)
print(
    f"RESULT memory rss_start_mb={rss_start / 1024:.0f} peak_sequential_mb={hwm_sequential / 1024:.0f} "
    f"peak_4_concurrent_mb={max(peak[0], rss_kb('VmHWM')) / 1024:.0f}"
)
