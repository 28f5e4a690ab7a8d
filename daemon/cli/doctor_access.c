/* doctor_access.c - who can reach the engine besides sockward (see
 * doctor.h): the engine socket's owner, group members, POSIX ACL entries
 * and mode bits, and dockerd processes listening on TCP.  Connecting to a
 * unix socket needs write permission on it, so only the w bits count. */
#include "daemon/cli/doctor.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define SOCKET_FIX "\"group\": \"sockward-engine\" (with socket activation: " \
	"SocketGroup=sockward-engine in a docker.socket drop-in; see sockward(8)), " \
	"and only root and the sockward user may be able to open the socket"
#define TCP_FIX "remove every tcp:// entry from \"hosts\" (and -H tcp:// from the " \
	"engine's unit): sockward is the network listener"

static void
item_set(struct doctor_item *it, const char *id, enum doctor_level level, const char *fix,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
item_set(struct doctor_item *it, const char *id, enum doctor_level level, const char *fix,
    const char *fmt, ...)
{
	va_list ap;

	it->id = id;
	it->level = level;
	it->fix = fix;
	va_start(ap, fmt);
	vsnprintf(it->text, sizeof(it->text), fmt, ap);
	va_end(ap);
}

/* Append "name" to a ", "-separated list (bounded). */
static void
list_add(char *list, size_t len, const char *name)
{
	size_t n = strlen(list);

	if (n + strlen(name) + 3 >= len) {
		if (n + 5 < len && strcmp(list + n - (n >= 3 ? 3 : n), "...") != 0)
			strcat(list, ", ...");
		return;
	}
	snprintf(list + n, len - n, "%s%s", n ? ", " : "", name);
}

static int
allowed_uid(uid_t uid, const char *service_user)
{
	struct passwd *pw;

	if (uid == 0)
		return 1;
	pw = getpwnam(service_user);
	return pw != NULL && pw->pw_uid == uid;
}

static const char *
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)uid);
	return buf;
}

/* The users of group gid other than root and the service user (its listed
 * members and everyone whose primary group it is) into list; their count. */
static size_t
group_outsiders(gid_t gid, const char *service_user, char *list, size_t len)
{
	struct group *gr = getgrgid(gid);
	struct passwd *pw;
	size_t n = 0;

	list[0] = '\0';
	if (gr != NULL)
		for (char **m = gr->gr_mem; *m != NULL; m++) {
			struct passwd *mp = getpwnam(*m);
			if (strcmp(*m, service_user) == 0 || (mp != NULL && mp->pw_uid == 0))
				continue;
			list_add(list, len, *m);
			n++;
		}
	setpwent();
	while ((pw = getpwent()) != NULL) {
		if (pw->pw_gid != gid || pw->pw_uid == 0 || strcmp(pw->pw_name, service_user) == 0)
			continue;
		int listed = 0;
		if (gr != NULL)
			for (char **m = gr->gr_mem; *m != NULL; m++)
				listed |= strcmp(*m, pw->pw_name) == 0;
		if (!listed) {
			list_add(list, len, pw->pw_name);
			n++;
		}
	}
	endpwent();
	return n;
}

static const char *
group_name(gid_t gid, char *buf, size_t len)
{
	struct group *gr = getgrgid(gid);

	if (gr != NULL)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "gid %lu", (unsigned long)gid);
	return buf;
}

/* Linux's xattr form of a POSIX ACL: a 4-byte version (2), then entries of
 * tag (u16), perm (u16), id (u32), little-endian. */
#define ACL_USER_OBJ  0x01
#define ACL_USER      0x02
#define ACL_GROUP_OBJ 0x04
#define ACL_GROUP     0x08
#define ACL_MASK      0x10
#define ACL_OTHER     0x20

