/* lookup.c - the engine lookups the policy asks for, one engine_client GET
 * each (its own short-lived connection, so it never disturbs the client's
 * exchange).  Anything but a clean answer leaves status 0 or the engine's
 * status, and the policy denies on that. */
#include "daemon/lookup.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon/engine_client.h"
#include "daemon/image_users.h"
#include "daemon/log.h"
#include "policy/tenant.h"

/* One answer: a container's inspect with large labels or Env is
 * legitimately megabytes, so an answer stays bounded at 4 MiB; what one
 * request, one client and all of them may hold of such answers together is
 * the lookup budget's (engine_client.h). */
#define LOOKUP_MAX_BYTES (4u << 20)
#define LOOKUP_TIMEOUT_MS 10000u
/* the deadline given to lookups as they start: LOOKUP_TIMEOUT_MS, unless a
 * test set a shorter one (lookup_set_timeout_ms) */
static unsigned lookup_timeout_ms = LOOKUP_TIMEOUT_MS;
_Static_assert(LOOKUP_MAX_BYTES <= ENGINE_REQUEST_BUDGET, "one answer fits a request's budget");

struct lookup {
	struct engine_req *req;
	struct users_req *users;   /* the passwd/group lookups (image_users.c) */
	struct event *hit;      /* answered from the cache: the callback, next turn */
	json_t *hit_json;
	uint64_t gen;           /* the cache's generation when the lookup started */
	int followed;           /* asked of the engine the cache follows */
	struct pol_lookup *lk;
	lookup_cb cb;
	void *arg;
};

/* ---- the ownership cache --------------------------------------------------------- */

#define LCACHE_MAX        256
#define LCACHE_MAX_BODY   (64u << 10)    /* bytes of one answer kept */
#define LCACHE_HEAD_MAX   4096
#define LCACHE_LINE_MAX   (64u << 10)   /* an unfinished event line */
#define LCACHE_RETRY_MS   1000
#define LCACHE_SINCE_SLACK_S 5           /* since= this far before the request */

struct lc_entry {
	enum pol_lookup_kind kind;
	char *name;
	json_t *json;
};

static struct {
	struct event_base *base;
	char sock[108];
	struct bufferevent *bev;   /* GET /events */
	struct event *retry;
	int head_done, valid;
	uint64_t gen;
	size_t hlen;
	struct lc_entry e[LCACHE_MAX];
	size_t n;
	unsigned long hits;
} lc;

static int
cacheable(enum pol_lookup_kind k)
{
	return k == POL_LOOKUP_CONTAINER || k == POL_LOOKUP_NETWORK || k == POL_LOOKUP_EXEC ||
	    k == POL_LOOKUP_VOLUME;
}

#define KIND(k) (1u << (k))
#define ALL_KINDS (~0u)

/* Which cached answers an event of each type can change.  A container's
 * document shows its networks and mounts, so network and volume events
 * forget containers (and their execs) too; image events change none of
 * these documents; plugins are network and volume drivers.  Any other type
 * (daemon reload, swarm objects, one this table does not know) forgets
 * everything. */
static const struct { const char *type; unsigned kinds; } event_scope[] = {
	{ "container", KIND(POL_LOOKUP_CONTAINER) | KIND(POL_LOOKUP_EXEC) },
	{ "network",   KIND(POL_LOOKUP_NETWORK) | KIND(POL_LOOKUP_CONTAINER) | KIND(POL_LOOKUP_EXEC) },
	{ "volume",    KIND(POL_LOOKUP_VOLUME) | KIND(POL_LOOKUP_CONTAINER) | KIND(POL_LOOKUP_EXEC) },
	{ "image",     0 },
	{ "plugin",    KIND(POL_LOOKUP_NETWORK) | KIND(POL_LOOKUP_VOLUME) },
};

/* Something changed, or the stream cannot tell: forget the answers of the
 * kinds in mask, and let no answer in flight be kept. */
