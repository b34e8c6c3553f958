/* json.c - reading JSON files and checking their values for the loaders. */
#include "models/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Bytes of user text quoted in a message, and of the file around a syntax
 * error. */
#define QUOTE_MAX 60
#define NEAR_MAX  20

/* Most keys an object of a loader may have (one bit each in a mask). */
#define KEYS_MAX 64

/* A bounded string builder: what does not fit is dropped, and noted. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool cut;
} sbuf;

static void sb_init(sbuf *b, char *s, size_t cap)
{
    b->s = s;
    b->len = 0;
    b->cap = cap;
    b->cut = false;
    if (cap)
        s[0] = '\0';
}

/* Room left, keeping the terminating NUL. */
static size_t sb_room(const sbuf *b)
{
    return b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;
}

static bool sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->cut || n > sb_room(b)) {
        b->cut = true;
        return false;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

static bool sb_str(sbuf *b, const char *s)
{
    return sb_put(b, s, strlen(s));
}

void fx_jpath_init(fx_jpath *p, const char *file)
{
    p->file = file;
    p->len = 0;
    p->buf[0] = '\0';
}

static size_t jpath_add(fx_jpath *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static size_t jpath_add(fx_jpath *p, const char *fmt, ...)
{
    size_t mark = p->len;
    size_t room = sizeof p->buf - p->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->buf + p->len, room, fmt, ap);
    va_end(ap);
    if (n < 0) {
        p->buf[p->len] = '\0';
    } else if ((size_t)n >= room) {
        /* Too deep to show: keep the start and mark the cut. */
        p->len = sizeof p->buf - 1;
        memcpy(p->buf + p->len - 3, "...", 3);
        p->buf[p->len] = '\0';
    } else {
        p->len += (size_t)n;
    }
    return mark;
}

size_t fx_jpath_key(fx_jpath *p, const char *key)
{
    return jpath_add(p, "%s%s", p->len ? "." : "", key);
}

size_t fx_jpath_index(fx_jpath *p, size_t i)
{
    return jpath_add(p, "[%zu]", i);
}

void fx_jpath_pop(fx_jpath *p, size_t mark)
{
    if (mark < p->len) {
        p->len = mark;
        p->buf[mark] = '\0';
    }
}

fx_status fx_json_err(const fx_jpath *p, fx_err *e, fx_status code, const char *fmt, ...)
{
    if (!e)
        return code;
    char msg[FX_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->len)
        return fx_err_set(e, code, "%s: %s: %s", p->file, p->buf, msg);
    return fx_err_set(e, code, "%s: %s", p->file, msg);
}

fx_status fx_json_wrap(const fx_jpath *p, fx_err *e, fx_status code)
{
    if (!e)
        return code;
    if (p->len) {
        char where[FX_ERR_MAX];
        snprintf(where, sizeof where, "%s: %s", p->file, p->buf);
        fx_err_prefix(e, where);
    } else {
        fx_err_prefix(e, p->file);
    }
    e->code = code;
    return code;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* "FILE:LINE:COL" of byte OFF of TEXT into BUF. */
static void locate(const char *file, const char *text, size_t off, char *buf, size_t len)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(buf, len, "%s:%zu:%zu", file, line, col);
}

/* The text at OFF, up to the end of its line, quoted. Sets *AT_END when the
 * byte at OFF is the last one written (nothing but blanks follow it). */
static void near_text(const char *text, size_t len, size_t off, char *buf, size_t cap, bool *at_end)
{
    size_t n = 0;
    while (off + n < len && n < NEAR_MAX && text[off + n] != '\n' && text[off + n] != '\r')
        n++;
    char part[NEAR_MAX + 1];
    memcpy(part, text + off, n);
    part[n] = '\0';
    fx_json_quote(part, buf, cap);
    size_t rest = off + 1;
    while (rest < len && is_space(text[rest]))
        rest++;
    *at_end = rest >= len;
}

/* Read all of F (at most FX_JSON_FILE_MAX bytes) into a NUL-terminated buffer. */
static fx_status read_all(const char *file, FILE *f, char **out, size_t *out_len, fx_err *e)
{
    struct stat sb;
    size_t cap = 1 << 16;
    if (fstat(fileno(f), &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return fx_err_set(e, FX_EIO, "%s: expected a file, found a directory", file);
        if (S_ISREG(sb.st_mode) && sb.st_size >= 0 && (uintmax_t)sb.st_size < FX_JSON_FILE_MAX)
            cap = (size_t)sb.st_size + 2;
    }
    char *buf = malloc(cap);
    if (!buf)
        return fx_err_set(e, FX_ENOMEM, "%s: out of memory", file);
    size_t len = 0;
    for (;;) {
        if (len + 1 >= cap) {
            size_t ncap = cap * 2;
            if (ncap > (size_t)FX_JSON_FILE_MAX + 2)
                ncap = (size_t)FX_JSON_FILE_MAX + 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return fx_err_set(e, FX_ENOMEM, "%s: out of memory", file);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (len > FX_JSON_FILE_MAX) {
            free(buf);
            return fx_err_set(e, FX_ELIMIT, "%s: expected at most %u bytes (64 MiB), found more",
                              file, FX_JSON_FILE_MAX);
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int err = errno;
        free(buf);
        return fx_err_set(e, FX_EIO, "%s: cannot read: %s", file, strerror(err));
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return FX_OK;
}

/* What V's type is, for a message about the top level. */
static const char *type_name(const cJSON *v)
{
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    return "an object";
}

/* The offset of the first "\u0000" escape inside a string of the valid
 * JSON TEXT[0..LEN), or LEN: cJSON's strings end at a NUL, so such a
 * string would be read cut short, without a word. */
static size_t escaped_nul(const char *text, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (!in_string) {
            in_string = text[i] == '"';
        } else if (text[i] == '"') {
            in_string = false;
        } else if (text[i] == '\\' && i + 1 < len) {
            if (text[i + 1] == 'u' && i + 5 < len && memcmp(text + i + 2, "0000", 4) == 0)
                return i;
            i++; /* the escaped character */
        }
    }
    return len;
}

static fx_status parse_text(const char *file, const char *text, size_t len, cJSON **out, fx_err *e)
{
    char where[FX_ERR_MAX], near[4 * NEAR_MAX + 8];
    bool at_end;
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        locate(file, text, (size_t)(nul - text), where, sizeof where);
        return fx_err_set(e, FX_EINVAL, "%s: expected JSON text, found a NUL byte", where);
    }
    size_t start = 0;
    while (start < len && is_space(text[start]))
        start++;
    if (start == len)
        return fx_err_set(e, FX_EINVAL, "%s: expected a JSON object, found an empty file", file);

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        if (off >= len)
            off = len - 1;
        /* cJSON stops on the last byte when the text ends too soon: point at
         * the last thing written rather than at trailing blanks. */
        if (off == len - 1)
            while (off > 0 && is_space(text[off]))
                off--;
        locate(file, text, off, where, sizeof where);
        near_text(text, len, off, near, sizeof near, &at_end);
        return fx_err_set(e, FX_EINVAL, "%s: invalid JSON near %s%s", where, near,
                          at_end ? " at the end of the file" : "");
    }
    if (!cJSON_IsObject(root)) {
        fx_status st =
            fx_err_set(e, FX_EINVAL, "%s: expected a JSON object, found %s", file, type_name(root));
        cJSON_Delete(root);
        return st;
    }
    size_t off = end && end >= text ? (size_t)(end - text) : len;
    while (off < len && is_space(text[off]))
        off++;
    if (off < len) {
        locate(file, text, off, where, sizeof where);
        near_text(text, len, off, near, sizeof near, &at_end);
        cJSON_Delete(root);
        return fx_err_set(e, FX_EINVAL,
                          "%s: expected the end of the file after the object, found %s", where,
                          near);
    }
    size_t nul_at = escaped_nul(text, len);
    if (nul_at < len) {
        locate(file, text, nul_at, where, sizeof where);
        cJSON_Delete(root);
        return fx_err_set(e, FX_EINVAL,
                          "%s: expected a string without \"\\u0000\" (a NUL would cut it short), "
                          "found one",
                          where);
    }
    *out = root;
    return FX_OK;
}

fx_status fx_json_load(const char *file, cJSON **out, fx_err *e)
{
    if (!out)
        return fx_err_set(e, FX_EINVAL, "fx_json_load: expected a place for the tree, found NULL");
    *out = NULL;
    if (!file)
        return fx_err_set(e, FX_EINVAL, "fx_json_load: expected a file name, found NULL");
    FILE *f = fopen(file, "rb");
    if (!f)
        return fx_err_set(e, FX_EIO, "%s: cannot open: %s", file, strerror(errno));
    char *buf = NULL;
    size_t len = 0;
    fx_status st = read_all(file, f, &buf, &len, e);
    fclose(f);
    if (st != FX_OK)
        return st;
    /* A UTF-8 byte order mark is not JSON, but editors write it. */
    size_t skip = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    st = parse_text(file, buf + skip, len - skip, out, e);
    free(buf);
    return st;
}

/* Bytes in the UTF-8 sequence that starts with C (1 for anything else). */
static size_t utf8_len(unsigned char c)
{
    if (c >= 0xF0 && c < 0xF8)
        return 4;
    if (c >= 0xE0)
        return c < 0xF0 ? 3 : 1;
    if (c >= 0xC0)
        return 2;
    return 1;
}

const char *fx_json_quote(const char *s, char *buf, size_t len)
{
    sbuf b;
    sb_init(&b, buf, len);
    if (len < 8) {
        if (len)
            buf[0] = '\0';
        return buf;
    }
    sb_str(&b, "\"");
    size_t shown = 0, n = strlen(s);
    bool cut = false;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t k = 1;
        if (c == '"' || c == '\\') {
            snprintf(esc, sizeof esc, "\\%c", c);
        } else if (c == '\n') {
            snprintf(esc, sizeof esc, "\\n");
        } else if (c == '\t') {
            snprintf(esc, sizeof esc, "\\t");
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
        } else {
            k = utf8_len(c);
            if (i + k > n)
                k = n - i;
            memcpy(esc, s + i, k);
            esc[k] = '\0';
        }
        size_t elen = strlen(esc);
        /* Keep room for the closing "..." and quote. */
        if (shown + k > QUOTE_MAX || elen + 4 > sb_room(&b)) {
            cut = true;
            break;
        }
        sb_put(&b, esc, elen);
        shown += k;
        i += k;
    }
    sb_str(&b, cut ? "...\"" : "\"");
    return buf;
}

/* X for a message: integers in full, others to 15 significant digits. */
static void fmt_number(double x, char *buf, size_t len)
{
    if (!isfinite(x))
        snprintf(buf, len, "a number beyond the range of a double");
    else if (x == floor(x) && fabs(x) <= (double)FX_JSON_INT_MAX)
        snprintf(buf, len, "%.0f", x);
    else if (x == floor(x))
        snprintf(buf, len, "%g", x);
    else
        snprintf(buf, len, "%.15g", x);
}

const char *fx_json_describe(const cJSON *v, char *buf, size_t len)
{
    if (!v)
        snprintf(buf, len, "nothing");
    else if (cJSON_IsString(v))
        fx_json_quote(v->valuestring ? v->valuestring : "", buf, len);
    else if (cJSON_IsNumber(v))
        fmt_number(v->valuedouble, buf, len);
    else if (cJSON_IsTrue(v))
        snprintf(buf, len, "true");
    else if (cJSON_IsFalse(v))
        snprintf(buf, len, "false");
    else if (cJSON_IsNull(v))
        snprintf(buf, len, "null");
    else if (cJSON_IsArray(v))
        snprintf(buf, len, "an array");
    else if (cJSON_IsObject(v))
        snprintf(buf, len, "an object");
    else
        snprintf(buf, len, "an invalid value");
    return buf;
}

const char *fx_json_list(const char *const *names, size_t n, char *buf, size_t len)
{
    sbuf b;
    sb_init(&b, buf, len);
    for (size_t i = 0; i < n; i++) {
        const char *sep = i ? ", " : "";
        /* Leave room for ", ..." unless this is the last name. */
        size_t need = strlen(sep) + strlen(names[i]) + (i + 1 < n ? 5 : 0);
        if (need > sb_room(&b)) {
            sb_str(&b, i ? ", ..." : "...");
            break;
        }
        sb_str(&b, sep);
        sb_str(&b, names[i]);
    }
    return buf;
}

/* Room for a described value in a message. */
#define DESC_MAX (4 * QUOTE_MAX + 16)

fx_status fx_json_check_keys(const cJSON *v, const char *const *allowed, fx_jpath *p, fx_err *e)
{
    char found[DESC_MAX];
    if (!cJSON_IsObject(v))
        return fx_json_err(p, e, FX_EINVAL, "expected an object, found %s",
                           fx_json_describe(v, found, sizeof found));
    size_t nallowed = 0;
    while (allowed[nallowed])
        nallowed++;
    uint64_t seen = 0;
    for (const cJSON *c = v->child; c; c = c->next) {
        const char *key = c->string ? c->string : "";
        size_t k = 0;
        while (k < nallowed && k < KEYS_MAX && strcmp(allowed[k], key) != 0)
            k++;
        if (k == nallowed || k == KEYS_MAX) {
            char list[FX_ERR_MAX / 2];
            return fx_json_err(p, e, FX_EINVAL, "unknown key %s; expected one of %s",
                               fx_json_quote(key, found, sizeof found),
                               fx_json_list(allowed, nallowed, list, sizeof list));
        }
        if (seen & ((uint64_t)1 << k))
            return fx_json_err(p, e, FX_EINVAL, "key %s given twice",
                               fx_json_quote(key, found, sizeof found));
        seen |= (uint64_t)1 << k;
    }
    return FX_OK;
}

const cJSON *fx_json_get(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

bool fx_json_has(const cJSON *obj, const char *key)
{
    return fx_json_get(obj, key) != NULL;
}

fx_status fx_json_require(const cJSON *obj, const char *key, fx_jpath *p, fx_err *e)
{
    if (fx_json_has(obj, key))
        return FX_OK;
    return fx_json_err(p, e, FX_EINVAL, "missing key \"%s\"", key);
}

/* Member KEY of OBJ in *V (NULL when absent and optional). */
static fx_status member(const cJSON *obj, const char *key, bool required, fx_jpath *p,
                        const cJSON **v, fx_err *e)
{
    *v = fx_json_get(obj, key);
    if (!*v && required)
        return fx_json_err(p, e, FX_EINVAL, "missing key \"%s\"", key);
    return FX_OK;
}

/* Record "FILE: PATH.KEY: expected WHAT, found V". */
static fx_status found_err(fx_jpath *p, const char *key, fx_err *e, fx_status code,
                           const char *what, const cJSON *v)
{
    char found[DESC_MAX];
    size_t mark = fx_jpath_key(p, key);
    fx_json_err(p, e, code, "expected %s, found %s", what,
                fx_json_describe(v, found, sizeof found));
    fx_jpath_pop(p, mark);
    return code;
}

fx_status fx_json_string(const cJSON *obj, const char *key, bool required, fx_jpath *p,
                         const char **out, fx_err *e)
{
    const cJSON *v;
    fx_status st = member(obj, key, required, p, &v, e);
    if (st != FX_OK || !v)
        return st;
    if (!cJSON_IsString(v) || !v->valuestring)
        return found_err(p, key, e, FX_EINVAL, "a string", v);
    *out = v->valuestring;
    return FX_OK;
}

bool fx_json_is_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > FX_JSON_ID_MAX)
        return false;
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* How an id must look, in messages. */
#define ID_WHAT "an id of 1 to 128 letters, digits, '_', '.' or '-'"

_Static_assert(FX_JSON_ID_MAX == 128, "ID_WHAT states FX_JSON_ID_MAX");

fx_status fx_json_id(const cJSON *obj, const char *key, bool required, fx_jpath *p,
                     const char **out, fx_err *e)
{
    const cJSON *v;
    fx_status st = member(obj, key, required, p, &v, e);
    if (st != FX_OK || !v)
        return st;
    if (!cJSON_IsString(v) || !v->valuestring || !fx_json_is_id(v->valuestring))
        return found_err(p, key, e, FX_EINVAL, ID_WHAT, v);
    *out = v->valuestring;
    return FX_OK;
}

fx_status fx_json_bool(const cJSON *obj, const char *key, bool required, fx_jpath *p, int *out,
                       fx_err *e)
{
    const cJSON *v;
    fx_status st = member(obj, key, required, p, &v, e);
    if (st != FX_OK || !v)
        return st;
    if (!cJSON_IsBool(v))
        return found_err(p, key, e, FX_EINVAL, "true or false", v);
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return FX_OK;
}

fx_status fx_json_uint(const cJSON *obj, const char *key, bool required, uint64_t min, uint64_t max,
                       fx_jpath *p, uint64_t *out, fx_err *e)
{
    const cJSON *v;
    fx_status st = member(obj, key, required, p, &v, e);
    if (st != FX_OK || !v)
        return st;
    char what[64];
    if (min == 0)
        snprintf(what, sizeof what, "a non-negative integer");
    else if (min == 1)
        snprintf(what, sizeof what, "a positive integer");
    else
        snprintf(what, sizeof what, "an integer >= %llu", (unsigned long long)min);
    if (max > FX_JSON_INT_MAX)
        max = FX_JSON_INT_MAX;
    double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!isfinite(x) || x != floor(x) || x < (double)min)
        return found_err(p, key, e, FX_EINVAL, what, v);
    if (x > (double)max) {
        snprintf(what, sizeof what, "at most %llu", (unsigned long long)max);
        return found_err(p, key, e, FX_ELIMIT, what, v);
    }
    *out = (uint64_t)x;
    return FX_OK;
}

