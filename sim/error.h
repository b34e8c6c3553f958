/* error.h - status codes and error reports of libfluxo.
 *
 * Library functions never print and never exit. A function that can fail
 * returns an fx_status and, when given a non-NULL fx_err, fills it with one
 * line saying where the problem is (FILE:LINE or FILE: json.path), what was
 * expected and what was found. The command prefixes "fluxosim: error: ".
 */
#ifndef FX_ERROR_H
#define FX_ERROR_H

#include <stddef.h>

typedef enum fx_status {
    FX_OK = 0,
    FX_EINVAL = 1, /* invalid input: a bad spec, file content, or argument */
    FX_EIO = 2,    /* a file could not be read or written */
    FX_ENOMEM = 3, /* an allocation failed */
    FX_ELIMIT = 4  /* a documented limit was exceeded */
} fx_status;

#define FX_ERR_MAX 512

typedef struct fx_err {
    fx_status code;
    char msg[FX_ERR_MAX];
} fx_err;

/* Record an error (printf-style) in E when E is not NULL; returns CODE. */
fx_status fx_err_set(fx_err *e, fx_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message already in E with "PREFIX: " (for example a file name). */
void fx_err_prefix(fx_err *e, const char *prefix);

/* Clear E to FX_OK with an empty message. */
void fx_err_clear(fx_err *e);

#endif
