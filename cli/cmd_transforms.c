/* cmd_transforms.c - `fluxosim transforms SERVICE`: every candidate cache
 * placement and every edge of a service, with whether the transformation is
 * allowed and, when not, why (models/transform.h decides). */
#include "cli/cmd_transforms.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "models/arch.h"
#include "models/service.h"
#include "models/transform.h"

enum { FMT_TABLE, FMT_JSON };

static const char *const formats[] = {"table", "json", NULL};

typedef struct transforms_opts {
    int format;
    const char *output;
    int valid_only;
} transforms_opts;

#define OFF(f) offsetof(transforms_opts, f)

const fx_opt fx_transforms_options[] = {
    {"format", 'f', FX_OPT_CHOICE, "table|json", OFF(format), "output format (default: table)",
     formats},
    {"output", 'o', FX_OPT_STRING, "FILE", OFF(output),
     "write the list to FILE, atomically (default: stdout)", NULL},
    {"valid-only", 0, FX_OPT_FLAG, NULL, OFF(valid_only),
     "list only the placements and edges that are allowed", NULL},
    {NULL, 0, 0, NULL, 0, NULL, NULL},
};

const char fx_transforms_usage[] = "fluxosim transforms SERVICE [OPTIONS]";

const char fx_transforms_description[] =
    "Lists every candidate cache placement of the service: each pair FROM..TO\n"
    "with TO reachable from FROM (FROM first, in topological order), the nodes\n"
    "inside (those on a path from FROM to TO), whether a cache may sit there or\n"
    "why not, and the largest TTL it may have: the smallest volatile_s inside\n"
    "(\"-\" when no node inside is volatile). A placement is valid when it is a\n"
    "single-entry single-exit region (no path leaves it before TO, no node but\n"
    "FROM has a predecessor outside) holding no node with side effects and no\n"
    "node with volatile_s 0. Then lists every edge with whether it may be\n"
    "asynchronous: only when the exit is not reachable from its head.\n"
    "SERVICE may be an architecture file (a JSON object with \"pools\"): its\n"
    "service is used.\n\n"
    "example: fluxosim transforms examples/weather/weather.service.json --valid-only\n";

/* Files larger than this are left to the loaders to refuse. */
#define SNIFF_MAX (64u << 20)

/* Is PATH a JSON object with a top-level "pools" key (an architecture)? On
 * any doubt (unreadable, not JSON) the answer is no and the service loader
 * reports what is wrong. */
static int is_arch(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int ok = 1;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = ncap <= SNIFF_MAX ? realloc(buf, ncap) : NULL;
            if (!nb) {
                ok = 0;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            ok = !ferror(f);
            break;
        }
    }
    fclose(f);
    int arch = 0;
    if (ok) {
        cJSON *root = cJSON_ParseWithLength(buf, len);
        arch = cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "pools") != NULL;
        cJSON_Delete(root);
    }
    free(buf);
    return arch;
}

/* What the command lists. */
typedef struct listing {
    const fx_service *svc;
    fx_transform *caches, *edges;
    size_t ncaches, nedges;
    size_t valid_caches, valid_edges;
    int valid_only;
    uint8_t *inside; /* svc->nnodes bytes of working space */
} listing;

static int shown(const listing *l, const fx_transform *t)
{
    return t->valid || !l->valid_only;
}

/* Mark the nodes inside C in l->inside; return the length of their list
 * as put_nodes writes it. */
static size_t mark_nodes(const listing *l, const fx_transform *c)
{
    const fx_service *svc = l->svc;
    fx_placement_nodes(svc, c->from, c->to, l->inside);
    size_t len = 0;
    for (uint32_t i = 0; i < svc->nnodes; i++)
        if (l->inside[i])
            len += strlen(svc->nodes[i].id) + (len ? 1 : 0);
    return len;
}

/* The nodes marked in l->inside, comma-separated in topological order. */
static void put_nodes(FILE *f, const listing *l)
{
    const fx_service *svc = l->svc;
    int first = 1;
    for (uint32_t k = 0; k < svc->nnodes; k++)
        if (l->inside[svc->topo[k]]) {
            if (!first)
                putc(',', f);
            fputs(svc->nodes[svc->topo[k]].id, f);
            first = 0;
        }
}

/* Node lists longer than this overflow their column instead of pushing
 * every reason to the right. */
#define NODES_PAD_MAX 48

