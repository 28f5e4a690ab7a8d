/* check_state.c - state stored in the engine, looked up and judged at the
 * moment a request uses it (issue 8, class 2):
 *
 *  - (a named volume a create body or a service spec mounts is judged by
 *    check_existing_volume() in check_mounts.c, beside the volume rules);
 *  - POST /containers/{id}/update: the CPU limit is the container's current
 *    settings merged with the update the way dockerd merges them
 *    (container.UpdateContainer, moby v20.10), judged like a create's;
 *  - an image named by its ID or an ID prefix: resolved by the image lookup
 *    and judged by the names it carries (RepoTags, RepoDigests);
 *  - images entering by docker commit / docker import: the USER their
 *    `changes` (and the commit's Config) leave; docker load: refused unless
 *    the profile allows it, the names are inside the tar stream.
 *
 * Nothing here does I/O: facts come from check_lookup(). */
#include "policy/checks.h"
#include "policy/gofold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- POST /containers/{id}/update ---------------------------------------------- */

void
check_update_merged(struct check_ctx *c)
{
	const struct pol_lookup *l;
	int64_t nano = jint(c->doc, "NanoCpus", NULL);
	int64_t period = jint(c->doc, "CpuPeriod", NULL);
	int64_t quota = jint(c->doc, "CpuQuota", NULL);
	char now[32], max[32];

	if (!c->prof->rule_on[R_LIMIT_CPU] || c->req == NULL)
		return;
	/* zero leaves the current value (UpdateContainer copies non-zero
	 * fields only); a negative one is judged by the body alone, and a
	 * negative period is refused by dockerd */
	if ((nano == 0 && period == 0 && quota == 0) || nano < 0 || period < 0 || quota < 0)
		return;
	if ((l = route_container(c)) == NULL)
		return;
	const json_t *hc = jget(l->json, "HostConfig");
	if (l->status != 200 || !json_is_object(hc)) {
		fire(c, R_LIMIT_CPU, "cannot read the current CPU limit of container %s (engine "
		    "answered %d), so the update cannot be judged", c->name, l->status);
		return;
	}
	int64_t cn = jint(hc, "NanoCpus", NULL), cp = jint(hc, "CpuPeriod", NULL);
	int64_t cq = jint(hc, "CpuQuota", NULL);
	/* dockerd refuses these combinations itself ("Conflicting options") */
	if ((nano > 0 && (cp > 0 || cq > 0)) || ((period > 0 || quota > 0) && cn > 0))
		return;
	int64_t mn = nano ? nano : cn, mp = period ? period : cp, mq = quota ? quota : cq;
	int64_t q, p;
	cpu_cfs(mn, mp, mq, &q, &p);
	human_cpus(c->prof->nano_cpus_max, max, sizeof max);
	if (q <= 0 || p <= 0) {
		fire(c, R_LIMIT_CPU, "after this update container %s would have no CPU limit "
		    "(CpuQuota %lld, CpuPeriod %lld), set --cpus (max %s)", c->name,
		    (long long)mq, (long long)mp, max);
		return;
	}
	double eff = (double)q * 1e9 / (double)p;
	if (eff > (double)c->prof->nano_cpus_max) {
		snprintf(now, sizeof now, "%.3g", eff / 1e9);
		fire(c, R_LIMIT_CPU, "after this update container %s could use %s CPUs "
		    "(CpuQuota %lld / CpuPeriod %lld with its current settings), max %s; "
		    "set --cpus instead", c->name, now, (long long)q, (long long)p, max);
	}
}

/* ---- images named by ID ------------------------------------------------------------ */

/* What dockerd may resolve as an image ID or a prefix of one
 * (daemon/images GetImage: the name first, then the image store's
 * digest-set search, which takes any hex prefix, with or without
 * "sha256:"). */
static const char *
id_hex(const char *ref)
{
	const char *h = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
	size_t n = 0;

	for (; h[n] != '\0'; n++)
		if (!((h[n] >= '0' && h[n] <= '9') || (h[n] >= 'a' && h[n] <= 'f')))
			return NULL;
	return n > 0 && n <= 64 ? h : NULL;
}

static int
strarray_has(const json_t *arr, const char *s)
{
	const json_t *e;
	size_t i;

	json_array_foreach(arr, i, e)
		if (json_is_string(e) && strcmp(json_string_value(e), s) == 0)
			return 1;
	return 0;
}

