/* Tiers: balancers against queueing theory and against each other, failures
 * and retries, partitions, and the station operations they rest on.
 *
 * A small harness drives a tier with Poisson arrivals (or a closed loop: one
 * job at a time) and exponential or constant demands under fixed seeds, and
 * records every response. Statistical claims use 99% batch-means intervals
 * over 10^6 jobs (fewer where the interval still separates clearly); every
 * run also checks that time never goes backwards and that each job is handed
 * back exactly once. A tier with failures never runs out of events, so the
 * harness stops the run when the last job leaves, or at a horizon.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "models/analytic.h"
#include "sim/pcg.h"
#include "sim/tier.h"
#include "tests/check.h"

TCase *fx_tcase_tier(void);

#define MS 1e6 /* ns */

/* ---- harness ------------------------------------------------------------- */

typedef struct hjob {
    fx_job job; /* first: a job pointer is an hjob pointer */
    fx_time t0; /* arrival, by the harness's own clock */
    double up0; /* up server-time of the tier at arrival (ns) */
} hjob;

enum { KEYS_NONE, KEYS_UNIFORM, KEYS_HOT };

typedef struct harness harness;

typedef struct setup {
    fx_tier_config tier;
    const char *arrivals; /* NULL: closed loop, the next job enters as one leaves */
    const char *demand;
    uint64_t jobs, warmup, seed;
    double horizon_s; /* stop there at the latest; 0: when the calendar empties */
    int keys;         /* partition choice */
    double hot_share; /* KEYS_HOT: share of jobs with the one hot key */
    int record;       /* keep per-job arrival, demand and finish times */
    void (*hook)(harness *h, hjob *j, int failed);
} setup;

struct harness {
    const setup *s;
    fx_sim *sim;
    fx_tier *t;
    fx_dist arrivals, demand;
    gsl_rng *r_arr, *r_dem, *r_key;
    uint64_t arrived, served, failed;
    uint64_t after_reset;  /* jobs handed back since the warm-up reset */
    unsigned char *handed; /* per job: times handed back */
    int twice, backwards;
    fx_time last;
    fx_batch resp, wait;
    fx_moments resp_m, wait_m;
    fx_time *at, *dem, *fin; /* record */
    hjob **chunks;
    size_t nchunks;
    hjob *free;
    /* for hooks */
    double sum_a, sum_b;
    uint64_t count_a, count_b;
    int bad;
};

enum { CHUNK = 4096 };

static hjob *job_get(harness *h)
{
    if (!h->free) {
        hjob *c = calloc(CHUNK, sizeof *c);
        ck_assert_ptr_nonnull(c);
        h->chunks = realloc(h->chunks, (h->nchunks + 1) * sizeof *h->chunks);
        ck_assert_ptr_nonnull(h->chunks);
        h->chunks[h->nchunks++] = c;
        for (int i = 0; i < CHUNK; i++) {
            c[i].job.next = h->free ? &h->free->job : NULL;
            h->free = &c[i];
        }
    }
    hjob *j = h->free;
    h->free = (hjob *)j->job.next;
    return j;
}

static void tick(harness *h)
{
    if (h->sim->now < h->last)
        h->backwards++;
    h->last = h->sim->now;
}

/* Up server-time of the tier since time 0 (no reset in runs that use it). */
static double up_area(harness *h)
{
    fx_tier_stats s;
    fx_tier_stats_get(h->t, h->sim->now, &s, NULL);
    return s.availability * (double)h->sim->now *
           (double)(h->s->tier.servers * fx_tier_partitions(h->t));
}

static uint64_t draw64(gsl_rng *r)
{
    fx_pcg32 *p = fx_rng_state(r);
    uint64_t hi = fx_pcg32_next(p);
    return hi << 32 | fx_pcg32_next(p);
}

#define HOT_KEY 0x5eedULL

static unsigned route(harness *h)
{
    unsigned k = fx_tier_partitions(h->t);
    switch (h->s->keys) {
    case KEYS_UNIFORM:
        return fx_tier_partition_hash(draw64(h->r_key), k);
    case KEYS_HOT:
        if (fx_pcg32_open01(fx_rng_state(h->r_key)) < h->s->hot_share)
            return fx_tier_partition_hash(HOT_KEY, k);
        return fx_tier_partition_hash(draw64(h->r_key), k);
    }
    return 0;
}

static void enter(harness *h)
{
    uint64_t id = h->arrived++;
    tick(h);
    if (id == h->s->warmup && id > 0)
        fx_tier_reset(h->t, h->sim->now);
    hjob *j = job_get(h);
    memset(&j->job, 0, sizeof j->job);
    j->job.demand = fx_dist_sample(&h->demand, h->r_dem);
    j->job.tag = id;
    j->t0 = h->sim->now;
    if (h->s->hook)
        j->up0 = up_area(h);
    if (h->s->record) {
        h->at[id] = j->t0;
        h->dem[id] = j->job.demand;
    }
    fx_tier_arrive(h->t, h->sim, &j->job, route(h));
}

static void on_arrival(void *ctx, void *obj, uint64_t arg)
{
    harness *h = obj;
    (void)ctx;
    (void)arg;
    enter(h);
    if (h->arrived < h->s->jobs)
        fx_sim_after(h->sim, fx_dist_sample(&h->arrivals, h->r_arr), on_arrival, h, 0);
}

static void on_done(fx_sim *sim, fx_job *job, int failed, void *ctx)
{
    harness *h = ctx;
    hjob *j = (hjob *)job;
    uint64_t id = job->tag;
    tick(h);
    if (h->handed[id]++)
        h->twice++;
    if (h->arrived > h->s->warmup)
        h->after_reset++;
    if (failed) {
        h->failed++;
    } else {
        h->served++;
        double r = (double)(sim->now - j->t0);
        double w = r - (double)job->demand / (h->s->tier.speed ? h->s->tier.speed : 1);
        if (id >= h->s->warmup) {
            fx_moments_add(&h->resp_m, r);
            fx_moments_add(&h->wait_m, w);
            fx_batch_add(&h->resp, r);
            fx_batch_add(&h->wait, w);
        }
        if (h->s->record)
            h->fin[id] = sim->now;
    }
    if (h->s->hook)
        h->s->hook(h, j, failed);
    job->next = &h->free->job;
    h->free = j;
    if (h->served + h->failed == h->s->jobs)
        fx_sim_stop(sim); /* failures would go on for ever */
    else if (!h->s->arrivals && h->arrived < h->s->jobs)
        enter(h);
}

