/* check_user.c - never root, by uid or by group.  dockerd 20.10 resolves a
 * container's user itself (daemon/oci_linux.go getUser) with runc's
 * libcontainer/user GetExecUserPath(User, nil, passwd, group), reading the
 * container's /etc/passwd and /etc/group, then adds HostConfig.GroupAdd
 * (GetAdditionalGroupsPath):
 *   - User is "user[:group]" (split at ':', a third part is ignored); a part
 *     that strconv.Atoi reads (optional sign, digits) is an id, anything
 *     else a name looked up in those files; an empty user part means uid 0;
 *   - the defaults are uid 0, gid 0: a uid with no passwd entry keeps gid 0;
 *   - with no group part ("1000", "1000:") the primary gid is the passwd
 *     entry's, and every /etc/group line that lists the entry's name adds a
 *     supplementary group (root's group 0 too); with a group part only that
 *     gid counts;
 *   - each GroupAdd entry is the first /etc/group line whose name or gid
 *     (as decimal text) equals it, else the number it parses to.
 * sockward reads those files (issue 8 class 7): a user that only they
 * resolve (a name, a uid without a group, an id outside [1, 2^31-1], a
 * GroupAdd name) is looked up (POL_LOOKUP_IMAGE_USERS for creates and
 * services, by the image's ID; POL_LOOKUP_CONTAINER_USERS, the container's
 * files as they are now, for exec and start) and resolved as runc does
 * (policy/passwd.c); uid 0, primary gid 0 or any supplementary gid 0 fire
 * the rule.  A fully numeric non-zero "uid:gid" and numeric non-zero
 * GroupAdd entries mean themselves and need no files; "0", "root" and ":g"
 * are refused without them. */
#include "policy/checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/passwd.h"

#define ID_MAX ((int64_t)0x7fffffff)

/* Go's strconv.Atoi: optional sign, then digits */
static int
numeric(const char *s, size_t n, int *zero)
{
	size_t i = 0;
	int digits = 0, nonzero = 0;

	if (n > 0 && (s[0] == '+' || s[0] == '-'))
		i++;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		nonzero |= s[i] != '0';
		digits++;
	}
	*zero = !nonzero;
	return digits > 0;
}

enum user_class
user_classify(const char *user, size_t len)
{
	const char *colon = memchr(user, ':', len);
	size_t n = colon ? (size_t)(colon - user) : len;
	int zero;

	if (n == 0)
		return USER_ROOT;    /* ":gid" -> uid 0 */
	if (n == 4 && memcmp(user, "root", 4) == 0)
		return USER_ROOT;
	if (!numeric(user, n, &zero))
		return USER_NAME;
	if (zero)
		return USER_ROOT;
	if (colon == NULL)
		return USER_NOGROUP;
	const char *g = colon + 1;
	size_t gn = len - n - 1;
	const char *more = memchr(g, ':', gn);
	if (more != NULL)
		gn = (size_t)(more - g);   /* runc ignores a third part */
	if (gn == 0)
		return USER_NOGROUP;       /* "1000:" is "1000" */
	if (gn == 4 && memcmp(g, "root", 4) == 0)
		return USER_GID0;
	if (!numeric(g, gn, &zero))
		return USER_NAME;
	return zero ? USER_GID0 : USER_OK;
}

int
user_is_root(const char *user, size_t len)
{
	return user_classify(user, len) == USER_ROOT;
}

const char *
user_problem(enum user_class k)
{
	switch (k) {
	case USER_OK:    return NULL;
	case USER_ROOT:  return "is root";
	case USER_GID0:  return "has primary group 0 (root)";
	case USER_NAME:  return "names a user or group, which only the image's /etc/passwd "
	    "and /etc/group resolve (sockward cannot read them)";
	case USER_NOGROUP: return "has no group: dockerd takes the primary group from the "
	    "image's /etc/passwd (gid 0 when it has no entry for that uid) and adds the groups "
	    "/etc/group lists the user in, which sockward cannot read";
	}
	return "cannot be judged";
}

