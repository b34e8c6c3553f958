/* time.h - simulation time.
 *
 * Simulation time is a signed 64-bit count of nanoseconds (about 292 years).
 * Durations in files and on the command line carry a unit: "250ns", "10us",
 * "5ms", "1.5s", "2min", "1h".
 */
#ifndef FX_TIME_H
#define FX_TIME_H

#include <stdint.h>

#include "sim/error.h"

typedef int64_t fx_time;

#define FX_NS       ((fx_time)1)
#define FX_US       ((fx_time)1000)
#define FX_MS       ((fx_time)1000000)
#define FX_SEC      ((fx_time)1000000000)
#define FX_TIME_MAX INT64_MAX

/* Parse a non-negative duration with a unit at S. On success stores the value
 * in nanoseconds (as a double, so that fractions of a nanosecond survive in
 * means) and the first unparsed character in *END (when END is not NULL).
 * Without END the whole string must be consumed. */
fx_status fx_duration_parse(const char *s, const char **end, double *ns, fx_err *e);

/* Format NS nanoseconds with the unit that reads best, into BUF. */
const char *fx_duration_format(double ns, char *buf, size_t len);

#endif
