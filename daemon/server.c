/* server.c - listeners, signals, reload and graceful stop.
 *
 * Signals are delivered as events inside the loop (evsignal), never handled
 * in async-signal context.  Reload is parse-new, validate, swap: the new
 * configuration and its TLS contexts are fully built before anything is
 * replaced, and on any error the old configuration stays in force. */
#include "daemon/server.h"
#include "policy/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stddef.h>
#include <limits.h>
#include <grp.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "daemon/admin.h"
#include "daemon/audit.h"
#include "daemon/engine_client.h"
#include "daemon/evmem.h"
#include "daemon/exchange.h"
#include "daemon/log.h"
#include "daemon/lookup.h"
#include "daemon/metrics.h"
#include "daemon/sdlisten.h"
#include "daemon/sdnotify.h"
#include "daemon/session.h"
#include "daemon/splice_pump.h"
#include "daemon/tls.h"

const char *
server_upstream(const struct server *srv)
{
	return gateway_upstream(&srv->gw);
}

static void
accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct listener *l = arg;
	(void)evl;
	if (l->srv->gw.draining) {
		evutil_closesocket(fd);
		return;
	}
	session_new(&l->srv->gw, l, fd, sa, salen);
}

/* Out of descriptors (or kernel memory) the pending connection stays in the
 * backlog and the listening socket stays readable: listening on would spin
 * the loop at full CPU and write one log line per turn.  Stop accepting on
 * every listener for ACCEPT_PAUSE_MS instead, log once, and try again;
 * sessions closing meanwhile give the descriptors back. */
#define ACCEPT_PAUSE_MS 250

static void
accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	(void)fd; (void)what;
	if (srv->gw.draining)
		return;
	for (size_t i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].evl)
			evconnlistener_enable(srv->listeners[i].evl);
}

static void
accept_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;
	struct server *srv = l->srv;
	int err = EVUTIL_SOCKET_ERROR();
	(void)evl;
	if (srv->accept_pause == NULL)
		srv->accept_pause = evtimer_new(srv->gw.base, accept_resume_cb, srv);
	if (srv->accept_pause && evtimer_pending(srv->accept_pause, NULL))
		return;   /* already paused by another listener */
	log_error("listener %s: accept: %s; not accepting for %d ms (%zu connections open)",
	    l->name, evutil_socket_error_to_string(err), ACCEPT_PAUSE_MS, srv->gw.nsessions);
	if (srv->accept_pause == NULL)
		return;
	for (size_t i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].evl)
			evconnlistener_disable(srv->listeners[i].evl);
	struct timeval tv = { ACCEPT_PAUSE_MS / 1000, (ACCEPT_PAUSE_MS % 1000) * 1000 };
	evtimer_add(srv->accept_pause, &tv);
}

