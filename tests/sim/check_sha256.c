#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/sha256.h"
#include "tests/check.h"

static const char *digest_of(const void *data, size_t len, size_t chunk, char hex[FX_SHA256_HEX])
{
    fx_sha256 s;
    uint8_t d[FX_SHA256_BYTES];
    fx_sha256_init(&s);
    const char *p = data;
    for (size_t off = 0; off < len; off += chunk)
        fx_sha256_update(&s, p + off, len - off < chunk ? len - off : chunk);
    fx_sha256_final(&s, d);
    return fx_sha256_hex(d, hex);
}

/* The examples of FIPS 180-4 (NIST's "SHA256.pdf" and "SHA2_Additional"). */
START_TEST(standard_examples)
{
    char hex[FX_SHA256_HEX];
    ck_assert_str_eq(digest_of("", 0, 1, hex),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_str_eq(digest_of("abc", 3, 3, hex),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ck_assert_str_eq(digest_of(two, strlen(two), 64, hex),
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *a = malloc(1000000);
    ck_assert_ptr_nonnull(a);
    memset(a, 'a', 1000000);
    ck_assert_str_eq(digest_of(a, 1000000, 1000000, hex),
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}
END_TEST

/* Any way of cutting the input gives the same digest, across the padding
 * boundaries (55, 56, 63, 64 bytes). */
START_TEST(chunking_does_not_matter)
{
    unsigned char buf[300];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    size_t lens[] = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 300};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        char whole[FX_SHA256_HEX], cut[FX_SHA256_HEX];
        digest_of(buf, lens[k], lens[k] ? lens[k] : 1, whole);
        for (size_t chunk = 1; chunk <= 65; chunk += 8)
            ck_assert_str_eq(digest_of(buf, lens[k], chunk, cut), whole);
    }
}
END_TEST

START_TEST(files)
{
    char path[] = "/tmp/fx_sha256_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "abc", 3), 3);
    close(fd);
    char hex[FX_SHA256_HEX];
    fx_err e;
    ck_assert_int_eq(fx_sha256_file(path, hex, &e), FX_OK);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    unlink(path);
    ck_assert_int_eq(fx_sha256_file(path, hex, &e), FX_EIO);
    ck_assert_ptr_nonnull(strstr(e.msg, path));
}
END_TEST

TCase *fx_tcase_sha256(void)
{
    TCase *tc = tcase_create("sha256");
    tcase_add_test(tc, standard_examples);
    tcase_add_test(tc, chunking_does_not_matter);
    tcase_add_test(tc, files);
    return tc;
}
