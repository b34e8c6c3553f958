/* service.c - loading and validating a service (*.service.json).
 *
 * The checks run in the order a reader would fix them: the keys of each
 * object, then each node, then entry and exit, then each edge (its shape, its
 * nodes, self-loops and duplicates), then the graph as a whole (the entry has
 * no predecessor, the exit no successor, everything is reachable from the
 * entry, no cycle). The first problem found is the one reported.
 */
#include "models/service.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "models/json.h"

static const char *const service_keys[] = {"service", "entry", "exit", "nodes", "edges", NULL};
static const char *const node_keys[] = {"id",           "profile",    "out_bytes",
                                        "side_effects", "volatile_s", NULL};

/* Room for a quoted id, and for the list of every id in a message. */
#define QUOTED_MAX (4 * FX_JSON_ID_MAX + 16)
#define LIST_MAX   (FX_ERR_MAX / 2)

/* A node id and its index, sorted by id to find nodes fast. */
typedef struct id_index {
    const char *id;
    uint32_t i;
} id_index;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const id_index *)a)->id, ((const id_index *)b)->id);
}

/* What one load builds besides the service. */
typedef struct loader {
    fx_service *svc;
    fx_jpath *p;
    fx_err *e;
    id_index *sorted;
} loader;

static int find_node(const loader *l, const char *id)
{
    id_index key = {id, 0};
    const id_index *hit = bsearch(&key, l->sorted, l->svc->nnodes, sizeof key, by_id);
    return hit ? (int)hit->i : -1;
}

/* "unknown node "X"; expected one of a, b, ..." at the current path. */
static fx_status unknown_node(const loader *l, const char *id)
{
    char q[QUOTED_MAX], list[LIST_MAX];
    return fx_json_err(l->p, l->e, FX_EINVAL, "unknown node %s; expected one of %s",
                       fx_json_quote(id, q, sizeof q),
                       fx_json_list(l->svc->ids, l->svc->nnodes, list, sizeof list));
}

static const char *node_id(const loader *l, uint32_t i)
{
    return l->svc->nodes[i].id;
}

static fx_status oom(const loader *l)
{
    return fx_json_err(l->p, l->e, FX_ENOMEM, "out of memory");
}

/* Node I from the object V. */
static fx_status load_node(loader *l, const cJSON *v, uint32_t i)
{
    fx_node *n = &l->svc->nodes[i];
    fx_jpath *p = l->p;
    fx_err *e = l->e;
    n->volatile_s = -1.0;
    fx_status st = fx_json_check_keys(v, node_keys, p, e);
    const char *id = NULL;
    if (st == FX_OK)
        st = fx_json_id(v, "id", true, p, &id, e);
    if (st != FX_OK)
        return st;
    for (uint32_t j = 0; j < i; j++) {
        if (strcmp(l->svc->nodes[j].id, id) == 0) {
            char q[QUOTED_MAX];
            size_t mark = fx_jpath_key(p, "id");
            st = fx_json_err(p, e, FX_EINVAL, "node %s given twice (first at nodes[%u])",
                             fx_json_quote(id, q, sizeof q), j);
            fx_jpath_pop(p, mark);
            return st;
        }
    }
    n->id = fx_json_strdup(id);
    if (!n->id)
        return oom(l);
    n->has_profile = fx_json_has(v, "profile");
    st = fx_json_dist(v, "profile", false, p, &n->profile, e);
    if (st != FX_OK) {
        n->has_profile = 0;
        return st;
    }
    n->has_out_bytes = fx_json_has(v, "out_bytes");
    st = fx_json_uint(v, "out_bytes", false, 0, FX_JSON_INT_MAX, p, &n->out_bytes, e);
    if (st == FX_OK)
        st = fx_json_bool(v, "side_effects", false, p, &n->side_effects, e);
    if (st == FX_OK)
        st = fx_json_number(v, "volatile_s", false, FX_JSON_NONNEG, p, &n->volatile_s, e);
    return st;
}

