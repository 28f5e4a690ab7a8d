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
	{ "Config", &go_str }, { "File", &go_str }, { "Registry", &go_str }, END
};
static const struct gostruct credspec_st = { "CredentialSpec", credspec_fields, NULL, NULL };
static const struct gotype t_credspec = STRUCT(&credspec_st);
static const struct gofield selinux_fields[] = {
	{ "Disable", &go_bool }, { "User", &go_str }, { "Role", &go_str }, { "Type", &go_str },
	{ "Level", &go_str }, END
};
static const struct gostruct selinux_st = { "SELinuxContext", selinux_fields, NULL, NULL };
static const struct gotype t_selinux = STRUCT(&selinux_st);
/* Profile is a []byte: base64 in JSON; dockerd checks the encoding */
static const struct gofield seccomp_fields[] = {
	{ "Mode", &go_str }, { "Profile", &go_str }, END
};
static const struct gostruct seccomp_st = { "SeccompOpts", seccomp_fields, NULL, NULL };
static const struct gotype t_seccomp = STRUCT(&seccomp_st);
static const struct gofield apparmor_fields[] = { { "Mode", &go_str }, END };
static const struct gostruct apparmor_st = { "AppArmorOpts", apparmor_fields, NULL, NULL };
static const struct gotype t_apparmor = STRUCT(&apparmor_st);
static const struct gofield privileges_fields[] = {
	{ "CredentialSpec", &t_credspec }, { "SELinuxContext", &t_selinux },
	{ "Seccomp", &t_seccomp }, { "AppArmor", &t_apparmor }, { "NoNewPrivileges", &go_bool },
	END
};
static const struct gostruct privileges_st = { "Privileges", privileges_fields, NULL, NULL };
static const struct gotype t_privileges = STRUCT(&privileges_st);

/* ---- ContainerSpec ------------------------------------------------------------ */
static const struct gofield dns_fields[] = {
	{ "Nameservers", &go_strs }, { "Search", &go_strs }, { "Options", &go_strs }, END
};
static const struct gostruct dns_st = { "DNSConfig", dns_fields, NULL, NULL };
static const struct gotype t_dns = STRUCT(&dns_st);
static const struct gofield filetarget_fields[] = {
	{ "Name", &go_str }, { "UID", &go_str }, { "GID", &go_str }, { "Mode", &go_u32 }, END
};
static const struct gostruct filetarget_st = { "FileTarget", filetarget_fields, NULL, NULL };
static const struct gotype t_filetarget = STRUCT(&filetarget_st);
static const struct gofield secretref_fields[] = {
	{ "File", &t_filetarget }, { "SecretID", &go_str }, { "SecretName", &go_str }, END
};
static const struct gostruct secretref_st = { "SecretReference", secretref_fields, NULL, NULL };
static const struct gotype t_secretref = STRUCT(&secretref_st);
static const struct gotype t_secretrefs = SLICE(&t_secretref);
static const struct gofield configref_fields[] = {
	{ "File", &t_filetarget }, { "Runtime", &go_empty }, { "ConfigID", &go_str },
	{ "ConfigName", &go_str }, END
};
static const struct gostruct configref_st = { "ConfigReference", configref_fields, NULL, NULL };
static const struct gotype t_configref = STRUCT(&configref_st);
static const struct gotype t_configrefs = SLICE(&t_configref);

static const struct gofield cspec_fields[] = {
	{ "Image", &go_str }, { "Labels", &go_map_str }, { "Command", &go_strs },
	{ "Args", &go_strs }, { "Hostname", &go_str }, { "Env", &go_strs }, { "Dir", &go_str },
	{ "User", &go_str }, { "Groups", &go_strs }, { "Privileges", &t_privileges },
	{ "Init", &go_bool }, { "StopSignal", &go_str }, { "TTY", &go_bool },
	{ "OpenStdin", &go_bool }, { "ReadOnly", &go_bool }, { "Mounts", &go_mount_slice },
	{ "StopGracePeriod", &go_i64 }, { "Healthcheck", &go_health_config },
	{ "Hosts", &go_strs }, { "DNSConfig", &t_dns }, { "Secrets", &t_secretrefs },
	{ "Configs", &t_configrefs }, { "Isolation", &go_str }, { "Sysctls", &go_map_str },
	{ "CapabilityAdd", &go_strs }, { "CapabilityDrop", &go_strs },
	{ "Ulimits", &go_ulimit_slice }, { "OomScoreAdj", &go_i64 },
	END
};
static const struct gostruct cspec_st = { "ContainerSpec", cspec_fields, NULL, NULL };
static const struct gotype t_cspec = STRUCT(&cspec_st);

