/* eval.c - the search loop, memoization, parallel replays, screening
 * (see eval.h).
 *
 * Determinism: the strategy runs in the calling thread only; each batch is
 * split into candidates already evaluated (their score comes from the memo
 * table), new ones (appended to the log in batch order before any replay
 * starts) and, once the budget is spent, ones left unevaluated. Worker
 * threads only fill in rows that already have their place, and a replay
 * depends on nothing but its candidate, the trace and the seed.
 */
#include "optimizer/eval.h"

#include "models/network.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "models/replay.h"
#include "models/result.h"
#include "traces/trace.h"

/* Consecutive proposals of candidates already evaluated after which the
 * search stops. */
#define IDLE_MAX 20000

/* Rounds of confirmation after screening, at most. */
#define CONFIRM_ROUNDS 10

/* Longest reason kept in the log. */
#define REASON_MAX 512

/* ---- scores --------------------------------------------------------------- */

int fx_score_cmp(const fx_score *a, const fx_score *b)
{
    if (a->evaluated != b->evaluated)
        return a->evaluated ? -1 : 1;
    if (a->ok != b->ok)
        return a->ok ? -1 : 1;
    if (a->feasible != b->feasible)
        return a->feasible ? -1 : 1;
    if (!a->ok)
        return 0;
    if (!a->feasible && a->violation != b->violation)
        return a->violation < b->violation ? -1 : 1;
    if (a->objective != b->objective)
        return a->objective < b->objective ? -1 : 1;
    return 0;
}

double fx_score_energy(const fx_score *s, double scale)
{
    if (!s->evaluated || !s->ok || isnan(s->objective))
        return INFINITY;
    return s->feasible ? s->objective : s->objective + scale * (1 + s->violation);
}

/* ---- the memo table: canonical point -> row ------------------------------- */

typedef struct memo {
    size_t *slots; /* row + 1; 0 is empty */
    size_t cap, n;
} memo;

static uint64_t hash_point(const uint32_t *x, size_t nv)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < nv; i++)
        h = fx_mix64(h ^ x[i]);
    return h;
}

/* The row of X, or SIZE_MAX. */
static size_t memo_find(const memo *m, const fx_eval_row *rows, const uint32_t *x, size_t nv)
{
    if (!m->cap)
        return SIZE_MAX;
    for (size_t i = hash_point(x, nv) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i])
            return SIZE_MAX;
        if (memcmp(rows[m->slots[i] - 1].x, x, nv * sizeof *x) == 0)
            return m->slots[i] - 1;
    }
}

static int memo_add(memo *m, const fx_eval_row *rows, size_t row, size_t nv)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 256;
        size_t *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return 0;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i]) {
                size_t j = hash_point(rows[m->slots[i] - 1].x, nv) & (cap - 1);
                while (slots[j])
                    j = (j + 1) & (cap - 1);
                slots[j] = m->slots[i];
            }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    size_t j = hash_point(rows[row].x, nv) & (m->cap - 1);
    while (m->slots[j])
        j = (j + 1) & (m->cap - 1);
    m->slots[j] = row + 1;
    m->n++;
    return 1;
}

/* ---- the search ----------------------------------------------------------- */

struct fx_search {
    const fx_space *space;
    const fx_optimize_opts *o;
    fx_optimize_result *res;
    size_t nv, nm;
    fx_pcg32 rng;
    uint64_t evals, budget, step;
    memo *memo;
    size_t best;       /* the best feasible row so far, for progress; SIZE_MAX: none */
    const char *trace; /* what the current phase replays */
    double rate_scale;
    int sample;
};

const fx_space *fx_search_space(const fx_search *s)
{
    return s->space;
}

fx_pcg32 *fx_search_rng(fx_search *s)
{
    return &s->rng;
}

uint64_t fx_search_evals(const fx_search *s)
{
    return s->evals;
}

uint64_t fx_search_budget(const fx_search *s)
{
    return s->budget;
}

