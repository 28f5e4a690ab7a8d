/* session.c - the proxied exchange: client half <-> upstream half.
 *
 * This file owns a session's life: accept and identity, the two state
 * machines (changed only through sess_set_client_state() and
 * sess_set_upstream_state()), timers, the bufferevent callbacks, and the one
 * teardown path, session_close(), which logs the reason once and frees from
 * the event loop so no object goes away under its own callback.
 *
 * Bytes move as evbuffer chains.  Backpressure: a side stops reading when
 * the other side's output holds limits.max_buffer_bytes, and resumes from
 * the write callback when it has drained below half of that. */
#include "daemon/session_int.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "daemon/config.h"
#include "daemon/http_error.h"
#include "daemon/lookup.h"
#include "daemon/metrics.h"
#include "daemon/server.h"
#include "daemon/tls.h"

/* The last bytes for a client go out within DRAIN_IDLE_SEC of progress;
 * a client that stopped reading (or vanished without a word) is dropped. */
#define DRAIN_IDLE_SEC 30

/* After an early answer the client may still be sending its request (a
 * build context, an oversize body).  Closing at once would reset the
 * connection and the client would report "broken pipe" instead of our
 * message, so read and discard for a while, bounded in bytes and time,
 * the way httpd's lingering close does. */
#define LINGER_IDLE_MS 1000
#define LINGER_MAX_SEC 10
#define LINGER_MAX_BYTES (64u << 20)

static void arm_drain_timer(struct session *s);
static void arm_linger_timer(struct session *s);
static void linger_discard(struct session *s);
static int request_consumed(const struct session *s);
static void pump_upstream(struct session *s);
static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_write_cb(struct bufferevent *bev, void *arg);
static void on_client_eof(struct session *s, const char *why);
static void client_event_cb(struct bufferevent *bev, short what, void *arg);
static void on_upstream_gone(struct session *s, const char *why);
static void head_timeout_cb(evutil_socket_t fd, short what, void *arg);
static void reap_cb(evutil_socket_t fd, short what, void *arg);
static void unix_identity(struct session *s, evutil_socket_t fd);

static const char *const client_state_names[] = {
	"handshake", "idle", "head", "body-buffer", "lookup", "wait-upstream",
	"body-stream", "req-sent", "raw", "raw-shut", "linger", "drain", "closed",
};
static const char *const upstream_state_names[] = {
	"none", "connecting", "idle", "resp-head", "resp-body", "raw", "raw-shut", "closed",
};

const char *client_state_name(enum client_state st) { return client_state_names[st]; }
const char *upstream_state_name(enum upstream_state st) { return upstream_state_names[st]; }

void
sess_slog(struct session *s, enum log_level lvl, const char *fmt, ...)
{
	if (lvl > log_threshold)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_msg(lvl, "conn=%llu listener=%s id=\"%s\" %s", (unsigned long long)s->id,
	    s->lst ? s->lst->name : "-", s->ident.display[0] ? s->ident.display : "-", msg);
}

void
sess_set_client_state(struct session *s, enum client_state st)
{
	if (s->cstate == st)
		return;
	log_debug("conn=%llu client %s -> %s", (unsigned long long)s->id,
	    client_state_names[s->cstate], client_state_names[st]);
	s->cstate = st;
	if (st == C_DRAIN)
		arm_drain_timer(s);   /* a final answer must not wait forever */
}

void
sess_set_upstream_state(struct session *s, enum upstream_state st)
{
	if (s->ustate == st)
		return;
	log_debug("conn=%llu upstream %s -> %s", (unsigned long long)s->id,
	    upstream_state_names[s->ustate], upstream_state_names[st]);
	s->ustate = st;
}

size_t
sess_max_buffer(const struct session *s)
{
	return (size_t)s->cfg->max_buffer_bytes;
}

struct evbuffer *
sess_client_out(struct session *s)
{
	return bufferevent_get_output(s->cbev);
}

