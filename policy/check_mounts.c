/* check_mounts.c - Binds, Mounts, VolumesFrom and local-driver volume
 * options: no Docker socket, no sensitive host path, binds only from the
 * allowed prefixes, read-only when required, no shared propagation. */
#include "policy/checks.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/gofold.h"

#define PATH_MAXLEN 1024

/* Lexical clean like Go's filepath.Clean for absolute paths: collapse
 * "//", drop ".", resolve ".." (dockerd cleans bind sources the same way). */
static void
path_clean(const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (len < 2) {
		if (len)
			out[0] = '\0';
		return;
	}
	out[o++] = '/';
	while (*in != '\0') {
		while (*in == '/')
			in++;
		const char *e = strchr(in, '/');
		size_t n = e ? (size_t)(e - in) : strlen(in);
		if (n == 0)
			break;
		if (n == 1 && in[0] == '.') {
			/* skip */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;       /* and the separator before it */
		} else {
			if (o > 1 && o + 1 < len)
				out[o++] = '/';
			for (size_t i = 0; i < n && o + 1 < len; i++)
				out[o++] = in[i];
		}
		in += n;
	}
	out[o] = '\0';
}

/* p is base or below it */
static int
path_within(const char *p, const char *base)
{
	size_t n = strlen(base);
	if (strcmp(base, "/") == 0)
		return strcmp(p, "/") == 0;
	return strncmp(p, base, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* p is a strict ancestor of q */
static int
path_ancestor(const char *p, const char *q)
{
	size_t n = strlen(p);
	if (strcmp(p, "/") == 0)
		return strcmp(q, "/") != 0;
	return strncmp(q, p, n) == 0 && q[n] == '/';
}

static int
is_or_holds(const char *p, const char *sock)
{
	return strcmp(p, sock) == 0 || path_ancestor(p, sock);
}

static int
is_socket_path(const struct check_ctx *c, const char *p)
{
	const char *base = strrchr(p, '/');

	if (base != NULL && strcmp(base + 1, "docker.sock") == 0)
		return 1;
	for (size_t i = 0; i < c->prof->socket_paths.n; i++)
		if (is_or_holds(p, c->prof->socket_paths.v[i]))
			return 1;
	for (size_t i = 0; c->req != NULL && i < c->req->nhost_sockets; i++)
		if (c->req->host_sockets[i] && c->req->host_sockets[i][0] == '/' &&
		    is_or_holds(p, c->req->host_sockets[i]))
			return 1;
	return 0;
}

static int
is_sensitive(const struct profile *prof, const char *p)
{
	for (size_t i = 0; i < prof->sensitive_paths.n; i++) {
		const char *s = prof->sensitive_paths.v[i];
		if (path_within(p, s) || path_ancestor(p, s))
			return 1;
	}
	return 0;
}

static void
check_host_path(struct check_ctx *c, const char *raw, int readonly, const char *how,
    const char *ro_fix)
{
	char p[PATH_MAXLEN], resolved[PATH_MAXLEN];
	const char *cand[2];
	size_t ncand = 0;
	int socket = 0, sensitive = 0;

	path_clean(raw, p, sizeof p);
	cand[ncand++] = p;
	/* Symlinks are resolved on the host by the daemon (its own unprivileged
	 * view, now); dockerd resolves the source again, as root, when the
	 * container starts.  A source that goes through a symlink, or that
	 * sockward cannot resolve, may be something else by then: refused
	 * (mounts.bind_symlink), and judged as both paths meanwhile.  Without a
	 * host view (sockward eval, the table tests) only the path as written
	 * is judged. */
	if (c->req != NULL && c->req->resolve_path != NULL) {
		if (c->req->resolve_path(c->req->resolve_ctx, p, resolved, sizeof resolved) != 0)
			fire(c, R_MOUNT_BIND_SYMLINK, "%s %s cannot be resolved by sockward (it does "
			    "not exist, or a directory on the way is not readable to sockward); create "
			    "it first, or use a named volume", how, raw);
		else if (strcmp(resolved, p) != 0) {
			fire(c, R_MOUNT_BIND_SYMLINK, "%s %s goes through a symlink (it is %s now, and "
			    "dockerd resolves it again as root when the container starts); name the "
			    "real path", how, raw, resolved);
			cand[ncand++] = resolved;
		}
	}
	for (size_t i = 0; i < ncand; i++) {
		socket |= is_socket_path(c, cand[i]);
		sensitive |= is_sensitive(c->prof, cand[i]);
	}
	if (socket)
		fire(c, R_MOUNT_SOCKET, "%s %s exposes the Docker socket", how, raw);
	if (sensitive)
		fire(c, R_MOUNT_SENSITIVE, "%s %s is a sensitive host path", how, raw);
	int allowed = 0;
	for (size_t i = 0; i < c->prof->bind_prefixes.n; i++) {
		int all = 1;
		for (size_t k = 0; k < ncand; k++)
			all &= path_within(cand[k], c->prof->bind_prefixes.v[i]);
		allowed |= all;
	}
	if (!allowed)
		fire(c, R_MOUNT_BIND_PREFIX, "%s %s is outside the allowed host paths "
		    "(use a named volume)", how, raw);
	if (c->prof->bind_readonly && !readonly)
		fire(c, R_MOUNT_BIND_READONLY, "%s %s must be read-only (%s)", how, raw, ro_fix);
}

static int
has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *s = list; s != NULL && *s != '\0';) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == n && strncasecmp(s, tok, n) == 0)
			return 1;
		s = e ? e + 1 : NULL;
	}
	return 0;
}

