/* session_flow.c - requests in, answers out: the proxied exchange.
 *
 * The client half: request heads are parsed (llhttp, strict) and rebuilt;
 * bodies are scanned for framing and moved, not copied, with
 * evbuffer_remove_buffer.  Inspected bodies are the exception: collected
 * de-chunked, judged by the policy (judge() is the single hand-off), and the
 * judged document is what goes upstream.
 *
 * The upstream half: answers are scanned for framing and moved to the
 * client untouched (unless the exchange has a response stage).  A 101
 * (attach, exec, BuildKit's /session) or a raw-stream answer turns the
 * connection into a raw two-way relay; a half-close is passed on as
 * shutdown(SHUT_WR).
 *
 * Backpressure: a half stops reading when the other half's output holds
 * limits.max_buffer_bytes, and resumes from the write callback once it has
 * drained below half of that (watermarks set in half_size_buffers()). */
#include "daemon/session_flow.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "daemon/audit.h"
#include "daemon/config.h"
#include "daemon/exchange.h"
#include "daemon/gateway.h"
#include "daemon/http_error.h"
#include "daemon/identity_pool.h"
#include "daemon/listener.h"
#include "daemon/metrics.h"
#include "daemon/response_stage.h"
#include "policy/tenant_answer.h"
#include "daemon/session.h"
#include "daemon/splice_pump.h"
#include "daemon/tls.h"

static void pump_client(struct session *s);
static void pump_upstream(struct session *s);
static void judge(struct session *s);
static void send_request(struct session *s);
static void half_close_upstream(struct session *s);
static void relay_raw(struct session *s, int to_client);
static void splice_answer_body(struct session *s);
static void splice_raw(struct session *s);
static void splice_request_body(struct session *s);
static void upstream_read_cb(struct bufferevent *bev, void *arg);
static void upstream_write_cb(struct bufferevent *bev, void *arg);
static void upstream_event_cb(struct bufferevent *bev, short what, void *arg);

/* ---- shared steps -------------------------------------------------------------- */

/* After the client's EOF: has it closed altogether, or only shut its
 * write side?  A unix socket tells (the peer's close hangs up both
 * directions: POLLHUP; a shutdown(SHUT_WR) only ends our input); a TCP FIN
 * does not, so TCP and TLS clients count as still reading. */
