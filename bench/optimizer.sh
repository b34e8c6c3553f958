#!/bin/sh
# optimizer.sh - how many evaluations the search strategies need to find
# the optimum of the weather space, against exhaustive search.
#
# anneal-vs-exhaustive, greedy-vs-exhaustive: on a short popular weather
# trace (REQUESTS, default 5000), exhaustive search evaluates every
# candidate of examples/weather/weather.space.json (2223) and finds the
# optimum. Each strategy then runs with the same seed (the replays depend
# on it, so each seed has its own exhaustive run) and a budget of a third
# of the space; the evaluations it needs is the index, in its log, of the
# first feasible candidate within 1% of the exhaustive optimum's objective
# (the budget when it never gets there). The BENCH lines give the mean over
# SEEDS against exhaustive's count; the target is a ratio of at most 0.25.
#
# Environment: FLUXOSIM, PYTHON, srcdir (as the other scripts), REQUESTS,
# WORKLOAD (popular), SEEDS ("1 2 3"), JOBS (2).
# Last lines: BENCH anneal-vs-exhaustive evals ... and BENCH greedy-vs-exhaustive evals ...
set -eu

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
FLUXOSIM=${FLUXOSIM:-./fluxosim}
PYTHON=${PYTHON:-/usr/bin/python3}
REQUESTS=${REQUESTS:-5000}
WORKLOAD=${WORKLOAD:-popular}
SEEDS=${SEEDS:-1 2 3}
JOBS=${JOBS:-2}
SERVICE=$srcdir/examples/weather/weather.service.json
SPACE=$srcdir/examples/weather/weather.space.json
TARGET=0.25

# shellcheck source=bench/bench_lib.sh
. "$srcdir/bench/bench_lib.sh"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The optimum of an exhaustive log: "COUNT BEST_OBJECTIVE".
EXHAUSTIVE='
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
feasible = [float(r["objective"]) for r in rows if r["feasible"] == "1"]
if not feasible:
    sys.exit("FAIL: exhaustive found no feasible candidate")
print(len(rows), repr(min(feasible)))
'
# The evaluations a log needed to come within 1% of OPT: "N reached" or
# "BUDGET missed".
REACHED='
import csv, sys
opt, budget = float(sys.argv[2]), sys.argv[3]
for r in csv.DictReader(open(sys.argv[1])):
    if r["feasible"] == "1" and float(r["objective"]) <= opt + 0.01 * abs(opt):
        print(r["index"], "reached")
        break
else:
    print(budget, "missed")
'

echo "optimizer: $WORKLOAD trace of $REQUESTS requests, space $SPACE, seeds $SEEDS, -j $JOBS"
"$FLUXOSIM" trace gen weather --workload "$WORKLOAD" --requests "$REQUESTS" --seed 1 \
    --service "$SERVICE" -o "$out/w.trace"

total=0
anneal=0
greedy=0
nseeds=0
for seed in $SEEDS; do
    "$FLUXOSIM" optimize "$out/w.trace" --space "$SPACE" --strategy exhaustive --seed "$seed" \
        --max-evals 1000000 -j "$JOBS" --quiet --log "$out/exhaustive.csv" >"$out/summary" ||
        fail "exhaustive search failed (seed $seed)"
    set -- $("$PYTHON" -c "$EXHAUSTIVE" "$out/exhaustive.csv") || fail "no exhaustive optimum"
    count=$1 opt=$2
    budget=$((count / 3))
    echo "seed $seed: exhaustive evaluated $count candidates, optimum $(fmt3 "$opt")"
    total=$count
    for s in anneal greedy; do
        "$FLUXOSIM" optimize "$out/w.trace" --space "$SPACE" --strategy "$s" --seed "$seed" \
            --budget "$budget" -j "$JOBS" --quiet --log "$out/$s.csv" >"$out/summary" ||
            fail "$s failed (seed $seed)"
        set -- $("$PYTHON" -c "$REACHED" "$out/$s.csv" "$opt" "$budget")
        echo "seed $seed: $s needed $1 evaluations ($2; budget $budget)"
        eval "$s=\$((\$$s + $1))"
    done
    nseeds=$((nseeds + 1))
done
[ "$nseeds" -gt 0 ] || fail "SEEDS is empty"

a=$(awk -v s="$anneal" -v n="$nseeds" 'BEGIN { printf "%.1f\n", s / n }')
g=$(awk -v s="$greedy" -v n="$nseeds" 'BEGIN { printf "%.1f\n", s / n }')
for pair in "anneal $a" "greedy $g"; do
    set -- $pair
    r=$(ratio "$2" "$total")
    if greater "$r" "$TARGET"; then verdict="missed"; else verdict="met"; fi
    echo "$1: mean $2 evaluations over $nseeds seeds, ratio $r (target <= $TARGET: $verdict)"
done
echo "BENCH anneal-vs-exhaustive evals fluxosim-anneal=$a exhaustive=$total ratio=$(ratio "$a" "$total")"
echo "BENCH greedy-vs-exhaustive evals fluxosim-greedy=$g exhaustive=$total ratio=$(ratio "$g" "$total")"
