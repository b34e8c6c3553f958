/* cmd_optimize.h - `fluxosim optimize`: search a space of architectures
 * for the best one on a trace.
 *
 *   fluxosim optimize TRACE --space FILE --strategy NAME [--budget N]
 *       [--seed S] [-j N] [-o best.json] [--log evals.csv] [--pareto] [--quiet]
 *
 * The space is optimizer/space.h's, the strategies optimizer/strategy.h's,
 * the search optimizer/eval.h's.
 */
#ifndef FX_CLI_CMD_OPTIMIZE_H
#define FX_CLI_CMD_OPTIMIZE_H

#include "cli/opts.h"

int fx_cmd_optimize(int argc, char **argv);

/* For the command table: usage line, options, paragraphs after them. */
extern const char fx_optimize_usage[];
extern const fx_opt fx_optimize_options[];
extern const char fx_optimize_description[];

/* `fluxosim list strategies`: one line per registered strategy on stdout. */
void fx_list_strategies(void);

#endif