/* Replace a stale socket file, but never a live one and never a non-socket. */
static int
unix_path_prepare(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; refusing to replace it", path);
		return -1;
	}
	/* non-blocking: a listener whose backlog is full would hold a blocking
	 * connect (EAGAIN here means someone is listening) */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		/* whether it is in use cannot be told: not removed */
		snprintf(err, errlen, "%s: socket: %s", path, strerror(errno));
		return -1;
	}
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	int live = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0 || errno == EAGAIN;
	close(fd);
	if (live) {
		snprintf(err, errlen, "%s is in use by a running process", path);
		return -1;
	}
	if (unlink(path) != 0) {
		snprintf(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	log_info("removed stale socket %s", path);
	return 0;
}

static int
open_unix(struct server *srv, struct listener *l, const struct listener_conf *lc,
    char *err, size_t errlen)
{
	if (unix_path_prepare(lc->path, err, errlen) != 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", lc->path);
	/* create the socket with no permissions for others, then widen to the
	 * configured mode: there is no window where it is more open */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (rc != 0) {
		snprintf(err, errlen, "bind %s: %s", lc->path, strerror(errno));
		close(fd);
		return -1;
	}
	if (lc->group) {
		struct group *gr = getgrnam(lc->group);
		if (gr == NULL || chown(lc->path, (uid_t)-1, gr->gr_gid) != 0) {
			snprintf(err, errlen, "cannot set group %s on %s: %s", lc->group, lc->path,
			    gr ? strerror(errno) : "no such group");
			unlink(lc->path);
			close(fd);
			return -1;
		}
	}
	if (chmod(lc->path, (mode_t)lc->mode) != 0) {
		snprintf(err, errlen, "chmod %s: %s", lc->path, strerror(errno));
		unlink(lc->path);
		close(fd);
		return -1;
	}
	l->evl = evconnlistener_new(srv->gw.base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128, fd);
	if (l->evl == NULL) {
		snprintf(err, errlen, "listen %s failed", lc->path);
		unlink(lc->path);
		close(fd);
		return -1;
	}
	snprintf(l->path, sizeof l->path, "%s", lc->path);
	return 0;
}

static int
open_tcp(struct server *srv, struct listener *l, const struct listener_conf *lc,
    char *err, size_t errlen)
{
	char host[128], port[8];
	int p;
	if (config_split_address(lc->address, host, sizeof host, &p) != 0) {
		snprintf(err, errlen, "bad address %s", lc->address);
		return -1;
	}
	snprintf(port, sizeof port, "%d", p);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", lc->address, gai_strerror(rc));
		return -1;
	}
	l->evl = evconnlistener_new_bind(srv->gw.base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, 128,
	    ai->ai_addr, (int)ai->ai_addrlen);
	int e = errno;
	freeaddrinfo(ai);
	if (l->evl == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", lc->address, strerror(e));
		return -1;
	}
	return 0;
}

/* A socket systemd passed for this listener (sockward.socket): use it as
 * is; systemd owns its path, mode and group. */
static int
adopt_passed(struct server *srv, struct listener *l, int fd, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int want = l->type == LISTEN_UNIX ? AF_UNIX : -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    (want == AF_UNIX ? ss.ss_family != AF_UNIX :
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))) {
		snprintf(err, errlen, "listener %s: the socket systemd passed is not of type %s",
		    l->name, (const char *[]){ "tls", "unix", "tcp" }[l->type]);
		return -1;
	}
	evutil_make_socket_nonblocking(fd);
	l->evl = evconnlistener_new(srv->gw.base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (l->evl == NULL) {
		snprintf(err, errlen, "listener %s: cannot use the passed socket", l->name);
		return -1;
	}
	return 0;
}

