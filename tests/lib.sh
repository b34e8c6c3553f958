# lib.sh - helpers for the command-line tests (sourced).
# Each check prints "ok" or "FAIL" with what differed; fail_count decides the exit.
FLUXOSIM=${FLUXOSIM:-./fluxosim}
fail_count=0
case_count=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { case_count=$((case_count + 1)); echo "ok   $case_count $1"; }
fail() { case_count=$((case_count + 1)); fail_count=$((fail_count + 1)); echo "FAIL $case_count $1"; shift; for l in "$@"; do echo "     $l"; done; }

# run ARGS...: run fluxosim, capturing stdout, stderr and the exit status.
run() {
    set +e
    "$FLUXOSIM" "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    set -e
}

# expect_status NAME CODE: the last run exited with CODE and no signal.
expect_status() {
    if [ "$status" -eq "$2" ]; then ok "$1: exit $2"; else fail "$1: exit $status, expected $2" "$(head -3 "$tmp/err")"; fi
}

# expect_error NAME CODE PATTERN: exit CODE, exactly one stderr line, of the
# form "fluxosim: error: ..." matching PATTERN (grep -E), and nothing on stdout.
expect_error() {
    expect_status "$1" "$2"
    lines=$(wc -l <"$tmp/err")
    if [ "$lines" -eq 1 ] && grep -Eq "^fluxosim: error: .*$3" "$tmp/err" && [ ! -s "$tmp/out" ]; then
        ok "$1: one error line"
    else
        fail "$1: expected one line 'fluxosim: error: ...$3'" "$(cat "$tmp/err")"
    fi
}

# expect_out NAME PATTERN: stdout matches PATTERN (grep -E).
expect_out() {
    if grep -Eq -- "$2" "$tmp/out"; then ok "$1"; else fail "$1: stdout lacks /$2/" "$(head -5 "$tmp/out")"; fi
}

# json_get FILE KEY.PATH: print a value from a JSON document.
json_get() {
    /usr/bin/python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$1" "$2"
}

finish() {
    echo "$case_count checks, $fail_count failed"
    [ "$fail_count" -eq 0 ]
}