void
sess_arm_head_timer(struct session *s)
{
	struct timeval tv = { s->cfg->header_timeout_ms / 1000,
		(s->cfg->header_timeout_ms % 1000) * 1000 };
	evtimer_add(s->timer, &tv);
}

static void
arm_drain_timer(struct session *s)
{
	struct timeval tv = { DRAIN_IDLE_SEC, 0 };
	s->drain_left = s->cbev ? evbuffer_get_length(bufferevent_get_output(s->cbev)) : 0;
	evtimer_add(s->timer, &tv);
}

void
sess_pause_client(struct session *s, int pause)
{
	if (s->client_paused == pause || s->cbev == NULL)
		return;
	s->client_paused = pause;
	if (pause)
		bufferevent_disable(s->cbev, EV_READ);
	else if (!s->client_eof)
		bufferevent_enable(s->cbev, EV_READ);
}

void
sess_pause_upstream(struct session *s, int pause)
{
	if (s->upstream_paused == pause || s->ubev == NULL)
		return;
	s->upstream_paused = pause;
	if (pause)
		bufferevent_disable(s->ubev, EV_READ);
	else
		bufferevent_enable(s->ubev, EV_READ);
}

/* Lookups run on connections of their own: only the end of the request
 * they serve (an answer of ours, or the session's close) cancels them, never
 * the loss of the client's engine connection. */
static void
cancel_lookups(struct session *s)
{
	for (size_t i = 0; i < POL_MAX_LOOKUPS; i++) {
		if (s->pending[i]) {
			lookup_cancel(s->pending[i]);
			s->pending[i] = NULL;
		}
	}
}

void
sess_drop_upstream(struct session *s)
{
	if (s->ubev) {
		bufferevent_free(s->ubev);
		s->ubev = NULL;
	}
	s->upstream_paused = 0;
	sess_set_upstream_state(s, U_NONE);
}

/* Backpressure and I/O sizes for one half: stop reading at max_buffer_bytes,
 * resume below half of it, and move up to half of it per read or write
 * (libevent's default is 16 KiB, which costs many syscalls on a 2 GiB load). */
void
sess_size_buffers(struct session *s, struct bufferevent *bev)
{
	size_t max = sess_max_buffer(s);
	bufferevent_setwatermark(bev, EV_READ, 0, max);
	bufferevent_setwatermark(bev, EV_WRITE, max / 2, 0);
	bufferevent_set_max_single_read(bev, max / 2);
	bufferevent_set_max_single_write(bev, max / 2);
}

static void
arm_linger_timer(struct session *s)
{
	struct timeval tv = { LINGER_IDLE_MS / 1000, (LINGER_IDLE_MS % 1000) * 1000 };
	evtimer_add(s->timer, &tv);
}

/* Lingering is over: what is left is to flush our answer, then close. */
static void
end_linger(struct session *s, const char *why)
{
	if (evbuffer_get_length(sess_client_out(s)) == 0) {
		session_close(s, why);
		return;
	}
	bufferevent_disable(s->cbev, EV_READ);
	sess_set_client_state(s, C_DRAIN);
	bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
}

void
sess_enter_linger(struct session *s)
{
	struct timeval now, max = { LINGER_MAX_SEC, 0 };
	gettimeofday(&now, NULL);
	timeradd(&now, &max, &s->linger_until);
	s->linger_bytes = 0;
	sess_set_client_state(s, C_LINGER);
	sess_pause_client(s, 0);
	bufferevent_enable(s->cbev, EV_READ);
	arm_linger_timer(s);
	sess_pump_client(s);
}

static void
linger_discard(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->cbev);
	size_t n = evbuffer_get_length(in);
	struct timeval now;
	evbuffer_drain(in, n);
	s->linger_bytes += n;
	gettimeofday(&now, NULL);
	if (s->linger_bytes > LINGER_MAX_BYTES || timercmp(&now, &s->linger_until, >))
		end_linger(s, "answered early (client kept sending)");
	else if (n > 0)
		arm_linger_timer(s);
}

