/* registry.c - every figure kind, in the order `fluxosim help plot` lists
 * them. A new kind is one file defining its table and one line here. */
#include "plots/plot_kind.h"

extern const fx_plot_kind fx_plot_cdf;
extern const fx_plot_kind fx_plot_compare;
extern const fx_plot_kind fx_plot_pareto;
extern const fx_plot_kind fx_plot_sweep;
extern const fx_plot_kind fx_plot_mrc;
extern const fx_plot_kind fx_plot_convergence;
extern const fx_plot_kind fx_plot_util;

const fx_plot_kind *const fx_plot_kinds[] = {
    &fx_plot_cdf, &fx_plot_compare,     &fx_plot_pareto, &fx_plot_sweep,
    &fx_plot_mrc, &fx_plot_convergence, &fx_plot_util,   NULL,
};