static int
client_gone(const struct session *s)
{
	if (s->lst == NULL || s->lst->type != LISTEN_UNIX || s->client.h.bev == NULL)
		return 0;
	struct pollfd p = { .fd = bufferevent_getfd(s->client.h.bev), .events = POLLOUT };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

static int
client_is_tls(const struct session *s)
{
	return s->lst && s->lst->type == LISTEN_TLS;
}

/* The client's end of input is the end of its requests once every byte it
 * sent before it has been read: requests it pipelined before the end (held
 * while the one before them was with the engine) are still to be answered,
 * as dockerd answers every request it read before a client's end. */
static int
client_done(struct session *s)
{
	return s->client.h.eof && evbuffer_get_length(half_in(&s->client.h)) == 0;
}

/* Raw relay of a hijacked stream, one direction. */
static void
relay_raw(struct session *s, int to_client)
{
	struct half *from = to_client ? &s->upstream.h : &s->client.h;
	struct half *to = to_client ? &s->client.h : &s->upstream.h;
	uint64_t *count = to_client ? &s->stream_out : &s->stream_in;
	if (from->bev == NULL || to->bev == NULL)
		return;
	if (half_move_all(from, to, session_max_buffer(s), count))
		half_pause(from, 1);
}

static void
start_idle(struct session *s)
{
	set_client_state(s, C_IDLE);
	s->client.drain_left = half_out_len(&s->client.h);   /* idle_timer_fired */
	session_arm_head_timer(s);
	half_release_idle_input(&s->client.h);   /* an idle connection holds no buffer */
}

static void on_client_eof(struct session *s, const char *why);

/* An exchange is over and the connection is kept: the client's next
 * request, read now when it is already here.  A client whose end of input
 * came while it still had requests here gets that end passed on once the
 * last of them has been read (on_client_eof: after the answers, or as the
 * end of a request cut short). */
static void
next_request(struct session *s)
{
	start_idle(s);
	pump_client(s);
	if (!session_closing(s) && client_done(s))
		on_client_eof(s, "client closed");
}

/* Each request is judged by the configuration in force when it starts: a
 * keep-alive connection picks up a reload at its next request, while a
 * running exchange keeps the configuration it started with. */
static void
adopt_current_config(struct session *s)
{
	if (s->cfg == s->gw->cfg)
		return;
	const char *old_upstream = session_upstream(s);
	struct sw_config *old = s->cfg;
	s->cfg = config_ref(s->gw->cfg);
	if (strcmp(old_upstream, session_upstream(s)) != 0 && s->upstream.state == U_IDLE) {
		/* the engine moved: a kept-alive connection to the old one must
		 * not carry the next request */
		conn_log(&s->facts, LOG_LVL_INFO, "upstream changed by reload: idle engine connection dropped");
		session_drop_upstream(s);
	}
	config_unref(old);
	half_size_buffers(&s->client.h, session_max_buffer(s));
	if (s->upstream.h.bev)
		half_size_buffers(&s->upstream.h, session_max_buffer(s));
}

/* A request begins with its first byte. */
static int
begin_exchange(struct session *s)
{
	adopt_current_config(s);
	s->x = exchange_new(++s->gw->next_req_id, (size_t)s->cfg->max_header_bytes);
	if (s->x == NULL) {
		session_close(s, "out of memory (request)");
		return -1;
	}
	set_client_state(s, C_HEAD);
	return 0;
}

/* Answer the current request ourselves (deny, 502) and go on with the next
 * one, or close when the rest of the request cannot be skipped. */
static void
reply_and_continue(struct session *s, int status, const char *msg, const char *outcome)
{
	if (s->x == NULL || !s->x->complete) {
		session_reply_and_close(s, status, msg);
		return;
	}
	/* the last answer on this connection says so */
	int last = !s->x->keepalive || client_done(s) || s->gw->draining;
	session_write_reply(s, status, msg, last);
	session_end_exchange(s, outcome);
	if (last) {
		drain_then_close(s, s->gw->draining ? "shutdown" : "answered; not kept alive");
		return;
	}
	next_request(s);
}

/* ---- the request ------------------------------------------------------------------ */

/* A request without a body ends with its head: drive the parser past the
 * end of the message now, so keep-alive and completion are known. */
static enum parse_result
finish_bodyless(struct exchange *x)
{
	size_t used;
	http_req_resume(&x->req, NULL, 0);
	enum parse_result r = http_req_feed(&x->req, "", 0, &used);
	if (r == PARSE_DONE) {
		x->complete = 1;
		x->keepalive = http_req_keepalive(&x->req);
	}
	return r;
}

/* The quota gate was not ours in time (limits.quota_wait_ms): refused,
 * nothing counted or forwarded; the connection goes on. */
static void
refuse_gate_expired(struct session *s)
{
	char msg[300];
	snprintf(msg, sizeof msg, "sockward: quota check busy: this request waited %ld ms "
	    "(limits.quota_wait_ms) behind another create under a tenant quota that the Docker "
	    "engine has not finished; nothing was created, retry later", s->cfg->quota_wait_ms);
	reply_and_continue(s, 503, msg, "quota-busy");
}

static void
lookups_answered(void *arg)
{
	struct session *s = arg;
	if (s->client.state != C_LOOKUP)
		return;
	char msg[300];
	int status;
	if (exchange_gate_expired(s->x))
		refuse_gate_expired(s);
	else if ((status = exchange_lookups_busy(s->x, msg, sizeof msg)) != 0)
		reply_and_continue(s, status, msg, "lookups-busy");
	else
		judge(s);
}

static void
upstream_connect(struct session *s)
{
	const char *path = session_upstream(s);
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	s->upstream.h.bev = bufferevent_socket_new(s->gw->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (s->upstream.h.bev == NULL) {
		session_reply_and_close(s, 502, "sockward: cannot allocate an engine connection");
		return;
	}
	bufferevent_setcb(s->upstream.h.bev, upstream_read_cb, upstream_write_cb, upstream_event_cb, s);
	half_size_buffers(&s->upstream.h, session_max_buffer(s));
	set_upstream_state(s, U_CONNECTING);
	if (bufferevent_socket_connect(s->upstream.h.bev, (struct sockaddr *)&sun, sizeof sun) != 0) {
		/* the event callback has not run; report here */
		int err = EVUTIL_SOCKET_ERROR();
		session_drop_upstream(s);
		char msg[300];
		snprintf(msg, sizeof msg, "sockward: the Docker engine at %s is not reachable: %s",
		    path, strerror(err));
		conn_log(&s->facts, LOG_LVL_WARN, "upstream connect failed: %s", strerror(err));
		metrics_upstream_error("connect");
		reply_and_continue(s, 502, msg, "upstream-down");
		return;
	}
	bufferevent_enable(s->upstream.h.bev, EV_READ | EV_WRITE);
}

static void
forward(struct session *s)
{
	if (s->gw->draining && s->upstream.state == U_NONE) {
		/* no new engine work once we are stopping */
		session_reply_and_close(s, 503, "sockward: shutting down");
		return;
	}
	switch (s->upstream.state) {
	case U_NONE:
		set_client_state(s, C_WAIT_UPSTREAM);
		upstream_connect(s);
		break;
	case U_IDLE:
		send_request(s);
		break;
	default:
		/* cannot happen: one request at a time */
		session_close(s, "internal: upstream busy");
		break;
	}
}

/* The policy hand-off: every request is judged here, with the complete
 * de-chunked body for the endpoints the policy inspects, before a byte of
 * it goes upstream; again after each round of engine lookups. */
static void
judge(struct session *s)
{
	struct exchange *x = s->x;
	const struct judge_env env = {
		.policy = s->cfg->policy,
		.identity = s->facts.ident,
		.host_sockets = s->gw->host_sockets,
		.nhost_sockets = s->gw->nhost_sockets,
		.upstream = session_upstream(s),
	};
	exchange_judge(x, &env);
	switch (x->dec.verdict) {
	case POL_NEED_LOOKUP:
		if (exchange_lookups(x) == 0 || exchange_lookups(x) > POL_MAX_LOOKUPS) {
			session_reply_and_close(s, 500, "sockward: policy asked for an impossible lookup");
			return;
		}
		set_client_state(s, C_LOOKUP);
		if (exchange_start_lookups(x, s->gw->base, session_upstream(s), s->facts.ident,
		    s->cfg->quota_wait_ms, lookups_answered, s) == 0) {
			if (exchange_gate_expired(x))
				refuse_gate_expired(s);
			else
				judge(s);   /* none could start: judged as unanswered */
		}
		return;
	case POL_DENY:
		reply_and_continue(s, x->dec.status ? x->dec.status : 403,
		    x->dec.message ? x->dec.message : "sockward: denied by policy", "denied");
		return;
	case POL_ALLOW:
		if (policy_archive_wanted(x->pp) && http_req_has_body(&x->req) &&
		    ((x->archive = policy_archive_begin(x->pp)) == NULL ||
		    (x->arch_hold = evbuffer_new()) == NULL)) {
			session_reply_and_close(s, 500, "sockward: out of memory");
			return;
		}
		forward(s);
		return;
	}
}

/* ---- archive uploads: judged entry by entry as they stream -------------------------- */

/* The de-chunked body goes through the policy's archive judge; only what
 * it says is safe (everything before the headers of an entry not judged
 * yet) goes on, re-framed: the same Content-Length, or chunks of our own. */
#define ARCH_FEED_MAX (64u << 10)
#define ARCH_HOLD_MAX (512u << 10)

static void
archive_release(struct session *s, uint64_t upto)
{
	struct exchange *x = s->x;
	struct evbuffer *out = half_scratch();   /* then written at once (half_send) */
	if (upto > x->arch_fed)
		upto = x->arch_fed;
	if (upto <= x->arch_released || out == NULL)
		return;
	size_t n = (size_t)(upto - x->arch_released);
	int chunked = http_req_chunked(&x->req);
	if (chunked)
		evbuffer_add_printf(out, "%zx\r\n", n);
	evbuffer_remove_buffer(x->arch_hold, out, n);
	if (chunked)
		evbuffer_add(out, "\r\n", 2);
	x->arch_released += n;
	x->bytes_in += evbuffer_get_length(out);
	half_send_scratch(&s->upstream.h);
}

/* A bad entry: nothing of it has gone on.  The engine's connection is
 * aborted, so dockerd reads an archive that ends before that entry and
 * fails; the client gets the denial if no answer has begun. */
static void
archive_refuse(struct session *s)
{
	struct exchange *x = s->x;
	conn_log(&s->facts, LOG_LVL_INFO, "req=%llu archive upload cut off at byte %llu: %s",
	    (unsigned long long)x->id, (unsigned long long)x->arch_released,
	    x->dec.message ? x->dec.message : "denied");
	session_drop_upstream(s);
	if (!x->answer_started) {
		session_reply_and_close(s, x->dec.status ? x->dec.status : 403,
		    x->dec.message ? x->dec.message : "sockward: denied by policy");
		return;
	}
	session_end_exchange(s, "denied");
	session_close(s, "archive entry refused after the answer began");
}

/* Judge what the parser added to arch_hold and pass on what is safe.
 * -1 when the upload was refused (the session is ending). */
static int
archive_pump(struct session *s)
{
	struct exchange *x = s->x;
	size_t have = evbuffer_get_length(x->arch_hold);
	size_t seen = (size_t)(x->arch_fed - x->arch_released);
	/* fed piece by piece as the buffer holds it (the judge reads a stream
	 * cut anywhere): making it one piece first would copy what spans chains */
	while (seen < have) {
		struct evbuffer_ptr at;
		struct evbuffer_iovec v[8];
		if (evbuffer_ptr_set(x->arch_hold, &at, seen, EVBUFFER_PTR_SET) != 0)
			break;
		int n = evbuffer_peek(x->arch_hold, (ev_ssize_t)(have - seen), &at, v, 8);
		for (int i = 0; i < n && i < 8 && seen < have; i++) {
			size_t len = v[i].iov_len < have - seen ? v[i].iov_len : have - seen;
			enum pol_archive_verdict verdict = policy_archive_feed(x->archive, v[i].iov_base,
			    len, &x->dec);
			x->arch_fed += len;
			seen += len;
			if (verdict == POL_ARCHIVE_DENY) {
				archive_refuse(s);
				return -1;
			}
		}
		if (n <= 0)
			break;
	}
	archive_release(s, policy_archive_safe(x->archive));
	return 0;
}

/* The body is complete: the rest goes on, and the end of the chunks. */
static int
archive_finish(struct session *s)
{
	struct exchange *x = s->x;
	if (archive_pump(s) != 0)
		return -1;
	if (policy_archive_end(x->archive, &x->dec) == POL_ARCHIVE_DENY) {
		archive_refuse(s);
		return -1;
	}
	archive_release(s, x->arch_fed);
	struct evbuffer *out = half_scratch();
	if (http_req_chunked(&x->req) && out != NULL) {
		evbuffer_add(out, "0\r\n\r\n", 5);
		x->bytes_in += 5;
		half_send_scratch(&s->upstream.h);
	}
	return 0;
}

/* Expect: 100-continue.  The engine is not asked (the header is hop by hop
 * here: exchange_write_request drops it, and the engine reads the body only
 * once sockward has judged it), so sockward answers for it, as dockerd's
 * net/http does on its first read of the body: when the body is about to
 * be read.  A request refused on its head gets its answer instead, and the
 * client need not send the body. */
static void
send_continue(struct session *s)
{
	struct exchange *x = s->x;
	struct evbuffer *out;

	if (!x->expect_continue || (out = half_scratch()) == NULL)
		return;
	x->expect_continue = 0;
	evbuffer_add(out, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	half_send_scratch(&s->client.h);
}

static void
on_request_head(struct session *s)
{
	struct exchange *x = s->x;
	half_disarm_timer(&s->client.h);
	exchange_note_head(x);
	if (s->gw->draining) {
		session_reply_and_close(s, 503, "sockward: shutting down, retry");
		return;
	}
	int fstatus;
	const char *framing = http_req_framing_problem(&x->req, &fstatus);
	if (framing) {
		char msg[160];
		snprintf(msg, sizeof msg, "sockward: malformed request: %s", framing);
		session_reply_and_close(s, fstatus, msg);
		return;
	}
	int expect = http_req_expectation(&x->req);
	if (expect < 0) {
		/* what dockerd's net/http answers to any other expectation */
		session_reply_and_close(s, 417, "sockward: the Expect header asks for something "
		    "other than 100-continue, which is all the Docker API answers");
		return;
	}
	/* Go: on HTTP/1.1 with a body only */
	x->expect_continue = expect > 0 && x->req.p.http_major == 1 && x->req.p.http_minor >= 1 &&
	    http_req_has_body(&x->req);
	if (s->gw->audit && s->cfg->audit_on_failure == AUDIT_FAIL_CLOSED) {
		if (!audit_ready(s->gw->audit, exchange_audit_path(x))) {
			/* no decision may go unrecorded: refuse while the trail is broken */
			char msg[300];
			snprintf(msg, sizeof msg, "sockward: audit log unavailable, requests are refused: %s",
			    audit_failed_message(s->gw->audit));
			if (!http_req_has_body(&x->req))
				finish_bodyless(x);
			reply_and_continue(s, 503, msg, "audit-down");
			return;
		}
		x->audit_admitted = 1;   /* its line is owed room until written */
	}
	if (exchange_prepare(x, s->cfg->policy) != 0) {
		session_reply_and_close(s, 500, "sockward: out of memory");
		return;
	}
	if (x->inspect && http_req_has_body(&x->req)) {
		uint64_t cl = http_req_content_length(&x->req);
		if (cl > (uint64_t)s->cfg->max_body_bytes) {
			char msg[200];
			snprintf(msg, sizeof msg, "sockward: request body of %llu bytes exceeds the "
			    "%ld byte limit for inspected requests", (unsigned long long)cl,
			    s->cfg->max_body_bytes);
			session_reply_and_close(s, 413, msg);
			return;
		}
		if (x->body == NULL && (x->body = evbuffer_new()) == NULL) {
			session_reply_and_close(s, 500, "sockward: out of memory");
			return;
		}
		set_client_state(s, C_BODY_BUFFER);
		session_arm_head_timer(s);   /* the body, too, must arrive in time */
		send_continue(s);
		http_req_resume(&x->req, x->body, (size_t)s->cfg->max_body_bytes);
		return;   /* pump_client goes on with the body */
	}
	if (!http_req_has_body(&x->req) && finish_bodyless(x) != PARSE_DONE) {
		/* e.g. a transfer coding other than chunked: the length is unknowable */
		char msg[256];
		snprintf(msg, sizeof msg, "sockward: malformed request: %s", x->req.error);
		session_reply_and_close(s, 400, msg);
		return;
	}
	judge(s);
}

static void
on_request_complete(struct session *s)
{
	s->x->complete = 1;
	s->x->keepalive = http_req_keepalive(&s->x->req);
	if (s->client.state == C_BODY_BUFFER) {
		half_disarm_timer(&s->client.h);
		judge(s);
	} else if (s->client.state == C_BODY_STREAM) {
		if (s->x->archive && archive_finish(s) != 0)
			return;
		set_client_state(s, C_REQ_SENT);
	}
}

static void
on_request_error(struct session *s)
{
	struct exchange *x = s->x;
	char msg[256];
	snprintf(msg, sizeof msg, "sockward: malformed request: %s", x->req.error);
	int status = x->req.body_overflow ? 413 : x->req.head_overflow ? 431 : 400;
	if (s->upstream.h.bev && s->upstream.state != U_IDLE)
		session_drop_upstream(s);   /* the engine got a partial body: abort it */
	session_reply_and_close(s, status, msg);
}

/* What the client is owed and has not taken (our answers, a forwarded
 * answer) has reached the buffer limit.  A client that pipelines requests
 * sockward answers itself and reads none of the answers would otherwise have
 * them all held for it: each read brings up to max_buffer_bytes of requests
 * and each denial is bigger than its request. */
static int
client_owed_full(struct session *s)
{
	size_t max = session_max_buffer(s);
	if (half_pending(&s->client.h) < max)
		return 0;
	/* send what is parked now: only what the socket does not take counts,
	 * and the bufferevent's write callback then says when it drains */
	return half_out_len(&s->client.h) >= max;
}

/* Parse what the client sent, one contiguous chunk at a time. */
static void
parse_client(struct session *s)
{
	struct evbuffer *in = half_in(&s->client.h);
	while (!session_closing(s) && evbuffer_get_length(in) > 0) {
		enum client_state st = s->client.state;
		if (st != C_IDLE && st != C_HEAD && st != C_BODY_BUFFER && st != C_BODY_STREAM)
			return;
		struct evbuffer *uout = s->upstream.h.bev ? half_out(&s->upstream.h) : NULL;
		if (st == C_BODY_STREAM && uout && evbuffer_get_length(uout) >= session_max_buffer(s)) {
			half_pause(&s->client.h, 1);
			return;
		}
		if (st == C_IDLE && client_owed_full(s)) {
			/* answers the client has not read: no more requests until it
			 * does (client_write_cb resumes) */
			half_pause(&s->client.h, 1);
			return;
		}
		if (st == C_IDLE && begin_exchange(s) != 0)
			return;
		struct exchange *x = s->x;
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			return;
		size_t len = v.iov_len;
		if (s->client.state == C_BODY_STREAM && x->archive && len > ARCH_FEED_MAX)
			len = ARCH_FEED_MAX;   /* bounds what the judge has not seen yet */
		if (s->client.state == C_HEAD) {
			/* never let one execute run past the head limit */
			size_t room = x->req.max_head - x->req.head_bytes + 1;
			if (len > room)
				len = room;
		}
		size_t used = 0;
		enum parse_result r = http_req_feed(&x->req, v.iov_base, len, &used);
		if (s->client.state == C_BODY_STREAM && x->archive) {
			evbuffer_drain(in, used);   /* the parser copied the payload out */
			if (r != PARSE_ERROR && archive_pump(s) != 0)
				return;
		} else if (s->client.state == C_BODY_STREAM) {
			half_send(&s->upstream.h, in, used);
			x->bytes_in += used;
		} else {
			evbuffer_drain(in, used);
		}
		if (s->client.state == C_HEAD) {
			x->req.head_bytes += used;
			if (r == PARSE_MORE && x->req.head_bytes > x->req.max_head) {
				char msg[128];
				snprintf(msg, sizeof msg, "sockward: request header block exceeds %zu bytes",
				    x->req.max_head);
				session_reply_and_close(s, 431, msg);
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
		case PARSE_ERROR:
			on_request_error(s);
			return;
		}
	}
	splice_request_body(s);   /* all read was relayed: the rest may go by splice */
}

/* Rebuild the request for the engine and send it; the answer's parser and,
 * when something wants to see the answer, its stage are set up here. */
static void
send_request(struct session *s)
{
	struct exchange *x = s->x;
	int stage = exchange_wants_stage(x) && exchange_attach_stage(x, s->facts.ident) == 0;
	if (!stage && x->judged && x->dec.answer_filter != POL_ANSWER_NONE) {
		/* a tenant's list that cannot be held cannot be filtered */
		session_reply_and_close(s, 500, "sockward: out of memory");
		return;
	}
	struct evbuffer *req = half_scratch();
	if (req == NULL) {
		session_reply_and_close(s, 500, "sockward: out of memory");
		return;
	}
	exchange_write_request(x, req);
	half_send_scratch(&s->upstream.h);
	http_resp_init(&x->resp, strcmp(x->method, "HEAD") == 0);
	if (stage)
		response_stage_begin(x->stage, &x->resp);
	set_upstream_state(s, U_RESP_HEAD);
	if (x->complete || x->inspect) {
		set_client_state(s, C_REQ_SENT);
		if (client_done(s))
			half_close_upstream(s);
	} else {
		set_client_state(s, C_BODY_STREAM);
		send_continue(s);
		/* an archive upload is captured de-chunked for its judge */
		http_req_resume(&x->req, x->arch_hold, x->arch_hold ? ARCH_HOLD_MAX : 0);
		pump_client(s);
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
	/* no request outstanding (not yet connected, or a kept-alive idle
	 * connection while the policy waits on lookups): shutting that one
	 * would make the engine close it under us; send_request() passes the
	 * half-close on once the request is written */
	enum upstream_state st = s->upstream.state;
	if (s->upstream.h.bev == NULL || st == U_CONNECTING || st == U_NONE || st == U_IDLE)
		return;
	if (!half_shut_write(&s->upstream.h))
		return;   /* once the output has drained (upstream_write_cb) */
	if (st == U_RAW)
		set_upstream_state(s, U_RAW_SHUT);
	conn_log(&s->facts, LOG_LVL_DEBUG, "client half-closed; engine write side shut");
	if (s->upstream.h.eof && (st == U_RAW || st == U_RAW_SHUT)) {
		/* the engine had already ended its side: both directions are done */
		session_drop_upstream(s);
		drain_then_close(s, "stream ended");
	}
}

/* The engine ended its side of a hijacked stream (the container's output
 * is over) while the client may still be sending (its stdin).  Pass the
 * half-close on and keep relaying client -> engine until the client ends
 * too.  A TLS client gets the end of the whole stream instead: a TCP
 * half-close under TLS has no close_notify, which clients report as an
 * error. */
static void
engine_ended_stream(struct session *s)
{
	relay_raw(s, 1);
	if (s->upstream.state == U_RAW_SHUT || s->client.h.eof || client_is_tls(s)) {
		session_drop_upstream(s);
		drain_then_close(s, "stream ended");
		return;
	}
	s->upstream.h.eof = 1;
	half_shut_write(&s->client.h);   /* now, or once flushed (client_write_cb) */
	conn_log(&s->facts, LOG_LVL_DEBUG, "engine half-closed; client write side shut");
}

/* Writing to the engine failed on a hijacked stream: it takes no more
 * input.  That is how the end of an exec looks while its client still
 * sends stdin (dockerd wrote the last output and closed the connection),
 * and what dockerd wrote before closing is still in the socket, maybe not
 * read yet (the client reads slowly).  So the stream goes on one way,
 * engine -> client, until the engine's end, as it would for a client of
 * dockerd itself; ending the session at the failed write lost that
 * output.  The client is not read any more (nothing can take its bytes)
 * and what waited for the engine is dropped. */
static void
engine_refused_input(struct session *s, const char *why)
{
	struct evbuffer *cin = half_in(&s->client.h), *uout = half_out(&s->upstream.h);
	conn_log(&s->facts, LOG_LVL_DEBUG, "engine takes no more input (%s); its output still "
	    "goes to the client", why);
	s->client.h.eof = 1;   /* taken for its end of input: nothing resumes reading it */
	half_stop_reading(&s->client.h);
	evbuffer_drain(cin, evbuffer_get_length(cin));
	evbuffer_drain(uout, evbuffer_get_length(uout));
	s->upstream.h.shut_pending = 0;
	set_client_state(s, C_RAW_SHUT);
	set_upstream_state(s, U_RAW_SHUT);
	if (s->upstream.h.eof) {
		/* the engine had already ended its output: nothing is left */
		session_drop_upstream(s);
		drain_then_close(s, "stream ended");
	}
}

/* The engine's connection failed or closed: what it sent before is still
 * in the socket (a unix socket keeps it after the peer's close, and a
 * failed write of ours does not discard it).  Read it, bounded, so an
 * answer the engine gave before closing reaches the client. */
static void
read_what_engine_sent(struct session *s)
{
	evutil_socket_t fd = bufferevent_getfd(s->upstream.h.bev);
	struct evbuffer *in = half_in(&s->upstream.h);
	size_t cap = session_max_buffer(s);
	while (fd >= 0 && evbuffer_get_length(in) < cap &&
	    evbuffer_read(in, fd, (int)(cap - evbuffer_get_length(in))) > 0)
		;
}

/* ---- the answer -------------------------------------------------------------------- */

static int
holding(const struct exchange *x)
{
	return x->stage && x->stage->holding;
}

/* An interim answer (100 Continue, 103 Early Hints) whose head is parsed:
 * relayed as it is, never held (a stage is for the final answer). */
static int
interim(const struct exchange *x)
{
	return x->resp.headers_done && !x->resp.hijack && x->resp.status >= 100 &&
	    x->resp.status < 200;
}

static void
enter_hijack(struct session *s)
{
	half_disarm_timer(&s->client.h);
	set_client_state(s, C_RAW);
	set_upstream_state(s, U_RAW);
	conn_log(&s->facts, LOG_LVL_DEBUG, "req=%llu hijacked (status %d)",
	    (unsigned long long)s->x->id, s->x->resp.status);
	/* the upgrade is answered: the request is recorded now, and the stream
	 * that follows carries no per-request memory */
	session_end_exchange(s, "ok");
	/* bytes the client sent after its upgrade request belong to the stream */
	relay_raw(s, 0);
	relay_raw(s, 1);
	if (s->client.h.eof)
		half_close_upstream(s);
	else
		half_pause(&s->client.h, 0);
	splice_raw(s);   /* when nothing is buffered either way; else once flushed */
}

/* The answer is complete and the engine's connection still holds bytes
 * read with it: nobody asked for them.  Kept, they would be parsed as the
 * answer to the client's next request (sent at once when it is pipelined),
 * and every answer after it would be one request late.  The connection goes
 * with them (0: not kept), and the client's after its answer, as when the
 * engine does not keep a connection. */
static int
unasked_bytes(struct session *s)
{
	metrics_upstream_error("protocol");
	conn_log(&s->facts, LOG_LVL_WARN, "req=%llu engine sent bytes after its answer (%zu); "
	    "its connection is not kept", (unsigned long long)s->x->id,
	    evbuffer_get_length(half_in(&s->upstream.h)));
	return 0;
}

static void
on_response_complete(struct session *s)
{
	struct exchange *x = s->x;
	if (x->resp.hijack) {
		enter_hijack(s);
		return;
	}
	if (x->resp.status >= 100 && x->resp.status < 200) {
		/* an interim answer (100 Continue, 103 Early Hints): relayed, and
		 * the final one is still to come on the same exchange; a stage
		 * holds that one, recorded from its first byte */
		http_resp_init(&x->resp, strcmp(x->method, "HEAD") == 0);
		if (holding(x))
			response_stage_begin(x->stage, &x->resp);
		set_upstream_state(s, U_RESP_HEAD);
		return;
	}
	int upstream_keep = http_resp_keepalive(&x->resp);
	int request_done = x->complete, keepalive = x->keepalive;
	if (upstream_keep && s->upstream.h.bev && evbuffer_get_length(half_in(&s->upstream.h)) > 0)
		upstream_keep = unasked_bytes(s);
	session_end_exchange(s, "ok");
	if (!request_done) {
		/* the engine answered before the request body ended; we cannot
		 * resynchronise the stream, so this exchange ends here */
		session_drop_upstream(s);
		if (!s->client.h.eof) {
			session_enter_linger(s);
			return;
		}
		drain_then_close(s, "engine answered before the request ended");
		return;
	}
	if (upstream_keep)
		set_upstream_state(s, U_IDLE);
	else
		session_drop_upstream(s);
	if (!keepalive || !upstream_keep || client_done(s) || s->gw->draining) {
		drain_then_close(s, s->gw->draining ? "shutdown" :
		    !keepalive ? "answered; client did not keep the connection" :
		    !upstream_keep ? "answered; engine closed its connection" : "answered; client closed");
		return;
	}
	next_request(s);
}

/* Stop holding the answer: rewritten when complete and the stage accepts
 * it, otherwise relayed exactly as the engine sent it.  A strict stage (a
 * tenant's list) relays nothing it could not filter: the client gets a 502
 * saying why, the session ends, and -1 is returned. */
static int
release_stage(struct session *s, int complete, const char *why_incomplete)
{
	struct exchange *x = s->x;
	char msg[512];
	x->bytes_out += response_stage_release(x->stage, &x->resp, complete, why_incomplete,
	    half_out(&s->client.h));
	if (!x->stage->refused)
		return 0;
	conn_log(&s->facts, LOG_LVL_WARN, "req=%llu answer not relayed: cannot be filtered for the "
	    "tenant: %s", (unsigned long long)x->id, x->stage->why);
	snprintf(msg, sizeof msg, "sockward: the Docker engine's answer (%s) cannot be filtered for "
	    "tenant %s, so none of it is shown: %s", tenant_answer_name(x->dec.answer_filter),
	    x->dec.tenant ? x->dec.tenant : "-", x->stage->why);
	session_reply_and_close(s, 502, msg);
	return -1;
}

/* All held answers together are over limits.max_held_answer_bytes, or
 * this client's are over half of it (share_full), and this one must not
 * pass unchanged (exchange_answer_may_pass): a 503, the session ends (the
 * engine's answer is not read to its end).  There is no check before a
 * stage starts: it holds nothing until bytes come, and the first ones that
 * do not fit end up here. */
static void
refuse_busy(struct session *s, int share_full)
{
	char msg[400];
	long budget = s->cfg->max_held_answer_bytes;
	const char *whose = share_full ? "this client's" : "all clients'";
	response_stage_discard(s->x->stage, &s->x->resp);
	conn_log(&s->facts, LOG_LVL_WARN, "req=%llu answer not held: %s answers held at once reach "
	    "%slimits.max_held_answer_bytes (%ld); answered 503", (unsigned long long)s->x->id, whose,
	    share_full ? "half of " : "", budget);
	if (share_full)
		snprintf(msg, sizeof msg, "sockward: busy: the answers it holds to filter or rewrite "
		    "for this client already take half of limits.max_held_answer_bytes (%ld of %ld "
		    "bytes), the most one client may hold, so this one is not shown; read the answers "
		    "of its other connections, or retry", budget / 2, budget);
	else
		snprintf(msg, sizeof msg, "sockward: busy: the answers it holds to filter or rewrite "
		    "already take limits.max_held_answer_bytes (%ld bytes), so this one is not shown; "
		    "retry", budget);
	session_reply_and_close(s, 503, msg);
}

/* An answer head reaches the client only once it is complete and parsed:
 * a malformed one (Content-Length with Transfer-Encoding, say) is then
 * still answered with a 502 instead of half a head.  Heads beyond
 * ANSWER_HEAD_MAX are malformed too. */
#define ANSWER_HEAD_MAX (256u << 10)
/* ANSWER_FILTER_MAX, as a client reads it */
#define STAGE_BOUND_TEXT "8 MiB"
_Static_assert(ANSWER_FILTER_MAX == (8u << 20), "STAGE_BOUND_TEXT says 8 MiB");

/* More of a held answer came: may the stage hold on?  Not a raw stream,
 * nor an answer over its own bound (released: relayed as received, or
 * refused when strict), nor when all held answers together are over
 * limits.max_held_answer_bytes or this client's over half of it (then
 * relayed as received if it may pass unchanged, else refused with a 503).
 * -1 when the session ends. */
static int
stage_may_hold(struct session *s, enum parse_result r)
{
	struct exchange *x = s->x;
	enum stage_room room = response_stage_room(x->stage, &x->resp,
	    (size_t)s->cfg->max_held_answer_bytes);
	if (r == PARSE_HEADERS)
		return release_stage(s, 0, "it is a raw stream");
	if (room == STAGE_TOO_BIG)
		return release_stage(s, 0, "it is over the " STAGE_BOUND_TEXT " sockward holds to "
		    "filter; narrow it with filters");
	if (room == STAGE_ROOM)
		return 0;
	if (!exchange_answer_may_pass(x)) {
		refuse_busy(s, room == STAGE_SHARE_FULL);
		return -1;
	}
	conn_log(&s->facts, LOG_LVL_WARN, "req=%llu answer relayed as received, without sockward's "
	    "warnings: the answers held at once reach limits.max_held_answer_bytes (%ld), or "
	    "this client's half of it",
	    (unsigned long long)x->id, s->cfg->max_held_answer_bytes);
	return release_stage(s, 0, "the answers held at once are over limits.max_held_answer_bytes");
}

static int
pass_answer(struct session *s, struct evbuffer *in, size_t used)
{
	struct exchange *x = s->x;
	struct evbuffer *cout = half_out(&s->client.h);
	if (!x->resp.headers_done) {
		if (x->head_hold == NULL && (x->head_hold = evbuffer_new()) == NULL) {
			session_reply_and_close(s, 500, "sockward: out of memory");
			return -1;
		}
		evbuffer_remove_buffer(in, x->head_hold, used);
		if (evbuffer_get_length(x->head_hold) > ANSWER_HEAD_MAX) {
			metrics_upstream_error("protocol");
			conn_log(&s->facts, LOG_LVL_WARN, "malformed response from engine: head over %u bytes",
			    ANSWER_HEAD_MAX);
			session_reply_and_close(s, 502, "sockward: malformed response from the Docker engine");
			return -1;
		}
		return 0;
	}
	struct evbuffer *sink = interim(x) ? cout : response_stage_sink(x->stage, cout);
	size_t n = used;
	if (x->head_hold && evbuffer_get_length(x->head_hold) > 0) {
		n += evbuffer_get_length(x->head_hold);
		if (sink == cout) {
			/* the head and what follows it, in one write */
			evbuffer_remove_buffer(in, x->head_hold, used);
			half_send(&s->client.h, x->head_hold, n);
		} else {
			evbuffer_add_buffer(sink, x->head_hold);
			evbuffer_remove_buffer(in, sink, used);
		}
	} else if (sink == cout) {
		half_send(&s->client.h, in, used);
	} else {
		evbuffer_remove_buffer(in, sink, used);
	}
	if (sink == cout)
		x->bytes_out += n;
	if (interim(x))
		return 0;   /* not the answer yet: a 502 may still follow it */
	if (!x->answer_started && s->client.h.eof)
		half_disarm_timer(&s->client.h);   /* answered: no longer abandoned */
	x->answer_started = 1;
	return 0;
}

/* Bytes on the engine's kept connection with no request outstanding (a 204
 * or 304 with a body, a chunk after the last): nobody asked for them, and
 * kept they would be read as the next answer.  That connection is dropped,
 * as when the engine closes an idle one; the client's session goes on (its
 * next request gets a new connection) and loses nothing it is owed:
 * closing it here threw away the end of an answer a slow client was still
 * reading. */
static void
idle_engine_sent(struct session *s)
{
	metrics_upstream_error("protocol");
	conn_log(&s->facts, LOG_LVL_WARN, "engine sent %zu bytes with no request outstanding; "
	    "its connection is dropped", evbuffer_get_length(half_in(&s->upstream.h)));
	session_drop_upstream(s);
}

static void
parse_upstream(struct session *s)
{
	struct evbuffer *in = half_in(&s->upstream.h);
	while (!session_closing(s) && s->upstream.h.bev && evbuffer_get_length(in) > 0) {
		if (s->upstream.state == U_RAW || s->upstream.state == U_RAW_SHUT) {
			relay_raw(s, 1);
			return;
		}
		if (s->upstream.state == U_IDLE) {
			idle_engine_sent(s);
			return;
		}
		if (s->upstream.state != U_RESP_HEAD && s->upstream.state != U_RESP_BODY) {
			session_close(s, "engine sent bytes nobody asked for");
			return;
		}
		struct exchange *x = s->x;
		struct evbuffer *cout = half_out(&s->client.h);
		if (evbuffer_get_length(cout) >= session_max_buffer(s)) {
			half_pause(&s->upstream.h, 1);
			return;
		}
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			return;
		size_t used = 0;
		enum parse_result r = http_resp_feed(&x->resp, v.iov_base, v.iov_len, &used);
		if (used > 0 && r != PARSE_ERROR && pass_answer(s, in, used) != 0)
			return;
		if (holding(x) && stage_may_hold(s, r) != 0)
			return;
		if (x->resp.headers_done && s->upstream.state == U_RESP_HEAD)
			set_upstream_state(s, U_RESP_BODY);
		switch (r) {
		case PARSE_MORE:
			break;
		case PARSE_HEADERS:   /* raw stream without 101 */
			enter_hijack(s);
			break;
		case PARSE_DONE:
			if (holding(x) && !interim(x) && release_stage(s, 1, NULL) != 0)
				return;
			on_response_complete(s);
			break;
		case PARSE_ERROR:
			if (holding(x) && release_stage(s, 0, "it is malformed") != 0)
				return;
			metrics_upstream_error("protocol");
			conn_log(&s->facts, LOG_LVL_WARN, "malformed response from engine: %s", x->resp.error);
			if (!x->answer_started) {
				session_reply_and_close(s, 502, "sockward: malformed response from the Docker engine");
			} else {
				session_end_exchange(s, "bad-response");
				session_close(s, "malformed response from engine");
			}
			return;
		}
	}
	splice_answer_body(s);   /* all read was relayed: the rest may go by splice */
}

/* ---- splice: answer bytes nobody reads ------------------------------------------------ */

/* Bodies shorter than this are not worth a pipe. */
#define SPLICE_MIN_BODY (64u << 10)

static int
splice_possible(const struct session *s)
{
	return !s->splice_off && !client_is_tls(s) && s->client.h.bev && s->upstream.h.bev;
}

/* The pump's end: the engine's connection goes back to its bufferevent,
 * which reads what is left (the last byte of the body, or the engine's
 * EOF or error) and the answer ends the way it always does. */
static void
answer_splice_done(void *arg, enum splice_end end)
{
	struct session *s = arg;
	uint64_t n = splice_pump_moved(s->pump_down);
	if (s->x) {
		s->x->bytes_out += n;
		http_resp_body_skipped(&s->x->resp, n);
	}
	if (end == SPLICE_DST_ERROR) {
		char why[160];
		snprintf(why, sizeof why, "client error: %s", strerror(splice_pump_errno(s->pump_down)));
		session_close(s, why);
		return;
	}
	if (end == SPLICE_UNSUPPORTED) {
		s->splice_off = 1;
		conn_log(&s->facts, LOG_LVL_DEBUG, "splice refused; answers are relayed buffered");
	}
	half_splice_end(&s->upstream.h);
}

/* A Content-Length answer body that no stage holds: all of it but its last
 * byte goes from the engine's socket to the client's by splice, once what
 * the client is owed before it (the head, the start of the body) has been
 * written.  The last byte is read and parsed as usual, so the end of the
 * answer is found where it always is (on_response_complete). */
static void
splice_answer_body(struct session *s)
{
	struct exchange *x = s->x;
	if (session_closing(s) || x == NULL || x->stage || s->upstream.state != U_RESP_BODY ||
	    !splice_possible(s) || splice_pump_running(s->pump_down))
		return;
	uint64_t left = http_resp_body_left(&x->resp);
	if (left < SPLICE_MIN_BODY || evbuffer_get_length(half_in(&s->upstream.h)) > 0)
		return;
	half_splice_begin(&s->upstream.h);   /* nothing more goes to the bufferevent */
	if (half_out_len(&s->client.h) > 0) {
		s->splice_wait = 1;   /* client_write_cb comes back here */
		half_notify_when_flushed(&s->client.h);
		return;
	}
	s->splice_wait = 0;
	half_size_buffers(&s->client.h, session_max_buffer(s));   /* the flush notice is over */
	if ((s->pump_down == NULL && (s->pump_down = splice_pump_new(s->gw->base)) == NULL) ||
	    splice_pump_start(s->pump_down, bufferevent_getfd(s->upstream.h.bev),
	    bufferevent_getfd(s->client.h.bev), left - 1, session_max_buffer(s),
	    half_out(&s->client.h), answer_splice_done, s) != 0) {
		conn_log(&s->facts, LOG_LVL_DEBUG, "splice unavailable (%s); relayed buffered",
		    strerror(errno));
		s->splice_off = 1;
		half_splice_end(&s->upstream.h);
	}
}

/* The request direction: a Content-Length body the policy reads nothing
 * of (not inspected) goes from the client's socket to the engine's by
 * splice, all but its last byte, once the head and what came with it have
 * been written.  The last byte is parsed as usual and completes the
 * request (on_request_complete).  Of an archive judged entry by entry
 * only what its judge need not see goes so (an accepted entry's data, up
 * to the next header), once all it has seen has gone on; the next header
 * is read and judged as usual. */
static void
request_splice_done(void *arg, enum splice_end end)
{
	struct session *s = arg;
	uint64_t n = splice_pump_moved(s->pump_up);
	struct exchange *x = s->x;
	if (x) {
		x->bytes_in += n;
		http_req_body_skipped(&x->req, n);
		if (x->archive) {
			/* an entry's data: its judge counts it as seen and passed */
			policy_archive_skip(x->archive, n);
			x->arch_fed += n;
			x->arch_released += n;
		}
	}
	if (end == SPLICE_DST_ERROR) {
		/* the engine's connection failed: its side ends the exchange
		 * (an early answer, or its EOF), the client is not read on */
		conn_log(&s->facts, LOG_LVL_DEBUG, "request splice: engine write failed: %s",
		    strerror(splice_pump_errno(s->pump_up)));
		s->splice_off = 1;
		return;
	}
	if (end == SPLICE_UNSUPPORTED)
		s->splice_off = 1;
	half_splice_end(&s->client.h);   /* the last byte, or the client's EOF */
}

/* How many of the body's next bytes may go by splice (see above). */
static uint64_t
request_splice_len(const struct exchange *x)
{
	if (x->archive == NULL) {
		uint64_t left = http_req_body_left(&x->req);
		return left > 0 ? left - 1 : 0;
	}
	uint64_t left = http_req_length_left(&x->req);   /* 0 when chunked */
	if (left == 0 || x->arch_fed != x->arch_released || evbuffer_get_length(x->arch_hold) > 0)
		return 0;
	uint64_t can = policy_archive_skippable(x->archive);
	return can < left - 1 ? can : left - 1;
}

static void
splice_request_body(struct session *s)
{
	struct exchange *x = s->x;
	if (session_closing(s) || x == NULL || s->client.state != C_BODY_STREAM ||
	    !splice_possible(s) || splice_pump_running(s->pump_up) ||
	    (s->upstream.state != U_RESP_HEAD && s->upstream.state != U_RESP_BODY))
		return;
	uint64_t left = request_splice_len(x);
	if (left < SPLICE_MIN_BODY || evbuffer_get_length(half_in(&s->client.h)) > 0)
		return;
	half_splice_begin(&s->client.h);   /* nothing more goes to the bufferevent */
	if (half_out_len(&s->upstream.h) > 0) {
		s->splice_up_wait = 1;   /* upstream_write_cb comes back here */
		half_notify_when_flushed(&s->upstream.h);
		return;
	}
	s->splice_up_wait = 0;
	half_size_buffers(&s->upstream.h, session_max_buffer(s));
	if ((s->pump_up == NULL && (s->pump_up = splice_pump_new(s->gw->base)) == NULL) ||
	    splice_pump_start(s->pump_up, bufferevent_getfd(s->client.h.bev),
	    bufferevent_getfd(s->upstream.h.bev), left, session_max_buffer(s),
	    half_out(&s->upstream.h), request_splice_done, s) != 0) {
		s->splice_off = 1;
		half_splice_end(&s->client.h);
	}
}

/* A hijacked stream's raw bytes, each direction by splice while the
 * other half has nothing of it buffered.  A pump runs until its source
 * ends; then the source's bufferevent reads again, meets the end itself,
 * and the half-close goes on as it always did (on_client_eof,
 * on_upstream_gone). */
static void
raw_splice_end(struct session *s, enum splice_end end, struct splice_pump *p, struct half *src,
    const char *dst_name)
{
	if (end == SPLICE_DST_ERROR) {
		char why[160];
		snprintf(why, sizeof why, "%s error: %s", dst_name, strerror(splice_pump_errno(p)));
		if (src == &s->upstream.h) {
			session_close(s, why);   /* the client takes nothing more */
			return;
		}
		engine_refused_input(s, why);
		half_splice_end(src);   /* reads nothing: its end of input is taken */
		return;
	}
	if (end == SPLICE_UNSUPPORTED) {
		s->splice_off = 1;
		conn_log(&s->facts, LOG_LVL_DEBUG, "splice refused; the stream is relayed buffered");
	} else if (src == &s->upstream.h) {
		s->raw_down_ended = 1;
	} else {
		s->raw_up_ended = 1;
	}
	half_splice_end(src);
}

static void
raw_splice_done_down(void *arg, enum splice_end end)
{
	struct session *s = arg;
	s->stream_out += splice_pump_moved(s->pump_down);
	raw_splice_end(s, end, s->pump_down, &s->upstream.h, "client");
}

static void
raw_splice_done_up(void *arg, enum splice_end end)
{
	struct session *s = arg;
	s->stream_in += splice_pump_moved(s->pump_up);
	raw_splice_end(s, end, s->pump_up, &s->client.h, "engine");
}

static int
raw_pump_start(struct session *s, struct splice_pump **pp, struct half *src, struct half *dst,
    splice_done_fn done)
{
	if (*pp == NULL && (*pp = splice_pump_new(s->gw->base)) == NULL)
		return -1;
	half_splice_begin(src);
	if (splice_pump_start(*pp, bufferevent_getfd(src->bev), bufferevent_getfd(dst->bev),
	    SPLICE_UNTIL_EOF, session_max_buffer(s), half_out(dst), done, s) != 0) {
		half_splice_end(src);
		return -1;
	}
	return 0;
}

static void
splice_raw(struct session *s)
{
	if (session_closing(s) || !splice_possible(s))
		return;
	struct half *c = &s->client.h, *u = &s->upstream.h;
	if ((s->upstream.state == U_RAW || s->upstream.state == U_RAW_SHUT) && !s->raw_down_ended &&
	    !u->eof && !splice_pump_running(s->pump_down) && evbuffer_get_length(half_in(u)) == 0 &&
	    half_out_len(c) == 0 && !c->shut_pending &&
	    raw_pump_start(s, &s->pump_down, u, c, raw_splice_done_down) != 0)
		s->splice_off = 1;
	if (s->client.state == C_RAW && !s->splice_off && !s->raw_up_ended && !c->eof &&
	    !splice_pump_running(s->pump_up) && evbuffer_get_length(half_in(c)) == 0 &&
	    half_out_len(u) == 0 && !u->shut_pending &&
	    raw_pump_start(s, &s->pump_up, c, u, raw_splice_done_up) != 0)
		s->splice_off = 1;
}

/* ---- pumps and callbacks ----------------------------------------------------------- */

/* Everything that lets the client's input go on (an answer of our own, the
 * end of an exchange, a resume) asks for a pump, often from inside one: a
 * denial answered while parse_client runs.  The pump that is already on the
 * stack goes round again instead, so pipelined requests are handled one
 * after another, not each inside the last (30,000 denied requests in one
 * read were 30,000 nested calls and overflowed the stack). */
static void
pump_client(struct session *s)
{
	if (s->pumping) {
		s->pump_again = 1;
		return;
	}
	s->pumping = 1;
	do {
		s->pump_again = 0;
		if (session_closing(s))
			break;
		switch (s->client.state) {
		case C_RAW:
			relay_raw(s, 0);
			break;
		case C_LINGER:
			session_linger_discard(s);
			break;
		default:
			parse_client(s);
			break;
		}
	} while (s->pump_again);
	s->pumping = 0;
}

static void
pump_upstream(struct session *s)
{
	if (!session_closing(s) && s->upstream.h.bev)
		parse_upstream(s);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	(void)bev;
	half_tls_read_more(&s->client.h);
	pump_client(s);
	if (!session_closing(s))
		half_after_read(&s->client.h);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (session_closing(s))
		return;
	if (s->client.state == C_DRAIN) {
		if (half_out_len(&s->client.h) == 0)
			session_flushed(s);
		return;
	}
	if (s->client.h.shut_pending) {
		half_shut_write(&s->client.h);   /* the engine's half-close, passed on */
		return;
	}
	if (s->upstream.state == U_RAW || s->upstream.state == U_RAW_SHUT)
		splice_raw(s);
	if (s->splice_wait) {
		if (half_out_len(&s->client.h) == 0)
			splice_answer_body(s);
		return;
	}
	/* client output drained below the low watermark: take the client's next
	 * requests (parse_client paused it), resume the engine */
	if (s->client.h.paused && s->client.state == C_IDLE) {
		half_pause(&s->client.h, 0);
		pump_client(s);
		if (session_closing(s))
			return;
	}
	if (s->upstream.h.paused) {
		half_pause(&s->upstream.h, 0);
		pump_upstream(s);
	}
}

static void
on_client_eof(struct session *s, const char *why)
{
	s->client.h.eof = 1;
	switch (s->client.state) {
	case C_RAW:
		/* half-close: pass it on, keep relaying the engine's output */
		relay_raw(s, 0);
		set_client_state(s, C_RAW_SHUT);
		half_close_upstream(s);
		break;
	case C_RAW_SHUT:
		break;
	case C_HANDSHAKE:
		session_close(s, why);
		break;
	case C_IDLE:
		/* between requests: the answers it is still owed go first (a
		 * client that pipelines and then shuts its side still reads) */
		drain_then_close(s, why);
		break;
	case C_LINGER:
		drain_then_close(s, "answered early");
		break;
	case C_HEAD:
	case C_BODY_BUFFER:
	case C_BODY_STREAM:
		/* parse whatever arrived before the EOF first */
		pump_client(s);
		if (session_closing(s))
			break;
		switch (s->client.state) {
		case C_HEAD:
		case C_BODY_BUFFER:
		case C_BODY_STREAM:
			session_close(s, "client closed mid-request");
			break;
		case C_IDLE:
			drain_then_close(s, why);   /* between requests, answers owed first */
			break;
		case C_LINGER:
		case C_DRAIN:
			break;   /* our answer is on its way out */
		default:
			half_close_upstream(s);   /* complete: the answer still goes out */
			break;
		}
		break;
	case C_LOOKUP:
		/* the policy is still asking the engine and nothing of the
		 * request has reached it.  A client that only shut its side
		 * still reads its answer; one that is gone cancels the request
		 * (as dockerd treats a client's close), so no decision is taken
		 * and nothing forwarded for nobody. */
		if (client_gone(s))
			session_close(s, "client gone while the policy waited on the engine");
		break;
	default:
		/* request complete: the answer still goes out, then we close */
		if (s->x == NULL || !s->x->complete)
			break;
		if (s->client.state == C_REQ_SENT && !s->x->answer_started && client_gone(s)) {
			/* nobody is left to read the answer: end the engine's
			 * connection, which dockerd takes as cancellation */
			session_close(s, "client gone; request abandoned");
			return;
		}
		if (!client_done(s))
			break;   /* requests pipelined before the end go first (next_request) */
		if (s->client.state == C_REQ_SENT && !s->x->answer_started) {
			/* half-closed, or gone without telling (TCP): the engine
			 * cancels on the half-close; if it still does not answer,
			 * the wait is bounded (client_timer: C_REQ_SENT) */
			session_arm_head_timer(s);
		}
		half_close_upstream(s);
		break;
	}
}

/* TLS handshake done: the verified certificate is the identity. */
static void
on_handshake_done(struct session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->client.h.bev);
	struct sw_identity *id = calloc(1, sizeof *id);   /* 5 KB: not on the stack */
	int r = ssl != NULL && id != NULL ? tls_identity(ssl, id) : -1;
	if (r != 0) {
		free(id);
		session_close(s, r == -2 ? "client certificate names an identity sockward cannot "
		    "hold whole (a CN or SAN over 255 bytes or with a NUL, more than 16 SANs)" :
		    "client certificate missing or not verified");
		return;
	}
	s->facts.ident = identity_intern(id);
	free(id);
	if (s->facts.ident == NULL) {
		session_close(s, "out of memory (identity)");
		return;
	}
	half_tls_established(&s->client.h, &s->gw->sends);   /* answers written at the turn's end */
	half_tls_read_ahead(&s->client.h);
	conn_log(&s->facts, LOG_LVL_DEBUG, "TLS %s %s, kernel TLS send %s receive %s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), BIO_get_ktls_send(SSL_get_wbio(ssl)) ? "on" : "off",
	    BIO_get_ktls_recv(SSL_get_rbio(ssl)) ? "on" : "off");
	size_t authenticated = s->gw->nsessions - s->gw->nhandshakes;   /* not this one */
	if (authenticated >= (size_t)s->cfg->max_connections) {
		/* past the limit for authenticated connections: now it can be told */
		char msg[160];
		snprintf(msg, sizeof msg, "sockward: too many connections (limits.max_connections %ld); "
		    "retry later", s->cfg->max_connections);
		set_client_state(s, C_IDLE);
		http_error_write(half_out(&s->client.h), 503, msg, 1);
		drain_then_close(s, "refused after the handshake: limits.max_connections");
		return;
	}
	session_flow_start(s);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (session_closing(s))
		return;
	if (what & BEV_EVENT_CONNECTED) {
		on_handshake_done(s);
		return;
	}
	int tls = s->lst && s->lst->type == LISTEN_TLS;
	if ((what & (BEV_EVENT_EOF | BEV_EVENT_WRITING)) == (BEV_EVENT_EOF | BEV_EVENT_WRITING)) {
		/* a TLS write that failed on the socket (EPIPE, ECONNRESET):
		 * libevent reports it as an EOF while writing (a dirty shutdown,
		 * which we allow).  The client can take nothing more; it is not
		 * its end of input.  Taken for one, writing was restarted below,
		 * failed again at once, and so on: the loop spun and the session
		 * never ended while the engine had output for a gone client. */
		session_close(s, "client gone (write failed)");
		return;
	}
	if (what & BEV_EVENT_EOF) {
		on_client_eof(s, "client closed");
		/* OpenSSL's bufferevent stops writing when it sees the peer's
		 * close; restart it so pending output is flushed (a half-closed
		 * client still reads) or fails (a vanished one), either way the
		 * exchange can end */
		if (!session_closing(s) && tls)
			bufferevent_enable(s->client.h.bev, EV_WRITE);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		char why[256];
		unsigned long e = tls ? bufferevent_get_openssl_error(s->client.h.bev) : 0;
		if (e) {
			char buf[200];
			ERR_error_string_n(e, buf, sizeof buf);
			snprintf(why, sizeof why, "client TLS error: %s", buf);
		} else {
			snprintf(why, sizeof why, "client error: %s",
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		}
		if (s->client.state == C_RAW && !s->client.h.eof && !(what & BEV_EVENT_WRITING)) {
			/* a reset on a hijacked stream is still the end of input; a
			 * failed write is not (the client takes nothing more, and
			 * libevent has stopped writing to it): that ends the session */
			on_client_eof(s, why);
			/* as after an EOF: OpenSSL's bufferevent stopped writing too
			 * (conn_closed), and output already queued would wait for good
			 * (the engine's side paused behind it) while the engine keeps
			 * the stream open.  Restarted, it is flushed, or the write fails
			 * (a fatal alert ends the TLS stream both ways) and ends the
			 * session. */
			if (!session_closing(s) && tls)
				bufferevent_enable(s->client.h.bev, EV_WRITE);
			return;
		}
		session_close(s, why);
	}
}

static void
upstream_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	(void)bev;
	pump_upstream(s);
}

static void
upstream_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (session_closing(s))
		return;
	if (s->upstream.h.shut_pending) {
		half_close_upstream(s);
		return;
	}
	if (s->client.state == C_RAW)
		splice_raw(s);
	if (s->splice_up_wait) {
		if (half_out_len(&s->upstream.h) == 0)
			splice_request_body(s);
		return;
	}
	if (s->client.h.paused) {
		half_pause(&s->client.h, 0);
		pump_client(s);
	}
}

/* ended: the engine closed its side cleanly (EOF), rather than an error */
static void
on_upstream_gone(struct session *s, const char *why, int ended)
{
	struct exchange *x = s->x;
	switch (s->upstream.state) {
	case U_CONNECTING: {
		char msg[300];
		snprintf(msg, sizeof msg, "sockward: the Docker engine at %s is not reachable: %s",
		    session_upstream(s), why);
		conn_log(&s->facts, LOG_LVL_WARN, "upstream connect failed: %s", why);
		metrics_upstream_error("connect");
		session_drop_upstream(s);
		reply_and_continue(s, 502, msg, "upstream-down");
		break;
	}
	case U_IDLE:
		session_drop_upstream(s);   /* the engine closed an idle keep-alive connection */
		break;
	case U_RESP_HEAD:
	case U_RESP_BODY:
		read_what_engine_sent(s);
		pump_upstream(s);   /* whatever it sent, before we give up on it */
		if (session_closing(s) || s->upstream.state == U_NONE || s->upstream.state == U_IDLE ||
		    s->upstream.state == U_RAW || s->x != x)
			break;
		if (x->answer_started && http_resp_finish(&x->resp) && x->resp.paused_at == PAUSE_DONE) {
			if (holding(x) && release_stage(s, 1, NULL) != 0)
				break;
			/* EOF-delimited body: the client needs the EOF too */
			s->client.h.eof = 1;
			x->keepalive = 0;
			session_drop_upstream(s);
			on_response_complete(s);
			break;
		}
		metrics_upstream_error("closed");
		if (holding(x) && release_stage(s, 0, "the engine closed the connection mid-answer") != 0)
			break;
		if (!x->answer_started) {
			session_reply_and_close(s, 502, "sockward: the Docker engine closed the connection");
		} else {
			session_end_exchange(s, "truncated");
			session_drop_upstream(s);
			drain_then_close(s, "engine closed mid-response");
		}
		break;
	case U_RAW:
	case U_RAW_SHUT:
		if (ended && !s->upstream.h.eof) {
			engine_ended_stream(s);
			break;
		}
		relay_raw(s, 1);
		session_drop_upstream(s);
		drain_then_close(s, "stream ended");
		break;
	default:
		session_drop_upstream(s);
		break;
	}
}

static void
upstream_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (session_closing(s))
		return;
	if (what & BEV_EVENT_CONNECTED) {
		half_go_direct(&s->upstream.h, &s->gw->sends);   /* connected: written at once, read by us */
		set_upstream_state(s, U_IDLE);
		if (s->client.state == C_WAIT_UPSTREAM)
			send_request(s);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		const char *why = (what & BEV_EVENT_EOF) ? "closed by engine"
		    : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
		if ((what & BEV_EVENT_WRITING) &&
		    (s->upstream.state == U_RAW || s->upstream.state == U_RAW_SHUT)) {
			/* libevent stopped writing only: the engine is still read */
			engine_refused_input(s, why);
			return;
		}
		on_upstream_gone(s, why, (what & BEV_EVENT_EOF) != 0);
	}
}

/* ---- entry points for session_accept.c ------------------------------------------------ */

void
session_flow_attach_client(struct session *s)
{
	bufferevent_setcb(s->client.h.bev, client_read_cb, client_write_cb, client_event_cb, s);
}

void
session_flow_start(struct session *s)
{
	start_idle(s);
	pump_client(s);
}
