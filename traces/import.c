/* import.c - the common driver of the importers (see import.h for the
 * contract and import_format.h for what a format implements).
 *
 * The input goes through zlib (which passes plain text through unchanged)
 * in large chunks into one buffer; lines are split with memchr and handed
 * to the format in place. Requests wait in a ring of W + 1 buckets, one per
 * second of input time, until the input is W seconds past them; a bucket is
 * then sorted (only if its requests came out of order), its times spread or
 * rebased, and written. Keys are copied into the bucket's own byte buffer,
 * so nothing is allocated per line once the buckets have grown to the
 * window's traffic.
 */
#include "traces/import.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "sim/dist.h"
#include "traces/import_format.h"

#define CHUNK     (256 * 1024)
#define QUOTE_MAX 40
#define VALUE_MAX ((uint64_t)1 << 62)
#define NS_PER_S  1000000000LL
#define US_PER_S  1000000LL

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

const char *const fx_import_units[] = {"s", "ms", "us", "ns", NULL};

static const char *const reason_names[FX_SKIP_NREASONS] = {
    [FX_SKIP_STATUS] = "status not selected",
    [FX_SKIP_ORDER] = "out of order beyond the window",
    [FX_SKIP_EMPTY] = "empty line",
    [FX_SKIP_TEXT] = "not text (a NUL byte) or longer than 1 MiB",
    [FX_SKIP_FIELDS] = "too few fields",
    [FX_SKIP_QUOTE] = "a quoted field without its closing quote",
    [FX_SKIP_TIME] = "bad time",
    [FX_SKIP_REQUEST] = "bad request line",
    [FX_SKIP_STATUSFMT] = "bad status code",
    [FX_SKIP_BYTES] = "bad size",
    [FX_SKIP_SERVICE] = "bad service time",
    [FX_SKIP_KEY] = "bad key (empty, longer than 1024 bytes, or with blanks)",
    [FX_SKIP_TRUNCATED] = "truncated record at the end",
};

const char *fx_import_reason_name(fx_import_reason reason)
{
    return (unsigned)reason < FX_SKIP_NREASONS ? reason_names[reason] : "?";
}

void fx_import_opts_init(fx_import_opts *o)
{
    memset(o, 0, sizeof *o);
    o->service_unit = -1;
    o->time_unit = -1;
}

/* ---- helpers for formats ---------------------------------------------------- */

int64_t fx_import_unit_ns(fx_import_unit unit)
{
    switch (unit) {
    case FX_IMPORT_S:
        return NS_PER_S;
    case FX_IMPORT_MS:
        return 1000000;
    case FX_IMPORT_US:
        return 1000;
    case FX_IMPORT_NS:
        break;
    }
    return 1;
}

int fx_import_u64(const char *s, size_t len, uint64_t *v)
{
    if (len == 0 || len > 19)
        return len > 19 && s[0] >= '0' && s[0] <= '9' ? -2 : -1;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9)
            return -1;
        x = x * 10 + d;
    }
    if (x > VALUE_MAX)
        return -2;
    *v = x;
    return 0;
}

