/* mrc.c - one-pass LRU miss-ratio curves: byte stack distances on Fenwick
 * trees over access times (see mrc.h for the rule and doc/analyze.part.md
 * for the proof).
 *
 * Every key that some capacity admits holds one position on the time axis:
 * the time of its last request. Tree `total` holds each such key's size at
 * its position, so the bytes requested since position p are
 * live_total - prefix(p). Capacities split sizes into bands: band j holds
 * sizes in (caps[j-1], caps[j]]; a key of band b is admitted by capacity j
 * iff b <= j. Once two bands hold keys, each gets a tree of its own so that
 * the bytes of the keys a capacity admits can be summed band by band. Keys
 * larger than every capacity never enter a tree. */
#include "traces/mrc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/pcg.h"

#define SAMPLE_BITS  24
#define SAMPLE_SPACE ((uint64_t)1 << SAMPLE_BITS)
#define AXIS_MIN     4096u
#define TABLE_MIN    1024u

typedef struct slot {
    uint64_t key;
    uint64_t size; /* the key's first size */
    uint32_t pos;  /* position on the time axis; 0: in no tree */
    uint16_t band; /* index of the first capacity >= size; ncaps: none */
    uint8_t used;  /* the slot holds a key (kept here: a probe reads one place) */
} slot;

struct fx_mrc {
    uint64_t *caps; /* ascending, distinct */
    size_t ncaps;
    uint64_t threshold; /* sampled iff mix64(key) mod 2^24 < threshold */
    double rate;        /* threshold / 2^24 */
    int sampling;

    /* key table: open addressing, linear probing, at most half full */
    slot *slots;
    size_t mask;
    size_t count;

    /* the time axis */
    uint32_t axis; /* positions 1..axis */
    uint32_t now;  /* last position handed out */
    uint64_t *total;
    uint64_t live_total;
    uint64_t **band;      /* per band: its own tree once two bands hold keys */
    uint64_t *band_live;  /* per band: bytes held */
    uint64_t *band_keys;  /* per band: keys ever placed (a key keeps its band) */
    uint32_t *used_bands; /* bands holding keys, ascending */
    size_t nused;

    /* results, per capacity */
    uint64_t *direct; /* hits counted one capacity at a time */
    uint64_t *tail;   /* hits at this capacity and every larger one */
    double *direct_bytes, *tail_bytes;
    uint64_t requests, sampled;
    double bytes_requested;
    uint64_t keys, working_set, min_size, max_size, compactions;
    fx_status error;
};

/* ---- Fenwick trees ------------------------------------------------------- */

static inline uint64_t prefix(const uint64_t *t, uint32_t i)
{
    uint64_t s = 0;
    for (; i > 0; i &= i - 1)
        s += t[i];
    return s;
}

/* Add DELTA (modulo 2^64: a subtraction is the addition of -x) at I. The
 * index runs in 64 bits: past 2^31 a 32-bit one would wrap. */
static inline void add(uint64_t *t, uint32_t n, uint32_t i, uint64_t delta)
{
    for (uint64_t k = i; k <= n; k += k & (0 - k))
        t[k] += delta;
}

/* Turn T[1..n], holding one value per position, into its Fenwick tree. */
static void build(uint64_t *t, uint32_t n)
{
    for (uint64_t i = 1; i <= n; i++) {
        uint64_t j = i + (i & (0 - i));
        if (j <= n)
            t[j] += t[i];
    }
}

/* ---- the key table ------------------------------------------------------- */

