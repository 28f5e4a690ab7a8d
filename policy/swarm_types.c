/* swarm_types.c - the Go types of a swarm service spec (moby api/types/swarm:
 * ServiceSpec with its embedded Annotations, TaskSpec, ContainerSpec,
 * Privileges, ResourceRequirements, EndpointSpec, ...), the body of
 * POST /services/create and POST /services/{id}/update, up to the newest API
 * version this build accepts.
 *
 * As in docker_types.c, fields not listed are dropped before forwarding, so
 * every field that changes what a task's container may do MUST be listed.
 * PluginSpec (the "plugin" task runtime) is opaque: check_service refuses it
 * whole, it is never judged field by field. */
#include "policy/gotypes.h"

#include <stddef.h>

#define T(k)            GT_SCALAR(k)
#define SLICE(e)        GT_SLICE(e)
#define MAP(e)          GT_MAP(e)
#define STRUCT(s)       GT_STRUCT(s)
#define END             GT_END

static const struct gotype t_float = T(GO_FLOAT);

/* ---- ContainerSpec.Privileges --------------------------------------------- */
static const struct gofield credspec_fields[] = {
	{ "Config", &go_str, HARMLESS("Windows gMSA credentials") }, { "File", &go_str, HARMLESS("Windows gMSA credentials") }, { "Registry", &go_str, HARMLESS("Windows gMSA credentials") }, END
};
static const struct gostruct credspec_st = { "CredentialSpec", credspec_fields, { NULL }, NULL };
static const struct gotype t_credspec = STRUCT(&credspec_st);
static const struct gofield selinux_fields[] = {
	{ "Disable", &go_bool, JUDGED("security.label") }, { "User", &go_str, JUDGED("security.label") }, { "Role", &go_str, JUDGED("security.label") }, { "Type", &go_str, JUDGED("security.label") },
	{ "Level", &go_str, JUDGED("security.label") }, END
};
static const struct gostruct selinux_st = { "SELinuxContext", selinux_fields, { NULL }, NULL };
static const struct gotype t_selinux = STRUCT(&selinux_st);
/* Profile is a []byte: base64 in JSON; dockerd checks the encoding */
static const struct gofield seccomp_fields[] = {
	{ "Mode", &go_str, JUDGED("security.seccomp") }, { "Profile", &go_str, JUDGED("security.seccomp") }, END
};
static const struct gostruct seccomp_st = { "SeccompOpts", seccomp_fields, { NULL }, NULL };
static const struct gotype t_seccomp = STRUCT(&seccomp_st);
static const struct gofield apparmor_fields[] = { { "Mode", &go_str, JUDGED("security.apparmor") }, END };
static const struct gostruct apparmor_st = { "AppArmorOpts", apparmor_fields, { NULL }, NULL };
static const struct gotype t_apparmor = STRUCT(&apparmor_st);
static const struct gofield privileges_fields[] = {
	{ "CredentialSpec", &t_credspec, FIELDS }, { "SELinuxContext", &t_selinux, FIELDS },
	{ "Seccomp", &t_seccomp, FIELDS }, { "AppArmor", &t_apparmor, FIELDS }, { "NoNewPrivileges", &go_bool, JUDGED("security.no_new_privileges") },
	END
};
static const struct gostruct privileges_st = { "Privileges", privileges_fields, { NULL }, NULL };
static const struct gotype t_privileges = STRUCT(&privileges_st);