double fx_search_count(const fx_search *s, int *exact)
{
    if (exact)
        *exact = s->res->count_exact;
    return s->res->count;
}

int fx_search_seen(const fx_search *s, const uint32_t *x, fx_score *score)
{
    size_t r = memo_find(s->memo, s->res->rows, x, s->nv);
    if (r == SIZE_MAX)
        return 0;
    if (score)
        *score = s->res->rows[r].score;
    return 1;
}

void fx_search_set_step(fx_search *s, uint64_t step)
{
    s->step = step;
}

const fx_strategy_opts *fx_search_opts(const fx_search *s)
{
    return &s->o->sopts;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The number at KEY of a result document: "cost_per_hour",
 * "latency_ms.p99", "pools.ID.FIELD" (an id may hold dots). */
static double metric(const cJSON *doc, const char *key)
{
    const cJSON *v = NULL;
    if (strncmp(key, "pools.", 6) == 0) {
        const char *last = strrchr(key, '.');
        size_t n = (size_t)(last - (key + 6));
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(doc, "pools"))
        {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
            if (cJSON_IsString(id) && strlen(id->valuestring) == n &&
                strncmp(id->valuestring, key + 6, n) == 0)
                v = cJSON_GetObjectItemCaseSensitive(c, last + 1);
        }
    } else {
        const char *dot = strchr(key, '.');
        if (!dot) {
            v = cJSON_GetObjectItemCaseSensitive(doc, key);
        } else {
            char top[64];
            size_t n = (size_t)(dot - key);
            if (n < sizeof top) {
                memcpy(top, key, n);
                top[n] = '\0';
                v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, top),
                                                     dot + 1);
            }
        }
    }
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The analytic model's estimate of the metric KEY, or NAN when it has none. */
static double analytic_metric(const fx_net_result *nr, const char *key)
{
    if (strcmp(key, "latency_ms.mean") == 0)
        return nr->saturated ? INFINITY : nr->latency_mean_ms;
    if (strcmp(key, "latency_ms.p99") == 0)
        return nr->saturated ? INFINITY : nr->latency_p99_ms;
    if (strcmp(key, "cost_per_hour") == 0)
        return nr->cost_per_hour;
    if (strcmp(key, "requests") == 0)
        return (double)nr->requests;
    if (strncmp(key, "pools.", 6) == 0) {
        const char *dot = strrchr(key, '.');
        size_t idlen = (size_t)(dot - (key + 6));
        for (uint32_t p = 0; dot && p < nr->npools; p++)
            if (strlen(nr->pools[p].id) == idlen && strncmp(nr->pools[p].id, key + 6, idlen) == 0 &&
                strcmp(dot + 1, "utilization") == 0)
                return nr->pools[p].utilization;
    }
    return NAN;
}

/* Analytic screening: solve the candidate's queueing network and prune it
 * when an estimate, even shrunk by the margin, misses a bound. Returns 1
 * when pruned (ROW then holds the estimates and the reason). Any failure
 * of the model keeps the candidate: the replay decides. */
