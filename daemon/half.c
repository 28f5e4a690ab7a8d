/* half.c - the mechanics of one side of a proxied connection. */
#include "daemon/half.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

struct evbuffer *
half_in(const struct half *h)
{
	return bufferevent_get_input(h->bev);
}

struct evbuffer *
half_out(struct half *h)
{
	half_flush_now(h);
	return bufferevent_get_output(h->bev);
}

size_t
half_out_len(struct half *h)
{
	half_flush_now(h);
	return h->bev ? evbuffer_get_length(bufferevent_get_output(h->bev)) : 0;
}

size_t
half_pending(const struct half *h)
{
	size_t n = h->parked ? evbuffer_get_length(h->parked) : 0;
	return n + (h->bev ? evbuffer_get_length(bufferevent_get_output(h->bev)) : 0);
}

void
half_size_buffers(struct half *h, size_t max)
{
	bufferevent_setwatermark(h->bev, EV_READ, 0, max);
	bufferevent_setwatermark(h->bev, EV_WRITE, max / 2, 0);
	bufferevent_set_max_single_read(h->bev, max / 2);
	bufferevent_set_max_single_write(h->bev, max / 2);
}

/* The first read of a turn takes what libevent's evbuffer_read would take
 * (EVBUFFER_MAX_READ): an idle connection keeps no bigger buffer. */
#define FIRST_READ 4096

/* A half's descriptor is always a socket (accepted, connected, or handed
 * over by systemd as one): it is read and written with recv/send
 * (recvmsg/sendmsg for more than one piece) rather than readv/writev, which
 * go through the file layer first (position, permission and fsnotify
 * hooks) on every call: about 0.5 us of a 24 us GET /_ping. */
static ssize_t
sock_readv(int fd, struct iovec *v, int n)
{
	struct msghdr m = { .msg_iov = v, .msg_iovlen = (size_t)n };
	/* one piece (the usual case): recv, which copies no msghdr in */
	ssize_t r = n == 1 ? recv(fd, v[0].iov_base, v[0].iov_len, 0) : recvmsg(fd, &m, 0);
	return r;
}

/* Up to n bytes from the front of src, written at once (what
 * evbuffer_write_atmost does, with sendmsg); returns what was written, or
 * -1 with errno. */
#define SEND_IOV 16
static int
sock_send_atmost(int fd, struct evbuffer *src, size_t n)
{
	struct evbuffer_iovec v[SEND_IOV];
	int k = evbuffer_peek(src, (ev_ssize_t)n, NULL, v, SEND_IOV);
	size_t total = 0;
	if (k <= 0)
		return 0;
	if (k > SEND_IOV)
		k = SEND_IOV;
	for (int i = 0; i < k; i++) {
		if (v[i].iov_len > n - total)
			v[i].iov_len = n - total;
		total += v[i].iov_len;
	}
	struct msghdr m = { .msg_iov = (struct iovec *)v, .msg_iovlen = (size_t)k };
	ssize_t w;
	do
		w = k == 1 ? send(fd, v[0].iov_base, v[0].iov_len, MSG_NOSIGNAL)
		    : sendmsg(fd, &m, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w > 0)
		evbuffer_drain(src, (size_t)w);
	return (int)w;
}

/* Read up to room bytes into in with one sock_readv.  The bufferevent
 * keeps its input's end frozen but while it reads.  Returns what the read
 * returned (errno set when -1). */
static ssize_t
read_into(int fd, struct evbuffer *in, size_t room)
{
	struct evbuffer_iovec v[2];
	evbuffer_unfreeze(in, 0);
	int n = evbuffer_reserve_space(in, (ev_ssize_t)room, v, 2);
	if (n <= 0) {
		evbuffer_freeze(in, 0);
		errno = ENOMEM;
		return -1;
	}
	size_t want = 0;
	for (int i = 0; i < n; i++) {
		if (want + v[i].iov_len > room)
			v[i].iov_len = room - want;
		want += v[i].iov_len;
	}
	ssize_t r;
	do
		r = sock_readv(fd, (struct iovec *)v, n);
	while (r < 0 && errno == EINTR);
	int err = errno;
	size_t got = r > 0 ? (size_t)r : 0;
	int used = 0;
	for (; used < n && got > 0; used++) {
		size_t take = got < v[used].iov_len ? got : v[used].iov_len;
		v[used].iov_len = take;
		got -= take;
	}
	evbuffer_commit_space(in, v, used);
	evbuffer_freeze(in, 0);
	errno = err;
	return r;
}

