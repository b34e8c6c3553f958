/* import.h - importers: the logs users have, turned into fluxosim traces.
 *
 * An importer reads a log in a foreign format (Apache/nginx access logs,
 * any delimited file, cache-study binary traces) and writes a fluxosim trace
 * of a one-node service (node FX_IMPORT_NODE): per request its arrival time,
 * its key and, when the input has them, the node's service time and output
 * size. Each format is a type table in its own file (import_clf.c,
 * import_csv.c, import_oracle.c), listed in one registry
 * (import_registry.c, fx_import_formats).
 *
 * The contract, whatever the format:
 *
 * - Input: a file or "-" (standard input), plain or gzip-compressed (zlib
 *   detects gzip by its magic bytes).
 *
 * - Times. The output starts at 0: times are shifted so that the first
 *   whole second of the input is time 0 (fx_import_summary.origin_s says
 *   which second that was). Formats with one-second resolution (clf,
 *   combined, oracle-general; csv with spread) spread the requests of one
 *   second evenly over it: the i-th (from 0, in input order) of the n
 *   requests of second s arrives at s + (i + 0.5) / n seconds, written in
 *   whole microseconds rounded down.
 *
 * - Order. Input that is not in time order is sorted within a reorder
 *   window of W seconds (default FX_IMPORT_WINDOW_S): the importer holds the
 *   requests of the last W + 1 seconds seen and writes out a second once
 *   the input has reached W seconds past it. A request more than W seconds
 *   older than the latest seen arrives after its second was written: it is
 *   skipped ("out of order beyond the window"), or an error with strict.
 *   Requests with equal times keep their input order. Memory holds the
 *   window's requests, never the whole log.
 *
 * - Skips. A line that cannot be imported is skipped and counted by reason
 *   (fx_import_reason), with the numbers of its first FX_IMPORT_LINES_SHOWN
 *   lines. With strict, the first bad line stops the import with
 *   "FILE:LINE: expected ..., found ..."; lines left out by choice (a status
 *   not selected) are never errors.
 *
 * - Distinct keys are counted exactly, in a hash set holding each distinct
 *   key once: memory proportional to the distinct keys.
 *
 * - A request with a service time is written "serve=SVC[/BYTES]"; without
 *   one the node is left out of the line, because a trace field must start
 *   with a service time: the replay then draws the node's demand from its
 *   profile and its output size from out_bytes (the request's own size is
 *   not written; the summary keeps the sizes' mean).
 *
 * Library code never prints: the summary (fx_import_summary) is for the
 * caller to show. Ownership: fx_import_alloc copies nothing from its
 * options but the parsed values; the option strings must outlive the
 * importer. fx_import_free(NULL) does nothing.
 */
#ifndef FX_IMPORT_H
#define FX_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/stats.h"
#include "sim/time.h"
#include "traces/trace.h"

/* The one node of an imported trace's service. */
#define FX_IMPORT_NODE "serve"

/* The reorder window: default and largest, in seconds. */
#define FX_IMPORT_WINDOW_S     300
#define FX_IMPORT_WINDOW_S_MAX 86400

/* Line numbers kept per skip reason, for the summary. */
#define FX_IMPORT_LINES_SHOWN 5

/* The longest input line (without its LF); a longer line is skipped. */
#define FX_IMPORT_LINE_MAX (1 << 20)

/* The profile given to the node when the input has no service times, and
 * the cost per server-hour of the baseline pool. */
#define FX_IMPORT_DEFAULT_PROFILE "lognormal:mean=1ms,cv=1"
#define FX_IMPORT_DEFAULT_MEAN_US 1000.0
#define FX_IMPORT_COST_PER_HOUR   1.0

/* The utilization the baseline architecture is sized for. */
#define FX_IMPORT_TARGET_UTILIZATION 0.5

/* ---- formats --------------------------------------------------------------- */

typedef struct fx_import_format fx_import_format; /* opaque: see import_format.h */

/* The registry: every format, NULL-terminated, in the order `fluxosim list
 * formats` shows them. */
extern const fx_import_format *const fx_import_formats[];

const char *fx_import_format_name(const fx_import_format *f);
const char *fx_import_format_summary(const fx_import_format *f);

/* The format called NAME, or NULL. */
const fx_import_format *fx_import_format_find(const char *name);

/* ---- options --------------------------------------------------------------- */

/* Units of times in the input. */
typedef enum fx_import_unit {
    FX_IMPORT_S,
    FX_IMPORT_MS,
    FX_IMPORT_US,
    FX_IMPORT_NS
} fx_import_unit;

/* Their names by value ("s", "ms", "us", "ns"), NULL-terminated. */
extern const char *const fx_import_units[];

/* What to import and how. Strings are as the user gave them (NULL: not
 * given); the importer parses and checks them. A format refuses options
 * that do not apply to it. */
typedef struct fx_import_opts {
    const char *format; /* a registry name (required) */
    const char *input;  /* a path or "-" (required) */
    int strict;         /* stop at the first bad line */
    int window_given;   /* window_s was given */
    uint64_t window_s;  /* reorder window in seconds, 0..FX_IMPORT_WINDOW_S_MAX */
    /* clf, combined */
    int keep_query;         /* keep "?query" in the key */
    const char *status;     /* statuses to import, "2xx,3xx" when NULL */
    uint64_t service_field; /* 0: none; N: the N-th field after the standard ones */
    int service_unit;       /* an fx_import_unit, -1: not given (us) */
    /* csv */
    const char *col_time, *col_key, *col_bytes, *col_service; /* number or header name */
    int time_unit;   /* an fx_import_unit, -1: not given (s) */
    const char *sep; /* one character, "\t" or "tab"; "," when NULL */
    int skip_header; /* the first line names the columns */
    int spread;      /* whole-second times: spread each second's requests */
} fx_import_opts;

