/* check_secopt.c - security options judged by allow-list, not by bad
 * spellings: HostConfig.SecurityOpt of docker run and a service's
 * Privileges.
 *
 *   seccomp   the default profile ("builtin", or no option), or an inline
 *             profile whose defaultAction refuses (SCMP_ACT_ERRNO, _KILL,
 *             _KILL_PROCESS, _KILL_THREAD, _TRAP) and whose allowing rules
 *             name none of the calls the default profile blocks (clone only
 *             behind the default profile's namespace-flag mask, personality
 *             only with its values; a rule that applies only with a
 *             capability the container cannot hold without --cap-add is
 *             left to capabilities.add, one gated on a default capability
 *             or on one the request adds is judged).  "unconfined", an
 *             empty profile ({}: no filter at all), an allowing or logging
 *             default action, a user-space notifier: refused.
 *   apparmor  "docker-default" or a profile named in apparmor_profiles.
 *   label     only type:<a type in selinux_types>; disable, user, role,
 *             level and anything else are refused.
 *
 * Options are read like dockerd's parseSecurityOpt ("key=value", the
 * deprecated "key:value", "no-new-privileges", "disable"); every occurrence
 * is judged (dockerd keeps the last one of a key). */
#include "policy/checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/gotypes.h"

/* Calls Docker's default profile refuses (unless a capability is granted),
 * which a custom profile must not open either. */
static const char *const blocked_calls[] = {
	"acct", "add_key", "bpf", "clock_settime", "clone3",
	"create_module", "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen",
	"fspick", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
	"kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount",
	"mount_setattr", "move_mount", "move_pages", "name_to_handle_at", "nfsservctl",
	"open_by_handle_at", "open_tree", "perf_event_open", "pivot_root", "process_vm_readv",
	"process_vm_writev", "query_module", "quotactl", "quotactl_fd", "reboot", "request_key",
	"set_mempolicy", "setns", "settimeofday", "stime", "swapoff", "swapon", "sysfs",
	"_sysctl", "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86",
	"vm86old", "syslog", "vhangup", "fanotify_init", NULL
};

/* Docker's default capabilities (every container holds them unless it drops
 * them), without the CAP_ prefix. */
static const char *const default_caps[] = {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	"SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE", NULL
};
/* The engine's architecture as dockerd 20.10 names it for includes.arches
 * (the engine runs on this host: its socket is local): the libseccomp-style
 * name of Go's GOARCH, goToNative[runtime.GOARCH] in
 * profiles/seccomp/seccomp_linux.go, so "amd64" and "arm64", not the
 * kernel's x86_64 and aarch64 (a rule for ["amd64"] applies on x86-64, one
 * for ["x86_64"] never does); NULL: every rule is taken to apply. */
#if defined(__x86_64__)
#define NATIVE_ARCH "amd64"
#elif defined(__aarch64__)
#define NATIVE_ARCH "arm64"
#elif defined(__s390x__)
#define NATIVE_ARCH "s390x"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define NATIVE_ARCH "ppc64le"
#else
#define NATIVE_ARCH NULL
#endif
/* clone's flags that create namespaces (the default profile's mask:
 * CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET) */
#define CLONE_NS_MASK 2114060288LL
/* personality values the default profile allows */
static const json_int_t personality_ok[] = { 0, 8, 131072, 131080, 4294967295LL };

static const char *const refusing_actions[] = {
	"SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
	"SCMP_ACT_TRAP", NULL
};

static int
in_list(const char *const *l, const char *s)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return 1;
	return 0;
}

/* Whether the container may hold cap in its bounding set: one of Docker's
 * defaults or one the request adds (CapAdd, a StrSlice; ALL adds all).
 * Drops are not subtracted: a superset is the safe side. */
static int
may_hold(const char *cap, const json_t *capadd)
{
	char c[64], a[64];
	const json_t *e;
	size_t i;

	cap_normalize(cap, c, sizeof c);
	if (in_list(default_caps, c))
		return 1;
	if (json_is_string(capadd)) {
		cap_normalize(json_string_value(capadd), a, sizeof a);
		return strcmp(a, "ALL") == 0 || strcmp(a, c) == 0;
	}
	json_array_foreach(capadd, i, e) {
		if (!json_is_string(e))
			continue;
		cap_normalize(json_string_value(e), a, sizeof a);
		if (strcmp(a, "ALL") == 0 || strcmp(a, c) == 0)
			return 1;
	}
	return 0;
}

