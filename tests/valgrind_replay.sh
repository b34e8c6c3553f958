#!/bin/sh
# valgrind_replay.sh - the replay of the weather example under valgrind's
# memcheck: no invalid access and no leak, for the page cache (cand3) and the
# partitioned tier with failing servers and an asynchronous edge (cand5).
# Skipped (77) when valgrind is not installed.
set -eu
. "${srcdir:-.}/tests/lib.sh"

if [ -n "${FX_SANITIZERS:-}" ]; then
    echo "skip: built with sanitizers ($FX_SANITIZERS), which valgrind cannot run"
    exit 77
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "skip: valgrind is not installed (Debian: valgrind)"
    exit 77
fi
ex="$srcdir/examples/weather"
"$FLUXOSIM" trace gen weather --service "$ex/weather.service.json" --requests 2000 --seed 1 \
    -o "$tmp/w.trace"
for c in cand3 cand5; do
    set +e
    valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
        "$FLUXOSIM" replay "$tmp/w.trace" --arch "$ex/$c.json" --format json \
        -o "$tmp/$c.json" 2>"$tmp/vg.err"
    status=$?
    set -e
    if [ "$status" -eq 0 ] && [ ! -s "$tmp/vg.err" ]; then
        ok "valgrind: replay on $c, no error and no leak"
    else
        fail "valgrind: replay on $c (exit $status)" "$(head -20 "$tmp/vg.err")"
    fi
done
finish
