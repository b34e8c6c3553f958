#!/bin/sh
# import_clf.sh - megabytes per second importing an Apache combined log.
#
# The 10,000-line sample of ../shared/data (2.4 MB, May 2015) is replicated
# COPIES times (default 42, about 100 MB), copy k with its timestamps moved
# k x 4 days later, so the big log is one long, nearly sorted log with the
# sample's own disorder within each minute. fluxosim then imports it (parse,
# sort within the 300 s window, spread, count distinct keys, write the trace
# to a file), best of 3 runs; MB/s is the input size over the wall time of
# the whole command. The target is 50 MB/s.
#
# Environment: FLUXOSIM, PYTHON, srcdir (as the other scripts), COPIES.
# Last line: BENCH import-clf MB/s fluxosim=X target=50 ratio=X/50
set -eu

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
FLUXOSIM=${FLUXOSIM:-./fluxosim}
PYTHON=${PYTHON:-/usr/bin/python3}
COPIES=${COPIES:-42}
TARGET=50
SAMPLE=$srcdir/../shared/data/apache_combined_2015.log

# shellcheck source=bench/bench_lib.sh
. "$srcdir/bench/bench_lib.sh"

[ -r "$SAMPLE" ] || fail "the sample log is not at $SAMPLE (the shared data folder)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$PYTHON" - "$SAMPLE" "$out/big.log" "$COPIES" <<'PY'
import calendar, re, sys, time
src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
stamp = re.compile(r"\[(\d\d)/(\w\w\w)/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000\]")
months = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}
lines = []
with open(src, "rb") as f:
    for raw in f:
        line = raw.decode("latin-1")
        m = stamp.search(line)
        d, mon, y, hh, mm, ss = m.groups()
        t = calendar.timegm((int(y), months[mon], int(d), int(hh), int(mm), int(ss)))
        lines.append((line[:m.start()], t, line[m.end():]))
shift = 4 * 86400
cache = {}
with open(dst, "wb") as f:
    for k in range(copies):
        chunk = []
        for head, t, tail in lines:
            t2 = t + k * shift
            s = cache.get(t2)
            if s is None:
                s = time.strftime("[%d/%b/%Y:%H:%M:%S +0000]", time.gmtime(t2))
                cache[t2] = s
            chunk.append(head + s + tail)
        f.write("".join(chunk).encode("latin-1"))
PY
bytes=$(wc -c <"$out/big.log" | tr -d ' ')
lines=$(wc -l <"$out/big.log" | tr -d ' ')
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "import-clf: $COPIES copies of the sample, $lines lines, $mb MB"

# The wall time of one import, in seconds.
import_s() {
    "$PYTHON" - "$FLUXOSIM" "$out/big.log" "$out/big.trace" <<'PY'
import subprocess, sys, time
t0 = time.perf_counter()
subprocess.run([sys.argv[1], "trace", "import", "--format", "combined", sys.argv[2],
                "-o", sys.argv[3], "--quiet"], check=True)
print(time.perf_counter() - t0)
PY
}

best=0
for run in 1 2 3; do
    s=$(import_s) || fail "fluxosim trace import failed"
    rate=$(awk -v b="$bytes" -v s="$s" 'BEGIN { print b / 1e6 / s }')
    echo "import run $run/3: wall_s=$(fmt3 "$s") MB_per_s=$(fmt3 "$rate")"
    if greater "$rate" "$best"; then best=$rate; fi
done

# The speed means nothing if the import is wrong: every copy gives the
# sample's 9779 requests (2xx and 3xx, one line cut short), in time order.
imported=$(grep -vc '^#' "$out/big.trace")
want=$((COPIES * 9779))
[ "$imported" -eq "$want" ] || fail "imported $imported requests, expected $want"
grep -v '^#' "$out/big.trace" | awk -F'\t' 'NR > 1 && $1 < p { exit 1 } { p = $1 }' ||
    fail "the imported trace is not in time order"
echo "checked: $imported requests, in time order"

echo "BENCH import-clf MB/s fluxosim=$(fmt3 "$best") target=$TARGET ratio=$(ratio "$best" "$TARGET")"