/* ---- TaskSpec ------------------------------------------------------------------- */
static const struct gofield nas_fields[] = { { "ContainerID", &go_str }, END };
static const struct gostruct nas_st = { "NetworkAttachmentSpec", nas_fields, NULL, NULL };
static const struct gotype t_nas = STRUCT(&nas_st);
static const struct gofield limit_fields[] = {
	{ "NanoCPUs", &go_i64 }, { "MemoryBytes", &go_i64 }, { "Pids", &go_i64 }, END
};
static const struct gostruct limit_st = { "Limit", limit_fields, NULL, NULL };
static const struct gotype t_limit = STRUCT(&limit_st);
static const struct gofield named_res_fields[] = {
	{ "Kind", &go_str }, { "Value", &go_str }, END
};
static const struct gostruct named_res_st = { "NamedGenericResource", named_res_fields, NULL, NULL };
static const struct gotype t_named_res = STRUCT(&named_res_st);
static const struct gofield discrete_res_fields[] = {
	{ "Kind", &go_str }, { "Value", &go_i64 }, END
};
static const struct gostruct discrete_res_st = {
	"DiscreteGenericResource", discrete_res_fields, NULL, NULL
};
static const struct gotype t_discrete_res = STRUCT(&discrete_res_st);
static const struct gofield genres_fields[] = {
	{ "NamedResourceSpec", &t_named_res }, { "DiscreteResourceSpec", &t_discrete_res }, END
};
static const struct gostruct genres_st = { "GenericResource", genres_fields, NULL, NULL };
static const struct gotype t_genres = STRUCT(&genres_st);
static const struct gotype t_genress = SLICE(&t_genres);
static const struct gofield reservation_fields[] = {
	{ "NanoCPUs", &go_i64 }, { "MemoryBytes", &go_i64 }, { "GenericResources", &t_genress },
	END
};
static const struct gostruct reservation_st = { "Resources", reservation_fields, NULL, NULL };
static const struct gotype t_reservation = STRUCT(&reservation_st);
static const struct gofield resreq_fields[] = {
	{ "Limits", &t_limit }, { "Reservations", &t_reservation }, { "SwapBytes", &go_i64 },
	{ "MemorySwappiness", &go_i64 }, END
};
static const struct gostruct resreq_st = { "ResourceRequirements", resreq_fields, NULL, NULL };
static const struct gotype t_resreq = STRUCT(&resreq_st);
static const struct gofield restart_fields[] = {
	{ "Condition", &go_str }, { "Delay", &go_i64 }, { "MaxAttempts", &go_u64 },
	{ "Window", &go_i64 }, END
};
static const struct gostruct restart_st = { "RestartPolicy", restart_fields, NULL, NULL };
static const struct gotype t_restart = STRUCT(&restart_st);
static const struct gofield spread_fields[] = { { "SpreadDescriptor", &go_str }, END };
static const struct gostruct spread_st = { "SpreadOver", spread_fields, NULL, NULL };
static const struct gotype t_spread = STRUCT(&spread_st);
static const struct gofield pref_fields[] = { { "Spread", &t_spread }, END };
static const struct gostruct pref_st = { "PlacementPreference", pref_fields, NULL, NULL };
static const struct gotype t_pref = STRUCT(&pref_st);
static const struct gotype t_prefs = SLICE(&t_pref);
static const struct gofield platform_fields[] = {
	{ "Architecture", &go_str }, { "OS", &go_str }, END
};
static const struct gostruct platform_st = { "Platform", platform_fields, NULL, NULL };
static const struct gotype t_platform = STRUCT(&platform_st);
static const struct gotype t_platforms = SLICE(&t_platform);
static const struct gofield placement_fields[] = {
	{ "Constraints", &go_strs }, { "Preferences", &t_prefs }, { "MaxReplicas", &go_u64 },
	{ "Platforms", &t_platforms }, END
};
static const struct gostruct placement_st = { "Placement", placement_fields, NULL, NULL };
static const struct gotype t_placement = STRUCT(&placement_st);
static const struct gofield netatt_fields[] = {
	{ "Target", &go_str }, { "Aliases", &go_strs }, { "DriverOpts", &go_map_str }, END
};
static const struct gostruct netatt_st = { "NetworkAttachmentConfig", netatt_fields, NULL, NULL };
static const struct gotype t_netatt = STRUCT(&netatt_st);
static const struct gotype t_netatts = SLICE(&t_netatt);
static const struct gofield driver_fields[] = {
	{ "Name", &go_str }, { "Options", &go_map_str }, END
};
static const struct gostruct driver_st = { "Driver", driver_fields, NULL, NULL };
static const struct gotype t_driver = STRUCT(&driver_st);

