/* writer.c - writing a trace (see trace.h and doc/formats.md).
 *
 * Records are formatted by hand into one large buffer, which goes to the
 * file (or to zlib) only when full: no system call and no printf per record.
 * The file is a temporary one beside PATH, renamed over it by a successful
 * close, so PATH holds the old content or the whole new trace, never a part.
 *
 * Choices the header leaves open:
 * - Times are written in whole microseconds, rounded down; a time that is
 *   not a whole number of microseconds comes back rounded down.
 * - A field with a hash but no size is written "node=svc//hash".
 * - Keys, the service name and node names may hold any bytes but blanks and
 *   control characters; node names may not hold '='.
 * - A record the reader would refuse is refused here, with FX_EINVAL: a
 *   negative or too large time, service time or size, an unknown or repeated
 *   node, more than FX_TRACE_FIELDS_MAX fields, a line over
 *   FX_TRACE_LINE_MAX bytes.
 * - A refused record counts as a failed write: close then writes nothing.
 */
#include "traces/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#define BUF_SIZE  (256 * 1024)
#define VALUE_MAX ((uint64_t)1 << 62)

/* The longest a field can print beside its node name: "=" svc (16 digits,
 * a point, 3 decimals) "/" bytes (19 digits) "/" hash (16) and a TAB. */
#define FIELD_EXTRA 64

struct fx_trace_writer {
    char *path;
    char *tmp;         /* the temporary file, NULL for stdout */
    const char *where; /* the name messages use */
    int fd;            /* the file, or 1 for stdout */
    int in_place;      /* FD is PATH itself (a device or a FIFO), no temporary */
    gzFile gz;         /* NULL when not compressing */

    char *buf;
    size_t len, cap;

    size_t nnodes;
    char **names; /* copies of the node names */
    size_t *name_len;
    uint64_t *seen; /* seen[node] == records + 1: on the current record */

    uint64_t records;
    fx_time prev_t;
    int failed; /* a write failed: close writes nothing */
    fx_err first;
};

/* ---- formatting ---------------------------------------------------------- */

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static char *put_hex(char *p, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    int shift = 60;
    while (shift > 0 && !(v >> shift))
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        *p++ = hex[(v >> shift) & 15];
    return p;
}

/* NS nanoseconds as microseconds with up to three decimals, no trailing
 * zeros: 120500 -> "120.5". */
static char *put_us(char *p, uint64_t ns)
{
    p = put_u64(p, ns / 1000);
    unsigned f = (unsigned)(ns % 1000);
    if (f) {
        *p++ = '.';
        *p++ = (char)('0' + f / 100);
        if (f % 100) {
            *p++ = (char)('0' + f / 10 % 10);
            if (f % 10)
                *p++ = (char)('0' + f % 10);
        }
    }
    return p;
}

static int is_word(const char *s, size_t len, int allow_eq)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f || (!allow_eq && c == '='))
            return 0;
    }
    return 1;
}

/* ---- output -------------------------------------------------------------- */

static fx_status write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return FX_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return FX_OK;
}

/* Remember the first failure: close will then leave PATH alone. */
static fx_status failed(fx_trace_writer *w, fx_err *err)
{
    if (!w->failed) {
        w->failed = 1;
        w->first = *err;
    }
    return err->code;
}

/* Send the buffer on. */
static fx_status flush(fx_trace_writer *w, fx_err *e)
{
    if (w->len == 0)
        return FX_OK;
    fx_err err;
    if (w->gz) {
        if (gzwrite(w->gz, w->buf, (unsigned)w->len) != (int)w->len) {
            int zerr;
            const char *msg = gzerror(w->gz, &zerr);
            fx_err_set(&err, FX_EIO, "%s: cannot write: %s", w->where,
                       zerr == Z_ERRNO ? strerror(errno) : msg);
            if (e)
                *e = err;
            return failed(w, &err);
        }
    } else if (write_all(w->fd, w->buf, w->len) != FX_OK) {
        fx_err_set(&err, FX_EIO, "%s: cannot write: %s", w->where, strerror(errno));
        if (e)
            *e = err;
        return failed(w, &err);
    }
    w->len = 0;
    return FX_OK;
}

