#!/bin/sh
# cli_import.sh - `fluxosim trace import` as a user calls it: usage errors,
# --strict, atomic output, stdin and gzip on small inline inputs; then the
# two real files of ../shared/data (an Apache combined log and the AdaptSize
# object trace), whose counts are checked against awk, whose output must be
# in time order, and whose emitted service and architecture must replay
# every imported request. Without the data folder the script ends with exit
# 77 (automake's SKIP) and says why, after the checks that need no data.
set -eu
. "${srcdir:-.}/tests/lib.sh"

src=$(cd "${srcdir:-.}" && pwd)
data="$src/../shared/data"

# in_order FILE: the trace's times never decrease.
in_order() {
    grep -v '^#' "$1" | awk -F'\t' 'NR > 1 && $1 < prev { bad = 1; exit } { prev = $1 } END { exit bad }'
}

# --- help and usage errors (exit 2) ------------------------------------------------
run help trace
expect_out "help trace shows import" 'fluxosim trace import --format FORMAT INPUT'
expect_out "help trace shows --emit-arch" -- '--emit-arch FILE'

printf 'h - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 200 10\n' >"$tmp/one.log"
run trace import "$tmp/one.log" -o "$tmp/x.trace"
expect_error "no --format" 2 'expected --format clf, combined, csv or oracle-general'
run trace import --format apache "$tmp/one.log" -o "$tmp/x.trace"
expect_error "unknown format" 2 '--format: expected one of clf, combined, csv, oracle-general, found "apache"'
run trace import --format clf -o "$tmp/x.trace"
expect_error "no input" 2 'expected an INPUT file'
run trace import --format clf "$tmp/one.log" -o "$tmp/one.log"
expect_error "-o is the input" 2 'the same file as INPUT'
run trace import --format clf "$tmp/one.log" -o "$tmp/x.trace" --emit-arch "$tmp/x.json"
expect_error "--emit-arch alone" 2 '--emit-arch: expected --emit-service FILE too'
run trace import --format clf "$tmp/one.log" -o "$tmp/x.trace" --status 2xx,6x
expect_error "bad --status" 2 '--status: expected a comma-separated list'
run trace import --format clf "$tmp/one.log" -o "$tmp/x.trace" --sep ';'
expect_error "csv option with clf" 2 '--sep: expected with another format, not with --format clf'
run trace import --format csv "$tmp/one.log" -o "$tmp/x.trace" --key 2
expect_error "csv without --time" 2 '--time: expected the time column'
run trace import --format clf "$tmp/one.log" -o "$tmp/x.trace" --window 100000
expect_error "window too wide" 2 '--window: expected seconds from 0 to 86400'
run trace import --format clf "$tmp/one.log" -o "$tmp/x.trace" --name 'a b'
expect_error "bad --name" 2 '--name: expected 1 to 128 of'
[ ! -e "$tmp/x.trace" ] && ok "no trace after usage errors" || fail "a trace was left"

# --- small inputs: summary, strict, atomic output, stdin ----------------------------
cat >"$tmp/s.log" <<'EOF'
h - - [17/May/2015:10:05:04 +0000] "GET /b?q=1 HTTP/1.1" 200 20
h - - [17/May/2015:10:05:03 +0000] "GET /a HTTP/1.1" 304 -
h - - [17/May/2015:10:05:03 +0000] "GET /gone HTTP/1.1" 404 5
h - - [17/May/2015:10:05:04 +0000] "GET /b HTTP/1.1" 200 12abc
EOF
run trace import --format clf "$tmp/s.log" -o "$tmp/s.trace"
expect_status "small clf import" 0
grep -q '^lines      4 read, 2 imported, 2 skipped$' "$tmp/err" && ok "summary counts" || fail "summary counts" "$(cat "$tmp/err")"
grep -q '^skipped    1 status not selected (--status 2xx,3xx): line 3$' "$tmp/err" && ok "summary: status skip and its line" || fail "status skip line" "$(cat "$tmp/err")"
grep -q '^skipped    1 bad size: line 4$' "$tmp/err" && ok "summary: bad size and its line" || fail "bad size line" "$(cat "$tmp/err")"
grep -q '^keys       2 distinct$' "$tmp/err" && ok "summary: distinct keys" || fail "distinct keys" "$(cat "$tmp/err")"
grep -q '0 is 2015-05-17T10:05:03Z' "$tmp/err" && ok "summary: the origin in UTC" || fail "origin" "$(cat "$tmp/err")"
printf '#fluxotrace 1\n#service s\n# t_us <TAB> key <TAB> node=service_us/out_bytes/out_hash ...\n500000\t/a\tserve=-/0\n1500000\t/b\tserve=-/20\n' >"$tmp/s.want"
cmp -s "$tmp/s.want" "$tmp/s.trace" && ok "small trace: sorted, spread, query dropped" || fail "small trace" "$(cat "$tmp/s.trace")"

