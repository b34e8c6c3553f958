/* check_reader.c - the trace reader and writer: known answers, every error
 * the reader reports (with its line), gzip, long inputs, round trips. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "sim/pcg.h"
#include "tests/check.h"
#include "traces/trace.h"

static const char *const nodes[] = {"parse", "geocode", "forecast", "render"};
#define NNODES 4

/* Each test works in a fresh temporary folder. */
static char dir[64];

static void make_dir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fxtrace.XXXXXX", base && strlen(base) < 40 ? base : "/tmp");
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

/* NAME inside the test folder (a static buffer per slot). */
static const char *in_dir(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ & 3];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static size_t dir_entries(void)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static const char *put_file(const char *name, const void *text, size_t len)
{
    const char *path = in_dir(name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

static const char *put_gz(const char *name, const void *text, size_t len)
{
    const char *path = in_dir(name);
    gzFile g = gzopen(path, "wb");
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(gzwrite(g, text, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(g), Z_OK);
    return path;
}

/* A child process that writes TEXT[0..LEN) into the FIFO at PATH in
 * pieces of 1 to 61 bytes (drawn from SEED), then closes it. */
static pid_t fifo_writer(const char *path, const char *text, size_t len, uint64_t seed)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(path, O_WRONLY);
        fx_pcg32 g;
        fx_pcg32_seed(&g, seed, 9);
        size_t at = 0;
        while (fd >= 0 && at < len) {
            size_t piece = 1 + fx_pcg32_bounded(&g, 61);
            ssize_t put = write(fd, text + at, piece < len - at ? piece : len - at);
            if (put <= 0)
                _exit(1);
            at += (size_t)put;
        }
        _exit(fd >= 0 && close(fd) == 0 ? 0 : 1);
    }
    return pid;
}

/* The writer PID wrote everything and ended well. */
static void writer_done(pid_t pid)
{
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static fx_trace_reader *open_ok(const char *path)
{
    fx_trace_reader *r = NULL;
    fx_err e = {0};
    fx_status st = fx_trace_open(path, nodes, NNODES, &r, &e);
    ck_assert_msg(st == FX_OK, "open %s: %s", path, e.msg);
    return r;
}

/* Read TEXT to its first error (at open or later) and return its message;
 * fails when TEXT reads without one. */
static const char *first_error(const char *text, size_t len, fx_status *code)
{
    static fx_err e;
    const char *path = put_file("bad.trace", text, len);
    fx_trace_reader *r = NULL;
    fx_err_clear(&e);
    fx_status st = fx_trace_open(path, nodes, NNODES, &r, &e);
    if (st != FX_OK) {
        ck_assert_ptr_null(r);
        *code = st;
        return e.msg;
    }
    fx_trace_rec rec;
    int got;
    while ((got = fx_trace_next(r, &rec, &e)) == 1)
        ;
    ck_assert_msg(got == -1, "expected an error reading \"%.60s\"", text);
    *code = e.code;
    /* The error sticks. */
    fx_err again = {0};
    ck_assert_int_eq(fx_trace_next(r, &rec, &again), -1);
    ck_assert_str_eq(again.msg, e.msg);
    fx_trace_close(r);
    return e.msg;
}

static void assert_error(const char *text, size_t len, const char *fragment)
{
    fx_status code;
    const char *msg = first_error(text, len, &code);
    ck_assert_msg(strstr(msg, fragment) != NULL, "expected \"%s\" in \"%s\"", fragment, msg);
    /* A documented limit exceeded is FX_ELIMIT (exit 4); any other mistake
     * FX_EINVAL (exit 3). */
    int limit = strstr(msg, " of at most ") != NULL || strstr(msg, "expected at most ") != NULL;
    ck_assert_int_eq(code, limit ? FX_ELIMIT : FX_EINVAL);
    ck_assert_msg(strncmp(msg, dir, strlen(dir)) == 0, "no file name in \"%s\"", msg);
}

/* ---- reading -------------------------------------------------------------- */

#define EXAMPLE                                                                                    \
    "#fluxotrace 1\n"                                                                              \
    "#service weather\n"                                                                           \
    "# t_us <TAB> key <TAB> node=service_us/out_bytes/out_hash ...\n"                              \
    "1000\t94110\tparse=120/64/8f3a\tgeocode=850/128/1b2c\tforecast=45000/2048/77aa\t"             \
    "render=3000/10240/cc01\n"

static void assert_field(const fx_trace_field *f, uint32_t node, fx_time svc, int has_bytes,
                         uint64_t bytes, int has_hash, uint64_t hash)
{
    ck_assert_uint_eq(f->node, node);
    ck_assert_int_eq(f->service, svc);
    ck_assert_int_eq(f->has_bytes, has_bytes);
    ck_assert_int_eq(f->has_hash, has_hash);
    if (has_bytes)
        ck_assert_uint_eq(f->bytes, bytes);
    if (has_hash)
        ck_assert_uint_eq(f->hash, hash);
}

START_TEST(design_example)
{
    const char *path = put_file("w.trace", EXAMPLE, strlen(EXAMPLE));
    fx_trace_reader *r = open_ok(path);
    ck_assert_str_eq(fx_trace_service(r), "weather");
    ck_assert_str_eq(fx_trace_path(r), path);

    fx_trace_rec rec;
    fx_err e = {0};
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_int_eq(rec.t, 1000 * FX_US);
    ck_assert_str_eq(rec.key, "94110");
    ck_assert_uint_eq(rec.key_len, 5);
    ck_assert_uint_eq(rec.key_hash, fx_hash_str("94110"));
    ck_assert_uint_eq(rec.line, 4);
    ck_assert_uint_eq(rec.nfields, 4);
    assert_field(&rec.fields[0], 0, 120 * FX_US, 1, 64, 1, 0x8f3a);
    assert_field(&rec.fields[1], 1, 850 * FX_US, 1, 128, 1, 0x1b2c);
    assert_field(&rec.fields[2], 2, 45000 * FX_US, 1, 2048, 1, 0x77aa);
    assert_field(&rec.fields[3], 3, 3000 * FX_US, 1, 10240, 1, 0xcc01);

    /* The end, and it stays the end. */
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 0);
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 0);
    fx_trace_close(r);
}
END_TEST

START_TEST(optional_parts)
{
    static const char text[] = "#fluxotrace 1\n"
                               "# no #service header: fine\n"
                               "0\ta\tparse=120\n"
                               "\n"
                               "#\n"
                               "0\tb\trender=120.5/64\tparse=0.001//FF\n"
                               "7\tc\n"
                               "8\td\tgeocode=1.0004/0/0\tforecast=1.0005\tparse=1.9999\n"
                               "4611686018427387\t\xc3\xa9t\xc3\xa9\tparse=0/4611686018427387904/"
                               "ffffffffffffffff\trender=4611686018427387.904"; /* no LF */
    const char *path = put_file("o.trace", text, sizeof text - 1);
    fx_trace_reader *r = open_ok(path);
    ck_assert_ptr_null(fx_trace_service(r));
    fx_trace_rec rec;
    fx_err e = {0};

    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_int_eq(rec.t, 0);
    ck_assert_str_eq(rec.key, "a");
    ck_assert_uint_eq(rec.line, 3);
    ck_assert_uint_eq(rec.nfields, 1);
    assert_field(&rec.fields[0], 0, 120000, 0, 0, 0, 0);

    /* Blank lines and comments are skipped but counted. */
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_uint_eq(rec.line, 6);
    ck_assert_uint_eq(rec.nfields, 2);
    assert_field(&rec.fields[0], 3, 120500, 1, 64, 0, 0); /* the file's order */
    assert_field(&rec.fields[1], 0, 1, 0, 0, 1, 0xff);    /* a hash without a size */

    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_int_eq(rec.t, 7000);
    ck_assert_str_eq(rec.key, "c");
    ck_assert_uint_eq(rec.nfields, 0);

    /* Beyond three decimals, rounded to the nearest nanosecond. */
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_uint_eq(rec.nfields, 3);
    assert_field(&rec.fields[0], 1, 1000, 1, 0, 1, 0);
    assert_field(&rec.fields[1], 2, 1001, 0, 0, 0, 0);
    assert_field(&rec.fields[2], 0, 2000, 0, 0, 0, 0);

    /* The largest values, and a last line without its LF. */
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_int_eq(rec.t, (fx_time)4611686018427387 * 1000);
    ck_assert_str_eq(rec.key, "\xc3\xa9t\xc3\xa9");
    ck_assert_uint_eq(rec.key_hash, fx_hash_str("\xc3\xa9t\xc3\xa9"));
    ck_assert_uint_eq(rec.line, 9);
    assert_field(&rec.fields[0], 0, 0, 1, (uint64_t)1 << 62, 1, UINT64_MAX);
    assert_field(&rec.fields[1], 3, (fx_time)1 << 62, 0, 0, 0, 0);

    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 0);
    fx_trace_close(r);
}
END_TEST

