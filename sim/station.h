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
 * Servers can be taken out of service and put back (a failure and its
 * repair, FCFS and PS only): with u of the c servers up, FCFS serves at most
 * u jobs at once and PS runs each of n jobs at rate min(1, u/n). A failure
 * takes an idle server when there is one; otherwise it interrupts one job in
 * service, which leaves the station without departing and goes back to the
 * caller. The caller can also take any job out (fx_station_remove) or empty
 * the station (fx_station_drain). A job taken out is neither a departure nor
 * a drop: arrivals = departures + dropped + removed + present.
 *
 * Statistics run from the last fx_station_reset (time 0 at creation):
 * utilization (busy servers / c, time-averaged; for PS min(n, u)/c; 0 for
 * DELAY, which has no capacity to use up), time-averaged jobs present and waiting,
 * and per departed job the response time and the wait (response minus the
 * job's demand). Utilization divides by all c servers, up or not.
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
    double finish;   /* PS: virtual finish time */
    uint64_t order;  /* PS: arrival order, breaks ties */
    fx_event *event; /* FCFS, DELAY: the pending completion, NULL when none */
    uint32_t slot;   /* FCFS: index among the jobs in service */
    /* Used by a tier (sim/tier.h) while the job is there; the tier also links
     * jobs through next while they wait for a server to be repaired. */
    uint32_t attempts; /* services interrupted by failures so far */
    fx_time entered;   /* when it arrived at the tier */
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
    uint64_t removed;     /* taken out: remove, drain, or interrupted by server_down */
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

/* Servers in service now (c until the first fx_station_server_down). */
unsigned fx_station_servers_up(const fx_station *st);

/* Take one server of an FCFS or PS station out of service now. An idle
 * server goes when there is one (FCFS: fewer busy than up; PS: fewer jobs
 * than servers up) and the function returns NULL. Otherwise one job in
 * service is interrupted and returned: its completion is cancelled and it
 * leaves without a departure (counted as removed); its progress is lost.
 * PICK chooses it among the b jobs in service (FCFS: the busy servers; PS:
 * every job present), as number PICK mod b in an order fixed by the run's
 * history, so a caller passes a random draw to hit a random server. Does
 * nothing (NULL) for DELAY or when no server is up. */
fx_job *fx_station_server_down(fx_station *st, fx_sim *sim, uint32_t pick);

/* Put one server back in service now (up to c); under FCFS the first
 * waiting job starts on it. Does nothing for DELAY or when all c are up. */
void fx_station_server_up(fx_station *st, fx_sim *sim);

/* Take JOB, present at ST (waiting or in service), out now: its completion
 * is cancelled and it leaves without a departure (counted as removed). Under
 * FCFS the freed server takes the next waiting job. Returns 1, or 0 when JOB
 * is not at ST (FCFS and PS check; DELAY trusts the caller). O(1) for a job
 * in FCFS service, O(jobs present) otherwise. */
int fx_station_remove(fx_station *st, fx_sim *sim, fx_job *job);

/* Take every job out of an FCFS or PS station now, as fx_station_remove
 * does, and return them linked through next: FCFS the jobs in service, then
 * the waiting ones in queue order; PS in arrival order. NULL when empty or
 * for DELAY (whose jobs are not listed). */
fx_job *fx_station_drain(fx_station *st, fx_sim *sim);

#endif