/* Write a final answer and close once it is flushed. */
void
sess_reply_and_close(struct session *s, int status, const char *msg)
{
	snprintf(s->reply_msg, sizeof s->reply_msg, "%s", msg);
	s->bytes_out += http_error_write(sess_client_out(s), status, msg, 1);
	s->resp.status = status;
	sess_finish_request(s, "rejected");
	cancel_lookups(s);
	sess_drop_upstream(s);
	if (!s->client_eof && !s->req_complete && s->cstate != C_HANDSHAKE) {
		sess_enter_linger(s);
		return;
	}
	sess_set_client_state(s, C_DRAIN);
	bufferevent_disable(s->cbev, EV_READ);
	bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(sess_client_out(s)) == 0)
		session_close(s, "rejected request");
}

void
sess_start_idle(struct session *s)
{
	http_req_next(&s->req);
	s->in_request = 0;
	s->req_complete = 0;
	s->resp_started = 0;
	s->req_inspect = 0;
	if (s->body)
		evbuffer_drain(s->body, evbuffer_get_length(s->body));
	sess_set_client_state(s, C_IDLE);
	sess_arm_head_timer(s);
}

/* Can the connection go on after answering this request ourselves?  Only
 * when no unread request bytes stand between us and the next request. */
static int
request_consumed(const struct session *s)
{
	return s->req_complete;
}

/* Answer the current request ourselves (deny, 502) and go on with the next
 * one, or close when the rest of the request cannot be skipped. */
void
sess_reply_and_continue(struct session *s, int status, const char *msg, const char *outcome)
{
	if (!request_consumed(s)) {
		sess_reply_and_close(s, status, msg);
		return;
	}
	/* the last answer on this connection says so */
	int last = !s->req_keepalive || s->client_eof || s->srv->draining;
	snprintf(s->reply_msg, sizeof s->reply_msg, "%s", msg);
	s->bytes_out += http_error_write(sess_client_out(s), status, msg, last);
	s->resp.status = status;
	sess_finish_request(s, outcome);
	if (last) {
		sess_set_client_state(s, C_DRAIN);
		bufferevent_disable(s->cbev, EV_READ);
		bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(sess_client_out(s)) == 0)
			session_close(s, "done");
		return;
	}
	sess_start_idle(s);
	sess_pump_client(s);
}

void
sess_pump_client(struct session *s)
{
	if (s->closing)
		return;
	if (s->cstate == C_RAW) {
		if (s->ubev)
			sess_relay_raw(s, s->cbev, s->ubev, 0);
		return;
	}
	if (s->cstate == C_LINGER) {
		linger_discard(s);
		return;
	}
	sess_parse_client(s);
}

static void
pump_upstream(struct session *s)
{
	if (!s->closing && s->ubev)
		sess_parse_upstream(s);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	sess_pump_client(arg);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (s->closing)
		return;
	if (s->cstate == C_DRAIN) {
		if (evbuffer_get_length(sess_client_out(s)) == 0)
			session_close(s, s->srv->draining ? "shutdown" : "done");
		return;
	}
	/* client output drained below the low watermark: resume the engine */
	if (s->upstream_paused) {
		sess_pause_upstream(s, 0);
		pump_upstream(s);
	}
}