/* Did the engine find ref by its ID (not by a name that happens to be hex)? */
static int
found_by_id(const char *ref, const char *hex, const json_t *img)
{
	const char *id = jstr(img, "Id");
	const json_t *tags = jget(img, "RepoTags");
	char name[600];

	if (strncmp(id, "sha256:", 7) == 0)
		id += 7;
	if (strncmp(id, hex, strlen(hex)) != 0)
		return 0;
	if (strlen(hex) == 64)
		return 1;   /* 64 hex digits, with or without sha256:, are an ID, never a name */
	/* a name: "abc" is abc:latest, "sha256:abc" is the repository sha256
	 * with the tag abc */
	snprintf(name, sizeof name, "%s%s", ref, hex == ref ? ":latest" : "");
	return !strarray_has(tags, name);
}

/* Does the name pass image.registry?  Judged by check_image_ref itself, on
 * the side, so the rule has one definition. */
static int
name_allowed(struct check_ctx *c, const char *name)
{
	struct violations tmp = { .n = 0 };
	struct check_ctx sub = *c;

	sub.vs = &tmp;
	snprintf(sub.image, sizeof sub.image, "%s", c->image[0] ? c->image : name);
	check_image_ref(&sub, name, "image");
	for (size_t i = 0; i < tmp.n; i++)
		if (tmp.v[i].rule == R_IMAGE_REGISTRY)
			return 0;
	return 1;
}

/* image.registry over the names the engine has for an image (RepoTags,
 * RepoDigests): one allowed name suffices; none, or no name at all, fires. */
static void
judge_image_names(struct check_ctx *c, const json_t *img, const char *what, const char *ref,
    const char *tail)
{
	const char *keys[] = { "RepoTags", "RepoDigests" }, *first = NULL;
	for (size_t k = 0; k < 2; k++) {
		const json_t *arr = jget(img, keys[k]), *e;
		size_t i;
		json_array_foreach(arr, i, e) {
			const char *n = json_string_value(e);
			if (n == NULL || strncmp(n, "<none>", 6) == 0)
				continue;
			if (name_allowed(c, n))
				return;
			if (first == NULL)
				first = n;
		}
	}
	if (first == NULL)
		fire(c, R_IMAGE_REGISTRY, "%s %s has no repository name, so its registry cannot "
		    "be checked; use repo:tag of an allowed registry%s", what, ref, tail);
	else
		fire(c, R_IMAGE_REGISTRY, "%s %s is %s, not from an allowed registry/repository%s",
		    what, ref, first, tail);
}

void
check_image_use(struct check_ctx *c, const char *ref, const char *what)
{
	const char *hex = id_hex(ref);
	const struct pol_lookup *l;
	int registry = c->prof->rule_on[R_IMAGE_REGISTRY] && c->prof->images.n > 0;

	if (hex == NULL || c->req == NULL || c->judging_joined || c->prof->image_ids ||
	    (!registry && !c->prof->rule_on[R_IMAGE_PINNED])) {
		/* image_ids: the operator accepts IDs as they are (check_image_ref) */
		check_image_ref(c, ref, what);
		return;
	}
	if ((l = check_lookup(c, POL_LOOKUP_IMAGE, ref)) == NULL)
		return;
	if (l->status == 404 || (l->status == 200 && json_is_object(l->json) &&
	    !found_by_id(ref, hex, l->json))) {
		check_image_ref(c, ref, what);   /* a name (or nothing dockerd can run) */
		return;
	}
	if (c->image[0] == '\0')
		snprintf(c->image, sizeof c->image, "%s", ref);
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, registry ? R_IMAGE_REGISTRY : R_IMAGE_PINNED, "%s %s: cannot tell which "
		    "image that ID names (engine answered %d)", what, ref, l->status);
		return;
	}
	/* an image ID is pinned; its registry is the one of the names it has */
	if (!registry)
		return;
	judge_image_names(c, l->json, what, ref, "");
}

/* POST /images/{name}/tag: the new name is judged by check_image_ref; the
 * image that gets it must itself have an allowed name, or an image pulled
 * from anywhere (or loaded, committed, built by someone else) could be given
 * an allowed name and then run by it ("tag laundering").  The source is
 * looked up like an image named by ID, and judged by its names whatever
 * image_ids says. */
void
check_tag_source(struct check_ctx *c, const char *src)
{
	const struct pol_lookup *l;

	if (!c->prof->rule_on[R_IMAGE_REGISTRY] || c->prof->images.n == 0 || c->req == NULL)
		return;
	if ((l = check_lookup(c, POL_LOOKUP_IMAGE, src)) == NULL)
		return;
	if (l->status == 404) {
		c->not_found = 1;
		snprintf(c->not_found_msg, sizeof c->not_found_msg, "No such image: %s", src);
		return;
	}
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, R_IMAGE_REGISTRY, "docker tag: cannot tell which image %s is (engine "
		    "answered %d), so it cannot be given a name", src, l->status);
		return;
	}
	judge_image_names(c, l->json, "docker tag source", src,
	    "; an image cannot be given an allowed name this way");
}

/* ---- docker commit / docker import: changes ------------------------------------------ */

