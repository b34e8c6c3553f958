/* tier.h - a pool of servers as deployed: partitions, replicas behind a
 * load balancer, and servers that fail and are repaired.
 *
 * A tier has K partitions (K >= 1) of C servers each. The caller picks the
 * partition of each job (by the job's key, see fx_tier_partition_*); within
 * a partition the balancer picks a server:
 *   shared       one queue in front of the C servers (an M/M/c station)
 *   random       a server chosen uniformly, each with its own queue
 *   round-robin  servers in turn
 *   jsq          join the shortest queue (fewest jobs present; ties: lowest index)
 *   p2c          the better of two distinct random servers (fewest present)
 * Each queue is FCFS or PS, at the tier's speed.
 *
 * Failures: with mtbf_s > 0, every server alternates up times ~ Exp(mtbf_s)
 * and repair times ~ Exp(mttr_s). A server that fails interrupts the job it
 * serves: the job is retried (re-dispatched to the partition after a draw
 * from retry_after, or at once) while it has retries left, and otherwise
 * handed back as failed. Jobs waiting in a failed server's own queue are
 * re-dispatched at once without using a retry. The balancer never picks a
 * failed server; when a partition has no server up, jobs wait in the
 * partition until one is repaired. In a shared queue a failure removes one
 * server from service (interrupting one job in service if all were busy).
 *
 * Random streams: "tier:NAME:balance" and "tier:NAME:failures" (plus
 * "tier:NAME:retry") under the simulation's seed.
 */
#ifndef FX_TIER_H
#define FX_TIER_H

#include <stdint.h>

#include "sim/dist.h"
#include "sim/sim.h"
#include "sim/station.h"

typedef enum fx_balancer {
    FX_BAL_SHARED,
    FX_BAL_RANDOM,
    FX_BAL_ROUND_ROBIN,
    FX_BAL_JSQ,
    FX_BAL_P2C
} fx_balancer;

/* Names in enum order, NULL-terminated: "shared", "random", "round-robin",
 * "jsq", "p2c". */
extern const char *const fx_balancer_names[];

typedef struct fx_tier_config {
    const char *name;
    fx_discipline discipline; /* FX_FCFS or FX_PS */
    unsigned servers;         /* per partition, >= 1 */
    unsigned partitions;      /* >= 1 (0 means 1) */
    double speed;             /* > 0 (0 means 1) */
    fx_balancer balancer;
    double mtbf_s;              /* mean time between failures per server; 0: never fails */
    double mttr_s;              /* mean time to repair, > 0 when mtbf_s > 0 */
    unsigned retries;           /* retries of an interrupted job */
    const fx_dist *retry_after; /* delay before a retry; NULL: at once */
} fx_tier_config;

typedef struct fx_tier fx_tier;

/* Called when JOB leaves the tier: served (FAILED 0) or out of retries
 * (FAILED 1). */
typedef void (*fx_tier_done_fn)(fx_sim *sim, fx_job *job, int failed, void *ctx);

/* A tier in SIM (whose seed derives its random streams). When failures are
 * configured, the first failure of each server is scheduled now. NULL when
 * out of memory or when the configuration is invalid. */
fx_tier *fx_tier_alloc(const fx_tier_config *cfg, fx_sim *sim, fx_tier_done_fn done, void *ctx);
void fx_tier_free(fx_tier *t);

/* JOB arrives at PARTITION (< partitions). */
void fx_tier_arrive(fx_tier *t, fx_sim *sim, fx_job *job, unsigned partition);

/* Partition choices for a key: by hash (KEY is already a hash: mixed and
 * reduced modulo K), or by range over split points SPLITS[0..K-1) (ascending;
 * partition i holds keys below SPLITS[i], the last holds the rest). */
unsigned fx_tier_partition_hash(uint64_t key, unsigned k);
unsigned fx_tier_partition_range(uint64_t key, const uint64_t *splits, unsigned k);

typedef struct fx_tier_stats {
    double utilization;  /* busy server-time / (servers * partitions * elapsed) */
    double mean_queue;   /* time-averaged jobs waiting, all partitions */
    double mean_wait;    /* ns per served job: response minus service */
    double availability; /* up server-time / total server-time; 1 without failures */
    uint64_t served;     /* jobs served */
    uint64_t retried;    /* interruptions that were retried */
    uint64_t failed;     /* jobs handed back as failed */
} fx_tier_stats;

/* Whole-tier statistics since the last reset, and per partition into
 * PART_UTIL[0..partitions) when not NULL. */
void fx_tier_stats_get(const fx_tier *t, fx_time now, fx_tier_stats *out, double *part_util);

/* Start measuring afresh at NOW. */
void fx_tier_reset(fx_tier *t, fx_time now);

unsigned fx_tier_partitions(const fx_tier *t);

#endif
