/* plot.c - what every figure shares: the script's header, look and
 * terminal, the readers of CSV files, result documents and latency files,
 * and running gnuplot. */
#define _GNU_SOURCE /* posix_spawn file actions, strcasecmp */
#include "plots/plot.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/json.h"
#include "plots/plot_kind.h"

extern char **environ;

/* Largest input file read: CSV files and latency files. */
#define FILE_MAX (1ull << 30)

/* Bytes of gnuplot's standard error kept for a message. */
#define STDERR_MAX 4096

void fx_plot_opts_init(fx_plot_opts *o)
{
    memset(o, 0, sizeof *o);
    o->style = FX_PLOT_SCREEN;
}

/* --- kinds ---------------------------------------------------------------- */

static const fx_plot_kind *find_kind(const char *name)
{
    for (size_t i = 0; fx_plot_kinds[i]; i++)
        if (strcmp(fx_plot_kinds[i]->name, name) == 0)
            return fx_plot_kinds[i];
    return NULL;
}

size_t fx_plot_kind_count(void)
{
    size_t n = 0;
    while (fx_plot_kinds[n])
        n++;
    return n;
}

const char *fx_plot_kind_name(size_t i)
{
    return i < fx_plot_kind_count() ? fx_plot_kinds[i]->name : NULL;
}

const char *fx_plot_kind_summary(size_t i)
{
    return i < fx_plot_kind_count() ? fx_plot_kinds[i]->summary : NULL;
}

int fx_plot_kind_exists(const char *name)
{
    return name && find_kind(name) != NULL;
}

const char *fx_plot_kind_names(char *buf, size_t len)
{
    const char *names[32];
    size_t n = 0;
    for (; fx_plot_kinds[n] && n < 32; n++)
        names[n] = fx_plot_kinds[n]->name;
    return fx_json_list(names, n, buf, len);
}

void fx_plot_kind_inputs(const char *name, size_t *min, size_t *max)
{
    const fx_plot_kind *k = find_kind(name);
    *min = k ? k->min_inputs : 0;
    *max = k ? k->max_inputs : 0;
}

/* --- paths, formats, sizes ------------------------------------------------ */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The extension of PATH's base name, with its dot, or NULL. */
static const char *extension(const char *path)
{
    const char *dot = strrchr(base_name(path), '.');
    return dot && dot != base_name(path) ? dot : NULL;
}

fx_status fx_plot_format_of(const char *out_path, fx_plot_format *fmt, fx_err *e)
{
    const char *ext = out_path ? extension(out_path) : NULL;
    if (ext && strcasecmp(ext, ".svg") == 0)
        *fmt = FX_PLOT_SVG;
    else if (ext && strcasecmp(ext, ".png") == 0)
        *fmt = FX_PLOT_PNG;
    else if (ext && strcasecmp(ext, ".pdf") == 0)
        *fmt = FX_PLOT_PDF;
    else {
        char q[96];
        return fx_err_set(e, FX_EINVAL,
                          "expected a figure named FILE.png, FILE.svg or FILE.pdf, "
                          "found %s",
                          fx_json_quote(out_path ? out_path : "", q, sizeof q));
    }
    return FX_OK;
}

char *fx_plot_script_path(const char *out_path)
{
    const char *ext = extension(out_path);
    size_t stem = ext ? (size_t)(ext - out_path) : strlen(out_path);
    char *s = malloc(stem + 4);
    if (!s)
        return NULL;
    memcpy(s, out_path, stem);
    memcpy(s + stem, ".gp", 4);
    return s;
}

/* One length with its unit, in inches; -1 when malformed. */
static double parse_length(const char *s, size_t len)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || errno == ERANGE || !isfinite(v) || !isdigit((unsigned char)buf[0]))
        return -1;
    static const struct {
        const char *unit;
        double per_inch;
    } units[] = {{"", 1}, {"in", 1}, {"cm", 2.54}, {"mm", 25.4}, {"pt", 72}, {"px", 96}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0)
            return v / units[i].per_inch;
    return -1;
}

fx_status fx_plot_parse_size(const char *s, double *width_in, double *height_in, fx_err *e)
{
    char q[96];
    const char *comma = s ? strchr(s, ',') : NULL;
    double w = comma ? parse_length(s, (size_t)(comma - s)) : -1;
    double h = comma ? parse_length(comma + 1, strlen(comma + 1)) : -1;
    if (!(w > 0 && w <= 100 && h > 0 && h <= 100))
        return fx_err_set(e, FX_EINVAL,
                          "expected a size W,H (inches, or with a unit: 8cm,5cm; 800px,500px) "
                          "from 0 to 100 inches, found %s",
                          fx_json_quote(s ? s : "", q, sizeof q));
    *width_in = w;
    *height_in = h;
    return FX_OK;
}

/* --- writing the script --------------------------------------------------- */

void fx_gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\'')
            fputs("''", f);
        else
            fputc(ch < 0x20 || ch == 0x7f ? ' ' : ch, f);
    }
    fputc('\'', f);
}

void fx_gp_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        fputc(ch == '"' ? '\'' : ch < 0x20 || ch == 0x7f ? ' ' : ch, f);
    }
    fputc('"', f);
}

void fx_gp_num(FILE *f, double x)
{
    if (isnan(x))
        fputs("NaN", f);
    else if (isinf(x))
        fputs(x > 0 ? "1e308" : "-1e308", f);
    else
        fprintf(f, "%.6g", x == 0 ? 0.0 : x); /* no "-0" */
}