void
user_fix(const char *user, size_t len, char *out, size_t outlen)
{
	const char *colon = memchr(user, ':', len);
	size_t n = colon ? (size_t)(colon - user) : len;
	int zero;

	if (n > 0 && n < 12 && numeric(user, n, &zero) && !zero && user[0] != '-' &&
	    user[0] != '+')
		textf(out, outlen, "%.*s:%.*s", (int)n, user, (int)n, user);
	else
		textf(out, outlen, "1000:1000");
}

void
fire_user(struct check_ctx *c, enum rule_id rule, const char *cmd, const char *flag,
    const char *user, size_t len)
{
	const char *why = user_problem(user_classify(user, len));
	char fix[32];

	if (why == NULL)
		return;
	user_fix(user, len, fix, sizeof fix);
	fire(c, rule, "%s%s %s %s; set %s to a numeric non-root uid:gid (%s%s %s)", cmd, flag,
	    user, why, flag, cmd, flag, fix);
}

enum user_class
group_classify(const char *g, size_t len)
{
	int zero;

	if (len == 4 && memcmp(g, "root", 4) == 0)
		return USER_GID0;
	if (!numeric(g, len, &zero))
		return USER_NAME;
	return zero ? USER_GID0 : USER_OK;
}

/* ---- resolving through the files ------------------------------------------------ */

static int
id_in_range(const char *s, size_t n)
{
	int64_t v;
	return pw_atoi(s, n, &v) && v >= 1 && v <= ID_MAX;
}

int
user_needs_files(const char *u, size_t n)
{
	enum user_class k = user_classify(u, n);

	if (k == USER_NAME || k == USER_NOGROUP)
		return 1;
	if (k != USER_OK)
		return 0;   /* root, gid 0: refused as they are */
	/* numeric uid:gid: only ids in [1, 2^31-1] mean themselves (a passwd
	 * line with uid 4294967296 matches "4294967296", which dockerd casts
	 * to uint32 0) */
	const char *colon = memchr(u, ':', n), *g = colon + 1;
	size_t un = (size_t)(colon - u), gn = n - un - 1;
	const char *more = memchr(g, ':', gn);
	if (more != NULL)
		gn = (size_t)(more - g);
	return !id_in_range(u, un) || !id_in_range(g, gn);
}

int
group_needs_files(const char *g, size_t n)
{
	enum user_class k = group_classify(g, n);
	return k == USER_NAME || (k == USER_OK && !id_in_range(g, n));
}

int
groups_need_files(const json_t *groups)
{
	const json_t *g;
	size_t i;

	json_array_foreach(groups, i, g)
		if (json_is_string(g) && group_needs_files(json_string_value(g),
		    json_string_length(g)))
			return 1;
	return 0;
}

static struct pw_file
file_of(const json_t *answer, const char *key)
{
	const json_t *v = jget(answer, key);
	struct pw_file f = { NULL, 0 };

	if (json_is_string(v)) {
		f.text = json_string_value(v);
		f.len = json_string_length(v);
	}
	return f;
}

/* The names of GroupAdd (or Groups) through the image's /etc/group, all in
 * one pass over the file (pw_group_add_many) */
static void
judge_group_names(struct check_ctx *c, enum rule_id rule, const json_t *groups,
    struct pw_file group, const char *gflag, const char *what)
{
	size_t i, n = 0;
	const json_t *g;
	struct pw_group_req *r = calloc(json_array_size(groups) + 1, sizeof *r);

	if (r == NULL) {
		fire(c, rule, "%s cannot be judged: out of memory", gflag);
		return;
	}
	json_array_foreach(groups, i, g) {
		const char *s = json_string_value(g);
		if (s != NULL && group_needs_files(s, json_string_length(g)))
			r[n++] = (struct pw_group_req){ .ag = s, .len = json_string_length(g) };
	}
	if (pw_group_add_many(r, n, group) != 0) {
		fire(c, rule, "%s cannot be judged: out of memory", gflag);
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (r[i].rc != 0)
			fire(c, rule, "%s %s cannot be resolved: %s %s; use a numeric non-zero gid",
			    gflag, r[i].ag, what, r[i].err);
		else if (r[i].ids.sgid0)
			fire(c, rule, "%s %s adds group 0 (root) (group %s of %s's /etc/group); "
			    "remove it", gflag, r[i].ag, r[i].ids.sgid0_name, what);
	}
	free(r);
}

