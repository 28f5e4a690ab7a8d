/* admin.c - see admin.h.  evhttp serves the admin listener; the health probe
 * is an engine_client GET /_ping (evhttp's client side in libevent 2.1
 * cannot connect to a unix socket).  Everything here runs inside the event
 * loop, so nothing may block: not even the check for a live admin socket. */
#include "daemon/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>

#include "daemon/engine_client.h"
#include "daemon/http_error.h"
#include "daemon/log.h"
#include "daemon/metrics.h"

#define MAX_PING_ANSWER   65536  /* /_ping answers "OK" and a few headers */
#define ACCEPT_PAUSE_MS   250    /* after a failed accept, as the Docker listeners */

struct probe;

struct admin {
	struct event_base *base;
	struct evhttp *http;
	char *unix_path;               /* to remove on stop; NULL for TCP */
	int port;
	unsigned ping_timeout_ms;
	const char *(*upstream_path)(void);
	TAILQ_HEAD(, probe) probes;
	int nprobes;
	/* connections: see "the connection cap" below */
	struct evconnlistener *lev;
	struct event *count_ev;        /* runs count_fresh() */
	struct event *resume_ev;       /* ends a pause after a failed accept */
	struct bufferevent *fresh[ADMIN_ACCEPT_BATCH];
	int nfresh;
	int nconns;                    /* counted and open */
	unsigned paused;               /* PAUSE_* bits; the listener is off while any is set */
	struct log_limit refusals;
	SLIST_ENTRY(admin) all;
};

/* Every admin endpoint started: a listener's error callback gets the
 * argument evhttp gave the listener (the evhttp), not ours. */
static SLIST_HEAD(, admin) admins = SLIST_HEAD_INITIALIZER(admins);

#define PAUSE_BATCH 1u   /* a batch of connections to count */
#define PAUSE_ERROR 2u   /* accept failed (out of descriptors) */

struct probe {
	TAILQ_ENTRY(probe) next;
	struct admin *adm;
	struct evhttp_request *req;
	struct engine_req *ping;
	char upstream[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* ---- replies --------------------------------------------------------------- */

static void
reply_json(struct evhttp_request *req, int code, const char *reason, const char *message)
{
	struct evbuffer *body = evbuffer_new();
	json_t *o = json_pack("{s:s}", "message", message);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	if (body != NULL)
		evbuffer_add_printf(body, "%s\n", text ? text : "{\"message\":\"error\"}");
	evhttp_send_reply(req, code, reason, body);
	if (body != NULL)
		evbuffer_free(body);
	free(text);
	json_decref(o);
}

static void
reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *ctype, struct evbuffer *body)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
}

/* ---- health probe ---------------------------------------------------------- */

static void
probe_free(struct probe *p)
{
	TAILQ_REMOVE(&p->adm->probes, p, next);
	p->adm->nprobes--;
	engine_cancel(p->ping);
	free(p);
}

static void
probe_finish(struct probe *p, int healthy, const char *why)
{
	if (healthy) {
		struct evbuffer *b = evbuffer_new();
		if (b != NULL)
			evbuffer_add(b, "ok\n", 3);
		reply_text(p->req, 200, "OK", "text/plain; charset=utf-8", b);
		if (b != NULL)
			evbuffer_free(b);
	} else {
		char msg[512];
		snprintf(msg, sizeof(msg), "engine at %s did not answer /_ping: %s",
		    p->upstream, why);
		reply_json(p->req, 503, "Service Unavailable", msg);
	}
	probe_free(p);
}

static void
probe_answered(const struct engine_answer *a, void *arg)
{
	struct probe *p = arg;
	char why[64];

	p->ping = NULL;   /* the request ends with this callback */
	if (a->status == 200) {
		probe_finish(p, 1, NULL);
		return;
	}
	if (a->status != 0)
		snprintf(why, sizeof(why), "status %d", a->status);
	probe_finish(p, 0, a->status != 0 ? why : a->error);
}