fx_status fx_json_number(const cJSON *obj, const char *key, bool required, fx_json_sign sign,
                         fx_jpath *p, double *out, fx_err *e)
{
    const cJSON *v;
    fx_status st = member(obj, key, required, p, &v, e);
    if (st != FX_OK || !v)
        return st;
    const char *what = sign == FX_JSON_POSITIVE ? "a number > 0"
                       : sign == FX_JSON_NONNEG ? "a number >= 0"
                                                : "a finite number";
    double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    bool ok = isfinite(x) && (sign != FX_JSON_NONNEG || x >= 0.0) &&
              (sign != FX_JSON_POSITIVE || x > 0.0);
    if (!ok)
        return found_err(p, key, e, FX_EINVAL, what, v);
    *out = x;
    return FX_OK;
}

fx_status fx_json_choice(const cJSON *obj, const char *key, bool required, const char *const *names,
                         fx_jpath *p, int *out, fx_err *e)
{
    const cJSON *v;
    fx_status st = member(obj, key, required, p, &v, e);
    if (st != FX_OK || !v)
        return st;
    if (cJSON_IsString(v) && v->valuestring) {
        for (int i = 0; names[i]; i++) {
            if (strcmp(names[i], v->valuestring) == 0) {
                *out = i;
                return FX_OK;
            }
        }
    }
    char what[FX_ERR_MAX / 2];
    sbuf b;
    sb_init(&b, what, sizeof what);
    sb_str(&b, "one of ");
    for (int i = 0; names[i]; i++) {
        sb_str(&b, i ? ", \"" : "\"");
        sb_str(&b, names[i]);
        sb_str(&b, "\"");
    }
    return found_err(p, key, e, FX_EINVAL, what, v);
}

