#!/bin/sh
# cli_sweep.sh - `fluxosim sweep` as a user runs it: the same bytes for any
# -j, a run killed with SIGKILL and resumed equals an uninterrupted one,
# shards merged equal the unsharded run, the confidence interval against
# replays run by hand, and one clear error per mistake, before any point runs.
set -eu
. "${srcdir:-.}/tests/lib.sh"

# A two-node service on two pools; node b is missing from the trace lines,
# so its demand is drawn from its profile and the seed matters.
cat >"$tmp/s.service.json" <<'JSON'
{"service": "s", "entry": "a", "exit": "b",
 "nodes": [{"id": "a", "profile": "exp:200us"}, {"id": "b", "profile": "exp:300us"}],
 "edges": [["a", "b"]]}
JSON
cat >"$tmp/c.json" <<'JSON'
{"name": "two-tier", "service": "s.service.json",
 "pools": [{"id": "front", "nodes": ["a"], "servers": 1, "cost_per_hour": 0.5},
           {"id": "back", "nodes": ["b"], "servers": 1, "cost_per_hour": 0.25}],
 "network": {"hop": "exp:100us"}}
JSON
/usr/bin/python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
for name, n, gap in (("small", 2000, 1000), ("big", 20000, 1000)):
    with open("%s/%s.trace" % (d, name), "w") as f:
        f.write("#fluxotrace 1\n#service s\n")
        for i in range(n):
            f.write("%d\tk%d\ta=%d\n" % (gap * (i + 1), i % 37, 150 + i % 100))
PY

# 2 workloads x 3 x 4 = 24 points, 3 replications each.
cat >"$tmp/q.sweep.json" <<'JSON'
{"arch": "c.json",
 "traces": {"w1": "small.trace", "w2": "small.trace"},
 "grid": {"pools.back.servers": [1, 2, 3], "rate_scale": [0.5, 1, 1.5, 2]},
 "replications": 3, "seed": 5,
 "metrics": ["latency_ms.mean", "latency_ms.p99", "throughput_rps", "pools.back.utilization"]}
JSON

# --- the same bytes for any -j ------------------------------------------------
run sweep "$tmp/q.sweep.json" -j 1 -o "$tmp/j1.csv" --quiet
expect_status "sweep -j 1" 0
if [ ! -s "$tmp/err" ]; then ok "--quiet prints nothing"; else fail "--quiet printed" "$(cat "$tmp/err")"; fi
run sweep "$tmp/q.sweep.json" -j 2 -o "$tmp/j2.csv"
expect_status "sweep -j 2" 0
if cmp -s "$tmp/j1.csv" "$tmp/j2.csv"; then ok "-j 1 and -j 2 write the same bytes"; else fail "-j 1 and -j 2 differ" "$(diff "$tmp/j1.csv" "$tmp/j2.csv" | head -4)"; fi
run sweep "$tmp/q.sweep.json" -j 5
if cmp -s "$tmp/j1.csv" "$tmp/out"; then ok "-j 5 to stdout: the same bytes"; else fail "-j 5 differs"; fi
if grep -q '^fluxosim: sweep: 24/24 points done' "$tmp/err"; then ok "progress as plain lines off a terminal"; else fail "no progress line" "$(cat "$tmp/err")"; fi

/usr/bin/python3 - "$tmp/j1.csv" <<'PY' && ok "header, point order, 25 lines" || fail "CSV layout"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["workload", "pools.back.servers", "rate_scale",
                   "latency_ms.mean", "latency_ms.mean_ci95", "latency_ms.p99", "latency_ms.p99_ci95",
                   "throughput_rps", "throughput_rps_ci95",
                   "pools.back.utilization", "pools.back.utilization_ci95"], rows[0]
assert len(rows) == 25
keys = [(w, s, r) for w in ("w1", "w2") for s in ("1", "2", "3") for r in ("0.5", "1", "1.5", "2")]
assert [tuple(r[:3]) for r in rows[1:]] == keys
for r in rows[1:]:
    assert all(x != "" for x in r), r
    assert float(r[4]) > 0, r   # three seeds: a real interval
PY