static void
start_probe(struct admin *adm, struct evhttp_request *req)
{
	const char *path = adm->upstream_path ? adm->upstream_path() : NULL;
	struct engine_opts opts = { .max_bytes = MAX_PING_ANSWER,
	    .timeout_ms = adm->ping_timeout_ms, .user_agent = "sockward-healthz" };
	struct probe *p;

	if (adm->nprobes >= ADMIN_MAX_PROBES) {
		reply_json(req, 503, "Service Unavailable", "too many concurrent health checks");
		return;
	}
	if (path != NULL && strncmp(path, "unix://", 7) == 0)
		path += 7;
	if (path == NULL || path[0] == '\0' || strlen(path) >= sizeof(p->upstream)) {
		reply_json(req, 503, "Service Unavailable", "no usable upstream.socket configured");
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		reply_json(req, 503, "Service Unavailable", "out of memory");
		return;
	}
	p->adm = adm;
	p->req = req;
	strcpy(p->upstream, path);
	TAILQ_INSERT_TAIL(&adm->probes, p, next);
	adm->nprobes++;
	/* a failed connect is reported through probe_answered too */
	if ((p->ping = engine_get(adm->base, path, "/_ping", &opts, probe_answered, p)) == NULL)
		probe_finish(p, 0, "cannot start a request");
}

/* ---- routes ---------------------------------------------------------------- */

static void
serve_metrics(struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		reply_json(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	metrics_render(b);
	reply_text(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b);
	evbuffer_free(b);
}

static void
handle(struct evhttp_request *req, void *arg)
{
	struct admin *adm = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;

	if (path == NULL)
		path = "";
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		/* HEAD included: libevent 2.1 would send the body anyway */
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
		reply_json(req, 405, "Method Not Allowed", "only GET is supported");
		return;
	}
	if (strcmp(path, "/metrics") == 0)
		serve_metrics(req);
	else if (strcmp(path, "/healthz") == 0)
		start_probe(adm, req);
	else
		reply_json(req, 404, "Not Found", "not found");
}

/* ---- the connection cap ---------------------------------------------------- */
/* evhttp in libevent 2.1 accepts without limit and tells nobody about a new
 * connection until a request arrives on it (an idle one, never).  What it
 * does call for every accepted connection is the bufferevent callback, just
 * before it makes the connection around the bufferevent that callback
 * returns, with the connection as the bufferevent's callback argument.  So
 * each bufferevent made here is kept (with a reference, in case evhttp frees
 * it first) until a callback activated right away, which runs before any
 * of the connection's own events: the connection is then counted, with a
 * close callback to uncount it, or refused past ADMIN_MAX_CONNECTIONS.  At
 * most ADMIN_ACCEPT_BATCH are taken before they are counted: the listener
 * pauses until then, leaving the rest in its backlog. */

static void
accept_pause(struct admin *adm, unsigned why, int pause)
{
	unsigned was = adm->paused;

	adm->paused = pause ? was | why : was & ~why;
	if (adm->lev == NULL || !was == !adm->paused)
		return;
	if (adm->paused)
		evconnlistener_disable(adm->lev);
	else
		evconnlistener_enable(adm->lev);
}

/* Out of descriptors the pending connection stays in the backlog and the
 * listening socket stays readable: libevent would try again every turn of
 * the loop, at full CPU, with a line on stderr each time.  Pause instead,
 * as the Docker listeners do (server.c). */
static void
accept_failed(struct evconnlistener *lev, void *arg)
{
	struct admin *adm;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { ACCEPT_PAUSE_MS / 1000, (ACCEPT_PAUSE_MS % 1000) * 1000 };

	(void)arg;
	SLIST_FOREACH(adm, &admins, all)
		if (adm->lev == lev)
			break;
	if (adm == NULL)
		return;
	log_error("admin endpoint: accept: %s; not accepting for %d ms (%d connections open)",
	    evutil_socket_error_to_string(err), ACCEPT_PAUSE_MS, adm->nconns);
	accept_pause(adm, PAUSE_ERROR, 1);
	evtimer_add(adm->resume_ev, &tv);
}

static void
accept_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	accept_pause(arg, PAUSE_ERROR, 0);
}

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct admin *adm = arg;

	(void)evcon;
	adm->nconns--;
}

/* A 503 without reading the request, written without waiting, as the
 * Docker listeners refuse (http_error_send_refusal). */
static void
refuse(struct admin *adm, struct evhttp_connection *evcon, evutil_socket_t fd)
{
	char msg[128];
	unsigned long held;

	snprintf(msg, sizeof(msg), "too many admin connections (%d open); retry later",
	    adm->nconns);
	http_error_send_refusal(fd, 503, msg);
	evhttp_connection_free(evcon);   /* closes fd */
	if (log_limit_pass(&adm->refusals, &held)) {
		if (held)
			log_warn("admin endpoint: refused a connection: %d open (and %lu more "
			    "refused since the last such line)", adm->nconns, held);
		else
			log_warn("admin endpoint: refused a connection: %d open", adm->nconns);
	}
}

