#include "models/analytic.h"

#include <math.h>
#include <stdlib.h>

double fx_erlang_b(unsigned c, double a)
{
    double b = 1.0;
    for (unsigned k = 1; k <= c; k++)
        b = a * b / ((double)k + a * b);
    return b;
}

double fx_erlang_c(unsigned c, double a)
{
    if (a >= (double)c)
        return 1.0;
    double b = fx_erlang_b(c, a);
    return (double)c * b / ((double)c - a * (1.0 - b));
}

double fx_mmc_response(double lambda, double es, unsigned c)
{
    double a = lambda * es;
    if (c == 0 || a >= (double)c)
        return INFINITY;
    double pw = fx_erlang_c(c, a);
    return pw * es / ((double)c - a) + es;
}

double fx_mg1_response(double lambda, double es, double scv)
{
    double rho = lambda * es;
    if (rho >= 1.0)
        return INFINITY;
    return es + lambda * es * es * (1.0 + scv) / (2.0 * (1.0 - rho));
}

double fx_mg1ps_response(double lambda, double es)
{
    double rho = lambda * es;
    return rho >= 1.0 ? INFINITY : es / (1.0 - rho);
}

int fx_mmck(double lambda, double es, unsigned c, unsigned k, double *block, double *present,
            double *response)
{
    if (c == 0 || k < c || !(lambda > 0) || !(es > 0))
        return -1;
    double a = lambda * es;
    /* Unnormalised p_n built by ratios p_n / p_{n-1} = a / min(n, c), rescaled
     * whenever it grows large so that no power of a overflows. */
    double *p = malloc(((size_t)k + 1) * sizeof *p);
    if (!p)
        return -1;
    p[0] = 1.0;
    for (unsigned n = 1; n <= k; n++) {
        p[n] = p[n - 1] * a / (double)(n < c ? n : c);
        if (p[n] > 1e250)
            for (unsigned m = 0; m <= n; m++)
                p[m] *= 1e-250;
    }
    double total = 0, mean = 0;
    for (unsigned n = 0; n <= k; n++) {
        total += p[n];
        mean += (double)n * p[n];
    }
    double pk = p[k] / total;
    double l = mean / total;
    free(p);
    if (block)
        *block = pk;
    if (present)
        *present = l;
    if (response)
        *response = l / (lambda * (1.0 - pk));
    return 0;
}
