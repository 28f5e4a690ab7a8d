/* policy_config.c - build a policy from the "policy" section of the
 * configuration.  Unknown keys, wrong types and bad values are errors that
 * name the key path ("policy.profiles.ci.memory_max") and say what is wrong
 * with it. */
#include "policy/policy.h"
#include "policy/profile.h"
#include "policy/tenant.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <strings.h>

typedef struct pol_load_errors cerr;

/* Errors accumulate so --check-config can show them all; each names its
 * key path apart from its message, so no caller has to split text. */
static void
cerr_vadd(cerr *e, const char *path, const char *key, const char *fmt, va_list ap)
{
	struct pol_load_error *nv;

	if (e == NULL || (nv = realloc(e->v, (e->n + 1) * sizeof *nv)) == NULL)
		return;
	e->v = nv;
	if (key != NULL)
		snprintf(nv[e->n].path, sizeof nv[e->n].path, "%s.%s", path, key);
	else
		snprintf(nv[e->n].path, sizeof nv[e->n].path, "%s", path);
	vsnprintf(nv[e->n].message, sizeof nv[e->n].message, fmt, ap);
	e->n++;
}

static void __attribute__((format(printf, 3, 4)))
cerr_add(cerr *e, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cerr_vadd(e, path, NULL, fmt, ap);
	va_end(ap);
}

/* The same for path.key */
static void __attribute__((format(printf, 4, 5)))
cerr_addk(cerr *e, const char *path, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cerr_vadd(e, path, key, fmt, ap);
	va_end(ap);
}

#define FAIL(e, ...) do { cerr_add((e), __VA_ARGS__); return -1; } while (0)
#define FAILK(e, ...) do { cerr_addk((e), __VA_ARGS__); return -1; } while (0)

enum opt_type {
	OPT_BOOL, OPT_STRLIST, OPT_MODE, OPT_NSJOIN, OPT_INT, OPT_BYTES, OPT_CPUS,
	OPT_RULES, OPT_CAPMODE, OPT_CAPS, OPT_HOSTIPS, OPT_QUOTA,
};

struct opt {
	const char *key;
	enum opt_type type;
	size_t off;
};

#define O(k, t, f) { k, t, offsetof(struct profile, f) }
static const struct opt profile_opts[] = {
	O("mode",                 OPT_MODE,    mode),
	O("rules",                OPT_RULES,   rule_on),
	O("memory_max",           OPT_BYTES,   memory_max),
	O("cpus_max",             OPT_CPUS,    nano_cpus_max),
	O("pids_max",             OPT_INT,     pids_max),
	O("bind_prefixes",        OPT_STRLIST, bind_prefixes),
	O("bind_readonly",        OPT_BOOL,    bind_readonly),
	O("sensitive_paths",      OPT_STRLIST, sensitive_paths),
	O("socket_paths",         OPT_STRLIST, socket_paths),
	O("cap_add",              OPT_CAPS,    cap_add),
	O("cap_add_mode",         OPT_CAPMODE, cap_add_allowlist),
	O("cap_drop_all",         OPT_BOOL,    cap_drop_all),
	O("sysctls",              OPT_STRLIST, sysctls),
	O("group_add",            OPT_STRLIST, group_add),
	O("runtimes",             OPT_STRLIST, runtimes),
	O("cgroup_parents",       OPT_STRLIST, cgroup_parents),
	O("host_ips",             OPT_HOSTIPS, host_ips),
	O("min_host_port",        OPT_INT,     min_host_port),
	O("container_namespaces", OPT_NSJOIN,  container_namespaces),
	O("images",               OPT_STRLIST, images),
	O("image_ids",            OPT_BOOL,    image_ids),
	O("volume_drivers",       OPT_STRLIST, volume_drivers),
	O("volume_types",         OPT_STRLIST, volume_types),
	O("network_drivers",      OPT_STRLIST, network_drivers),
	O("ulimits",              OPT_STRLIST, ulimits),
	O("apparmor_profiles",    OPT_STRLIST, apparmor_profiles),
	O("selinux_types",        OPT_STRLIST, selinux_types),
	O("log_drivers",          OPT_STRLIST, log_drivers),
	O("log_max_size",         OPT_BYTES,   log_max_size),
	O("log_max_files",        OPT_INT,     log_max_files),
	O("buildkit",             OPT_BOOL,    buildkit),
	O("endpoints_allow",      OPT_STRLIST, endpoints_allow),
	O("endpoints_deny",       OPT_STRLIST, endpoints_deny),
	O("unknown_endpoints",    OPT_BOOL,    unknown_endpoints),
	O("quota",                OPT_QUOTA,   quota),
};

