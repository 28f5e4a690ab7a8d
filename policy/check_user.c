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
 * sockward cannot read those files through the Engine API: the image
 * inspect answer has only Config.User, and reading /etc/passwd out of an
 * image needs a container (create, then GET archive, then delete: a side
 * effect, and a race with whatever the image holds by then).  So the only
 * users it can prove are not root are fully numeric "uid:gid" with both
 * non-zero; a name, a uid without a group, gid 0 and uid 0 are refused with
 * the fix ("--user 1000:1000").  The same goes for the image's configured
 * user when User is empty, exec users, service specs, and GroupAdd ("0",
 * "root" and names are refused; see the man page for group names made of
 * digits). */
#include "policy/checks.h"

#include <stdio.h>
#include <string.h>

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
		snprintf(out, outlen, "%.*s:%.*s", (int)n, user, (int)n, user);
	else
		snprintf(out, outlen, "1000:1000");
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
			    "resolves (sockward cannot read it); use a numeric non-zero gid", flag, s);
			break;
		}
	}
}

void
check_user(struct check_ctx *c, const json_t *config)
{
	const char *user = jstr(config, "User"), *image = jstr(config, "Image");
	size_t ulen = json_string_length(json_object_get(config, "User"));

	if (user[0] != '\0') {
		fire_user(c, R_USER_ROOT, "", "--user", user, ulen);
		return;
	}
	check_image_user(c, image, 1, "--user");
}

void
check_image_user(struct check_ctx *c, const char *image, int missing_is_404, const char *flag)
{
	const struct pol_lookup *l;

	if (!c->prof->rule_on[R_USER_ROOT] || c->req == NULL)
		return;
	if (image[0] == '\0') {
		fire(c, R_USER_ROOT, "no %s and no image: would run as root", flag);
		return;
	}
	if ((l = check_lookup(c, POL_LOOKUP_IMAGE, image)) == NULL)
		return;
	if (l->status == 404 && missing_is_404) {
		c->not_found = 1;
		snprintf(c->not_found_msg, sizeof c->not_found_msg, "No such image: %s", image);
		return;
	}
	if (l->status == 404) {
		fire(c, R_USER_ROOT, "image %s is not on this engine, so its user cannot be "
		    "checked; set %s to a non-root uid", image, flag);
		return;
	}
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, R_USER_ROOT, "cannot tell the user of image %s (engine lookup %s), "
		    "set %s to a non-root uid", image,
		    l->status == 0 ? "undecided" : "failed", flag);
		return;
	}
	const char *iu = jstr(json_object_get(l->json, "Config"), "User");
	if (iu[0] == '\0') {
		fire(c, R_USER_ROOT, "image %s runs as root (no USER), set %s to a numeric "
		    "non-root uid:gid (%s 1000:1000)", image, flag, flag);
		return;
	}
	const char *why = user_problem(user_classify(iu, strlen(iu)));
	char fix[32];
	user_fix(iu, strlen(iu), fix, sizeof fix);
	if (why != NULL)
		fire(c, R_USER_ROOT, "image %s runs as user %s, which %s; set %s to a numeric "
		    "non-root uid:gid (%s %s)", image, iu, why, flag, flag, fix);
}
