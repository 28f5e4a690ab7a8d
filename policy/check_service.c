/* check_service.c - POST /services/create and POST /services/{id}/update,
 * reached only when the profile allows the service endpoints.  Every task
 * of a service is a container the swarm executor creates on some node, so
 * its ContainerSpec is judged by the rules of docker run wherever the field
 * exists; an update carries the whole new spec and is judged the same way.
 *
 * Not applicable (no such field in a service): privileged, the host
 * namespaces other than the network, devices, cgroup parent, runtime,
 * masked/readonly paths, systempaths, volumes-from, publish-all.  Security
 * options (Privileges) are judged in check_secopt.c.
 * network.default_bridge only fires for an explicit attachment to the
 * predefined "bridge" network: a service without networks is not on the
 * default bridge (it gets the ingress overlay, or no network).
 *
 * Messages name the docker service create flag that fixes the violation;
 * seccomp, AppArmor, SELinux and no-new-privileges have no such flag, so they
 * name the field of the spec. */
#include "policy/checks.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The object at key, or an empty stand-in: absent or null means Go's zero
 * value, which is judged like an empty object. */
static const json_t *
obj(const json_t *parent, const char *key, json_t *empty)
{
	const json_t *v = jget(parent, key);
	return json_is_object(v) ? v : empty;
}

/* Anything but a container task: the "plugin" runtime installs a managed
 * plugin on every node (the plugin endpoints), "attachment" and unknown
 * runtimes are swarm internals.  dockerd compares the runtime exactly. */
static void
check_runtime(struct check_ctx *c, const json_t *task)
{
	const char *rt = jstr(task, "Runtime");
	const json_t *ps = jget(task, "PluginSpec");
	const json_t *nas = jget(task, "NetworkAttachmentSpec");

	if (rt[0] != '\0' && strcmp(rt, "container") != 0)
		fire(c, R_ENDPOINT, "TaskTemplate.Runtime %s is not allowed, only container "
		    "services are", rt);
	if (ps != NULL && !json_is_null(ps))
		fire(c, R_ENDPOINT, "TaskTemplate.PluginSpec (a plugin service) is not allowed");
	if (nas != NULL && !json_is_null(nas))
		fire(c, R_ENDPOINT, "TaskTemplate.NetworkAttachmentSpec is not allowed");
}

/* ?rollback=previous makes dockerd replace the body with the service's
 * previous spec, which sockward cannot see (it may never have passed
 * through it).  Go reads the first value; every value is refused here. */
static void
check_rollback(struct check_ctx *c)
{
	for (size_t i = 0; i < c->rt->nparams; i++)
		if (strcmp(c->rt->params[i].key, "rollback") == 0 &&
		    strcmp(c->rt->params[i].value, "previous") == 0) {
			fire(c, R_ENDPOINT, "docker service rollback (rollback=previous) restores a "
			    "spec that cannot be checked; run docker service update with the "
			    "settings you want instead");
			return;
		}
}

static void
check_network_list(struct check_ctx *c, const json_t *nets)
{
	const json_t *n;
	size_t i;

	json_array_foreach(nets, i, n) {
		const char *t = jstr(n, "Target");
		if (strcasecmp(t, "host") == 0)
			fire(c, R_NS_NETWORK, "--network host is not allowed");
		else if (strcasecmp(t, "bridge") == 0)
			fire(c, R_NETWORK_DEFAULT_BRIDGE, "--network bridge (the default bridge) is "
			    "not allowed, use an overlay network");
		else if (network_needs_lookup(t))
			check_network_ref(c, t, "--network");
	}
}

/* The engine's adjustForAPIVersion (api/server/router/swarm/helpers.go)
 * empties, for a request below API 1.41, CapabilityAdd, CapabilityDrop,
 * Ulimits and Resources.Limits.Pids (dockerd 20.10 took them at 1.41):
 * what it drops is judged as absent.  An unversioned request is not
 * adjusted. */
static int
api_below_1_41(const struct check_ctx *c)
{
	return c->rt != NULL && c->rt->has_version &&
	    API_VERSION(c->rt->major, c->rt->minor) < API_VERSION(1, 41);
}

/* Resources.Limits: every task gets them as its container's limits. */
static void
check_service_limits(struct check_ctx *c, const json_t *lim)
{
	const struct profile *p = c->prof;
	char max[32];
	int64_t mem = jint(lim, "MemoryBytes", NULL);
	int64_t nano = jint(lim, "NanoCPUs", NULL);
	int64_t pids = api_below_1_41(c) ? 0 : jint(lim, "Pids", NULL);

	human_bytes(p->memory_max, max, sizeof max);
	if (mem <= 0 || mem > p->memory_max)
		fire(c, R_LIMIT_MEMORY, "set --limit-memory (max %s)", max);
	human_cpus(p->nano_cpus_max, max, sizeof max);
	if (nano <= 0 || nano > p->nano_cpus_max)
		fire(c, R_LIMIT_CPU, "set --limit-cpu (max %s)", max);
	if (pids <= 0 || pids > p->pids_max)
		fire(c, R_LIMIT_PIDS, "set --limit-pids (max %lld)%s", (long long)p->pids_max,
		    api_below_1_41(c) ? " at API 1.41 or later: below it the engine drops "
		    "Limits.Pids" : "");
}

