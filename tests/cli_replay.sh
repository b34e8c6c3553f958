#!/bin/sh
# cli_replay.sh - `fluxosim replay` and `fluxosim validate` as a user runs
# them: results, determinism, options, and one clear error per bad input.
set -eu
. "${srcdir:-.}/tests/lib.sh"

# A two-node service on two pools, and a trace of 2000 requests 1 ms apart.
cat >"$tmp/s.service.json" <<'JSON'
{"service": "s", "entry": "a", "exit": "b",
 "nodes": [{"id": "a", "profile": "exp:200us"}, {"id": "b", "profile": "exp:300us"}],
 "edges": [["a", "b"]]}
JSON
cat >"$tmp/c.json" <<'JSON'
{"name": "two-tier", "service": "s.service.json",
 "pools": [{"id": "front", "nodes": ["a"], "servers": 1, "cost_per_hour": 0.5},
           {"id": "back", "nodes": ["b"], "servers": 2, "cost_per_hour": 0.25, "discipline": "ps"}],
 "network": {"hop": "det:100us"}}
JSON
/usr/bin/python3 - "$tmp/s.trace" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("#fluxotrace 1\n#service s\n")
    for i in range(2000):
        f.write("%d\tk%d\ta=%d\tb=%d\n" % (1000 * (i + 1), i % 37, 150 + i % 100, 250 + i % 50))
PY

run replay "$tmp/s.trace" --arch "$tmp/c.json" --format json -o "$tmp/r1.json"
expect_status "replay json" 0
for key in arch trace requests completed failed dropped latency_ms.mean latency_ms.p50 \
    latency_ms.p90 latency_ms.p95 latency_ms.p99 latency_ms.p999 latency_ms.max throughput_rps \
    cost_per_hour stale_responses pools.1.id pools.1.servers pools.1.utilization \
    pools.1.mean_queue pools.1.mean_wait_ms caches sim.events sim.wall_s sim.events_per_s sim.seed; do
    if json_get "$tmp/r1.json" "$key" >/dev/null 2>&1; then ok "result has $key"; else fail "result lacks $key"; fi
done
/usr/bin/python3 - "$tmp/r1.json" <<'PY' && ok "result keys are exactly the pinned ones" || fail "result keys differ from DESIGN.md"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d) == sorted(["arch", "trace", "requests", "completed", "failed", "dropped",
    "latency_ms", "latency_hist", "throughput_rps", "cost_per_hour", "stale_responses", "pools", "caches", "sim"]), sorted(d)
assert sorted(d["latency_ms"]) == sorted(["mean", "p50", "p90", "p95", "p99", "p999", "max"])
assert sorted(d["pools"][0]) == sorted(["id", "servers", "utilization", "mean_queue", "mean_wait_ms"])
assert sorted(d["sim"]) == sorted(["events", "wall_s", "events_per_s", "seed"])
assert d["arch"] == "two-tier" and d["requests"] == 2000 and d["completed"] == 2000
assert abs(d["cost_per_hour"] - 1.0) < 1e-12
# Light load: latency is about a + hop + b = 0.2 + 0.1 + 0.275 ms.
assert 0.5 < d["latency_ms"]["mean"] < 0.8, d["latency_ms"]["mean"]
assert abs(d["throughput_rps"] - 1000) < 5, d["throughput_rps"]
PY

run replay "$tmp/s.trace" --arch "$tmp/c.json" --format json -o "$tmp/r2.json"
strip() { grep -v '"wall_s"\|"events_per_s"' "$1"; }
if [ "$(strip "$tmp/r1.json")" = "$(strip "$tmp/r2.json")" ]; then ok "same seed, same document"; else fail "same seed, different documents"; fi

# --reader: parsing in a thread of its own or in the replay's changes no
# result, and no error: the weather trace behind a cache, and a bad line
# after thousands of good ones.
# (The weather trace is built, not shipped: a fresh one of 6000 requests.)
W=$(cd "${srcdir:-.}" && pwd)/examples/weather
run trace gen weather --service "$W/weather.service.json" --requests 6000 --seed 2 -o "$tmp/w.trace"
expect_status "trace gen weather" 0
for m in thread inline; do
    run replay "$tmp/w.trace" --arch "$W/cand3.json" --format json --reader "$m" -o "$tmp/w-$m.json"
    expect_status "replay --reader $m" 0
done
if [ -s "$tmp/w-thread.json" ] && [ "$(strip "$tmp/w-thread.json")" = "$(strip "$tmp/w-inline.json")" ]; then
    ok "--reader thread and inline give the same document"
else
    fail "--reader thread and inline differ"