/* The read event of a plain socket half (half_go_direct), in place of
 * libevent's: what libevent's socket bufferevent does on EV_READ, without
 * the FIONREAD it asks before every read and without stopping at 4 KiB.
 * A full first read means more is waiting: the rest, up to the input's high
 * watermark, comes in a second readv in the same turn.  Then the same
 * callbacks libevent would run: the read callback, or on EOF or an error
 * the event callback with reading disabled.  The bufferevent is referenced
 * meanwhile, as libevent does, so a callback may free it. */
static void
half_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bufferevent *bev = arg;   /* libevent's finalizer expects it here */
	(void)what;   /* no read timeouts are set on these bufferevents */
	size_t max = 0;
	bufferevent_getwatermark(bev, EV_READ, NULL, &max);   /* half_size_buffers' */
	if (max == 0)
		max = FIRST_READ;
	bufferevent_data_cb readcb;
	bufferevent_event_cb eventcb;
	void *cbarg;
	bufferevent_getcb(bev, &readcb, NULL, &eventcb, &cbarg);
	bufferevent_incref(bev);
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t have = evbuffer_get_length(in);
	size_t room = have < max ? max - have : 0;
	ssize_t r = read_into(fd, in, room < FIRST_READ && room > 0 ? room : FIRST_READ);
	if (r == FIRST_READ && have + FIRST_READ < max) {
		int err = errno;
		if (read_into(fd, in, max - have - FIRST_READ) < 0)
			errno = err;   /* nothing more now; EOF or an error is met next turn */
	}
	if (r > 0) {
		if (readcb)
			readcb(bev, cbarg);
	} else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
		int err = errno;
		bufferevent_disable(bev, EV_READ);
		errno = err;
		if (eventcb)
			eventcb(bev, BEV_EVENT_READING | (r == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR), cbarg);
	}
	bufferevent_decref(bev);
}

void
half_go_direct(struct half *h, struct half_flusher *f)
{
	h->direct = 1;
	h->flusher = f;
	/* the bufferevent's own read event, given our callback; libevent's
	 * enabling, disabling and watermark suspension go on working on it */
	struct event *ev = &h->bev->ev_read;
	int pending = event_pending(ev, EV_READ, NULL);
	if (pending)
		event_del(ev);
	event_assign(ev, bufferevent_get_base(h->bev), bufferevent_getfd(h->bev),
	    EV_READ | EV_PERSIST | EV_FINALIZE, half_read_cb, h->bev);
	if (pending)
		event_add(ev, NULL);
}

void
half_tls_established(struct half *h, struct half_flusher *f)
{
	h->tls_direct = 1;
	h->flusher = f;
}

/* ---- TLS read-ahead ----
 * Without read-ahead OpenSSL reads a record's 5-byte header, then its body:
 * two read(2) per record, every request and every 16 KB of an upload.
 * With it, one read takes what is waiting, several records at once.  But
 * libevent 2.1's TLS bufferevent only goes on reading while SSL_pending()
 * (decrypted bytes of the current record) says so: whole records already
 * read from the socket into OpenSSL's buffer would wait for the socket to
 * become readable again, which it may never do (the client waits for our
 * answer).  So whenever reading may go on and OpenSSL holds unprocessed
 * bytes, the bufferevent's read event is made active by hand: after each
 * read callback, when the input is drained, and when reading resumes. */
#define TLS_READ_AHEAD_BUF (64u << 10)

static void
tls_kick(struct half *h)
{
	if (!h->tls_ahead || h->bev == NULL || h->eof ||
	    !(bufferevent_get_enabled(h->bev) & EV_READ))
		return;
	SSL *ssl = bufferevent_openssl_get_ssl(h->bev);
	if (ssl != NULL && (h->tls_ended || SSL_has_pending(ssl)))
		event_active(&h->bev->ev_read, EV_READ, 1);
}

static void
tls_input_cb(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	(void)in;
	if (info->n_deleted > 0)
		tls_kick(arg);
}