static fx_status load_nodes(loader *l, const cJSON *obj)
{
    fx_service *svc = l->svc;
    const cJSON *arr;
    size_t n;
    fx_status st =
        fx_json_array(obj, "nodes", true, 1, FX_SERVICE_NODES_MAX, "node", l->p, &arr, &n, l->e);
    if (st != FX_OK)
        return st;
    svc->nodes = calloc(n, sizeof *svc->nodes);
    svc->ids = calloc(n, sizeof *svc->ids);
    l->sorted = calloc(n, sizeof *l->sorted);
    if (!svc->nodes || !svc->ids || !l->sorted)
        return oom(l);
    svc->nnodes = (uint32_t)n;
    size_t mark = fx_jpath_key(l->p, "nodes");
    uint32_t i = 0;
    for (const cJSON *v = arr->child; v && st == FX_OK; v = v->next, i++) {
        size_t at = fx_jpath_index(l->p, i);
        st = load_node(l, v, i);
        fx_jpath_pop(l->p, at);
    }
    fx_jpath_pop(l->p, mark);
    if (st != FX_OK)
        return st;
    for (i = 0; i < svc->nnodes; i++) {
        svc->ids[i] = svc->nodes[i].id;
        l->sorted[i] = (id_index){svc->nodes[i].id, i};
    }
    qsort(l->sorted, svc->nnodes, sizeof *l->sorted, by_id);
    return FX_OK;
}

/* The node named by the string KEY of OBJ ("entry", "exit"). */
static fx_status load_end(loader *l, const cJSON *obj, const char *key, uint32_t *out)
{
    const char *id;
    fx_status st = fx_json_string(obj, key, true, l->p, &id, l->e);
    if (st != FX_OK)
        return st;
    int i = find_node(l, id);
    if (i < 0) {
        size_t mark = fx_jpath_key(l->p, key);
        st = unknown_node(l, id);
        fx_jpath_pop(l->p, mark);
        return st;
    }
    *out = (uint32_t)i;
    return FX_OK;
}

/* Node index of element SIDE (0 from, 1 to) of the pair V. */
static fx_status edge_end(loader *l, const cJSON *v, int side, uint32_t *out)
{
    const cJSON *s = cJSON_GetArrayItem(v, side);
    size_t mark = fx_jpath_index(l->p, (size_t)side);
    fx_status st = FX_OK;
    if (!cJSON_IsString(s) || !s->valuestring) {
        char found[QUOTED_MAX];
        st = fx_json_err(l->p, l->e, FX_EINVAL, "expected a node id, found %s",
                         fx_json_describe(s, found, sizeof found));
    } else {
        int i = find_node(l, s->valuestring);
        if (i < 0)
            st = unknown_node(l, s->valuestring);
        else
            *out = (uint32_t)i;
    }
    fx_jpath_pop(l->p, mark);
    return st;
}

/* The pair V as node indices, checked for shape, names and self-loops. */
static fx_status edge_pair(loader *l, const cJSON *v, uint32_t *from, uint32_t *to)
{
    char found[QUOTED_MAX];
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2) {
        if (cJSON_IsArray(v))
            snprintf(found, sizeof found, "an array of %d elements", cJSON_GetArraySize(v));
        else
            fx_json_describe(v, found, sizeof found);
        return fx_json_err(l->p, l->e, FX_EINVAL,
                           "expected a pair [FROM, TO] of node ids, found %s", found);
    }
    fx_status st = edge_end(l, v, 0, from);
    if (st == FX_OK)
        st = edge_end(l, v, 1, to);
    if (st == FX_OK && *from == *to)
        st = fx_json_err(l->p, l->e, FX_EINVAL, "a self-loop on %s",
                         fx_json_quote(node_id(l, *from), found, sizeof found));
    return st;
}

