#include "sim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Copy SRC into DST (LEN bytes) with control bytes written as \xNN: a
 * message quotes what the input held (a newline in a spec, an escape
 * sequence in an id), and must stay one line that is safe on a terminal. */
static void escape_controls(char *dst, size_t len, const char *src)
{
    size_t j = 0;
    for (const unsigned char *c = (const unsigned char *)src; *c && j + 1 < len; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            if (j + 5 >= len)
                break;
            snprintf(dst + j, 5, "\\x%02x", *c);
            j += 4;
        } else {
            dst[j++] = (char)*c;
        }
    }
    dst[j] = '\0';
}

fx_status fx_err_set(fx_err *e, fx_status code, const char *fmt, ...)
{
    if (e) {
        char raw[FX_ERR_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        escape_controls(e->msg, sizeof e->msg, raw);
        e->code = code;
    }
    return code;
}

void fx_err_prefix(fx_err *e, const char *prefix)
{
    if (!e || !prefix)
        return;
    char tmp[FX_ERR_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s: ", prefix);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return;
    /* The tail of a long message is cut rather than the location. */
    snprintf(tmp + n, sizeof tmp - (size_t)n, "%.*s", (int)(sizeof tmp - (size_t)n - 1), e->msg);
    escape_controls(e->msg, sizeof e->msg, tmp);
}

void fx_err_clear(fx_err *e)
{
    if (e) {
        e->code = FX_OK;
        e->msg[0] = '\0';
    }
}
