/* check_hostconfig.c - rules on a HostConfig: privileged, namespaces,
 * capabilities, security options, devices, sysctls, cgroups, limits, ports
 * and the default bridge.  Mounts are in check_mounts.c. */
#include "policy/checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/gofold.h"

struct ns_rule {
	const char *field;
	const char *flag;
	enum rule_id rule;
	int can_join;        /* accepts container:<id> */
};

static const struct ns_rule ns_rules[] = {
	{ "NetworkMode",  "--network",  R_NS_NETWORK,  1 },
	{ "PidMode",      "--pid",      R_NS_PID,      1 },
	{ "IpcMode",      "--ipc",      R_NS_IPC,      1 },
	{ "UTSMode",      "--uts",      R_NS_UTS,      0 },
	{ "UsernsMode",   "--userns",   R_NS_USERNS,   0 },
	{ "CgroupnsMode", "--cgroupns", R_NS_CGROUPNS, 0 },
};

/* A container whose namespace is joined must itself be compliant. */
static void
check_joined_container(struct check_ctx *c, const char *flag, const char *id)
{
	const struct pol_lookup *l;
	struct violations tmp = { .n = 0 };
	struct check_ctx sub;

	if (c->prof->container_namespaces == NS_JOIN_DENY || c->req == NULL) {
		fire(c, R_NS_CONTAINER, "%s container:%s is not allowed", flag, id);
		return;
	}
	/* a joined container that joins another one passes that one's
	 * namespace on (X --network container:Y, Y --network host): not
	 * compliant, whatever Y is */
	if (c->judging_joined) {
		fire(c, R_NS_CONTAINER, "%s container:%s (a chain of joined containers) is "
		    "not allowed", flag, id);
		return;
	}
	if ((l = check_lookup(c, POL_LOOKUP_CONTAINER, id)) == NULL)
		return;
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, R_NS_CONTAINER, "%s container:%s: cannot verify that container "
		    "(engine answered %d)", flag, id, l->status);
		return;
	}
	sub = *c;
	sub.vs = &tmp;
	sub.judging_joined = 1;   /* no further joins or volume lookups; its networks are looked up */
	const json_t *hc = jget(l->json, "HostConfig");
	if (!json_is_object(hc)) {
		fire(c, R_NS_CONTAINER, "%s container:%s: cannot verify that container "
		    "(no HostConfig)", flag, id);
		return;
	}
	check_hostconfig(&sub, hc);
	check_mounts(&sub, hc);
	/* the joined container's networks are looked up too: judged again
	 * with the answers */
	if (sub.need_lookup) {
		c->need_lookup = 1;
		return;
	}
	/* the engine's view carries its defaults, which the request that made
	 * that container may never have asked for: the default bridge,
	 * CgroupnsMode "host" on a cgroup v1 host, the engine's default
	 * Runtime (whatever runtime runs it, its namespaces are what is
	 * joined), the default MaskedPaths/ReadonlyPaths (both empty, i.e.
	 * systempaths=unconfined, still counts); its restart policy is not
	 * joined either */
	for (size_t i = 0; i < tmp.n; i++)
		if (profile_rule_mode(c->prof, (int)tmp.v[i].rule) == POL_MODE_ENFORCE &&
		    tmp.v[i].rule != R_NETWORK_DEFAULT_BRIDGE && tmp.v[i].rule != R_NS_CGROUPNS &&
		    tmp.v[i].rule != R_RESTART_POLICY && tmp.v[i].rule != R_LOGGING_DRIVER &&
		    tmp.v[i].rule != R_RUNTIME && tmp.v[i].rule != R_MASKED_PATHS &&
		    tmp.v[i].rule != R_READONLY_PATHS) {
			fire(c, R_NS_CONTAINER, "%s container:%s: that container is not compliant "
			    "([%s])", flag, id, rules[tmp.v[i].rule].id);
			return;
		}
}

static void
check_namespaces(struct check_ctx *c, const json_t *hc)
{
	for (size_t i = 0; i < sizeof ns_rules / sizeof ns_rules[0]; i++) {
		const struct ns_rule *r = &ns_rules[i];
		const char *v = jstr(hc, r->field);
		/* dockerd compares exactly; any spelling of host is refused */
		if (strcasecmp(v, "host") == 0)
			fire(c, r->rule, "%s host is not allowed", r->flag);
		else if (strncasecmp(v, "container:", 10) == 0) {
			if (r->can_join)
				check_joined_container(c, r->flag, v + 10);
			else
				fire(c, R_NS_CONTAINER, "%s %s is not allowed", r->flag, v);
		}
	}
}

