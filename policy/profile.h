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
	struct strlist host_ips;
	int64_t min_host_port;
	enum ns_join container_namespaces;
	struct strlist images;              /* repository globs; empty = any */
	int image_ids;                      /* images named by ID pass image.registry */
	struct strlist volume_drivers;      /* volume drivers allowed (exact) */
	struct strlist network_drivers;     /* network drivers allowed (exact) */
	struct strlist ulimits;             /* ulimit names allowed (exact) */
	struct strlist apparmor_profiles;   /* besides docker-default */
	struct strlist selinux_types;       /* label=type:<t> allowed */
	int buildkit;                       /* BuildKit sessions allowed */
	struct strlist endpoints_allow;     /* endpoint id globs */
	struct strlist endpoints_deny;
	int unknown_endpoints;              /* 1: allowed */
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
void id_match_free(struct id_match *m);

#endif
