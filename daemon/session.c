/* session.c - the proxied exchange: client half <-> upstream half.
 *
 * Bytes move as evbuffer chains.  Request heads are parsed and rebuilt;
 * request and response bodies are scanned by llhttp for framing and then
 * moved (not copied) with evbuffer_remove_buffer.  Inspected request bodies
 * are the exception: they are collected de-chunked, judged, and the judged
 * document is what goes upstream.
 *
 * Backpressure: a side stops reading when the other side's output holds
 * limits.max_buffer_bytes, and resumes from the write callback when it has
 * drained below half of that. */
#include "daemon/session.h"

#include <errno.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "daemon/audit.h"
#include "daemon/config.h"
#include "daemon/http_error.h"
#include "daemon/metrics.h"
#include "daemon/warnings.h"
#include "daemon/log.h"
#include "daemon/lookup.h"
#include "daemon/server.h"
#include "daemon/tls.h"

#define HOLD_MAX (1u << 20)

static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_write_cb(struct bufferevent *bev, void *arg);
static void client_event_cb(struct bufferevent *bev, short what, void *arg);
static void upstream_read_cb(struct bufferevent *bev, void *arg);
static void upstream_write_cb(struct bufferevent *bev, void *arg);
static void upstream_event_cb(struct bufferevent *bev, short what, void *arg);
static void pump_client(struct session *s);
static void pump_upstream(struct session *s);
static void half_close_upstream(struct session *s);
static void decide(struct session *s);
static void finish_request(struct session *s, const char *outcome);

static const char *const client_state_names[] = {
	"handshake", "idle", "head", "body-buffer", "lookup", "wait-upstream",
	"body-stream", "req-sent", "raw", "raw-shut", "linger", "drain", "closed",
};
static const char *const upstream_state_names[] = {
	"none", "connecting", "idle", "resp-head", "resp-body", "raw", "raw-shut", "closed",
};

const char *client_state_name(enum client_state st) { return client_state_names[st]; }
const char *upstream_state_name(enum upstream_state st) { return upstream_state_names[st]; }

/* ---- logging ------------------------------------------------------------- */

static void __attribute__((format(printf, 3, 4)))
slog(struct session *s, enum log_level lvl, const char *fmt, ...)
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

/* ---- state changes: the only places the states are written ------------- */

static void arm_drain_timer(struct session *s);

static void
set_client_state(struct session *s, enum client_state st)
{
	if (s->cstate == st)
		return;
	log_debug("conn=%llu client %s -> %s", (unsigned long long)s->id,
	    client_state_names[s->cstate], client_state_names[st]);
	s->cstate = st;
	if (st == C_DRAIN)
		arm_drain_timer(s);   /* a final answer must not wait forever */
}

static void
set_upstream_state(struct session *s, enum upstream_state st)
{
	if (s->ustate == st)
		return;
	log_debug("conn=%llu upstream %s -> %s", (unsigned long long)s->id,
	    upstream_state_names[s->ustate], upstream_state_names[st]);
	s->ustate = st;
}

/* ---- helpers ----------------------------------------------------------------- */

static size_t
max_buffer(const struct session *s)
{
	return (size_t)s->cfg->max_buffer_bytes;
}

static struct evbuffer *
client_out(struct session *s)
{
	return bufferevent_get_output(s->cbev);
}

static void
arm_head_timer(struct session *s)
{
	struct timeval tv = { s->cfg->header_timeout_ms / 1000,
		(s->cfg->header_timeout_ms % 1000) * 1000 };
	evtimer_add(s->timer, &tv);
}

/* The last bytes for a client go out within DRAIN_IDLE_SEC of progress;
 * a client that stopped reading (or vanished without a word) is dropped. */
#define DRAIN_IDLE_SEC 30

static void
arm_drain_timer(struct session *s)
{
	struct timeval tv = { DRAIN_IDLE_SEC, 0 };
	s->drain_left = s->cbev ? evbuffer_get_length(bufferevent_get_output(s->cbev)) : 0;
	evtimer_add(s->timer, &tv);
}

static void
pause_client(struct session *s, int pause)
{
	if (s->client_paused == pause || s->cbev == NULL)
		return;
	s->client_paused = pause;
	if (pause)
		bufferevent_disable(s->cbev, EV_READ);
	else if (!s->client_eof)
		bufferevent_enable(s->cbev, EV_READ);
}

static void
pause_upstream(struct session *s, int pause)
{
	if (s->upstream_paused == pause || s->ubev == NULL)
		return;
	s->upstream_paused = pause;
	if (pause)
		bufferevent_disable(s->ubev, EV_READ);
	else
		bufferevent_enable(s->ubev, EV_READ);
}

