#!/bin/sh
# cli_optimize.sh - `fluxosim optimize` as a user runs it: the written best
# candidate replays to the logged metrics exactly, the log, determinism
# across -j, screening, --pareto, usage errors, bad spaces and the
# exhaustive limit.
set -eu
. "${srcdir:-.}/tests/lib.sh"

# a -> b -> c (the exit), a -> d (a log); b is slow, its output depends on
# the key only. 3000 requests 0.5 ms apart over 30 keys.
cat >"$tmp/s.service.json" <<'JSON'
{"service": "s", "entry": "a", "exit": "c",
 "nodes": [{"id": "a", "profile": "exp:100us"}, {"id": "b", "profile": "exp:2ms", "volatile_s": 60},
           {"id": "c", "profile": "exp:300us"}, {"id": "d", "profile": "exp:50us", "side_effects": true}],
 "edges": [["a", "b"], ["b", "c"], ["a", "d"]]}
JSON
cat >"$tmp/base.json" <<'JSON'
{"name": "base", "service": "s.service.json",
 "pools": [{"id": "front", "nodes": ["a", "c", "d"], "servers": 1, "cost_per_hour": 0.1},
           {"id": "back", "nodes": ["b"], "servers": 4, "cost_per_hour": 0.05}],
 "network": {"hop": "det:100us"}}
JSON
/usr/bin/python3 - "$tmp/s.trace" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("#fluxotrace 1\n#service s\n")
    for i in range(3000):
        k = (i * 7919) % 30 if i % 3 else i % 4
        f.write("%d\tk%d\ta=%d/10/%x\tb=%d/100/%x\tc=%d/100/%x\td=50\n"
                % (500 * (i + 1), k, 80 + i % 40, k + 1, 1200 + (i * 37) % 1600, 1000 + k,
                   250 + i % 100, 2000 + k))
PY
# back 1..4, no cache or one over b..b or b..c, log edge sync or async: 24.
cat >"$tmp/s.space.json" <<'JSON'
{"base": "base.json",
 "vars": {"servers": {"back": [1, 4]},
          "caches": {"placements": [["b", "b"], ["b", "c"]], "pools": ["front"],
                     "capacity_bytes": [100000], "policies": ["lru"]},
          "async_edges": "auto"},
 "objective": {"minimize": "cost_per_hour", "subject_to": {"latency_ms.p99": 6}}}
JSON

mkdir "$tmp/dest"
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive \
    -o "$tmp/dest/best.json" --log "$tmp/evals.csv" -q
expect_status "exhaustive" 0
expect_out "summary names the space's size" 's.space.json \(base .*base.json, 24 candidates\)'
expect_out "summary: the objective" 'minimize cost_per_hour subject to latency_ms.p99 <= 6'
expect_out "summary: every candidate" 'exhaustive, seed 1: 24 evaluations .* every candidate was evaluated'
expect_out "summary: the best" '^best +#[0-9]+ \(base-[0-9]+\), feasible'
expect_out "summary: changes from the base" '^servers.back +4 +[1-3] +\*'
best=$(sed -n 's/^best *#\([0-9]*\) .*/\1/p' "$tmp/out")

if head -1 "$tmp/evals.csv" | grep -q '^index,strategy,step,trace,servers.back,cache1.placement,cache1.pool,cache1.capacity_bytes,cache1.policy,async.a->d,objective,cost_per_hour,latency_ms.p99,feasible,chosen,reason,wall_s$'; then
    ok "log header"
else
    fail "log header" "$(head -1 "$tmp/evals.csv")"
fi
if [ "$(wc -l <"$tmp/evals.csv")" -eq 25 ]; then ok "one log row per candidate"; else fail "log rows: $(wc -l <"$tmp/evals.csv")"; fi

