#!/bin/sh
# cli_plot.sh - `fluxosim plot` as a user runs it: every kind rendered to
# PNG and SVG (and PDF when gnuplot has pdfcairo), scripts that are the same
# byte for byte and rerun from anywhere, a clear error without gnuplot, and
# one error line per bad input.
set -eu
. "${srcdir:-.}/tests/lib.sh"

gp=${GNUPLOT:-gnuplot}
if ! command -v "$gp" >/dev/null 2>&1; then
    echo "SKIP: no gnuplot ($gp) on PATH: fluxosim plot needs it to render figures"
    exit 77
fi
terminals=$("$gp" -d -e 'print GPVAL_TERMINALS' 2>&1)
formats="png svg"
case " $terminals " in *" pdfcairo "*) formats="$formats pdf" ;; esac
echo "gnuplot terminals: $terminals"

# magic FILE FORMAT: the file is non-empty and starts as FORMAT does.
magic() {
    [ -s "$1" ] || return 1
    case $2 in
    png) [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '211PNG' ] ;;
    svg) head -c 512 "$1" | grep -q '<svg' ;;
    pdf) [ "$(head -c 4 "$1")" = '%PDF' ] ;;
    esac
}

# --- inputs: replays of a small generated trace, hand-written CSVs -------------
cat >"$tmp/s.service.json" <<'JSON'
{"service": "s", "entry": "a", "exit": "b",
 "nodes": [{"id": "a", "profile": "exp:200us"}, {"id": "b", "profile": "lognormal:mean=2ms,cv=2"}],
 "edges": [["a", "b"]]}
JSON
cat >"$tmp/small.json" <<'JSON'
{"name": "small", "service": "s.service.json",
 "pools": [{"id": "front", "nodes": ["a"], "servers": 1, "cost_per_hour": 0.5},
           {"id": "back", "nodes": ["b"], "servers": 3, "cost_per_hour": 0.25}],
 "network": {"hop": "det:100us"}}
JSON
cat >"$tmp/big.json" <<'JSON'
{"name": "big", "service": "s.service.json",
 "pools": [{"id": "front", "nodes": ["a"], "servers": 2, "cost_per_hour": 0.5},
           {"id": "back", "nodes": ["b"], "servers": 8, "partitions": 2, "cost_per_hour": 0.25}],
 "network": {"hop": "det:100us"}}
JSON
for w in light heavy; do
    rate=600
    [ $w = heavy ] && rate=1200
    run trace gen --service "$tmp/s.service.json" --arrivals "poisson:$rate" --keys zipf:1,500 \
        --requests 3000 --seed 3 -o "$tmp/$w.trace"
    expect_status "trace gen $w" 0
    for a in small big; do
        run replay "$tmp/$w.trace" --arch "$tmp/$a.json" --quiet --format json \
            -o "$tmp/$w-$a.json" --latency-out "$tmp/$w-$a.lat"
        expect_status "replay $w on $a" 0
    done
done
if grep -q '"latency_hist"' "$tmp/light-small.json"; then
    ok "result documents carry latency_hist"
else
    fail "result documents lack latency_hist (models/result.c)"
fi

cat >"$tmp/opt.csv" <<'CSV'
index,strategy,candidate,cost_per_hour,latency_ms.p99,feasible,objective
1,anneal,c1,0.44,336.6,0,
2,anneal,c2,0.45,128.2,1,0.45
3,anneal,c3,0.47,57.8,1,0.47
4,anneal,c4,1.92,321.9,1,1.92
5,anneal,c5,0.60,45.0,1,0.60
6,anneal,c6,0.52,80.1,yes,0.52
CSV
cat >"$tmp/rnd.csv" <<'CSV'
index,candidate,cost_per_hour,p99_ms,feasible,objective
0,r1,0.80,200,1,0.80
1,r2,0.44,400,false,
2,r3,0.62,70,1,0.62
3,"r,4",0.50,140,1,0.50
CSV
cat >"$tmp/sweep.csv" <<'CSV'
workload,rate_scale,policy,latency_ms.p99,latency_ms.p99_ci95,cost_per_hour,cost_per_hour_ci95
light,1,lru,12.5,0.5,0.45,0
light,2,lru,20.1,1.5,0.45,0
light,1,s3fifo,11.0,0.4,0.45,0
light,2,s3fifo,18.0,1.1,0.45,0
heavy,1,lru,30.0,2.0,0.45,0
heavy,2,lru,70.0,6.0,0.45,0
heavy,1,s3fifo,28.0,1.8,0.45,0
heavy,2,s3fifo,60.0,5.0,0.45,0
CSV
cat >"$tmp/lru.mrc.csv" <<'CSV'
capacity_bytes,requests,hits,misses,hit_ratio,byte_hit_ratio
65536,1000,100,900,0.1,0.08
1048576,1000,400,600,0.4,0.35
16777216,1000,800,200,0.8,0.75
268435456,1000,950,50,0.95,0.93
CSV