static void
drop_upstream(struct session *s)
{
	for (size_t i = 0; i < POL_MAX_LOOKUPS; i++) {
		if (s->pending[i]) {
			lookup_cancel(s->pending[i]);
			s->pending[i] = NULL;
		}
	}
	if (s->ubev) {
		bufferevent_free(s->ubev);
		s->ubev = NULL;
	}
	s->upstream_paused = 0;
	set_upstream_state(s, U_NONE);
}

/* After an early answer the client may still be sending its request (a
 * build context, an oversize body).  Closing at once would reset the
 * connection and the client would report "broken pipe" instead of our
 * message, so read and discard for a while, bounded in bytes and time,
 * the way httpd's lingering close does. */
#define LINGER_IDLE_MS 1000
#define LINGER_MAX_SEC 10
#define LINGER_MAX_BYTES (64u << 20)

static void
arm_linger_timer(struct session *s)
{
	struct timeval tv = { LINGER_IDLE_MS / 1000, (LINGER_IDLE_MS % 1000) * 1000 };
	evtimer_add(s->timer, &tv);
}

static void
enter_linger(struct session *s)
{
	struct timeval now, max = { LINGER_MAX_SEC, 0 };
	gettimeofday(&now, NULL);
	timeradd(&now, &max, &s->linger_until);
	s->linger_bytes = 0;
	set_client_state(s, C_LINGER);
	pause_client(s, 0);
	bufferevent_enable(s->cbev, EV_READ);
	arm_linger_timer(s);
	pump_client(s);
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
		session_close(s, "rejected request (client kept sending)");
	else if (n > 0)
		arm_linger_timer(s);
}

/* Write a final answer and close once it is flushed. */
static void
reply_and_close(struct session *s, int status, const char *msg)
{
	snprintf(s->reply_msg, sizeof s->reply_msg, "%s", msg);
	s->bytes_out += http_error_write(client_out(s), status, msg, 1);
	s->resp.status = status;
	finish_request(s, "rejected");
	drop_upstream(s);
	if (!s->client_eof && !s->req_complete && s->cstate != C_HANDSHAKE) {
		enter_linger(s);
		return;
	}
	set_client_state(s, C_DRAIN);
	bufferevent_disable(s->cbev, EV_READ);
	bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(client_out(s)) == 0)
		session_close(s, "rejected request");
}

/* ---- request lifecycle ----------------------------------------------------- */

static void
start_idle(struct session *s)
{
	http_req_next(&s->req);
	s->in_request = 0;
	s->req_complete = 0;
	s->resp_started = 0;
	s->req_inspect = 0;
	if (s->body)
		evbuffer_drain(s->body, evbuffer_get_length(s->body));
	set_client_state(s, C_IDLE);
	arm_head_timer(s);
}

static void
clear_decision(struct session *s)
{
	if (s->have_dec)
		policy_decision_free(&s->dec);
	s->have_dec = 0;
	for (size_t i = 0; i < s->nlookups; i++) {
		json_decref(s->lookups[i].json);
		s->lookups[i].json = NULL;
	}
	s->nlookups = 0;
}

static const char *
verdict_of(const struct session *s)
{
	if (!s->have_dec)   /* answered by sockward itself before any judgement */
		return s->reply_msg[0] ? "deny" : "allow";
	if (s->dec.verdict == POL_DENY)
		return "deny";
	if (s->dec.rules && s->dec.rules[0] && s->dec.mode) {
		if (strcmp(s->dec.mode, "warn") == 0)
			return "warn";
		if (strcmp(s->dec.mode, "audit") == 0)
			return "audit";
	}
	return "allow";
}

/* One log line per request (time, conn, identity, method, path, status,
 * bytes each way, duration), one audit line per decision, and metrics. */
static void
finish_request(struct session *s, const char *outcome)
{
	if (!s->in_request)
		return;
	struct timeval now, d;
	gettimeofday(&now, NULL);
	timersub(&now, &s->req_start, &d);
	double ms = d.tv_sec * 1e3 + d.tv_usec / 1e3;
	const char *verdict = verdict_of(s);
	const char *rules = s->have_dec ? s->dec.rules : NULL;
	slog(s, LOG_LVL_INFO, "req=%llu \"%s %s\" status=%d in=%llu out=%llu dur=%.3fms %s %s%s%s",
	    (unsigned long long)s->req_id, s->method, s->target, s->resp.status,
	    (unsigned long long)s->bytes_in, (unsigned long long)s->bytes_out,
	    ms, outcome, verdict, rules ? " rules=" : "", rules ? rules : "");
	if (s->have_dec && s->dec.exception)
		slog(s, LOG_LVL_INFO, "req=%llu exception %s used: %s", (unsigned long long)s->req_id,
		    s->dec.exception, s->dec.exception_reason ? s->dec.exception_reason : "");
	const char *endpoint = s->have_dec && s->dec.endpoint ? s->dec.endpoint : "-";
	if (s->srv->audit) {
		struct audit_record rec = {
			.time = s->req_start,
			.request_id = s->req_id,
			.conn_id = s->id,
			.identity = s->ident.display,
			.peer = s->peer,
			.listener = s->lst ? s->lst->name : "-",
			.method = s->method,
			.path = s->target,
			.endpoint = endpoint,
			.image = s->have_dec ? s->dec.image : NULL,
			.verdict = verdict,
			.profile = s->have_dec ? s->dec.profile : NULL,
			.mode = s->have_dec ? s->dec.mode : NULL,
			.rules = rules,
			.exception = s->have_dec ? s->dec.exception : NULL,
			.exception_reason = s->have_dec ? s->dec.exception_reason : NULL,
			.message = s->have_dec && s->dec.verdict == POL_DENY ? s->dec.message
			    : s->reply_msg[0] ? s->reply_msg : NULL,
			.status = s->resp.status,
			.bytes_in = s->bytes_in,
			.bytes_out = s->bytes_out,
			.duration_ms = ms,
		};
		if (audit_write(s->srv->audit, &rec) != 0)
			metrics_audit_write_failed();
	}
	metrics_request(endpoint, verdict, ms / 1e3);
	if (strcmp(verdict, "deny") == 0)
		metrics_denial(rules);
	metrics_bytes(s->bytes_in, s->bytes_out);
	s->in_request = 0;
	s->reply_msg[0] = 0;
	clear_decision(s);
}

