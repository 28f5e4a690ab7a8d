/* exchange.c - one request: its judgement, the head the engine gets, and
 * the record it leaves behind. */
#include "daemon/exchange.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "daemon/audit.h"
#include "daemon/log.h"
#include "daemon/lookup.h"
#include "daemon/metrics.h"
#include "daemon/response_stage.h"
#include "daemon/warnings.h"
#include "policy/jsonin.h"
#include "policy/jsonout.h"
#include "policy/poison.h"
#include "policy/tenant_answer.h"

/* Exchanges freed lately, kept for the next requests with their request
 * parser's buffer: a request costs no allocation for them (the event loop
 * is single-threaded).  Bounded; exchange_pool_trim() gives them back.
 * Under AddressSanitizer a kept exchange is poisoned, so a use after its
 * exchange_free() is still reported. */
#define POOL_MAX 32
#define POOL_BUF_MAX 8192   /* a bigger head buffer is not kept */
static struct pooled {
	struct exchange *x;
	char *buf;
	size_t cap;
} pool[POOL_MAX];
static size_t npool;

void
exchange_pool_trim(void)
{
	while (npool > 0) {
		struct pooled *p = &pool[--npool];
		UNPOISON(p->x, sizeof *p->x);
		UNPOISON(p->buf, p->cap);
		free(p->buf);
		free(p->x);
	}
}

struct exchange *
exchange_new(uint64_t id, size_t max_head)
{
	struct exchange *x;
	char *buf = NULL;
	size_t cap = 0;
	if (npool > 0) {
		struct pooled *p = &pool[--npool];
		x = p->x;
		buf = p->buf;
		cap = p->cap;
		UNPOISON(x, sizeof *x);
		UNPOISON(buf, cap);
		memset(x, 0, sizeof *x);
	} else if ((x = calloc(1, sizeof *x)) == NULL) {
		return NULL;
	}
	x->id = id;
	gettimeofday(&x->start, NULL);
	http_req_init(&x->req, max_head);
	http_req_adopt_buffer(&x->req, buf, cap);
	x->method[0] = '-';   /* until the head says (the rest is zeroed) */
	x->target[0] = '-';
	return x;
}

/* src into dst, cut to what fits */
static void
copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
exchange_note_head(struct exchange *x)
{
	const char *url = http_req_url(&x->req);
	x->head_seen = 1;
	copy_cut(x->method, sizeof x->method, http_req_method(&x->req));
	copy_cut(x->target, sizeof x->target, url);
	/* the audit line's path is the target as received: what a cut would
	 * drop (a query parameter, the end of a name) must not go unrecorded */
	if (strlen(url) >= sizeof x->target && x->long_target == NULL)
		x->long_target = strdup(url);   /* NULL (no memory): the cut one */
}

static void gate_leave(struct exchange *x);

void
exchange_free(struct exchange *x)
{
	if (x == NULL)
		return;
	gate_leave(x);
	free(x->long_target);
	exchange_cancel_lookups(x);   /* before pp: they write into its lookups */
	if (x->judged)
		policy_decision_free(&x->dec);
	policy_prepared_free(x->pp);  /* dec.body goes with it (the lookups' answers
	                                 went when the decision was final) */
	engine_account_release(&x->lookup_acct);
	response_stage_free(x->stage);   /* before the share it counts in */
	x->stage = NULL;
	share_put(x->share);
	if (x->body)
		evbuffer_free(x->body);
	if (x->head_hold)
		evbuffer_free(x->head_hold);
	policy_archive_free(x->archive);
	if (x->arch_hold)
		evbuffer_free(x->arch_hold);
	if (npool < POOL_MAX && x->req.cap <= POOL_BUF_MAX) {
		pool[npool++] = (struct pooled){ x, x->req.buf, x->req.cap };
		POISON(x->req.buf, x->req.cap);
		POISON(x, sizeof *x);
		return;
	}
	http_req_free(&x->req);
	free(x);
}

/* ---- judgement ---------------------------------------------------------------- */

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

/* What the lookup cache holds for the engine this exchange talks to. */
static json_t *
held_answer(void *ctx, enum pol_lookup_kind kind, const char *name)
{
	return ctx != NULL ? lookup_cache_answer(ctx, kind, name) : NULL;
}