fi
run replay "$tmp/s.trace" --arch "$tmp/c.json" --format json --reader thread -o "$tmp/r-thread.json"
if [ -s "$tmp/r-thread.json" ] && [ "$(strip "$tmp/r1.json")" = "$(strip "$tmp/r-thread.json")" ]; then ok "--reader thread: same document as auto"; else fail "--reader thread: another document"; fi
{ cat "$tmp/s.trace"; echo "5	k1	a=1	b=1"; } >"$tmp/late-bad.trace"
for m in thread inline; do
    run replay "$tmp/late-bad.trace" --arch "$tmp/c.json" --reader "$m" -o "$tmp/late-$m.json"
    expect_error "replay --reader $m, a bad line 2003" 3 "late-bad.trace:2003: expected a time >= 2000000 \(the previous request's\), found 5$"
    if [ ! -e "$tmp/late-$m.json" ]; then ok "--reader $m: no result file after the error"; else fail "--reader $m: a result file after the error"; fi
done
run replay "$tmp/s.trace" --arch "$tmp/c.json" --reader threads
expect_error "replay --reader threads" 2 "--reader: expected one of auto, thread, inline, found \"threads\""

run replay "$tmp/s.trace" --arch "$tmp/c.json" --rate-scale 2 --format json -o "$tmp/r3.json"
u1=$(json_get "$tmp/r1.json" pools.0.utilization)
u3=$(json_get "$tmp/r3.json" pools.0.utilization)
/usr/bin/python3 -c "import sys; u1,u3=float(sys.argv[1]),float(sys.argv[2]); assert abs(u3/u1-2)<0.05,(u1,u3)" "$u1" "$u3" \
    && ok "--rate-scale 2 doubles utilization" || fail "--rate-scale: $u1 -> $u3"

run replay "$tmp/s.trace" --arch "$tmp/c.json" --warmup 1 --format csv
expect_status "csv with warm-up" 0
if [ "$(wc -l <"$tmp/out")" -eq 2 ] && head -1 "$tmp/out" | grep -q '^arch,trace,requests' \
    && tail -1 "$tmp/out" | grep -q '^two-tier,.*,1001,1001,0,0,'; then ok "csv: the 1001 requests from 1 s on"; else fail "csv" "$(cat "$tmp/out")"; fi

run replay "$tmp/s.trace" --arch "$tmp/c.json" --latency-out "$tmp/lat.txt" -o "$tmp/r4.txt"
expect_status "latency-out" 0
if [ "$(wc -l <"$tmp/lat.txt")" -eq 2000 ] && grep -q '^front ' "$tmp/r4.txt"; then ok "one latency per request, table names pools"; else fail "latency-out lines: $(wc -l <"$tmp/lat.txt")"; fi

gzip -c "$tmp/s.trace" >"$tmp/s.trace.gz"
run replay - --arch "$tmp/c.json" --format json -o "$tmp/r5.json" <"$tmp/s.trace.gz"
if [ "$(strip "$tmp/r5.json" | grep -v '"trace"')" = "$(strip "$tmp/r1.json" | grep -v '"trace"')" ]; then ok "gzip on stdin gives the same result"; else fail "gzip stdin differs"; fi

run validate "$tmp/c.json" "$tmp/s.trace" "$tmp/s.service.json"
expect_status "validate" 0
expect_out "validate names the architecture" 'c.json: ok \(architecture "two-tier": 2 pools'
expect_out "validate counts the trace" 's.trace: ok \(trace: 2000 requests\)'

# An M/M/3 trace made by `trace gen`, replayed on one pool of 3 servers:
# the mean latency lies inside the 99% batch-means interval around Erlang C.
cat >"$tmp/mm.service.json" <<'JSON'
{"service": "mm", "entry": "work", "exit": "work",
 "nodes": [{"id": "work", "profile": "exp:2.4ms"}], "edges": []}
JSON
cat >"$tmp/mm3.json" <<'JSON'
{"name": "mm3", "service": "mm.service.json",
 "pools": [{"id": "p", "nodes": ["work"], "servers": 3, "cost_per_hour": 1}]}
JSON
run trace gen --service "$tmp/mm.service.json" --arrivals poisson:1000 --keys uniform:100000 \
    --requests 400000 --seed 11 -o "$tmp/mm.trace"
expect_status "trace gen M/M/3" 0
run replay "$tmp/mm.trace" --arch "$tmp/mm3.json" --warmup 20 --latency-out "$tmp/mm.lat" \
    --format json -o "$tmp/mm.json"
expect_status "replay M/M/3" 0
/usr/bin/python3 - "$tmp/mm.lat" "$tmp/mm.json" <<'PY' && ok "trace gen + replay agree with Erlang C" || fail "M/M/3 replay disagrees with Erlang C"
import json, math, sys
lat = [float(x) for x in open(sys.argv[1])]
d = json.load(open(sys.argv[2]))
# Erlang C for c = 3, a = lambda * ES = 1000/s * 2.4 ms = 2.4.
c, a, es = 3, 2.4, 2.4
b = 1.0
for k in range(1, c + 1):
    b = a * b / (k + a * b)