int fx_import_decimal_ns(const char *s, size_t len, fx_import_unit unit, int64_t *ns)
{
    size_t i = 0;
    uint64_t whole = 0;
    int too_big = 0;
    while (i < len && (unsigned)((unsigned char)s[i] - '0') < 10u) {
        if (whole > VALUE_MAX / 10)
            too_big = 1;
        else
            whole = whole * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    size_t nwhole = i;
    uint64_t scale = (uint64_t)fx_import_unit_ns(unit);
    uint64_t frac = 0; /* nanoseconds from the decimals */
    size_t nfrac = 0;
    if (i < len && s[i] == '.') {
        i++;
        /* The decimals' value in ns: digit k (from 1) is worth scale / 10^k;
         * the first digit below 1 ns rounds, halves up. */
        uint64_t place = scale;
        int rounded = 0;
        while (i < len && (unsigned)((unsigned char)s[i] - '0') < 10u) {
            unsigned d = (unsigned)(s[i] - '0');
            if (place >= 10) {
                place /= 10;
                frac += d * place;
            } else if (!rounded) {
                /* place is 1: this digit is tenths of a nanosecond. */
                frac += d >= 5;
                rounded = 1;
            }
            nfrac++;
            i++;
        }
        if (nfrac == 0)
            return -1;
    }
    if (i != len || nwhole == 0)
        return -1;
    if (too_big || whole > VALUE_MAX / scale)
        return -2;
    uint64_t v = whole * scale + frac;
    if (v > VALUE_MAX)
        return -2;
    *ns = (int64_t)v;
    return 0;
}

static const struct {
    unsigned bit;
    const char *name;
} option_names[] = {
    {FX_IMPORT_OPT_KEEP_QUERY, "--keep-query"},
    {FX_IMPORT_OPT_STATUS, "--status"},
    {FX_IMPORT_OPT_SERVICE_FIELD, "--service-field"},
    {FX_IMPORT_OPT_SERVICE_UNIT, "--service-unit"},
    {FX_IMPORT_OPT_COLUMNS, "--time, --key, --bytes and --service"},
    {FX_IMPORT_OPT_TIME_UNIT, "--time-unit"},
    {FX_IMPORT_OPT_SEP, "--sep"},
    {FX_IMPORT_OPT_SKIP_HEADER, "--skip-header"},
    {FX_IMPORT_OPT_SPREAD, "--spread"},
};

fx_status fx_import_check_options(const fx_import_opts *o, unsigned allowed, const char *format,
                                  fx_err *e)
{
    unsigned given = 0;
    given |= o->keep_query ? FX_IMPORT_OPT_KEEP_QUERY : 0;
    given |= o->status ? FX_IMPORT_OPT_STATUS : 0;
    given |= o->service_field ? FX_IMPORT_OPT_SERVICE_FIELD : 0;
    given |= o->service_unit >= 0 ? FX_IMPORT_OPT_SERVICE_UNIT : 0;
    given |=
        o->col_time || o->col_key || o->col_bytes || o->col_service ? FX_IMPORT_OPT_COLUMNS : 0;
    given |= o->time_unit >= 0 ? FX_IMPORT_OPT_TIME_UNIT : 0;
    given |= o->sep ? FX_IMPORT_OPT_SEP : 0;
    given |= o->skip_header ? FX_IMPORT_OPT_SKIP_HEADER : 0;
    given |= o->spread ? FX_IMPORT_OPT_SPREAD : 0;
    for (size_t i = 0; i < sizeof option_names / sizeof option_names[0]; i++)
        if ((given & option_names[i].bit) && !(allowed & option_names[i].bit))
            return fx_err_set(e, FX_EINVAL,
                              "%s: expected with another format, not with --format %s",
                              option_names[i].name, format);
    return FX_OK;
}

/* ---- the registry ------------------------------------------------------------ */

const char *fx_import_format_name(const fx_import_format *f)
{
    return f->name;
}

const char *fx_import_format_summary(const fx_import_format *f)
{
    return f->summary;
}

const fx_import_format *fx_import_format_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; fx_import_formats[i]; i++)
        if (strcmp(fx_import_formats[i]->name, name) == 0)
            return fx_import_formats[i];
    return NULL;
}

/* ---- distinct keys: an exact set ---------------------------------------------- */

typedef struct key_slot {
    uint64_t hash;
    const char *key; /* NULL: empty */
    size_t len;
} key_slot;

typedef struct key_set {
    key_slot *slots;
    size_t cap, n; /* cap a power of two */
    char *arena;   /* blocks chained by their first word */
    size_t used, arena_cap;
} key_set;

#define ARENA_BLOCK (1u << 20)

static void key_set_free(key_set *s)
{
    free(s->slots);
    char *b = s->arena;
    while (b) {
        char *next;
        memcpy(&next, b, sizeof next);
        free(b);
        b = next;
    }
}

static int key_set_grow(key_set *s)
{
    size_t cap = s->cap ? 2 * s->cap : 4096;
    key_slot *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i].key)
            continue;
        size_t j = s->slots[i].hash & (cap - 1);
        while (t[j].key)
            j = (j + 1) & (cap - 1);
        t[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = t;
    s->cap = cap;
    return 0;
}

static uint64_t hash_bytes(const char *p, size_t len)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * FNV_PRIME;
    /* FNV's low bits are weak for short keys: finish with a mix. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* Add KEY; returns 0, or -1 when out of memory. */
