/* sweep_slurm.h - a sweep as a Slurm job array: the scripts, and submitting
 * them with sbatch.
 *
 * `fluxosim sweep FILE --emit-slurm DIR --shards N` writes into DIR:
 *   inputs.sha256  the checksum of every input (models/sweep.h), which each
 *                  shard checks before it runs
 *   shards.sbatch  a job array of N tasks; task I runs
 *                  `fluxosim sweep FILE --shard I/N --resume -o DIR/shard-I.csv`
 *   merge.sbatch   `fluxosim sweep merge OUT DIR/shard-1.csv ... DIR/shard-N.csv`
 *   submit.sh      submits the array, then the merge with afterok on it
 * Every path in them is absolute, so they run from any folder on any node
 * that sees the same files. `--submit slurm` writes the same files and runs
 * sbatch itself; with --wait it returns when the merge has ended, and
 * checks the merged file.
 */
#ifndef FX_CLI_SWEEP_SLURM_H
#define FX_CLI_SWEEP_SLURM_H

#include "models/sweep.h"

typedef struct fx_slurm_opts {
    const char *dir;       /* where the scripts and shards go */
    unsigned shards;       /* tasks of the array */
    unsigned cpus;         /* --cpus-per-task, and each shard's -j */
    const char *partition; /* #SBATCH lines, or NULL */
    const char *time;
    const char *mem;
    const char *output; /* the merged file; NULL: DIR/results.csv */
    int submit;         /* run sbatch */
    int wait;           /* and wait for the merge */
    int quiet;
} fx_slurm_opts;

/* Check a value for an #SBATCH line: letters, digits and "-_.:,+=". */
int fx_slurm_value_ok(const char *v);

/* Check a path for a Slurm script: no line break, and no '%' (Slurm
 * expands %a, %j... in --output). */
int fx_slurm_path_ok(const char *path);

/* Write the scripts for the sweep S loaded from FILE and, with O->submit,
 * submit them. Returns an exit code (cli/cli.h), having printed any error. */
int fx_sweep_slurm(const fx_sweep *s, const char *file, const fx_slurm_opts *o);

#endif