/* The table is written as it is made: a long listing is never held whole. */
static void write_table(FILE *f, const listing *l)
{
    const fx_service *svc = l->svc;
    int idw = 4; /* "from" */
    for (uint32_t i = 0; i < svc->nnodes; i++)
        if (strlen(svc->nodes[i].id) > (size_t)idw)
            idw = (int)strlen(svc->nodes[i].id);
    int nodesw = 5; /* "nodes" */
    for (size_t i = 0; !l->valid_only && nodesw < NODES_PAD_MAX && i < l->ncaches; i++) {
        size_t len = mark_nodes(l, &l->caches[i]);
        if (len <= NODES_PAD_MAX && len > (size_t)nodesw)
            nodesw = (int)len;
    }

    fprintf(f, "service %s: %u nodes, entry %s, exit %s\n\n", svc->name, svc->nnodes,
            svc->nodes[svc->entry].id, svc->nodes[svc->exit].id);
    fprintf(f, "cache placements: %zu valid of %zu\n", l->valid_caches, l->ncaches);
    fprintf(f, "%-*s  %-*s  %-5s  %9s  ", idw, "from", idw, "to", "valid", "max_ttl_s");
    if (l->valid_only)
        fputs("nodes\n", f);
    else
        fprintf(f, "%-*s  reason\n", nodesw, "nodes");
    for (size_t i = 0; i < l->ncaches; i++) {
        const fx_transform *c = &l->caches[i];
        if (!shown(l, c))
            continue;
        char ttl[32] = "-";
        double v = fx_placement_min_volatile(svc, c->from, c->to);
        if (v >= 0)
            snprintf(ttl, sizeof ttl, "%g", v);
        fprintf(f, "%-*s  %-*s  %-5s  %9s  ", idw, svc->nodes[c->from].id, idw,
                svc->nodes[c->to].id, c->valid ? "yes" : "no", ttl);
        size_t len = mark_nodes(l, c);
        put_nodes(f, l);
        if (c->valid)
            fputc('\n', f);
        else
            fprintf(f, "%*s  %s\n", len < (size_t)nodesw ? nodesw - (int)len : 0, "", c->reason);
    }

    fprintf(f, "\nasynchronous edges: %zu valid of %zu\n", l->valid_edges, l->nedges);
    fprintf(f, "%-*s  %-*s  %s\n", idw, "from", idw, "to",
            l->valid_only ? "valid" : "valid  reason");
    for (size_t i = 0; i < l->nedges; i++) {
        const fx_transform *d = &l->edges[i];
        if (!shown(l, d))
            continue;
        fprintf(f, "%-*s  %-*s  ", idw, svc->nodes[d->from].id, idw, svc->nodes[d->to].id);
        if (d->valid)
            fputs("yes\n", f);
        else
            fprintf(f, "%-5s  %s\n", "no", d->reason);
    }
}

/* Write ITEM on one line (cJSON escapes and formats it) and free it;
 * returns -1 when out of memory. */
static int put_json(FILE *f, cJSON *item)
{
    char *text = item ? cJSON_PrintUnformatted(item) : NULL;
    cJSON_Delete(item);
    if (!text)
        return -1;
    fputs(text, f);
    cJSON_free(text);
    return 0;
}

