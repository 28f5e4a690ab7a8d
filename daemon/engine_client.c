/* engine_client.c - see engine_client.h.
 *
 * The engine's answer goes through http_resp, the strict parser that frames
 * answers for clients, with its capture buffer collecting the de-chunked
 * body: the status line, framing and chunking are read exactly as the proxy
 * reads them, and no second, laxer reading of the engine exists. */
#include "daemon/engine_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon/http_parse.h"
#include "daemon/log.h"
#include "policy/jsonin.h"

struct engine_req {
	struct bufferevent *bev;
	struct sockaddr_un sun;     /* where it connects (once it may) */
	/* opts->limited: counted in lim.active while it has a connection
	 * (counted), or in lim's queue while it waits for one (queued) */
	int limited, urgent, counted, queued;
	struct engine_account *acct;   /* opts->account */
	size_t charged;                /* bytes charged to acct (and its chain) so far */
	struct engine_req *qnext, *qprev;
	/* the deadline; a start that failed is also reported through it, one
	 * loop turn later, so the caller's bookkeeping is in place first */
	struct event *timer;
	struct http_resp resp;
	struct evbuffer *body;
	size_t max_bytes, nread;
	unsigned timeout_ms;
	int want_json;
	engine_cb cb;
	void *arg;
	int connected;
	int in_callback;
	char error[192];
};

/* The connections of limited requests (engine_opts.limited): the policy's
 * lookups and image user reads.  A judgement may ask for POL_MAX_LOOKUPS at
 * once and a cancelled image user read still deletes its container, so
 * without a bound of their own the number of engine connections followed
 * the number of clients (times 16).  Past ENGINE_LOOKUP_CONNECTIONS a
 * request waits here, in order (urgent ones first), for a connection to
 * close. */
static struct {
	unsigned active, waiting;
	struct engine_req *head, *tail;
	struct log_limit log, budget_log;
} lim;

static struct engine_account budget = { .cap = ENGINE_LOOKUP_BUDGET };

const struct engine_account *
engine_budget(void)
{
	return &budget;
}

/* the accounts a charge to a goes to: a, its parents, the process's */
static struct engine_account *
acct_next(struct engine_account *a)
{
	return a == &budget ? NULL : a->parent != NULL ? a->parent : &budget;
}

/* The first account of a's chain without room for n more bytes, or NULL
 * (then all of them are charged). */
static struct engine_account *
acct_charge(struct engine_account *a, size_t n)
{
	for (struct engine_account *p = a; p != NULL; p = acct_next(p))
		if (p->bytes + n > p->cap)
			return p;
	for (struct engine_account *p = a; p != NULL; p = acct_next(p))
		p->bytes += n;
	return NULL;
}

static void lim_admit(void);

static void
acct_uncharge(struct engine_account *a, size_t n)
{
	if (n == 0)
		return;
	for (struct engine_account *p = a; p != NULL; p = acct_next(p))
		p->bytes -= n;
	lim_admit();   /* room for the next waiting lookup, maybe */
}

void
engine_account_release(struct engine_account *a)
{
	acct_uncharge(a, a->bytes);
}

/* r is given up for the budget: the first reason is kept on its account */
static void
acct_full(struct engine_req *r, const struct engine_account *full, int waited)
{
	if (r->acct != NULL && r->acct->full == NULL) {
		r->acct->full = full;
		r->acct->waited = waited;
	}
}

static void
lim_unqueue(struct engine_req *r)
{
	if (!r->queued)
		return;
	if (r->qprev != NULL)
		r->qprev->qnext = r->qnext;
	else
		lim.head = r->qnext;
	if (r->qnext != NULL)
		r->qnext->qprev = r->qprev;
	else
		lim.tail = r->qprev;
	r->qnext = r->qprev = NULL;
	r->queued = 0;
	lim.waiting--;
}

static void
lim_enqueue(struct engine_req *r)
{
	r->queued = 1;
	lim.waiting++;
	if (r->urgent) {
		/* after the urgent ones already waiting, before the rest */
		struct engine_req *after = NULL;
		for (struct engine_req *q = lim.head; q != NULL && q->urgent; q = q->qnext)
			after = q;
		r->qprev = after;
		r->qnext = after ? after->qnext : lim.head;
	} else {
		r->qprev = lim.tail;
		r->qnext = NULL;
	}
	if (r->qprev != NULL)
		r->qprev->qnext = r;
	else
		lim.head = r;
	if (r->qnext != NULL)
		r->qnext->qprev = r;
	else
		lim.tail = r;
}