void
judge_user(struct check_ctx *c, enum rule_id rule, const char *subject, const char *fix,
    const char *user, size_t ulen, const json_t *groups, const char *gflag,
    enum pol_lookup_kind kind, const char *id, const char *what)
{
	int need = user[0] != '\0' && user_needs_files(user, ulen);
	int gneed = groups_need_files(groups);
	const struct pol_lookup *l = NULL;
	const json_t *g;
	size_t i;
	char err[300];

	if (user[0] != '\0' && !need) {
		const char *why = user_problem(user_classify(user, ulen));
		if (why != NULL)
			fire(c, rule, "%s %s; %s", subject, why, fix);
	}
	json_array_foreach(groups, i, g) {
		if (json_is_string(g) && !group_needs_files(json_string_value(g), json_string_length(g)) &&
		    group_classify(json_string_value(g), json_string_length(g)) != USER_OK)
			fire(c, rule, "%s %s adds group 0 (root); remove it", gflag, json_string_value(g));
	}
	if ((!need && !gneed) || !c->prof->rule_on[rule])
		return;
	static const struct pol_lookup no_id = { .done = 1, .status = 0 };
	if (id == NULL || id[0] == '\0')
		l = &no_id;   /* the engine gave no ID: nothing to read */
	else if ((l = check_lookup(c, kind, id)) == NULL)
		return;
	if (l->status != 200 || !json_is_object(l->json)) {
		const char *m = jstr(l->json, "message");
		char reason[300];
		textf(reason, sizeof reason, "%s", m[0] ? m : l->status == 0 ?
		    "engine lookup undecided" : "engine lookup failed");
		if (need)
			fire(c, rule, "%s cannot be resolved: %s's /etc/passwd and /etc/group cannot "
			    "be read (%s); %s", subject, what, reason, fix);
		json_array_foreach(groups, i, g)
			if (json_is_string(g) && group_needs_files(json_string_value(g),
			    json_string_length(g)))
				fire(c, rule, "%s %s cannot be resolved: %s's /etc/group cannot be read "
				    "(%s); use a numeric non-zero gid", gflag, json_string_value(g), what,
				    reason);
		return;
	}
	struct pw_file passwd = file_of(l->json, "passwd"), group = file_of(l->json, "group");
	if (need) {
		struct pw_ids ids;
		if (pw_resolve_user(user, ulen, passwd, group, &ids, err, sizeof err) != 0)
			fire(c, rule, "%s cannot be resolved: %s %s (dockerd would not start it); %s",
			    subject, what, err, fix);
		else if (ids.uid == 0)
			fire(c, rule, "%s is root (uid 0 through %s's /etc/passwd); %s", subject, what,
			    fix);
		else if (ids.gid == 0)
			fire(c, rule, "%s has primary group 0 (root) through %s's /etc/passwd and "
			    "/etc/group; %s", subject, what, fix);
		else if (ids.sgid0)
			fire(c, rule, "%s is in group 0 (root): %s's /etc/group lists it in group %s; %s",
			    subject, what, ids.sgid0_name, fix);
	}
	judge_group_names(c, rule, groups, group, gflag, what);
}

/* GroupAdd / Groups judged without files (numbers only; a name fires) */
void
check_group_add_root(struct check_ctx *c, enum rule_id rule, const json_t *groups,
    const char *flag)
{
	const json_t *g;
	size_t i;

	json_array_foreach(groups, i, g) {
		if (!json_is_string(g))
			continue;
		const char *s = json_string_value(g);
		switch (group_classify(s, json_string_length(g))) {
		case USER_OK:
			break;
		case USER_GID0:
			fire(c, rule, "%s %s adds group 0 (root); remove it", flag, s);
			break;
		default:
			fire(c, rule, "%s %s names a group, which only the image's /etc/group "
			    "resolves; use a numeric non-zero gid", flag, s);
			break;
		}
	}
}

