/* passwd.h - a container's user resolved from its /etc/passwd and
 * /etc/group the way dockerd 20.10 does it (daemon/oci_linux.go getUser:
 * runc libcontainer/user GetExecUserPath, then GetAdditionalGroups for
 * HostConfig.GroupAdd, every id cast to uint32).  Pure: text in, ids out. */
#ifndef SOCKWARD_PASSWD_H
#define SOCKWARD_PASSWD_H

#include <stddef.h>
#include <stdint.h>

/* bufio.Scanner's limit: a longer line is an error for runc (the start fails) */
#define PW_MAX_LINE (64u << 10)

struct pw_file {
	const char *text;   /* NULL: the file does not exist (runc: no entries) */
	size_t len;
};

struct pw_ids {
	uint32_t uid, gid;          /* as the process gets them (uint32 casts) */
	int sgid0;                  /* a supplementary group (or GroupAdd) is gid 0 */
	char sgid0_name[64];        /* the /etc/group name (or GroupAdd entry) that made it */
	size_t nsgids;
};

/* Resolve User ("user[:group]", len bytes) like GetExecUser with no
 * defaults (uid 0, gid 0).  0 and *out filled, or -1 and err says why
 * (dockerd would fail the start the same way). */
int pw_resolve_user(const char *spec, size_t len, struct pw_file passwd, struct pw_file group,
    struct pw_ids *out, char *err, size_t errlen);

/* Add one HostConfig.GroupAdd entry (GetAdditionalGroups): every /etc/group
 * line whose name or gid (decimal) is ag counts, else ag as a number in
 * [0, 2^31-1].  Sets out->sgid0 when a gid is 0.  -1 and err when runc
 * would fail. */
int pw_group_add(const char *ag, size_t len, struct pw_file group, struct pw_ids *out,
    char *err, size_t errlen);

/* The same for n entries at once, in one pass over /etc/group: r[i].ag and
 * r[i].len in, the rest out (rc -1 and err when runc would fail on that
 * entry).  -1 when out of memory (nothing judged). */
struct pw_group_req {
	const char *ag;
	size_t len;
	struct pw_ids ids;
	int found;   /* some /etc/group line matched */
	int rc;
	char err[200];
};
int pw_group_add_many(struct pw_group_req *r, size_t n, struct pw_file group);

/* Go's strconv.Atoi: 1 and *v when s parses (sign, decimal digits, in
 * int64); 0 otherwise, with *v what Atoi returns then (0, or the clamped
 * value on overflow) */
int pw_atoi(const char *s, size_t n, int64_t *v);

#endif
