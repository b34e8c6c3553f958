/* import_csv.c - any delimited text file, with a column mapping.
 *
 * Columns are chosen by 1-based number, or by name when the first line is a
 * header (skip_header): --time COL and --key COL are required, --bytes COL
 * and --service COL optional. A column given as digits is a number, even
 * with a header.
 *
 * Fields are separated by one separator character (default ','; "tab" or
 * "\t" for a TAB). With the separator ' ', any run of blanks (spaces and
 * TABs) separates fields and blanks at the start of the line are ignored,
 * as awk splits. A field that starts with '"' is quoted, RFC 4180 style: it
 * runs to the next lone '"', and "" inside stands for one quote; a quoted
 * field cannot span lines. Columns after the last one used are not read.
 *
 * Values: the time, a non-negative decimal number in time_unit (default s),
 * read to the nanosecond; the bytes, a non-negative integer; the service
 * time, a non-negative decimal number in service_unit (default us). With
 * spread, times are taken as whole seconds (decimals dropped) and each
 * second's requests are spread over it, as for access logs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/import_format.h"

enum { COL_TIME, COL_KEY, COL_BYTES, COL_SERVICE, NCOLS };

static const char *const col_option[NCOLS] = {"--time", "--key", "--bytes", "--service"};

#define COLUMN_MAX 100000

typedef struct csv_state {
    char sep;
    int blanks;        /* sep ' ': runs of blanks separate */
    long col[NCOLS];   /* 0-based column, -1 for none */
    char *name[NCOLS]; /* a header name to find, or NULL */
    long last;         /* the largest column used */
    fx_import_unit time_unit, service_unit;
    int spread;
    char **f;     /* the fields of the current line: starts ... */
    size_t *flen; /* ... and lengths, last + 1 of each */
} csv_state;

/* Room for the fields up to S->last. */
static fx_status alloc_fields(csv_state *s, fx_err *e)
{
    size_t n = (size_t)s->last + 1;
    char **f = realloc(s->f, n * sizeof *f);
    if (f)
        s->f = f;
    size_t *l = f ? realloc(s->flen, n * sizeof *l) : NULL;
    if (l)
        s->flen = l;
    if (!f || !l)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    return FX_OK;
}

/* ---- options ----------------------------------------------------------------- */

static fx_status parse_sep(const char *s, char *sep, fx_err *e)
{
    if (!s) {
        *sep = ',';
        return FX_OK;
    }
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 || strcmp(s, "\t") == 0) {
        *sep = '\t';
        return FX_OK;
    }
    if (strcmp(s, "space") == 0) {
        *sep = ' ';
        return FX_OK;
    }
    unsigned char c = (unsigned char)s[0];
    if (strlen(s) != 1 || c == '"' || c < 0x20 || c == 0x7f)
        return fx_err_set(e, FX_EINVAL,
                          "--sep: expected one character other than '\"' (or tab), found \"%.40s\"",
                          s);
    *sep = (char)c;
    return FX_OK;
}

/* COL: a column number (digits) or a header name. */
static fx_status parse_col(csv_state *s, int which, const char *spec, int header, fx_err *e)
{
    s->col[which] = -1;
    if (!spec)
        return FX_OK;
    size_t n = strlen(spec);
    if (n > 0 && strspn(spec, "0123456789") == n) {
        uint64_t v;
        if (fx_import_u64(spec, n, &v) != 0 || v < 1 || v > COLUMN_MAX)
            return fx_err_set(e, FX_EINVAL, "%s: expected a column number from 1 to %d, found %s",
                              col_option[which], COLUMN_MAX, spec);
        s->col[which] = (long)v - 1;
        return FX_OK;
    }
    if (!header)
        return fx_err_set(e, FX_EINVAL,
                          "%s: expected a column number from 1, or a column name with "
                          "--skip-header, found \"%.40s\"",
                          col_option[which], spec);
    if (n == 0)
        return fx_err_set(e, FX_EINVAL, "%s: expected a column number or name, found nothing",
                          col_option[which]);
    s->name[which] = strdup(spec);
    if (!s->name[which])
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    return FX_OK;
}

