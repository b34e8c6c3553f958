/* opts.h - command-line options declared once, in a table that drives both
 * parsing and --help.
 *
 * Each option writes into a field of a per-command struct (by offset). Long
 * options take "--name VALUE" or "--name=VALUE"; short ones "-x VALUE".
 * "--" ends the options; "-" alone is a positional argument (stdin).
 */
#ifndef FX_CLI_OPTS_H
#define FX_CLI_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum fx_opt_type {
    FX_OPT_FLAG,   /* int, set to 1 */
    FX_OPT_STRING, /* const char *, points into argv */
    FX_OPT_U64,    /* uint64_t, decimal, strict */
    FX_OPT_DOUBLE, /* double, finite, strict */
    FX_OPT_CHOICE  /* int, the index of the value in choices */
} fx_opt_type;

typedef struct fx_opt {
    const char *name; /* long name, without "--"; NULL ends a table */
    char short_name;  /* 0 for none */
    fx_opt_type type;
    const char *metavar;        /* shown in help, e.g. "SPEC" */
    size_t offset;              /* where the value goes in the options struct */
    const char *help;           /* one line; "(default: ...)" included */
    const char *const *choices; /* FX_OPT_CHOICE: NULL-terminated */
} fx_opt;

/* Parse ARGV[0..ARGC) (ARGV[0] is the first argument after the subcommand)
 * into DEST. Positional arguments are gathered, in order, into POS (which
 * must have room for ARGC entries) and counted in *NPOS. Returns 0, or -1
 * after printing one "fluxosim: error: ..." line for CMD. */
int fx_opts_parse(const char *cmd, const fx_opt *table, void *dest, int argc, char **argv,
                  char **pos, int *npos);

/* Print the option table as help text. */
void fx_opts_help(FILE *out, const fx_opt *table);

#endif
