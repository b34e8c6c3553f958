#!/bin/sh
# engine_vs_simpy.sh - fluxosim's event rate against SimPy 2.3 (Debian's
# python3-simpy) on the same M/M/1 model (rho = 0.9), seed 1 on both sides.
#
# The sides simulate different numbers of customers: fluxosim
# FLUX_CUSTOMERS (default 10^7), SimPy SIMPY_CUSTOMERS (default 2*10^6).
# The figure compared is events per second, a rate, so the sizes need not
# match; each side only has to run long enough to time reliably. SimPy's
# size is set by statistics rather than time: at rho = 0.9 successive
# responses are strongly correlated, and with 2*10^5 customers the sample
# mean still wanders by about 3% (seed 1 gives 9.47 ms, failing the 5% check
# below), while 2*10^6 customers bring it within 1% in about 13 s.
# One run per side (SimPy is slow enough for its timing to be stable).
# Both mean responses must be within 5% of the M/M/1 theory (9 ms), or the
# script fails without reporting a speed.
#
# Environment: FLUXOSIM (default ./fluxosim), PYTHON (an interpreter with
# SimPy 2, also parses fluxosim's JSON; default /usr/bin/python3), srcdir
# (top source dir; default this script's parent), FLUX_CUSTOMERS,
# SIMPY_CUSTOMERS.
# Last line: BENCH engine-vs-simpy events/s fluxosim=X simpy=Y ratio=X/Y
set -eu

srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
FLUXOSIM=${FLUXOSIM:-./fluxosim}
PYTHON=${PYTHON:-/usr/bin/python3}
FLUX_CUSTOMERS=${FLUX_CUSTOMERS:-10000000}
SIMPY_CUSTOMERS=${SIMPY_CUSTOMERS:-2000000}

# shellcheck source=bench/bench_lib.sh
. "$srcdir/bench/bench_lib.sh"

"$PYTHON" -c 'import SimPy.Simulation' 2>/dev/null ||
    fail "$PYTHON cannot import SimPy.Simulation (SimPy 2; Debian: python3-simpy, use /usr/bin/python3)"

echo "engine-vs-simpy: M/M/1 rho=0.9, seed 1; fluxosim $FLUX_CUSTOMERS customers, simpy $SIMPY_CUSTOMERS customers"

best_of 1 simpy "$SIMPY_CUSTOMERS" "$PYTHON" "$srcdir/bench/mm1_simpy.py" "$SIMPY_CUSTOMERS" 1
simpy_line=$BEST_LINE simpy_bad=$BAD_MEAN

best_of 1 fluxosim "$FLUX_CUSTOMERS" fluxosim_run "$FLUX_CUSTOMERS"
flux_line=$BEST_LINE flux_bad=$BAD_MEAN

sanity engine-vs-simpy fluxosim "$flux_line" "$flux_bad" simpy "$simpy_line" "$simpy_bad"
report engine-vs-simpy events/s simpy "$flux_line" "$simpy_line"
