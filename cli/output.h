/* output.h - writing results without ever leaving a partial file.
 *
 * A result is written to a temporary file in the folder of its destination,
 * flushed, and renamed over the destination: a reader sees the old file or
 * the whole new one, never half of it, and a failed run leaves nothing
 * behind.
 */
#ifndef FX_CLI_OUTPUT_H
#define FX_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "sim/error.h"

/* A file being written: F is where to write. */
typedef struct fx_output {
    FILE *f;
    char *tmp;  /* the temporary name, NULL for stdout */
    char *path; /* the destination */
} fx_output;

/* Start writing PATH ("-" or NULL: stdout). A PATH that exists and is
 * neither a regular file nor a folder (/dev/null, a FIFO, a terminal) is
 * written in place: renaming over it would replace the device. */
fx_status fx_output_open(fx_output *o, const char *path, fx_err *e);

/* Finish: flush, sync and rename into place. On failure nothing is left. */
fx_status fx_output_commit(fx_output *o, fx_err *e);

/* Give up: close and remove the temporary file. Safe after commit. */
void fx_output_abort(fx_output *o);

/* Nonzero when PATH exists and is a device, FIFO or socket. */
int fx_output_is_special(const char *path);

/* Write LEN bytes of TEXT to PATH atomically; NULL or "-" means stdout. */
fx_status fx_output_write(const char *path, const char *text, size_t len, fx_err *e);

/* Read all of PATH into *TEXT (malloc'd, NUL-terminated, *LEN bytes).
 * With MISSING_OK a file that does not exist is not an error: *TEXT is
 * then NULL. */
fx_status fx_input_read(const char *path, int missing_ok, char **text, size_t *len, fx_err *e);

/* Nonzero when PATH names the same file as OTHER (both existing). */
int fx_output_same_file(const char *path, const char *other);

#endif
