/* import_registry.c - every import format, in the order `fluxosim list
 * formats` shows them. Adding a format: one file exporting its table (see
 * import_format.h), one declaration and one line here. */
#include <stddef.h>

#include "traces/import_format.h"

extern const fx_import_format fx_import_clf;
extern const fx_import_format fx_import_combined;
extern const fx_import_format fx_import_csv;
extern const fx_import_format fx_import_oracle_general;

const fx_import_format *const fx_import_formats[] = {
    &fx_import_clf,            /* import_clf.c */
    &fx_import_combined,       /* import_clf.c */
    &fx_import_csv,            /* import_csv.c */
    &fx_import_oracle_general, /* import_oracle.c */
    NULL,
};