void
half_tls_read_ahead(struct half *h)
{
	SSL *ssl = bufferevent_openssl_get_ssl(h->bev);
	if (ssl == NULL || evbuffer_add_cb(bufferevent_get_input(h->bev), tls_input_cb, h) == NULL)
		return;   /* without the kick, read-ahead could stall: leave it off */
	SSL_set_default_read_buffer_len(ssl, TLS_READ_AHEAD_BUF);
	SSL_set_read_ahead(ssl, 1);
	h->tls_ahead = 1;
}

void
half_after_read(struct half *h)
{
	tls_kick(h);
}

/* One TLS record's plaintext at most */
#define TLS_RECORD_MAX 16384

size_t
half_tls_read_more(struct half *h)
{
	if (!h->tls_ahead || h->bev == NULL || h->eof || !(bufferevent_get_enabled(h->bev) & EV_READ))
		return 0;
	SSL *ssl = bufferevent_openssl_get_ssl(h->bev);
	struct evbuffer *in = bufferevent_get_input(h->bev);
	size_t high = 0, got = 0;
	bufferevent_getwatermark(h->bev, EV_READ, NULL, &high);
	while (ssl != NULL && !h->tls_ended && SSL_has_pending(ssl)) {
		size_t have = evbuffer_get_length(in);
		if (high == 0 || have >= high)
			break;
		size_t room = high - have < TLS_RECORD_MAX ? high - have : TLS_RECORD_MAX;
		struct evbuffer_iovec v;
		/* (a TLS bufferevent does not freeze its input's end) */
		if (evbuffer_reserve_space(in, (ev_ssize_t)room, &v, 1) < 1)
			break;
		int r = SSL_read(ssl, v.iov_base, (int)(v.iov_len < room ? v.iov_len : room));
		v.iov_len = r > 0 ? (size_t)r : 0;
		evbuffer_commit_space(in, &v, r > 0 ? 1 : 0);
		if (r <= 0) {
			/* a record still incomplete (WANT_READ) waits for the socket as
			 * libevent would.  Anything else (the peer's close_notify, an
			 * error) has to be met again by libevent's own SSL_read, which
			 * reports it; the socket will not wake it, so every kick
			 * (tls_kick) asks for that read until the end is reported.  A
			 * read asked for only now would be lost if the caller stops
			 * reading before it runs (a paused stream): docker exec -i's
			 * close_notify was, 2 times in 40, and the exec never ended. */
			if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ) {
				h->tls_ended = 1;
				event_active(&h->bev->ev_read, EV_READ, 1);
			}
			break;
		}
		got += (size_t)r;
	}
	return got;
}

void
half_pause(struct half *h, int pause)
{
	if (h->bev == NULL || (int)h->paused == !!pause)
		return;
	h->paused = !!pause;
	if (pause)
		bufferevent_disable(h->bev, EV_READ);
	else if (!h->eof && !h->spliced) {
		bufferevent_enable(h->bev, EV_READ);
		tls_kick(h);
	}
}

void
half_splice_begin(struct half *h)
{
	h->spliced = 1;
	h->paused = 0;
	bufferevent_disable(h->bev, EV_READ);
}

void
half_splice_end(struct half *h)
{
	h->spliced = 0;
	if (h->bev && !h->eof)
		bufferevent_enable(h->bev, EV_READ);
}

void
half_stop_reading(struct half *h)
{
	if (h->bev)
		bufferevent_disable(h->bev, EV_READ);
}

void
half_release_idle_input(struct half *h)
{
	if (h->bev == NULL)
		return;
	struct evbuffer *in = bufferevent_get_input(h->bev);
	if (evbuffer_get_length(in) != 0)
		return;
	/* draining everything frees every chain, the empty reserved one too;
	 * there is no call for that alone, so give it one byte to drain */
	evbuffer_add(in, "", 1);
	evbuffer_drain(in, 1);
}