/* A plain array of non-empty strings into *out (replacing it). */
static int
parse_strlist(const json_t *v, struct strlist *out, const char *path, cerr *e)
{
	struct strlist tmp = { 0 };
	size_t i;
	json_t *s;

	if (!json_is_array(v))
		FAIL(e, path, "want an array of strings");
	json_array_foreach(v, i, s) {
		if (!json_is_string(s) || json_string_length(s) == 0 ||
		    strlen(json_string_value(s)) != json_string_length(s)) {
			strlist_free(&tmp);
			char at[420];
			snprintf(at, sizeof at, "%s[%zu]", path, i);
			FAIL(e, at, "want a non-empty string");
		}
		if (strlist_add(&tmp, json_string_value(s)) < 0) {
			strlist_free(&tmp);
			FAIL(e, path, "out of memory");
		}
	}
	strlist_free(out);
	*out = tmp;
	return 0;
}

/* A list-valued profile key.  The base profile's list is kept and extended:
 *   ["a", "b"]                          the base's list plus a and b
 *   {"add": ["a"], "remove": ["b"]}     plus a, without b (b must be in it)
 *   {"replace": ["a"]}                  exactly a (replace: [] empties it)
 * so a team profile that denies one more endpoint keeps every endpoint its
 * base denies.  Entries already in the list are not added twice. */
static int
parse_listkey(const json_t *v, struct strlist *out, const char *path, cerr *e)
{
	struct strlist add = { 0 }, rm = { 0 }, res = { 0 };
	const json_t *x;
	const char *key;
	char sub[420];
	int bad = 0, replace = 0;

	if (json_is_array(v)) {
		if (parse_strlist(v, &add, path, e) < 0)
			return -1;
	} else if (json_is_object(v) && json_object_size(v) > 0) {
		json_object_foreach((json_t *)v, key, x) {
			snprintf(sub, sizeof sub, "%s.%s", path, key);
			if (strcmp(key, "replace") == 0) {
				replace = 1;
				bad |= parse_strlist(x, &add, sub, e) < 0;
			} else if (strcmp(key, "add") == 0) {
				bad |= parse_strlist(x, &add, sub, e) < 0;
			} else if (strcmp(key, "remove") == 0) {
				bad |= parse_strlist(x, &rm, sub, e) < 0;
			} else {
				cerr_add(e, sub, "unknown key (want \"add\", \"remove\" or "
				    "\"replace\")");
				bad = 1;
			}
		}
		if (!bad && replace && json_object_size(v) > 1) {
			cerr_add(e, path, "\"replace\" gives the whole list: it cannot be combined "
			    "with \"add\" or \"remove\"");
			bad = 1;
		}
	} else {
		FAIL(e, path, "want an array of strings (added to the base profile's list), or "
		    "{\"replace\": [...]} / {\"add\": [...], \"remove\": [...]}");
	}
	for (size_t i = 0; !bad && i < rm.n; i++)
		if (!strlist_has(out, rm.v[i])) {
			snprintf(sub, sizeof sub, "%s.remove", path);
			cerr_add(e, sub, "'%s' is not in the base profile's list", rm.v[i]);
			bad = 1;
		}
	for (size_t i = 0; !bad && !replace && i < out->n; i++)
		if (!strlist_has(&rm, out->v[i]) && strlist_add(&res, out->v[i]) < 0)
			bad = 1;
	for (size_t i = 0; !bad && i < add.n; i++)
		if (!strlist_has(&res, add.v[i]) && strlist_add(&res, add.v[i]) < 0)
			bad = 1;
	strlist_free(&add);
	strlist_free(&rm);
	if (bad) {
		strlist_free(&res);
		return -1;
	}
	strlist_free(out);
	*out = res;
	return 0;
}