void fx_gp_labels(fx_plot_ctx *c, const char *xlabel, const char *ylabel)
{
    const fx_plot_opts *o = c->o;
    if (o->title) {
        fputs("set title ", c->f);
        fx_gp_str(c->f, o->title);
        fputc('\n', c->f);
    }
    const char *x = o->xlabel ? o->xlabel : xlabel;
    const char *y = o->ylabel ? o->ylabel : ylabel;
    if (x) {
        fputs("set xlabel ", c->f);
        fx_gp_str(c->f, x);
        fputc('\n', c->f);
    }
    if (y) {
        fputs("set ylabel ", c->f);
        fx_gp_str(c->f, y);
        fputc('\n', c->f);
    }
}

void fx_gp_logscale(fx_plot_ctx *c, int logx, int logy)
{
    if (logx > 0 || (logx == 0 && c->o->logx))
        fputs("set logscale x 10\nset format x '%g'\n", c->f);
    if (logy > 0 || (logy == 0 && c->o->logy))
        fputs("set logscale y 10\nset format y '%g'\n", c->f);
}

void fx_gp_key_above(fx_plot_ctx *c, size_t maxcols, double samplen)
{
    fprintf(c->f, "set key tmargin center horizontal Left reverse maxcols %zu samplen ", maxcols);
    fx_gp_num(c->f, samplen);
    fputc('\n', c->f);
}

void fx_gp_fill(fx_plot_ctx *c, size_t i)
{
    /* gnuplot's patterns: 3 solid, 4 and 5 diagonals, 1 and 2 crosses,
     * 6 and 7 dense diagonals, 0 empty. */
    static const int patterns[8] = {3, 4, 5, 1, 6, 7, 2, 0};
    if (c->paper)
        fprintf(c->f, "fs pattern %d border lc rgb '#000000'", patterns[i % 8]);
    else
        fputs("fs solid 0.9 border lc rgb '#404040'", c->f);
}

void fx_gp_block_begin(fx_plot_ctx *c, const char *name, const char *what)
{
    fprintf(c->f, "# %s: ", name);
    for (const char *s = what; *s; s++)
        fputc((unsigned char)*s < 0x20 ? ' ' : *s, c->f);
    fprintf(c->f, "\n$%s << EOD\n", name);
}

void fx_gp_block_end(fx_plot_ctx *c)
{
    fputs("EOD\n", c->f);
}

const char *fx_plot_series_name(const fx_plot_input *in, const char *fallback, char *buf,
                                size_t len)
{
    const char *s = in->label ? in->label : fallback;
    size_t n;
    if (s) {
        n = strlen(s);
    } else {
        s = base_name(in->path);
        const char *dot = strchr(s, '.');
        n = dot && dot != s ? (size_t)(dot - s) : strlen(s);
    }
    if (n >= len)
        n = len - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

const char *fx_plot_join(const char *const *names, size_t n, char *buf, size_t len)
{
    return fx_json_list(names, n, buf, len);
}

/* --- reading files -------------------------------------------------------- */

static fx_status read_all(const char *path, char **out, size_t *len, fx_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fx_err_set(e, FX_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return fx_err_set(e, FX_EIO, "%s: expected a file, found a directory", path);
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap >= FILE_MAX) {
                free(buf);
                fclose(f);
                return fx_err_set(e, FX_ELIMIT, "%s: larger than the %llu bytes a plot reads", path,
                                  (unsigned long long)FILE_MAX);
            }
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return fx_err_set(e, FX_ENOMEM, "out of memory");
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return fx_err_set(e, FX_EIO, "%s: cannot read", path);
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        return fx_err_set(e, FX_EINVAL, "%s: expected text, found a NUL byte", path);
    }
    *out = buf;
    *len = n;
    return FX_OK;
}

int fx_plot_is_json(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int ch;
    while ((ch = getc(f)) != EOF && isspace(ch))
        ;
    fclose(f);
    return ch == '{';
}

