/* service.h - the service: a dataflow graph of components (nodes).
 *
 * A service file (*.service.json) is the logical program, apart from how it
 * is deployed (see doc/formats.md):
 *
 *   { "service": "weather", "entry": "parse", "exit": "render",
 *     "nodes": [ {"id": "parse", "profile": "lognormal:mean=120us,cv=0.5",
 *                 "out_bytes": 64},
 *                {"id": "forecast", "volatile_s": 600}, ...
 *                {"id": "log", "side_effects": true} ],
 *     "edges": [ ["parse", "geocode"], ... ] }
 *
 * The graph must be a DAG with one entry (no predecessors) from which every
 * node is reachable, and an exit reachable from the entry. Other sinks (a
 * "log" node with side effects, say) are allowed. Node ids are unique.
 *
 * Ownership: fx_service_load returns a service the caller frees with
 * fx_service_free; every string and array in it belongs to it.
 */
#ifndef FX_SERVICE_H
#define FX_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/dist.h"
#include "sim/error.h"

#define FX_SERVICE_NODES_MAX 1024

typedef struct fx_node {
    char *id;
    int has_profile;
    fx_dist profile; /* service demand when a trace line lacks the node */
    int has_out_bytes;
    uint64_t out_bytes; /* default output size */
    int side_effects;   /* writes state: a cache may never skip it */
    double volatile_s;  /* max age of its output; 0 never cache; < 0 absent */
    uint32_t *succ;     /* successors, in the order edges list them */
    uint32_t nsucc;
    uint32_t *pred; /* predecessors */
    uint32_t npred;
} fx_node;

typedef struct fx_service {
    char *name;
    char *path; /* the file it came from ("inline" path of its arch) */
    uint32_t entry, exit;
    fx_node *nodes;
    uint32_t nnodes;
    uint32_t *topo;   /* node indices in a topological order, entry first */
    const char **ids; /* ids[i] == nodes[i].id, for trace readers */
} fx_service;

/* Load and validate a service file. Errors: "FILE:LINE: ..." for JSON syntax,
 * "FILE: nodes[2].volatile_s: expected ..., found ..." for meaning. */
fx_status fx_service_load(const char *path, fx_service **out, fx_err *e);

void fx_service_free(fx_service *svc);

/* Index of the node ID, or -1. */
int fx_service_find(const fx_service *svc, const char *id);

#endif
