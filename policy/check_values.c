/* check_values.c - values that reached the engine with no rule looking at
 * them, now judged by allow-list: volume drivers, ulimits, the OOM killer,
 * every field that attaches a container to a network, and network creates
 * (driver, parent interface, host bridge name, IPAM driver, ConfigFrom). */
#include "policy/checks.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void
check_volume_driver(struct check_ctx *c, const char *driver, const char *what)
{
	if (driver[0] != '\0' && !strlist_has(&c->prof->volume_drivers, driver))
		fire(c, R_VOLUME_DRIVER, "%s: volume driver %s is not allowed (use the local "
		    "driver)", what, driver);
}

void
check_ulimits(struct check_ctx *c, const json_t *ulimits, const char *flag)
{
	const json_t *u;
	size_t i;

	json_array_foreach(ulimits, i, u) {
		const char *name = jstr(u, "Name");
		if (!strlist_has(&c->prof->ulimits, name))
			fire(c, R_ULIMITS, "%s %s is not allowed", flag, name[0] ? name : "(no name)");
	}
}

/* OomScoreAdj (HostConfig) or OomScoreAdj (ContainerSpec), OomKillDisable */
void
check_oom(struct check_ctx *c, const json_t *obj, const char *score_field)
{
	int has;
	int64_t adj = jint(obj, score_field, &has);

	if (has && adj < 0)
		fire(c, R_OOM_SCORE_ADJ, "--oom-score-adj %lld is not allowed (a negative score "
		    "makes the host's OOM killer spare the container)", (long long)adj);
	if (jbool(obj, "OomKillDisable"))
		fire(c, R_OOM_KILL_DISABLE, "--oom-kill-disable is not allowed");
}

/* Driver options that reach host interfaces: macvlan/ipvlan's parent, a
 * bridge adopting an existing host bridge by name, and gateway modes that
 * publish every container port without NAT. */
static const char *const refused_net_opts[] = {
	"parent", "com.docker.network.bridge.name",
	"com.docker.network.bridge.gateway_mode_ipv4",
	"com.docker.network.bridge.gateway_mode_ipv6",
	"com.docker.network.bridge.trusted_host_interfaces", NULL
};

/* A network the engine has (GET /networks/{name} answer): judged by the
 * rules a network create gets, whoever made it (an operator, another
 * profile, before sockward): the host network, the default bridge, its
 * driver, IPAM driver, ConfigFrom and the options that reach host
 * interfaces.  enable_icc (network.icc) is not judged here: it is the
 * network's setting, warned about when it is created. */
static void
judge_network_json(struct check_ctx *c, const json_t *net, const char *ref, const char *what)
{
	const char *name = jstr(net, "Name"), *driver = jstr(net, "Driver");
	/* a swarm network made without a driver shows none until swarmkit's
	 * allocator has run; it then gets swarmkit's default, overlay */
	if (driver[0] == '\0' && strcmp(jstr(net, "Scope"), "swarm") == 0)
		driver = "overlay";
	const json_t *opts = jget(net, "Options"), *v;
	const char *ipam = jstr(jget(net, "IPAM"), "Driver");
	const char *from = jstr(jget(net, "ConfigFrom"), "Network");
	const char *key;

	if (strcmp(driver, "host") == 0 || strcmp(name, "host") == 0) {
		fire(c, R_NS_NETWORK, "%s %s is the host network", what, ref);
		return;
	}
	if (strcmp(name, "bridge") == 0 ||
	    strcmp(jstr(opts, "com.docker.network.bridge.default_bridge"), "true") == 0) {
		fire(c, R_NETWORK_DEFAULT_BRIDGE, "%s %s is the default bridge network (use a "
		    "user-defined network)", what, ref);
		return;
	}
	if (strcmp(driver, "null") == 0 && strcmp(name, "none") == 0)
		return;   /* no network at all */
	if (!strlist_has(&c->prof->network_drivers, driver))
		fire(c, R_NETWORK_DRIVER, "%s %s: network %s has driver %s, which is not allowed "
		    "(use a bridge or overlay network)", what, ref, name, driver[0] ? driver : "(none)");
	if (ipam[0] != '\0' && strcmp(ipam, "default") != 0)
		fire(c, R_NETWORK_DRIVER, "%s %s: network %s has IPAM driver %s, which is not "
		    "allowed", what, ref, name, ipam);
	if (from[0] != '\0')
		fire(c, R_NETWORK_DRIVER, "%s %s: network %s takes its configuration from %s, "
		    "which cannot be checked here", what, ref, name, from);
	json_object_foreach((json_t *)opts, key, v)
		for (size_t i = 0; refused_net_opts[i] != NULL; i++)
			if (strcasecmp(key, refused_net_opts[i]) == 0)
				fire(c, R_NETWORK_DRIVER, "%s %s: network %s has option %s=%s, which "
				    "reaches host interfaces", what, ref, name, key,
				    json_is_string(v) ? json_string_value(v) : "");
}

int
network_needs_lookup(const char *net)
{
	return net[0] != '\0' && strcasecmp(net, "host") != 0 && strcmp(net, "bridge") != 0 &&
	    strcmp(net, "default") != 0 && strcmp(net, "none") != 0 &&
	    strncasecmp(net, "container:", 10) != 0;
}

/* A network named by the request (a name, a full ID or an ID prefix:
 * dockerd resolves full ID, then name, then ID prefix, and so does GET
 * /networks/{id}): ask the engine which network that is and judge it. */