/* "512m", "4g", "1073741824" or a JSON integer */
static int
parse_bytes(const json_t *v, int64_t *out, const char *path, cerr *e)
{
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		errno = 0;
		long long n = strtoll(s, &end, 10);
		int shift = 0;
		switch (tolower((unsigned char)*end)) {
		case '\0': break;
		case 'b': shift = 0; end++; break;
		case 'k': shift = 10; end++; break;
		case 'm': shift = 20; end++; break;
		case 'g': shift = 30; end++; break;
		case 't': shift = 40; end++; break;
		default: end = (char *)"x"; break;
		}
		if (errno == 0 && *end == '\0' && end != s && n > 0 && n <= (INT64_MAX >> shift)) {
			*out = (int64_t)n << shift;
			return 0;
		}
	}
	FAIL(e, path, "want a positive size like \"4g\" or a number of bytes");
}

static int
parse_cpus(const json_t *v, int64_t *out, const char *path, cerr *e)
{
	double d = -1;
	if (json_is_number(v))
		d = json_number_value(v);
	else if (json_is_string(v)) {
		char *end;
		d = strtod(json_string_value(v), &end);
		if (*end != '\0')
			d = -1;
	}
	if (!(d > 0) || d > 1e6)
		FAIL(e, path, "want a positive number of CPUs");
	*out = (int64_t)llround(d * 1e9);
	return 0;
}

/* "quota": { "containers": N, "memory": "8g", "cpus": 4, "volumes": N }.
 * Keys given replace the base's; keys not given keep the base's quota. */