/* ---- ContainerSpec ------------------------------------------------------------ */
static const struct gofield dns_fields[] = {
	{ "Nameservers", &go_strs, HARMLESS("the container's own name resolution") }, { "Search", &go_strs, HARMLESS("the container's own name resolution") }, { "Options", &go_strs, HARMLESS("the container's own name resolution") }, END
};
static const struct gostruct dns_st = { "DNSConfig", dns_fields, { NULL }, NULL };
static const struct gotype t_dns = STRUCT(&dns_st);
static const struct gofield filetarget_fields[] = {
	{ "Name", &go_str, HARMLESS("a file inside the container") }, { "UID", &go_str, HARMLESS("owner of a file inside the container") }, { "GID", &go_str, HARMLESS("owner of a file inside the container") }, { "Mode", &go_u32, HARMLESS("permissions of a file inside the container") }, END
};
static const struct gostruct filetarget_st = { "FileTarget", filetarget_fields, { NULL }, NULL };
static const struct gotype t_filetarget = STRUCT(&filetarget_st);
static const struct gofield secretref_fields[] = {
	{ "File", &t_filetarget, FIELDS }, { "SecretID", &go_str, HARMLESS("secrets are reachable only through the secret endpoints the profile allows") }, { "SecretName", &go_str, HARMLESS("secrets are reachable only through the secret endpoints the profile allows") }, END
};
static const struct gostruct secretref_st = { "SecretReference", secretref_fields, { NULL }, NULL };
static const struct gotype t_secretref = STRUCT(&secretref_st);
static const struct gotype t_secretrefs = SLICE(&t_secretref);
static const struct gofield configref_fields[] = {
	{ "File", &t_filetarget, FIELDS }, { "Runtime", &go_empty, HARMLESS("an empty marker") }, { "ConfigID", &go_str, HARMLESS("configs are reachable only through the config endpoints the profile allows") },
	{ "ConfigName", &go_str, HARMLESS("configs are reachable only through the config endpoints the profile allows") }, END
};
static const struct gostruct configref_st = { "ConfigReference", configref_fields, { NULL }, NULL };
static const struct gotype t_configref = STRUCT(&configref_st);
static const struct gotype t_configrefs = SLICE(&t_configref);

static const struct gofield cspec_fields[] = {
	{ "Image", &go_str, JUDGED("image.pinned,image.registry,user.root") }, { "Labels", &go_map_str, HARMLESS("metadata") }, { "Command", &go_strs, HARMLESS("runs inside the container") },
	{ "Args", &go_strs, HARMLESS("runs inside the container") }, { "Hostname", &go_str, HARMLESS("the container's own UTS name") }, { "Env", &go_strs, JUDGED("env.secrets") }, { "Dir", &go_str, HARMLESS("a path inside the container") },
	{ "User", &go_str, JUDGED("user.root") }, { "Groups", &go_strs, JUDGED("group_add") }, { "Privileges", &t_privileges, FIELDS },
	{ "Init", &go_bool, HARMLESS("dockerd's own init inside the container") }, { "StopSignal", &go_str, HARMLESS("signal to the container's own process") }, { "TTY", &go_bool, HARMLESS("stream plumbing") },
	{ "OpenStdin", &go_bool, HARMLESS("stream plumbing") }, { "ReadOnly", &go_bool, JUDGED("rootfs.readonly") }, { "Mounts", &go_mount_slice, FIELDS },
	{ "StopGracePeriod", &go_i64, HARMLESS("timing") }, { "Healthcheck", &go_health_config, FIELDS },
	{ "Hosts", &go_strs, HARMLESS("the container's own name resolution") }, { "DNSConfig", &t_dns, FIELDS }, { "Secrets", &t_secretrefs, FIELDS },
	{ "Configs", &t_configrefs, FIELDS }, { "Isolation", &go_str, HARMLESS("Windows containers only") }, { "Sysctls", &go_map_str, JUDGED("sysctls") },
	{ "CapabilityAdd", &go_strs, JUDGED("capabilities.add") }, { "CapabilityDrop", &go_strs, JUDGED("capabilities.drop") },
	{ "Ulimits", &go_ulimit_slice, FIELDS }, { "OomScoreAdj", &go_i64, JUDGED("oom.score_adj") },
	END
};
static const struct gostruct cspec_st = { "ContainerSpec", cspec_fields, { NULL }, NULL };
static const struct gotype t_cspec = STRUCT(&cspec_st);

