/* station.h - service stations: where jobs queue and are served.
 *
 * A station has c servers and one discipline:
 *   FX_FCFS   one shared first-come first-served queue in front of c servers;
 *   FX_PS     processor sharing: n jobs each progress at rate min(1, c/n);
 *   FX_DELAY  infinitely many servers: every job is served at once (a pure
 *             delay, such as a network hop).
 * An optional capacity K bounds the jobs present (waiting and in service);
 * an arrival that finds K jobs is refused, counted as dropped, and handed
 * back to the caller.
 *
 * Jobs are owned by the caller. A station links them intrusively (FCFS) or
 * keeps pointers in a heap that grows to the largest number present (PS), so
 * an arrival never allocates in steady state. When service ends the station
 * calls its depart function with the job; the caller may route the job on.
 *
 * Statistics run from the last fx_station_reset (time 0 at creation):
 * utilization (busy servers / c, time-averaged; for PS min(n, c)/c; 0 for
 * DELAY, which has no capacity to use up), time-averaged jobs present and waiting,
 * and per departed job the response time and the wait (response minus the
 * job's demand).
 */
#ifndef FX_STATION_H
#define FX_STATION_H

#include <stdint.h>

#include "sim/sim.h"
#include "sim/stats.h"

typedef enum fx_discipline { FX_FCFS, FX_PS, FX_DELAY } fx_discipline;

typedef struct fx_job {
    fx_time demand;  /* work to do at this station, ns at speed 1 */
    fx_time arrived; /* when it arrived at this station */
    void *owner;     /* free for the caller */
    uint64_t tag;    /* free for the caller */
    /* Used by the station while the job is there. */
    struct fx_job *next;
    double finish;  /* PS: virtual finish time */
    uint64_t order; /* PS: arrival order, breaks ties */
} fx_job;

typedef struct fx_station fx_station;

/* Called when JOB leaves ST. */
typedef void (*fx_depart_fn)(fx_sim *sim, fx_station *st, fx_job *job, void *ctx);

typedef struct fx_station_config {
    const char *name;
    fx_discipline discipline;
    unsigned servers;  /* c >= 1 (ignored by FX_DELAY) */
    unsigned capacity; /* K >= c, or 0 for unbounded */
    double speed;      /* demand is divided by speed; 0 means 1 */
} fx_station_config;

typedef struct fx_station_stats {
    uint64_t arrivals; /* accepted and refused */
    uint64_t dropped;  /* refused: the station was full */
    uint64_t departures;
    double utilization;   /* in [0, 1] */
    double mean_present;  /* time-averaged jobs present (L) */
    double mean_queue;    /* time-averaged jobs waiting (Lq); FCFS only, else L minus busy */
    double mean_response; /* ns, over departures */
    double mean_wait;     /* ns, over departures: response - demand/speed */
    double elapsed;       /* ns measured */
} fx_station_stats;

/* NULL when out of memory or when the configuration is invalid (servers 0,
 * capacity below servers, speed not positive). */
fx_station *fx_station_alloc(const fx_station_config *cfg, fx_depart_fn depart, void *ctx);
void fx_station_free(fx_station *st);

/* JOB arrives now. Returns 1 when accepted, 0 when refused (full). */
int fx_station_arrive(fx_station *st, fx_sim *sim, fx_job *job);

/* Jobs present now. */
unsigned fx_station_present(const fx_station *st);

const char *fx_station_name(const fx_station *st);

void fx_station_stats_get(const fx_station *st, fx_time now, fx_station_stats *out);

/* Start measuring afresh at NOW (end of a warm-up). */
void fx_station_reset(fx_station *st, fx_time now);

#endif