static void
check_network(struct check_ctx *c, const json_t *hc)
{
	const char *nm = jstr(hc, "NetworkMode");
	if (nm[0] == '\0' || strcmp(nm, "default") == 0 || strcmp(nm, "bridge") == 0)
		fire(c, R_NETWORK_DEFAULT_BRIDGE, "the default bridge network is not allowed "
		    "(use --network <user-defined network>)");
	else if (network_needs_lookup(nm))
		check_network_ref(c, nm, "--network");
	/* HostConfig.Cgroup: the cgroup of another container */
	const char *cg = jstr(hc, "Cgroup");
	if (cg[0] != '\0')
		fire(c, R_NS_CONTAINER, "HostConfig.Cgroup %s is not allowed", cg);
}

/* StrSlice: a string or an array of strings; calls fn on each. */
static size_t
strslice_items(const json_t *v, const char **items, size_t max)
{
	size_t n = 0, i;
	const json_t *e;

	if (json_is_string(v)) {
		items[0] = json_string_value(v);
		return 1;
	}
	json_array_foreach(v, i, e)
		if (n < max && json_is_string(e))
			items[n++] = json_string_value(e);
	return n;
}

/* CapAdd/CapDrop of a HostConfig, CapabilityAdd/CapabilityDrop of a
 * service's ContainerSpec: docker run and docker service create share the
 * --cap-add/--cap-drop flags. */
void
check_cap_lists(struct check_ctx *c, const json_t *add, const json_t *drop)
{
	const char *items[64];
	char cap[64];
	size_t n = strslice_items(add, items, 64);
	int drop_all = 0;

	for (size_t i = 0; i < n; i++) {
		cap_normalize(items[i], cap, sizeof cap);
		int listed = strlist_has(&c->prof->cap_add, cap);
		if (c->prof->cap_add_allowlist ? !listed : listed)
			fire(c, R_CAP_ADD, "--cap-add %s is not allowed", cap);
	}
	n = strslice_items(drop, items, 64);
	for (size_t i = 0; i < n; i++) {
		cap_normalize(items[i], cap, sizeof cap);
		if (strcmp(cap, "ALL") == 0)
			drop_all = 1;
	}
	if (c->prof->cap_drop_all && !drop_all)
		fire(c, R_CAP_DROP, "add --cap-drop ALL");
}

static int
nonempty_array(const json_t *hc, const char *key)
{
	const json_t *v = jget(hc, key);
	return json_is_array(v) && json_array_size(v) > 0;
}

static void
check_devices(struct check_ctx *c, const json_t *hc)
{
	const json_t *devs = jget(hc, "Devices"), *d;
	size_t i;

	json_array_foreach(devs, i, d)
		fire(c, R_DEVICES, "--device %s is not allowed", jstr(d, "PathOnHost"));
	if (nonempty_array(hc, "DeviceCgroupRules"))
		fire(c, R_DEVICE_CGROUP_RULES, "--device-cgroup-rule is not allowed");
	if (nonempty_array(hc, "DeviceRequests"))
		fire(c, R_DEVICE_REQUESTS, "--gpus / device requests are not allowed");
}

/* dockerd puts the container's cgroup at filepath.Join(CgroupParent, id)
 * with the cgroupfs driver (daemon/oci_linux.go WithCgroups), and Join
 * cleans: "/tenants/../.." is the root cgroup, out of the tree that a glob
 * for every cgroup under /tenants allows.  So the cleaned path is judged
 * (the systemd driver takes a slice name, which has no '/' to clean). */
void
check_cgroup_parent(struct check_ctx *c, const char *cp, const char *flag)
{
	char clean[1024], is[1040] = "";

	if (cp[0] == '\0')
		return;
	if (go_path_clean(cp, clean, sizeof clean) != 0) {
		fire(c, R_CGROUP_PARENT, "%s is too long to judge", flag);
		return;
	}
	if (strlist_match(&c->prof->cgroup_parents, clean))
		return;
	if (strcmp(clean, cp) != 0)
		textf(is, sizeof is, " (it is %s)", clean);
	fire(c, R_CGROUP_PARENT, "%s %s is not allowed%s", flag, cp, is);
}