/* ---- TaskSpec ------------------------------------------------------------------- */
static const struct gofield nas_fields[] = { { "ContainerID", &go_str, JUDGED("endpoint") }, END };
static const struct gostruct nas_st = { "NetworkAttachmentSpec", nas_fields, { NULL }, NULL };
static const struct gotype t_nas = STRUCT(&nas_st);
static const struct gofield limit_fields[] = {
	{ "NanoCPUs", &go_i64, JUDGED("limits.cpu") }, { "MemoryBytes", &go_i64, JUDGED("limits.memory") }, { "Pids", &go_i64, JUDGED("limits.pids") }, END
};
static const struct gostruct limit_st = { "Limit", limit_fields, { NULL }, NULL };
static const struct gotype t_limit = STRUCT(&limit_st);
static const struct gofield named_res_fields[] = {
	{ "Kind", &go_str, HARMLESS("scheduling on nodes that advertise the resource") }, { "Value", &go_str, HARMLESS("scheduling on nodes that advertise the resource") }, END
};
static const struct gostruct named_res_st = { "NamedGenericResource", named_res_fields, { NULL }, NULL };
static const struct gotype t_named_res = STRUCT(&named_res_st);
static const struct gofield discrete_res_fields[] = {
	{ "Kind", &go_str, HARMLESS("scheduling on nodes that advertise the resource") }, { "Value", &go_i64, HARMLESS("scheduling on nodes that advertise the resource") }, END
};
static const struct gostruct discrete_res_st = {
	"DiscreteGenericResource", discrete_res_fields, { NULL }, NULL
};
static const struct gotype t_discrete_res = STRUCT(&discrete_res_st);
static const struct gofield genres_fields[] = {
	{ "NamedResourceSpec", &t_named_res, FIELDS }, { "DiscreteResourceSpec", &t_discrete_res, FIELDS }, END
};
static const struct gostruct genres_st = { "GenericResource", genres_fields, { NULL }, NULL };
static const struct gotype t_genres = STRUCT(&genres_st);
static const struct gotype t_genress = SLICE(&t_genres);
static const struct gofield reservation_fields[] = {
	{ "NanoCPUs", &go_i64, HARMLESS("scheduling reservation") }, { "MemoryBytes", &go_i64, HARMLESS("scheduling reservation") }, { "GenericResources", &t_genress, FIELDS },
	END
};
static const struct gostruct reservation_st = { "Resources", reservation_fields, { NULL }, NULL };
static const struct gotype t_reservation = STRUCT(&reservation_st);
static const struct gofield resreq_fields[] = {
	{ "Limits", &t_limit, FIELDS }, { "Reservations", &t_reservation, FIELDS }, { "SwapBytes", &go_i64, JUDGED("limits.memory") },
	{ "MemorySwappiness", &go_i64, HARMLESS("swap tendency within the limits") }, END
};
static const struct gostruct resreq_st = { "ResourceRequirements", resreq_fields, { NULL }, NULL };
static const struct gotype t_resreq = STRUCT(&resreq_st);
static const struct gofield restart_fields[] = {
	{ "Condition", &go_str, HARMLESS("restarts the same judged task") }, { "Delay", &go_i64, HARMLESS("timing") }, { "MaxAttempts", &go_u64, HARMLESS("restarts the same judged task") },
	{ "Window", &go_i64, HARMLESS("timing") }, END
};
static const struct gostruct restart_st = { "RestartPolicy", restart_fields, { NULL }, NULL };
static const struct gotype t_restart = STRUCT(&restart_st);
static const struct gofield spread_fields[] = { { "SpreadDescriptor", &go_str, HARMLESS("scheduling") }, END };
static const struct gostruct spread_st = { "SpreadOver", spread_fields, { NULL }, NULL };
static const struct gotype t_spread = STRUCT(&spread_st);
static const struct gofield pref_fields[] = { { "Spread", &t_spread, FIELDS }, END };
static const struct gostruct pref_st = { "PlacementPreference", pref_fields, { NULL }, NULL };
static const struct gotype t_pref = STRUCT(&pref_st);
static const struct gotype t_prefs = SLICE(&t_pref);
static const struct gofield platform_fields[] = {
	{ "Architecture", &go_str, HARMLESS("scheduling") }, { "OS", &go_str, HARMLESS("scheduling") }, END
};
static const struct gostruct platform_st = { "Platform", platform_fields, { NULL }, NULL };
static const struct gotype t_platform = STRUCT(&platform_st);
static const struct gotype t_platforms = SLICE(&t_platform);
static const struct gofield placement_fields[] = {
	{ "Constraints", &go_strs, HARMLESS("scheduling") }, { "Preferences", &t_prefs, FIELDS }, { "MaxReplicas", &go_u64, HARMLESS("scheduling") },
	{ "Platforms", &t_platforms, FIELDS }, END
};
static const struct gostruct placement_st = { "Placement", placement_fields, { NULL }, NULL };
static const struct gotype t_placement = STRUCT(&placement_st);
static const struct gofield netatt_fields[] = {
	{ "Target", &go_str, JUDGED("namespaces.network,network.default_bridge") }, { "Aliases", &go_strs, HARMLESS("name resolution on that network") }, { "DriverOpts", &go_map_str, HARMLESS("endpoint options of a network whose driver was judged at its create (network.driver)") }, END
};
static const struct gostruct netatt_st = { "NetworkAttachmentConfig", netatt_fields, { NULL }, NULL };
static const struct gotype t_netatt = STRUCT(&netatt_st);
static const struct gotype t_netatts = SLICE(&t_netatt);
static const struct gofield driver_fields[] = {
	{ "Name", &go_str, JUDGED("logging.driver") }, { "Options", &go_map_str, JUDGED("logging.driver") }, END
};
static const struct gostruct driver_st = { "Driver", driver_fields, { NULL }, NULL };
static const struct gotype t_driver = STRUCT(&driver_st);