static fx_status table_grow(fx_mrc *m)
{
    size_t slots = m->mask + 1;
    size_t want = slots * 2;
    slot *ns = calloc(want, sizeof *ns);
    if (!ns)
        return FX_ENOMEM;
    for (size_t i = 0; i < slots; i++) {
        if (!m->slots[i].used)
            continue;
        size_t j = (size_t)fx_mix64(m->slots[i].key) & (want - 1);
        while (ns[j].used)
            j = (j + 1) & (want - 1);
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->mask = want - 1;
    return FX_OK;
}

/* ---- set-up -------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void fx_mrc_free(fx_mrc *m)
{
    if (!m)
        return;
    if (m->band)
        for (size_t b = 0; b < m->ncaps; b++)
            if (m->band[b] != m->total)
                free(m->band[b]);
    free(m->band);
    free(m->total);
    free(m->band_live);
    free(m->band_keys);
    free(m->used_bands);
    free(m->direct);
    free(m->tail);
    free(m->direct_bytes);
    free(m->tail_bytes);
    free(m->slots);
    free(m->caps);
    free(m);
}

fx_status fx_mrc_alloc(const uint64_t *caps, size_t n, double rate, fx_mrc **out, fx_err *e)
{
    *out = NULL;
    if (!(rate > 0 && rate <= 1))
        return fx_err_set(e, FX_EINVAL, "sampling rate: expected a number in (0, 1], found %g",
                          rate);
    if (n > FX_MRC_CAPS_MAX)
        return fx_err_set(e, FX_ELIMIT, "capacities: expected at most %d, found %zu",
                          FX_MRC_CAPS_MAX, n);
    for (size_t i = 0; i < n; i++)
        if (caps[i] == 0)
            return fx_err_set(e, FX_EINVAL, "capacity: expected at least 1 byte, found 0");
    fx_mrc *m = calloc(1, sizeof *m);
    if (!m)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    size_t k = n ? n : 1;
    m->caps = malloc(k * sizeof *m->caps);
    m->band = calloc(k, sizeof *m->band);
    m->band_live = calloc(k, sizeof *m->band_live);
    m->band_keys = calloc(k, sizeof *m->band_keys);
    m->used_bands = calloc(k, sizeof *m->used_bands);
    m->direct = calloc(k + 1, sizeof *m->direct);
    m->tail = calloc(k + 1, sizeof *m->tail);
    m->direct_bytes = calloc(k + 1, sizeof *m->direct_bytes);
    m->tail_bytes = calloc(k + 1, sizeof *m->tail_bytes);
    m->slots = calloc(TABLE_MIN, sizeof *m->slots);
    m->axis = AXIS_MIN;
    m->total = n ? calloc((size_t)m->axis + 1, sizeof *m->total) : NULL;
    if (!m->caps || !m->band || !m->band_live || !m->band_keys || !m->used_bands || !m->direct ||
        !m->tail || !m->direct_bytes || !m->tail_bytes || !m->slots || (n && !m->total)) {
        fx_mrc_free(m);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    m->mask = TABLE_MIN - 1;
    if (n)
        memcpy(m->caps, caps, n * sizeof *caps);
    qsort(m->caps, n, sizeof *m->caps, cmp_u64);
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        if (d == 0 || m->caps[i] != m->caps[d - 1])
            m->caps[d++] = m->caps[i];
    m->ncaps = d;
    m->threshold = (uint64_t)llround(rate * (double)SAMPLE_SPACE);
    if (m->threshold == 0)
        m->threshold = 1;
    m->rate = (double)m->threshold / (double)SAMPLE_SPACE;
    m->sampling = m->threshold < SAMPLE_SPACE;
    *out = m;
    return FX_OK;
}

/* ---- compaction ---------------------------------------------------------- */

/* Renumber the live keys 1..D in the order of their positions, size the
 * axis at twice D (at least AXIS_MIN) and rebuild every tree. */
static fx_status compact(fx_mrc *m)
{
    uint32_t old = m->axis;
    uint32_t *owner = malloc(((size_t)old + 1) * sizeof *owner);
    if (!owner)
        return FX_ENOMEM;
    for (uint32_t i = 0; i <= old; i++)
        owner[i] = UINT32_MAX;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].used && m->slots[i].pos)
            owner[m->slots[i].pos] = (uint32_t)i;
    uint32_t live = 0;
    for (uint32_t p = 1; p <= old; p++)
        if (owner[p] != UINT32_MAX)
            owner[++live] = owner[p];
    uint64_t want = 2 * (uint64_t)live;
    if (want < AXIS_MIN)
        want = AXIS_MIN;
    if (want > UINT32_MAX - 1) {
        free(owner);
        return FX_ELIMIT;
    }
    uint32_t axis = (uint32_t)want;
    uint64_t *t = calloc((size_t)axis + 1, sizeof *t);
    if (!t) {
        free(owner);
        return FX_ENOMEM;
    }
    int split = m->nused > 1;
    uint64_t **bt = NULL;
    if (split) {
        bt = calloc(m->ncaps, sizeof *bt);
        if (!bt) {
            free(owner);
            free(t);
            return FX_ENOMEM;
        }
        for (size_t u = 0; u < m->nused; u++) {
            uint32_t b = m->used_bands[u];
            if (!(bt[b] = calloc((size_t)axis + 1, sizeof *bt[b]))) {
                for (size_t v = 0; v < u; v++)
                    free(bt[m->used_bands[v]]);
                free(bt);
                free(owner);
                free(t);
                return FX_ENOMEM;
            }
        }
    }
    for (uint32_t p = 1; p <= live; p++) {
        slot *s = &m->slots[owner[p]];
        s->pos = p;
        t[p] = s->size;
        if (split)
            bt[s->band][p] = s->size;
    }
    build(t, axis);
    free(m->total);
    m->total = t;
    for (size_t u = 0; u < m->nused; u++) {
        uint32_t b = m->used_bands[u];
        if (split) {
            build(bt[b], axis);
            free(m->band[b]);
            m->band[b] = bt[b];
        } else {
            m->band[b] = m->total;
        }
    }
    free(bt);
    free(owner);
    m->axis = axis;
    m->now = live;
    m->compactions++;
    return FX_OK;
}