# --- the interval against replays run by hand ----------------------------------
# Point 7 is w1, back servers 2, rate scale 2: seeds 5, 6, 7 are replications
# 0, 1, 2; the half-width is t(0.975, 2) s / sqrt(3), t = 4.302652729911275.
cat >"$tmp/c2.json" <<'JSON'
{"name": "two-tier", "service": "s.service.json",
 "pools": [{"id": "front", "nodes": ["a"], "servers": 1, "cost_per_hour": 0.5},
           {"id": "back", "nodes": ["b"], "servers": 2, "cost_per_hour": 0.25}],
 "network": {"hop": "exp:100us"}}
JSON
for seed in 5 6 7; do
    run replay "$tmp/small.trace" --arch "$tmp/c2.json" --rate-scale 2 --seed "$seed" --format json -o "$tmp/r$seed.json"
done
/usr/bin/python3 - "$tmp" <<'PY' && ok "mean and t s/sqrt(n) match three replays by hand" || fail "interval differs from the replays"
import csv, json, math, sys
d = sys.argv[1]
row = list(csv.reader(open(d + "/j1.csv")))[8]
assert row[:3] == ["w1", "2", "2"], row
docs = [json.load(open("%s/r%d.json" % (d, s))) for s in (5, 6, 7)]
for col, get in ((3, lambda x: x["latency_ms"]["mean"]), (9, lambda x: x["pools"][1]["utilization"])):
    v = [get(x) for x in docs]
    m = sum(v) / 3
    s = math.sqrt(sum((x - m) ** 2 for x in v) / 2)
    half = 4.302652729911275 * s / math.sqrt(3)
    assert abs(float(row[col]) - m) <= 1e-9 * abs(m), (row[col], m)
    assert abs(float(row[col + 1]) - half) <= 1e-6 * half, (row[col + 1], half)
PY

# --- killed with SIGKILL, resumed ---------------------------------------------
# 2 x 4 x 8 = 64 slower points (20000 requests each, 2 replications).
cat >"$tmp/k.sweep.json" <<'JSON'
{"arch": "c.json",
 "traces": {"w1": "big.trace", "w2": "big.trace"},
 "grid": {"pools.back.servers": [1, 2, 3, 4], "rate_scale": [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5]},
 "replications": 2, "seed": 3}
JSON
run sweep "$tmp/k.sweep.json" -j 2 -o "$tmp/k-full.csv" --quiet
expect_status "uninterrupted run" 0

# kill_after N: start the sweep (resuming), SIGKILL it once the file holds N
# lines or more; print how many lines it held when killed.
kill_after() {
    "$FLUXOSIM" sweep "$tmp/k.sweep.json" -j 2 -o "$tmp/k.csv" --resume --quiet 2>"$tmp/kerr" &
    pid=$!
    i=0
    while [ "$(cat "$tmp/k.csv" 2>/dev/null | wc -l)" -lt "$1" ] && [ $i -lt 2000 ]; do
        sleep 0.01
        i=$((i + 1))
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    wc -l <"$tmp/k.csv"
}
n1=$(kill_after 4)
n2=$(kill_after $((n1 + 6)))
if [ "$n1" -ge 4 ] && [ "$n1" -lt 65 ] && [ "$n2" -lt 65 ]; then
    ok "killed twice part-way ($n1, then $n2 of 65 lines)"
else
    fail "the kills did not land part-way: $n1, $n2 of 65 lines (points too fast?)"
fi
# A kill may land at any byte: simulate a cut inside a row as well.
cp "$tmp/k.csv" "$tmp/k-cut.csv"
printf 'w2,3,1.25,12.3' >>"$tmp/k-cut.csv"
run sweep "$tmp/k.sweep.json" -j 2 -o "$tmp/k.csv" --resume --quiet
expect_status "resume after SIGKILL" 0
if cmp -s "$tmp/k.csv" "$tmp/k-full.csv"; then ok "killed and resumed equals the uninterrupted run"; else fail "resumed file differs" "$(diff "$tmp/k.csv" "$tmp/k-full.csv" | head -4)"; fi
run sweep "$tmp/k.sweep.json" -j 1 -o "$tmp/k-cut.csv" --resume --quiet
if cmp -s "$tmp/k-cut.csv" "$tmp/k-full.csv"; then ok "a cut-off last row is dropped and redone"; else fail "cut row not redone"; fi
# Resuming a finished run does nothing; cutting the header restarts it.
run sweep "$tmp/k.sweep.json" -o "$tmp/k.csv" --resume --quiet
if [ "$status" -eq 0 ] && cmp -s "$tmp/k.csv" "$tmp/k-full.csv"; then ok "resuming a finished run changes nothing"; else fail "resume of a finished run"; fi
head -n 2 "$tmp/k-full.csv" >"$tmp/k-head.csv"
run sweep "$tmp/q.sweep.json" -j 2 -o "$tmp/k-head.csv" --resume --quiet
expect_error "resume another sweep's file" 3 'k-head.csv:1: expected the header of this sweep'
if [ "$(cat "$tmp/k-head.csv")" = "$(head -n 2 "$tmp/k-full.csv")" ]; then ok "another sweep's file is left as it was"; else fail "another sweep's file was changed"; fi