/* The changes are read as dockerd 20.10 reads them: BuildFromConfig joins
 * them with "\n" and parses them with BuildKit's Dockerfile parser
 * (vendor/github.com/moby/buildkit/frontend/dockerfile/parser/parser.go,
 * Parse).  Its rules, each of which hid a USER from an earlier reading here:
 *  - lines as bufio.ScanLines gives them (one trailing CR dropped), a byte
 *    order mark dropped from the first;
 *  - directives (# escape=, # syntax=) only before the first line that is
 *    not one: a plain comment or an empty line ends them too;
 *  - a line is left-trimmed of Unicode white space (unicode.IsSpace), but
 *    a continuation line is not: "USER\" + " 0" is USER 0;
 *  - a line continues when it ends with the escape character (then spaces
 *    or tabs only) not preceded by another one;
 *  - the instruction is split from its arguments at [\t\v\f\r ], and the
 *    argument trimmed of Unicode white space (strings.TrimSpace). */

/* RE2's \s, as in the directive pattern */
static int
re_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* A directive line, ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$: 1 with
 * the key and value, 0 when the line is not one. */
static int
directive(const char *t, size_t n, const char **key, size_t *klen, const char **val,
    size_t *vlen)
{
	size_t i = 1, k0, v0, e;

	if (n == 0 || t[0] != '#')
		return 0;
	while (i < n && re_space(t[i]))
		i++;
	if (i == n || !((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')))
		return 0;
	for (k0 = i; i < n && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
	    (t[i] >= '0' && t[i] <= '9')); i++)
		;
	*key = t + k0;
	*klen = i - k0;
	while (i < n && re_space(t[i]))
		i++;
	if (i == n || t[i] != '=' || ++i == n)
		return 0;   /* (.+?) takes one character at least */
	for (v0 = i; v0 < n && re_space(t[v0]); v0++)
		;
	for (e = n; e > v0 && re_space(t[e - 1]); e--)
		;
	if (e == v0)
		v0 = e = n - 1, e++;   /* only white space: the last of it is the value */
	*val = t + v0;
	*vlen = e - v0;
	return 1;
}

/* The directive zone: -1 for a directive dockerd refuses (the commit
 * fails), else 0 with *done set at the first line that is not one. */
static int
take_directive(const char *t, size_t n, char *esc, int *done, int *seen_escape)
{
	const char *key, *val;
	size_t klen, vlen;

	if (!directive(t, n, &key, &klen, &val, &vlen)) {
		*done = 1;
		return 0;
	}
	if (klen == 6 && strncasecmp(key, "syntax", 6) == 0)
		return 0;
	if (klen != 6 || strncasecmp(key, "escape", 6) != 0) {
		*done = 1;
		return 0;
	}
	if (*seen_escape || vlen != 1 || (val[0] != '`' && val[0] != '\\'))
		return -1;
	*seen_escape = 1;
	*esc = val[0];
	return 0;
}

/* The line continuation pattern ([^E])E[ \t]*$|^E[ \t]*$: 1 with *n cut
 * to what stays of the line (the escape and what follows it removed). */
static int
continues(const char *s, size_t *n, char esc)
{
	size_t e = *n;

	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (e == 0 || s[e - 1] != esc || (e >= 2 && s[e - 2] == esc))
		return 0;
	*n = e - 1;
	return 1;
}

/* The value of a complete instruction when it is USER. */
struct user_scan {
	char *out;
	size_t outlen;
	int found, bad;
};

/* One complete instruction: the value of a USER, marked bad when it is not
 * a plain word (quotes, escapes, variables and flags would be read by the
 * shell lexer or refused). */
static int
user_of(const char *line, size_t n, char esc, void *arg)
{
	struct user_scan *us = arg;
	const char *l = go_trim_space(line, &n), *v;
	size_t c = 0, vn;

	while (c < n && !(l[c] == ' ' || l[c] == '\t' || l[c] == '\v' || l[c] == '\f' ||
	    l[c] == '\r'))
		c++;
	if (c != 4 || strncasecmp(l, "user", 4) != 0)
		return 0;
	/* extractBuilderFlags looks for the first word byte by byte, each
	 * byte taken as a rune: a lone 0x85 or 0xa0 is white space there */
	for (v = l + c, vn = n - c; vn > 0 && (go_space_width((const unsigned char *)v, 1) == 1 ||
	    (unsigned char)*v == 0x85 || (unsigned char)*v == 0xa0); v++, vn--)
		;
	v = go_trim_space(v, &vn);
	snprintf(us->out, us->outlen, "%.*s", (int)vn, v);
	us->found = 1;
	us->bad = vn >= 2 && v[0] == '-' && v[1] == '-';
	for (size_t i = 0; i < vn; i++)
		if (strchr("$\"'`\\", v[i]) != NULL || v[i] == esc || (unsigned char)v[i] <= ' ' ||
		    v[i] == 0x7f)
			us->bad = 1;
	return 0;
}

/* One physical line as bufio.ScanLines gives it (one trailing CR dropped);
 * *p moves past it. */
static const char *
scan_line(const char **p, size_t *n)
{
	const char *t = *p, *nl = strchr(t, '\n');

	*n = nl ? (size_t)(nl - t) : strlen(t);
	*p = nl ? nl + 1 : t + *n;
	if (*n > 0 && t[*n - 1] == '\r')
		(*n)--;
	return t;
}

int
changes_each(const char *text, int (*fn)(const char *line, size_t n, char esc, void *arg),
    void *arg)
{
	char esc = '\\', logical[4096];
	const char *p = text;
	int done = 0, seen_escape = 0, more = 0;

	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (*p != '\0') {
		/* a line, left-trimmed; directives; comments */
		size_t n, ll;
		const char *t = scan_line(&p, &n);
		t = go_trim_left(t, &n);
		if (!done && take_directive(t, n, &esc, &done, &seen_escape) < 0)
			return -1;
		if (n > 0 && t[0] == '#')
			n = 0;
		more = continues(t, &n, esc);
		if (!more && n == 0)
			continue;
		if (n >= sizeof logical)
			return -1;
		memcpy(logical, t, n);
		ll = n;
		/* its continuation lines, as they are (not left-trimmed) */
		while (more && *p != '\0') {
			size_t cn, tn;
			const char *c = scan_line(&p, &cn), *ct;
			tn = cn;
			ct = go_trim_left(c, &tn);
			if (tn == 0 || ct[0] == '#')
				continue;   /* an empty or comment line inside a continuation */
			more = continues(c, &cn, esc);
			if (ll + cn >= sizeof logical)
				return -1;
			memcpy(logical + ll, c, cn);
			ll += cn;
		}
		if (fn(logical, ll, esc, arg) != 0)
			return -1;
	}
	return more;
}

/* The last USER of the changes' text.  Returns 0 with no USER, 1 with the
 * value in out, -1 when it cannot be told (see user_of; a line longer than
 * sockward reads; a directive that fails the commit). */
static int
last_user(const char *text, char *out, size_t outlen)
{
	struct user_scan us = { out, outlen, 0, 0 };

	if (changes_each(text, user_of, &us) < 0 || us.bad)
		return -1;
	return us.found;
}

char *
joined_changes(const struct check_ctx *c)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < c->rt->nparams; i++)
		if (strcmp(c->rt->params[i].key, "changes") == 0)
			len += strlen(c->rt->params[i].value) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (size_t i = 0, first = 1; i < c->rt->nparams; i++)
		if (strcmp(c->rt->params[i].key, "changes") == 0) {
			if (!first)
				strcat(s, "\n");
			strcat(s, c->rt->params[i].value);
			first = 0;
		}
	return s;
}