static int
open_listeners(struct server *srv, char *err, size_t errlen)
{
	int npassed = sdlisten_init();
	if (npassed > 0) {
		/* every listener's name (a passed socket may be any one's) */
		size_t nn = srv->gw.cfg->nlisteners;
		const char **names = calloc(nn, sizeof *names);
		if (names == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (size_t i = 0; i < nn; i++)
			names[i] = srv->gw.cfg->listeners[i].name;
		char bad[64];
		int stray = sdlisten_check(names, (int)nn, bad, sizeof bad) != 0;
		free(names);
		if (stray) {
			sdlisten_close_unused();
			snprintf(err, errlen, "systemd passed a socket named \"%s\", which matches no "
			    "listener name", bad);
			return -1;
		}
	}
	const struct sw_config *c = srv->gw.cfg;
	srv->listeners = calloc(c->nlisteners, sizeof *srv->listeners);
	if (srv->listeners == NULL)
		return -1;
	srv->nlisteners = c->nlisteners;
	for (size_t i = 0; i < c->nlisteners; i++) {
		const struct listener_conf *lc = &c->listeners[i];
		struct listener *l = &srv->listeners[i];
		l->srv = srv;
		l->type = (enum listener_type)lc->type;
		snprintf(l->name, sizeof l->name, "%s", lc->name);
		int rc;
		if (l->type == LISTEN_TLS) {
			l->ssl_ctx = tls_server_ctx(lc->cert, lc->key, lc->ca, err, errlen);
			if (l->ssl_ctx == NULL)
				return -1;
		}
		int passed = sdlisten_take(l->name);
		if (passed >= 0)
			rc = adopt_passed(srv, l, passed, err, errlen);
		else
			rc = l->type == LISTEN_UNIX ? open_unix(srv, l, lc, err, errlen)
			    : open_tcp(srv, l, lc, err, errlen);
		if (rc != 0)
			return -1;
		if (passed >= 0)
			log_info("listener %s: using the socket passed by systemd", l->name);
		evconnlistener_set_error_cb(l->evl, accept_error_cb);
		log_info("listening: %s %s %s%s", l->name,
		    (const char *[]){ "tls", "unix", "tcp" }[l->type],
		    l->type == LISTEN_UNIX ? lc->path : lc->address,
		    l->type == LISTEN_TCP ? " (INSECURE: no TLS, no client identity)" : "");
	}
	sdlisten_close_unused();   /* a second fd with a name already used */
	return 0;
}

/* ---- audit and admin -------------------------------------------------------------- */

static struct audit_log *
open_audit(const struct sw_config *c, char *err, size_t errlen)
{
	if (c->audit_file == NULL && !c->audit_syslog)
		return NULL;
	struct audit_config ac = { c->audit_file, c->audit_syslog,
		(enum audit_failure)c->audit_on_failure };
	return audit_open(&ac, err, errlen);
}

/* the admin endpoint asks for the upstream path through a plain function */
static const struct server *the_server;

static const char *
admin_upstream(void)
{
	return the_server ? server_upstream(the_server) : "/var/run/docker.sock";
}

/* ---- sockets the policy must protect -------------------------------------------- */

static void
add_host_socket(struct server *srv, const char *path)
{
	char abs[PATH_MAX];
	const char *cands[2] = { path, realpath(path, abs) };
	for (size_t c = 0; c < 2; c++) {
		if (cands[c] == NULL || cands[c][0] != '/' || srv->gw.nhost_sockets == 16 ||
		    strlen(cands[c]) >= sizeof srv->gw.host_socket_buf[0])
			continue;
		int dup = 0;
		for (size_t i = 0; i < srv->gw.nhost_sockets; i++)
			dup |= strcmp(srv->gw.host_sockets[i], cands[c]) == 0;
		if (dup)
			continue;
		snprintf(srv->gw.host_socket_buf[srv->gw.nhost_sockets], sizeof srv->gw.host_socket_buf[0],
		    "%s", cands[c]);
		srv->gw.host_sockets[srv->gw.nhost_sockets] = srv->gw.host_socket_buf[srv->gw.nhost_sockets];
		srv->gw.nhost_sockets++;
	}
}

static void
collect_host_sockets(struct server *srv)
{
	srv->gw.nhost_sockets = 0;
	add_host_socket(srv, server_upstream(srv));
	for (size_t i = 0; i < srv->nlisteners; i++)
		if (srv->listeners[i].path[0])
			add_host_socket(srv, srv->listeners[i].path);
	for (size_t i = 0; i < srv->gw.cfg->nlisteners; i++)
		if (srv->gw.cfg->listeners[i].path)
			add_host_socket(srv, srv->gw.cfg->listeners[i].path);
}

/* ---- reload ------------------------------------------------------------------ */

/* A reload that cannot be applied: nothing was replaced, the new
 * configuration and the TLS contexts built for it go. */
static void
reload_rejected(struct sw_config *n, SSL_CTX **ctxs, size_t nctx)
{
	for (size_t k = 0; k < nctx; k++)
		SSL_CTX_free(ctxs[k]);
	free(ctxs);
	config_unref(n);
	metrics_reload(0);
	sdnotify_ready("reload failed; previous configuration in force");
}

static void
server_reload(struct server *srv)
{
	struct config_errors errs = { 0 };
	log_info("reload: reading %s", srv->gw.cfg->file);
	sdnotify_reloading();
	struct sw_config *n = config_load(srv->gw.cfg->file, &errs);
	if (n == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			log_error("reload: %s", errs.v[i].text);
		log_error("reload failed; the previous configuration stays in force");
		config_errors_free(&errs);
		reload_rejected(NULL, NULL, 0);
		return;
	}
	/* build every new TLS context before replacing anything: one for each
	 * listener, however many (not a fixed array: those past it would
	 * silently keep their old files) */
	size_t nl = srv->nlisteners;
	SSL_CTX **ctxs = calloc(nl ? nl : 1, sizeof *ctxs);
	if (ctxs == NULL) {
		log_error("reload: out of memory; the previous configuration stays in force");
		reload_rejected(n, NULL, 0);
		return;
	}
	for (size_t i = 0; i < nl; i++) {
		struct listener *l = &srv->listeners[i];
		const struct listener_conf *lc = NULL;
		for (size_t j = 0; j < n->nlisteners; j++)
			if (strcmp(n->listeners[j].name, l->name) == 0 &&
			    n->listeners[j].type == LISTEN_TLS)
				lc = &n->listeners[j];
		if (l->type != LISTEN_TLS || lc == NULL)
			continue;
		char err[512];
		ctxs[i] = tls_server_ctx(lc->cert, lc->key, lc->ca, err, sizeof err);
		if (ctxs[i] == NULL) {
			log_error("reload: listener %s: %s; the previous configuration stays in force",
			    l->name, err);
			reload_rejected(n, ctxs, i);
			return;
		}
	}
	char aerr[512] = "";
	struct audit_log *naudit = open_audit(n, aerr, sizeof aerr);
	if (naudit != NULL)
		audit_attach_loop(naudit, srv->gw.base);   /* unbatched if it fails */
	if (naudit == NULL && aerr[0]) {
		log_error("reload: audit: %s; the previous configuration stays in force", aerr);
		reload_rejected(n, ctxs, nl);
		return;
	}
	char why[256];
	if (config_restart_needed(srv->gw.cfg, n, why, sizeof why))
		log_warn("reload: %s; that part takes effect only after a restart", why);
	for (size_t i = 0; i < nl; i++) {
		if (ctxs[i] == NULL)
			continue;
		SSL_CTX_free(srv->listeners[i].ssl_ctx);   /* live SSLs keep their own ref */
		srv->listeners[i].ssl_ctx = ctxs[i];
	}
	free(ctxs);
	struct sw_config *old = srv->gw.cfg;
	srv->gw.cfg = n;
	config_unref(old);
	audit_inherit(naudit, srv->gw.audit);   /* running requests write to the new one */
	audit_close(srv->gw.audit);
	srv->gw.audit = naudit;
	log_threshold = (enum log_level)n->log_level;
	collect_host_sockets(srv);   /* upstream.socket may have changed */
	lookup_cache_configure(srv->gw.base, server_upstream(srv), 1);
	metrics_reload(1);
	log_info("reload: done; new requests use the new configuration");
	sdnotify_ready("running; configuration reloaded");
}

/* ---- stop --------------------------------------------------------------------- */

static void
check_drained(struct server *srv)
{
	if (srv->gw.draining && srv->gw.nsessions == 0)
		event_base_loopexit(srv->gw.base, NULL);
}

/* After a burst of connections, give the memory back to the system: the
 * allocator keeps freed pages for reuse, so RSS would stay at the peak of
 * the busiest minute forever.  Trim once as many sessions have gone since
 * the last trim as are still live (and at least TRIM_MIN_GONE): a cost
 * spread over many closes, never paid per close.  The tail of a burst
 * (fewer closes than that) is trimmed once the closes have stopped for
 * TRIM_QUIET_MS: each close only pushes that one timer back. */
#define TRIM_MIN_GONE 128
#define TRIM_QUIET_MS 2000

static void
trim_memory(struct server *srv)
{
	arena_trim();   /* the policy's free arena blocks (policy/arena.c) */
	exchange_pool_trim();
	evmem_trim();
	int released = malloc_trim(0);
	log_debug("%zu sessions closed, %zu live: memory trimmed (%s)", srv->gone_since_trim,
	    srv->gw.nsessions, released ? "some given back" : "nothing to give back");
	srv->gone_since_trim = 0;
}

static void
trim_quiet_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	(void)fd; (void)what;
	if (srv->gone_since_trim > 0)
		trim_memory(srv);
}