START_TEST(headers_only)
{
    static const char text[] = "#fluxotrace 1\n#service s\n# nothing else\n";
    fx_trace_reader *r = open_ok(put_file("h.trace", text, sizeof text - 1));
    ck_assert_str_eq(fx_trace_service(r), "s");
    fx_trace_rec rec;
    ck_assert_int_eq(fx_trace_next(r, &rec, NULL), 0);
    fx_trace_close(r);
}
END_TEST

/* Lines of a trace that uses all the syntax, for comparing readings. */
static char *sample_trace(size_t nlines, size_t *len)
{
    size_t cap = nlines * 160 + 200, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    fx_pcg32 g;
    fx_pcg32_seed(&g, 11, 5);
    n += (size_t)sprintf(text, "#fluxotrace 1\n#service weather\n");
    uint64_t t = 0;
    for (size_t i = 0; i < nlines; i++) {
        t += fx_pcg32_bounded(&g, 3000);
        n += (size_t)sprintf(text + n, "%llu\tk%u", (unsigned long long)t,
                             fx_pcg32_bounded(&g, 100000));
        for (int j = 0; j < NNODES; j++) {
            if (fx_pcg32_bounded(&g, 4) == 0)
                continue;
            n += (size_t)sprintf(text + n, "\t%s=%u.%u/%u/%x", nodes[j], fx_pcg32_next(&g) % 90000,
                                 fx_pcg32_bounded(&g, 1000), fx_pcg32_next(&g), fx_pcg32_next(&g));
        }
        text[n++] = '\n';
        if (i % 1000 == 0)
            n += (size_t)sprintf(text + n, "# mark %zu\n", i);
    }
    *len = n;
    return text;
}

static void assert_same_records(const char *a, const char *b, size_t expect)
{
    fx_trace_reader *ra = open_ok(a), *rb = open_ok(b);
    fx_trace_rec x, y;
    fx_err e = {0};
    size_t n = 0;
    for (;;) {
        int ga = fx_trace_next(ra, &x, &e);
        ck_assert_msg(ga >= 0, "%s", e.msg);
        int gb = fx_trace_next(rb, &y, &e);
        ck_assert_msg(gb >= 0, "%s", e.msg);
        ck_assert_int_eq(ga, gb);
        if (!ga)
            break;
        n++;
        ck_assert_int_eq(x.t, y.t);
        ck_assert_str_eq(x.key, y.key);
        ck_assert_uint_eq(x.key_hash, y.key_hash);
        ck_assert_uint_eq(x.line, y.line);
        ck_assert_uint_eq(x.nfields, y.nfields);
        ck_assert(memcmp(x.fields, y.fields, x.nfields * sizeof *x.fields) == 0);
    }
    ck_assert_uint_eq(n, expect);
    fx_trace_close(ra);
    fx_trace_close(rb);
}

START_TEST(gzip_reads_as_plain)
{
    size_t len;
    char *text = sample_trace(20000, &len);
    const char *plain = put_file("s.trace", text, len);
    const char *gz = put_gz("s.trace.gz", text, len);
    assert_same_records(plain, gz, 20000);
    free(text);
}
END_TEST

START_TEST(truncated_gzip)
{
    size_t len;
    char *text = sample_trace(5000, &len);
    const char *gz = put_gz("t.trace.gz", text, len);
    free(text);
    struct stat sb;
    ck_assert_int_eq(stat(gz, &sb), 0);
    ck_assert_int_eq(truncate(gz, sb.st_size / 2), 0);
    fx_trace_reader *r = open_ok(gz);
    fx_trace_rec rec;
    fx_err e = {0};
    int got;
    size_t n = 0;
    while ((got = fx_trace_next(r, &rec, &e)) == 1)
        n++;
    ck_assert_int_eq(got, -1);
    ck_assert_int_eq(e.code, FX_EINVAL);
    ck_assert_msg(strstr(e.msg, ": truncated gzip stream") != NULL, "%s", e.msg);
    ck_assert_uint_gt(n, 100); /* what came before the cut was read */
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), -1);
    fx_trace_close(r);

    /* Cut inside the gzip trailer: all the text is there, the check is not. */
    static const char small[] = "#fluxotrace 1\n1\ta\n";
    gz = put_gz("u.trace.gz", small, sizeof small - 1);
    ck_assert_int_eq(stat(gz, &sb), 0);
    ck_assert_int_eq(truncate(gz, sb.st_size - 4), 0);
    fx_trace_reader *r2 = NULL;
    fx_status st = fx_trace_open(gz, nodes, NNODES, &r2, &e);
    if (st == FX_OK) {
        while ((got = fx_trace_next(r2, &rec, &e)) == 1)
            ;
        ck_assert_int_eq(got, -1);
        fx_trace_close(r2);
    }
    ck_assert_msg(strstr(e.msg, "truncated gzip stream") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(corrupt_gzip)
{
    size_t len;
    char *text = sample_trace(5000, &len);
    const char *gz = put_gz("c.trace.gz", text, len);
    free(text);
    /* Damage the CRC in the trailer: every line decodes, the check fails. */
    FILE *f = fopen(gz, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, -8, SEEK_END), 0);
    int c = fgetc(f);
    ck_assert_int_eq(fseek(f, -8, SEEK_END), 0);
    fputc(c ^ 0x55, f);
    ck_assert_int_eq(fclose(f), 0);
    fx_trace_reader *r = open_ok(gz);
    fx_trace_rec rec;
    fx_err e = {0};
    int got;
    size_t n = 0;
    while ((got = fx_trace_next(r, &rec, &e)) == 1)
        n++;
    ck_assert_int_eq(got, -1);
    ck_assert_uint_le(n, 5000); /* zlib drops the last piece it decoded */
    ck_assert_int_eq(e.code, FX_EINVAL);
    ck_assert_msg(strstr(e.msg, ": expected a valid gzip stream, found a corrupt one") != NULL,
                  "%s", e.msg);
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), -1);
    fx_trace_close(r);
}
END_TEST

typedef struct bad_case {
    const char *text;
    const char *fragment;
} bad_case;

#define H "#fluxotrace 1\n"