# The same header, but the seed changed: the last row, run again, differs.
head -n 30 "$tmp/k-full.csv" >"$tmp/k-seed.csv"
sed 's/"seed": 3/"seed": 4/' "$tmp/k.sweep.json" >"$tmp/k4.sweep.json"
run sweep "$tmp/k4.sweep.json" -j 2 -o "$tmp/k-seed.csv" --resume --quiet
expect_error "resume after the sweep file changed" 3 'k-seed.csv:30: expected the row this sweep gives for point 28, found another'
if [ "$(cat "$tmp/k-seed.csv")" = "$(head -n 30 "$tmp/k-full.csv")" ]; then ok "a changed sweep's file is left as it was"; else fail "a changed sweep's file was changed"; fi

# --- shards -------------------------------------------------------------------
for i in 1 2 3; do
    run sweep "$tmp/q.sweep.json" --shard "$i/3" -j "$i" -o "$tmp/shard$i.csv" --quiet
    expect_status "shard $i/3" 0
done
if head -1 "$tmp/shard2.csv" | grep -Eq '^#fluxosim-sweep shard=2/3 points=24 fingerprint=[0-9a-f]{16}$' \
    && sed -n 2p "$tmp/shard2.csv" | grep -q '^point,workload,' \
    && [ "$(sed -n '3p;4p' "$tmp/shard2.csv" | cut -d, -f1 | tr '\n' ' ')" = "1 4 " ]; then
    ok "a shard: tag line, point column, points 1, 4, ..."
else
    fail "shard layout" "$(head -4 "$tmp/shard2.csv")"
fi
run sweep merge "$tmp/merged.csv" "$tmp/shard3.csv" "$tmp/shard1.csv" "$tmp/shard2.csv"
expect_status "merge" 0
if cmp -s "$tmp/merged.csv" "$tmp/j1.csv"; then ok "shards merged equal the unsharded run"; else fail "merged file differs" "$(diff "$tmp/merged.csv" "$tmp/j1.csv" | head -4)"; fi
run sweep merge "$tmp/m2.csv" "$tmp/shard1.csv" "$tmp/shard3.csv"
expect_error "merge without shard 2" 3 'shard 2/3 missing \(points 1, 4, 7, 10, 13, 16, 19, 22\)'
if [ -e "$tmp/m2.csv" ]; then fail "a refused merge wrote its output"; else ok "a refused merge writes nothing"; fi
head -n 5 "$tmp/shard2.csv" >"$tmp/shard2-cut.csv"
run sweep merge "$tmp/m2.csv" "$tmp/shard1.csv" "$tmp/shard2-cut.csv" "$tmp/shard3.csv"
expect_error "merge an incomplete shard" 3 'shard 2/3 incomplete in .*shard2-cut.csv: 3 of 8 rows \(points 10, 13, 16, 19, 22 missing; finish it with --resume\)'
run sweep "$tmp/q.sweep.json" --shard 2/3 -o "$tmp/shard2-cut.csv" --resume --quiet
if cmp -s "$tmp/shard2-cut.csv" "$tmp/shard2.csv"; then ok "a shard resumes too"; else fail "shard resume differs"; fi
run sweep merge "$tmp/m2.csv" "$tmp/shard1.csv" "$tmp/shard1.csv" "$tmp/shard3.csv"
expect_error "a shard given twice" 3 'shard 1/3 given twice'
run sweep "$tmp/k.sweep.json" --shard 2/3 -o "$tmp/other2.csv" --quiet
run sweep merge "$tmp/m2.csv" "$tmp/shard1.csv" "$tmp/other2.csv" "$tmp/shard3.csv"
expect_error "shards of two sweeps" 3 'expected a shard of the same sweep'
run sweep merge "$tmp/m2.csv" "$tmp/j1.csv"
expect_error "merge an unsharded file" 3 'j1.csv:1: expected the first line of a sweep shard'
run sweep merge "$tmp/shard1.csv" "$tmp/shard1.csv" "$tmp/shard2.csv"
expect_error "merge over a shard" 2 'expected an output apart from the shards'