# set_args KIND: $args, the inputs of a figure of KIND.
set_args() {
    case $1 in
    cdf) args="fast=$tmp/light-big.lat $tmp/light-small.lat $tmp/heavy-small.json" ;;
    compare) args="light=$tmp/light-small.json light=$tmp/light-big.json heavy=$tmp/heavy-small.json heavy=$tmp/heavy-big.json" ;;
    pareto) args="$tmp/opt.csv $tmp/rnd.csv" ;;
    sweep) args="$tmp/sweep.csv" ;;
    mrc) args="lru=$tmp/lru.mrc.csv" ;;
    convergence) args="$tmp/opt.csv random=$tmp/rnd.csv" ;;
    util) args="$tmp/heavy-big.json" ;;
    esac
}

mkdir "$tmp/a" "$tmp/b" "$tmp/c"
for kind in cdf compare pareto sweep mrc convergence util; do
    set_args "$kind"
    for fmt in $formats; do
        # shellcheck disable=SC2086
        run plot "$kind" $args -o "$tmp/a/$kind.$fmt" --style paper
        expect_status "plot $kind -o .$fmt" 0
        if magic "$tmp/a/$kind.$fmt" "$fmt"; then ok "$kind.$fmt is a $fmt file"; else fail "$kind.$fmt is not a $fmt file" "$(head -c 64 "$tmp/a/$kind.$fmt" | od -c | head -2)"; fi
        if [ -s "$tmp/a/$kind.gp" ]; then ok "$kind.$fmt: the script is beside it"; else fail "$kind.$fmt: no $kind.gp"; fi
    done
    # The same inputs give the same script, in any folder, any number of times.
    # shellcheck disable=SC2086
    run plot "$kind" $args -o "$tmp/b/$kind.svg" --style paper
    cp "$tmp/b/$kind.gp" "$tmp/b/$kind.gp.first"
    # shellcheck disable=SC2086
    run plot "$kind" $args -o "$tmp/b/$kind.svg" --style paper
    # shellcheck disable=SC2086
    run plot "$kind" $args -o "$tmp/c/$kind.svg" --style paper --script-only
    if cmp -s "$tmp/b/$kind.gp" "$tmp/b/$kind.gp.first" && cmp -s "$tmp/b/$kind.gp" "$tmp/c/$kind.gp" \
        && [ ! -e "$tmp/c/$kind.svg" ]; then
        ok "$kind: the same script, byte for byte; --script-only renders nothing"
    else
        fail "$kind: scripts differ between runs" "$(diff "$tmp/b/$kind.gp" "$tmp/c/$kind.gp" | head -5)"
    fi
    # shellcheck disable=SC2086
    run plot "$kind" $args -o "$tmp/a/$kind-screen.png" --title "A title" --size 6,4
    expect_status "plot $kind, screen style" 0
done

# The script reruns from another folder and writes the figure next to itself.
rm -f "$tmp/c/cdf.svg"
(cd / && "$gp" "$tmp/c/cdf.gp" 2>"$tmp/gp.err") && magic "$tmp/c/cdf.svg" svg \
    && ok "gnuplot FILE.gp from / writes FILE.svg beside the script" \
    || fail "rerunning the script" "$(cat "$tmp/gp.err")"

