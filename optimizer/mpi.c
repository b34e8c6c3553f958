/* mpi.c - searches over MPI (see mpi.h).
 *
 * Messages, all on MPI_COMM_WORLD:
 *   READY   worker -> 0: int32 status, int32 nvars, int32 nmetrics, then
 *           "host: message" when the status is not FX_OK
 *   TASK    0 -> worker: uint32 sample flag, then the canonical point
 *   RESULT  worker -> 0: int32 evaluated, ok, feasible, analytic, reason
 *           length (-1: none); double objective, violation, wall_s, then
 *           the metrics; then the reason's bytes
 *   STOP    0 -> worker: nothing
 * Each worker sends READY once, then holds at most one TASK at a time.
 * Numbers travel as bytes: the ranks of a job share one architecture, and
 * a metric must arrive bit for bit (NaN included) for the log to equal a
 * local one.
 */
#include "optimizer/mpi.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_READY = 1, TAG_TASK, TAG_RESULT, TAG_STOP };

#define HEAD_INTS 5
#define HEAD_DBLS 3

struct fx_mpi {
    int rank, size;
    int stopped;         /* rank 0: the workers were told to stop */
    int heard;           /* rank 0: every READY was received */
    fx_status worker_st; /* rank 0: the first worker's setup error, by rank */
    fx_err worker_e;
    int mismatch; /* rank 0: a worker whose space differs from rank 0's */
};

fx_status fx_mpi_init(fx_mpi **out, fx_err *e)
{
    *out = NULL;
    fx_mpi *m = calloc(1, sizeof *m);
    if (!m)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
        free(m);
        return fx_err_set(e, FX_EIO, "MPI_Init failed");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    *out = m;
    return FX_OK;
}

int fx_mpi_rank(const fx_mpi *m)
{
    return m->rank;
}

int fx_mpi_size(const fx_mpi *m)
{
    return m->size;
}

void fx_mpi_finalize(fx_mpi *m)
{
    if (!m)
        return;
    MPI_Finalize();
    free(m);
}

/* ---- rank 0 --------------------------------------------------------------- */

/* Receive a whole message of TAG (or any tag) from SRC (or any source)
 * into a new buffer; its length in *LEN, its source and tag in *STATUS.
 * Out of memory here leaves no way to drain the message: the last resort,
 * MPI_Abort, ends every rank. */
static char *recv_bytes(int src, int tag, int *len, MPI_Status *status)
{
    MPI_Probe(src, tag, MPI_COMM_WORLD, status);
    int n = 0;
    MPI_Get_count(status, MPI_BYTE, &n);
    char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf)
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Recv(buf, n, MPI_BYTE, status->MPI_SOURCE, status->MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    *len = n;
    return buf;
}

/* Wait for every worker's READY; keep the first error, by rank. */
static void hear_workers(fx_mpi *m, size_t nv, size_t nm)
{
    if (m->heard)
        return;
    m->heard = 1;
    for (int r = 1; r < m->size; r++) {
        int len;
        MPI_Status status;
        char *buf = recv_bytes(r, TAG_READY, &len, &status);
        int32_t head[3] = {FX_EIO, 0, 0};
        if (len >= (int)sizeof head)
            memcpy(head, buf, sizeof head);
        if (m->worker_st == FX_OK && head[0] != FX_OK) {
            m->worker_st = head[0] >= FX_EINVAL && head[0] <= FX_ELIMIT ? head[0] : FX_EIO;
            int mlen = len > (int)sizeof head ? len - (int)sizeof head : 0;
            fx_err_set(&m->worker_e, m->worker_st, "optimize: --mpi: rank %d on %.*s", r, mlen,
                       mlen ? buf + sizeof head : "");
        } else if (m->worker_st == FX_OK && !m->mismatch &&
                   ((size_t)head[1] != nv || (size_t)head[2] != nm)) {
            m->mismatch = r;
        }
        free(buf);
    }
    if (m->worker_st == FX_OK && m->mismatch)
        m->worker_st = fx_err_set(&m->worker_e, FX_EINVAL,
                                  "optimize: --mpi: rank %d read a space other than rank 0's "
                                  "(every rank must read the same files)",
                                  m->mismatch);
}

void fx_mpi_stop(fx_mpi *m)
{
    if (m->rank != 0 || m->stopped)
        return;
    hear_workers(m, 0, 0);
    for (int r = 1; r < m->size; r++)
        MPI_Send(NULL, 0, MPI_BYTE, r, TAG_STOP, MPI_COMM_WORLD);
    m->stopped = 1;
}