static void
return_memory_after_burst(struct server *srv)
{
	srv->gone_since_trim++;
	if (srv->gone_since_trim >= TRIM_MIN_GONE && srv->gone_since_trim >= srv->gw.nsessions) {
		trim_memory(srv);
		return;
	}
	if (srv->trim_timer != NULL && !srv->gw.draining) {
		struct timeval tv = { TRIM_QUIET_MS / 1000, (TRIM_QUIET_MS % 1000) * 1000 };
		evtimer_add(srv->trim_timer, &tv);
	}
}

/* A session left the gateway's list: a graceful stop may be complete. */
static void
session_gone(struct gateway *gw)
{
	struct server *srv = (struct server *)((char *)gw - offsetof(struct server, gw));
	return_memory_after_burst(srv);
	check_drained(srv);
}

static void
grace_expired_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	(void)fd; (void)what;
	log_warn("shutdown: grace period over, closing %zu connection(s)", srv->gw.nsessions);
	struct session *s, *next;
	for (s = TAILQ_FIRST(&srv->gw.sessions); s; s = next) {
		next = TAILQ_NEXT(s, link);
		session_close(s, "shutdown: grace period over");
	}
	check_drained(srv);
}

static void
begin_shutdown(struct server *srv, const char *signame)
{
	if (srv->gw.draining) {
		log_info("%s again: already stopping", signame);
		return;
	}
	srv->gw.draining = 1;
	sdnotify_stopping("stopping: finishing in-flight requests");
	log_info("%s: no longer accepting; %zu connection(s) to finish (grace %ld ms)",
	    signame, srv->gw.nsessions, srv->gw.cfg->shutdown_timeout_ms);
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].evl) {
			evconnlistener_free(srv->listeners[i].evl);
			srv->listeners[i].evl = NULL;
		}
		if (srv->listeners[i].path[0])
			unlink(srv->listeners[i].path);
	}
	struct session *s, *next;
	for (s = TAILQ_FIRST(&srv->gw.sessions); s; s = next) {
		next = TAILQ_NEXT(s, link);
		session_drain(s);
	}
	struct timeval tv = { srv->gw.cfg->shutdown_timeout_ms / 1000,
		(srv->gw.cfg->shutdown_timeout_ms % 1000) * 1000 };
	srv->grace_timer = evtimer_new(srv->gw.base, grace_expired_cb, srv);
	evtimer_add(srv->grace_timer, &tv);
	check_drained(srv);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	(void)what;
	switch (sig) {
	case SIGTERM: begin_shutdown(srv, "SIGTERM"); break;
	case SIGINT: begin_shutdown(srv, "SIGINT"); break;
	case SIGHUP:
		/* a stopping daemon has no listeners to give new TLS files and
		 * finishes its requests under the configuration they began
		 * with: a reload now would only change the grace period and
		 * the audit file under them */
		if (srv->gw.draining)
			log_info("SIGHUP: stopping, not reloading");
		else
			server_reload(srv);
		break;
	case SIGUSR1: {
		char err[512] = "";
		if (srv->gw.audit == NULL)
			log_info("SIGUSR1: no audit log configured");
		else if (audit_reopen(srv->gw.audit, err, sizeof err) != 0)
			log_error("SIGUSR1: audit log reopen failed: %s", err);
		else
			log_info("SIGUSR1: audit log reopened");
		break;
	}
	default: break;
	}
}