/* A request without a body ends with its head: drive the parser past the
 * end of the message now, so keep-alive and completion are known. */
static enum parse_result
finish_bodyless(struct session *s)
{
	size_t used;
	http_req_resume(&s->req, NULL, 0);
	enum parse_result r = http_req_feed(&s->req, "", 0, &used);
	if (r == PARSE_DONE) {
		s->req_complete = 1;
		s->req_keepalive = http_req_keepalive(&s->req);
	}
	return r;
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
static void
reply_and_continue(struct session *s, int status, const char *msg, const char *outcome)
{
	if (!request_consumed(s)) {
		reply_and_close(s, status, msg);
		return;
	}
	snprintf(s->reply_msg, sizeof s->reply_msg, "%s", msg);
	s->bytes_out += http_error_write(client_out(s), status, msg, !s->req_keepalive);
	s->resp.status = status;
	finish_request(s, outcome);
	if (!s->req_keepalive || s->srv->draining) {
		set_client_state(s, C_DRAIN);
		bufferevent_disable(s->cbev, EV_READ);
		bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(client_out(s)) == 0)
			session_close(s, "done");
		return;
	}
	start_idle(s);
	pump_client(s);
}

/* Bind sources are judged as the engine's host sees them: sockward talks to
 * the engine over a unix socket, so it shares that host and its symlinks. */
static int
resolve_host_path(void *ctx, const char *path, char *out, size_t outlen)
{
	(void)ctx;
	char buf[PATH_MAX];
	if (realpath(path, buf) == NULL || strlen(buf) >= outlen)
		return -1;
	memcpy(out, buf, strlen(buf) + 1);
	return 0;
}

static void
fill_pol_request(struct session *s, struct pol_request *pr)
{
	const struct http_req *r = &s->req;
	for (size_t i = 0; i < r->nhdr; i++) {
		s->pol_hdrs[i].name = r->buf + r->hdr[i].name_off;
		s->pol_hdrs[i].name_len = r->hdr[i].name_len;
		s->pol_hdrs[i].value = r->buf + r->hdr[i].val_off;
		s->pol_hdrs[i].value_len = r->hdr[i].val_len;
	}
	memset(pr, 0, sizeof *pr);
	pr->method = s->method;
	pr->target = http_req_url(r);
	pr->headers = s->pol_hdrs;
	pr->nheaders = r->nhdr;
	pr->has_body = http_req_has_body(r);
	if (s->req_inspect && s->body) {
		pr->body = (const char *)evbuffer_pullup(s->body, -1);
		pr->body_len = evbuffer_get_length(s->body);
		if (pr->body == NULL)
			pr->body = "";
	}
	pr->identity = &s->ident;
	pr->resolve_path = resolve_host_path;
	pr->resolve_ctx = s;
	pr->host_sockets = s->srv->host_sockets;
	pr->nhost_sockets = s->srv->nhost_sockets;
	pr->lookups = s->lookups;
	pr->nlookups = s->nlookups;
}

/* Headers the proxy sets itself, or that only make sense hop by hop. */
static int
header_is_framing(const char *name, size_t len)
{
	static const char *const names[] = { "content-length", "transfer-encoding", "expect" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && strncasecmp(name, names[i], len) == 0)
			return 1;
	return 0;
}

/* Rebuild the request head for the engine.  The body framing is ours:
 * inspected bodies go with Content-Length of the judged document, streamed
 * ones keep the client's framing (which llhttp has validated). */
