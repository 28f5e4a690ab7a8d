/* profile.c - the built-in profiles: restricted, baseline, unrestricted. */
#include "policy/profile.h"

#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const default_sensitive[] = {
	"/", "/etc", "/boot", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/bin",
	"/sbin", "/proc", "/sys", "/dev", "/root", "/var/lib/docker",
	"/var/lib/containerd", "/var/log", "/run/containerd", "/var/run/containerd",
	NULL
};
static const char *const default_sockets[] = {
	"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
	"/var/run/containerd/containerd.sock", NULL
};
/* Namespaced sysctls Kubernetes considers safe. */
static const char *const default_sysctls[] = {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", NULL
};
/* Capabilities that break out of a container or reach what the host shares
 * with it (baseline denies them): the host's audit rules and log
 * (AUDIT_CONTROL, AUDIT_READ), process accounting (SYS_PACCT), real-time
 * scheduling (SYS_NICE), the terminal (SYS_TTY_CONFIG), suspend and wake
 * alarms (BLOCK_SUSPEND, WAKE_ALARM). */
static const char *const dangerous_caps[] = {
	"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "SYS_BOOT",
	"SYS_TIME", "DAC_READ_SEARCH", "NET_ADMIN", "BPF", "PERFMON", "MAC_ADMIN",
	"MAC_OVERRIDE", "SYSLOG", "LINUX_IMMUTABLE", "SYS_RESOURCE", "AUDIT_CONTROL",
	"AUDIT_READ", "SYS_PACCT", "SYS_NICE", "SYS_TTY_CONFIG", "BLOCK_SUSPEND",
	"WAKE_ALARM", NULL
};
/* Resource limits a container may set for itself: none lets it pin memory
 * (memlock), take real-time priority (rtprio, rttime) or raise its nice
 * level (nice). */
static const char *const default_ulimits[] = {
	"core", "cpu", "data", "fsize", "locks", "msgqueue", "nofile", "nproc", "as",
	"sigpending", "stack", NULL
};
static const char *const default_network_drivers[] = { "bridge", "overlay", NULL };
static const char *const default_selinux_types[] = { "container_t", NULL };
/* Log drivers that stay on the engine's host and name no address or
 * credentials; baseline adds none (no logs: not a way out). */
static const char *const default_log_drivers[] = { "json-file", "local", "journald", NULL };
/* loopback: all of 127.0.0.0/8, and ::1 */
static const char *const default_host_ips[] = { "127.0.0.0/8", "::1", NULL };
/* restricted: the whole swarm surface and plugins.  A service's tasks
 * can mount any secret or config of the swarm, which restricted keeps from
 * its users, so services are refused rather than judged. */
static const char *const swarm_endpoints[] = {
	"swarm.*", "service.*", "node.*", "task.*", "secret.*", "config.*", "plugin.*",
	"build.grpc", NULL
};
/* baseline: changes to the whole engine belong to operators.  The swarm
 * itself (init, join, leave, update, unlock; inspect and unlockkey hand out
 * the join tokens and the unlock key, with which a machine joins as a
 * manager and runs anything anywhere), node changes, and installing or
 * configuring plugins (they run privileged, for every container).  Services
 * are judged like containers (check_service.c); tasks, secrets, configs,
 * node and plugin reads are allowed. */
static const char *const baseline_endpoints[] = {
	"swarm.*", "node.update", "node.delete",
	"plugin.pull", "plugin.create", "plugin.enable", "plugin.disable", "plugin.upgrade",
	"plugin.set", "plugin.push", "plugin.delete", "build.grpc", NULL
};
/* Every built-in profile refuses BuildKit's /grpc, in every mode (policy.c):
 * its Solve requests (build steps, entitlements such as network.host) are
 * not inspected here.  A profile opens it only by name, with
 * "endpoints_allow": ["build.grpc"]. */
static const char *const grpc_endpoints[] = { "build.grpc", NULL };

