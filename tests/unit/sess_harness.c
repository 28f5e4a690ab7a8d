/* sess_harness.c - see sess_harness.h. */
#include "tests/unit/sess_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "daemon/config.h"
#include "daemon/session.h"

#define TICK_MS 5

static off_t log_shown;   /* SESS_TEST_LOG: how much of the log went to stderr */

int64_t
h_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- peers ---------------------------------------------------------------- */

static void peer_write_cb(evutil_socket_t fd, short what, void *arg);

static void
peer_flush(struct h_peer *p)
{
	while (p->fd >= 0 && evbuffer_get_length(p->out) > 0) {
		int n = evbuffer_write(p->out, p->fd);
		if (n > 0) {
			p->nwritten += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			event_add(p->wev, NULL);
			return;
		}
		p->werr = n < 0 ? errno : EPIPE;
		evbuffer_drain(p->out, evbuffer_get_length(p->out));
		break;
	}
	event_del(p->wev);
	if (p->fd < 0)
		return;
	if (p->close_pending) {
		h_close(p);
		return;
	}
	if (p->shut_pending && !p->shut_wr) {
		shutdown(p->fd, SHUT_WR);
		p->shut_wr = 1;
	}
}

static void
peer_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	peer_flush(arg);
}

static void
peer_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct h_peer *p = arg;
	(void)what;
	int n = evbuffer_read(p->in, fd, 1 << 20);
	if (n > 0) {
		p->nread += (uint64_t)n;
		if (p->engine_side && evbuffer_search(p->in, "\r\n\r\n", 4, NULL).pos >= 0) {
			/* the cache's own request (lookup.c), not a client's:
			 * "GET /events?since=<seconds.nanoseconds>" and its head */
			static const char cache_req[] = "GET /events?since=",
			    cache_rest[] = " HTTP/1.1\r\nHost: docker\r\nUser-Agent: sockward\r\n\r\n";
			struct harness *h = p->h;
			size_t len = evbuffer_get_length(p->in);
			const char *req = (const char *)evbuffer_pullup(p->in, -1);
			const char *rest = memmem(req, len, cache_rest, sizeof cache_rest - 1);
			p->engine_side = 0;
			if (len >= sizeof cache_req - 1 && memcmp(req, cache_req, sizeof cache_req - 1) == 0 &&
			    rest != NULL && strspn(req + sizeof cache_req - 1, "0123456789.") ==
			    (size_t)(rest - req) - (sizeof cache_req - 1)) {
				for (size_t i = 0; i < h->nengine; i++)
					if (h->engine[i] == p) {
						memmove(&h->engine[i], &h->engine[i + 1],
						    (h->nengine - i - 1) * sizeof h->engine[0]);
						h->nengine--;
						break;
					}
				ck_assert_msg(h->nevents < H_MAX_PEERS, "too many event streams");
				h->events[h->nevents++] = p;
				return;
			}
		}
		if (p->on_input)
			p->on_input(p);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n == 0)
		p->eof = 1;
	else
		p->rerr = errno;
	event_del(p->rev);
}

static struct h_peer *
peer_new(struct harness *h, int fd)
{
	struct h_peer *p = calloc(1, sizeof *p);
	ck_assert_ptr_nonnull(p);
	p->h = h;
	p->fd = fd;
	evutil_make_socket_nonblocking(fd);
	p->in = evbuffer_new();
	p->out = evbuffer_new();
	p->rev = event_new(h->srv.gw.base, fd, EV_READ | EV_PERSIST, peer_read_cb, p);
	p->wev = event_new(h->srv.gw.base, fd, EV_WRITE | EV_PERSIST, peer_write_cb, p);
	event_add(p->rev, NULL);
	return p;
}

static void
peer_free(struct h_peer *p)
{
	if (p == NULL)
		return;
	h_close(p);
	event_free(p->rev);
	event_free(p->wev);
	evbuffer_free(p->in);
	evbuffer_free(p->out);
	free(p);
}

void
h_send(struct h_peer *p, const void *data, size_t len)
{
	ck_assert_msg(p->fd >= 0 && !p->shut_pending, "send on a closed or shut peer");
	evbuffer_add(p->out, data, len);
	peer_flush(p);
}

void
h_sendf(struct h_peer *p, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof buf);
	h_send(p, buf, (size_t)n);
}

void
h_shut_wr(struct h_peer *p)
{
	p->shut_pending = 1;
	peer_flush(p);
}

void
h_close(struct h_peer *p)
{
	if (p->fd < 0)
		return;
	event_del(p->rev);
	event_del(p->wev);
	close(p->fd);
	p->fd = -1;
}