static int
parse_quota(const json_t *v, struct quota *q, const char *path, cerr *e)
{
	const char *key;
	json_t *x;
	char sub[420];
	int bad = 0;

	if (!json_is_object(v))
		FAIL(e, path, "want an object with containers, memory, cpus or volumes");
	json_object_foreach((json_t *)v, key, x) {
		snprintf(sub, sizeof sub, "%s.%s", path, key);
		if (strcmp(key, "containers") == 0 || strcmp(key, "volumes") == 0) {
			if (!json_is_integer(x) || json_integer_value(x) <= 0) {
				cerr_add(e, sub, "want a positive integer (a count)");
				bad = 1;
			} else
				*(key[0] == 'c' ? &q->containers : &q->volumes) = json_integer_value(x);
		} else if (strcmp(key, "memory") == 0) {
			bad |= parse_bytes(x, &q->memory, sub, e) < 0;
		} else if (strcmp(key, "cpus") == 0) {
			bad |= parse_cpus(x, &q->nano_cpus, sub, e) < 0;
		} else if (strcmp(key, "description") != 0) {
			cerr_add(e, sub, "unknown key (want containers, memory, cpus or volumes)");
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* "rules": { id: true | false | "enforce" | "warn" | "audit" }.  true is
 * "enforce": the rule acts as the profile's mode says; "warn" and "audit"
 * switch it on but let its violations do at most that (a warning, an audit
 * record), whatever the profile's mode. */
static int
parse_rules(const json_t *v, struct profile *p, const char *path, cerr *e)
{
	static const char *const modes[] = { "enforce", "warn", "audit", NULL };
	const char *key;
	json_t *b;

	if (!json_is_object(v))
		FAIL(e, path, "want an object of rule id -> true, false, \"warn\" or \"audit\"");
	json_object_foreach((json_t *)v, key, b) {
		int r = rule_lookup(key), m = -1;
		if (r < 0)
			FAILK(e, path, key, "unknown rule id");
		if (r == R_TENANT_ISOLATION || r == R_TENANT_QUOTA)
			FAILK(e, path, key, "tenant rules always apply to an identity with a tenant "
			    "(a binding without \"tenant\" is an operator)");
		if (json_is_string(b))
			for (int i = 0; modes[i] != NULL; i++)
				if (strcmp(json_string_value(b), modes[i]) == 0)
					m = i;
		if (json_is_boolean(b)) {
			p->rule_on[r] = json_is_true(b);
			if (json_is_true(b))
				p->rule_mode[r] = POL_MODE_ENFORCE;
		} else if (m >= 0) {
			p->rule_on[r] = 1;
			p->rule_mode[r] = (unsigned char)m;
		} else
			FAILK(e, path, key, "want true, false, \"enforce\", \"warn\" or \"audit\"");
	}
	return 0;
}

static int
parse_enum(const json_t *v, const char *const *names, int *out, const char *path, cerr *e)
{
	const char *s = json_string_value(v);
	for (int i = 0; s != NULL && names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	FAIL(e, path, "want one of %s%s%s", names[0], names[1] ? ", " : "",
	    names[1] ? names[1] : "");
}

static int
apply_opt(struct profile *p, const struct opt *o, const json_t *v, const char *path,
    cerr *e)
{
	static const char *const modes[] = { "enforce", "warn", "audit", NULL };
	static const char *const nsjoin[] = { "deny", "compliant", NULL };
	static const char *const capmodes[] = { "deny", "allow", NULL };
	char *field = (char *)p + o->off;
	int x;

	switch (o->type) {
	case OPT_BOOL:
		if (!json_is_boolean(v))
			FAIL(e, path, "want true or false");
		*(int *)field = json_is_true(v);
		return 0;
	case OPT_INT:
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			FAIL(e, path, "want a non-negative integer");
		*(int64_t *)field = json_integer_value(v);
		return 0;
	case OPT_STRLIST:
		return parse_listkey(v, (struct strlist *)field, path, e);
	case OPT_HOSTIPS: {
		struct strlist *l = (struct strlist *)field;
		if (parse_listkey(v, l, path, e) < 0)
			return -1;
		for (size_t i = 0; i < l->n; i++)
			if (host_ip_entry_ok(l->v[i]) < 0)
				FAIL(e, path, "'%s' is not an IP address or a CIDR prefix "
				    "(127.0.0.0/8, ::1)", l->v[i]);
		return 0;
	}
	case OPT_CAPS: {
		struct strlist *l = (struct strlist *)field;
		if (parse_listkey(v, l, path, e) < 0)
			return -1;
		for (size_t i = 0; i < l->n; i++) {   /* normalise like the check does */
			char *s = l->v[i];
			if (strncasecmp(s, "CAP_", 4) == 0)
				memmove(s, s + 4, strlen(s + 4) + 1);
			for (; *s; s++)
				*s = (char)toupper((unsigned char)*s);
		}
		return 0;
	}
	case OPT_MODE:
		if (parse_enum(v, modes, &x, path, e) < 0)
			return -1;
		*(enum pol_mode *)field = (enum pol_mode)x;
		return 0;
	case OPT_NSJOIN:
		if (parse_enum(v, nsjoin, &x, path, e) < 0)
			return -1;
		*(enum ns_join *)field = (enum ns_join)x;
		return 0;
	case OPT_CAPMODE:
		if (parse_enum(v, capmodes, &x, path, e) < 0)
			return -1;
		*(int *)field = x;
		return 0;
	case OPT_BYTES:
		return parse_bytes(v, (int64_t *)field, path, e);
	case OPT_CPUS:
		return parse_cpus(v, (int64_t *)field, path, e);
	case OPT_RULES:
		return parse_rules(v, p, path, e);
	case OPT_QUOTA:
		return parse_quota(v, (struct quota *)field, path, e);
	}
	FAIL(e, path, "internal error");
}

static const struct opt *
find_opt(const char *key)
{
	for (size_t i = 0; i < sizeof profile_opts / sizeof profile_opts[0]; i++)
		if (strcmp(profile_opts[i].key, key) == 0)
			return &profile_opts[i];
	return NULL;
}

static int
add_profile(struct policy *pol, struct profile *p)
{
	for (size_t i = 0; i < pol->nprofiles; i++)
		if (strcmp(pol->profiles[i]->name, p->name) == 0) {
			profile_free(pol->profiles[i]);
			pol->profiles[i] = p;
			return 0;
		}
	struct profile **nv = realloc(pol->profiles, (pol->nprofiles + 1) * sizeof *nv);
	if (nv == NULL)
		return -1;
	pol->profiles = nv;
	pol->profiles[pol->nprofiles++] = p;
	return 0;
}

static int
parse_profile(struct policy *pol, const char *name, const json_t *obj, cerr *e)
{
	char path[300], sub[400];
	const char *key, *base = "restricted";
	const json_t *v;
	struct profile *p;
	int bad = 0;

	snprintf(path, sizeof path, "policy.profiles.%s", name);
	if (!json_is_object(obj))
		FAIL(e, path, "want an object");
	if ((v = json_object_get(obj, "base")) != NULL && (base = json_string_value(v)) == NULL)
		FAILK(e, path, "base", "want a profile name");
	const struct profile *bp = policy_find_profile(pol, base);
	if (bp == NULL)
		FAILK(e, path, "base", "unknown profile '%s' (a base must be built in or defined "
		    "earlier)", base);
	if ((p = profile_clone(bp, name)) == NULL)
		FAIL(e, path, "out of memory");
	/* cap_add means allowed caps or denied caps as cap_add_mode says: a
	 * profile that changes the mode does not inherit its base's list,
	 * which meant the opposite */
	if ((v = json_object_get(obj, "cap_add_mode")) != NULL) {
		snprintf(sub, sizeof sub, "%s.cap_add_mode", path);
		if (apply_opt(p, find_opt("cap_add_mode"), v, sub, e) < 0)
			bad = 1;
		else if (p->cap_add_allowlist != bp->cap_add_allowlist)
			strlist_free(&p->cap_add);
	}
	json_object_foreach((json_t *)obj, key, v) {
		size_t i;
		if (strcmp(key, "base") == 0 || strcmp(key, "description") == 0 ||
		    strcmp(key, "cap_add_mode") == 0)
			continue;
		snprintf(sub, sizeof sub, "%s.%s", path, key);
		for (i = 0; i < sizeof profile_opts / sizeof profile_opts[0]; i++)
			if (strcmp(profile_opts[i].key, key) == 0)
				break;
		if (i == sizeof profile_opts / sizeof profile_opts[0]) {
			cerr_add(e, sub, "unknown key");
			bad = 1;
			continue;
		}
		if (apply_opt(p, &profile_opts[i], v, sub, e) < 0)
			bad = 1;   /* go on: report every bad key of the profile */
	}
	if (bad) {
		profile_free(p);
		return -1;
	}
	if (add_profile(pol, p) < 0) {
		profile_free(p);
		FAIL(e, path, "out of memory");
	}
	return 0;
}

static int
dup_glob(const json_t *v, char **out, const char *path, cerr *e)
{
	if (!json_is_string(v) || json_string_length(v) == 0)
		FAIL(e, path, "want a non-empty string");
	if ((*out = strdup(json_string_value(v))) == NULL)
		FAIL(e, path, "out of memory");
	return 0;
}

static int
parse_id_match(const json_t *v, struct id_match *m, const char *path, cerr *e)
{
	const char *key;
	json_t *x;
	char sub[400];

	memset(m, 0, sizeof *m);
	m->uid = m->gid = -1;
	if (json_is_string(v) && strcmp(json_string_value(v), "*") == 0) {
		m->any = 1;
		return 0;
	}
	if (!json_is_object(v) || json_object_size(v) == 0)
		FAIL(e, path, "want \"*\" or an object with cn, san, uid, gid, user, group or "
		    "insecure");
	json_object_foreach((json_t *)v, key, x) {
		snprintf(sub, sizeof sub, "%s.%s", path, key);
		if (strcmp(key, "cn") == 0) {
			if (dup_glob(x, &m->cn, sub, e) < 0) return -1;
		} else if (strcmp(key, "san") == 0) {
			if (dup_glob(x, &m->san, sub, e) < 0) return -1;
		} else if (strcmp(key, "user") == 0) {
			if (dup_glob(x, &m->user, sub, e) < 0) return -1;
		} else if (strcmp(key, "group") == 0) {
			if (dup_glob(x, &m->group, sub, e) < 0) return -1;
		} else if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0) {
			if (!json_is_integer(x) || json_integer_value(x) < 0)
				FAIL(e, sub, "want a non-negative integer");
			*(key[0] == 'u' ? &m->uid : &m->gid) = (long)json_integer_value(x);
		} else if (strcmp(key, "insecure") == 0) {
			if (!json_is_true(x))
				FAIL(e, sub, "want true");
			m->insecure = 1;
		} else
			FAIL(e, sub, "unknown key");
	}
	/* "keys must all match", and no identity is two kinds at once:
	 * id_match reads the keys of one kind only, so a mixed object would
	 * match on part of its keys ({"cn":"ci-*","uid":0} every ci-* cert,
	 * {"insecure":true,"cn":"x"} every insecure client) */
	int kinds = (m->cn != NULL || m->san != NULL) + m->insecure +
	    (m->uid >= 0 || m->gid >= 0 || m->user != NULL || m->group != NULL);
	if (kinds > 1)
		FAIL(e, path, "mixes certificate (cn, san), unix peer (uid, gid, user, group) and "
		    "insecure keys: no identity is two of these");
	return 0;
}

static int
parse_bindings(struct policy *pol, const json_t *arr, cerr *e)
{
	size_t i;
	json_t *b;
	char path[300];

	if (!json_is_array(arr))
		FAIL(e, "policy.bindings", "want an array");
	if ((pol->bindings = calloc(json_array_size(arr) + 1, sizeof *pol->bindings)) == NULL)
		FAIL(e, "policy.bindings", "out of memory");
	json_array_foreach(arr, i, b) {
		struct binding *bd = &pol->bindings[pol->nbindings];
		const char *key;
		json_t *v;
		snprintf(path, sizeof path, "policy.bindings[%zu]", i);
		if (!json_is_object(b))
			FAIL(e, path, "want an object");
		json_object_foreach(b, key, v)
			if (strcmp(key, "match") && strcmp(key, "profile") && strcmp(key, "description") &&
			    strcmp(key, "tenant"))
				FAILK(e, path, key, "unknown key");
		const char *pn = json_string_value(json_object_get(b, "profile"));
		if (pn == NULL || (bd->profile = policy_find_profile(pol, pn)) == NULL)
			FAILK(e, path, "profile", "want the name of a profile");
		pol->nbindings++;   /* from here on policy_free releases what it holds */
		json_t *tv = json_object_get(b, "tenant");
		if (tv != NULL && !json_is_null(tv)) {
			const char *tn = json_string_value(tv);
			if (tn == NULL || !tenant_name_valid(tn))
				FAILK(e, path, "tenant", "want a tenant name: 1-63 of a-z 0-9 . _ -, "
				    "starting with a letter or digit");
			if ((bd->tenant = strdup(tn)) == NULL)
				FAIL(e, path, "out of memory");
		}
		strncat(path, ".match", sizeof path - strlen(path) - 1);
		if (parse_id_match(json_object_get(b, "match"), &bd->match, path, e) < 0)
			return -1;
	}
	return 0;
}

static int
parse_exceptions(struct policy *pol, const json_t *arr, cerr *e)
{
	size_t i;
	json_t *x;
	char path[300], sub[400];

	if (!json_is_array(arr))
		FAIL(e, "policy.exceptions", "want an array");
	if ((pol->exceptions = calloc(json_array_size(arr) + 1, sizeof *pol->exceptions)) == NULL)
		FAIL(e, "policy.exceptions", "out of memory");
	json_array_foreach(arr, i, x) {
		struct exception *ex = &pol->exceptions[pol->nexceptions];
		const char *key;
		json_t *v;
		snprintf(path, sizeof path, "policy.exceptions[%zu]", i);
		if (!json_is_object(x))
			FAIL(e, path, "want an object");
		ex->rule = -1;
		ex->match.uid = ex->match.gid = -1;
		pol->nexceptions++;
		json_object_foreach(x, key, v) {
			snprintf(sub, sizeof sub, "%s.%s", path, key);
			if (strcmp(key, "rule") == 0) {
				if (!json_is_string(v) || (ex->rule = rule_lookup(json_string_value(v))) < 0)
					FAIL(e, sub, "want a rule id");
				if (ex->rule == R_TENANT_ISOLATION || ex->rule == R_TENANT_QUOTA)
					FAIL(e, sub, "tenant rules have no exceptions: bind the identity "
					    "without a tenant (an operator) instead");
			} else if (strcmp(key, "identity") == 0) {
				if (parse_id_match(v, &ex->match, sub, e) < 0)
					return -1;
			} else if (strcmp(key, "images") == 0) {
				if (parse_strlist(v, &ex->images, sub, e) < 0)
					return -1;
			} else if (strcmp(key, "reason") == 0) {
				if (dup_glob(v, &ex->reason, sub, e) < 0)
					return -1;
			} else if (strcmp(key, "description") != 0)
				FAIL(e, sub, "unknown key");
		}
		if (ex->rule < 0)
			FAILK(e, path, "rule", "missing");
		if (json_object_get(x, "identity") == NULL)
			FAILK(e, path, "identity", "missing");
		if (ex->reason == NULL)
			FAILK(e, path, "reason", "missing (every exception must say why)");
		char name[300];
		snprintf(name, sizeof name, "exceptions[%zu] (%s)", i, rules[ex->rule].id);
		if ((ex->name = strdup(name)) == NULL)
			FAIL(e, path, "out of memory");
	}
	return 0;
}

static int
parse_version(const json_t *v, int *out, const char *path, cerr *e)
{
	const char *s = json_string_value(v);
	int maj, min, n = 0;
	if (s == NULL || sscanf(s, "%d.%d%n", &maj, &min, &n) != 2 || s[n] != '\0' ||
	    maj < 1 || min < 0 || min > 999)
		FAIL(e, path, "want a version like \"1.41\"");
	*out = API_VERSION(maj, min);
	return 0;
}

static int
parse_api(struct policy *pol, const json_t *obj, cerr *e)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		FAIL(e, "policy.api", "want an object");
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "min_version") == 0) {
			if (parse_version(v, &pol->api_min, "policy.api.min_version", e) < 0)
				return -1;
		} else if (strcmp(key, "max_version") == 0) {
			if (parse_version(v, &pol->api_max, "policy.api.max_version", e) < 0)
				return -1;
		} else if (strcmp(key, "description") != 0)
			FAILK(e, "policy.api", key, "unknown key");
	}
	if (pol->api_max > API_MAX_KNOWN)
		FAIL(e, "policy.api.max_version", "this build knows API versions up to %d.%d",
		    API_MAX_KNOWN / 1000, API_MAX_KNOWN % 1000);
	if (pol->api_min > pol->api_max || pol->api_min < API_VERSION(1, 12))
		FAIL(e, "policy.api.min_version", "must be between 1.12 and max_version");
	return 0;
}