/* dockerd applies a rule with includes.caps only when the container holds
 * every one of them: the rule can be left to capabilities.add only when one
 * of them is a capability the container cannot hold.  A rule for other
 * architectures (includes.arches without the engine's) does not apply. */
static int
rule_may_apply(const json_t *inc, const json_t *capadd)
{
	const json_t *caps = jget(inc, "caps"), *arches = jget(inc, "arches");
	const json_t *e;
	size_t i;
	const char *native = NATIVE_ARCH;

	if (native != NULL && json_is_array(arches) && json_array_size(arches) > 0) {
		int here = 0;
		json_array_foreach(arches, i, e)
			if (json_is_string(e) && strcmp(json_string_value(e), native) == 0)
				here = 1;
		if (!here)
			return 0;
	}
	json_array_foreach(caps, i, e)
		if (json_is_string(e) && !may_hold(json_string_value(e), capadd))
			return 0;
	return 1;
}

/* runc adds a rule whose conditions share an argument as one rule per
 * condition (ORed): every condition must keep the call harmless alone. */
static int
args_keep_default(const char *call, const json_t *args)
{
	const json_t *a;
	size_t i, k;

	if (!json_is_array(args) || json_array_size(args) == 0)
		return 0;
	json_array_foreach(args, i, a) {
		const char *op = jstr(a, "op");
		json_int_t idx = json_integer_value(jget(a, "index"));
		json_int_t v = json_integer_value(jget(a, "value"));
		json_int_t v2 = json_integer_value(jget(a, "valueTwo"));
		int ok = 0;
		if (idx != 0)
			return 0;
		if (strcmp(call, "clone") == 0)
			/* (flags & v) == v2: every namespace flag masked, none required */
			ok = strcmp(op, "SCMP_CMP_MASKED_EQ") == 0 &&
			    (v & CLONE_NS_MASK) == CLONE_NS_MASK && (v2 & CLONE_NS_MASK) == 0;
		else if (strcmp(op, "SCMP_CMP_EQ") == 0)
			for (k = 0; k < sizeof personality_ok / sizeof personality_ok[0]; k++)
				if (v == personality_ok[k])
					ok = 1;
		if (!ok)
			return 0;
	}
	return 1;
}

/* NULL when the profile is acceptable, else why not (in buf) */
static const char *
seccomp_problem(const json_t *prof, const json_t *capadd, char *buf, size_t len)
{
	const char *da = jstr(prof, "defaultAction");
	const json_t *sc, *n;
	size_t i, k;

	if (!in_list(refusing_actions, da)) {
		snprintf(buf, len, "its defaultAction '%s' lets calls through; only a profile whose "
		    "defaultAction is SCMP_ACT_ERRNO or a kill/trap action is accepted", da);
		return buf;
	}
	if (jstr(prof, "listenerPath")[0] != '\0') {
		snprintf(buf, len, "it hands calls to a user-space notifier (listenerPath)");
		return buf;
	}
	json_array_foreach(jget(prof, "syscalls"), i, sc) {
		const char *action = jstr(sc, "action");
		const json_t *inc = jget(sc, "includes");
		const json_t *args = jget(sc, "args");
		const char *names[256];
		size_t nn = 0;
		if (in_list(refusing_actions, action))
			continue;
		if (!rule_may_apply(inc, capadd))
			continue;    /* not here, or only with a capability capabilities.add judges */
		if (jstr(sc, "name")[0] != '\0')
			names[nn++] = jstr(sc, "name");
		json_array_foreach(jget(sc, "names"), k, n)
			if (json_is_string(n) && nn < sizeof names / sizeof names[0])
				names[nn++] = json_string_value(n);
		for (k = 0; k < nn; k++) {
			if (in_list(blocked_calls, names[k])) {
				snprintf(buf, len, "it lets %s through (%s), which the default profile "
				    "blocks", names[k], action);
				return buf;
			}
			if ((strcmp(names[k], "clone") == 0 || strcmp(names[k], "personality") == 0) &&
			    !args_keep_default(names[k], args)) {
				snprintf(buf, len, "it lets %s through (%s) with arguments the default "
				    "profile blocks (allow it only with the default profile's argument "
				    "filters)", names[k], action);
				return buf;
			}
		}
	}
	return NULL;
}

