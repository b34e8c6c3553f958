/* cmd_sweep.h - `fluxosim sweep`: batch parameter sweeps (models/sweep.h).
 *
 *   fluxosim sweep FILE [-j N] [-o FILE] [--resume] [--shard I/N] [--quiet]
 *   fluxosim sweep merge OUT SHARD...
 *
 * Points run in N threads; rows are appended to the output in point order,
 * each with one write and an fsync, so a run killed at any moment leaves
 * whole rows that --resume continues after. --shard I/N runs the points
 * whose index modulo N is I - 1; merge joins the shards into the file an
 * unsharded run writes.
 */
#ifndef FX_CLI_CMD_SWEEP_H
#define FX_CLI_CMD_SWEEP_H

#include "cli/opts.h"

int fx_cmd_sweep(int argc, char **argv);

/* For the command table: the usage lines, the options and the notes. */
extern const char fx_sweep_usage[];
extern const char fx_sweep_description[];
extern const fx_opt fx_sweep_options[];

#endif
