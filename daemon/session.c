/* session.c - a session's states and its end.
 *
 * This file owns what every part of the session relies on: the two state
 * machines (changed only through set_client_state() and
 * set_upstream_state()), the client half's timer (one timer, dispatched by
 * state), answers sockward gives itself, lingering after an early answer,
 * drain_then_close() and the one teardown path, session_close(), which
 * logs the reason once and frees from the event loop so no object goes
 * away under its own callback.  The flow of requests and answers is in
 * session_flow.c, accepting connections in session_accept.c. */
#include "daemon/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "daemon/config.h"
#include "daemon/exchange.h"
#include "daemon/gateway.h"
#include "daemon/http_error.h"
#include "daemon/identity_pool.h"
#include "daemon/listener.h"
#include "daemon/metrics.h"
#include "daemon/splice_pump.h"

/* The last bytes for a client go out within DRAIN_IDLE_MS of progress;
 * a client that stopped reading (or vanished without a word) is dropped. */
#define DRAIN_IDLE_MS 30000

/* After an early answer the client may still be sending its request (a
 * build context, an oversize body).  Closing at once would reset the
 * connection and the client would report "broken pipe" instead of our
 * message, so read and discard for a while, bounded in bytes and time,
 * the way httpd's lingering close does. */
#define LINGER_IDLE_MS 1000
#define LINGER_MAX_SEC 10
#define LINGER_MAX_BYTES (64u << 20)

static void client_timer_cb(evutil_socket_t fd, short what, void *arg);

static const char *const client_state_names[] = {
	"new", "handshake", "idle", "head", "body-buffer", "lookup", "wait-upstream",
	"body-stream", "req-sent", "raw", "raw-shut", "linger", "drain", "closed",
};
static const char *const upstream_state_names[] = {
	"none", "connecting", "idle", "resp-head", "resp-body", "raw", "raw-shut", "closed",
};

const char *client_state_name(enum client_state st) { return client_state_names[st]; }
const char *upstream_state_name(enum upstream_state st) { return upstream_state_names[st]; }

int
session_closing(const struct session *s)
{
	return s->client.state == C_CLOSED;
}

/* The engine this session's requests go to: the command line's, or its
 * configuration's (a reload reaches a connection at its next request). */
const char *
session_upstream(const struct session *s)
{
	return s->gw->upstream_override ? s->gw->upstream_override : s->cfg->upstream_socket;
}

size_t
session_max_buffer(const struct session *s)
{
	return (size_t)s->cfg->max_buffer_bytes;
}

/* ---- the client half's timer: one timer, its job given by the state ------------ */

static void
arm_client_timer(struct session *s, long ms)
{
	if (half_arm_timer(&s->client.h, s->gw->base, client_timer_cb, s, ms) != 0)
		session_close(s, "out of memory (timer)");
}

/* Waiting for a request head or an inspected body: each gets
 * limits.header_timeout_ms; a TLS handshake limits.handshake_timeout_ms. */
void
session_arm_head_timer(struct session *s)
{
	arm_client_timer(s, s->client.state == C_HANDSHAKE ? s->cfg->handshake_timeout_ms
	    : s->cfg->header_timeout_ms);
}

static void
arm_drain_timer(struct session *s)
{
	s->client.drain_left = half_out_len(&s->client.h);
	arm_client_timer(s, DRAIN_IDLE_MS);
}

static void
drain_timer_fired(struct session *s)
{
	size_t left = half_out_len(&s->client.h);
	if (left > 0 && left < s->client.drain_left)
		arm_drain_timer(s);   /* slow but moving */
	else
		session_close(s, "client stopped reading");
}

/* Between requests.  The keep-alive wait is for the client's next request,
 * not for it to finish reading the last answer: an answer handed over whole
 * (a tenant's filtered list, the tail of a paced one) can still be on its
 * way out when the timer fires, and closing then threw it away, so a client
 * reading a 4 MiB list at under 400 KB/s got it cut.  While that output
 * moves the wait starts again; once it is out, one more full wait follows
 * (the client had at least header_timeout_ms after its answer); a client
 * that stopped reading is dropped as a draining one is. */