/* text: the profile as sent (JSON); capadd: the capabilities the request
 * adds (CapAdd / CapabilityAdd) */
static void
judge_seccomp_json(struct check_ctx *c, const char *text, size_t len, const char *what,
    const json_t *capadd)
{
	char err[GODEC_ERRLEN], why[300];
	json_error_t je;
	json_t *raw = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je), *prof;

	if (raw == NULL) {
		fire(c, R_SEC_SECCOMP, "%s: not a seccomp profile (invalid JSON: %s); use the "
		    "default profile", what, je.text);
		return;
	}
	prof = godecode(&go_seccomp_profile, raw, err, sizeof err);
	json_decref(raw);
	if (prof == NULL) {
		fire(c, R_SEC_SECCOMP, "%s: not a seccomp profile (%s); use the default profile",
		    what, err);
		return;
	}
	if (seccomp_problem(prof, capadd, why, sizeof why) != NULL)
		fire(c, R_SEC_SECCOMP, "%s is not allowed: %s", what, why);
	json_decref(prof);
}

static void
judge_label(struct check_ctx *c, const char *v)
{
	if (strncmp(v, "type:", 5) == 0 && strlist_has(&c->prof->selinux_types, v + 5))
		return;
	if (strcmp(v, "disable") == 0)
		fire(c, R_SEC_LABEL, "--security-opt label=disable is not allowed");
	else
		fire(c, R_SEC_LABEL, "--security-opt label=%s is not allowed; only type:<t> with "
		    "a type from selinux_types", v);
}

static void
judge_apparmor(struct check_ctx *c, const char *v)
{
	if (strcmp(v, "docker-default") != 0 && !strlist_has(&c->prof->apparmor_profiles, v))
		fire(c, R_SEC_APPARMOR, "--security-opt apparmor=%s is not allowed; only "
		    "docker-default or a profile from apparmor_profiles", v);
}

/* Go's strconv.ParseBool */
static int
parse_bool(const char *s, int *out)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False", NULL };
	if (in_list(t, s)) { *out = 1; return 0; }
	if (in_list(f, s)) { *out = 0; return 0; }
	return -1;
}

void
check_secopts(struct check_ctx *c, const json_t *hc)
{
	const json_t *arr = jget(hc, "SecurityOpt"), *e;
	size_t i;
	int nnp = 0;

	json_array_foreach(arr, i, e) {
		const char *opt = json_string_value(e), *sep, *v;
		char key[32];
		if (opt == NULL)
			continue;
		if (strcmp(opt, "no-new-privileges") == 0) {
			nnp = 1;
			continue;
		}
		if (strcmp(opt, "disable") == 0) {
			fire(c, R_SEC_LABEL, "--security-opt label=disable is not allowed");
			continue;
		}
		if ((sep = strchr(opt, '=')) == NULL)
			sep = strchr(opt, ':');
		if (sep == NULL || (size_t)(sep - opt) >= sizeof key)
			continue;    /* dockerd rejects it: "invalid --security-opt" */
		memcpy(key, opt, (size_t)(sep - opt));
		key[sep - opt] = '\0';
		v = sep + 1;
		/* dockerd compares keys exactly; any spelling is judged here */
		if (strcasecmp(key, "no-new-privileges") == 0) {
			int b;
			if (parse_bool(v, &b) == 0)
				nnp = b;
		} else if (strcasecmp(key, "seccomp") == 0) {
			if (strcmp(v, "unconfined") == 0)
				fire(c, R_SEC_SECCOMP, "--security-opt seccomp=unconfined is not allowed");
			else if (strcmp(v, "builtin") != 0)
				judge_seccomp_json(c, v, strlen(v), "--security-opt seccomp=<profile>",
				    jget(hc, "CapAdd"));
		} else if (strcasecmp(key, "apparmor") == 0)
			judge_apparmor(c, v);
		else if (strcasecmp(key, "label") == 0)
			judge_label(c, v);
		else if (strcasecmp(key, "systempaths") == 0 && strcasecmp(v, "unconfined") == 0)
			fire(c, R_SEC_SYSTEMPATHS, "--security-opt systempaths=unconfined is not allowed");
	}
	if (!nnp)
		fire(c, R_SEC_NNP, "add --security-opt no-new-privileges");
}