# What the scripts say.
grep -q "title 'fast'" "$tmp/b/cdf.gp" && ok "LABEL=FILE names a series" || fail "no series named fast"
grep -q "'light' 0, 'heavy' 1" "$tmp/b/compare.gp" && ok "compare groups the workloads in order" \
    || fail "compare: workloads" "$(grep xtics "$tmp/b/compare.gp")"
grep -q '"r,4"' "$tmp/b/pareto.gp" && ok "a quoted CSV field keeps its comma" || fail "pareto: quoted field"
grep -q '^# chosen: ' "$tmp/b/pareto.gp" && grep -A3 '^\$chosen' "$tmp/b/pareto.gp" | grep -q '"c2"' \
    && ok "pareto labels the feasible candidate of lowest objective" || fail "pareto: chosen"
grep -q "^set title 'light'" "$tmp/b/sweep.gp" && grep -q "^set title 'heavy'" "$tmp/b/sweep.gp" \
    && grep -q "title 'policy=s3fifo'" "$tmp/b/sweep.gp" \
    && ok "sweep: a panel per workload, a line per policy" || fail "sweep: panels or series"
grep -q "title 'partition'" "$tmp/b/util.gp" && ok "util shows partitions" || fail "util: no partitions"
grep -q "font_name = 'Times'" "$tmp/b/cdf.gp" && grep -q 'width_in = 3.3' "$tmp/b/cdf.gp" \
    && ok "paper style: a serif font, one column wide" || fail "paper style"
if grep -v '^#   ' "$tmp/b/cdf.gp" | grep -qE "[0-9]{4}-[0-9]{2}-[0-9]{2}|$tmp"; then
    fail "the script holds a date or a path besides its inputs"
else
    ok "no dates, no paths but the inputs'"
fi

# --- without gnuplot ---------------------------------------------------------
# run_env ENV... -- ARGS...: run fluxosim under env with the given settings.
run_env() {
    set +e
    env "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    set -e
}
rm -f "$tmp/a/nogp.png" "$tmp/a/nogp.gp"
run_env -u GNUPLOT PATH= "$FLUXOSIM" plot cdf "$tmp/light-small.lat" -o "$tmp/a/nogp.png"
expect_error "no gnuplot on PATH" 1 "the script is .*nogp.gp: render it later with: gnuplot .*nogp.gp"
if [ -s "$tmp/a/nogp.gp" ] && [ ! -e "$tmp/a/nogp.png" ]; then ok "the script is left, no figure"; else fail "no gnuplot: script or figure"; fi

run_env GNUPLOT="$tmp/no/such/gnuplot" "$FLUXOSIM" plot cdf "$tmp/light-small.lat" -o "$tmp/a/nogp.png"
expect_error "GNUPLOT names nothing" 1 "GNUPLOT=.*not an executable.*nogp.gp"

# A gnuplot that fails: its message, in one line; an older figure survives.
printf '#!/bin/sh\necho "     plot \\$oops" >&2\necho "          ^" >&2\necho "\\"x.gp\\" line 9: undefined variable: oops" >&2\nexit 1\n' >"$tmp/badgp"
chmod +x "$tmp/badgp"
echo old >"$tmp/a/fails.png"
run_env GNUPLOT="$tmp/badgp" "$FLUXOSIM" plot cdf "$tmp/light-small.lat" -o "$tmp/a/fails.png"
expect_error "gnuplot fails" 1 'fails.gp: gnuplot failed \(exit 1\): "x.gp" line 9: undefined variable: oops$'
if [ "$(cat "$tmp/a/fails.png")" = old ] && ! ls "$tmp/a" | grep -q '\.tmp\.'; then ok "a failed render leaves the old figure and no temporary file"; else fail "failed render left something"; fi