int
exchange_prepare(struct exchange *x, const struct policy *policy)
{
	x->pp = policy_prepare(policy, x->method, http_req_url(&x->req));
	if (x->pp == NULL)
		return -1;
	x->inspect = policy_prepared_wants_body(x->pp) != 0;
	return 0;
}

size_t
exchange_lookups(struct exchange *x)
{
	struct pol_lookup *lookups;
	return x->pp ? policy_lookups(x->pp, &lookups) : 0;
}

/* The policy hand-off: the single place every request is judged, with the
 * complete de-chunked body for the endpoints the policy inspects, before a
 * byte of it goes upstream. */
void
exchange_judge(struct exchange *x, const struct judge_env *env)
{
	const struct http_req *r = &x->req;
	struct pol_header hdrs[REQ_MAX_HEADERS];   /* spans into the parsed head */
	struct pol_request pr;

	for (size_t i = 0; i < r->nhdr; i++) {
		hdrs[i].name = r->buf + r->hdr[i].name_off;
		hdrs[i].name_len = r->hdr[i].name_len;
		hdrs[i].value = r->buf + r->hdr[i].val_off;
		hdrs[i].value_len = r->hdr[i].val_len;
	}
	memset(&pr, 0, sizeof pr);
	pr.headers = hdrs;
	pr.nheaders = r->nhdr;
	pr.has_body = http_req_has_body(r);
	if (x->inspect && x->body) {
		pr.body = (const char *)evbuffer_pullup(x->body, -1);
		pr.body_len = evbuffer_get_length(x->body);
		if (pr.body == NULL)
			pr.body = "";
	}
	pr.identity = env->identity;
	pr.resolve_path = resolve_host_path;
	pr.host_sockets = env->host_sockets;
	pr.nhost_sockets = env->nhost_sockets;
	pr.held_answer = held_answer;
	pr.held_ctx = (void *)env->upstream;
	if (x->judged)
		policy_decision_free(&x->dec);
	policy_judge(env->policy, x->pp, &pr, &x->dec);
	x->judged = 1;
	if (x->body) {
		/* decoded: the canonical document in pp is what goes on */
		evbuffer_free(x->body);
		x->body = NULL;
	}
	if (x->dec.verdict != POL_NEED_LOOKUP) {
		/* The decision is final.  Nothing after it reads the lookups'
		 * answers or the decoded document: the request goes as
		 * x->dec.target and x->dec.body (copies of their own), the
		 * answer's stage, the archive judge and the record read x->dec
		 * and the archive settings only.  An allowed request may live for
		 * hours (docker logs -f): its answers (up to 16 MiB of JSON, one
		 * request's lookup budget, and more parsed) go now, not with the
		 * exchange, and that budget is given back.  No lookup is
		 * on its way when the last round decides; none may write into a
		 * settled request. */
		exchange_cancel_lookups(x);
		policy_prepared_settle(x->pp);
		engine_account_release(&x->lookup_acct);   /* the waiting lookups may go on */
	}
}

/* ---- lookups ------------------------------------------------------------------ */

/* The quota gate.  A quota is checked by counting the tenant's objects
 * (POL_LOOKUP_TENANT_*) before the create goes on: two creates judged at
 * once would both count the same objects and both pass.  So a request whose
 * judgement counts them holds the gate from that count until its exchange
 * is over (the engine has answered: what it created is counted by the
 * next); other such requests wait in order.  One gate for every tenant: it
 * only serialises creates under a quota, each one engine round trip.
 *
 * Nothing bounds the holder's round trip once its create is forwarded (the
 * engine may take its time, or never answer while the client stays), and
 * it cannot be let go early: a create the engine is still working on would
 * not be in the next count.  So the wait is what is bounded: a request
 * that has waited limits.quota_wait_ms gives up its place (gate_expired)
 * and is answered 503 without being counted or forwarded (fail closed). */
static struct exchange *gate_holder, *gate_head, *gate_tail;
static int gate_wake_armed;
static struct log_limit gate_log;   /* expiries come in storms behind a stuck holder */

static int
counts_tenant(struct exchange *x)
{
	struct pol_lookup *lookups;
	size_t n = x->pp ? policy_lookups(x->pp, &lookups) : 0;
	for (size_t i = 0; i < n; i++)
		if (!lookups[i].done && (lookups[i].kind == POL_LOOKUP_TENANT_CONTAINERS ||
		    lookups[i].kind == POL_LOOKUP_TENANT_VOLUMES))
			return 1;
	return 0;
}

static size_t start_lookups(struct exchange *x, struct event_base *base, const char *upstream);