/* Go's []byte in JSON: standard base64 with padding.  -1 when invalid. */
static long
base64_decode(const char *in, size_t n, unsigned char *out, size_t outlen)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *p;
		if (in[i] == '=') {
			if (i + 2 < n || (i + 1 < n && in[i + 1] != '='))
				return -1;
			break;
		}
		if ((p = strchr(tab, in[i])) == NULL || in[i] == '\0')
			return -1;
		acc = (acc << 6) | (unsigned)(p - tab);
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o >= outlen)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

/* A service's Privileges (API 1.43+ for Seccomp and AppArmor). */
void
check_service_privileges(struct check_ctx *c, const json_t *priv, const json_t *capadd)
{
	const json_t *se = jget(priv, "SELinuxContext");
	const json_t *sc = jget(priv, "Seccomp");
	const char *seccomp = jstr(sc, "Mode");
	const char *apparmor = jstr(jget(priv, "AppArmor"), "Mode");
	const char *type = jstr(se, "Type");

	if (jbool(se, "Disable"))
		fire(c, R_SEC_LABEL, "Privileges.SELinuxContext.Disable is not allowed "
		    "(remove it from the service spec)");
	if (jstr(se, "User")[0] || jstr(se, "Role")[0] || jstr(se, "Level")[0])
		fire(c, R_SEC_LABEL, "Privileges.SELinuxContext User, Role and Level are not "
		    "allowed (remove them from the service spec)");
	if (type[0] != '\0' && !strlist_has(&c->prof->selinux_types, type))
		fire(c, R_SEC_LABEL, "Privileges.SELinuxContext.Type %s is not in selinux_types",
		    type);
	/* the executor compares exactly; anything but the default is judged */
	if (strcmp(seccomp, "custom") == 0) {
		const char *b64 = jstr(sc, "Profile");
		size_t n = strlen(b64);
		unsigned char *buf = malloc(n + 1);
		long len = buf ? base64_decode(b64, n, buf, n + 1) : -1;
		if (len < 0)
			fire(c, R_SEC_SECCOMP, "Privileges.Seccomp.Profile is not valid base64");
		else
			judge_seccomp_json(c, (const char *)buf, (size_t)len,
			    "Privileges.Seccomp custom profile", capadd);
		free(buf);
	} else if (seccomp[0] != '\0' && strcmp(seccomp, "default") != 0)
		fire(c, R_SEC_SECCOMP, "Privileges.Seccomp.Mode %s is not allowed "
		    "(remove it from the service spec)", seccomp);
	if (apparmor[0] != '\0' && strcmp(apparmor, "default") != 0)
		fire(c, R_SEC_APPARMOR, "Privileges.AppArmor.Mode %s is not allowed "
		    "(remove it from the service spec)", apparmor);
	/* dockerd 20.10 has no Privileges.NoNewPrivileges (api/types/swarm
	 * Privileges: CredentialSpec, SELinuxContext), and later engines drop
	 * it, with Seccomp and AppArmor, for a request below API 1.44
	 * (api/server/router/swarm/helpers.go adjustForAPIVersion): only a
	 * request at 1.44 or later gets its tasks no-new-privileges.  An
	 * unversioned request is taken at dockerd 20.10's version. */
	int nnp_kept = c->rt != NULL && c->rt->has_version &&
	    API_VERSION(c->rt->major, c->rt->minor) >= API_VERSION(1, 44);
	if (!jbool(priv, "NoNewPrivileges"))
		fire(c, R_SEC_NNP, "set Privileges.NoNewPrivileges to true in the service spec "
		    "(docker service create has no flag for it)");
	else if (!nnp_kept)
		fire(c, R_SEC_NNP, "Privileges.NoNewPrivileges is dropped by the engine below "
		    "API 1.44 (dockerd 20.10 has no such field): the tasks would run without "
		    "no-new-privileges; send the request at API 1.44 or later to an engine "
		    "that keeps it");
}
