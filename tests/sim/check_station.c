/* Stations on hand-computed schedules. */
#include <stdlib.h>
#include <string.h>

#include "sim/station.h"
#include "tests/check.h"

typedef struct harness {
    fx_sim *sim;
    fx_station *st;
    fx_job jobs[8];
    fx_time done[8];
    int order[8];
    int ndone;
    int refused;
} harness;

static void on_depart(fx_sim *sim, fx_station *st, fx_job *job, void *ctx)
{
    harness *h = ctx;
    (void)st;
    int i = (int)job->tag;
    h->done[i] = sim->now;
    h->order[h->ndone++] = i;
}

static void arrive(void *ctx, void *obj, uint64_t arg)
{
    harness *h = obj;
    (void)ctx;
    if (!fx_station_arrive(h->st, h->sim, &h->jobs[arg]))
        h->refused++;
}

/* Jobs I arrive at AT[I] with DEMAND[I] (ms). */
static void run(harness *h, fx_discipline d, unsigned c, unsigned k, double speed, int n,
                const double *at, const double *demand)
{
    memset(h, 0, sizeof *h);
    h->sim = fx_sim_alloc(1);
    fx_station_config cfg = {"test", d, c, k, speed};
    h->st = fx_station_alloc(&cfg, on_depart, h);
    ck_assert_ptr_nonnull(h->st);
    for (int i = 0; i < n; i++) {
        h->jobs[i].demand = (fx_time)(demand[i] * FX_MS);
        h->jobs[i].tag = (uint64_t)i;
        fx_sim_at(h->sim, (fx_time)(at[i] * FX_MS), arrive, h, (uint64_t)i);
    }
    ck_assert_int_eq(fx_sim_run(h->sim, FX_TIME_MAX), FX_OK);
}

static void done(harness *h)
{
    fx_station_free(h->st);
    fx_sim_free(h->sim);
}

START_TEST(fcfs_two_servers)
{
    harness h;
    const double at[] = {0, 0, 0, 1};
    const double demand[] = {4, 2, 3, 1};
    run(&h, FX_FCFS, 2, 0, 1, 4, at, demand);
    /* s1: job0 0-4; s2: job1 0-2, job2 2-5; job3 waits until 4, ends 5. */
    ck_assert_int_eq(h.done[0], 4 * FX_MS);
    ck_assert_int_eq(h.done[1], 2 * FX_MS);
    ck_assert_int_eq(h.done[2], 5 * FX_MS);
    ck_assert_int_eq(h.done[3], 5 * FX_MS);
    /* Two departures at 5 ms: job2 was scheduled first. */
    ck_assert_int_eq(h.order[2], 2);
    ck_assert_int_eq(h.order[3], 3);
    fx_station_stats s;
    fx_station_stats_get(h.st, h.sim->now, &s);
    ck_assert_uint_eq(s.departures, 4);
    /* busy server-time 10 ms over 5 ms and 2 servers */
    ck_assert_double_eq_tol(s.utilization, 1.0, 1e-12);
    /* waits: 0,0,2,3 */
    ck_assert_double_eq_tol(s.mean_wait, 1.25 * FX_MS, 1);
    /* jobs waiting: job2 on [0,2), job3 on [1,4): 5 ms over 5 ms */
    ck_assert_double_eq_tol(s.mean_queue, 1.0, 1e-12);
    done(&h);
}
END_TEST

START_TEST(processor_sharing)
{
    harness h;
    const double at[] = {0, 0, 1};
    const double demand[] = {1, 2, 1};
    run(&h, FX_PS, 1, 0, 1, 3, at, demand);
    /* [0,1): two jobs at rate 1/2 -> each has 0.5 left of 1 and 1.5 of 2.
     * At 1 job2 arrives: three at rate 1/3. job0 needs 0.5 more -> done at 2.5.
     * Then job1 has 1.5-0.5=1.0, job2 0.5: two at 1/2 -> job2 done at 3.5,
     * then job1 has 0.5 left alone -> done at 4. */
    ck_assert_int_eq(h.done[0], (fx_time)(2.5 * FX_MS));
    ck_assert_int_eq(h.done[2], (fx_time)(3.5 * FX_MS));
    ck_assert_int_eq(h.done[1], 4 * FX_MS);
    done(&h);

    /* Two servers: no slowdown until a third job arrives. */
    const double at2[] = {0, 0, 0};
    const double d2[] = {2, 2, 2};
    run(&h, FX_PS, 2, 0, 1, 3, at2, d2);
    /* three jobs at rate 2/3 each: all finish at 3 ms */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(h.done[i], 3 * FX_MS);
    ck_assert_int_eq(h.order[0], 0); /* ties leave in arrival order */
    ck_assert_int_eq(h.order[2], 2);
    done(&h);
}
END_TEST

START_TEST(delay_speed_and_capacity)
{
    harness h;
    const double at[] = {0, 0, 0};
    const double demand[] = {3, 1, 2};
    run(&h, FX_DELAY, 0, 0, 2.0, 3, at, demand);
    ck_assert_int_eq(h.done[0], (fx_time)(1.5 * FX_MS));
    ck_assert_int_eq(h.done[1], (fx_time)(0.5 * FX_MS));
    ck_assert_int_eq(h.done[2], 1 * FX_MS);
    done(&h);

    /* One server, room for two: the third arrival at time 0 is refused. */
    const double at2[] = {0, 0, 0, 5};
    const double d2[] = {1, 1, 1, 1};
    run(&h, FX_FCFS, 1, 2, 1, 4, at2, d2);
    ck_assert_int_eq(h.refused, 1);
    ck_assert_int_eq(h.ndone, 3);
    fx_station_stats s;
    fx_station_stats_get(h.st, h.sim->now, &s);
    ck_assert_uint_eq(s.arrivals, 4);
    ck_assert_uint_eq(s.dropped, 1);
    ck_assert_uint_eq(s.departures, 3);
    done(&h);
}
END_TEST

START_TEST(bad_configurations)
{
    fx_station_config zero = {"z", FX_FCFS, 0, 0, 1};
    ck_assert_ptr_null(fx_station_alloc(&zero, on_depart, NULL));
    fx_station_config small = {"k", FX_FCFS, 4, 2, 1};
    ck_assert_ptr_null(fx_station_alloc(&small, on_depart, NULL));
    fx_station_config slow = {"s", FX_PS, 1, 0, -1};
    ck_assert_ptr_null(fx_station_alloc(&slow, on_depart, NULL));
    fx_station_free(NULL);
}
END_TEST

TCase *fx_tcase_station(void)
{
    TCase *tc = tcase_create("station");
    tcase_add_test(tc, fcfs_two_servers);
    tcase_add_test(tc, processor_sharing);
    tcase_add_test(tc, delay_speed_and_capacity);
    tcase_add_test(tc, bad_configurations);
    return tc;
}