static int screen_analytic(fx_search *s, const fx_arch *arch, fx_eval_row *row)
{
    const fx_space *sp = s->space;
    fx_err e;
    fx_trace_reader *r = NULL;
    fx_net_load *load = NULL;
    fx_net_result nr;
    memset(&nr, 0, sizeof nr);
    int pruned = 0;
    if (fx_trace_open(s->trace, arch->svc->ids, arch->svc->nnodes, &r, &e) != FX_OK ||
        fx_net_measure(arch, r, &load, &e) != FX_OK ||
        fx_net_solve(arch, load, s->rate_scale, &nr, &e) != FX_OK)
        goto out;
    double *shrunk = malloc(s->nm * sizeof *shrunk);
    if (!shrunk)
        goto out;
    for (size_t i = 0; i < s->nm; i++) {
        const char *key = fx_space_metric_key(sp, i);
        double x = analytic_metric(&nr, key);
        row->metrics[i] = x;
        /* What the model cannot estimate is taken to meet its bound. */
        shrunk[i] = isnan(x)                       ? -INFINITY
                    : strcmp(key, "requests") == 0 ? x
                                                   : x / (1.0 + s->o->analytic);
    }
    double violation;
    char reason[REASON_MAX], text[REASON_MAX + 64];
    if (!fx_space_judge(sp, shrunk, &violation, reason, sizeof reason)) {
        pruned = 1;
        row->analytic = 1;
        row->score.evaluated = 1;
        row->score.ok = 1;
        row->score.feasible = 0;
        row->score.objective = row->metrics[fx_space_objective(sp)];
        row->score.violation = violation;
        snprintf(text, sizeof text, "pruned by the analytic model (margin %g): %s", s->o->analytic,
                 reason);
        row->reason = strdup(text);
    }
    free(shrunk);
out:
    fx_net_result_free(&nr);
    fx_net_load_free(load);
    fx_trace_close(r);
    return pruned;
}

/* Replay one candidate into ROW. Never fails: a failure is the row's. */
static void evaluate(fx_search *s, fx_eval_row *row)
{
    double t0 = now_s();
    const fx_space *sp = s->space;
    fx_err e;
    fx_err_clear(&e);
    fx_arch *arch = NULL;
    fx_trace_reader *r = NULL;
    fx_replay_result res;
    memset(&res, 0, sizeof res);
    char *text = NULL;
    cJSON *doc = NULL;
    fx_status st = fx_space_arch(sp, row->x, "candidate", &arch, &e);
    if (st == FX_OK && s->o->analytic > 0 && screen_analytic(s, arch, row)) {
        fx_arch_free(arch);
        row->wall_s = now_s() - t0;
        return;
    }
    if (st == FX_OK)
        st = fx_trace_open(s->trace, arch->svc->ids, arch->svc->nnodes, &r, &e);
    if (st == FX_OK) {
        fx_replay_opts ro = {s->rate_scale, 0, s->o->seed, NULL, NULL, NULL, 0};
        st = fx_replay_run(arch, r, &ro, &res, &e);
    }
    if (st == FX_OK &&
        (!(text = fx_result_json(&res, arch->name, s->trace)) || !(doc = cJSON_Parse(text))))
        st = fx_err_set(&e, FX_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->nm; i++)
        row->metrics[i] = st == FX_OK ? metric(doc, fx_space_metric_key(sp, i)) : NAN;
    row->score.evaluated = 1;
    row->score.ok = st == FX_OK;
    char reason[REASON_MAX] = "";
    if (st != FX_OK) {
        snprintf(reason, sizeof reason, "replay failed: %s", e.msg);
        row->score.objective = NAN;
        row->score.violation = INFINITY;
    } else {
        double obj = row->metrics[fx_space_objective(sp)];
        row->score.objective = obj;
        row->score.feasible =
            fx_space_judge(sp, row->metrics, &row->score.violation, reason, sizeof reason);
        if (isnan(obj)) {
            row->score.feasible = 0;
            size_t n = strlen(reason);
            snprintf(reason + n, sizeof reason - n, "%sno %s in the result", n ? "; " : "",
                     fx_space_metric_key(sp, fx_space_objective(sp)));
            row->score.violation += 1;
        }
    }
    if (reason[0])
        row->reason = strdup(reason); /* NULL when out of memory: the log shows none */
    cJSON_Delete(doc);
    free(text);
    fx_replay_result_free(&res);
    fx_trace_close(r);
    fx_arch_free(arch);
    row->wall_s = now_s() - t0;
}

typedef struct pool_work {
    fx_search *s;
    fx_eval_row **rows;
    size_t n, next;
    pthread_mutex_t lock;
} pool_work;

static void *worker(void *arg)
{
    pool_work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        size_t i = w->next++;
        pthread_mutex_unlock(&w->lock);
        if (i >= w->n)
            return NULL;
        evaluate(w->s, w->rows[i]);
    }
}

