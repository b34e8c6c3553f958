#!/bin/sh
# replay_weather.sh - requests per second replaying the weather example, and
# peak memory as the trace grows.
#
# replay-weather: a 10^6-request popular weather trace replayed on cand2
# (three tiers, three network hops per request), requests per second, against
# the engine alone: customers per second of fluxosim's M/M/1 (rho = 0.9), the
# rate the engine reaches with nothing but two events per customer. The
# replay reads and parses the trace as part of its run.
#
# replay-memory: peak resident memory of a replay of 10^6 and of 10^7
# requests, streamed from the generator through a pipe (no 1.5 GB file). The
# replay holds only the requests in flight, so the two must be within 20%.
#
# Environment: FLUXOSIM, PYTHON, srcdir (as the other scripts), REQUESTS.
# Last lines: BENCH replay-weather requests/s ... and BENCH replay-memory KiB ...
set -eu

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
FLUXOSIM=${FLUXOSIM:-./fluxosim}
PYTHON=${PYTHON:-/usr/bin/python3}
REQUESTS=${REQUESTS:-1000000}
SERVICE=$srcdir/examples/weather/weather.service.json
ARCH=$srcdir/examples/weather/cand2.json

# shellcheck source=bench/bench_lib.sh
. "$srcdir/bench/bench_lib.sh"

[ -x /usr/bin/time ] || fail "/usr/bin/time is missing (Debian package: time)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "replay-weather: $REQUESTS popular requests on cand2, seed 1"
"$FLUXOSIM" trace gen weather --workload popular --requests "$REQUESTS" --seed 1 \
    --service "$SERVICE" -o "$out/w.trace"
best=0
for run in 1 2 3; do
    "$FLUXOSIM" replay "$out/w.trace" --arch "$ARCH" --quiet --format json -o "$out/r.json"
    rate=$("$PYTHON" -c 'import json,sys
d=json.load(open(sys.argv[1]))
assert d["completed"] == int(sys.argv[2]), d["completed"]
print(d["completed"] / d["sim"]["wall_s"])' "$out/r.json" "$REQUESTS") ||
        fail "replay did not complete $REQUESTS requests"
    echo "replay run $run/3: requests_per_s=$(fmt3 "$rate")"
    if greater "$rate" "$best"; then best=$rate; fi
done

# The engine's own rate: customers per second of M/M/1.
line=$(fluxosim_run 10000000)
mm1=$(awk -v e="$(kv events_per_s "$line")" 'BEGIN { print e / 2 }')
echo "engine M/M/1: customers_per_s=$(fmt3 "$mm1")"
echo "BENCH replay-weather requests/s fluxosim=$(fmt3 "$best") mm1-engine=$(fmt3 "$mm1") ratio=$(ratio "$best" "$mm1")"

# Peak memory: 10^6 against 10^7 requests, streamed.
peak() {
    "$FLUXOSIM" trace gen weather --workload popular --requests "$1" --seed 1 \
        --service "$SERVICE" -o - |
        /usr/bin/time -f '%M' -o "$out/rss" "$FLUXOSIM" replay - --arch "$ARCH" --quiet \
            --format csv -o "$out/m.csv"
    tail -1 "$out/rss"
}
small=$(peak 1000000)
large=$(peak 10000000)
echo "peak RSS: 10^6 requests $small KiB, 10^7 requests $large KiB"
growth=$(awk -v a="$small" -v b="$large" 'BEGIN { printf "%.3f\n", (b - a) / a }')
echo "BENCH replay-memory KiB fluxosim-1e7=$large fluxosim-1e6=$small ratio=$(ratio "$large" "$small")"
awk -v g="$growth" 'BEGIN { exit !(g < 0.2 && g > -0.2) }' ||
    fail "peak memory grew by $growth from 10^6 to 10^7 requests (limit 20%)"

# replay-distinct-keys: 10^7 requests over 10^7 distinct keys behind a cache
# holding about 10^4 of them, streamed through a pipe: memory must follow the
# keys the cache holds (entries and index), not the keys seen.
cat >"$out/one.service.json" <<'JSON'
{"service": "one", "entry": "work", "exit": "work",
 "nodes": [{"id": "work", "profile": "det:1us", "out_bytes": 1000}], "edges": []}
JSON
cat >"$out/one.json" <<'JSON'
{"name": "one", "service": "one.service.json",
 "pools": [{"id": "p", "nodes": ["work"], "servers": 100, "cost_per_hour": 0}],
 "caches": [{"id": "c", "from": "work", "to": "work", "pool": "p",
             "capacity_bytes": 10000000, "policy": "lru"}]}
JSON
"$FLUXOSIM" trace gen --service "$out/one.service.json" --arrivals poisson:100000 \
    --keys uniform:10000000 --requests 10000000 --seed 1 -o - |
    /usr/bin/time -f '%M' -o "$out/rss" "$FLUXOSIM" replay - --arch "$out/one.json" --quiet \
        --format csv -o "$out/k.csv"
keys_rss=$(tail -1 "$out/rss")
echo "BENCH replay-distinct-keys KiB fluxosim-1e7-keys=$keys_rss limit=65536 ratio=$(ratio "$keys_rss" 65536)"
greater 65536 "$keys_rss" ||
    fail "peak memory $keys_rss KiB replaying 10^7 distinct keys (limit 64 MiB)"