static void
send_request_head(struct session *s)
{
	struct evbuffer *out = bufferevent_get_output(s->ubev);
	const struct http_req *r = &s->req;
	size_t before = evbuffer_get_length(out);
	evbuffer_add_printf(out, "%s %s HTTP/%d.%d\r\n", s->method, http_req_url(r),
	    r->p.http_major, r->p.http_minor);
	for (size_t i = 0; i < r->nhdr; i++) {
		const struct req_header *h = &r->hdr[i];
		if (header_is_framing(r->buf + h->name_off, h->name_len))
			continue;
		evbuffer_add(out, r->buf + h->name_off, h->name_len);
		evbuffer_add(out, ": ", 2);
		evbuffer_add(out, r->buf + h->val_off, h->val_len);
		evbuffer_add(out, "\r\n", 2);
	}
	if (s->req_inspect) {
		const char *body = NULL;
		size_t blen = 0;
		if (s->have_dec && s->dec.body) {
			body = s->dec.body;
			blen = s->dec.body_len;
		}
		if (body) {
			evbuffer_add_printf(out, "Content-Length: %zu\r\n\r\n", blen);
			evbuffer_add(out, body, blen);
		} else {
			size_t n = s->body ? evbuffer_get_length(s->body) : 0;
			if (n > 0 || http_req_has_body(r))
				evbuffer_add_printf(out, "Content-Length: %zu\r\n", n);
			evbuffer_add(out, "\r\n", 2);
			if (s->body)
				evbuffer_add_buffer(out, s->body);
		}
	} else if (http_req_chunked(r)) {
		evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n\r\n");
	} else if (r->p.flags & F_CONTENT_LENGTH) {
		evbuffer_add_printf(out, "Content-Length: %llu\r\n\r\n",
		    (unsigned long long)http_req_content_length(r));
	} else {
		evbuffer_add(out, "\r\n", 2);
	}
	s->bytes_in += evbuffer_get_length(out) - before;
	http_resp_init(&s->resp, strcmp(s->method, "HEAD") == 0);
	s->resp_started = 0;
	if (s->have_dec && s->dec.nwarnings > 0) {
		/* warn mode: hold the (small) create answer to add our warnings */
		if (s->hold == NULL) {
			s->hold = evbuffer_new();
			s->hold_body = evbuffer_new();
		}
		s->holding = s->hold && s->hold_body;
		s->resp.capture = s->hold_body;
		s->resp.capture_max = HOLD_MAX;
	}
	set_upstream_state(s, U_RESP_HEAD);
	if (s->req_complete || s->req_inspect) {
		set_client_state(s, C_REQ_SENT);
		if (s->client_eof)
			half_close_upstream(s);
	} else {
		set_client_state(s, C_BODY_STREAM);
		http_req_resume(&s->req, NULL, 0);
		pump_client(s);
	}
}