fx_status fx_plot_read_numbers(const char *path, double **v, size_t *n, fx_err *e)
{
    char *text;
    size_t len;
    fx_status st = read_all(path, &text, &len, e);
    if (st != FX_OK)
        return st;
    size_t cap = 1024, count = 0, line = 0;
    double *vals = malloc(cap * sizeof *vals);
    if (!vals) {
        free(text);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    char *p = text;
    while (*p) {
        line++;
        char *eol = strchr(p, '\n');
        char *next = eol ? eol + 1 : p + strlen(p);
        if (eol)
            *eol = '\0';
        char *s = p;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t l = strlen(s);
        while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
            s[--l] = '\0';
        p = next;
        if (*s == '\0' || *s == '#')
            continue;
        char *end;
        errno = 0;
        double x = strtod(s, &end);
        if (end == s || *end || errno == ERANGE || !isfinite(x) || x < 0) {
            char q[96];
            st = fx_err_set(e, FX_EINVAL,
                            "%s:%zu: expected a latency in ms (a number >= 0), "
                            "found %s",
                            path, line, fx_json_quote(s, q, sizeof q));
            goto fail;
        }
        if (count == cap) {
            double *nv = realloc(vals, 2 * cap * sizeof *vals);
            if (!nv) {
                st = fx_err_set(e, FX_ENOMEM, "out of memory");
                goto fail;
            }
            vals = nv;
            cap *= 2;
        }
        vals[count++] = x;
    }
    free(text);
    if (count == 0) {
        free(vals);
        return fx_err_set(e, FX_EINVAL, "%s: expected one latency in ms a line, found none", path);
    }
    *v = vals;
    *n = count;
    return FX_OK;
fail:
    free(vals);
    free(text);
    return st;
}

/* --- CSV ------------------------------------------------------------------ */

void fx_csv_free(fx_csv *c)
{
    if (!c)
        return;
    free(c->names);
    free(c->cells);
    free(c->lines);
    free(c->text);
    free(c);
}

/* Split one record starting at *P (in place): fields go to FIELDS (grown
 * as needed), *P moves past the record's line end, *LINE counts the lines
 * it spans. Returns the number of fields, or -1 with E set. */
static long csv_record(const char *path, char **p, size_t *line, char ***fields, size_t *cap,
                       fx_err *e)
{
    char *s = *p;
    size_t nf = 0;
    size_t start_line = *line;
    for (;;) {
        if (nf == *cap) {
            size_t ncap = *cap ? *cap * 2 : 16;
            char **nf2 = realloc(*fields, ncap * sizeof *nf2);
            if (!nf2) {
                fx_err_set(e, FX_ENOMEM, "out of memory");
                return -1;
            }
            *fields = nf2;
            *cap = ncap;
        }
        char *out = s, *field = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == '\0') {
                    fx_err_set(e, FX_EINVAL,
                               "%s:%zu: expected a closing quote, found the end "
                               "of the file",
                               path, start_line);
                    return -1;
                }
                if (*s == '"' && s[1] == '"') {
                    *out++ = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else {
                    if (*s == '\n')
                        (*line)++;
                    *out++ = *s++;
                }
            }
            if (*s == '\r' && (s[1] == '\n' || s[1] == '\0'))
                s++;
            if (*s != ',' && *s != '\n' && *s != '\0') {
                fx_err_set(e, FX_EINVAL,
                           "%s:%zu: expected a comma after a quoted field, "
                           "found '%c'",
                           path, *line, isprint((unsigned char)*s) ? *s : '?');
                return -1;
            }
        } else {
            while (*s != ',' && *s != '\n' && *s != '\0')
                s++;
            out = s;
            if (out > field && out[-1] == '\r' && *s != ',')
                out--;
        }
        char sep = *s;
        *out = '\0';
        (*fields)[nf++] = field;
        if (sep == ',') {
            s++;
            continue;
        }
        *p = sep == '\n' ? s + 1 : s;
        return (long)nf;
    }
}

fx_status fx_csv_read(const char *path, fx_csv **out, fx_err *e)
{
    fx_csv *c = calloc(1, sizeof *c);
    if (!c)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    c->path = path;
    size_t len;
    fx_status st = read_all(path, &c->text, &len, e);
    if (st != FX_OK) {
        free(c);
        return st;
    }
    char **fields = NULL;
    size_t fcap = 0, rcap = 0, line = 0;
    char *p = c->text;
    while (*p) {
        line++;
        /* Blank and comment lines. */
        char *q = p;
        while (*q == ' ' || *q == '\t' || *q == '\r')
            q++;
        if (*q == '\n' || *q == '\0' || *p == '#') {
            char *eol = strchr(p, '\n');
            p = eol ? eol + 1 : p + strlen(p);
            continue;
        }
        size_t first = line;
        long nf = csv_record(path, &p, &line, &fields, &fcap, e);
        if (nf < 0) {
            st = e ? e->code : FX_EINVAL;
            goto fail;
        }
        if (!c->names) {
            c->ncols = (size_t)nf;
            c->names = malloc(c->ncols * sizeof *c->names);
            if (!c->names) {
                st = fx_err_set(e, FX_ENOMEM, "out of memory");
                goto fail;
            }
            for (size_t i = 0; i < c->ncols; i++) {
                c->names[i] = fields[i];
                if (!*fields[i]) {
                    st = fx_err_set(e, FX_EINVAL,
                                    "%s:%zu: expected a name for column %zu of "
                                    "the header, found an empty field",
                                    path, first, i + 1);
                    goto fail;
                }
                for (size_t j = 0; j < i; j++)
                    if (strcmp(c->names[j], fields[i]) == 0) {
                        char qn[96];
                        st = fx_err_set(e, FX_EINVAL, "%s:%zu: column %s given twice", path, first,
                                        fx_json_quote(fields[i], qn, sizeof qn));
                        goto fail;
                    }
            }
            continue;
        }
        if ((size_t)nf != c->ncols) {
            st = fx_err_set(e, FX_EINVAL,
                            "%s:%zu: expected %zu fields (as in the header), "
                            "found %ld",
                            path, first, c->ncols, nf);
            goto fail;
        }
        if (c->nrows == rcap) {
            size_t ncap = rcap ? rcap * 2 : 64;
            char **ncells = realloc(c->cells, ncap * c->ncols * sizeof *ncells);
            if (!ncells) {
                st = fx_err_set(e, FX_ENOMEM, "out of memory");
                goto fail;
            }
            c->cells = ncells;
            size_t *nlines = realloc(c->lines, ncap * sizeof *nlines);
            if (!nlines) {
                st = fx_err_set(e, FX_ENOMEM, "out of memory");
                goto fail;
            }
            c->lines = nlines;
            rcap = ncap;
        }
        memcpy(c->cells + c->nrows * c->ncols, fields, c->ncols * sizeof *fields);
        c->lines[c->nrows++] = first;
    }
    free(fields);
    if (!c->names) {
        fx_csv_free(c);
        return fx_err_set(e, FX_EINVAL, "%s: expected a CSV header line, found an empty file",
                          path);
    }
    if (c->nrows == 0) {
        fx_csv_free(c);
        return fx_err_set(e, FX_EINVAL, "%s: expected rows after the header, found none", path);
    }
    *out = c;
    return FX_OK;
fail:
    free(fields);
    fx_csv_free(c);
    return st;
}