static void
on_client_eof(struct session *s, const char *why)
{
	s->client_eof = 1;
	switch (s->cstate) {
	case C_RAW:
		/* half-close: pass it on, keep relaying the engine's output */
		sess_relay_raw(s, s->cbev, s->ubev, 0);
		sess_set_client_state(s, C_RAW_SHUT);
		sess_half_close_upstream(s);
		break;
	case C_RAW_SHUT:
		break;
	case C_HANDSHAKE:
	case C_IDLE:
		session_close(s, why);
		break;
	case C_LINGER:
		end_linger(s, "answered early");
		break;
	case C_HEAD:
	case C_BODY_BUFFER:
	case C_BODY_STREAM:
		/* parse whatever arrived before the EOF first */
		sess_parse_client(s);
		if (!s->closing && !s->req_complete)
			session_close(s, "client closed mid-request");
		else if (!s->closing)
			sess_half_close_upstream(s);
		break;
	default:
		/* request complete: the answer still goes out, then we close */
		if (s->req_complete)
			sess_half_close_upstream(s);
		break;
	}
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (s->closing)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		/* TLS handshake done: the verified certificate is the identity */
		SSL *ssl = bufferevent_openssl_get_ssl(s->cbev);
		if (ssl == NULL || tls_identity(ssl, &s->ident) != 0) {
			session_close(s, "client certificate missing or not verified");
			return;
		}
		sess_slog(s, LOG_LVL_DEBUG, "TLS %s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
		sess_start_idle(s);
		sess_pump_client(s);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		on_client_eof(s, "client closed");
		/* OpenSSL's bufferevent stops writing when it sees the peer's
		 * close; restart it so pending output is flushed (a half-closed
		 * client still reads) or fails (a vanished one), either way the
		 * exchange can end */
		if (!s->closing && s->tls)
			bufferevent_enable(s->cbev, EV_WRITE);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		char why[256];
		unsigned long e = s->tls ? bufferevent_get_openssl_error(s->cbev) : 0;
		if (e) {
			char buf[200];
			ERR_error_string_n(e, buf, sizeof buf);
			snprintf(why, sizeof why, "client TLS error: %s", buf);
		} else {
			snprintf(why, sizeof why, "client error: %s",
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		}
		if (s->cstate == C_RAW && !s->client_eof) {
			/* a reset on a hijacked stream is still the end of input */
			on_client_eof(s, why);
			return;
		}
		session_close(s, why);
	}
}

void
sess_upstream_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	pump_upstream(arg);
}

void
sess_upstream_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (s->closing)
		return;
	if (s->shut_upstream_pending) {
		sess_half_close_upstream(s);
		return;
	}
	if (s->client_paused) {
		sess_pause_client(s, 0);
		sess_pump_client(s);
	}
}

static void
on_upstream_gone(struct session *s, const char *why)
{
	switch (s->ustate) {
	case U_CONNECTING: {
		char msg[300];
		snprintf(msg, sizeof msg, "sockward: the Docker engine at %s is not reachable: %s",
		    server_upstream(s->srv), why);
		sess_slog(s, LOG_LVL_WARN, "upstream connect failed: %s", why);
		metrics_upstream_error("connect");
		sess_drop_upstream(s);
		sess_reply_and_continue(s, 502, msg, "upstream-down");
		break;
	}
	case U_IDLE:
		sess_drop_upstream(s);   /* the engine closed an idle keep-alive connection */
		break;
	case U_RESP_HEAD:
	case U_RESP_BODY:
		pump_upstream(s);   /* whatever is still buffered */
		if (s->closing || s->ustate == U_NONE || s->ustate == U_IDLE || s->ustate == U_RAW)
			break;
		if (s->resp_started && http_resp_finish(&s->resp) && s->resp.paused_at == PAUSE_DONE) {
			/* EOF-delimited body: the client needs the EOF too */
			s->client_eof = 1;
			s->req_keepalive = 0;
			sess_drop_upstream(s);
			sess_on_response_complete(s);
			break;
		}
		metrics_upstream_error("closed");
		if (s->holding)
			sess_release_hold(s, 0);
		if (!s->resp_started) {
			sess_reply_and_close(s, 502, "sockward: the Docker engine closed the connection");
		} else {
			sess_finish_request(s, "truncated");
			sess_drop_upstream(s);
			sess_set_client_state(s, C_DRAIN);
			bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
			if (evbuffer_get_length(sess_client_out(s)) == 0)
				session_close(s, "engine closed mid-response");
		}
		break;
	case U_RAW:
	case U_RAW_SHUT:
		sess_relay_raw(s, s->ubev, s->cbev, 1);
		sess_finish_request(s, "ok");
		sess_drop_upstream(s);
		sess_set_client_state(s, C_DRAIN);
		bufferevent_disable(s->cbev, EV_READ);
		bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(sess_client_out(s)) == 0)
			session_close(s, "stream ended");
		break;
	default:
		sess_drop_upstream(s);
		break;
	}
}