void
half_notify_when_flushed(struct half *h)
{
	half_flush_now(h);
	if (h->bev == NULL)
		return;
	bufferevent_setwatermark(h->bev, EV_WRITE, 0, 0);
	/* the parked bytes were all that was left and the socket took them: no
	 * write of the bufferevent's will run the callback, so have it run
	 * from the loop (never on this stack) */
	if (evbuffer_get_length(bufferevent_get_output(h->bev)) == 0)
		bufferevent_trigger(h->bev, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
}

/* SSL_write what it takes of the first n bytes of src, draining them; stops
 * at the first write that does not complete.  A write that would block
 * leaves its record pending in OpenSSL: the bufferevent retries it with the
 * same bytes first in its output (they are moved there next, whole), which
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows.  An error is left for the
 * bufferevent's own write to meet and report. */
static size_t
tls_write_now(struct half *h, struct evbuffer *src, size_t n)
{
	SSL *ssl = bufferevent_openssl_get_ssl(h->bev);
	size_t done = 0;
	if (ssl == NULL)
		return 0;
	while (done < n) {
		struct evbuffer_iovec v;
		if (evbuffer_peek(src, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			break;
		int len = (int)(v.iov_len < n - done ? v.iov_len : n - done);
		ERR_clear_error();
		int w = SSL_write(ssl, v.iov_base, len);
		if (w <= 0) {
			ERR_clear_error();
			break;
		}
		evbuffer_drain(src, (size_t)w);
		done += (size_t)w;
		if (w < len)
			break;
	}
	return done;
}

/* ---- sends put off to the end of the turn (struct half_flusher) ---- */

void
half_flush_now(struct half *h)
{
	if (!h->queued)
		return;
	struct half_flusher *f = h->flusher;
	TAILQ_REMOVE(&f->queue, h, flush_link);
	h->queued = 0;
	size_t n = evbuffer_get_length(h->parked);
	if (h->bev != NULL && n > 0) {
		if (h->tls_direct) {
			/* one record (and one write) for what fits in one */
			if (n <= TLS_RECORD_MAX)
				evbuffer_pullup(h->parked, -1);
			n -= tls_write_now(h, h->parked, n);
		}
		while (!h->tls_direct && n > 0) {
			int w = sock_send_atmost(bufferevent_getfd(h->bev), h->parked, n);
			if (w <= 0)
				break;
			n -= (size_t)w;
		}
		/* the rest (or a broken connection) is the bufferevent's, as in
		 * half_send */
		if (n > 0)
			evbuffer_add_buffer(bufferevent_get_output(h->bev), h->parked);
	}
	/* emptied (unless the connection is gone): kept for the next sends */
	if (evbuffer_get_length(h->parked) == 0 && f->nspare < HALF_FLUSH_SPARES)
		f->spare[f->nspare++] = h->parked;
	else
		evbuffer_free(h->parked);
	h->parked = NULL;
}

static void
flusher_cb(evutil_socket_t fd, short what, void *arg)
{
	struct half_flusher *f = arg;
	struct half *h;
	(void)fd;
	(void)what;
	/* sending calls no callback of ours: no half leaves the queue meanwhile
	 * but the one being sent */
	while ((h = TAILQ_FIRST(&f->queue)) != NULL)
		half_flush_now(h);
}

int
half_flusher_init(struct half_flusher *f, struct event_base *base)
{
	TAILQ_INIT(&f->queue);
	f->nspare = 0;
	f->ev = event_new(base, -1, 0, flusher_cb, f);
	return f->ev != NULL ? 0 : -1;
}

void
half_flusher_free(struct half_flusher *f)
{
	if (f->ev == NULL)
		return;
	flusher_cb(-1, 0, f);
	event_free(f->ev);
	f->ev = NULL;
	while (f->nspare > 0)
		evbuffer_free(f->spare[--f->nspare]);
}

/* What half_send parks at most: a request, an answer, a TLS record's worth.
 * Bigger pieces are a stream's, sent at once so that the peer works on them
 * while the turn goes on (an mTLS upload was 1-5% slower when its pieces
 * waited for the turn's end). */
#define PARK_MAX (16u << 10)

/* Park the first n bytes of src on h, to be sent at the end of the turn;
 * -1 when that cannot be done (no flusher, out of memory) */
static int
park(struct half *h, struct evbuffer *src, size_t n)
{
	struct half_flusher *f = h->flusher;
	if (f == NULL || f->ev == NULL)
		return -1;
	if (h->parked == NULL &&
	    (h->parked = f->nspare > 0 ? f->spare[--f->nspare] : evbuffer_new()) == NULL)
		return -1;
	if (n == evbuffer_get_length(src) ? evbuffer_add_buffer(h->parked, src) != 0
	    : evbuffer_remove_buffer(src, h->parked, n) != (int)n)
		return -1;
	if (!h->queued) {
		TAILQ_INSERT_TAIL(&f->queue, h, flush_link);
		h->queued = 1;
		event_active(f->ev, EV_WRITE, 0);   /* once the turn's other callbacks ran */
	}
	return 0;
}

void
half_send(struct half *h, struct evbuffer *src, size_t n)
{
	struct evbuffer *out = bufferevent_get_output(h->bev);
	if (n > evbuffer_get_length(src))
		n = evbuffer_get_length(src);
	if (n == 0)
		return;
	if ((h->direct || h->tls_direct) && !h->shut_pending && evbuffer_get_length(out) == 0 &&
	    (bufferevent_get_enabled(h->bev) & EV_WRITE)) {
		/* small pieces wait for the turn's end; a stream's pieces go at once
		 * (the peer starts on them while we read on), what is parked first */
		if (n <= PARK_MAX && park(h, src, n) == 0)
			return;
		half_flush_now(h);
		if (evbuffer_get_length(out) > 0) {
			/* the socket did not take the parked bytes: the rest goes after them */
		} else if (h->tls_direct) {
			n -= tls_write_now(h, src, n);
		} else {
			int w = sock_send_atmost(bufferevent_getfd(h->bev), src, n);
			if (w > 0)
				n -= (size_t)w;
		}
	}
	if (n == 0)
		return;
	half_flush_now(h);   /* anything parked goes first (writing was disabled since) */
	if (n == evbuffer_get_length(src))
		evbuffer_add_buffer(out, src);
	else
		evbuffer_remove_buffer(src, out, n);
}

struct evbuffer *
half_scratch(void)
{
	static struct evbuffer *scratch;
	if (scratch == NULL)
		scratch = evbuffer_new();
	return scratch;
}

void
half_send_scratch(struct half *h)
{
	struct evbuffer *b = half_scratch();
	if (h->bev != NULL)
		half_send(h, b, evbuffer_get_length(b));
	evbuffer_drain(b, evbuffer_get_length(b));
}

int
half_move_all(struct half *from, struct half *to, size_t max, uint64_t *count)
{
	struct evbuffer *in = bufferevent_get_input(from->bev);
	struct evbuffer *out = bufferevent_get_output(to->bev);
	size_t n = evbuffer_get_length(in);
	if (n > 0) {
		half_send(to, in, n);
		*count += n;
	}
	/* parked bytes count; when they fill the output, they go to the
	 * bufferevent now, whose write callback resumes the reader */
	size_t parked = to->queued ? evbuffer_get_length(to->parked) : 0;
	if (evbuffer_get_length(out) + parked < max)
		return 0;
	half_flush_now(to);
	return evbuffer_get_length(out) >= max;
}

int
half_shut_write(struct half *h)
{
	if (half_out_len(h) > 0) {
		h->shut_pending = 1;
		half_notify_when_flushed(h);
		return 0;
	}
	h->shut_pending = 0;
	shutdown(bufferevent_getfd(h->bev), SHUT_WR);
	return 1;
}

int
half_arm_timer(struct half *h, struct event_base *base, event_callback_fn cb, void *arg, long ms)
{
	if (h->timer == NULL && (h->timer = evtimer_new(base, cb, arg)) == NULL)
		return -1;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	return evtimer_add(h->timer, &tv);
}

void
half_disarm_timer(struct half *h)
{
	if (h->timer)
		evtimer_del(h->timer);
}

void
half_drop_connection(struct half *h)
{
	/* parked bytes get the one try a direct send gave them before */
	half_flush_now(h);
	if (h->parked != NULL)
		evbuffer_free(h->parked);
	h->parked = NULL;
	h->flusher = NULL;
	if (h->bev)
		bufferevent_free(h->bev);
	h->bev = NULL;
	h->paused = 0;
	h->eof = 0;
	h->shut_pending = 0;
	h->spliced = 0;
	h->direct = 0;
	h->tls_direct = 0;
	h->tls_ahead = 0;
	h->tls_ended = 0;
}

void
half_free(struct half *h)
{
	half_drop_connection(h);
	if (h->timer)
		event_free(h->timer);
	h->timer = NULL;
}