/* Room for N more bytes in the buffer. */
static fx_status reserve(fx_trace_writer *w, size_t n, fx_err *e)
{
    if (w->cap - w->len >= n)
        return FX_OK;
    fx_status st = flush(w, e);
    if (st != FX_OK)
        return st;
    if (w->cap < n) {
        char *nbuf = realloc(w->buf, n);
        if (!nbuf) {
            fx_err err;
            fx_err_set(&err, FX_ENOMEM, "out of memory");
            if (e)
                *e = err;
            return failed(w, &err);
        }
        w->buf = nbuf;
        w->cap = n;
    }
    return FX_OK;
}

static void release(fx_trace_writer *w)
{
    free(w->path);
    free(w->tmp);
    free(w->buf);
    if (w->names)
        for (size_t i = 0; i < w->nnodes; i++)
            free(w->names[i]);
    free(w->names);
    free(w->name_len);
    free(w->seen);
    free(w);
}

/* Close and remove the temporary file. */
static void discard(fx_trace_writer *w)
{
    if (w->gz)
        gzclose(w->gz);
    w->gz = NULL;
    if (w->tmp) {
        close(w->fd);
        unlink(w->tmp);
    } else if (w->in_place) {
        close(w->fd);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Check the service and node names. */
static fx_status check_names(const char *path, const char *service, const char *const *nodes,
                             size_t nnodes, fx_err *e)
{
    if (service && !is_word(service, strlen(service), 1))
        return fx_err_set(e, FX_EINVAL,
                          "%s: expected a service name without blanks, found \"%.40s\"", path,
                          service);
    if (nnodes > 0 && !nodes)
        return fx_err_set(e, FX_EINVAL, "%s: expected %zu node names, found none", path, nnodes);
    for (size_t i = 0; i < nnodes; i++) {
        if (!nodes[i] || !is_word(nodes[i], strlen(nodes[i]), 0))
            return fx_err_set(e, FX_EINVAL,
                              "%s: expected node names without blanks or '=', found \"%.40s\"",
                              path, nodes[i] ? nodes[i] : "(null)");
    }
    if (nnodes < 2)
        return FX_OK;
    const char **sorted = malloc(nnodes * sizeof *sorted);
    if (!sorted)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    memcpy(sorted, nodes, nnodes * sizeof *sorted);
    qsort(sorted, nnodes, sizeof *sorted, cmp_str);
    fx_status st = FX_OK;
    for (size_t i = 1; i < nnodes && st == FX_OK; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            st = fx_err_set(e, FX_EINVAL, "%s: expected distinct node names, found \"%.40s\" twice",
                            path, sorted[i]);
    free(sorted);
    return st;
}

/* ---- the interface ------------------------------------------------------- */

fx_status fx_trace_writer_open(const char *path, const char *service, const char *const *nodes,
                               size_t nnodes, fx_trace_writer **out, fx_err *e)
{
    if (!out)
        return fx_err_set(e, FX_EINVAL,
                          "fx_trace_writer_open: expected somewhere to put the writer");
    *out = NULL;
    if (!path || !*path)
        return fx_err_set(e, FX_EINVAL, "expected a trace file name, found none");
    if (nnodes > UINT32_MAX)
        return fx_err_set(e, FX_EINVAL, "%s: expected at most %u node names, found %zu", path,
                          (unsigned)UINT32_MAX, nnodes);
    fx_status st = check_names(path, service, nodes, nnodes, e);
    if (st != FX_OK)
        return st;

    fx_trace_writer *w = calloc(1, sizeof *w);
    if (!w)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    w->fd = -1;
    w->nnodes = nnodes;
    w->path = strdup(path);
    w->cap = BUF_SIZE;
    w->buf = malloc(w->cap);
    w->names = calloc(nnodes ? nnodes : 1, sizeof *w->names);
    w->name_len = malloc((nnodes ? nnodes : 1) * sizeof *w->name_len);
    w->seen = calloc(nnodes ? nnodes : 1, sizeof *w->seen);
    int nomem = !w->path || !w->buf || !w->names || !w->name_len || !w->seen;
    for (size_t i = 0; !nomem && i < nnodes; i++) {
        w->names[i] = strdup(nodes[i]);
        w->name_len[i] = strlen(nodes[i]);
        nomem = !w->names[i];
    }
    if (nomem) {
        release(w);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }

    if (strcmp(path, "-") == 0) {
        w->where = "standard output";
        fflush(stdout); /* what the program printed before comes first */
        w->fd = 1;
    } else {
        w->where = w->path;
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            release(w);
            return fx_err_set(e, FX_EIO, "%s: expected a file name, found a directory", path);
        }
        size_t plen = strlen(path);
        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
            /* /dev/null, a FIFO: written in place, as renaming a temporary
             * file over it would replace the device itself. */
            w->in_place = 1;
            w->fd = open(path, O_WRONLY | O_CLOEXEC);
        } else if ((w->tmp = malloc(plen + 16))) {
            /* Beside PATH, so that rename() never crosses a file system. */
            snprintf(w->tmp, plen + 16, "%s.tmp.XXXXXX", path);
            w->fd = mkstemp(w->tmp);
        } else {
            release(w);
            return fx_err_set(e, FX_ENOMEM, "out of memory");
        }
        if (w->fd < 0) {
            st = fx_err_set(e, FX_EIO, "%s: cannot create: %s", path, strerror(errno));
            free(w->tmp);
            w->tmp = NULL;
            release(w);
            return st;
        }
        size_t n = strlen(path);
        if (n > 3 && strcmp(path + n - 3, ".gz") == 0) {
            /* zlib closes the descriptor it is given; keep ours to sync. */
            int zfd = dup(w->fd);
            w->gz = zfd < 0 ? NULL : gzdopen(zfd, "wb6");
            if (!w->gz) {
                st = zfd < 0 ? fx_err_set(e, FX_EIO, "%s: cannot create: %s", path, strerror(errno))
                             : fx_err_set(e, FX_ENOMEM, "out of memory");
                if (zfd >= 0)
                    close(zfd);
                discard(w);
                release(w);
                return st;
            }
            gzbuffer(w->gz, BUF_SIZE);
        }
    }

    static const char head[] = "#fluxotrace 1\n";
    static const char columns[] = "# t_us <TAB> key <TAB> node=service_us/out_bytes/out_hash ...\n";
    size_t slen = service ? strlen(service) : 0;
    st = reserve(w, sizeof head + sizeof columns + slen + 16, e);
    if (st != FX_OK) {
        discard(w);
        release(w);
        return st;
    }
    char *p = w->buf;
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    if (service) {
        memcpy(p, "#service ", 9);
        memcpy(p + 9, service, slen);
        p += 9 + slen;
        *p++ = '\n';
    }
    memcpy(p, columns, sizeof columns - 1);
    p += sizeof columns - 1;
    w->len = (size_t)(p - w->buf);
    *out = w;
    return FX_OK;
}

/* Refuse record REC: FX_EINVAL, and the writer will write nothing. */
__attribute__((format(printf, 3, 4))) static fx_status refuse(fx_trace_writer *w, fx_err *e,
                                                              const char *fmt, ...)
{
    char msg[FX_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fx_err err;
    fx_err_set(&err, FX_EINVAL, "%s: record %llu: %s", w->where, (unsigned long long)w->records + 1,
               msg);
    if (e)
        *e = err;
    return failed(w, &err);
}

fx_status fx_trace_write(fx_trace_writer *w, const fx_trace_rec *rec, fx_err *e)
{
    if (w->failed) {
        if (e)
            *e = w->first;
        return w->first.code;
    }
    if (rec->t < 0 || (uint64_t)rec->t > VALUE_MAX)
        return refuse(w, e, "expected a time from 0 to 2^62 ns, found %lld", (long long)rec->t);
    if (rec->t < w->prev_t)
        return refuse(w, e, "expected a time >= %lld ns (the previous record's), found %lld",
                      (long long)w->prev_t, (long long)rec->t);
    if (!rec->key || rec->key_len == 0)
        return refuse(w, e, "expected a key, found an empty one");
    if (rec->key_len > FX_TRACE_KEY_MAX)
        return refuse(w, e, "expected a key of at most %d bytes, found %zu bytes", FX_TRACE_KEY_MAX,
                      rec->key_len);
    if (!is_word(rec->key, rec->key_len, 1))
        return refuse(w, e,
                      "expected a key without blanks or control characters, found "
                      "\"%.40s\"",
                      rec->key);
    if (rec->nfields > FX_TRACE_FIELDS_MAX)
        return refuse(w, e, "expected at most %d node fields, found %zu", FX_TRACE_FIELDS_MAX,
                      rec->nfields);
    if (rec->nfields > 0 && !rec->fields)
        return refuse(w, e, "expected %zu node fields, found none", rec->nfields);

    /* Check the fields and bound the line's length. */
    size_t need = 20 + 1 + rec->key_len + 1;
    uint64_t mark = w->records + 1, sum = 0;
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_trace_field *f = &rec->fields[i];
        if (f->node >= w->nnodes)
            return refuse(w, e, "expected a node index below %zu, found %u", w->nnodes,
                          (unsigned)f->node);
        if (w->seen[f->node] == mark)
            return refuse(w, e, "expected each node at most once, found \"%s\" twice",
                          w->names[f->node]);
        w->seen[f->node] = mark;
        if (f->service < 0 || (uint64_t)f->service > VALUE_MAX)
            return refuse(w, e, "expected a service time from 0 to 2^62 ns for \"%s\", found %lld",
                          w->names[f->node], (long long)f->service);
        sum += (uint64_t)f->service; /* <= 2^62 + 2^62: no overflow */
        if (sum > VALUE_MAX)
            return refuse(w, e,
                          "expected the service times of one record to sum to at most 2^62 ns, "
                          "found more by \"%s\"",
                          w->names[f->node]);
        if (f->has_bytes && f->bytes > VALUE_MAX)
            return refuse(w, e,
                          "expected an output size of at most 2^62 bytes for \"%s\", "
                          "found %llu",
                          w->names[f->node], (unsigned long long)f->bytes);
        need += w->name_len[f->node] + FIELD_EXTRA;
    }
    fx_status st = reserve(w, need, e);
    if (st != FX_OK)
        return st;

    char *start = w->buf + w->len, *p = start;
    p = put_u64(p, (uint64_t)rec->t / 1000);
    *p++ = '\t';
    memcpy(p, rec->key, rec->key_len);
    p += rec->key_len;
    for (size_t i = 0; i < rec->nfields; i++) {
        const fx_trace_field *f = &rec->fields[i];
        *p++ = '\t';
        memcpy(p, w->names[f->node], w->name_len[f->node]);
        p += w->name_len[f->node];
        *p++ = '=';
        if (f->no_service)
            *p++ = '-'; /* not recorded: the replay uses the profile */
        else
            p = put_us(p, (uint64_t)f->service);
        if (f->has_bytes || f->has_hash)
            *p++ = '/';
        if (f->has_bytes)
            p = put_u64(p, f->bytes);
        if (f->has_hash) {
            *p++ = '/';
            p = put_hex(p, f->hash);
        }
    }
    if ((size_t)(p - start) > FX_TRACE_LINE_MAX)
        return refuse(w, e, "expected a line of at most %d bytes, found %zu", FX_TRACE_LINE_MAX,
                      (size_t)(p - start));
    *p++ = '\n';
    w->len += (size_t)(p - start);
    w->records++;
    w->prev_t = rec->t;
    return FX_OK;
}

fx_status fx_trace_writer_close(fx_trace_writer *w, int abandon, fx_err *e)
{
    if (!w)
        return FX_OK;
    if (abandon || w->failed) {
        fx_status st = FX_OK;
        if (!abandon)
            st = fx_err_set(e, w->first.code, "%s (so nothing was written)", w->first.msg);
        discard(w);
        release(w);
        return st;
    }
    fx_status st = flush(w, e);
    int err = 0;
    if (w->gz) {
        int zst = gzclose(w->gz); /* finishes the stream */
        w->gz = NULL;
        if (st == FX_OK && zst != Z_OK)
            err = zst == Z_ERRNO && errno ? errno : EIO;
    }
    if (st == FX_OK && !err && w->tmp) {
        if (fsync(w->fd) != 0)
            err = errno;
        /* mkstemp makes the file 0600; a trace is as readable as any file. */
        mode_t mask = umask(0);
        umask(mask);
        if (!err && fchmod(w->fd, 0666 & ~mask) != 0)
            err = errno;
        int fd = w->fd;
        w->fd = -1;
        if (close(fd) != 0 && !err)
            err = errno;
        if (!err && rename(w->tmp, w->path) != 0)
            err = errno;
    }
    if (w->in_place && close(w->fd) != 0 && st == FX_OK && !err)
        err = errno;
    if (err)
        st = fx_err_set(e, FX_EIO, "%s: cannot write: %s", w->where, strerror(err));
    if (st != FX_OK && w->tmp) {
        if (w->fd >= 0)
            close(w->fd);
        unlink(w->tmp);
    }
    release(w);
    return st;
}
