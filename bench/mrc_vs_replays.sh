#!/bin/sh
# mrc_vs_replays.sh - hit ratios at 64 cache capacities: one `fluxosim mrc`
# pass against 64 separate LRU replays of the same trace.
#
# The trace: 10^6 requests of a one-node service (Zipf keys, alpha 1.0, 10^5
# keys, outputs of 750 to 1250 bytes), 1 ms apart on average with 1 us
# demands, so that requests almost never overlap and a replay's hits match
# the stack-distance model. The 64 capacities are log-spaced from 1000 bytes
# to the working set (10^8 bytes). fluxosim mrc gets all 64 hit ratios from
# one pass over the trace (--sizes given, so no first pass); the peer is what
# one would do without it: 64 replays, one per capacity, each behind an LRU
# cache of that size. Both read and parse the same trace file; the figure is
# wall-clock seconds for all 64 hit ratios, best of RUNS for the MRC (the
# replays run once: they take the longest). Before reporting, the hit ratios
# must agree to within 0.002 at every capacity.
#
# Environment: FLUXOSIM, PYTHON, srcdir (as the other scripts), REQUESTS
# (default 10^6), RUNS (default 3).
# Last line: BENCH mrc-vs-replays seconds fluxosim-mrc=X replays-64=Y ratio=Y/X
set -eu

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
FLUXOSIM=${FLUXOSIM:-./fluxosim}
PYTHON=${PYTHON:-/usr/bin/python3}
REQUESTS=${REQUESTS:-1000000}
RUNS=${RUNS:-3}

# shellcheck source=bench/bench_lib.sh
. "$srcdir/bench/bench_lib.sh"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cat >"$out/one.service.json" <<'JSON'
{"service": "one", "entry": "work", "exit": "work",
 "nodes": [{"id": "work", "profile": "det:1us", "out_bytes": 1000}], "edges": []}
JSON
# arch CAPACITY: the one-node service behind an LRU cache of CAPACITY bytes.
arch() {
    cat <<JSON
{"name": "lru-$1", "service": "one.service.json",
 "pools": [{"id": "p", "nodes": ["work"], "servers": 16, "cost_per_hour": 0}],
 "caches": [{"id": "c", "from": "work", "to": "work", "pool": "p",
             "capacity_bytes": $1, "policy": "lru"}]}
JSON
}

# now: wall-clock seconds, with nanoseconds.
now() {
    "$PYTHON" -c 'import time; print("%.6f" % time.time())'
}

echo "mrc-vs-replays: $REQUESTS requests, zipf 1.0 over 10^5 keys, 64 LRU capacities"
"$FLUXOSIM" trace gen --service "$out/one.service.json" --arrivals poisson:1000 \
    --keys zipf:1,100000 --requests "$REQUESTS" --seed 1 -o "$out/t.trace"

sizes=$("$PYTHON" -c 'import sys
lo, hi, n = 1000.0, 1e8, 64
print(",".join(str(int(round(lo * (hi / lo) ** (i / (n - 1.0))))) for i in range(n)))')
arch 1000 >"$out/lru.json"

best=
i=1
while [ "$i" -le "$RUNS" ]; do
    t0=$(now)
    "$FLUXOSIM" mrc "$out/t.trace" --arch "$out/lru.json" --cache c --sizes "$sizes" \
        -o "$out/mrc.csv"
    t1=$(now)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }')
    echo "fluxosim mrc run $i/$RUNS: seconds=$(fmt3 "$s")"
    if [ -z "$best" ] || greater "$best" "$s"; then best=$s; fi
    i=$((i + 1))
done
[ "$(wc -l <"$out/mrc.csv")" -eq 65 ] || fail "fluxosim mrc did not print 64 capacities"

: >"$out/replays.txt"
t0=$(now)
for cap in $(printf '%s\n' "$sizes" | tr ',' ' '); do
    arch "$cap" >"$out/c.json"
    "$FLUXOSIM" replay "$out/t.trace" --arch "$out/c.json" --quiet --format json -o "$out/r.json"
    "$PYTHON" -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(sys.argv[2], d["caches"][0]["hit_ratio"])' "$out/r.json" "$cap" >>"$out/replays.txt"
done
t1=$(now)
replays=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }')
echo "64 replays: seconds=$(fmt3 "$replays")"

# The same answers, or the comparison means nothing.
"$PYTHON" - "$out/mrc.csv" "$out/replays.txt" <<'PY' || fail "hit ratios differ"
import csv, sys
mrc = {int(r["capacity_bytes"]): float(r["hit_ratio"]) for r in csv.DictReader(open(sys.argv[1]))}
worst = 0.0
for line in open(sys.argv[2]):
    cap, hr = line.split()
    d = abs(mrc[int(cap)] - float(hr))
    worst = max(worst, d)
print("SANITY mrc-vs-replays largest hit-ratio difference %.6f (limit 0.002)" % worst)
sys.exit(0 if worst <= 0.002 else 1)
PY
echo "BENCH mrc-vs-replays seconds fluxosim-mrc=$(fmt3 "$best") replays-64=$(fmt3 "$replays") ratio=$(ratio "$replays" "$best")"
