/* routes.h - the table of Docker Engine API endpoints: method + path
 * pattern -> stable endpoint id, and how its request body is judged.
 * Patterns use "*" for one path segment and "**" for one or more (image and
 * plugin names contain '/'), mirroring moby's api/server/router. */
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
	CHECK_NETWORK_CREATE,
	CHECK_NETWORK_CONNECT,
};

struct route {
	const char *method;
	const char *pattern;
	const char *endpoint;          /* stable id: "container.create" */
	enum route_check check;
	const struct gotype *body;     /* JSON body decoded as this type, or NULL */
	int body_optional;             /* an empty body is fine (start) */
};

#define ROUTE_MAX_NAME 512

/* Find the route for an already decoded, version-stripped path.  The first
 * wildcard's value (container id, image name, ...) goes to name. */
const struct route *route_find(const char *method, const char *path, char *name, size_t namelen);

#endif