# --- bad inputs ---------------------------------------------------------------
run plot
expect_error "no kind" 2 'expected a kind \(one of cdf, compare, pareto, sweep, mrc, convergence, util\)'
run plot histogram "$tmp/opt.csv" -o "$tmp/x.png"
expect_error "unknown kind" 2 'kind "histogram": expected one of cdf, compare'
run plot cdf -o "$tmp/x.png"
expect_error "no inputs" 2 'expected at least 1 input file, found 0'
run plot cdf "$tmp/light-small.lat"
expect_error "no -o" 2 'expected -o FILE.svg, FILE.png or FILE.pdf'
run plot cdf "$tmp/light-small.lat" -o "$tmp/x.jpg"
expect_error "bad extension" 2 'expected a figure named FILE.png, FILE.svg or FILE.pdf, found ".*x.jpg"'
run plot cdf "$tmp/light-small.lat" -o "$tmp/x.png" --size 3.3
expect_error "bad size" 2 '--size: expected a size W,H'
run plot util "$tmp/light-small.json" "$tmp/heavy-small.json" -o "$tmp/x.png"
expect_error "util takes one replay" 2 'expected 1 input file, found 2'
run plot cdf "$tmp/light-small.lat" -o "$tmp/x.png" --x rate
expect_error "an option of another kind" 2 '--x applies to sweep only'
cp "$tmp/light-small.lat" "$tmp/same.gp"
run plot cdf "$tmp/same.gp" -o "$tmp/same.png"
expect_error "the script over an input" 2 'same.gp: expected an output file apart from the inputs'

run plot cdf "$tmp/missing.lat" -o "$tmp/x.png"
expect_error "missing input" 1 'missing.lat: cannot open'
printf '1.5\n2.5\nfast\n' >"$tmp/bad.lat"
run plot cdf "$tmp/bad.lat" -o "$tmp/x.png"
expect_error "a latency that is not a number" 3 'bad.lat:3: expected a latency in ms \(a number >= 0\), found "fast"'
printf 'index,objective\n1,0.5\n2,0.4,9\n' >"$tmp/short.csv"
run plot convergence "$tmp/short.csv" -o "$tmp/x.png"
expect_error "malformed CSV" 3 'short.csv:3: expected 2 fields \(as in the header\), found 3'
printf 'index,objective\n1,0.5\n2,abc\n' >"$tmp/nan.csv"
run plot convergence "$tmp/nan.csv" -o "$tmp/x.png"
expect_error "a CSV field that is not a number" 3 'nan.csv:3: column "objective": expected a number, found "abc"'
printf 'a,b\n"open,1\n' >"$tmp/quote.csv"
run plot pareto "$tmp/quote.csv" -o "$tmp/x.png"
expect_error "an unclosed quote" 3 'quote.csv:2: expected a closing quote'
run plot pareto "$tmp/lru.mrc.csv" -o "$tmp/x.png"
expect_error "a log without cost" 3 'lru.mrc.csv: expected a column "cost_per_hour"; found columns capacity_bytes, requests'
run plot sweep "$tmp/sweep.csv" -o "$tmp/x.png" --metric p50
expect_error "an unknown metric" 3 'sweep.csv: --metric: expected a metric \(latency_ms.p99, cost_per_hour\), found "p50"'
run plot mrc "$tmp/lru.mrc.csv" -o "$tmp/x.png" --metric misses
expect_error "mrc metric" 3 'expected hit_ratio or byte_hit_ratio'
printf '{"arch": "x", "cost_per_hour": 1, "latency_ms": {"p50": 1, "p99": 2}, "pools": []}\n' >"$tmp/nohist.json"
run plot cdf "$tmp/nohist.json" -o "$tmp/x.png"
expect_error "a document without latency_hist" 3 'nohist.json: missing key "latency_hist"'
printf '{"arch": "x", "cost_per_hour": 1, "latency_ms": {"p50": 1}, "pools": []}\n' >"$tmp/nop99.json"
run plot compare "$tmp/nop99.json" -o "$tmp/x.png"
expect_error "a document without p99" 3 'nop99.json: latency_ms: missing key "p99"'
run plot compare "$tmp/light-small.json" "$tmp/light-small.json" -o "$tmp/x.png"
expect_error "a pair given twice" 3 'workload "light" and candidate "small" were given already'
if ls "$tmp" | grep -q '^x\.'; then fail "a failed plot left a file" "$(ls "$tmp" | grep '^x\.')"; else ok "failed plots leave no figure and no script"; fi

finish
