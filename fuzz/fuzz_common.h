/* fuzz_common.h - what the libFuzzer harnesses share: a scratch folder for
 * the files the loaders read, writing an input into it, and the checks every
 * error report must pass.
 *
 * The loaders take paths, so each input is written to a file in a folder
 * made once per process (under /dev/shm when it exists: no disk writes),
 * removed at exit. A property the library promises and the input breaks is
 * reported with fuzz_fail, which aborts: libFuzzer saves the input as a
 * crash. Nothing is printed otherwise.
 *
 * FUZZ_IGNORE in the environment names checks to skip while a bug they
 * find is open, so fuzzing can go on past it: "ctrl" (control characters
 * in error messages), "format" (fx_dist_format round trips), "scv" (a NaN
 * squared coefficient of variation), separated by commas.
 */
#ifndef FX_FUZZ_COMMON_H
#define FX_FUZZ_COMMON_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/error.h"

/* What libFuzzer calls (each harness defines both). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[256];

/* Is the check TAG listed in FUZZ_IGNORE? */
static int fuzz_ignored(const char *tag)
{
    const char *list = getenv("FUZZ_IGNORE");
    size_t n = strlen(tag);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, tag, n) == 0)
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

__attribute__((noreturn)) static void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz: broken promise: %s\n%s\n", what, detail ? detail : "");
    abort();
}

static void fuzz_cleanup(void)
{
    if (!fuzz_dir[0])
        return;
    DIR *dir = opendir(fuzz_dir);
    if (dir) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(dir))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", fuzz_dir, de->d_name);
            unlink(p);
        }
        closedir(dir);
    }
    rmdir(fuzz_dir);
}

/* Make the scratch folder, in TMPDIR when set (fuzz/run.sh points it at a
 * folder it removes: a crash skips atexit), else /dev/shm, else /tmp; abort
 * when there is none to be had. */
static void fuzz_init_dir(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/fxfuzz.XXXXXX", base);
    if (!mkdtemp(fuzz_dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_cleanup);
}

/* The path of NAME in the scratch folder, written into BUF. */
static const char *fuzz_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", fuzz_dir, name);
    return buf;
}

/* Write DATA[0..SIZE) to PATH, replacing it. */
static void fuzz_write(const char *path, const void *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror("fuzz: open");
        abort();
    }
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n <= 0) {
            perror("fuzz: write");
            abort();
        }
        p += n;
        size -= (size_t)n;
    }
    close(fd);
}

/* What every error report must be: a known code and one non-empty line
 * (the command prints it after "fluxosim: error: "), starting with PREFIX
 * when PREFIX is not NULL (the file it is about). */
static void fuzz_check_error(fx_status st, const fx_err *e, const char *prefix)
{
    if (st != FX_EINVAL && st != FX_EIO && st != FX_ENOMEM && st != FX_ELIMIT)
        fuzz_fail("an error with an unknown status", e->msg);
    if (e->code != st)
        fuzz_fail("the status returned differs from the one in the report", e->msg);
    size_t n = strnlen(e->msg, sizeof e->msg);
    if (n == 0 || n == sizeof e->msg)
        fuzz_fail("an empty or unterminated error message", NULL);
    int ctrl_ok = fuzz_ignored("ctrl");
    for (size_t i = 0; i < n && !ctrl_ok; i++)
        if (((unsigned char)e->msg[i] < 0x20 && e->msg[i] != '\t') || e->msg[i] == 0x7f)
            fuzz_fail("an error message with a control character (more than one line)", e->msg);
    if (prefix && strncmp(e->msg, prefix, strlen(prefix)) != 0)
        fuzz_fail("an error message that does not start with the file it is about", e->msg);
}

#endif