static const enum rule_id baseline_rules[] = {
	R_API_VERSION, R_ENDPOINT, R_PRIVILEGED, R_NS_NETWORK, R_NS_PID, R_NS_IPC,
	R_NS_UTS, R_NS_USERNS, R_NS_CGROUPNS, R_MOUNT_SOCKET, R_MOUNT_SENSITIVE,
	R_MOUNT_VOLUME_BIND, R_CAP_ADD, R_SEC_SECCOMP, R_SEC_APPARMOR, R_SEC_LABEL,
	R_SEC_SYSTEMPATHS, R_DEVICES, R_DEVICE_CGROUP_RULES, R_MASKED_PATHS,
	R_READONLY_PATHS, R_EXEC_PRIVILEGED, R_BUILD_NETWORK, R_START_HOSTCONFIG,
	R_IMAGE_LOAD, R_ARCHIVE_SPECIAL, R_MOUNT_BIND_SYMLINK,
	R_VOLUME_DRIVER, R_NETWORK_DRIVER,
	R_ENV_SECRETS,    /* warns: rule_mode below */
	R_LOGGING_DRIVER, /* a log driver connects from the engine's host */
	R_TENANT_ISOLATION, R_TENANT_QUOTA,   /* always enforced for a tenant */
};

static int
fill(struct strlist *l, const char *const *v)
{
	for (; *v != NULL; v++)
		if (strlist_add(l, *v) < 0)
			return -1;
	return 0;
}

static struct profile *
restricted(const char *name)
{
	struct profile *p = calloc(1, sizeof *p);

	if (p == NULL || (p->name = strdup(name)) == NULL)
		goto fail;
	p->mode = POL_MODE_ENFORCE;
	memset(p->rule_on, 1, sizeof p->rule_on);
	p->memory_max = 4LL << 30;
	p->nano_cpus_max = 4LL * 1000000000LL;
	p->pids_max = 4096;
	p->bind_readonly = 1;
	p->cap_add_allowlist = 1;
	p->cap_drop_all = 1;
	p->min_host_port = 1024;
	p->log_max_size = 100LL << 20;
	p->log_max_files = 10;
	/* joining a compliant container grants nothing it does not have
	 * (compose's network_mode: service:x) */
	p->container_namespaces = NS_JOIN_COMPLIANT;
	/* an ICC-enabled network is worth a warning, not a refusal */
	p->rule_mode[R_NETWORK_ICC] = POL_MODE_WARN;
	p->buildkit = 0;
	p->unknown_endpoints = 0;
	if (fill(&p->sensitive_paths, default_sensitive) < 0 ||
	    fill(&p->socket_paths, default_sockets) < 0 ||
	    fill(&p->sysctls, default_sysctls) < 0 ||
	    fill(&p->host_ips, default_host_ips) < 0 ||
	    fill(&p->endpoints_deny, swarm_endpoints) < 0 ||
	    fill(&p->ulimits, default_ulimits) < 0 ||
	    fill(&p->network_drivers, default_network_drivers) < 0 ||
	    fill(&p->selinux_types, default_selinux_types) < 0 ||
	    fill(&p->log_drivers, default_log_drivers) < 0 ||
	    strlist_add(&p->volume_drivers, "local") < 0 ||
	    strlist_add(&p->volume_types, "tmpfs") < 0 ||
	    strlist_add(&p->runtimes, "runc") < 0)
		goto fail;
	return p;
fail:
	profile_free(p);
	return NULL;
}