# The written candidate: valid, its service path rewritten for its folder,
# and a replay with the same seed gives the logged metrics exactly.
if [ "$(json_get "$tmp/dest/best.json" service)" = "../s.service.json" ]; then ok "service path relative to -o"; else fail "service path: $(json_get "$tmp/dest/best.json" service)"; fi
run validate "$tmp/dest/best.json"
expect_status "best.json validates" 0
run replay "$tmp/s.trace" --arch "$tmp/dest/best.json" --format json -o "$tmp/r.json"
expect_status "best.json replays" 0
/usr/bin/python3 - "$tmp/evals.csv" "$tmp/r.json" "$best" <<'PY' && ok "replay reproduces the logged metrics exactly" || fail "replay differs from the log"
import csv, json, sys
rows = {r["index"]: r for r in csv.DictReader(open(sys.argv[1]))}
row, doc = rows[sys.argv[3]], json.load(open(sys.argv[2]))
assert float(row["cost_per_hour"]) == doc["cost_per_hour"], (row["cost_per_hour"], doc["cost_per_hour"])
assert float(row["latency_ms.p99"]) == doc["latency_ms"]["p99"], (row["latency_ms.p99"], doc["latency_ms"]["p99"])
assert float(row["objective"]) == doc["cost_per_hour"]
assert row["feasible"] == "1" and doc["latency_ms"]["p99"] <= 6
assert row["chosen"] == "1" and sum(r["chosen"] == "1" for r in rows.values()) == 1
# The best is the cheapest feasible row.
feasible = [r for r in rows.values() if r["feasible"] == "1"]
assert min(float(r["objective"]) for r in feasible) == float(row["objective"])
# Infeasible rows say why.
for r in rows.values():
    assert (r["feasible"] == "1") == (r["reason"] == ""), r
PY

# -j 2 gives the same log (wall times apart) and the same best.
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive -j 2 \
    --log "$tmp/evals2.csv" -q
sed "s/,[^,]*$//" "$tmp/evals.csv" >"$tmp/a.cut"
sed "s/,[^,]*$//" "$tmp/evals2.csv" >"$tmp/b.cut"
if cmp -s "$tmp/a.cut" "$tmp/b.cut"; then ok "-j 2: the same log"; else fail "-j 2 log differs"; fi

for s in greedy anneal; do
    run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy $s --budget 12 \
        --log "$tmp/$s.csv" -q -j 2
    expect_status "$s" 0
    expect_out "$s: summary" "^search +$s, seed 1: 12 evaluations \(budget 12\)"
    if [ "$(cut -d, -f2 "$tmp/$s.csv" | sort -u | tr '\n' ' ')" = "$s strategy " ]; then ok "$s: strategy column"; else fail "$s: strategy column"; fi
    run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy $s --budget 12 \
        --log "$tmp/$s-2.csv" -q
    sed "s/,[^,]*$//" "$tmp/$s.csv" >"$tmp/a.cut"
    sed "s/,[^,]*$//" "$tmp/$s-2.csv" >"$tmp/b.cut"
    if cmp -s "$tmp/a.cut" "$tmp/b.cut"; then ok "$s: same seed, same log for -j 1 and -j 2"; else fail "$s: -j changes the log"; fi
done

# Anneal's independent chains: the first round after the base holds every
# chain's --batch neighbours of the base (3 x 2 candidates, step 0), the log
# does not depend on -j, and one chain proposes only --batch of them.
for j in 1 2; do
    run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy anneal --budget 10 \
        --chains 3 --batch 2 --seed 4 --log "$tmp/chains$j.csv" -q -j $j
    expect_status "--chains 3 -j $j" 0
    sed "s/,[^,]*$//" "$tmp/chains$j.csv" >"$tmp/chains$j.cut"
done
if cmp -s "$tmp/chains1.cut" "$tmp/chains2.cut"; then ok "--chains 3: the same log for -j 1 and -j 2"; else fail "--chains 3: -j changes the log"; fi
/usr/bin/python3 - "$tmp/chains1.csv" 6 <<'PY' && ok "--chains 3 --batch 2: up to 6 neighbours of the base first" || fail "--chains 3 round"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
want = int(sys.argv[2])
first = [r for r in rows if r["step"] == "0"]
# Repeated proposals are memoized, not logged: more than one chain's 2,
# at most 3 x 2, besides the base.
assert 3 < len(first) <= 1 + want, len(first)
vars_ = [k for k in rows[0] if k.startswith("servers.")]
base = [first[0][k] for k in vars_]
for r in first[1:]:
    # A neighbour changes one variable of the base.
    assert sum(r[k] != b for k, b in zip(vars_, base)) <= 1, r
PY
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy anneal --budget 10 \
    --batch 2 --seed 4 --log "$tmp/chains-one.csv" -q
/usr/bin/python3 - "$tmp/chains-one.csv" <<'PY' && ok "--chains 1: 2 neighbours in the first round" || fail "--chains 1 round"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len([r for r in rows if r["step"] == "0"]) <= 3
PY
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy anneal --chains 0
expect_error "--chains 0" 2 "--chains: expected 1 to 256"
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy anneal --chains 256 --batch 8
expect_error "--chains x --batch too large" 2 "--chains x --batch at most 1024, found 256 x 8"

