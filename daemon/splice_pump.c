/* splice_pump.c - socket to socket through a pipe, in the kernel. */
#include "daemon/splice_pump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>

/* a run gives the loop back after this many pipe loads in one callback */
#define LOADS_PER_CALLBACK 8

struct splice_pump {
	struct event_base *base;
	struct event rev, wev;
	int rev_on, wev_on;        /* the events are added */
	unsigned running : 1;
	unsigned src_done : 1;     /* nothing more is read from the source */
	unsigned src_eof : 1;      /* ... because it ended or failed */
	unsigned read_blocked : 1; /* the last read found the pipe (maybe) full */
	unsigned unsupported : 1;
	int src, dst;
	int pr, pw;                /* the pipe, -1 when none */
	size_t cap, in_pipe;
	uint64_t left, moved;
	int err;
	struct evbuffer *spill;
	splice_done_fn done;
	void *arg;
};

static uint64_t total_bytes, total_runs;
static unsigned active;   /* pipes open */

uint64_t splice_pump_total_bytes(void) { return total_bytes; }
uint64_t splice_pump_total_runs(void) { return total_runs; }

static void pump_cb(evutil_socket_t fd, short what, void *arg);

struct splice_pump *
splice_pump_new(struct event_base *base)
{
	struct splice_pump *p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->base = base;
	p->pr = p->pw = -1;
	return p;
}

static void
set_event(struct event *ev, int on, int *added)
{
	if (on && !*added)
		event_add(ev, NULL);
	else if (!on && *added)
		event_del(ev);
	*added = on;
}

static void
events_off(struct splice_pump *p)
{
	set_event(&p->rev, 0, &p->rev_on);
	set_event(&p->wev, 0, &p->wev_on);
	/* the first run is made active by hand (splice_pump_start) */
	event_del(&p->wev);
}

static void
close_pipe(struct splice_pump *p)
{
	if (p->pr >= 0) {
		close(p->pr);
		close(p->pw);
		active--;
	}
	p->pr = p->pw = -1;
	p->in_pipe = 0;
}

void
splice_pump_stop(struct splice_pump *p)
{
	if (p == NULL || !p->running)
		return;
	events_off(p);
	close_pipe(p);
	p->running = 0;
}

void
splice_pump_free(struct splice_pump *p)
{
	if (p == NULL)
		return;
	splice_pump_stop(p);
	free(p);
}

int
splice_pump_running(const struct splice_pump *p)
{
	return p != NULL && p->running;
}

uint64_t
splice_pump_moved(const struct splice_pump *p)
{
	return p ? p->moved : 0;
}

int
splice_pump_errno(const struct splice_pump *p)
{
	return p ? p->err : 0;
}

int
splice_pump_start(struct splice_pump *p, int src, int dst, uint64_t count, size_t pipe_bytes,
    struct evbuffer *spill, splice_done_fn done, void *arg)
{
	int fds[2];
	if (p->running || count == 0) {
		errno = EINVAL;
		return -1;
	}
	if (active >= SPLICE_MAX_ACTIVE) {
		errno = EAGAIN;
		return -1;
	}
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	active++;
	/* bounded: the pipe is the only buffer of a run.  A refusal (the
	 * user's pipe allowance is used up) leaves the default size. */
	if (pipe_bytes > 0)
		(void)fcntl(fds[1], F_SETPIPE_SZ, (int)pipe_bytes);
	int sz = fcntl(fds[1], F_GETPIPE_SZ);
	p->cap = sz > 0 ? (size_t)sz : 65536;
	p->pr = fds[0];
	p->pw = fds[1];
	p->src = src;
	p->dst = dst;
	p->left = count;
	p->moved = 0;
	p->in_pipe = 0;
	p->err = 0;
	p->src_done = p->src_eof = p->read_blocked = p->unsupported = 0;
	p->spill = spill;
	p->done = done;
	p->arg = arg;
	p->running = 1;
	p->rev_on = p->wev_on = 0;
	event_assign(&p->rev, p->base, src, EV_READ | EV_PERSIST, pump_cb, p);
	event_assign(&p->wev, p->base, dst, EV_WRITE | EV_PERSIST, pump_cb, p);
	total_runs++;
	/* start from the loop: done() never runs inside splice_pump_start */
	event_active(&p->wev, EV_WRITE, 0);
	return 0;
}

