/* check_import.c - the importers: each parser on small inline inputs (fields,
 * quotes, "-", every kind of bad line and its reason), the spreading rule,
 * sorting within the window, status filters, CSV columns by number and by
 * name, units, oracle-general records written here byte by byte, gzip
 * input, the emitted service and architecture, and the number helpers. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "models/arch.h"
#include "models/service.h"
#include "sim/dist.h"
#include "tests/check.h"
#include "traces/import.h"
#include "traces/import_format.h"
#include "traces/trace.h"

TCase *fx_tcase_import(void);

/* ---- a temporary folder per test ---------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fximport.XXXXXX", base && strlen(base) < 40 ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    char path[512];
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (unlink(path) != 0)
            rmdir(path);
    }
    closedir(d);
    rmdir(dir);
}

static const char *in_dir(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ & 3];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_text(const char *path, const char *text)
{
    write_file(path, text, strlen(text));
}

/* ---- parsing one line with a format directly ------------------------------------ */

typedef struct parser {
    const fx_import_format *fmt;
    void *state;
    fx_import_shape shape;
    char line[4096];
} parser;

static void parser_open(parser *p, const fx_import_opts *o)
{
    fx_err e;
    p->fmt = fx_import_format_find(o->format);
    ck_assert_ptr_nonnull(p->fmt);
    p->state = calloc(1, p->fmt->state_size);
    ck_assert_ptr_nonnull(p->state);
    memset(&p->shape, 0, sizeof p->shape);
    ck_assert_msg(p->fmt->init(p->state, o, &p->shape, &e) == FX_OK, "%s", e.msg);
}

static void parser_close(parser *p)
{
    if (p->fmt->fini)
        p->fmt->fini(p->state);
    free(p->state);
}

/* Parse TEXT: 1 with IT, or 0 with BAD. */
static int parse_line(parser *p, const char *text, fx_import_item *it, fx_import_bad *bad)
{
    snprintf(p->line, sizeof p->line, "%s", text);
    memset(it, 0, sizeof *it);
    memset(bad, 0, sizeof *bad);
    return p->fmt->parse(p->state, p->line, strlen(p->line), it, bad);
}

static int key_is(const fx_import_item *it, const char *want)
{
    return it->key_len == strlen(want) && memcmp(it->key, want, it->key_len) == 0;
}

#define LINE_OK(text)                                                                              \
    "83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET /a/b.png?x=1 HTTP/1.1\" 200 203023 "      \
    "\"http://semicomplete.com/\" \"Mozilla/5.0 (X11)\"" text

START_TEST(combined_fields)
{
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "combined";
    parser p;
    parser_open(&p, &o);
    ck_assert_int_eq(p.shape.whole_seconds, 1);
    fx_import_item it;
    fx_import_bad bad;

    ck_assert_int_eq(parse_line(&p, LINE_OK(""), &it, &bad), 1);
    ck_assert_int_eq(it.t_ns, 1431857103LL * 1000000000LL);
    ck_assert_msg(key_is(&it, "/a/b.png"), "key %.*s", (int)it.key_len, it.key);
    ck_assert_int_eq(it.has_bytes, 1);
    ck_assert_uint_eq(it.bytes, 203023);
    ck_assert_int_eq(it.has_service, 0);

    /* A time zone: 10:05:03 +0200 is 08:05:03 UTC. */
    ck_assert_int_eq(parse_line(&p,
                                "h - - [17/May/2015:10:05:03 +0200] \"GET / HTTP/1.0\" 304 - "
                                "\"-\" \"-\"",
                                &it, &bad),
                     1);
    ck_assert_int_eq(it.t_ns, 1431849903LL * 1000000000LL);
    ck_assert_msg(key_is(&it, "/"), "key");
    ck_assert_uint_eq(it.bytes, 0); /* "-" is 0 */
    ck_assert_int_eq(it.has_bytes, 1);

    /* A leap day, a user with a space, escaped quotes in the request and in
     * the user agent, HTTP/0.9 "METHOD TARGET". */
    ck_assert_int_eq(parse_line(&p,
                                "10.0.0.1 - frank smith [29/Feb/2000:23:59:59 +0000] "
                                "\"GET /q\\\"x\" 200 12 \"-\" \"say \\\"hi\\\" \\\\ now\"",
                                &it, &bad),
                     1);
    ck_assert_int_eq(it.t_ns, 951868799LL * 1000000000LL);
    ck_assert_msg(key_is(&it, "/q\\\"x"), "key %.*s", (int)it.key_len, it.key);
    ck_assert_uint_eq(it.bytes, 12);

    /* Extra fields after the user agent are fine without --service-field. */
    ck_assert_int_eq(parse_line(&p, LINE_OK(" 1234 extra"), &it, &bad), 1);
    parser_close(&p);

    /* --keep-query keeps "?x=1". */
    o.keep_query = 1;
    parser_open(&p, &o);
    ck_assert_int_eq(parse_line(&p, LINE_OK(""), &it, &bad), 1);
    ck_assert_msg(key_is(&it, "/a/b.png?x=1"), "key %.*s", (int)it.key_len, it.key);
    parser_close(&p);
}
END_TEST