static void
idle_timer_fired(struct session *s)
{
	size_t left = half_out_len(&s->client.h), before = s->client.drain_left;

	s->client.drain_left = left;
	if (left > 0 && left < before)
		session_arm_head_timer(s);   /* slow but moving */
	else if (left > 0)
		session_close(s, "client stopped reading");
	else if (before > 0)
		session_arm_head_timer(s);   /* out since the last arming: a whole wait now */
	else
		session_close(s, "idle timeout");
}

static void end_linger(struct session *s, const char *why);

static void
client_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	(void)fd; (void)what;
	switch (s->client.state) {
	case C_HANDSHAKE:
		session_close(s, "TLS handshake timeout");
		break;
	case C_IDLE:
		idle_timer_fired(s);
		break;
	case C_HEAD:
		session_close(s, "request head timeout");
		break;
	case C_BODY_BUFFER:
		/* an inspected body is buffered whole before anything moves:
		 * it gets one more header_timeout_ms, not forever */
		session_reply_and_close(s, 408, "sockward: request body timeout");
		break;
	case C_LINGER:
		end_linger(s, "answered early");
		break;
	case C_DRAIN:
		drain_timer_fired(s);
		break;
	case C_REQ_SENT:
		/* armed only when the client ended its side before any answer:
		 * the engine neither answered nor cancelled in time */
		if (s->client.h.eof)
			session_close(s, "client gone; request abandoned (engine did not answer)");
		break;
	default:
		break;   /* the other states have no deadline of their own */
	}
}

/* ---- states ------------------------------------------------------------------------ */

void
set_client_state(struct session *s, enum client_state st)
{
	if (s->client.state == st)
		return;
	log_debug("conn=%llu client %s -> %s", (unsigned long long)s->facts.id,
	    client_state_names[s->client.state], client_state_names[st]);
	/* connections without an identity yet are bounded on their own
	 * (limits.max_handshakes), apart from authenticated ones */
	if (s->client.state == C_HANDSHAKE) {
		s->gw->nhandshakes--;
		TAILQ_REMOVE(&s->gw->handshakes, s, hs_link);
	} else if (st == C_HANDSHAKE) {
		s->gw->nhandshakes++;
		TAILQ_INSERT_TAIL(&s->gw->handshakes, s, hs_link);
	}
	s->client.state = st;
	if (st == C_DRAIN)
		arm_drain_timer(s);   /* a final answer must not wait forever */
}

static int
is_raw(enum upstream_state st)
{
	return st == U_RAW || st == U_RAW_SHUT;
}

/* Hijacked streams are counted by the state alone: entering the raw states
 * starts one, leaving them ends it. */
void
set_upstream_state(struct session *s, enum upstream_state st)
{
	enum upstream_state old = s->upstream.state;
	if (old == st)
		return;
	log_debug("conn=%llu upstream %s -> %s", (unsigned long long)s->facts.id,
	    upstream_state_names[old], upstream_state_names[st]);
	s->upstream.state = st;
	if (!is_raw(old) && is_raw(st)) {
		s->gw->nhijacked++;
		metrics_hijack_started();
	} else if (is_raw(old) && !is_raw(st)) {
		s->gw->nhijacked--;
		metrics_hijack_ended();
	}
}

static int is_raw(enum upstream_state st);

