/* calendar.h - the future event list.
 *
 * Events are kept in order of time and, among events at the same time, in
 * order of insertion (first scheduled, first fired). That order is total, so
 * a run is reproducible bit for bit. An event can be cancelled until it
 * fires. Event records come from slabs owned by the calendar and are
 * recycled through a free list: scheduling does not call malloc once the
 * calendar has grown to the number of events pending at once.
 *
 * The implementation (a 4-ary heap of inline keys, lazy cancellation) is
 * hidden behind these functions so that a calendar queue or ladder queue
 * can replace it.
 */
#ifndef FX_CALENDAR_H
#define FX_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

typedef struct fx_calendar fx_calendar;

/* A pending event. The handle stays valid until the event fires or is
 * cancelled; it must not be used after that. */
typedef struct fx_event fx_event;

/* What an event does when it fires: CTX is the owner of the calendar (the
 * simulation), OBJ and ARG are what the scheduler passed. */
typedef void (*fx_handler)(void *ctx, void *obj, uint64_t arg);

fx_calendar *fx_calendar_alloc(void);
void fx_calendar_free(fx_calendar *cal);

/* Schedule H(ctx, OBJ, ARG) at time T. Returns NULL only when out of memory. */
fx_event *fx_calendar_schedule(fx_calendar *cal, fx_time t, fx_handler h, void *obj, uint64_t arg);

/* Remove a pending event: it will not fire. */
void fx_calendar_cancel(fx_calendar *cal, fx_event *ev);

/* Time of the pending event EV. */
fx_time fx_calendar_time_of(const fx_calendar *cal, const fx_event *ev);

/* Remove the earliest event and return what it carries. Returns 0 when the
 * calendar is empty, 1 otherwise. */
int fx_calendar_pop(fx_calendar *cal, fx_time *t, fx_handler *h, void **obj, uint64_t *arg);

/* The same, but only when the earliest event is at or before UNTIL; returns
 * 0 and leaves it pending otherwise. */
int fx_calendar_pop_until(fx_calendar *cal, fx_time until, fx_time *t, fx_handler *h, void **obj,
                          uint64_t *arg);

/* Time of the earliest event, or FX_TIME_MAX when empty. (It may discard
 * cancelled entries, hence the non-const calendar.) */
fx_time fx_calendar_next_time(fx_calendar *cal);

/* Number of pending events. */
size_t fx_calendar_size(const fx_calendar *cal);

#endif
