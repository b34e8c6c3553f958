/* import_clf.c - Apache/nginx access logs: the common log format (clf) and
 * the combined log format (combined).
 *
 *   clf:      HOST IDENT USER [DD/Mon/YYYY:HH:MM:SS +ZZZZ] "REQUEST" STATUS BYTES
 *   combined: the same, then "REFERER" "USER-AGENT"
 *
 * followed, in either, by any further fields (an Apache %D or %T, an nginx
 * $request_time). Fields are separated by one or more spaces; the user may
 * itself hold spaces (it runs up to " ["). Quoted fields may hold escaped
 * quotes (\") and backslashes (\\), as Apache and nginx write them.
 *
 * What a line gives:
 * - time: the timestamp, converted to UTC with its offset; one-second
 *   resolution, so the driver spreads each second's requests over it;
 * - key: the request target (the second word of "METHOD TARGET PROTOCOL";
 *   "METHOD TARGET" is accepted too), without its "?query" unless
 *   keep_query;
 * - bytes: the response size; "-" is 0;
 * - service time: with service_field N, the N-th field after the standard
 *   ones (after BYTES for clf, after the user agent for combined), a decimal
 *   number in service_unit (default us, Apache's %D; s for %T or nginx's
 *   $request_time); "-" there means no service time for the line.
 *
 * A clf line may go on after BYTES: the rest is ignored, so clf reads a
 * combined log too. The whole line is checked before its status is: a
 * malformed line is counted as malformed whatever its status.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "traces/import_format.h"

typedef struct clf_state {
    int combined;
    int keep_query;
    uint8_t status_ok[1000];
    uint64_t service_field; /* 0: none */
    fx_import_unit service_unit;
    char day_text[11]; /* "17/May/2015" of the last line ... */
    int64_t day_s;     /* ... and its first second since 1970, UTC */
} clf_state;

/* ---- options --------------------------------------------------------------- */