run trace import --format clf "$tmp/s.log" -o "$tmp/s.trace" --status all --keep-query --quiet
expect_status "--status all --keep-query --quiet" 0
[ ! -s "$tmp/err" ] && ok "--quiet: no summary" || fail "--quiet printed" "$(cat "$tmp/err")"
[ "$(grep -vc '^#' "$tmp/s.trace")" -eq 3 ] && ok "--status all imports the 404" || fail "--status all"
grep -q '	/b?q=1	serve=-/20$' "$tmp/s.trace" && ok "--keep-query keeps the query" || fail "--keep-query" "$(cat "$tmp/s.trace")"

cp "$tmp/s.trace" "$tmp/keep.trace"
run trace import --format clf "$tmp/s.log" -o "$tmp/s.trace" --strict
expect_error "--strict: the first bad line" 3 's.log:4: expected a response size in bytes \(digits, or - for none\), found "12abc"'
cmp -s "$tmp/keep.trace" "$tmp/s.trace" && ok "a failed import leaves the old trace" || fail "old trace changed"
if ls "$tmp" | grep -q '\.tmp\.'; then fail "temporary file left" "$(ls "$tmp")"; else ok "no temporary file left"; fi

run trace import --format clf "$tmp/none.log" -o "$tmp/n.trace"
expect_error "missing input" 1 'none.log: cannot open'
run trace import --format clf "$tmp/s.log" -o "$tmp/no/such/dir.trace"
expect_error "unwritable output" 1 'dir.trace'

gzip -c "$tmp/s.log" >"$tmp/s.log.gz"
set +e
"$FLUXOSIM" trace import --format clf - -o "$tmp/z.trace" <"$tmp/s.log.gz" 2>"$tmp/err"
status=$?
set -e
expect_status "gzip on stdin" 0
[ "$(grep -vc '^#' "$tmp/z.trace")" -eq 2 ] && ok "gzip on stdin: two requests" || fail "gzip on stdin" "$(cat "$tmp/err")"

printf 'time,key,size\n3,a,1\n1,b,2\n' >"$tmp/h.csv"
run trace import --format csv --skip-header --time time --key key --bytes size "$tmp/h.csv" -o -
expect_status "csv by header names to stdout" 0
expect_out "csv: sorted, from 0" '^0	b	serve=-/2$'
expect_out "csv: second request 2 s later" '^2000000	a	serve=-/1$'

# --- the real data -------------------------------------------------------------------
if [ ! -d "$data" ] || [ ! -r "$data/apache_combined_2015.log" ] || [ ! -r "$data/adaptsize_request.trace.xz" ]; then
    echo "SKIP: the real data is not in $data (apache_combined_2015.log, adaptsize_request.trace.xz); the checks above ran"
    finish || exit 1
    exit 77
fi
if ! command -v xz >/dev/null 2>&1; then
    echo "SKIP: xz is not installed (Debian package xz-utils): cannot read adaptsize_request.trace.xz"
    finish || exit 1
    exit 77
fi

# Apache, combined format: the counts awk finds. The sample has no escaped
# quotes, so a well-formed line has exactly six '"'; status is field 9.
log="$data/apache_combined_2015.log"
if grep -q '\\"' "$log"; then fail "the sample has escaped quotes: the awk counts below would be wrong"; fi
n_read=$(wc -l <"$log" | tr -d ' ')
n_bad=$(awk -F'"' 'NF != 7' "$log" | wc -l | tr -d ' ')
bad_line=$(awk -F'"' 'NF != 7 { print NR; exit }' "$log")
awk -F'"' 'NF == 7' "$log" >"$tmp/wellformed.log"
n_ok=$(awk '$9 ~ /^[23][0-9][0-9]$/' "$tmp/wellformed.log" | wc -l | tr -d ' ')
n_status=$(awk '$9 !~ /^[23][0-9][0-9]$/' "$tmp/wellformed.log" | wc -l | tr -d ' ')
n_keys=$(awk '$9 ~ /^[23][0-9][0-9]$/ { k = $7; sub(/\?.*/, "", k); print k }' "$tmp/wellformed.log" | sort -u | wc -l | tr -d ' ')
echo "     awk: $n_read lines, $n_ok to import, $n_status other statuses, $n_bad malformed (line $bad_line), $n_keys keys"

