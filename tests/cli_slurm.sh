#!/bin/sh
# cli_slurm.sh - `fluxosim sweep --emit-slurm / --submit slurm / --inputs`
# without a cluster: the scripts' contents, the checksums against
# sha256sum(1), a shard refusing an edited input, the option errors, and
# --submit --wait driven by a stand-in sbatch that runs the jobs here and, as
# the real one does, exits 0 when a merge is cancelled because a shard
# failed. tests/cluster/slurm.sh runs the same against a real Slurm.
set -eu
. "${srcdir:-.}/tests/lib.sh"

cat >"$tmp/s.service.json" <<'JSON'
{"service": "s", "entry": "a", "exit": "b",
 "nodes": [{"id": "a", "profile": "exp:200us"}, {"id": "b", "profile": "exp:300us"}],
 "edges": [["a", "b"]]}
JSON
cat >"$tmp/c.json" <<'JSON'
{"name": "two-tier", "service": "s.service.json",
 "pools": [{"id": "front", "nodes": ["a"], "servers": 1, "cost_per_hour": 0.5},
           {"id": "back", "nodes": ["b"], "servers": 1, "cost_per_hour": 0.25}]}
JSON
/usr/bin/python3 - "$tmp" <<'PY'
import sys
with open("%s/t.trace" % sys.argv[1], "w") as f:
    f.write("#fluxotrace 1\n#service s\n")
    for i in range(1500):
        f.write("%d\tk%d\ta=%d\n" % (1000 * (i + 1), i % 37, 150 + i % 100))
PY
cat >"$tmp/q.sweep.json" <<'JSON'
{"arch": "c.json", "traces": {"w": "t.trace"},
 "grid": {"pools.back.servers": [1, 2, 3], "rate_scale": [0.5, 1, 2]},
 "replications": 2, "seed": 3,
 "metrics": ["latency_ms.mean", "latency_ms.p99"]}
JSON
"$FLUXOSIM" sweep "$tmp/q.sweep.json" -j 2 -q -o "$tmp/local.csv"

# ---- the scripts ----------------------------------------------------------------

run sweep "$tmp/q.sweep.json" --emit-slurm "$tmp/e" --shards 3 -j 2 --partition short \
    --time 0:10:00 --mem 1G -o "$tmp/merged.csv"
expect_status "--emit-slurm" 0
for f in shards.sbatch merge.sbatch submit.sh; do
    if [ -x "$tmp/e/$f" ] && head -1 "$tmp/e/$f" | grep -q '^#!/bin/sh$'; then ok "$f: an executable sh script"; else fail "$f missing or not executable"; fi
done
if [ -f "$tmp/e/inputs.sha256" ] && [ ! -x "$tmp/e/inputs.sha256" ]; then ok "inputs.sha256 written"; else fail "inputs.sha256"; fi
sh_ok=1
for f in shards.sbatch merge.sbatch submit.sh; do sh -n "$tmp/e/$f" || sh_ok=0; done
if [ $sh_ok -eq 1 ]; then ok "the scripts parse (sh -n)"; else fail "a script does not parse"; fi
e=$(cd "$tmp/e" && pwd -P)
self=$(cd "$(dirname "$FLUXOSIM")" && pwd -P)/$(basename "$FLUXOSIM")
sweepabs=$(cd "$tmp" && pwd -P)/q.sweep.json
for line in '#SBATCH --array=1-3' '#SBATCH --cpus-per-task=2' '#SBATCH --partition=short' \
    '#SBATCH --time=0:10:00' '#SBATCH --mem=1G' "#SBATCH --output=$e/shard-%a.log" \
    "exec '$self' sweep '$sweepabs' \\" \
    '    --shard "$SLURM_ARRAY_TASK_ID/3" --jobs "${SLURM_CPUS_PER_TASK:-2}" \' \
    "    --inputs '$e/inputs.sha256' --resume --quiet \\"; do
    if grep -qxF -- "$line" "$tmp/e/shards.sbatch"; then ok "shards.sbatch: $line"; else fail "shards.sbatch lacks: $line" "$(cat "$tmp/e/shards.sbatch")"; fi
