#!/bin/sh
# engine_vs_bare.sh - fluxosim's event rate against bare_mm1, the practical
# limit: the same M/M/1 model (rho = 0.9) coded as a plain loop with no
# library, no dispatch and no statistics beyond one running sum.
#
# Both sides simulate CUSTOMERS customers (default 10^7) with seed 1. Each
# side runs RUNS times (default 3, the runs are short) and keeps its fastest
# run to damp noise. Both mean responses must be within 5% of the M/M/1
# theory (9 ms), or the script fails without reporting a speed.
#
# Environment: FLUXOSIM (default ./fluxosim), BARE (default
# ./bench/bare_mm1), PYTHON (parses fluxosim's JSON; default
# /usr/bin/python3), srcdir (top source dir; default this script's parent),
# CUSTOMERS, RUNS.
# Last line: BENCH engine-vs-bare events/s fluxosim=X bare=Y ratio=X/Y
set -eu

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
FLUXOSIM=${FLUXOSIM:-./fluxosim}
BARE=${BARE:-./bench/bare_mm1}
if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
CUSTOMERS=${CUSTOMERS:-10000000}
RUNS=${RUNS:-3}

# shellcheck source=bench/bench_lib.sh
. "$srcdir/bench/bench_lib.sh"

echo "engine-vs-bare: M/M/1 rho=0.9, $CUSTOMERS customers, seed 1, best of $RUNS"

best_of "$RUNS" bare "$CUSTOMERS" "$BARE" "$CUSTOMERS" 1
bare_line=$BEST_LINE bare_bad=$BAD_MEAN

best_of "$RUNS" fluxosim "$CUSTOMERS" fluxosim_run "$CUSTOMERS"
flux_line=$BEST_LINE flux_bad=$BAD_MEAN

sanity engine-vs-bare fluxosim "$flux_line" "$flux_bad" bare "$bare_line" "$bare_bad"
report engine-vs-bare events/s bare "$flux_line" "$bare_line"
