/* cmd_list.c - `fluxosim list KIND`: what can be named in specs and files. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "sim/dist.h"

const char fx_list_description[] = "kinds:\n"
                                   "  distributions   service-time and inter-arrival families\n";

static void list_distributions(void)
{
    for (const fx_dist_family *f = fx_dist_families; f->name; f++)
        printf("%-10s %-34s %s\n", f->name, f->syntax, f->summary);
}

static const struct {
    const char *kind;
    void (*print)(void);
} kinds[] = {
    {"distributions", list_distributions},
    {NULL, NULL},
};

int fx_cmd_list(int argc, char **argv)
{
    if (argc != 1) {
        fx_cli_error("list: expected one kind (distributions), found %d arguments", argc);
        return FX_EXIT_USAGE;
    }
    for (size_t i = 0; kinds[i].kind; i++)
        if (strcmp(kinds[i].kind, argv[0]) == 0) {
            kinds[i].print();
            return FX_EXIT_OK;
        }
    fx_cli_error("list: unknown kind \"%s\"; expected one of distributions", argv[0]);
    return FX_EXIT_USAGE;
}