static const bad_case bad_cases[] = {
    {"", ":1: expected \"#fluxotrace 1\" on the first line, found an empty file"},
    {"1000\tk\n", ":1: expected \"#fluxotrace 1\" on the first line, found \"1000\\x09k\""},
    {"\n" H, ":1: expected \"#fluxotrace 1\" on the first line, found an empty line"},
    {"#fluxotrace 1 \n", ":1: expected \"#fluxotrace 1\" on the first line"},
    {"#fluxotrace\n", ":1: expected \"#fluxotrace 1\" on the first line"},
    {"#fluxotrace 10\n", ":1: expected format version 1"},
    {"#fluxotrace 2\n1\tk\n", ":1: expected format version 1 (\"#fluxotrace 1\"), found "
                              "\"#fluxotrace 2\""},
    {"#fluxotrace 1\r\n", ":1: expected a line ending in LF, found CR LF (a Windows line end)"},
    {H "# ok\n1\tk\r\n", ":3: expected a line ending in LF, found CR LF (a Windows line end)"},
    {H "#service a\n1\tk\r", ":3: expected a line ending in LF, found CR LF"},
    {H "#foo bar\n", ":2: expected a known header (#fluxotrace, #service) or a comment "
                     "(\"# ...\"), found \"#foo\""},
    {H "1\tk\n#service late\n", ":3: expected the \"#service\" header before the first request"},
    {H "#service a\n#service b\n", ":3: expected one \"#service\" header, found a second one"},
    {H "#service\n", ":2: expected \"#service NAME\" (a name without blanks), found "
                     "\"#service\""},
    {H "#service two words\n", ":2: expected \"#service NAME\""},
    {H "\n1\tk\n" H, ":4: expected \"#fluxotrace 1\" only on the first line"},
    {H "#\tx\n", ":2: expected a known header"},
    {H "\n1000\n", ":3: expected a key after the time (column 2), found the end of the line"},
    {H "\n\n12abc\tk\n", ":4: expected a time in microseconds (a non-negative integer) in column "
                         "1, found \"12abc\""},
    {H "-5\tk\n", ":2: expected a time in microseconds (a non-negative integer) in column 1, "
                  "found \"-5\""},
    {H "+5\tk\n", ":2: expected a time in microseconds (a non-negative integer) in column 1"},
    {H "1.5\tk\n", ":2: expected a time in microseconds (a non-negative integer) in column 1"},
    {H "\tk\n", ":2: expected a time in microseconds (a non-negative integer) in column 1, found "
                "an empty field"},
    {H "1000 k\n", ":2: expected a time in microseconds (a non-negative integer) in column 1, "
                   "found \"1000 k\" (fields are separated by one TAB, not spaces)"},
    {H "4611686018427388\tk\n", ":2: expected a time of at most 4611686018427387 us (2^62 ns) "
                                "in column 1, found \"4611686018427388\""},
    {H "99999999999999999999999\tk\n", ":2: expected a time of at most 4611686018427387 us"},
    {H "1000\ta\n# c\n900\tb\n", ":4: expected a time >= 1000 (the previous request's), found "
                                 "900"},
    {H "1\t\tparse=1\n", ":2: expected a key in column 2, found an empty field"},
    {H "1\t\n", ":2: expected a key in column 2, found an empty field"},
    {H "1\tmy key\tparse=1\n", ":2: expected a key without blanks or control characters in "
                               "column 2, found \"my key\""},
    {H "1\tk\x01\n", ":2: expected a key without blanks or control characters in column 2, "
                     "found \"k\\x01\""},
    {H "1\tk\tfoo=1\n", ":2: expected a node name (one of: parse, geocode, forecast, render) in "
                        "column 3, found \"foo\""},
    {H "1\tk\t=1\n", ":2: expected a node name (one of: parse, geocode, forecast, render) in "
                     "column 3, found \"\""},
    {H "1\tk\tparse=1\trender=2\tparse=3\n", ":2: expected each node at most once on a line, "
                                             "found \"parse\" again in column 5"},
    {H "1\tk\tparse\n", ":2: expected node=service_us[/bytes[/hash]] in column 3, found "
                        "\"parse\""},
    {H "1\tk\t\tparse=1\n", ":2: expected node=service_us[/bytes[/hash]] in column 3, found an "
                            "empty field"},
    {H "1\tk\tparse=1\t\n", ":2: expected node=service_us[/bytes[/hash]] in column 4, found an "
                            "empty field"},
    {H "1\tk\tparse=1 \n", ":2: expected a service time in microseconds (a non-negative number) "
                           "after \"=\" in column 3, found \"parse=1 \" (fields are separated "
                           "by one TAB, not spaces)"},
    {H "1\tk\tparse=\n", ":2: expected a service time in microseconds"},
    {H "1\tk\tparse=-1\n", ":2: expected a service time in microseconds (a non-negative number)"},
    {H "1\tk\tparse=.5\n", ":2: expected a service time in microseconds"},
    {H "1\tk\tparse=1.\n", ":2: expected a service time in microseconds (digits after the point) "
                           "in column 3, found \"parse=1.\""},
    {H "1\tk\tparse=1e3\n", ":2: expected a service time in microseconds"},
    {H "1\tk\tparse=4611686018427387.905\n", ":2: expected a service time of at most "
                                             "4611686018427387.904 us (2^62 ns) in column 3"},
    {H "1\tk\tparse=1/\n", ":2: expected an output size in bytes (a non-negative integer) after "
                           "the service time in column 3, found \"parse=1/\""},
    {H "1\tk\tparse=1/-2\n", ":2: expected an output size in bytes (a non-negative integer)"},
    {H "1\tk\tparse=1/2x\n", ":2: expected an output size in bytes (a non-negative integer)"},
    {H "1\tk\tparse=1/4611686018427387905\n", ":2: expected an output size of at most "
                                              "4611686018427387904 bytes (2^62) in column 3"},
    {H "1\tk\tparse=1/2/\n", ":2: expected an output hash of 1 to 16 hexadecimal digits last in "
                             "column 3, found \"parse=1/2/\""},
    {H "1\tk\tparse=1//\n", ":2: expected an output hash of 1 to 16 hexadecimal digits"},
    {H "1\tk\tparse=1/2/xyz\n", ":2: expected an output hash of 1 to 16 hexadecimal digits"},
    {H "1\tk\tparse=1/2/0x1f\n", ":2: expected an output hash of 1 to 16 hexadecimal digits"},
    {H "1\tk\tparse=1/2/12345678901234567\n", ":2: expected an output hash of 1 to 16 "
                                              "hexadecimal digits"},
    {H "1\tk\tparse=1/2/3/4\n", ":2: expected an output hash of 1 to 16 hexadecimal digits"},
};

START_TEST(bad_input)
{
    const bad_case *c = &bad_cases[_i];
    assert_error(c->text, strlen(c->text), c->fragment);
}
END_TEST

START_TEST(nul_byte)
{
    static const char text[] = H "1\tk\n2\tk\0ey\n";
    assert_error(text, sizeof text - 1, ":3: expected text, found a NUL byte");
    static const char comment[] = H "# a \0 comment\n";
    assert_error(comment, sizeof comment - 1, ":2: expected text, found a NUL byte");
}
END_TEST

START_TEST(key_limit)
{
    char *text = malloc(FX_TRACE_KEY_MAX + 64);
    ck_assert_ptr_nonnull(text);
    int n = sprintf(text, H "5\t");
    memset(text + n, 'k', FX_TRACE_KEY_MAX);
    strcpy(text + n + FX_TRACE_KEY_MAX, "\tparse=1\n");
    fx_trace_reader *r = open_ok(put_file("k.trace", text, strlen(text)));
    fx_trace_rec rec;
    fx_err e = {0};
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_uint_eq(rec.key_len, FX_TRACE_KEY_MAX);
    ck_assert_uint_eq(strlen(rec.key), FX_TRACE_KEY_MAX);
    ck_assert_uint_eq(rec.key_hash, fx_hash_str(rec.key));
    fx_trace_close(r);

    text[n + FX_TRACE_KEY_MAX] = 'k';
    strcpy(text + n + FX_TRACE_KEY_MAX + 1, "\tparse=1\n");
    assert_error(text, strlen(text),
                 ":2: expected a key of at most 1024 bytes in column 2, found "
                 "1025 bytes (\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\")");
    free(text);
}
END_TEST

/* TEXT then a comment line of exactly LEN bytes, then LAST. */
static char *with_long_line(size_t len, const char *last, size_t *total)
{
    char *text = malloc(len + 64);
    ck_assert_ptr_nonnull(text);
    size_t n = (size_t)sprintf(text, H "1\ta\n# ");
    memset(text + n, 'x', len - 2);
    n += len - 2;
    n += (size_t)sprintf(text + n, "%s", last);
    *total = n;
    return text;
}

