/* transform.c - which cache placements and asynchronous edges a service
 * allows (the rules are in transform.h).
 *
 * One placement is checked in O(n + e) without allocating (for services the
 * loader accepts): two passes over the topological order mark the nodes
 * reachable from FROM and those that reach TO, and the nodes marked twice
 * are the inside. Since a mark only flows along edges, which the order
 * follows, every node is final when its turn comes.
 *
 * Inside a DAG, a successor S of an inside node is reachable from FROM, so
 * it is inside exactly when it reaches TO; a predecessor P of an inside node
 * reaches TO, so it is inside exactly when FROM reaches it. Listing every
 * placement uses that: bitsets (bit k stands for the k-th node of the
 * topological order) of what each node reaches and is reached from give,
 * once per service, for each TO the nodes with a successor that misses it
 * (LEAK_TO) and for each FROM the nodes with a predecessor it misses
 * (LEAK_FROM). A placement is then judged by a few word-wise ANDs, and its
 * reason comes from the first offending bit, which is the first offender in
 * topological order: the very reason the single check gives, which scans
 * the inside in that order.
 */
#include "models/transform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Marks of one pass: reachable from FROM, reaches TO. */
enum { FROM_MARK = 1, TO_MARK = 2, INSIDE = FROM_MARK | TO_MARK };

/* Write a reason into REASON (when there is room) and return 0, the value of
 * a refusal. A reason cut short ends in "...". */
static int refuse(char *reason, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(char *reason, size_t len, const char *fmt, ...)
{
    if (!reason || len == 0)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(reason, len, fmt, ap);
    va_end(ap);
    if (w >= 0 && (size_t)w >= len && len > 4)
        memcpy(reason + len - 4, "...", 4);
    return 0;
}

static const char *id(const fx_service *svc, uint32_t i)
{
    return svc->nodes[i].id;
}

/* Is I a node of SVC? Otherwise refuse with REASON. */
static int in_range(const fx_service *svc, uint32_t i, char *reason, size_t len)
{
    if (i < svc->nnodes)
        return 1;
    return refuse(reason, len, "node index %u is out of range (the service has %u nodes)", i,
                  svc->nnodes);
}

/* Set FROM_MARK on every node reachable from FROM and TO_MARK on every node
 * that reaches TO, in MARK (svc->nnodes bytes, cleared by the caller), as
 * far as the inside needs: only the stretch of the topological order from
 * FROM to TO can hold a node marked twice, so each pass walks that stretch
 * (and the edges leaving it) and stops. */
static void mark_region(const fx_service *svc, uint32_t from, uint32_t to, uint8_t *mark)
{
    uint32_t n = svc->nnodes, k = 0;
    while (k < n && svc->topo[k] != from)
        k++;
    mark[from] |= FROM_MARK;
    for (; k < n && svc->topo[k] != to; k++) {
        const fx_node *nd = &svc->nodes[svc->topo[k]];
        if (mark[svc->topo[k]] & FROM_MARK)
            for (uint32_t j = 0; j < nd->nsucc; j++)
                mark[nd->succ[j]] |= FROM_MARK;
    }
    k = n;
    while (k > 0 && svc->topo[k - 1] != to)
        k--;
    mark[to] |= TO_MARK;
    for (; k-- > 0 && svc->topo[k] != from;) {
        const fx_node *nd = &svc->nodes[svc->topo[k]];
        if (mark[svc->topo[k]] & TO_MARK)
            for (uint32_t j = 0; j < nd->npred; j++)
                mark[nd->pred[j]] |= TO_MARK;
    }
}

/* The reasons, one per rule, shared by the single check and the listing. */
static int refuse_leaves(const fx_service *svc, uint32_t v, uint32_t s, uint32_t to, char *reason,
                         size_t len)
{
    return refuse(reason, len, "path \"%s\" -> \"%s\" leaves the subgraph before \"%s\"",
                  id(svc, v), id(svc, s), id(svc, to));
}

static int refuse_enters(const fx_service *svc, uint32_t v, uint32_t p, char *reason, size_t len)
{
    return refuse(reason, len, "node \"%s\" has a predecessor \"%s\" outside the subgraph",
                  id(svc, v), id(svc, p));
}

static int refuse_side_effects(const fx_service *svc, uint32_t v, char *reason, size_t len)
{
    return refuse(reason, len, "node \"%s\" has side effects", id(svc, v));
}

static int refuse_never_reused(const fx_service *svc, uint32_t v, char *reason, size_t len)
{
    return refuse(reason, len, "node \"%s\" has volatile_s 0: its output is never reused",
                  id(svc, v));
}

static int refuse_async(const fx_service *svc, uint32_t to, char *reason, size_t len)
{
    if (to == svc->exit)
        return refuse(reason, len, "node \"%s\" is the exit", id(svc, to));
    return refuse(reason, len, "the exit \"%s\" is reachable from \"%s\"", id(svc, svc->exit),
                  id(svc, to));
}

/* The rules over the inside of a region (INSIDE marks it), in the order the
 * reasons are given: structure first, then the nodes' annotations, each in
 * topological order. */
static int judge(const fx_service *svc, uint32_t from, uint32_t to, const uint8_t *inside,
                 char *reason, size_t len)
{
    uint32_t n = svc->nnodes;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t v = svc->topo[k];
        if (!inside[v] || v == to)
            continue;
        for (uint32_t j = 0; j < svc->nodes[v].nsucc; j++)
            if (!inside[svc->nodes[v].succ[j]])
                return refuse_leaves(svc, v, svc->nodes[v].succ[j], to, reason, len);
    }
    for (uint32_t k = 0; k < n; k++) {
        uint32_t v = svc->topo[k];
        if (!inside[v] || v == from)
            continue;
        for (uint32_t j = 0; j < svc->nodes[v].npred; j++)
            if (!inside[svc->nodes[v].pred[j]])
                return refuse_enters(svc, v, svc->nodes[v].pred[j], reason, len);
    }
    for (uint32_t k = 0; k < n; k++)
        if (inside[svc->topo[k]] && svc->nodes[svc->topo[k]].side_effects)
            return refuse_side_effects(svc, svc->topo[k], reason, len);
    for (uint32_t k = 0; k < n; k++)
        if (inside[svc->topo[k]] && svc->nodes[svc->topo[k]].volatile_s == 0)
            return refuse_never_reused(svc, svc->topo[k], reason, len);
    if (reason && len)
        reason[0] = '\0';
    return 1;
}