/* Index of the first edge of ARR from FROM to TO. */
static size_t first_edge(loader *l, const cJSON *arr, uint32_t from, uint32_t to)
{
    size_t k = 0;
    for (const cJSON *v = arr->child; v; v = v->next, k++) {
        /* The edges before the duplicate were checked: both ends resolve. */
        int a = find_node(l, cJSON_GetArrayItem(v, 0)->valuestring);
        int b = find_node(l, cJSON_GetArrayItem(v, 1)->valuestring);
        if (a == (int)from && b == (int)to)
            break;
    }
    return k;
}

/* Read the edges twice: first to check them and count the degrees, then to
 * fill succ and pred. An n x n bit matrix finds duplicates. */
static fx_status load_edges(loader *l, const cJSON *obj)
{
    fx_service *svc = l->svc;
    const cJSON *arr;
    size_t nedges;
    fx_status st =
        fx_json_array(obj, "edges", true, 0, SIZE_MAX, "edge", l->p, &arr, &nedges, l->e);
    if (st != FX_OK)
        return st;
    size_t n = svc->nnodes, words = (n * n + 63) / 64;
    uint64_t *seen = calloc(words ? words : 1, sizeof *seen);
    if (!seen)
        return oom(l);
    size_t mark = fx_jpath_key(l->p, "edges");
    size_t k = 0;
    for (const cJSON *v = arr->child; v && st == FX_OK; v = v->next, k++) {
        size_t at = fx_jpath_index(l->p, k);
        uint32_t from = 0, to = 0;
        st = edge_pair(l, v, &from, &to);
        if (st == FX_OK) {
            size_t bit = (size_t)from * n + to;
            if (seen[bit / 64] & ((uint64_t)1 << (bit % 64))) {
                char qa[QUOTED_MAX], qb[QUOTED_MAX];
                st = fx_json_err(
                    l->p, l->e, FX_EINVAL, "edge %s -> %s given twice (first at edges[%zu])",
                    fx_json_quote(node_id(l, from), qa, sizeof qa),
                    fx_json_quote(node_id(l, to), qb, sizeof qb), first_edge(l, arr, from, to));
            } else {
                seen[bit / 64] |= (uint64_t)1 << (bit % 64);
                svc->nodes[from].nsucc++;
                svc->nodes[to].npred++;
            }
        }
        fx_jpath_pop(l->p, at);
    }
    fx_jpath_pop(l->p, mark);
    free(seen);
    if (st != FX_OK)
        return st;

    for (uint32_t i = 0; i < svc->nnodes; i++) {
        fx_node *nd = &svc->nodes[i];
        if (nd->nsucc && !(nd->succ = malloc(nd->nsucc * sizeof *nd->succ)))
            return oom(l);
        if (nd->npred && !(nd->pred = malloc(nd->npred * sizeof *nd->pred)))
            return oom(l);
        nd->nsucc = nd->npred = 0;
    }
    for (const cJSON *v = arr->child; v; v = v->next) {
        uint32_t from = (uint32_t)find_node(l, cJSON_GetArrayItem(v, 0)->valuestring);
        uint32_t to = (uint32_t)find_node(l, cJSON_GetArrayItem(v, 1)->valuestring);
        svc->nodes[from].succ[svc->nodes[from].nsucc++] = to;
        svc->nodes[to].pred[svc->nodes[to].npred++] = from;
    }
    return FX_OK;
}

/* Report a cycle among the nodes not DONE by Kahn's algorithm. Each of them
 * has a predecessor that is not done either, so walking predecessors from
 * any of them must come back to a node already seen. */