START_TEST(line_limit)
{
    /* A line of exactly FX_TRACE_LINE_MAX bytes is fine, even as the last
     * line without its LF. */
    size_t len;
    char *text = with_long_line(FX_TRACE_LINE_MAX, "\n2\tb\n", &len);
    fx_trace_reader *r = open_ok(put_file("l.trace", text, len));
    fx_trace_rec rec;
    fx_err e = {0};
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_str_eq(rec.key, "b");
    ck_assert_uint_eq(rec.line, 4);
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 0);
    fx_trace_close(r);
    free(text);

    text = with_long_line(FX_TRACE_LINE_MAX, "", &len);
    r = open_ok(put_file("l.trace", text, len));
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 0);
    fx_trace_close(r);
    free(text);

    /* One byte more is an error on that line, with or without its LF. */
    text = with_long_line(FX_TRACE_LINE_MAX + 1, "\n2\tb\n", &len);
    assert_error(text, len, ":3: expected a line of at most 1048576 bytes, found a longer one");
    free(text);
    text = with_long_line(FX_TRACE_LINE_MAX + 1, "", &len);
    assert_error(text, len, ":3: expected a line of at most 1048576 bytes, found a longer one");
    free(text);

    /* Far longer: still an error, not an ever growing buffer. */
    text = with_long_line(8 * FX_TRACE_LINE_MAX, "\n", &len);
    const char *gz = put_gz("l.trace.gz", text, len);
    free(text);
    fx_trace_reader *g = open_ok(gz);
    ck_assert_int_eq(fx_trace_next(g, &rec, &e), 1);
    ck_assert_int_eq(fx_trace_next(g, &rec, &e), -1);
    ck_assert_msg(strstr(e.msg, ":3: expected a line of at most") != NULL, "%s", e.msg);
    fx_trace_close(g);
}
END_TEST

START_TEST(many_nodes)
{
    /* More nodes than fields allowed on a line: the node index is a hash
     * table, and the field limit holds. */
    enum { N = FX_TRACE_FIELDS_MAX + 100 };
    static char names[N][8];
    static const char *ptrs[N];
    for (int i = 0; i < N; i++) {
        sprintf(names[i], "n%d", i);
        ptrs[i] = names[i];
    }
    size_t cap = (size_t)N * 24 + 64, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    n += (size_t)sprintf(text, H "1\tk");
    for (int i = FX_TRACE_FIELDS_MAX - 1; i >= 0; i--)
        n += (size_t)sprintf(text + n, "\tn%d=%d/%d/%x", i, i, i, i);
    n += (size_t)sprintf(text + n, "\n2\tk");
    for (int i = 0; i <= FX_TRACE_FIELDS_MAX; i++)
        n += (size_t)sprintf(text + n, "\tn%d=1", i + 50);
    text[n++] = '\n';
    const char *path = put_file("n.trace", text, n);
    free(text);

    fx_trace_reader *r = NULL;
    fx_err e = {0};
    ck_assert_int_eq(fx_trace_open(path, ptrs, N, &r, &e), FX_OK);
    fx_trace_rec rec;
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_uint_eq(rec.nfields, FX_TRACE_FIELDS_MAX);
    for (size_t i = 0; i < rec.nfields; i++) {
        uint32_t want = (uint32_t)(FX_TRACE_FIELDS_MAX - 1 - i);
        assert_field(&rec.fields[i], want, (fx_time)want * 1000, 1, want, 1, want);
    }
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), -1);
    ck_assert_msg(strstr(e.msg, ":3: expected at most 1024 node fields, found more") != NULL, "%s",
                  e.msg);
    fx_trace_close(r);

    /* The list of names in a message is cut short. */
    fx_trace_reader *r2 = NULL;
    static const char unknown[] = H "1\tk\tzz=1\n";
    ck_assert_int_eq(
        fx_trace_open(put_file("u.trace", unknown, sizeof unknown - 1), ptrs, N, &r2, &e), FX_OK);
    ck_assert_int_eq(fx_trace_next(r2, &rec, &e), -1);
    ck_assert_msg(strstr(e.msg, "(one of: n0, n1, n2, ") != NULL, "%s", e.msg);
    ck_assert_msg(strstr(e.msg, ", ...) in column 3, found \"zz\"") != NULL, "%s", e.msg);
    fx_trace_close(r2);
}
END_TEST

START_TEST(bad_node_names)
{
    static const char text[] = H "1\tk\n";
    const char *path = put_file("d.trace", text, sizeof text - 1);
    static const char *const twice[] = {"a", "b", "a"};
    fx_trace_reader *r = NULL;
    fx_err e = {0};
    ck_assert_int_eq(fx_trace_open(path, twice, 3, &r, &e), FX_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(e.msg, "expected distinct node names, found \"a\" twice") != NULL, "%s",
                  e.msg);

    /* No nodes at all: fields are errors, plain lines are fine. */
    ck_assert_int_eq(fx_trace_open(path, NULL, 0, &r, &e), FX_OK);
    fx_trace_rec rec;
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_uint_eq(rec.nfields, 0);
    fx_trace_close(r);
    static const char field[] = H "1\tk\tparse=1\n";
    ck_assert_int_eq(fx_trace_open(put_file("f.trace", field, sizeof field - 1), NULL, 0, &r, &e),
                     FX_OK);
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), -1);
    ck_assert_msg(strstr(e.msg, ":2: expected no node fields") != NULL, "%s", e.msg);
    fx_trace_close(r);
}
END_TEST

START_TEST(unreadable)
{
    fx_trace_reader *r = NULL;
    fx_err e = {0};
    ck_assert_int_eq(fx_trace_open(dir, nodes, NNODES, &r, &e), FX_EIO);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(e.msg, ": expected a file, found a directory") != NULL, "%s", e.msg);

    const char *missing = in_dir("missing.trace");
    ck_assert_int_eq(fx_trace_open(missing, nodes, NNODES, &r, &e), FX_EIO);
    ck_assert_ptr_null(r);
    char want[600];
    snprintf(want, sizeof want, "%s: cannot open: %s", missing, strerror(ENOENT));
    ck_assert_str_eq(e.msg, want);
    fx_trace_close(NULL);
}
END_TEST

START_TEST(big_trace)
{
    /* 200k lines in a small, fixed amount of memory: the reader holds one
     * line at a time, so this reads like any other trace. */
    enum { LINES = 200000 };
    size_t len;
    char *text = sample_trace(LINES, &len);
    const char *path = put_file("big.trace", text, len);
    free(text);
    fx_trace_reader *r = open_ok(path);
    fx_trace_rec rec;
    fx_err e = {0};
    size_t n = 0, fields = 0;
    fx_time prev = 0;
    uint64_t line = 0;
    int got;
    while ((got = fx_trace_next(r, &rec, &e)) == 1) {
        n++;
        fields += rec.nfields;
        ck_assert_int_ge(rec.t, prev);
        ck_assert_uint_gt(rec.line, line);
        ck_assert_uint_eq(rec.key_hash, fx_hash_str(rec.key));
        prev = rec.t;
        line = rec.line;
    }
    ck_assert_msg(got == 0, "%s", e.msg);
    ck_assert_uint_eq(n, LINES);
    ck_assert_uint_eq(line, 2 + LINES + LINES / 1000);
    ck_assert_uint_gt(fields, LINES * 2);
    fx_trace_close(r);
}
END_TEST

/* Values of every length in every column, nodes in changing orders, hashes
 * of 1 to 16 digits in either case: what the reader's shortcuts (whole
 * numbers and hashes read several bytes at once, a column's node matched
 * against the previous line's) must read exactly as byte by byte. */
typedef struct want_field {
    uint32_t node;
    uint64_t us, bytes, hash;
    int has_bytes, has_hash;
} want_field;

static uint64_t random_digits(fx_pcg32 *g, unsigned max_digits)
{
    unsigned n = 1 + fx_pcg32_bounded(g, max_digits);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v * 10 + fx_pcg32_bounded(g, 10);
    return v;
}