/* Binds: "src:dst[:mode]"; a src starting with '/' is a host path, anything
 * else a named volume. */
static void
check_binds(struct check_ctx *c, const json_t *hc)
{
	const json_t *binds = jget(hc, "Binds"), *b;
	size_t i;

	json_array_foreach(binds, i, b) {
		const char *spec = json_string_value(b), *c1, *c2;
		char src[PATH_MAXLEN];
		if (spec == NULL || (c1 = strchr(spec, ':')) == NULL)
			continue;    /* anonymous volume: container path only */
		if ((size_t)(c1 - spec) >= sizeof src)
			continue;
		memcpy(src, spec, (size_t)(c1 - spec));
		src[c1 - spec] = '\0';
		c2 = strchr(c1 + 1, ':');
		const char *mode = c2 ? c2 + 1 : "";
		if (has_token(mode, "shared") || has_token(mode, "rshared"))
			fire(c, R_MOUNT_PROPAGATION, "-v %s uses shared propagation", spec);
		if (src[0] == '/')
			check_host_path(c, src, has_token(mode, "ro"), "-v", "add :ro");
		else
			check_existing_volume(c, src, "-v");
	}
}

/* tmpfs flags as dockerd 20.10 sets them (daemon/oci_linux.go setMounts):
 * "noexec,nosuid,nodev" first, then the mount's own options split at ',',
 * merged by mount.MergeTmpfsOptions, where the last of exec/noexec (suid/
 * nosuid, dev/nodev) wins, compared exactly.  opts is NULL-terminated. */
static const char *const tmpfs_pairs[][2] = {
	{ "noexec", "exec" }, { "nosuid", "suid" }, { "nodev", "dev" },
};

/* which of exec, suid, dev the options leave on ("exec,dev"); safe_default:
 * 1 when dockerd puts noexec,nosuid,nodev first (--tmpfs, --mount
 * type=tmpfs), 0 when nothing does (a local tmpfs volume) */
