/* rules.c - the rule table.  Ids are stable: they appear in denials, logs,
 * exceptions and profile overrides. */
#include "policy/rules.h"

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdio.h>
#include <string.h>

const struct rule rules[R__COUNT] = {
	[R_API_VERSION]        = { "api.version", "API version in the path is inside the configured window", "", "use a client that speaks a supported API version (DOCKER_API_VERSION)" },
	[R_ENDPOINT]           = { "endpoint", "the endpoint is allowed by the profile (unknown endpoints are denied)", "5.1", "none: the operation is not permitted" },
	[R_PRIVILEGED]         = { "privileged", "HostConfig.Privileged is false", "5.5", "remove --privileged" },
	[R_NS_NETWORK]         = { "namespaces.network", "NetworkMode is not host", "5.10", "remove --network host" },
	[R_NS_PID]             = { "namespaces.pid", "PidMode is not host", "5.16", "remove --pid host" },
	[R_NS_IPC]             = { "namespaces.ipc", "IpcMode is not host", "5.17", "remove --ipc host" },
	[R_NS_UTS]             = { "namespaces.uts", "UTSMode is not host", "5.21", "remove --uts host" },
	[R_NS_USERNS]          = { "namespaces.userns", "UsernsMode is not host", "5.31", "remove --userns host" },
	[R_NS_CGROUPNS]        = { "namespaces.cgroupns", "CgroupnsMode is not host", "", "use --cgroupns private" },
	[R_NS_CONTAINER]       = { "namespaces.container", "joining another container's namespace (container:<id>) is denied, or that container is compliant", "", "remove --network/--pid/--ipc container:<id>" },
	[R_MOUNT_SOCKET]       = { "mounts.docker_socket", "no Docker socket (or a parent directory of it) is mounted", "5.32", "remove the -v/--mount of the Docker socket" },
	[R_MOUNT_SENSITIVE]    = { "mounts.sensitive", "no sensitive host path (/, /etc, /proc, /var/lib/docker, ...) is bind-mounted", "5.6", "remove the -v/--mount of the host path" },
	[R_MOUNT_VOLUMES_FROM] = { "mounts.volumes_from", "VolumesFrom is empty", "", "remove --volumes-from" },
	[R_MOUNT_VOLUME_BIND]  = { "mounts.volume_bind", "no local volume on host storage (o=bind, overlay, block devices, proc, network shares); only volume_types (default tmpfs, allow-listed options)", "5.6", "remove --opt o=bind / device= from the volume" },
	[R_MOUNT_PROPAGATION]  = { "mounts.propagation", "no shared or rshared mount propagation", "5.20", "use bind-propagation=rprivate (or drop :shared)" },
	[R_MOUNT_BIND_PREFIX]  = { "mounts.bind_prefix", "bind mounts only from the configured host prefixes", "5.6", "use a named volume, or a host path under an allowed prefix" },
	[R_MOUNT_BIND_READONLY]= { "mounts.bind_readonly", "bind mounts are read-only when configured", "", "add :ro (or readonly to --mount)" },
	[R_CAP_ADD]            = { "capabilities.add", "CapAdd only from the profile's allowlist", "5.4", "remove --cap-add" },
	[R_CAP_DROP]           = { "capabilities.drop", "CapDrop includes ALL", "5.4", "add --cap-drop ALL" },
	[R_SEC_SECCOMP]        = { "security.seccomp", "seccomp is the default profile or a profile whose default action refuses (errno, kill, trap) and that allows none of the calls the default profile blocks", "5.22", "remove --security-opt seccomp=..." },
	[R_SEC_APPARMOR]       = { "security.apparmor", "AppArmor profile is docker-default or listed in apparmor_profiles", "5.2", "remove --security-opt apparmor=..." },
	[R_SEC_LABEL]          = { "security.label", "SELinux label options only type:<listed type> (selinux_types); no disable, user, role or level", "5.3", "remove --security-opt label=..." },
	[R_SEC_SYSTEMPATHS]    = { "security.systempaths", "no systempaths=unconfined", "", "remove --security-opt systempaths=unconfined" },
	[R_SEC_NNP]            = { "security.no_new_privileges", "no-new-privileges is set", "5.26", "add --security-opt no-new-privileges" },
	[R_DEVICES]            = { "devices", "no host devices", "5.18", "remove --device" },
	[R_DEVICE_CGROUP_RULES]= { "devices.cgroup_rules", "no device cgroup rules", "5.18", "remove --device-cgroup-rule" },
	[R_DEVICE_REQUESTS]    = { "devices.requests", "no device requests (GPUs)", "5.18", "remove --gpus" },
	[R_SYSCTLS]            = { "sysctls", "Sysctls only from the safe set", "", "remove --sysctl" },
	[R_CGROUP_PARENT]      = { "cgroup_parent", "CgroupParent empty or allowed", "5.25", "remove --cgroup-parent" },
	[R_RUNTIME]            = { "runtime", "Runtime empty or allowed", "", "remove --runtime" },
	[R_GROUP_ADD]          = { "group_add", "GroupAdd only from the allowlist", "", "remove --group-add" },
	[R_MASKED_PATHS]       = { "paths.masked", "no MaskedPaths override", "", "do not override MaskedPaths" },
	[R_READONLY_PATHS]     = { "paths.readonly", "no ReadonlyPaths override", "", "do not override ReadonlyPaths" },
	[R_LIMIT_MEMORY]       = { "limits.memory", "Memory > 0 and <= max", "5.11", "set --memory" },
	[R_LIMIT_CPU]          = { "limits.cpu", "NanoCpus or CpuQuota/CpuPeriod set and <= max", "5.12", "set --cpus" },
	[R_LIMIT_PIDS]         = { "limits.pids", "PidsLimit > 0 and <= max", "5.29", "set --pids-limit" },
	[R_USER_ROOT]          = { "user.root", "the container runs as a numeric uid:gid, both non-zero (names and a uid alone resolve through the image's passwd), GroupAdd has no 0, root or name (User, else the image's user)", "4.1", "set --user to a numeric non-root uid:gid (--user 1000:1000)" },
	[R_ROOTFS_READONLY]    = { "rootfs.readonly", "ReadonlyRootfs is true", "5.13", "add --read-only" },
	[R_PORTS_HOST_IP]      = { "ports.host_ip", "every published port binds a specific allowed HostIp", "5.14", "publish as -p 127.0.0.1:HOST:CONTAINER" },
	[R_PORTS_PUBLISH_ALL]  = { "ports.publish_all", "PublishAllPorts is false", "5.9", "remove -P/--publish-all" },
	[R_PORTS_PRIVILEGED]   = { "ports.privileged", "host ports >= 1024", "5.8", "publish on a host port >= 1024" },
	[R_NETWORK_DEFAULT_BRIDGE] = { "network.default_bridge", "not on the default bridge network", "5.30", "use --network <user-defined network>" },
	[R_IMAGE_PINNED]       = { "image.pinned", "image has an explicit tag other than latest, or a digest", "5.28", "name the image as repo:tag or repo@sha256:..." },
	[R_IMAGE_REGISTRY]     = { "image.registry", "image from an allowed registry/repository (an image ID only when image_ids allows it)", "4.2", "use an image from an allowed registry" },
	[R_EXEC_PRIVILEGED]    = { "exec.privileged", "docker exec is not privileged", "5.23", "remove --privileged from docker exec" },
	[R_EXEC_USER]          = { "exec.user", "docker exec runs as a numeric uid:gid, both non-zero (empty: the container's user), and the container's GroupAdd has no 0, root or name", "5.24", "docker exec --user <non-root uid:gid>" },
	[R_BUILD_NETWORK]      = { "build.network", "docker build does not use the host network", "", "remove --network host from docker build" },
	[R_BUILD_SESSION]      = { "build.session", "BuildKit sessions allowed by the profile", "", "build with DOCKER_BUILDKIT=0 (or ask for a profile with buildkit)" },
	[R_START_HOSTCONFIG]   = { "start.hostconfig", "no HostConfig in POST /containers/{id}/start (old API)", "", "pass host options to docker create" },
	[R_IMAGE_LOAD]         = { "image.load", "no docker load: the names of the images are inside the tar stream, which cannot be judged before dockerd reads it", "4.2", "pull the image from an allowed registry (or use a profile that switches image.load off)" },
	[R_VOLUME_DRIVER]      = { "volumes.driver", "volume drivers only local or listed in volume_drivers (VolumeDriver, --mount volume-driver, docker volume create)", "", "use the local volume driver" },
	[R_NETWORK_DRIVER]     = { "network.driver", "network creates and the existing networks attached to use a driver from network_drivers (bridge, overlay), the default IPAM, no parent interface, no host bridge name, no ConfigFrom", "", "docker network create with the bridge or overlay driver and no -o parent/bridge name" },
	[R_ULIMITS]            = { "ulimits", "ulimits only for the names in the ulimits list (no memlock, rtprio, rttime, nice)", "", "remove --ulimit" },
	[R_OOM_SCORE_ADJ]      = { "oom.score_adj", "OomScoreAdj is not negative", "", "remove --oom-score-adj" },
	[R_OOM_KILL_DISABLE]   = { "oom.kill_disable", "the OOM killer is not disabled", "", "remove --oom-kill-disable" },
	[R_ENV_SECRETS]        = { "env.secrets", "no private key, cloud access key, token or password in Env (containers, execs, services); the value is never shown", "", "pass the secret as a file (docker secret, a read-only mount, NAME_FILE=/run/secrets/...) instead of -e" },
	[R_RESTART_POLICY]     = { "restart.policy", "RestartPolicy is no, or on-failure with MaximumRetryCount 1 to 5 (not always, unless-stopped or unbounded on-failure)", "5.15", "use --restart on-failure:5 (or no)" },
	[R_MOUNT_TMPFS]        = { "mounts.tmpfs", "tmpfs mounts (--tmpfs, --mount type=tmpfs) keep noexec, nosuid and nodev; a local tmpfs volume says them in o=", "", "drop exec, suid and dev from the tmpfs options (a tmpfs volume: add noexec,nosuid,nodev to o=)" },
	[R_NETWORK_ICC]        = { "network.icc", "bridge network creates disable inter-container communication (com.docker.network.bridge.enable_icc=false)", "2.2", "docker network create -o com.docker.network.bridge.enable_icc=false" },
	[R_LOGGING_DRIVER]     = { "logging.driver", "--log-driver is the engine's default or in log_drivers (json-file, local, journald); max-size (needed by a named json-file), max-file bounded; no option sending logs elsewhere", "2.12", "remove --log-driver/--log-opt (the engine's default logging applies)" },
	[R_ARCHIVE_SPECIAL]    = { "archive.special_files", "archive uploads (docker cp into a container) hold only regular files, directories, symlinks and hard links, none set-uid or set-gid, no extended attribute outside user.*, uncompressed", "", "copy plain files (chmod u-s,g-s; no device nodes or FIFOs; an uncompressed tar)" },
	[R_MOUNT_BIND_SYMLINK] = { "mounts.bind_symlink", "bind sources are real paths sockward can resolve: no symlink anywhere in them (dockerd resolves them as root when the container starts); judged at create and again at start", "5.6", "name the real path (readlink -f), make it readable to sockward, or use a named volume" },
	[R_TENANT_ISOLATION]   = { "tenant.isolation", "an identity with a tenant acts only on its tenant's objects (others answer the engine's own 404) and cannot set, change or remove the io.sockward.* labels", "", "name an object of your own tenant; drop the io.sockward.* label" },
	[R_TENANT_QUOTA]       = { "tenant.quota", "a create stays within the tenant's quota (containers, memory, cpus, volumes of the profile's quota)", "", "remove some of the tenant's containers or volumes, or ask for a larger quota" },
};