static fx_status report_cycle(loader *l, const bool *done)
{
    fx_service *svc = l->svc;
    uint32_t n = svc->nnodes;
    uint32_t *walk = malloc(((size_t)n + 1) * sizeof *walk);
    int32_t *pos = malloc((size_t)n * sizeof *pos);
    if (!walk || !pos) {
        free(walk);
        free(pos);
        return oom(l);
    }
    for (uint32_t i = 0; i < n; i++)
        pos[i] = -1;
    uint32_t u = 0;
    while (done[u])
        u++;
    uint32_t len = 0;
    while (pos[u] < 0) {
        pos[u] = (int32_t)len;
        walk[len++] = u;
        const fx_node *nd = &svc->nodes[u];
        uint32_t next = u;
        for (uint32_t k = 0; k < nd->npred; k++) {
            if (!done[nd->pred[k]]) {
                next = nd->pred[k];
                break;
            }
        }
        u = next;
    }
    /* walk[pos[u]..len-1] is the cycle against the edges: walk[j+1] -> walk[j].
     * Print it along the edges, from its node listed first in the file. */
    uint32_t first = (uint32_t)pos[u], m = len - first;
    uint32_t start = 0;
    for (uint32_t j = 1; j < m; j++)
        if (walk[first + j] < walk[first + start])
            start = j;
    char msg[FX_ERR_MAX];
    size_t used = 0;
    msg[0] = '\0';
    for (uint32_t j = 0; j <= m; j++) {
        /* Along the edges is backwards through the walk. */
        uint32_t idx = walk[first + (start + m - j % m) % m];
        int w = snprintf(msg + used, sizeof msg - used, "%s%s", j ? " -> " : "", node_id(l, idx));
        if (w < 0 || (size_t)w >= sizeof msg - used) {
            msg[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
    free(walk);
    free(pos);
    size_t mark = fx_jpath_key(l->p, "edges");
    fx_status st = fx_json_err(l->p, l->e, FX_EINVAL, "a cycle: %s", msg);
    fx_jpath_pop(l->p, mark);
    return st;
}

/* Check the graph: entry and exit, reachability, no cycle; fill topo. */
static fx_status check_graph(loader *l)
{
    fx_service *svc = l->svc;
    uint32_t n = svc->nnodes;
    char qa[QUOTED_MAX], qb[QUOTED_MAX];
    const fx_node *entry = &svc->nodes[svc->entry], *ex = &svc->nodes[svc->exit];
    fx_status st = FX_OK;
    size_t mark = fx_jpath_key(l->p, "entry");
    if (entry->npred)
        st = fx_json_err(l->p, l->e, FX_EINVAL,
                         "node %s has a predecessor, %s; the entry must have none",
                         fx_json_quote(entry->id, qa, sizeof qa),
                         fx_json_quote(node_id(l, entry->pred[0]), qb, sizeof qb));
    fx_jpath_pop(l->p, mark);
    if (st != FX_OK)
        return st;
    mark = fx_jpath_key(l->p, "exit");
    if (ex->nsucc)
        st = fx_json_err(l->p, l->e, FX_EINVAL,
                         "node %s has a successor, %s; the exit must have none",
                         fx_json_quote(ex->id, qa, sizeof qa),
                         fx_json_quote(node_id(l, ex->succ[0]), qb, sizeof qb));
    fx_jpath_pop(l->p, mark);
    if (st != FX_OK)
        return st;

    svc->topo = malloc((size_t)n * sizeof *svc->topo);
    uint32_t *queue = malloc((size_t)n * sizeof *queue);
    uint32_t *left = malloc((size_t)n * sizeof *left);
    bool *done = calloc(n, sizeof *done);
    if (!svc->topo || !queue || !left || !done) {
        st = oom(l);
        goto out;
    }

    /* Reachable from the entry: a breadth-first walk, marks in DONE. */
    uint32_t head = 0, tail = 0;
    queue[tail++] = svc->entry;
    done[svc->entry] = true;
    while (head < tail) {
        const fx_node *nd = &svc->nodes[queue[head++]];
        for (uint32_t k = 0; k < nd->nsucc; k++)
            if (!done[nd->succ[k]]) {
                done[nd->succ[k]] = true;
                queue[tail++] = nd->succ[k];
            }
    }
    if (!done[svc->exit]) {
        mark = fx_jpath_key(l->p, "exit");
        st = fx_json_err(l->p, l->e, FX_EINVAL, "node %s is not reachable from the entry %s",
                         fx_json_quote(ex->id, qa, sizeof qa),
                         fx_json_quote(entry->id, qb, sizeof qb));
        fx_jpath_pop(l->p, mark);
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!done[i]) {
            mark = fx_jpath_key(l->p, "nodes");
            size_t at = fx_jpath_index(l->p, i);
            st = fx_json_err(l->p, l->e, FX_EINVAL, "node %s is not reachable from the entry %s",
                             fx_json_quote(node_id(l, i), qa, sizeof qa),
                             fx_json_quote(entry->id, qb, sizeof qb));
            fx_jpath_pop(l->p, at);
            fx_jpath_pop(l->p, mark);
            goto out;
        }
    }

    /* Kahn's algorithm with a FIFO. Every node is reachable and the entry
     * has no predecessor, so the entry is the only node without one, and
     * the order starts there. */
    for (uint32_t i = 0; i < n; i++) {
        left[i] = svc->nodes[i].npred;
        done[i] = false;
    }
    head = tail = 0;
    queue[tail++] = svc->entry;
    while (head < tail) {
        uint32_t u = queue[head++];
        done[u] = true;
        svc->topo[head - 1] = u;
        const fx_node *nd = &svc->nodes[u];
        for (uint32_t k = 0; k < nd->nsucc; k++)
            if (--left[nd->succ[k]] == 0)
                queue[tail++] = nd->succ[k];
    }
    if (tail < n)
        st = report_cycle(l, done);
out:
    free(queue);
    free(left);
    free(done);
    return st;
}

fx_status fx_service_from_json(const cJSON *obj, fx_jpath *p, fx_service **out, fx_err *e)
{
    if (!out)
        return fx_err_set(e, FX_EINVAL,
                          "fx_service_from_json: expected a place for the service, found NULL");
    *out = NULL;
    loader l = {.p = p, .e = e};
    fx_status st = fx_json_check_keys(obj, service_keys, p, e);
    if (st != FX_OK)
        return st;
    fx_service *svc = calloc(1, sizeof *svc);
    if (!svc)
        return fx_json_err(p, e, FX_ENOMEM, "out of memory");
    l.svc = svc;
    const char *name = NULL;
    st = fx_json_id(obj, "service", true, p, &name, e);
    if (st == FX_OK) {
        svc->name = fx_json_strdup(name);
        svc->path = fx_json_strdup(p->file);
        if (!svc->name || !svc->path)
            st = oom(&l);
    }
    if (st == FX_OK)
        st = load_nodes(&l, obj);
    if (st == FX_OK)
        st = load_end(&l, obj, "entry", &svc->entry);
    if (st == FX_OK)
        st = load_end(&l, obj, "exit", &svc->exit);
    if (st == FX_OK)
        st = load_edges(&l, obj);
    if (st == FX_OK)
        st = check_graph(&l);
    free(l.sorted);
    if (st != FX_OK) {
        fx_service_free(svc);
        return st;
    }
    *out = svc;
    return FX_OK;
}

fx_status fx_service_load(const char *path, fx_service **out, fx_err *e)
{
    if (!out)
        return fx_err_set(e, FX_EINVAL,
                          "fx_service_load: expected a place for the service, found NULL");
    *out = NULL;
    cJSON *root;
    fx_status st = fx_json_load(path, &root, e);
    if (st != FX_OK)
        return st;
    fx_jpath p;
    fx_jpath_init(&p, path);
    st = fx_service_from_json(root, &p, out, e);
    cJSON_Delete(root);
    return st;
}

void fx_service_free(fx_service *svc)
{
    if (!svc)
        return;
    for (uint32_t i = 0; svc->nodes && i < svc->nnodes; i++) {
        fx_node *n = &svc->nodes[i];
        free(n->id);
        fx_dist_free(&n->profile);
        free(n->succ);
        free(n->pred);
    }
    free(svc->nodes);
    free(svc->name);
    free(svc->path);
    free(svc->topo);
    free(svc->ids);
    free(svc);
}

int fx_service_find(const fx_service *svc, const char *id)
{
    if (!svc || !id)
        return -1;
    for (uint32_t i = 0; i < svc->nnodes; i++)
        if (strcmp(svc->nodes[i].id, id) == 0)
            return (int)i;
    return -1;
}