static void
lc_clear_kinds(unsigned mask)
{
	size_t keep = 0;
	for (size_t i = 0; i < lc.n; i++) {
		if (mask & KIND(lc.e[i].kind)) {
			free(lc.e[i].name);
			json_decref(lc.e[i].json);
		} else {
			lc.e[keep++] = lc.e[i];
		}
	}
	lc.n = keep;
	lc.gen++;
}

static void
lc_clear(void)
{
	lc_clear_kinds(ALL_KINDS);
}

/* The kinds one line of the event stream can change.  The stream is chunked
 * JSON, one event per line: a line of hex digits (a chunk size) or nothing
 * says nothing; any other line must name its type ("Type":"container"),
 * else it could be anything.  A label may also be called Type: every type
 * named on the line counts, which can only forget more. */
static unsigned
event_kinds(const char *line, size_t len)
{
	static const char key[] = "\"Type\":\"";
	const size_t klen = sizeof key - 1;
	unsigned mask = 0;
	int typed = 0, framing = 1;

	for (size_t i = 0; i < len; i++)
		if (!((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'f') ||
		    (line[i] >= 'A' && line[i] <= 'F') || line[i] == '\r'))
			framing = 0;
	if (framing)
		return 0;
	for (const char *p = line, *end = line + len;
	    (p = memmem(p, (size_t)(end - p), key, klen)) != NULL; ) {
		p += klen;
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (q == NULL)
			return ALL_KINDS;
		size_t i, n = sizeof event_scope / sizeof event_scope[0];
		for (i = 0; i < n; i++)
			if (strlen(event_scope[i].type) == (size_t)(q - p) &&
			    memcmp(event_scope[i].type, p, (size_t)(q - p)) == 0)
				break;
		mask |= i < n ? event_scope[i].kinds : ALL_KINDS;
		typed = 1;
		p = q;
	}
	return typed ? mask : ALL_KINDS;
}

/* The last chunk ("0"): the events answer is over though its connection
 * may stay open (HTTP/1.1 keeps it for a next request, and we never said
 * Connection: close), so no event will come on it any more.  A line "0"
 * that is only a piece of an event cut by chunking is taken for it too:
 * that only reconnects. */
static int
last_chunk(const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (line[i] != '0')
			return 0;
	return 1;
}

static void lc_connect(void);

static void
lc_down(void)
{
	lc.valid = 0;
	lc_clear();
	if (lc.bev != NULL) {
		bufferevent_free(lc.bev);
		lc.bev = NULL;
	}
}

static void
lc_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	lc_connect();
}

static void
lc_fail(void)
{
	struct timeval tv = { LCACHE_RETRY_MS / 1000, (LCACHE_RETRY_MS % 1000) * 1000 };

	lc_down();
	if (lc.retry != NULL)
		evtimer_add(lc.retry, &tv);
}

static void
lc_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	if (!lc.head_done) {
		struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (end.pos < 0) {
			if (evbuffer_get_length(in) > LCACHE_HEAD_MAX)
				lc_fail();
			return;
		}
		char head[LCACHE_HEAD_MAX + 1] = "";
		if ((size_t)end.pos + 4 > LCACHE_HEAD_MAX) {
			lc_fail();
			return;
		}
		evbuffer_copyout(in, head, (size_t)end.pos + 4);
		/* an answer of known length is no stream: it ends, and its
		 * connection may stay open with no events coming */
		if ((strncmp(head, "HTTP/1.1 200 ", 13) != 0 && strncmp(head, "HTTP/1.0 200 ", 13) != 0) ||
		    strcasestr(head, "\r\nContent-Length:") != NULL) {
			lc_fail();
			return;
		}
		evbuffer_drain(in, (size_t)end.pos + 4);
		lc.head_done = 1;
		lc.valid = 1;
		lc_clear();
	}
	/* every complete line is looked at; an unfinished one waits for its
	 * end, within bounds (one event is far shorter) */
	unsigned mask = 0;
	for (;;) {
		size_t eol_len = 0;
		struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0)
			break;
		char buf[16384];
		size_t len = (size_t)eol.pos;
		if (len < sizeof buf) {
			evbuffer_remove(in, buf, len);
			if (last_chunk(buf, len)) {
				/* else the cache stayed valid with no events coming */
				lc_fail();
				return;
			}
			mask |= event_kinds(buf, len);
		} else {
			mask = ALL_KINDS;   /* too long to look at: anything may have changed */
			evbuffer_drain(in, len);
		}
		evbuffer_drain(in, eol_len);
	}
	if (evbuffer_get_length(in) > LCACHE_LINE_MAX) {
		mask = ALL_KINDS;
		evbuffer_drain(in, evbuffer_get_length(in));
	}
	if (mask != 0)
		lc_clear_kinds(mask);
}

