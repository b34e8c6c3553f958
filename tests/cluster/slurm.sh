#!/bin/sh
# slurm.sh - sweeps on a real Slurm: a one-node cluster (munged, slurmctld,
# slurmd from Debian's packages) started from a configuration written to a
# temporary folder, and stopped again by process id, whatever happens.
#
#   1. the weather load sweep submitted as a 4-shard array with
#      --submit slurm --wait equals a local -j 2 run, byte for byte;
#   2. a shard cancelled while it runs: --wait fails naming the missing
#      points, and submitting again resumes that shard (its rows are kept,
#      none is computed twice) and the merge equals the local run;
#   3. an input edited after submission: the shard refuses to run, naming
#      the file, and a new submission into the same folder is refused.
#
# Run by `make check-cluster` (root, and slurm-wlm and munge installed: see
# doc/cluster.md); FLUXOSIM is the program, srcdir and builddir the trees.
set -eu
. "${srcdir:-.}/tests/lib.sh"
builddir=${builddir:-.}

for tool in munged slurmctld slurmd sbatch squeue scancel sinfo; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "slurm.sh: $tool is missing: install slurm-wlm and munge (./setup --cluster)" >&2
        exit 1
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    echo "slurm.sh: the daemons run as root here: run as root" >&2
    exit 1
fi

# ---- the cluster -------------------------------------------------------------

c=$tmp/cluster
mkdir -p "$c/munge" "$c/state" "$c/spool" "$c/log"
chmod 700 "$c/munge"
chmod 755 "$tmp" "$c"
dd if=/dev/urandom of="$c/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$c/munge/munge.key"

