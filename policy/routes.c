/* routes.c - endpoint table and matcher (see routes.h). */
#include "policy/routes.h"

#include <string.h>

#define J(t) (&(t))

static const struct route routes[] = {
	/* system */
	{ "GET",    "/_ping",                       "system.ping",        CHECK_NONE, NULL, 0 },
	{ "HEAD",   "/_ping",                       "system.ping",        CHECK_NONE, NULL, 0 },
	{ "GET",    "/version",                     "system.version",     CHECK_NONE, NULL, 0 },
	{ "GET",    "/info",                        "system.info",        CHECK_NONE, NULL, 0 },
	{ "GET",    "/events",                      "system.events",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/system/df",                   "system.df",          CHECK_NONE, NULL, 0 },
	{ "POST",   "/auth",                        "system.auth",        CHECK_NONE, NULL, 0 },
	/* containers */
	{ "GET",    "/containers/json",             "container.list",     CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/create",           "container.create",   CHECK_CREATE, J(go_create_request), 0 },
	{ "POST",   "/containers/prune",            "container.prune",    CHECK_NONE, NULL, 0 },
	{ "GET",    "/containers/*/json",           "container.inspect",  CHECK_NONE, NULL, 0 },
	{ "GET",    "/containers/*/top",            "container.top",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/containers/*/logs",           "container.logs",     CHECK_NONE, NULL, 0 },
	{ "GET",    "/containers/*/changes",        "container.changes",  CHECK_NONE, NULL, 0 },
	{ "GET",    "/containers/*/export",         "container.export",   CHECK_NONE, NULL, 0 },
	{ "GET",    "/containers/*/stats",          "container.stats",    CHECK_NONE, NULL, 0 },
	{ "GET",    "/containers/*/attach/ws",      "container.attach",   CHECK_NONE, NULL, 0 },
	{ "GET",    "/containers/*/archive",        "container.archive",  CHECK_NONE, NULL, 0 },
	{ "HEAD",   "/containers/*/archive",        "container.archive",  CHECK_NONE, NULL, 0 },
	{ "PUT",    "/containers/*/archive",        "container.archive",  CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/start",          "container.start",    CHECK_START, J(go_start_body), 1 },
	{ "POST",   "/containers/*/stop",           "container.stop",     CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/restart",        "container.restart",  CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/kill",           "container.kill",     CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/pause",          "container.pause",    CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/unpause",        "container.unpause",  CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/wait",           "container.wait",     CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/resize",         "container.resize",   CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/attach",         "container.attach",   CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/rename",         "container.rename",   CHECK_NONE, NULL, 0 },
	{ "POST",   "/containers/*/update",         "container.update",   CHECK_UPDATE, J(go_update_config), 0 },
	{ "POST",   "/containers/*/exec",           "exec.create",        CHECK_EXEC, J(go_exec_config), 0 },
	{ "DELETE", "/containers/*",                "container.delete",   CHECK_NONE, NULL, 0 },
	/* exec */
	{ "POST",   "/exec/*/start",                "exec.start",         CHECK_NONE, NULL, 0 },
	{ "POST",   "/exec/*/resize",               "exec.resize",        CHECK_NONE, NULL, 0 },
	{ "GET",    "/exec/*/json",                 "exec.inspect",       CHECK_NONE, NULL, 0 },
	/* images */
	{ "GET",    "/images/json",                 "image.list",         CHECK_NONE, NULL, 0 },
	{ "GET",    "/images/search",               "image.search",       CHECK_NONE, NULL, 0 },
	{ "GET",    "/images/get",                  "image.save",         CHECK_NONE, NULL, 0 },
	{ "POST",   "/images/load",                 "image.load",         CHECK_NONE, NULL, 0 },
	{ "POST",   "/images/create",               "image.create",       CHECK_PULL, NULL, 0 },
	{ "POST",   "/images/prune",                "image.prune",        CHECK_NONE, NULL, 0 },
	{ "GET",    "/images/**/json",              "image.inspect",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/images/**/history",           "image.history",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/images/**/get",               "image.save",         CHECK_NONE, NULL, 0 },
	{ "POST",   "/images/**/push",              "image.push",         CHECK_NONE, NULL, 0 },
	{ "POST",   "/images/**/tag",               "image.tag",          CHECK_TAG, NULL, 0 },
	{ "DELETE", "/images/**",                   "image.delete",       CHECK_NONE, NULL, 0 },
	{ "POST",   "/commit",                      "image.commit",       CHECK_COMMIT, NULL, 0 },
	{ "GET",    "/distribution/**/json",        "image.distribution", CHECK_NONE, NULL, 0 },
	/* build */
	{ "POST",   "/build",                       "build.build",        CHECK_BUILD, NULL, 0 },
	{ "POST",   "/build/prune",                 "build.prune",        CHECK_NONE, NULL, 0 },
	{ "POST",   "/build/cancel",                "build.cancel",       CHECK_NONE, NULL, 0 },
	{ "POST",   "/session",                     "build.session",      CHECK_SESSION, NULL, 0 },
	{ "POST",   "/grpc",                        "build.session",      CHECK_SESSION, NULL, 0 },
	/* networks */
	{ "GET",    "/networks",                    "network.list",       CHECK_NONE, NULL, 0 },
	{ "POST",   "/networks/create",             "network.create",     CHECK_NETWORK_CREATE, J(go_network_create), 0 },
	{ "POST",   "/networks/prune",              "network.prune",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/networks/*",                  "network.inspect",    CHECK_NONE, NULL, 0 },
	{ "POST",   "/networks/*/connect",          "network.connect",    CHECK_NETWORK_CONNECT, NULL, 0 },
	{ "POST",   "/networks/*/disconnect",       "network.disconnect", CHECK_NONE, NULL, 0 },
	{ "DELETE", "/networks/*",                  "network.delete",     CHECK_NONE, NULL, 0 },
	/* volumes */
	{ "GET",    "/volumes",                     "volume.list",        CHECK_NONE, NULL, 0 },
	{ "POST",   "/volumes/create",              "volume.create",      CHECK_VOLUME, J(go_volume_create), 0 },
	{ "POST",   "/volumes/prune",               "volume.prune",       CHECK_NONE, NULL, 0 },
	{ "GET",    "/volumes/**",                  "volume.inspect",     CHECK_NONE, NULL, 0 },
	{ "PUT",    "/volumes/**",                  "volume.update",      CHECK_NONE, NULL, 0 },
	{ "DELETE", "/volumes/**",                  "volume.delete",      CHECK_NONE, NULL, 0 },
	/* swarm and everything that runs on it */
	{ "GET",    "/swarm",                       "swarm.inspect",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/swarm/unlockkey",             "swarm.unlockkey",    CHECK_NONE, NULL, 0 },
	{ "POST",   "/swarm/init",                  "swarm.init",         CHECK_NONE, NULL, 0 },
	{ "POST",   "/swarm/join",                  "swarm.join",         CHECK_NONE, NULL, 0 },
	{ "POST",   "/swarm/leave",                 "swarm.leave",        CHECK_NONE, NULL, 0 },
	{ "POST",   "/swarm/update",                "swarm.update",       CHECK_NONE, NULL, 0 },
	{ "POST",   "/swarm/unlock",                "swarm.unlock",       CHECK_NONE, NULL, 0 },
	{ "GET",    "/services",                    "service.list",       CHECK_NONE, NULL, 0 },
	{ "POST",   "/services/create",             "service.create",     CHECK_SERVICE, J(go_service_spec), 0 },
	{ "GET",    "/services/*",                  "service.inspect",    CHECK_NONE, NULL, 0 },
	{ "POST",   "/services/*/update",           "service.update",     CHECK_SERVICE, J(go_service_spec), 0 },
	{ "GET",    "/services/*/logs",             "service.logs",       CHECK_NONE, NULL, 0 },
	{ "DELETE", "/services/*",                  "service.delete",     CHECK_NONE, NULL, 0 },
	{ "GET",    "/nodes",                       "node.list",          CHECK_NONE, NULL, 0 },
	{ "GET",    "/nodes/*",                     "node.inspect",       CHECK_NONE, NULL, 0 },
	{ "POST",   "/nodes/*/update",              "node.update",        CHECK_NONE, NULL, 0 },
	{ "DELETE", "/nodes/*",                     "node.delete",        CHECK_NONE, NULL, 0 },
	{ "GET",    "/tasks",                       "task.list",          CHECK_NONE, NULL, 0 },
	{ "GET",    "/tasks/*",                     "task.inspect",       CHECK_NONE, NULL, 0 },
	{ "GET",    "/tasks/*/logs",                "task.logs",          CHECK_NONE, NULL, 0 },
	{ "GET",    "/secrets",                     "secret.list",        CHECK_NONE, NULL, 0 },
	{ "POST",   "/secrets/create",              "secret.create",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/secrets/*",                   "secret.inspect",     CHECK_NONE, NULL, 0 },
	{ "POST",   "/secrets/*/update",            "secret.update",      CHECK_NONE, NULL, 0 },
	{ "DELETE", "/secrets/*",                   "secret.delete",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/configs",                     "config.list",        CHECK_NONE, NULL, 0 },
	{ "POST",   "/configs/create",              "config.create",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/configs/*",                   "config.inspect",     CHECK_NONE, NULL, 0 },
	{ "POST",   "/configs/*/update",            "config.update",      CHECK_NONE, NULL, 0 },
	{ "DELETE", "/configs/*",                   "config.delete",      CHECK_NONE, NULL, 0 },
	/* plugins */
	{ "GET",    "/plugins",                     "plugin.list",        CHECK_NONE, NULL, 0 },
	{ "GET",    "/plugins/privileges",          "plugin.privileges",  CHECK_NONE, NULL, 0 },
	{ "POST",   "/plugins/pull",                "plugin.pull",        CHECK_NONE, NULL, 0 },
	{ "POST",   "/plugins/create",              "plugin.create",      CHECK_NONE, NULL, 0 },
	{ "GET",    "/plugins/**/json",             "plugin.inspect",     CHECK_NONE, NULL, 0 },
	{ "POST",   "/plugins/**/enable",           "plugin.enable",      CHECK_NONE, NULL, 0 },
	{ "POST",   "/plugins/**/disable",          "plugin.disable",     CHECK_NONE, NULL, 0 },
	{ "POST",   "/plugins/**/push",             "plugin.push",        CHECK_NONE, NULL, 0 },
	{ "POST",   "/plugins/**/upgrade",          "plugin.upgrade",     CHECK_NONE, NULL, 0 },
	{ "POST",   "/plugins/**/set",              "plugin.set",         CHECK_NONE, NULL, 0 },
	{ "DELETE", "/plugins/**",                  "plugin.delete",      CHECK_NONE, NULL, 0 },
};

/* Split "/a/b/c" into segment pointers/lengths. */
static size_t
split(const char *path, const char **seg, size_t *len, size_t max)
{
	size_t n = 0;

	if (strcmp(path, "/") == 0)
		return 0;
	while (*path == '/' && n < max) {
		const char *s = path + 1, *e = strchr(s, '/');
		seg[n] = s;
		len[n] = e ? (size_t)(e - s) : strlen(s);
		n++;
		if (e == NULL)
			return n;
		path = e;
	}
	return *path == '\0' ? n : max + 1;
}

static void
capture(char *name, size_t namelen, const char *from, const char *to)
{
	size_t n = (size_t)(to - from);
	if (namelen == 0)
		return;
	if (n >= namelen)
		n = namelen - 1;
	memcpy(name, from, n);
	name[n] = '\0';
}

#define MAX_SEGS 64

static int
match(const char *pattern, const char *path, char *name, size_t namelen)
{
	const char *ps[MAX_SEGS], *rs[MAX_SEGS];
	size_t pl[MAX_SEGS], rl[MAX_SEGS];
	size_t np = split(pattern, ps, pl, MAX_SEGS);
	size_t nr = split(path, rs, rl, MAX_SEGS);
	size_t i;

	if (nr > MAX_SEGS)
		return 0;
	for (i = 0; i < np; i++) {
		if (pl[i] == 2 && ps[i][0] == '*' && ps[i][1] == '*') {
			/* one or more segments, then the fixed tail of the pattern */
			size_t tail = np - i - 1;
			if (nr < i + 1 + tail)
				return 0;
			size_t last = nr - tail;   /* first segment of the tail */
			for (size_t k = 0; k < tail; k++)
				if (pl[i + 1 + k] != rl[last + k] ||
				    memcmp(ps[i + 1 + k], rs[last + k], rl[last + k]) != 0)
					return 0;
			capture(name, namelen, rs[i], rs[last - 1] + rl[last - 1]);
			return 1;
		}
		if (i >= nr)
			return 0;
		if (pl[i] == 1 && ps[i][0] == '*') {
			capture(name, namelen, rs[i], rs[i] + rl[i]);
			continue;
		}
		if (pl[i] != rl[i] || memcmp(ps[i], rs[i], rl[i]) != 0)
			return 0;
	}
	return i == nr;
}

const struct route *
route_find(const char *method, const char *path, char *name, size_t namelen)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (namelen > 0)
			name[0] = '\0';
		if (strcmp(routes[i].method, method) == 0 &&
		    match(routes[i].pattern, path, name, namelen))
			return &routes[i];
	}
	if (namelen > 0)
		name[0] = '\0';
	return NULL;
}
