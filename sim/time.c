#include "sim/time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest duration accepted: 2^62 ns, about 146 years. It leaves room
 * to add two durations without overflowing an fx_time. */
#define DURATION_MAX_NS 4611686018427387904.0

#define UNIT_LIST "ns, us, ms, s, min, h"

/* Longest piece of user text quoted in a message. */
#define QUOTE_MAX 64

typedef struct unit {
    const char *name;
    double ns;
} unit;

static const unit units[] = {
    {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"min", 60e9}, {"h", 3600e9},
};

static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the text to quote for a duration at S: all of it when it stands
 * alone (WHOLE), else up to a comma or a blank; at most QUOTE_MAX. */
static int token_len(const char *s, int whole)
{
    size_t n = whole ? strlen(s) : strcspn(s, ", \t\r\n");
    return n > QUOTE_MAX ? QUOTE_MAX : (int)n;
}

static fx_status expected_unit(const char *s, int whole, fx_err *e)
{
    return fx_err_set(e, FX_EINVAL,
                      "expected a duration with a unit (" UNIT_LIST "), found \"%.*s\"",
                      token_len(s, whole), s);
}

fx_status fx_duration_parse(const char *s, const char **end, double *ns, fx_err *e)
{
    int whole = end == NULL;
    if (!s)
        return fx_err_set(e, FX_EINVAL,
                          "expected a duration with a unit (" UNIT_LIST "), found nothing");
    if (*s == '-')
        return fx_err_set(e, FX_EINVAL, "expected a non-negative duration, found \"%.*s\"",
                          token_len(s, whole), s);
    /* strtod alone would also take leading blanks, a sign, "inf", "nan" and
     * hexadecimal; only plain decimal numbers are durations. */
    if (!is_digit(*s) && *s != '.')
        return expected_unit(s, whole, e);
    char *num_end;
    double v = strtod(s, &num_end);
    if (num_end == s)
        return expected_unit(s, whole, e);
    for (const char *c = s; c < num_end; c++) {
        if (!is_digit(*c) && *c != '.' && *c != 'e' && *c != 'E' && *c != '+' && *c != '-')
            return fx_err_set(e, FX_EINVAL,
                              "expected a decimal number before the unit, found \"%.*s\"",
                              token_len(s, whole), s);
    }

    /* The unit is the whole run of letters after the number, so "10msx" is an
     * unknown unit rather than 10 ms followed by "x". */
    const char *u = num_end;
    size_t ulen = 0;
    while (is_letter(u[ulen]))
        ulen++;
    if (ulen == 0)
        return expected_unit(s, whole, e);
    const unit *found = NULL;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) == ulen && memcmp(units[i].name, u, ulen) == 0) {
            found = &units[i];
            break;
        }
    }
    if (!found)
        return fx_err_set(e, FX_EINVAL,
                          "expected a unit (" UNIT_LIST ") after the number, found \"%.*s\" in "
                          "\"%.*s\"",
                          (int)(ulen > QUOTE_MAX ? QUOTE_MAX : ulen), u, token_len(s, whole), s);

    const char *rest = u + ulen;
    if (!end && *rest != '\0')
        return fx_err_set(e, FX_EINVAL,
                          "expected only a duration such as \"10ms\", found \"%.*s\" after it in "
                          "\"%.*s\"",
                          QUOTE_MAX, rest, QUOTE_MAX, s);

    double value = v * found->ns;
    if (!(value <= DURATION_MAX_NS))
        return fx_err_set(e, FX_ELIMIT,
                          "expected a duration of at most 2^62 ns (about 146 years), found "
                          "\"%.*s\"",
                          token_len(s, whole), s);
    if (ns)
        *ns = value;
    if (end)
        *end = rest;
    return FX_OK;
}

const char *fx_duration_format(double ns, char *buf, size_t len)
{
    if (!buf || len == 0)
        return buf;
    if (isnan(ns)) {
        snprintf(buf, len, "nan");
        return buf;
    }
    if (isinf(ns)) {
        snprintf(buf, len, ns > 0 ? "inf" : "-inf");
        return buf;
    }
    double mag = fabs(ns);
    const char *name = "ns";
    double scale = 1.0;
    if (mag >= 1e15) {
        /* Past 15 digits a rounded "1234567.89012346s" may read back above
         * the 2^62 ns limit: whole nanoseconds read back exactly. */
        snprintf(buf, len, "%.0fns", ns);
        return buf;
    }
    if (mag >= 1e9) {
        name = "s";
        scale = 1e9;
    } else if (mag >= 1e6) {
        name = "ms";
        scale = 1e6;
    } else if (mag >= 1e3) {
        name = "us";
        scale = 1e3;
    }
    /* 15 significant digits: short values print short ("1.5ms"), and the
     * text parses back to the same duration up to the last bit or two. */
    /* The fewest digits (15 to 17) whose text parses back to NS exactly, so
     * a format-parse round trip loses nothing. */
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g%s", digits, ns / scale, name);
        double back;
        if (fx_duration_parse(buf, NULL, &back, NULL) == FX_OK && back == ns)
            break;
    }
    return buf;
}
