/* fuzz_dist.c - libFuzzer harness for distribution specs (sim/dist.c and
 * the durations of sim/time.c).
 *
 * The input up to its first newline (or NUL) is the spec given to
 * fx_dist_parse; the bytes after the newline become the file e.txt, so
 * "empirical:e.txt" reads them as an empirical table. The harness rewrites
 * "empirical:NAME" to the scratch folder and skips (returns -1) a spec
 * whose file name holds a '/': it never reads outside that folder.
 *
 * GSL's error handler is left at its default, which aborts: the library
 * promises to validate every argument before GSL sees it, so a GSL error
 * is a bug (fluxosim turns the handler off and would get a NaN instead).
 *
 * Checked, besides memory safety and leaks: a parsed distribution has a
 * mean >= 0 (infinite only for pareto) and an scv >= 0 or infinite; 64
 * draws lie in [0, 2^62] ns; fx_dist_format gives a spec that parses back
 * to the same family and mean (families other than empirical); every error
 * is one line; fx_dist_free may be called twice.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "fuzz_common.h"
#include "sim/dist.h"
#include "sim/pcg.h"

#define EMPIRICAL "empirical:"
#define DRAW_MAX  ((fx_time)1 << 62)

static char table[512];
static gsl_rng *rng;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_dir();
    fuzz_path("e.txt", table, sizeof table);
    fuzz_write(table, "", 0);
    rng = fx_rng_alloc(1, 54);
    if (!rng)
        abort();
    return 0;
}

/* Relative: "a mean that parses back within a few parts in 10^15". */
static int close_enough(double a, double b)
{
    if (a == b)
        return 1;
    if (!isfinite(a) || !isfinite(b))
        return 0;
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t slen = nl ? (size_t)(nl - data) : size;
    char *spec = malloc(slen + sizeof fuzz_dir + 16);
    if (!spec)
        abort();
    memcpy(spec, data, slen);
    spec[slen] = '\0'; /* a NUL byte in the input ends the spec early */

    size_t pre = strlen(EMPIRICAL);
    if (strncmp(spec, EMPIRICAL, pre) == 0) {
        if (strchr(spec + pre, '/')) {
            free(spec);
            return -1;
        }
        /* "empirical:NAME" -> "empirical:DIR/NAME" (NAME may be empty). */
        size_t rest = strlen(spec + pre);
        size_t dlen = strlen(fuzz_dir);
        memmove(spec + pre + dlen + 1, spec + pre, rest + 1);
        memcpy(spec + pre, fuzz_dir, dlen);
        spec[pre + dlen] = '/';
        if (rest == 0)
            spec[pre] = '\0'; /* keep "empirical:" itself as it was */
        fuzz_write(table, nl ? nl + 1 : data + size, nl ? size - slen - 1 : 0);
    }

    fx_dist d;
    fx_err e;
    fx_status st = fx_dist_parse(spec, &d, &e);
    if (st != FX_OK) {
        fuzz_check_error(st, &e, NULL);
        fx_dist_free(&d);
        free(spec);
        return 0;
    }
    if (!(d.mean >= 0) || (isinf(d.mean) && d.kind != FX_DIST_PARETO))
        fuzz_fail("a distribution with a negative, NaN or infinite mean", spec);
    if (!(d.scv >= 0) && !fuzz_ignored("scv"))
        fuzz_fail("a distribution with a negative or NaN scv", spec);
    if (d.kind == FX_DIST_EMPIRICAL && (d.nvalues == 0 || !d.values))
        fuzz_fail("an empirical distribution without values", spec);

    gsl_rng_set(rng, 1);
    for (int i = 0; i < 64; i++) {
        fx_time x = fx_dist_sample(&d, rng);
        if (x < 0 || x > DRAW_MAX)
            fuzz_fail("a draw outside [0, 2^62] ns", spec);
    }

    char buf[256];
    const char *text = fx_dist_format(&d, buf, sizeof buf);
    if (text != buf || strlen(buf) >= sizeof buf - 1)
        fuzz_fail("fx_dist_format overflowed or cut its text", spec);
    if (d.kind != FX_DIST_EMPIRICAL && !fuzz_ignored("format")) {
        fx_dist back;
        fx_err e2;
        if (fx_dist_parse(buf, &back, &e2) != FX_OK)
            fuzz_fail("fx_dist_format gave a spec that does not parse", e2.msg);
        if (back.kind != d.kind || !close_enough(back.mean, d.mean))
            fuzz_fail("fx_dist_format gave a spec of another family or mean", buf);
        fx_dist_free(&back);
    }
    fx_dist_free(&d);
    fx_dist_free(&d);
    free(spec);
    return 0;
}