static void
tmpfs_left_on(const char *const *opts, size_t n, int safe_default, char *bad, size_t len)
{
	bad[0] = '\0';
	for (size_t k = 0; k < 3; k++) {
		int on = safe_default;
		for (size_t i = 0; i < n; i++) {
			if (strcmp(opts[i], tmpfs_pairs[k][0]) == 0)
				on = 1;
			else if (strcmp(opts[i], tmpfs_pairs[k][1]) == 0)
				on = 0;
		}
		if (!on)
			textf(bad + strlen(bad), len - strlen(bad), "%s%s", bad[0] ? "," : "",
			    tmpfs_pairs[k][1]);
	}
}

static void
judge_tmpfs_opts(struct check_ctx *c, const char *const *opts, size_t n, const char *what,
    const char *dest)
{
	char bad[64];

	tmpfs_left_on(opts, n, 1, bad, sizeof bad);
	if (bad[0] != '\0')
		fire(c, R_MOUNT_TMPFS, "%s %s with %s is not allowed (tmpfs mounts keep noexec, "
		    "nosuid and nodev)", what, dest, bad);
}

/* "rw,exec,size=64m": the options of a --tmpfs or a local tmpfs volume */
static void
judge_tmpfs_string(struct check_ctx *c, const char *data, const char *what, const char *dest)
{
	const char *opts[64];
	char buf[1024];
	size_t n = 0;

	textf(buf, sizeof buf, "%s", data);
	if (strlen(data) >= sizeof buf) {
		fire(c, R_MOUNT_TMPFS, "%s %s: options too long to judge", what, dest);
		return;
	}
	for (char *s = buf, *e; s != NULL && n < 64; s = e ? e + 1 : NULL) {
		e = strchr(s, ',');
		if (e != NULL)
			*e = '\0';
		opts[n++] = s;
	}
	if (n == 64) {
		fire(c, R_MOUNT_TMPFS, "%s %s: too many options to judge", what, dest);
		return;
	}
	judge_tmpfs_opts(c, opts, n, what, dest);
}

/* HostConfig.Tmpfs: { "/run": "rw,noexec,size=64m" } */
static void
check_tmpfs_map(struct check_ctx *c, const json_t *tmpfs)
{
	const char *dest;
	json_t *v;

	json_object_foreach((json_t *)tmpfs, dest, v)
		judge_tmpfs_string(c, json_is_string(v) ? json_string_value(v) : "", "--tmpfs", dest);
}

/* Mount.TmpfsOptions: Options ([][]string, API 1.46+: ["exec"] or
 * ["size", "64m"]); each flag is its first element */
static void
check_tmpfs_mount(struct check_ctx *c, const json_t *m)
{
	const json_t *opts = jget(jget(m, "TmpfsOptions"), "Options"), *o;
	const char *flags[64];
	size_t i, n = 0;

	json_array_foreach(opts, i, o) {
		const char *f = json_string_value(json_array_get(o, 0));
		if (f == NULL)
			continue;
		if (n == 64) {
			fire(c, R_MOUNT_TMPFS, "--mount type=tmpfs %s: too many options to judge",
			    jstr(m, "Target"));
			return;
		}
		if (json_array_size(o) == 1)
			flags[n++] = f;
	}
	judge_tmpfs_opts(c, flags, n, "--mount type=tmpfs", jstr(m, "Target"));
}

/* Filesystem types a local volume with a device may have: the profile's
 * volume_types (default tmpfs, which is memory).  Anything else with a
 * device is host storage: a block device (ext4 /dev/sda1), host
 * directories (overlay lowerdir=/etc), a kernel view of the host (proc,
 * sysfs, devtmpfs), or a network share (nfs, nfs4, cifs, smb3), which the
 * engine's host mounts with its own network identity: an NFS server that
 * exports to the build host's address (home directories, other teams'
 * data) would serve any client that may create a volume.  An operator
 * who means to offer shares lists their types.  mount(2) compares the type
 * exactly, so do we. */

