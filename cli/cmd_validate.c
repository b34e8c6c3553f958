/* cmd_validate.c - `fluxosim validate FILE...`: check inputs, run nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <sys/stat.h>

#include <zlib.h>

#include "cli/cli.h"
#include "models/arch.h"
#include "models/json.h"
#include "models/service.h"
#include "traces/trace.h"

const char fx_validate_description[] =
    "Checks each FILE and prints one line per file: \"FILE: ok\" with what it\n"
    "is, or the error. The kind is told from the content: a trace starts with\n"
    "\"#fluxotrace\" (plain or gzip), a service is a JSON object with \"entry\",\n"
    "\"nodes\" or \"edges\", an architecture one without. A trace's node names are checked "
    "against\n"
    "the last service or architecture named before it on the command line,\n"
    "so a trace must follow its service or architecture.\n"
    "Exit status: 0 when every file is valid, else the code of the first error.\n\n"
    "example: fluxosim validate examples/weather/cand2.json examples/weather/weather.trace\n";

typedef enum { KIND_TRACE, KIND_ARCH, KIND_SERVICE, KIND_UNKNOWN } kind;

/* Tell a file's kind from its content: a trace starts with "#fluxotrace"
 * (plain or gzip); a JSON object is a service when it has the keys only a
 * service has, else an architecture. A file that cannot be read as either
 * goes to the loader that fits its first byte, which says what is wrong. */
static kind sniff(const char *path, fx_err *e)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fx_err_set(e, FX_EIO, "%s: expected a file, found a directory", path);
        return KIND_UNKNOWN;
    }
    gzFile g = gzopen(path, "rb");
    if (!g) {
        fx_err_set(e, FX_EIO, "%s: cannot open: %s", path, strerror(errno));
        return KIND_UNKNOWN;
    }
    char buf[64];
    int n = gzread(g, buf, sizeof buf - 1);
    gzclose(g);
    if (n < 0) /* a damaged gzip stream: the trace reader says how */
        return KIND_TRACE;
    buf[n] = '\0';
    if (strncmp(buf, "#fluxotrace", 11) == 0)
        return KIND_TRACE;
    const char *p = buf;
    if ((unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb && (unsigned char)p[2] == 0xbf)
        p += 3; /* a UTF-8 byte order mark */
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '#')
        return KIND_TRACE;
    if (*p != '{')
        return KIND_UNKNOWN;
    cJSON *root = NULL;
    fx_err ignored;
    if (fx_json_load(path, &root, &ignored) != FX_OK)
        return KIND_SERVICE; /* its loader reports the syntax error */
    /* Keys only an architecture has, then keys only a service has; an
     * object with neither is taken for a service (its loader lists the keys). */
    kind k =
        fx_json_has(root, "pools") ? KIND_ARCH
        : fx_json_has(root, "entry") || fx_json_has(root, "nodes") || fx_json_has(root, "edges")
            ? KIND_SERVICE
        : fx_json_has(root, "name") ? KIND_ARCH
                                    : KIND_SERVICE;
    cJSON_Delete(root);
    return k;
}

static int check_trace(const char *path, const fx_service *svc, fx_err *e, uint64_t *count)
{
    fx_trace_reader *r;
    if (fx_trace_open(path, svc->ids, svc->nnodes, &r, e) != FX_OK)
        return -1;
    const char *named = fx_trace_service(r);
    if (named && strcmp(named, svc->name) != 0) {
        fx_err_set(e, FX_EINVAL,
                   "%s: expected a trace of the service \"%s\", found \"#service %s\"", path,
                   svc->name, named);
        fx_trace_close(r);
        return -1;
    }
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
    for (int i = 0; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fx_cli_error("validate: unknown option \"%s\" (see 'fluxosim help validate')", argv[i]);
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
