/* profile.h - a loaded policy: profiles (rule switches and their limits),
 * identity bindings and exceptions.  Immutable once built. */
#ifndef SOCKWARD_PROFILE_H
#define SOCKWARD_PROFILE_H

#include <stdint.h>

#include "policy/identity.h"
#include "policy/policy.h"
#include "policy/rules.h"
#include "policy/strlist.h"

enum ns_join { NS_JOIN_DENY, NS_JOIN_COMPLIANT };

struct profile {
	char *name;
	enum pol_mode mode;
	unsigned char rule_on[R__COUNT];
	/* The most a rule's violation can do in this profile: POL_MODE_ENFORCE
	 * (as the profile's mode says), POL_MODE_WARN or POL_MODE_AUDIT.  A
	 * violation acts in the more lenient of the profile's mode and this:
	 * baseline warns on env.secrets, restricted on network.icc. */
	unsigned char rule_mode[R__COUNT];

	int64_t memory_max;          /* bytes */
	int64_t nano_cpus_max;       /* 1e9 = one CPU */
	int64_t pids_max;

	struct strlist bind_prefixes;       /* host paths bind mounts may come from */
	int bind_readonly;                  /* bind mounts must be read-only */
	struct strlist sensitive_paths;
	struct strlist socket_paths;
	int cap_add_allowlist;              /* 1: cap_add lists allowed caps; 0: denied caps */
	struct strlist cap_add;             /* normalised names, without CAP_ */
	int cap_drop_all;
	struct strlist sysctls;             /* safe sysctl names (globs) */
	struct strlist group_add;
	struct strlist runtimes;
	struct strlist cgroup_parents;
	struct strlist host_ips;            /* addresses or CIDR prefixes (127.0.0.0/8) */
	int64_t min_host_port;
	enum ns_join container_namespaces;
	struct strlist images;              /* repository globs; empty = any */
	int image_ids;                      /* images named by ID pass image.registry */
	struct strlist volume_drivers;      /* volume drivers allowed (exact) */
	struct strlist volume_types;        /* local volumes' type= with a device (exact) */
	struct strlist network_drivers;     /* network drivers allowed (exact) */
	struct strlist ulimits;             /* ulimit names allowed (exact) */
	struct strlist apparmor_profiles;   /* besides docker-default */
	struct strlist selinux_types;       /* label=type:<t> allowed */
	struct strlist log_drivers;         /* log drivers a request may name (exact) */
	int64_t log_max_size;               /* max-size, max-buffer-size bound (bytes) */
	int64_t log_max_files;              /* max-file bound */
	int buildkit;                       /* BuildKit sessions allowed */
	struct strlist endpoints_allow;     /* endpoint id globs */
	struct strlist endpoints_deny;
	int unknown_endpoints;              /* 1: allowed */
	/* quota of a tenant bound to this profile (0 = no quota): containers
	 * (count, running or not), memory and nano_cpus (sums of the limits
	 * of its containers), volumes (count) */
	struct quota {
		int64_t containers, memory, nano_cpus, volumes;
	} quota;
};

/* Identity match for bindings and exceptions; every set field must match. */
struct id_match {
	char *cn, *san, *user, *group;   /* globs; NULL = any */
	long uid, gid;                   /* -1 = any */
	int insecure;                    /* 1: only insecure listeners */
	int any;                         /* "*": everyone */
};

struct binding {
	struct id_match match;
	const struct profile *profile;
	char *tenant;                    /* NULL: an operator (no ownership checks) */
};

struct exception {
	int rule;                        /* rule index */
	struct id_match match;
	struct strlist images;           /* globs on the image; empty = any */
	char *reason;
	char *name;                      /* "rule for identity", for logs */
};

struct policy {
	int api_min, api_max;            /* major*1000 + minor */
	struct profile **profiles;
	size_t nprofiles;
	const struct profile *default_profile;
	struct binding *bindings;
	size_t nbindings;
	struct exception *exceptions;
	size_t nexceptions;
};

#define API_VERSION(maj, min) ((maj) * 1000 + (min))
#define API_MIN_DEFAULT API_VERSION(1, 24)
#define API_MAX_KNOWN   API_VERSION(1, 51)

/* Built-in profiles; name NULL-terminated list. */
struct profile *profile_builtin(const char *name);
struct profile *profile_clone(const struct profile *src, const char *name);
void profile_free(struct profile *p);
const struct profile *policy_find_profile(const struct policy *p, const char *name);

int id_match(const struct id_match *m, const struct sw_identity *id);

/* Is ip (as HostIp spells it) inside one of the host_ips entries (an address
 * or a CIDR prefix)?  Compared as addresses: 127.0.0.2 is in 127.0.0.0/8,
 * ::ffff:127.0.0.2 too. */
int host_ip_allowed(const struct strlist *host_ips, const char *ip);
/* 0 when s is an IPv4/IPv6 address or a CIDR prefix of one. */
int host_ip_entry_ok(const char *s);

/* The mode a violation of rule r acts in under profile p. */
enum pol_mode profile_rule_mode(const struct profile *p, int r);
void id_match_free(struct id_match *m);

#endif