/* A local volume of type tmpfs: the local driver mounts it with
 * mount.Mount(device, path, "tmpfs", o) (moby/sys/mount), which splits o at
 * ',' and takes each known flag name as a mount flag (the last of exec/
 * noexec, suid/nosuid, dev/nodev wins) and passes the rest to tmpfs as
 * data, compared exactly.  Nothing adds noexec, nosuid or nodev: a volume
 * with o=size=16m is mounted exec, suid and dev, and the container's bind
 * mount of it keeps those.  Flags and tmpfs options by allow-list
 * (mounts.volume_bind); exec, suid and dev left on fail mounts.tmpfs. */
static const char *const tmpfs_vol_flags[] = {
	"ro", "rw", "noexec", "exec", "nosuid", "suid", "nodev", "dev", "sync", "async",
	"dirsync", "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime",
	"strictatime", "nostrictatime", "defaults", NULL,
};
static const char *const tmpfs_vol_data[] = {
	"size", "nr_blocks", "nr_inodes", "mode", "uid", "gid", "huge", NULL,
};

static void
judge_tmpfs_volume(struct check_ctx *c, const char *o, const char *what)
{
	const char *opts[64];
	char buf[1024], bad[64], fix[1100];
	size_t n = 0;

	if (strlen(o) >= sizeof buf) {
		fire(c, R_MOUNT_VOLUME_BIND, "%s: tmpfs volume options too long to judge", what);
		return;
	}
	textf(buf, sizeof buf, "%s", o);
	for (char *s = buf, *e; s != NULL; s = e ? e + 1 : NULL) {
		e = strchr(s, ',');
		if (e != NULL)
			*e = '\0';
		if (*s == '\0')
			continue;
		int ok = 0;
		for (size_t i = 0; tmpfs_vol_flags[i] != NULL && !ok; i++)
			ok = strcmp(s, tmpfs_vol_flags[i]) == 0;
		const char *eq = strchr(s, '=');
		for (size_t i = 0; tmpfs_vol_data[i] != NULL && !ok && eq != NULL; i++)
			ok = strlen(tmpfs_vol_data[i]) == (size_t)(eq - s) &&
			    strncmp(s, tmpfs_vol_data[i], (size_t)(eq - s)) == 0;
		if (!ok) {
			fire(c, R_MOUNT_VOLUME_BIND, "%s: tmpfs volume option %s is not allowed "
			    "(only size, nr_blocks, nr_inodes, mode, uid, gid, huge and the flags ro, "
			    "rw, noexec, nosuid, nodev, sync and *atime)", what, s);
			return;
		}
		if (n == 64) {
			fire(c, R_MOUNT_VOLUME_BIND, "%s: too many tmpfs volume options to judge", what);
			return;
		}
		opts[n++] = s;
	}
	tmpfs_left_on(opts, n, 0, bad, sizeof bad);
	if (bad[0] == '\0')
		return;
	textf(fix, sizeof fix, "%s%s", o, o[0] ? "," : "");
	for (size_t k = 0; k < 3; k++)
		if (strstr(bad, tmpfs_pairs[k][1]) != NULL)
			textf(fix + strlen(fix), sizeof fix - strlen(fix), "%s%s",
			    tmpfs_pairs[k][0], k < 2 ? "," : "");
	if (fix[0] != '\0' && fix[strlen(fix) - 1] == ',')
		fix[strlen(fix) - 1] = '\0';
	fire(c, R_MOUNT_TMPFS, "%s: a tmpfs volume with o=%s is mounted %s (a local volume "
	    "gets no noexec, nosuid, nodev unless o= says so); use o=%s", what, o, bad, fix);
}