void
sess_upstream_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (s->closing)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		sess_set_upstream_state(s, U_IDLE);
		if (s->cstate == C_WAIT_UPSTREAM)
			sess_send_request_head(s);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		const char *why = (what & BEV_EVENT_EOF) ? "closed by engine"
		    : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
		on_upstream_gone(s, why);
	}
}

static void
head_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	(void)fd; (void)what;
	if (s->cstate == C_LINGER) {
		end_linger(s, "answered early");
		return;
	}
	if (s->cstate == C_DRAIN) {
		size_t left = evbuffer_get_length(sess_client_out(s));
		if (left > 0 && left < s->drain_left)
			arm_drain_timer(s);   /* slow but moving */
		else
			session_close(s, "client stopped reading");
		return;
	}
	if (s->cstate == C_BODY_BUFFER) {
		/* an inspected body is buffered whole before anything moves:
		 * it gets one more header_timeout_ms, not forever */
		sess_reply_and_close(s, 408, "sockward: request body timeout");
		return;
	}
	if (s->cstate == C_HANDSHAKE || s->cstate == C_IDLE || s->cstate == C_HEAD)
		session_close(s, s->cstate == C_HEAD ? "request head timeout" :
		    s->cstate == C_HANDSHAKE ? "TLS handshake timeout" : "idle timeout");
}

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	(void)fd; (void)what;
	if (s->cbev) {
		if (s->tls) {
			/* send close_notify so TLS clients see a clean end of stream */
			SSL *ssl = bufferevent_openssl_get_ssl(s->cbev);
			if (ssl && SSL_is_init_finished(ssl))
				SSL_shutdown(ssl);
		}
		bufferevent_free(s->cbev);
	}
	if (s->ubev)
		bufferevent_free(s->ubev);
	event_free(s->timer);
	event_free(s->reaper);
	http_req_free(&s->req);
	if (s->body)
		evbuffer_free(s->body);
	if (s->hold)
		evbuffer_free(s->hold);
	if (s->hold_body)
		evbuffer_free(s->hold_body);
	metrics_connection_closed();
	server_session_gone(s->srv, s);
	config_unref(s->cfg);
	free(s);
}

void
session_close(struct session *s, const char *reason)
{
	if (s->closing)
		return;
	s->closing = 1;
	sess_finish_request(s, "aborted");
	sess_clear_decision(s);
	cancel_lookups(s);
	if (s->hijacked) {
		s->srv->nhijacked--;
		metrics_hijack_ended();
	}
	sess_slog(s, LOG_LVL_INFO, "closed: %s", reason);
	sess_set_client_state(s, C_CLOSED);
	sess_set_upstream_state(s, U_CLOSED);
	if (s->cbev)
		bufferevent_disable(s->cbev, EV_READ | EV_WRITE);
	if (s->ubev)
		bufferevent_disable(s->ubev, EV_READ | EV_WRITE);
	evtimer_del(s->timer);
	event_active(s->reaper, EV_TIMEOUT, 0);
}

void
session_drain(struct session *s)
{
	if (s->closing)
		return;
	if ((s->cstate == C_IDLE || s->cstate == C_HANDSHAKE) &&
	    evbuffer_get_length(bufferevent_get_input(s->cbev)) == 0)
		session_close(s, "shutdown");
	/* others finish their exchange; sess_on_response_complete sees draining */
}