long fx_csv_col(const fx_csv *c, const char *name)
{
    for (size_t i = 0; i < c->ncols; i++)
        if (strcmp(c->names[i], name) == 0)
            return (long)i;
    return -1;
}

const char *fx_csv_cell(const fx_csv *c, size_t row, size_t col)
{
    return c->cells[row * c->ncols + col];
}

/* The field without the blanks around it, in BUF. */
static const char *trimmed(const char *s, char *buf, size_t len)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= len)
        n = len - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

fx_status fx_csv_number(const fx_csv *c, size_t row, size_t col, double *out, fx_err *e)
{
    char buf[128];
    const char *s = trimmed(fx_csv_cell(c, row, col), buf, sizeof buf);
    if (*s == '\0') {
        *out = NAN;
        return FX_OK;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || (errno == ERANGE && isfinite(v) && v != 0)) {
        char q[96], qn[96];
        return fx_err_set(e, FX_EINVAL, "%s:%zu: column %s: expected a number, found %s", c->path,
                          c->lines[row], fx_json_quote(c->names[col], qn, sizeof qn),
                          fx_json_quote(fx_csv_cell(c, row, col), q, sizeof q));
    }
    *out = isfinite(v) ? v : NAN;
    return FX_OK;
}

fx_status fx_csv_bool(const fx_csv *c, size_t row, size_t col, int deflt, int *out, fx_err *e)
{
    char buf[32];
    const char *s = trimmed(fx_csv_cell(c, row, col), buf, sizeof buf);
    static const char *const yes[] = {"1", "true", "yes"};
    static const char *const no[] = {"0", "false", "no"};
    if (*s == '\0') {
        *out = deflt;
        return FX_OK;
    }
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return FX_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return FX_OK;
        }
    }
    char q[96], qn[96];
    return fx_err_set(e, FX_EINVAL, "%s:%zu: column %s: expected 1, 0, true or false, found %s",
                      c->path, c->lines[row], fx_json_quote(c->names[col], qn, sizeof qn),
                      fx_json_quote(fx_csv_cell(c, row, col), q, sizeof q));
}

fx_status fx_csv_missing(const fx_csv *c, const char *name, fx_err *e)
{
    char list[256];
    return fx_err_set(e, FX_EINVAL, "%s: expected a column \"%s\"; found columns %s", c->path, name,
                      fx_plot_join((const char *const *)c->names, c->ncols, list, sizeof list));
}

/* --- result documents ----------------------------------------------------- */

void fx_plot_doc_free(fx_plot_doc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->npools; i++) {
        free(d->pools[i].id);
        free(d->pools[i].partitions);
    }
    free(d->pools);
    free(d->hist);
    free(d->arch);
    free(d->trace);
    free(d);
}

static fx_status doc_hist(const cJSON *root, fx_jpath *p, fx_plot_doc *d, fx_err *e)
{
    const cJSON *h = fx_json_get(root, "latency_hist");
    if (!h)
        return FX_OK;
    size_t m0 = fx_jpath_key(p, "latency_hist");
    if (!cJSON_IsObject(h)) {
        char buf[64];
        return fx_json_err(p, e, FX_EINVAL, "expected an object, found %s",
                           fx_json_describe(h, buf, sizeof buf));
    }
    const char *unit = "ms";
    fx_status st = fx_json_string(h, "unit", false, p, &unit, e);
    if (st != FX_OK)
        return st;
    double scale;
    if (strcmp(unit, "ms") == 0)
        scale = 1;
    else if (strcmp(unit, "us") == 0)
        scale = 1e-3;
    else if (strcmp(unit, "ns") == 0)
        scale = 1e-6;
    else if (strcmp(unit, "s") == 0)
        scale = 1e3;
    else {
        size_t m = fx_jpath_key(p, "unit");
        char q[64];
        st = fx_json_err(p, e, FX_EINVAL, "expected one of ms, us, ns, s, found %s",
                         fx_json_quote(unit, q, sizeof q));
        fx_jpath_pop(p, m);
        return st;
    }
    const cJSON *arr;
    size_t n;
    st = fx_json_array(h, "buckets", true, 0, 100000, "bucket", p, &arr, &n, e);
    if (st != FX_OK)
        return st;
    d->hist = calloc(n ? n : 1, sizeof *d->hist);
    if (!d->hist)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    size_t m1 = fx_jpath_key(p, "buckets");
    const cJSON *b;
    size_t i = 0;
    double prev_hi = 0;
    cJSON_ArrayForEach(b, arr)
    {
        size_t m2 = fx_jpath_index(p, i);
        double v[3];
        int ok = cJSON_IsArray(b) && cJSON_GetArraySize(b) == 3;
        for (int k = 0; ok && k < 3; k++) {
            const cJSON *x = cJSON_GetArrayItem(b, k);
            ok = cJSON_IsNumber(x) && isfinite(x->valuedouble) && x->valuedouble >= 0;
            if (ok)
                v[k] = x->valuedouble;
        }
        if (!ok) {
            char buf[64];
            return fx_json_err(p, e, FX_EINVAL,
                               "expected [lo, hi, count] of numbers >= 0, found %s",
                               fx_json_describe(b, buf, sizeof buf));
        }
        if (!(v[1] > v[0]) || v[0] < prev_hi)
            return fx_json_err(p, e, FX_EINVAL,
                               "expected lo < hi, buckets in ascending order, found [%g, %g] "
                               "after a bucket ending at %g",
                               v[0], v[1], prev_hi);
        prev_hi = v[1];
        d->hist[i].lo = v[0] * scale;
        d->hist[i].hi = v[1] * scale;
        d->hist[i].count = v[2];
        i++;
        fx_jpath_pop(p, m2);
    }
    d->nhist = n;
    fx_jpath_pop(p, m1);
    fx_jpath_pop(p, m0);
    return FX_OK;
}

