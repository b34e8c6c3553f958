#!/bin/sh
# run.sh [SECONDS] - build the harnesses if needed (fuzz/build.sh), then run
# each for SECONDS (default 60) on a copy of its seed corpus, and fail on any
# crash, leak, timeout or memory blow-up. Prints, per harness, the number of
# inputs executed (libFuzzer's stat::number_of_executed_units).
#
# Environment: FUZZ_OUT, the build folder (default fuzz/build); FUZZ_ONLY,
# the harnesses to run (default "trace json dist"); FUZZ_FLAGS, more
# libFuzzer flags (e.g. -jobs=2 -workers=2, or -max_len=65536); FUZZ_IGNORE,
# checks of the harnesses to skip while a bug they find is open (see
# fuzz_common.h).
# A crashing input is kept in FUZZ_OUT/artifacts/ and named in the output;
# replay it with FUZZ_OUT/fuzz_NAME FILE. Before fuzzing, each harness runs
# once over every input in fuzz/regress/NAME/: the crashes found so far,
# which must stay fixed (one ok/FAIL line each).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-60}
out=${FUZZ_OUT:-$here/build}
case $seconds in
'' | *[!0-9]*)
    echo "run.sh: expected SECONDS, a whole number, found \"$seconds\"" >&2
    exit 2
    ;;
esac

sh "$here/build.sh" "$out"

work=$(mktemp -d)
# The harnesses' scratch files go here too (in memory when /dev/shm exists),
# and go with it, even after a crash.
scratch=$( (mktemp -d -p /dev/shm 2>/dev/null) || mktemp -d)
trap 'rm -rf "$work" "$scratch"' EXIT
export TMPDIR="$scratch"
mkdir -p "$out/artifacts"
failed=0
for name in ${FUZZ_ONLY:-trace json dist}; do
    for input in "$here/regress/$name"/*; do
        [ -f "$input" ] || continue
        if "$out/fuzz_$name" "$input" >"$work/regress.log" 2>&1; then
            echo "ok   fuzz_$name regression ${input#"$here"/}"
        else
            failed=$((failed + 1))
            echo "FAIL fuzz_$name regression ${input#"$here"/}"
            grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: broken promise|[^ ]+:[0-9]+:[0-9]+: runtime error)' \
                "$work/regress.log" | head -3 | sed 's/^/     /'
        fi
    done
    mkdir "$work/$name"
    cp "$here/corpus/$name"/* "$work/$name"/
    dict=
    [ -f "$here/$name.dict" ] && dict=-dict=$here/$name.dict
    log=$out/fuzz_$name.log
    set +e
    # shellcheck disable=SC2086
    # A fixed seed (FUZZ_SEED, default 1): the same commit explores the same
    # inputs first, so a CI failure reproduces.
    "$out/fuzz_$name" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/artifacts/${name}-" $dict ${FUZZ_FLAGS:-} \
        "$work/$name" >"$log" 2>&1
    status=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{ n += $1 } END { print n + 0 }')
    corpus=$(ls "$work/$name" | wc -l)
    artifacts=$(grep -o "Test unit written to [^ ]*" "$log" | sed 's/Test unit written to //' | tr '\n' ' ')
    if [ "$status" -eq 0 ] && [ -z "$artifacts" ]; then
        echo "ok   fuzz_$name: $execs executions in $seconds s, corpus $corpus inputs"
    else
        failed=$((failed + 1))
        echo "FAIL fuzz_$name: exit $status after $execs executions; input: ${artifacts:-none saved}"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: broken promise|[^ ]+:[0-9]+:[0-9]+: runtime error)' "$log" \
            | head -5 | sed 's/^/     /'
        echo "     log: $log"
    fi
done
[ "$failed" -eq 0 ]