void
session_stop_splice(struct session *s)
{
	if (splice_pump_running(s->pump_down)) {
		uint64_t n = splice_pump_moved(s->pump_down);
		if (is_raw(s->upstream.state))
			s->stream_out += n;
		else if (s->x)
			s->x->bytes_out += n;
	}
	if (splice_pump_running(s->pump_up)) {
		uint64_t n = splice_pump_moved(s->pump_up);
		if (is_raw(s->upstream.state))
			s->stream_in += n;
		else if (s->x)
			s->x->bytes_in += n;
	}
	splice_pump_stop(s->pump_down);
	splice_pump_stop(s->pump_up);
	s->splice_wait = 0;
	s->splice_up_wait = 0;
	s->client.h.spliced = 0;
	s->upstream.h.spliced = 0;
}

void
session_drop_upstream(struct session *s)
{
	session_stop_splice(s);
	half_drop_connection(&s->upstream.h);
	set_upstream_state(s, U_NONE);
}

/* ---- the exchange's end ------------------------------------------------------------ */

static void end_exchange(struct session *s, const char *outcome, const char *why);

/* Record the request in progress (when there was one to speak of: a head,
 * or an answer of ours) and free everything it held. */
void
session_end_exchange(struct session *s, const char *outcome)
{
	end_exchange(s, outcome, outcome);
}

static void
end_exchange(struct session *s, const char *outcome, const char *why)
{
	struct exchange *x = s->x;
	if (x == NULL)
		return;
	s->x = NULL;
	if (x->head_seen || x->reply[0])
		exchange_record(x, &s->facts, s->gw->audit, outcome, why);
	exchange_free(x);
}

/* ---- ending ---------------------------------------------------------------------- */

void
drain_then_close(struct session *s, const char *reason)
{
	if (session_closing(s))
		return;
	half_stop_reading(&s->client.h);
	if (half_out_len(&s->client.h) == 0) {
		session_close(s, reason);
		return;
	}
	s->client.drain_reason = reason;
	set_client_state(s, C_DRAIN);
	half_notify_when_flushed(&s->client.h);
}

/* The client's output is empty: a draining session is done. */
void
session_flushed(struct session *s)
{
	if (s->client.state == C_DRAIN)
		session_close(s, s->client.drain_reason ? s->client.drain_reason : "answered");
}

/* Lingering is over: what is left is to flush our answer, then close. */
static void
end_linger(struct session *s, const char *why)
{
	drain_then_close(s, why);
}

void
session_linger_discard(struct session *s)
{
	struct evbuffer *in = half_in(&s->client.h);
	size_t n = evbuffer_get_length(in);
	struct timeval now;
	evbuffer_drain(in, n);
	s->client.linger_bytes += n;
	gettimeofday(&now, NULL);
	if (s->client.linger_bytes > LINGER_MAX_BYTES || timercmp(&now, &s->client.linger_until, >))
		end_linger(s, "answered early (client kept sending)");
	else if (n > 0)
		arm_client_timer(s, LINGER_IDLE_MS);
}

/* Answered before the request ended: read and discard the rest of it for a
 * bounded while (a reset would hide our answer from the client), then
 * flush and close. */
void
session_enter_linger(struct session *s)
{
	struct timeval now, max = { LINGER_MAX_SEC, 0 };
	gettimeofday(&now, NULL);
	timeradd(&now, &max, &s->client.linger_until);
	s->client.linger_bytes = 0;
	set_client_state(s, C_LINGER);
	half_pause(&s->client.h, 0);
	bufferevent_enable(s->client.h.bev, EV_READ);
	arm_client_timer(s, LINGER_IDLE_MS);
	session_linger_discard(s);
}

/* Write an answer of sockward's own for the current request. */
void
session_write_reply(struct session *s, int status, const char *msg, int last)
{
	struct evbuffer *b = half_scratch();
	size_t n = http_error_write_for(b ? b : half_out(&s->client.h), s->x ? s->x->method : NULL,
	    status, msg, last);
	if (b != NULL)
		half_send_scratch(&s->client.h);
	if (s->x) {
		exchange_set_reply(s->x, status, msg);
		s->x->bytes_out += n;
	}
}