/* Each kind of bad line, and the reason it is counted under. */
START_TEST(combined_bad_lines)
{
    static const struct {
        const char *line;
        fx_import_reason reason;
        const char *expected; /* a piece of the message */
    } cases[] = {
        {"justonefield", FX_SKIP_FIELDS, "an identity"},
        {"h - - 17/May/2015:10:05:03 +0000 \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", FX_SKIP_FIELDS,
         "a user and then a [time]"},
        {"h - - [32/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", FX_SKIP_TIME,
         "a time like"},
        {"h - - [17/Mai/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", FX_SKIP_TIME,
         "a time like"},
        {"h - - [17/May/2015:24:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", FX_SKIP_TIME,
         "a time like"},
        {"h - - [17/May/2015:10:05:03] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", FX_SKIP_TIME,
         "a time like"},
        {"h - - [01/Jan/1970:00:00:00 +0100] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"", FX_SKIP_TIME,
         "a time like"},
        {"h - - [17/May/2015:10:05:03 +0000] GET / HTTP/1.1 200 1", FX_SKIP_FIELDS,
         "a quoted request line"},
        {"h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1 200 1", FX_SKIP_QUOTE,
         "closing quote"},
        {"h - - [17/May/2015:10:05:03 +0000] \"-\" 408 0 \"-\" \"-\"", FX_SKIP_REQUEST,
         "a request line"},
        {"h - - [17/May/2015:10:05:03 +0000] \"GET /a b HTTP/1.1\" 200 1 \"-\" \"-\"",
         FX_SKIP_REQUEST, "a request line"},
        {"h - - [17/May/2015:10:05:03 +0000] \"\\x16\\x03\\x01\" 400 0 \"-\" \"-\"",
         FX_SKIP_REQUEST, "a request line"},
        {"h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 20x 1 \"-\" \"-\"",
         FX_SKIP_STATUSFMT, "a status code"},
        {"h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200", FX_SKIP_FIELDS,
         "a response size"},
        {"h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 12a \"-\" \"-\"", FX_SKIP_BYTES,
         "a response size"},
        {"h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 -1 \"-\" \"-\"", FX_SKIP_BYTES,
         "a response size"},
        {"h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1", FX_SKIP_FIELDS,
         "a quoted referer"},
        {"h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\"", FX_SKIP_FIELDS,
         "a quoted user agent"},
        /* The real sample's line 8899: a user agent cut short. */
        {"h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 235 \"-\" \"Mozilla/5.0 "
         "(compatible; Googlebot/2.1; +http://www.google.com/bot.html",
         FX_SKIP_QUOTE, "a user agent with its closing quote"},
        {"h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\\\" \"-\"",
         FX_SKIP_FIELDS, "a space after a quoted field"},
    };
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "combined";
    parser p;
    parser_open(&p, &o);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx_import_item it;
        fx_import_bad bad;
        ck_assert_msg(parse_line(&p, cases[i].line, &it, &bad) == 0, "case %zu parsed", i);
        ck_assert_msg(bad.reason == cases[i].reason, "case %zu: reason %s, expected %s", i,
                      fx_import_reason_name(bad.reason), fx_import_reason_name(cases[i].reason));
        ck_assert_msg(bad.expected && strstr(bad.expected, cases[i].expected), "case %zu: %s", i,
                      bad.expected ? bad.expected : "(none)");
    }
    parser_close(&p);

    /* clf ignores what follows the size, so it reads the real line 8899. */
    o.format = "clf";
    parser_open(&p, &o);
    fx_import_item it;
    fx_import_bad bad;
    ck_assert_int_eq(parse_line(&p, cases[18].line, &it, &bad), 1);
    ck_assert_uint_eq(it.bytes, 235);
    parser_close(&p);
}
END_TEST

START_TEST(service_field)
{
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "combined";
    o.service_field = 2;
    parser p;
    parser_open(&p, &o);
    fx_import_item it;
    fx_import_bad bad;
    /* %D in microseconds, as the second field after the user agent. */
    ck_assert_int_eq(parse_line(&p, LINE_OK(" \"x y\" 1234.5"), &it, &bad), 1);
    ck_assert_int_eq(it.has_service, 1);
    ck_assert_int_eq(it.service, 1234500);
    ck_assert_int_eq(parse_line(&p, LINE_OK(" a -"), &it, &bad), 1);
    ck_assert_int_eq(it.has_service, 0); /* "-": none for this line */
    ck_assert_int_eq(parse_line(&p, LINE_OK(" a"), &it, &bad), 0);
    ck_assert_int_eq(bad.reason, FX_SKIP_FIELDS);
    ck_assert_int_eq(parse_line(&p, LINE_OK(" a 12ms"), &it, &bad), 0);
    ck_assert_int_eq(bad.reason, FX_SKIP_SERVICE);
    ck_assert_int_eq(parse_line(&p, LINE_OK(" a 1e3"), &it, &bad), 0);
    ck_assert_int_eq(bad.reason, FX_SKIP_SERVICE);
    parser_close(&p);

    /* %T or nginx $request_time in seconds, right after the size in clf. */
    o.format = "clf";
    o.service_field = 1;
    o.service_unit = FX_IMPORT_S;
    parser_open(&p, &o);
    ck_assert_int_eq(parse_line(&p,
                                "h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 "
                                "0.025",
                                &it, &bad),
                     1);
    ck_assert_int_eq(it.service, 25000000);
    parser_close(&p);
}
END_TEST