static void
check_cgroup_runtime_groups(struct check_ctx *c, const json_t *hc)
{
	const char *cp = jstr(hc, "CgroupParent"), *rt = jstr(hc, "Runtime");
	const json_t *groups = jget(hc, "GroupAdd"), *g;
	size_t i;

	check_cgroup_parent(c, cp, "--cgroup-parent");
	if (rt[0] != '\0' && !strlist_has(&c->prof->runtimes, rt))
		fire(c, R_RUNTIME, "--runtime %s is not allowed", rt);
	json_array_foreach(groups, i, g)
		if (json_is_string(g) && !strlist_has(&c->prof->group_add, json_string_value(g)))
			fire(c, R_GROUP_ADD, "--group-add %s is not allowed", json_string_value(g));
	/* null keeps the defaults; any array, even [], replaces them.  Both
	 * empty is how the docker CLI sends --security-opt systempaths=unconfined
	 * (dockerd itself refuses that option in SecurityOpt), so it is judged
	 * under that rule: its message and its exceptions are the ones the user
	 * knows. */
	const json_t *mp = jget(hc, "MaskedPaths");
	const json_t *rp = jget(hc, "ReadonlyPaths");
	if (json_is_array(mp) && json_array_size(mp) == 0 &&
	    json_is_array(rp) && json_array_size(rp) == 0) {
		fire(c, R_SEC_SYSTEMPATHS, "--security-opt systempaths=unconfined is not allowed");
		return;
	}
	if (json_is_array(mp))
		fire(c, R_MASKED_PATHS, "overriding MaskedPaths is not allowed");
	if (json_is_array(rp))
		fire(c, R_READONLY_PATHS, "overriding ReadonlyPaths is not allowed");
}

/* HostConfig.Sysctls or ContainerSpec.Sysctls (--sysctl for both CLIs) */
void
check_sysctl_map(struct check_ctx *c, const json_t *sysctls)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)sysctls, key, v)
		if (!strlist_match(&c->prof->sysctls, key))
			fire(c, R_SYSCTLS, "--sysctl %s is not in the safe set", key);
}

/* nat.ParsePortRange: "8080" or "8000-8100"; returns the lowest port. */
static int
lowest_port(const char *s, long *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	long v = strtol(s, &end, 10);
	if ((*end != '\0' && *end != '-') || v > 65535)
		return -1;
	*out = v;
	return 0;
}

static void
check_ports(struct check_ctx *c, const json_t *hc)
{
	const char *port;
	json_t *list, *b;
	size_t i;

	if (jbool(hc, "PublishAllPorts"))
		fire(c, R_PORTS_PUBLISH_ALL, "-P/--publish-all is not allowed");
	json_object_foreach((json_t *)jget(hc, "PortBindings"), port, list) {
		json_array_foreach(list, i, b) {
			const char *ip = jstr(b, "HostIp"), *hp = jstr(b, "HostPort");
			long lo;
			if (ip[0] == '\0' || strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0 ||
			    !host_ip_allowed(&c->prof->host_ips, ip))
				fire(c, R_PORTS_HOST_IP, "port %s published on '%s', publish as "
				    "-p 127.0.0.1:%s:%s", port, ip, hp[0] ? hp : "HOSTPORT", port);
			if (hp[0] != '\0') {
				if (lowest_port(hp, &lo) < 0)
					fire(c, R_PORTS_PRIVILEGED, "host port '%s' is not a port", hp);
				else if (lo != 0 && lo < c->prof->min_host_port)
					fire(c, R_PORTS_PRIVILEGED, "host port %ld is below %lld", lo,
					    (long long)c->prof->min_host_port);
			}
		}
	}
}

/* daemon_unix.go getCPUResources: NanoCpus gives a 100ms period and a quota
 * of NanoCpus * 100000 / 1e9 (computed here as NanoCpus / 10000, the same
 * value without the overflow); CpuPeriod and CpuQuota override them.  runc
 * writes no quota for 0 (cgroup v2: "max", systemd: infinity), so a
 * NanoCpus below 10000 is no limit, and a negative quota is none either. */
void
cpu_cfs(int64_t nano, int64_t period, int64_t quota, int64_t *q, int64_t *p)
{
	*p = 100000;
	*q = -1;
	if (nano > 0)
		*q = nano / 10000;
	if (period != 0)
		*p = period;
	if (quota != 0)
		*q = quota;
}

