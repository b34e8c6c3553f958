/* import_format.h - what an import format implements, and the helpers it may
 * use (internal to libfluxo; the public side is import.h).
 *
 * A format parses one unit of input at a time: a text line, or a binary
 * record of record_size bytes. The common driver (import.c) does the rest:
 * it reads the input (plain, gzip, stdin), splits lines, counts and reports
 * skips, checks keys, sorts within the reorder window, spreads whole
 * seconds, rebases times to 0, counts distinct keys and writes the trace.
 *
 * The calls a format receives, in order:
 *
 *   init(state, opts)        once: check and keep the options (a bad or
 *                            inapplicable option is FX_EINVAL naming it);
 *   header(state, line)      once, for the first line, when init said there
 *                            is a header;
 *   parse(state, line, it)   per line (LINE[LEN] is '\0'; the format may
 *                            write into the line) or per record: 1 and IT
 *                            filled, or 0 and BAD saying why not;
 *   fini(state)              once, also after a failed init.
 *
 * IT's key may point into the line or into the state: it must stay valid
 * until the next parse. The driver copies what it keeps.
 *
 * Ownership: the driver allocates state_size bytes, zeroed, for the state;
 * what a format allocates itself it frees in fini.
 */
#ifndef FX_IMPORT_FORMAT_H
#define FX_IMPORT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/time.h"
#include "traces/import.h"

/* One request, as a format read it. */
typedef struct fx_import_item {
    int64_t t_ns; /* arrival in the input's clock, ns (whole seconds when the
                   * format said so); never negative */
    const char *key;
    size_t key_len;
    int has_bytes;
    uint64_t bytes;
    int has_service;
    fx_time service; /* ns */
} fx_import_item;

/* Why a line is not a request: the reason counted, and for --strict's
 * message "expected EXPECTED, found FOUND" (FOUND points into the line;
 * NULL means the end of the line). */
typedef struct fx_import_bad {
    fx_import_reason reason;
    const char *expected;
    const char *found;
    size_t found_len;
} fx_import_bad;

/* What init tells the driver about the input. */
typedef struct fx_import_shape {
    int whole_seconds; /* times are whole seconds: spread each second */
    int header;        /* the first line is a header: call header() on it */
} fx_import_shape;

struct fx_import_format {
    const char *name;    /* as --format takes it */
    const char *summary; /* one line for `fluxosim list formats` */
    const char *unit;    /* "line" or "record", for messages */
    size_t record_size;  /* 0: text lines; else fixed binary records */
    size_t state_size;
    fx_status (*init)(void *state, const fx_import_opts *o, fx_import_shape *shape, fx_err *e);
    /* The header line; an error message without FILE:LINE (the driver adds
     * them). May be NULL when init never asks for a header. */
    fx_status (*header)(void *state, char *line, size_t len, fx_err *e);
    int (*parse)(void *state, char *line, size_t len, fx_import_item *it, fx_import_bad *bad);
    void (*fini)(void *state); /* may be NULL */
};

/* ---- helpers for formats (import.c) ----------------------------------------- */

/* Options a format may accept, for fx_import_check_options. */
enum {
    FX_IMPORT_OPT_KEEP_QUERY = 1 << 0,
    FX_IMPORT_OPT_STATUS = 1 << 1,
    FX_IMPORT_OPT_SERVICE_FIELD = 1 << 2,
    FX_IMPORT_OPT_SERVICE_UNIT = 1 << 3,
    FX_IMPORT_OPT_COLUMNS = 1 << 4, /* --time, --key, --bytes, --service */
    FX_IMPORT_OPT_TIME_UNIT = 1 << 5,
    FX_IMPORT_OPT_SEP = 1 << 6,
    FX_IMPORT_OPT_SKIP_HEADER = 1 << 7,
    FX_IMPORT_OPT_SPREAD = 1 << 8
};

/* FX_EINVAL naming the first option given in O that ALLOWED (a mask of the
 * above) does not include, e.g. "--sep: applies to csv, not clf". */
fx_status fx_import_check_options(const fx_import_opts *o, unsigned allowed, const char *format,
                                  fx_err *e);

/* Nanoseconds in one UNIT. */
int64_t fx_import_unit_ns(fx_import_unit unit);

/* A plain decimal number S[0..LEN) ("12", "0.25"; no sign, exponent or
 * blank) in UNIT, into *NS, rounded to the nearest nanosecond, halves up.
 * Returns 0, -1 when S is not such a number, -2 when it is above 2^62 ns. */
int fx_import_decimal_ns(const char *s, size_t len, fx_import_unit unit, int64_t *ns);

/* Decimal digits S[0..LEN) into *V. Returns 0, -1 when not digits, -2 when
 * above 2^62. */
int fx_import_u64(const char *s, size_t len, uint64_t *v);

#endif