START_TEST(fast_paths)
{
    enum { LINES = 3000 };
    static want_field want[LINES][NNODES];
    static size_t nwant[LINES];
    static uint64_t want_t[LINES];
    size_t cap = (size_t)LINES * 400, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    fx_pcg32 g;
    fx_pcg32_seed(&g, 3, 7);
    n += (size_t)sprintf(text, "#fluxotrace 1\n");
    uint64_t t = 0;
    for (size_t i = 0; i < LINES; i++) {
        t += fx_pcg32_bounded(&g, 4) ? random_digits(&g, 9) : 0;
        want_t[i] = t;
        /* Leading zeros now and then: the value is the same. */
        const char *zeros = fx_pcg32_bounded(&g, 8) ? "" : "000";
        n += (size_t)sprintf(text + n, "%s%llu\tk%u", zeros, (unsigned long long)t,
                             fx_pcg32_next(&g));
        uint32_t order[NNODES] = {0, 1, 2, 3};
        if (i % 3 == 0) /* a column's node changes from line to line */
            for (uint32_t j = NNODES - 1; j > 0; j--) {
                uint32_t k = fx_pcg32_bounded(&g, j + 1), x = order[j];
                order[j] = order[k];
                order[k] = x;
            }
        size_t nf = fx_pcg32_bounded(&g, NNODES + 1);
        nwant[i] = nf;
        for (size_t j = 0; j < nf; j++) {
            want_field *w = &want[i][j];
            w->node = order[j];
            w->us = random_digits(&g, 12);
            w->has_bytes = fx_pcg32_bounded(&g, 4) != 0;
            w->bytes = w->has_bytes ? random_digits(&g, 18) : 0;
            w->has_hash = w->has_bytes && fx_pcg32_bounded(&g, 4) != 0;
            unsigned hex = 1 + fx_pcg32_bounded(&g, 16);
            w->hash = ((uint64_t)fx_pcg32_next(&g) << 32 | fx_pcg32_next(&g)) >> (64 - 4 * hex);
            n += (size_t)sprintf(text + n, "\t%s=%llu", nodes[w->node], (unsigned long long)w->us);
            if (w->has_bytes)
                n += (size_t)sprintf(text + n, "/%llu", (unsigned long long)w->bytes);
            if (w->has_hash)
                n += (size_t)sprintf(text + n, fx_pcg32_bounded(&g, 2) ? "/%0*llx" : "/%0*llX",
                                     (int)hex, (unsigned long long)w->hash);
        }
        text[n++] = '\n';
    }
    n--; /* the last line without its LF */
    const char *path = put_file("fast.trace", text, n);
    free(text);

    fx_trace_reader *r = open_ok(path);
    fx_trace_rec rec;
    fx_err e = {0};
    for (size_t i = 0; i < LINES; i++) {
        ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
        ck_assert_int_eq(rec.t, (fx_time)want_t[i] * FX_US);
        ck_assert_uint_eq(rec.nfields, nwant[i]);
        for (size_t j = 0; j < nwant[i]; j++) {
            const want_field *w = &want[i][j];
            assert_field(&rec.fields[j], w->node, (fx_time)w->us * FX_US, w->has_bytes, w->bytes,
                         w->has_hash, w->hash);
        }
    }
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 0);
    fx_trace_close(r);

    /* A node name holding '=' is never matched whole: "a=b=5" is node "a"
     * with the service time "b=5", on any line. */
    static const char *const eq_nodes[] = {"a=b", "a"};
    static const char eq[] = H "1\tk\ta=b=5\n";
    fx_trace_reader *q = NULL;
    ck_assert_int_eq(fx_trace_open(put_file("eq.trace", eq, sizeof eq - 1), eq_nodes, 2, &q, &e),
                     FX_OK);
    ck_assert_int_eq(fx_trace_next(q, &rec, &e), -1);
    ck_assert_msg(strstr(e.msg, ":2: expected a service time in microseconds") != NULL, "%s",
                  e.msg);
    fx_trace_close(q);

    /* A node of the previous line's column that is only a prefix here. */
    static const char prefix[] = H "1\tk\tparse=1\n2\tk\tparsed=1\n";
    assert_error(prefix, sizeof prefix - 1,
                 ":3: expected a node name (one of: parse, geocode, forecast, render) in column "
                 "3, found \"parsed\"");
}
END_TEST

/* Requests are parsed where they lie in the buffer, up to a LF the buffer
 * is known to hold: the same requests whatever the pieces the file comes
 * in, and the same errors, with their lines, after the buffer has been
 * refilled. */
START_TEST(lines_in_pieces)
{
    enum { LINES = 20000 };
    size_t len;
    char *text = sample_trace(LINES, &len);
    const char *plain = put_file("s.trace", text, len);

    /* Through a FIFO, written a few bytes at a time. */
    const char *fifo = in_dir("p.fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    pid_t pid = fifo_writer(fifo, text, len, 5);
    assert_same_records(plain, fifo, LINES);
    writer_done(pid);

    /* Errors past the first buffer, each on its line (2 headers, the
     * requests and a comment every 1000). */
    char *bad = malloc(len + 64);
    ck_assert_ptr_nonnull(bad);
    static const char *const tails[][2] = {
        {"999999999999\tk\tparse=1\r\n", ":20023: expected a line ending in LF, found CR LF"},
        {"999999999999\tk\r\n", ":20023: expected a line ending in LF, found CR LF"},
        {"999999999999\tk\tnope=1\n", ":20023: expected a node name"},
        {"999999999999\tk\tparse=1/2/3\tparse=1\n", ":20023: expected each node at most once"},
    };
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        memcpy(bad, text, len);
        strcpy(bad + len, tails[i][0]);
        assert_error(bad, strlen(bad), tails[i][1]);
    }
    free(bad);
    free(text);
}
END_TEST

/* ---- reading in a thread -------------------------------------------------- */

/* A hash fx_trace_peek_hash gave for request number AT. */
typedef struct peeked {
    size_t at;
    uint64_t hash;
} peeked;

/* Read PATH twice side by side, line by line and with fx_trace_read_ahead
 * (in a thread when THREADED, which must start one), and compare every
 * request, the end or the error, and that it sticks. The second reader
 * takes turns with fx_trace_next, fx_trace_next_to and fx_trace_next_ref,
 * and every hash it peeks must be that of the request it names. Returns the
 * number of requests. */
static size_t assert_read_ahead_same(const char *path, const char *const *names, size_t nn,
                                     int threaded)
{
    fx_trace_reader *a = NULL, *b = NULL;
    fx_err ea = {0}, eb = {0};
    ck_assert_int_eq(fx_trace_open(path, names, nn, &a, &ea), FX_OK);
    ck_assert_int_eq(fx_trace_open(path, names, nn, &b, &eb), FX_OK);
    ck_assert_int_eq(fx_trace_read_ahead(b, threaded), threaded);
    ck_assert_int_eq(fx_trace_read_ahead(b, 1), 0); /* once only */
    static fx_trace_field own[FX_TRACE_FIELDS_MAX];
    fx_trace_rec x, y;
    size_t n = 0, cap = 1024, npeek = 0, peek_cap = 1024;
    uint64_t *hashes = malloc(cap * sizeof *hashes);
    peeked *peeks = malloc(peek_cap * sizeof *peeks);
    ck_assert(hashes && peeks);
    uint64_t h;
    ck_assert_int_eq(fx_trace_peek_hash(b, 1, &h), 0); /* nothing returned yet */
    int ga, gb;
    for (;;) {
        ga = fx_trace_next(a, &x, &ea);
        if (n % 3 == 2) { /* a request by reference */
            const fx_trace_rec *ref = NULL;
            gb = fx_trace_next_ref(b, &ref, &eb);
            ck_assert_ptr_nonnull(ref);
            y = *ref;
        } else {
            gb = n % 3 ? fx_trace_next_to(b, &y, own, &eb) : fx_trace_next(b, &y, &eb);
        }
        ck_assert_int_eq(ga, gb);
        if (ga != 1)
            break;
        ck_assert_int_eq(x.t, y.t);
        ck_assert_str_eq(x.key, y.key);
        ck_assert_uint_eq(x.key_len, y.key_len);
        ck_assert_uint_eq(x.key_hash, y.key_hash);
        ck_assert_uint_eq(x.line, y.line);
        ck_assert_uint_eq(x.nfields, y.nfields);
        for (size_t i = 0; i < x.nfields; i++) {
            ck_assert_uint_eq(x.fields[i].node, y.fields[i].node);
            ck_assert_int_eq(x.fields[i].service, y.fields[i].service);
            ck_assert_int_eq(x.fields[i].no_service, y.fields[i].no_service);
            ck_assert_int_eq(x.fields[i].has_bytes, y.fields[i].has_bytes);
            ck_assert_int_eq(x.fields[i].has_hash, y.fields[i].has_hash);
            ck_assert_uint_eq(x.fields[i].bytes, y.fields[i].bytes);
            ck_assert_uint_eq(x.fields[i].hash, y.fields[i].hash);
        }
        if (n % 3 == 1)
            ck_assert_ptr_eq(y.fields, own);
        if (n == cap) {
            hashes = realloc(hashes, (cap *= 2) * sizeof *hashes);
            ck_assert_ptr_nonnull(hashes);
        }
        hashes[n] = x.key_hash;
        for (unsigned k = 1; k <= 9; k += 2)
            if (fx_trace_peek_hash(b, k, &h)) {
                if (npeek == peek_cap) {
                    peeks = realloc(peeks, (peek_cap *= 2) * sizeof *peeks);
                    ck_assert_ptr_nonnull(peeks);
                }
                peeks[npeek++] = (peeked){n + k, h};
            }
        ck_assert_int_eq(fx_trace_peek_hash(b, 0, &h), 0);
        n++;
    }
    for (size_t i = 0; i < npeek; i++) {
        ck_assert_uint_lt(peeks[i].at, n);
        ck_assert_uint_eq(peeks[i].hash, hashes[peeks[i].at]);
    }
    /* Most requests of a block see the ones after them. */
    ck_assert_uint_ge(npeek, n > 1000 ? 4 * (n - n / 10) : 0);
    free(hashes);
    free(peeks);
    if (ga < 0) {
        ck_assert_str_eq(ea.msg, eb.msg);
        ck_assert_int_eq(ea.code, eb.code);
    }
    /* The end or the error sticks, in both. */
    fx_err again = {0};
    ck_assert_int_eq(fx_trace_next(b, &y, &again), gb);
    if (gb < 0)
        ck_assert_str_eq(again.msg, eb.msg);
    fx_trace_close(a);
    fx_trace_close(b);
    return n;
}

