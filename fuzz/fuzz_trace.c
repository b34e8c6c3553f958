/* fuzz_trace.c - libFuzzer harness for the trace reader (traces/reader.c).
 *
 * The input is written to a file and read with fx_trace_open and
 * fx_trace_next against the weather service's node names, to the end or the
 * first error. Two first bytes select a compressed input instead: 'Z' gzips
 * the rest, 'z' gzips it and cuts the stream short, so the text parser is
 * also reached through zlib and a damaged stream is exercised.
 *
 * Checked, besides memory safety and leaks: every request the reader returns
 * keeps the format's promises (times never go back, keys of 1 to
 * FX_TRACE_KEY_MAX bytes without blanks, known nodes at most once, values
 * within 2^62); the reader keeps returning its last answer after the end or
 * an error; every error is one line that names the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fuzz_common.h"
#include "traces/trace.h"

static const char *const nodes[] = {"parse", "geocode", "forecast", "render", "log"};
#define NNODES (sizeof nodes / sizeof nodes[0])

#define VALUE_MAX ((uint64_t)1 << 62)

static char path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_dir();
    fuzz_path("in.trace", path, sizeof path);
    return 0;
}

/* DATA gzip-compressed into a new buffer (*LEN bytes), or NULL. */
static unsigned char *gzip_bytes(const uint8_t *data, size_t size, size_t *len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)size) + 32;
    unsigned char *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)size;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *len = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static void check_record(const fx_trace_rec *rec, fx_time prev, uint64_t prev_line)
{
    if (rec->t < prev)
        fuzz_fail("a request earlier than the one before it", rec->key);
    if (rec->t < 0 || (uint64_t)rec->t > VALUE_MAX)
        fuzz_fail("an arrival time beyond 2^62 ns", rec->key);
    if (rec->line <= prev_line)
        fuzz_fail("line numbers that do not increase", rec->key);
    if (rec->key_len == 0 || rec->key_len > FX_TRACE_KEY_MAX || strlen(rec->key) != rec->key_len)
        fuzz_fail("a key of the wrong length", rec->key);
    for (size_t i = 0; i < rec->key_len; i++) {
        unsigned char c = (unsigned char)rec->key[i];
        if (c <= 0x20 || c == 0x7f)
            fuzz_fail("a key with a blank or control character", rec->key);
    }
    if (rec->nfields > NNODES)
        fuzz_fail("more fields than nodes", rec->key);
    unsigned seen = 0;
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_trace_field *f = &rec->fields[i];
        if (f->node >= NNODES || (seen & (1u << f->node)))
            fuzz_fail("an unknown node, or a node twice on a line", rec->key);
        seen |= 1u << f->node;
        if (f->service < 0 || (uint64_t)f->service > VALUE_MAX || f->bytes > VALUE_MAX)
            fuzz_fail("a service time or size beyond 2^62", rec->key);
        if ((!f->has_bytes && f->bytes) || (!f->has_hash && f->hash))
            fuzz_fail("a value for an absent size or hash", rec->key);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *packed = NULL;
    if (size > 0 && (data[0] == 'Z' || data[0] == 'z')) {
        size_t len;
        packed = gzip_bytes(data + 1, size - 1, &len);
        if (!packed)
            return 0;
        if (data[0] == 'z')
            len = len / 2; /* cut inside the stream (or its trailer) */
        fuzz_write(path, packed, len);
        free(packed);
    } else {
        fuzz_write(path, data, size);
    }

    fx_trace_reader *r = NULL;
    fx_err e;
    fx_err_clear(&e);
    fx_status st = fx_trace_open(path, nodes, NNODES, &r, &e);
    if (st != FX_OK) {
        if (r)
            fuzz_fail("fx_trace_open failed but returned a reader", e.msg);
        fuzz_check_error(st, &e, path);
        return 0;
    }
    const char *svc = fx_trace_service(r);
    if (svc && (!*svc || strpbrk(svc, " \t\n\r")))
        fuzz_fail("a #service name that is empty or has blanks", svc);
    if (strcmp(fx_trace_path(r), path) != 0)
        fuzz_fail("fx_trace_path differs from the path opened", fx_trace_path(r));

    fx_trace_rec rec;
    fx_time prev = 0;
    uint64_t prev_line = 0;
    int got;
    fx_err_clear(&e);
    while ((got = fx_trace_next(r, &rec, &e)) > 0) {
        check_record(&rec, prev, prev_line);
        prev = rec.t;
        prev_line = rec.line;
    }
    if (got < 0) {
        fuzz_check_error(e.code, &e, path);
        /* A line number, "PATH:LINE: ...", or the file as a whole. */
        const char *rest = e.msg + strlen(path);
        if (rest[0] != ':' || (rest[1] != ' ' && (rest[1] < '0' || rest[1] > '9')))
            fuzz_fail("a trace error without \"PATH: \" or \"PATH:LINE: \"", e.msg);
    }
    fx_err again;
    fx_err_clear(&again);
    if (fx_trace_next(r, &rec, &again) != got || (got < 0 && strcmp(again.msg, e.msg) != 0))
        fuzz_fail("the reader changed its answer after the end or an error", again.msg);
    fx_trace_close(r);
    return 0;
}