/* The descriptors the connection limits can reach: each client costs up to
 * two (client and engine), each TLS handshake one (handshakes are counted
 * apart from max_connections), and the admin endpoint, when there is one,
 * up to ADMIN_MAX_DESCRIPTORS (its connections, a batch of them still to be
 * refused, its /healthz probes).  FD_RESERVE is for the rest: the listeners,
 * the event loop's own, the audit log, the lookup cache's /events stream,
 * stderr and syslog, and the engine connections of policy lookups and image
 * user reads: at most ENGINE_LOOKUP_CONNECTIONS (32) of those at once, the
 * rest wait (engine_client.c), however many requests ask (each may ask for
 * POL_MAX_LOOKUPS).  Splice pipes are not in it (see raise_fd_limit). */
#define FD_RESERVE 64
_Static_assert(ENGINE_LOOKUP_CONNECTIONS <= FD_RESERVE / 2, "lookups fit in the reserve");

static long long
fd_budget(const struct sw_config *cfg)
{
	long long n = (long long)cfg->max_connections * 2 + cfg->max_handshakes + FD_RESERVE;
	if (cfg->admin_address || cfg->admin_path)
		n += ADMIN_MAX_DESCRIPTORS;
	return n;
}

/* fd_budget() and a pipe (two) for each splice, up to SPLICE_MAX_ACTIVE of
 * them; raise the soft limit as far as the hard limit allows and say so when
 * limits.max_connections cannot be met. */