# Screening: scored on half the keys, the best 2 confirmed.
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive --screen 0.5 \
    --confirm 2 --log "$tmp/screen.csv" -q
expect_status "--screen" 0
expect_out "--screen reports what it screened out" '24 candidates scored, 2 confirmed on the whole trace, 22 screened out'
if [ "$(grep -c ',full,' "$tmp/screen.csv")" -eq 2 ] && [ "$(grep -c ',sample,' "$tmp/screen.csv")" -eq 24 ]; then ok "--screen: 24 sample rows, 2 full"; else fail "--screen rows"; fi

# --screen analytic: the queueing model prunes before any replay, with a
# margin, and the answer stays the exhaustive one.
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive --log "$tmp/plain.csv" -q
grep '^best' "$tmp/out" >"$tmp/best.plain"
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive --screen analytic \
    --margin 0.5 --log "$tmp/analytic.csv" -q
expect_status "--screen analytic" 0
expect_out "--screen analytic reports what it pruned" 'screening   analytic model, margin 0.5: [0-9]+ of 24 candidates pruned before any replay'
grep '^best' "$tmp/out" | cmp -s - "$tmp/best.plain" && ok "--screen analytic keeps the best candidate" || fail "--screen analytic changed the best" "$(grep '^best' "$tmp/out")"
pruned=$(grep -c ',analytic,' "$tmp/analytic.csv" || true)
said=$(sed -n 's/.*margin 0.5: \([0-9]*\) of.*/\1/p' "$tmp/out")
[ "$pruned" = "$said" ] && [ "$pruned" -gt 0 ] && ok "the log marks the $pruned pruned rows" || fail "log has $pruned analytic rows, summary says $said"
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive --screen closely
expect_error "--screen with a bad value" 2 'screen: expected a fraction between 0 and 1 \(exclusive\) or "analytic", found "closely"'

# --pareto: the non-dominated set, one file each.
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive --pareto \
    -o "$tmp/dest/front.json" -q
expect_status "--pareto" 0
expect_out "--pareto table" '^pareto set: [0-9]+ candidates'
if [ -s "$tmp/dest/front-1.json" ]; then ok "--pareto writes front-1.json"; else fail "--pareto wrote no front-1.json" "$(ls "$tmp/dest")"; fi

# The trace on standard input.
run optimize - --space "$tmp/s.space.json" --strategy exhaustive --log "$tmp/stdin.csv" -q <"$tmp/s.trace"
expect_status "trace on stdin" 0
sed "s/,[^,]*$//" "$tmp/stdin.csv" >"$tmp/b.cut"
sed "s/,[^,]*$//" "$tmp/evals.csv" >"$tmp/a.cut"
if cmp -s "$tmp/a.cut" "$tmp/b.cut"; then ok "stdin: the same log"; else fail "stdin log differs"; fi

# Usage errors: exit 2, one line.
run optimize --space "$tmp/s.space.json" --strategy greedy
expect_error "no trace" 2 'optimize: expected a trace file'
run optimize "$tmp/s.trace" --strategy greedy
expect_error "no space" 2 'optimize: expected --space FILE'
run optimize "$tmp/s.trace" --space "$tmp/s.space.json"
expect_error "no strategy" 2 'optimize: expected --strategy NAME'
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy tabu
expect_error "unknown strategy" 2 'unknown strategy "tabu"; expected one of exhaustive, greedy, anneal'
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy greedy --screen 1.5
expect_error "--screen 1.5" 2 '--screen: expected a fraction between 0 and 1'
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy greedy -j 0
expect_error "-j 0" 2 '--jobs: expected 1 to 1024, found 0'
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy anneal --cooling 1
expect_error "--cooling 1" 2 '--cooling: expected a number between 0 and 1'
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy greedy --budget 0
expect_error "--budget 0" 2 '--budget: expected a positive integer'
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy greedy -o "$tmp/s.trace"
expect_error "-o over the trace" 2 'expected an output file apart from the inputs'
# --mpi: a build without MPI refuses it as a usage error; a build with it
# wants mpirun -n K, K >= 2 (tests/cluster/mpi.sh runs that), and alone
# says so. The timeout guards MPI's start without mpirun.
set +e
timeout 60 "$FLUXOSIM" optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy greedy \
    --mpi >"$tmp/out" 2>"$tmp/err"
