#include "cli/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

fx_status fx_output_open(fx_output *o, const char *path, fx_err *e)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        return FX_OK;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return fx_err_set(e, FX_EIO, "%s: expected a file name, found a directory", path);
    if (fx_output_is_special(path)) {
        /* /dev/null, a FIFO, a terminal: written in place. Renaming a
         * temporary file over it would replace the device itself. */
        if (!(o->path = strdup(path)))
            return fx_err_set(e, FX_ENOMEM, "out of memory");
        if (!(o->f = fopen(path, "w"))) {
            fx_status st = fx_err_set(e, FX_EIO, "%s: cannot open: %s", path, strerror(errno));
            fx_output_abort(o);
            return st;
        }
        return FX_OK;
    }
    size_t plen = strlen(path);
    o->path = strdup(path);
    o->tmp = malloc(plen + 16);
    if (!o->path || !o->tmp) {
        fx_output_abort(o);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    /* The temporary name sits in the destination's folder so that rename()
     * never crosses a file system. */
    snprintf(o->tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        fx_status st = fx_err_set(e, FX_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        fx_output_abort(o);
        return st;
    }
    /* mkstemp makes the file 0600; a result is as readable as any file. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || !(o->f = fdopen(fd, "w"))) {
        fx_status st = fx_err_set(e, FX_EIO, "%s: cannot create: %s", path, strerror(errno));
        close(fd);
        fx_output_abort(o);
        return st;
    }
    return FX_OK;
}

int fx_output_is_special(const char *path)
{
    struct stat sb;
    return path && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode);
}

fx_status fx_output_commit(fx_output *o, fx_err *e)
{
    if (!o->tmp && !o->path) { /* stdout */
        if (fflush(stdout) != 0 || ferror(stdout))
            return fx_err_set(e, FX_EIO, "standard output: %s", strerror(errno));
        o->f = NULL;
        return FX_OK;
    }
    if (!o->tmp) { /* a device or a FIFO, written in place */
        int bad = fflush(o->f) != 0 || ferror(o->f);
        int err = bad ? errno : 0;
        if (fclose(o->f) != 0 && !bad)
            err = errno, bad = 1;
        o->f = NULL;
        fx_status st =
            bad ? fx_err_set(e, FX_EIO, "%s: cannot write: %s", o->path, strerror(err ? err : EIO))
                : FX_OK;
        free(o->path);
        o->path = NULL;
        return st;
    }
    int err = 0;
    if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)
        err = errno ? errno : EIO;
    if (fclose(o->f) != 0 && !err)
        err = errno;
    o->f = NULL;
    if (!err && rename(o->tmp, o->path) != 0)
        err = errno;
    if (err) {
        fx_status st = fx_err_set(e, FX_EIO, "%s: cannot write: %s", o->path, strerror(err));
        fx_output_abort(o);
        return st;
    }
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    return FX_OK;
}

void fx_output_abort(fx_output *o)
{
    if (o->f && o->f != stdout)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
}

fx_status fx_output_write(const char *path, const char *text, size_t len, fx_err *e)
{
    fx_output o;
    fx_status st = fx_output_open(&o, path, e);
    if (st != FX_OK)
        return st;
    if (fwrite(text, 1, len, o.f) != len) {
        st = fx_err_set(e, FX_EIO, "%s: cannot write: %s", o.path ? path : "standard output",
                        strerror(errno));
        fx_output_abort(&o);
        return st;
    }
    return fx_output_commit(&o, e);
}

/* PATH made absolute and free of "." and ".." and links, even when the file
 * itself does not exist yet (its folder must). NULL when that fails. */
static char *canonical(const char *path)
{
    char *full = realpath(path, NULL);
    if (full)
        return full;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    char *rdir = dir ? realpath(dir, NULL) : NULL;
    free(dir);
    if (!rdir)
        return NULL;
    size_t n = strlen(rdir) + strlen(base) + 2;
    full = malloc(n);
    if (full)
        snprintf(full, n, "%s/%s", rdir, base);
    free(rdir);
    return full;
}

int fx_output_same_file(const char *path, const char *other)
{
    struct stat a, b;
    if (!path || !other || strcmp(path, "-") == 0 || strcmp(other, "-") == 0)
        return 0;
    if (stat(path, &a) == 0 && stat(other, &b) == 0)
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    /* One does not exist yet: the same name after resolving folders. */
    char *x = canonical(path), *y = canonical(other);
    int same = x && y ? strcmp(x, y) == 0 : strcmp(path, other) == 0;
    free(x);
    free(y);
    return same;
}

fx_status fx_input_read(const char *path, int missing_ok, char **text, size_t *len, fx_err *e)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT && missing_ok
                   ? FX_OK
                   : fx_err_set(e, FX_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    char chunk[8192];
    size_t got;
    while (m && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, got, m);
    int bad = ferror(f) ? errno : 0;
    fclose(f);
    if (!m || fclose(m) != 0 || bad) {
        free(buf);
        return fx_err_set(e, FX_EIO, "%s: cannot read: %s", path, strerror(bad ? bad : ENOMEM));
    }
    *text = buf;
    *len = n;
    return FX_OK;
}