void
h_close_after(struct h_peer *p)
{
	p->close_pending = 1;
	peer_flush(p);
}

void
h_pause_read(struct h_peer *p, int pause)
{
	p->read_paused = pause;
	if (p->fd < 0 || p->eof || p->rerr)
		return;
	if (pause)
		event_del(p->rev);
	else
		event_add(p->rev, NULL);
}

size_t
h_out_left(const struct h_peer *p)
{
	return evbuffer_get_length(p->out);
}

const char *
h_text(const struct h_peer *p)
{
	/* a copy, so the peer's buffer stays exactly what was received */
	static char *side;
	static size_t side_cap;
	size_t len = evbuffer_get_length(p->in);
	if (side_cap < len + 1) {
		free(side);
		side_cap = len + 1;
		side = malloc(side_cap);
		ck_assert_ptr_nonnull(side);
	}
	evbuffer_copyout(p->in, side, len);
	side[len] = 0;
	return side;
}

int
h_has(const struct h_peer *p, const char *needle)
{
	struct evbuffer_ptr f = evbuffer_search(p->in, needle, strlen(needle), NULL);
	return f.pos >= 0;
}

size_t
h_count(const struct h_peer *p, const char *needle)
{
	size_t n = 0, nl = strlen(needle);
	struct evbuffer_ptr f = evbuffer_search(p->in, needle, nl, NULL);
	while (f.pos >= 0) {
		n++;
		if (evbuffer_ptr_set(p->in, &f, nl, EVBUFFER_PTR_ADD) != 0)
			break;
		f = evbuffer_search(p->in, needle, nl, &f);
	}
	return n;
}

size_t
h_after_head(const struct h_peer *p, const char **at)
{
	struct evbuffer_ptr f = evbuffer_search(p->in, "\r\n\r\n", 4, NULL);
	*at = "";
	if (f.pos < 0)
		return 0;
	size_t len = evbuffer_get_length(p->in);
	const char *all = (const char *)evbuffer_pullup(p->in, -1);
	*at = all + f.pos + 4;
	return len - (size_t)f.pos - 4;
}

struct h_peer *
h_engine_find(struct harness *h, const char *prefix)
{
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < h->nengine; i++) {
		struct evbuffer *in = h->engine[i]->in;
		if (evbuffer_get_length(in) < pl)
			continue;
		if (memcmp(evbuffer_pullup(in, (ev_ssize_t)pl), prefix, pl) == 0)
			return h->engine[i];
	}
	return NULL;
}

/* ---- fake engine ---------------------------------------------------------- */

static void
engine_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct harness *h = arg;
	(void)l; (void)sa; (void)salen;
	ck_assert_msg(h->nengine < H_MAX_PEERS, "too many engine connections");
	struct h_peer *p = peer_new(h, fd);
	p->on_input = h->engine_on_input;
	p->engine_side = 1;
	h->engine[h->nengine++] = p;
}

/* ---- log ------------------------------------------------------------------ */

static char *
log_read(struct harness *h)
{
	FILE *f = fopen(h->log_path, "r");
	if (f == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	size_t got = fread(buf, 1, (size_t)n, f);
	buf[got] = 0;
	fclose(f);
	return buf;
}

void
h_next_request_served(struct harness *h, struct h_peer *c, struct h_peer *e)
{
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(h, h_has(e, "GET /containers/json HTTP/1.1\r\n"));
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(h, h_has(c, "[]\n"));
}

int
h_log_has(struct harness *h, const char *needle)
{
	return h_log_count(h, needle) > 0;
}

const char *
h_audit_line_with(struct harness *h, const char *needle)
{
	static char line[8192];
	FILE *f = fopen(h->audit_path, "r");
	const char *found = NULL;
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strstr(line, needle) != NULL) {
			found = line;
			break;
		}
	if (f != NULL)
		fclose(f);
	return found;
}

size_t
h_log_count(struct harness *h, const char *needle)
{
	char *buf = log_read(h);
	size_t n = 0;
	for (const char *p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(buf);
	return n;
}

static void
log_show(struct harness *h, int all)
{
	if (!all && getenv("SESS_TEST_LOG") == NULL)
		return;
	char *buf = log_read(h);
	size_t len = strlen(buf);
	if (all)
		log_shown = 0;
	if ((size_t)log_shown < len) {
		ssize_t w = write(h->saved_stderr, buf + log_shown, len - (size_t)log_shown);
		(void)w;
		log_shown = (off_t)len;
	}
	free(buf);
}

void
h_fail_dump(struct harness *h)
{
	dprintf(h->saved_stderr, "---- sockward log (%s) ----\n", h->log_path);
	log_show(h, 1);
	dprintf(h->saved_stderr, "---- nsessions=%zu engine connections=%zu ----\n",
	    h->srv.gw.nsessions, h->nengine);
}

/* ---- loop ----------------------------------------------------------------- */

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
}