done
if grep -qxF "#SBATCH --output=$e/merge.log" "$tmp/e/merge.sbatch" &&
    grep -qxF "exec '$self' sweep merge '$(cd "$tmp" && pwd -P)/merged.csv' \"\$@\"" "$tmp/e/merge.sbatch"; then
    ok "merge.sbatch merges into the absolute -o path"
else
    fail "merge.sbatch" "$(cat "$tmp/e/merge.sbatch")"
fi
if grep -q -- "--dependency=afterok:\"\$array\" --kill-on-invalid-dep=yes '$e/merge.sbatch'" "$tmp/e/submit.sh"; then
    ok "submit.sh: the merge after the array (afterok)"
else
    fail "submit.sh lacks the afterok dependency" "$(cat "$tmp/e/submit.sh")"
fi

# The checksums, against sha256sum on the same files.
(cd "$tmp" && sha256sum "$(pwd -P)/q.sweep.json" "$(pwd -P)/c.json" "$(pwd -P)/s.service.json" "$(pwd -P)/t.trace") >"$tmp/want.sha256"
if cmp -s "$tmp/want.sha256" "$tmp/e/inputs.sha256"; then ok "inputs.sha256 equals sha256sum of the 4 inputs"; else fail "inputs.sha256 differs from sha256sum" "$(diff "$tmp/want.sha256" "$tmp/e/inputs.sha256")"; fi
if sha256sum --check --quiet "$tmp/e/inputs.sha256"; then ok "sha256sum --check accepts it"; else fail "sha256sum --check"; fi

# ---- --inputs: a shard checks them ----------------------------------------------