static const struct gofield task_fields[] = {
	{ "ContainerSpec", &t_cspec, FIELDS }, { "PluginSpec", &go_any, JUDGED("endpoint") },
	{ "NetworkAttachmentSpec", &t_nas, FIELDS }, { "Resources", &t_resreq, FIELDS },
	{ "RestartPolicy", &t_restart, FIELDS }, { "Placement", &t_placement, FIELDS },
	{ "Networks", &t_netatts, FIELDS }, { "LogDriver", &t_driver, FIELDS }, { "ForceUpdate", &go_u64, HARMLESS("a counter that forces an update") },
	{ "Runtime", &go_str, JUDGED("endpoint") },
	END
};
static const struct gostruct task_st = { "TaskSpec", task_fields, { NULL }, NULL };
static const struct gotype t_task = STRUCT(&task_st);

/* ---- ServiceSpec ------------------------------------------------------------------ */
static const struct gofield replicated_fields[] = { { "Replicas", &go_u64, HARMLESS("how many judged tasks") }, END };
static const struct gostruct replicated_st = { "ReplicatedService", replicated_fields, { NULL }, NULL };
static const struct gotype t_replicated = STRUCT(&replicated_st);
static const struct gofield repjob_fields[] = {
	{ "MaxConcurrent", &go_u64, HARMLESS("how many judged tasks") }, { "TotalCompletions", &go_u64, HARMLESS("how many judged tasks") }, END
};
static const struct gostruct repjob_st = { "ReplicatedJob", repjob_fields, { NULL }, NULL };
static const struct gotype t_repjob = STRUCT(&repjob_st);
static const struct gofield mode_fields[] = {
	{ "Replicated", &t_replicated, FIELDS }, { "Global", &go_empty, HARMLESS("one judged task per node") },
	{ "ReplicatedJob", &t_repjob, FIELDS }, { "GlobalJob", &go_empty, HARMLESS("one judged task per node") }, END
};
static const struct gostruct mode_st = { "ServiceMode", mode_fields, { NULL }, NULL };
static const struct gotype t_mode = STRUCT(&mode_st);
static const struct gofield updcfg_fields[] = {
	{ "Parallelism", &go_u64, HARMLESS("rollout pacing") }, { "Delay", &go_i64, HARMLESS("rollout pacing") }, { "FailureAction", &go_str, HARMLESS("rollout pacing") },
	{ "Monitor", &go_i64, HARMLESS("rollout pacing") }, { "MaxFailureRatio", &t_float, HARMLESS("rollout pacing") }, { "Order", &go_str, HARMLESS("rollout pacing") }, END
};
static const struct gostruct updcfg_st = { "UpdateConfig", updcfg_fields, { NULL }, NULL };
static const struct gotype t_updcfg = STRUCT(&updcfg_st);
static const struct gofield portcfg_fields[] = {
	{ "Name", &go_str, HARMLESS("a label") }, { "Protocol", &go_str, JUDGED("ports.host_ip") }, { "TargetPort", &go_u32, JUDGED("ports.host_ip") },
	{ "PublishedPort", &go_u32, JUDGED("ports.host_ip,ports.privileged") }, { "PublishMode", &go_str, JUDGED("ports.host_ip") }, END
};
static const struct gostruct portcfg_st = { "PortConfig", portcfg_fields, { NULL }, NULL };
static const struct gotype t_portcfg = STRUCT(&portcfg_st);
static const struct gotype t_portcfgs = SLICE(&t_portcfg);
static const struct gofield endpointspec_fields[] = {
	{ "Mode", &go_str, HARMLESS("vip or dnsrr load balancing") }, { "Ports", &t_portcfgs, FIELDS }, END
};
static const struct gostruct endpointspec_st = { "EndpointSpec", endpointspec_fields, { NULL }, NULL };
static const struct gotype t_endpointspec = STRUCT(&endpointspec_st);

