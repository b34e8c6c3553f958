#!/bin/sh
# run.sh - the bad-input corpus: every line of tests/bad/cases.txt is a bad
# input or a bad command line, and fluxosim must answer each with exactly
# one error line, its documented exit code, nothing on standard output, no
# file left behind and no input changed (see doc/robustness.part.md).
#
# A line of cases.txt reads
#
#   NAME | EXIT | COMMAND | REGEX
#
# COMMAND is either the arguments of one fluxosim run, with placeholders,
# or a shorthand that runs the input through every command that reads it:
#
#   @TRACE@ FILE     validate @GOOD_SVC@ FILE
#                    replay FILE --arch @GOOD_ARCH@ -o @DIR@/out.json
#   @ARCH@ FILE      validate FILE
#                    replay @GOOD_TRACE@ --arch FILE -o @DIR@/out.json
#   @SERVICE@ FILE   validate FILE
#                    replay @GOOD_TRACE@ --arch A -o @DIR@/out.json, where A
#                    is a one-pool architecture whose "service" is FILE
#
# FILE is a name in @DIR@, the scratch folder that holds a copy of
# tests/bad/data/, the files generate() makes below and the good fixtures
# @GOOD_SVC@, @GOOD_ARCH@ and @GOOD_TRACE@. A shorthand's error line must
# also name a file of @DIR@ (FILE, or the file FILE names that is at fault).
# Placeholders may appear anywhere in a command, which is run through the
# shell (so "< @DIR@/x.trace" feeds standard input).
#
# Each run is five checks, one ok/FAIL line each: the exit code (and no
# signal); exactly one line on stderr, "fluxosim: error: " then text matching
# the extended regular expression REGEX, with no other control character;
# nothing on stdout (but validate's "ok" lines for the good fixtures); no
# out.* or *.tmp.* file left in @DIR@; no input file changed (the regular
# files named on the command line, and @DIR@/keep.json, which a case may name
# as an output that a failed run must leave alone).
#
# A line starting with "#KNOWN " is a case fluxosim fails today; the comment
# above it says how. It is counted and skipped, or run with BAD_KNOWN=1 to
# see whether it has been fixed. Other lines starting with "#", and blank
# lines, are comments.
#
# Usage: FLUXOSIM=/abs/fluxosim srcdir=/abs/top sh tests/bad/run.sh [NAME...]
# (the names, when given, select cases by their exact NAME).
set -eu
srcdir=${srcdir:-.}
. "$srcdir/tests/lib.sh"
here=$srcdir/tests/bad
cases=${BAD_CASES:-$here/cases.txt}
d=$tmp/d
mkdir "$d"

# ---- fixtures ----------------------------------------------------------------

good_svc=$d/good.service.json
good_arch=$d/good.json
good_trace=$d/good.trace
write_fixtures() {
    cat >"$good_svc" <<'JSON'
{"service": "s", "entry": "a", "exit": "c",
 "nodes": [{"id": "a", "profile": "exp:200us"},
           {"id": "b", "profile": "det:100us", "volatile_s": 60},
           {"id": "c", "profile": "exp:300us", "out_bytes": 64}],
 "edges": [["a", "b"], ["b", "c"]]}
JSON
    cat >"$good_arch" <<'JSON'
{"name": "good", "service": "good.service.json",
 "pools": [{"id": "front", "nodes": ["a", "b"], "servers": 1, "cost_per_hour": 0.5},
           {"id": "back", "nodes": ["c"], "servers": 2, "cost_per_hour": 0.25,
            "discipline": "ps"}],
 "network": {"hop": "det:100us", "bandwidth_mbps": 1000}}
JSON
    printf '#fluxotrace 1\n#service s\n1000\tk1\ta=150\tb=90/10/ab\tc=250/64/ff\n2000\tk2\ta=150\n3000\tk1\n' \
        >"$good_trace"
}
write_fixtures

