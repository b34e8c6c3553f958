/* transform.h - which architectural transformations a service allows.
 *
 * A cache over the subgraph from node FROM to node TO (FROM == TO allowed)
 * caches TO's output for the subgraph's input. Its nodes are those on a path
 * from FROM to TO. The placement is valid when:
 *  - it is a single-entry single-exit region: every path leaving FROM passes
 *    through TO, no node inside but FROM has a predecessor outside, and no
 *    node inside but TO has a successor outside;
 *  - no node inside has side_effects (a cache would skip its writes);
 *  - no node inside has volatile_s == 0 (its output must never be reused).
 * The cache's TTL may not exceed the smallest volatile_s inside (none when
 * no node is volatile).
 *
 * An edge FROM -> TO may become asynchronous (post-compute: the response no
 * longer waits for what follows it) when the exit is not reachable from TO,
 * TO included: nothing downstream of the edge feeds the response.
 */
#ifndef FX_TRANSFORM_H
#define FX_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "models/service.h"

#define FX_REASON_MAX 256

/* Is a cache over FROM..TO valid? Returns 1, or 0 with the reason (a phrase
 * such as `node "log" has side effects`) in REASON. */
int fx_cache_placement_check(const fx_service *svc, uint32_t from, uint32_t to, char *reason,
                             size_t len);

/* Mark the nodes inside FROM..TO (INSIDE has svc->nnodes bytes). */
void fx_placement_nodes(const fx_service *svc, uint32_t from, uint32_t to, uint8_t *inside);

/* The smallest volatile_s inside FROM..TO, or a negative number when no node
 * inside is volatile. */
double fx_placement_min_volatile(const fx_service *svc, uint32_t from, uint32_t to);

/* May the edge FROM -> TO be asynchronous? Returns 1, or 0 with the reason. */
int fx_async_edge_check(const fx_service *svc, uint32_t from, uint32_t to, char *reason,
                        size_t len);

typedef struct fx_transform {
    uint32_t from, to;
    int valid;
    char reason[FX_REASON_MAX]; /* why not, when invalid */
} fx_transform;

/* Every candidate cache placement: each pair (FROM, TO) with TO reachable
 * from FROM, in topological order of FROM then TO. The caller frees *OUT. */
fx_status fx_transforms_caches(const fx_service *svc, fx_transform **out, size_t *n, fx_err *e);

/* Every edge, in the order of the service file, with whether it may be
 * asynchronous. The caller frees *OUT. */
fx_status fx_transforms_async(const fx_service *svc, fx_transform **out, size_t *n, fx_err *e);

#endif
