/* routes.h - the table of Docker Engine API endpoints: method + path
 * pattern -> stable endpoint id, and how its request body is judged.
 *
 * The table is dockerd 20.10's router (API 1.41), route for route and in
 * its order: patterns are written as in moby's api/server/router/ and
 * matched with gorilla/mux's semantics, the first route whose method and
 * whole path match wins:
 *   {id}        one or more characters other than '/'
 *   {name:.*}   any characters, '/' included (greedy: "/containers/a/b/json"
 *               is container "a/b"); {id:.+} the same, never empty
 * Paths are already decoded and version-stripped (reqtarget.h; dockerd
 * registers every route with and without /v{version}).
 *
 * Routes dockerd has that sockward refuses whatever the profile carry no
 * endpoint id but the reason (route_match); route_find treats them as
 * unknown, so they fall under the "endpoint" rule. */
#ifndef SOCKWARD_ROUTES_H
#define SOCKWARD_ROUTES_H

#include <stddef.h>

#include "policy/gotypes.h"

enum route_check {
	CHECK_NONE,
	CHECK_CREATE,
	CHECK_UPDATE,
	CHECK_EXEC,
	CHECK_START,
	CHECK_VOLUME,
	CHECK_BUILD,
	CHECK_PULL,
	CHECK_TAG,
	CHECK_COMMIT,
	CHECK_SESSION,
	CHECK_SERVICE,
	CHECK_LOAD,
	CHECK_NETWORK_CREATE,
	CHECK_NETWORK_CONNECT,
	CHECK_ARCHIVE,
	CHECK_RESTART,
	CHECK_EXEC_START,
};

struct route {
	const char *method;            /* "*": any method (dockerd's /debug routes) */
	const char *pattern;
	const char *endpoint;          /* stable id: "container.create"; NULL: refused */
	enum route_check check;
	const struct gotype *body;     /* JSON body decoded as this type, or NULL */
	int body_optional;             /* an empty body is fine (start) */
	const char *refused;           /* endpoint NULL: why sockward never forwards it */
};

/* Room for the longest name a path can hold (reqtarget.h's RT_MAX_PATH,
 * prepared.h asserts it): route_match cuts a name at its buffer, and a
 * name the policy judged cut would be another object than the one dockerd
 * reads from the same path (a container named by the first 511 bytes of
 * the name sent). */
#define ROUTE_MAX_NAME 2048

/* Find the route for an already decoded, version-stripped path.  The first
 * variable's value (container id, image name, ...) goes to name.  NULL when
 * dockerd has no such route or sockward refuses it (route->refused). */
const struct route *route_find(const char *method, const char *path, char *name, size_t namelen);

/* Routes whose requests sockward cannot inspect at all (BuildKit's /grpc):
 * when a profile does not allow one by name it is refused in every mode. */
int route_uninspectable(const struct route *r);

/* The route dockerd would pick, refused ones included; NULL when none. */
const struct route *route_match(const char *method, const char *path, char *name, size_t namelen);

/* The whole table, in matching order (for tests and documentation). */
const struct route *route_table(size_t *n);

#endif