START_TEST(read_ahead_same)
{
    enum { LINES = 20000 }; /* dozens of the thread's blocks */
    size_t len;
    char *text = sample_trace(LINES, &len);
    for (int thread = 0; thread <= 1; thread++)
        ck_assert_uint_eq(
            assert_read_ahead_same(put_file("s.trace", text, len), nodes, NNODES, thread), LINES);
    ck_assert_uint_eq(assert_read_ahead_same(put_gz("s.trace.gz", text, len), nodes, NNODES, 1),
                      LINES);
    /* An error far in, after many blocks: the requests before it, then it. */
    char *bad = malloc(len + 32);
    ck_assert_ptr_nonnull(bad);
    memcpy(bad, text, len);
    size_t blen = len + (size_t)sprintf(bad + len, "5\tk\n");
    ck_assert_uint_eq(assert_read_ahead_same(put_file("b.trace", bad, blen), nodes, NNODES, 1),
                      LINES);
    free(bad);
    free(text);
    /* Every error of the corpus the same, whether it comes at the first
     * request or later. */
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const char *path = put_file("c.trace", bad_cases[i].text, strlen(bad_cases[i].text));
        fx_trace_reader *r = NULL;
        fx_err e = {0};
        if (fx_trace_open(path, nodes, NNODES, &r, &e) != FX_OK)
            continue; /* an error in the headers: no request to read ahead */
        fx_trace_close(r);
        assert_read_ahead_same(path, nodes, NNODES, 0);
        assert_read_ahead_same(path, nodes, NNODES, 1);
    }
}
END_TEST

START_TEST(read_ahead_full_blocks)
{
    /* Keys of the longest length fill a block's key space long before its
     * request count; lines of many fields fill its field space. */
    enum { KEYS = 300, NODES = 200, WIDE = 150 };
    size_t cap = (size_t)KEYS * (FX_TRACE_KEY_MAX + 32) + 64, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    n += (size_t)sprintf(text, H);
    for (int i = 0; i < KEYS; i++) {
        n += (size_t)sprintf(text + n, "%d\t", i);
        memset(text + n, 'a' + i % 26, FX_TRACE_KEY_MAX - 4 - (size_t)(i % 7));
        n += FX_TRACE_KEY_MAX - 4 - (size_t)(i % 7);
        n += (size_t)sprintf(text + n, "%d\tparse=%d\n", i, i);
    }
    ck_assert_uint_eq(assert_read_ahead_same(put_file("keys.trace", text, n), nodes, NNODES, 1),
                      KEYS);
    free(text);

    static char names[NODES][8];
    static const char *ptrs[NODES];
    for (int i = 0; i < NODES; i++) {
        sprintf(names[i], "n%d", i);
        ptrs[i] = names[i];
    }
    cap = (size_t)WIDE * NODES * 24 + 64;
    n = 0;
    text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    n += (size_t)sprintf(text, H);
    for (int l = 0; l < WIDE; l++) {
        n += (size_t)sprintf(text + n, "%d\tk%d", l, l);
        for (int i = 0; i < NODES; i++)
            n += (size_t)sprintf(text + n, "\tn%d=%d/%d/%x", (i + l) % NODES, i, l, i * l);
        text[n++] = '\n';
    }
    ck_assert_uint_eq(assert_read_ahead_same(put_file("wide.trace", text, n), ptrs, NODES, 1),
                      WIDE);
    free(text);
}
END_TEST

START_TEST(read_ahead_stops)
{
    size_t len;
    char *text = sample_trace(20000, &len);
    const char *path = put_file("s.trace", text, len);
    free(text);
    /* Closed early: with the thread filling, waiting, or not yet begun. */
    for (int reads = 0; reads < 3000; reads += 1499) {
        fx_trace_reader *r = open_ok(path);
        ck_assert_int_eq(fx_trace_read_ahead(r, 1), 1);
        fx_trace_rec rec;
        fx_err e = {0};
        for (int i = 0; i < reads; i++)
            ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
        fx_trace_close(r);
    }

    /* Nothing to read ahead: a trace of headers only. */
    static const char headers[] = H "#service s\n# c\n";
    fx_trace_reader *r = open_ok(put_file("h.trace", headers, sizeof headers - 1));
    ck_assert_int_eq(fx_trace_read_ahead(r, 1), 0);
    fx_trace_close(r);

    uint64_t ref_hash;
    /* A FIFO is read in the caller's thread, with the same requests. */
    const char *fifo = in_dir("f.fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    static const char two[] = H "1\ta\tparse=1\n2\tb\n";
    pid_t pid = fifo_writer(fifo, two, sizeof two - 1, 6);
    r = open_ok(fifo);
    ck_assert_int_eq(fx_trace_read_ahead(r, 1), 0);
    fx_trace_rec rec;
    fx_err e = {0};
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_str_eq(rec.key, "a");
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 1);
    ck_assert_str_eq(rec.key, "b");
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 0);
    fx_trace_close(r);
    writer_done(pid);

    /* By reference without reading ahead: line by line, as fx_trace_next. */
    r = open_ok(put_file("two.trace", two, sizeof two - 1));
    const fx_trace_rec *ref = NULL;
    ck_assert_int_eq(fx_trace_next_ref(r, &ref, &e), 1);
    ck_assert_str_eq(ref->key, "a");
    ck_assert_uint_eq(ref->nfields, 1);
    ck_assert_uint_eq(ref->line, 2);
    ck_assert_int_eq(fx_trace_next_ref(r, &ref, &e), 1);
    ck_assert_str_eq(ref->key, "b");
    ck_assert_int_eq(fx_trace_next_ref(r, &ref, &e), 0);
    ck_assert_int_eq(fx_trace_peek_hash(r, 1, &ref_hash), 0);
    fx_trace_close(r);
}
END_TEST

TCase *fx_tcase_trace_reader(void)
{
    TCase *tc = tcase_create("trace_reader");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_add_test(tc, design_example);
    tcase_add_test(tc, optional_parts);
    tcase_add_test(tc, headers_only);
    tcase_add_test(tc, gzip_reads_as_plain);
    tcase_add_test(tc, truncated_gzip);
    tcase_add_test(tc, corrupt_gzip);
    tcase_add_loop_test(tc, bad_input, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, nul_byte);
    tcase_add_test(tc, key_limit);
    tcase_add_test(tc, line_limit);
    tcase_add_test(tc, many_nodes);
    tcase_add_test(tc, bad_node_names);
    tcase_add_test(tc, unreadable);
    tcase_add_test(tc, big_trace);
    tcase_add_test(tc, fast_paths);
    tcase_add_test(tc, lines_in_pieces);
    tcase_add_test(tc, read_ahead_same);
    tcase_add_test(tc, read_ahead_full_blocks);
    tcase_add_test(tc, read_ahead_stops);
    return tc;
}

