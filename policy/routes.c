/* routes.c - endpoint table and matcher (see routes.h). */
#include "policy/routes.h"

#include <string.h>

#define J(t) (&(t))

#define R_CHECKPOINT "the experimental checkpoint API (CRIU, dockerd --experimental) is not supported"
#define R_COPY       "removed in API 1.12 (dockerd answers an error): use GET/PUT /containers/{id}/archive"
#define R_OPTIONS    "CORS preflight: dockerd answers every OPTIONS with an empty 200, no API client needs it"
#define R_DEBUG      "dockerd's debug handlers (expvar, pprof) are daemon internals, not part of the API"
#define R_SLASH      "a trailing slash is an empty path segment, refused with 400 before routing: GET /networks is the same list"

/* dockerd 20.10: cmd/dockerd/daemon.go initRouter registers the routers in
 * this order (checkpoint first: "or the DELETE gets masked"), then the
 * /debug routes.  Patterns as in api/server/router/<group>/<group>.go. */
static const struct route routes[] = {
	/* checkpoint (experimental) */
	{ "GET",    "/containers/{name:.*}/checkpoints", NULL, CHECK_NONE, NULL, 0, R_CHECKPOINT },
	{ "POST",   "/containers/{name:.*}/checkpoints", NULL, CHECK_NONE, NULL, 0, R_CHECKPOINT },
	{ "DELETE", "/containers/{name}/checkpoints/{checkpoint}", NULL, CHECK_NONE, NULL, 0, R_CHECKPOINT },
	/* container */
	{ "HEAD",   "/containers/{name:.*}/archive",   "container.archive",  CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/containers/json",                "container.list",     CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/containers/{name:.*}/export",    "container.export",   CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/containers/{name:.*}/changes",   "container.changes",  CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/containers/{name:.*}/json",      "container.inspect",  CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/containers/{name:.*}/top",       "container.top",      CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/containers/{name:.*}/logs",      "container.logs",     CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/containers/{name:.*}/stats",     "container.stats",    CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/containers/{name:.*}/attach/ws", "container.attach",   CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/exec/{id:.*}/json",              "exec.inspect",       CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/containers/{name:.*}/archive",   "container.archive",  CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/create",              "container.create",   CHECK_CREATE, J(go_create_request), 0, NULL },
	{ "POST",   "/containers/{name:.*}/kill",      "container.kill",     CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/pause",     "container.pause",    CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/unpause",   "container.unpause",  CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/restart",   "container.restart",  CHECK_RESTART, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/start",     "container.start",    CHECK_START, J(go_start_body), 1, NULL },
	{ "POST",   "/containers/{name:.*}/stop",      "container.stop",     CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/wait",      "container.wait",     CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/resize",    "container.resize",   CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/attach",    "container.attach",   CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/copy",      NULL,                 CHECK_NONE, NULL, 0, R_COPY },
	{ "POST",   "/containers/{name:.*}/exec",      "exec.create",        CHECK_EXEC, J(go_exec_config), 0, NULL },
	{ "POST",   "/exec/{name:.*}/start",           "exec.start",         CHECK_EXEC_START, NULL, 0, NULL },
	{ "POST",   "/exec/{name:.*}/resize",          "exec.resize",        CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/rename",    "container.rename",   CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/containers/{name:.*}/update",    "container.update",   CHECK_UPDATE, J(go_update_config), 0, NULL },
	{ "POST",   "/containers/prune",               "container.prune",    CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/commit",                         "image.commit",       CHECK_COMMIT, J(go_create_request), 1, NULL },
	{ "PUT",    "/containers/{name:.*}/archive",   "container.archive",  CHECK_ARCHIVE, NULL, 0, NULL },
	{ "DELETE", "/containers/{name:.*}",           "container.delete",   CHECK_NONE, NULL, 0, NULL },
	/* image */
	{ "GET",    "/images/json",                    "image.list",         CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/images/search",                  "image.search",       CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/images/get",                     "image.save",         CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/images/{name:.*}/get",           "image.save",         CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/images/{name:.*}/history",       "image.history",      CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/images/{name:.*}/json",          "image.inspect",      CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/images/load",                    "image.load",         CHECK_LOAD, NULL, 0, NULL },
	{ "POST",   "/images/create",                  "image.create",       CHECK_PULL, NULL, 0, NULL },
	{ "POST",   "/images/{name:.*}/push",          "image.push",         CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/images/{name:.*}/tag",           "image.tag",          CHECK_TAG, NULL, 0, NULL },
	{ "POST",   "/images/prune",                   "image.prune",        CHECK_NONE, NULL, 0, NULL },
	{ "DELETE", "/images/{name:.*}",               "image.delete",       CHECK_NONE, NULL, 0, NULL },
	/* system */
	{ "OPTIONS", "/{anyroute:.*}",                 NULL,                 CHECK_NONE, NULL, 0, R_OPTIONS },
	{ "GET",    "/_ping",                          "system.ping",        CHECK_NONE, NULL, 0, NULL },
	{ "HEAD",   "/_ping",                          "system.ping",        CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/events",                         "system.events",      CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/info",                           "system.info",        CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/version",                        "system.version",     CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/system/df",                      "system.df",          CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/auth",                           "system.auth",        CHECK_NONE, NULL, 0, NULL },
	/* volume */
	{ "GET",    "/volumes",                        "volume.list",        CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/volumes/{name:.*}",              "volume.inspect",     CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/volumes/create",                 "volume.create",      CHECK_VOLUME, J(go_volume_create), 0, NULL },
	{ "POST",   "/volumes/prune",                  "volume.prune",       CHECK_NONE, NULL, 0, NULL },
	{ "PUT",    "/volumes/{name:.*}",              "volume.update",      CHECK_NONE, NULL, 0, NULL },  /* API 1.42 */
	{ "DELETE", "/volumes/{name:.*}",              "volume.delete",      CHECK_NONE, NULL, 0, NULL },
	/* build, session */
	{ "POST",   "/build",                          "build.build",        CHECK_BUILD, NULL, 0, NULL },
	{ "POST",   "/build/prune",                    "build.prune",        CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/build/cancel",                   "build.cancel",       CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/session",                        "build.session",      CHECK_SESSION, NULL, 0, NULL },
	/* swarm (api/server/router/swarm/cluster.go) */
	{ "POST",   "/swarm/init",                     "swarm.init",         CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/swarm/join",                     "swarm.join",         CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/swarm/leave",                    "swarm.leave",        CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/swarm",                          "swarm.inspect",      CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/swarm/unlockkey",                "swarm.unlockkey",    CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/swarm/update",                   "swarm.update",       CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/swarm/unlock",                   "swarm.unlock",       CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/services",                       "service.list",       CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/services/{id}",                  "service.inspect",    CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/services/create",                "service.create",     CHECK_SERVICE, J(go_service_spec), 0, NULL },
	{ "POST",   "/services/{id}/update",           "service.update",     CHECK_SERVICE, J(go_service_spec), 0, NULL },
	{ "DELETE", "/services/{id}",                  "service.delete",     CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/services/{id}/logs",             "service.logs",       CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/nodes",                          "node.list",          CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/nodes/{id}",                     "node.inspect",       CHECK_NONE, NULL, 0, NULL },
	{ "DELETE", "/nodes/{id}",                     "node.delete",        CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/nodes/{id}/update",              "node.update",        CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/tasks",                          "task.list",          CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/tasks/{id}",                     "task.inspect",       CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/tasks/{id}/logs",                "task.logs",          CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/secrets",                        "secret.list",        CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/secrets/create",                 "secret.create",      CHECK_NONE, J(go_secret_spec), 1, NULL },
	{ "DELETE", "/secrets/{id}",                   "secret.delete",      CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/secrets/{id}",                   "secret.inspect",     CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/secrets/{id}/update",            "secret.update",      CHECK_NONE, J(go_secret_spec), 1, NULL },
	{ "GET",    "/configs",                        "config.list",        CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/configs/create",                 "config.create",      CHECK_NONE, J(go_config_spec), 1, NULL },
	{ "DELETE", "/configs/{id}",                   "config.delete",      CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/configs/{id}",                   "config.inspect",     CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/configs/{id}/update",            "config.update",      CHECK_NONE, J(go_config_spec), 1, NULL },
	/* plugin */
	{ "GET",    "/plugins",                        "plugin.list",        CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/plugins/{name:.*}/json",         "plugin.inspect",     CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/plugins/privileges",             "plugin.privileges",  CHECK_NONE, NULL, 0, NULL },
	{ "DELETE", "/plugins/{name:.*}",              "plugin.delete",      CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/plugins/{name:.*}/enable",       "plugin.enable",      CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/plugins/{name:.*}/disable",      "plugin.disable",     CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/plugins/pull",                   "plugin.pull",        CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/plugins/{name:.*}/push",         "plugin.push",        CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/plugins/{name:.*}/upgrade",      "plugin.upgrade",     CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/plugins/{name:.*}/set",          "plugin.set",         CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/plugins/create",                 "plugin.create",      CHECK_NONE, NULL, 0, NULL },
	/* distribution, grpc */
	{ "GET",    "/distribution/{name:.*}/json",    "image.distribution", CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/grpc",                           "build.grpc",         CHECK_SESSION, NULL, 0, NULL },
	/* network */
	{ "GET",    "/networks",                       "network.list",       CHECK_NONE, NULL, 0, NULL },
	{ "GET",    "/networks/",                      NULL,                 CHECK_NONE, NULL, 0, R_SLASH },
	{ "GET",    "/networks/{id:.+}",               "network.inspect",    CHECK_NONE, NULL, 0, NULL },
	{ "POST",   "/networks/create",                "network.create",     CHECK_NETWORK_CREATE, J(go_network_create), 0, NULL },
	{ "POST",   "/networks/{id:.*}/connect",       "network.connect",    CHECK_NETWORK_CONNECT, J(go_network_connect), 0, NULL },
	{ "POST",   "/networks/{id:.*}/disconnect",    "network.disconnect", CHECK_NONE, J(go_network_disconnect), 0, NULL },
	{ "POST",   "/networks/prune",                 "network.prune",      CHECK_NONE, NULL, 0, NULL },
	{ "DELETE", "/networks/{id:.*}",               "network.delete",     CHECK_NONE, NULL, 0, NULL },
	/* debug (api/server/router/debug, any method, never versioned) */
	{ "*",      "/debug/vars",                     NULL,                 CHECK_NONE, NULL, 0, R_DEBUG },
	{ "*",      "/debug/pprof/",                   NULL,                 CHECK_NONE, NULL, 0, R_DEBUG },
	{ "*",      "/debug/pprof/cmdline",            NULL,                 CHECK_NONE, NULL, 0, R_DEBUG },
	{ "*",      "/debug/pprof/profile",            NULL,                 CHECK_NONE, NULL, 0, R_DEBUG },
	{ "*",      "/debug/pprof/symbol",             NULL,                 CHECK_NONE, NULL, 0, R_DEBUG },
	{ "*",      "/debug/pprof/trace",              NULL,                 CHECK_NONE, NULL, 0, R_DEBUG },
	{ "*",      "/debug/pprof/{name}",             NULL,                 CHECK_NONE, NULL, 0, R_DEBUG },
};

enum var_kind { VAR_SEGMENT, VAR_ANY, VAR_SOME };

struct cap {
	const char *from;
	size_t len;
	int set;
};

/* gorilla/mux compiles a pattern to an anchored Go regexp: literals, and
 * variables [^/]+ ({x}), .* ({x:.*}) or .+ ({x:.+}).  Go's submatches are
 * leftmost-first with greedy repetition, which is what trying the longest
 * extent first and backtracking gives.  '.' never matches '\n', but [^/]
 * does (regexp.Compile parses with syntax.Perl, which has ClassNL), and a
 * path holds one when it was sent as %0A: DELETE /nodes/x%0A is dockerd's
 * node.delete, not an unknown endpoint. */
static int
match_from(const char *pat, const char *s, struct cap *first, int nvar)
{
	while (*pat != '\0' && *pat != '{') {
		if (*pat != *s)
			return 0;
		pat++;
		s++;
	}
	if (*pat == '\0')
		return *s == '\0';

	const char *close = strchr(pat, '}'), *colon = memchr(pat, ':', (size_t)(close - pat));
	enum var_kind kind;
	size_t max = 0, min;

	if (colon == NULL)
		kind = VAR_SEGMENT;
	else if (close - colon == 3 && colon[1] == '.' && colon[2] == '*')
		kind = VAR_ANY;
	else if (close - colon == 3 && colon[1] == '.' && colon[2] == '+')
		kind = VAR_SOME;
	else
		return 0;   /* no other expression is used by dockerd's routes */
	min = kind == VAR_ANY ? 0 : 1;
	while (s[max] != '\0' &&
	    (kind == VAR_SEGMENT ? s[max] != '/' : s[max] != '\n'))
		max++;
	if (strchr(close + 1, '{') == NULL) {
		/* only a literal follows: it must end the path, so the variable's
		 * extent is fixed (what the longest-first loop would find) */
		size_t rest = strlen(close + 1), len = strlen(s), n;
		if (len < rest || (n = len - rest) < min || n > max ||
		    memcmp(s + n, close + 1, rest) != 0)
			return 0;
		if (nvar == 0) {
			first->from = s;
			first->len = n;
			first->set = 1;
		}
		return 1;
	}
	for (size_t n = max + 1; n-- > min;) {
		if (match_from(close + 1, s + n, first, nvar + 1)) {
			if (nvar == 0) {
				first->from = s;
				first->len = n;
				first->set = 1;
			}
			return 1;
		}
	}
	return 0;
}

#define NROUTES (sizeof routes / sizeof routes[0])

/* Whether a pattern begins with two literal bytes (neither a variable nor
 * its end): then a path matches it only if it begins with them too. */
static int
literal2(const char *pat)
{
	return pat[0] != '{' && pat[0] != '\0' && pat[1] != '{' && pat[1] != '\0';
}

/* pre2[i]: route i's two literal first bytes (a byte each), 0 when it has
 * none; run_end[i]: the first route after i whose pattern does not begin
 * with them (i + 1 when it has none): a path that does not begin with them
 * matches none of the routes in between.  Built once from the const
 * table. */
static unsigned short pre2[NROUTES];
static unsigned char run_end[NROUTES];
static int run_end_ready;

static void
build_run_end(void)
{
	_Static_assert(NROUTES < 256, "run_end holds route indexes in a byte");
	for (size_t i = NROUTES; i-- > 0;) {
		const unsigned char *p = (const unsigned char *)routes[i].pattern;
		size_t j = i + 1;
		pre2[i] = literal2(routes[i].pattern) ? (unsigned short)(p[0] | p[1] << 8) : 0;
		if (pre2[i] != 0)
			while (j < NROUTES && pre2[j] == pre2[i])
				j = run_end[j];
		run_end[i] = (unsigned char)j;
	}
	run_end_ready = 1;
}

const struct route *
route_match(const char *method, const char *path, char *name, size_t namelen)
{
	const unsigned char *up = (const unsigned char *)path;
	/* the path's first two bytes as pre2 holds a pattern's (a NUL byte
	 * ends it: then no literal pair is equal) */
	unsigned short ppre = up[0] == '\0' ? 0 : (unsigned short)(up[0] | up[1] << 8);

	if (namelen > 0)
		name[0] = '\0';
	if (!run_end_ready)
		build_run_end();
	for (size_t i = 0; i < NROUTES; i++) {
		const struct route *r = &routes[i];
		struct cap first = { NULL, 0, 0 };
		/* a pattern's first two literal bytes must begin the path
		 * (match_from would stop there), so must those of the routes
		 * after it that share them: passed over together */
		if (pre2[i] != 0 && pre2[i] != ppre) {
			i = run_end[i] - 1u;
			continue;
		}
		/* the first byte before strcmp: most routes are another method's */
		if (!(r->method[0] == '*' && r->method[1] == '\0') &&
		    (r->method[0] != method[0] || strcmp(r->method, method) != 0))
			continue;
		if (!match_from(r->pattern, path, &first, 0))
			continue;
		if (first.set && namelen > 0) {
			size_t n = first.len < namelen ? first.len : namelen - 1;
			memcpy(name, first.from, n);
			name[n] = '\0';
		}
		return r;
	}
	return NULL;
}

const struct route *
route_find(const char *method, const char *path, char *name, size_t namelen)
{
	const struct route *r = route_match(method, path, name, namelen);

	if (r != NULL && r->endpoint == NULL) {
		if (namelen > 0)
			name[0] = '\0';
		return NULL;
	}
	return r;
}

const struct route *
route_table(size_t *n)
{
	*n = sizeof routes / sizeof routes[0];
	return routes;
}

int
route_uninspectable(const struct route *r)
{
	return r != NULL && r->endpoint != NULL && strcmp(r->endpoint, "build.grpc") == 0;
}