static void
upstream_connect(struct session *s)
{
	const char *path = server_upstream(s->srv);
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	s->ubev = bufferevent_socket_new(s->srv->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (s->ubev == NULL) {
		reply_and_close(s, 502, "sockward: cannot allocate an engine connection");
		return;
	}
	bufferevent_setcb(s->ubev, upstream_read_cb, upstream_write_cb, upstream_event_cb, s);
	bufferevent_setwatermark(s->ubev, EV_READ, 0, max_buffer(s));
	bufferevent_setwatermark(s->ubev, EV_WRITE, max_buffer(s) / 2, 0);
	set_upstream_state(s, U_CONNECTING);
	if (bufferevent_socket_connect(s->ubev, (struct sockaddr *)&sun, sizeof sun) != 0) {
		/* the event callback has not run; report here */
		int err = EVUTIL_SOCKET_ERROR();
		drop_upstream(s);
		char msg[300];
		snprintf(msg, sizeof msg, "sockward: the Docker engine at %s is not reachable: %s",
		    path, strerror(err));
		slog(s, LOG_LVL_WARN, "upstream connect failed: %s", strerror(err));
		metrics_upstream_error("connect");
		reply_and_continue(s, 502, msg, "upstream-down");
		return;
	}
	bufferevent_enable(s->ubev, EV_READ | EV_WRITE);
}

static void
forward(struct session *s)
{
	if (s->srv->draining && s->ustate == U_NONE) {
		/* no new engine work once we are stopping */
		reply_and_close(s, 503, "sockward: shutting down");
		return;
	}
	switch (s->ustate) {
	case U_NONE:
		set_client_state(s, C_WAIT_UPSTREAM);
		upstream_connect(s);
		break;
	case U_IDLE:
		send_request_head(s);
		break;
	default:
		/* cannot happen: one request at a time */
		session_close(s, "internal: upstream busy");
		break;
	}
}

static void lookup_done(struct pol_lookup *lk, void *arg);

static void
start_lookups(struct session *s)
{
	int started = 0;
	for (size_t i = 0; i < s->nlookups; i++) {
		if (s->lookups[i].done || s->pending[i])
			continue;
		s->pending[i] = lookup_start(s->srv->base, server_upstream(s->srv), &s->lookups[i],
		    lookup_done, s);
		if (s->pending[i] == NULL) {
			s->lookups[i].done = 1;
			s->lookups[i].status = 0;
		} else {
			started++;
		}
	}
	set_client_state(s, C_LOOKUP);
	if (!started)
		decide(s);
}

static void
lookup_done(struct pol_lookup *lk, void *arg)
{
	struct session *s = arg;
	for (size_t i = 0; i < POL_MAX_LOOKUPS; i++)
		if (&s->lookups[i] == lk)
			s->pending[i] = NULL;
	for (size_t i = 0; i < s->nlookups; i++)
		if (s->pending[i])
			return;
	if (s->cstate == C_LOOKUP)
		decide(s);
}

/* The policy hand-off: the single place every request is judged, with the
 * complete de-chunked body for the endpoints the policy inspects, before a
 * byte of it goes upstream. */
static void
decide(struct session *s)
{
	struct pol_request pr;
	fill_pol_request(s, &pr);
	if (s->have_dec)
		policy_decision_free(&s->dec);
	policy_decide(s->cfg->policy, &pr, &s->dec);
	s->have_dec = 1;
	s->nlookups = pr.nlookups;
	switch (s->dec.verdict) {
	case POL_NEED_LOOKUP:
		if (pr.nlookups == 0 || pr.nlookups > POL_MAX_LOOKUPS) {
			reply_and_close(s, 500, "sockward: policy asked for an impossible lookup");
			return;
		}
		start_lookups(s);
		return;
	case POL_DENY:
		reply_and_continue(s, s->dec.status ? s->dec.status : 403,
		    s->dec.message ? s->dec.message : "sockward: denied by policy", "denied");
		return;
	case POL_ALLOW:
		forward(s);
		return;
	}
}

/* Each request is judged by the configuration in force when it starts: a
 * keep-alive connection picks up a reload at its next request, while a
 * running exchange keeps the configuration it started with. */
static void
adopt_current_config(struct session *s)
{
	if (s->cfg == s->srv->cfg)
		return;
	config_unref(s->cfg);
	s->cfg = config_ref(s->srv->cfg);
	s->req.max_head = (size_t)s->cfg->max_header_bytes;
	bufferevent_setwatermark(s->cbev, EV_READ, 0, max_buffer(s));
	bufferevent_setwatermark(s->cbev, EV_WRITE, max_buffer(s) / 2, 0);
	if (s->ubev) {
		bufferevent_setwatermark(s->ubev, EV_READ, 0, max_buffer(s));
		bufferevent_setwatermark(s->ubev, EV_WRITE, max_buffer(s) / 2, 0);
	}
}

static void
on_request_head(struct session *s)
{
	evtimer_del(s->timer);
	adopt_current_config(s);
	s->in_request = 1;
	s->req_id = ++s->srv->next_req_id;
	gettimeofday(&s->req_start, NULL);
	s->bytes_in = s->bytes_out = 0;
	s->resp.status = 0;
	snprintf(s->method, sizeof s->method, "%s", http_req_method(&s->req));
	snprintf(s->target, sizeof s->target, "%s", http_req_url(&s->req));
	if (s->srv->draining) {
		reply_and_close(s, 503, "sockward: shutting down, retry");
		return;
	}
	if (s->srv->audit && audit_failed(s->srv->audit) &&
	    s->cfg->audit_on_failure == AUDIT_FAIL_CLOSED) {
		/* no decision may go unrecorded: refuse while the trail is broken */
		char msg[300];
		snprintf(msg, sizeof msg, "sockward: audit log unavailable, requests are refused: %s",
		    audit_failed_message(s->srv->audit));
		if (!http_req_has_body(&s->req))
			finish_bodyless(s);
		reply_and_continue(s, 503, msg, "audit-down");
		return;
	}
	s->req_inspect = policy_wants_body(s->cfg->policy, s->method, http_req_url(&s->req));
	if (s->req_inspect && http_req_has_body(&s->req)) {
		uint64_t cl = http_req_content_length(&s->req);
		if (cl > (uint64_t)s->cfg->max_body_bytes) {
			char msg[200];
			snprintf(msg, sizeof msg, "sockward: request body of %llu bytes exceeds the "
			    "%ld byte limit for inspected requests", (unsigned long long)cl,
			    s->cfg->max_body_bytes);
			reply_and_close(s, 413, msg);
			return;
		}
		if (s->body == NULL)
			s->body = evbuffer_new();
		set_client_state(s, C_BODY_BUFFER);
		http_req_resume(&s->req, s->body, (size_t)s->cfg->max_body_bytes);
		return;   /* pump_client goes on with the body */
	}
	if (!http_req_has_body(&s->req) && finish_bodyless(s) != PARSE_DONE) {
		/* e.g. a transfer coding other than chunked: the length is unknowable */
		char msg[256];
		snprintf(msg, sizeof msg, "sockward: malformed request: %s", s->req.error);
		reply_and_close(s, 400, msg);
		return;
	}
	decide(s);
}

static void
on_request_complete(struct session *s)
{
	s->req_complete = 1;
	s->req_keepalive = http_req_keepalive(&s->req);
	if (s->cstate == C_BODY_BUFFER) {
		decide(s);
	} else if (s->cstate == C_BODY_STREAM) {
		set_client_state(s, C_REQ_SENT);
	}
}

/* Parse what the client sent, one contiguous chunk at a time. */
static void
parse_client(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->cbev);
	while (!s->closing && evbuffer_get_length(in) > 0) {
		enum client_state st = s->cstate;
		if (st != C_IDLE && st != C_HEAD && st != C_BODY_BUFFER && st != C_BODY_STREAM)
			return;
		struct evbuffer *uout = s->ubev ? bufferevent_get_output(s->ubev) : NULL;
		if (st == C_BODY_STREAM && uout && evbuffer_get_length(uout) >= max_buffer(s)) {
			pause_client(s, 1);
			return;
		}
		if (st == C_IDLE)
			set_client_state(s, C_HEAD);
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			return;
		size_t len = v.iov_len;
		if (s->cstate == C_HEAD) {
			/* never let one execute run past the head limit */
			size_t room = s->req.max_head - s->req.head_bytes + 1;
			if (len > room)
				len = room;
		}
		size_t used = 0;
		enum parse_result r = http_req_feed(&s->req, v.iov_base, len, &used);
		if (s->cstate == C_BODY_STREAM) {
			evbuffer_remove_buffer(in, uout, used);
			s->bytes_in += used;
		} else {
			evbuffer_drain(in, used);
		}
		if (s->cstate == C_HEAD) {
			s->req.head_bytes += used;
			if (r == PARSE_MORE && s->req.head_bytes > s->req.max_head) {
				char msg[128];
				snprintf(msg, sizeof msg, "sockward: request header block exceeds %zu bytes",
				    s->req.max_head);
				reply_and_close(s, 400, msg);
				return;
			}
		}
		switch (r) {
		case PARSE_MORE:
			break;
		case PARSE_HEADERS:
			on_request_head(s);
			break;
		case PARSE_DONE:
			on_request_complete(s);
			break;
		case PARSE_ERROR: {
			char msg[256];
			snprintf(msg, sizeof msg, "sockward: malformed request: %s", s->req.error);
			if (!s->in_request) {
				s->in_request = 1;
				s->req_id = ++s->srv->next_req_id;
				gettimeofday(&s->req_start, NULL);
				snprintf(s->method, sizeof s->method, "-");
				snprintf(s->target, sizeof s->target, "-");
			}
			int status = s->req.body_overflow ? 413 : 400;
			if (s->ubev && s->ustate != U_IDLE)
				drop_upstream(s);   /* the engine got a partial body: abort it */
			reply_and_close(s, status, msg);
			return;
		}
		}
	}
}