run sweep "$tmp/q.sweep.json" --shard 2/3 --inputs "$tmp/e/inputs.sha256" -q -o "$tmp/s2.csv"
expect_status "a shard with unchanged inputs runs" 0
cp "$tmp/t.trace" "$tmp/t.trace.orig"
printf '# edited\n' >>"$tmp/t.trace"
run sweep "$tmp/q.sweep.json" --shard 1/3 --inputs "$tmp/e/inputs.sha256" -q -o "$tmp/s1.csv"
expect_error "an edited trace" 3 "inputs.sha256:4: expected .*/t.trace to be as submitted \(sha256 [0-9a-f]{12}\.\.\.\), found it changed"
if [ ! -e "$tmp/s1.csv" ]; then ok "nothing written by the refused shard"; else fail "the refused shard wrote $tmp/s1.csv"; fi
run sweep "$tmp/q.sweep.json" --emit-slurm "$tmp/e" --shards 3
expect_error "emitting into a folder whose inputs changed" 3 "holds the scripts of this sweep's earlier submission, whose inputs have changed since"
mv "$tmp/t.trace.orig" "$tmp/t.trace"
printf 'not a checksum\n' >"$tmp/bad.sha256"
run sweep "$tmp/q.sweep.json" --inputs "$tmp/bad.sha256" -q
expect_error "a bad manifest line" 3 'bad.sha256:1: expected "SHA256  /ABSOLUTE/PATH" ending in a newline, found "not a checksum"'
good=$(head -1 "$tmp/e/inputs.sha256")
hex=${good%%  *}
up=$(printf '%s' "$hex" | tr a-f A-F)
for bad in "upper|$up  /x|expected \"SHA256  /ABSOLUTE/PATH\" ending in a newline" \
    "relative|$hex  q.sweep.json|expected \"SHA256  /ABSOLUTE/PATH\"" \
    "one space|$hex /x|expected \"SHA256  /ABSOLUTE/PATH\"" \
    "short hex|abc  /x|expected \"SHA256  /ABSOLUTE/PATH\"" \
    "missing file|$hex  $tmp/nonexistent|bad.sha256:1: .*nonexistent: cannot open: No such file" \
    "a folder|$hex  /|bad.sha256:1: /: cannot read: Is a directory"; do
    name=${bad%%|*}
    rest=${bad#*|}
    printf '%s\n' "${rest%%|*}" >"$tmp/bad.sha256"
    run sweep "$tmp/q.sweep.json" --inputs "$tmp/bad.sha256" -q
    expect_error "manifest: $name" "$(case $name in missing*|a\ folder) echo 1 ;; *) echo 3 ;; esac)" "${rest#*|}"
done
printf '%s' "$good" >"$tmp/bad.sha256"
run sweep "$tmp/q.sweep.json" --inputs "$tmp/bad.sha256" -q
expect_error "manifest: no newline at the end" 3 'bad.sha256:1: expected "SHA256  /ABSOLUTE/PATH" ending in a newline'
printf '%s\n\000\n' "$good" >"$tmp/bad.sha256"
run sweep "$tmp/q.sweep.json" --inputs "$tmp/bad.sha256" -q
expect_error "manifest: a NUL byte" 3 'bad.sha256:2: expected "SHA256  /ABSOLUTE/PATH"'
head -2 "$tmp/e/inputs.sha256" >"$tmp/short.sha256"
run sweep "$tmp/q.sweep.json" --inputs "$tmp/short.sha256" -q
expect_error "a manifest without an input" 3 "short.sha256: expected a checksum of .*/s.service.json, which this sweep reads, found none"
run sweep "$tmp/q.sweep.json" --inputs "$tmp/none.sha256" -q
expect_error "a missing manifest" 1 "none.sha256: cannot open"

# ---- option errors -------------------------------------------------------------------

run sweep "$tmp/q.sweep.json" --shards 2
expect_error "--shards alone" 2 "--shards: expected it with --emit-slurm or --submit"
run sweep "$tmp/q.sweep.json" --wait
expect_error "--wait alone" 2 "--wait: expected it with --submit slurm"
run sweep "$tmp/q.sweep.json" --submit pbs --shards 2
expect_error "--submit pbs" 2 '--submit: expected slurm, found "pbs"'
run sweep "$tmp/q.sweep.json" --emit-slurm "$tmp/x"
expect_error "--emit-slurm without --shards" 2 "--shards: expected 1 to [0-9]+ shards for --emit-slurm, found none"
run sweep "$tmp/q.sweep.json" --emit-slurm "$tmp/x" --shards 10
expect_error "more shards than points" 2 "--shards: expected at most the sweep's 9 points, found 10"
run sweep "$tmp/q.sweep.json" --emit-slurm "$tmp/x" --shards 2 --partition 'a b'
expect_error "a partition with a space" 2 'expected a Slurm value of letters, digits and "-_.:,\+=", found "a b"'
run sweep "$tmp/q.sweep.json" --emit-slurm "$tmp/x" --shards 2 --shard 1/2
expect_error "--shard with --emit-slurm" 2 "--shard: expected the options of a local run only"
if [ ! -e "$tmp/x" ]; then ok "no folder made by a refused command"; else fail "$tmp/x made"; fi
run sweep "$tmp/q.sweep.json" --emit-slurm "$tmp/a%b" --shards 2
expect_error "--emit-slurm into a path with %" 2 "a%b: expected a path without '%' or line breaks for a Slurm script"
if [ ! -e "$tmp/a%b" ]; then ok "no folder made for a refused path"; else fail "$tmp/a%b made"; fi
echo x >"$tmp/afile"
run sweep "$tmp/q.sweep.json" --emit-slurm "$tmp/afile" --shards 2
expect_error "--emit-slurm onto a file" 1 "afile: expected a folder for the Slurm scripts"

# ---- --submit with a stand-in sbatch ---------------------------------------------------

mkdir -p "$tmp/bin"
cat >"$tmp/bin/sbatch" <<'SH'
#!/bin/sh
# A stand-in for sbatch: runs the job here, at once. The array's tasks run
# one after another; FAKE_SKIP_TASK=I leaves task I out (as if killed). A
# job whose afterok dependency failed is cancelled, and like the real sbatch
# --wait exits 0 then.
set -u
d=${FAKE_STATE:?}
n=$(($(cat "$d/next" 2>/dev/null || echo 100) + 1))
echo $n >"$d/next"
wait_=0 dep=
for a in "$@"; do
    case $a in
    --wait) wait_=1 ;;
    --dependency=afterok:*) dep=${a#--dependency=afterok:} ;;
    --*) ;;
    *) script=$a ;;
    esac