static const struct gofield task_fields[] = {
	{ "ContainerSpec", &t_cspec }, { "PluginSpec", &go_any },
	{ "NetworkAttachmentSpec", &t_nas }, { "Resources", &t_resreq },
	{ "RestartPolicy", &t_restart }, { "Placement", &t_placement },
	{ "Networks", &t_netatts }, { "LogDriver", &t_driver }, { "ForceUpdate", &go_u64 },
	{ "Runtime", &go_str },
	END
};
static const struct gostruct task_st = { "TaskSpec", task_fields, NULL, NULL };
static const struct gotype t_task = STRUCT(&task_st);

/* ---- ServiceSpec ------------------------------------------------------------------ */
static const struct gofield replicated_fields[] = { { "Replicas", &go_u64 }, END };
static const struct gostruct replicated_st = { "ReplicatedService", replicated_fields, NULL, NULL };
static const struct gotype t_replicated = STRUCT(&replicated_st);
static const struct gofield repjob_fields[] = {
	{ "MaxConcurrent", &go_u64 }, { "TotalCompletions", &go_u64 }, END
};
static const struct gostruct repjob_st = { "ReplicatedJob", repjob_fields, NULL, NULL };
static const struct gotype t_repjob = STRUCT(&repjob_st);
static const struct gofield mode_fields[] = {
	{ "Replicated", &t_replicated }, { "Global", &go_empty },
	{ "ReplicatedJob", &t_repjob }, { "GlobalJob", &go_empty }, END
};
static const struct gostruct mode_st = { "ServiceMode", mode_fields, NULL, NULL };
static const struct gotype t_mode = STRUCT(&mode_st);
static const struct gofield updcfg_fields[] = {
	{ "Parallelism", &go_u64 }, { "Delay", &go_i64 }, { "FailureAction", &go_str },
	{ "Monitor", &go_i64 }, { "MaxFailureRatio", &t_float }, { "Order", &go_str }, END
};
static const struct gostruct updcfg_st = { "UpdateConfig", updcfg_fields, NULL, NULL };
static const struct gotype t_updcfg = STRUCT(&updcfg_st);
static const struct gofield portcfg_fields[] = {
	{ "Name", &go_str }, { "Protocol", &go_str }, { "TargetPort", &go_u32 },
	{ "PublishedPort", &go_u32 }, { "PublishMode", &go_str }, END
};
static const struct gostruct portcfg_st = { "PortConfig", portcfg_fields, NULL, NULL };
static const struct gotype t_portcfg = STRUCT(&portcfg_st);
static const struct gotype t_portcfgs = SLICE(&t_portcfg);
static const struct gofield endpointspec_fields[] = {
	{ "Mode", &go_str }, { "Ports", &t_portcfgs }, END
};
static const struct gostruct endpointspec_st = { "EndpointSpec", endpointspec_fields, NULL, NULL };
static const struct gotype t_endpointspec = STRUCT(&endpointspec_st);

/* Annotations is embedded: Name and Labels are promoted */
static const struct gofield annotations_fields[] = {
	{ "Name", &go_str }, { "Labels", &go_map_str }, END
};
static const struct gofield service_fields[] = {
	{ "TaskTemplate", &t_task }, { "Mode", &t_mode }, { "UpdateConfig", &t_updcfg },
	{ "RollbackConfig", &t_updcfg }, { "Networks", &t_netatts },
	{ "EndpointSpec", &t_endpointspec },
	END
};
static const struct gostruct service_st = {
	"ServiceSpec", service_fields, annotations_fields, NULL
};
const struct gotype go_service_spec = STRUCT(&service_st);