/* ---- bands ---------------------------------------------------------------- */

/* The first capacity >= SIZE, or ncaps. */
static uint32_t band_of(const fx_mrc *m, uint64_t size)
{
    size_t lo = 0, hi = m->ncaps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->caps[mid] >= size)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (uint32_t)lo;
}

/* Band B receives its first key. The first band to hold keys shares the
 * total tree; when a second appears, each gets a tree of its own. */
static fx_status band_open(fx_mrc *m, uint32_t b)
{
    size_t bytes = ((size_t)m->axis + 1) * sizeof(uint64_t);
    if (m->nused == 0) {
        m->band[b] = m->total;
    } else {
        if (m->nused == 1) {
            uint32_t first = m->used_bands[0];
            uint64_t *copy = malloc(bytes);
            if (!copy)
                return FX_ENOMEM;
            memcpy(copy, m->total, bytes);
            m->band[first] = copy;
        }
        if (!(m->band[b] = calloc((size_t)m->axis + 1, sizeof(uint64_t))))
            return FX_ENOMEM;
    }
    size_t i = m->nused++;
    while (i > 0 && m->used_bands[i - 1] > b) {
        m->used_bands[i] = m->used_bands[i - 1];
        i--;
    }
    m->used_bands[i] = b;
    return FX_OK;
}

/* Put key S at the next position with its size. */
static fx_status place(fx_mrc *m, slot *s)
{
    if (m->now == m->axis) {
        fx_status st = compact(m);
        if (st != FX_OK)
            return st;
    }
    s->pos = ++m->now;
    add(m->total, m->axis, s->pos, s->size);
    m->live_total += s->size;
    if (m->nused > 1)
        add(m->band[s->band], m->axis, s->pos, s->size);
    m->band_live[s->band] += s->size;
    return FX_OK;
}

/* Take key S off its position. */
static void unplace(fx_mrc *m, slot *s)
{
    add(m->total, m->axis, s->pos, 0 - s->size);
    m->live_total -= s->size;
    if (m->nused > 1)
        add(m->band[s->band], m->axis, s->pos, 0 - s->size);
    m->band_live[s->band] -= s->size;
    s->pos = 0;
}

/* ---- one request ----------------------------------------------------------- */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The first capacity index in [from, ncaps) whose capacity is at least
 * TARGET (exact bytes, or a scaled distance when sampling). */