/* One object of the "caches" array; NULL when out of memory. */
static cJSON *cache_json(const listing *l, const fx_transform *c)
{
    const fx_service *svc = l->svc;
    cJSON *o = cJSON_CreateObject();
    cJSON *nodes = NULL;
    int ok = o && cJSON_AddStringToObject(o, "from", svc->nodes[c->from].id) &&
             cJSON_AddStringToObject(o, "to", svc->nodes[c->to].id) &&
             (nodes = cJSON_AddArrayToObject(o, "nodes"));
    if (ok)
        mark_nodes(l, c);
    for (uint32_t k = 0; ok && k < svc->nnodes; k++) {
        if (!l->inside[svc->topo[k]])
            continue;
        cJSON *s = cJSON_CreateString(svc->nodes[svc->topo[k]].id);
        if (!s || !cJSON_AddItemToArray(nodes, s)) {
            cJSON_Delete(s);
            ok = 0;
        }
    }
    ok = ok && cJSON_AddBoolToObject(o, "valid", c->valid);
    if (ok && !c->valid)
        ok = cJSON_AddStringToObject(o, "reason", c->reason) != NULL;
    double v = fx_placement_min_volatile(svc, c->from, c->to);
    if (ok && v >= 0)
        ok = cJSON_AddNumberToObject(o, "max_ttl_s", v) != NULL;
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* One object of the "async_edges" array; NULL when out of memory. */
static cJSON *edge_json(const listing *l, const fx_transform *d)
{
    const fx_service *svc = l->svc;
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddStringToObject(o, "from", svc->nodes[d->from].id) &&
             cJSON_AddStringToObject(o, "to", svc->nodes[d->to].id) &&
             cJSON_AddBoolToObject(o, "valid", d->valid) &&
             (d->valid || cJSON_AddStringToObject(o, "reason", d->reason));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The JSON document, one placement or edge a line, written as it is made.
 * Returns -1 when out of memory. */
static int write_json(FILE *f, const listing *l)
{
    fputs("{\n  \"service\": ", f);
    if (put_json(f, cJSON_CreateString(l->svc->name)) < 0)
        return -1;
    fputs(",\n  \"caches\": [", f);
    size_t rows = 0;
    for (size_t i = 0; i < l->ncaches; i++) {
        if (!shown(l, &l->caches[i]))
            continue;
        fputs(rows++ ? ",\n    " : "\n    ", f);
        if (put_json(f, cache_json(l, &l->caches[i])) < 0)
            return -1;
    }
    fputs(rows ? "\n  ],\n  \"async_edges\": [" : "],\n  \"async_edges\": [", f);
    rows = 0;
    for (size_t i = 0; i < l->nedges; i++) {
        if (!shown(l, &l->edges[i]))
            continue;
        fputs(rows++ ? ",\n    " : "\n    ", f);
        if (put_json(f, edge_json(l, &l->edges[i])) < 0)
            return -1;
    }
    fputs(rows ? "\n  ]\n}\n" : "]\n}\n", f);
    return 0;
}

int fx_cmd_transforms(int argc, char **argv)
{
    transforms_opts o = {FMT_TABLE, NULL, 0};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    if (!pos) {
        fx_cli_error("transforms: out of memory");
        return FX_EXIT_FAIL;
    }
    int rc = fx_opts_parse("transforms", fx_transforms_options, &o, argc, argv, pos, &npos);
    const char *path = npos >= 1 ? pos[0] : NULL;
    if (rc == 0 && npos == 0) {
        fx_cli_error("transforms: expected a service or architecture file, found none");
        rc = -1;
    } else if (rc == 0 && npos > 1) {
        fx_cli_error("transforms: expected one service or architecture file, found \"%s\" "
                     "and \"%s\"",
                     pos[0], pos[1]);
        rc = -1;
    }
    if (rc == 0 && fx_output_same_file(o.output, path)) {
        fx_cli_error("transforms: %s: expected an output file apart from the input, found the "
                     "input itself",
                     o.output);
        rc = -1;
    }
    free(pos);
    if (rc < 0)
        return FX_EXIT_USAGE;

    fx_err e;
    fx_err_clear(&e);
    fx_arch *arch = NULL;
    fx_service *own = NULL;
    const fx_service *svc;
    if (is_arch(path)) {
        if (fx_arch_load(path, &arch, &e) != FX_OK)
            return fx_cli_fail(&e);
        svc = arch->svc;
    } else {
        if (fx_service_load(path, &own, &e) != FX_OK)
            return fx_cli_fail(&e);
        svc = own;
    }

    int code = FX_EXIT_OK;
    if (fx_output_same_file(o.output, svc->path)) {
        fx_cli_error("transforms: %s: expected an output file apart from the inputs, found the "
                     "service file itself",
                     o.output);
        fx_arch_free(arch);
        fx_service_free(own);
        return FX_EXIT_USAGE;
    }
    listing l = {.svc = svc, .valid_only = o.valid_only};
    fx_output out = {0};
    if (fx_transforms_caches(svc, &l.caches, &l.ncaches, &e) != FX_OK ||
        fx_transforms_async(svc, &l.edges, &l.nedges, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    for (size_t i = 0; i < l.ncaches; i++)
        l.valid_caches += (size_t)l.caches[i].valid;
    for (size_t i = 0; i < l.nedges; i++)
        l.valid_edges += (size_t)l.edges[i].valid;
    if (!(l.inside = malloc(svc->nnodes))) {
        fx_cli_error("transforms: out of memory");
        code = FX_EXIT_FAIL;
        goto done;
    }
    if (fx_output_open(&out, o.output, &e) != FX_OK) {
        code = fx_cli_fail(&e);
        goto done;
    }
    if (o.format == FMT_JSON) {
        if (write_json(out.f, &l) < 0) {
            fx_output_abort(&out);
            fx_cli_error("transforms: out of memory");
            code = FX_EXIT_FAIL;
            goto done;
        }
    } else {
        write_table(out.f, &l);
    }
    if (fx_output_commit(&out, &e) != FX_OK)
        code = fx_cli_fail(&e);
done:
    free(l.inside);
    free(l.caches);
    free(l.edges);
    fx_arch_free(arch);
    fx_service_free(own);
    return code;
}
