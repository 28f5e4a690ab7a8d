/* half.h - one side of a proxied connection: the client's or the engine's.
 *
 * A half is the mechanics both sides share: a bufferevent, whether reading
 * is paused for backpressure, whether the peer has sent its last byte, a
 * write side to shut once output is flushed, and a timer of its own.  What
 * a half is doing (its state) is the session's business: the session keeps
 * a typed state beside each half (struct client_half, struct upstream_half
 * in session.h) and changes it through one function per half. */
#ifndef SOCKWARD_HALF_H
#define SOCKWARD_HALF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <event2/event.h>

struct bufferevent;
struct evbuffer;
struct event;
struct event_base;

struct half {
	struct bufferevent *bev;   /* NULL when this side has no connection */
	struct event *timer;       /* created on first use */
	unsigned paused : 1;       /* reading stopped: the other side's output is full */
	unsigned eof : 1;          /* the peer will send nothing more */
	unsigned shut_pending : 1; /* shut our write side once output has drained */
	unsigned spliced : 1;      /* a splice pump reads this fd: the bufferevent does not */
	unsigned direct : 1;       /* a connected plain socket: half_send may write to it at once */
	unsigned tls_direct : 1;   /* an established TLS connection: half_send may SSL_write at once */
	unsigned tls_ahead : 1;    /* OpenSSL reads ahead: see half_tls_read_ahead */
	unsigned tls_ended : 1;    /* our own SSL_read met the input's end: see half_tls_read_more */
	unsigned queued : 1;       /* on its flusher's queue (parked bytes to send) */
	/* plain sockets: what half_send put off to the end of the turn (see
	 * struct half_flusher); bytes are parked only while the output is empty */
	struct half_flusher *flusher;
	struct evbuffer *parked;   /* while queued: from the flusher's spares */
	TAILQ_ENTRY(half) flush_link;
};

/* The sends of a turn of the loop, made at its end.  half_send parks a
 * piece of up to 16 KiB (a request, an answer; a stream's bigger pieces go
 * at once) on the half and queues the half here; once the turn's other
 * callbacks have run, one event writes every queued half's bytes with one
 * send each (one SSL_write for a TLS half).  Answers for many connections then leave
 * together, the engine and the clients are woken once for a batch rather
 * than once per request, and a head and a body sent in one turn go out in
 * one write: GET /_ping at 64 connections costs about 4% less CPU.  Parked
 * bytes are never left behind by anything that looks at or writes the
 * output: half_out, half_out_len, half_shut_write, half_notify_when_flushed
 * and half_drop_connection send them first (half_flush_now), so whatever
 * waits for the output to drain waits on the bufferevent as before. */
#define HALF_FLUSH_SPARES 1024
struct half_flusher {
	struct event *ev;
	TAILQ_HEAD(half_queue, half) queue;
	/* emptied parking buffers, for the next turn's sends: an idle
	 * connection holds none, and a burst of connections does not leave
	 * freed buffers scattered among live ones (10,000 idle connections
	 * cost ~300 bytes more each when only 64 were kept); at most ~150 KB */
	struct evbuffer *spare[HALF_FLUSH_SPARES];
	size_t nspare;
};
/* -1 when out of memory */
int half_flusher_init(struct half_flusher *f, struct event_base *base);
/* Sends what is queued, then frees the event. */
void half_flusher_free(struct half_flusher *f);
/* Send h's parked bytes now: what the socket takes, the rest onto the
 * output (the bufferevent writes it when it can); h leaves the queue. */
void half_flush_now(struct half *h);

struct evbuffer *half_in(const struct half *h);
/* The output, for writing to it or looking at it (parked bytes sent first) */
struct evbuffer *half_out(struct half *h);
size_t half_out_len(struct half *h);
/* What the half still has to send, parked or in the output (nothing sent) */
size_t half_pending(const struct half *h);

/* Backpressure and I/O sizes: stop reading at max, resume below half of it,
 * move up to half of it per read or write (libevent's default of 16 KiB
 * costs many syscalls on a 2 GiB image load).  The one place watermarks
 * are set, but for flushing (half_notify_when_flushed). */
