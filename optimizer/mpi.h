/* mpi.h - searches over MPI: `mpirun -n K fluxosim optimize ... --mpi`.
 *
 * Every rank parses the same command line and loads the same space. Rank
 * 0 runs the search (fx_mpi_run: fx_optimize_run with an evaluator that
 * ships each new candidate of a batch, its canonical point and whether it
 * is scored on the screening sample, to a free worker rank and receives
 * its metrics, score, reason and wall time). Ranks 1 to K-1 each open an
 * fx_optimize_worker on the same trace (reading it themselves, and making
 * the same sample in their own temporary folder: a worker may be on
 * another node) and score candidates until rank 0 stops them
 * (fx_mpi_serve). The strategy never sees where candidates were scored, so
 * the result is the one of a local search (with any -j).
 *
 * Errors: a worker that cannot set up (its command line, space or trace)
 * says so to rank 0, whose search then fails with that message; rank 0
 * stops every worker whatever happens (fx_mpi_run always does, fx_mpi_stop
 * when rank 0 failed before searching), so no rank waits forever. Nothing
 * here prints. Compiled only with ./configure --with-mpi (HAVE_MPI).
 */
#ifndef FX_OPT_MPI_H
#define FX_OPT_MPI_H

#include "optimizer/eval.h"
#include "optimizer/space.h"
#include "sim/error.h"

typedef struct fx_mpi fx_mpi;

/* MPI_Init, and this process's rank and the number of ranks. */
fx_status fx_mpi_init(fx_mpi **out, fx_err *e);
int fx_mpi_rank(const fx_mpi *m);
int fx_mpi_size(const fx_mpi *m);

/* Rank 0: search as fx_optimize_run does, the K-1 workers scoring the
 * candidates (O's jobs and evaluator are ignored), then stop them. */
fx_status fx_mpi_run(fx_mpi *m, const fx_space *space, const char *trace, const fx_optimize_opts *o,
                     fx_optimize_result *res, fx_err *e);

/* Rank 0, when it fails before fx_mpi_run: stop every worker. */
void fx_mpi_stop(fx_mpi *m);

/* Ranks 1 to K-1: open a worker on SPACE, TRACE and O (when SETUP is
 * FX_OK; else E holds why this rank could not, and that is what rank 0
 * hears), tell rank 0, and score candidates until it says stop. Returns
 * the first error of this rank (in E), or FX_OK. */
fx_status fx_mpi_serve(fx_mpi *m, const fx_space *space, const char *trace,
                       const fx_optimize_opts *o, fx_status setup, fx_err *e);

/* MPI_Finalize, and free M (may be NULL). */
void fx_mpi_finalize(fx_mpi *m);

#endif