START_TEST(status_filter)
{
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "clf";
    parser p;
    parser_open(&p, &o);
    fx_import_item it;
    fx_import_bad bad;
    char line[256];
    static const int statuses[] = {200, 206, 301, 304, 404, 500, 101};
    static const int default_ok[] = {1, 1, 1, 1, 0, 0, 0};
    static const int list_ok[] = {1, 0, 0, 1, 1, 0, 0}; /* 200,304,4xx */
    for (size_t i = 0; i < 7; i++) {
        snprintf(line, sizeof line, "h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" %d 1",
                 statuses[i]);
        ck_assert_int_eq(parse_line(&p, line, &it, &bad), default_ok[i]);
        if (!default_ok[i])
            ck_assert_int_eq(bad.reason, FX_SKIP_STATUS);
    }
    parser_close(&p);
    o.status = "200,304,4xx";
    parser_open(&p, &o);
    for (size_t i = 0; i < 7; i++) {
        snprintf(line, sizeof line, "h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" %d 1",
                 statuses[i]);
        ck_assert_int_eq(parse_line(&p, line, &it, &bad), list_ok[i]);
    }
    parser_close(&p);
    o.status = "all";
    parser_open(&p, &o);
    ck_assert_int_eq(
        parse_line(&p, "h - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 599 1", &it, &bad),
        1);
    parser_close(&p);

    /* Bad lists are option errors. */
    static const char *const bad_lists[] = {"2x", "", "2xx,", "600x", "0xx", "2xx;3xx", "20"};
    for (size_t i = 0; i < sizeof bad_lists / sizeof bad_lists[0]; i++) {
        fx_import *imp = NULL;
        fx_err e;
        o.status = bad_lists[i];
        o.input = "-";
        ck_assert_int_eq(fx_import_alloc(&o, &imp, &e), FX_EINVAL);
        ck_assert_msg(strstr(e.msg, "--status: expected") != NULL, "%s", e.msg);
        ck_assert_ptr_null(imp);
    }
}
END_TEST

/* ---- whole imports -------------------------------------------------------------- */

typedef struct got {
    size_t n;
    int64_t t_us[64];
    char key[64][64];
    int64_t svc_ns[64]; /* -1: no service time recorded (no field, or "-") */
} got;

/* Import INPUT with O into a trace and read it back into G. Returns the
 * status of the import (the error in E). */
static fx_status import_to(fx_import_opts *o, const char *input, got *g, fx_import_summary *sum,
                           fx_err *e)
{
    const char *out = in_dir("out.trace");
    const char *nodes[1] = {FX_IMPORT_NODE};
    fx_import *imp = NULL;
    o->input = input;
    fx_status st = fx_import_alloc(o, &imp, e);
    if (st != FX_OK)
        return st;
    fx_trace_writer *w = NULL;
    ck_assert_int_eq(fx_trace_writer_open(out, "imported", nodes, 1, &w, e), FX_OK);
    st = fx_import_run(imp, w, e);
    if (sum)
        *sum = *fx_import_summary_get(imp);
    fx_import_free(imp);
    fx_err ce;
    ck_assert_int_eq(fx_trace_writer_close(w, st != FX_OK, &ce), FX_OK);
    if (st != FX_OK) {
        ck_assert_int_eq(access(out, F_OK), -1); /* nothing left */
        return st;
    }
    fx_trace_reader *r = NULL;
    ck_assert_msg(fx_trace_open(out, nodes, 1, &r, &ce) == FX_OK, "%s", ce.msg);
    fx_trace_rec rec;
    memset(g, 0, sizeof *g);
    int k;
    while ((k = fx_trace_next(r, &rec, &ce)) == 1) {
        ck_assert_uint_lt(g->n, 64);
        g->t_us[g->n] = rec.t / 1000;
        snprintf(g->key[g->n], sizeof g->key[0], "%s", rec.key);
        g->svc_ns[g->n] = rec.nfields && !rec.fields[0].no_service ? rec.fields[0].service : -1;
        g->n++;
    }
    ck_assert_msg(k == 0, "%s", ce.msg);
    fx_trace_close(r);
    unlink(out);
    return FX_OK;
}

#define CLF(time, path) "h - - [" time " +0000] \"GET " path " HTTP/1.1\" 200 10\n"

