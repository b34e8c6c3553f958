#!/bin/sh
# tests/cluster/mpi.sh - `fluxosim optimize --mpi` under mpirun (issue 11):
# with the same seed, mpirun -n 3 gives the best candidate, the summary and
# the log (wall times apart) of a local run with -j 2, for exhaustive,
# greedy with screening and anneal; a bad input, on rank 0 or on a worker
# only, ends every rank with one error line and a non-zero exit, never a
# hang. Not part of make check: it needs a fluxosim configured --with-mpi
# and mpirun (skipped, exit 77, without them). Run it as
#   FLUXOSIM=$PWD/fluxosim srcdir=$PWD sh tests/cluster/mpi.sh
# MPIRUN and MPIRUN_FLAGS override the launcher (default: OpenMPI's
# mpirun --allow-run-as-root --oversubscribe, one node).
set -eu
. "${srcdir:-.}/tests/lib.sh"

MPIRUN=${MPIRUN:-mpirun}
MPIRUN_FLAGS=${MPIRUN_FLAGS:---allow-run-as-root --oversubscribe}
if ! command -v "$MPIRUN" >/dev/null 2>&1; then
    echo "SKIP: no $MPIRUN"
    exit 77
fi
if "$FLUXOSIM" optimize x --mpi 2>&1 | grep -Eq 'built without MPI|unknown option "--mpi"'; then
    echo "SKIP: $FLUXOSIM was built without MPI (./configure --with-mpi)"
    exit 77
fi

# The weather example: its trace as the build made it, else made here.
space="$srcdir/examples/weather/weather.space.json"
trace="$(dirname "$FLUXOSIM")/examples/weather/weather.trace"
if [ ! -f "$trace" ]; then
    trace="$tmp/weather.trace"
    "$FLUXOSIM" trace gen weather --workload popular --requests 20000 --seed 1 \
        --service "$srcdir/examples/weather/weather.service.json" -o "$trace"
fi

# mpi NAME ARGS...: fluxosim ARGS --mpi on 3 ranks, at most 120 s.
mpi() {
    set +e
    # shellcheck disable=SC2086
    timeout 120 "$MPIRUN" $MPIRUN_FLAGS -n 3 "$FLUXOSIM" "$@" --mpi >"$tmp/out" 2>"$tmp/err"
    status=$?
    set -e
}

# same NAME ARGS...: --mpi on 3 ranks and -j 2 give the same summary, -o
# file(s) and log but for its last column (wall_s).
same() {
    name=$1
    shift
    rm -rf "$tmp/m" "$tmp/l"
    mkdir "$tmp/m" "$tmp/l"
    mpi optimize "$trace" --space "$space" -q -o "$tmp/m/best.json" --log "$tmp/m/log.csv" "$@"
    expect_status "$name: mpirun -n 3 --mpi" 0
    mv "$tmp/out" "$tmp/m/summary"
    run optimize "$trace" --space "$space" -q -o "$tmp/l/best.json" --log "$tmp/l/log.csv" -j 2 "$@"
    expect_status "$name: -j 2" 0
    mv "$tmp/out" "$tmp/l/summary"
    for d in m l; do
        sed 's/,[^,]*$//' "$tmp/$d/log.csv" >"$tmp/$d/log.cut"
        rm "$tmp/$d/log.csv"
    done
    if [ "$(ls "$tmp/m")" = "$(ls "$tmp/l")" ] && [ -s "$tmp/m/best.json" ] &&
        diff -r "$tmp/m" "$tmp/l" >"$tmp/diff"; then
        ok "$name: the same best.json, summary and log as -j 2"
    else
        fail "$name: --mpi differs from -j 2" "$(head -5 "$tmp/diff")" "$(ls "$tmp/m" "$tmp/l")"
    fi
}

same "exhaustive" --strategy exhaustive --max-evals 3000 --budget 150
same "greedy, screened" --strategy greedy --budget 50 --screen 0.3 --confirm 3
same "anneal" --strategy anneal --budget 80 --seed 5
same "anneal, 3 chains" --strategy anneal --budget 80 --seed 5 --chains 3 --batch 2

# one_error NAME CODE PATTERN: the last mpi run exited CODE (not 124: a
# hang), printed one "fluxosim: error:" line matching PATTERN (mpirun may
# add its own notice) and nothing on stdout.
one_error() {
    expect_status "$1" "$2"
    if [ "$(grep -c '^fluxosim: error: ' "$tmp/err")" -eq 1 ] &&
        grep -Eq "^fluxosim: error: .*$3" "$tmp/err" && [ ! -s "$tmp/out" ]; then
        ok "$1: one error line"
    else
        fail "$1: expected one line 'fluxosim: error: ...$3'" "$(grep fluxosim "$tmp/err")"
    fi
}

mpi optimize "$tmp/missing.trace" --space "$space" --strategy greedy
one_error "a missing trace" 1 'missing.trace: cannot open'
mpi optimize "$trace" --space "$space" --strategy greedy --budget 0
one_error "a bad option value" 2 '--budget: expected a positive integer'
mpi optimize - --space "$space" --strategy greedy <"$trace"
one_error "standard input" 2 '--mpi: expected a trace file, found -'
mpi optimize "$trace" --space "$space" --strategy greedy -j 2
one_error "--jobs with --mpi" 2 '--mpi: expected no --jobs'

# A failure on the workers only (they cannot make the sample's folder):
# rank 0 reports it, naming the rank, and every rank ends.
set +e
timeout 120 "$MPIRUN" $MPIRUN_FLAGS -n 1 "$FLUXOSIM" optimize "$trace" --space "$space" \
    --strategy greedy --budget 5 --screen 0.5 --mpi : \
    -n 2 env TMPDIR="$tmp/none" "$FLUXOSIM" optimize "$trace" --space "$space" \
    --strategy greedy --budget 5 --screen 0.5 --mpi >"$tmp/out" 2>"$tmp/err"
status=$?
set -e
one_error "a worker's failure" 1 '--mpi: rank [12] on .*cannot make a temporary folder'

# One rank alone has no worker.
set +e
timeout 60 "$MPIRUN" $MPIRUN_FLAGS -n 1 "$FLUXOSIM" optimize "$trace" --space "$space" \
    --strategy greedy --mpi >"$tmp/out" 2>"$tmp/err"
status=$?
set -e
one_error "mpirun -n 1" 2 '--mpi: expected at least 2 processes'

finish
