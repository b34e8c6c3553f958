/* text.h - how fluxosim writes numbers and CSV fields.
 *
 * A number is written with the fewest significant digits, 15 to 17, that
 * read back as the same double: short where that loses nothing ("0.1",
 * "2.5"), exact always, so a result written and read again is the result.
 * A CSV field is quoted, with quotes doubled, when it holds a comma, a
 * quote or a line break (RFC 4180).
 */
#ifndef FX_TEXT_H
#define FX_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* X into BUF as described above; returns BUF. */
const char *fx_text_number(double x, char *buf, size_t len);

/* S to F as one CSV field. */
void fx_text_csv_field(FILE *f, const char *s);

#endif