int
rule_lookup(const char *id)
{
	for (int i = 0; i < R__COUNT; i++)
		if (strcmp(rules[i].id, id) == 0)
			return i;
	return -1;
}

static void
put_bytes(char *out, size_t cap, size_t *off, const char *s, size_t n)
{
	if (*off + 1 < cap) {
		size_t room = cap - 1 - *off;
		memcpy(out + *off, s, n < room ? n : room);
		*off += n < room ? n : room;
		out[*off] = '\0';
	}
}

static void
put_num(char *out, size_t cap, size_t *off, unsigned long long v, int neg)
{
	char b[24], *e = b + sizeof b, *p = e;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (neg)
		*--p = '-';
	put_bytes(out, cap, off, p, (size_t)(e - p));
}

/* vsnprintf(out, cap, fmt, ap), byte for byte (truncated the same way),
 * without stdio's machinery, for a fmt using only %s, %d, %u, %ld, %lu,
 * %lld, %llu, %zu, %zd, %c, %.*s and %% (what the rules' texts use): a
 * denial formats a dozen texts, each was a vsnprintf of ~700 instructions.
 * -1, having read part of ap, at the first other conversion. */
static int
text_format(char *out, size_t cap, const char *fmt, va_list ap)
{
	size_t off = 0;
	const char *f = fmt, *pct;

	out[0] = '\0';
	while ((pct = strchr(f, '%')) != NULL) {
		put_bytes(out, cap, &off, f, (size_t)(pct - f));
		f = pct + 1;
		int lng = 0, sz = 0, prec = -1;
		if (f[0] == '.' && f[1] == '*' && f[2] == 's') {
			prec = va_arg(ap, int);
			f += 2;
		} else if (*f == 'l') {
			lng = f[1] == 'l' ? 2 : 1;
			f += lng;
		} else if (*f == 'z') {
			sz = 1;
			f++;
		}
		switch (*f++) {
		case '%':
			if (lng || sz)
				return -1;   /* %l%, %z% */
			put_bytes(out, cap, &off, "%", 1);
			break;
		case 's': {
			if (lng || sz)
				return -1;   /* %ls, %zs */
			const char *a = va_arg(ap, const char *);
			/* glibc: NULL is "(null)", or nothing when a precision
			 * below its length would cut it */
			if (a == NULL)
				a = prec < 0 || prec >= 6 ? "(null)" : "";
			put_bytes(out, cap, &off, a, prec < 0 ? strlen(a) : strnlen(a, (size_t)prec));
			break;
		}
		case 'c': {
			if (lng || sz)
				return -1;   /* %lc */
			char ch = (char)va_arg(ap, int);
			put_bytes(out, cap, &off, &ch, 1);
			break;
		}
		case 'd': {
			long long v = sz ? (long long)va_arg(ap, ssize_t) : lng == 2 ? va_arg(ap, long long)
			    : lng == 1 ? (long long)va_arg(ap, long) : (long long)va_arg(ap, int);
			put_num(out, cap, &off, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v,
			    v < 0);
			break;
		}
		case 'u': {
			unsigned long long v = sz ? (unsigned long long)va_arg(ap, size_t)
			    : lng == 2 ? va_arg(ap, unsigned long long)
			    : lng == 1 ? (unsigned long long)va_arg(ap, unsigned long)
			    : (unsigned long long)va_arg(ap, unsigned);
			put_num(out, cap, &off, v, 0);
			break;
		}
		default:
			return -1;
		}
	}
	put_bytes(out, cap, &off, f, strlen(f));
	return 0;
}

void
viol_format(char *out, size_t cap, const char *fmt, va_list ap)
{
	va_list aq;

	if (cap == 0)
		return;
	/* one pass; a conversion it does not print goes to vsnprintf whole */
	va_copy(aq, ap);
	if (text_format(out, cap, fmt, aq) < 0)
		vsnprintf(out, cap, fmt, ap);
	va_end(aq);
}

void
textf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	viol_format(out, cap, fmt, ap);
	va_end(ap);
}

void
viol_addv(struct violations *vs, enum rule_id r, const char *fmt, va_list ap)
{
	if (vs->n == VIOL_MAX) {
		vs->overflow++;
		return;
	}
	struct violation *v = &vs->v[vs->n++];
	v->rule = r;
	v->excepted = 0;
	v->enforced = 0;
	v->exception = -1;
	v->text[0] = '\0';
	if (fmt != NULL)
		viol_format(v->text, sizeof v->text, fmt, ap);
}

void
viol_add(struct violations *vs, enum rule_id r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	viol_addv(vs, r, fmt, ap);
	va_end(ap);
}