static size_t first_fit(const fx_mrc *m, size_t from, uint64_t target, double ftarget)
{
    size_t lo = from, hi = m->ncaps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int fits = m->sampling ? (double)m->caps[mid] >= ftarget : m->caps[mid] >= target;
        if (fits)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* A request for a key already held at position s->pos: count its hits. */
static int count_hits(fx_mrc *m, const slot *s)
{
    uint32_t p = s->pos;
    uint32_t bk = s->band;
    uint64_t own = s->size;
    uint64_t dist = m->live_total - prefix(m->total, p);
    uint64_t target = sat_add(own, dist);
    double ftarget = (double)own + (double)dist / m->rate;
    double fown = (double)own;
    int hit0 = 0;

    /* Capacities from jt on hold the key whatever the sizes in between. */
    size_t jt = first_fit(m, bk, target, ftarget);
    if (jt < m->ncaps) {
        m->tail[jt]++;
        m->tail_bytes[jt] += fown;
        hit0 = jt == 0;
    }
    /* Below the largest band in use, a capacity leaves out the larger
     * bands: sum the bands it admits, smallest first. */
    uint32_t bmax = m->used_bands[m->nused - 1];
    size_t jhi = jt < bmax ? jt : bmax;
    if (m->nused < 2 || bk >= jhi)
        return hit0;
    uint64_t cap_last = m->caps[jhi - 1];
    /* The key's own band first: it alone often rules out every capacity
     * of the region, for one suffix sum. */
    uint64_t own_band = m->band_live[bk] - prefix(m->band[bk], p);
    if (m->sampling ? fown + (double)own_band / m->rate > (double)cap_last
                    : sat_add(own, own_band) > cap_last)
        return hit0;
    uint64_t sum = 0;
    size_t u = 0;
    for (size_t j = bk; j < jhi; j++) {
        for (; u < m->nused && m->used_bands[u] <= j; u++) {
            uint32_t b = m->used_bands[u];
            sum += b == bk ? own_band : m->band_live[b] - prefix(m->band[b], p);
        }
        int fits;
        if (m->sampling) {
            double d = fown + (double)sum / m->rate;
            if (d > (double)cap_last)
                break;
            fits = d <= (double)m->caps[j];
        } else {
            uint64_t d = sat_add(own, sum);
            if (d > cap_last)
                break;
            fits = d <= m->caps[j];
        }
        if (fits) {
            m->direct[j]++;
            m->direct_bytes[j] += fown;
            hit0 |= j == 0;
        }
    }
    return hit0;
}

static int failed(fx_mrc *m, fx_status st)
{
    m->error = st;
    return -1;
}

int fx_mrc_access(fx_mrc *m, uint64_t key, uint64_t size)
{
    m->requests++;
    uint64_t h = fx_mix64(key);
    if (m->sampling && (h & (SAMPLE_SPACE - 1)) >= m->threshold)
        return 0;
    m->sampled++;

    size_t i = (size_t)h & m->mask;
    while (m->slots[i].used && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    if (m->slots[i].used) {
        slot *s = &m->slots[i];
        m->bytes_requested += (double)s->size;
        if (s->band >= m->ncaps) /* no capacity admits it: a miss everywhere */
            return 0;
        int hit0 = count_hits(m, s);
        unplace(m, s);
        fx_status st = place(m, s);
        return st == FX_OK ? hit0 : failed(m, st);
    }

    /* A key never seen: a miss at every capacity. */
    if (m->count + 1 > FX_MRC_KEYS_MAX)
        return failed(m, FX_ELIMIT);
    if (2 * (m->count + 1) > m->mask + 1) {
        fx_status st = table_grow(m);
        if (st != FX_OK)
            return failed(m, st);
        i = (size_t)h & m->mask;
        while (m->slots[i].used)
            i = (i + 1) & m->mask;
    }
    slot *s = &m->slots[i];
    s->used = 1;
    m->count++;
    s->key = key;
    s->size = size;
    s->pos = 0;
    s->band = (uint16_t)(m->ncaps ? band_of(m, size) : 0);
    m->bytes_requested += (double)size;
    m->working_set = sat_add(m->working_set, size);
    if (m->keys == 0 || size < m->min_size)
        m->min_size = size;
    if (size > m->max_size)
        m->max_size = size;
    m->keys++;
    if (s->band >= m->ncaps)
        return 0;
    if (m->band_keys[s->band]++ == 0) {
        fx_status st = band_open(m, s->band);
        if (st != FX_OK)
            return failed(m, st);
    }
    fx_status st = place(m, s);
    return st == FX_OK ? 0 : failed(m, st);
}

void fx_mrc_prefetch(const fx_mrc *m, uint64_t key)
{
    uint64_t h = fx_mix64(key);
    if (m->sampling && (h & (SAMPLE_SPACE - 1)) >= m->threshold)
        return;
    __builtin_prefetch(&m->slots[(size_t)h & m->mask]);
}

fx_status fx_mrc_error(const fx_mrc *m)
{
    return m->error;
}

/* ---- results ---------------------------------------------------------------- */

size_t fx_mrc_npoints(const fx_mrc *m)
{
    return m->ncaps;
}

void fx_mrc_point_get(const fx_mrc *m, size_t i, fx_mrc_point *out)
{
    uint64_t hits = m->direct[i];
    double bytes = m->direct_bytes[i];
    for (size_t j = 0; j <= i; j++) {
        hits += m->tail[j];
        bytes += m->tail_bytes[j];
    }
    out->capacity = m->caps[i];
    out->requests = m->requests;
    if (m->sampling) {
        /* SHARDS-adj: the sample should hold rate * requests requests; the
         * surplus or shortfall comes from the hottest keys, in or out of
         * the sample by chance, which hit at every capacity. */
        double expected = m->rate * (double)m->requests;
        double adj = expected - (double)m->sampled;
        double hr = expected > 0 ? ((double)hits + adj) / expected : 0;
        out->hit_ratio = hr < 0 ? 0 : hr > 1 ? 1 : hr;
        double bexp = m->bytes_requested * (expected / (double)(m->sampled ? m->sampled : 1));
        double bhr = bexp > 0 ? (bytes + (bexp - m->bytes_requested)) / bexp : 0;
        out->byte_hit_ratio = bhr < 0 ? 0 : bhr > 1 ? 1 : bhr;
        out->hits = (uint64_t)llround(out->hit_ratio * (double)m->requests);
    } else {
        out->hit_ratio = m->sampled ? (double)hits / (double)m->sampled : 0;
        out->byte_hit_ratio = m->bytes_requested > 0 ? bytes / m->bytes_requested : 0;
        out->hits = hits;
    }
    if (out->hits > out->requests)
        out->hits = out->requests;
    out->misses = out->requests - out->hits;
}

void fx_mrc_summary_get(const fx_mrc *m, fx_mrc_summary *out)
{
    out->requests = m->requests;
    out->sampled = m->sampled;
    out->keys = m->sampling ? (uint64_t)llround((double)m->keys / m->rate) : m->keys;
    out->working_set =
        m->sampling ? (uint64_t)llround((double)m->working_set / m->rate) : m->working_set;
    out->min_size = m->min_size;
    out->max_size = m->max_size;
    out->compactions = m->compactions;
    out->rate = m->rate;
    out->bands = m->nused;
}

/* ---- trace records ------------------------------------------------------------ */

static const fx_trace_field *field_of(const fx_trace_rec *rec, uint32_t node)
{
    for (size_t i = 0; i < rec->nfields; i++)
        if (rec->fields[i].node == node)
            return &rec->fields[i];
    return NULL;
}

static uint64_t output_hash(const fx_trace_rec *rec, uint32_t node)
{
    const fx_trace_field *f = field_of(rec, node);
    if (f && f->has_hash)
        return f->hash;
    return fx_mix64(rec->key_hash ^ ((uint64_t)node << 32));
}

void fx_mrc_source_key(const fx_mrc_source *s, const fx_trace_rec *rec, uint64_t *key,
                       uint64_t *size)
{
    if (s->from_entry) {
        *key = rec->key_hash;
    } else if (s->npred == 1) {
        *key = output_hash(rec, s->pred[0]);
    } else {
        uint64_t k = 0;
        for (uint32_t i = 0; i < s->npred; i++)
            k = fx_mix64(k ^ output_hash(rec, s->pred[i]));
        *key = k;
    }
    const fx_trace_field *f = field_of(rec, s->to);
    *size = f && f->has_bytes ? f->bytes : s->to_default_bytes;
}