status=$?
set -e
if grep -q 'built without MPI' "$tmp/err"; then
    expect_error "--mpi without MPI" 2 'optimize: --mpi: this fluxosim was built without MPI \(\./configure --with-mpi\)$'
else
    expect_status "--mpi without mpirun" 2
    if grep -q '^fluxosim: error: optimize: --mpi: expected at least 2 processes' "$tmp/err"; then
        ok "--mpi without mpirun: says it needs mpirun -n K"
    else
        fail "--mpi without mpirun" "$(cat "$tmp/err")"
    fi
fi
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy greedy --frobnicate
expect_status "unknown option" 2

# A bad space: exit 3, the file and the JSON path.
sed 's/"back": \[1, 4\]/"bak": [1, 4]/' "$tmp/s.space.json" >"$tmp/bad.space.json"
run optimize "$tmp/s.trace" --space "$tmp/bad.space.json" --strategy greedy
expect_error "unknown pool" 3 'bad.space.json: vars.servers.bak: unknown pool "bak"; expected one of front, back'
sed 's/"latency_ms.p99": 6/"latency_ms.p99": "fast"/' "$tmp/s.space.json" >"$tmp/bad.space.json"
run optimize "$tmp/s.trace" --space "$tmp/bad.space.json" --strategy greedy
expect_error "bad bound" 3 'bad.space.json: objective.subject_to.latency_ms.p99: expected a number or a percentage'
sed 's/\["b", "c"\]\]/["a", "c"]]/' "$tmp/s.space.json" >"$tmp/bad.space.json"
run optimize "$tmp/s.trace" --space "$tmp/bad.space.json" --strategy greedy
expect_error "invalid placement" 3 'vars.caches.placements\[1\]: expected a valid placement, found a..c: path "a" -> "d" leaves'
printf '{"base": "base.json", "vars": {"servers": {"back": [1, 4]}},}' >"$tmp/bad.space.json"
run optimize "$tmp/s.trace" --space "$tmp/bad.space.json" --strategy greedy
expect_error "JSON syntax" 3 'bad.space.json:1:[0-9]+: invalid JSON'

# Exhaustive refuses a space beyond --max-evals, with the count.
run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive --max-evals 10
expect_error "exhaustive limit" 4 'exhaustive: the space holds 24 candidates, more than --max-evals 10; raise --max-evals'

# No feasible candidate: the summary and log are written, exit 1.
sed 's/"latency_ms.p99": 6/"latency_ms.p99": 0.001/' "$tmp/s.space.json" >"$tmp/tight.space.json"
set +e
"$FLUXOSIM" optimize "$tmp/s.trace" --space "$tmp/tight.space.json" --strategy exhaustive \
    -o "$tmp/none.json" --log "$tmp/none.csv" >"$tmp/out" 2>"$tmp/err"
status=$?
set -e
expect_error_lines=$(wc -l <"$tmp/err")
if [ "$status" -eq 1 ] && [ "$expect_error_lines" -eq 1 ] && grep -q 'no candidate meets the constraints' "$tmp/err" &&
    grep -q '^best .*none feasible' "$tmp/out" && [ ! -e "$tmp/none.json" ] && [ -s "$tmp/none.csv" ]; then
    ok "no feasible candidate: exit 1, log and summary, no -o"
else
    fail "no feasible candidate" "status $status" "$(cat "$tmp/err")"
fi

run list strategies
expect_status "list strategies" 0
expect_out "list strategies: exhaustive" '^exhaustive '
expect_out "list strategies: anneal" '^anneal '

run help optimize
expect_out "help optimize" '^usage: fluxosim optimize TRACE --space FILE --strategy NAME'

run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive --rate-scale 0
expect_error "--rate-scale 0" 2 'rate-scale: expected a positive number from 1e-6 to 1e6, found 0'

# --plot DIR draws the front and the convergence through the plot code.
if command -v "${GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    run optimize "$tmp/s.trace" --space "$tmp/s.space.json" --strategy exhaustive \
        --plot "$tmp/ofigs" --quiet
    expect_status "--plot" 0
    for f in pareto convergence; do
        if head -c 400 "$tmp/ofigs/$f.svg" 2>/dev/null | grep -q '<svg'; then
            ok "--plot draws $f.svg"
        else
            fail "--plot drew no $f.svg" "$(ls "$tmp/ofigs" 2>&1)"
        fi
    done
    [ -s "$tmp/ofigs/evals.csv" ] && ok "--plot without --log keeps the log it drew from" || fail "no evals.csv"
else
    echo "skip --plot: no gnuplot"
fi

finish