# The data files, writable (a distcheck source tree is read-only, and cp
# keeps that).
copy_data() {
    cp "$here"/data/* "$d"/
    chmod -R u+w "$d"
}
copy_data

# ---- inputs that are awkward to keep as text -----------------------------------

# rep N TEXT: TEXT N times, without a newline.
rep() { awk -v n="$1" -v s="$2" 'BEGIN { while (n-- > 0) printf "%s", s }'; }

generate() {
    # Trace: CR LF line ends, in the first line and in a request.
    printf '#fluxotrace 1\r\n1000\tk\ta=5\r\n' >"$d/crlf-header.trace"
    printf '#fluxotrace 1\n1000\tk\ta=5\r\n' >"$d/crlf.trace"
    # Trace: NUL bytes in a key, in a header, and as the whole first line.
    printf '#fluxotrace 1\n1000\tk\000y\ta=5\n' >"$d/nul.trace"
    printf '#fluxotrace 1\n# comment\000\n1000\tk\ta=5\n' >"$d/nul-comment.trace"
    printf '\000\000\000\000' >"$d/nul-only.trace"
    # Trace: a control byte in the key, and a DEL.
    printf '#fluxotrace 1\n1000\tk\001y\ta=5\n' >"$d/ctrl-key.trace"
    printf '#fluxotrace 1\n1000\tk\177\ta=5\n' >"$d/del-key.trace"
    # Trace: one line of 1 MiB + 1 byte (the limit is 1 MiB without the LF;
    # "1000<TAB>" and "<TAB>a=5" take 9 bytes of the line),
    # a line of exactly 1 MiB (legal length, its key too long), and a key of
    # 1025 bytes (the limit is 1024).
    { printf '#fluxotrace 1\n1000\t'; head -c 1048568 /dev/zero | tr '\000' k; printf '\ta=5\n'; } \
        >"$d/long-line.trace"
    { printf '#fluxotrace 1\n1000\t'; head -c 1048567 /dev/zero | tr '\000' k; printf '\ta=5\n'; } \
        >"$d/mib-line.trace"
    { printf '#fluxotrace 1\n1000\t'; rep 1025 k; printf '\ta=5\n'; } >"$d/long-key.trace"
    # Trace: 4 MiB without a single LF (the reader must not grow without end).
    head -c 4194304 /dev/zero | tr '\000' 7 >"$d/no-newline.trace"
    # Trace: a gzip stream cut short, one whose CRC is wrong, the magic alone.
    { printf '#fluxotrace 1\n'; i=1; while [ $i -le 300 ]; do printf '%d\tk%d\ta=%d\n' $((i * 1000)) $i $i; i=$((i + 1)); done; } \
        >"$d/plain300.trace"
    gzip -n -9 -c "$d/plain300.trace" >"$d/full.trace.gz"
    size=$(wc -c <"$d/full.trace.gz")
    head -c $((size / 2)) "$d/full.trace.gz" >"$d/truncated.trace.gz"
    head -c $((size - 8)) "$d/full.trace.gz" >"$d/corrupt-crc.trace.gz"
    printf '\001\002\003\004\000\020\000\000' >>"$d/corrupt-crc.trace.gz"
    printf '\037\213' >"$d/gzip-magic.trace.gz"
    printf '\037\213\010\000\000\000\000\000\000\003garbage-not-deflate' >"$d/gzip-bad-deflate.trace.gz"
    # Text appended after the end of a complete gzip member.
    { cat "$d/full.trace.gz"; printf '301000\tk301\ta=5\n'; } >"$d/gzip-trailing.trace.gz"
    rm "$d/full.trace.gz" "$d/plain300.trace"
    # Binary garbage: a raw deflate stream (deterministic bytes of every value).
    seq 1 3000 | gzip -n -9 | tail -c +11 >"$d/garbage.bin"
    # JSON: NUL bytes, in the service and in an architecture.
    printf '{"service": "s",\000 "entry": "a"}\n' >"$d/nul.service.json"
    printf '{"name": "x", "service": "good.service.json"\000, "pools": []}\n' >"$d/nul.json"
    # JSON: an id whose bytes are a broken UTF-8 sequence around a raw
    # newline, and around an ESC (found by fuzz/fuzz_json).
    printf '{"service": "s", "entry": "a", "exit": "a", "nodes": [{"id": "\361\nxy"}], "edges": []}\n' \
        >"$d/utf8-newline.service.json"
    printf '{"service": "s", "entry": "a", "exit": "a", "nodes": [{"id": "\361\033[31mRED"}], "edges": []}\n' \
        >"$d/utf8-escape.service.json"
    # JSON: a UTF-8 byte order mark and nothing else; a UTF-16 one.
    printf '\357\273\277' >"$d/bom-only.service.json"
    printf '\377\376{\000}\000' >"$d/utf16.service.json"
    # JSON: a file of 64 MiB + 1 byte (the limit is 64 MiB).
    { printf '{'; head -c 67108863 /dev/zero | tr '\000' ' '; printf '}'; } >"$d/huge.service.json"
    # JSON: arrays nested 100000 deep (a recursive parser must not overflow).
    { printf '{"service": '; rep 100000 '['; rep 100000 ']'; printf '}\n'; } >"$d/deep.service.json"
    # Service: 1025 nodes (the limit is 1024).
    { printf '{"service": "s", "entry": "n0", "exit": "n0", "edges": [], "nodes": [{"id": "n0"}'
      i=1; while [ $i -le 1024 ]; do printf ', {"id": "n%d"}' $i; i=$((i + 1)); done
      printf ']}\n'; } >"$d/nodes-1025.service.json"
    # Service: a profile spec of 5000 characters (the limit is 4096).
    { printf '{"service": "s", "entry": "a", "exit": "a", "edges": [], "nodes": [{"id": "a", "profile": "exp:'
      rep 4990 0; printf '1ms"}]}\n'; } >"$d/long-spec.service.json"
    # Service: an id of 129 characters (the limit is 128).
    { printf '{"service": "'; rep 129 s; printf '", "entry": "a", "exit": "a", "edges": [], "nodes": [{"id": "a"}]}\n'; } \
        >"$d/long-id.service.json"
    # Architecture: 257 pools (the limit is 256).
    { printf '{"name": "x", "service": "good.service.json", "pools": [{}'
      i=1; while [ $i -le 256 ]; do printf ', {}'; i=$((i + 1)); done
      printf ']}\n'; } >"$d/pools-257.json"
    # Architecture: 256 caches (the limit is 255).
    { printf '{"name": "x", "service": "good.service.json", "pools": [{"id": "p", "nodes": ["a", "b", "c"], "servers": 1, "cost_per_hour": 1}], "caches": [{}'
      i=1; while [ $i -le 255 ]; do printf ', {}'; i=$((i + 1)); done
      printf ']}\n'; } >"$d/caches-256.json"
    # A partition lookup file with a line of 5000 bytes (fgets reads 4095).
    { rep 5000 k; printf ' 1\n'; } >"$d/keys-long.txt"
    # A lookup file line ending in a control sequence (ESC) before its LF.
    printf 'k1 1\033[31m x\n' >"$d/keys-escape.txt"
    sed 's/keys-bad-line/keys-escape/' "$d/arch-lookup-bad-line.json" >"$d/arch-lookup-escape.json"
    # Directories where files belong; links to the good files (for outputs
    # that must not overwrite an input under another name).
    mkdir "$d/dir.trace" "$d/dir.json" "$d/dir.service.json"
    ln -s good.trace "$d/link.trace"
    ln "$d/good.trace" "$d/hard.trace"
    ln -s good.service.json "$d/link.service.json"
}
generate

# The one-pool architecture around a service file, for @SERVICE@.
wrap() {
    printf '{"name": "wrap", "service": "%s", "pools": [{"id": "p", "nodes": ["a"], "servers": 1, "cost_per_hour": 1}]}\n' \
        "$1" >"$d/wrap.json"
}

# ---- running one case ------------------------------------------------------------

# q S: S single-quoted for the shell.
q() {
    case $1 in
    *"'"*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf "'%s'" "$1" ;;
    esac
}

# subst CMD: CMD with its placeholders replaced by quoted paths.
qd=$(q "$d") qsvc=$(q "$good_svc") qarch=$(q "$good_arch") qtrace=$(q "$good_trace")
subst() {
    case $1 in
    *@*) printf '%s' "$1" | sed -e "s|@DIR@|$qd|g" -e "s|@GOOD_SVC@|$qsvc|g" \
        -e "s|@GOOD_ARCH@|$qarch|g" -e "s|@GOOD_TRACE@|$qtrace|g" -e "s|@NOARGS@||g" ;;
    *) printf '%s' "$1" ;;
    esac
}

# sums ARGS: checksums of the regular files among the words of ARGS, so a
# run can be shown to have changed none of its inputs.
sums() {
    eval "set -- $1"
    s_files=
    for w in "$@"; do
        [ -f "$w" ] && s_files="$s_files $(q "$w")"
    done
    eval "cksum $s_files" </dev/null
}

# check NAME CODE REGEX MUSTNAME ARGS: run fluxosim ARGS (a shell word list,
# placeholders allowed) and check everything a bad input must give.
check() {
    c_name=$1 c_code=$2 c_regex=$3 c_must=$4
    c_args=$(subst "$5")
    echo keep >"$d/keep.json"
    c_before=$(sums "$c_args")
    set +e
    eval "\"\$FLUXOSIM\" $c_args" </dev/null >"$tmp/out" 2>"$tmp/err"
    status=$?
    set -e
    if [ "$status" -ge 128 ]; then
        fail "$c_name: killed by signal $((status - 128))" "$(head -5 "$tmp/err")"
    elif [ "$status" -eq "$c_code" ]; then
        ok "$c_name: exit $c_code"
    else
        fail "$c_name: exit $status, expected $c_code" "$(head -3 "$tmp/err")"
    fi
    c_lines=$(wc -l <"$tmp/err")
    # One line: the LF ends it, and no other control character (a CR, an ESC)
    # may hide in it.
    if [ "$c_lines" -eq 1 ] && grep -Eq -- "^fluxosim: error: .*$c_regex" "$tmp/err" \
        && { [ -z "$c_must" ] || grep -Fq -- "$c_must" "$tmp/err"; } \
        && ! tr -d '\n\t' <"$tmp/err" | LC_ALL=C grep -q '[[:cntrl:]]'; then
        ok "$c_name: one error line"
    else
        fail "$c_name: expected one line /fluxosim: error: .*$c_regex/${c_must:+ naming a file in $c_must}, no control character; found $c_lines" \
            "$(head -c 2000 "$tmp/err" | head -5)"
    fi
    # validate prints "FILE: ok" for the good files before the bad one.
    if grep -Fv -e "$good_svc: ok" -e "$good_arch: ok" "$tmp/out" | grep -q .; then
        fail "$c_name: nothing on stdout" "$(head -c 500 "$tmp/out" | head -3)"
    else
        ok "$c_name: nothing on stdout"
    fi
    c_left=$(cd "$d" && ls -d -- out.* *.tmp.* 2>/dev/null) || true
    if [ -z "$c_left" ]; then
        ok "$c_name: no file left behind"
    else
        fail "$c_name: no file left behind" "found: $c_left"
        (cd "$d" && rm -rf -- out.* *.tmp.*)
    fi
    c_after=$(sums "$c_args")
    read -r c_keep <"$d/keep.json" || c_keep=
    if [ "$c_keep" = keep ] && [ "$c_before" = "$c_after" ]; then
        ok "$c_name: no input changed"
    else
        fail "$c_name: no input changed" "keep.json: $c_keep" "before: $c_before" "after:  $c_after"
        # Put the inputs back for the cases that follow.
        write_fixtures
        copy_data
    fi
}

trim() {
    t=$1
    t=${t#"${t%%[![:space:]]*}"}
    t=${t%"${t##*[![:space:]]}"}
    printf '%s' "$t"
}

only=" $* "
selected() {
    case $only in "  " | *" $1 "*) return 0 ;; esac
    return 1
}

ncases=0 nknown=0 nskipped=0
exec 3<"$cases"
while IFS= read -r line <&3; do
    known=
    case $line in
    "#KNOWN "*) known=1 line=${line#"#KNOWN "} ;;
    "#"* | "") continue ;;
    esac
    name=$(trim "${line%%|*}")
    rest=${line#*|}
    code=$(trim "${rest%%|*}")
    rest=${rest#*|}
    cmd=$(trim "${rest%%|*}")
    regex=$(trim "${rest#*|}")
    selected "$name" || continue
    ncases=$((ncases + 1))
    if [ -n "$known" ]; then
        nknown=$((nknown + 1))
        if [ "${BAD_KNOWN:-0}" != 1 ]; then
            nskipped=$((nskipped + 1))
            echo "skip $name (#KNOWN: see its comment in cases.txt)"
            continue
        fi
        name="$name [known]"
    fi
    set -f
    set -- $cmd
    set +f
    case $1 in
    @TRACE@)
        f=$d/$2
        check "$name (validate)" "$code" "$regex" "$d/" "validate @GOOD_SVC@ $(q "$f")"
        check "$name (replay)" "$code" "$regex" "$d/" "replay $(q "$f") --arch @GOOD_ARCH@ -o @DIR@/out.json"
        ;;
    @ARCH@)
        f=$d/$2
        check "$name (validate)" "$code" "$regex" "$d/" "validate $(q "$f")"
        check "$name (replay)" "$code" "$regex" "$d/" "replay @GOOD_TRACE@ --arch $(q "$f") -o @DIR@/out.json"
        ;;
    @SERVICE@)
        f=$d/$2
        check "$name (validate)" "$code" "$regex" "$d/" "validate $(q "$f")"
        wrap "$f"
        check "$name (replay)" "$code" "$regex" "$d/" "replay @GOOD_TRACE@ --arch @DIR@/wrap.json -o @DIR@/out.json"
        ;;
    *)
        check "$name" "$code" "$regex" "" "$cmd"
        ;;
    esac
done
exec 3<&-

echo "$ncases cases ($nknown known to fail$([ "$nskipped" -gt 0 ] && printf ', skipped'))"
finish