static void
count_fresh(evutil_socket_t fd, short what, void *arg)
{
	struct admin *adm = arg;
	int i;

	(void)fd; (void)what;
	for (i = 0; i < adm->nfresh; i++) {
		struct bufferevent *bev = adm->fresh[i];
		void *evcon = NULL;

		/* NULL: evhttp has given up on it already (it cleared the callbacks) */
		bufferevent_getcb(bev, NULL, NULL, NULL, &evcon);
		if (evcon != NULL && adm->nconns < ADMIN_MAX_CONNECTIONS) {
			adm->nconns++;
			evhttp_connection_set_closecb(evcon, conn_closed, adm);
		} else if (evcon != NULL) {
			refuse(adm, evcon, bufferevent_getfd(bev));
		}
		bufferevent_decref(bev);
	}
	adm->nfresh = 0;
	accept_pause(adm, PAUSE_BATCH, 0);
}

static struct bufferevent *
new_connection_bev(struct event_base *base, void *arg)
{
	struct admin *adm = arg;
	struct bufferevent *bev;

	/* cannot happen (the listener pauses at a full batch); evhttp then
	 * makes the bufferevent itself and the connection goes uncounted */
	if (adm->nfresh >= ADMIN_ACCEPT_BATCH)
		return NULL;
	/* options as evhttp's own: it closes the descriptor itself */
	if ((bev = bufferevent_socket_new(base, -1, 0)) == NULL)
		return NULL;
	bufferevent_incref(bev);
	adm->fresh[adm->nfresh++] = bev;
	event_active(adm->count_ev, EV_TIMEOUT, 1);
	if (adm->nfresh == ADMIN_ACCEPT_BATCH)
		accept_pause(adm, PAUSE_BATCH, 1);   /* libevent's accept loop stops after this one */
	return bev;
}

/* ---- listeners ------------------------------------------------------------- */

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

/* "127.0.0.1:9323", "[::1]:9323", "localhost:9323" -> loopback TCP socket. */
static int
listen_tcp(const char *address, int *port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[256], *end;
	const char *colon, *portstr;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	long pnum;
	int fd = -1, one = 1, rc;

	if (address[0] == '[') {
		const char *close = strchr(address, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - address - 1) >= sizeof(host))
			goto bad;
		memcpy(host, address + 1, (size_t)(close - address - 1));
		host[close - address - 1] = '\0';
		portstr = close + 2;
	} else {
		colon = strrchr(address, ':');
		if (colon == NULL || (size_t)(colon - address) >= sizeof(host) ||
		    memchr(address, ':', (size_t)(colon - address)) != NULL)
			goto bad;
		memcpy(host, address, (size_t)(colon - address));
		host[colon - address] = '\0';
		portstr = colon + 1;
	}
	errno = 0;
	pnum = strtol(portstr, &end, 10);
	if (*portstr == '\0' || *end != '\0' || errno != 0 || pnum < 0 || pnum > 65535)
		goto bad;
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if ((rc = getaddrinfo(host, portstr, &hints, &ai)) != 0) {
		snprintf(err, errlen, "admin.address %s: host must be a numeric loopback "
		    "address or localhost (%s)", address, gai_strerror(rc));
		return -1;
	}
	if (!is_loopback(ai->ai_addr)) {
		snprintf(err, errlen, "admin.address %s: not a loopback address; the admin "
		    "endpoint only listens on 127.0.0.0/8, ::1 or a unix socket", address);
		goto fail;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		snprintf(err, errlen, "admin.address %s: %s", address, strerror(errno));
		goto fail;
	}
	*port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	freeaddrinfo(ai);
	return fd;
bad:
	snprintf(err, errlen, "admin.address %s: expected HOST:PORT or [V6]:PORT", address);
	return -1;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/* Bind a unix socket, replacing a stale one (nobody listening) but never a
 * live socket or a file that is not a socket. */