/* Replay ROWS[0..N) with up to JOBS threads, or hand them to the
 * options' evaluator. */
static fx_status evaluate_all(fx_search *s, fx_eval_row **rows, size_t n, fx_err *e)
{
    if (s->o->evaluate)
        return n ? s->o->evaluate(s->o->ectx, rows, n, e) : FX_OK;
    unsigned jobs = s->o->jobs ? s->o->jobs : 1;
    if (jobs > n)
        jobs = (unsigned)n;
    if (jobs <= 1) {
        for (size_t i = 0; i < n; i++)
            evaluate(s, rows[i]);
        return FX_OK;
    }
    pool_work w = {s, rows, n, 0, PTHREAD_MUTEX_INITIALIZER};
    pthread_t *t = malloc(jobs * sizeof *t);
    if (!t)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    unsigned started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&t[started], NULL, worker, &w) != 0)
            break;
    if (started == 0) /* no thread at all: do the work here */
        worker(&w);
    for (unsigned i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    free(t);
    pthread_mutex_destroy(&w.lock);
    return FX_OK;
}

/* A new row for point X at the end of the log; its index in *ROW. */
static fx_status new_row(fx_search *s, const uint32_t *x, size_t *row, fx_err *e)
{
    fx_optimize_result *res = s->res;
    fx_eval_row *rows = realloc(res->rows, (res->nrows + 1) * sizeof *rows);
    if (!rows)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    res->rows = rows;
    fx_eval_row *r = &rows[res->nrows];
    memset(r, 0, sizeof *r);
    r->x = malloc(s->nv * sizeof *r->x);
    r->metrics = malloc((s->nm ? s->nm : 1) * sizeof *r->metrics);
    if (!r->x || !r->metrics) {
        free(r->x);
        free(r->metrics);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    memcpy(r->x, x, s->nv * sizeof *x);
    r->index = res->nrows + 1;
    r->step = s->step;
    r->sample = s->sample;
    *row = res->nrows++;
    if (!memo_add(s->memo, res->rows, *row, s->nv))
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    return FX_OK;
}

/* Evaluate the new points among X[0..N) (in order, within the budget) and
 * fill SCORES for all of them. *FRESH: how many were new. */
static fx_status run_batch(fx_search *s, uint32_t *x, size_t n, fx_score *scores, size_t *fresh,
                           fx_err *e)
{
    fx_optimize_result *res = s->res;
    size_t nv = s->nv;
    size_t *which = malloc((n ? n : 1) * sizeof *which);
    fx_eval_row **todo = malloc((n ? n : 1) * sizeof *todo);
    fx_status st = which && todo ? FX_OK : fx_err_set(e, FX_ENOMEM, "out of memory");
    size_t ntodo = 0;
    for (size_t i = 0; st == FX_OK && i < n; i++) {
        uint32_t *p = x + i * nv;
        which[i] = SIZE_MAX;
        memset(&scores[i], 0, sizeof scores[i]);
        if (!fx_space_canonical(s->space, p)) {
            res->invalid++;
            continue;
        }
        size_t r = memo_find(s->memo, res->rows, p, nv);
        if (r != SIZE_MAX) {
            which[i] = r;
            res->repeats++;
            continue;
        }
        if (s->evals + ntodo >= s->budget)
            continue;
        st = new_row(s, p, &which[i], e);
        if (st == FX_OK)
            ntodo++;
    }
    if (st == FX_OK) {
        /* The new rows, in log order; their addresses are final now. */
        for (size_t k = 0; k < ntodo; k++)
            todo[k] = &res->rows[res->nrows - ntodo + k];
        st = evaluate_all(s, todo, ntodo, e);
    }
    if (st == FX_OK) {
        s->evals += ntodo;
        for (size_t k = res->nrows - ntodo; k < res->nrows; k++)
            if (res->rows[k].score.feasible &&
                (s->best == SIZE_MAX ||
                 fx_score_cmp(&res->rows[k].score, &res->rows[s->best].score) < 0))
                s->best = k;
        for (size_t i = 0; i < n; i++)
            if (which[i] != SIZE_MAX)
                scores[i] = res->rows[which[i]].score;
        *fresh = ntodo;
    }
    free(which);
    free(todo);
    return st;
}

static void progress(fx_search *s, int confirming)
{
    if (!s->o->on_progress)
        return;
    fx_optimize_progress p = {0};
    p.evals = s->res->nrows;
    p.budget = s->budget;
    p.confirming = confirming;
    if (s->best != SIZE_MAX) {
        const fx_eval_row *best = &s->res->rows[s->best];
        p.has_best = 1;
        p.best = best->score.objective;
        p.best_index = best->index;
    }
    s->o->on_progress(s->o->ctx, &p);
}

/* The strategy's search, on whatever trace S replays now. */
static fx_status search(fx_search *s, fx_err *e)
{
    const fx_strategy *strat = s->o->strategy;
    const fx_space *sp = s->space;
    void *state = calloc(1, strat->size ? strat->size : 1);
    size_t max = fx_space_max_neighbours(sp);
    size_t round = (size_t)s->o->sopts.batch * (s->o->sopts.chains ? s->o->sopts.chains : 1);
    if (max < round)
        max = round;
    if (max < 64)
        max = 64;
    uint32_t *batch = malloc(max * s->nv * sizeof *batch);
    fx_score *scores = malloc(max * sizeof *scores);
    if (!state || !batch || !scores) {
        free(state);
        free(batch);
        free(scores);
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    }
    fx_status st = strat->init(state, s, e);
    int inited = st == FX_OK;
    uint64_t idle = 0;
    s->res->stop = "the budget was spent";
    while (st == FX_OK) {
        if (s->res->count_exact && (double)s->evals >= s->res->count) {
            s->res->stop = "every candidate was evaluated";
            break;
        }
        if (s->evals >= s->budget)
            break;
        size_t n = strat->propose(state, s, batch, max);
        if (n == 0) {
            s->res->stop = "the strategy ended";
            break;
        }
        if (n > max)
            n = max;
        s->res->proposals += n;
        size_t fresh = 0;
        st = run_batch(s, batch, n, scores, &fresh, e);
        if (st != FX_OK)
            break;
        strat->observe(state, s, batch, scores, n);
        idle = fresh ? 0 : idle + n;
        if (idle >= IDLE_MAX) {
            s->res->stop = "the strategy proposed only candidates already evaluated";
            break;
        }
        if (fresh)
            progress(s, 0);
    }
    if (inited && strat->fini)
        strat->fini(state);
    free(state);
    free(batch);
    free(scores);
    return st;
}

/* ---- the trace: checked, copied, sampled ---------------------------------- */

typedef struct prepared {
    char dir[256]; /* the private folder, or "" */
    char *full;    /* the trace to replay in full */
    char *sample;  /* the sample, or NULL */
} prepared;

static void prepared_free(prepared *t)
{
    if (t->sample)
        unlink(t->sample);
    if (t->dir[0] && t->full && strncmp(t->full, t->dir, strlen(t->dir)) == 0)
        unlink(t->full);
    if (t->dir[0])
        rmdir(t->dir);
    free(t->full);
    free(t->sample);
}

static char *in_dir(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Read TRACE through once: check it, count it, and write the copy (of
 * stdin) and the sample that the search needs. */
static fx_status prepare(const fx_space *sp, const char *trace, double screen, prepared *t,
                         fx_optimize_result *res, fx_err *e)
{
    const fx_service *svc = fx_space_base_arch(sp)->svc;
    int copy = strcmp(trace, "-") == 0;
    if (copy || screen > 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(t->dir, sizeof t->dir, "%s/fluxosim-opt-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(t->dir)) {
            fx_status st = fx_err_set(e, FX_EIO, "%s: cannot make a temporary folder: %s", t->dir,
                                      strerror(errno));
            t->dir[0] = '\0';
            return st;
        }
    }
    t->full = copy ? in_dir(t->dir, "trace") : strdup(trace);
    if (!t->full || (screen > 0 && !(t->sample = in_dir(t->dir, "sample.trace"))))
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_trace_reader *r = NULL;
    fx_trace_writer *wf = NULL, *ws = NULL;
    fx_status st = fx_trace_open(trace, svc->ids, svc->nnodes, &r, e);
    const char *name = st == FX_OK && fx_trace_service(r) ? fx_trace_service(r) : svc->name;
    if (st == FX_OK && copy)
        st = fx_trace_writer_open(t->full, name, svc->ids, svc->nnodes, &wf, e);
    if (st == FX_OK && t->sample)
        st = fx_trace_writer_open(t->sample, name, svc->ids, svc->nnodes, &ws, e);
    fx_trace_rec rec;
    int got;
    while (st == FX_OK && (got = fx_trace_next(r, &rec, e)) != 0) {
        if (got < 0) {
            st = e ? e->code : FX_EINVAL;
            break;
        }
        res->requests++;
        if (wf)
            st = fx_trace_write(wf, &rec, e);
        /* The key's place in the hash range, as a number in [0, 1). */
        if (st == FX_OK && ws && (double)(fx_mix64(rec.key_hash) >> 11) * 0x1p-53 < screen) {
            st = fx_trace_write(ws, &rec, e);
            res->sample_requests++;
        }
    }
    if (wf) {
        fx_status c = fx_trace_writer_close(wf, st != FX_OK, st == FX_OK ? e : NULL);
        st = st == FX_OK ? c : st;
    }
    if (ws) {
        fx_status c = fx_trace_writer_close(ws, st != FX_OK, st == FX_OK ? e : NULL);
        st = st == FX_OK ? c : st;
    }
    fx_trace_close(r);
    if (st == FX_OK && res->requests == 0)
        st = fx_err_set(e, FX_EINVAL, "%s: expected requests, found none", trace);
    if (st == FX_OK && t->sample && res->sample_requests == 0)
        st = fx_err_set(e, FX_EINVAL,
                        "%s: --screen %g keeps no request of the trace; expected a larger fraction",
                        trace, screen);
    return st;
}

/* ---- after the search ----------------------------------------------------- */

/* Is row A at least as good as B in cost and p99, and better in one? */
static int dominates(const fx_search *s, const fx_eval_row *a, const fx_eval_row *b)
{
    size_t c = fx_space_metric_cost(s->space), p = fx_space_metric_p99(s->space);
    return a->metrics[c] <= b->metrics[c] && a->metrics[p] <= b->metrics[p] &&
           (a->metrics[c] < b->metrics[c] || a->metrics[p] < b->metrics[p]);
}

/* The non-dominated feasible rows with SAMPLE, by ascending cost (ties in
 * log order; of rows equal in both, the first). */
static fx_status pareto(const fx_search *s, int sample, size_t **out, size_t *n, fx_err *e)
{
    const fx_optimize_result *res = s->res;
    size_t *set = malloc((res->nrows ? res->nrows : 1) * sizeof *set);
    if (!set)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    size_t k = 0;
    size_t c = fx_space_metric_cost(s->space), p = fx_space_metric_p99(s->space);
    for (size_t i = 0; i < res->nrows; i++) {
        const fx_eval_row *a = &res->rows[i];
        if (a->sample != sample || !a->score.feasible || isnan(a->metrics[c]) ||
            isnan(a->metrics[p]))
            continue;
        int out_ = 0;
        for (size_t j = 0; j < res->nrows && !out_; j++) {
            const fx_eval_row *b = &res->rows[j];
            if (j == i || b->sample != sample || !b->score.feasible)
                continue;
            out_ = dominates(s, b, a) ||
                   (j < i && b->metrics[c] == a->metrics[c] && b->metrics[p] == a->metrics[p]);
        }
        if (!out_)
            set[k++] = i;
    }
    /* Insertion sort by cost, then index. */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && res->rows[set[j]].metrics[c] < res->rows[set[j - 1]].metrics[c];
             j--) {
            size_t t = set[j];
            set[j] = set[j - 1];
            set[j - 1] = t;
        }
    *out = set;
    *n = k;
    return FX_OK;
}

static int row_less(const fx_eval_row *a, const fx_eval_row *b)
{
    int c = fx_score_cmp(&a->score, &b->score);
    return c < 0 || (c == 0 && a->index < b->index);
}

/* Replay screened candidates on the whole trace: the best CONFIRM by their
 * sample scores (with PARETO, the sample's Pareto set too), then, while
 * none of those is feasible, the next CONFIRM, for at most CONFIRM_ROUNDS
 * rounds. */
static fx_status confirm(fx_search *s, fx_err *e)
{
    fx_optimize_result *res = s->res;
    const fx_optimize_opts *o = s->o;
    size_t n = res->nrows, k = 0, *front = NULL, nfront = 0;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (res->rows[i].score.ok)
            order[k++] = i;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && row_less(&res->rows[order[j]], &res->rows[order[j - 1]]); j--) {
            size_t tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    fx_status st = o->pareto ? pareto(s, 1, &front, &nfront, e) : FX_OK;
    size_t room = o->confirm + nfront + 1;
    uint32_t *points = st == FX_OK ? malloc(room * s->nv * sizeof *points) : NULL;
    fx_score *scores = st == FX_OK ? malloc(room * sizeof *scores) : NULL;
    if (st == FX_OK && (!points || !scores))
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
    size_t next = 0;
    int feasible = 0;
    for (unsigned round = 0; st == FX_OK && round < CONFIRM_ROUNDS && next < k && !feasible;
         round++) {
        size_t np = 0;
        for (; next < k && np < o->confirm; next++)
            memcpy(points + np++ * s->nv, res->rows[order[next]].x, s->nv * sizeof *points);
        for (size_t i = 0; round == 0 && i < nfront; i++) {
            const uint32_t *x = res->rows[front[i]].x;
            int dup = 0;
            for (size_t j = 0; j < np && !dup; j++)
                dup = memcmp(points + j * s->nv, x, s->nv * sizeof *x) == 0;
            if (!dup)
                memcpy(points + np++ * s->nv, x, s->nv * sizeof *x);
        }
        s->step++;
        s->evals = 0;
        s->budget = np;
        size_t fresh = 0, first = res->nrows;
        st = run_batch(s, points, np, scores, &fresh, e);
        for (size_t i = first; st == FX_OK && i < res->nrows; i++) {
            res->rows[i].confirm = 1;
            feasible |= res->rows[i].score.feasible;
        }
        res->confirmed += fresh;
        progress(s, 1);
    }
    free(order);
    free(front);
    free(points);
    free(scores);
    return st;
}

/* The rate scale of a phase: the sample, replayed faster by the share of
 * requests it kept, carries the whole trace's mean load. */
static double phase_rate(const fx_optimize_opts *o, const fx_optimize_result *res, int sample)
{
    double scale = o->rate_scale > 0 ? o->rate_scale : 1.0;
    return scale * (sample ? (double)res->requests / (double)res->sample_requests : 1.0);
}

fx_status fx_optimize_run(const fx_space *sp, const char *trace, const fx_optimize_opts *o,
                          fx_optimize_result *res, fx_err *e)
{
    memset(res, 0, sizeof *res);
    res->best = res->best_any = SIZE_MAX;
    double t0 = now_s();
    res->count = fx_space_count(sp, &res->count_exact);
    fx_search s;
    memset(&s, 0, sizeof s);
    s.space = sp;
    s.o = o;
    s.res = res;
    s.nv = fx_space_nvars(sp);
    s.nm = fx_space_nmetrics(sp);
    s.best = SIZE_MAX;
    fx_pcg32_seed(&s.rng, o->seed, fx_hash_str("optimizer"));
    uint64_t budget = o->budget ? o->budget : o->strategy->default_budget;
    if (budget == 0 || (res->count_exact && (double)budget > res->count))
        budget = res->count_exact ? (uint64_t)res->count : (budget ? budget : UINT64_MAX);
    s.budget = res->budget = budget;

    prepared t;
    memset(&t, 0, sizeof t);
    memo sample_memo = {0}, full_memo = {0};
    fx_status st = prepare(sp, trace, o->screen, &t, res, e);
    if (st == FX_OK) {
        int screening = t.sample != NULL;
        s.memo = screening ? &sample_memo : &full_memo;
        s.trace = screening ? t.sample : t.full;
        s.rate_scale = phase_rate(o, res, screening);
        s.sample = screening;
        st = search(&s, e);
        if (st == FX_OK && screening) {
            res->sampled = res->nrows;
            s.memo = &full_memo;
            s.trace = t.full;
            s.rate_scale = phase_rate(o, res, 0);
            s.sample = 0;
            st = confirm(&s, e);
        }
    }
    if (st == FX_OK) {
        for (size_t i = 0; i < res->nrows; i++) {
            const fx_eval_row *r = &res->rows[i];
            res->pruned += (uint64_t)r->analytic;
            if (r->sample)
                continue;
            if (res->best_any == SIZE_MAX ||
                fx_score_cmp(&r->score, &res->rows[res->best_any].score) < 0)
                res->best_any = i;
        }
        if (res->best_any != SIZE_MAX && res->rows[res->best_any].score.feasible)
            res->best = res->best_any;
        if (o->pareto)
            st = pareto(&s, 0, &res->pareto, &res->npareto, e);
    }
    free(sample_memo.slots);
    free(full_memo.slots);
    prepared_free(&t);
    res->wall_s = now_s() - t0;
    return st;
}

void fx_optimize_result_free(fx_optimize_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->nrows; i++) {
        free(res->rows[i].x);
        free(res->rows[i].metrics);
        free(res->rows[i].reason);
    }
    free(res->rows);
    free(res->pareto);
    memset(res, 0, sizeof *res);
}