int fx_cache_placement_check(const fx_service *svc, uint32_t from, uint32_t to, char *reason,
                             size_t len)
{
    if (!svc)
        return refuse(reason, len, "no service");
    if (!in_range(svc, from, reason, len) || !in_range(svc, to, reason, len))
        return 0;
    /* The loader admits at most FX_SERVICE_NODES_MAX nodes: the stack holds
     * the marks of any service it built. */
    uint8_t local[FX_SERVICE_NODES_MAX];
    uint8_t *mark = svc->nnodes <= FX_SERVICE_NODES_MAX ? local : malloc(svc->nnodes);
    if (!mark)
        return refuse(reason, len, "out of memory");
    memset(mark, 0, svc->nnodes);
    mark_region(svc, from, to, mark);
    int ok;
    if (!(mark[to] & FROM_MARK)) {
        ok = refuse(reason, len, "\"%s\" is not reachable from \"%s\"", id(svc, to), id(svc, from));
    } else {
        for (uint32_t i = 0; i < svc->nnodes; i++)
            mark[i] = mark[i] == INSIDE;
        ok = judge(svc, from, to, mark, reason, len);
    }
    if (mark != local)
        free(mark);
    return ok;
}

void fx_placement_nodes(const fx_service *svc, uint32_t from, uint32_t to, uint8_t *inside)
{
    if (!svc || !inside)
        return;
    memset(inside, 0, svc->nnodes);
    if (from >= svc->nnodes || to >= svc->nnodes)
        return;
    mark_region(svc, from, to, inside);
    for (uint32_t i = 0; i < svc->nnodes; i++)
        inside[i] = inside[i] == INSIDE;
}

/* The smallest volatile_s among the nodes INSIDE marks, or -1. */
static double min_volatile(const fx_service *svc, const uint8_t *inside)
{
    double best = -1.0;
    for (uint32_t i = 0; i < svc->nnodes; i++) {
        double v = svc->nodes[i].volatile_s;
        if (inside[i] && v >= 0 && (best < 0 || v < best))
            best = v;
    }
    return best;
}