static fx_status init(void *state, const fx_import_opts *o, fx_import_shape *shape, fx_err *e)
{
    csv_state *s = state;
    for (int k = 0; k < NCOLS; k++)
        s->col[k] = -1;
    fx_status st = fx_import_check_options(o,
                                           FX_IMPORT_OPT_COLUMNS | FX_IMPORT_OPT_TIME_UNIT |
                                               FX_IMPORT_OPT_SERVICE_UNIT | FX_IMPORT_OPT_SEP |
                                               FX_IMPORT_OPT_SKIP_HEADER | FX_IMPORT_OPT_SPREAD,
                                           "csv", e);
    if (st != FX_OK)
        return st;
    if (!o->col_time)
        return fx_err_set(e, FX_EINVAL,
                          "--time: expected the time column for --format csv, "
                          "found none");
    if (!o->col_key)
        return fx_err_set(e, FX_EINVAL,
                          "--key: expected the key column for --format csv, "
                          "found none");
    if (o->service_unit >= 0 && !o->col_service)
        return fx_err_set(e, FX_EINVAL,
                          "--service-unit: expected with --service COL, found it "
                          "alone");
    st = parse_sep(o->sep, &s->sep, e);
    const char *specs[NCOLS] = {o->col_time, o->col_key, o->col_bytes, o->col_service};
    for (int k = 0; k < NCOLS && st == FX_OK; k++)
        st = parse_col(s, k, specs[k], o->skip_header, e);
    if (st != FX_OK)
        return st;
    s->blanks = s->sep == ' ';
    s->time_unit = o->time_unit >= 0 ? (fx_import_unit)o->time_unit : FX_IMPORT_S;
    s->service_unit = o->service_unit >= 0 ? (fx_import_unit)o->service_unit : FX_IMPORT_US;
    s->spread = o->spread;
    s->last = -1;
    for (int k = 0; k < NCOLS; k++)
        if (s->col[k] > s->last)
            s->last = s->col[k];
    shape->whole_seconds = o->spread;
    shape->header = o->skip_header;
    return alloc_fields(s, e);
}

static void fini(void *state)
{
    csv_state *s = state;
    for (int k = 0; k < NCOLS; k++)
        free(s->name[k]);
    free(s->f);
    free(s->flen);
}

/* ---- fields -------------------------------------------------------------------- */

/* One field at *PP: its content (unquoted in place) in *F, *FLEN; *PP moves
 * past its separator. Returns 1, 0 at the end of the line (no field), -1
 * for a quote without its end. */
static int next_field(const csv_state *s, char **pp, char **f, size_t *flen, int *more)
{
    char *p = *pp;
    if (!*more)
        return 0;
    if (*p == '"') {
        /* Quoted: up to a lone quote; "" is one quote, copied down. */
        char *dst = p, *src = p + 1;
        for (;;) {
            if (*src == '\0')
                return -1;
            if (*src == '"') {
                if (src[1] == '"') {
                    *dst++ = '"';
                    src += 2;
                    continue;
                }
                src++;
                break;
            }
            *dst++ = *src++;
        }
        *f = p;
        *flen = (size_t)(dst - p);
        p = src;
        /* What follows must be the separator or the end. */
        if (s->blanks) {
            if (*p != '\0' && *p != ' ' && *p != '\t')
                return -1;
        } else if (*p != '\0' && *p != s->sep) {
            return -1;
        }
    } else {
        *f = p;
        if (s->blanks)
            p += strcspn(p, " \t");
        else
            while (*p && *p != s->sep)
                p++;
        *flen = (size_t)(p - *f);
    }
    if (*p == '\0') {
        *more = 0;
    } else if (s->blanks) {
        p += strspn(p, " \t");
        *more = *p != '\0';
    } else {
        p++;
        *more = 1;
    }
    *pp = p;
    return 1;
}

/* Split LINE into its first LAST + 1 fields: their starts and lengths into
 * F and FLEN. Returns the number found (at most LAST + 1), or -1 for a bad
 * quote (*AT then points to the field). */
static long split(const csv_state *s, char *line, long last, char **f, size_t *flen, char **at)
{
    char *p = line;
    int more = 1;
    if (s->blanks) {
        p += strspn(p, " \t");
        more = *p != '\0';
    }
    long n = 0;
    while (n <= last) {
        char *start = p;
        int r = next_field(s, &p, &f[n], &flen[n], &more);
        if (r < 0) {
            *at = start;
            return -1;
        }
        if (r == 0)
            break;
        n++;
    }
    return n;
}