typedef struct master {
    fx_mpi *m;
    size_t nv, nm;
    uint32_t *task;
} master;

static void send_task(master *c, int rank, const fx_eval_row *row)
{
    c->task[0] = (uint32_t)row->sample;
    memcpy(c->task + 1, row->x, c->nv * sizeof *c->task);
    MPI_Send(c->task, (int)((c->nv + 1) * sizeof *c->task), MPI_BYTE, rank, TAG_TASK,
             MPI_COMM_WORLD);
}

/* Fill ROW from a RESULT message. */
static fx_status unpack(master *c, const char *buf, int len, int from, fx_eval_row *row, fx_err *e)
{
    int32_t h[HEAD_INTS];
    size_t fixed = sizeof h + (HEAD_DBLS + c->nm) * sizeof(double);
    if (len == 0) /* its answer when it could not score */
        return fx_err_set(e, FX_ENOMEM,
                          "optimize: --mpi: rank %d could not score a candidate (out of memory)",
                          from);
    if (len < (int)fixed)
        return fx_err_set(e, FX_EIO, "optimize: --mpi: rank %d: a result cut short", from);
    memcpy(h, buf, sizeof h);
    double d[HEAD_DBLS];
    memcpy(d, buf + sizeof h, sizeof d);
    memcpy(row->metrics, buf + sizeof h + sizeof d, c->nm * sizeof(double));
    row->score.evaluated = h[0];
    row->score.ok = h[1];
    row->score.feasible = h[2];
    row->analytic = h[3];
    row->score.objective = d[0];
    row->score.violation = d[1];
    row->wall_s = d[2];
    row->reason = NULL;
    if (h[4] >= 0) {
        if ((size_t)len < fixed + (size_t)h[4])
            return fx_err_set(e, FX_EIO, "optimize: --mpi: rank %d: a result cut short", from);
        row->reason = malloc((size_t)h[4] + 1);
        if (!row->reason)
            return fx_err_set(e, FX_ENOMEM, "out of memory");
        memcpy(row->reason, buf + fixed, (size_t)h[4]);
        row->reason[h[4]] = '\0';
    }
    return FX_OK;
}

/* The evaluator: each row to a free worker, in log order; the next row
 * to whichever worker answers first. */
static fx_status evaluate(void *ctx, fx_eval_row *const *rows, size_t n, fx_err *e)
{
    master *c = ctx;
    fx_mpi *m = c->m;
    hear_workers(m, c->nv, c->nm);
    if (m->worker_st != FX_OK) {
        if (e)
            *e = m->worker_e;
        return m->worker_st;
    }
    size_t *owner = malloc((size_t)m->size * sizeof *owner);
    if (!owner)
        return fx_err_set(e, FX_ENOMEM, "out of memory");
    size_t next = 0, busy = 0;
    for (int r = 1; r < m->size && next < n; r++, busy++) {
        owner[r] = next;
        send_task(c, r, rows[next++]);
    }
    fx_status st = FX_OK;
    while (busy > 0) {
        int len;
        MPI_Status status;
        char *buf = recv_bytes(MPI_ANY_SOURCE, TAG_RESULT, &len, &status);
        int from = status.MPI_SOURCE;
        busy--;
        fx_status got = unpack(c, buf, len, from, rows[owner[from]], st == FX_OK ? e : NULL);
        free(buf);
        if (st == FX_OK)
            st = got;
        /* After an error, only collect what is under way. */
        if (st == FX_OK && next < n) {
            owner[from] = next;
            send_task(c, from, rows[next++]);
            busy++;
        }
    }
    free(owner);
    return st;
}

fx_status fx_mpi_run(fx_mpi *m, const fx_space *sp, const char *trace, const fx_optimize_opts *o,
                     fx_optimize_result *res, fx_err *e)
{
    master c = {m, fx_space_nvars(sp), fx_space_nmetrics(sp), NULL};
    fx_optimize_opts oo = *o;
    oo.jobs = (unsigned)(m->size - 1);
    oo.evaluate = evaluate;
    oo.ectx = &c;
    c.task = malloc((c.nv + 1) * sizeof *c.task);
    fx_status st = c.task ? fx_optimize_run(sp, trace, &oo, res, e)
                          : fx_err_set(e, FX_ENOMEM, "out of memory");
    if (!c.task)
        memset(res, 0, sizeof *res);
    fx_mpi_stop(m);
    free(c.task);
    return st;
}

