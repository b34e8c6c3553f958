# bench_lib.sh - helpers shared by bench/engine_vs_*.sh (sourced, not run).
#
# Every side of a benchmark is reduced to one line in bare_mm1's format,
#     customers=N events=E wall_s=W events_per_s=R mean_response_ms=M
# so the scripts compare like with like whatever produced the numbers.
#
# Expects FLUXOSIM and PYTHON to be set by the sourcing script.

# M/M/1 with mean interarrival 1 ms and mean service 0.9 ms: rho = 0.9 and
# the mean response time is E[S] / (1 - rho) = 0.9 ms / 0.1 = 9 ms.
THEORY_MS=9
TOLERANCE=0.05

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# kv KEY LINE: the value of KEY in a "key=value key=value" LINE, or nothing.
kv() {
    printf '%s\n' "$2" | awk -v k="$1" '{
        for (i = 1; i <= NF; i++) {
            p = index($i, "=")
            if (p > 1 && substr($i, 1, p - 1) == k) { print substr($i, p + 1); exit }
        }
    }'
}

# fmt3 X: X with 3 significant digits (2.1e+07, 0.724).
fmt3() {
    awk -v x="$1" 'BEGIN { printf "%.3g\n", x }'
}

# ratio A B: A / B with 3 significant digits ("nan" when B is zero).
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "nan"; else printf "%.3g\n", a / b }'
}

# greater A B: true when A > B (numerically).
greater() {
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'
}

# near_theory MEAN_MS: true when MEAN_MS is within TOLERANCE of THEORY_MS.
# A missing or non-numeric mean counts as 0, hence as a failure.
near_theory() {
    awk -v m="$1" -v t="$THEORY_MS" -v tol="$TOLERANCE" 'BEGIN {
        d = (m - t) / t
        if (d < 0) d = -d
        exit !(d <= tol)
    }'
}

# check_line SIDE N LINE: LINE must report N customers and a positive rate.
check_line() {
    c=$(kv customers "$3")
    r=$(kv events_per_s "$3")
    [ "$c" = "$2" ] || fail "$1 reported customers='$c', expected $2 (output: $3)"
    greater "$r" 0 || fail "$1 reported events_per_s='$r' (output: $3)"
}

# The fluxosim JSON document, reduced to a bare_mm1-style line. The keys are
# looked up depth-first, so they may sit at the top or inside a sub-object.
PARSE_FLUXOSIM='
import json, sys

def find(node, key):
    if isinstance(node, dict):
        if key in node:
            return node[key]
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = find(child, key)
        if found is not None:
            return found
    return None

want = int(sys.argv[1])
try:
    doc = json.load(sys.stdin)
except ValueError as err:
    sys.exit("FAIL: fluxosim did not print a JSON document: %s" % err)
completed = find(doc, "completed")
latency = find(doc, "latency_ms")
sim = find(doc, "sim")
if not isinstance(latency, dict) or "mean" not in latency:
    sys.exit("FAIL: fluxosim JSON has no latency_ms.mean")
if not isinstance(sim, dict) or not all(k in sim for k in ("events", "wall_s", "events_per_s")):
    sys.exit("FAIL: fluxosim JSON has no sim.events/wall_s/events_per_s")
if completed != want:
    sys.exit("FAIL: fluxosim completed=%r, expected %d" % (completed, want))
print("customers=%d events=%d wall_s=%.6f events_per_s=%.6g mean_response_ms=%.6f"
      % (completed, sim["events"], float(sim["wall_s"]), float(sim["events_per_s"]),
         float(latency["mean"])))
'

# fluxosim_run N: one `fluxosim queue` run of the M/M/1 model with N
# customers, no warm-up (every customer counts, as in bare_mm1) and seed 1,
# printed as a bare_mm1-style line.
fluxosim_run() {
    json=$("$FLUXOSIM" queue --arrivals exp:1ms --service exp:900us \
        --customers "$1" --warmup 0 --seed 1 --format json) ||
        fail "'$FLUXOSIM queue ... --format json' exited with status $?"
    printf '%s\n' "$json" | "$PYTHON" -c "$PARSE_FLUXOSIM" "$1"
}

# best_of RUNS SIDE N CMD...: run CMD (which prints a bare_mm1-style line)
# RUNS times and print each line prefixed with SIDE. Leaves the fastest line
# in BEST_LINE, and in BAD_MEAN the first mean response that is not within
# TOLERANCE of theory (empty when all are): every run is checked, so one bad
# run cannot hide behind a good one.
best_of() {
    runs=$1 side=$2 n=$3
    shift 3
    BEST_LINE=
    BAD_MEAN=
    i=1
    while [ "$i" -le "$runs" ]; do
        line=$("$@") || fail "$side run $i failed"
        echo "$side run $i/$runs: $line"
        check_line "$side" "$n" "$line"
        m=$(kv mean_response_ms "$line")
        if [ -z "$BAD_MEAN" ] && ! near_theory "$m"; then
            BAD_MEAN=${m:-missing}
        fi
        if [ -z "$BEST_LINE" ] ||
            greater "$(kv events_per_s "$line")" "$(kv events_per_s "$BEST_LINE")"; then
            BEST_LINE=$line
        fi
        i=$((i + 1))
    done
}

# sanity NAME SIDE1 LINE1 BAD1 SIDE2 LINE2 BAD2: print the mean responses
# against theory, and fail when either side's model is off.
sanity() {
    echo "SANITY $1 mean_response_ms theory=$THEORY_MS $2=$(kv mean_response_ms "$3") $5=$(kv mean_response_ms "$6") tolerance=5%"
    [ -z "$4" ] || fail "$2 mean response $4 ms is more than 5% away from $THEORY_MS ms: the model is broken, no speed reported"
    [ -z "$7" ] || fail "$5 mean response $7 ms is more than 5% away from $THEORY_MS ms: the model is broken, no speed reported"
}

# report NAME UNIT PEER FLUXOSIM_LINE PEER_LINE: the final BENCH line.
report() {
    f=$(kv events_per_s "$4")
    p=$(kv events_per_s "$5")
    echo "BENCH $1 $2 fluxosim=$(fmt3 "$f") $3=$(fmt3 "$p") ratio=$(ratio "$f" "$p")"
}