static fx_status doc_pools(const cJSON *root, fx_jpath *p, fx_plot_doc *d, fx_err *e)
{
    const cJSON *arr;
    size_t n;
    fx_status st = fx_json_array(root, "pools", true, 0, 100000, "pool", p, &arr, &n, e);
    if (st != FX_OK)
        return st;
    d->pools = calloc(n ? n : 1, sizeof *d->pools);
    if (!d->pools)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    size_t m0 = fx_jpath_key(p, "pools");
    const cJSON *o;
    size_t i = 0;
    cJSON_ArrayForEach(o, arr)
    {
        size_t m1 = fx_jpath_index(p, i);
        fx_plot_pool *pl = &d->pools[i];
        d->npools = ++i;
        if (!cJSON_IsObject(o)) {
            char buf[64];
            return fx_json_err(p, e, FX_EINVAL, "expected an object, found %s",
                               fx_json_describe(o, buf, sizeof buf));
        }
        const char *id;
        if ((st = fx_json_string(o, "id", true, p, &id, e)) != FX_OK ||
            (st = fx_json_number(o, "utilization", true, FX_JSON_NONNEG, p, &pl->utilization, e)) !=
                FX_OK)
            return st;
        if (!(pl->id = fx_json_strdup(id)))
            return fx_err_set(e, FX_ENOMEM, "out of memory");
        const cJSON *parts;
        size_t np;
        st = fx_json_array(o, "partitions", false, 1, 100000, "partition", p, &parts, &np, e);
        if (st != FX_OK)
            return st;
        if (parts) {
            if (!(pl->partitions = malloc(np * sizeof *pl->partitions)))
                return fx_err_set(e, FX_ENOMEM, "out of memory");
            size_t m2 = fx_jpath_key(p, "partitions");
            for (size_t k = 0; k < np; k++) {
                const cJSON *x = cJSON_GetArrayItem(parts, (int)k);
                if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || x->valuedouble < 0) {
                    size_t m3 = fx_jpath_index(p, k);
                    char buf[64];
                    fx_status st2 =
                        fx_json_err(p, e, FX_EINVAL, "expected a utilization >= 0, found %s",
                                    fx_json_describe(x, buf, sizeof buf));
                    fx_jpath_pop(p, m3);
                    return st2;
                }
                pl->partitions[k] = x->valuedouble;
            }
            pl->npartitions = np;
            fx_jpath_pop(p, m2);
        }
        fx_jpath_pop(p, m1);
    }
    fx_jpath_pop(p, m0);
    return FX_OK;
}

