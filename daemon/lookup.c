/* lookup.c - the engine lookups the policy asks for, one engine_client GET
 * each (its own short-lived connection, so it never disturbs the client's
 * exchange).  Anything but a clean answer leaves status 0 or the engine's
 * status, and the policy denies on that. */
#include "daemon/lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/engine_client.h"
#include "policy/tenant.h"

#define LOOKUP_MAX_BYTES (4u << 20)
#define LOOKUP_TIMEOUT_MS 10000u

struct lookup {
	struct engine_req *req;
	struct pol_lookup *lk;
	lookup_cb cb;
	void *arg;
};

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
	}
	lk->done = 1;
	free(l);   /* the request frees itself after this callback */
	cb(lk, cbarg);
}

struct lookup *
lookup_start(struct event_base *base, const char *sock_path, struct pol_lookup *lk,
    lookup_cb cb, void *arg)
{
	struct engine_opts opts = { .max_bytes = LOOKUP_MAX_BYTES,
	    .timeout_ms = LOOKUP_TIMEOUT_MS, .want_json = 1 };
	char path[1700];

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
	engine_cancel(l->req);
	free(l);
}