static void
lc_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)arg;
	if (what & BEV_EVENT_CONNECTED)
		return;
	lc_fail();   /* EOF, error: nothing can be trusted until it is back */
}

static void
lc_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	lc_down();
	lc.head_done = 0;
	if (lc.base == NULL || strlen(lc.sock) >= sizeof sun.sun_path)
		return;
	strcpy(sun.sun_path, lc.sock);
	lc.bev = bufferevent_socket_new(lc.base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (lc.bev == NULL) {
		lc_fail();
		return;
	}
	bufferevent_setcb(lc.bev, lc_read, NULL, lc_event, NULL);
	bufferevent_setwatermark(lc.bev, EV_READ, 0, 1u << 20);
	/* dockerd writes the 200 head of /events before it subscribes the
	 * stream (getEvents: output.Flush(), then SubscribeToEvents): a change
	 * between the two is no event on it, and the cache, valid from the
	 * head on, would keep an answer that change made old for good.  With
	 * since= it sends, as it subscribes and under the same lock, the
	 * events of its log from then on: the gap is covered.  The engine on
	 * its unix socket shares our clock; the slack covers an event stamped
	 * a little before it is logged, and an older one replayed only
	 * forgets more. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	evbuffer_add_printf(bufferevent_get_output(lc.bev),
	    "GET /events?since=%lld.%09ld HTTP/1.1\r\nHost: docker\r\nUser-Agent: sockward\r\n\r\n",
	    (long long)now.tv_sec - LCACHE_SINCE_SLACK_S, (long)now.tv_nsec);
	if (bufferevent_socket_connect(lc.bev, (struct sockaddr *)&sun, sizeof sun) != 0) {
		lc_fail();
		return;
	}
	bufferevent_enable(lc.bev, EV_READ | EV_WRITE);
}

void
lookup_cache_stop(void)
{
	lc_down();
	if (lc.retry != NULL)
		event_free(lc.retry);
	lc.retry = NULL;
	lc.base = NULL;
	lc.sock[0] = '\0';
}

void
lookup_cache_configure(struct event_base *base, const char *sock_path, int on)
{
	if (strncmp(sock_path, "unix://", 7) == 0)
		sock_path += 7;
	if (!on || strlen(sock_path) >= sizeof lc.sock) {
		lookup_cache_stop();
		return;
	}
	if (lc.base == base && strcmp(lc.sock, sock_path) == 0)
		return;   /* already following that engine */
	lookup_cache_stop();
	lc.base = base;
	snprintf(lc.sock, sizeof lc.sock, "%s", sock_path);
	if ((lc.retry = evtimer_new(base, lc_retry_cb, NULL)) == NULL) {
		lookup_cache_stop();
		return;
	}
	lc_connect();
}

void
lookup_cache_stats(unsigned long *hits, size_t *entries, int *valid)
{
	*hits = lc.hits;
	*entries = lc.n;
	*valid = lc.valid;
}

static const struct lc_entry *
lc_find(enum pol_lookup_kind kind, const char *name, const char *sock)
{
	if (!lc.valid || !cacheable(kind) || strcmp(sock, lc.sock) != 0)
		return NULL;
	for (size_t i = 0; i < lc.n; i++)
		if (lc.e[i].kind == kind && strcmp(lc.e[i].name, name) == 0)
			return &lc.e[i];
	return NULL;
}

