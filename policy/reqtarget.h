/* reqtarget.h - the request-target read exactly as dockerd reads it.
 *
 * Path: percent-decoded once (Go's url.PathUnescape); an encoded '/', NUL,
 * control bytes and invalid escapes are refused; dot and empty segments are
 * refused instead of being cleaned; the /v<major>.<minor> prefix is split
 * off.  Query: Go's url.ParseQuery; ';' is refused and the first value of a
 * repeated key is what r.FormValue() returns. */
#ifndef SOCKWARD_REQTARGET_H
#define SOCKWARD_REQTARGET_H

#include <stddef.h>

#define RT_MAX_PATH   2048
#define RT_MAX_PARAMS 64

struct rt_param {
	char *key;
	char *value;
};

struct reqtarget {
	char path[RT_MAX_PATH];  /* decoded, version prefix removed, starts with '/' */
	int has_version;
	int major, minor;
	struct rt_param params[RT_MAX_PARAMS];
	size_t nparams;
	char storage[RT_MAX_PATH * 2];  /* decoded query keys and values */
};

/* 0 on success, -1 with a reason.  Only path, has_version, major, minor
 * and nparams are reset (path "" until decoded); params[] past nparams and
 * storage hold whatever they held. */
int reqtarget_parse(const char *target, struct reqtarget *rt, char *err, size_t errlen);

/* First value of key (r.FormValue), or NULL when absent. */
const char *reqtarget_get(const struct reqtarget *rt, const char *key);

#endif