static void
raise_fd_limit(const struct sw_config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	rlim_t need = (rlim_t)fd_budget(cfg) + 2 * SPLICE_MAX_ACTIVE;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		log_warn("open file limit %llu is below what limits.max_connections=%ld needs "
		    "(%llu, with max_handshakes, splice pipes and the admin endpoint); "
		    "raise LimitNOFILE or lower max_connections",
		    (unsigned long long)rl.rlim_cur, cfg->max_connections, (unsigned long long)need);
}

/* libevent keeps a small record for every descriptor number it has ever
 * watched, allocated the first time that number is seen and kept until the
 * loop is freed.  Left to a burst of connections, those records land one
 * between every connection's TLS and session objects, and after the burst
 * each pins a page that malloc_trim cannot give back (10,000 mutual-TLS
 * connections came and went: 115 MiB left instead of 11).  So they are
 * made here, side by side, for every descriptor number the connection
 * limits can reach (fd_budget(): 2 per connection, 1 per handshake, the
 * admin endpoint's, and a reserve),
 * by watching and unwatching one spare descriptor under each free number:
 * about 40 bytes and 10 us a number (the default limits: 8,500 numbers,
 * 0.3 MiB, 80 ms at startup), at most FD_SLOTS_MAX of them; numbers past
 * that get their record when first used, as before. */
#define FD_SLOTS_MAX 32768

static void
reserve_fd_slots(struct event_base *base, const struct sw_config *cfg)
{
	struct rlimit rl;
	long long want = fd_budget(cfg);
	if (want > FD_SLOTS_MAX)
		want = FD_SLOTS_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (long long)rl.rlim_cur < want)
		want = (long long)rl.rlim_cur;
	int spare = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct event *ev = spare >= 0 ? event_new(base, -1, 0, NULL, NULL) : NULL;
	if (ev == NULL) {
		if (spare >= 0)
			close(spare);
		return;
	}
	for (int fd = 0; fd < want; fd++) {
		if (fd == spare || fcntl(fd, F_GETFD) != -1)
			continue;                     /* in use: its record comes with it */
		if (dup2(spare, fd) != fd)
			break;
		if (event_assign(ev, base, fd, EV_READ, NULL, NULL) == 0 && event_add(ev, NULL) == 0)
			event_del(ev);
		close(fd);
	}
	event_free(ev);
	close(spare);
}

/* HUP (reload) and USR1 (audit reopen) end the process by default: until
 * the event loop takes them (evsignal in server_init), one that comes while
 * the daemon starts (logrotate's postrotate during a restart, a reload right
 * after one) would kill it.  Ignored until then: the configuration and the
 * audit log being opened are the current ones anyway. */
void
server_hold_signals(void)
{
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
}