double fx_placement_min_volatile(const fx_service *svc, uint32_t from, uint32_t to)
{
    if (!svc || from >= svc->nnodes || to >= svc->nnodes)
        return -1.0;
    uint8_t local[FX_SERVICE_NODES_MAX];
    uint8_t *inside = svc->nnodes <= FX_SERVICE_NODES_MAX ? local : malloc(svc->nnodes);
    if (!inside)
        return -1.0;
    fx_placement_nodes(svc, from, to, inside);
    double best = min_volatile(svc, inside);
    if (inside != local)
        free(inside);
    return best;
}

int fx_async_edge_check(const fx_service *svc, uint32_t from, uint32_t to, char *reason, size_t len)
{
    if (!svc)
        return refuse(reason, len, "no service");
    if (!in_range(svc, from, reason, len) || !in_range(svc, to, reason, len))
        return 0;
    const fx_node *nd = &svc->nodes[from];
    uint32_t j = 0;
    while (j < nd->nsucc && nd->succ[j] != to)
        j++;
    if (j == nd->nsucc)
        return refuse(reason, len, "there is no edge \"%s\" -> \"%s\"", id(svc, from), id(svc, to));
    uint8_t local[FX_SERVICE_NODES_MAX];
    uint8_t *mark = svc->nnodes <= FX_SERVICE_NODES_MAX ? local : malloc(svc->nnodes);
    if (!mark)
        return refuse(reason, len, "out of memory");
    memset(mark, 0, svc->nnodes);
    mark_region(svc, to, svc->exit, mark);
    int feeds_exit = (mark[svc->exit] & FROM_MARK) != 0;
    if (mark != local)
        free(mark);
    if (feeds_exit)
        return refuse_async(svc, to, reason, len);
    if (reason && len)
        reason[0] = '\0';
    return 1;
}

/* ------------------------------------------------------------------------
 * Listing every placement: bitsets over the topological order. */

typedef uint64_t word;

/* One row per node, each of W words; row K belongs to the node topo[K]. */
typedef struct bitrows {
    size_t w;
    word *bits;
} bitrows;

static word *row(const bitrows *r, uint32_t k)
{
    return r->bits + (size_t)k * r->w;
}

static void set_bit(word *b, uint32_t k)
{
    b[k / 64] |= (word)1 << (k % 64);
}

static int has_bit(const word *b, uint32_t k)
{
    return (b[k / 64] >> (k % 64)) & 1;
}

/* The first bit set in A & B (& C when not NULL), or -1. */
static long first_common(const word *a, const word *b, const word *c, size_t w)
{
    for (size_t i = 0; i < w; i++) {
        word x = a[i] & b[i] & (c ? c[i] : ~(word)0);
        if (x)
            return (long)(i * 64 + (size_t)__builtin_ctzll(x));
    }
    return -1;
}

/* Everything fx_transforms_caches precomputes; positions are topological. */
typedef struct lattice {
    const fx_service *svc;
    uint32_t *pos;      /* pos[node] = its place in svc->topo */
    bitrows reach;      /* reach[k]: what topo[k] reaches, itself included */
    bitrows reached;    /* reached[k]: what reaches topo[k], itself included */
    bitrows leak_to;    /* leak_to[t]: nodes (not t) reaching t with a successor that does not */
    bitrows leak_from;  /* leak_from[f]: nodes (not f) f reaches with a predecessor it does not */
    word *side_effects; /* nodes with side effects */
    word *never_reused; /* nodes with volatile_s == 0 */
    word *scratch;      /* one row of working space */
} lattice;

static void lattice_free(lattice *l)
{
    free(l->pos);
    free(l->reach.bits);
    free(l->reached.bits);
    free(l->leak_to.bits);
    free(l->leak_from.bits);
    free(l->side_effects);
    free(l->never_reused);
    free(l->scratch);
}

/* In ROWS (by position), for each position K, the positions of the nodes
 * OTHER[k] misses among OWN[k] minus K itself, where OTHER[k] is the
 * intersection of NEXT over the neighbours (successors or predecessors) of
 * topo[k]; then transposed into OUT. */
