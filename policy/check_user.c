/* check_user.c - never root.  A user is "uid[:gid]" or names; runc reads a
 * numeric part as an id (Go's strconv.Atoi: optional sign), anything else as
 * a name it looks up in the image's /etc/passwd and /etc/group.  sockward
 * cannot read those files through the API (it would have to create a
 * container), so a name is not resolved: it is refused with a fix ("use a
 * numeric uid:gid"), except "root", which is root everywhere.
 *
 * Root: uid 0 ("0", "00", "+0", "root", and ":gid" which means uid 0) or
 * primary gid 0 ("1000:0", "1000:root").  A uid alone takes its primary
 * group from the image's passwd entry, which sockward cannot see; it is not
 * refused (see the man page).  An empty User falls back to the image's
 * configured user, which is looked up in the engine and judged the same. */
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
		return USER_OK;
	const char *g = colon + 1;
	size_t gn = len - n - 1;
	if (gn == 4 && memcmp(g, "root", 4) == 0)
		return USER_GID0;
	if (gn == 0 || !numeric(g, gn, &zero))
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
	case USER_NAME:  return "names a user or group, which sockward cannot resolve to an id; "
	    "use a numeric uid:gid";
	}
	return "cannot be judged";
}

void
check_user(struct check_ctx *c, const json_t *config)
{
	const char *user = jstr(config, "User"), *image = jstr(config, "Image");
	size_t ulen = json_string_length(json_object_get(config, "User"));

	if (user[0] != '\0') {
		const char *why = user_problem(user_classify(user, ulen));
		if (why != NULL)
			fire(c, R_USER_ROOT, "--user %s %s, set --user to a non-root uid (numeric uid:gid)",
			    user, why);
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
		fire(c, R_USER_ROOT, "image %s runs as root (no USER), set %s to a non-root uid",
		    image, flag);
		return;
	}
	const char *why = user_problem(user_classify(iu, strlen(iu)));
	if (why != NULL)
		fire(c, R_USER_ROOT, "image %s runs as user %s, which %s; set %s to a numeric "
		    "non-root uid:gid", image, iu, why, flag);
}