static fx_status header(void *state, char *line, size_t len, fx_err *e)
{
    csv_state *s = state;
    int want = 0;
    for (int k = 0; k < NCOLS; k++)
        want |= s->name[k] != NULL;
    if (!want)
        return FX_OK;
    char *p = line;
    int more = 1;
    if (s->blanks) {
        p += strspn(p, " \t");
        more = *p != '\0';
    }
    char list[256] = "";
    for (long col = 0; col < COLUMN_MAX; col++) {
        char *f;
        size_t flen;
        int r = next_field(s, &p, &f, &flen, &more);
        if (r < 0)
            return fx_err_set(e, FX_EINVAL,
                              "expected a header of column names, found a quoted "
                              "name without its closing quote");
        if (r == 0)
            break;
        size_t used = strlen(list);
        if (used + flen + 3 < sizeof list) {
            /* Names go into a message: control bytes become '?'. */
            snprintf(list + used, sizeof list - used, "%s%.*s", col ? ", " : "", (int)flen, f);
            for (char *c = list + used; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                    *c = '?';
        }
        for (int k = 0; k < NCOLS; k++)
            if (s->name[k] && s->col[k] < 0 && strlen(s->name[k]) == flen &&
                memcmp(s->name[k], f, flen) == 0) {
                s->col[k] = col;
                if (col > s->last)
                    s->last = col;
            }
    }
    for (int k = 0; k < NCOLS; k++)
        if (s->name[k] && s->col[k] < 0)
            return fx_err_set(e, FX_EINVAL,
                              "expected a column named \"%.40s\" (%s) in the header, found only "
                              "%s",
                              s->name[k], col_option[k], list[0] ? list : "an empty line");
    (void)len;
    return alloc_fields(s, e);
}

/* ---- lines --------------------------------------------------------------------- */

static int bad(fx_import_bad *b, fx_import_reason reason, const char *expected, const char *found,
               size_t len)
{
    b->reason = reason;
    b->expected = expected;
    b->found = found;
    b->found_len = len;
    return 0;
}

static int parse(void *state, char *line, size_t len, fx_import_item *it, fx_import_bad *b)
{
    csv_state *s = state;
    char **f = s->f;
    size_t *fl = s->flen;
    char *at = NULL;
    long n = split(s, line, s->last, f, fl, &at);
    int ok = 1;
    if (n < 0) {
        ok = bad(b, FX_SKIP_QUOTE, "a quoted field ending in a quote before the separator", at,
                 strlen(at));
    } else if (n <= s->last) {
        ok = bad(b, FX_SKIP_FIELDS,
                 s->last + 1 > 1 ? "as many columns as the mapping uses" : "a column", NULL, 0);
    }
    if (ok) {
        const char *tf = f[s->col[COL_TIME]];
        size_t tl = fl[s->col[COL_TIME]];
        int64_t t;
        int r = fx_import_decimal_ns(tf, tl, s->time_unit, &t);
        if (r != 0)
            ok = bad(b, FX_SKIP_TIME,
                     r == -2 ? "a time of at most 2^62 ns"
                             : "a time (a non-negative decimal number)",
                     tf, tl);
        else
            it->t_ns = s->spread ? t - t % 1000000000LL : t;
    }
    if (ok) {
        it->key = f[s->col[COL_KEY]];
        it->key_len = fl[s->col[COL_KEY]];
    }
    if (ok && s->col[COL_BYTES] >= 0) {
        const char *bf = f[s->col[COL_BYTES]];
        size_t bl = fl[s->col[COL_BYTES]];
        if (fx_import_u64(bf, bl, &it->bytes) != 0)
            ok = bad(b, FX_SKIP_BYTES, "a size in bytes (a non-negative integer)", bf, bl);
        else
            it->has_bytes = 1;
    }
    if (ok && s->col[COL_SERVICE] >= 0) {
        const char *sf = f[s->col[COL_SERVICE]];
        size_t sl = fl[s->col[COL_SERVICE]];
        int64_t v;
        int r = fx_import_decimal_ns(sf, sl, s->service_unit, &v);
        if (r != 0) {
            ok = bad(b, FX_SKIP_SERVICE,
                     r == -2 ? "a service time of at most 2^62 ns"
                             : "a service time (a non-negative decimal number)",
                     sf, sl);
        } else {
            it->service = v;
            it->has_service = 1;
        }
    }
    (void)len;
    return ok;
}

const fx_import_format fx_import_csv = {
    .name = "csv",
    .summary = "delimited text: --time COL --key COL [--bytes COL] [--service COL] [--sep C]",
    .unit = "line",
    .record_size = 0,
    .state_size = sizeof(csv_state),
    .init = init,
    .header = header,
    .parse = parse,
    .fini = fini,
};