static int key_set_add(key_set *s, const char *key, size_t len)
{
    if (2 * (s->n + 1) > s->cap && key_set_grow(s) < 0)
        return -1;
    uint64_t h = hash_bytes(key, len);
    size_t j = h & (s->cap - 1);
    while (s->slots[j].key) {
        if (s->slots[j].hash == h && s->slots[j].len == len &&
            memcmp(s->slots[j].key, key, len) == 0)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    if (!s->arena || s->used + len > s->arena_cap) {
        size_t cap = sizeof(char *) + (len > ARENA_BLOCK ? len : ARENA_BLOCK);
        char *b = malloc(cap);
        if (!b)
            return -1;
        memcpy(b, &s->arena, sizeof s->arena);
        s->arena = b;
        s->used = sizeof(char *);
        s->arena_cap = cap;
    }
    char *copy = s->arena + s->used;
    memcpy(copy, key, len);
    s->used += len;
    s->slots[j] = (key_slot){h, copy, len};
    s->n++;
    return 0;
}

/* ---- the reorder window -------------------------------------------------------- */

/* One request held in the window. */
typedef struct held {
    int64_t t_ns; /* input clock */
    int64_t service;
    uint64_t bytes;
    uint32_t key_off, key_len; /* into the bucket's keys */
    uint32_t idx;              /* input order within the bucket */
    uint8_t has_bytes, has_service;
} held;

/* The requests of one second of input time. */
typedef struct bucket {
    int64_t sec;
    held *v;
    size_t n, cap;
    char *keys;
    size_t klen, kcap;
    int unsorted; /* a request came before the bucket's latest */
} bucket;

struct fx_import {
    const fx_import_format *fmt;
    void *state;
    fx_import_shape shape;
    int strict;
    int64_t window; /* seconds */
    const char *input;
    const char *where; /* the input's name in messages */
    int ran;

    /* input */
    gzFile gz;
    char *buf;
    size_t cap, pos, end;
    int at_eof, nul_seen;
    uint64_t line;

    /* window */
    bucket *ring; /* window + 1 buckets */
    size_t held_n;
    int have_max;
    int64_t max_sec;
    int64_t max_t_ns; /* the latest time taken */
    int have_origin;

    /* output */
    fx_trace_writer *w;
    key_set keys;
    fx_import_summary sum;
};

/* ---- messages ------------------------------------------------------------------- */

/* S[0..N) quoted for a message: control bytes as \xHH, at most QUOTE_MAX. */
static const char *quote(char out[QUOTE_MAX * 4 + 4], const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    size_t shown = n > QUOTE_MAX ? QUOTE_MAX : n;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            if (c == '"' || c == '\\') {
                *o++ = '\\';
                *o++ = (char)c;
                continue;
            }
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    if (shown < n) {
        memcpy(o, "...", 3);
        o += 3;
    }
    *o = '\0';
    return out;
}

/* "FILE:LINE: " or "FILE: record N: " before a message about the current
 * unit of input. */
__attribute__((format(printf, 3, 4))) static fx_status fail_here(fx_import *imp, fx_err *e,
                                                                 const char *fmt, ...)
{
    char msg[FX_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (imp->fmt->record_size)
        return fx_err_set(e, FX_EINVAL, "%s: record %llu: %s", imp->where,
                          (unsigned long long)imp->line, msg);
    return fx_err_set(e, FX_EINVAL, "%s:%llu: %s", imp->where, (unsigned long long)imp->line, msg);
}

/* Count a skip of the current line; with strict (and REASON an error),
 * fail with BAD's message instead. Returns FX_OK or the error. */
static fx_status skip(fx_import *imp, const fx_import_bad *bad, fx_err *e)
{
    if (imp->strict && bad->reason != FX_SKIP_STATUS) {
        char q[QUOTE_MAX * 4 + 4];
        if (!bad->found)
            return fail_here(imp, e, "expected %s, found the end of the %s", bad->expected,
                             imp->fmt->unit);
        if (bad->found_len == 0)
            return fail_here(imp, e, "expected %s, found an empty field", bad->expected);
        return fail_here(imp, e, "expected %s, found \"%s\"", bad->expected,
                         quote(q, bad->found, bad->found_len));
    }
    fx_import_skips *k = &imp->sum.skips[bad->reason];
    if (k->count < FX_IMPORT_LINES_SHOWN)
        k->lines[k->count] = imp->line;
    k->count++;
    imp->sum.skipped++;
    return FX_OK;
}

/* ---- input ------------------------------------------------------------------------ */

static fx_status input_open(fx_import *imp, fx_err *e)
{
    int is_stdin = strcmp(imp->input, "-") == 0;
    imp->where = is_stdin ? "standard input" : imp->input;
    int fd = is_stdin ? dup(0) : open(imp->input, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fx_err_set(e, FX_EIO, "%s: cannot open: %s", imp->where, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(fd);
        return fx_err_set(e, FX_EIO, "%s: expected a file, found a directory", imp->where);
    }
    imp->gz = gzdopen(fd, "rb");
    if (!imp->gz) {
        close(fd);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    gzbuffer(imp->gz, CHUNK);
    imp->cap = CHUNK;
    imp->buf = malloc(imp->cap);
    if (!imp->buf)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    return FX_OK;
}

/* Read more input after buf[pos..end), making room for at least NEED bytes
 * in all. Returns FX_OK (at_eof set when the input is done) or an error. */
static fx_status refill(fx_import *imp, size_t need, fx_err *e)
{
    size_t avail = imp->end - imp->pos;
    if (imp->pos > 0) {
        memmove(imp->buf, imp->buf + imp->pos, avail);
        imp->pos = 0;
        imp->end = avail;
    }
    if (need + 1 > imp->cap) {
        size_t ncap = imp->cap;
        while (ncap < need + 1)
            ncap *= 2;
        char *nbuf = realloc(imp->buf, ncap);
        if (!nbuf)
            return fx_err_set(e, FX_ENOMEM, "out of memory");
        imp->buf = nbuf;
        imp->cap = ncap;
    }
    size_t room = imp->cap - 1 - imp->end;
    if (room > INT_MAX)
        room = INT_MAX;
    int n = gzread(imp->gz, imp->buf + imp->end, (unsigned)room);
    if (n < 0) {
        int zerr;
        const char *msg = gzerror(imp->gz, &zerr);
        if (zerr == Z_ERRNO)
            return fx_err_set(e, FX_EIO, "%s: cannot read: %s", imp->where, strerror(errno));
        if (zerr == Z_MEM_ERROR)
            return fx_err_set(e, FX_ENOMEM, "out of memory");
        return fx_err_set(e, FX_EINVAL,
                          "%s: expected a valid gzip stream, found a corrupt one (%s)", imp->where,
                          msg);
    }
    if (n == 0) {
        int zerr;
        gzerror(imp->gz, &zerr);
        if (zerr == Z_BUF_ERROR)
            return fx_err_set(e, FX_EINVAL, "%s: truncated gzip stream (it ends after %s %llu)",
                              imp->where, imp->fmt->unit, (unsigned long long)imp->line);
        imp->at_eof = 1;
        return FX_OK;
    }
    if (!imp->nul_seen && memchr(imp->buf + imp->end, '\0', (size_t)n))
        imp->nul_seen = 1;
    imp->end += (size_t)n;
    return FX_OK;
}

/* The next line into *LINE, *LEN (LINE[LEN] == '\0', a CR before the LF
 * dropped). *GOT: 1 a line, 2 a line too long (skipped whole), 0 the end. */
static fx_status next_line(fx_import *imp, char **line, size_t *len, int *got, fx_err *e)
{
    int too_long = 0;
    for (;;) {
        char *p = imp->buf + imp->pos;
        size_t avail = imp->end - imp->pos;
        char *nl = memchr(p, '\n', avail);
        if (nl || (imp->at_eof && avail > 0)) {
            size_t n = nl ? (size_t)(nl - p) : avail;
            imp->pos += nl ? n + 1 : n;
            imp->line++;
            if (too_long || n > FX_IMPORT_LINE_MAX) {
                *got = 2;
                return FX_OK;
            }
            if (n > 0 && p[n - 1] == '\r')
                n--;
            p[n] = '\0';
            *line = p;
            *len = n;
            *got = 1;
            return FX_OK;
        }
        if (imp->at_eof) {
            *got = 0;
            return FX_OK;
        }
        if (avail > FX_IMPORT_LINE_MAX) {
            /* Too long: drop what is read and look for its end. */
            too_long = 1;
            imp->pos = imp->end;
            avail = 0;
        }
        fx_status st = refill(imp, avail + 1, e);
        if (st != FX_OK)
            return st;
    }
}

/* The next binary record of SIZE bytes. *GOT: 1 a record, 2 a partial one
 * at the end, 0 the end. */
static fx_status next_record(fx_import *imp, size_t size, char **rec, int *got, fx_err *e)
{
    while (imp->end - imp->pos < size && !imp->at_eof) {
        fx_status st = refill(imp, size, e);
        if (st != FX_OK)
            return st;
    }
    size_t avail = imp->end - imp->pos;
    if (avail == 0) {
        *got = 0;
        return FX_OK;
    }
    imp->line++;
    if (avail < size) {
        imp->pos = imp->end;
        *got = 2;
        return FX_OK;
    }
    *rec = imp->buf + imp->pos;
    imp->pos += size;
    *got = 1;
    return FX_OK;
}

/* ---- writing ---------------------------------------------------------------------- */

static fx_status emit(fx_import *imp, const held *h, const char *key, fx_time t_rel, fx_err *e)
{
    if (t_rel < 0 || (uint64_t)t_rel > VALUE_MAX)
        return fx_err_set(e, FX_ELIMIT,
                          "%s: expected the input to span at most 2^62 ns (146 years), found "
                          "more",
                          imp->where);
    fx_trace_field f = {0};
    fx_trace_rec r = {0};
    r.t = t_rel;
    r.key = key;
    r.key_len = h->key_len;
    if (h->has_service || h->has_bytes) {
        /* Without a recorded service time the field still carries the size
         * ("serve=-/BYTES"): the replay draws the demand from the profile. */
        f.node = 0;
        f.service = h->has_service ? h->service : 0;
        f.no_service = !h->has_service;
        f.has_bytes = h->has_bytes;
        f.bytes = h->bytes;
        r.fields = &f;
        r.nfields = 1;
    }
    fx_status st = fx_trace_write(imp->w, &r, e);
    if (st != FX_OK)
        return st;
    fx_import_summary *s = &imp->sum;
    if (s->imported == 0)
        s->first = t_rel;
    s->last = t_rel;
    s->imported++;
    if (h->has_service)
        fx_moments_add(&s->service_us, (double)h->service * 1e-3);
    else
        s->no_service++;
    if (h->has_bytes)
        fx_moments_add(&s->bytes, (double)h->bytes);
    if (key_set_add(&imp->keys, key, h->key_len) < 0)
        return fx_err_set(e, FX_ENOMEM, "out of memory (%llu distinct keys)",
                          (unsigned long long)imp->keys.n);
    s->distinct_keys = imp->keys.n;
    return FX_OK;
}

static int by_time(const void *a, const void *b)
{
    const held *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Write the requests of bucket B and empty it. */
static fx_status flush_bucket(fx_import *imp, bucket *b, fx_err *e)
{
    if (b->n == 0)
        return FX_OK;
    if (!imp->have_origin) {
        imp->have_origin = 1;
        imp->sum.origin_s = b->sec;
    }
    if (b->unsorted)
        qsort(b->v, b->n, sizeof *b->v, by_time);
    int64_t base_us = (b->sec - imp->sum.origin_s) * US_PER_S;
    int64_t origin_ns = imp->sum.origin_s * NS_PER_S;
    uint64_t n = b->n;
    for (size_t i = 0; i < b->n; i++) {
        const held *h = &b->v[i];
        fx_time t;
        if (imp->shape.whole_seconds) {
            /* The i-th of n in the second: s + (i + 0.5) / n, in whole us. */
            uint64_t sub = ((2 * (uint64_t)i + 1) * (uint64_t)US_PER_S) / (2 * n);
            if (base_us > (int64_t)(VALUE_MAX / 1000))
                t = -1;
            else
                t = (base_us + (int64_t)sub) * 1000;
        } else {
            t = h->t_ns - origin_ns;
        }
        fx_status st = emit(imp, h, b->keys + h->key_off, t, e);
        if (st != FX_OK)
            return st;
    }
    imp->held_n -= b->n;
    b->n = 0;
    b->klen = 0;
    b->unsorted = 0;
    return FX_OK;
}

/* Write every second before UPTO (exclusive) that is held. */
static fx_status flush_before(fx_import *imp, int64_t upto, fx_err *e)
{
    if (!imp->have_max)
        return FX_OK;
    int64_t lo = imp->max_sec - imp->window;
    if (lo < 0)
        lo = 0;
    for (int64_t s = lo; s < upto && s <= imp->max_sec && imp->held_n > 0; s++) {
        bucket *b = &imp->ring[s % (imp->window + 1)];
        if (b->n && b->sec == s) {
            fx_status st = flush_bucket(imp, b, e);
            if (st != FX_OK)
                return st;
        }
    }
    return FX_OK;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

/* Take one parsed request into the window. */
static fx_status take(fx_import *imp, const fx_import_item *it, fx_err *e)
{
    int64_t sec = it->t_ns / NS_PER_S;
    if (imp->have_max && sec < imp->max_sec - imp->window) {
        if (imp->strict)
            return fail_here(imp, e,
                             "expected a time at most %lld s before the latest one (the reorder "
                             "window, --window), found one %lld s before it",
                             (long long)imp->window, (long long)(imp->max_sec - sec));
        fx_import_bad bad = {FX_SKIP_ORDER, NULL, NULL, 0};
        return skip(imp, &bad, e);
    }
    if (imp->have_max && it->t_ns < imp->max_t_ns)
        imp->sum.reordered++;
    if (!imp->have_max || it->t_ns > imp->max_t_ns)
        imp->max_t_ns = it->t_ns;
    if (!imp->have_max || sec > imp->max_sec) {
        fx_status st = flush_before(imp, sec - imp->window, e);
        if (st != FX_OK)
            return st;
        imp->have_max = 1;
        imp->max_sec = sec;
    }
    bucket *b = &imp->ring[sec % (imp->window + 1)];
    if (b->n == 0) {
        b->sec = sec;
    }
    if (grow((void **)&b->v, &b->cap, b->n + 1, sizeof *b->v) < 0 ||
        grow((void **)&b->keys, &b->kcap, b->klen + it->key_len + 1, 1) < 0)
        return fx_err_set(e, FX_ENOMEM, "out of memory (%zu requests in the reorder window)",
                          imp->held_n);
    if (b->n > UINT32_MAX - 1 || b->klen + it->key_len + 1 > UINT32_MAX)
        return fx_err_set(e, FX_ELIMIT,
                          "%s: expected at most 2^32 requests or 4 GiB of keys in one second, "
                          "found more",
                          imp->where);
    held *h = &b->v[b->n];
    h->t_ns = it->t_ns;
    h->service = it->service;
    h->bytes = it->bytes;
    h->has_bytes = (uint8_t)(it->has_bytes != 0);
    h->has_service = (uint8_t)(it->has_service != 0);
    h->key_off = (uint32_t)b->klen;
    h->key_len = (uint32_t)it->key_len;
    h->idx = (uint32_t)b->n;
    if (b->n > 0 && it->t_ns < b->v[b->n - 1].t_ns)
        b->unsorted = 1;
    memcpy(b->keys + b->klen, it->key, it->key_len);
    b->keys[b->klen + it->key_len] = '\0';
    b->klen += it->key_len + 1;
    b->n++;
    imp->held_n++;
    return FX_OK;
}

/* A key the trace can hold: 1 to FX_TRACE_KEY_MAX bytes, no blank or
 * control byte. */
static int key_ok(const char *k, size_t len, fx_import_bad *bad)
{
    bad->reason = FX_SKIP_KEY;
    bad->expected = "a key of 1 to 1024 bytes without blanks or control characters";
    bad->found = k;
    bad->found_len = len;
    if (len == 0 || len > FX_TRACE_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)k[i];
        if (c <= 0x20 || c == 0x7f)
            return 0;
    }
    return 1;
}

/* One unit of input: parse it and take it, or count it as skipped. */
static fx_status handle(fx_import *imp, char *p, size_t len, fx_err *e)
{
    fx_import_item it;
    fx_import_bad bad = {0};
    memset(&it, 0, sizeof it);
    if (!imp->fmt->parse(imp->state, p, len, &it, &bad))
        return skip(imp, &bad, e);
    if (!key_ok(it.key, it.key_len, &bad))
        return skip(imp, &bad, e);
    return take(imp, &it, e);
}

static fx_status run_text(fx_import *imp, fx_err *e)
{
    int header = imp->shape.header;
    for (;;) {
        char *p = NULL;
        size_t len = 0;
        int got;
        fx_status st = next_line(imp, &p, &len, &got, e);
        if (st != FX_OK)
            return st;
        if (got == 0)
            return FX_OK;
        imp->sum.read++;
        if (got == 2 || (imp->nul_seen && memchr(p, '\0', len))) {
            fx_import_bad bad = {FX_SKIP_TEXT, "a line of text of at most 1 MiB", NULL, 0};
            if (imp->strict)
                return fail_here(imp, e, "expected %s, found %s", bad.expected,
                                 got == 2 ? "a longer line" : "a NUL byte");
            if (header)
                return fail_here(imp, e, "expected a header line, found %s",
                                 got == 2 ? "a line longer than 1 MiB" : "a NUL byte");
            st = skip(imp, &bad, e);
        } else if (header) {
            header = 0;
            imp->sum.header++;
            fx_err he;
            fx_err_clear(&he);
            if (imp->fmt->header(imp->state, p, len, &he) != FX_OK) {
                if (he.code != FX_EINVAL)
                    return fx_err_set(e, he.code, "%s", he.msg);
                return fail_here(imp, e, "%s", he.msg);
            }
        } else if (len == 0) {
            fx_import_bad bad = {FX_SKIP_EMPTY, "a line", p, 0};
            if (imp->strict)
                return fail_here(imp, e, "expected a %s line, found an empty line", imp->fmt->name);
            st = skip(imp, &bad, e);
        } else {
            st = handle(imp, p, len, e);
        }
        if (st != FX_OK)
            return st;
    }
}

static fx_status run_binary(fx_import *imp, fx_err *e)
{
    size_t size = imp->fmt->record_size;
    for (;;) {
        char *p = NULL;
        int got;
        fx_status st = next_record(imp, size, &p, &got, e);
        if (st != FX_OK)
            return st;
        if (got == 0)
            return FX_OK;
        imp->sum.read++;
        if (got == 2) {
            if (imp->strict)
                return fail_here(imp, e,
                                 "expected a record of %zu bytes, found the end of the "
                                 "input inside one",
                                 size);
            fx_import_bad bad = {FX_SKIP_TRUNCATED, NULL, NULL, 0};
            return skip(imp, &bad, e);
        }
        st = handle(imp, p, size, e);
        if (st != FX_OK)
            return st;
    }
}

/* ---- the interface ------------------------------------------------------------------- */

fx_status fx_import_alloc(const fx_import_opts *o, fx_import **out, fx_err *e)
{
    if (!out)
        return fx_err_set(e, FX_EINVAL, "fx_import_alloc: expected somewhere to put the importer");
    *out = NULL;
    const fx_import_format *fmt = fx_import_format_find(o->format);
    if (!fmt) {
        char list[256] = "";
        for (size_t i = 0; fx_import_formats[i]; i++) {
            if (i)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, fx_import_formats[i]->name, sizeof list - strlen(list) - 1);
        }
        if (!o->format)
            return fx_err_set(e, FX_EINVAL, "--format: expected one of %s, found none", list);
        char q[QUOTE_MAX * 4 + 4];
        return fx_err_set(e, FX_EINVAL, "--format: expected one of %s, found \"%s\"", list,
                          quote(q, o->format, strlen(o->format)));
    }
    if (!o->input)
        return fx_err_set(e, FX_EINVAL, "expected an INPUT file (or - for stdin), found none");
    uint64_t window = o->window_given ? o->window_s : FX_IMPORT_WINDOW_S;
    if (window > FX_IMPORT_WINDOW_S_MAX)
        return fx_err_set(e, FX_EINVAL, "--window: expected seconds from 0 to %d, found %llu",
                          FX_IMPORT_WINDOW_S_MAX, (unsigned long long)window);

    fx_import *imp = calloc(1, sizeof *imp);
    if (!imp)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    imp->fmt = fmt;
    imp->strict = o->strict;
    imp->window = (int64_t)window;
    imp->input = o->input;
    imp->where = o->input;
    imp->sum.unit = fmt->unit;
    imp->state = calloc(1, fmt->state_size ? fmt->state_size : 1);
    imp->ring = calloc((size_t)window + 1, sizeof *imp->ring);
    if (!imp->state || !imp->ring) {
        fx_import_free(imp);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    fx_status st = fmt->init(imp->state, o, &imp->shape, e);
    if (st != FX_OK) {
        fx_import_free(imp);
        return st;
    }
    *out = imp;
    return FX_OK;
}

fx_status fx_import_run(fx_import *imp, fx_trace_writer *w, fx_err *e)
{
    if (imp->ran)
        return fx_err_set(e, FX_EINVAL, "fx_import_run: expected one run per importer");
    imp->ran = 1;
    imp->w = w;
    fx_status st = input_open(imp, e);
    if (st == FX_OK)
        st = imp->fmt->record_size ? run_binary(imp, e) : run_text(imp, e);
    if (st == FX_OK)
        st = flush_before(imp, INT64_MAX, e);
    return st;
}

const fx_import_summary *fx_import_summary_get(const fx_import *imp)
{
    return &imp->sum;
}

void fx_import_free(fx_import *imp)
{
    if (!imp)
        return;
    if (imp->state && imp->fmt->fini)
        imp->fmt->fini(imp->state);
    free(imp->state);
    if (imp->ring)
        for (int64_t i = 0; i <= imp->window; i++) {
            free(imp->ring[i].v);
            free(imp->ring[i].keys);
        }
    free(imp->ring);
    if (imp->gz)
        gzclose(imp->gz);
    free(imp->buf);
    key_set_free(&imp->keys);
    free(imp);
}

/* ---- a service and an architecture ------------------------------------------------ */

/* The mean service time of the profile, microseconds. */
static double profile_mean_us(const fx_import_summary *s)
{
    return s->service_us.n ? fx_moments_mean(&s->service_us) : FX_IMPORT_DEFAULT_MEAN_US;
}

const char *fx_import_profile(const fx_import_summary *s, char *buf, size_t len)
{
    if (s->service_us.n == 0) {
        snprintf(buf, len, "%s", FX_IMPORT_DEFAULT_PROFILE);
        return buf;
    }
    double m = fx_moments_mean(&s->service_us);
    double var = fx_moments_var(&s->service_us);
    double cv = m > 0 && var > 0 ? sqrt(var) / m : 0.0;
    /* Three decimals of a microsecond are the trace's resolution; a cv
     * below 10^-4 prints as 0 and is a constant. */
    if (!(m >= 0.0005))
        snprintf(buf, len, "det:0us");
    else if (!(cv >= 0.00005))
        snprintf(buf, len, "det:%.3fus", m);
    else
        snprintf(buf, len, "lognormal:mean=%.3fus,cv=%.4f", m, cv);
    return buf;
}

unsigned fx_import_servers(const fx_import_summary *s)
{
    double span = (double)(s->last - s->first) * 1e-9;
    double rate = s->imported > 1 && span > 0 ? (double)(s->imported - 1) / span : 0.0;
    double load = rate * profile_mean_us(s) * 1e-6; /* offered load, in servers */
    double c = ceil(load / FX_IMPORT_TARGET_UTILIZATION - 1e-9);
    if (!(c >= 1))
        return 1;
    if (c > 1000000)
        return 1000000;
    return (unsigned)c;
}

static int is_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* A text built with open_memstream, or NULL when out of memory. */
static fx_status finish_text(FILE *f, char **text, char **out, fx_err *e)
{
    if (fclose(f) != 0 || !*text) {
        free(*text);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    *out = *text;
    return FX_OK;
}

fx_status fx_import_service_json(const fx_import_summary *s, const char *name, char **out,
                                 fx_err *e)
{
    *out = NULL;
    if (!name || !is_id(name))
        return fx_err_set(e, FX_EINVAL,
                          "expected a service name of 1 to 128 of A-Za-z0-9_.-, found \"%.40s\"",
                          name ? name : "");
    char prof[128];
    fx_import_profile(s, prof, sizeof prof);
    fx_dist d;
    fx_err de;
    if (fx_dist_parse(prof, &d, &de) != FX_OK)
        return fx_err_set(e, FX_EINVAL, "the fitted profile \"%s\" is not valid: %s", prof, de.msg);
    fx_dist_free(&d);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fprintf(f, "{\n  \"service\": \"%s\",\n  \"entry\": \"%s\",\n  \"exit\": \"%s\",\n", name,
            FX_IMPORT_NODE, FX_IMPORT_NODE);
    fprintf(f, "  \"nodes\": [\n    {\"id\": \"%s\", \"profile\": \"%s\"", FX_IMPORT_NODE, prof);
    if (s->bytes.n)
        fprintf(f, ", \"out_bytes\": %.0f", floor(fx_moments_mean(&s->bytes) + 0.5));
    fprintf(f, "}\n  ],\n  \"edges\": []\n}\n");
    return finish_text(f, &text, out, e);
}

/* The absolute, canonical folder of PATH (its part before the last '/',
 * "." when none), malloc'd; NULL with errno set. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir)
        return NULL;
    char *abs = realpath(dir, NULL);
    int err = errno;
    free(dir);
    errno = err;
    return abs;
}

/* Write S as a JSON string body (without the quotes) to F. */
static void json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

fx_status fx_import_arch_json(const fx_import_summary *s, const char *name, const char *arch_path,
                              const char *service_path, char **out, fx_err *e)
{
    *out = NULL;
    if (!name || !is_id(name))
        return fx_err_set(e, FX_EINVAL,
                          "expected a service name of 1 to 128 of A-Za-z0-9_.-, found \"%.40s\"",
                          name ? name : "");
    char *from = folder_of(arch_path);
    if (!from)
        return fx_err_set(e, FX_EIO, "%s: cannot find its folder: %s", arch_path, strerror(errno));
    char *to = folder_of(service_path);
    if (!to) {
        int err = errno;
        free(from);
        return fx_err_set(e, FX_EIO, "%s: cannot find its folder: %s", service_path, strerror(err));
    }
    const char *base = strrchr(service_path, '/');
    base = base ? base + 1 : service_path;

    /* Skip the leading folders FROM and TO share; then one ".." per folder
     * left in FROM, and the rest of TO. */
    size_t i = 0, common = 0;
    for (;; i++) {
        char a = from[i], b = to[i];
        if ((a == '/' || a == '\0') && (b == '/' || b == '\0'))
            common = i;
        if (a != b || a == '\0')
            break;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        free(from);
        free(to);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    fprintf(f, "{\n  \"name\": \"%s-baseline\",\n  \"service\": \"", name);
    for (const char *p = from + common; *p; p++)
        if (*p == '/' && p[1] != '\0' && p[1] != '/')
            fputs("../", f);
    const char *tail = to + common;
    while (*tail == '/')
        tail++;
    if (*tail) {
        json_escape(f, tail);
        fputc('/', f);
    }
    json_escape(f, base);
    fprintf(f,
            "\",\n  \"pools\": [\n    {\"id\": \"web\", \"nodes\": [\"%s\"], \"servers\": %u, "
            "\"cost_per_hour\": %g}\n  ]\n}\n",
            FX_IMPORT_NODE, fx_import_servers(s), FX_IMPORT_COST_PER_HOUR);
    free(from);
    free(to);
    return finish_text(f, &text, out, e);
}

const char *fx_import_name_from_path(const char *path, char *buf, size_t len)
{
    const char *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : path;
    size_t n = base ? strlen(base) : 0;
    if (!path || strcmp(path, "-") == 0)
        n = 0;
    if (n > 3 && strcmp(base + n - 3, ".gz") == 0)
        n -= 3;
    if (n > 6 && strncmp(base + n - 6, ".trace", 6) == 0)
        n -= 6;
    if (n > 128)
        n = 128;
    if (n + 1 > len)
        n = len ? len - 1 : 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)base[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '-';
        buf[i] = ok ? (char)c : '_';
    }
    if (n == 0)
        snprintf(buf, len, "imported");
    else
        buf[n] = '\0';
    return buf;
}