/* x no longer waits: out of the queue, its deadline gone */
static void
gate_unqueue(struct exchange *x)
{
	if (x->gate_timer != NULL) {
		event_free(x->gate_timer);
		x->gate_timer = NULL;
	}
	if (!x->gate_waiting)
		return;
	struct exchange **pp = &gate_head, *prev = NULL;
	while (*pp != NULL && *pp != x) {
		prev = *pp;
		pp = &(*pp)->gate_next;
	}
	if (*pp == x) {
		*pp = x->gate_next;
		if (gate_tail == x)
			gate_tail = prev;
	}
	x->gate_waiting = 0;
	x->gate_next = NULL;
}

static void
gate_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	gate_wake_armed = 0;
	while (gate_holder == NULL && gate_head != NULL) {
		struct exchange *x = gate_head;
		gate_unqueue(x);
		gate_holder = x;
		if (start_lookups(x, x->gate_base, x->gate_upstream) == 0)
			x->lookups_done(x->lookups_arg);   /* judged as unanswered */
	}
}

/* x waited limits.quota_wait_ms: it leaves the queue uncounted and its
 * session answers it (exchange_gate_expired) */
static void
gate_expired(evutil_socket_t fd, short what, void *arg)
{
	struct exchange *x = arg;
	struct timeval now, d;
	unsigned long held_back;
	(void)fd; (void)what;
	gate_unqueue(x);
	x->gate_expired = 1;
	if (log_limit_pass(&gate_log, &held_back)) {
		char holder[400] = "none (being handed on)";
		if (gate_holder != NULL) {
			gettimeofday(&now, NULL);
			timersub(&now, &gate_holder->start, &d);
			snprintf(holder, sizeof holder, "req=%llu \"%s %s\" for %ld.%01ld s",
			    (unsigned long long)gate_holder->id, gate_holder->method, gate_holder->target,
			    (long)d.tv_sec, (long)d.tv_usec / 100000);
		}
		log_warn("quota gate: req=%llu refused after waiting limits.quota_wait_ms; the gate "
		    "is held by %s (%lu more refused since the last line)", (unsigned long long)x->id,
		    holder, held_back);
	}
	x->lookups_done(x->lookups_arg);
}

int
exchange_gate_expired(const struct exchange *x)
{
	return x->gate_expired;
}

/* x is over: the next waiting request goes on, from the loop (never from
 * inside the end of another session's exchange) */
static void
gate_leave(struct exchange *x)
{
	gate_unqueue(x);
	if (gate_holder != x)
		return;
	gate_holder = NULL;
	if (gate_head != NULL && !gate_wake_armed) {
		struct timeval now = { 0, 0 };
		if (event_base_once(gate_head->gate_base, -1, EV_TIMEOUT, gate_wake, NULL, &now) == 0)
			gate_wake_armed = 1;
	}
}

static void
lookup_answered(struct pol_lookup *lk, void *arg)
{
	struct exchange *x = arg;
	struct pol_lookup *lookups;
	size_t n = policy_lookups(x->pp, &lookups);
	for (size_t i = 0; i < n; i++)
		if (&lookups[i] == lk)
			x->pending[i] = NULL;
	/* one lookup found no budget: the request is refused, so the others
	 * are not worth their bytes (and give them back now) */
	if (x->lookup_acct.full != NULL)
		exchange_cancel_lookups(x);
	for (size_t i = 0; i < n; i++)
		if (x->pending[i])
			return;
	x->lookups_done(x->lookups_arg);
}

size_t
exchange_start_lookups(struct exchange *x, struct event_base *base, const char *upstream,
    const struct sw_identity *ident, long gate_wait_ms, void (*done)(void *arg), void *arg)
{
	x->lookups_done = done;
	x->lookups_arg = arg;
	if (x->lookup_acct.cap == 0) {   /* the first round */
		if (x->share == NULL)
			x->share = share_get(ident);
		x->lookup_acct.cap = ENGINE_REQUEST_BUDGET;
		x->lookup_acct.parent = x->share ? &x->share->lookup : NULL;
	}
	if (gate_holder != x && counts_tenant(x)) {
		if (gate_holder != NULL || gate_head != NULL) {
			/* wait for the gate, at most gate_wait_ms: reported as one
			 * lookup on its way */
			struct timeval tv = { gate_wait_ms / 1000, (gate_wait_ms % 1000) * 1000 };
			if ((x->gate_timer = evtimer_new(base, gate_expired, x)) == NULL ||
			    evtimer_add(x->gate_timer, &tv) != 0) {
				gate_unqueue(x);
				x->gate_expired = 1;   /* no deadline, no wait */
				return 0;
			}
			x->gate_base = base;
			x->gate_upstream = upstream;
			x->gate_waiting = 1;
			x->gate_next = NULL;
			if (gate_tail != NULL)
				gate_tail->gate_next = x;
			else
				gate_head = x;
			gate_tail = x;
			return 1;
		}
		gate_holder = x;
	}
	return start_lookups(x, base, upstream);
}