fx_status fx_plot_doc_read(const char *path, fx_plot_doc **out, fx_err *e)
{
    cJSON *root;
    fx_status st = fx_json_load(path, &root, e);
    if (st != FX_OK)
        return st;
    fx_plot_doc *d = calloc(1, sizeof *d);
    if (!d) {
        cJSON_Delete(root);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    fx_jpath p;
    fx_jpath_init(&p, path);
    const char *arch, *trace = "";
    const cJSON *lat;
    if ((st = fx_json_string(root, "arch", true, &p, &arch, e)) != FX_OK ||
        (st = fx_json_string(root, "trace", false, &p, &trace, e)) != FX_OK ||
        (st = fx_json_number(root, "cost_per_hour", true, FX_JSON_NONNEG, &p, &d->cost_per_hour,
                             e)) != FX_OK ||
        (st = fx_json_require(root, "latency_ms", &p, e)) != FX_OK)
        goto done;
    lat = fx_json_get(root, "latency_ms");
    size_t m = fx_jpath_key(&p, "latency_ms");
    d->max_ms = NAN;
    if ((st = fx_json_number(lat, "p50", true, FX_JSON_NONNEG, &p, &d->p50, e)) != FX_OK ||
        (st = fx_json_number(lat, "p99", true, FX_JSON_NONNEG, &p, &d->p99, e)) != FX_OK ||
        (st = fx_json_number(lat, "max", false, FX_JSON_NONNEG, &p, &d->max_ms, e)) != FX_OK)
        goto done;
    fx_jpath_pop(&p, m);
    if ((st = doc_pools(root, &p, d, e)) != FX_OK || (st = doc_hist(root, &p, d, e)) != FX_OK)
        goto done;
    d->arch = fx_json_strdup(arch);
    d->trace = fx_json_strdup(trace);
    if (!d->arch || !d->trace)
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
done:
    cJSON_Delete(root);
    if (st != FX_OK) {
        fx_plot_doc_free(d);
        return st;
    }
    *out = d;
    return FX_OK;
}

/* --- the script ----------------------------------------------------------- */

/* Okabe and Ito's palette (2008), the dash pattern (paper) and the point of
 * each series: colour, dashes and points each tell the series apart. */
static const struct {
    const char *rgb, *dash;
    int pt;
} looks[8] = {
    {"#0072B2", "1", 7},     {"#D55E00", "2", 5},      {"#009E73", "3", 9},
    {"#E69F00", "4", 13},    {"#CC79A7", "5", 11},     {"#56B4E9", "(8,3,2,3,2,3)", 6},
    {"#000000", "(2,3)", 4}, {"#F0E442", "(12,4)", 8},
};

static const char *const format_names[] = {"svg", "png", "pdf"};

static void write_header(fx_plot_ctx *c, const fx_plot_kind *k, const fx_plot_input *in, size_t n,
                         const char *script, const char *figure)
{
    FILE *f = c->f;
    const fx_plot_opts *o = c->o;
    int paper = c->paper;
    fprintf(f, "# %s - %s,\n# written by `fluxosim plot %s`.\n", base_name(script), k->summary,
            k->name);
    fprintf(f,
            "# Edit and rerun with `gnuplot %s`, from any folder: it writes %s next to\n"
            "# itself; gnuplot -e \"format='pdf'; out='FILE.pdf'\" %s draws another.\n"
            "# The data are inline.\n",
            base_name(script), base_name(figure), base_name(script));
    fputs("# Inputs:\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("#   ", f);
        if (in[i].label)
            fprintf(f, "%s=", in[i].label);
        for (const char *s = in[i].path; *s; s++)
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        fputc('\n', f);
    }
    double w = o->width_in > 0 ? o->width_in : paper ? 3.3 : 8;
    double h = o->height_in > 0 ? o->height_in : paper ? 2.2 : 5;
    fputs("\n# --- the look: change these to restyle the figure ---------------------------\n", f);
    fprintf(f, "if (!exists('format')) format = '%s'  # svg, png or pdf: the terminal\n",
            format_names[c->format]);
    fputs("width_in = ", f);
    fx_gp_num(f, w);
    fputs("  # size in inches\nheight_in = ", f);
    fx_gp_num(f, h);
    fprintf(f, "\ndpi = %d  # png only: pixels per inch\n", paper ? 300 : 96);
    fprintf(f, "font_name = '%s'\nfont_pt = %d\n", paper ? "Times" : "Sans", paper ? 8 : 11);
    fprintf(f, "lw_pt = %s  # width of the data lines, in points\n", paper ? "1" : "1.5");
    fprintf(f, "ps = %s  # size of the points\n", paper ? "0.8" : "1");
    fputs("# One linetype per series: Okabe and Ito's colour-blind-safe palette", f);
    fputs(paper ? ", a dash\n# pattern and a point each, so that series stay apart in grayscale.\n"
                : ".\n",
          f);
    for (int i = 0; i < 8; i++)
        fprintf(f, "set linetype %d lc rgb '%s' lw lw_pt dt %s pt %d ps ps\n", i + 1, looks[i].rgb,
                paper ? looks[i].dash : "1", looks[i].pt);
    fputs("set linetype cycle 8\n", f);

    fputs("\n# --- the terminal -----------------------------------------------------------\n"
          "# Sizes are physical: a point of text or line, and a point marker, come out\n"
          "# the same size in svg (96 units an inch), png and pdf (line widths and\n"
          "# point scales measured on gnuplot 5.4).\n",
          f);
    fputs("if (!exists('out')) {\n"
          "    here = ''  # the folder of this script, from ARG0\n"
          "    s = exists('ARG0') ? ARG0 : ''\n"
          "    i = strstrt(s, '/')\n"
          "    while (i > 0) { here = here.s[1:i]; s = s[i + 1:]; i = strstrt(s, '/') }\n"
          "    out = here.",
          f);
    fx_gp_str(f, base_name(figure));
    fputs("\n}\n"
          "font = font_name.','.font_pt\n"
          "terminals = GPVAL_TERMINALS.' '\n"
          "if (format eq 'pdf') {\n"
          "    if (!strstrt(terminals, ' pdfcairo ')) {\n"
          "        exit error 'this gnuplot has no pdfcairo terminal: set format to svg'\n"
          "    }\n"
          "    set terminal pdfcairo size width_in, height_in font font fontscale 1 \\\n"
          "        linewidth 2 pointscale 0.85 noenhanced\n"
          "} else {\n"
          "    if (format eq 'png') {\n"
          "        if (strstrt(terminals, ' pngcairo ')) {\n"
          "            set terminal pngcairo size int(width_in * dpi + 0.5), int(height_in * dpi "
          "+ 0.5) \\\n"
          "                font font fontscale dpi / 72.0 linewidth dpi / 72.0 \\\n"
          "                pointscale dpi / 86.0 noenhanced background '#ffffff'\n"
          "        } else {\n"
          "            set terminal png size int(width_in * dpi + 0.5), int(height_in * dpi + "
          "0.5) \\\n"
          "                font font fontscale dpi / 72.0 linewidth dpi / 72.0 \\\n"
          "                noenhanced truecolor background '#ffffff'\n"
          "        }\n"
          "    } else {\n"
          "        set terminal svg size int(width_in * 96 + 0.5), int(height_in * 96 + 0.5) "
          "fixed \\\n"
          "            font font fontscale 96 / 72.0 linewidth 96 / 72.0 \\\n"
          "            noenhanced background '#ffffff'\n"
          "    }\n"
          "}\n"
          "set output out\n"
          "set encoding utf8\n"
          "set border 3 back lw 0.5\n"
          "set tics nomirror out scale 0.5\n"
          "set style line 100 lc rgb '#d9d9d9' lw 0.5 dt 1  # the grid\n"
          "set grid back ls 100, ls 100\n"
          "set key noautotitle samplen 2.5 spacing 1.1\n"
          "\n# --- the figure -------------------------------------------------------------\n",
          f);
}

const char *fx_plot_input_path(const char *arg)
{
    const char *eq = strchr(arg, '=');
    return eq && eq != arg && !memchr(arg, '/', (size_t)(eq - arg)) ? eq + 1 : arg;
}

static fx_status split_inputs(const char *const *inputs, size_t n, fx_plot_input **out, fx_err *e)
{
    fx_plot_input *in = calloc(n ? n : 1, sizeof *in);
    char **labels = calloc(n ? n : 1, sizeof *labels);
    if (!in || !labels) {
        free(in);
        free(labels);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const char *a = inputs[i];
        in[i].path = fx_plot_input_path(a);
        if (in[i].path != a) {
            labels[i] = strndup(a, (size_t)(in[i].path - 1 - a));
            if (!labels[i]) {
                for (size_t j = 0; j < i; j++)
                    free(labels[j]);
                free(labels);
                free(in);
                return fx_err_set(e, FX_ENOMEM, "out of memory");
            }
            in[i].label = labels[i];
        }
    }
    free(labels); /* the strings live on in in[] and are freed with it */
    *out = in;
    return FX_OK;
}

static void free_inputs(fx_plot_input *in, size_t n)
{
    if (!in)
        return;
    for (size_t i = 0; i < n; i++)
        free((char *)in[i].label);
    free(in);
}

/* Write LEN bytes of TEXT to PATH through a temporary file in its folder. */
static fx_status write_atomic(const char *path, const char *text, size_t len, fx_err *e)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fx_status st = fx_err_set(e, FX_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return st;
    }
    mode_t mask = umask(0);
    umask(mask);
    int err = fchmod(fd, 0666 & ~mask) != 0 ? errno : 0;
    for (size_t done = 0; !err && done < len;) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            err = w < 0 ? errno : EIO;
        else
            done += (size_t)w;
    }
    if (!err && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        free(tmp);
        return fx_err_set(e, FX_EIO, "%s: cannot write: %s", path, strerror(err));
    }
    free(tmp);
    return FX_OK;
}