static void start(harness *h, const setup *s)
{
    fx_err e;
    memset(h, 0, sizeof *h);
    h->s = s;
    h->sim = fx_sim_alloc(s->seed);
    ck_assert_ptr_nonnull(h->sim);
    if (s->arrivals)
        ck_assert_int_eq(fx_dist_parse(s->arrivals, &h->arrivals, &e), FX_OK);
    ck_assert_int_eq(fx_dist_parse(s->demand, &h->demand, &e), FX_OK);
    h->r_arr = fx_sim_rng(h->sim, "arrivals");
    h->r_dem = fx_sim_rng(h->sim, "demand");
    h->r_key = fx_sim_rng(h->sim, "keys");
    h->handed = calloc(s->jobs, 1);
    ck_assert_ptr_nonnull(h->handed);
    if (s->record) {
        h->at = calloc(s->jobs, sizeof *h->at);
        h->dem = calloc(s->jobs, sizeof *h->dem);
        h->fin = calloc(s->jobs, sizeof *h->fin);
    }
    fx_batch_init(&h->resp);
    fx_batch_init(&h->wait);
    h->t = fx_tier_alloc(&s->tier, h->sim, on_done, h);
    ck_assert_ptr_nonnull(h->t);
}

/* Run S to its end; the tier stays for its statistics. */
static void run(harness *h, const setup *s)
{
    start(h, s);
    if (s->arrivals)
        fx_sim_at(h->sim, 0, on_arrival, h, 0);
    else
        enter(h);
    fx_time until = s->horizon_s > 0 ? (fx_time)(s->horizon_s * 1e9) : FX_TIME_MAX;
    ck_assert_int_eq(fx_sim_run(h->sim, until), FX_OK);
    ck_assert_int_eq(h->backwards, 0);
    ck_assert_int_eq(h->twice, 0);
}

static void finish(harness *h)
{
    fx_tier_free(h->t);
    fx_sim_free(h->sim);
    fx_dist_free(&h->arrivals);
    fx_dist_free(&h->demand);
    gsl_rng_free(h->r_arr);
    gsl_rng_free(h->r_dem);
    gsl_rng_free(h->r_key);
    for (size_t i = 0; i < h->nchunks; i++)
        free(h->chunks[i]);
    free(h->chunks);
    free(h->handed);
    free(h->at);
    free(h->dem);
    free(h->fin);
}

/* Every job entered and left, served or failed, exactly once; the tier
 * counted the same (runs without a warm-up). */
static void conserved(harness *h)
{
    fx_tier_stats st;
    fx_tier_stats_get(h->t, h->sim->now, &st, NULL);
    ck_assert_uint_eq(h->arrived, h->s->jobs);
    ck_assert_uint_eq(h->served + h->failed, h->arrived);
    for (uint64_t i = 0; i < h->s->jobs; i++)
        ck_assert_uint_eq(h->handed[i], 1);
    ck_assert_uint_eq(st.served, h->served);
    ck_assert_uint_eq(st.failed, h->failed);
}

typedef struct ci {
    double mean, half;
} ci;

static ci wait_ci(const harness *h)
{
    ci c;
    fx_batch_ci(&h->wait, 0.99, &c.mean, &c.half);
    c.mean = fx_moments_mean(&h->wait_m);
    return c;
}

/* ---- balancers against theory -------------------------------------------- */

/* Random splitting of a Poisson stream gives each server a Poisson stream:
 * c independent M/M/1 queues at lambda/c. */
START_TEST(random_is_mm1)
{
    static const fx_discipline discs[] = {FX_FCFS, FX_PS};
    for (int d = 0; d < 2; d++) {
        setup s = {.tier = {"web", discs[d], 4, 1, 1, FX_BAL_RANDOM, 0, 0, 0, NULL},
                   .arrivals = "exp:250us",
                   .demand = "exp:700us",
                   .jobs = 1000000,
                   .warmup = 50000,
                   .seed = 7};
        harness h;
        run(&h, &s);
        double lambda = 1.0 / 0.25; /* per ms */
        double theory = fx_mmc_response(lambda / 4, 0.7, 1) * MS;
        double mean, half;
        fx_batch_ci(&h.resp, 0.99, &mean, &half);
        double sim = fx_moments_mean(&h.resp_m);
        ck_assert_msg(fabs(sim - theory) <= half && fabs(sim - theory) <= 0.02 * theory,
                      "%s: simulated %.5f ms, M/M/1 %.5f ms, 99%% half-width %.5f ms",
                      d ? "ps" : "fcfs", sim / MS, theory / MS, half / MS);
        fx_tier_stats st;
        fx_tier_stats_get(h.t, h.sim->now, &st, NULL);
        ck_assert_double_eq_tol(st.utilization, 0.7, 0.01);
        ck_assert_double_eq(st.availability, 1.0);
        ck_assert_uint_eq(st.retried + st.failed, 0);
        ck_assert_uint_eq(st.served, h.after_reset);
        /* The tier's own wait matches the harness's, and Little's law holds
         * for the waiting line: Lq = lambda Wq. */
        ck_assert_double_eq_tol(st.mean_wait, fx_moments_mean(&h.wait_m),
                                0.01 * fx_moments_mean(&h.wait_m));
        double lq = lambda / MS * st.mean_wait;
        ck_assert_msg(fabs(st.mean_queue - lq) <= 0.01 * lq, "Little: Lq=%g lambda*Wq=%g",
                      st.mean_queue, lq);
        finish(&h);
    }
}
END_TEST