json_t *
lookup_cache_answer(const char *sock_path, enum pol_lookup_kind kind, const char *name)
{
	if (strncmp(sock_path, "unix://", 7) == 0)
		sock_path += 7;
	const struct lc_entry *e = lc_find(kind, name, sock_path);
	if (e == NULL)
		return NULL;
	lc.hits++;
	return json_incref(e->json);
}

static void
lc_put(enum pol_lookup_kind kind, const char *name, json_t *json)
{
	if (lc.n == LCACHE_MAX)
		lc_clear();   /* full: start over (the generation moves on, harmless) */
	char *n = strdup(name);
	if (n == NULL)
		return;
	lc.e[lc.n].kind = kind;
	lc.e[lc.n].name = n;
	lc.e[lc.n].json = json_incref(json);
	lc.n++;
}

int
lookup_path(const struct pol_lookup *lk, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	/* the engine's inspect route of each kind; only image references may
	 * keep their '/' (repository paths), other names escape it */
	static const struct { const char *prefix, *suffix; } routes[] = {
		[POL_LOOKUP_IMAGE]     = { "/images/", "/json" },
		[POL_LOOKUP_CONTAINER] = { "/containers/", "/json" },
		[POL_LOOKUP_VOLUME]    = { "/volumes/", "" },
		[POL_LOOKUP_NETWORK]   = { "/networks/", "" },
		[POL_LOOKUP_EXEC]      = { "/exec/", "/json" },
		[POL_LOOKUP_SERVICE]   = { "/services/", "" },
		[POL_LOOKUP_SECRET]    = { "/secrets/", "" },
		[POL_LOOKUP_CONFIG]    = { "/configs/", "" },
		[POL_LOOKUP_TASK]      = { "/tasks/", "" },
	};
	/* a tenant's objects: the engine's own label filter (tenant names are
	 * a-z 0-9 . _ -, nothing to escape) */
	if (lk->kind == POL_LOOKUP_TENANT_CONTAINERS || lk->kind == POL_LOOKUP_TENANT_VOLUMES) {
		if (!tenant_name_valid(lk->name))
			return -1;
		int n = snprintf(out, outlen, "%s%%7B%%22label%%22%%3A%%5B%%22%s%%3D%s%%22%%5D%%7D",
		    lk->kind == POL_LOOKUP_TENANT_CONTAINERS ? "/containers/json?all=1&filters="
		    : "/volumes?filters=", TENANT_LABEL, lk->name);
		return n < 0 || (size_t)n >= outlen ? -1 : 0;
	}
	if ((size_t)lk->kind >= sizeof routes / sizeof routes[0] || routes[lk->kind].prefix == NULL)
		return -1;
	const char *prefix = routes[lk->kind].prefix, *suffix = routes[lk->kind].suffix;
	size_t slen = strlen(suffix);
	size_t n = (size_t)snprintf(out, outlen, "%s", prefix);
	for (const unsigned char *p = (const unsigned char *)lk->name; *p; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~:@/", *p);
		if (lk->kind != POL_LOOKUP_IMAGE && *p == '/')
			plain = 0;
		if (n + 4 >= outlen)
			return -1;
		if (plain) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	if (n + slen + 1 >= outlen)
		return -1;
	memcpy(out + n, suffix, slen + 1);
	return 0;
}

static void
answered(const struct engine_answer *a, void *arg)
{
	struct lookup *l = arg;
	struct pol_lookup *lk = l->lk;
	lookup_cb cb = l->cb;
	void *cbarg = l->arg;

	lk->status = a->status;
	if (a->status == 200) {
		lk->json = a->json ? json_incref(a->json) : NULL;
		if (lk->json == NULL)
			lk->status = 0;   /* unreadable answer: treat as unanswered */
		/* kept only when no event arrived while it was on its way, and
		 * only when it came from the engine whose events we read: a
		 * request that began before a reload moved upstream.socket
		 * still asks the old engine (it keeps its configuration), and
		 * the old engine's "data" kept as the new one's would let
		 * the new engine's volume be judged by another's options */
		else if (lc.valid && l->followed && l->gen == lc.gen && cacheable(lk->kind) &&
		    lc_find(lk->kind, lk->name, lc.sock) == NULL &&
		    evbuffer_get_length(a->body) <= LCACHE_MAX_BODY)
			lc_put(lk->kind, lk->name, lk->json);
	}
	lk->done = 1;
	free(l);   /* the request frees itself after this callback */
	cb(lk, cbarg);
}

static void
hit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lookup *l = arg;
	struct pol_lookup *lk = l->lk;
	lookup_cb cb = l->cb;
	void *cbarg = l->arg;

	(void)fd; (void)what;
	lk->status = 200;
	lk->json = l->hit_json;   /* the reference goes to the lookup */
	lk->done = 1;
	event_free(l->hit);
	free(l);
	cb(lk, cbarg);
}

