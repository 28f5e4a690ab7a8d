/* check_user.c - never root.  "root", "0", "00", "+0", "0:0", "root:root",
 * ":1000" (no user part means uid 0) are all root; an empty User falls back
 * to the image's configured user, which is looked up in the engine. */
#include "policy/checks.h"

#include <stdio.h>
#include <string.h>

/* Go's strconv.Atoi accepts an optional sign; runc treats a numeric user as
 * a uid. */
static int
numeric_zero(const char *s, size_t n)
{
	size_t i = 0;
	int digits = 0;

	if (n > 0 && (s[0] == '+' || s[0] == '-'))
		i++;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (s[i] != '0')
			return 0;
		digits++;
	}
	return digits > 0;
}

int
user_is_root(const char *user, size_t len)
{
	const char *colon = memchr(user, ':', len);
	size_t n = colon ? (size_t)(colon - user) : len;

	if (n == 0)
		return 1;    /* ":gid" -> uid 0 */
	if (n == 4 && memcmp(user, "root", 4) == 0)
		return 1;
	return numeric_zero(user, n);
}

void
check_user(struct check_ctx *c, const json_t *config)
{
	const char *user = jstr(config, "User"), *image = jstr(config, "Image");
	size_t ulen = json_string_length(json_object_get(config, "User"));

	if (user[0] != '\0') {
		if (user_is_root(user, ulen))
			fire(c, R_USER_ROOT, "--user %s is root, set --user to a non-root uid", user);
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
	if (iu[0] == '\0' || user_is_root(iu, strlen(iu)))
		fire(c, R_USER_ROOT, "image %s runs as root%s, set %s to a non-root uid",
		    image, iu[0] ? "" : " (no USER)", flag);
}
