#!/bin/sh
# threads.sh - the commands that parse a trace in a thread of their own
# (--reader thread), each against the same command inline: the same output,
# and, in a build configured --enable-tsan, no data race (ThreadSanitizer
# makes the command fail). Run by `make check-threads`; .ci/run runs that in
# a ThreadSanitizer build.
set -eu
. "${srcdir:-.}/tests/lib.sh"

src=$(cd "${srcdir:-.}" && pwd)
W=$src/examples/weather
# A report is an error: the command exits 66 and the check fails.
TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
export TSAN_OPTIONS
strip() { grep -v '"wall_s"\|"events_per_s"' "$1"; }

run trace gen weather --service "$W/weather.service.json" --requests 30000 --seed 4 -o "$tmp/w.trace"
expect_status "trace gen weather" 0
gzip -c "$tmp/w.trace" >"$tmp/w.trace.gz"

for t in w.trace w.trace.gz; do
    for a in cand3 cand5; do
        for m in thread inline; do
            run replay "$tmp/$t" --arch "$W/$a.json" --format json --reader "$m" -o "$tmp/$a-$m.json"
            expect_status "replay $t $a --reader $m" 0
        done
        if [ -s "$tmp/$a-thread.json" ] && [ "$(strip "$tmp/$a-thread.json")" = "$(strip "$tmp/$a-inline.json")" ]; then
            ok "replay $t $a: the same document both ways"
        else
            fail "replay $t $a: the documents differ"
        fi
    done
done

for m in thread inline; do
    run mrc "$tmp/w.trace" --arch "$W/cand3.json" --cache pages --reader "$m" -o "$tmp/mrc-$m.csv"
    expect_status "mrc --reader $m" 0
    run trace stats "$tmp/w.trace" --service "$W/weather.service.json" --format json --reader "$m" -o "$tmp/st-$m.json"
    expect_status "trace stats --reader $m" 0
done
if [ -s "$tmp/mrc-thread.csv" ] && cmp -s "$tmp/mrc-thread.csv" "$tmp/mrc-inline.csv"; then ok "mrc: the same curve both ways"; else fail "mrc: the curves differ"; fi
if [ -s "$tmp/st-thread.json" ] && cmp -s "$tmp/st-thread.json" "$tmp/st-inline.json"; then ok "trace stats: the same summary both ways"; else fail "trace stats: the summaries differ"; fi

# A replay that stops early, on a bad line far in: the thread is stopped
# while it reads ahead.
{ cat "$tmp/w.trace"; printf '5\tk\n'; cat "$tmp/w.trace" | tail -n +3; } >"$tmp/bad.trace"
run replay "$tmp/bad.trace" --arch "$W/cand3.json" --reader thread -o "$tmp/bad.json"
expect_error "replay --reader thread, a bad line after 30000" 3 "bad.trace:30004: expected a time >= "

finish
