/* tenant_lists.c - narrow lists, events and prunes to a tenant (see
 * tenant_lists.h). */
#include "policy/tenant_lists.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/filters.h"
#include "policy/tenant.h"

/* LABEL_MAP: the swarm lists, whose label terms dockerd reads into a map
 * of one value per key (daemon/cluster filters.go ConvertKVStringsToMap of
 * filters.Get("label"), in Go's random map order), which swarmkit matches
 * with "" as any value (filterMatchLabels): a client's term for the tenant
 * label's key replaced the tenant's own about every other time, and
 * label=io.sockward.tenant listed every tenant's services, tasks, secrets
 * and configs (a config list carries their Data). */
enum how { LABEL, LABEL_MAP, ANSWER, REFUSE };

static const struct {
	const char *endpoint;
	enum how how;
	enum pol_answer_filter answer;
	const char *why;
} table[] = {
	{ "container.list",  LABEL, POL_ANSWER_NONE, NULL },
	{ "container.prune", LABEL, POL_ANSWER_NONE, NULL },
	{ "volume.list",     LABEL, POL_ANSWER_NONE, NULL },
	{ "volume.prune",    LABEL, POL_ANSWER_NONE, NULL },
	{ "network.prune",   LABEL, POL_ANSWER_NONE, NULL },
	{ "image.prune",     LABEL, POL_ANSWER_NONE, NULL },
	{ "system.events",   LABEL, POL_ANSWER_NONE, NULL },
	{ "service.list",    LABEL_MAP, POL_ANSWER_NONE, NULL },
	{ "secret.list",     LABEL_MAP, POL_ANSWER_NONE, NULL },
	{ "config.list",     LABEL_MAP, POL_ANSWER_NONE, NULL },
	/* swarmkit matches a task's label filter against its service's labels
	 * (ServiceAnnotations), which carry the tenant's (check_tenant.c) */
	{ "task.list",       LABEL_MAP, POL_ANSWER_NONE, NULL },
	{ "image.list",      ANSWER, POL_ANSWER_IMAGES, NULL },
	{ "network.list",    ANSWER, POL_ANSWER_NETWORKS, NULL },
	{ "system.df",       ANSWER, POL_ANSWER_SYSTEM_DF, NULL },
	{ "network.inspect", ANSWER, POL_ANSWER_NETWORK, NULL },
	{ "build.prune",     REFUSE, POL_ANSWER_NONE,
	  "docker builder prune removes the engine's whole build cache, which belongs to no "
	  "tenant; ask an operator to prune it" },
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Is the raw query key s[0..n) "filters" once decoded as Go's
 * url.QueryUnescape does ('+' is a space)? */
static int
key_is_filters(const char *s, size_t n)
{
	static const char want[] = "filters";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o >= sizeof want - 1 || want[o] != c)
			return 0;
		o++;
	}
	return o == sizeof want - 1;
}

char *
tenant_target_with_filters(const char *target, const char *value)
{
	const char *q = strchr(target, '?');
	size_t plen = q ? (size_t)(q - target) : strlen(target);
	size_t cap = strlen(target) + 3 * strlen(value) + 16, o = 0;
	char *out = malloc(cap);
	char sep = '?';

	if (out == NULL)
		return NULL;
	memcpy(out, target, plen);
	o = plen;
	if (q != NULL) {
		const char *s = q + 1;
		while (*s != '\0') {
			const char *end = strchr(s, '&');
			size_t n = end ? (size_t)(end - s) : strlen(s);
			const char *eq = memchr(s, '=', n);
			size_t klen = eq ? (size_t)(eq - s) : n;
			if (n > 0 && !key_is_filters(s, klen)) {
				out[o++] = sep;
				sep = '&';
				memcpy(out + o, s, n);
				o += n;
			}
			if (end == NULL)
				break;
			s = end + 1;
		}
	}
	o += (size_t)snprintf(out + o, cap - o, "%cfilters=", sep);
	for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
		int c = *v;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			static const char hex[] = "0123456789ABCDEF";
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* A label term of the merged filter (canonical, filters_merge) for the
 * tenant label's key other than the tenant's own term: 1 and why. */
static int
other_tenant_term(const char *merged, const char *term, char *why, size_t whylen)
{
	json_t *doc = json_loads(merged, 0, NULL), *v;
	const char *k;
	size_t n = strlen(TENANT_LABEL);
	int found = 0;

	if (doc == NULL) {
		snprintf(why, whylen, "sockward: out of memory");
		return 1;
	}
	json_object_foreach(json_object_get(doc, "label"), k, v) {
		if (strncmp(k, TENANT_LABEL, n) == 0 && (k[n] == '\0' || k[n] == '=') &&
		    strcmp(k, term) != 0) {
			snprintf(why, whylen, "sockward: bad request: filters: label=%s: the label %s "
			    "is the tenant's own filter on this list (dockerd keeps one value per label "
			    "key here, so it would replace it); drop that term", k, TENANT_LABEL);
			found = 1;
			break;
		}
	}
	json_decref(doc);
	return found;
}

enum tenant_lists_result
tenant_lists(const struct pol_prepared *pp, const char *tenant, struct pol_decision *dec,
    char *why, size_t whylen)
{
	char term[sizeof TENANT_LABEL + TENANT_NAME_MAX + 2], *merged = NULL;

	if (tenant == NULL || pp->route == NULL || pp->route->endpoint == NULL)
		return TL_PASS;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(table[i].endpoint, pp->route->endpoint) != 0)
			continue;
		switch (table[i].how) {
		case REFUSE:
			snprintf(why, whylen, "%s", table[i].why);
			return TL_REFUSED;
		case ANSWER:
			dec->answer_filter = table[i].answer;
			return TL_PASS;
		case LABEL:
		case LABEL_MAP:
			break;
		}
		const char *client = reqtarget_get(&pp->rt, "filters");
		snprintf(term, sizeof term, "%s=%s", TENANT_LABEL, tenant);
		if (filters_merge(client, client ? strlen(client) : 0, "label", term, &merged, why,
		    whylen) != 0)
			return strcmp(why, "out of memory") == 0 ? TL_NOMEM : TL_BAD_FILTERS;
		if (table[i].how == LABEL_MAP && other_tenant_term(merged, term, why, whylen)) {
			free(merged);
			return TL_BAD_FILTERS;
		}
		free(dec->target);
		dec->target = tenant_target_with_filters(pp->raw_target, merged);
		free(merged);
		return dec->target ? TL_PASS : TL_NOMEM;
	}
	return TL_PASS;
}
