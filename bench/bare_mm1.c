/* bare_mm1.c - the practical speed limit for an M/M/1 event loop.
 *
 * A standalone program (no libfluxo, no GSL) that simulates the same model
 * as `fluxosim queue --arrivals exp:1ms --service exp:900us`: one FCFS
 * server, Poisson arrivals with mean interarrival 1 ms, exponential service
 * with mean 0.9 ms (utilization 0.9). It keeps only what any event-driven
 * simulator of this model needs:
 *
 *   - int64 nanosecond clock;
 *   - a binary-heap event list ordered by (time, insertion sequence);
 *   - two event kinds, arrival and departure;
 *   - a FIFO ring buffer holding the arrival time of each customer in the
 *     system (the head is the one in service);
 *   - an inline PCG32 (PCG-XSH-RR 64/32) generator, one stream for the
 *     interarrival times and one for the service times.
 *
 * Usage: bare_mm1 CUSTOMERS SEED
 * Output (one line):
 *   customers=N events=E wall_s=W events_per_s=R mean_response_ms=M
 * The wall time covers the event loop only (CLOCK_MONOTONIC). The run ends
 * when the N-th customer departs, so E = 2N.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MEAN_INTERARRIVAL_NS 1000000.0 /* 1 ms */
#define MEAN_SERVICE_NS      900000.0  /* 0.9 ms */
#define STREAM_ARRIVALS      1u
#define STREAM_SERVICE       2u

/* ---- PCG32 ------------------------------------------------------------ */

typedef struct {
    uint64_t state;
    uint64_t inc;
} pcg32;

static inline uint32_t pcg32_step(pcg32 *g)
{
    uint64_t old = g->state;
    g->state = old * 6364136223846793005ULL + g->inc;
    uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t r = (uint32_t)(old >> 59);
    return (x >> r) | (x << ((32u - r) & 31u));
}

static void pcg32_init(pcg32 *g, uint64_t seed, uint64_t seq)
{
    g->state = 0;
    g->inc = (seq << 1) | 1u;
    (void)pcg32_step(g);
    g->state += seed;
    (void)pcg32_step(g);
}

/* Uniform in (0, 1): 27 + 26 = 53 random bits, centred by +0.5. */
static inline double pcg32_unit(pcg32 *g)
{
    uint64_t a = pcg32_step(g) >> 5;
    uint64_t b = pcg32_step(g) >> 6;
    return ((double)((a << 26) | b) + 0.5) / 9007199254740992.0;
}

/* Exponential draw with mean MEAN_NS, rounded to whole nanoseconds. */
static inline int64_t draw_exp_ns(pcg32 *g, double mean_ns)
{
    return (int64_t)(-mean_ns * log(pcg32_unit(g)) + 0.5);
}

/* ---- event list: binary min-heap on (time, seq) ------------------------ */

enum { EV_ARRIVAL, EV_DEPARTURE };

typedef struct {
    int64_t t;
    uint64_t seq;
    int kind;
} event;

typedef struct {
    event *a;
    size_t n, cap;
    uint64_t next_seq;
} heap;

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (!q) {
        fprintf(stderr, "bare_mm1: out of memory\n");
        exit(1);
    }
    return q;
}

static inline int ev_before(const event *x, const event *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static inline void heap_push(heap *h, int64_t t, int kind)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 16;
        h->a = xrealloc(h->a, h->cap * sizeof *h->a);
    }
    event e = {t, h->next_seq++, kind};
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_before(&e, &h->a[parent]))
            break;
        h->a[i] = h->a[parent];
        i = parent;
    }
    h->a[i] = e;
}

/* Remove the earliest event into *OUT; the heap must not be empty. */
static inline void heap_pop(heap *h, event *out)
{
    *out = h->a[0];
    event last = h->a[--h->n];
    size_t i = 0, n = h->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && ev_before(&h->a[c + 1], &h->a[c]))
            c++;
        if (!ev_before(&h->a[c], &last))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (n > 0)
        h->a[i] = last;
}

/* ---- FIFO of arrival times (ring buffer, capacity a power of two) ------ */

typedef struct {
    int64_t *a;
    size_t head, n, cap;
} fifo;

static inline void fifo_push(fifo *q, int64_t t)
{
    if (q->n == q->cap) {
        size_t ncap = q->cap ? 2 * q->cap : 1024;
        int64_t *na = xrealloc(NULL, ncap * sizeof *na);
        for (size_t i = 0; i < q->n; i++)
            na[i] = q->a[(q->head + i) & (q->cap - 1)];
        free(q->a);
        q->a = na;
        q->head = 0;
        q->cap = ncap;
    }
    q->a[(q->head + q->n) & (q->cap - 1)] = t;
    q->n++;
}

static inline int64_t fifo_pop(fifo *q)
{
    int64_t t = q->a[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->n--;
    return t;
}

/* ---- main -------------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    uint64_t customers, seed;
    if (argc != 3 || parse_u64(argv[1], &customers) || customers == 0 ||
        parse_u64(argv[2], &seed)) {
        fprintf(stderr, "usage: bare_mm1 CUSTOMERS SEED  (CUSTOMERS >= 1)\n");
        return 2;
    }

    pcg32 g_arr, g_svc;
    pcg32_init(&g_arr, seed, STREAM_ARRIVALS);
    pcg32_init(&g_svc, seed, STREAM_SERVICE);

    heap h = {0};
    fifo q = {0};
    uint64_t arrived = 0, departed = 0, events = 0;
    int64_t sum_response_ns = 0; /* 1e7 customers * ~1e7 ns fits easily */

    double t0 = now_s();

    heap_push(&h, draw_exp_ns(&g_arr, MEAN_INTERARRIVAL_NS), EV_ARRIVAL);
    while (departed < customers) {
        event e;
        heap_pop(&h, &e);
        events++;
        if (e.kind == EV_ARRIVAL) {
            arrived++;
            if (arrived < customers)
                heap_push(&h, e.t + draw_exp_ns(&g_arr, MEAN_INTERARRIVAL_NS), EV_ARRIVAL);
            fifo_push(&q, e.t);
            if (q.n == 1) /* server was idle: start service now */
                heap_push(&h, e.t + draw_exp_ns(&g_svc, MEAN_SERVICE_NS), EV_DEPARTURE);
        } else {
            sum_response_ns += e.t - fifo_pop(&q);
            departed++;
            if (q.n > 0) /* next customer in line starts service */
                heap_push(&h, e.t + draw_exp_ns(&g_svc, MEAN_SERVICE_NS), EV_DEPARTURE);
        }
    }

    double wall = now_s() - t0;

    double mean_ms = (double)sum_response_ns / (double)departed / 1e6;
    printf("customers=%" PRIu64 " events=%" PRIu64 " wall_s=%.6f events_per_s=%.6g "
           "mean_response_ms=%.6f\n",
           departed, events, wall, wall > 0 ? (double)events / wall : 0.0, mean_ms);

    free(h.a);
    free(q.a);
    return 0;
}