pw = c * b / (c - a * (1 - b))
theory = pw * es / (c - a) + es
# 30 batch means; t(0.995, 29) = 2.756.
k = 30
n = len(lat) // k
means = [sum(lat[i * n:(i + 1) * n]) / n for i in range(k)]
m = sum(means) / k
s = math.sqrt(sum((x - m) ** 2 for x in means) / (k - 1))
half = 2.756 * s / math.sqrt(k)
assert abs(m - theory) <= half, (m, theory, half)
assert abs(d["latency_ms"]["mean"] - sum(lat) / len(lat)) < 1e-6 * theory
assert abs(d["pools"][0]["utilization"] - 0.8) < 0.01, d["pools"][0]["utilization"]
PY

# --- errors -------------------------------------------------------------------
run replay "$tmp/s.trace"
expect_error "no --arch" 2 'expected --arch FILE'
run replay --arch "$tmp/c.json"
expect_error "no trace" 2 'expected a trace file'
run replay "$tmp/s.trace" --arch "$tmp/c.json" --rate-scale 0
expect_error "zero rate scale" 2 'rate-scale: expected a positive number'
run replay "$tmp/s.trace" --arch "$tmp/c.json" -o "$tmp/s.trace"
expect_error "output over an input" 2 'apart from the inputs'
run replay "$tmp/missing.trace" --arch "$tmp/c.json"
expect_error "missing trace" 1 'missing.trace'
run replay "$tmp/s.trace" --arch "$tmp/nope.json"
expect_error "missing architecture" 1 'nope.json'

sed 's/"servers": 2/"servers": -1/' "$tmp/c.json" >"$tmp/bad.json"
run replay "$tmp/s.trace" --arch "$tmp/bad.json"
expect_error "negative servers" 3 'bad.json: pools\[1\].servers: expected a positive integer, found -1'

printf '#fluxotrace 1\n1000\tk\ta=5\n900\tk\ta=5\n' >"$tmp/back.trace"
run replay "$tmp/back.trace" --arch "$tmp/c.json" -o "$tmp/never.json"
expect_error "time going backwards" 3 'back.trace:3: expected a time'
if [ -e "$tmp/never.json" ] || ls "$tmp" | grep -q '\.tmp\.'; then fail "failed replay left a file"; else ok "failed replay leaves no file"; fi

printf '#fluxotrace 1\n1000\tk\ta=5\tzz=4\n' >"$tmp/unknown.trace"
run replay "$tmp/unknown.trace" --arch "$tmp/c.json"
expect_error "unknown node" 3 'unknown.trace:2: expected a node name \(one of: a, b\).*found "zz"'

run validate "$tmp/s.trace"
expect_error "trace without its service" 3 'expected a service or architecture before this trace'
run validate "$tmp/bad.json"
expect_error "validate reports the JSON path" 3 'pools\[1\].servers'

# Outputs that are not regular files (/dev/null, a FIFO) are written in
# place: renaming a temporary file over them would replace the device.
mkfifo "$tmp/fifo"
# A reader that gives up after 60 s, so that a writer that never opens the
# FIFO fails the check instead of hanging the suite.
timeout 60 cat "$tmp/fifo" >"$tmp/from-fifo" &
reader=$!
run replay "$tmp/s.trace" --arch "$tmp/c.json" --format json -o "$tmp/fifo"
wait $reader || true
expect_status "replay -o FIFO" 0
grep -v '"wall_s"\|"events_per_s"' "$tmp/from-fifo" >"$tmp/a.cut" || true
grep -v '"wall_s"\|"events_per_s"' "$tmp/r1.json" >"$tmp/b.cut" || true
if [ -p "$tmp/fifo" ] && [ -s "$tmp/a.cut" ] && cmp -s "$tmp/a.cut" "$tmp/b.cut"; then ok "-o FIFO: the FIFO stays, its reader got the result"; else fail "-o FIFO replaced or not written" "$(ls -l "$tmp/fifo")" "$(diff "$tmp/a.cut" "$tmp/b.cut" | head -5)"; fi
timeout 60 cat "$tmp/fifo" >"$tmp/trace-from-fifo" &
reader=$!
run trace gen --service "$tmp/s.service.json" --requests 100 -o "$tmp/fifo"
wait $reader || true
if [ "$status" -eq 0 ] && [ -p "$tmp/fifo" ] && [ "$(wc -l <"$tmp/trace-from-fifo")" -eq 103 ]; then ok "trace gen -o FIFO: written in place"; else fail "trace gen -o FIFO" "$(ls -l "$tmp/fifo")"; fi
if [ "$(id -u)" -eq 0 ] && mknod "$tmp/null" c 1 3 2>/dev/null; then
    run replay "$tmp/s.trace" --arch "$tmp/c.json" -o "$tmp/null"
    if [ "$status" -eq 0 ] && [ -c "$tmp/null" ] && [ -z "$(ls "$tmp" | grep 'null\.tmp')" ]; then ok "-o a null device: still a device"; else fail "-o a null device" "$(ls -l "$tmp/null")"; fi
    run trace gen --service "$tmp/s.service.json" --requests 100 -o "$tmp/null"
    if [ "$status" -eq 0 ] && [ -c "$tmp/null" ]; then ok "trace gen -o a null device: still a device"; else fail "trace gen -o a null device" "$(ls -l "$tmp/null")"; fi
fi

finish