static int
load(struct policy *pol, const json_t *section, cerr *e)
{
	static const char *const builtins[] = { "restricted", "baseline", "unrestricted" };
	static const char *const known[] = {
		"description", "api", "default_profile", "profiles", "bindings", "exceptions", NULL
	};
	const char *key, *dp = "restricted";
	json_t *v;

	pol->api_min = API_MIN_DEFAULT;
	pol->api_max = API_MAX_KNOWN;
	for (size_t i = 0; i < 3; i++) {
		struct profile *p = profile_builtin(builtins[i]);
		if (p == NULL || add_profile(pol, p) < 0) {
			profile_free(p);
			FAIL(e, "policy", "out of memory");
		}
	}
	if (section != NULL) {
		if (!json_is_object(section))
			FAIL(e, "policy", "want an object");
		int bad = 0;
		json_object_foreach((json_t *)section, key, v) {
			size_t i;
			for (i = 0; known[i] && strcmp(known[i], key); i++)
				;
			if (known[i] == NULL) {
				cerr_addk(e, "policy", key, "unknown key");
				bad = 1;
			}
		}
		if ((v = json_object_get(section, "api")) != NULL && parse_api(pol, v, e) < 0)
			bad = 1;
		if ((v = json_object_get(section, "profiles")) != NULL) {
			if (!json_is_object(v))
				FAIL(e, "policy.profiles", "want an object");
			json_t *pv;
			json_object_foreach(v, key, pv)
				if (parse_profile(pol, key, pv, e) < 0)
					bad = 1;   /* every profile's errors, then stop */
		}
		/* bindings and exceptions name profiles: judging them against a
		 * half-loaded set would only add follow-on errors */
		if (bad)
			return -1;
		if ((v = json_object_get(section, "default_profile")) != NULL &&
		    (dp = json_string_value(v)) == NULL)
			FAIL(e, "policy.default_profile", "want a profile name");
		if ((v = json_object_get(section, "bindings")) != NULL &&
		    parse_bindings(pol, v, e) < 0)
			return -1;
		if ((v = json_object_get(section, "exceptions")) != NULL &&
		    parse_exceptions(pol, v, e) < 0)
			return -1;
	}
	if ((pol->default_profile = policy_find_profile(pol, dp)) == NULL)
		FAIL(e, "policy.default_profile", "unknown profile '%s'", dp);
	return 0;
}