fx_status fx_json_array(const cJSON *obj, const char *key, bool required, size_t min, size_t max,
                        const char *what, fx_jpath *p, const cJSON **out, size_t *n, fx_err *e)
{
    *out = NULL;
    *n = 0;
    const cJSON *v;
    fx_status st = member(obj, key, required, p, &v, e);
    if (st != FX_OK || !v)
        return st;
    char exp[128];
    if (!cJSON_IsArray(v)) {
        snprintf(exp, sizeof exp, "an array of %ss", what);
        return found_err(p, key, e, FX_EINVAL, exp, v);
    }
    size_t count = 0;
    for (const cJSON *c = v->child; c; c = c->next)
        count++;
    if (count < min || count > max) {
        size_t mark = fx_jpath_key(p, key);
        if (count > max)
            st = fx_json_err(p, e, FX_ELIMIT, "expected at most %zu %ss, found %zu", max, what,
                             count);
        else if (count == 0)
            st = fx_json_err(p, e, FX_EINVAL, "expected at least %zu %s%s, found none", min, what,
                             min == 1 ? "" : "s");
        else
            st = fx_json_err(p, e, FX_EINVAL, "expected at least %zu %ss, found %zu", min, what,
                             count);
        fx_jpath_pop(p, mark);
        return st;
    }
    *out = v;
    *n = count;
    return FX_OK;
}