void
check_limits(struct check_ctx *c, const json_t *res, int is_update)
{
	const struct profile *p = c->prof;
	char max[32];
	int has_mem, has_nano, has_quota, has_pids;
	int64_t mem = jint(res, "Memory", &has_mem);
	int64_t nano = jint(res, "NanoCpus", &has_nano);
	int64_t quota = jint(res, "CpuQuota", &has_quota);
	int64_t period = jint(res, "CpuPeriod", NULL);
	int64_t pids = jint(res, "PidsLimit", &has_pids);
	int has_swap;
	int64_t swap = jint(res, "MemorySwap", &has_swap);

	/* the limits are written out only for a message (most requests keep
	 * within them) */
	if (is_update ? (has_mem && (mem < 0 || mem > p->memory_max))
	    : (mem <= 0 || mem > p->memory_max)) {
		human_bytes(p->memory_max, max, sizeof max);
		fire(c, R_LIMIT_MEMORY, "set --memory (max %s)", max);
	}
	/* memory + swap; -1 is unlimited swap.  dockerd's default (0) is twice
	 * the memory limit, so that is the bound (swap - max > max: swap / 2
	 * rounded an odd byte over it away, and 2 * max could overflow) */
	if (has_swap && (swap < 0 || swap - p->memory_max > p->memory_max)) {
		human_bytes(p->memory_max * 2, max, sizeof max);
		fire(c, R_LIMIT_MEMORY, "--memory-swap %lld is not allowed (unlimited or above "
		    "%s), set --memory-swap within the limit", (long long)swap, max);
	}

	/* effective CPU limit in nano-CPUs: the quota over the period runc
	 * gets (an update's is judged merged, in check_update_merged) */
	int64_t eff = 0, cq, cp;
	cpu_cfs(nano, period, quota, &cq, &cp);
	if (cq > 0 && cp > 0)
		eff = (int64_t)((double)cq * 1e9 / (double)cp);
	human_cpus(p->nano_cpus_max, max, sizeof max);
	if (!is_update && nano > 0 && cq == 0)
		fire(c, R_LIMIT_CPU, "NanoCpus %lld is no CPU limit: dockerd makes it a CFS "
		    "quota of 0, which the runtime leaves unlimited; set --cpus (max %s)",
		    (long long)nano, max);
	else if (is_update ? ((has_nano && (nano < 0 || nano > p->nano_cpus_max)) ||
	    (has_quota && (quota < 0 || eff > p->nano_cpus_max)))
	    : (eff <= 0 || eff > p->nano_cpus_max || nano < 0 || quota < 0))
		fire(c, R_LIMIT_CPU, "set --cpus (max %s)", max);

	if (is_update ? (has_pids && (pids <= 0 || pids > p->pids_max))
	    : (!has_pids || pids <= 0 || pids > p->pids_max))
		fire(c, R_LIMIT_PIDS, "set --pids-limit (max %lld)", (long long)p->pids_max);
}

void
check_hostconfig(struct check_ctx *c, const json_t *hc)
{
	if (jbool(hc, "Privileged"))
		fire(c, R_PRIVILEGED, "--privileged is not allowed");
	check_namespaces(c, hc);
	check_cap_lists(c, jget(hc, "CapAdd"), jget(hc, "CapDrop"));
	check_secopts(c, hc);
	check_devices(c, hc);
	check_sysctl_map(c, jget(hc, "Sysctls"));
	check_cgroup_runtime_groups(c, hc);
	check_limits(c, hc, 0);
	if (!jbool(hc, "ReadonlyRootfs"))
		fire(c, R_ROOTFS_READONLY, "add --read-only");
	check_ports(c, hc);
	check_network(c, hc);
	check_volume_driver(c, jstr(hc, "VolumeDriver"), "--volume-driver");
	check_ulimits(c, jget(hc, "Ulimits"), "--ulimit");
	check_oom(c, hc, "OomScoreAdj");
	check_restart_policy(c, jget(hc, "RestartPolicy"), 0);
	check_log_config(c, jget(hc, "LogConfig"), "Type", "Config", "--log-driver");
}

/* CIS 5.15: a container restarts on failure a bounded number of times, or
 * not at all.  dockerd: "" and "no" are no restarts, on-failure with
 * MaximumRetryCount 0 restarts for ever, always and unless-stopped restart
 * whatever happens (also at every engine start). */
void
check_restart_policy(struct check_ctx *c, const json_t *rp, int is_update)
{
	const char *name = jstr(rp, "Name");
	int64_t max = jint(rp, "MaximumRetryCount", NULL);

	if (name[0] == '\0' || strcmp(name, "no") == 0) {
		(void)is_update;   /* update: "" keeps the current policy, judged at create */
		return;
	}
	if (strcmp(name, "on-failure") == 0) {
		char spec[40] = "";
		if (max != 0)
			textf(spec, sizeof spec, ":%lld", (long long)max);
		if (max < 1 || max > 5)
			fire(c, R_RESTART_POLICY, "--restart on-failure%s is not allowed (restarts "
			    "must be bounded, at most 5), use --restart on-failure:5", spec);
		return;
	}
	fire(c, R_RESTART_POLICY, "--restart %s is not allowed, use --restart on-failure:5 "
	    "(or no)", name);
}

/* POST /containers/{id}/update: Resources + RestartPolicy.  A limit may be
 * lowered, never removed or raised past its max. */
void
check_resources_update(struct check_ctx *c, const json_t *res)
{
	const char *cp = jstr(res, "CgroupParent");

	check_devices(c, res);
	check_cgroup_parent(c, cp, "--cgroup-parent");
	check_limits(c, res, 1);
	check_ulimits(c, jget(res, "Ulimits"), "--ulimit");
	check_oom(c, res, "OomScoreAdj");   /* not in an update: only OomKillDisable */
	check_restart_policy(c, jget(res, "RestartPolicy"), 1);
}