static void req_connect(struct engine_req *r);

static void arm_timer(struct engine_req *r, unsigned ms);

/* An account of r's own chain (not the process's) that is full: waiting
 * would be for r's own request or identity to give answers back. */
static const struct engine_account *
own_chain_full(struct engine_req *r)
{
	for (struct engine_account *p = r->acct; p != NULL && p != &budget; p = acct_next(p))
		if (p->bytes >= p->cap)
			return p;
	return NULL;
}

/* Waiting requests get connections, in order, while there are connections
 * and budget.  One whose own account is full, or that holds answers while
 * the process's budget has no room (hold and wait), is given up (reported
 * from the loop through its timer, never from here).  One that holds
 * nothing waits for room, and the charged ones behind it wait their turn;
 * but the budget is given back only by requests that finish, and those may
 * be waiting behind it: a second round of a request that holds answers, or
 * a read charged to no account (image users).  So the line is walked past
 * a request that waits for the budget: what needs none of it goes on, what
 * holds answers is given up now instead of when it reaches the head. */
static void
lim_admit(void)
{
	int blocked = 0;   /* an earlier one waits for room in the budget */
	struct engine_req *after;
	for (struct engine_req *next = lim.head; next != NULL &&
	    lim.active < ENGINE_LOOKUP_CONNECTIONS; next = after) {
		after = next->qnext;
		if (next->acct == NULL) {
			lim_unqueue(next);
			req_connect(next);
			continue;
		}
		const struct engine_account *full = own_chain_full(next);
		int room = budget.bytes + next->max_bytes <= budget.cap;
		if (full == NULL && (room ? blocked : next->acct->bytes == 0)) {
			blocked = 1;   /* waits for the budget, and the charged ones behind it too */
			continue;
		}
		lim_unqueue(next);
		if (full != NULL || !room) {
			acct_full(next, full ? full : &budget, 0);
			snprintf(next->error, sizeof next->error, "the lookup budget has no room "
			    "(%zu of %zu bytes held)", full ? full->bytes : budget.bytes,
			    full ? full->cap : budget.cap);
			arm_timer(next, 0);
			continue;
		}
		req_connect(next);
	}
}

/* r's connection is closed: the next waiting request gets one */
static void
lim_release(struct engine_req *r)
{
	if (!r->counted)
		return;
	r->counted = 0;
	lim.active--;
	lim_admit();
}

int
engine_queued(const struct engine_req *r)
{
	return r != NULL && r->queued;
}

void
engine_limited_stats(unsigned *active, unsigned *waiting)
{
	*active = lim.active;
	*waiting = lim.waiting;
}

static void
req_free(struct engine_req *r)
{
	lim_unqueue(r);
	if (r->bev != NULL)
		bufferevent_free(r->bev);
	r->bev = NULL;
	lim_release(r);
	if (r->charged > 0) {
		size_t n = r->charged;
		r->charged = 0;
		acct_uncharge(r->acct, n);
	}
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->body != NULL)
		evbuffer_free(r->body);
	free(r);
}

/* The one way out: hand the answer over, then forget the request. */
static void
complete(struct engine_req *r, int status)
{
	struct engine_answer a = { .status = status, .body = r->body,
	    .error = status ? "" : r->error, .unsent = r->queued || !r->connected };

	/* the connection is done with either way: close it before the callback,
	 * which may take a while or start the next request */
	lim_unqueue(r);
	if (r->bev != NULL) {
		bufferevent_free(r->bev);
		r->bev = NULL;
	}
	lim_release(r);
	evtimer_del(r->timer);
	if (status != 0 && r->want_json && evbuffer_get_length(r->body) > 0) {
		/* what json_loadb(flags 0) reads, in one pass (policy/jsonin.h):
		 * an inspect answer is several KB, jansson's loader took ~60k
		 * instructions for each */
		char je[160];
		size_t pos;
		a.json = jsonin_parse_flags((const char *)evbuffer_pullup(r->body, -1),
		    evbuffer_get_length(r->body), 0, &pos, je, sizeof je);
	}
	/* a 200's bytes are the caller's to give back now (it holds what was
	 * parsed); any other's go back before the callback, which may give
	 * back its whole account (the request decided) */
	size_t give_back = status == 200 && (!r->want_json || a.json != NULL) ? 0 : r->charged;
	r->charged = 0;
	acct_uncharge(r->acct, give_back);
	r->in_callback = 1;
	r->cb(&a, r->arg);
	json_decref(a.json);
	req_free(r);
}