fx_status fx_plot_write_script(const char *kind, const char *const *inputs, size_t n,
                               const fx_plot_opts *o, const char *out_path, fx_err *e)
{
    const fx_plot_kind *k = kind ? find_kind(kind) : NULL;
    if (!k) {
        char names[256], q[64];
        return fx_err_set(e, FX_EINVAL, "plot kind %s: expected one of %s",
                          fx_json_quote(kind ? kind : "", q, sizeof q),
                          fx_plot_kind_names(names, sizeof names));
    }
    if (n < k->min_inputs || (k->max_inputs && n > k->max_inputs)) {
        if (k->max_inputs == k->min_inputs)
            return fx_err_set(e, FX_EINVAL, "plot %s: expected %zu input%s, found %zu", k->name,
                              k->min_inputs, k->min_inputs == 1 ? "" : "s", n);
        return fx_err_set(e, FX_EINVAL, "plot %s: expected at least %zu input%s, found %zu",
                          k->name, k->min_inputs, k->min_inputs == 1 ? "" : "s", n);
    }
    fx_plot_format fmt;
    fx_status st = fx_plot_format_of(out_path, &fmt, e);
    if (st != FX_OK)
        return st;
    /* A figure is replaced by renaming; a device or FIFO of that name would
     * be replaced with it. */
    struct stat sb;
    if (stat(out_path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return fx_err_set(e, FX_EIO, "%s: expected a regular file for the figure, found %s",
                          out_path, S_ISDIR(sb.st_mode) ? "a directory" : "a device or FIFO");
    fx_plot_opts defaults;
    if (!o) {
        fx_plot_opts_init(&defaults);
        o = &defaults;
    }
    char *script = fx_plot_script_path(out_path);
    if (!script)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_plot_input *in = NULL;
    if ((st = split_inputs(inputs, n, &in, e)) != FX_OK) {
        free(script);
        return st;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        free_inputs(in, n);
        free(script);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    fx_plot_ctx c = {f, o, fmt, o->style == FX_PLOT_PAPER};
    write_header(&c, k, in, n, script, out_path);
    st = k->emit(&c, in, n, e);
    int bad = fclose(f) != 0;
    if (st == FX_OK && bad)
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
    if (st == FX_OK)
        st = write_atomic(script, text, len, e);
    free(text);
    free_inputs(in, n);
    free(script);
    return st;
}

/* --- running gnuplot ------------------------------------------------------ */

/* The gnuplot to run: $GNUPLOT (a path, or a name looked up on PATH) or
 * "gnuplot" on PATH; a new string, or NULL with WHY set. */
static char *find_gnuplot(char *why, size_t len)
{
    const char *env = getenv("GNUPLOT");
    const char *name = env && *env ? env : "gnuplot";
    if (strchr(name, '/')) {
        if (access(name, X_OK) == 0)
            return strdup(name);
        snprintf(why, len, "GNUPLOT=%s is not an executable", name);
        return NULL;
    }
    const char *path = getenv("PATH");
    char def[256];
    if (!path) {
        size_t n = confstr(_CS_PATH, def, sizeof def);
        path = n > 0 && n <= sizeof def ? def : "/usr/bin:/bin";
    }
    size_t nlen = strlen(name);
    /* An empty PATH names no folder; an empty entry in one names ".". */
    for (const char *p = path; *path;) {
        const char *colon = strchr(p, ':');
        size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
        char *cand = malloc(dlen + nlen + 3);
        if (!cand) {
            snprintf(why, len, "out of memory");
            return NULL;
        }
        if (dlen)
            snprintf(cand, dlen + nlen + 3, "%.*s/%s", (int)dlen, p, name);
        else
            snprintf(cand, dlen + nlen + 3, "./%s", name);
        struct stat sb;
        if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        if (!colon)
            break;
        p = colon + 1;
    }
    if (env && *env)
        snprintf(why, len, "GNUPLOT=%s is not on PATH", name);
    else
        snprintf(why, len, "gnuplot is not on PATH (nor named by GNUPLOT)");
    return NULL;
}

/* The line of gnuplot's standard error worth showing: its last error
 * ("FILE" line N: ...), else its last line that says something; control
 * characters and runs of blanks become one space. */
static void stderr_line(const char *text, char *out, size_t len)
{
    const char *best = NULL, *last = NULL;
    for (const char *s = text; *s;) {
        const char *eol = strchr(s, '\n');
        size_t n = eol ? (size_t)(eol - s) : strlen(s);
        int says = 0;
        for (size_t i = 0; i < n; i++)
            if (isalnum((unsigned char)s[i]))
                says = 1;
        if (says) {
            last = s;
            for (size_t i = 0; i + 7 < n; i++)
                if (memcmp(s + i, "\" line ", 7) == 0)
                    best = s;
        }
        s += n + (eol ? 1 : 0);
    }
    const char *s = best ? best : last;
    size_t k = 0;
    int blank = 1;
    for (; s && *s && *s != '\n' && k + 1 < len; s++) {
        int sp = isspace((unsigned char)*s) || (unsigned char)*s < 0x20;
        if (sp && blank)
            continue;
        out[k++] = sp ? ' ' : *s;
        blank = sp;
    }
    while (k && out[k - 1] == ' ')
        k--;
    out[k] = '\0';
    if (k == 0)
        snprintf(out, len, "no message");
}

fx_status fx_plot_run_gnuplot(const char *out_path, fx_err *e)
{
    char *script = fx_plot_script_path(out_path);
    if (!script)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    char why[512];
    char *gp = find_gnuplot(why, sizeof why);
    if (!gp) {
        fx_status st = fx_err_set(e, FX_EIO,
                                  "%s; the script is %s: render it later with: "
                                  "gnuplot %s",
                                  why, script, script);
        free(script);
        return st;
    }
    fx_status st = FX_OK;
    size_t plen = strlen(out_path);
    char *tmp = malloc(plen + 16);
    char *assign = NULL;
    FILE *err = tmpfile();
    if (!tmp || !err) {
        st = fx_err_set(e, err ? FX_ENOMEM : FX_EIO, "%s",
                        err ? "out of memory" : "cannot make a temporary file");
        goto done;
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", out_path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = fx_err_set(e, FX_EIO, "%s: cannot create: %s", out_path, strerror(errno));
        free(tmp);
        tmp = NULL;
        goto done;
    }
    close(fd);
    /* out='TMP': a gnuplot string, quotes doubled. */
    size_t alen = 8 + 2 * strlen(tmp);
    assign = malloc(alen);
    if (!assign) {
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
        goto done;
    }
    char *a = assign + sprintf(assign, "out='");
    for (const char *s = tmp; *s; s++) {
        if (*s == '\'')
            *a++ = '\'';
        *a++ = *s;
    }
    strcpy(a, "'");

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fileno(err), 2);
    char *argv[] = {gp, "-d", "-e", assign, script, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, gp, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        st = fx_err_set(e, FX_EIO,
                        "%s: cannot run: %s; the script is %s: render it later with: "
                        "gnuplot %s",
                        gp, strerror(rc), script, script);
        goto done;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            st = fx_err_set(e, FX_EIO, "%s: cannot wait for it: %s", gp, strerror(errno));
            goto done;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char text[STDERR_MAX + 1], line[STDERR_MAX];
        size_t got = 0;
        if (fseek(err, 0, SEEK_SET) == 0)
            got = fread(text, 1, STDERR_MAX, err);
        text[got] = '\0';
        stderr_line(text, line, sizeof line);
        if (WIFEXITED(status))
            st = fx_err_set(e, FX_EIO, "%s: gnuplot failed (exit %d): %s", script,
                            WEXITSTATUS(status), line);
        else
            st = fx_err_set(e, FX_EIO, "%s: gnuplot was killed by signal %d", script,
                            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        goto done;
    }
    struct stat sb;
    if (stat(tmp, &sb) != 0 || sb.st_size == 0) {
        st = fx_err_set(e, FX_EIO, "%s: gnuplot wrote no figure", script);
        goto done;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (chmod(tmp, 0666 & ~mask) != 0 || rename(tmp, out_path) != 0) {
        st = fx_err_set(e, FX_EIO, "%s: cannot write: %s", out_path, strerror(errno));
        goto done;
    }
    free(tmp);
    tmp = NULL;
done:
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    if (err)
        fclose(err);
    free(assign);
    free(gp);
    free(script);
    return st;
}

fx_status fx_plot_render(const char *kind, const char *const *inputs, size_t n,
                         const fx_plot_opts *o, const char *out_path, fx_err *e)
{
    fx_status st = fx_plot_write_script(kind, inputs, n, o, out_path, e);
    if (st != FX_OK)
        return st;
    return fx_plot_run_gnuplot(out_path, e);
}
