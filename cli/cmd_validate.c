/* cmd_validate.c - `fluxosim validate FILE...`: check inputs, run nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cli/cli.h"
#include "models/arch.h"
#include "models/service.h"
#include "traces/trace.h"

const char fx_validate_description[] =
    "Checks each FILE and prints one line per file: \"FILE: ok\" with what it\n"
    "is, or the error. The kind is told from the content: a trace starts with\n"
    "\"#fluxotrace\" (plain or gzip), an architecture is a JSON object with\n"
    "\"pools\", a service one without. A trace's node names are checked against\n"
    "the last service or architecture named before it on the command line,\n"
    "so a trace must follow its service or architecture.\n"
    "Exit status: 0 when every file is valid, else the code of the first error.\n\n"
    "example: fluxosim validate examples/weather/cand2.json examples/weather/weather.trace\n";

typedef enum { KIND_TRACE, KIND_ARCH, KIND_SERVICE, KIND_UNKNOWN } kind;

/* Tell a file's kind from its first bytes (gzip is read through zlib). */
static kind sniff(const char *path, fx_err *e)
{
    gzFile g = strcmp(path, "-") == 0 ? NULL : gzopen(path, "rb");
    if (!g) {
        fx_err_set(e, FX_EIO, "%s: cannot open", path);
        return KIND_UNKNOWN;
    }
    char buf[65536];
    int n = gzread(g, buf, sizeof buf - 1);
    gzclose(g);
    if (n < 0) {
        fx_err_set(e, FX_EIO, "%s: cannot read", path);
        return KIND_UNKNOWN;
    }
    buf[n] = '\0';
    if (strncmp(buf, "#fluxotrace", 11) == 0)
        return KIND_TRACE;
    const char *p = buf;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '{')
        return strstr(p, "\"pools\"") ? KIND_ARCH : KIND_SERVICE;
    return KIND_UNKNOWN;
}

static int check_trace(const char *path, const fx_service *svc, fx_err *e, uint64_t *count)
{
    fx_trace_reader *r;
    if (fx_trace_open(path, svc->ids, svc->nnodes, &r, e) != FX_OK)
        return -1;
    fx_trace_rec rec;
    int got;
    *count = 0;
    while ((got = fx_trace_next(r, &rec, e)) > 0)
        (*count)++;
    fx_trace_close(r);
    return got < 0 ? -1 : 0;
}

int fx_cmd_validate(int argc, char **argv)
{
    if (argc == 0) {
        fx_cli_error("validate: expected one or more files, found none");
        return FX_EXIT_USAGE;
    }
    int code = FX_EXIT_OK;
    fx_arch *arch = NULL;
    fx_service *svc = NULL;
    const fx_service *current = NULL; /* the service traces are checked against */
    for (int i = 0; i < argc; i++) {
        const char *path = argv[i];
        fx_err e;
        fx_err_clear(&e);
        int bad = 0;
        kind k = strcmp(path, "-") == 0 ? KIND_TRACE : sniff(path, &e);
        if (k == KIND_UNKNOWN && e.code == FX_OK)
            fx_err_set(&e, FX_EINVAL,
                       "%s: expected a trace (#fluxotrace), a service or an architecture "
                       "(JSON), found neither",
                       path);
        if (e.code != FX_OK) {
            bad = 1;
        } else if (k == KIND_ARCH) {
            fx_arch *a;
            if (fx_arch_load(path, &a, &e) != FX_OK) {
                bad = 1;
            } else {
                fx_arch_free(arch);
                arch = a;
                current = a->svc;
                printf("%s: ok (architecture \"%s\": %u pools, service \"%s\" with %u nodes)\n",
                       path, a->name, a->npools, a->svc->name, a->svc->nnodes);
            }
        } else if (k == KIND_SERVICE) {
            fx_service *s;
            if (fx_service_load(path, &s, &e) != FX_OK) {
                bad = 1;
            } else {
                fx_service_free(svc);
                svc = s;
                current = s;
                printf("%s: ok (service \"%s\": %u nodes)\n", path, s->name, s->nnodes);
            }
        } else if (!current) {
            fx_err_set(&e, FX_EINVAL,
                       "%s: expected a service or architecture before this trace on the command "
                       "line (to check its node names), found none",
                       path);
            bad = 1;
        } else {
            uint64_t count;
            if (check_trace(path, current, &e, &count) < 0)
                bad = 1;
            else
                printf("%s: ok (trace: %llu requests)\n", path, (unsigned long long)count);
        }
        if (bad) {
            int c = fx_cli_fail(&e);
            if (code == FX_EXIT_OK)
                code = c;
        }
    }
    fflush(stdout);
    fx_arch_free(arch);
    fx_service_free(svc);
    return code;
}
