/* output.h - writing results without ever leaving a partial file.
 *
 * A result is built in memory, written to a temporary file in the folder of
 * its destination, flushed, and renamed over the destination: a reader sees
 * the old file or the whole new one, never half of it, and a failed run
 * leaves nothing behind.
 */
#ifndef FX_CLI_OUTPUT_H
#define FX_CLI_OUTPUT_H

#include <stddef.h>

#include "sim/error.h"

/* Write LEN bytes of TEXT to PATH atomically; NULL or "-" means stdout. */
fx_status fx_output_write(const char *path, const char *text, size_t len, fx_err *e);

#endif
