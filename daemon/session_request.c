/* session_request.c - the client's request, up to the engine.
 *
 * Request heads are parsed and rebuilt; bodies are scanned by llhttp for
 * framing and moved (not copied) with evbuffer_remove_buffer.  Inspected
 * bodies are the exception: collected de-chunked, judged by the policy
 * (the single hand-off point is decide()), and the judged document is what
 * goes upstream. */
#include "daemon/session_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon/audit.h"
#include "daemon/config.h"
#include "daemon/lookup.h"
#include "daemon/metrics.h"
#include "daemon/server.h"

static enum parse_result finish_bodyless(struct session *s);
static int resolve_host_path(void *ctx, const char *path, char *out, size_t outlen);
static void fill_pol_request(struct session *s, struct pol_request *pr);
static int header_is_framing(const char *name, size_t len);
static void upstream_connect(struct session *s);
static void forward(struct session *s);
static void start_lookups(struct session *s);
static void lookup_done(struct pol_lookup *lk, void *arg);
static void decide(struct session *s);
static void adopt_current_config(struct session *s);
static void on_request_head(struct session *s);
static void on_request_complete(struct session *s);

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
void
sess_send_request_head(struct session *s)
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
	sess_set_upstream_state(s, U_RESP_HEAD);
	if (s->req_complete || s->req_inspect) {
		sess_set_client_state(s, C_REQ_SENT);
		if (s->client_eof)
			sess_half_close_upstream(s);
	} else {
		sess_set_client_state(s, C_BODY_STREAM);
		http_req_resume(&s->req, NULL, 0);
		sess_pump_client(s);
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
		sess_reply_and_close(s, 502, "sockward: cannot allocate an engine connection");
		return;
	}
	bufferevent_setcb(s->ubev, sess_upstream_read_cb, sess_upstream_write_cb, sess_upstream_event_cb, s);
	sess_size_buffers(s, s->ubev);
	sess_set_upstream_state(s, U_CONNECTING);
	if (bufferevent_socket_connect(s->ubev, (struct sockaddr *)&sun, sizeof sun) != 0) {
		/* the event callback has not run; report here */
		int err = EVUTIL_SOCKET_ERROR();
		sess_drop_upstream(s);
		char msg[300];
		snprintf(msg, sizeof msg, "sockward: the Docker engine at %s is not reachable: %s",
		    path, strerror(err));
		sess_slog(s, LOG_LVL_WARN, "upstream connect failed: %s", strerror(err));
		metrics_upstream_error("connect");
		sess_reply_and_continue(s, 502, msg, "upstream-down");
		return;
	}
	bufferevent_enable(s->ubev, EV_READ | EV_WRITE);
}

static void
forward(struct session *s)
{
	if (s->srv->draining && s->ustate == U_NONE) {
		/* no new engine work once we are stopping */
		sess_reply_and_close(s, 503, "sockward: shutting down");
		return;
	}
	switch (s->ustate) {
	case U_NONE:
		sess_set_client_state(s, C_WAIT_UPSTREAM);
		upstream_connect(s);
		break;
	case U_IDLE:
		sess_send_request_head(s);
		break;
	default:
		/* cannot happen: one request at a time */
		session_close(s, "internal: upstream busy");
		break;
	}
}

static void
start_lookups(struct session *s)
{
	struct pol_lookup *lookups;
	size_t n = policy_lookups(s->pp, &lookups);
	int started = 0;
	for (size_t i = 0; i < n; i++) {
		if (lookups[i].done || s->pending[i])
			continue;
		s->pending[i] = lookup_start(s->srv->base, server_upstream(s->srv), &lookups[i],
		    lookup_done, s);
		if (s->pending[i] == NULL) {
			lookups[i].done = 1;
			lookups[i].status = 0;
		} else {
			started++;
		}
	}
	sess_set_client_state(s, C_LOOKUP);
	if (!started)
		decide(s);
}

static void
lookup_done(struct pol_lookup *lk, void *arg)
{
	struct session *s = arg;
	struct pol_lookup *lookups;
	size_t n = policy_lookups(s->pp, &lookups);
	for (size_t i = 0; i < n; i++)
		if (&lookups[i] == lk)
			s->pending[i] = NULL;
	for (size_t i = 0; i < n; i++)
		if (s->pending[i])
			return;
	if (s->cstate == C_LOOKUP)
		decide(s);
}