/* The user the new image runs as, from its changes, else from base_user
 * (the commit's Config.User; NULL for import); "" is left to the image
 * user lookup of whoever runs it. */
void
check_changes_user(struct check_ctx *c, const char *what, const json_t *config)
{
	char user[4096] = "";
	char *text = joined_changes(c);
	int r;

	if (text == NULL) {
		fire(c, R_USER_ROOT, "%s: out of memory reading --change", what);
		return;
	}
	r = last_user(text, user, sizeof user);
	free(text);
	if (r < 0) {
		fire(c, R_USER_ROOT, "%s --change USER: cannot tell the user (quotes, escapes "
		    "or variables), write USER <non-root uid>", what);
		return;
	}
	if (r > 0) {
		if (user[0] == '\0' || user_is_root(user, strlen(user)))
			fire(c, R_USER_ROOT, "%s --change 'USER %s' makes the image run as root, "
			    "use USER <non-root uid>", what, user);
		return;
	}
	const json_t *u = jget(config, "User");
	if (json_is_string(u) && json_string_length(u) > 0 &&
	    user_is_root(json_string_value(u), json_string_length(u)))
		fire(c, R_USER_ROOT, "%s: Config.User %s makes the image run as root, use a "
		    "non-root uid", what, json_string_value(u));
}

/* POST /images/load: the image names are inside the tar stream, read by
 * dockerd as it arrives; nothing can judge them before they are stored. */
void
check_load(struct check_ctx *c)
{
	if (strlist_has(&c->prof->endpoints_allow, "image.load"))
		return;   /* allowed explicitly, by its exact id */
	fire(c, R_IMAGE_LOAD, "docker load is not allowed: the image names are inside the tar "
	    "stream, which cannot be judged before dockerd stores them; pull the image from "
	    "an allowed registry instead");
}