int
server_init(struct server *srv, struct sw_config *cfg, const char *upstream_override)
{
	memset(srv, 0, sizeof *srv);
	TAILQ_INIT(&srv->gw.sessions);
	TAILQ_INIT(&srv->gw.handshakes);
	srv->gw.session_gone = session_gone;
	srv->gw.cfg = cfg;
	srv->gw.upstream_override = upstream_override;
	/* as upstream.socket is checked when loaded: a longer path would be cut
	 * to another one by every connect */
	if (upstream_override != NULL && (upstream_override[0] == '\0' ||
	    strlen(upstream_override) >= sizeof(((struct sockaddr_un *)0)->sun_path))) {
		log_error("startup: -u \"%s\" is not a unix socket path (at most %zu bytes)",
		    upstream_override, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -1;
	}
	log_threshold = (enum log_level)cfg->log_level;
	signal(SIGPIPE, SIG_IGN);
	server_hold_signals();
	/* Each request allocates a few objects of several KB (the exchange, the
	 * policy's prepared request and its violations, evbuffer chunks); with
	 * glibc's fastbins each of those first consolidates every small chunk
	 * freed since (malloc_consolidate, ~5% of a create's CPU in perf).
	 * Without fastbins small chunks still come from the per-thread cache. */
	mallopt(M_MXFAST, 0);
	evmem_install();   /* libevent's buffer blocks kept for the next request */
	raise_fd_limit(cfg);
	/* epoll changes are applied when the loop next waits, so an event added
	 * and removed in one callback costs no system call: libevent's TLS
	 * bufferevent adds its write event, writes at once and removes it again
	 * for every answer (two epoll_ctl each).  sockward never dup()s a
	 * descriptor it watches, the one case the changelist gets wrong. */
	struct event_config *ec = event_config_new();
	if (ec != NULL) {
		event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
		srv->gw.base = event_base_new_with_config(ec);
		event_config_free(ec);
	}
	if (srv->gw.base == NULL)
		srv->gw.base = event_base_new();
	if (srv->gw.base == NULL) {
		log_error("cannot create the event loop");
		return -1;
	}
	reserve_fd_slots(srv->gw.base, cfg);
	if (half_flusher_init(&srv->gw.sends, srv->gw.base) != 0) {
		log_error("cannot create the event loop");
		return -1;
	}
	srv->trim_timer = evtimer_new(srv->gw.base, trim_quiet_cb, srv);
	char err[512] = "";
	metrics_init();
	the_server = srv;
	srv->gw.audit = open_audit(cfg, err, sizeof err);
	if (srv->gw.audit != NULL)
		audit_attach_loop(srv->gw.audit, srv->gw.base);   /* unbatched if it fails */
	if (srv->gw.audit == NULL && err[0]) {
		log_error("startup: audit: %s", err);
		return -1;
	}
	if (open_listeners(srv, err, sizeof err) != 0) {
		log_error("startup: %s", err);
		return -1;
	}
	collect_host_sockets(srv);
	lookup_cache_configure(srv->gw.base, server_upstream(srv), 1);
	if (cfg->admin_address || cfg->admin_path) {
		srv->admin = admin_start(srv->gw.base, cfg->admin_address, cfg->admin_path,
		    admin_upstream, err, sizeof err);
		if (srv->admin == NULL) {
			log_error("startup: admin endpoint: %s", err);
			return -1;
		}
		log_info("admin endpoint on %s", cfg->admin_address ? cfg->admin_address : cfg->admin_path);
	}
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	for (size_t i = 0; i < 4; i++) {
		srv->sig_events[i] = evsignal_new(srv->gw.base, sigs[i], signal_cb, srv);
		evsignal_add(srv->sig_events[i], NULL);
	}
	log_info("sockward %s ready; upstream %s", SOCKWARD_VERSION, server_upstream(srv));
	sdnotify_ready("running");
	return 0;
}

int
server_run(struct server *srv)
{
	int rc = event_base_dispatch(srv->gw.base);
	log_info("stopped");
	return rc < 0 ? 1 : 0;
}

void
server_free(struct server *srv)
{
	struct session *s;
	while ((s = TAILQ_FIRST(&srv->gw.sessions)) != NULL) {
		session_close(s, "exit");
		event_base_loop(srv->gw.base, EVLOOP_NONBLOCK);
	}
	for (size_t i = 0; i < srv->nlisteners; i++) {
		if (srv->listeners[i].evl)
			evconnlistener_free(srv->listeners[i].evl);
		if (srv->listeners[i].path[0] && !srv->gw.draining)
			unlink(srv->listeners[i].path);
		SSL_CTX_free(srv->listeners[i].ssl_ctx);
	}
	free(srv->listeners);
	if (srv->admin)
		admin_stop(srv->admin);
	audit_close(srv->gw.audit);
	srv->gw.audit = NULL;
	the_server = NULL;
	for (size_t i = 0; i < 4; i++)
		if (srv->sig_events[i])
			event_free(srv->sig_events[i]);
	if (srv->grace_timer)
		event_free(srv->grace_timer);
	if (srv->accept_pause)
		event_free(srv->accept_pause);
	if (srv->trim_timer)
		event_free(srv->trim_timer);
	lookup_cache_stop();
	exchange_pool_trim();
	half_flusher_free(&srv->gw.sends);
	if (srv->gw.base)
		event_base_free(srv->gw.base);
	evmem_trim();
	config_unref(srv->gw.cfg);
	srv->gw.cfg = NULL;
}