void half_size_buffers(struct half *h, size_t max);
/* The half is a connected plain socket (accepted, or the engine's once
 * connected): half_send may write to it at once (h->direct), and its reads
 * are sockward's.  libevent 2.1 reads a plain socket with a FIONREAD before
 * every read, and 4 KiB at a time (EVBUFFER_MAX_READ), one turn of the loop
 * each: a 256 MiB stream took 65,536 of them, and every request paid a
 * FIONREAD per side.  Ours reads without asking, and after a full 4 KiB read
 * takes the rest of what is waiting, up to the input's high watermark, in
 * one more readv.  The bufferevent's enable, disable and watermarks are
 * unchanged: its read event is the one given our callback.  f: where its
 * sends are put off to the end of the turn (NULL: written at once). */
void half_go_direct(struct half *h, struct half_flusher *f);

/* A TLS half whose handshake is done: half_send may SSL_write to it
 * (h->tls_direct), at the end of the turn when f is not NULL, what fits in
 * one record as one record. */
void half_tls_established(struct half *h, struct half_flusher *f);

/* An established TLS half: OpenSSL reads ahead (several records per
 * read(2), not a header and a body each), and the half makes libevent read
 * what OpenSSL already holds whenever reading may go on.  The session calls
 * half_after_read() at the end of its read callback for that. */
void half_tls_read_ahead(struct half *h);
void half_after_read(struct half *h);
/* libevent's TLS bufferevent hands its read callback two records at most
 * (two iovecs, one SSL_read each) and then stops until the next turn: an
 * upload was relayed to the engine 32 KiB per write.  Called first in the
 * read callback of a TLS half: decrypt what OpenSSL already holds, up to the
 * input's high watermark.  Returns the bytes added. */
size_t half_tls_read_more(struct half *h);

/* Stop or resume reading for backpressure; never resumes after EOF. */
void half_pause(struct half *h, int pause);
/* Stop reading for good (the session has no use for more input). */
void half_stop_reading(struct half *h);
/* Give back the input buffer's memory while nothing is buffered: libevent's
 * OpenSSL reads reserve a whole read's worth of space (max_single_read) and
 * keep it, empty, after the read; an idle TLS connection would hold it. */
void half_release_idle_input(struct half *h);
/* A splice pump takes over reading this half's fd (the bufferevent stops
 * reading and no backpressure resumes it), and gives it back. */
void half_splice_begin(struct half *h);
void half_splice_end(struct half *h);
/* Have the write callback run when the output is completely flushed (at
 * once, deferred to the loop, when sending the parked bytes flushed it). */
void half_notify_when_flushed(struct half *h);

/* Send the first n bytes of src (drained from it): written to the socket
 * when nothing is queued before them and the half is a plain socket
 * (h->direct), at the end of the turn when it has a flusher, else at once,
 * so an answer costs one send and no wait for writability
 * (the bufferevent would add a write event, wait for EPOLLOUT, write, and
 * remove the event: two epoll_ctl and an epoll_wait per write).  What the
 * socket does not take now, or any error, is left to the bufferevent: the
 * rest is queued on the output, and a broken connection is reported by the
 * bufferevent's own write, through its event callback, as before.  A TLS
 * half (h->tls_direct) is written with SSL_write the same way: libevent's
 * TLS bufferevent would wait for EPOLLOUT first. */
void half_send(struct half *h, struct evbuffer *src, size_t n);

/* A buffer to build a message in before half_send() takes all of it: one for
 * the process (the event loop is single-threaded), empty between uses, so a
 * request or an answer of our own is built without an allocation.  NULL only
 * when out of memory. */
struct evbuffer *half_scratch(void);
/* half_send() of everything in half_scratch(), which is left empty. */
void half_send_scratch(struct half *h);

/* Move everything read on from to the output of to; counts the bytes.
 * Returns 1 when to's output has reached max (the caller pauses from). */
int half_move_all(struct half *from, struct half *to, size_t max, uint64_t *count);

/* Shut our write side (the peer reads EOF) once the output has drained.
 * Returns 1 when it was shut now, 0 when it waits for the output (the
 * write callback calls it again: see shut_pending). */
int half_shut_write(struct half *h);

/* -1 when the timer cannot be created (out of memory) */
int half_arm_timer(struct half *h, struct event_base *base, event_callback_fn cb,
    void *arg, long ms);
void half_disarm_timer(struct half *h);

/* Free the connection (and the timer when all is set). */
void half_drop_connection(struct half *h);
void half_free(struct half *h);

#endif