pids=""
stop_daemons() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$p" 2>/dev/null || true
    done
    pids=""
}
trap 'stop_daemons; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# Two free TCP ports for slurmctld and slurmd.
port_free() { ! grep -qi ":$(printf '%04X' "$1") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; }
p=$((20000 + $$ % 20000))
while ! port_free $p || ! port_free $((p + 1)); do p=$((p + 2)); done

host=$(hostname -s)
cpus=$(nproc)
cat >"$c/slurm.conf" <<EOF
ClusterName=fluxosim-check
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$p
SlurmdPort=$((p + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$c/munge/munge.sock
StateSaveLocation=$c/state
SlurmdSpoolDir=$c/spool
SlurmctldPidFile=$c/slurmctld.pid
SlurmdPidFile=$c/slurmd.pid
SlurmctldLogFile=$c/log/slurmctld.log
SlurmdLogFile=$c/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
KillWait=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=check Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
SLURM_CONF=$c/slurm.conf
export SLURM_CONF

munged -F -S "$c/munge/munge.sock" --key-file="$c/munge/munge.key" \
    --log-file="$c/log/munged.log" --pid-file="$c/munge/munged.pid" \
    --seed-file="$c/munge/seed" --force 2>>"$c/log/munged.err" &
pids="$pids $!"
i=0
while [ ! -S "$c/munge/munge.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
slurmctld -D -i -f "$c/slurm.conf" 2>>"$c/log/slurmctld.err" &
pids="$pids $!"
sleep 1
slurmd -D -f "$c/slurm.conf" 2>>"$c/log/slurmd.err" &
pids="$pids $!"

i=0
state=
while [ $i -lt 300 ]; do
    state=$(sinfo -h -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.1
    i=$((i + 1))
done
if [ "$state" = idle ]; then
    ok "one-node cluster up: munged, slurmctld, slurmd (pids$pids), node $host idle"
else
    fail "cluster did not come up (node state '$state')" "$(tail -5 "$c/log/slurmctld.log" 2>/dev/null)" \
        "$(tail -5 "$c/log/slurmd.log" 2>/dev/null)"
    finish
    exit 1
fi

# ---- the weather inputs, copied so that one can be edited ----------------------

w=$tmp/w
mkdir -p "$w"
for f in load.sweep.json cand3.json weather.service.json; do
    cp "$srcdir/examples/weather/$f" "$w/"
done
for f in weather.trace longtail.trace; do
    if [ -f "$builddir/examples/weather/$f" ]; then cp "$builddir/examples/weather/$f" "$w/"; else cp "$srcdir/examples/weather/$f" "$w/"; fi
done

# ---- 1. the load sweep as a 4-shard array ---------------------------------------

"$FLUXOSIM" sweep "$w/load.sweep.json" -j 2 -q -o "$tmp/local.csv"
cd "$tmp"
run sweep "$w/load.sweep.json" --submit slurm --shards 4 --wait -o "$tmp/slurm.csv"
expect_status "load sweep, 4 shards, --submit slurm --wait" 0
if [ -f "$tmp/load.slurm/shards.sbatch" ] && grep -q '^#SBATCH --array=1-4$' "$tmp/load.slurm/shards.sbatch"; then
    ok "scripts in load.slurm/ (the default folder), a 1-4 array"
else
    fail "no load.slurm/shards.sbatch with --array=1-4"
fi
if cmp -s "$tmp/local.csv" "$tmp/slurm.csv"; then
    ok "merged file equals the local -j 2 run byte for byte ($(wc -l <"$tmp/slurm.csv") lines)"
else
    fail "merged file differs from the local run" "$(diff "$tmp/local.csv" "$tmp/slurm.csv" | head -5)"
fi
if grep -Eq '^[0-9]+ [0-9]+$' "$tmp/out"; then ok "job ids on stdout: $(cat "$tmp/out")"; else fail "stdout: $(cat "$tmp/out")"; fi

# ---- 2. a shard cancelled while it runs, then resumed ------------------------------

# The same sweep, slower (12 replications), so that shard 2 is cut mid-way.
sed 's/"replications": 3/"replications": 12/' "$w/load.sweep.json" >"$w/slow.sweep.json"
"$FLUXOSIM" sweep "$w/slow.sweep.json" -j 2 -q -o "$tmp/slow-local.csv"
set +e
"$FLUXOSIM" sweep "$w/slow.sweep.json" --submit slurm --shards 4 --wait -o "$tmp/slow.csv" \
    >"$tmp/kill.out" 2>"$tmp/kill.err" &
waiter=$!
set -e
s2=$tmp/slow.slurm/shard-2.csv
i=0
while [ $i -lt 6000 ]; do
    [ -f "$s2" ] && [ "$(wc -l <"$s2")" -ge 3 ] && break
    sleep 0.05
    i=$((i + 1))
done
array=$(squeue -h -r -o '%F %K' | awk '$2 == 2 { print $1; exit }')
if [ -n "$array" ] && scancel "${array}_2"; then
    ok "cancelled task 2 of array $array after its first row"
else
    fail "could not find task 2 running to cancel it" "$(squeue -r 2>&1 | head -5)"
fi
set +e
wait "$waiter"
kstatus=$?
set -e
rows_after_kill=$(($(wc -l <"$s2") - 2))
if [ "$kstatus" -ne 0 ] && [ "$(wc -l <"$tmp/kill.err")" -le 2 ] &&
    grep -q '^fluxosim: error: slurm: merge job [0-9]* did not run.*missing' "$tmp/kill.err"; then
    ok "shard 2 cancelled after $rows_after_kill of 16 rows: --wait exits $kstatus, naming the missing points"
    sed 's/^/     /' "$tmp/kill.err"
else
    fail "cancelled shard: exit $kstatus" "$(cat "$tmp/kill.err")"
fi
if [ "$rows_after_kill" -ge 1 ] && [ "$rows_after_kill" -lt 16 ]; then
    ok "the cancelled shard holds $rows_after_kill whole rows"
else
    fail "the cancelled shard holds $rows_after_kill rows, expected 1 to 15 (cancelled too late?)"
fi
head -n $((rows_after_kill + 2)) "$s2" >"$tmp/s2-before"
run sweep "$w/slow.sweep.json" --submit slurm --shards 4 --wait -o "$tmp/slow.csv"
expect_status "submitted again" 0
if cmp -s "$tmp/slow-local.csv" "$tmp/slow.csv"; then
    ok "resumed sweep merged equals the local -j 2 run byte for byte"
else
    fail "resumed sweep differs from the local run" "$(diff "$tmp/slow-local.csv" "$tmp/slow.csv" | head -5)"
fi
if head -n $((rows_after_kill + 2)) "$s2" | cmp -s - "$tmp/s2-before" && [ "$(wc -l <"$s2")" -eq 18 ]; then
    ok "shard 2 kept its $rows_after_kill rows and added the other $((16 - rows_after_kill)), none twice"
else
    fail "shard 2 was not resumed in place" "$(head -4 "$s2")"
fi

# ---- 3. an input edited after submission ---------------------------------------------

"$FLUXOSIM" sweep "$w/load.sweep.json" --emit-slurm "$tmp/edit" --shards 2 -q
printf '# edited after submission\n' >>"$w/longtail.trace"
set +e
sbatch --wait --array=1 "$tmp/edit/shards.sbatch" >/dev/null 2>&1
estatus=$?
set -e
if [ "$estatus" -ne 0 ] && [ ! -s "$tmp/edit/shard-1.csv" ] &&
    grep -q "^fluxosim: error: $tmp/edit/inputs.sha256:5: expected $w/longtail.trace to be as submitted" "$tmp/edit/shard-1.log"; then
    ok "a shard refuses an input edited after submission: $(cut -c1-90 "$tmp/edit/shard-1.log")..."
else
    fail "edited input: sbatch exit $estatus" "$(cat "$tmp/edit/shard-1.log" 2>/dev/null)"
fi
run sweep "$w/load.sweep.json" --emit-slurm "$tmp/edit" --shards 2
expect_error "emitting again over changed inputs" 3 "holds the scripts of this sweep's earlier submission, whose inputs have changed"

stop_daemons
left=0
for p in $(cat "$c/munge/munged.pid" "$c/slurmctld.pid" "$c/slurmd.pid" 2>/dev/null); do
    kill -0 "$p" 2>/dev/null && left=$((left + 1))
done
if [ $left -eq 0 ]; then ok "every daemon stopped by its process id"; else fail "$left daemons still running"; fi
finish
