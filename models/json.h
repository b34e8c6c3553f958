/* json.h - what the JSON loaders share (internal to libfluxo).
 *
 * Only loaders include this header: the engine never sees cJSON. A loader
 * reads a file with fx_json_load, walks the tree with the getters below, and
 * frees the tree before it returns. Every error names the file and the JSON
 * path of the value at fault, what was expected and what was found:
 *
 *   FILE:LINE:COL: invalid JSON near "..."          (syntax)
 *   FILE: pools[2].servers: expected a positive integer, found -1
 *   FILE: pools[0]: unknown key "sever"; expected one of id, nodes, ...
 *   FILE: pools[0]: missing key "servers"
 *   FILE: pools[0]: key "servers" given twice
 *
 * The path is kept in an fx_jpath, a fixed buffer that grows as a loader
 * descends (fx_jpath_key, fx_jpath_index) and is cut back on the way up
 * (fx_jpath_pop). No state lives outside the arguments: loaders may run in
 * many threads at once. (cJSON itself records its last syntax error in a
 * global; nothing here reads it.)
 *
 * Getters take an object and a key. An absent optional key leaves *OUT as the
 * caller set it (its default) and returns FX_OK; fx_json_has tells whether it
 * was there. Keys are matched case-sensitively.
 */
#ifndef FX_JSON_H
#define FX_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sim/dist.h"
#include "sim/error.h"

/* Largest file a loader reads. */
#define FX_JSON_FILE_MAX (64u << 20)

/* Longest JSON path kept; a deeper one is cut and ends in "...". */
#define FX_JSON_PATH_MAX 256

/* Longest id (node, pool), in bytes. */
#define FX_JSON_ID_MAX 128

/* Largest integer a JSON number holds exactly (2^53). */
#define FX_JSON_INT_MAX 9007199254740992ull

/* Where a loader is: the file and the JSON path within it ("" at the top). */
typedef struct fx_jpath {
    const char *file;
    size_t len;
    char buf[FX_JSON_PATH_MAX];
} fx_jpath;

void fx_jpath_init(fx_jpath *p, const char *file);

/* Append ".KEY" (or "KEY" at the top) and "[I]"; each returns the length to
 * give fx_jpath_pop to undo it. */
size_t fx_jpath_key(fx_jpath *p, const char *key);
size_t fx_jpath_index(fx_jpath *p, size_t i);
void fx_jpath_pop(fx_jpath *p, size_t mark);

/* Record "FILE: PATH: MESSAGE" (or "FILE: MESSAGE" at the top) in E. */
fx_status fx_json_err(const fx_jpath *p, fx_err *e, fx_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Put "FILE: PATH: " in front of the message already in E (for one from
 * another module, such as fx_dist_parse); returns the code in E. */
fx_status fx_json_wrap(const fx_jpath *p, fx_err *e, fx_status code);

/* Read and parse FILE: a regular file of at most FX_JSON_FILE_MAX bytes
 * holding exactly one JSON object. The caller frees *OUT with cJSON_Delete.
 * Duplicate keys are not detected here but by fx_json_check_keys. */
fx_status fx_json_load(const char *file, cJSON **out, fx_err *e);

/* What V is, for "found ..." in a message: "-1", "2.5", "\"4\"", "true",
 * "null", "an array", "an object". Strings are quoted, escaped and cut. */
const char *fx_json_describe(const cJSON *v, char *buf, size_t len);

/* S quoted for a message: escaped, and cut with "..." when long. */
const char *fx_json_quote(const char *s, char *buf, size_t len);

/* NAMES joined by ", " into BUF; cut with "..." when they do not fit. */
const char *fx_json_list(const char *const *names, size_t n, char *buf, size_t len);

/* Check that V is an object, that each of its keys is one of ALLOWED
 * (NULL-terminated, at most 64 names), and that no key is given twice.
 * cJSON keeps every copy of a repeated key; the getters see the first. */
fx_status fx_json_check_keys(const cJSON *v, const char *const *allowed, fx_jpath *p, fx_err *e);

/* Member KEY of OBJ, or NULL. */
const cJSON *fx_json_get(const cJSON *obj, const char *key);
bool fx_json_has(const cJSON *obj, const char *key);

/* An error "missing key" when KEY is absent. */
fx_status fx_json_require(const cJSON *obj, const char *key, fx_jpath *p, fx_err *e);

/* A string (not copied: it lives as long as the tree). */
fx_status fx_json_string(const cJSON *obj, const char *key, bool required, fx_jpath *p,
                         const char **out, fx_err *e);

/* An id: 1 to FX_JSON_ID_MAX characters of [A-Za-z0-9_.-]. */
fx_status fx_json_id(const cJSON *obj, const char *key, bool required, fx_jpath *p,
                     const char **out, fx_err *e);
bool fx_json_is_id(const char *s);

fx_status fx_json_bool(const cJSON *obj, const char *key, bool required, fx_jpath *p, int *out,
                       fx_err *e);

/* An integer in [MIN, MAX] (MAX <= FX_JSON_INT_MAX). Below MIN or not an
 * integer: FX_EINVAL; above MAX: FX_ELIMIT. */
fx_status fx_json_uint(const cJSON *obj, const char *key, bool required, uint64_t min, uint64_t max,
                       fx_jpath *p, uint64_t *out, fx_err *e);

/* What a number must be. */
typedef enum fx_json_sign {
    FX_JSON_ANY,      /* finite */
    FX_JSON_NONNEG,   /* finite, >= 0 */
    FX_JSON_POSITIVE, /* finite, > 0 */
} fx_json_sign;

fx_status fx_json_number(const cJSON *obj, const char *key, bool required, fx_json_sign sign,
                         fx_jpath *p, double *out, fx_err *e);

/* One of NAMES (NULL-terminated); *OUT is its index. */
fx_status fx_json_choice(const cJSON *obj, const char *key, bool required, const char *const *names,
                         fx_jpath *p, int *out, fx_err *e);

/* An array of MIN to MAX elements, each called WHAT in messages ("node").
 * More than MAX: FX_ELIMIT. *OUT is NULL when absent. */
fx_status fx_json_array(const cJSON *obj, const char *key, bool required, size_t min, size_t max,
                        const char *what, fx_jpath *p, const cJSON **out, size_t *n, fx_err *e);

/* A distribution spec (sim/dist.h) parsed into *D. A relative FILE in
 * "empirical:FILE" is taken from the directory of the JSON file p->file. */
fx_status fx_json_dist(const cJSON *obj, const char *key, bool required, fx_jpath *p, fx_dist *d,
                       fx_err *e);

/* REL resolved against the directory of FILE (REL itself when absolute or
 * when FILE has no directory), in a new string; NULL when out of memory. */
char *fx_json_resolve(const char *file, const char *rel);

char *fx_json_strdup(const char *s);

/* DOC as indented text ending in a newline, in a new string (NULL when out
 * of memory); DOC is deleted in any case. The one way fluxosim writes a
 * JSON document. */
char *fx_json_print_doc(cJSON *doc);

/* Loaders that build their object from a tree another loader read: a
 * service inline in an architecture file, say. P holds the file and the
 * path of OBJ; relative paths in OBJ are taken from p->file's directory. */
struct fx_service;
struct fx_arch;
fx_status fx_service_from_json(const cJSON *obj, fx_jpath *p, struct fx_service **out, fx_err *e);
fx_status fx_arch_from_json(const cJSON *obj, fx_jpath *p, struct fx_arch **out, fx_err *e);

#endif
