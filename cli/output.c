#include "cli/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static fx_status write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return FX_EIO;
        }
        text += n;
        len -= (size_t)n;
    }
    return FX_OK;
}

fx_status fx_output_write(const char *path, const char *text, size_t len, fx_err *e)
{
    if (!path || strcmp(path, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
            return fx_err_set(e, FX_EIO, "standard output: %s", strerror(errno));
        return FX_OK;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return fx_err_set(e, FX_EIO, "%s: expected a file name, found a directory", path);

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    /* The temporary name sits in the destination's folder so that rename()
     * never crosses a file system. */
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fx_status st = fx_err_set(e, FX_EIO, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return st;
    }
    int err = 0;
    if (write_all(fd, text, len) != FX_OK || fsync(fd) != 0)
        err = errno ? errno : EIO;
    /* mkstemp makes the file 0600; a result file is as readable as any other. */
    mode_t mask = umask(0);
    umask(mask);
    if (!err && fchmod(fd, 0666 & ~mask) != 0)
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
