#include <stdlib.h>

#include "sim/calendar.h"
#include "sim/pcg.h"
#include "sim/sim.h"
#include "tests/check.h"

static void nop(void *ctx, void *obj, uint64_t arg)
{
    (void)ctx;
    (void)obj;
    (void)arg;
}

START_TEST(time_then_insertion_order)
{
    fx_calendar *cal = fx_calendar_alloc();
    /* Times 3,1,2,1,3,1: ties must come out in the order they went in. */
    fx_time times[] = {3, 1, 2, 1, 3, 1};
    for (uint64_t i = 0; i < 6; i++)
        ck_assert_ptr_nonnull(fx_calendar_schedule(cal, times[i], nop, NULL, i));
    uint64_t expect[] = {1, 3, 5, 2, 0, 4};
    for (int i = 0; i < 6; i++) {
        fx_time t;
        fx_handler h;
        void *obj;
        uint64_t arg;
        ck_assert_int_eq(fx_calendar_pop(cal, &t, &h, &obj, &arg), 1);
        ck_assert_uint_eq(arg, expect[i]);
        ck_assert_int_eq(t, times[expect[i]]);
    }
    fx_time t;
    fx_handler h;
    void *obj;
    uint64_t arg;
    ck_assert_int_eq(fx_calendar_pop(cal, &t, &h, &obj, &arg), 0);
    ck_assert_int_eq(fx_calendar_next_time(cal), FX_TIME_MAX);
    fx_calendar_free(cal);
}
END_TEST

/* Random schedule and cancel against a brute-force model of the same work. */
START_TEST(random_against_model)
{
    enum { N = 20000 };
    fx_calendar *cal = fx_calendar_alloc();
    fx_pcg32 r;
    fx_pcg32_seed(&r, 99, 1);
    fx_event **handle = calloc(N, sizeof *handle);
    fx_time *when = calloc(N, sizeof *when);
    char *state = calloc(N, 1); /* 0 pending, 1 cancelled, 2 fired */
    for (uint64_t i = 0; i < N; i++) {
        when[i] = fx_pcg32_bounded(&r, 500); /* many ties */
        handle[i] = fx_calendar_schedule(cal, when[i], nop, NULL, i);
        ck_assert_int_eq(fx_calendar_time_of(cal, handle[i]), when[i]);
    }
    size_t pending = N;
    for (int k = 0; k < N / 3; k++) {
        uint32_t i = fx_pcg32_bounded(&r, N);
        if (state[i] == 0) {
            fx_calendar_cancel(cal, handle[i]);
            state[i] = 1;
            pending--;
        }
    }
    ck_assert_uint_eq(fx_calendar_size(cal), pending);
    fx_time last_t = -1;
    uint64_t last_i = 0;
    fx_time t;
    fx_handler h;
    void *obj;
    uint64_t i;
    while (fx_calendar_pop(cal, &t, &h, &obj, &i)) {
        ck_assert_int_eq(state[i], 0);
        ck_assert_int_eq(t, when[i]);
        ck_assert(t > last_t || (t == last_t && i > last_i));
        state[i] = 2;
        last_t = t;
        last_i = i;
        pending--;
    }
    ck_assert_uint_eq(pending, 0);
    for (int k = 0; k < N; k++)
        ck_assert_int_ne(state[k], 0);
    free(handle);
    free(when);
    free(state);
    fx_calendar_free(cal);
}
END_TEST

typedef struct clock_check {
    fx_time last;
    int backwards;
    int fired;
} clock_check;

static void check_clock(void *ctx, void *obj, uint64_t arg)
{
    fx_sim *sim = ctx;
    clock_check *c = obj;
    if (sim->now < c->last)
        c->backwards = 1;
    c->last = sim->now;
    c->fired++;
    if (arg > 0) /* schedule into the future, and one at "now" */
        fx_sim_after(sim, (fx_time)(arg % 7), check_clock, c, arg - 1);
}

START_TEST(sim_clock_never_goes_back)
{
    fx_sim *sim = fx_sim_alloc(1);
    clock_check c = {0, 0, 0};
    for (uint64_t i = 0; i < 50; i++)
        fx_sim_at(sim, (fx_time)(i * 13 % 17), check_clock, &c, 30);
    ck_assert_int_eq(fx_sim_run(sim, FX_TIME_MAX), FX_OK);
    ck_assert_int_eq(c.backwards, 0);
    ck_assert_int_eq(c.fired, 50 * 31);
    ck_assert_uint_eq(sim->events, 50 * 31);

    /* run(until) stops before later events and leaves them pending. */
    fx_sim_at(sim, sim->now + 100, check_clock, &c, 0);
    fx_time until = sim->now + 50;
    fx_sim_run(sim, until);
    ck_assert_int_eq(sim->now, until);
    ck_assert_uint_eq(fx_calendar_size(sim->cal), 1);
    fx_sim_free(sim);
}
END_TEST

TCase *fx_tcase_calendar(void)
{
    TCase *tc = tcase_create("calendar");
    tcase_add_test(tc, time_then_insertion_order);
    tcase_add_test(tc, random_against_model);
    tcase_add_test(tc, sim_clock_never_goes_back);
    return tc;
}