static size_t
start_lookups(struct exchange *x, struct event_base *base, const char *upstream)
{
	struct pol_lookup *lookups;
	size_t n = policy_lookups(x->pp, &lookups), started = 0;
	for (size_t i = 0; i < n && i < POL_MAX_LOOKUPS; i++) {
		if (lookups[i].done || x->pending[i])
			continue;
		x->pending[i] = lookup_start(base, upstream, &lookups[i], &x->lookup_acct,
		    lookup_answered, x);
		if (x->pending[i] == NULL) {
			lookups[i].done = 1;
			lookups[i].status = 0;   /* unanswered: the policy denies on it */
		} else {
			started++;
		}
	}
	return started;
}

int
exchange_lookups_busy(const struct exchange *x, char *msg, size_t len)
{
	const struct engine_account *full = x->lookup_acct.full;
	if (full == NULL)
		return 0;
	if (full == &x->lookup_acct) {
		/* waiting cannot help: the same request needs the same bytes */
		snprintf(msg, len, "sockward: the objects this request names have engine answers "
		    "larger than %u MiB together, the most one request's policy lookups may hold; "
		    "name fewer of them", ENGINE_REQUEST_BUDGET >> 20);
		return 403;
	}
	if (x->share != NULL && full == &x->share->lookup)
		snprintf(msg, len, "sockward: engine lookups busy: this client's requests being "
		    "judged hold %u MiB of engine answers, the most one client may hold; nothing "
		    "was forwarded, retry", ENGINE_IDENTITY_BUDGET >> 20);
	else if (x->lookup_acct.waited)
		snprintf(msg, len, "sockward: engine lookups busy: no engine connection or room "
		    "in the lookup budget was free for this request's policy lookups within their "
		    "deadline; nothing was forwarded, retry");
	else
		snprintf(msg, len, "sockward: engine lookups busy: the requests being judged hold "
		    "%u MiB of engine answers, the most sockward holds; nothing was forwarded, retry",
		    ENGINE_LOOKUP_BUDGET >> 20);
	return 503;
}

/* Lookups run on connections of their own: only the end of the request
 * they serve cancels them, never the loss of the client's engine connection. */
void
exchange_cancel_lookups(struct exchange *x)
{
	for (size_t i = 0; i < POL_MAX_LOOKUPS; i++) {
		if (x->pending[i]) {
			lookup_cancel(x->pending[i]);
			x->pending[i] = NULL;
		}
	}
}

/* ---- the request the engine gets ---------------------------------------------- */

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

/* "Content-Length: N\r\n" into buf (room for any 64-bit N); its length */
static size_t
content_length_line(char *buf, unsigned long long n)
{
	static const char name[] = "Content-Length: ";
	char digits[24], *e = digits + sizeof digits, *p = e;
	do
		*--p = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	size_t len = sizeof name - 1;
	memcpy(buf, name, len);
	memcpy(buf + len, p, (size_t)(e - p));
	len += (size_t)(e - p);
	memcpy(buf + len, "\r\n", 2);
	return len + 2;
}