static int
is_unsupported(int e)
{
	return e == EINVAL || e == ENOSYS || e == EOPNOTSUPP || e == EBADF;
}

/* The pipe's bytes could not be spliced out: they go to the spill buffer,
 * which the owner writes after them the ordinary way. */
static void
spill_pipe(struct splice_pump *p)
{
	while (p->in_pipe > 0 && p->spill) {
		int n = evbuffer_read(p->spill, p->pr, (int)p->in_pipe);
		if (n <= 0)
			break;
		p->in_pipe -= (size_t)n;
		p->moved += (uint64_t)n;
	}
}

static void
finish(struct splice_pump *p, enum splice_end end)
{
	events_off(p);
	close_pipe(p);
	p->running = 0;
	p->done(p->arg, end);   /* the last thing: the owner may restart us */
}

static void
run(struct splice_pump *p)
{
	unsigned loads = 0;
	for (;;) {
		int progress = 0;
		if (!p->src_done && !p->read_blocked && p->in_pipe < p->cap) {
			size_t want = p->cap - p->in_pipe;
			if (p->left != SPLICE_UNTIL_EOF && p->left < want)
				want = (size_t)p->left;
			ssize_t n = splice(p->src, NULL, p->pw, NULL, want,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				p->in_pipe += (size_t)n;
				if (p->left != SPLICE_UNTIL_EOF && (p->left -= (uint64_t)n) == 0)
					p->src_done = 1;
				progress = 1;
				loads++;
			} else if (n == 0) {
				p->src_done = p->src_eof = 1;
			} else if (errno == EINTR) {
				progress = 1;
			} else if (errno == EAGAIN) {
				/* with bytes in the pipe, it may be the pipe that is
				 * full (slots, not bytes): wait for a write first */
				if (p->in_pipe > 0)
					p->read_blocked = 1;
			} else if (is_unsupported(errno)) {
				p->src_done = 1;
				p->unsupported = 1;
			} else {
				/* the source failed: what it gave still goes out,
				 * the owner's bufferevent meets the error itself */
				p->err = errno;
				p->src_done = p->src_eof = 1;
			}
		}
		if (p->in_pipe > 0) {
			ssize_t n = splice(p->pr, NULL, p->dst, NULL, p->in_pipe,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				p->in_pipe -= (size_t)n;
				p->moved += (uint64_t)n;
				total_bytes += (uint64_t)n;   /* as they go: a stream's run may last hours */
				p->read_blocked = 0;
				progress = 1;
			} else if (n < 0 && errno == EINTR) {
				progress = 1;
			} else if (n < 0 && errno == EAGAIN) {
				/* the write event below */
			} else if (n < 0 && is_unsupported(errno)) {
				p->src_done = 1;
				p->unsupported = 1;
				spill_pipe(p);
				if (p->in_pipe > 0) {
					p->err = errno ? errno : EIO;
					finish(p, SPLICE_DST_ERROR);
					return;
				}
			} else {
				p->err = n < 0 ? errno : EPIPE;
				finish(p, SPLICE_DST_ERROR);
				return;
			}
		}
		if (p->src_done && p->in_pipe == 0) {
			finish(p, p->unsupported ? SPLICE_UNSUPPORTED
			    : p->src_eof ? SPLICE_SRC_EOF : SPLICE_DONE);
			return;
		}
		if (!progress || loads >= LOADS_PER_CALLBACK)
			break;
	}
	set_event(&p->rev, !p->src_done && !p->read_blocked && p->in_pipe < p->cap, &p->rev_on);
	set_event(&p->wev, p->in_pipe > 0, &p->wev_on);
}

static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	run(arg);
}
