/* cli.h - the fluxosim command: subcommands, exit codes, messages.
 *
 * Exit codes (documented in fluxosim(1)):
 *   0  success
 *   1  the run failed: a file could not be read or written, out of memory
 *   2  usage: unknown subcommand or option, a bad option value
 *   3  invalid input: a file or spec says something wrong
 *   4  a documented limit was exceeded
 */
#ifndef FX_CLI_H
#define FX_CLI_H

#include <stdio.h>

#include "cli/opts.h"
#include "sim/error.h"
#include "traces/trace.h"

enum { FX_EXIT_OK = 0, FX_EXIT_FAIL = 1, FX_EXIT_USAGE = 2, FX_EXIT_INPUT = 3, FX_EXIT_LIMIT = 4 };

typedef struct fx_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the first argument after the name */
    const char *summary;               /* one line for `fluxosim --help` */
    const char *usage;                 /* "fluxosim queue [OPTIONS]" */
    const fx_opt *options;             /* NULL when it takes none */
    const char *description;           /* paragraphs after the options */
} fx_command;

/* The table of subcommands, ended by a row with name NULL. */
extern const fx_command fx_commands[];

const fx_command *fx_command_find(const char *name);

/* Print "fluxosim: error: MESSAGE" on stderr. */
void fx_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report E and return the exit code for its status. */
int fx_cli_fail(const fx_err *e);

/* --reader: where a trace file is parsed (FX_OPT_CHOICE values). */
enum { FX_READER_AUTO, FX_READER_THREAD, FX_READER_INLINE };
extern const char *const fx_reader_modes[];

/* The --reader option, for a command whose options struct has an int at
 * OFFSET (FX_READER_AUTO by default). */
#define FX_OPT_READER(offset)                                                                      \
    {                                                                                              \
        "reader", 0, FX_OPT_CHOICE, "auto|thread|inline", (offset),                                \
            "parse a trace file in a thread of its own (auto: when 2+ CPUs are online)",           \
            fx_reader_modes                                                                        \
    }

/* Let TRACE read ahead (fx_trace_read_ahead) in a thread of its own as
 * MODE says: always (a regular file only), never (blocks are parsed in the
 * caller's thread), or when more than one CPU is online. */
void fx_cli_read_ahead(fx_trace_reader *trace, int mode);

/* Print the help of one command. */
void fx_command_help(FILE *out, const fx_command *c);

int fx_cmd_replay(int argc, char **argv);
int fx_cmd_validate(int argc, char **argv);
int fx_cmd_queue(int argc, char **argv);
int fx_cmd_list(int argc, char **argv);
int fx_cmd_help(int argc, char **argv);

extern const fx_opt fx_replay_options[];
extern const char fx_replay_description[];
extern const char fx_validate_description[];
extern const fx_opt fx_queue_options[];
extern const char fx_queue_description[];
extern const char fx_list_description[];

#endif