/* Write a final answer and close once it is flushed. */
void
session_reply_and_close(struct session *s, int status, const char *msg)
{
	int request_done = s->x ? s->x->complete : 1;
	session_write_reply(s, status, msg, 1);
	session_end_exchange(s, "rejected");
	session_drop_upstream(s);
	if (!s->client.h.eof && !request_done && s->client.state != C_HANDSHAKE) {
		session_enter_linger(s);
		return;
	}
	drain_then_close(s, "rejected request");
}

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	(void)fd; (void)what;
	if (s->client.h.bev && s->lst && s->lst->type == LISTEN_TLS) {
		/* what is parked goes first: close_notify is the stream's last record */
		half_flush_now(&s->client.h);
		/* send close_notify so TLS clients see a clean end of stream */
		SSL *ssl = bufferevent_openssl_get_ssl(s->client.h.bev);
		if (ssl && SSL_is_init_finished(ssl))
			SSL_shutdown(ssl);
	}
	splice_pump_free(s->pump_down);
	splice_pump_free(s->pump_up);
	half_free(&s->client.h);
	half_free(&s->upstream.h);
	exchange_free(s->x);
	identity_release(s->facts.ident);
	metrics_connection_closed();
	TAILQ_REMOVE(&s->gw->sessions, s, link);
	s->gw->nsessions--;
	struct gateway *gw = s->gw;
	config_unref(s->cfg);
	free(s);
	if (gw->session_gone)
		gw->session_gone(gw);
}

static void
close_session(struct session *s, const char *reason, int storm)
{
	if (session_closing(s))
		return;
	session_stop_splice(s);   /* what they moved is counted below */
	end_exchange(s, "aborted", reason);
	unsigned long held;
	if (storm) {
		/* refusals come in storms (a client retrying in a loop): one
		 * line a second, with the count of those not written */
		if (log_limit_pass(&s->gw->refusals, &held))
			{
			if (held)
				conn_log(&s->facts, LOG_LVL_WARN, "closed: %s (and %lu more refused since the last such line)",
				    reason, held);
			else
				conn_log(&s->facts, LOG_LVL_WARN, "closed: %s", reason);
		}
	} else if (s->stream_in || s->stream_out) {
		metrics_bytes(s->stream_in, s->stream_out);
		conn_log(&s->facts, LOG_LVL_INFO, "closed: %s (stream in=%llu out=%llu)", reason,
		    (unsigned long long)s->stream_in, (unsigned long long)s->stream_out);
	} else {
		conn_log(&s->facts, LOG_LVL_INFO, "closed: %s", reason);
	}
	set_client_state(s, C_CLOSED);
	set_upstream_state(s, U_CLOSED);
	if (s->client.h.bev)
		bufferevent_disable(s->client.h.bev, EV_READ | EV_WRITE);
	if (s->upstream.h.bev)
		bufferevent_disable(s->upstream.h.bev, EV_READ | EV_WRITE);
	half_disarm_timer(&s->client.h);
	half_disarm_timer(&s->upstream.h);
	/* freed from the loop, never under a callback of its own */
	if (event_base_once(s->gw->base, -1, EV_TIMEOUT, reap_cb, s, NULL) != 0)
		log_error("conn=%llu cannot schedule its release: leaked", (unsigned long long)s->facts.id);
}

void
session_close(struct session *s, const char *reason)
{
	close_session(s, reason, 0);
}

void
session_refuse(struct session *s, const char *reason)
{
	close_session(s, reason, 1);
}

void
session_drain(struct session *s)
{
	if (session_closing(s))
		return;
	if (s->client.state == C_HANDSHAKE)
		session_close(s, "shutdown");
	else if (s->client.state == C_IDLE &&
	    (s->client.h.bev == NULL || evbuffer_get_length(half_in(&s->client.h)) == 0))
		drain_then_close(s, "shutdown");   /* its last answer goes out first */
	/* others finish their exchange; the flow sees gw->draining */
}