static int
listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "admin.path %s: too long for a unix socket", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		int probe;
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "admin.path %s: exists and is not a socket", path);
			return -1;
		}
		/* non-blocking: a listener whose backlog is full would hold a
		 * blocking connect (EAGAIN here means someone is listening) */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (probe < 0) {
			/* whether anyone listens there cannot be told: not removed */
			snprintf(err, errlen, "admin.path %s: socket: %s", path, strerror(errno));
			return -1;
		}
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0 || errno == EAGAIN) {
			close(probe);
			snprintf(err, errlen, "admin.path %s: another process is listening there", path);
			return -1;
		}
		close(probe);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* bound with no permission for others, then widened to 0660 (as the
	 * listeners are): no moment where the process umask leaves it wider */
	mode_t old = umask(0177);
	int bound = fd >= 0 && bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	umask(old);
	if (!bound || chmod(path, 0660) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "admin.path %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ---- API ------------------------------------------------------------------- */

struct admin *
admin_start(struct event_base *base, const char *address, const char *unix_path,
    const char *(*upstream_path)(void), char *err, size_t errlen)
{
	struct admin *adm;
	struct evhttp_bound_socket *bound;
	int fd;

	if ((address == NULL) == (unix_path == NULL)) {
		snprintf(err, errlen, "admin: set exactly one of address and path");
		return NULL;
	}
	if ((adm = calloc(1, sizeof(*adm))) == NULL) {
		snprintf(err, errlen, "admin: out of memory");
		return NULL;
	}
	adm->base = base;
	adm->upstream_path = upstream_path;
	adm->ping_timeout_ms = ADMIN_PING_TIMEOUT_MS;
	TAILQ_INIT(&adm->probes);

	fd = address ? listen_tcp(address, &adm->port, err, errlen)
	    : listen_unix(unix_path, err, errlen);
	if (fd < 0) {
		free(adm);
		return NULL;
	}
	if (unix_path != NULL && (adm->unix_path = strdup(unix_path)) == NULL) {
		snprintf(err, errlen, "admin: out of memory");
		goto fail;
	}
	if ((adm->http = evhttp_new(base)) == NULL ||
	    (adm->count_ev = event_new(base, -1, 0, count_fresh, adm)) == NULL ||
	    (adm->resume_ev = evtimer_new(base, accept_resume, adm)) == NULL) {
		snprintf(err, errlen, "admin: cannot create the HTTP server");
		goto fail;
	}
	/* let every method through so the handler can answer 405, not 501 */
	evhttp_set_allowed_methods(adm->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	    EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(adm->http, 8192);
	evhttp_set_max_body_size(adm->http, 0);
	evhttp_set_timeout(adm->http, ADMIN_IDLE_TIMEOUT_S);
	evhttp_set_gencb(adm->http, handle, adm);
	evhttp_set_bevcb(adm->http, new_connection_bev, adm);
	if ((bound = evhttp_accept_socket_with_handle(adm->http, fd)) == NULL) {
		snprintf(err, errlen, "admin: cannot accept on the listener");
		goto fail;
	}
	adm->lev = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(adm->lev, accept_failed);
	SLIST_INSERT_HEAD(&admins, adm, all);
	return adm;
fail:
	close(fd);
	if (adm->http != NULL)
		evhttp_free(adm->http);
	if (adm->count_ev != NULL)
		event_free(adm->count_ev);
	if (adm->resume_ev != NULL)
		event_free(adm->resume_ev);
	if (adm->unix_path != NULL)
		unlink(adm->unix_path);
	free(adm->unix_path);
	free(adm);
	return NULL;
}

void
admin_stop(struct admin *adm)
{
	struct probe *p;
	int i;

	if (adm == NULL)
		return;
	SLIST_REMOVE(&admins, adm, admin, all);
	while ((p = TAILQ_FIRST(&adm->probes)) != NULL) {
		reply_json(p->req, 503, "Service Unavailable", "sockward is stopping");
		probe_free(p);
	}
	evhttp_free(adm->http);   /* closes the listening socket and the connections */
	for (i = 0; i < adm->nfresh; i++)
		bufferevent_decref(adm->fresh[i]);
	event_free(adm->count_ev);
	event_free(adm->resume_ev);
	if (adm->unix_path != NULL)
		unlink(adm->unix_path);
	free(adm->unix_path);
	free(adm);
}

int
admin_port(const struct admin *adm)
{
	return adm->port;
}

void
admin_set_ping_timeout(struct admin *adm, unsigned ms)
{
	adm->ping_timeout_ms = ms ? ms : ADMIN_PING_TIMEOUT_MS;
}