struct profile *
profile_builtin(const char *name)
{
	struct profile *p;

	if (strcmp(name, "restricted") == 0)
		return restricted(name);
	if (strcmp(name, "baseline") == 0) {
		if ((p = restricted(name)) == NULL)
			return NULL;
		memset(p->rule_on, 0, sizeof p->rule_on);
		for (size_t i = 0; i < sizeof baseline_rules / sizeof baseline_rules[0]; i++)
			p->rule_on[baseline_rules[i]] = 1;
		p->rule_mode[R_ENV_SECRETS] = POL_MODE_WARN;
		p->cap_add_allowlist = 0;
		p->buildkit = 1;
		strlist_free(&p->endpoints_deny);
		if (fill(&p->cap_add, dangerous_caps) < 0 ||
		    strlist_add(&p->log_drivers, "none") < 0 ||
		    fill(&p->endpoints_deny, baseline_endpoints) < 0) {
			profile_free(p);
			return NULL;
		}
		return p;
	}
	if (strcmp(name, "unrestricted") == 0) {
		if ((p = restricted(name)) == NULL)
			return NULL;
		p->mode = POL_MODE_AUDIT;
		p->buildkit = 1;
		p->unknown_endpoints = 1;
		strlist_free(&p->endpoints_deny);
		if (fill(&p->endpoints_deny, grpc_endpoints) < 0) {
			profile_free(p);
			return NULL;
		}
		return p;
	}
	return NULL;
}

struct profile *
profile_clone(const struct profile *src, const char *name)
{
	struct profile *p = calloc(1, sizeof *p);

	if (p == NULL)
		return NULL;
	*p = *src;
	/* detach every owned member before copying it */
	struct strlist *lists[] = {
		&p->bind_prefixes, &p->sensitive_paths, &p->socket_paths, &p->cap_add,
		&p->sysctls, &p->group_add, &p->runtimes, &p->cgroup_parents, &p->host_ips,
		&p->images, &p->endpoints_allow, &p->endpoints_deny, &p->volume_drivers,
		&p->network_drivers, &p->ulimits, &p->apparmor_profiles, &p->selinux_types,
		&p->log_drivers, &p->volume_types,
	};
	const struct strlist *srcs[] = {
		&src->bind_prefixes, &src->sensitive_paths, &src->socket_paths, &src->cap_add,
		&src->sysctls, &src->group_add, &src->runtimes, &src->cgroup_parents,
		&src->host_ips, &src->images, &src->endpoints_allow, &src->endpoints_deny,
		&src->volume_drivers, &src->network_drivers, &src->ulimits,
		&src->apparmor_profiles, &src->selinux_types, &src->log_drivers,
		&src->volume_types,
	};
	p->name = NULL;
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		memset(lists[i], 0, sizeof *lists[i]);
	if ((p->name = strdup(name)) == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (strlist_copy(lists[i], srcs[i]) < 0)
			goto fail;
	return p;
fail:
	profile_free(p);
	return NULL;
}

void
profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	free(p->name);
	strlist_free(&p->bind_prefixes);
	strlist_free(&p->sensitive_paths);
	strlist_free(&p->socket_paths);
	strlist_free(&p->cap_add);
	strlist_free(&p->sysctls);
	strlist_free(&p->group_add);
	strlist_free(&p->runtimes);
	strlist_free(&p->cgroup_parents);
	strlist_free(&p->host_ips);
	strlist_free(&p->images);
	strlist_free(&p->endpoints_allow);
	strlist_free(&p->endpoints_deny);
	strlist_free(&p->volume_drivers);
	strlist_free(&p->volume_types);
	strlist_free(&p->network_drivers);
	strlist_free(&p->log_drivers);
	strlist_free(&p->ulimits);
	strlist_free(&p->apparmor_profiles);
	strlist_free(&p->selinux_types);
	free(p);
}

const struct profile *
policy_find_profile(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nprofiles; i++)
		if (strcmp(p->profiles[i]->name, name) == 0)
			return p->profiles[i];
	return NULL;
}

static int
glob_ok(const char *pattern, const char *s)
{
	return pattern == NULL || fnmatch(pattern, s, 0) == 0;
}

/* A DNS name is the same name in any case (RFC 4343; Go's x509 and every
 * TLS client compare them so): "DNS:*.ci.example" must match a certificate
 * for BUILD.CI.EXAMPLE, or a restricting binding would be passed over for
 * a later, wider one.  The certificate's names are ASCII (IA5String) and
 * the daemon runs in the C locale, so the fold is ASCII's.  Other kinds
 * (an email's local part, a URI's path) are compared as written. */
