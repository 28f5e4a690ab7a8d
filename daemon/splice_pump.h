/* splice_pump.h - bytes from one socket to another without copying them
 * through user space: splice(2) from the source into a pipe, and from the
 * pipe into the destination, driven by libevent events on the raw fds.
 *
 * The pump is for bytes nobody reads: a Content-Length answer body no stage
 * holds, the raw bytes of a hijacked stream.  The owner disables its
 * bufferevents for that direction (and makes sure nothing is buffered in
 * them) before it starts a pump, and takes the direction back when the
 * pump reports its end.
 *
 * Bounded: the pipe holds at most the size it was given (F_SETPIPE_SZ), and
 * no more than that is asked of the source at a time.  The pipe is made
 * when a run starts and closed when it ends; the pump itself (its events)
 * is kept by its owner and reused.
 *
 * The end is reported once, through done(arg, end), as the pump's last act
 * in its own callback: the owner may stop, restart or forget the pump from
 * there (splice_pump_free is for its teardown, never under that callback). */
#ifndef SOCKWARD_SPLICE_PUMP_H
#define SOCKWARD_SPLICE_PUMP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evbuffer;
struct splice_pump;

#define SPLICE_UNTIL_EOF UINT64_MAX
/* Pipes open at once, all pumps together (two descriptors each): past
 * that, splice_pump_start refuses (EAGAIN) and the bytes go buffered.  The
 * descriptor budget (server.c) counts them. */
#define SPLICE_MAX_ACTIVE 256

enum splice_end {
	SPLICE_DONE,        /* the byte count was reached and written */
	SPLICE_SRC_EOF,     /* the source ended (or failed) first; all it gave was written */
	SPLICE_DST_ERROR,   /* writing failed (errno in splice_pump_errno) */
	SPLICE_UNSUPPORTED, /* splice refused these fds (EINVAL, ENOSYS...): what was
	                       read is in the spill buffer, the rest is untouched */
};

typedef void (*splice_done_fn)(void *arg, enum splice_end end);

struct splice_pump *splice_pump_new(struct event_base *base);
/* Stops the run (if any) and frees; never from the pump's own callback. */
void splice_pump_free(struct splice_pump *p);

/* Move up to count bytes (SPLICE_UNTIL_EOF: until the source ends) from
 * src to dst.  pipe_bytes bounds what sits in the pipe.  spill receives,
 * on SPLICE_UNSUPPORTED, bytes already read into the pipe that could not
 * be spliced out (they are the destination's, in order).  Returns -1 when
 * no pipe could be made, or SPLICE_MAX_ACTIVE are open (errno set):
 * nothing happened. */
int splice_pump_start(struct splice_pump *p, int src, int dst, uint64_t count, size_t pipe_bytes,
    struct evbuffer *spill, splice_done_fn done, void *arg);
/* Stop a run without reporting (teardown): whatever is in the pipe is lost. */
void splice_pump_stop(struct splice_pump *p);
int splice_pump_running(const struct splice_pump *p);
/* Bytes written to the destination by the current (or last) run. */
uint64_t splice_pump_moved(const struct splice_pump *p);
int splice_pump_errno(const struct splice_pump *p);

/* Runs started and bytes spliced out by all pumps since start (counted as
 * they go, not what a refused splice spilled; the metrics, the tests). */
uint64_t splice_pump_total_bytes(void);
uint64_t splice_pump_total_runs(void);

#endif