char *fx_json_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *fx_json_resolve(const char *file, const char *rel)
{
    const char *slash = strrchr(file, '/');
    if (rel[0] == '/' || !slash)
        return fx_json_strdup(rel);
    size_t dir = (size_t)(slash - file) + 1, n = strlen(rel);
    char *s = malloc(dir + n + 1);
    if (!s)
        return NULL;
    memcpy(s, file, dir);
    memcpy(s + dir, rel, n + 1);
    return s;
}

#define EMPIRICAL "empirical:"

fx_status fx_json_dist(const cJSON *obj, const char *key, bool required, fx_jpath *p, fx_dist *d,
                       fx_err *e)
{
    const cJSON *v;
    fx_status st = member(obj, key, required, p, &v, e);
    if (st != FX_OK || !v)
        return st;
    if (!cJSON_IsString(v) || !v->valuestring)
        return found_err(p, key, e, FX_EINVAL, "a distribution spec such as \"exp:10ms\"", v);
    const char *spec = v->valuestring;
    char *resolved = NULL;
    size_t pre = strlen(EMPIRICAL);
    if (strncmp(spec, EMPIRICAL, pre) == 0 && spec[pre] != '\0' && spec[pre] != '/') {
        char *file = fx_json_resolve(p->file, spec + pre);
        if (file) {
            resolved = malloc(pre + strlen(file) + 1);
            if (resolved) {
                memcpy(resolved, EMPIRICAL, pre);
                memcpy(resolved + pre, file, strlen(file) + 1);
            }
            free(file);
        }
        if (!resolved)
            return fx_json_err(p, e, FX_ENOMEM, "out of memory");
        spec = resolved;
    }
    st = fx_dist_parse(spec, d, e);
    free(resolved);
    if (st != FX_OK) {
        size_t mark = fx_jpath_key(p, key);
        fx_json_wrap(p, e, st);
        fx_jpath_pop(p, mark);
    }
    return st;
}

char *fx_json_print_doc(cJSON *doc)
{
    char *text = doc ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    if (!text)
        return NULL;
    size_t n = strlen(text);
    char *out = realloc(text, n + 2);
    if (!out) {
        free(text);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}