/* ---- raw relay (hijacked connections) ------------------------------------- */

static void
relay_raw(struct session *s, struct bufferevent *from, struct bufferevent *to, int to_client)
{
	struct evbuffer *in = bufferevent_get_input(from);
	struct evbuffer *out = bufferevent_get_output(to);
	size_t n = evbuffer_get_length(in);
	if (n == 0)
		return;
	evbuffer_add_buffer(out, in);
	if (to_client)
		s->bytes_out += n;
	else
		s->bytes_in += n;
	if (evbuffer_get_length(out) >= max_buffer(s)) {
		if (to_client)
			pause_upstream(s, 1);
		else
			pause_client(s, 1);
	}
}

/* The client will send nothing more: tell the engine the same way, once
 * everything the client sent has been written.  For a hijacked stream that
 * is the half-close docker exec -i relies on; for a streaming response
 * (logs -f, events) the engine cancels the request, exactly as it would
 * for a client connected to it directly. */
static void
half_close_upstream(struct session *s)
{
	if (s->ubev == NULL || s->ustate == U_CONNECTING || s->ustate == U_NONE)
		return;   /* send_request_head() does it once connected */
	if (evbuffer_get_length(bufferevent_get_output(s->ubev)) > 0) {
		s->shut_upstream_pending = 1;
		bufferevent_setwatermark(s->ubev, EV_WRITE, 0, 0);
		return;
	}
	s->shut_upstream_pending = 0;
	shutdown(bufferevent_getfd(s->ubev), SHUT_WR);
	if (s->ustate == U_RAW)
		set_upstream_state(s, U_RAW_SHUT);
	slog(s, LOG_LVL_DEBUG, "client half-closed; engine write side shut");
}

