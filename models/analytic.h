/* analytic.h - closed forms of queueing theory.
 *
 * Rates and times are in any one consistent unit: LAMBDA is arrivals per
 * unit time, ES the mean service time in that unit. A queue that is not
 * stable (offered load a = LAMBDA*ES at least the number of servers, where
 * that matters) has an infinite mean response: these functions return
 * INFINITY then, never a negative number.
 */
#ifndef FX_ANALYTIC_H
#define FX_ANALYTIC_H

/* Erlang B: probability that an arrival finds all C servers busy in an
 * M/M/C/C loss system with offered load A (computed by the stable recursion
 * B(k) = A B(k-1) / (k + A B(k-1))). */
double fx_erlang_b(unsigned c, double a);

/* Erlang C: probability that an arrival waits in M/M/C with offered load A
 * (A < C); 1 when A >= C. */
double fx_erlang_c(unsigned c, double a);

/* Mean response time (wait + service) of M/M/c FCFS. */
double fx_mmc_response(double lambda, double es, unsigned c);

/* Mean response time of M/G/1 FCFS by Pollaczek-Khinchine, for service times
 * of mean ES and squared coefficient of variation SCV:
 *   W = ES + lambda ES^2 (1 + SCV) / (2 (1 - rho)). */
double fx_mg1_response(double lambda, double es, double scv);

/* Mean response of M/G/1 processor sharing: ES / (1 - rho) (insensitive to
 * the service distribution beyond its mean). */
double fx_mg1ps_response(double lambda, double es);

/* M/M/c/K (K >= c jobs at most in the system): the blocking probability
 * p_K, the mean number present L and the mean response of accepted jobs
 * W = L / (lambda (1 - p_K)). Any output pointer may be NULL. Returns 0, or
 * -1 when the arguments are out of range. Stable for any load. */
int fx_mmck(double lambda, double es, unsigned c, unsigned k, double *block, double *present,
            double *response);

#endif