static void fail(struct engine_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(struct engine_req *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	complete(r, 0);
}

/* Charge n bytes just read; 0 when r failed for want of room. */
static int
charge_read(struct engine_req *r, size_t n)
{
	struct engine_account *full = acct_charge(r->acct, n);
	if (full == NULL) {
		r->charged += n;
		return 1;
	}
	unsigned long held_back;
	if (log_limit_pass(&lim.budget_log, &held_back))
		log_warn("engine lookups: an answer was given up at %zu bytes: the lookup budget of "
		    "%s holds %zu of its %zu bytes; its request is refused (%lu more since the last "
		    "line)", r->charged, full == &budget ? "all clients" : full == r->acct ?
		    "its request" : "its client", full->bytes, full->cap, held_back);
	acct_full(r, full, 0);
	fail(r, "the lookup budget has no room (%zu of %zu bytes held)", full->bytes, full->cap);
	return 0;
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct engine_req *r = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;

	while (evbuffer_peek(in, -1, NULL, &v, 1) >= 1 && v.iov_len > 0) {
		size_t n = v.iov_len, used = 0, room = r->max_bytes - r->nread;
		enum parse_result res;

		/* feed no more than the bound allows: an answer that ends inside
		 * it is fine, one that needs a byte more is too large */
		if (room == 0) {
			fail(r, "answer larger than %zu bytes", r->max_bytes);
			return;
		}
		if (n > room)
			n = room;
		res = http_resp_feed(&r->resp, v.iov_base, n, &used);
		r->nread += used;
		evbuffer_drain(in, used);
		/* what was read is charged (the parser may leave part of n) */
		if (r->acct != NULL && !charge_read(r, used))
			return;
		if (r->resp.capture_overflow) {
			fail(r, "answer larger than %zu bytes", r->max_bytes);
			return;
		}
		switch (res) {
		case PARSE_MORE:
			break;
		case PARSE_DONE:
			if (r->resp.hijack) {
				fail(r, "the engine switched protocols (status %d)", r->resp.status);
				return;
			}
			if (r->resp.status >= 100 && r->resp.status < 200) {
				/* interim answer: the real one follows */
				http_resp_init(&r->resp, 0);
				r->resp.capture = r->body;
				r->resp.capture_max = r->max_bytes;
				break;
			}
			complete(r, r->resp.status);
			return;
		case PARSE_HEADERS:   /* a raw stream: nothing a GET here expects */
			fail(r, "the engine answered with a raw stream");
			return;
		case PARSE_ERROR:
			fail(r, "malformed answer: %s", r->resp.error);
			return;
		}
	}
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct engine_req *r = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		r->connected = 1;
		return;
	}
	if (what & BEV_EVENT_EOF) {
		/* only an answer whose body runs to EOF is complete here */
		if (r->nread > 0 && http_resp_finish(&r->resp) && r->resp.paused_at == PAUSE_DONE &&
		    !r->resp.hijack && r->resp.status >= 200)
			complete(r, r->resp.status);
		else
			fail(r, "connection closed before a complete answer");
		return;
	}
	/* libevent reports a refused unix connect without setting errno */
	int e = EVUTIL_SOCKET_ERROR();
	fail(r, "%s%s", r->connected ? "" : "connect: ",
	    e != 0 ? evutil_socket_error_to_string(e) : "connection refused");
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct engine_req *r = arg;

	(void)fd; (void)what;
	if (r->error[0] != '\0') {
		complete(r, 0);   /* the failed start, reported */
	} else if (r->queued) {
		unsigned long held_back;
		if (log_limit_pass(&lim.log, &held_back))
			log_warn("engine lookups: a lookup waited %u ms for one of the %d engine "
			    "connections policy lookups may have open at once, or for room in the "
			    "lookup budget, and was given up "
			    "(%u waiting; %lu more since the last line); its request is refused",
			    r->timeout_ms, ENGINE_LOOKUP_CONNECTIONS, lim.waiting - 1, held_back);
		acct_full(r, &budget, 1);
		fail(r, "no engine connection free for policy lookups within %u ms (%d in use)",
		    r->timeout_ms, ENGINE_LOOKUP_CONNECTIONS);
	} else {
		fail(r, "no answer within %u ms", r->timeout_ms);
	}
}