static void
enter_hijack(struct session *s)
{
	s->hijacked = 1;
	s->srv->nhijacked++;
	metrics_hijack_started();
	evtimer_del(s->timer);
	set_client_state(s, C_RAW);
	set_upstream_state(s, U_RAW);
	slog(s, LOG_LVL_DEBUG, "req=%llu hijacked (status %d)", (unsigned long long)s->req_id,
	    s->resp.status);
	/* bytes the client sent after its upgrade request belong to the stream */
	relay_raw(s, s->cbev, s->ubev, 0);
	relay_raw(s, s->ubev, s->cbev, 1);
	if (s->client_eof)
		half_close_upstream(s);
	else
		pause_client(s, 0);
}

/* ---- response handling ----------------------------------------------------- */

static void
on_response_complete(struct session *s)
{
	if (s->resp.hijack) {
		enter_hijack(s);
		return;
	}
	int upstream_keep = http_resp_keepalive(&s->resp);
	finish_request(s, "ok");
	if (!s->req_complete) {
		/* the engine answered before the request body ended; we cannot
		 * resynchronise the stream, so this exchange ends here */
		drop_upstream(s);
		set_client_state(s, C_DRAIN);
		bufferevent_disable(s->cbev, EV_READ);
		bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(client_out(s)) == 0)
			session_close(s, "engine answered before the request ended");
		return;
	}
	if (upstream_keep)
		set_upstream_state(s, U_IDLE);
	else
		drop_upstream(s);
	if (!s->req_keepalive || !upstream_keep || s->client_eof || s->srv->draining) {
		set_client_state(s, C_DRAIN);
		bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(client_out(s)) == 0)
			session_close(s, s->srv->draining ? "shutdown" : "done");
		return;
	}
	start_idle(s);
	pump_client(s);
}

/* Stop holding the response: rewritten with our warnings when complete and
 * readable, otherwise relayed exactly as the engine sent it. */
static void
release_hold(struct session *s, int complete)
{
	size_t before = evbuffer_get_length(client_out(s));
	if (!complete || warnings_rewrite(s->hold, s->hold_body, s->dec.warnings,
	    s->dec.nwarnings, client_out(s)) != 0)
		evbuffer_add_buffer(client_out(s), s->hold);
	s->bytes_out += evbuffer_get_length(client_out(s)) - before;
	evbuffer_drain(s->hold, evbuffer_get_length(s->hold));
	evbuffer_drain(s->hold_body, evbuffer_get_length(s->hold_body));
	s->holding = 0;
	s->resp.capture = NULL;
}

static void
parse_upstream(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->ubev);
	while (!s->closing && s->ubev && evbuffer_get_length(in) > 0) {
		if (s->ustate == U_RAW || s->ustate == U_RAW_SHUT) {
			relay_raw(s, s->ubev, s->cbev, 1);
			return;
		}
		if (s->ustate != U_RESP_HEAD && s->ustate != U_RESP_BODY) {
			session_close(s, "engine sent bytes nobody asked for");
			return;
		}
		if (evbuffer_get_length(client_out(s)) >= max_buffer(s)) {
			pause_upstream(s, 1);
			return;
		}
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			return;
		size_t used = 0;
		enum parse_result r = http_resp_feed(&s->resp, v.iov_base, v.iov_len, &used);
		if (used > 0) {
			evbuffer_remove_buffer(in, s->holding ? s->hold : client_out(s), used);
			s->resp_started = 1;
			if (!s->holding)
				s->bytes_out += used;
		}
		if (s->holding && (s->resp.capture_overflow || r == PARSE_HEADERS ||
		    evbuffer_get_length(s->hold) > 2 * HOLD_MAX))
			release_hold(s, 0);
		if (s->resp.headers_done && s->ustate == U_RESP_HEAD)
			set_upstream_state(s, U_RESP_BODY);
		switch (r) {
		case PARSE_MORE:
			break;
		case PARSE_HEADERS:   /* raw stream without 101 */
			enter_hijack(s);
			break;
		case PARSE_DONE:
			if (s->holding)
				release_hold(s, 1);
			on_response_complete(s);
			break;
		case PARSE_ERROR:
			if (s->holding)
				release_hold(s, 0);
			metrics_upstream_error("protocol");
			slog(s, LOG_LVL_WARN, "malformed response from engine: %s", s->resp.error);
			if (!s->resp_started) {
				reply_and_close(s, 502, "sockward: malformed response from the Docker engine");
			} else {
				finish_request(s, "bad-response");
				session_close(s, "malformed response from engine");
			}
			return;
		}
	}
}

/* ---- callbacks --------------------------------------------------------------- */

static void
pump_client(struct session *s)
{
	if (s->closing)
		return;
	if (s->cstate == C_RAW) {
		if (s->ubev)
			relay_raw(s, s->cbev, s->ubev, 0);
		return;
	}
	if (s->cstate == C_LINGER) {
		linger_discard(s);
		return;
	}
	parse_client(s);
}