void
check_volume_driver_opts(struct check_ctx *c, const char *driver, const json_t *opts,
    const char *what)
{
	if (driver[0] != '\0' && strcmp(driver, "local") != 0)
		return;
	const char *type = jstr(opts, "type"), *o = jstr(opts, "o"), *dev = jstr(opts, "device");
	int safe_type = strlist_has(&c->prof->volume_types, type);
	char types[256] = "";
	for (size_t i = 0; i < c->prof->volume_types.n; i++)
		textf(types + strlen(types), sizeof types - strlen(types), "%s%s", i ? ", " : "",
		    c->prof->volume_types.v[i]);
	if (has_token(o, "bind") || has_token(o, "rbind") ||
	    (dev[0] != '\0' && (type[0] == '\0' || strcasecmp(type, "none") == 0)))
		fire(c, R_MOUNT_VOLUME_BIND, "%s: local volume with device=%s o=%s binds a "
		    "host path", what, dev, o);
	else if (dev[0] != '\0' && !safe_type)
		fire(c, R_MOUNT_VOLUME_BIND, "%s: local volume of type %s (device=%s o=%s) mounts "
		    "host storage (a network share with the host's own network identity); only "
		    "the types of the profile's volume_types are allowed (%s)", what, type, dev, o,
		    types[0] ? types : "none");
	else if (strcmp(type, "tmpfs") == 0)
		judge_tmpfs_volume(c, o, what);
}

/* A mount's Type, and whether its Propagation is shared, as the engine
 * applies them.  dockerd compares HostConfig.Mounts' Type and Propagation
 * exactly; swarm (a service's ContainerSpec.Mounts, daemon/cluster/convert
 * containerToGRPC) looks up strings.ToUpper of them in its enums, so "bınd"
 * (U+0131) is BIND and "ſhared" (U+017F) SHARED, and an empty Type is the
 * enum's zero value, BIND: a service mount without a Type is a bind mount.
 * Both are compared as Go upper-cases them (exact is a subset of that). */
enum mount_kind
mount_kind(const char *type, int swarm)
{
	if (go_toupper_equal(type, "BIND") || (swarm && type[0] == '\0'))
		return MOUNT_BIND;
	if (go_toupper_equal(type, "VOLUME"))
		return MOUNT_VOLUME;
	if (go_toupper_equal(type, "TMPFS"))
		return MOUNT_TMPFS;
	return MOUNT_OTHER;
}

/* A []mount.Mount: HostConfig.Mounts of docker run (swarm 0),
 * ContainerSpec.Mounts of docker service create (swarm 1); both --mount.
 * ro_fix tells how to make a bind read-only with the client at hand. */
void
check_mount_array(struct check_ctx *c, const json_t *mounts, const char *ro_fix, int swarm)
{
	const json_t *m;
	size_t i;

	json_array_foreach(mounts, i, m) {
		const char *type = jstr(m, "Type");
		const json_t *bo = jget(m, "BindOptions");
		const char *prop = jstr(bo, "Propagation");
		if (go_toupper_equal(prop, "SHARED") || go_toupper_equal(prop, "RSHARED"))
			fire(c, R_MOUNT_PROPAGATION, "--mount bind-propagation=%s is not allowed", prop);
		switch (mount_kind(type, swarm)) {
		case MOUNT_BIND:
			check_host_path(c, jstr(m, "Source"), jbool(m, "ReadOnly"), "--mount source",
			    ro_fix);
			break;
		case MOUNT_VOLUME: {
			const json_t *dc = jget(jget(m, "VolumeOptions"),
			    "DriverConfig");
			check_volume_driver(c, jstr(dc, "Name"), "--mount volume-driver");
			check_volume_driver_opts(c, jstr(dc, "Name"), jget(dc, "Options"),
			    "--mount");
			/* an existing volume is used as it is, whatever the options say */
			check_existing_volume(c, jstr(m, "Source"), "--mount source");
			break;
		}
		case MOUNT_TMPFS:
			check_tmpfs_mount(c, m);
			break;
		case MOUNT_OTHER:
			break;   /* dockerd refuses it: "mount type unknown" */
		}
	}
}