/* The deadline counts from now, not from the start of this turn of the
 * loop, which is the time libevent has cached: after a long turn (a big
 * answer parsed, a slow machine) a deadline would run out that much early. */
static void
arm_timer(struct engine_req *r, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_update_cache_time(event_get_base(r->timer));
	evtimer_add(r->timer, &tv);
}

/* Open r's connection (its request is already in the output buffer); a
 * failure is reported from the loop through the timer. */
static void
req_connect(struct engine_req *r)
{
	if (r->limited) {
		r->counted = 1;
		lim.active++;
	}
	if (bufferevent_socket_connect(r->bev, (struct sockaddr *)&r->sun, sizeof r->sun) != 0) {
		snprintf(r->error, sizeof(r->error), "connect: %s", strerror(errno));
		bufferevent_free(r->bev);
		r->bev = NULL;
		if (r->counted) {
			/* no connection after all; not lim_release(): called from its
			 * loop, that would recurse once per waiting request */
			r->counted = 0;
			lim.active--;
		}
		arm_timer(r, 0);
		return;
	}
	bufferevent_enable(r->bev, EV_READ | EV_WRITE);
	if (r->urgent)
		arm_timer(r, r->timeout_ms);   /* its deadline starts now */
}

/* Anything that could end the request line early or smuggle a header. */
static int
path_ok(const char *path)
{
	if (path[0] != '/')
		return 0;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

struct engine_req *
engine_get(struct event_base *base, const char *sock_path, const char *path,
    const struct engine_opts *opts, engine_cb cb, void *arg)
{
	return engine_request(base, sock_path, "GET", path, NULL, 0, opts, cb, arg);
}

struct engine_req *
engine_request(struct event_base *base, const char *sock_path, const char *method,
    const char *path, const char *body, size_t body_len, const struct engine_opts *opts,
    engine_cb cb, void *arg)
{
	struct engine_req *r;

	if (strncmp(sock_path, "unix://", 7) == 0)
		sock_path += 7;
	if (strlen(sock_path) >= sizeof(r->sun.sun_path) || !path_ok(path) || cb == NULL ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
	    strcmp(method, "DELETE") != 0))
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->sun.sun_family = AF_UNIX;
	strcpy(r->sun.sun_path, sock_path);
	r->limited = opts ? opts->limited : 0;
	r->urgent = r->limited && opts->urgent;
	r->acct = r->limited ? opts->account : NULL;
	r->cb = cb;
	r->arg = arg;
	r->max_bytes = opts && opts->max_bytes ? opts->max_bytes : ENGINE_DEFAULT_MAX_BYTES;
	r->timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : ENGINE_DEFAULT_TIMEOUT_MS;
	r->want_json = opts ? opts->want_json : 0;
	http_resp_init(&r->resp, 0);
	r->body = evbuffer_new();
	r->timer = evtimer_new(base, on_timer, r);
	r->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (r->body == NULL || r->timer == NULL || r->bev == NULL) {
		req_free(r);
		return NULL;
	}
	r->resp.capture = r->body;
	r->resp.capture_max = r->max_bytes;
	bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
	/* Connection: close - one request per connection, and an engine that
	 * answered has nothing more to say on it */
	evbuffer_add_printf(bufferevent_get_output(r->bev),
	    "%s %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: %s\r\nConnection: close\r\n",
	    method, path, opts && opts->user_agent ? opts->user_agent : "sockward");
	if (body != NULL)
		evbuffer_add_printf(bufferevent_get_output(r->bev),
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n", body_len);
	evbuffer_add(bufferevent_get_output(r->bev), "\r\n", 2);
	if (body != NULL)
		evbuffer_add(bufferevent_get_output(r->bev), body, body_len);
	if (!r->urgent)
		arm_timer(r, r->timeout_ms);   /* from now, a wait for a connection included */
	if (r->limited) {
		lim_enqueue(r);   /* connects now, or when a connection or budget frees */
		lim_admit();
	} else {
		req_connect(r);
	}
	return r;
}

void
engine_cancel(struct engine_req *r)
{
	if (r == NULL || r->in_callback)
		return;   /* a running callback: complete() frees it afterwards */
	req_free(r);
}