/* Parse "2xx,3xx" or "200,304,4xx" (or "all") into OK. */
static fx_status parse_status(const char *spec, uint8_t ok[1000], fx_err *e)
{
    memset(ok, 0, 1000);
    if (strcmp(spec, "all") == 0) {
        memset(ok, 1, 1000);
        return FX_OK;
    }
    const char *p = spec;
    for (;;) {
        const char *t = p;
        size_t n = strcspn(p, ",");
        int valid = n == 3 && t[0] >= '1' && t[0] <= '9';
        if (valid && t[1] == 'x' && t[2] == 'x') {
            memset(ok + (t[0] - '0') * 100, 1, 100);
        } else if (valid && t[1] >= '0' && t[1] <= '9' && t[2] >= '0' && t[2] <= '9') {
            ok[(t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0')] = 1;
        } else {
            return fx_err_set(e, FX_EINVAL,
                              "--status: expected a comma-separated list of status codes and "
                              "classes such as 200,304,4xx (or all), found \"%.*s\" in \"%.60s\"",
                              (int)(n > 40 ? 40 : n), t, spec);
        }
        if (p[n] == '\0')
            return FX_OK;
        p += n + 1;
    }
}

static fx_status init_common(clf_state *s, const fx_import_opts *o, fx_import_shape *shape,
                             const char *name, fx_err *e)
{
    fx_status st =
        fx_import_check_options(o,
                                FX_IMPORT_OPT_KEEP_QUERY | FX_IMPORT_OPT_STATUS |
                                    FX_IMPORT_OPT_SERVICE_FIELD | FX_IMPORT_OPT_SERVICE_UNIT,
                                name, e);
    if (st != FX_OK)
        return st;
    st = parse_status(o->status ? o->status : "2xx,3xx", s->status_ok, e);
    if (st != FX_OK)
        return st;
    if (o->service_field > 1000)
        return fx_err_set(e, FX_EINVAL,
                          "--service-field: expected a field number from 1 to 1000, "
                          "found %llu",
                          (unsigned long long)o->service_field);
    if (o->service_unit >= 0 && !o->service_field)
        return fx_err_set(e, FX_EINVAL,
                          "--service-unit: expected with --service-field N, found "
                          "it alone");
    s->keep_query = o->keep_query;
    s->service_field = o->service_field;
    s->service_unit = o->service_unit >= 0 ? (fx_import_unit)o->service_unit : FX_IMPORT_US;
    shape->whole_seconds = 1;
    shape->header = 0;
    return FX_OK;
}

static fx_status init_clf(void *state, const fx_import_opts *o, fx_import_shape *shape, fx_err *e)
{
    clf_state *s = state;
    s->combined = 0;
    return init_common(s, o, shape, "clf", e);
}

static fx_status init_combined(void *state, const fx_import_opts *o, fx_import_shape *shape,
                               fx_err *e)
{
    clf_state *s = state;
    s->combined = 1;
    return init_common(s, o, shape, "combined", e);
}

/* ---- parsing ---------------------------------------------------------------- */

static int bad(fx_import_bad *b, fx_import_reason reason, const char *expected, const char *found,
               size_t len)
{
    b->reason = reason;
    b->expected = expected;
    b->found = found;
    b->found_len = len;
    return 0;
}

/* The length of the word at P (up to a space or the end). */
static size_t word_len(const char *p)
{
    const char *q = p;
    while (*q && *q != ' ')
        q++;
    return (size_t)(q - p);
}

static const char *skip_spaces(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

/* A quoted field at P ('"' ... '"', with backslash escapes): its content in
 * *IN, *IN_LEN; returns the byte after the closing quote, or NULL when
 * there is none. */
static const char *quoted(const char *p, const char **in, size_t *in_len)
{
    const char *q = p + 1;
    for (;;) {
        const char *stop = q + strcspn(q, "\"\\");
        if (*stop == '\0')
            return NULL;
        if (*stop == '"') {
            *in = p + 1;
            *in_len = (size_t)(stop - (p + 1));
            return stop + 1;
        }
        if (stop[1] == '\0')
            return NULL;
        q = stop + 2; /* a backslash and what it escapes */
    }
}

static int two(const char *p, int *v)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return 0;
    *v = (p[0] - '0') * 10 + (p[1] - '0');
    return 1;
}

/* Days from 1970-01-01 to Y-M-D (proleptic Gregorian; Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_of(const char *p)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int m = 0; m < 12; m++)
        if (memcmp(p, names + 3 * m, 3) == 0)
            return m + 1;
    return 0;
}

static int days_in(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* "DD/Mon/YYYY:HH:MM:SS +ZZZZ" at P (26 bytes, then ']') into seconds since
 * 1970 UTC. Returns 1, or 0 when it is not such a time. */
static int parse_time(clf_state *s, const char *p, int64_t *out)
{
    int64_t day_s;
    if (memcmp(p, s->day_text, sizeof s->day_text) == 0 && s->day_text[0]) {
        day_s = s->day_s;
    } else {
        int d, y1, y2;
        int m = month_of(p + 3);
        if (!two(p, &d) || p[2] != '/' || !m || p[6] != '/' || !two(p + 7, &y1) ||
            !two(p + 9, &y2) || p[11] != ':')
            return 0;
        int64_t y = y1 * 100 + y2;
        if (d < 1 || d > days_in(y, m) || y < 1970)
            return 0;
        day_s = days_from_civil(y, m, d) * 86400;
        memcpy(s->day_text, p, sizeof s->day_text);
        s->day_s = day_s;
    }
    int hh, mm, ss, zh, zm;
    if (!two(p + 12, &hh) || p[14] != ':' || !two(p + 15, &mm) || p[17] != ':' ||
        !two(p + 18, &ss) || p[20] != ' ' || (p[21] != '+' && p[21] != '-') || !two(p + 22, &zh) ||
        !two(p + 24, &zm) || p[26] != ']')
        return 0;
    if (hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59)
        return 0;
    int64_t offset = (zh * 60 + zm) * 60;
    int64_t t = day_s + hh * 3600 + mm * 60 + ss - (p[21] == '+' ? offset : -offset);
    if (t < 0)
        return 0;
    *out = t;
    return 1;
}

static int is_method_byte(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

static int parse(void *state, char *line, size_t len, fx_import_item *it, fx_import_bad *b)
{
    clf_state *s = state;
    const char *p = line;

    /* HOST IDENT USER [ */
    size_t n = word_len(p);
    if (n == 0)
        return bad(b, FX_SKIP_FIELDS, "a client address first", p, word_len(p));
    p = skip_spaces(p + n);
    n = word_len(p);
    if (n == 0)
        return bad(b, FX_SKIP_FIELDS, "an identity after the client (\"-\" when none)",
                   *p ? p : NULL, 0);
    p = skip_spaces(p + n);
    const char *user = p;
    const char *open = strstr(p, " [");
    if (!open || open == user)
        return bad(b, FX_SKIP_FIELDS, "a user and then a [time] after the identity", *p ? p : NULL,
                   strlen(p) > 40 ? 40 : strlen(p));
    p = skip_spaces(open) + 1;

    /* [DD/Mon/YYYY:HH:MM:SS +ZZZZ] */
    int64_t t;
    if ((size_t)(line + len - p) < 27 || !parse_time(s, p, &t))
        return bad(b, FX_SKIP_TIME, "a time like [17/May/2015:10:05:03 +0000]", p - 1,
                   strcspn(p - 1, "]") + (p[strcspn(p, "]")] == ']'));
    p = skip_spaces(p + 27);

    /* "REQUEST" */
    if (*p != '"')
        return bad(b, FX_SKIP_FIELDS, "a quoted request line after the time", *p ? p : NULL,
                   word_len(p));
    const char *req;
    size_t req_len;
    const char *after = quoted(p, &req, &req_len);
    if (!after)
        return bad(b, FX_SKIP_QUOTE, "a request line with its closing quote", p, strlen(p));
    /* METHOD TARGET [PROTOCOL] */
    size_t ml = 0;
    while (ml < req_len && is_method_byte((unsigned char)req[ml]))
        ml++;
    const char *target = req + ml + 1;
    const char *req_end = req + req_len;
    const char *tend = target;
    while (tend < req_end && *tend != ' ')
        tend++;
    int ok = ml > 0 && ml < req_len && req[ml] == ' ' && tend > target;
    if (ok && tend < req_end) {
        /* A protocol: one more word, "HTTP/..." */
        const char *proto = tend + 1;
        ok = req_end - proto >= 5 && memcmp(proto, "HTTP/", 5) == 0 &&
             memchr(proto, ' ', (size_t)(req_end - proto)) == NULL;
    }
    if (!ok)
        return bad(b, FX_SKIP_REQUEST, "a request line \"METHOD TARGET [HTTP/x]\"", req, req_len);
    size_t key_len = (size_t)(tend - target);
    if (!s->keep_query) {
        const char *q = memchr(target, '?', key_len);
        if (q)
            key_len = (size_t)(q - target);
    }
    p = after;
    if (*p != ' ')
        return bad(b, FX_SKIP_FIELDS, "a status after the request line", *p ? p : NULL,
                   word_len(p));
    p = skip_spaces(p);

    /* STATUS BYTES */
    n = word_len(p);
    if (n == 0)
        return bad(b, FX_SKIP_FIELDS, "a status after the request line", NULL, 0);
    if (n != 3 || p[0] < '1' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
        return bad(b, FX_SKIP_STATUSFMT, "a status code of three digits", p, n);
    int status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    p = skip_spaces(p + n);
    n = word_len(p);
    if (n == 0)
        return bad(b, FX_SKIP_FIELDS, "a response size after the status", NULL, 0);
    uint64_t bytes = 0;
    if (!(n == 1 && *p == '-') && fx_import_u64(p, n, &bytes) != 0)
        return bad(b, FX_SKIP_BYTES, "a response size in bytes (digits, or - for none)", p, n);
    p += n;

    /* "REFERER" "USER-AGENT" */
    if (s->combined) {
        for (int k = 0; k < 2; k++) {
            const char *what = k ? "a quoted user agent after the referer"
                                 : "a quoted referer after the response size";
            p = skip_spaces(p);
            if (*p != '"')
                return bad(b, FX_SKIP_FIELDS, what, *p ? p : NULL, word_len(p));
            const char *in;
            size_t in_len;
            const char *end = quoted(p, &in, &in_len);
            if (!end)
                return bad(b, FX_SKIP_QUOTE,
                           k ? "a user agent with its closing quote"
                             : "a referer with its closing quote",
                           p, strlen(p));
            if (*end && *end != ' ')
                return bad(b, FX_SKIP_FIELDS, "a space after a quoted field", end, word_len(end));
            p = end;
        }
    }

    /* The service time, in the N-th field after the standard ones. */
    int has_service = 0;
    int64_t service = 0;
    if (s->service_field) {
        const char *f = NULL;
        size_t flen = 0;
        for (uint64_t k = 0; k < s->service_field; k++) {
            p = skip_spaces(p);
            if (*p == '\0')
                return bad(b, FX_SKIP_FIELDS,
                           "as many fields after the standard ones as --service-field says", NULL,
                           0);
            f = p;
            if (*p == '"') {
                const char *in;
                const char *end = quoted(p, &in, &flen);
                if (!end)
                    return bad(b, FX_SKIP_QUOTE, "a field with its closing quote", p, strlen(p));
                f = in;
                p = end;
            } else {
                flen = word_len(p);
                p += flen;
            }
        }
        if (!(flen == 1 && *f == '-')) {
            int r = fx_import_decimal_ns(f, flen, s->service_unit, &service);
            if (r != 0)
                return bad(b, FX_SKIP_SERVICE,
                           r == -2 ? "a service time of at most 2^62 ns"
                                   : "a service time (a non-negative decimal number)",
                           f, flen);
            has_service = 1;
        }
    }

    if (!s->status_ok[status])
        return bad(b, FX_SKIP_STATUS, "a selected status", line, 0);
    it->t_ns = t * 1000000000LL;
    it->key = target;
    it->key_len = key_len;
    it->has_bytes = 1;
    it->bytes = bytes;
    it->has_service = has_service;
    it->service = service;
    return 1;
}

const fx_import_format fx_import_clf = {
    .name = "clf",
    .summary = "Apache/nginx common log format: HOST IDENT USER [TIME] \"REQUEST\" STATUS BYTES",
    .unit = "line",
    .record_size = 0,
    .state_size = sizeof(clf_state),
    .init = init_clf,
    .header = NULL,
    .parse = parse,
    .fini = NULL,
};

const fx_import_format fx_import_combined = {
    .name = "combined",
    .summary = "Apache/nginx combined log format: clf then \"REFERER\" \"USER-AGENT\"",
    .unit = "line",
    .record_size = 0,
    .state_size = sizeof(clf_state),
    .init = init_combined,
    .header = NULL,
    .parse = parse,
    .fini = NULL,
};
