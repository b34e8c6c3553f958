/* main.c - fluxosim: dispatch a subcommand from the table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cli/cli.h"
#include "cli/cmd_analyze.h"
#include "cli/cmd_mrc.h"
#include "cli/cmd_optimize.h"
#include "cli/cmd_plot.h"
#include "cli/cmd_sweep.h"
#include "cli/cmd_trace.h"
#include "cli/cmd_transforms.h"
#include "config.h"

static const char help_description[] =
    "Show the usage, options and notes of SUBCOMMAND, or the list of subcommands.\n";

const fx_command fx_commands[] = {
    {"replay", fx_cmd_replay, "replay a trace against an architecture",
     "fluxosim replay TRACE --arch FILE [OPTIONS]", fx_replay_options, fx_replay_description},
    {"validate", fx_cmd_validate, "check services, architectures and traces without running",
     "fluxosim validate FILE...", NULL, fx_validate_description},
    {"trace", fx_cmd_trace, "generate, import and summarise traces", fx_trace_usage,
     fx_trace_options, fx_trace_description},
    {"transforms", fx_cmd_transforms, "list the valid cache placements and asynchronous edges",
     fx_transforms_usage, fx_transforms_options, fx_transforms_description},
    {"sweep", fx_cmd_sweep, "run a batch parameter sweep: parallel, resumable, shardable",
     fx_sweep_usage, fx_sweep_options, fx_sweep_description},
    {"optimize", fx_cmd_optimize, "search a space of architectures for the best one on a trace",
     fx_optimize_usage, fx_optimize_options, fx_optimize_description},
    {"analyze", fx_cmd_analyze, "estimate latency and utilization with queueing formulas",
     fx_analyze_usage, fx_analyze_options, fx_analyze_description},
    {"mrc", fx_cmd_mrc, "the exact LRU miss-ratio curve of a cache, in one pass", fx_mrc_usage,
     fx_mrc_options, fx_mrc_description},
    {"plot", fx_cmd_plot, "draw a figure with gnuplot from replays, sweeps or optimizer logs",
     fx_plot_usage, fx_plot_options, fx_plot_description},
    {"queue", fx_cmd_queue, "simulate a textbook queue or tandem network and compare with theory",
     "fluxosim queue [OPTIONS]", fx_queue_options, fx_queue_description},
    {"list", fx_cmd_list,
     "list what can be named: distributions, policies, balancers, formats, strategies",
     "fluxosim list KIND", NULL, fx_list_description},
    {"help", fx_cmd_help, "show the help of a subcommand", "fluxosim help [SUBCOMMAND]", NULL,
     help_description},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const fx_command *fx_command_find(const char *name)
{
    for (const fx_command *c = fx_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

void fx_cli_error(const char *fmt, ...)
{
    char msg[4 * FX_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One line, whatever the message quotes from the input: control bytes
     * (a newline in a spec, an escape sequence in an id) are shown as \xNN
     * rather than breaking the line or reaching the terminal. */
    fputs("fluxosim: error: ", stderr);
    for (const unsigned char *c = (const unsigned char *)msg; *c; c++) {
        if (*c < 0x20 || *c == 0x7f)
            fprintf(stderr, "\\x%02x", *c);
        else
            fputc(*c, stderr);
    }
    fputc('\n', stderr);
}

int fx_cli_fail(const fx_err *e)
{
    fx_cli_error("%s", e->msg);
    switch (e->code) {
    case FX_OK:
        return FX_EXIT_OK;
    case FX_EINVAL:
        return FX_EXIT_INPUT;
    case FX_ELIMIT:
        return FX_EXIT_LIMIT;
    case FX_EIO:
    case FX_ENOMEM:
        break;
    }
    return FX_EXIT_FAIL;
}

const char *const fx_reader_modes[] = {"auto", "thread", "inline", NULL};

void fx_cli_read_ahead(fx_trace_reader *trace, int mode)
{
    int thread =
        mode == FX_READER_THREAD || (mode == FX_READER_AUTO && sysconf(_SC_NPROCESSORS_ONLN) > 1);
    (void)fx_trace_read_ahead(trace, thread);
}

void fx_command_help(FILE *out, const fx_command *c)
{
    fprintf(out, "usage: %s\n\n%s.\n", c->usage, c->summary);
    if (c->options) {
        fputs("\noptions:\n", out);
        fx_opts_help(out, c->options);
    }
    if (c->description)
        fprintf(out, "\n%s", c->description);
}

static void usage(FILE *out)
{
    fputs("usage: fluxosim SUBCOMMAND [ARGS]\n"
          "       fluxosim --help | --version\n\n"
          "fluxosim replays request traces against candidate architectures of an\n"
          "Internet service, modelled as queueing networks.\n\n"
          "subcommands:\n",
          out);
    for (const fx_command *c = fx_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fputs("\nRun 'fluxosim help SUBCOMMAND' for its options; see fluxosim(1).\n"
          "Exit codes: 0 success, 1 run failed (I/O, memory), 2 usage error,\n"
          "3 invalid input, 4 limit exceeded.\n",
          out);
}

int fx_cmd_help(int argc, char **argv)
{
    if (argc == 0) {
        usage(stdout);
        return FX_EXIT_OK;
    }
    const fx_command *c = fx_command_find(argv[0]);
    if (!c || argc > 1) {
        fx_cli_error("help: expected one subcommand name, found \"%s\"%s", argv[0],
                     argc > 1 ? " and more" : "");
        return FX_EXIT_USAGE;
    }
    fx_command_help(stdout, c);
    return FX_EXIT_OK;
}

int main(int argc, char **argv)
{
    /* The library checks its inputs itself; GSL must never abort the process. */
    gsl_set_error_handler_off();

    if (argc < 2) {
        fx_cli_error("expected a subcommand, found none (see 'fluxosim --help')");
        return FX_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return FX_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("fluxosim %s\n", PACKAGE_VERSION);
        return FX_EXIT_OK;
    }
    const fx_command *c = fx_command_find(name);
    if (!c) {
        char list[512] = "";
        for (const fx_command *k = fx_commands; k->name; k++) {
            if (k != fx_commands)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, k->name, sizeof list - strlen(list) - 1);
        }
        fx_cli_error("unknown subcommand \"%s\"; expected one of %s", name, list);
        return FX_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fx_command_help(stdout, c);
            return FX_EXIT_OK;
        }
    return c->run(argc - 2, argv + 2);
}
