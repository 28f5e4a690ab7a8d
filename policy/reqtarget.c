/* reqtarget.c - path and query decoding (see reqtarget.h). */
#include "policy/reqtarget.h"

#include <stdio.h>
#include <string.h>

static int
hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Decode src[0..len) into dst (NUL-terminated).  plus_is_space: query form.
 * Refuses invalid escapes, NUL and, for paths, an encoded '/'. */
static int
unescape(const char *src, size_t len, char *dst, size_t dstlen, int plus_is_space,
    char *err, size_t errlen)
{
	size_t o = 0;

	/* the query's storage can be used up exactly by the parameters before
	 * this one: even an empty string needs room for its terminator */
	if (dstlen == 0) {
		snprintf(err, errlen, "request-target too long");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)src[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len || (hi = hexval(src[i + 1])) < 0 ||
			    (lo = hexval(src[i + 2])) < 0) {
				snprintf(err, errlen, "invalid percent-escape");
				return -1;
			}
			c = hi * 16 + lo;
			i += 2;
			if (c == 0) {
				snprintf(err, errlen, "encoded NUL");
				return -1;
			}
			if (c == '/' && !plus_is_space) {
				snprintf(err, errlen, "encoded '/' in path");
				return -1;
			}
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (o + 1 >= dstlen) {
			snprintf(err, errlen, "request-target too long");
			return -1;
		}
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

/* Split "/v1.41/containers/..." into version and rest, like moby's router
 * (the prefix is /v{version:[0-9.]+}). */
static int
split_version(struct reqtarget *rt, char *err, size_t errlen)
{
	char *p = rt->path;
	const char *q;
	long maj = 0, min = 0;
	int digits = 0;

	if (p[1] != 'v' || p[2] < '0' || p[2] > '9')
		return 0;
	q = p + 2;
	/* moby's mux pattern is [0-9.]+: anything else after /v is a path */
	for (const char *s = q; *s != '/' && *s != '\0'; s++)
		if ((*s < '0' || *s > '9') && *s != '.')
			return 0;
	for (; *q >= '0' && *q <= '9'; q++, digits++)
		if ((maj = maj * 10 + (*q - '0')) > 1000)
			break;
	if (*q != '.' || digits == 0 || maj > 1000)
		goto bad;
	q++;
	digits = 0;
	for (; *q >= '0' && *q <= '9'; q++, digits++)
		if ((min = min * 10 + (*q - '0')) > 1000)
			break;
	if (digits == 0 || min > 1000 || (*q != '/' && *q != '\0'))
		goto bad;
	rt->has_version = 1;
	rt->major = (int)maj;
	rt->minor = (int)min;
	memmove(p, q, strlen(q) + 1);
	if (p[0] == '\0') {
		p[0] = '/';
		p[1] = '\0';
	}
	return 0;
bad:
	snprintf(err, errlen, "malformed API version in path");
	return -1;
}

static int
check_segments(const char *path, char *err, size_t errlen)
{
	const char *s = path;

	if (strcmp(path, "/") == 0)
		return 0;
	while (*s == '/') {
		const char *e = strchr(s + 1, '/');
		size_t n = e ? (size_t)(e - s - 1) : strlen(s + 1);
		if (n == 0 ||
		    (n == 1 && s[1] == '.') || (n == 2 && s[1] == '.' && s[2] == '.')) {
			snprintf(err, errlen, "empty or dot segment in path");
			return -1;
		}
		if (e == NULL)
			break;
		s = e;
	}
	return 0;
}

static int
parse_query(const char *q, size_t len, struct reqtarget *rt, char *err, size_t errlen)
{
	char *out = rt->storage;
	size_t room = sizeof rt->storage;
	size_t i = 0;

	while (i < len) {
		size_t end = i, eq;
		while (end < len && q[end] != '&')
			end++;
		if (end > i) {
			if (memchr(q + i, ';', end - i) != NULL) {
				snprintf(err, errlen, "';' in query");
				return -1;
			}
			if (rt->nparams == RT_MAX_PARAMS) {
				snprintf(err, errlen, "too many query parameters");
				return -1;
			}
			for (eq = i; eq < end && q[eq] != '='; eq++)
				;
			struct rt_param *pp = &rt->params[rt->nparams];
			pp->key = out;
			if (unescape(q + i, eq - i, out, room, 1, err, errlen) < 0)
				return -1;
			size_t w = strlen(out) + 1;
			out += w; room -= w;
			pp->value = out;
			if (unescape(q + (eq < end ? eq + 1 : end), eq < end ? end - eq - 1 : 0,
			    out, room, 1, err, errlen) < 0)
				return -1;
			w = strlen(out) + 1;
			out += w; room -= w;
			rt->nparams++;
		}
		i = end + 1;
	}
	return 0;
}

int
reqtarget_parse(const char *target, struct reqtarget *rt, char *err, size_t errlen)
{
	const char *qmark;
	size_t plen;

	/* the small fields only: the struct is 7 KB (path, params, storage),
	 * and nothing reads params past nparams or storage but through them */
	rt->path[0] = '\0';
	rt->has_version = 0;
	rt->major = rt->minor = 0;
	rt->nparams = 0;
	if (target == NULL || target[0] != '/') {
		snprintf(err, errlen, "request-target must be an absolute path");
		return -1;
	}
	for (const unsigned char *s = (const unsigned char *)target; *s; s++)
		if (*s < 0x20 || *s == 0x7f || *s == '#') {
			snprintf(err, errlen, "invalid byte in request-target");
			return -1;
		}
	qmark = strchr(target, '?');
	plen = qmark ? (size_t)(qmark - target) : strlen(target);
	if (unescape(target, plen, rt->path, sizeof rt->path, 0, err, errlen) < 0)
		return -1;
	if (check_segments(rt->path, err, errlen) < 0 || split_version(rt, err, errlen) < 0)
		return -1;
	if (qmark != NULL && parse_query(qmark + 1, strlen(qmark + 1), rt, err, errlen) < 0)
		return -1;
	return 0;
}

const char *
reqtarget_get(const struct reqtarget *rt, const char *key)
{
	for (size_t i = 0; i < rt->nparams; i++)
		if (strcmp(rt->params[i].key, key) == 0)
			return rt->params[i].value;
	return NULL;
}