static uint32_t
le(const unsigned char *p, size_t n)
{
	uint32_t v = 0;
	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

size_t
doctor_check_socket_access(const char *path, const char *service_user,
    struct doctor_item *items, size_t max)
{
	struct stat st;
	unsigned char acl[4096];
	char who[400], name[64], gname[64];
	size_t n = 0, nbad = 0;
	ssize_t acllen;

	if (max == 0)
		return 0;
	if (stat(path, &st) != 0) {
		item_set(&items[n++], "socket-access", DOCTOR_INFO, NULL,
		    "cannot stat the engine socket %s (%s): who can open it was not checked",
		    path, strerror(errno));
		return n;
	}
	/* owner */
	if ((st.st_mode & S_IWUSR) && !allowed_uid(st.st_uid, service_user) && n < max) {
		item_set(&items[n++], "socket-access", DOCTOR_FINDING, SOCKET_FIX,
		    "%s is owned by %s, who can open it and bypass sockward: chown root %s",
		    path, user_name(st.st_uid, name, sizeof name), path);
		nbad++;
	}
	/* group (with an ACL these bits are its mask: a superset) */
	if ((st.st_mode & S_IWGRP) && n < max &&
	    group_outsiders(st.st_gid, service_user, who, sizeof who) > 0) {
		group_name(st.st_gid, gname, sizeof gname);
		item_set(&items[n++], "socket-access", DOCTOR_FINDING, SOCKET_FIX,
		    "%s is group %s (mode %04o) and %s in that group can open it and bypass "
		    "sockward: give the socket a group only sockward is in (sockward-engine), "
		    "or remove them (gpasswd -d USER %s); users reach sockward through "
		    "group sockward-users", path, gname, (unsigned)(st.st_mode & 07777), who, gname);
		nbad++;
	}
	/* others */
	if ((st.st_mode & S_IWOTH) && n < max) {
		item_set(&items[n++], "socket-access", DOCTOR_FINDING, SOCKET_FIX,
		    "%s has mode %04o: every user on this host can open it and bypass sockward "
		    "(chmod o-rw %s)", path, (unsigned)(st.st_mode & 07777), path);
		nbad++;
	}
	/* POSIX ACL entries for named users and groups */
	acllen = getxattr(path, "system.posix_acl_access", acl, sizeof acl);
	if (acllen >= 4 && le(acl, 4) == 2) {
		unsigned mask = 7;
		for (ssize_t off = 4; off + 8 <= acllen; off += 8)
			if (le(acl + off, 2) == ACL_MASK)
				mask = le(acl + off + 2, 2);
		for (ssize_t off = 4; off + 8 <= acllen && n < max; off += 8) {
			unsigned tag = le(acl + off, 2), perm = le(acl + off + 2, 2) & mask;
			uint32_t id = le(acl + off + 4, 4);
			if (!(perm & 2))
				continue;
			if (tag == ACL_USER && !allowed_uid((uid_t)id, service_user)) {
				item_set(&items[n++], "socket-access", DOCTOR_FINDING, SOCKET_FIX,
				    "%s has an ACL entry for user %s, who can open it and bypass "
				    "sockward: setfacl -x u:%s %s", path,
				    user_name((uid_t)id, name, sizeof name), name, path);
				nbad++;
			} else if (tag == ACL_GROUP &&
			    group_outsiders((gid_t)id, service_user, who, sizeof who) > 0) {
				group_name((gid_t)id, gname, sizeof gname);
				item_set(&items[n++], "socket-access", DOCTOR_FINDING, SOCKET_FIX,
				    "%s has an ACL entry for group %s, whose members %s can open it "
				    "and bypass sockward: setfacl -x g:%s %s", path, gname, who,
				    gname, path);
				nbad++;
			}
		}
	}
	if (nbad == 0 && n < max)
		item_set(&items[n++], "socket-access", DOCTOR_OK, NULL,
		    "only root and %s can open %s (owner %s, group %s, mode %04o)", service_user,
		    path, user_name(st.st_uid, name, sizeof name),
		    group_name(st.st_gid, gname, sizeof gname), (unsigned)(st.st_mode & 07777));
	return n;
}

/* ---- dockerd on TCP ---------------------------------------------------------------- */

/* Is socket inode ino one of pid's descriptors? */
static int
pid_has_socket(const char *proc_root, const char *pid, unsigned long ino)
{
	char dir[1024], link[1400], target[128], want[64];
	struct dirent *de;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof dir, "%s/%s/fd", proc_root, pid);
	snprintf(want, sizeof want, "socket:[%lu]", ino);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		ssize_t k;
		snprintf(link, sizeof link, "%s/%s", dir, de->d_name);
		if ((k = readlink(link, target, sizeof target - 1)) <= 0)
			continue;
		target[k] = '\0';
		found = strcmp(target, want) == 0;
	}
	closedir(d);
	return found;
}