static void leaks(const lattice *l, const bitrows *own, const bitrows *next, int succ, bitrows *out)
{
    const fx_service *svc = l->svc;
    size_t w = own->w;
    word *miss = l->scratch;
    for (uint32_t k = 0; k < svc->nnodes; k++) {
        const fx_node *nd = &svc->nodes[svc->topo[k]];
        uint32_t deg = succ ? nd->nsucc : nd->npred;
        const uint32_t *nb = succ ? nd->succ : nd->pred;
        for (size_t i = 0; i < w; i++)
            miss[i] = ~(word)0;
        for (uint32_t j = 0; j < deg; j++) {
            const word *b = row(next, l->pos[nb[j]]);
            for (size_t i = 0; i < w; i++)
                miss[i] &= b[i];
        }
        const word *mine = row(own, k);
        for (size_t i = 0; i < w; i++)
            miss[i] = mine[i] & ~miss[i];
        miss[k / 64] &= ~((word)1 << (k % 64));
        for (size_t i = 0; i < w; i++)
            for (word x = miss[i]; x; x &= x - 1)
                set_bit(row(out, (uint32_t)(i * 64 + (size_t)__builtin_ctzll(x))), k);
    }
}

static fx_status lattice_build(lattice *l, const fx_service *svc)
{
    uint32_t n = svc->nnodes;
    size_t w = ((size_t)n + 63) / 64, cells = (size_t)n * w;
    memset(l, 0, sizeof *l);
    l->svc = svc;
    l->reach.w = l->reached.w = l->leak_to.w = l->leak_from.w = w;
    l->pos = malloc((size_t)n * sizeof *l->pos);
    l->reach.bits = calloc(cells, sizeof(word));
    l->reached.bits = calloc(cells, sizeof(word));
    l->leak_to.bits = calloc(cells, sizeof(word));
    l->leak_from.bits = calloc(cells, sizeof(word));
    l->side_effects = calloc(w, sizeof(word));
    l->never_reused = calloc(w, sizeof(word));
    l->scratch = calloc(w, sizeof(word));
    if (!l->pos || !l->reach.bits || !l->reached.bits || !l->leak_to.bits || !l->leak_from.bits ||
        !l->side_effects || !l->never_reused || !l->scratch)
        return FX_ENOMEM;
    for (uint32_t k = 0; k < n; k++)
        l->pos[svc->topo[k]] = k;
    for (uint32_t k = n; k-- > 0;) {
        const fx_node *nd = &svc->nodes[svc->topo[k]];
        word *r = row(&l->reach, k);
        set_bit(r, k);
        for (uint32_t j = 0; j < nd->nsucc; j++) {
            const word *s = row(&l->reach, l->pos[nd->succ[j]]);
            for (size_t i = 0; i < w; i++)
                r[i] |= s[i];
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        const fx_node *nd = &svc->nodes[svc->topo[k]];
        word *r = row(&l->reached, k);
        set_bit(r, k);
        for (uint32_t j = 0; j < nd->npred; j++) {
            const word *p = row(&l->reached, l->pos[nd->pred[j]]);
            for (size_t i = 0; i < w; i++)
                r[i] |= p[i];
        }
        if (nd->side_effects)
            set_bit(l->side_effects, k);
        if (nd->volatile_s == 0)
            set_bit(l->never_reused, k);
    }
    /* A node V leaks towards T when V reaches T but one of its successors
     * does not; from F when F reaches V but not one of its predecessors. */
    leaks(l, &l->reach, &l->reach, 1, &l->leak_to);
    leaks(l, &l->reached, &l->reached, 0, &l->leak_from);
    return FX_OK;
}

/* The first neighbour of V (successors or predecessors) whose row in ROWS
 * lacks position K. */
static uint32_t first_missing(const lattice *l, uint32_t v, int succ, const bitrows *rows,
                              uint32_t k)
{
    const fx_node *nd = &l->svc->nodes[v];
    uint32_t deg = succ ? nd->nsucc : nd->npred;
    const uint32_t *nb = succ ? nd->succ : nd->pred;
    for (uint32_t j = 0; j < deg; j++)
        if (!has_bit(row(rows, l->pos[nb[j]]), k))
            return nb[j];
    return v; /* not reached: V leaks, so some neighbour misses K */
}

/* Judge the placement from topo[F] to topo[T] as judge() would. */
static int lattice_judge(const lattice *l, uint32_t f, uint32_t t, char *reason, size_t len)
{
    const fx_service *svc = l->svc;
    const word *from_f = row(&l->reach, f), *to_t = row(&l->reached, t);
    size_t w = l->reach.w;
    long k = first_common(from_f, row(&l->leak_to, t), NULL, w);
    if (k >= 0) {
        uint32_t v = svc->topo[k];
        return refuse_leaves(svc, v, first_missing(l, v, 1, &l->reach, t), svc->topo[t], reason,
                             len);
    }
    k = first_common(to_t, row(&l->leak_from, f), NULL, w);
    if (k >= 0) {
        uint32_t v = svc->topo[k];
        /* A predecessor F does not reach is one whose reached-row lacks F. */
        return refuse_enters(svc, v, first_missing(l, v, 0, &l->reached, f), reason, len);
    }
    k = first_common(from_f, to_t, l->side_effects, w);
    if (k >= 0)
        return refuse_side_effects(svc, svc->topo[k], reason, len);
    k = first_common(from_f, to_t, l->never_reused, w);
    if (k >= 0)
        return refuse_never_reused(svc, svc->topo[k], reason, len);
    reason[0] = '\0';
    return 1;
}

fx_status fx_transforms_caches(const fx_service *svc, fx_transform **out, size_t *n, fx_err *e)
{
    if (!svc || !out || !n)
        return fx_err_set(e, FX_EINVAL,
                          "fx_transforms_caches: expected a service and places for the list, "
                          "found NULL");
    *out = NULL;
    *n = 0;
    if (svc->nnodes == 0)
        return FX_OK;
    lattice l;
    fx_status st = lattice_build(&l, svc);
    fx_transform *list = NULL;
    size_t count = 0;
    if (st == FX_OK) {
        for (uint32_t f = 0; f < svc->nnodes; f++)
            for (size_t i = 0; i < l.reach.w; i++)
                count += (size_t)__builtin_popcountll(row(&l.reach, f)[i]);
        list = malloc(count * sizeof *list);
        if (!list)
            st = FX_ENOMEM;
    }
    if (st != FX_OK) {
        lattice_free(&l);
        return fx_err_set(e, st, "%s: listing cache placements: out of memory", svc->name);
    }
    size_t m = 0;
    for (uint32_t f = 0; f < svc->nnodes; f++) {
        const word *r = row(&l.reach, f);
        for (size_t i = 0; i < l.reach.w; i++)
            for (word x = r[i]; x; x &= x - 1) {
                uint32_t t = (uint32_t)(i * 64 + (size_t)__builtin_ctzll(x));
                fx_transform *tr = &list[m++];
                tr->from = svc->topo[f];
                tr->to = svc->topo[t];
                tr->valid = lattice_judge(&l, f, t, tr->reason, sizeof tr->reason);
            }
    }
    lattice_free(&l);
    *out = list;
    *n = m;
    return FX_OK;
}

/* ------------------------------------------------------------------------
 * Asynchronous edges. */

fx_status fx_transforms_async(const fx_service *svc, fx_transform **out, size_t *n, fx_err *e)
{
    if (!svc || !out || !n)
        return fx_err_set(e, FX_EINVAL,
                          "fx_transforms_async: expected a service and places for the list, "
                          "found NULL");
    *out = NULL;
    *n = 0;
    size_t count = 0;
    for (uint32_t i = 0; i < svc->nnodes; i++)
        count += svc->nodes[i].nsucc;
    if (count == 0)
        return FX_OK;
    fx_transform *list = malloc(count * sizeof *list);
    uint8_t *feeds = calloc(svc->nnodes, 1);
    if (!list || !feeds) {
        free(list);
        free(feeds);
        return fx_err_set(e, FX_ENOMEM, "%s: listing asynchronous edges: out of memory", svc->name);
    }
    /* The nodes that reach the exit, in one backward pass. */
    feeds[svc->exit] = 1;
    for (uint32_t k = svc->nnodes; k-- > 0;) {
        const fx_node *nd = &svc->nodes[svc->topo[k]];
        if (feeds[svc->topo[k]])
            for (uint32_t j = 0; j < nd->npred; j++)
                feeds[nd->pred[j]] = 1;
    }
    /* The service keeps each node's successors in the order the edges list
     * them, not the edges' order across nodes: by source node, as listed in
     * "nodes", then in file order. */
    size_t m = 0;
    for (uint32_t v = 0; v < svc->nnodes; v++) {
        const fx_node *nd = &svc->nodes[v];
        for (uint32_t j = 0; j < nd->nsucc; j++) {
            fx_transform *tr = &list[m++];
            tr->from = v;
            tr->to = nd->succ[j];
            tr->reason[0] = '\0';
            tr->valid =
                feeds[tr->to] ? refuse_async(svc, tr->to, tr->reason, sizeof tr->reason) : 1;
        }
    }
    free(feeds);
    *out = list;
    *n = m;
    return FX_OK;
}