void
exchange_write_request(struct exchange *x, struct evbuffer *out)
{
	const struct http_req *r = &x->req;
	size_t before = evbuffer_get_length(out);
	/* the policy may name the object by the full ID it resolved, so the
	 * engine acts on exactly what was judged */
	const char *target = x->judged && x->dec.target ? x->dec.target : http_req_url(r);
	/* the framing sockward chose, and the body that follows the head */
	char framing[64];
	size_t flen = 0;
	const char *body = NULL;
	size_t body_len = 0;
	int add_body = 0;
	if (x->inspect) {
		if (x->judged && x->dec.body) {
			/* exactly the document that was judged */
			flen = content_length_line(framing, x->dec.body_len);
			body = x->dec.body;
			body_len = x->dec.body_len;
		} else {
			size_t n = x->body ? evbuffer_get_length(x->body) : 0;
			if (n > 0 || http_req_has_body(r))
				flen = content_length_line(framing, n);
			add_body = x->body != NULL;
		}
	} else if (http_req_chunked(r)) {
		static const char te[] = "Transfer-Encoding: chunked\r\n";
		memcpy(framing, te, sizeof te - 1);
		flen = sizeof te - 1;
	} else if (r->p.flags & F_CONTENT_LENGTH) {
		flen = content_length_line(framing, http_req_content_length(r));
	}
	/* the head is built in one piece of the buffer: measured, then written */
	size_t mlen = strlen(x->method), tlen = strlen(target);
	size_t len = mlen + 1 + tlen + sizeof " HTTP/1.1\r\n" - 1 + flen + 2;
	for (size_t i = 0; i < r->nhdr; i++) {
		const struct req_header *h = &r->hdr[i];
		if (!header_is_framing(r->buf + h->name_off, h->name_len))
			len += h->name_len + 2 + h->val_len + 2;
	}
	struct evbuffer_iovec v;
	if (evbuffer_reserve_space(out, (ev_ssize_t)len, &v, 1) != 1 || v.iov_len < len)
		return;   /* out of memory: the engine gets nothing, its answer never comes */
	char *p = v.iov_base;
	memcpy(p, x->method, mlen);
	p += mlen;
	*p++ = ' ';
	memcpy(p, target, tlen);
	p += tlen;
	memcpy(p, " HTTP/1.1\r\n", sizeof " HTTP/1.1\r\n" - 1);
	p[6] = (char)('0' + r->p.http_major % 10);   /* llhttp reads one digit each */
	p[8] = (char)('0' + r->p.http_minor % 10);
	p += sizeof " HTTP/1.1\r\n" - 1;
	for (size_t i = 0; i < r->nhdr; i++) {
		const struct req_header *h = &r->hdr[i];
		if (header_is_framing(r->buf + h->name_off, h->name_len))
			continue;
		memcpy(p, r->buf + h->name_off, h->name_len);
		p += h->name_len;
		*p++ = ':';
		*p++ = ' ';
		memcpy(p, r->buf + h->val_off, h->val_len);
		p += h->val_len;
		*p++ = '\r';
		*p++ = '\n';
	}
	memcpy(p, framing, flen);
	p += flen;
	*p++ = '\r';
	*p++ = '\n';
	v.iov_len = len;
	evbuffer_commit_space(out, &v, 1);
	if (body != NULL)
		evbuffer_add(out, body, body_len);
	else if (add_body)
		evbuffer_add_buffer(out, x->body);
	x->bytes_in += evbuffer_get_length(out) - before;
}

/* ---- the answer's stage ---------------------------------------------------------- */

/* A tenant's create or rename: a 409 would name the container that has the
 * name, perhaps another tenant's */
static int
tenant_names(const struct exchange *x)
{
	return x->judged && x->dec.verdict == POL_ALLOW && x->dec.tenant != NULL &&
	    x->dec.endpoint != NULL && (strcmp(x->dec.endpoint, "container.create") == 0 ||
	    strcmp(x->dec.endpoint, "container.rename") == 0);
}

int
exchange_wants_stage(const struct exchange *x)
{
	return x->judged && x->dec.verdict == POL_ALLOW &&
	    (x->dec.nwarnings > 0 || x->dec.answer_filter != POL_ANSWER_NONE || tenant_names(x));
}

static int
add_warnings(const struct http_resp *resp, struct evbuffer *raw, struct evbuffer *body,
    struct evbuffer *out, void *arg)
{
	const struct exchange *x = arg;
	(void)raw;
	if (tenant_names(x) && resp->head != NULL && resp->head->status == 409) {
		size_t len = evbuffer_get_length(body);
		const char *b = (const char *)evbuffer_pullup(body, -1);
		char *nb = b ? policy_tenant_conflict_body(b, len) : NULL;
		int rc = nb ? answer_write_parsed(resp->head, nb, strlen(nb), out) : -1;
		free(nb);
		return rc;
	}
	if (x->dec.nwarnings == 0)
		return -1;
	return warnings_rewrite_parsed(resp->head, body, x->dec.warnings, x->dec.nwarnings, out);
}

/* The rewritten answer: its head, then text (taken) without a copy; all or
 * nothing reaches out. */