static void
unix_identity(struct session *s, evutil_socket_t fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	s->ident.kind = SW_ID_UNIX;
	s->ident.uid = s->ident.gid = s->ident.pid = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		s->ident.uid = cred.uid;
		s->ident.gid = cred.gid;
		s->ident.pid = cred.pid;
		char buf[4096];
		struct passwd pw, *pwp = NULL;
		if (getpwuid_r(cred.uid, &pw, buf, sizeof buf, &pwp) == 0 && pwp)
			snprintf(s->ident.user, sizeof s->ident.user, "%s", pw.pw_name);
		struct group gr, *grp = NULL;
		if (getgrgid_r(cred.gid, &gr, buf, sizeof buf, &grp) == 0 && grp)
			snprintf(s->ident.group, sizeof s->ident.group, "%s", gr.gr_name);
	}
	sw_identity_format(&s->ident);
}

void
session_new(struct server *srv, struct listener *lst, evutil_socket_t fd,
    const struct sockaddr *sa, int salen)
{
	(void)salen;
	struct session *s = calloc(1, sizeof *s);
	if (s == NULL) {
		evutil_closesocket(fd);
		return;
	}
	s->id = ++srv->next_conn_id;
	s->srv = srv;
	s->lst = lst;
	s->cfg = config_ref(srv->cfg);
	http_req_init(&s->req, (size_t)s->cfg->max_header_bytes);
	s->timer = evtimer_new(srv->base, head_timeout_cb, s);
	s->reaper = event_new(srv->base, -1, 0, reap_cb, s);
	TAILQ_INSERT_TAIL(&srv->sessions, s, link);
	srv->nsessions++;
	metrics_connection_opened();

	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		snprintf(s->peer, sizeof s->peer, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		snprintf(s->peer, sizeof s->peer, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(s->peer, sizeof s->peer, "unix");
	}

	if (srv->nsessions > (size_t)s->cfg->max_connections) {
		evutil_closesocket(fd);
		s->cbev = NULL;
		sess_slog(s, LOG_LVL_WARN, "refused: %zu connections (limits.max_connections)", srv->nsessions - 1);
		s->closing = 1;
		event_active(s->reaper, EV_TIMEOUT, 0);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	if (lst->type == LISTEN_TLS) {
		SSL *ssl = SSL_new(lst->ssl_ctx);
		s->tls = 1;
		s->ident.kind = SW_ID_NONE;
		s->cbev = ssl ? bufferevent_openssl_socket_new(srv->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE) : NULL;
		if (s->cbev == NULL) {
			SSL_free(ssl);
			evutil_closesocket(fd);
		} else {
			/* a TCP FIN without close_notify is still an end of stream */
			bufferevent_openssl_set_allow_dirty_shutdown(s->cbev, 1);
		}
		sess_set_client_state(s, C_HANDSHAKE);
	} else {
		if (lst->type == LISTEN_UNIX) {
			unix_identity(s, fd);
		} else {
			s->ident.kind = SW_ID_INSECURE;
			s->ident.uid = s->ident.gid = s->ident.pid = -1;
			snprintf(s->ident.peer, sizeof s->ident.peer, "%s", s->peer);
			sw_identity_format(&s->ident);
		}
		s->cbev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (s->cbev == NULL)
			evutil_closesocket(fd);
		s->cstate = C_IDLE;
	}
	if (s->cbev == NULL) {
		session_close(s, "cannot set up connection");
		return;
	}
	bufferevent_setcb(s->cbev, client_read_cb, client_write_cb, client_event_cb, s);
	sess_size_buffers(s, s->cbev);
	bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
	sess_slog(s, LOG_LVL_DEBUG, "accepted from %s", s->peer);
	sess_arm_head_timer(s);
}