/* At utilization 0.9 on 4 servers, the same arrivals and demands (same
 * seed) wait least in one shared queue, then under join-the-shortest-queue,
 * then under the power of two choices, and by far longest under random.
 * Job i sees the same arrival time and demand under every policy, so the
 * comparisons are paired: batch means of the per-job difference in wait. */
START_TEST(balancers_order_at_high_load)
{
    enum { N = 1000000, WARM = 50000 };
    static const fx_balancer order[] = {FX_BAL_SHARED, FX_BAL_JSQ, FX_BAL_P2C, FX_BAL_RANDOM};
    double *wait[4];
    ci w[4];
    for (int b = 0; b < 4; b++) {
        setup s = {.tier = {"app", FX_FCFS, 4, 1, 1, order[b], 0, 0, 0, NULL},
                   .arrivals = "exp:250us",
                   .demand = "exp:900us",
                   .jobs = N,
                   .warmup = WARM,
                   .seed = 11,
                   .record = 1};
        harness h;
        run(&h, &s);
        w[b] = wait_ci(&h);
        wait[b] = malloc(N * sizeof *wait[b]);
        ck_assert_ptr_nonnull(wait[b]);
        for (uint64_t i = 0; i < N; i++)
            wait[b][i] = (double)(h.fin[i] - h.at[i] - h.dem[i]);
        finish(&h);
    }
    /* The shared queue is M/M/4: Erlang C. */
    double mmc = (fx_mmc_response(4.0, 0.9, 4) - 0.9) * MS;
    ck_assert_msg(fabs(w[0].mean - mmc) <= w[0].half && fabs(w[0].mean - mmc) <= 0.03 * mmc,
                  "shared: wait %.4f ms, Erlang C %.4f ms", w[0].mean / MS, mmc / MS);
    /* Random is four M/M/1 at 0.9. */
    double mm1 = (fx_mmc_response(1.0, 0.9, 1) - 0.9) * MS;
    ck_assert_msg(fabs(w[3].mean - mm1) <= w[3].half && fabs(w[3].mean - mm1) <= 0.03 * mm1,
                  "random: wait %.4f ms, M/M/1 %.4f ms", w[3].mean / MS, mm1 / MS);
    /* Random lies far above every other interval. */
    for (int b = 0; b < 3; b++)
        ck_assert_msg(w[b].mean + w[b].half < w[3].mean - w[3].half,
                      "%s wait %.4f +- %.4f ms not below random %.4f +- %.4f ms",
                      fx_balancer_names[order[b]], w[b].mean / MS, w[b].half / MS, w[3].mean / MS,
                      w[3].half / MS);
    /* Each policy waits less than the next: the 99% interval of the paired
     * difference lies above 0. */
    for (int b = 0; b + 1 < 4; b++) {
        fx_batch d;
        fx_batch_init(&d);
        for (uint64_t i = WARM; i < N; i++)
            fx_batch_add(&d, wait[b + 1][i] - wait[b][i]);
        double mean, half;
        fx_batch_ci(&d, 0.99, &mean, &half);
        ck_assert_msg(mean - half > 0, "%s minus %s: %.4f +- %.4f ms",
                      fx_balancer_names[order[b + 1]], fx_balancer_names[order[b]], mean / MS,
                      half / MS);
    }
    for (int b = 0; b < 4; b++)
        free(wait[b]);
}
END_TEST

/* Round-robin ignores the state: job i goes to server i mod c, so its
 * finish time is max(arrival, finish of job i-c) + demand exactly. */
START_TEST(round_robin_takes_turns)
{
    enum { C = 4, N = 100000 };
    setup s = {.tier = {"rr", FX_FCFS, C, 1, 1, FX_BAL_ROUND_ROBIN, 0, 0, 0, NULL},
               .arrivals = "exp:300us",
               .demand = "exp:1ms",
               .jobs = N,
               .seed = 3,
               .record = 1};
    harness h;
    run(&h, &s);
    conserved(&h);
    fx_time free_at[C] = {0};
    uint64_t count[C] = {0};
    for (uint64_t i = 0; i < N; i++) {
        unsigned srv = (unsigned)(i % C);
        fx_time begin = h.at[i] > free_at[srv] ? h.at[i] : free_at[srv];
        free_at[srv] = begin + h.dem[i];
        ck_assert_msg(h.fin[i] == free_at[srv], "job %llu finished at %lld, not %lld",
                      (unsigned long long)i, (long long)h.fin[i], (long long)free_at[srv]);
        count[srv]++;
    }
    for (unsigned c = 0; c < C; c++)
        ck_assert_uint_eq(count[c], N / C);
    finish(&h);
}
END_TEST

/* Hand-built arrivals for the tie rules. */
typedef struct batch {
    fx_sim *sim;
    fx_tier *t;
    fx_job jobs[200];
    fx_time fin[200];
} batch;

static void batch_done(fx_sim *sim, fx_job *job, int failed, void *ctx)
{
    batch *b = ctx;
    ck_assert_int_eq(failed, 0);
    b->fin[job->tag] = sim->now;
}

static void batch_arrive(void *ctx, void *obj, uint64_t arg)
{
    batch *b = obj;
    fx_tier_arrive(b->t, ctx, &b->jobs[arg], 0);
}

/* N jobs at AT[i] (ms) with DEMAND[i] (ms). */
static void batch_run(batch *b, fx_balancer bal, unsigned c, int n, const double *at,
                      const double *demand)
{
    memset(b, 0, sizeof *b);
    b->sim = fx_sim_alloc(5);
    fx_tier_config cfg = {"b", FX_FCFS, c, 1, 1, bal, 0, 0, 0, NULL};
    b->t = fx_tier_alloc(&cfg, b->sim, batch_done, b);
    ck_assert_ptr_nonnull(b->t);
    for (int i = 0; i < n; i++) {
        b->jobs[i].demand = (fx_time)(demand[i] * MS);
        b->jobs[i].tag = (uint64_t)i;
        fx_sim_at(b->sim, (fx_time)(at[i] * MS), batch_arrive, b, (uint64_t)i);
    }
    ck_assert_int_eq(fx_sim_run(b->sim, FX_TIME_MAX), FX_OK);
    fx_tier_free(b->t);
    fx_sim_free(b->sim);
}

