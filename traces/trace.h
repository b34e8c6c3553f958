/* trace.h - the fluxosim trace format: reading and writing, as a stream.
 *
 * A trace is text, optionally gzip-compressed, one request per line in
 * arrival order (see doc/formats.md):
 *
 *   #fluxotrace 1
 *   #service weather
 *   # t_us <TAB> key <TAB> node=service_us/out_bytes/out_hash ...
 *   1000	94110	parse=120/64/8f3a	geocode=850/128/1b2c
 *
 * - t_us: arrival time, a non-negative integer of microseconds, never
 *   smaller than the previous line's.
 * - key: the request's input: 1 to FX_TRACE_KEY_MAX bytes, no tab, no space.
 * - node=svc/bytes/hash: what node did for this request: its service demand
 *   in microseconds (a non-negative decimal number), its output size in bytes
 *   (a non-negative integer) and a hash of its output (1 to 16 hexadecimal
 *   digits). bytes and hash may be omitted ("parse=120", "parse=120/64").
 *   The service time may be "-" when the log did not record it
 *   ("serve=-/5120"): the replay then draws the demand from the node's
 *   profile but keeps the line's size and hash.
 *   A node appears at most once per line; a node absent from a line falls
 *   back to its profile.
 * - "#fluxotrace 1" must be the first line. "#service NAME" names the
 *   service. Any other line starting with '#' must be a comment ("#" alone
 *   or "# " then anything); other '#' words are unknown headers: an error.
 * - Lines end in LF; a CR before the LF is an error (say so), as are NUL
 *   bytes and lines longer than FX_TRACE_LINE_MAX.
 *
 * The reader holds one line at a time: memory does not grow with the trace.
 * Errors read "FILE:LINE: expected ..., found ..."; a limit exceeded (key,
 * line, fields, a value past 2^62) is FX_ELIMIT, other content FX_EINVAL.
 */
#ifndef FX_TRACE_H
#define FX_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/error.h"
#include "sim/time.h"

#define FX_TRACE_KEY_MAX    1024
#define FX_TRACE_LINE_MAX   (1 << 20) /* bytes in one line */
#define FX_TRACE_FIELDS_MAX 1024      /* node fields in one line */

/* What one node did for one request. */
typedef struct fx_trace_field {
    uint32_t node;     /* index into the node names given to the reader */
    uint8_t has_bytes; /* bytes given */
    uint8_t has_hash;  /* hash given */
    fx_time service;   /* demand, ns (microseconds in the file) */
    uint64_t bytes;
    uint64_t hash;
    uint8_t no_service; /* the service time was "-": not recorded (service is 0) */
} fx_trace_field;

/* One request. The key and fields point into the reader's buffers and stay
 * valid until the next call of fx_trace_next. */
typedef struct fx_trace_rec {
    fx_time t;       /* arrival, ns */
    const char *key; /* NUL-terminated */
    size_t key_len;
    uint64_t key_hash; /* fx_hash_str of the key */
    const fx_trace_field *fields;
    size_t nfields;
    uint64_t line; /* line number in the file, from 1 */
} fx_trace_rec;

typedef struct fx_trace_reader fx_trace_reader;

/* Open PATH ("-" is standard input; gzip is detected by its magic bytes,
 * plain text otherwise) and read its headers. NODES[0..NNODES) are the node
 * names a field may use; a field naming another node is an error that lists
 * them. Returns FX_OK and *OUT, or an error (FX_EIO when the file cannot be
 * opened, FX_EINVAL for bad content). */
fx_status fx_trace_open(const char *path, const char *const *nodes, size_t nnodes,
                        fx_trace_reader **out, fx_err *e);

/* Read the next request into REC. Returns 1 for a request, 0 at the end of
 * the trace, -1 on error (E says where). After an error or the end, further
 * calls return the same. */
int fx_trace_next(fx_trace_reader *r, fx_trace_rec *rec, fx_err *e);

/* fx_trace_next, but the fields are written to FIELDS (room for as many
 * fields as there are node names, or FX_TRACE_FIELDS_MAX if fewer), which
 * the caller keeps as long as it likes; the key still lasts until the next
 * call only. For keeping a few requests while reading on. */
int fx_trace_next_to(fx_trace_reader *r, fx_trace_rec *rec, fx_trace_field *fields, fx_err *e);

/* fx_trace_next, but *REC points at the request instead of receiving a
 * copy; it stays valid until the next call. */
int fx_trace_next_ref(fx_trace_reader *r, const fx_trace_rec **rec, fx_err *e);

/* From now on, read and parse a block of requests (up to 512) at a time,
 * ahead of the caller: in the caller's thread, or with THREAD in a thread
 * of its own that keeps a ring of 8 blocks filled, so that parsing overlaps
 * the caller's work on another CPU. fx_trace_next, fx_trace_next_to and
 * fx_trace_next_ref return the same requests, the same error and the same
 * end, in the same order, with the same lifetimes; memory stays bounded
 * (a block is about 80 KiB for a one-node service, 220 to 260 KiB for
 * services of 8 nodes or more; a thread keeps 8 of them), and
 * fx_trace_peek_hash can see requests to come. Only a regular file is read
 * by a thread: the thread must never block in a read that the caller cannot
 * end (a pipe, a terminal); any other input is read ahead in the caller's
 * thread. Nothing changes after the end or an error, on a second call, or
 * when memory runs out (the reader goes on line by line). Returns 1 when a
 * thread reads, else 0. fx_trace_close stops the thread. The reader is
 * still used from one thread at a time. */
int fx_trace_read_ahead(fx_trace_reader *r, int thread);

/* The key hash of the K-th request after the one fx_trace_next (or _to,
 * or _ref) last returned (K >= 1), when it is already parsed into the block in use:
 * 1 and *HASH, else 0 (not read yet, past the end, or no read-ahead). For
 * prefetching what the requests to come will touch. */
int fx_trace_peek_hash(const fx_trace_reader *r, unsigned k, uint64_t *hash);

/* The "#service" header's value, or NULL when the trace has none. */
const char *fx_trace_service(const fx_trace_reader *r);

/* The path as given to fx_trace_open ("-" for stdin). */
const char *fx_trace_path(const fx_trace_reader *r);

void fx_trace_close(fx_trace_reader *r);

/* ---- writing ------------------------------------------------------------- */

typedef struct fx_trace_writer fx_trace_writer;

/* Create a writer into PATH ("-" is stdout). The file is written under a
 * temporary name in the same folder and renamed over PATH by
 * fx_trace_writer_close only if every write succeeded; gzip-compressed when
 * PATH ends in ".gz". Writes the "#fluxotrace 1" and "#service SERVICE"
 * headers and a column comment. NODES names the nodes by index. */
fx_status fx_trace_writer_open(const char *path, const char *service, const char *const *nodes,
                               size_t nnodes, fx_trace_writer **out, fx_err *e);

/* Append one request. Fails with FX_EINVAL for a time before the previous
 * one or a key that is empty, too long or contains blanks. */
fx_status fx_trace_write(fx_trace_writer *w, const fx_trace_rec *rec, fx_err *e);

/* Finish: flush, close and rename into place. With ABANDON (or after a
 * failed write) remove the temporary file instead, leaving PATH untouched. */
fx_status fx_trace_writer_close(fx_trace_writer *w, int abandon, fx_err *e);

#endif
