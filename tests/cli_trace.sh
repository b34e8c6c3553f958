#!/bin/sh
# cli_trace.sh - `fluxosim trace gen` and `fluxosim trace stats` as a user
# calls them: generated files, their summaries, reproducibility, usage
# errors (exit 2), bad input (exit 3) and I/O failures (exit 1).
set -eu
. "${srcdir:-.}/tests/lib.sh"

src=$(cd "${srcdir:-.}" && pwd)
svc="$src/examples/weather/weather.service.json"
# The default --service is relative to the current directory: run from $src.
case $FLUXOSIM in /*) ;; *) FLUXOSIM=$(pwd)/$FLUXOSIM ;; esac

# --- help ---------------------------------------------------------------------
run help trace
expect_status "help trace" 0
expect_out "help trace shows the three forms" 'fluxosim trace gen weather'
expect_out "help trace shows options from the tables" -- '--workload NAME'
expect_out "help trace shows stats options" -- '--top K'

# --- gen weather --------------------------------------------------------------
run trace gen weather --service "$svc" --workload popular --requests 2000 --seed 3 -o "$tmp/p.trace"
expect_status "gen weather popular" 0
if [ ! -s "$tmp/out" ] && [ -s "$tmp/p.trace" ]; then ok "gen -o writes the file, not stdout"; else fail "gen -o writes the file, not stdout"; fi
if ls "$tmp" | grep -q '\.tmp'; then fail "no temporary file left" "$(ls "$tmp")"; else ok "no temporary file left"; fi
head -2 "$tmp/p.trace" >"$tmp/head"
if printf '#fluxotrace 1\n#service weather\n' | cmp -s - "$tmp/head"; then ok "trace headers"; else fail "trace headers" "$(cat "$tmp/head")"; fi
lines=$(grep -vc '^#' "$tmp/p.trace")
[ "$lines" -eq 2000 ] && ok "2000 request lines" || fail "$lines request lines, expected 2000"
if grep -v '^#' "$tmp/p.trace" | cut -f2 | grep -Eqv '^[0-9]{5}$'; then fail "keys are 5-digit ZIP codes"; else ok "keys are 5-digit ZIP codes"; fi
if grep -v '^#' "$tmp/p.trace" | head -1 | grep -Eq '	parse=[0-9.]+/[0-9]+/[0-9a-f]+	geocode=.*	forecast=.*	render=.*	log=[0-9.]+$'; then
    ok "a line has every node, log without hash"
else
    fail "line format" "$(grep -v '^#' "$tmp/p.trace" | head -1)"
fi

run trace gen weather --service "$svc" --workload popular --requests 2000 --seed 3 -o "$tmp/p2.trace"
cmp -s "$tmp/p.trace" "$tmp/p2.trace" && ok "same seed, same file" || fail "same seed, different files"
run trace gen weather --service "$svc" --workload popular --requests 2000 --seed 4 -o "$tmp/p3.trace"
cmp -s "$tmp/p.trace" "$tmp/p3.trace" && fail "another seed, same file" || ok "another seed, another file"

run trace gen weather --service "$svc" --requests 3
expect_status "gen to stdout" 0
expect_out "stdout holds the trace" '^#fluxotrace 1$'
[ "$(grep -vc '^#' "$tmp/out")" -eq 3 ] && ok "three lines on stdout" || fail "stdout: $(cat "$tmp/out")"

(cd "$src" && "$FLUXOSIM" trace gen weather --requests 5 -o "$tmp/d.trace") && ok "default --service from the source folder" || fail "default --service"

run trace gen weather --service "$svc" --workload storm --requests 2000 -o "$tmp/s.trace.gz"
expect_status "gen .gz" 0
magic=$(od -An -tx1 -N2 "$tmp/s.trace.gz" | tr -d ' ')
[ "$magic" = "1f8b" ] && ok ".gz output is gzip" || fail ".gz output starts with $magic"

# --- stats --------------------------------------------------------------------
run trace stats "$tmp/p.trace" --service "$svc" --top 3
expect_status "stats table" 0
expect_out "stats counts requests" '^requests +2000$'
expect_out "stats names the service" '^service +weather$'
expect_out "stats shows the rate" '^mean rate +[0-9.]+ requests per second'
expect_out "stats lists distinct keys" '^distinct keys +[0-9]+$'
expect_out "stats has a row per node" '^forecast +2000 '
expect_out "stats lists top keys" '^top keys'
[ "$(grep -Ec '^[0-9]{5} +[0-9]+ +[0-9.]+%$' "$tmp/out")" -eq 3 ] && ok "--top 3 lists three keys" || fail "--top 3" "$(tail -4 "$tmp/out")"

run trace stats "$tmp/p.trace" --service "$svc" --format json --top 4 -o "$tmp/p.json"
expect_status "stats json" 0
for m in thread inline; do
    run trace stats "$tmp/p.trace" --service "$svc" --format json --top 4 --reader $m -o "$tmp/p-$m.json"
    expect_status "stats --reader $m" 0
    if cmp -s "$tmp/p.json" "$tmp/p-$m.json"; then ok "stats --reader $m: the same summary"; else fail "stats --reader $m: another summary"; fi
done
run trace stats "$tmp/p.trace" --service "$svc" --reader fast
expect_error "stats --reader fast" 2 "--reader: expected one of auto, thread, inline"
[ "$(json_get "$tmp/p.json" requests)" = 2000 ] && ok "json requests" || fail "json requests"
for key in trace service span_s rate_rps rate_by_quarter_rps.3 distinct_keys nodes.0.id \
    nodes.0.demand_us.mean nodes.0.demand_us.cv nodes.0.bytes.mean nodes.0.distinct_hashes \
    top_keys.3.key top_keys.3.count top_keys.3.share; do
    if json_get "$tmp/p.json" "$key" >/dev/null 2>&1; then ok "stats json has $key"; else fail "stats json lacks $key"; fi
done

# The workloads say what they are meant to say.
for w in popular longtail storm; do
    run trace gen weather --service "$svc" --workload $w --requests 20000 --seed 1 -o "$tmp/$w.trace"
    run trace stats "$tmp/$w.trace" --service "$svc" --format json --top 300 -o "$tmp/$w.json"
    expect_status "stats $w" 0
done
/usr/bin/python3 - "$tmp" <<'PY' && ok "popular: top 300 keys carry most requests" || fail "popular concentration"
import json, sys
d = json.load(open(sys.argv[1] + "/popular.json"))
assert sum(k["share"] for k in d["top_keys"]) > 0.7
assert 180 < d["rate_rps"] < 220, d["rate_rps"]
PY
/usr/bin/python3 - "$tmp" <<'PY' && ok "longtail: many keys, few geocode outputs" || fail "longtail shape"
import json, sys
d = json.load(open(sys.argv[1] + "/longtail.json"))
geo = [n for n in d["nodes"] if n["id"] == "geocode"][0]
assert d["distinct_keys"] > 10000, d["distinct_keys"]
assert geo["distinct_hashes"] <= 500, geo["distinct_hashes"]
assert sum(k["share"] for k in d["top_keys"]) < 0.1
PY
/usr/bin/python3 - "$tmp" <<'PY' && ok "storm: rate climbs, forecasts change" || fail "storm shape"
import json, sys
s = json.load(open(sys.argv[1] + "/storm.json"))
p = json.load(open(sys.argv[1] + "/popular.json"))
q = s["rate_by_quarter_rps"]
assert q[0] < q[1] < q[2] < q[3] and q[3] > 2 * q[0], q
fc = lambda d: [n for n in d["nodes"] if n["id"] == "forecast"][0]["distinct_hashes"]
assert fc(s) > 1.5 * fc(p), (fc(s), fc(p))
PY

run trace gen --service "$svc" --arrivals poisson:500 --keys uniform:7 --requests 500 -o "$tmp/g.trace"
expect_status "generic gen" 0
if grep -v '^#' "$tmp/g.trace" | cut -f2 | grep -Eqv '^[1-7]$'; then fail "generic keys are ranks 1..7"; else ok "generic keys are ranks 1..7"; fi
run trace stats "$tmp/g.trace" --service "$svc"
expect_out "generic: 7 distinct keys" '^distinct keys +7$'
run trace stats "$tmp/s.trace.gz" --service "$svc"
expect_out "stats reads gzip" '^requests +2000$'

# --- usage errors: exit 2, one line ---------------------------------------------
run trace
expect_error "trace alone" 2 'trace: expected gen or stats, found nothing'
run trace frob
expect_error "unknown trace subcommand" 2 'expected gen or stats, found "frob"'
run trace gen --requests 5
expect_error "gen needs --service" 2 'expected --service FILE'
run trace gen --service "$svc" --keys zipf:0,10
expect_error "zipf exponent" 2 '--keys: .*ALPHA above 0'
run trace gen --service "$svc" --keys zipf:1.1
expect_error "zipf without N" 2 'expected zipf:ALPHA,N'
run trace gen --service "$svc" --keys uniform:12abc
expect_error "strict key count" 2 'found "12abc"'
run trace gen --service "$svc" --arrivals poisson:-3
expect_error "negative rate" 2 '--arrivals: .*RATE'
run trace gen --service "$svc" --arrivals often:3
expect_error "unknown arrivals family" 2 'expected poisson:RATE or an inter-arrival distribution'
run trace gen --service "$svc" --requests 0
expect_error "zero requests" 2 'requests: expected an integer from 1'
run trace gen --service "$svc" weather
expect_error "weather after options" 2 'the weather generator is'
run trace gen weather --workload sunny
expect_error "unknown workload" 2 'expected one of popular, longtail, storm, found "sunny"'
run trace gen weather --rate 0
expect_error "zero rate" 2 'rate: expected requests per second above 0'
run trace gen weather --keys uniform:5
expect_error "generic option in weather" 2 'unknown option "--keys"'
run trace stats
expect_error "stats without a trace" 2 'expected a TRACE file'
run trace stats a.trace b.trace
expect_error "stats with two traces" 2 'expected one TRACE file'
run trace stats "$tmp/p.trace" --format xml
expect_error "stats format" 2 'expected one of table, json'

# --- bad input: exit 3; I/O: exit 1 ------------------------------------------------
printf '{"service": "weather", "entry": "parse",\n' >"$tmp/bad.service.json"
run trace gen weather --service "$tmp/bad.service.json"
expect_error "bad service JSON" 3 'bad.service.json:'
cat >"$tmp/np.service.json" <<'EOF'
{"service": "np", "entry": "a", "exit": "b",
 "nodes": [{"id": "a", "profile": "exp:1ms"}, {"id": "b"}],
 "edges": [["a", "b"]]}
EOF
run trace gen --service "$tmp/np.service.json" -o "$tmp/np.trace"
expect_error "node without profile" 3 'node "b" has no profile'
[ ! -e "$tmp/np.trace" ] && ok "no trace after a failure" || fail "a trace was left"
run trace gen weather --service "$tmp/np.service.json"
expect_error "weather needs the weather nodes" 3 'expected the weather service'
run trace stats "$tmp/p.trace" --service "$tmp/np.service.json"
expect_error "stats: service mismatch" 3 'the trace is of service "weather"'
printf '#fluxotrace 1\n#service weather\n1000\t94110\tparse=1/2/zz\n' >"$tmp/bad.trace"
run trace stats "$tmp/bad.trace" --service "$svc"
expect_error "stats: bad trace line" 3 'bad.trace:3:'
run trace gen weather --service "$tmp/none.service.json"
expect_error "missing service file" 1 'none.service.json'
run trace stats "$tmp/none.trace" --service "$svc"
expect_error "missing trace" 1 'none.trace'
run trace gen weather --service "$svc" --requests 5 -o "$tmp/no/such/dir.trace"
expect_error "unwritable output" 1 'dir.trace'

finish
