/* peer_names.h - the user and group names of a unix socket's peer, as the
 * bindings' user and group globs match them. */
#ifndef SOCKWARD_PEER_NAMES_H
#define SOCKWARD_PEER_NAMES_H

#include <stddef.h>
#include <sys/types.h>

/* The first buffer getpwuid_r/getgrgid_r get; an entry that needs more
 * (a group listing hundreds of members) is looked up again in one twice as
 * large, up to PEER_NAME_BUF_MAX. */
#define PEER_NAME_BUF 4096
#define PEER_NAME_BUF_MAX (1u << 20)

/* The name of uid (gid) in out, or "" when it has none, the lookup fails,
 * or the name does not fit in outlen: a name cut short could be another
 * one, and "" matches no user or group glob.  0 when resolved.  bufsize is
 * the first lookup buffer (PEER_NAME_BUF; smaller in tests). */
int peer_user_name(uid_t uid, char *out, size_t outlen, size_t bufsize);
int peer_group_name(gid_t gid, char *out, size_t outlen, size_t bufsize);

#endif
