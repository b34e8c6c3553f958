/* cmd_list.c - `fluxosim list KIND`: what can be named in specs and files. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_optimize.h"
#include "models/cache.h"
#include "sim/dist.h"
#include "sim/tier.h"
#include "traces/import.h"

const char fx_list_description[] = "kinds:\n"
                                   "  distributions   service-time and inter-arrival families\n"
                                   "  policies        cache eviction policies\n"
                                   "  balancers       load balancers of a pool's servers\n"
                                   "  formats         log formats `trace import` reads\n"
                                   "  strategies      search strategies of `optimize`\n";

static void list_distributions(void)
{
    for (const fx_dist_family *f = fx_dist_families; f->name; f++)
        printf("%-10s %-34s %s\n", f->name, f->syntax, f->summary);
}

static void list_policies(void)
{
    for (size_t i = 0; fx_cache_policies[i]; i++)
        printf("%-10s %s\n", fx_cache_policy_name(fx_cache_policies[i]),
               fx_cache_policy_summary(fx_cache_policies[i]));
}

static const char *const balancer_summaries[] = {
    "one queue in front of all the servers (M/M/c), the default",
    "a server chosen uniformly at random, each with its own queue",
    "servers in turn, each with its own queue",
    "join the shortest queue: the server with the fewest jobs",
    "power of two choices: the less loaded of two random servers",
};

static void list_balancers(void)
{
    for (size_t i = 0; fx_balancer_names[i]; i++)
        printf("%-12s %s\n", fx_balancer_names[i], balancer_summaries[i]);
}

static void list_formats(void)
{
    for (size_t i = 0; fx_import_formats[i]; i++)
        printf("%-16s %s\n", fx_import_format_name(fx_import_formats[i]),
               fx_import_format_summary(fx_import_formats[i]));
}

static const struct {
    const char *kind;
    void (*print)(void);
} kinds[] = {
    {"distributions", list_distributions}, {"policies", list_policies},
    {"balancers", list_balancers},         {"formats", list_formats},
    {"strategies", fx_list_strategies},    {NULL, NULL},
};

int fx_cmd_list(int argc, char **argv)
{
    if (argc != 1) {
        fx_cli_error("list: expected one kind (distributions, policies, balancers, formats, "
                     "strategies), found %d "
                     "arguments",
                     argc);
        return FX_EXIT_USAGE;
    }
    for (size_t i = 0; kinds[i].kind; i++)
        if (strcmp(kinds[i].kind, argv[0]) == 0) {
            kinds[i].print();
            return FX_EXIT_OK;
        }
    fx_cli_error("list: unknown kind \"%s\"; expected one of distributions, policies, balancers, "
                 "formats, strategies",
                 argv[0]);
    return FX_EXIT_USAGE;
}
