#include "sim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

fx_status fx_err_set(fx_err *e, fx_status code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
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
    memcpy(e->msg, tmp, sizeof tmp);
}

void fx_err_clear(fx_err *e)
{
    if (e) {
        e->code = FX_OK;
        e->msg[0] = '\0';
    }
}