START_TEST(jsq_and_p2c_ties)
{
    batch b;
    /* jsq, 3 servers: job0 (10 ms) takes s0; at 1 ms jobs 1 and 2 find s1
     * and s2 empty and take them in index order; job3 finds one job
     * everywhere and joins s0, the lowest index: done at 10 + 1 ms. */
    const double at[] = {0, 1, 1, 1};
    const double demand[] = {10, 1, 1, 1};
    batch_run(&b, FX_BAL_JSQ, 3, 4, at, demand);
    ck_assert_int_eq(b.fin[1], 2 * FX_MS);
    ck_assert_int_eq(b.fin[2], 2 * FX_MS);
    ck_assert_int_eq(b.fin[3], 11 * FX_MS);

    /* p2c on 2 servers always draws both, so simultaneous jobs alternate:
     * jobs 2m and 2m+1 both finish at m+1 ms (drawing one server twice
     * would sometimes send both to it). */
    double at2[200], d2[200];
    for (int i = 0; i < 200; i++) {
        at2[i] = 0;
        d2[i] = 1;
    }
    batch_run(&b, FX_BAL_P2C, 2, 200, at2, d2);
    for (int i = 0; i < 200; i++)
        ck_assert_int_eq(b.fin[i], (i / 2 + 1) * FX_MS);
    /* jsq on 3 servers likewise, and random does not balance. */
    batch_run(&b, FX_BAL_JSQ, 3, 200, at2, d2);
    for (int i = 0; i < 200; i++)
        ck_assert_int_eq(b.fin[i], (i / 3 + 1) * FX_MS);
    batch_run(&b, FX_BAL_RANDOM, 2, 200, at2, d2);
    fx_time last = 0;
    for (int i = 0; i < 200; i++)
        last = b.fin[i] > last ? b.fin[i] : last;
    ck_assert_int_gt(last, 100 * FX_MS);
}
END_TEST

/* ---- failures ------------------------------------------------------------ */

/* 8 servers up ~ Exp(100 s), down ~ Exp(10 s): the share of server-time up
 * tends to MTBF / (MTBF + MTTR) = 100/110. Batch means over 400 windows of
 * 10^4 s (about 700 up/down cycles each). A twin tier of the same name in
 * the same simulation draws the same failures; it is reset half-way, and
 * then measures exactly the second half of the first one. */