/* The listening sockets of pid's network namespace (net/tcp, net/tcp6)
 * that pid holds: one finding each. */
static void
pid_tcp_listeners(const char *proc_root, const char *pid, struct doctor_item *items,
    size_t max, size_t *n, size_t *nfound)
{
	static const char *const files[] = { "net/tcp", "net/tcp6" };

	for (size_t f = 0; f < 2; f++) {
		char path[1024], line[512];
		FILE *fp;
		snprintf(path, sizeof path, "%s/%s/%s", proc_root, pid, files[f]);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof line, fp) != NULL && *n < max) {
			char local[80], remote[80], state[8];
			unsigned long ino;
			/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
			if (sscanf(line, " %*s %79s %79s %7s %*s %*s %*s %*s %*s %lu", local, remote,
			    state, &ino) != 4 || strcmp(state, "0A") != 0)
				continue;
			if (!pid_has_socket(proc_root, pid, ino))
				continue;
			const char *colon = strrchr(local, ':');
			unsigned port = colon ? (unsigned)strtoul(colon + 1, NULL, 16) : 0;
			item_set(&items[(*n)++], "engine-tcp", DOCTOR_FINDING, TCP_FIX,
			    "dockerd (pid %s) listens on TCP port %u (%s): whoever reaches it "
			    "(with a client certificate, under tlsverify) drives the engine "
			    "without sockward", pid, port, f ? "IPv6" : "IPv4");
			(*nfound)++;
		}
		fclose(fp);
	}
}

size_t
doctor_check_engine_tcp(const char *proc_root, struct doctor_item *items, size_t max)
{
	struct dirent *de;
	size_t n = 0, nfound = 0, ndockerd = 0;
	DIR *d;

	if (max == 0)
		return 0;
	if ((d = opendir(proc_root)) == NULL) {
		item_set(&items[n++], "engine-tcp", DOCTOR_INFO, NULL,
		    "cannot read %s: dockerd's TCP listeners were not checked", proc_root);
		return n;
	}
	while ((de = readdir(d)) != NULL && n < max) {
		char path[1024], comm[64] = "";
		FILE *fp;
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "%s/%s/comm", proc_root, de->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		if (fgets(comm, sizeof comm, fp) == NULL)
			comm[0] = '\0';
		fclose(fp);
		comm[strcspn(comm, "\n")] = '\0';
		if (strcmp(comm, "dockerd") != 0)
			continue;
		ndockerd++;
		pid_tcp_listeners(proc_root, de->d_name, items, max, &n, &nfound);
	}
	closedir(d);
	if (nfound == 0 && n < max && ndockerd > 0)
		item_set(&items[n++], "engine-tcp", DOCTOR_OK, NULL,
		    "no dockerd process listens on TCP (%zu seen in %s)", ndockerd, proc_root);
	else if (nfound == 0 && n < max)
		item_set(&items[n++], "engine-tcp", DOCTOR_INFO, NULL,
		    "no dockerd process seen in %s (another namespace, or not allowed to look): "
		    "its TCP listeners were not checked", proc_root);
	return n;
}
