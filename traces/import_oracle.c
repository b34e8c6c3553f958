/* import_oracle.c - the "oracleGeneral" binary format of cache-trace
 * studies (libCacheSim and the traces published with it).
 *
 * The input is a sequence of 24-byte records, little-endian, packed:
 *
 *   offset 0   uint32  time         seconds
 *   offset 4   uint64  id           the object
 *   offset 12  uint32  size         bytes
 *   offset 16  int64   next_access  index of the next request (not used)
 *
 * Each record is a request for object id (the key, in decimal) of size
 * bytes, at a time of one-second resolution: the driver spreads each
 * second's requests over it. The records are decoded byte by byte, so the
 * host's byte order does not matter. A last record cut short is skipped
 * ("truncated record"), or an error with strict. zstd-compressed traces
 * (.zst) must be decompressed first: zstd -dc FILE.zst | fluxosim trace
 * import --format oracle-general - ...
 */
#include <stdint.h>
#include <string.h>

#include "traces/import_format.h"

#define RECORD_SIZE 24

typedef struct oracle_state {
    char key[24]; /* the id in decimal */
} oracle_state;

static fx_status init(void *state, const fx_import_opts *o, fx_import_shape *shape, fx_err *e)
{
    (void)state;
    fx_status st = fx_import_check_options(o, 0, "oracle-general", e);
    if (st != FX_OK)
        return st;
    shape->whole_seconds = 1;
    shape->header = 0;
    return FX_OK;
}

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int parse(void *state, char *rec, size_t len, fx_import_item *it, fx_import_bad *b)
{
    oracle_state *s = state;
    const unsigned char *p = (const unsigned char *)rec;
    (void)len;
    (void)b;
    uint64_t t = le(p, 4);
    uint64_t id = le(p + 4, 8);
    uint64_t size = le(p + 12, 4);
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + id % 10);
        id /= 10;
    } while (id);
    for (int i = 0; i < n; i++)
        s->key[i] = tmp[n - 1 - i];
    s->key[n] = '\0';
    it->t_ns = (int64_t)t * 1000000000LL;
    it->key = s->key;
    it->key_len = (size_t)n;
    it->has_bytes = 1;
    it->bytes = size;
    it->has_service = 0;
    return 1;
}

const fx_import_format fx_import_oracle_general = {
    .name = "oracle-general",
    .summary = "cache-trace binary records: uint32 time, uint64 id, uint32 size, int64 next",
    .unit = "record",
    .record_size = RECORD_SIZE,
    .state_size = sizeof(oracle_state),
    .init = init,
    .header = NULL,
    .parse = parse,
    .fini = NULL,
};
