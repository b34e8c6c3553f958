#include "cli/opts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const fx_opt *find_long(const fx_opt *t, const char *name, size_t len)
{
    for (; t->name; t++)
        if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
            return t;
    return NULL;
}

static const fx_opt *find_short(const fx_opt *t, char c)
{
    for (; t->name; t++)
        if (t->short_name && t->short_name == c)
            return t;
    return NULL;
}

static int store(const char *cmd, const fx_opt *o, void *dest, const char *val)
{
    char *field = (char *)dest + o->offset;
    switch (o->type) {
    case FX_OPT_FLAG:
        *(int *)field = 1;
        return 0;
    case FX_OPT_STRING:
        *(const char **)field = val;
        return 0;
    case FX_OPT_U64: {
        char *end;
        errno = 0;
        if (val[0] < '0' || val[0] > '9')
            goto bad_u64;
        unsigned long long v = strtoull(val, &end, 10);
        if (*end || errno == ERANGE)
            goto bad_u64;
        *(uint64_t *)field = v;
        return 0;
    bad_u64:
        fx_cli_error("%s: --%s: expected a non-negative integer, found \"%s\"", cmd, o->name, val);
        return -1;
    }
    case FX_OPT_DOUBLE: {
        char *end;
        errno = 0;
        double v = strtod(val, &end);
        if (end == val || *end || errno == ERANGE || !isfinite(v)) {
            fx_cli_error("%s: --%s: expected a finite number, found \"%s\"", cmd, o->name, val);
            return -1;
        }
        *(double *)field = v;
        return 0;
    }
    case FX_OPT_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            if (strcmp(o->choices[i], val) == 0) {
                *(int *)field = i;
                return 0;
            }
        {
            char list[256] = "";
            for (int i = 0; o->choices[i]; i++) {
                if (i)
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, o->choices[i], sizeof list - strlen(list) - 1);
            }
            fx_cli_error("%s: --%s: expected one of %s, found \"%s\"", cmd, o->name, list, val);
        }
        return -1;
    }
    return -1;
}

int fx_opts_parse(const char *cmd, const fx_opt *table, void *dest, int argc, char **argv,
                  char **pos, int *npos)
{
    int only_pos = 0;
    *npos = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            pos[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        const fx_opt *o;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(table, name, len);
            if (!o) {
                fx_cli_error("%s: unknown option \"--%.*s\" (see 'fluxosim help %s')", cmd,
                             (int)len, name, cmd);
                return -1;
            }
            if (eq) {
                if (o->type == FX_OPT_FLAG) {
                    fx_cli_error("%s: --%s takes no value", cmd, o->name);
                    return -1;
                }
                val = eq + 1;
            }
        } else {
            o = find_short(table, a[1]);
            if (!o || a[2] != '\0') {
                fx_cli_error("%s: unknown option \"%s\" (see 'fluxosim help %s')", cmd, a, cmd);
                return -1;
            }
        }
        if (o->type != FX_OPT_FLAG && !val) {
            if (i + 1 >= argc) {
                fx_cli_error("%s: --%s expects %s", cmd, o->name, o->metavar);
                return -1;
            }
            val = argv[++i];
        }
        if (store(cmd, o, dest, val) < 0)
            return -1;
    }
    return 0;
}

void fx_opts_help(FILE *out, const fx_opt *t)
{
    for (; t->name; t++) {
        char left[64];
        if (t->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", t->short_name, t->name,
                     t->metavar ? " " : "", t->metavar ? t->metavar : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", t->name, t->metavar ? " " : "",
                     t->metavar ? t->metavar : "");
        fprintf(out, "  %-28s %s\n", left, t->help);
    }
}