/* Fill O with "nothing given". */
void fx_import_opts_init(fx_import_opts *o);

/* ---- the summary ----------------------------------------------------------- */

/* Why a line was skipped. */
typedef enum fx_import_reason {
    FX_SKIP_STATUS,    /* status not selected (a choice, never an error) */
    FX_SKIP_ORDER,     /* out of order beyond the window */
    FX_SKIP_EMPTY,     /* an empty line */
    FX_SKIP_TEXT,      /* a NUL byte, or longer than FX_IMPORT_LINE_MAX */
    FX_SKIP_FIELDS,    /* too few fields or columns */
    FX_SKIP_QUOTE,     /* a quoted field without its closing quote */
    FX_SKIP_TIME,      /* a bad timestamp */
    FX_SKIP_REQUEST,   /* a bad request line */
    FX_SKIP_STATUSFMT, /* a bad status code */
    FX_SKIP_BYTES,     /* a bad size */
    FX_SKIP_SERVICE,   /* a bad service time */
    FX_SKIP_KEY,       /* an empty or too long key, or one with blanks */
    FX_SKIP_TRUNCATED, /* a binary record cut short at the end */
    FX_SKIP_NREASONS
} fx_import_reason;

/* A few words for REASON, e.g. "status not selected". */
const char *fx_import_reason_name(fx_import_reason reason);

typedef struct fx_import_skips {
    uint64_t count;
    uint64_t lines[FX_IMPORT_LINES_SHOWN]; /* the first ones, from 1 */
} fx_import_skips;

typedef struct fx_import_summary {
    const char *unit;   /* "line" or "record" */
    uint64_t read;      /* lines (records) read, header included */
    uint64_t header;    /* header lines (csv --skip-header) */
    uint64_t imported;  /* requests written */
    uint64_t skipped;   /* the sum of skips[].count */
    uint64_t reordered; /* requests read after a later one, put in place */
    fx_import_skips skips[FX_SKIP_NREASONS];
    int64_t origin_s;    /* the input's second that became time 0 */
    fx_time first, last; /* first and last arrival written, ns */
    uint64_t distinct_keys;
    uint64_t no_service;   /* requests written without a service time */
    fx_moments service_us; /* service times written, microseconds */
    fx_moments bytes;      /* sizes of the requests written */
} fx_import_summary;

/* ---- importing ------------------------------------------------------------- */

typedef struct fx_import fx_import; /* opaque */

/* Check the options and prepare an import. A bad option is FX_EINVAL with a
 * message naming it ("--status: expected ..., found ..."): a usage error.
 * Reads nothing yet. */
fx_status fx_import_alloc(const fx_import_opts *o, fx_import **out, fx_err *e);

/* Read the whole input and write its requests to W, which must have been
 * opened with the one node FX_IMPORT_NODE. Does not close W. Errors:
 * FX_EIO (the input cannot be read), FX_EINVAL (strict and a bad line, or
 * bad content such as an unknown header column: "FILE:LINE: expected ...,
 * found ..."), FX_ENOMEM, and W's own errors. Call once. */
fx_status fx_import_run(fx_import *imp, fx_trace_writer *w, fx_err *e);

/* What the run did (complete after a successful run). */
const fx_import_summary *fx_import_summary_get(const fx_import *imp);

void fx_import_free(fx_import *imp);

/* ---- a service and an architecture to replay the trace with ---------------- */

/* The profile fitted to the summary's service times into BUF: lognormal by
 * their mean and cv ("lognormal:mean=812.5us,cv=1.73"), det when they do not
 * vary, FX_IMPORT_DEFAULT_PROFILE when there are none. */
const char *fx_import_profile(const fx_import_summary *s, char *buf, size_t len);

/* Servers for a utilization of FX_IMPORT_TARGET_UTILIZATION: the smallest
 * c >= 1 with rate x mean service time / c <= 0.5, where the rate is
 * (imported - 1) / (last - first) (0 with fewer than two requests or no
 * span) and the mean service time that of the profile; at most 1000000. */
unsigned fx_import_servers(const fx_import_summary *s);

/* A service file (JSON text, malloc'd, caller frees) named NAME (an id:
 * 1 to 128 of A-Za-z0-9_.-) with the one node FX_IMPORT_NODE, its profile
 * from fx_import_profile and its out_bytes the mean size (when any). */
fx_status fx_import_service_json(const fx_import_summary *s, const char *name, char **out,
                                 fx_err *e);

/* A baseline architecture file (JSON text, malloc'd) named NAME-baseline:
 * one pool "web" hosting the node, fx_import_servers servers at
 * FX_IMPORT_COST_PER_HOUR each. Its "service" is SERVICE_PATH made relative
 * to the folder of ARCH_PATH (the folders must exist). */
fx_status fx_import_arch_json(const fx_import_summary *s, const char *name, const char *arch_path,
                              const char *service_path, char **out, fx_err *e);

/* A service name from a trace path: its file name without ".gz" and
 * ".trace", other bytes than A-Za-z0-9_.- made '_', at most 128; "imported"
 * for "-" or when nothing is left. Into BUF of at least 129 bytes. */
const char *fx_import_name_from_path(const char *path, char *buf, size_t len);

#endif