/* ---- scoring for a search elsewhere ---------------------------------------- */

struct fx_optimize_worker {
    fx_search s;
    prepared t;
    fx_optimize_result counts; /* the trace's requests and the sample's */
};

fx_status fx_optimize_worker_open(const fx_space *sp, const char *trace, const fx_optimize_opts *o,
                                  fx_optimize_worker **out, fx_err *e)
{
    *out = NULL;
    if (strcmp(trace, "-") == 0)
        return fx_err_set(e, FX_EINVAL,
                          "-: expected a trace file, found standard input (a worker cannot read "
                          "what the search read)");
    fx_optimize_worker *w = calloc(1, sizeof *w);
    if (!w)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    fx_status st = prepare(sp, trace, o->screen, &w->t, &w->counts, e);
    if (st != FX_OK) {
        prepared_free(&w->t);
        free(w);
        return st;
    }
    w->s.space = sp;
    w->s.o = o;
    w->s.nv = fx_space_nvars(sp);
    w->s.nm = fx_space_nmetrics(sp);
    w->s.best = SIZE_MAX;
    *out = w;
    return FX_OK;
}

void fx_optimize_worker_eval(fx_optimize_worker *w, fx_eval_row *row)
{
    int sample = row->sample && w->t.sample;
    memset(&row->score, 0, sizeof row->score);
    row->analytic = 0;
    row->reason = NULL;
    w->s.trace = sample ? w->t.sample : w->t.full;
    w->s.rate_scale = phase_rate(w->s.o, &w->counts, sample);
    w->s.sample = sample;
    evaluate(&w->s, row);
}

void fx_optimize_worker_close(fx_optimize_worker *w)
{
    if (!w)
        return;
    prepared_free(&w->t);
    free(w);
}