# --- errors before any point runs ---------------------------------------------
sed 's/pools.back.servers/pools.bak.servers/' "$tmp/q.sweep.json" >"$tmp/bad.sweep.json"
run sweep "$tmp/bad.sweep.json" -o "$tmp/never.csv"
expect_error "unknown pool in a parameter" 3 'bad.sweep.json: grid."pools.bak.servers": unknown pool "bak"; expected one of front, back$'
if [ -e "$tmp/never.csv" ]; then fail "a refused sweep created its output"; else ok "no output before the sweep is checked"; fi
sed 's/"pools.back.servers": \[1, 2, 3\]/"pools.back.servers": [1, 0, 3]/' "$tmp/q.sweep.json" >"$tmp/bad.sweep.json"
run sweep "$tmp/bad.sweep.json"
expect_error "a bad value" 3 'bad.sweep.json: grid."pools.back.servers"\[1\]: .*c.json: pools\[1\].servers: expected a positive integer, found 0'
sed 's/"latency_ms.p99"/"latency_ms.p98"/' "$tmp/q.sweep.json" >"$tmp/bad.sweep.json"
run sweep "$tmp/bad.sweep.json"
expect_error "an unknown metric" 3 'bad.sweep.json: metrics\[1\]: unknown metric "latency_ms.p98"'
sed 's/small.trace/missing.trace/' "$tmp/q.sweep.json" >"$tmp/bad.sweep.json"
run sweep "$tmp/bad.sweep.json"
expect_error "a missing trace" 1 'bad.sweep.json: traces.w1: .*missing.trace: cannot open'

cp "$tmp/j1.csv" "$tmp/keep.csv"
run sweep "$tmp/q.sweep.json" -o "$tmp/keep.csv"
expect_error "an existing output without --resume" 2 'keep.csv: expected a new output file, found an existing one'
if cmp -s "$tmp/keep.csv" "$tmp/j1.csv"; then ok "the existing output is untouched"; else fail "the existing output was changed"; fi
run sweep "$tmp/q.sweep.json" --resume
expect_error "--resume without -o" 2 'resume: expected -o FILE'
run sweep "$tmp/q.sweep.json" -j 0
expect_error "-j 0" 2 'jobs: expected 1 to'
run sweep "$tmp/q.sweep.json" --shard 4/3
expect_error "--shard 4/3" 2 'shard: expected I/N'
run sweep "$tmp/q.sweep.json" --shard 1/3x
expect_error "--shard 1/3x" 2 'shard: expected I/N'
run sweep
expect_error "no sweep file" 2 'expected one sweep file'

# --plot DIR draws the sweep figure through the plot code, once complete.
run sweep "$tmp/q.sweep.json" --plot "$tmp/figs"
expect_error "--plot needs -o" 2 'plot: expected -o FILE of a whole sweep'
if command -v "${GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    run sweep "$tmp/q.sweep.json" -j 2 -o "$tmp/plotted.csv" --plot "$tmp/figs" --quiet
    expect_status "--plot" 0
    if head -c 400 "$tmp/figs/sweep.svg" 2>/dev/null | grep -q '<svg' && [ -s "$tmp/figs/sweep.gp" ]; then
        ok "--plot writes DIR/sweep.svg and its script"
    else
        fail "--plot wrote no figure" "$(ls "$tmp/figs" 2>&1)"
    fi
    cmp -s "$tmp/plotted.csv" "$tmp/j1.csv" && ok "--plot leaves the rows as they are" || fail "--plot changed the rows"
else
    echo "skip --plot: no gnuplot"
fi

finish