done
echo "$*" >>"$d/calls"
array=$(sed -n 's/^#SBATCH --array=1-\([0-9]*\)$/\1/p' "$script")
if [ -n "$dep" ] && [ -e "$d/failed-$dep" ]; then
    echo $n
    exit 0
fi
if [ -n "$array" ]; then
    i=1
    while [ $i -le "$array" ]; do
        if [ "$i" = "${FAKE_SKIP_TASK:-0}" ]; then
            touch "$d/failed-$n"
        elif ! SLURM_ARRAY_TASK_ID=$i sh "$script" >"$d/task-$i.log" 2>&1; then
            touch "$d/failed-$n"
        fi
        i=$((i + 1))
    done
    echo $n
    exit 0
fi
sh "$script" >"$d/job-$n.log" 2>&1
rc=$?
echo $n
[ $wait_ -eq 1 ] && exit $rc
exit 0
SH
chmod +x "$tmp/bin/sbatch"
mkdir -p "$tmp/state"
export FAKE_STATE="$tmp/state"
(
    set +e
    cd "$tmp"
    PATH=$tmp/bin:$PATH FAKE_SKIP_TASK=2 "$FLUXOSIM" sweep q.sweep.json --submit slurm --shards 3 --wait \
        -o "$tmp/sub.csv" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/status"
)
status=$(cat "$tmp/status")
expect_status "--submit --wait with shard 2 lost" 1
if grep -q "^fluxosim: error: slurm: merge job 102 did not run, as 1 of 3 shards never wrote their file [(]shard 2[)]" "$tmp/err" &&
    [ "$(grep -c 'fluxosim: error' "$tmp/err")" -eq 1 ]; then
    ok "the error names merge job 102 and shard 2"
else
    fail "lost shard message" "$(cat "$tmp/err")"
fi
if [ -d "$tmp/q.slurm" ] && [ ! -e "$tmp/sub.csv" ]; then ok "default folder q.slurm, no merged file"; else fail "q.slurm or sub.csv"; fi
if grep -qx -- "--parsable --wait --dependency=afterok:101 --kill-on-invalid-dep=yes $(cd "$tmp" && pwd -P)/q.slurm/merge.sbatch" "$tmp/state/calls"; then
    ok "sbatch called for the merge with afterok on the array, --wait"
else
    fail "sbatch calls" "$(cat "$tmp/state/calls")"
fi
rm -f "$tmp/state/failed-"*
(
    set +e
    cd "$tmp"
    PATH=$tmp/bin:$PATH "$FLUXOSIM" sweep q.sweep.json --submit slurm --shards 3 --wait \
        -o "$tmp/sub.csv" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/status"
)
status=$(cat "$tmp/status")
expect_status "submitted again" 0
expect_out "job ids on stdout" '^103 104$'
if cmp -s "$tmp/local.csv" "$tmp/sub.csv"; then ok "merged equals the local -j 2 run"; else fail "merged differs" "$(diff "$tmp/local.csv" "$tmp/sub.csv" | head)"; fi

(
    set +e
    cd "$tmp"
    PATH=$tmp/bin:$PATH "$FLUXOSIM" sweep q.sweep.json --submit slurm --shards 3 --wait -q \
        -o "$tmp/nodir/sub.csv" >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/status"
)
status=$(cat "$tmp/status")
expect_error "-o in a missing folder" 1 "nodir/sub.csv: cannot resolve"
(
    set +e
    cd "$tmp"
    PATH=/nonexistent "$FLUXOSIM" sweep q.sweep.json --submit slurm --shards 3 -q >"$tmp/out" 2>"$tmp/err"
    echo $? >"$tmp/status"
)
status=$(cat "$tmp/status")
expect_error "no sbatch in PATH" 1 "cannot run sbatch: .*is Slurm installed"

finish