/* ---- writing -------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return text;
}

static fx_trace_writer *writer_ok(const char *path)
{
    fx_trace_writer *w = NULL;
    fx_err e = {0};
    fx_status st = fx_trace_writer_open(path, "weather", nodes, NNODES, &w, &e);
    ck_assert_msg(st == FX_OK, "%s", e.msg);
    return w;
}

static fx_trace_rec make_rec(fx_time t, const char *key, const fx_trace_field *f, size_t nf)
{
    return (fx_trace_rec){.t = t, .key = key, .key_len = strlen(key), .fields = f, .nfields = nf};
}

START_TEST(writes_the_format)
{
    const char *path = in_dir("w.trace");
    fx_trace_writer *w = writer_ok(path);
    fx_err e = {0};
    fx_trace_field f[] = {
        {.node = 0,
         .service = 120 * FX_US,
         .has_bytes = 1,
         .bytes = 64,
         .has_hash = 1,
         .hash = 0x8f3a},
        {.node = 1,
         .service = 850 * FX_US,
         .has_bytes = 1,
         .bytes = 128,
         .has_hash = 1,
         .hash = 0x1b2c},
        {.node = 2,
         .service = 45000 * FX_US,
         .has_bytes = 1,
         .bytes = 2048,
         .has_hash = 1,
         .hash = 0x77aa},
        {.node = 3,
         .service = 3000 * FX_US,
         .has_bytes = 1,
         .bytes = 10240,
         .has_hash = 1,
         .hash = 0xcc01},
    };
    fx_trace_rec rec = make_rec(1000 * FX_US, "94110", f, 4);
    ck_assert_int_eq(fx_trace_write(w, &rec, &e), FX_OK);

    fx_trace_field g[] = {
        {.node = 3, .service = 120500},
        {.node = 0, .service = 1, .has_hash = 1, .hash = 0},
        {.node = 1, .service = 10, .has_bytes = 1, .bytes = 0},
        {.node = 2, .service = 0, .has_bytes = 1, .bytes = 7, .has_hash = 1, .hash = UINT64_MAX},
    };
    rec = make_rec(1000 * FX_US + 999, "k", g, 4); /* sub-microsecond: rounded down */
    ck_assert_int_eq(fx_trace_write(w, &rec, &e), FX_OK);
    rec = make_rec(2000 * FX_US, "z", NULL, 0);
    ck_assert_int_eq(fx_trace_write(w, &rec, &e), FX_OK);
    ck_assert_int_eq(fx_trace_writer_close(w, 0, &e), FX_OK);

    size_t len;
    char *text = slurp(path, &len);
    ck_assert_str_eq(text, EXAMPLE "1000\tk\trender=120.5\tparse=0.001//0\tgeocode=0.01/0\t"
                                   "forecast=0/7/ffffffffffffffff\n"
                                   "2000\tz\n");
    free(text);
    ck_assert_uint_eq(dir_entries(), 1);
}
END_TEST

START_TEST(file_mode)
{
    mode_t old = umask(027);
    const char *path = in_dir("m.trace.gz");
    fx_trace_writer *w = writer_ok(path);
    ck_assert_int_eq(fx_trace_writer_close(w, 0, NULL), FX_OK);
    umask(old);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 0777, 0640);
}
END_TEST

/* Random records: fixed seed, every combination of optional parts, fields
 * in random order, keys up to the limit. */
static void random_trace(const char *path, fx_trace_rec *recs, fx_trace_field *fields,
                         char (*keys)[FX_TRACE_KEY_MAX + 1], size_t n)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-_.:/=#\xc3\xa9";
    fx_pcg32 g;
    fx_pcg32_seed(&g, 2024, 7);
    fx_time t = 0;
    for (size_t i = 0; i < n; i++) {
        t += (fx_time)fx_pcg32_bounded(&g, 5000) * FX_US;
        size_t klen =
            fx_pcg32_bounded(&g, 50) == 0 ? FX_TRACE_KEY_MAX : 1 + fx_pcg32_bounded(&g, 30);
        for (size_t j = 0; j < klen; j++)
            keys[i][j] = alphabet[fx_pcg32_bounded(&g, sizeof alphabet - 1)];
        keys[i][klen] = '\0';
        fx_trace_field *f = &fields[i * NNODES];
        uint32_t order[NNODES] = {0, 1, 2, 3};
        for (uint32_t j = NNODES - 1; j > 0; j--) {
            uint32_t k = fx_pcg32_bounded(&g, j + 1), tmp = order[j];
            order[j] = order[k];
            order[k] = tmp;
        }
        size_t nf = fx_pcg32_bounded(&g, NNODES + 1);
        uint64_t sum = 0; /* a line's service times sum to at most 2^62 ns */
        for (size_t j = 0; j < nf; j++) {
            uint64_t wide = ((uint64_t)fx_pcg32_next(&g) << 32) | fx_pcg32_next(&g);
            f[j] = (fx_trace_field){
                .node = order[j],
                .service = (fx_time)(fx_pcg32_bounded(&g, 3) == 0 ? wide >> 2 : fx_pcg32_next(&g)),
                .has_bytes = (uint8_t)fx_pcg32_bounded(&g, 2),
                .has_hash = (uint8_t)fx_pcg32_bounded(&g, 2),
            };
            if ((uint64_t)f[j].service > ((uint64_t)1 << 62) - sum)
                f[j].service = (fx_time)(((uint64_t)1 << 62) - sum);
            sum += (uint64_t)f[j].service;
            if (f[j].has_bytes)
                f[j].bytes = fx_pcg32_bounded(&g, 2) ? fx_pcg32_next(&g) : wide >> 2;
            if (f[j].has_hash)
                f[j].hash = fx_pcg32_bounded(&g, 4) == 0 ? fx_pcg32_bounded(&g, 16) : wide;
        }
        recs[i] = make_rec(t, keys[i], f, nf);
    }
    fx_trace_writer *w = writer_ok(path);
    fx_err e = {0};
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fx_trace_write(w, &recs[i], &e) == FX_OK, "%s", e.msg);
    ck_assert_msg(fx_trace_writer_close(w, 0, &e) == FX_OK, "%s", e.msg);
}

static void assert_reads_back(const char *path, const fx_trace_rec *recs, size_t n)
{
    fx_trace_reader *r = open_ok(path);
    ck_assert_str_eq(fx_trace_service(r), "weather");
    fx_trace_rec rec;
    fx_err e = {0};
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(fx_trace_next(r, &rec, &e) == 1, "record %zu: %s", i, e.msg);
        ck_assert_int_eq(rec.t, recs[i].t);
        ck_assert_str_eq(rec.key, recs[i].key);
        ck_assert_uint_eq(rec.key_len, recs[i].key_len);
        ck_assert_uint_eq(rec.key_hash, fx_hash_str(recs[i].key));
        ck_assert_uint_eq(rec.nfields, recs[i].nfields);
        for (size_t j = 0; j < rec.nfields; j++) {
            const fx_trace_field *a = &rec.fields[j], *b = &recs[i].fields[j];
            assert_field(a, b->node, b->service, b->has_bytes, b->bytes, b->has_hash, b->hash);
        }
    }
    ck_assert_int_eq(fx_trace_next(r, &rec, &e), 0);
    fx_trace_close(r);
}