/* ---- the workers ---------------------------------------------------------- */

static void send_ready(fx_status st, const fx_err *e, size_t nv, size_t nm)
{
    char host[MPI_MAX_PROCESSOR_NAME + 1] = "";
    int hlen = 0;
    MPI_Get_processor_name(host, &hlen);
    char buf[3 * sizeof(int32_t) + sizeof host + FX_ERR_MAX + 4];
    int32_t head[3] = {(int32_t)st, (int32_t)nv, (int32_t)nm};
    memcpy(buf, head, sizeof head);
    int len = (int)sizeof head;
    if (st != FX_OK)
        len += snprintf(buf + sizeof head, sizeof buf - sizeof head, "%s: %s", host,
                        e ? e->msg : "cannot set up");
    if (len > (int)sizeof buf - 1)
        len = (int)sizeof buf - 1;
    MPI_Send(buf, len, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
}

/* Score one TASK and send back its RESULT. */
static fx_status answer(fx_optimize_worker *w, const uint32_t *task, size_t nv, size_t nm,
                        fx_err *e)
{
    fx_eval_row row;
    memset(&row, 0, sizeof row);
    row.x = malloc(nv * sizeof *row.x);
    row.metrics = malloc((nm ? nm : 1) * sizeof *row.metrics);
    char *buf = NULL;
    fx_status st = FX_OK;
    if (!row.x || !row.metrics) {
        st = fx_err_set(e, FX_ENOMEM, "out of memory");
    } else {
        row.sample = task[0] != 0;
        memcpy(row.x, task + 1, nv * sizeof *row.x);
        fx_optimize_worker_eval(w, &row);
        size_t rlen = row.reason ? strlen(row.reason) : 0;
        int32_t h[HEAD_INTS] = {row.score.evaluated, row.score.ok, row.score.feasible, row.analytic,
                                row.reason ? (int32_t)rlen : -1};
        double d[HEAD_DBLS] = {row.score.objective, row.score.violation, row.wall_s};
        size_t len = sizeof h + sizeof d + nm * sizeof(double) + rlen;
        buf = malloc(len);
        if (!buf) {
            st = fx_err_set(e, FX_ENOMEM, "out of memory");
        } else {
            memcpy(buf, h, sizeof h);
            memcpy(buf + sizeof h, d, sizeof d);
            memcpy(buf + sizeof h + sizeof d, row.metrics, nm * sizeof(double));
            memcpy(buf + sizeof h + sizeof d + nm * sizeof(double), row.reason ? row.reason : "",
                   rlen);
            MPI_Send(buf, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
        }
    }
    if (st != FX_OK) /* rank 0 must hear back: a short result is an error there */
        MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    free(buf);
    free(row.x);
    free(row.metrics);
    free(row.reason);
    return st;
}

fx_status fx_mpi_serve(fx_mpi *m, const fx_space *sp, const char *trace, const fx_optimize_opts *o,
                       fx_status setup, fx_err *e)
{
    fx_optimize_worker *w = NULL;
    fx_status st = setup;
    size_t nv = sp ? fx_space_nvars(sp) : 0, nm = sp ? fx_space_nmetrics(sp) : 0;
    if (st == FX_OK && !sp)
        st = fx_err_set(e, FX_EINVAL, "no space");
    if (st == FX_OK)
        st = fx_optimize_worker_open(sp, trace, o, &w, e);
    send_ready(st, e, nv, nm);
    for (;;) {
        int len;
        MPI_Status status;
        char *buf = recv_bytes(0, MPI_ANY_TAG, &len, &status);
        if (status.MPI_TAG == TAG_STOP) {
            free(buf);
            break;
        }
        if (status.MPI_TAG == TAG_TASK) {
            uint32_t *task = malloc((nv + 1) * sizeof *task);
            fx_status got = FX_OK;
            if (w && task && len == (int)((nv + 1) * sizeof *task)) {
                memcpy(task, buf, (size_t)len);
                got = answer(w, task, nv, nm, st == FX_OK ? e : NULL);
            } else { /* not ready, or a task for another space: an empty answer */
                MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
            }
            if (st == FX_OK)
                st = got;
            free(task);
        }
        free(buf);
    }
    fx_optimize_worker_close(w);
    (void)m;
    return st;
}