struct policy *
policy_load(const json_t *section, struct pol_load_errors *errs)
{
	struct policy *pol = calloc(1, sizeof *pol);

	if (pol == NULL) {
		cerr_add(errs, "policy", "out of memory");
		return NULL;
	}
	if (load(pol, section, errs) < 0) {
		policy_free(pol);
		return NULL;
	}
	return pol;
}

void
pol_load_errors_free(struct pol_load_errors *errs)
{
	if (errs == NULL)
		return;
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

int
policy_has_tenants(const struct policy *pol)
{
	for (size_t i = 0; pol != NULL && i < pol->nbindings; i++)
		if (pol->bindings[i].tenant != NULL)
			return 1;
	return 0;
}

void
policy_free(struct policy *pol)
{
	if (pol == NULL)
		return;
	for (size_t i = 0; i < pol->nprofiles; i++)
		profile_free(pol->profiles[i]);
	free(pol->profiles);
	for (size_t i = 0; i < pol->nbindings; i++) {
		id_match_free(&pol->bindings[i].match);
		free(pol->bindings[i].tenant);
	}
	free(pol->bindings);
	for (size_t i = 0; i < pol->nexceptions; i++) {
		id_match_free(&pol->exceptions[i].match);
		strlist_free(&pol->exceptions[i].images);
		free(pol->exceptions[i].reason);
		free(pol->exceptions[i].name);
	}
	free(pol->exceptions);
	free(pol);
}