START_TEST(round_trip)
{
    enum { N = 3000 };
    fx_trace_rec *recs = malloc(N * sizeof *recs);
    fx_trace_field *fields = malloc(N * NNODES * sizeof *fields);
    char(*keys)[FX_TRACE_KEY_MAX + 1] = malloc(N * sizeof *keys);
    ck_assert(recs && fields && keys);

    const char *plain = in_dir("r.trace"), *gz = in_dir("r.trace.gz");
    random_trace(plain, recs, fields, keys, N);
    assert_reads_back(plain, recs, N);
    random_trace(gz, recs, fields, keys, N);
    assert_reads_back(gz, recs, N);

    /* The .gz file is gzip, the other is text. */
    size_t len;
    char *text = slurp(gz, &len);
    ck_assert((unsigned char)text[0] == 0x1f && (unsigned char)text[1] == 0x8b);
    free(text);
    text = slurp(plain, &len);
    ck_assert(strncmp(text, "#fluxotrace 1\n#service weather\n# t_us", 36) == 0);
    free(text);
    ck_assert_uint_eq(dir_entries(), 2);
    free(recs);
    free(fields);
    free(keys);
}
END_TEST

START_TEST(abandon_leaves_nothing)
{
    const char *path = in_dir("a.trace.gz");
    fx_trace_writer *w = writer_ok(path);
    fx_trace_rec rec = make_rec(0, "k", NULL, 0);
    for (int i = 0; i < 100000; i++) /* more than one buffer */
        ck_assert_int_eq(fx_trace_write(w, &rec, NULL), FX_OK);
    ck_assert_int_eq(dir_entries(), 1); /* the temporary file */
    ck_assert_int_eq(fx_trace_writer_close(w, 1, NULL), FX_OK);
    ck_assert_uint_eq(dir_entries(), 0);

    /* An existing file is left as it was. */
    const char *old = put_file("a.trace", "old", 3);
    w = writer_ok(old);
    ck_assert_int_eq(fx_trace_write(w, &rec, NULL), FX_OK);
    ck_assert_int_eq(fx_trace_writer_close(w, 1, NULL), FX_OK);
    size_t len;
    char *text = slurp(old, &len);
    ck_assert_str_eq(text, "old");
    free(text);
    ck_assert_uint_eq(dir_entries(), 1);
    ck_assert_int_eq(fx_trace_writer_close(NULL, 0, NULL), FX_OK);
}
END_TEST

/* Write GOOD then BAD to a fresh writer: BAD is refused with FRAGMENT, and
 * closing writes nothing. */
static void assert_refused(const fx_trace_rec *good, const fx_trace_rec *bad, const char *fragment)
{
    const char *path = in_dir("x.trace");
    fx_trace_writer *w = writer_ok(path);
    fx_err e = {0};
    if (good)
        ck_assert_int_eq(fx_trace_write(w, good, &e), FX_OK);
    ck_assert_int_eq(fx_trace_write(w, bad, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, fragment) != NULL, "expected \"%s\" in \"%s\"", fragment, e.msg);
    /* Later writes fail too, and close leaves nothing. */
    fx_trace_rec fine = make_rec(good ? good->t : 0, "k", NULL, 0);
    ck_assert_int_eq(fx_trace_write(w, &fine, NULL), FX_EINVAL);
    fx_err c = {0};
    ck_assert_int_eq(fx_trace_writer_close(w, 0, &c), FX_EINVAL);
    ck_assert_msg(strstr(c.msg, fragment) != NULL, "%s", c.msg);
    ck_assert_msg(strstr(c.msg, "nothing was written") != NULL, "%s", c.msg);
    ck_assert_uint_eq(dir_entries(), 0);
}

START_TEST(writer_refuses)
{
    fx_trace_rec good = make_rec(5000, "k", NULL, 0);
    fx_trace_rec bad = make_rec(4999, "k", NULL, 0);
    assert_refused(&good, &bad,
                   "record 2: expected a time >= 5000 ns (the previous record's), "
                   "found 4999");
    bad = make_rec(-1, "k", NULL, 0);
    assert_refused(NULL, &bad, "record 1: expected a time from 0 to 2^62 ns, found -1");
    bad = make_rec(0, "", NULL, 0);
    assert_refused(NULL, &bad, "expected a key, found an empty one");
    bad.key = NULL;
    assert_refused(NULL, &bad, "expected a key, found an empty one");
    bad = make_rec(0, "a b", NULL, 0);
    assert_refused(NULL, &bad,
                   "expected a key without blanks or control characters, found "
                   "\"a b\"");
    bad = make_rec(0, "a\tb", NULL, 0);
    assert_refused(NULL, &bad, "expected a key without blanks");
    bad = make_rec(0, "a\nb", NULL, 0);
    assert_refused(NULL, &bad, "expected a key without blanks");
    char long_key[FX_TRACE_KEY_MAX + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    bad = make_rec(0, long_key, NULL, 0);
    assert_refused(NULL, &bad, "expected a key of at most 1024 bytes, found 1025 bytes");

    fx_trace_field f[2] = {{.node = 1, .service = 5}, {.node = 1, .service = 6}};
    bad = make_rec(0, "k", f, 2);
    assert_refused(NULL, &bad, "expected each node at most once, found \"geocode\" twice");
    f[1].node = 4;
    assert_refused(NULL, &bad, "expected a node index below 4, found 4");
    f[1].node = 2;
    f[1].service = -1;
    assert_refused(NULL, &bad, "expected a service time from 0 to 2^62 ns for \"forecast\"");
    f[1].service = 1;
    f[1].has_bytes = 1;
    f[1].bytes = ((uint64_t)1 << 62) + 1;
    assert_refused(NULL, &bad, "expected an output size of at most 2^62 bytes");
    /* Each within 2^62 ns, together past it: the reader would refuse it. */
    f[1].has_bytes = 0;
    f[0].service = (fx_time)1 << 61;
    f[1].service = ((fx_time)1 << 61) + 1;
    assert_refused(NULL, &bad,
                   "expected the service times of one record to sum to at most 2^62 ns, found "
                   "more by \"forecast\"");
}
END_TEST

START_TEST(writer_bad_places)
{
    fx_trace_writer *w = NULL;
    fx_err e = {0};
    const char *path = in_dir("no/such/folder/t.trace");
    ck_assert_int_eq(fx_trace_writer_open(path, "s", nodes, NNODES, &w, &e), FX_EIO);
    ck_assert_ptr_null(w);
    ck_assert_msg(strstr(e.msg, "cannot create") != NULL, "%s", e.msg);
    ck_assert_uint_eq(dir_entries(), 0);

    ck_assert_int_eq(fx_trace_writer_open(dir, "s", nodes, NNODES, &w, &e), FX_EIO);
    ck_assert_msg(strstr(e.msg, "expected a file name, found a directory") != NULL, "%s", e.msg);

    /* Names the reader could not take back. */
    static const char *const eq[] = {"a=b"};
    static const char *const empty[] = {""};
    static const char *const twice[] = {"a", "b", "a"};
    path = in_dir("t.trace");
    ck_assert_int_eq(fx_trace_writer_open(path, "s", eq, 1, &w, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "expected node names without blanks or '='") != NULL, "%s", e.msg);
    ck_assert_int_eq(fx_trace_writer_open(path, "s", empty, 1, &w, &e), FX_EINVAL);
    ck_assert_int_eq(fx_trace_writer_open(path, "s", twice, 3, &w, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "expected distinct node names, found \"a\" twice") != NULL, "%s",
                  e.msg);
    ck_assert_int_eq(fx_trace_writer_open(path, "my service", nodes, NNODES, &w, &e), FX_EINVAL);
    ck_assert_msg(strstr(e.msg, "expected a service name without blanks") != NULL, "%s", e.msg);
    ck_assert_uint_eq(dir_entries(), 0);

    /* No service name: no "#service" header. */
    ck_assert_int_eq(fx_trace_writer_open(path, NULL, nodes, NNODES, &w, &e), FX_OK);
    ck_assert_int_eq(fx_trace_writer_close(w, 0, &e), FX_OK);
    fx_trace_reader *r = open_ok(path);
    ck_assert_ptr_null(fx_trace_service(r));
    fx_trace_close(r);
}
END_TEST

TCase *fx_tcase_trace_writer(void)
{
    TCase *tc = tcase_create("trace_writer");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_add_test(tc, writes_the_format);
    tcase_add_test(tc, file_mode);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, abandon_leaves_nothing);
    tcase_add_test(tc, writer_refuses);
    tcase_add_test(tc, writer_bad_places);
    return tc;
}
