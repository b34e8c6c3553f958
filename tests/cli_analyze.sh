#!/bin/sh
# cli_analyze.sh - `fluxosim analyze` and `fluxosim mrc` as a user runs them:
# the documents and their keys, --compare, saturation, the miss-ratio curve
# against replays, and one clear error per bad input.
set -eu
. "${srcdir:-.}/tests/lib.sh"

# An M/M/3 at utilization 0.8 behind a cache over its one node.
cat >"$tmp/mm.service.json" <<'JSON'
{"service": "mm", "entry": "work", "exit": "work",
 "nodes": [{"id": "work", "profile": "exp:2.4ms", "out_bytes": 1000}], "edges": []}
JSON
cat >"$tmp/mm3.json" <<'JSON'
{"name": "mm3", "service": "mm.service.json",
 "pools": [{"id": "p", "nodes": ["work"], "servers": 3, "cost_per_hour": 1}]}
JSON
cat >"$tmp/cached.json" <<'JSON'
{"name": "cached", "service": "mm.service.json",
 "pools": [{"id": "p", "nodes": ["work"], "servers": 3, "cost_per_hour": 1},
           {"id": "kv", "nodes": [], "servers": 1, "cost_per_hour": 0.5}],
 "caches": [{"id": "c", "from": "work", "to": "work", "pool": "kv",
             "capacity_bytes": 200000, "policy": "lru", "lookup": "exp:100us"}]}
JSON
run trace gen --service "$tmp/mm.service.json" --arrivals poisson:1000 --keys zipf:1,2000 \
    --requests 100000 --seed 3 -o "$tmp/mm.trace"
expect_status "trace gen" 0

# --- analyze --------------------------------------------------------------------
run analyze "$tmp/mm.trace" --arch "$tmp/mm3.json" --format json -o "$tmp/a.json"
expect_status "analyze json" 0
for key in method arch trace requests rate_scale arrival_rps latency_ms.mean latency_ms.p99 \
    p99_method throughput_rps cost_per_hour saturated pools.0.id pools.0.servers \
    pools.0.utilization pools.0.mean_queue pools.0.mean_wait_ms pools.0.saturated pools.0.model \
    caches nodes.0.visits_per_request analysis.trace_s analysis.solve_ms; do
    if json_get "$tmp/a.json" "$key" >/dev/null 2>&1; then ok "analyze has $key"; else fail "analyze lacks $key"; fi
done
/usr/bin/python3 - "$tmp/a.json" <<'PY' && ok "analyze: Erlang C numbers, method analytic" || fail "analyze document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["method"] == "analytic" and d["arch"] == "mm3" and d["requests"] == 100000
assert d["p99_method"] == "lognormal-mixture"
assert d["saturated"] == []
p = d["pools"][0]
assert p["model"] == "M/M/c (Erlang C)", p["model"]
assert abs(p["utilization"] - 0.8) < 0.02, p["utilization"]
# Erlang C for c = 3, a = 2.4: response 5.0 ms; the trace's own moments differ a little.
assert abs(d["latency_ms"]["mean"] - 5.0) < 0.3, d["latency_ms"]["mean"]
assert abs(p["mean_queue"] - d["arrival_rps"] * p["mean_wait_ms"] / 1000) < 1e-9
assert d["latency_ms"]["p99"] > d["latency_ms"]["mean"]
PY

run analyze "$tmp/mm.trace" --arch "$tmp/cached.json" --compare --format json -o "$tmp/c.json"
expect_status "analyze --compare" 0
/usr/bin/python3 - "$tmp/c.json" <<'PY' && ok "--compare: analytic and simulated with relative errors" || fail "--compare document"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["compare"]
for k in ("mean", "p99"):
    x = c["latency_ms"][k]
    assert set(x) == {"analytic", "simulated", "rel_error"}, x
    assert abs(x["rel_error"] - (x["analytic"] - x["simulated"]) / x["simulated"]) < 1e-12
assert abs(c["latency_ms"]["mean"]["rel_error"]) < 0.1, c["latency_ms"]["mean"]
assert [p["id"] for p in c["pools"]] == ["p", "kv"]
for p in c["pools"]:
    assert set(p) == {"id", "utilization", "mean_wait_ms", "mean_queue"}
    assert abs(p["utilization"]["rel_error"]) < 0.05, p
h = c["caches"][0]["hit_ratio"]
assert abs(h["analytic"] - h["simulated"]) < 0.01, h
assert d["caches"][0]["hit_ratio_model"] == "lru-mrc"
assert c["seed"] == 1
PY

run analyze "$tmp/mm.trace" --arch "$tmp/cached.json" --compare
expect_status "analyze --compare table" 0
expect_out "table: the comparison" 'analytic against a replay \(seed 1'
expect_out "table: latency row" '^latency mean \(ms\) +[0-9.]+ +[0-9.]+ +[-+][0-9.]+%'
expect_out "table: the cache" '^c +lru +200000 +0\.[0-9]+'