static void
users_answered(struct pol_lookup *lk, void *arg)
{
	struct lookup *l = arg;
	lookup_cb cb = l->cb;
	void *cbarg = l->arg;

	free(l);
	cb(lk, cbarg);
}

void
lookup_set_timeout_ms(unsigned ms)
{
	lookup_timeout_ms = ms != 0 ? ms : LOOKUP_TIMEOUT_MS;
}

struct lookup *
lookup_start(struct event_base *base, const char *sock_path, struct pol_lookup *lk,
    struct engine_account *acct, lookup_cb cb, void *arg)
{
	struct engine_opts opts = { .max_bytes = LOOKUP_MAX_BYTES,
	    .timeout_ms = lookup_timeout_ms, .want_json = 1, .limited = 1, .account = acct };
	char path[1700];

	if (lk->kind == POL_LOOKUP_IMAGE_USERS || lk->kind == POL_LOOKUP_CONTAINER_USERS) {
		struct lookup *l = calloc(1, sizeof *l);
		if (l == NULL)
			return NULL;
		l->lk = lk;
		l->cb = cb;
		l->arg = arg;
		if ((l->users = users_start(base, strncmp(sock_path, "unix://", 7) == 0 ?
		    sock_path + 7 : sock_path, lk, users_answered, l)) == NULL) {
			free(l);
			return NULL;
		}
		return l;
	}
	if (lookup_path(lk, path, sizeof path) != 0)
		return NULL;
	struct lookup *l = calloc(1, sizeof *l);
	if (l == NULL)
		return NULL;
	l->lk = lk;
	l->cb = cb;
	l->arg = arg;
	lk->json = NULL;
	lk->status = 0;
	const char *engine = strncmp(sock_path, "unix://", 7) == 0 ? sock_path + 7 : sock_path;
	const struct lc_entry *e = lc_find(lk->kind, lk->name, engine);
	if (e != NULL) {
		/* from the cache; the callback still runs from the loop, never
		 * inside lookup_start */
		static const struct timeval now = { 0, 0 };
		l->hit_json = json_incref(e->json);
		l->hit = evtimer_new(base, hit_cb, l);
		if (l->hit != NULL && evtimer_add(l->hit, &now) == 0) {
			lc.hits++;
			log_debug("lookup %s %s: from the ownership cache", pol_lookup_kind_name(lk->kind),
			    lk->name);
			return l;
		}
		if (l->hit != NULL)
			event_free(l->hit);
		json_decref(l->hit_json);
		l->hit = NULL;
		l->hit_json = NULL;
	}
	l->gen = lc.gen;   /* a reconfigure moves it on, so the engine stays that one */
	l->followed = lc.sock[0] != '\0' && strcmp(engine, lc.sock) == 0;
	l->req = engine_get(base, sock_path, path, &opts, answered, l);
	if (l->req == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

void
lookup_cancel(struct lookup *l)
{
	if (l == NULL)
		return;
	if (l->users != NULL) {
		users_cancel(l->users);
	} else if (l->hit != NULL) {
		event_free(l->hit);
		json_decref(l->hit_json);
	} else {
		engine_cancel(l->req);
	}
	free(l);
}