/* EndpointSpec.Ports: ingress publishes on every node's routing mesh, host
 * mode on the node's interfaces; neither can name a HostIp, and a
 * PublishedPort of 0 is a port chosen by swarm, still published. */
static void
check_service_ports(struct check_ctx *c, const json_t *ports)
{
	const json_t *pc;
	size_t i;

	json_array_foreach(ports, i, pc) {
		const char *mode = jstr(pc, "PublishMode"), *proto = jstr(pc, "Protocol");
		int64_t pub = jint(pc, "PublishedPort", NULL);
		int64_t target = jint(pc, "TargetPort", NULL);
		fire(c, R_PORTS_HOST_IP, "--publish %lld:%lld/%s (mode %s) binds all interfaces "
		    "of every node: swarm cannot bind a specific HostIp, remove --publish",
		    (long long)pub, (long long)target, proto[0] ? proto : "tcp",
		    mode[0] ? mode : "ingress");
		if (pub > 0 && pub < c->prof->min_host_port)
			fire(c, R_PORTS_PRIVILEGED, "--publish published=%lld is below %lld",
			    (long long)pub, (long long)c->prof->min_host_port);
	}
}

static void
check_container_spec(struct check_ctx *c, const json_t *cs)
{
	const char *user = jstr(cs, "User");
	const json_t *groups = jget(cs, "Groups"), *g;
	json_t *empty = json_object();
	size_t i;

	check_image_use(c, jstr(cs, "Image"), "service image");
	judge_image_user(c, jstr(cs, "Image"), 0, user,
	    json_string_length(jget(cs, "User")), groups, "--group", "--user");
	json_array_foreach(groups, i, g)
		if (json_is_string(g) && !strlist_has(&c->prof->group_add, json_string_value(g)))
			fire(c, R_GROUP_ADD, "--group %s is not allowed", json_string_value(g));
	check_mount_array(c, jget(cs, "Mounts"), "add readonly to --mount", 1);
	if (!api_below_1_41(c)) {
		check_cap_lists(c, jget(cs, "CapabilityAdd"), jget(cs, "CapabilityDrop"));
		check_ulimits(c, jget(cs, "Ulimits"), "--ulimit");
	} else if (c->prof->cap_drop_all)
		fire(c, R_CAP_DROP, "add --cap-drop ALL at API 1.41 or later: below it the "
		    "engine drops CapabilityDrop (and CapabilityAdd and Ulimits)");
	check_service_privileges(c, obj(cs, "Privileges", empty),
	    api_below_1_41(c) ? NULL : jget(cs, "CapabilityAdd"));
	check_oom(c, cs, "OomScoreAdj");
	check_sysctl_map(c, jget(cs, "Sysctls"));
	check_env_secrets(c, jget(cs, "Env"), "service Env");
	if (!jbool(cs, "ReadOnly"))
		fire(c, R_ROOTFS_READONLY, "add --read-only");
	json_decref(empty);
}

void
check_service(struct check_ctx *c)
{
	json_t *e1 = json_object(), *e2 = json_object(), *e3 = json_object(),
	    *e4 = json_object(), *e5 = json_object();
	const json_t *task = obj(c->doc, "TaskTemplate", e1);

	check_rollback(c);
	check_runtime(c, task);
	check_container_spec(c, obj(task, "ContainerSpec", e2));
	check_service_limits(c, obj(obj(task, "Resources", e3), "Limits", e4));
	{
		int has;
		int64_t swap = jint(obj(task, "Resources", e3), "SwapBytes", &has);
		if (has && (swap < 0 || swap - c->prof->memory_max > c->prof->memory_max))
			fire(c, R_LIMIT_MEMORY, "--memory-swap %lld is not allowed (unlimited or above "
			    "twice the memory maximum)", (long long)swap);
	}
	check_log_config(c, jget(task, "LogDriver"), "Name", "Options", "--log-driver");
	check_network_list(c, jget(task, "Networks"));
	check_network_list(c, jget(c->doc, "Networks"));   /* deprecated place */
	check_service_ports(c, jget(obj(c->doc, "EndpointSpec", e5), "Ports"));
	json_decref(e1);
	json_decref(e2);
	json_decref(e3);
	json_decref(e4);
	json_decref(e5);
}