void
check_mounts(struct check_ctx *c, const json_t *hc)
{
	const json_t *vf = jget(hc, "VolumesFrom");

	if (json_is_array(vf) && json_array_size(vf) > 0)
		fire(c, R_MOUNT_VOLUMES_FROM, "--volumes-from is not allowed");
	check_binds(c, hc);
	check_mount_array(c, jget(hc, "Mounts"), "add :ro", 0);
	check_tmpfs_map(c, jget(hc, "Tmpfs"));
}

/* ---- start and restart: the bind sources once more ------------------------------- */

/* dockerd resolves a container's bind sources as root each time it starts
 * it: judge the sources the container has (as the engine reports them) with
 * the create's bind rules again, now.  Only the host-path rules run: named
 * volumes are judged where they are created and used. */
void
check_start_binds(struct check_ctx *c)
{
	const struct profile *pr = c->prof;
	const struct pol_lookup *l;
	const json_t *hc, *b, *m;
	size_t i;

	if (c->req == NULL || c->judging_joined ||
	    !(pr->rule_on[R_MOUNT_BIND_SYMLINK] || pr->rule_on[R_MOUNT_BIND_PREFIX] ||
	    pr->rule_on[R_MOUNT_SENSITIVE] || pr->rule_on[R_MOUNT_SOCKET]))
		return;
	if ((l = route_container(c)) == NULL)
		return;
	hc = jget(l->json, "HostConfig");
	if (l->status != 200 || !json_is_object(hc)) {
		fire(c, R_MOUNT_BIND_SYMLINK, "cannot read the bind mounts of container %s (engine "
		    "answered %d), so its start cannot be judged", c->name, l->status);
		return;
	}
	json_array_foreach(jget(hc, "Binds"), i, b) {
		const char *spec = json_string_value(b), *c1, *c2;
		char src[PATH_MAXLEN];
		if (spec == NULL || spec[0] != '/' || (c1 = strchr(spec, ':')) == NULL ||
		    (size_t)(c1 - spec) >= sizeof src)
			continue;
		memcpy(src, spec, (size_t)(c1 - spec));
		src[c1 - spec] = '\0';
		c2 = strchr(c1 + 1, ':');
		check_host_path(c, src, has_token(c2 ? c2 + 1 : "", "ro"), "-v", "add :ro");
	}
	json_array_foreach(jget(hc, "Mounts"), i, m)
		if (strcasecmp(jstr(m, "Type"), "bind") == 0)
			check_host_path(c, jstr(m, "Source"), jbool(m, "ReadOnly"), "--mount source",
			    "add :ro");
}

/* ---- named volumes that exist (issue 8, class 2) --------------------------------- */

/* A named volume a create body or a service spec mounts: the volume that
 * exists is used as it is (dockerd ignores the driver options of the
 * request then), so its driver (volumes.driver) and options get the rules
 * a volume create gets; one that does not exist yet is made by dockerd from the request,
 * which is judged already. */

void
check_existing_volume(struct check_ctx *c, const char *name, const char *what)
{
	const struct pol_lookup *l;
	char label[600];

	/* the settings of a joined container are judged without lookups; its
	 * volumes are not what is joined anyway */
	if (name[0] == '\0' || c->req == NULL || c->judging_joined ||
	    (!c->prof->rule_on[R_MOUNT_VOLUME_BIND] && !c->prof->rule_on[R_VOLUME_DRIVER]))
		return;
	if ((l = check_lookup(c, POL_LOOKUP_VOLUME, name)) == NULL)
		return;
	if (l->status == 404)
		return;   /* dockerd creates it from the request, judged as sent */
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, R_MOUNT_VOLUME_BIND, "%s %s: cannot read that volume's driver and "
		    "options (engine answered %d)", what, name, l->status);
		return;
	}
	textf(label, sizeof label, "%s %s (existing volume)", what, name);
	/* made with another driver (by an operator, or around sockward): the
	 * request gets that driver's volume */
	check_volume_driver(c, jstr(l->json, "Driver"), label);
	check_volume_driver_opts(c, jstr(l->json, "Driver"), jget(l->json, "Options"),
	    label);
}