START_TEST(availability_matches_mtbf_mttr)
{
    fx_sim *sim = fx_sim_alloc(17);
    fx_tier_config cfg = {"db", FX_FCFS, 8, 1, 1, FX_BAL_SHARED, 100, 10, 0, NULL};
    fx_tier *t = fx_tier_alloc(&cfg, sim, batch_done, NULL);
    fx_tier *twin = fx_tier_alloc(&cfg, sim, batch_done, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_nonnull(twin);
    fx_batch b;
    fx_batch_init(&b);
    const fx_time window = 10000 * FX_SEC;
    double prev = 0, half_way = 0;
    fx_tier_stats st;
    for (int w = 1; w <= 400; w++) {
        ck_assert_int_eq(fx_sim_run(sim, w * window), FX_OK);
        ck_assert_int_eq(sim->now, w * window);
        fx_tier_stats_get(t, sim->now, &st, NULL);
        double area = st.availability * (double)sim->now; /* servers up x time / 8 */
        fx_batch_add(&b, (area - prev) / (double)window);
        prev = area;
        if (w == 200) {
            half_way = area;
            fx_tier_reset(twin, sim->now);
        }
    }
    double mean, half, theory = 100.0 / 110.0;
    fx_batch_ci(&b, 0.99, &mean, &half);
    ck_assert_msg(fabs(mean - theory) <= half && half < 0.005,
                  "availability %.5f +- %.5f, theory %.5f", mean, half, theory);
    fx_tier_stats ts;
    fx_tier_stats_get(twin, sim->now, &ts, NULL);
    ck_assert_double_eq_tol(ts.availability * 200 * (double)window, prev - half_way,
                            1e-9 * (prev - half_way));
    ck_assert(ts.availability != st.availability);
    /* No jobs: nothing busy, nothing served. */
    ck_assert_double_eq(st.utilization, 0);
    ck_assert_uint_eq(st.served + st.failed + st.retried, 0);
    fx_tier_free(twin);
    fx_tier_free(t);
    fx_sim_free(sim);
}
END_TEST

/* Jobs of ~100 ms on 8 servers at utilization 0.5 under the same failures:
 * without retries the interrupted jobs fail, with 3 retries (after a random
 * back-off) almost none does. Every job leaves exactly once, and the
 * utilization is busy time over all server-time, failed servers included. */
START_TEST(failures_fail_or_retry)
{
    static const fx_dist *none = NULL;
    fx_dist backoff;
    fx_err e;
    ck_assert_int_eq(fx_dist_parse("exp:100ms", &backoff, &e), FX_OK);
    static const fx_balancer bals[] = {FX_BAL_SHARED, FX_BAL_RANDOM, FX_BAL_JSQ};
    for (int b = 0; b < 3; b++) {
        uint64_t failed[2];
        for (int r = 0; r < 2; r++) {
            setup s = {
                .tier = {"svc", FX_FCFS, 8, 1, 1, bals[b], 100, 10, r ? 3 : 0, r ? &backoff : none},
                .arrivals = "exp:25ms",
                .demand = "exp:100ms",
                .jobs = 200000,
                .seed = 23,
                .horizon_s = 1e5};
            harness h;
            run(&h, &s);
            conserved(&h);
            fx_tier_stats st;
            fx_tier_stats_get(h.t, h.sim->now, &st, NULL);
            failed[r] = st.failed;
            if (!r)
                ck_assert_uint_eq(st.retried, 0);
            else
                ck_assert_uint_ge(st.retried, failed[0] / 2);
            /* offered 0.5 per server; divided by up-time it would be 0.55 */
            ck_assert_msg(fabs(st.utilization - 0.5) < 0.015, "%s: utilization %.4f",
                          fx_balancer_names[bals[b]], st.utilization);
            ck_assert_msg(fabs(st.availability - 100.0 / 110) < 0.03, "availability %.4f",
                          st.availability);
            finish(&h);
        }
        ck_assert_msg(failed[0] >= 20 && failed[1] * 10 < failed[0],
                      "%s: %llu failed without retries, %llu with 3", fx_balancer_names[bals[b]],
                      (unsigned long long)failed[0], (unsigned long long)failed[1]);
    }
    fx_dist_free(&backoff);
}
END_TEST

/* One server, one job at a time (closed loop), constant demand D. Up
 * server-time while the job is in the tier is D plus what interrupted
 * attempts had done before the failure: an interrupted job starts again
 * from scratch. So it is D exactly without interruptions, and between D and
 * D (1 + attempts) with; partial attempts average about D/2 here. */
static void scratch_hook(harness *h, hjob *j, int failed)
{
    const double d = 10 * MS;
    double up = up_area(h) - j->up0;
    double in = (double)(h->sim->now - j->t0);
    ck_assert_int_eq(failed, 0);
    if (j->job.attempts == 0) {
        if (fabs(up - d) > 0.01 || in - up > 0.01) /* no failure while it was there */
            h->bad++;
    } else {
        if (!(up > d + 0.01 && up < d * (1 + j->job.attempts)))
            h->bad++;
        h->sum_a += up - d;
        h->count_a += j->job.attempts;
    }
}

START_TEST(interrupted_job_starts_over)
{
    static const fx_balancer bals[] = {FX_BAL_SHARED, FX_BAL_RANDOM};
    static const fx_discipline discs[] = {FX_FCFS, FX_PS};
    for (int b = 0; b < 2; b++)
        for (int d = 0; d < 2; d++) {
            setup s = {.tier = {"one", discs[d], 1, 1, 1, bals[b], 0.1, 0.02, 1000, NULL},
                       .demand = "det:10ms",
                       .jobs = 20000,
                       .seed = 29 + 2 * (uint64_t)b + (uint64_t)d,
                       .horizon_s = 1e4,
                       .hook = scratch_hook};
            harness h;
            run(&h, &s);
            conserved(&h);
            ck_assert_int_eq(h.bad, 0);
            /* P(interrupt) = 1 - exp(-0.1) per attempt: ~2000 interruptions */
            ck_assert_uint_gt(h.count_a, 1000);
            double partial = h.sum_a / (double)h.count_a;
            ck_assert_msg(fabs(partial - 5 * MS) < 0.5 * MS, "mean lost work %.3f ms",
                          partial / MS);
            fx_tier_stats st;
            fx_tier_stats_get(h.t, h.sim->now, &st, NULL);
            ck_assert_uint_eq(st.retried, h.count_a);
            finish(&h);
        }
}
END_TEST

/* One shared server, a job every 1 ms taking 0.5 ms: completions come at
 * most 1 ms apart while the server is up, and none while it is down. So
 * the long gaps between completions cover the down time, and exceed it by
 * at most 2.5 ms each (1 ms before the failure, 1.5 ms after the repair). */
static void gap_hook(harness *h, hjob *j, int failed)
{
    (void)j;
    (void)failed;
    double gap = (double)h->sim->now - h->sum_b;
    if (gap > 1.5 * MS) {
        h->sum_a += gap;
        h->count_a++;
    }
    h->sum_b = (double)h->sim->now;
}

START_TEST(shared_capacity_drops_while_down)
{
    setup s = {.tier = {"one", FX_FCFS, 1, 1, 1, FX_BAL_SHARED, 1, 0.1, 1000, NULL},
               .arrivals = "det:1ms",
               .demand = "det:500us",
               .jobs = 200000,
               .seed = 31,
               .horizon_s = 1e4,
               .hook = gap_hook};
    harness h;
    run(&h, &s);
    conserved(&h);
    fx_tier_stats st;
    fx_tier_stats_get(h.t, h.sim->now, &st, NULL);
    double down = (1 - st.availability) * (double)h.sim->now;
    ck_assert_uint_gt(h.count_a, 100);
    ck_assert_msg(h.sum_a >= 0.99 * down && h.sum_a <= down + (double)h.count_a * 2.5 * MS,
                  "gaps %.3f s over %llu, down %.3f s", h.sum_a / 1e9,
                  (unsigned long long)h.count_a, down / 1e9);
    finish(&h);
}
END_TEST

/* ---- partitions ---------------------------------------------------------- */

static double chi2(const uint64_t *count, unsigned k, uint64_t n)
{
    double e = (double)n / k, x = 0;
    for (unsigned i = 0; i < k; i++)
        x += ((double)count[i] - e) * ((double)count[i] - e) / e;
    return x;
}

START_TEST(hash_spreads_keys)
{
    static const unsigned ks[] = {2, 3, 7, 16, 100};
    enum { N = 200000 };
    gsl_rng *r = fx_rng_alloc(1, 2);
    for (size_t a = 0; a < sizeof ks / sizeof ks[0]; a++) {
        unsigned k = ks[a];
        /* Keys with structure a plain modulo or a multiply-shift would not
         * spread: sequential, strided by k, varying only in the high bits. */
        uint64_t count[4][100] = {{0}};
        for (uint64_t i = 0; i < N; i++) {
            const uint64_t keys[4] = {i, i * k, i << 40, draw64(r)};
            for (int m = 0; m < 4; m++) {
                unsigned p = fx_tier_partition_hash(keys[m], k);
                ck_assert_uint_lt(p, k);
                count[m][p]++;
            }
        }
        static const char *const what[] = {"sequential", "strided", "high-bit", "random"};
        double crit = gsl_cdf_chisq_Qinv(0.001, k - 1);
        for (int m = 0; m < 4; m++)
            ck_assert_msg(chi2(count[m], k, N) < crit, "k=%u %s keys: chi2 %.1f >= %.1f", k,
                          what[m], chi2(count[m], k, N), crit);
    }
    ck_assert_uint_eq(fx_tier_partition_hash(12345, 1), 0);
    ck_assert_uint_eq(fx_tier_partition_hash(12345, 0), 0);
    gsl_rng_free(r);
}
END_TEST

START_TEST(range_finds_partitions)
{
    const uint64_t splits[] = {100, 200, 300};
    ck_assert_uint_eq(fx_tier_partition_range(0, splits, 4), 0);
    ck_assert_uint_eq(fx_tier_partition_range(99, splits, 4), 0);
    ck_assert_uint_eq(fx_tier_partition_range(100, splits, 4), 1);
    ck_assert_uint_eq(fx_tier_partition_range(199, splits, 4), 1);
    ck_assert_uint_eq(fx_tier_partition_range(200, splits, 4), 2);
    ck_assert_uint_eq(fx_tier_partition_range(299, splits, 4), 2);
    ck_assert_uint_eq(fx_tier_partition_range(300, splits, 4), 3);
    ck_assert_uint_eq(fx_tier_partition_range(UINT64_MAX, splits, 4), 3);
    ck_assert_uint_eq(fx_tier_partition_range(150, splits, 2), 1); /* only 100 counts */
    ck_assert_uint_eq(fx_tier_partition_range(50, splits, 2), 0);
    ck_assert_uint_eq(fx_tier_partition_range(7, NULL, 1), 0);
    /* Against a linear scan, with repeated split points (empty partitions). */
    gsl_rng *r = fx_rng_alloc(3, 4);
    uint64_t sp[15];
    for (unsigned k = 1; k <= 16; k++) {
        for (unsigned i = 0; i + 1 < k; i++)
            sp[i] = (i ? sp[i - 1] : 0) + fx_pcg32_bounded(fx_rng_state(r), 3) * 10;
        for (uint64_t key = 0; key < 10 * k + 20; key++) {
            unsigned want = 0;
            while (want + 1 < k && key >= sp[want])
                want++;
            ck_assert_uint_eq(fx_tier_partition_range(key, sp, k), want);
        }
    }
    gsl_rng_free(r);
}
END_TEST

/* 4 partitions of 2 servers; 40% of jobs carry one hot key, the rest
 * uniform keys, so the hot partition gets 0.4 + 0.6/4 of the load: its
 * utilization is 0.55 lambda E[S] / c, the others' 0.15 lambda E[S] / c. */
START_TEST(hot_partition_shows)
{
    static const fx_balancer bals[] = {FX_BAL_SHARED, FX_BAL_JSQ};
    for (int b = 0; b < 2; b++) {
        setup s = {.tier = {"kv", FX_FCFS, 2, 4, 1, bals[b], 0, 0, 0, NULL},
                   .arrivals = "exp:500us",
                   .demand = "exp:1200us",
                   .jobs = 400000,
                   .warmup = 20000,
                   .seed = 37,
                   .keys = KEYS_HOT,
                   .hot_share = 0.4};
        harness h;
        run(&h, &s);
        double util[4], load = 2.0 * 1.2 / 2; /* lambda E[S] / c */
        unsigned hot = fx_tier_partition_hash(HOT_KEY, 4);
        fx_tier_stats st;
        fx_tier_stats_get(h.t, h.sim->now, &st, util);
        double sum = 0;
        for (unsigned p = 0; p < 4; p++) {
            double want = (p == hot ? 0.55 : 0.15) * load;
            ck_assert_msg(fabs(util[p] - want) < 0.03 * want, "partition %u: %.4f, expected %.4f",
                          p, util[p], want);
            sum += util[p];
        }
        ck_assert_double_eq_tol(st.utilization, sum / 4, 1e-12);
        finish(&h);
    }
}
END_TEST

/* ---- reproducibility and configuration ----------------------------------- */

START_TEST(same_seed_same_stats)
{
    fx_dist backoff;
    fx_err e;
    ck_assert_int_eq(fx_dist_parse("exp:5ms", &backoff, &e), FX_OK);
    fx_tier_stats st[3];
    fx_moments m[3];
    double util[3][3];
    static const uint64_t seeds[] = {41, 41, 42};
    for (int i = 0; i < 3; i++) {
        setup s = {.tier = {"x", FX_PS, 3, 3, 2.0, FX_BAL_P2C, 0.5, 0.05, 2, &backoff},
                   .arrivals = "exp:100us",
                   .demand = "exp:1ms",
                   .jobs = 100000,
                   .seed = seeds[i],
                   .horizon_s = 1e3,
                   .keys = KEYS_UNIFORM};
        harness h;
        run(&h, &s);
        conserved(&h);
        fx_tier_stats_get(h.t, h.sim->now, &st[i], util[i]);
        m[i] = h.resp_m;
        ck_assert_uint_gt(st[i].retried, 0);
        finish(&h);
    }
    ck_assert(memcmp(&st[0], &st[1], sizeof st[0]) == 0);
    ck_assert(memcmp(&m[0], &m[1], sizeof m[0]) == 0);
    ck_assert(memcmp(util[0], util[1], sizeof util[0]) == 0);
    ck_assert(st[0].mean_wait != st[2].mean_wait);
    fx_dist_free(&backoff);
}
END_TEST

START_TEST(bad_configurations)
{
    fx_sim *sim = fx_sim_alloc(1);
    fx_tier_config ok = {"t", FX_FCFS, 2, 0, 0, FX_BAL_JSQ, 0, 0, 0, NULL};
    fx_tier *t = fx_tier_alloc(&ok, sim, batch_done, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(fx_tier_partitions(t), 1); /* 0 means 1 */
    fx_tier_stats st;
    fx_tier_stats_get(t, 0, &st, NULL);
    ck_assert_double_eq(st.availability, 1);
    fx_tier_free(t);
    fx_tier_config bad[] = {
        {"t", FX_FCFS, 0, 1, 1, FX_BAL_JSQ, 0, 0, 0, NULL},        /* no server */
        {"t", FX_DELAY, 2, 1, 1, FX_BAL_JSQ, 0, 0, 0, NULL},       /* not FCFS or PS */
        {"t", FX_FCFS, 2, 1, -1, FX_BAL_JSQ, 0, 0, 0, NULL},       /* speed */
        {"t", FX_FCFS, 2, 1, 1, (fx_balancer)9, 0, 0, 0, NULL},    /* balancer */
        {"t", FX_FCFS, 2, 1, 1, FX_BAL_JSQ, 10, 0, 0, NULL},       /* no repair time */
        {"t", FX_FCFS, 2, 1, 1, FX_BAL_JSQ, -1, 1, 0, NULL},       /* negative MTBF */
        {"t", FX_FCFS, 2, 1, 1, FX_BAL_JSQ, INFINITY, 1, 0, NULL}, /* infinite MTBF */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(fx_tier_alloc(&bad[i], sim, batch_done, NULL) == NULL, "config %zu", i);
    ck_assert_uint_eq(fx_calendar_size(sim->cal), 0);
    fx_tier_free(NULL);
    ck_assert_str_eq(fx_balancer_names[FX_BAL_SHARED], "shared");
    ck_assert_str_eq(fx_balancer_names[FX_BAL_ROUND_ROBIN], "round-robin");
    ck_assert_str_eq(fx_balancer_names[FX_BAL_P2C], "p2c");
    ck_assert_ptr_null(fx_balancer_names[FX_BAL_P2C + 1]);
    fx_sim_free(sim);
}
END_TEST

/* ---- station operations under failures ----------------------------------- */

typedef struct sh {
    fx_sim *sim;
    fx_station *st;
    fx_job jobs[8];
    fx_time fin[8];
} sh;

static void sh_depart(fx_sim *sim, fx_station *st, fx_job *job, void *ctx)
{
    sh *h = ctx;
    (void)st;
    h->fin[job->tag] = sim->now;
}

static void sh_open(sh *h, fx_discipline d, unsigned c, int n, const double *demand)
{
    memset(h, 0, sizeof *h);
    h->sim = fx_sim_alloc(1);
    fx_station_config cfg = {"s", d, c, 0, 1};
    h->st = fx_station_alloc(&cfg, sh_depart, h);
    ck_assert_ptr_nonnull(h->st);
    for (int i = 0; i < n; i++) {
        h->jobs[i].demand = (fx_time)(demand[i] * MS);
        h->jobs[i].tag = (uint64_t)i;
        h->fin[i] = -1;
        ck_assert_int_eq(fx_station_arrive(h->st, h->sim, &h->jobs[i]), 1);
    }
}

/* fx_sim_run leaves the clock at the last event fired: changes at a given
 * time go through events. */
static void up_at(void *ctx, void *obj, uint64_t arg)
{
    (void)arg;
    fx_station_server_up(obj, ctx);
}

static void sh_close(sh *h)
{
    fx_station_free(h->st);
    fx_sim_free(h->sim);
}

START_TEST(station_server_down_and_up)
{
    sh h;
    /* FCFS, 2 servers, jobs 0 and 1 (4 ms) in service, 2 (1 ms) waiting. */
    const double d[] = {4, 4, 1};
    sh_open(&h, FX_FCFS, 2, 3, d);
    ck_assert_int_eq(fx_sim_run(h.sim, 1 * FX_MS), FX_OK);
    fx_job *hit = fx_station_server_down(h.st, h.sim, 1);
    ck_assert_ptr_nonnull(hit); /* both busy: one job loses its server */
    ck_assert_uint_eq(fx_station_servers_up(h.st), 1);
    ck_assert_uint_eq(fx_station_present(h.st), 2);
    fx_job *other = hit == &h.jobs[0] ? &h.jobs[1] : &h.jobs[0];
    ck_assert(hit == &h.jobs[0] || hit == &h.jobs[1]);
    /* A second failure interrupts the other one: nothing up, job 2 waits. */
    ck_assert_ptr_eq(fx_station_server_down(h.st, h.sim, 0), other);
    ck_assert_uint_eq(fx_station_servers_up(h.st), 0);
    ck_assert_uint_eq(fx_station_present(h.st), 1);
    fx_sim_at(h.sim, 3 * FX_MS, up_at, h.st, 0); /* job 2 starts: done at 4 */
    ck_assert_int_eq(fx_sim_run(h.sim, FX_TIME_MAX), FX_OK);
    ck_assert_int_eq(h.fin[2], 4 * FX_MS);
    ck_assert_int_eq(h.fin[0], -1);
    ck_assert_int_eq(h.fin[1], -1);
    fx_station_stats s;
    fx_station_stats_get(h.st, h.sim->now, &s);
    ck_assert_uint_eq(s.arrivals, 3);
    ck_assert_uint_eq(s.departures, 1);
    ck_assert_uint_eq(s.removed, 2);
    /* busy: 2 servers on [0,1), 0 on [1,3), 1 on [3,4): 3 of 8 server-ms */
    ck_assert_double_eq_tol(s.utilization, 3.0 / 8, 1e-12);
    sh_close(&h);

    /* An idle server goes first: no job is interrupted. */
    const double d1[] = {2};
    sh_open(&h, FX_FCFS, 2, 1, d1);
    ck_assert_ptr_null(fx_station_server_down(h.st, h.sim, 0));
    ck_assert_int_eq(fx_sim_run(h.sim, FX_TIME_MAX), FX_OK);
    ck_assert_int_eq(h.fin[0], 2 * FX_MS);
    sh_close(&h);

    /* PS, 2 servers, 3 jobs of 3 ms: rate 2/3 each. At 1.5 ms each has 1 ms
     * done; a failure interrupts one (pick 0 of the three), the other two go
     * on at rate 1/2 each and would finish after 2 ms left / (1/2) = 4 ms
     * more. The repair at 2.5 ms finds 1.5 ms left each, now at rate 1. */
    const double d3[] = {3, 3, 3};
    for (int repair = 0; repair < 2; repair++) {
        sh_open(&h, FX_PS, 2, 3, d3);
        ck_assert_int_eq(fx_sim_run(h.sim, (fx_time)(1.5 * MS)), FX_OK);
        hit = fx_station_server_down(h.st, h.sim, 0);
        ck_assert_ptr_nonnull(hit);
        if (repair)
            fx_sim_at(h.sim, (fx_time)(2.5 * MS), up_at, h.st, 0);
        ck_assert_int_eq(fx_sim_run(h.sim, FX_TIME_MAX), FX_OK);
        for (int i = 0; i < 3; i++)
            if (&h.jobs[i] == hit)
                ck_assert_int_eq(h.fin[i], -1);
            else
                ck_assert_int_eq(h.fin[i], (fx_time)((repair ? 4 : 5.5) * MS));
        sh_close(&h);
    }

    /* PS with its only server down: the jobs freeze, then resume. */
    const double d4[] = {2};
    sh_open(&h, FX_PS, 1, 1, d4);
    ck_assert_int_eq(fx_sim_run(h.sim, 1 * FX_MS), FX_OK);
    hit = fx_station_server_down(h.st, h.sim, 0);
    ck_assert_ptr_eq(hit, &h.jobs[0]);
    ck_assert_int_eq(fx_station_arrive(h.st, h.sim, &h.jobs[0]), 1); /* it comes back */
    fx_sim_at(h.sim, 5 * FX_MS, up_at, h.st, 0);
    ck_assert_int_eq(fx_sim_run(h.sim, FX_TIME_MAX), FX_OK);
    ck_assert_int_eq(h.fin[0], 7 * FX_MS); /* from scratch: 2 ms from 5 */
    sh_close(&h);
}
END_TEST

START_TEST(station_remove_and_drain)
{
    sh h;
    /* FCFS, 1 server: 0 in service, 1 and 2 waiting. Removing 1 leaves 2 to
     * follow 0; removing 0 in service starts 2 at once. */
    const double d[] = {2, 1, 1};
    sh_open(&h, FX_FCFS, 1, 3, d);
    ck_assert_int_eq(fx_station_remove(h.st, h.sim, &h.jobs[1]), 1);
    ck_assert_int_eq(fx_station_remove(h.st, h.sim, &h.jobs[1]), 0);
    ck_assert_int_eq(fx_sim_run(h.sim, 1 * FX_MS), FX_OK);
    ck_assert_int_eq(fx_station_remove(h.st, h.sim, &h.jobs[0]), 1);
    ck_assert_int_eq(fx_sim_run(h.sim, FX_TIME_MAX), FX_OK);
    ck_assert_int_eq(h.fin[2], 2 * FX_MS);
    ck_assert_int_eq(h.fin[0], -1);
    ck_assert_int_eq(h.fin[1], -1);
    sh_close(&h);

    /* Drain: in service first, then the queue in order; nothing departs. */
    const double d2[] = {1, 1, 1, 1, 1};
    sh_open(&h, FX_FCFS, 2, 5, d2);
    fx_job *list = fx_station_drain(h.st, h.sim);
    int n = 0;
    for (fx_job *j = list; j; j = j->next, n++)
        ck_assert_uint_eq(j->tag, (uint64_t)n);
    ck_assert_int_eq(n, 5);
    ck_assert_uint_eq(fx_station_present(h.st), 0);
    ck_assert_int_eq(fx_sim_run(h.sim, FX_TIME_MAX), FX_OK);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(h.fin[i], -1);
    sh_close(&h);

    /* PS: remove one of three, the others speed up; drain in arrival order. */
    const double d3[] = {3, 3, 3};
    sh_open(&h, FX_PS, 1, 3, d3);
    ck_assert_int_eq(fx_sim_run(h.sim, 3 * FX_MS), FX_OK); /* 1 ms done each */
    ck_assert_int_eq(fx_station_remove(h.st, h.sim, &h.jobs[1]), 1);
    ck_assert_int_eq(fx_sim_run(h.sim, FX_TIME_MAX), FX_OK); /* 2 ms left at 1/2 */
    ck_assert_int_eq(h.fin[0], 7 * FX_MS);
    ck_assert_int_eq(h.fin[2], 7 * FX_MS);
    sh_close(&h);
    sh_open(&h, FX_PS, 1, 3, d3);
    list = fx_station_drain(h.st, h.sim);
    n = 0;
    for (fx_job *j = list; j; j = j->next, n++)
        ck_assert_uint_eq(j->tag, (uint64_t)n);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(fx_sim_run(h.sim, FX_TIME_MAX), FX_OK);
    ck_assert_int_eq(h.fin[0], -1);
    sh_close(&h);
}
END_TEST

TCase *fx_tcase_tier(void)
{
    TCase *tc = tcase_create("tier");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, station_server_down_and_up);
    tcase_add_test(tc, station_remove_and_drain);
    tcase_add_test(tc, bad_configurations);
    tcase_add_test(tc, hash_spreads_keys);
    tcase_add_test(tc, range_finds_partitions);
    tcase_add_test(tc, jsq_and_p2c_ties);
    tcase_add_test(tc, round_robin_takes_turns);
    tcase_add_test(tc, random_is_mm1);
    tcase_add_test(tc, balancers_order_at_high_load);
    tcase_add_test(tc, hot_partition_shows);
    tcase_add_test(tc, availability_matches_mtbf_mttr);
    tcase_add_test(tc, failures_fail_or_retry);
    tcase_add_test(tc, interrupted_job_starts_over);
    tcase_add_test(tc, shared_capacity_drops_while_down);
    tcase_add_test(tc, same_seed_same_stats);
    return tc;
}
