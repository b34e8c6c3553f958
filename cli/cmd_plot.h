/* cmd_plot.h - `fluxosim plot`: paper figures through gnuplot.
 *
 *   fluxosim plot KIND INPUT... -o FILE.png|FILE.svg|FILE.pdf [OPTIONS]
 *
 * Writes FILE.gp (a self-contained gnuplot script) next to the figure and
 * runs gnuplot on it; plots/plot.h does the work, so that other commands
 * (optimize --plot, sweep --plot) make the same figures.
 */
#ifndef FX_CLI_CMD_PLOT_H
#define FX_CLI_CMD_PLOT_H

#include "cli/opts.h"

int fx_cmd_plot(int argc, char **argv);

/* "fluxosim plot KIND INPUT... -o FILE [OPTIONS]", for the command table. */
extern const char fx_plot_usage[];
extern const char fx_plot_description[];
extern const fx_opt fx_plot_options[];

#endif