void
check_network_ref(struct check_ctx *c, const char *ref, const char *what)
{
	if (c->req == NULL) {
		fire(c, R_NETWORK_DRIVER, "%s %s: cannot look that network up here", what, ref);
		return;
	}
	const struct pol_lookup *l = check_lookup(c, POL_LOOKUP_NETWORK, ref);
	if (l == NULL)
		return;   /* asked; judged again with the answer */
	if (l->status == 404)
		return;   /* no such network: dockerd refuses the request itself */
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, R_NS_NETWORK, "%s %s: the engine did not say which network that is "
		    "(answered %d), so it cannot be judged", what, ref, l->status);
		return;
	}
	judge_network_json(c, l->json, ref, what);
}

/* One network a container is attached to, by name (NetworkMode, a key of
 * NetworkingConfig.EndpointsConfig, the network of network connect). */
static void
judge_attachment(struct check_ctx *c, const char *net, const char *what)
{
	if (strcasecmp(net, "host") == 0)
		fire(c, R_NS_NETWORK, "%s host is not allowed", what);
	else if (strcmp(net, "bridge") == 0 || strcmp(net, "default") == 0)
		fire(c, R_NETWORK_DEFAULT_BRIDGE, "%s %s: the default bridge network is not "
		    "allowed (use a user-defined network)", what, net);
	else if (network_needs_lookup(net))
		check_network_ref(c, net, what);
}

/* Every key attaches the container to that network (dockerd 20.10 connects
 * the container to the endpoints' networks instead of NetworkMode's). */
void
check_endpoints_config(struct check_ctx *c, const json_t *netcfg, const char *network_mode)
{
	const json_t *eps = jget(netcfg, "EndpointsConfig"), *v;
	const char *key;

	json_object_foreach((json_t *)eps, key, v) {
		if (strcmp(key, network_mode) != 0)   /* that one was judged as NetworkMode */
			judge_attachment(c, key, "NetworkingConfig.EndpointsConfig network");
		check_endpoint_network_id(c, key, v, "NetworkingConfig.EndpointsConfig");
	}
}

/* dockerd's getNetworkID: when the network is user-defined (not default,
 * bridge, host, none or container:<id>, compared exactly) and the endpoint
 * settings carry a NetworkID, that network is the one attached */
void
check_endpoint_network_id(struct check_ctx *c, const char *net, const json_t *eps,
    const char *what)
{
	const char *id = jstr(eps, "NetworkID");
	char label[600];

	if (id[0] == '\0' || strcmp(net, "default") == 0 || strcmp(net, "bridge") == 0 ||
	    strcmp(net, "host") == 0 || strcmp(net, "none") == 0 ||
	    strncmp(net, "container:", 10) == 0)
		return;
	snprintf(label, sizeof label, "%s %s NetworkID", what, net);
	if (strcasecmp(id, "host") == 0)
		fire(c, R_NS_NETWORK, "%s host is not allowed", label);
	else if (strcmp(id, "bridge") == 0 || strcmp(id, "default") == 0)
		fire(c, R_NETWORK_DEFAULT_BRIDGE, "%s %s: the default bridge network is not "
		    "allowed", label, id);
	else
		check_network_ref(c, id, label);
}

/* POST /networks/{id}/connect: the network of the path, or the body's
 * EndpointConfig.NetworkID that dockerd prefers to it */
void
check_network_connect(struct check_ctx *c)
{
	judge_attachment(c, c->name, "docker network connect");
	check_endpoint_network_id(c, c->name, jget(c->doc, "EndpointConfig"),
	    "docker network connect");
}

void
check_network_create(struct check_ctx *c)
{
	const char *driver = jstr(c->doc, "Driver");
	const json_t *ipam = jget(c->doc, "IPAM");
	const char *ipam_driver = jstr(ipam, "Driver");
	const char *from = jstr(jget(c->doc, "ConfigFrom"), "Network");
	const json_t *opts = jget(c->doc, "Options"), *v;
	const char *key;

	if (driver[0] == '\0')
		driver = "bridge";
	if (!strlist_has(&c->prof->network_drivers, driver))
		fire(c, R_NETWORK_DRIVER, "docker network create --driver %s is not allowed (use "
		    "bridge or overlay)", driver);
	if (ipam_driver[0] != '\0' && strcmp(ipam_driver, "default") != 0)
		fire(c, R_NETWORK_DRIVER, "docker network create --ipam-driver %s is not allowed",
		    ipam_driver);
	if (from[0] != '\0')
		fire(c, R_NETWORK_DRIVER, "docker network create --config-from %s is not allowed "
		    "(that configuration cannot be checked here)", from);
	json_object_foreach((json_t *)opts, key, v)
		for (size_t i = 0; refused_net_opts[i] != NULL; i++)
			if (strcasecmp(key, refused_net_opts[i]) == 0)
				fire(c, R_NETWORK_DRIVER, "docker network create -o %s is not allowed "
				    "(it reaches host interfaces)", key);
	/* CIS 2.2 per network: the bridge driver reads enable_icc (exact key)
	 * with strconv.ParseBool; absent is true */
	if (strcmp(driver, "bridge") == 0) {
		const char *icc = jstr(opts, "com.docker.network.bridge.enable_icc");
		static const char *const go_false[] = { "0", "f", "F", "false", "FALSE", "False", NULL };
		int off = 0;
		for (size_t i = 0; go_false[i] != NULL; i++)
			if (strcmp(icc, go_false[i]) == 0)
				off = 1;
		if (!off)
			fire(c, R_NETWORK_ICC, "docker network create: containers on this bridge "
			    "network can reach each other on every port; add -o "
			    "com.docker.network.bridge.enable_icc=false");
	}
}
