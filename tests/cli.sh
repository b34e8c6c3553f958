#!/bin/sh
# cli.sh - the fluxosim command, as a user calls it: help, version, the
# queue command's results, errors and exit codes, and atomic output.
set -eu
. "${srcdir:-.}/tests/lib.sh"

# --- help and version ------------------------------------------------------
run --version
expect_status "version" 0
expect_out "version prints the package version" '^fluxosim [0-9]+\.[0-9]+'

run --help
expect_status "help" 0
expect_out "help lists queue" '^  queue '
expect_out "help lists list" '^  list '
expect_out "help documents exit codes" 'Exit codes'

run help queue
expect_status "help queue" 0
expect_out "help queue shows options from the table" -- '--arrivals SPEC'
run queue --help
expect_out "queue --help is help queue" -- '--customers N'

run list distributions
expect_status "list distributions" 0
for fam in exp det uniform lognormal gamma weibull pareto hyperexp empirical; do
    expect_out "list distributions names $fam" "^$fam "
done
run list policies
expect_status "list policies" 0
for pol in lru fifo lfu clock sieve s3fifo; do
    expect_out "list policies names $pol" "^$pol "
done
run list balancers
expect_status "list balancers" 0
for bal in shared random round-robin jsq p2c; do
    expect_out "list balancers names $bal" "^$bal "
done

# --- usage errors: exit 2, one line ------------------------------------------
run
expect_status "no subcommand" 2
run frobnicate
expect_error "unknown subcommand" 2 'unknown subcommand "frobnicate"; expected one of replay, validate, .*queue, list, help'
run queue --no-such-option
expect_error "unknown option" 2 'unknown option "--no-such-option"'
run queue --customers 12abc
expect_error "strict integers" 2 'expected a non-negative integer, found "12abc"'
run queue --customers -5
expect_error "negative count" 2 'expected a non-negative integer, found "-5"'
run queue --speed nan
expect_error "nan speed" 2 'expected a finite number, found "nan"'
run queue --discipline lifo
expect_error "bad choice lists choices" 2 'expected one of fcfs, ps, delay, found "lifo"'
run queue --service lognormal:mean=5ms
expect_error "bad distribution spec" 2 'queue: --service: .*cv'
run queue --servers 0
expect_error "zero servers" 2 'servers: expected an integer from 1'
run queue --servers 2 --capacity 1
expect_error "capacity below servers" 2 'capacity: expected 0 or at least'
run queue --customers 10 --warmup 10
expect_error "warm-up swallows the run" 2 'expected more than --warmup'
run queue --seed
expect_error "option without value" 2 'seed expects N'
run list colours
expect_error "unknown list kind" 2 'unknown kind "colours"'
run help nothing
expect_error "help of unknown subcommand" 2 'expected one subcommand name'

# --- results ----------------------------------------------------------------
run queue --arrivals exp:1ms --service exp:2.4ms --servers 3 --customers 200000 --seed 7 --format json -o "$tmp/a.json"
expect_status "queue json to file" 0
if [ ! -s "$tmp/out" ] && [ -s "$tmp/a.json" ]; then ok "-o writes the file, not stdout"; else fail "-o writes the file, not stdout"; fi
if ls "$tmp" | grep -q '\.tmp\.'; then fail "no temporary file left" "$(ls "$tmp")"; else ok "no temporary file left"; fi
for key in requests completed failed dropped latency_ms.mean latency_ms.p50 latency_ms.p90 \
    latency_ms.p95 latency_ms.p99 latency_ms.p999 latency_ms.max throughput_rps cost_per_hour \
    stale_responses pools.0.id pools.0.servers pools.0.utilization pools.0.mean_queue \
    pools.0.mean_wait_ms sim.events sim.wall_s sim.events_per_s sim.seed theory.method; do
    if json_get "$tmp/a.json" "$key" >/dev/null 2>&1; then ok "result has $key"; else fail "result lacks $key"; fi
done
method=$(json_get "$tmp/a.json" theory.method)
[ "$method" = "erlang-c" ] && ok "M/M/3 compared with Erlang C" || fail "theory method is $method"
# Simulated mean within 5% of Erlang C at 2*10^5 customers (the tight
# statistical checks live in test_models); utilization 0.8 within 2%.
/usr/bin/python3 - "$tmp/a.json" <<'PY' && ok "queue agrees with Erlang C and rho" || fail "queue disagrees with theory"
import json, sys
d = json.load(open(sys.argv[1]))
m, t = d["latency_ms"]["mean"], d["theory"]["mean_ms"]
u = d["pools"][0]["utilization"]
assert abs(m - t) / t < 0.05, (m, t)
assert abs(u - 0.8) < 0.016, u
assert d["completed"] == 180000, d["completed"]
lat = d["latency_ms"]
assert lat["p50"] <= lat["p90"] <= lat["p95"] <= lat["p99"] <= lat["p999"] <= lat["max"]
PY

# Same seed: the same document apart from the wall-clock keys.
run queue --customers 50000 --seed 3 --format json -o "$tmp/b1.json"
run queue --customers 50000 --seed 3 --format json -o "$tmp/b2.json"
strip() { grep -v '"wall_s"\|"events_per_s"' "$1"; }
if [ "$(strip "$tmp/b1.json")" = "$(strip "$tmp/b2.json")" ]; then ok "same seed, same document"; else fail "same seed, different documents"; fi
run queue --customers 50000 --seed 4 --format json -o "$tmp/b3.json"
if [ "$(strip "$tmp/b1.json")" != "$(strip "$tmp/b3.json")" ]; then ok "another seed, another run"; else fail "seed ignored"; fi

run queue --customers 20000 --format csv
expect_status "csv" 0
if [ "$(wc -l <"$tmp/out")" -eq 2 ] && head -1 "$tmp/out" | grep -q '^customers,completed,dropped,mean_ms'; then ok "csv: header and one row"; else fail "csv shape" "$(cat "$tmp/out")"; fi

run queue --customers 20000 --capacity 2 --service exp:2ms
expect_status "table with capacity" 0
expect_out "table reports blocking" 'blocking'
expect_out "table names M/M/c/K" 'M/M/c/K'

# An unwritable destination: exit 1, nothing left behind.
run queue --customers 1000 -o "$tmp/no/such/dir/x.json"
expect_error "unwritable output" 1 'cannot create'
run queue --customers 1000 -o "$tmp"
expect_error "output is a directory" 1 'found a directory'
# An existing result survives a failed run.
echo keep >"$tmp/keep.json"
run queue --customers 1000 --service bogus -o "$tmp/keep.json"
if [ "$(cat "$tmp/keep.json")" = keep ]; then ok "failed run leaves the old file"; else fail "failed run clobbered the old file"; fi

finish
