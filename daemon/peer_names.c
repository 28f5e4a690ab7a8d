/* peer_names.c - the user and group names of a unix socket's peer (see
 * peer_names.h). */
#include "daemon/peer_names.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

/* One lookup into buf: 0 and *name (inside buf, NULL when there is no such
 * id), or the error getpwuid_r/getgrgid_r answered. */
typedef int (*lookup_fn)(unsigned id, char *buf, size_t len, const char **name);

static int
user_lookup(unsigned id, char *buf, size_t len, const char **name)
{
	struct passwd ent, *found = NULL;
	int rc = getpwuid_r((uid_t)id, &ent, buf, len, &found);
	*name = rc == 0 && found != NULL ? ent.pw_name : NULL;
	return rc;
}

static int
group_lookup(unsigned id, char *buf, size_t len, const char **name)
{
	struct group ent, *found = NULL;
	int rc = getgrgid_r((gid_t)id, &ent, buf, len, &found);
	*name = rc == 0 && found != NULL ? ent.gr_name : NULL;
	return rc;
}

/* A name that fits whole, or "". */
static int
set_name(char *out, size_t outlen, const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;
	if (n == 0 || n >= outlen) {
		out[0] = '\0';
		return -1;
	}
	memcpy(out, name, n + 1);
	return 0;
}

/* The entry answers ERANGE when it does not fit the buffer (a group's
 * member list often does not fit 4 KB): then again with one twice as
 * large, never an unresolved name that lets the peer fall through to a
 * later binding. */
static int
resolve(lookup_fn fn, unsigned id, char *out, size_t outlen, size_t bufsize)
{
	size_t len = bufsize > 0 ? bufsize : 1;
	for (;;) {
		const char *name = NULL;
		char *buf = malloc(len);
		if (buf == NULL)
			break;
		int rc = fn(id, buf, len, &name);
		if (rc == 0) {
			int r = set_name(out, outlen, name);
			free(buf);
			return r;
		}
		free(buf);
		if (rc != ERANGE || len >= PEER_NAME_BUF_MAX)
			break;
		len *= 2;
	}
	out[0] = '\0';
	return -1;
}

int
peer_user_name(uid_t uid, char *out, size_t outlen, size_t bufsize)
{
	return resolve(user_lookup, (unsigned)uid, out, outlen, bufsize);
}

int
peer_group_name(gid_t gid, char *out, size_t outlen, size_t bufsize)
{
	return resolve(group_lookup, (unsigned)gid, out, outlen, bufsize);
}
