#!/bin/sh
# make_figures.sh - the figure gallery of the guide, made from the weather
# example: writes OUTDIR/figures/*.svg (and their .gp scripts) and
# OUTDIR/figures.md, which shows every figure with the command that made it.
#
#   doc/make_figures.sh [SRCDIR] [OUTDIR]
#
# Run from the top of the build tree (`make figures` does): SRCDIR is the
# source tree (default .), OUTDIR where the gallery goes (default doc).
# FLUXOSIM names the command (default ./fluxosim), REQUESTS the requests of
# each workload (default 20000); gnuplot must be on PATH (or GNUPLOT).
# Intermediate files (traces, results, latencies) go to OUTDIR/figures/data
# and are removed at the end unless KEEP=1.
set -eu
fluxosim=${FLUXOSIM:-./fluxosim}
src=${1:-.}
out=${2:-doc}
requests=${REQUESTS:-20000}
ex=$src/examples/weather
figs=$out/figures
data=$figs/data
md=$out/figures.md
mkdir -p "$data"
rm -f "$figs"/*.svg "$figs"/*.gp
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# The command as a reader would type it at the top of an in-tree build,
# in lines of at most 80 characters.
shown() {
    printf '%s\n' "$*" | sed -e "s|^$fluxosim |fluxosim |" -e "s|$ex/|examples/weather/|g" \
        -e "s|^\./||" -e "s| \./| |g" |
        awk '{ line = $1
               for (i = 2; i <= NF; i++) {
                   w = $i  # an option stays with its value
                   if (w ~ /^-/ && i < NF && $(i + 1) !~ /^-/) w = w " " $(++i)
                   if (length(line) + 1 + length(w) > 78) { print line " \\"; line = "    " w }
                   else line = line " " w
               }
               print line }'
}

# step CMD...: run a command of the gallery and remember it.
steps=""
step() {
    steps="$steps$(shown "$@")
"
    "$@"
}

# figure NAME TITLE TEXT: a gallery entry for figures/NAME.svg with the
# commands run since the last entry.
figure() {
    {
        printf '## %s\n\n![%s](figures/%s.svg)\n\n' "$2" "$2" "$1"
        printf '%s\n\n' "$3"
        printf '```sh\n%s```\n\n' "$steps"
    } >>"$body"
    steps=""
}

has_command() { "$fluxosim" help "$1" >/dev/null 2>&1; }

# --- the workloads, replayed on the five candidates --------------------------
for w in popular longtail storm; do
    step "$fluxosim" trace gen weather --workload "$w" --requests "$requests" --seed 1 \
        --service "$ex/weather.service.json" -o "$data/$w.trace"
    for c in 1 2 3 4 5; do
        step "$fluxosim" replay "$data/$w.trace" --arch "$ex/cand$c.json" --quiet \
            --format json -o "$data/$w-cand$c.json" --latency-out "$data/$w-cand$c.lat"
    done
done
setup=$steps
steps=""
{
    printf 'The runs behind the figures: the three weather workloads, %s requests\n' "$requests"
    printf 'each (seed 1), replayed on the five candidates of `examples/weather`, each\n'
    printf 'replay writing its result document and its latencies:\n\n'
    printf '```sh\n%s```\n\n' "$setup"
} >>"$body"

# --- replays ------------------------------------------------------------------
step "$fluxosim" plot cdf cand1="$data/popular-cand1.lat" cand2="$data/popular-cand2.lat" \
    cand3="$data/popular-cand3.lat" cand4="$data/popular-cand4.lat" \
    cand5="$data/popular-cand5.lat" --style paper -o "$figs/cdf-popular.svg"
figure cdf-popular "Latency CDFs, popular workload" \
"One line per candidate from the replays' \`--latency-out\` files, on a log
latency axis; the p99 of each is marked on its curve, with a dotted drop line
to the axis. The page cache of cand3 answers most requests in about a
millisecond, but its tail is that of the uncached path; cand4's forecast
cache has the lowest p99."

if grep -q '"latency_hist"' "$data/longtail-cand1.json"; then
    step "$fluxosim" plot cdf "$data"/longtail-cand[1-5].json --style paper \
        -o "$figs/cdf-longtail.svg"
    how="from the result documents alone (their \`latency_hist\`),
named by their candidate"
else
    step "$fluxosim" plot cdf cand1="$data/longtail-cand1.lat" cand2="$data/longtail-cand2.lat" \
        cand3="$data/longtail-cand3.lat" cand4="$data/longtail-cand4.lat" \
        cand5="$data/longtail-cand5.lat" --style paper -o "$figs/cdf-longtail.svg"
    how="from the latency files: this fluxosim's result documents have
no \`latency_hist\` yet"
fi
figure cdf-longtail "Latency CDFs, longtail workload" \
"The same figure $how. On the longtail
workload the page cache of cand3 rarely hits and its curve joins the
uncached ones, while cand4's forecast cache still does."

compare_args=""
for w in popular longtail storm; do
    for c in 1 2 3 4 5; do
        compare_args="$compare_args $w=$data/$w-cand$c.json"
    done
done
# shellcheck disable=SC2086
step "$fluxosim" plot compare $compare_args --style paper -o "$figs/compare.svg"
figure compare "Latency and cost per workload" \
"For each workload (given as WORKLOAD=FILE) and candidate: the p99 latency as a
bar, the p50 as a dot on it, and the cost per hour as a diamond on the right
axis; the bar with the lowest p99 of each workload has a thick black
outline. The best candidate changes with the workload: the finding of the
Fluxo papers."

# shellcheck disable=SC2086
step "$fluxosim" plot compare $compare_args --logy --size 6.5,4 -o "$figs/compare-screen.svg"
figure compare-screen "The same, on screen, with a log latency axis" \
"The default (screen) style: a sans-serif font, solid lines; \`--logy\` shows
the p50 dots of the cached candidates, and \`--size\` makes it wide."

step "$fluxosim" plot util "$data/popular-cand5.json" --style paper -o "$figs/util-cand5.svg"
figure util-cand5 "Utilization per pool and partition" \
"cand5 on the popular workload: one bar per pool, and for the partitioned
forecast pool one bar per partition (numbered at its foot) with a line at
the pool's mean."

# --- miss-ratio curves: only where \`fluxosim mrc\` exists -----------------------
if has_command mrc; then
    if step "$fluxosim" mrc "$data/popular.trace" --arch "$ex/cand3.json" -o "$data/popular.mrc.csv" \
        && step "$fluxosim" mrc "$data/longtail.trace" --arch "$ex/cand3.json" \
            -o "$data/longtail.mrc.csv" \
        && step "$fluxosim" plot mrc popular="$data/popular.mrc.csv" \
            longtail="$data/longtail.mrc.csv" --style paper -o "$figs/mrc.svg"; then
        figure mrc "Miss-ratio curves" \
"The hit ratio of the page cache against its capacity on the popular and
longtail workloads (log capacity axis)."
    else
        steps=""
        printf '## Miss-ratio curves\n\nNot drawn: `fluxosim mrc` failed with these arguments (see doc/make_figures.sh).\n\n' >>"$body"
    fi
else
    printf '## Miss-ratio curves\n\nNot drawn: this fluxosim has no `mrc` command yet. `fluxosim plot mrc`\nreads its CSV output (capacity_bytes, requests, hits, misses, hit_ratio,\nbyte_hit_ratio).\n\n' >>"$body"
fi

# --- optimizer and sweep figures: hand-written CSVs, used until those
# commands (being written) exist
cat >"$data/optimize.csv" <<'CSV'
index,strategy,candidate,cost_per_hour,latency_ms.p99,feasible,objective
1,anneal,cand2,0.44,336.6,0,
2,anneal,cand2+pages,0.45,128.2,1,0.45
3,anneal,cand2+pages+geo2,0.49,118.0,1,0.49
4,anneal,cand2+forecasts,0.47,57.8,1,0.47
5,anneal,cand1,1.92,321.9,0,
6,anneal,cand2+forecasts+web3,0.53,49.5,1,0.53
7,anneal,cand2+both,0.52,44.0,1,0.52
8,anneal,cand2+both+web3,0.58,38.2,1,0.58
9,anneal,cand2+both+web4,0.64,36.9,1,0.64
10,anneal,cand5,0.48,389.0,0,
11,anneal,cand2+forecasts+geo2,0.51,55.1,1,0.51
12,anneal,cand2+both+fc2,0.55,43.1,1,0.55
1,random,r1,0.80,210.0,1,0.80
2,random,r2,0.44,402.0,0,
3,random,r3,0.62,70.3,1,0.62
4,random,r4,0.50,140.2,1,0.50
5,random,r5,0.48,171.0,1,0.48
6,random,r6,0.47,301.0,1,0.47
7,random,r7,0.55,66.0,1,0.55
8,random,r8,0.58,120.4,1,0.58
9,random,r9,0.70,52.0,1,0.70
10,random,r10,0.46,250.0,1,0.46
11,random,r11,0.66,61.0,1,0.66
12,random,r12,0.52,90.0,1,0.52
CSV
cat >"$data/sweep.csv" <<'CSV'
workload,rate_scale,candidate,latency_ms.p99,latency_ms.p99_ci95,cost_per_hour,cost_per_hour_ci95
popular,1,cand3,128.2,6.1,0.45,0
popular,1.5,cand3,131.0,6.8,0.45,0
popular,2,cand3,152.4,9.5,0.45,0
popular,2.5,cand3,240.7,21.0,0.45,0
popular,1,cand4,57.8,3.0,0.471,0
popular,1.5,cand4,66.2,3.9,0.471,0
popular,2,cand4,98.5,7.7,0.471,0
popular,2.5,cand4,190.3,18.2,0.471,0
longtail,1,cand3,330.3,12.0,0.45,0
longtail,1.5,cand3,512.9,25.1,0.45,0
longtail,2,cand3,1410.0,160.0,0.45,0
longtail,2.5,cand3,4050.0,600.0,0.45,0
longtail,1,cand4,58.6,3.2,0.471,0
longtail,1.5,cand4,67.0,4.1,0.471,0
longtail,2,cand4,101.1,8.0,0.471,0
longtail,2.5,cand4,196.0,19.5,0.471,0
CSV
# The optimizer: its own logs when `fluxosim optimize` and a search space
# of the weather example exist, else the hand-written log above.
made_up="The numbers are made up: a hand-written log in the format \`fluxosim plot
pareto\` reads, because"
logs="$data/optimize.csv"
if ! has_command optimize; then
    why="$made_up this fluxosim has no \`optimize\` command yet."
elif [ ! -f "$ex/weather.space.json" ]; then
    why="$made_up examples/weather has no search space (weather.space.json) yet."
elif step "$fluxosim" optimize "$data/popular.trace" --space "$ex/weather.space.json" \
        --strategy greedy --log "$data/greedy.csv" >/dev/null \
    && step "$fluxosim" optimize "$data/popular.trace" --space "$ex/weather.space.json" \
        --strategy anneal --log "$data/anneal.csv" >/dev/null; then
    logs="$data/greedy.csv $data/anneal.csv"
    why="The logs of two searches of the popular workload, greedy and anneal."
else
    steps=""
    why="$made_up \`fluxosim optimize\` failed (see doc/make_figures.sh)."
fi
# shellcheck disable=SC2086
step "$fluxosim" plot pareto $logs --style paper -o "$figs/pareto.svg"
figure pareto "Cost against p99: the Pareto front" \
"Every candidate of the optimizer's logs (feasible as circles, infeasible as
gray crosses), the non-dominated front of the feasible ones as a staircase,
and the chosen candidate labelled.
$why"

# shellcheck disable=SC2086
step "$fluxosim" plot convergence $logs --style paper -o "$figs/convergence.svg"
figure convergence "Convergence of two strategies" \
"The best feasible objective found so far against the evaluations, one line
per strategy (the \`strategy\` column), from the same logs."

# The sweep: run by `fluxosim sweep` when it exists, else hand-written.
sweep_csv="$data/sweep.csv"
series=candidate
made_up="The numbers are made up: a hand-written CSV in the format \`fluxosim
plot sweep\` reads, because"
if ! has_command sweep; then
    why="$made_up this fluxosim has no \`sweep\` command yet."
else
    abs_ex=$(cd "$ex" && pwd)
    cat >"$data/load.sweep.json" <<JSON
{
  "arch": "$abs_ex/cand3.json",
  "traces": {"popular": "popular.trace", "longtail": "longtail.trace"},
  "grid": {"pools.forecast.servers": [10, 14], "rate_scale": [1, 1.5, 2]},
  "replications": 3,
  "seed": 1,
  "metrics": ["latency_ms.p99"]
}
JSON
    rm -f "$data/load.csv" # a sweep refuses to overwrite its output
    if step "$fluxosim" sweep "$data/load.sweep.json" -j 2 -o "$data/load.csv"; then
        sweep_csv="$data/load.csv"
        series=pools.forecast.servers
        why="The sweep file, written by doc/make_figures.sh next to the traces:

\`\`\`json
$(sed "s|$abs_ex/|examples/weather/|" "$data/load.sweep.json")
\`\`\`"
    else
        steps=""
        why="$made_up \`fluxosim sweep\` failed (see doc/make_figures.sh)."
    fi
fi
step "$fluxosim" plot sweep "$sweep_csv" --x rate_scale --series "$series" \
    --metric latency_ms.p99 --logy --size 3.3,2.4 --style paper -o "$figs/sweep.svg"
figure sweep "A sweep: p99 against traffic" \
"p99 latency against \`--rate-scale\`, one line per value of $series,
one panel per workload, with 95% confidence intervals as error bars.
$why"

{
    cat <<'EOF'
# Figure gallery

Every figure below is made by `fluxosim plot` from the weather example
(`examples/weather`), with the command shown under it. `make figures`
(`doc/figures.mk`, running `doc/make_figures.sh`) regenerates them all into
`doc/figures/` as SVG, each next to its gnuplot script (`NAME.gp`, with the
data inline: edit it and run `gnuplot NAME.gp` to restyle). The SVG files
are generated, not kept in the repository: run `make figures` to see them.
All use `--style paper` (serif 8 pt, 3.3 by 2.2 inches, the Okabe-Ito
palette with dash patterns and hatching that survive grayscale) except
where said. See the guide's section on `fluxosim plot` for the inputs
each kind reads.

EOF
    cat "$body"
} >"$md"
if [ "${KEEP:-0}" != 1 ]; then
    rm -rf "$data"
fi
echo "wrote $md and $(ls "$figs"/*.svg | wc -l) figures in $figs"
