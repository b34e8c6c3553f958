/* sha256.h - SHA-256 (FIPS 180-4), for checksums of input files.
 *
 * A sweep submitted to a cluster records the SHA-256 of every file it
 * reads, in the format of sha256sum(1), so that a shard that starts later
 * refuses inputs edited in between (models/sweep.h). Written here from the
 * standard and checked against its examples (tests/sim/check_sha256.c).
 *
 *   fx_sha256 h;
 *   fx_sha256_init(&h);
 *   fx_sha256_update(&h, buf, len);   ... as often as needed
 *   fx_sha256_final(&h, digest);      32 bytes
 */
#ifndef FX_SHA256_H
#define FX_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"

#define FX_SHA256_BYTES 32
#define FX_SHA256_HEX   65 /* 64 hex digits and the NUL */

typedef struct fx_sha256 {
    uint32_t h[8];
    uint64_t bytes; /* hashed so far */
    uint8_t block[64];
    size_t fill; /* bytes waiting in BLOCK */
} fx_sha256;

void fx_sha256_init(fx_sha256 *s);
void fx_sha256_update(fx_sha256 *s, const void *data, size_t len);
void fx_sha256_final(fx_sha256 *s, uint8_t digest[FX_SHA256_BYTES]);

/* DIGEST as 64 lower-case hex digits into HEX; returns HEX. */
const char *fx_sha256_hex(const uint8_t digest[FX_SHA256_BYTES], char hex[FX_SHA256_HEX]);

/* The SHA-256 of the file PATH, as hex. Errors: FX_EIO naming PATH. */
fx_status fx_sha256_file(const char *path, char hex[FX_SHA256_HEX], fx_err *e);

#endif