run trace import --format combined "$log" -o "$tmp/apache.trace" \
    --emit-service "$tmp/apache.service.json" --emit-arch "$tmp/apache.json"
expect_status "import the Apache sample" 0
sed 's/^/     | /' "$tmp/err"
grep -q "^lines      $n_read read, $n_ok imported, $((n_status + n_bad)) skipped\$" "$tmp/err" &&
    ok "apache: $n_read read, $n_ok imported, $((n_status + n_bad)) skipped" || fail "apache counts" "$(head -3 "$tmp/err")"
grep -q "^skipped    $n_status status not selected" "$tmp/err" && ok "apache: $n_status statuses left out" || fail "apache status count"
grep -q "^skipped    $n_bad a quoted field without its closing quote: line $bad_line\$" "$tmp/err" &&
    ok "apache: the cut line $bad_line is reported" || fail "apache malformed line" "$(cat "$tmp/err")"
grep -q "^keys       $n_keys distinct\$" "$tmp/err" && ok "apache: $n_keys distinct keys" || fail "apache keys" "$(grep keys "$tmp/err")"
[ "$(grep -vc '^#' "$tmp/apache.trace")" -eq "$n_ok" ] && ok "apache: $n_ok request lines" || fail "apache request lines"
[ "$(grep -v '^#' "$tmp/apache.trace" | cut -f2 | sort -u | wc -l | tr -d ' ')" -eq "$n_keys" ] && ok "apache: keys in the trace" || fail "apache keys in the trace"
in_order "$tmp/apache.trace" && ok "apache: times never decrease" || fail "apache: out of order"

# Sorting and spreading, checked per second: the requests awk counts in
# each second of the log (from the earliest) are the requests the trace has
# in that second; and each second's first request is at (0.5 / n) s.
awk '$9 ~ /^[23][0-9][0-9]$/ {
        split(substr($4, 2), a, "[/:]")
        s = ((a[1] * 24 + a[4]) * 60 + a[5]) * 60 + a[6]
        n[s]++; if (min == "" || s < min) min = s
    } END { for (s in n) printf "%d %d\n", s - min, n[s] }' "$tmp/wellformed.log" | sort -n >"$tmp/per_second.awk"
grep -v '^#' "$tmp/apache.trace" | awk -F'\t' '{ n[int($1 / 1000000)]++ }
    END { for (s in n) printf "%d %d\n", s, n[s] }' | sort -n >"$tmp/per_second.trace"
cmp -s "$tmp/per_second.awk" "$tmp/per_second.trace" && ok "apache: requests per second match the log" ||
    fail "apache: per-second counts differ" "$(diff "$tmp/per_second.awk" "$tmp/per_second.trace" | head -5)"
grep -v '^#' "$tmp/apache.trace" | awk -F'\t' '{ s = int($1 / 1000000); n[s]++; if (!(s in f)) f[s] = $1 % 1000000 }
    END { for (s in n) if (f[s] != int(1000000 / (2 * n[s]))) { print s, n[s], f[s]; exit 1 } }' &&
    ok "apache: the first of n requests in a second is at 0.5/n s" || fail "apache: spreading"
n_late=$(awk '$9 ~ /^[23][0-9][0-9]$/ {
        split(substr($4, 2), a, "[/:]")
        s = ((a[1] * 24 + a[4]) * 60 + a[5]) * 60 + a[6]
        if (NR > 1 && seen && s < max) late++
        if (!seen || s > max) max = s; seen = 1
    } END { print late + 0 }' "$tmp/wellformed.log")
grep -q "^sorted     $n_late requests that came after a later one\$" "$tmp/err" && ok "apache: $n_late requests sorted into place" || fail "apache sorted count" "$(grep sorted "$tmp/err")"
mean=$(awk '$9 ~ /^[23][0-9][0-9]$/ { b += ($10 == "-" ? 0 : $10); n++ } END { printf "%.1f", b / n }' "$tmp/wellformed.log")
grep -q "^sizes      mean $mean bytes" "$tmp/err" && ok "apache: mean size $mean" || fail "apache mean size" "$(grep sizes "$tmp/err")"

