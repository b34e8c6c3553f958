/* registry.c - every search strategy: one line each. */
#include <stdio.h>
#include <string.h>

#include "optimizer/strategy.h"

extern const fx_strategy fx_strategy_exhaustive;
extern const fx_strategy fx_strategy_greedy;
extern const fx_strategy fx_strategy_anneal;

const fx_strategy *const fx_strategies[] = {
    &fx_strategy_exhaustive,
    &fx_strategy_greedy,
    &fx_strategy_anneal,
    NULL,
};

fx_status fx_strategy_find(const char *name, const fx_strategy **out, fx_err *e)
{
    *out = NULL;
    for (size_t i = 0; fx_strategies[i]; i++)
        if (strcmp(fx_strategies[i]->name, name) == 0) {
            *out = fx_strategies[i];
            return FX_OK;
        }
    char list[256] = "";
    size_t n = 0;
    for (size_t i = 0; fx_strategies[i] && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "",
                              fx_strategies[i]->name);
    return fx_err_set(e, FX_EINVAL, "unknown strategy \"%.64s\"; expected one of %s", name, list);
}