static int
write_filtered(const struct resp_head *h, char *text, size_t len, struct share *share,
    struct evbuffer *out, char *why, size_t whylen)
{
	struct evbuffer *answer = evbuffer_new();
	const char *fail = answer == NULL ? "out of memory"
	    : answer_write_head(h, len, answer) != 0 ? "its head cannot be rebuilt faithfully" : NULL;
	if (fail != NULL)
		free(text);
	else if (response_stage_add_text(answer, text, len, share) != 0)   /* text goes either way */
		fail = "out of memory";
	else if (evbuffer_add_buffer(out, answer) != 0)   /* moves the chains, no copy */
		fail = "the client's buffer took none of it";
	if (answer != NULL)
		evbuffer_free(answer);
	if (fail == NULL)
		return 0;
	snprintf(why, whylen, "%s", fail);
	return STAGE_REFUSE;
}

/* A tenant's list answer: a success is filtered by the policy
 * (tenant_answer_filter) or not relayed at all; an error answer carries no
 * objects and is relayed as the engine gave it.  It runs on the event loop
 * and an answer may be 8 MiB, so at most one of its forms is alive at a
 * time where that is possible: the body goes once parsed (the document is
 * several times its size), the document once serialised, and the text is
 * handed to the client's buffer as it is (counted in the held total until
 * sent). */
static int
filter_answer(const struct http_resp *resp, struct evbuffer *raw, struct evbuffer *body,
    struct evbuffer *out, void *arg)
{
	struct exchange *x = arg;
	struct response_stage *st = x->stage;
	const struct resp_head *h = resp->head;
	char err[200];
	size_t pos, len;
	(void)raw;
	if (h == NULL || !h->done) {
		snprintf(st->why, sizeof st->why, "its head was not recorded");
		return STAGE_REFUSE;
	}
	if (h->status >= 400)
		return -1;     /* an error: dockerd's message, no objects */
	if (h->status != 200) {
		snprintf(st->why, sizeof st->why, "status %d is not a list", h->status);
		return STAGE_REFUSE;
	}
	size_t blen = evbuffer_get_length(body);
	const char *btext = (const char *)evbuffer_pullup(body, -1);
	/* what json_loadb(JSON_DECODE_ANY) reads, in one pass (policy/jsonin.h) */
	json_t *doc = btext ? jsonin_parse_flags(btext, blen, JSON_DECODE_ANY, &pos, err,
	    sizeof err) : NULL;
	evbuffer_drain(body, blen);
	if (doc == NULL) {
		snprintf(st->why, sizeof st->why, "it is not JSON");
		return STAGE_REFUSE;
	}
	json_t *kept = tenant_answer_filter(x->dec.answer_filter, x->dec.tenant, doc, err,
	    sizeof err);
	json_decref(doc);
	if (kept == NULL) {
		snprintf(st->why, sizeof st->why, "%s", err);
		return STAGE_REFUSE;
	}
	/* byte for byte json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) (policy/jsonout.h) */
	char *text = jsonout_compact(kept, blen, &len);
	json_decref(kept);
	if (text == NULL) {
		snprintf(st->why, sizeof st->why, "out of memory");
		return STAGE_REFUSE;
	}
	text[len] = '\n';   /* over its NUL: dockerd ends a JSON answer with a newline */
	return write_filtered(h, text, len + 1, st->share, out, st->why, sizeof st->why);
}

/* Warnings only add the policy's findings to the engine's answer: without
 * them the client gets what it would get from dockerd itself (the audit
 * line still names the rules), so a warnings stage that cannot hold on
 * lets the answer pass.  A tenant's list never passes unfiltered, and a
 * tenant's 409 on create or rename names the container that has the name,
 * perhaps another tenant's. */
int
exchange_answer_may_pass(const struct exchange *x)
{
	const struct response_stage *st = x->stage;
	if (st == NULL)
		return 1;
	if (st->strict)
		return 0;
	/* a head still coming may be that 409's: undecided, so not passed */
	return !(tenant_names(x) && (!st->head.done || st->head.status == 409));
}