void
h_step(struct harness *h)
{
	event_base_loop(h->srv.gw.base, EVLOOP_ONCE);
	log_show(h, 0);
}

void
h_settle(struct harness *h, int ms)
{
	int64_t until = h_now_ms() + ms;
	while (h_now_ms() < until)
		h_step(h);
}

/* ---- server --------------------------------------------------------------- */

static void
write_config(struct harness *h, const char *policy_json, const char *limits_json)
{
	const char *level = getenv("SESS_TEST_DEBUG") ? "debug" : "info";
	const char *own = limits_json ? limits_json : "";
	char limits[4096];
	/* 10 s and 256 KiB unless the test sets its own */
	int n = snprintf(limits, sizeof limits, "%s%s%s",
	    strstr(own, "header_timeout_ms") ? "" : "\"header_timeout_ms\": 10000, ",
	    strstr(own, "max_buffer_bytes") ? "" : "\"max_buffer_bytes\": 262144, ", own);
	ck_assert(n >= 0 && (size_t)n < sizeof limits);
	if (n >= 2 && strcmp(limits + n - 2, ", ") == 0)
		limits[n - 2] = '\0';   /* the test set no limit of its own */
	FILE *f = fopen(h->conf_path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
	    "{\n"
	    "  \"listeners\": [ { \"name\": \"test\", \"type\": \"unix\", \"path\": \"%s\" } ],\n"
	    "  \"upstream\": { \"socket\": \"%s\" },\n"
	    "  \"limits\": { %s },\n"
	    "  \"log\": { \"level\": \"%s\" },\n"
	    "  \"audit\": { \"file\": \"%s\", \"on_failure\": \"continue\" },\n"
	    "  \"policy\": %s\n"
	    "}\n",
	    h->listen_path, h->engine_path, limits, level, h->audit_path, policy_json);
	ck_assert_int_eq(fclose(f), 0);
}

void
h_setup(struct harness *h, const char *policy_json, const char *limits_json)
{
	memset(h, 0, sizeof *h);
	unsetenv("NOTIFY_SOCKET");
	snprintf(h->dir, sizeof h->dir, "/tmp/sw-sess-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h->dir));
	snprintf(h->conf_path, sizeof h->conf_path, "%s/sockward.json", h->dir);
	snprintf(h->engine_path, sizeof h->engine_path, "%s/engine.sock", h->dir);
	snprintf(h->listen_path, sizeof h->listen_path, "%s/sockward.sock", h->dir);
	snprintf(h->audit_path, sizeof h->audit_path, "%s/audit.log", h->dir);
	snprintf(h->log_path, sizeof h->log_path, "%s/sockward.log", h->dir);

	/* the daemon logs to stderr: keep it in a file the tests can read */
	fflush(stderr);
	h->saved_stderr = dup(STDERR_FILENO);
	int lfd = open(h->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	ck_assert_int_ge(lfd, 0);
	dup2(lfd, STDERR_FILENO);
	close(lfd);
	log_shown = 0;

	write_config(h, policy_json, limits_json);
	struct config_errors errs = { 0 };
	struct sw_config *cfg = config_load(h->conf_path, &errs);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			dprintf(h->saved_stderr, "config: %s\n", errs.v[i].text);
		config_errors_free(&errs);
		ck_abort_msg("test config does not load");
	}
	ck_assert_int_eq(server_init(&h->srv, cfg, NULL), 0);
	h->srv_up = 1;
	ck_assert_uint_ge(h->srv.nlisteners, 1);
	ck_assert_int_eq(h->srv.listeners[0].type, LISTEN_UNIX);

	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", h->engine_path);
	h->engine_l = evconnlistener_new_bind(h->srv.gw.base, engine_accept, h,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, (struct sockaddr *)&sun, sizeof sun);
	ck_assert_ptr_nonnull(h->engine_l);

	h->tick = event_new(h->srv.gw.base, -1, EV_PERSIST, tick_cb, h);
	struct timeval tv = { 0, TICK_MS * 1000 };
	event_add(h->tick, &tv);
}

void
h_engine_move(struct harness *h)
{
	snprintf(h->engine_path, sizeof h->engine_path, "%s/engine2.sock", h->dir);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", h->engine_path);
	h->engine2_l = evconnlistener_new_bind(h->srv.gw.base, engine_accept, h,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, (struct sockaddr *)&sun, sizeof sun);
	ck_assert_ptr_nonnull(h->engine2_l);
}

void
h_reload(struct harness *h, const char *policy_json, const char *limits_json)
{
	struct sw_config *before = h->srv.gw.cfg;
	write_config(h, policy_json, limits_json);
	ck_assert_int_eq(raise(SIGHUP), 0);
	H_RUN_UNTIL(h, h->srv.gw.cfg != before);
}

struct h_peer *
h_client(struct harness *h)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_msg(h->nclient < H_MAX_PEERS, "too many clients");
	struct h_peer *p = peer_new(h, sv[1]);
	h->client[h->nclient++] = p;
	session_new(&h->srv.gw, &h->srv.listeners[0], sv[0], NULL, 0);
	return p;
}