run analyze "$tmp/mm.trace" --arch "$tmp/cached.json" --format csv --compare
expect_status "analyze csv" 0
if [ "$(wc -l <"$tmp/out")" -eq 2 ] &&
    head -1 "$tmp/out" | grep -q '^method,arch,trace,requests,arrival_rps,mean_ms,p99_ms,p99_method,cost_per_hour,saturated,util_p,util_kv,wait_ms_p,wait_ms_kv,hit_ratio_c,sim_mean_ms' &&
    tail -1 "$tmp/out" | grep -q '^analytic,cached,'; then ok "csv: a header and one row"; else fail "csv" "$(cat "$tmp/out")"; fi

# Twice the traffic saturates the pool: named, and no number where there is none.
run analyze "$tmp/mm.trace" --arch "$tmp/mm3.json" --rate-scale 2 --format json -o "$tmp/s.json"
expect_status "saturated analysis still succeeds" 0
/usr/bin/python3 - "$tmp/s.json" <<'PY' && ok "saturated: strings, never numbers" || fail "saturated document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["saturated"] == ["p"], d["saturated"]
p = d["pools"][0]
assert p["utilization"] == "saturated" and p["mean_queue"] == "saturated"
assert p["mean_wait_ms"] == "saturated" and p["saturated"] is True
assert 1.5 < p["offered_load"] < 1.7, p["offered_load"]
assert d["latency_ms"] == {"mean": "saturated", "p99": "saturated"}
assert d["throughput_rps"] == "saturated"
PY
run analyze "$tmp/mm.trace" --arch "$tmp/mm3.json" --rate-scale 2
expect_out "table names the saturated pool" '^saturated +p \(load at or above capacity'

gzip -c "$tmp/mm.trace" >"$tmp/mm.trace.gz"
run analyze - --arch "$tmp/mm3.json" --format json -o "$tmp/a2.json" <"$tmp/mm.trace.gz"
expect_status "analyze from gzip on stdin" 0
if [ "$(json_get "$tmp/a2.json" latency_ms.mean)" = "$(json_get "$tmp/a.json" latency_ms.mean)" ]; then ok "stdin gives the same latency"; else fail "stdin differs"; fi

# --- mrc ------------------------------------------------------------------------
run mrc "$tmp/mm.trace" --arch "$tmp/cached.json" --cache c -o "$tmp/m.csv"
expect_status "mrc default sizes" 0
# Both passes read ahead in a thread, or both inline: the same curve.
for m in thread inline; do
    run mrc "$tmp/mm.trace" --arch "$tmp/cached.json" --cache c --reader $m -o "$tmp/m-$m.csv"
    expect_status "mrc --reader $m" 0
    if cmp -s "$tmp/m.csv" "$tmp/m-$m.csv"; then ok "mrc --reader $m: the same curve"; else fail "mrc --reader $m: another curve"; fi
done
if [ "$(head -1 "$tmp/m.csv")" = "capacity_bytes,requests,hits,misses,hit_ratio,byte_hit_ratio" ] &&
    [ "$(wc -l <"$tmp/m.csv")" -eq 65 ]; then ok "mrc: the header and 64 capacities"; else fail "mrc csv" "$(head -3 "$tmp/m.csv")"; fi
/usr/bin/python3 - "$tmp/m.csv" <<'PY' && ok "mrc: rows consistent, log-spaced up to the working set" || fail "mrc rows"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
caps = [int(r["capacity_bytes"]) for r in rows]
assert caps == sorted(caps) and len(set(caps)) == 64
assert 750 <= caps[0] <= 1250, caps[0]  # the smallest object
for r in rows:
    n, h, m = int(r["requests"]), int(r["hits"]), int(r["misses"])
    assert n == 100000 and h + m == n
    assert abs(float(r["hit_ratio"]) - h / n) < 1e-12
# At the working set every key stays: only first requests miss.
assert int(rows[-1]["misses"]) <= 2000
PY

# The curve against replays: requests 10 ms apart with demands of about
# 100 us never overlap, so each lookup sees every earlier insertion.
sed 's/exp:2.4ms/exp:100us/' "$tmp/mm.service.json" >"$tmp/fast.service.json"
sed 's/mm.service.json/fast.service.json/' "$tmp/cached.json" >"$tmp/fast.json"
run trace gen --service "$tmp/fast.service.json" --arrivals det:10ms --keys zipf:0.9,3000 \
    --requests 4000 --seed 5 -o "$tmp/slow.trace"
run mrc "$tmp/slow.trace" --arch "$tmp/fast.json" --cache c --sizes 1k,20k,150k,1.5M,4000000 -o "$tmp/slow.csv"
expect_status "mrc --sizes" 0
for cap in 1000 20000 150000 1500000 4000000; do
    sed "s/\"capacity_bytes\": 200000/\"capacity_bytes\": $cap/" "$tmp/fast.json" >"$tmp/cap.json"
    run replay "$tmp/slow.trace" --arch "$tmp/cap.json" --format json -o "$tmp/r.json"
    want=$(json_get "$tmp/r.json" caches.0.hits)
    got=$(awk -F, -v c="$cap" '$1 == c { print $3 }' "$tmp/slow.csv")
    if [ "$got" = "$want" ]; then ok "mrc hits at $cap equal the replay's ($want)"; else fail "mrc at $cap: $got hits, replay $want"; fi