run replay "$tmp/apache.trace" --arch "$tmp/apache.json" --format json -o "$tmp/apache.result.json"
expect_status "replay the Apache trace with the emitted files" 0
[ "$(json_get "$tmp/apache.result.json" completed)" = "$n_ok" ] && ok "apache replay: completed == imported ($n_ok)" || fail "apache replay completed $(json_get "$tmp/apache.result.json" completed)"
[ "$(json_get "$tmp/apache.result.json" failed)" = 0 ] && ok "apache replay: none failed" || fail "apache replay failures"

# A window too small for this log's disorder skips what it cannot sort.
run trace import --format combined "$log" -o "$tmp/w.trace" --window 0
expect_status "apache with --window 0" 0
grep -q "^skipped    $n_late out of order beyond the window (--window 0)" "$tmp/err" && ok "apache --window 0: $n_late late lines skipped" || fail "apache --window 0" "$(cat "$tmp/err")"
in_order "$tmp/w.trace" && ok "apache --window 0: in order" || fail "apache --window 0 order"

# AdaptSize, "time id size" per line: csv with blanks.
xz -dc "$data/adaptsize_request.trace.xz" >"$tmp/adaptsize.txt"
a_read=$(wc -l <"$tmp/adaptsize.txt" | tr -d ' ')
a_ok=$(awk 'NF == 3 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/' "$tmp/adaptsize.txt" | wc -l | tr -d ' ')
a_keys=$(awk '{ print $2 }' "$tmp/adaptsize.txt" | sort -u | wc -l | tr -d ' ')
a_first=$(awk 'NR == 1 { print $1 }' "$tmp/adaptsize.txt")
a_last=$(awk '{ t = $1 } END { print t }' "$tmp/adaptsize.txt")
echo "     awk: $a_read lines, $a_ok well-formed, $a_keys keys, times $a_first to $a_last"
run trace import --format csv --sep ' ' --time 1 --key 2 --bytes 3 "$tmp/adaptsize.txt" \
    -o "$tmp/adaptsize.trace" --emit-service "$tmp/adaptsize.service.json" --emit-arch "$tmp/adaptsize.json"
expect_status "import the AdaptSize trace" 0
sed 's/^/     | /' "$tmp/err"
grep -q "^lines      $a_read read, $a_ok imported, $((a_read - a_ok)) skipped\$" "$tmp/err" &&
    ok "adaptsize: $a_read read, $a_ok imported" || fail "adaptsize counts" "$(head -3 "$tmp/err")"
grep -q "^keys       $a_keys distinct\$" "$tmp/err" && ok "adaptsize: $a_keys distinct keys" || fail "adaptsize keys"
[ "$(grep -vc '^#' "$tmp/adaptsize.trace")" -eq "$a_ok" ] && ok "adaptsize: $a_ok request lines" || fail "adaptsize request lines"
in_order "$tmp/adaptsize.trace" && ok "adaptsize: times never decrease" || fail "adaptsize: out of order"
span_us=$(( (a_last - a_first) * 1000000 ))
[ "$(grep -v '^#' "$tmp/adaptsize.trace" | tail -1 | cut -f1)" = "$span_us" ] && ok "adaptsize: seconds kept, from 0" || fail "adaptsize last time"
grep -v '^#' "$tmp/adaptsize.trace" | cut -f2 >"$tmp/a.keys"
awk '{ print $2 }' "$tmp/adaptsize.txt" | cmp -s - "$tmp/a.keys" && ok "adaptsize: keys in input order" || fail "adaptsize keys differ"

run replay "$tmp/adaptsize.trace" --arch "$tmp/adaptsize.json" --format json -o "$tmp/adaptsize.result.json"
expect_status "replay the AdaptSize trace with the emitted files" 0
[ "$(json_get "$tmp/adaptsize.result.json" completed)" = "$a_ok" ] && ok "adaptsize replay: completed == imported ($a_ok)" || fail "adaptsize replay completed"

# The same through gzip on stdin gives the same requests.
gzip -c "$tmp/adaptsize.txt" >"$tmp/adaptsize.txt.gz"
set +e
"$FLUXOSIM" trace import --format csv --sep ' ' --time 1 --key 2 --bytes 3 - --name adaptsize \
    -o "$tmp/adaptsize2.trace.gz" --quiet <"$tmp/adaptsize.txt.gz"
status=$?
set -e
expect_status "adaptsize gzip on stdin" 0
gzip -dc "$tmp/adaptsize2.trace.gz" | cmp -s - "$tmp/adaptsize.trace" && ok "adaptsize: gzip stdin gives the same trace" || fail "adaptsize gzip trace differs"

finish