int
exchange_attach_stage(struct exchange *x, const struct sw_identity *ident)
{
	if (x->stage != NULL)
		return 0;
	if (x->share == NULL)
		x->share = share_get(ident);   /* NULL: the process-wide budget alone */
	if (x->dec.answer_filter != POL_ANSWER_NONE) {
		x->stage = response_stage_new(filter_answer, x, ANSWER_FILTER_MAX);
		if (x->stage != NULL)
			x->stage->strict = 1;
	} else {
		x->stage = response_stage_new(add_warnings, x, HOLD_MAX);
	}
	if (x->stage == NULL)
		return -1;
	x->stage->share = x->share;
	return 0;
}

/* ---- the record ---------------------------------------------------------------- */

void
exchange_set_reply(struct exchange *x, int status, const char *msg)
{
	snprintf(x->reply, sizeof x->reply, "%s", msg);
	x->resp.status = status;
}

static const char *
verdict_of(const struct exchange *x)
{
	/* refused by sockward itself, or never got that far (still waiting
	 * on lookups or the quota gate) */
	if (!x->judged || x->dec.verdict == POL_NEED_LOOKUP)
		return x->reply[0] ? "deny" : "not-judged";
	if (x->dec.verdict == POL_DENY)
		return "deny";
	if (x->dec.nrules > 0) {
		if (x->dec.mode == POL_MODE_WARN)
			return "warn";
		if (x->dec.mode == POL_MODE_AUDIT)
			return "audit";
	}
	return "allow";
}

void
exchange_record(struct exchange *x, const struct conn_facts *cf, struct audit_log *audit,
    const char *outcome, const char *why)
{
	struct timeval now, d;
	gettimeofday(&now, NULL);
	timersub(&now, &x->start, &d);
	double ms = d.tv_sec * 1e3 + d.tv_usec / 1e3;
	const char *verdict = verdict_of(x);
	const char *rules[POL_MAX_RULES];
	char rules_text[POL_RULES_TEXT_MAX] = "";
	size_t nrules = x->judged ? x->dec.nrules : 0;
	for (size_t i = 0; i < nrules; i++)
		rules[i] = pol_rule_name(x->dec.rules[i]);
	if (nrules > 0)
		pol_rules_join(&x->dec, rules_text, sizeof rules_text);
	char target[2 * sizeof x->target];
	log_quote_inner(target, sizeof target, x->target);
	conn_log(cf, LOG_LVL_INFO, "req=%llu \"%s %s\" status=%d in=%llu out=%llu dur=%.3fms %s %s%s%s",
	    (unsigned long long)x->id, x->method, target, x->resp.status,
	    (unsigned long long)x->bytes_in, (unsigned long long)x->bytes_out,
	    ms, outcome, verdict, nrules ? " rules=" : "", rules_text);
	if (x->judged && x->dec.exception)
		conn_log(cf, LOG_LVL_INFO, "req=%llu exception %s used: %s", (unsigned long long)x->id,
		    x->dec.exception, x->dec.exception_reason ? x->dec.exception_reason : "");
	const char *endpoint = x->judged && x->dec.endpoint ? x->dec.endpoint : "-";
	if (audit) {
		struct audit_record rec = {
			.time = x->start,
			.request_id = x->id,
			.conn_id = cf->id,
			.identity = cf->ident ? cf->ident->display : "",
			.peer = cf->peer,
			.listener = cf->listener,
			.method = x->method,
			.path = exchange_audit_path(x),
			/* not matched (never judged): null, as every value that
			 * does not apply; "-" is only the metrics' label */
			.endpoint = x->judged ? x->dec.endpoint : NULL,
			.image = x->judged ? x->dec.image : NULL,
			.verdict = verdict,
			.profile = x->judged ? x->dec.profile : NULL,
			.mode = x->judged ? pol_mode_name(x->dec.mode) : NULL,
			.rules = rules,
			.nrules = nrules,
			.exception = x->judged ? x->dec.exception : NULL,
			.exception_reason = x->judged ? x->dec.exception_reason : NULL,
			.message = x->judged && x->dec.verdict == POL_DENY ? x->dec.message
			    : x->reply[0] ? x->reply : !x->judged ? why : NULL,
			.status = x->resp.status,
			.bytes_in = x->bytes_in,
			.bytes_out = x->bytes_out,
			.duration_ms = ms,
			.admitted = x->audit_admitted,
		};
		if (audit_write(audit, &rec) != 0)
			metrics_audit_write_failed();
	}
	metrics_request(endpoint, verdict, ms / 1e3);
	if (strcmp(verdict, "deny") == 0)
		metrics_denial(rules, nrules);
	metrics_bytes(x->bytes_in, x->bytes_out);
}