/* The policy hand-off: the single place every request is judged, with the
 * complete de-chunked body for the endpoints the policy inspects, before a
 * byte of it goes upstream.  Each round after lookups reuses what
 * policy_prepare() and the first round worked out (s->pp). */
static void
decide(struct session *s)
{
	struct pol_request pr;
	struct pol_lookup *lookups;
	fill_pol_request(s, &pr);
	if (s->have_dec)
		policy_decision_free(&s->dec);
	policy_judge(s->cfg->policy, s->pp, &pr, &s->dec);
	s->have_dec = 1;
	size_t nlookups = s->pp ? policy_lookups(s->pp, &lookups) : 0;
	switch (s->dec.verdict) {
	case POL_NEED_LOOKUP:
		if (nlookups == 0 || nlookups > POL_MAX_LOOKUPS) {
			sess_reply_and_close(s, 500, "sockward: policy asked for an impossible lookup");
			return;
		}
		start_lookups(s);
		return;
	case POL_DENY:
		sess_reply_and_continue(s, s->dec.status ? s->dec.status : 403,
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
	sess_size_buffers(s, s->cbev);
	if (s->ubev)
		sess_size_buffers(s, s->ubev);
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
		sess_reply_and_close(s, 503, "sockward: shutting down, retry");
		return;
	}
	int fstatus;
	const char *framing = http_req_framing_problem(&s->req, &fstatus);
	if (framing) {
		char msg[160];
		snprintf(msg, sizeof msg, "sockward: malformed request: %s", framing);
		sess_reply_and_close(s, fstatus, msg);
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
		sess_reply_and_continue(s, 503, msg, "audit-down");
		return;
	}
	policy_prepared_free(s->pp);   /* never another request's */
	s->pp = policy_prepare(s->cfg->policy, s->method, http_req_url(&s->req));
	if (s->pp == NULL) {
		sess_reply_and_close(s, 500, "sockward: out of memory");
		return;
	}
	s->req_inspect = policy_prepared_wants_body(s->pp);
	if (s->req_inspect && http_req_has_body(&s->req)) {
		uint64_t cl = http_req_content_length(&s->req);
		if (cl > (uint64_t)s->cfg->max_body_bytes) {
			char msg[200];
			snprintf(msg, sizeof msg, "sockward: request body of %llu bytes exceeds the "
			    "%ld byte limit for inspected requests", (unsigned long long)cl,
			    s->cfg->max_body_bytes);
			sess_reply_and_close(s, 413, msg);
			return;
		}
		if (s->body == NULL)
			s->body = evbuffer_new();
		sess_set_client_state(s, C_BODY_BUFFER);
		sess_arm_head_timer(s);   /* the body, too, must arrive in time */
		http_req_resume(&s->req, s->body, (size_t)s->cfg->max_body_bytes);
		return;   /* sess_pump_client goes on with the body */
	}
	if (!http_req_has_body(&s->req) && finish_bodyless(s) != PARSE_DONE) {
		/* e.g. a transfer coding other than chunked: the length is unknowable */
		char msg[256];
		snprintf(msg, sizeof msg, "sockward: malformed request: %s", s->req.error);
		sess_reply_and_close(s, 400, msg);
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
		evtimer_del(s->timer);
		decide(s);
	} else if (s->cstate == C_BODY_STREAM) {
		sess_set_client_state(s, C_REQ_SENT);
	}
}

/* Parse what the client sent, one contiguous chunk at a time. */
void
sess_parse_client(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->cbev);
	while (!s->closing && evbuffer_get_length(in) > 0) {
		enum client_state st = s->cstate;
		if (st != C_IDLE && st != C_HEAD && st != C_BODY_BUFFER && st != C_BODY_STREAM)
			return;
		struct evbuffer *uout = s->ubev ? bufferevent_get_output(s->ubev) : NULL;
		if (st == C_BODY_STREAM && uout && evbuffer_get_length(uout) >= sess_max_buffer(s)) {
			sess_pause_client(s, 1);
			return;
		}
		if (st == C_IDLE)
			sess_set_client_state(s, C_HEAD);
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
				sess_reply_and_close(s, 400, msg);
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
				sess_drop_upstream(s);   /* the engine got a partial body: abort it */
			sess_reply_and_close(s, status, msg);
			return;
		}
		}
	}
}