START_TEST(spread_within_a_second)
{
    /* Three requests in one second and one in the next: the i-th of n in
     * second s arrives at s + (i + 0.5) / n. */
    write_text(in_dir("a.log"),
               CLF("17/May/2015:10:05:03", "/a") CLF("17/May/2015:10:05:03", "/b")
                   CLF("17/May/2015:10:05:03", "/c") CLF("17/May/2015:10:05:04", "/d"));
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "clf";
    got g;
    fx_import_summary s;
    fx_err e;
    ck_assert_msg(import_to(&o, in_dir("a.log"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 4);
    ck_assert_int_eq(g.t_us[0], 166666);
    ck_assert_int_eq(g.t_us[1], 500000);
    ck_assert_int_eq(g.t_us[2], 833333);
    ck_assert_int_eq(g.t_us[3], 1500000);
    ck_assert_str_eq(g.key[0], "/a");
    ck_assert_str_eq(g.key[3], "/d");
    ck_assert_int_eq(g.svc_ns[0], -1); /* no service time: "-", the profile decides */
    ck_assert_int_eq(s.origin_s, 1431857103);
    ck_assert_uint_eq(s.read, 4);
    ck_assert_uint_eq(s.imported, 4);
    ck_assert_uint_eq(s.distinct_keys, 4);
    ck_assert_uint_eq(s.no_service, 4);
    ck_assert_uint_eq(s.bytes.n, 4);
    ck_assert_int_eq(s.first, 166666000);
    ck_assert_int_eq(s.last, 1500000000);
}
END_TEST

START_TEST(sort_within_the_window)
{
    /* Nearly sorted: seconds 5, 3, 4, 3, 9, 2 (relative). With the default
     * window everything is put in order, equal seconds in input order. */
    write_text(in_dir("b.log"),
               CLF("17/May/2015:10:05:05", "/5") CLF("17/May/2015:10:05:03", "/3a")
                   CLF("17/May/2015:10:05:04", "/4") CLF("17/May/2015:10:05:03", "/3b")
                       CLF("17/May/2015:10:05:09", "/9") CLF("17/May/2015:10:05:02", "/2"));
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "clf";
    got g;
    fx_import_summary s;
    fx_err e;
    ck_assert_msg(import_to(&o, in_dir("b.log"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 6);
    static const char *const order[] = {"/2", "/3a", "/3b", "/4", "/5", "/9"};
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(g.key[i], order[i]);
    ck_assert_int_eq(g.t_us[0], 500000);
    ck_assert_int_eq(g.t_us[1], 1250000);
    ck_assert_int_eq(g.t_us[2], 1750000);
    ck_assert_int_eq(g.t_us[5], 7500000);
    ck_assert_uint_eq(s.reordered, 4); /* /3a, /4, /3b and /2 came after a later one */

    /* A window of 3 s: "/2" is 7 s behind "/9", beyond it; /3a (2 s behind
     * /5) is within. */
    o.window_given = 1;
    o.window_s = 3;
    ck_assert_msg(import_to(&o, in_dir("b.log"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 5);
    ck_assert_str_eq(g.key[0], "/3a");
    ck_assert_uint_eq(s.skips[FX_SKIP_ORDER].count, 1);
    ck_assert_uint_eq(s.skips[FX_SKIP_ORDER].lines[0], 6);
    ck_assert_uint_eq(s.skipped, 1);

    /* Window 0: sorted input only; equal seconds are fine. */
    o.window_s = 0;
    ck_assert_msg(import_to(&o, in_dir("b.log"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 2); /* /5 and /9 */
    ck_assert_uint_eq(s.skips[FX_SKIP_ORDER].count, 4);

    /* Strict: the first line beyond the window is an error naming it. */
    o.strict = 1;
    o.window_s = 3;
    ck_assert_int_eq(import_to(&o, in_dir("b.log"), &g, &s, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "b.log:6: expected a time at most 3 s before the latest one") !=
                      NULL,
                  "%s", e.msg);

    /* Too wide a window is an option error. */
    o.window_s = FX_IMPORT_WINDOW_S_MAX + 1;
    fx_import *imp = NULL;
    ck_assert_int_eq(fx_import_alloc(&o, &imp, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "--window") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(skips_and_strict)
{
    char big[2100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char text[4096];
    snprintf(
        text, sizeof text,
        CLF("17/May/2015:10:05:03",
            "/ok") "\n"                                                                   /* 2 */
                   "h - - [17/May/2015:10:05:03 +0000] \"GET /x HTTP/1.1\" 404 1\n"       /* 3 */
                   "h - - [17/May/2015:10:05:03 +0000] \"GET /x HTTP/1.1\" 200 zz\n"      /* 4 */
                   "h - - [17/May/2015:10:05:03 +0000] \"GET /%s HTTP/1.1\" 200 1\r\n"    /* 5 */
                   "h - - [17/May/2015:10:05:04 +0000] \"GET /crlf HTTP/1.1\" 200 1\r\n", /* 6 */
        big);
    write_text(in_dir("c.log"), text);
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "clf";
    got g;
    fx_import_summary s;
    fx_err e;
    ck_assert_msg(import_to(&o, in_dir("c.log"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(s.read, 6);
    ck_assert_uint_eq(s.imported, 2);
    ck_assert_uint_eq(s.skipped, 4);
    ck_assert_uint_eq(s.skips[FX_SKIP_EMPTY].count, 1);
    ck_assert_uint_eq(s.skips[FX_SKIP_EMPTY].lines[0], 2);
    ck_assert_uint_eq(s.skips[FX_SKIP_STATUS].lines[0], 3);
    ck_assert_uint_eq(s.skips[FX_SKIP_BYTES].lines[0], 4);
    ck_assert_uint_eq(s.skips[FX_SKIP_KEY].lines[0], 5); /* a key over 1024 bytes */
    ck_assert_str_eq(g.key[1], "/crlf");                 /* CR LF line ends are fine */

    /* Strict: the status is a choice, not an error; the bad size is. */
    o.strict = 1;
    ck_assert_int_eq(import_to(&o, in_dir("c.log"), &g, &s, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "c.log:2: expected a clf line, found an empty line") != NULL, "%s",
                  e.msg);
    write_text(in_dir("d.log"),
               CLF("17/May/2015:10:05:03",
                   "/ok") "h - - [17/May/2015:10:05:03 +0000] \"GET /x HTTP/1.1\" 404 1\n"
                          "h - - [17/May/2015:10:05:03 +0000] \"GET /x HTTP/1.1\" 200 12abc\n");
    ck_assert_int_eq(import_to(&o, in_dir("d.log"), &g, &s, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "d.log:3: expected a response size in bytes (digits, or - for "
                                "none), found \"12abc\"") != NULL,
                  "%s", e.msg);

    /* A line over 1 MiB is skipped whole; the next line is read. */
    size_t n = FX_IMPORT_LINE_MAX + 10;
    char *huge = malloc(n + 200);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 'y', n);
    huge[n] = '\n';
    strcpy(huge + n + 1, CLF("17/May/2015:10:05:03", "/after"));
    write_text(in_dir("e.log"), huge);
    free(huge);
    o.strict = 0;
    ck_assert_msg(import_to(&o, in_dir("e.log"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(s.skips[FX_SKIP_TEXT].count, 1);
    ck_assert_uint_eq(g.n, 1);
    ck_assert_str_eq(g.key[0], "/after");

    /* A missing file is an I/O error. */
    ck_assert_int_eq(import_to(&o, in_dir("nothing.log"), &g, &s, &e), FX_EIO);
    ck_assert_msg(strstr(e.msg, "nothing.log: cannot open") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(gzip_input)
{
    const char *text = CLF("17/May/2015:10:05:04", "/b") CLF("17/May/2015:10:05:03", "/a");
    gzFile gz = gzopen(in_dir("a.log.gz"), "wb");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
    ck_assert_int_eq(gzclose(gz), Z_OK);
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "clf";
    got g;
    fx_import_summary s;
    fx_err e;
    ck_assert_msg(import_to(&o, in_dir("a.log.gz"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 2);
    ck_assert_str_eq(g.key[0], "/a");
    ck_assert_int_eq(g.t_us[1], 1500000);

    /* Cut short: an error, whatever came before. */
    FILE *f = fopen(in_dir("a.log.gz"), "rb");
    char buf[256];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_file(in_dir("cut.log.gz"), buf, len - 6);
    ck_assert_int_eq(import_to(&o, in_dir("cut.log.gz"), &g, &s, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "gzip") != NULL, "%s", e.msg);
}
END_TEST

/* ---- csv ------------------------------------------------------------------------- */

START_TEST(csv_by_number_and_name)
{
    write_text(in_dir("a.csv"), "2.5,/b,100,250\n"
                                "1.25,/a,50,1000.5\n"
                                "\"3\",\"/c,\"\"x\"\"\",7,0\n");
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "csv";
    o.col_time = "1";
    o.col_key = "2";
    o.col_bytes = "3";
    o.col_service = "4";
    got g;
    fx_import_summary s;
    fx_err e;
    ck_assert_msg(import_to(&o, in_dir("a.csv"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 3);
    /* Origin: second 1; times kept to the microsecond, sorted. */
    ck_assert_int_eq(g.t_us[0], 250000);
    ck_assert_str_eq(g.key[0], "/a");
    ck_assert_int_eq(g.svc_ns[0], 1000500);
    ck_assert_int_eq(g.t_us[1], 1500000);
    ck_assert_int_eq(g.t_us[2], 2000000);
    ck_assert_str_eq(g.key[2], "/c,\"x\""); /* quoted, with a separator and "" */
    ck_assert_int_eq(g.svc_ns[2], 0);
    ck_assert_uint_eq(s.service_us.n, 3);
    ck_assert_uint_eq(s.bytes.n, 3);
    ck_assert_int_eq(s.origin_s, 1);

    /* The same by header names, in another order, with ';' and units. */
    write_text(in_dir("b.csv"), "bytes;ts_ms;path;lat\n"
                                "100;2500;/b;0.25\n"
                                "50;1250;/a;1.0005\n");
    fx_import_opts_init(&o);
    o.format = "csv";
    o.col_time = "ts_ms";
    o.col_key = "path";
    o.col_bytes = "bytes";
    o.col_service = "lat";
    o.sep = ";";
    o.skip_header = 1;
    o.time_unit = FX_IMPORT_MS;
    o.service_unit = FX_IMPORT_MS;
    ck_assert_msg(import_to(&o, in_dir("b.csv"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 2);
    ck_assert_uint_eq(s.header, 1);
    ck_assert_uint_eq(s.read, 3);
    ck_assert_int_eq(g.t_us[0], 250000);
    ck_assert_str_eq(g.key[0], "/a");
    ck_assert_int_eq(g.svc_ns[0], 1000500);
    ck_assert_int_eq(g.svc_ns[1], 250000);

    /* A name the header does not have: an error on line 1. */
    o.col_bytes = "size";
    ck_assert_int_eq(import_to(&o, in_dir("b.csv"), &g, &s, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "b.csv:1: expected a column named \"size\" (--bytes) in the "
                                "header, found only bytes, ts_ms, path, lat") != NULL,
                  "%s", e.msg);

    /* Names need --skip-header; --time and --key are required. */
    fx_import_opts_init(&o);
    o.format = "csv";
    o.input = "-";
    o.col_time = "ts";
    o.col_key = "2";
    fx_import *imp = NULL;
    ck_assert_int_eq(fx_import_alloc(&o, &imp, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "--time: expected a column number from 1, or a column name with "
                                "--skip-header") != NULL,
                  "%s", e.msg);
    o.col_time = "0";
    ck_assert_int_eq(fx_import_alloc(&o, &imp, &e), FX_EINVAL);
    o.col_time = NULL;
    ck_assert_int_eq(fx_import_alloc(&o, &imp, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "--time: expected the time column") != NULL, "%s", e.msg);
    o.col_time = "1";
    o.sep = "ab";
    ck_assert_int_eq(fx_import_alloc(&o, &imp, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "--sep") != NULL, "%s", e.msg);
    o.sep = NULL;
    o.status = "2xx";
    ck_assert_int_eq(fx_import_alloc(&o, &imp, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "--status: expected with another format, not with --format csv") !=
                      NULL,
                  "%s", e.msg);
    ck_assert_ptr_null(imp);
}
END_TEST

START_TEST(csv_blanks_units_and_bad_lines)
{
    /* sep ' ': runs of blanks, as the AdaptSize trace "time id size". */
    write_text(in_dir("a.txt"), "1 0 68\n"
                                "  2   1\t7454\n"
                                "3 2\n"           /* too few columns */
                                "x 3 5\n"         /* bad time */
                                "4 4 5.5\n"       /* bad size */
                                "5 \"a b\" 9\n"   /* a key with a blank */
                                "6 \"5 9\n"       /* an open quote */
                                "-7 6 1\n"        /* a negative time */
                                "8 7 1 extra\n"); /* extra columns: fine */
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "csv";
    o.col_time = "1";
    o.col_key = "2";
    o.col_bytes = "3";
    o.sep = " ";
    got g;
    fx_import_summary s;
    fx_err e;
    ck_assert_msg(import_to(&o, in_dir("a.txt"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(s.read, 9);
    ck_assert_uint_eq(s.imported, 3);
    ck_assert_uint_eq(g.n, 3);
    ck_assert_str_eq(g.key[1], "1");
    ck_assert_int_eq(g.t_us[2], 7000000);
    ck_assert_uint_eq(s.skips[FX_SKIP_FIELDS].lines[0], 3);
    ck_assert_uint_eq(s.skips[FX_SKIP_TIME].count, 2);
    ck_assert_uint_eq(s.skips[FX_SKIP_TIME].lines[0], 4);
    ck_assert_uint_eq(s.skips[FX_SKIP_TIME].lines[1], 8);
    ck_assert_uint_eq(s.skips[FX_SKIP_BYTES].lines[0], 5);
    ck_assert_uint_eq(s.skips[FX_SKIP_KEY].lines[0], 6);
    ck_assert_uint_eq(s.skips[FX_SKIP_QUOTE].lines[0], 7);
    ck_assert_double_eq_tol(fx_moments_mean(&s.bytes), (68.0 + 7454.0 + 1.0) / 3.0, 1e-9);

    /* Time units: the same instants in ns, with a TAB separator. */
    write_text(in_dir("b.tsv"), "1000000000\tk\n1000000001\tk\n2500000000\tj\n");
    fx_import_opts_init(&o);
    o.format = "csv";
    o.col_time = "1";
    o.col_key = "2";
    o.sep = "tab";
    o.time_unit = FX_IMPORT_NS;
    ck_assert_msg(import_to(&o, in_dir("b.tsv"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 3);
    ck_assert_int_eq(g.t_us[0], 0);
    ck_assert_int_eq(g.t_us[1], 0); /* 1 ns, written in whole microseconds */
    ck_assert_int_eq(g.t_us[2], 1500000);
    ck_assert_uint_eq(s.distinct_keys, 2);

    /* --spread: whole seconds, spread like an access log. */
    o.spread = 1;
    ck_assert_msg(import_to(&o, in_dir("b.tsv"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_int_eq(g.t_us[0], 250000);
    ck_assert_int_eq(g.t_us[1], 750000);
    ck_assert_int_eq(g.t_us[2], 1500000);

    /* Strict names the line, what was expected and what was found. */
    fx_import_opts_init(&o);
    o.format = "csv";
    o.col_time = "1";
    o.col_key = "2";
    o.col_bytes = "3";
    o.sep = " ";
    o.strict = 1;
    ck_assert_int_eq(import_to(&o, in_dir("a.txt"), &g, &s, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "a.txt:3: expected as many columns as the mapping uses, found the "
                                "end of the line") != NULL,
                  "%s", e.msg);
}
END_TEST

/* ---- oracle-general ---------------------------------------------------------------- */

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void oracle_record(unsigned char *p, uint32_t t, uint64_t id, uint32_t size, int64_t next)
{
    put_le(p, t, 4);
    put_le(p + 4, id, 8);
    put_le(p + 12, size, 4);
    put_le(p + 16, (uint64_t)next, 8);
}

START_TEST(oracle_records)
{
    unsigned char recs[5 * 24 + 10];
    oracle_record(recs, 100, 42, 1000, 2);
    oracle_record(recs + 24, 100, 0xfedcba9876543210ULL, 3000, -1);
    oracle_record(recs + 48, 100, 42, 1000, -1);
    oracle_record(recs + 72, 99, 7, 0, -1); /* one second early: sorted */
    oracle_record(recs + 96, 102, 8, 5, -1);
    write_file(in_dir("t.bin"), recs, 5 * 24);
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "oracle-general";
    got g;
    fx_import_summary s;
    fx_err e;
    ck_assert_msg(import_to(&o, in_dir("t.bin"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 5);
    ck_assert_str_eq(s.unit, "record");
    ck_assert_int_eq(s.origin_s, 99);
    ck_assert_str_eq(g.key[0], "7");
    ck_assert_int_eq(g.t_us[0], 500000);
    ck_assert_str_eq(g.key[1], "42");
    ck_assert_str_eq(g.key[2], "18364758544493064720");
    ck_assert_int_eq(g.t_us[1], 1166666);
    ck_assert_int_eq(g.t_us[2], 1500000);
    ck_assert_int_eq(g.t_us[3], 1833333);
    ck_assert_int_eq(g.t_us[4], 3500000);
    ck_assert_uint_eq(s.distinct_keys, 4);
    ck_assert_double_eq_tol(fx_moments_mean(&s.bytes), (1000.0 + 3000 + 1000 + 0 + 5) / 5, 1e-9);

    /* A last record cut short: skipped, or an error with strict. */
    write_file(in_dir("cut.bin"), recs, 2 * 24 + 10);
    ck_assert_msg(import_to(&o, in_dir("cut.bin"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(s.read, 3);
    ck_assert_uint_eq(s.imported, 2);
    ck_assert_uint_eq(s.skips[FX_SKIP_TRUNCATED].lines[0], 3);
    o.strict = 1;
    ck_assert_int_eq(import_to(&o, in_dir("cut.bin"), &g, &s, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "cut.bin: record 3: expected a record of 24 bytes") != NULL, "%s",
                  e.msg);

    /* gzip-compressed, the same. */
    o.strict = 0;
    gzFile gz = gzopen(in_dir("t.bin.gz"), "wb");
    ck_assert_int_eq(gzwrite(gz, recs, 5 * 24), 5 * 24);
    ck_assert_int_eq(gzclose(gz), Z_OK);
    ck_assert_msg(import_to(&o, in_dir("t.bin.gz"), &g, &s, &e) == FX_OK, "%s", e.msg);
    ck_assert_uint_eq(g.n, 5);
    ck_assert_str_eq(g.key[2], "18364758544493064720");

    /* No option applies to it. */
    o.keep_query = 1;
    fx_import *imp = NULL;
    ck_assert_int_eq(fx_import_alloc(&o, &imp, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "--keep-query") != NULL, "%s", e.msg);
}
END_TEST

/* ---- the service and architecture written beside the trace -------------------------- */

START_TEST(emitted_files_load)
{
    write_text(in_dir("a.csv"), "0,a,100,1000\n1,b,300,3000\n2,a,100,2000\n3,c,500,2000\n");
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "csv";
    o.col_time = "1";
    o.col_key = "2";
    o.col_bytes = "3";
    o.col_service = "4";
    got g;
    fx_import_summary s;
    fx_err e;
    ck_assert_msg(import_to(&o, in_dir("a.csv"), &g, &s, &e) == FX_OK, "%s", e.msg);

    char prof[128];
    fx_import_profile(&s, prof, sizeof prof);
    /* mean 2000 us; sample sd sqrt(2/3) * 1000 -> cv 0.4082 */
    ck_assert_str_eq(prof, "lognormal:mean=2000.000us,cv=0.4082");
    /* 4 requests over 3 s: 1 per s x 2 ms = 0.002 servers busy: one. */
    ck_assert_uint_eq(fx_import_servers(&s), 1);

    char *svc_text = NULL, *arch_text = NULL;
    ck_assert_int_eq(fx_import_service_json(&s, "tiny", &svc_text, &e), FX_OK);
    ck_assert_int_eq(mkdir(in_dir("svc"), 0777), 0);
    ck_assert_int_eq(mkdir(in_dir("arch"), 0777), 0);
    write_text(in_dir("svc/tiny.service.json"), svc_text);
    ck_assert_int_eq(fx_import_arch_json(&s, "tiny", in_dir("arch/tiny.json"),
                                         in_dir("svc/tiny.service.json"), &arch_text, &e),
                     FX_OK);
    ck_assert_msg(strstr(arch_text, "\"service\": \"../svc/tiny.service.json\"") != NULL, "%s",
                  arch_text);
    write_text(in_dir("arch/tiny.json"), arch_text);
    fx_arch *arch = NULL;
    ck_assert_msg(fx_arch_load(in_dir("arch/tiny.json"), &arch, &e) == FX_OK, "%s", e.msg);
    ck_assert_str_eq(arch->name, "tiny-baseline");
    ck_assert_str_eq(arch->svc->name, "tiny");
    ck_assert_uint_eq(arch->svc->nnodes, 1);
    ck_assert_str_eq(arch->svc->nodes[0].id, FX_IMPORT_NODE);
    ck_assert_uint_eq(arch->svc->nodes[0].out_bytes, 250);
    ck_assert_double_eq_tol(arch->svc->nodes[0].profile.mean, 2e6, 1e-6);
    ck_assert_uint_eq(arch->pools[0].servers, 1);
    fx_arch_free(arch);
    free(svc_text);
    free(arch_text);
    unlink(in_dir("svc/tiny.service.json"));
    unlink(in_dir("arch/tiny.json"));
    rmdir(in_dir("svc"));
    rmdir(in_dir("arch"));

    /* Service and architecture side by side: the bare file name. */
    ck_assert_int_eq(
        fx_import_arch_json(&s, "tiny", in_dir("x.json"), in_dir("x.service.json"), &arch_text, &e),
        FX_OK);
    ck_assert_msg(strstr(arch_text, "\"service\": \"x.service.json\"") != NULL, "%s", arch_text);
    free(arch_text);
    ck_assert_int_eq(fx_import_service_json(&s, "bad name", &svc_text, &e), FX_EINVAL);

    /* Sizing: 1000 requests per second at 2 ms is 2 servers busy: 4 for 0.5. */
    fx_import_summary big = s;
    big.imported = 10001;
    big.first = 0;
    big.last = 10 * 1000000000LL;
    ck_assert_uint_eq(fx_import_servers(&big), 4);

    /* No service times: the default profile; constant ones: det. */
    fx_import_summary none;
    memset(&none, 0, sizeof none);
    ck_assert_str_eq(fx_import_profile(&none, prof, sizeof prof), FX_IMPORT_DEFAULT_PROFILE);
    fx_moments_add(&none.service_us, 250.0);
    fx_moments_add(&none.service_us, 250.0);
    ck_assert_str_eq(fx_import_profile(&none, prof, sizeof prof), "det:250.000us");
    fx_dist d;
    ck_assert_int_eq(fx_dist_parse(prof, &d, &e), FX_OK);
    fx_dist_free(&d);
    memset(&none, 0, sizeof none);
    fx_moments_add(&none.service_us, 0.0);
    ck_assert_str_eq(fx_import_profile(&none, prof, sizeof prof), "det:0us");
    ck_assert_int_eq(fx_dist_parse(prof, &d, &e), FX_OK);
    fx_dist_free(&d);
}
END_TEST

START_TEST(helpers)
{
    int64_t ns;
    ck_assert_int_eq(fx_import_decimal_ns("12", 2, FX_IMPORT_US, &ns), 0);
    ck_assert_int_eq(ns, 12000);
    ck_assert_int_eq(fx_import_decimal_ns("0.0005", 6, FX_IMPORT_US, &ns), 0);
    ck_assert_int_eq(ns, 1); /* half a nanosecond rounds up */
    ck_assert_int_eq(fx_import_decimal_ns("0.0004999", 9, FX_IMPORT_US, &ns), 0);
    ck_assert_int_eq(ns, 0);
    ck_assert_int_eq(fx_import_decimal_ns("1.5", 3, FX_IMPORT_S, &ns), 0);
    ck_assert_int_eq(ns, 1500000000);
    ck_assert_int_eq(fx_import_decimal_ns("1431857103.123456789", 20, FX_IMPORT_S, &ns), 0);
    ck_assert_int_eq(ns, 1431857103123456789LL);
    static const char *const bad[] = {"",   ".",  "1.", ".5",   "12abc", "1e3",
                                      "-1", "+1", " 1", "0x10", "1,5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(fx_import_decimal_ns(bad[i], strlen(bad[i]), FX_IMPORT_US, &ns) == -1, "%s",
                      bad[i]);
    ck_assert_int_eq(fx_import_decimal_ns("4611686019", 10, FX_IMPORT_S, &ns), -2);
    ck_assert_int_eq(fx_import_decimal_ns("99999999999999999999999", 23, FX_IMPORT_NS, &ns), -2);

    uint64_t v;
    ck_assert_int_eq(fx_import_u64("203023", 6, &v), 0);
    ck_assert_uint_eq(v, 203023);
    ck_assert_int_eq(fx_import_u64("12a", 3, &v), -1);
    ck_assert_int_eq(fx_import_u64("", 0, &v), -1);
    ck_assert_int_eq(fx_import_u64("99999999999999999999", 20, &v), -2);

    char buf[160];
    ck_assert_str_eq(fx_import_name_from_path("out/apache.trace.gz", buf, sizeof buf), "apache");
    ck_assert_str_eq(fx_import_name_from_path("my site.trace", buf, sizeof buf), "my_site");
    ck_assert_str_eq(fx_import_name_from_path("-", buf, sizeof buf), "imported");
    ck_assert_str_eq(fx_import_name_from_path("dir/.trace", buf, sizeof buf), ".trace");

    /* The registry: every format found by its name, with a summary. */
    size_t n = 0;
    for (; fx_import_formats[n]; n++) {
        const fx_import_format *f = fx_import_formats[n];
        ck_assert_ptr_eq(fx_import_format_find(fx_import_format_name(f)), f);
        ck_assert_uint_gt(strlen(fx_import_format_summary(f)), 10);
    }
    ck_assert_uint_eq(n, 4);
    fx_import_opts o;
    fx_import_opts_init(&o);
    o.format = "apache";
    o.input = "-";
    fx_import *imp = NULL;
    fx_err e;
    ck_assert_int_eq(fx_import_alloc(&o, &imp, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "--format: expected one of clf, combined, csv, oracle-general, "
                                "found \"apache\"") != NULL,
                  "%s", e.msg);
    for (int r = 0; r < FX_SKIP_NREASONS; r++)
        ck_assert_str_ne(fx_import_reason_name((fx_import_reason)r), "?");
}
END_TEST

TCase *fx_tcase_import(void)
{
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_add_test(tc, combined_fields);
    tcase_add_test(tc, combined_bad_lines);
    tcase_add_test(tc, service_field);
    tcase_add_test(tc, status_filter);
    tcase_add_test(tc, spread_within_a_second);
    tcase_add_test(tc, sort_within_the_window);
    tcase_add_test(tc, skips_and_strict);
    tcase_add_test(tc, gzip_input);
    tcase_add_test(tc, csv_by_number_and_name);
    tcase_add_test(tc, csv_blanks_units_and_bad_lines);
    tcase_add_test(tc, oracle_records);
    tcase_add_test(tc, emitted_files_load);
    tcase_add_test(tc, helpers);
    return tc;
}