static void
pump_upstream(struct session *s)
{
	if (!s->closing && s->ubev)
		parse_upstream(s);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	pump_client(arg);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (s->closing)
		return;
	if (s->cstate == C_DRAIN) {
		if (evbuffer_get_length(client_out(s)) == 0)
			session_close(s, s->srv->draining ? "shutdown" : "done");
		return;
	}
	/* client output drained below the low watermark: resume the engine */
	if (s->upstream_paused) {
		pause_upstream(s, 0);
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
		relay_raw(s, s->cbev, s->ubev, 0);
		set_client_state(s, C_RAW_SHUT);
		half_close_upstream(s);
		break;
	case C_RAW_SHUT:
		break;
	case C_HANDSHAKE:
	case C_IDLE:
		session_close(s, why);
		break;
	case C_LINGER:
		session_close(s, "rejected request");
		break;
	case C_HEAD:
	case C_BODY_BUFFER:
	case C_BODY_STREAM:
		/* parse whatever arrived before the EOF first */
		parse_client(s);
		if (!s->closing && !s->req_complete)
			session_close(s, "client closed mid-request");
		else if (!s->closing)
			half_close_upstream(s);
		break;
	default:
		/* request complete: the answer still goes out, then we close */
		if (s->req_complete)
			half_close_upstream(s);
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
		slog(s, LOG_LVL_DEBUG, "TLS %s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
		start_idle(s);
		pump_client(s);
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

static void
upstream_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	pump_upstream(arg);
}

static void
upstream_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (s->closing)
		return;
	if (s->shut_upstream_pending) {
		half_close_upstream(s);
		return;
	}
	if (s->client_paused) {
		pause_client(s, 0);
		pump_client(s);
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
		slog(s, LOG_LVL_WARN, "upstream connect failed: %s", why);
		metrics_upstream_error("connect");
		drop_upstream(s);
		reply_and_continue(s, 502, msg, "upstream-down");
		break;
	}
	case U_IDLE:
		drop_upstream(s);   /* the engine closed an idle keep-alive connection */
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
			drop_upstream(s);
			on_response_complete(s);
			break;
		}
		metrics_upstream_error("closed");
		if (s->holding)
			release_hold(s, 0);
		if (!s->resp_started) {
			reply_and_close(s, 502, "sockward: the Docker engine closed the connection");
		} else {
			finish_request(s, "truncated");
			drop_upstream(s);
			set_client_state(s, C_DRAIN);
			bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
			if (evbuffer_get_length(client_out(s)) == 0)
				session_close(s, "engine closed mid-response");
		}
		break;
	case U_RAW:
	case U_RAW_SHUT:
		relay_raw(s, s->ubev, s->cbev, 1);
		finish_request(s, "ok");
		drop_upstream(s);
		set_client_state(s, C_DRAIN);
		bufferevent_disable(s->cbev, EV_READ);
		bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(client_out(s)) == 0)
			session_close(s, "stream ended");
		break;
	default:
		drop_upstream(s);
		break;
	}
}

static void
upstream_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (s->closing)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		set_upstream_state(s, U_IDLE);
		if (s->cstate == C_WAIT_UPSTREAM)
			send_request_head(s);
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
		session_close(s, "rejected request");
		return;
	}
	if (s->cstate == C_DRAIN) {
		size_t left = evbuffer_get_length(client_out(s));
		if (left > 0 && left < s->drain_left)
			arm_drain_timer(s);   /* slow but moving */
		else
			session_close(s, "client stopped reading");
		return;
	}
	if (s->cstate == C_HANDSHAKE || s->cstate == C_IDLE || s->cstate == C_HEAD)
		session_close(s, s->cstate == C_HEAD ? "request head timeout" :
		    s->cstate == C_HANDSHAKE ? "TLS handshake timeout" : "idle timeout");
}

/* ---- teardown ---------------------------------------------------------------- */

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
	finish_request(s, "aborted");
	clear_decision(s);
	for (size_t i = 0; i < POL_MAX_LOOKUPS; i++) {
		if (s->pending[i]) {
			lookup_cancel(s->pending[i]);
			s->pending[i] = NULL;
		}
	}
	if (s->hijacked) {
		s->srv->nhijacked--;
		metrics_hijack_ended();
	}
	slog(s, LOG_LVL_INFO, "closed: %s", reason);
	set_client_state(s, C_CLOSED);
	set_upstream_state(s, U_CLOSED);
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
	/* others finish their exchange; on_response_complete sees draining */
}

/* ---- accept -------------------------------------------------------------------- */

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
		slog(s, LOG_LVL_WARN, "refused: %zu connections (limits.max_connections)", srv->nsessions - 1);
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
		set_client_state(s, C_HANDSHAKE);
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
	bufferevent_setwatermark(s->cbev, EV_READ, 0, max_buffer(s));
	bufferevent_setwatermark(s->cbev, EV_WRITE, max_buffer(s) / 2, 0);
	bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
	slog(s, LOG_LVL_DEBUG, "accepted from %s", s->peer);
	arm_head_timer(s);
}
