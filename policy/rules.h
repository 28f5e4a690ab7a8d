/* rules.h - every rule the policy can fire: stable id, what it checks, its
 * CIS Docker Benchmark v1.6 number, and the docker CLI flag that fixes it.
 * Violations carry a rule and a sentence naming the flag. */
#ifndef SOCKWARD_RULES_H
#define SOCKWARD_RULES_H

#include <stdarg.h>
#include <stddef.h>

enum rule_id {
	R_API_VERSION,
	R_ENDPOINT,
	R_PRIVILEGED,
	R_NS_NETWORK, R_NS_PID, R_NS_IPC, R_NS_UTS, R_NS_USERNS, R_NS_CGROUPNS,
	R_NS_CONTAINER,
	R_MOUNT_SOCKET, R_MOUNT_SENSITIVE, R_MOUNT_VOLUMES_FROM, R_MOUNT_VOLUME_BIND,
	R_MOUNT_PROPAGATION, R_MOUNT_BIND_PREFIX, R_MOUNT_BIND_READONLY,
	R_CAP_ADD, R_CAP_DROP,
	R_SEC_SECCOMP, R_SEC_APPARMOR, R_SEC_LABEL, R_SEC_SYSTEMPATHS, R_SEC_NNP,
	R_DEVICES, R_DEVICE_CGROUP_RULES, R_DEVICE_REQUESTS,
	R_SYSCTLS, R_CGROUP_PARENT, R_RUNTIME, R_GROUP_ADD,
	R_MASKED_PATHS, R_READONLY_PATHS,
	R_LIMIT_MEMORY, R_LIMIT_CPU, R_LIMIT_PIDS,
	R_USER_ROOT, R_ROOTFS_READONLY,
	R_PORTS_HOST_IP, R_PORTS_PUBLISH_ALL, R_PORTS_PRIVILEGED,
	R_NETWORK_DEFAULT_BRIDGE,
	R_IMAGE_PINNED, R_IMAGE_REGISTRY,
	R_EXEC_PRIVILEGED, R_EXEC_USER,
	R_BUILD_NETWORK, R_BUILD_SESSION,
	R_START_HOSTCONFIG,
	R_IMAGE_LOAD,
	R_VOLUME_DRIVER, R_NETWORK_DRIVER, R_ULIMITS, R_OOM_SCORE_ADJ, R_OOM_KILL_DISABLE,
	R_ENV_SECRETS, R_RESTART_POLICY, R_MOUNT_TMPFS, R_NETWORK_ICC,
	R_LOGGING_DRIVER,
	R_ARCHIVE_SPECIAL, R_MOUNT_BIND_SYMLINK,
	R_TENANT_ISOLATION, R_TENANT_QUOTA,
	R__COUNT
};

struct rule {
	const char *id;
	const char *checks;   /* one line for the docs */
	const char *cis;      /* "5.5", or "" */
	const char *fix;      /* flag that fixes it */
};

extern const struct rule rules[R__COUNT];

/* Index of a rule id, or -1. */
int rule_lookup(const char *id);

#define VIOL_MAX      48
#define VIOL_TEXT_MAX 512

struct violation {
	enum rule_id rule;
	char text[VIOL_TEXT_MAX];
	int excepted;          /* covered by an exception */
	int exception;         /* index of the exception that covered it */
	int enforced;          /* acts in enforce mode whatever the profile's mode */
};

struct violations {
	struct violation v[VIOL_MAX];
	size_t n;
	int overflow;
};

/* Record a violation (printf-style text).  Extra ones past VIOL_MAX are
 * counted as overflow and still deny. */
void viol_add(struct violations *vs, enum rule_id r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with a va_list; fmt NULL records the rule with an empty text
 * (a violation whose text no one will read). */
void viol_addv(struct violations *vs, enum rule_id r, const char *fmt, va_list ap);
/* vsnprintf(out, cap, fmt, ap), byte for byte; the formats the rule texts
 * use (%s %d %u, l/ll/z sizes, %%) without stdio (rules.c). */
void viol_format(char *out, size_t cap, const char *fmt, va_list ap);

/* snprintf(out, cap, fmt, ...) without a result, through viol_format: for
 * the texts the checks build on every decision. */
void textf(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