void
check_user(struct check_ctx *c, const json_t *config, const json_t *groups)
{
	const json_t *u = jget(config, "User");

	judge_image_user(c, jstr(config, "Image"), 1, json_string_value(u) ? json_string_value(u) : "",
	    json_string_length(u), groups, "--group-add", "--user");
}

void
check_image_user(struct check_ctx *c, const char *image, int missing_is_404, const char *flag)
{
	judge_image_user(c, image, missing_is_404, "", 0, NULL, "--group", flag);
}

void
judge_image_user(struct check_ctx *c, const char *image, int missing_is_404, const char *user,
    size_t ulen, const json_t *groups, const char *gflag, const char *flag)
{
	const struct pol_lookup *l;
	char subject[700], fix[160], what[600], uf[32];

	/* a user that means itself: no image needed */
	if (user[0] != '\0' && !user_needs_files(user, ulen) && !groups_need_files(groups)) {
		user_fix(user, ulen, uf, sizeof uf);
		textf(subject, sizeof subject, "%s %s", flag, user);
		textf(fix, sizeof fix, "set %s to a numeric non-root uid:gid (%s %s)", flag, flag, uf);
		judge_user(c, R_USER_ROOT, subject, fix, user, ulen, groups, gflag,
		    POL_LOOKUP_IMAGE_USERS, NULL, "");
		return;
	}
	if (!c->prof->rule_on[R_USER_ROOT] || c->req == NULL)
		return;
	if (image[0] == '\0') {
		if (user[0] == '\0')
			fire(c, R_USER_ROOT, "no %s and no image: would run as root", flag);
		else
			fire(c, R_USER_ROOT, "%s %s cannot be resolved without an image; set %s to a "
			    "numeric non-root uid:gid (%s 1000:1000)", flag, user, flag, flag);
		return;
	}
	if ((l = check_lookup(c, POL_LOOKUP_IMAGE, image)) == NULL)
		return;
	if (l->status == 404 && missing_is_404) {
		c->not_found = 1;
		textf(c->not_found_msg, sizeof c->not_found_msg, "No such image: %s", image);
		return;
	}
	if (l->status == 404) {
		fire(c, R_USER_ROOT, "image %s is not on this engine, so its user cannot be "
		    "checked; set %s to a non-root uid:gid", image, flag);
		return;
	}
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, R_USER_ROOT, "cannot tell the user of image %s (engine lookup %s), "
		    "set %s to a non-root uid:gid", image,
		    l->status == 0 ? "undecided" : "failed", flag);
		return;
	}
	const char *id = jstr(l->json, "Id");
	textf(what, sizeof what, "image %s", image);
	if (user[0] != '\0') {
		user_fix(user, ulen, uf, sizeof uf);
		textf(subject, sizeof subject, "%s %s", flag, user);
		textf(fix, sizeof fix, "set %s to a numeric non-root uid:gid (%s %s)", flag, flag, uf);
		judge_user(c, R_USER_ROOT, subject, fix, user, ulen, groups, gflag,
		    POL_LOOKUP_IMAGE_USERS, id, what);
		return;
	}
	const char *iu = jstr(jget(l->json, "Config"), "User");
	if (iu[0] == '\0') {
		fire(c, R_USER_ROOT, "image %s runs as root (no USER), set %s to a numeric "
		    "non-root uid:gid (%s 1000:1000)", image, flag, flag);
		judge_user(c, R_USER_ROOT, "", "", "", 0, groups, gflag, POL_LOOKUP_IMAGE_USERS, id,
		    what);
		return;
	}
	user_fix(iu, strlen(iu), uf, sizeof uf);
	textf(subject, sizeof subject, "image %s runs as user %s, which", image, iu);
	textf(fix, sizeof fix, "set %s to a numeric non-root uid:gid (%s %s)", flag, flag, uf);
	judge_user(c, R_USER_ROOT, subject, fix, iu, strlen(iu), groups, gflag,
	    POL_LOOKUP_IMAGE_USERS, id, what);
}