/* Annotations is embedded: Name and Labels are promoted */
static const struct gofield annotations_fields[] = {
	{ "Name", &go_str, HARMLESS("the service's name") }, { "Labels", &go_map_str, HARMLESS("metadata") }, END
};
static const struct gofield service_fields[] = {
	{ "TaskTemplate", &t_task, FIELDS }, { "Mode", &t_mode, FIELDS }, { "UpdateConfig", &t_updcfg, FIELDS },
	{ "RollbackConfig", &t_updcfg, FIELDS }, { "Networks", &t_netatts, FIELDS },
	{ "EndpointSpec", &t_endpointspec, FIELDS },
	END
};
static const struct gostruct service_st = {
	"ServiceSpec", service_fields, { annotations_fields }, NULL
};
const struct gotype go_service_spec = STRUCT(&service_st);

/* ---- SecretSpec, ConfigSpec (POST /secrets/create, /configs/create and their
 * {id}/update): decoded so that a tenant's are stamped with its label ---------- */
static const struct gofield secretdrv_fields[] = {
	{ "Name", &go_str, HARMLESS("a secrets driver or template engine: a plugin only an operator can install, or dockerd's golang templating, which reads only the secrets and configs the task itself references") },
	{ "Options", &go_map_str, HARMLESS("options of that driver") }, END
};
static const struct gostruct secretdrv_st = { "Driver", secretdrv_fields, { NULL }, NULL };
static const struct gotype t_secretdrv = STRUCT(&secretdrv_st);
/* Data is a []byte: base64 in JSON; dockerd checks the encoding */
static const struct gofield secret_fields[] = {
	{ "Data", &go_str, HARMLESS("the secret's payload, handed only to tasks that reference it") },
	{ "Driver", &t_secretdrv, FIELDS }, { "Templating", &t_secretdrv, FIELDS }, END
};
static const struct gostruct secret_st = {
	"SecretSpec", secret_fields, { annotations_fields }, NULL
};
const struct gotype go_secret_spec = STRUCT(&secret_st);
static const struct gofield config_fields[] = {
	{ "Data", &go_str, HARMLESS("the config's payload, handed only to tasks that reference it") },
	{ "Templating", &t_secretdrv, FIELDS }, END
};
static const struct gostruct config_st = {
	"ConfigSpec", config_fields, { annotations_fields }, NULL
};
const struct gotype go_config_spec = STRUCT(&config_st);
