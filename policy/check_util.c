/* check_util.c - helpers shared by the checks: firing rules, engine
 * lookups, reading the canonical document, human units. */
#include "policy/checks.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/gofold.h"

void
fire(struct check_ctx *c, enum rule_id r, const char *fmt, ...)
{
	va_list ap;

	if (!c->prof->rule_on[r])
		return;
	/* A rule acting in audit mode is recorded (rules, audit line, metrics)
	 * but its text is never shown: a denial shows the texts of the rules
	 * acting in enforce mode, warnings those in warn mode, and a decision
	 * made in audit mode shows none.  So it is not formatted. */
	va_start(ap, fmt);
	viol_addv(c->vs, r, profile_rule_mode(c->prof, (int)r) == POL_MODE_AUDIT ? NULL : fmt, ap);
	va_end(ap);
}

const struct pol_lookup *
check_lookup(struct check_ctx *c, enum pol_lookup_kind kind, const char *name)
{
	static const struct pol_lookup failed = { .done = 1, .status = 0 };
	struct pol_prepared *pp = c->pp;

	if (pp == NULL || strlen(name) >= sizeof pp->lookups[0].name)
		return &failed;
	for (size_t i = 0; i < pp->nlookups; i++) {
		struct pol_lookup *l = &pp->lookups[i];
		if (l->kind == kind && strcmp(l->name, name) == 0) {
			if (l->done)
				return l;
			c->need_lookup = 1;
			return NULL;
		}
	}
	if (pp->nlookups == POL_MAX_LOOKUPS)
		return &failed;
	struct pol_lookup *l = &pp->lookups[pp->nlookups++];
	memset(l, 0, sizeof *l);
	l->kind = kind;
	textf(l->name, sizeof l->name, "%s", name);
	if (c->req != NULL && c->req->held_answer != NULL &&
	    (l->json = c->req->held_answer(c->req->held_ctx, kind, l->name)) != NULL) {
		l->status = 200;   /* answered now: no round trip, no second round */
		l->done = 1;
		return l;
	}
	c->need_lookup = 1;
	return NULL;
}

const struct godec_index *jget_index;

void
human_bytes(int64_t v, char *buf, size_t len)
{
	static const char units[] = "bkmgt";
	int u = 0;

	while (u < 4 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	textf(buf, len, "%lld%c", (long long)v, units[u]);
	if (u == 0)
		buf[strlen(buf) - 1] = '\0';
}

void
human_cpus(int64_t nano, char *buf, size_t len)
{
	if (nano % 1000000000LL == 0)
		textf(buf, len, "%lld", (long long)(nano / 1000000000LL));
	else
		textf(buf, len, "%.3g", (double)nano / 1e9);
}

const struct pol_lookup *
route_container(struct check_ctx *c)
{
	const struct pol_lookup *l = check_lookup(c, POL_LOOKUP_CONTAINER, c->name);
	if (l == NULL)
		return NULL;
	if (l->status == 404) {
		c->not_found = 1;
		textf(c->not_found_msg, sizeof c->not_found_msg, "No such container: %s", c->name);
		return NULL;
	}
	return l;
}

/* Here rather than in policy.c: the checks name lookup kinds in their
 * messages, and policy.c runs the checks (no include circle). */
const char *
pol_lookup_kind_name(enum pol_lookup_kind kind)
{
	switch (kind) {
	case POL_LOOKUP_IMAGE:     return "image";
	case POL_LOOKUP_CONTAINER: return "container";
	case POL_LOOKUP_VOLUME:    return "volume";
	case POL_LOOKUP_NETWORK:   return "network";
	case POL_LOOKUP_EXEC:      return "exec";
	case POL_LOOKUP_TENANT_CONTAINERS: return "tenant-containers";
	case POL_LOOKUP_TENANT_VOLUMES:    return "tenant-volumes";
	case POL_LOOKUP_SERVICE:   return "service";
	case POL_LOOKUP_SECRET:    return "secret";
	case POL_LOOKUP_CONFIG:    return "config";
	case POL_LOOKUP_TASK:      return "task";
	case POL_LOOKUP_IMAGE_USERS:       return "image-users";
	case POL_LOOKUP_CONTAINER_USERS:   return "container-users";
	}
	return "unknown";
}

int
go_path_clean(const char *p, char *out, size_t len)
{
	size_t n = strlen(p), r = 0, w = 0, dotdot = 0;
	int rooted = n > 0 && p[0] == '/';

	if (len < n + 2)
		return -1;    /* the result is never longer than p, or "." */
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/')
			r++;
		else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/'))
			r++;
		else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {         /* drop the last element */
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {     /* a relative path keeps its leading ".." */
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < n && p[r] != '/'; r++)
				out[w++] = p[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return 0;
}

/* "net_admin", "CAP_NET_ADMIN", "Cap_Net_Admin" -> "NET_ADMIN".  dockerd
 * upper-cases a name with Go's strings.ToUpper, which also makes ASCII of
 * U+017F and U+0131 ("ſys_admın" is SYS_ADMIN), then drops "CAP_" (no
 * non-ASCII rune upper-cases into it, so dropping it first is the same).
 * Shared by the capability lists and the seccomp judge. */
void
cap_normalize(const char *in, char *out, size_t len)
{
	if (strncasecmp(in, "CAP_", 4) == 0)
		in += 4;
	go_toupper(in, out, len);
}