done

run mrc "$tmp/mm.trace" --arch "$tmp/cached.json" --cache c --sizes 100k,1M --sample 0.5
expect_status "mrc --sample" 0
if [ "$(wc -l <"$tmp/out")" -eq 3 ]; then ok "sampled curve has its rows"; else fail "sampled rows" "$(cat "$tmp/out")"; fi

# --- usage errors: exit 2, one line ---------------------------------------------
run analyze "$tmp/mm.trace"
expect_error "analyze without --arch" 2 'analyze: expected --arch FILE'
run analyze --arch "$tmp/mm3.json"
expect_error "analyze without a trace" 2 'analyze: expected a trace file'
run analyze "$tmp/mm.trace" --arch "$tmp/mm3.json" --rate-scale 0
expect_error "analyze zero rate scale" 2 'rate-scale: expected a positive number'
run analyze "$tmp/mm.trace" --arch "$tmp/mm3.json" --format xml
expect_error "analyze bad format" 2 'format: expected one of table, json, csv'
run analyze - --arch "$tmp/mm3.json" --compare
expect_error "--compare needs a file" 2 'compare: expected a trace file'
run analyze "$tmp/mm.trace" --arch "$tmp/mm3.json" -o "$tmp/mm.trace"
expect_error "analyze output over an input" 2 'apart from the inputs'
run analyze "$tmp/mm.trace" --arch "$tmp/mm3.json" --seed 12abc
expect_error "analyze bad seed" 2 'seed: expected a non-negative integer'
run mrc "$tmp/mm.trace" --arch "$tmp/cached.json"
expect_error "mrc without --cache" 2 'mrc: expected --cache ID'
run mrc "$tmp/mm.trace" --arch "$tmp/cached.json" --cache nope
expect_error "mrc unknown cache" 2 'expected a cache of .*one of c.*found "nope"'
run mrc "$tmp/mm.trace" --arch "$tmp/mm3.json" --cache c
expect_error "mrc on an architecture without caches" 2 'it has no caches'
run mrc "$tmp/mm.trace" --arch "$tmp/cached.json" --cache c --sizes 10k,12abc
expect_error "mrc bad size" 2 'sizes: expected a byte count .* item 2, found "12abc"'
run mrc "$tmp/mm.trace" --arch "$tmp/cached.json" --cache c --sizes 0
expect_error "mrc zero size" 2 'sizes: expected a whole number of bytes from 1'
run mrc "$tmp/mm.trace" --arch "$tmp/cached.json" --cache c --sizes 1.5
expect_error "mrc fraction without a suffix" 2 'sizes: expected a byte count'
run mrc "$tmp/mm.trace" --arch "$tmp/cached.json" --cache c --sample 0
expect_error "mrc zero sample" 2 'sample: expected a rate in \(0, 1\]'
run mrc - --arch "$tmp/cached.json" --cache c
expect_error "mrc default sizes need a file" 2 'expected --sizes when the trace is standard input'

# --- bad input: exit 3 (or 1 for files that cannot be read) ----------------------
printf '#fluxotrace 1\n1000\tk\twork=5\n900\tk\twork=5\n' >"$tmp/back.trace"
run analyze "$tmp/back.trace" --arch "$tmp/mm3.json" -o "$tmp/never.json"
expect_error "analyze: time going backwards" 3 'back.trace:3: expected a time'
if [ -e "$tmp/never.json" ]; then fail "failed analyze left a file"; else ok "failed analyze leaves no file"; fi
run mrc "$tmp/back.trace" --arch "$tmp/cached.json" --cache c --sizes 1k -o "$tmp/never.csv"
expect_error "mrc: time going backwards" 3 'back.trace:3: expected a time'
if [ -e "$tmp/never.csv" ]; then fail "failed mrc left a file"; else ok "failed mrc leaves no file"; fi
printf '#fluxotrace 1\n1000\tk\twork=5\n' >"$tmp/one.trace"
run analyze "$tmp/one.trace" --arch "$tmp/mm3.json"
expect_error "analyze: one request" 3 'expected a trace of at least two requests'
sed 's/"servers": 3/"servers": 0/' "$tmp/mm3.json" >"$tmp/bad.json"
run analyze "$tmp/mm.trace" --arch "$tmp/bad.json"
expect_error "analyze: bad architecture" 3 'bad.json: pools\[0\].servers'
run analyze "$tmp/missing.trace" --arch "$tmp/mm3.json"
expect_error "analyze: missing trace" 1 'missing.trace'
run mrc "$tmp/mm.trace" --arch "$tmp/nope.json" --cache c
expect_error "mrc: missing architecture" 1 'nope.json'

run help analyze
expect_out "help analyze shows the options" '--compare'
run help mrc
expect_out "help mrc shows the options" '--sizes LIST'

finish
