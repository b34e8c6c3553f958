#!/bin/sh
# compare.sh - replay the three weather workloads against the five
# candidates and print the comparison table of the guide (Markdown).
#
#   examples/weather/compare.sh [FLUXOSIM] [REQUESTS]
#
# Run from the top of the source tree. Traces go to a temporary folder.
set -eu
fluxosim=${1:-./fluxosim}
requests=${2:-20000}
dir=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "| workload | candidate | mean ms | p99 ms | cost/h | hit ratio | stale responses |"
echo "|---|---|---|---|---|---|---|"
for w in popular longtail storm; do
    "$fluxosim" trace gen weather --workload "$w" --requests "$requests" --seed 1 \
        --service "$dir/weather.service.json" -o "$tmp/$w.trace"
    for c in 1 2 3 4 5; do
        "$fluxosim" replay "$tmp/$w.trace" --arch "$dir/cand$c.json" --quiet --format json \
            -o "$tmp/r.json"
        /usr/bin/python3 - "$tmp/r.json" "$w" "cand$c" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
caches = d["caches"]
hit = "%.3f" % caches[0]["hit_ratio"] if caches else "-"
print("| %s | %s | %.1f | %.1f | %.3f | %s | %d |" % (sys.argv[2], sys.argv[3],
      d["latency_ms"]["mean"], d["latency_ms"]["p99"], d["cost_per_hour"], hit,
      d["stale_responses"]))
PY
    done
done