struct h_peer *
h_client_tcp(struct harness *h)
{
	return h_client_tcp_from(h, "127.0.0.1");
}

struct h_peer *
h_client_tcp_from(struct harness *h, const char *from)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in src = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(l, 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(inet_pton(AF_INET, from, &src.sin_addr), 1);
	ck_assert_int_eq(bind(c, (struct sockaddr *)&src, sizeof src), 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, sizeof sin), 0);
	int a = accept4(l, (struct sockaddr *)&sin, &len, SOCK_CLOEXEC);
	ck_assert_int_ge(a, 0);
	close(l);
	ck_assert_msg(h->nclient < H_MAX_PEERS, "too many clients");
	struct h_peer *p = peer_new(h, c);
	h->client[h->nclient++] = p;
	h->tcp_listener = h->srv.listeners[0];   /* the unix one, retyped */
	h->tcp_listener.type = LISTEN_TCP;
	snprintf(h->tcp_listener.name, sizeof h->tcp_listener.name, "tcp");
	session_new(&h->srv.gw, &h->tcp_listener, a, (struct sockaddr *)&sin, (int)len);
	return p;
}

void
h_teardown(struct harness *h)
{
	for (size_t i = 0; i < h->nclient; i++)
		peer_free(h->client[i]);
	for (size_t i = 0; i < h->nengine; i++)
		peer_free(h->engine[i]);
	for (size_t i = 0; i < h->nevents; i++)
		peer_free(h->events[i]);
	h->nclient = h->nengine = h->nevents = 0;
	if (h->engine_l)
		evconnlistener_free(h->engine_l);
	if (h->engine2_l)
		evconnlistener_free(h->engine2_l);
	if (h->tick)
		event_free(h->tick);
	if (h->srv_up)
		server_free(&h->srv);
	h->srv_up = 0;
	log_show(h, 0);
	fflush(stderr);
	dup2(h->saved_stderr, STDERR_FILENO);
	close(h->saved_stderr);
	unlink(h->conf_path);
	unlink(h->engine_path);
	if (h->engine2_l) {   /* the first engine's socket too */
		char first[128];
		snprintf(first, sizeof first, "%s/engine.sock", h->dir);
		unlink(first);
	}
	unlink(h->listen_path);
	unlink(h->audit_path);
	unlink(h->log_path);
	rmdir(h->dir);
}

struct h_peer *
h_engine_request(struct harness *h, const char *prefix)
{
	struct h_peer *e = h_engine_find(h, prefix);
	return e && h_has(e, "\r\n\r\n") ? e : NULL;
}

int
h_answer_at(const struct h_peer *p, size_t off, const char **body, size_t *blen)
{
	const char *t = h_text(p);
	if (strlen(t) < off)
		return 0;
	t += off;
	const char *end = strstr(t, "\r\n\r\n");
	int status;
	if (end == NULL || sscanf(t, "HTTP/1.1 %d ", &status) != 1)
		return 0;
	const char *cl = strcasestr(t, "\r\nContent-Length:");
	if (cl == NULL || cl > end)
		return 0;
	size_t want = strtoul(cl + 17, NULL, 10);
	if (strlen(end + 4) < want)
		return 0;
	*body = end + 4;
	*blen = want;
	return status;
}

void
h_assert_docker_error(const char *body, size_t blen, const char *contains)
{
	json_error_t err;
	json_t *o = json_loadb(body, blen, 0, &err);
	ck_assert_msg(o != NULL, "error body is not JSON: %.*s", (int)blen, body);
	ck_assert(json_is_object(o));
	ck_assert_uint_eq(json_object_size(o), 1);
	const char *m = json_string_value(json_object_get(o, "message"));
	ck_assert_ptr_nonnull(m);
	ck_assert_msg(strstr(m, contains) != NULL, "message '%s' lacks '%s'", m, contains);
	json_decref(o);
	ck_assert_msg(blen > 0 && body[blen - 1] == '\n', "error body does not end with a newline");
}