static int
san_match(const char *pattern, const char *san)
{
	int flags = strncmp(san, "DNS:", 4) == 0 ? FNM_CASEFOLD : 0;
	return fnmatch(pattern, san, flags) == 0;
}

int
id_match(const struct id_match *m, const struct sw_identity *id)
{
	if (m->any)
		return 1;
	if (m->insecure)
		return id->kind == SW_ID_INSECURE;
	if (m->cn != NULL || m->san != NULL) {
		if (id->kind != SW_ID_CERT || !glob_ok(m->cn, id->cn))
			return 0;
		if (m->san != NULL) {
			size_t i;
			for (i = 0; i < id->nsans; i++)
				if (san_match(m->san, id->sans[i]))
					break;
			if (i == id->nsans)
				return 0;
		}
		return 1;
	}
	if (m->uid >= 0 || m->gid >= 0 || m->user != NULL || m->group != NULL) {
		if (id->kind != SW_ID_UNIX)
			return 0;
		return (m->uid < 0 || m->uid == id->uid) && (m->gid < 0 || m->gid == id->gid) &&
		    (m->user == NULL || (id->user[0] && glob_ok(m->user, id->user))) &&
		    (m->group == NULL || (id->group[0] && glob_ok(m->group, id->group)));
	}
	return 0;
}

void
id_match_free(struct id_match *m)
{
	free(m->cn);
	free(m->san);
	free(m->user);
	free(m->group);
	memset(m, 0, sizeof *m);
}

enum pol_mode
profile_rule_mode(const struct profile *p, int r)
{
	enum pol_mode m = r >= 0 && r < R__COUNT ? (enum pol_mode)p->rule_mode[r] : POL_MODE_ENFORCE;
	return m > p->mode ? m : p->mode;   /* the more lenient */
}

/* An address or a CIDR prefix: family, bytes, prefix length. */
static int
ip_parse(const char *s, int *af, unsigned char *b, int *bits)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	char *end;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, b) == 1)
		*af = AF_INET, *bits = 32;
	else if (inet_pton(AF_INET6, buf, b) == 1)
		*af = AF_INET6, *bits = 128;
	else
		return -1;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		long v = strtol(slash + 1, &end, 10);
		if (*end != '\0' || v < 0 || v > *bits)
			return -1;
		*bits = (int)v;
	}
	/* an IPv4-mapped IPv6 address is the IPv4 address (Go's To4) */
	static const unsigned char mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
	if (*af == AF_INET6 && memcmp(b, mapped, 12) == 0 && (slash == NULL || *bits >= 96)) {
		memmove(b, b + 12, 4);
		*af = AF_INET;
		*bits = slash ? *bits - 96 : 32;
	}
	return 0;
}

int
host_ip_entry_ok(const char *s)
{
	int af, bits;
	unsigned char b[16];
	return ip_parse(s, &af, b, &bits);
}

int
host_ip_allowed(const struct strlist *l, const char *ip)
{
	int af, bits, eaf, ebits;
	unsigned char b[16], e[16];

	if (strchr(ip, '/') != NULL || ip_parse(ip, &af, b, &bits) < 0)
		return 0;
	/* the unspecified address in any spelling ("0:0::0", "::ffff:0.0.0.0",
	 * which Go's To4 makes 0.0.0.0): every interface, never allowed */
	static const unsigned char zero[16];
	if (memcmp(b, zero, af == AF_INET ? 4 : 16) == 0)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		if (ip_parse(l->v[i], &eaf, e, &ebits) < 0 || eaf != af)
			continue;
		int full = ebits / 8, rest = ebits % 8;
		if (memcmp(b, e, (size_t)full) != 0)
			continue;
		if (rest && ((b[full] ^ e[full]) & (0xff << (8 - rest)) & 0xff))
			continue;
		return 1;
	}
	return 0;
}

const char *
pol_mode_name(enum pol_mode m)
{
	static const char *const names[] = { "enforce", "warn", "audit" };
	return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "unknown";
}
