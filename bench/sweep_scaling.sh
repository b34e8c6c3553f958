#!/bin/sh
# sweep_scaling.sh - points per second of `fluxosim sweep` with one thread
# and with two.
#
# sweep-scaling: a sweep of 16 points (the weather example's cand2, forecast
# servers 10, 12, 14, 16 by rate scale 0.5, 0.75, 1, 1.25) over a popular
# weather trace of REQUESTS requests, one replication per point, run with
# -j 1 and with -j 2, best of RUNS runs each. Points are independent replays
# sharing nothing but the read-only sweep, so on two idle cores the ratio
# should be near 2. Both runs must write the same bytes before a speed is
# reported. The machine's load average is printed: on a loaded machine the
# threads get less than two cores and the ratio says so.
#
# Environment: FLUXOSIM, srcdir (as the other scripts), REQUESTS (default
# 200000), RUNS (default 3). Last line: BENCH sweep-scaling points/s ...
set -eu

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
FLUXOSIM=${FLUXOSIM:-./fluxosim}
REQUESTS=${REQUESTS:-200000}
RUNS=${RUNS:-3}
SERVICE=$srcdir/examples/weather/weather.service.json
ARCH=$srcdir/examples/weather/cand2.json
POINTS=16

# shellcheck source=bench/bench_lib.sh
. "$srcdir/bench/bench_lib.sh"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "sweep-scaling: $POINTS points of $REQUESTS popular requests on cand2, online cores: $(getconf _NPROCESSORS_ONLN), load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
"$FLUXOSIM" trace gen weather --workload popular --requests "$REQUESTS" --seed 1 \
    --service "$SERVICE" -o "$out/w.trace"
cat >"$out/s.sweep.json" <<JSON
{"arch": "$ARCH",
 "traces": {"popular": "w.trace"},
 "grid": {"pools.forecast.servers": [10, 12, 14, 16], "rate_scale": [0.5, 0.75, 1, 1.25]},
 "metrics": ["latency_ms.mean", "latency_ms.p99", "pools.forecast.utilization"]}
JSON

now() {
    date +%s.%N
}

# once J: one run with -j J; prints its points per second and leaves the
# CSV in $out/jJ.csv.
once() {
    rm -f "$out/j$1.csv"
    t0=$(now)
    "$FLUXOSIM" sweep "$out/s.sweep.json" -j "$1" -o "$out/j$1.csv" --quiet ||
        fail "fluxosim sweep -j $1 failed"
    t1=$(now)
    awk -v n="$POINTS" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }'
}

# The two sides alternate, so that a change in the machine's load (other
# jobs) falls on both; the best run of each counts.
j1=0
j2=0
r=1
while [ "$r" -le "$RUNS" ]; do
    a=$(once 1)
    b=$(once 2)
    echo "run $r/$RUNS: points_per_s -j 1 $(fmt3 "$a"), -j 2 $(fmt3 "$b")"
    if greater "$a" "$j1"; then j1=$a; fi
    if greater "$b" "$j2"; then j2=$b; fi
    r=$((r + 1))
done
[ "$(wc -l <"$out/j1.csv")" -eq $((POINTS + 1)) ] || fail "-j 1 wrote $(wc -l <"$out/j1.csv") lines, expected $((POINTS + 1))"
cmp -s "$out/j1.csv" "$out/j2.csv" || fail "-j 1 and -j 2 wrote different results: no speed reported"
echo "SANITY sweep-scaling -j 1 and -j 2 wrote the same $((POINTS + 1)) lines"
echo "BENCH sweep-scaling points/s fluxosim-j2=$(fmt3 "$j2") fluxosim-j1=$(fmt3 "$j1") ratio=$(ratio "$j2" "$j1")"
