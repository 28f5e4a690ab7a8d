/* docker_types.c - the Go types of the Docker Engine API request bodies the
 * policy inspects (moby api/types: container.Config, container.HostConfig
 * with its embedded Resources, network.NetworkingConfig, mount.Mount,
 * container.UpdateConfig, ExecOptions, volume.CreateOptions), up to the
 * newest API version this build accepts.
 *
 * Fields not listed here are dropped before forwarding, so every field that
 * can change what a container may do MUST be listed.  Map-typed fields
 * (Labels, Sysctls, DriverOpts, ...) are GO_MAP: their keys are data and are
 * never folded.
 *
 * Every field carries a note (gotypes.h): the rules that judge it, or why
 * none is needed.  A field added without a note fails the unit tests. */
#include "policy/gotypes.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define T(k)            GT_SCALAR(k)
#define SLICE(e)        GT_SLICE(e)
#define MAP(e)          GT_MAP(e)
#define STRUCT(s)       GT_STRUCT(s)
#define END             GT_END

static const struct gotype t_u16 = T(GO_UINT16);
static const struct gotype t_strslice = T(GO_STRSLICE);
const struct gotype go_any = T(GO_OPAQUE);
const struct gotype go_bool = T(GO_BOOL);
const struct gotype go_str = T(GO_STRING);
const struct gotype go_i64 = T(GO_INT64);
const struct gotype go_u32 = T(GO_UINT32);
const struct gotype go_u64 = T(GO_UINT64);
const struct gotype go_empty = T(GO_EMPTY);
const struct gotype go_strs = SLICE(&go_str);
const struct gotype go_map_str = MAP(&go_str);
static const struct gotype t_strss = SLICE(&go_strs);
static const struct gotype t_map_empty = MAP(&go_empty);
static const struct gotype t_uint2 = { GO_ARRAY2, &go_u64, NULL };

/* ---- container.Config ---------------------------------------------------- */
#define RUNS_INSIDE "runs inside the container, with its limits and confinement"
static const struct gofield health_fields[] = {
	{ "Test", &go_strs, HARMLESS(RUNS_INSIDE) },
	{ "Interval", &go_i64, HARMLESS("timing") }, { "Timeout", &go_i64, HARMLESS("timing") },
	{ "StartPeriod", &go_i64, HARMLESS("timing") },
	{ "StartInterval", &go_i64, HARMLESS("timing") },
	{ "Retries", &go_i64, HARMLESS("timing") },
	END
};
static const struct gostruct health_st = { "Healthcheck", health_fields, { NULL }, NULL };
static const struct gotype t_health = STRUCT(&health_st);
const struct gotype go_health_config = STRUCT(&health_st);

static const struct gofield config_fields[] = {
	{ "Hostname", &go_str, HARMLESS("the container's own UTS name") },
	{ "Domainname", &go_str, HARMLESS("the container's own UTS name") },
	{ "User", &go_str, JUDGED("user.root") },
	{ "AttachStdin", &go_bool, HARMLESS("stream plumbing") },
	{ "AttachStdout", &go_bool, HARMLESS("stream plumbing") },
	{ "AttachStderr", &go_bool, HARMLESS("stream plumbing") },
	{ "ExposedPorts", &t_map_empty, HARMLESS("metadata; publishing them needs -P (ports.publish_all) or PortBindings (ports.*)") },
	{ "Tty", &go_bool, HARMLESS("stream plumbing") },
	{ "OpenStdin", &go_bool, HARMLESS("stream plumbing") },
	{ "StdinOnce", &go_bool, HARMLESS("stream plumbing") },
	{ "Env", &go_strs, JUDGED("env.secrets") },   /* otherwise the process's own environment */
	{ "Cmd", &t_strslice, HARMLESS(RUNS_INSIDE) },
	{ "Healthcheck", &t_health, FIELDS },
	{ "ArgsEscaped", &go_bool, HARMLESS("Windows command line quoting") },
	{ "Image", &go_str, JUDGED("image.pinned,image.registry,user.root") },
	{ "Volumes", &t_map_empty, JUDGED("volumes.driver") },   /* anonymous volumes: VolumeDriver */
	{ "WorkingDir", &go_str, HARMLESS("a path inside the container") },
	{ "Entrypoint", &t_strslice, HARMLESS(RUNS_INSIDE) },
	{ "NetworkDisabled", &go_bool, HARMLESS("removes networking") },
	{ "MacAddress", &go_str, HARMLESS("the container's own interface on its network") },
	{ "OnBuild", &go_strs, HARMLESS("image metadata for later builds, judged when built") },
	{ "Labels", &go_map_str, HARMLESS("metadata") },
	{ "StopSignal", &go_str, HARMLESS("signal to the container's own process") },
	{ "StopTimeout", &go_i64, HARMLESS("timing") },
	{ "Shell", &t_strslice, HARMLESS(RUNS_INSIDE) },
	END
};

/* ---- container.Resources (embedded in HostConfig and UpdateConfig) ------- */
#define ONLY_LIMITS "only limits what the container gets"
static const struct gofield weightdev_fields[] = {
	{ "Path", &go_str, HARMLESS("a host device whose I/O weight is set; dockerd only stats it") },
	{ "Weight", &t_u16, HARMLESS(ONLY_LIMITS) }, END
};
static const struct gostruct weightdev_st = { "WeightDevice", weightdev_fields, { NULL }, NULL };
static const struct gotype t_weightdev = STRUCT(&weightdev_st);
static const struct gotype t_weightdevs = SLICE(&t_weightdev);
static const struct gofield throttledev_fields[] = {
	{ "Path", &go_str, HARMLESS("a host device whose I/O is throttled; dockerd only stats it") },
	{ "Rate", &go_u64, HARMLESS(ONLY_LIMITS) }, END
};
static const struct gostruct throttledev_st = { "ThrottleDevice", throttledev_fields, { NULL }, NULL };
static const struct gotype t_throttledev = STRUCT(&throttledev_st);
static const struct gotype t_throttledevs = SLICE(&t_throttledev);
static const struct gofield devmap_fields[] = {
	{ "PathOnHost", &go_str, JUDGED("devices") },
	{ "PathInContainer", &go_str, JUDGED("devices") },
	{ "CgroupPermissions", &go_str, JUDGED("devices") },
	END
};
static const struct gostruct devmap_st = { "DeviceMapping", devmap_fields, { NULL }, NULL };
static const struct gotype t_devmap = STRUCT(&devmap_st);
static const struct gotype t_devmaps = SLICE(&t_devmap);
static const struct gofield devreq_fields[] = {
	{ "Driver", &go_str, JUDGED("devices.requests") },
	{ "Count", &go_i64, JUDGED("devices.requests") },
	{ "DeviceIDs", &go_strs, JUDGED("devices.requests") },
	{ "Capabilities", &t_strss, JUDGED("devices.requests") },
	{ "Options", &go_map_str, JUDGED("devices.requests") }, END
};
static const struct gostruct devreq_st = { "DeviceRequest", devreq_fields, { NULL }, NULL };
static const struct gotype t_devreq = STRUCT(&devreq_st);
static const struct gotype t_devreqs = SLICE(&t_devreq);
static const struct gofield ulimit_fields[] = {
	{ "Name", &go_str, JUDGED("ulimits") }, { "Hard", &go_i64, JUDGED("ulimits") },
	{ "Soft", &go_i64, JUDGED("ulimits") }, END
};
static const struct gostruct ulimit_st = { "Ulimit", ulimit_fields, { NULL }, NULL };
static const struct gotype t_ulimit = STRUCT(&ulimit_st);
static const struct gotype t_ulimits = SLICE(&t_ulimit);
const struct gotype go_ulimit_slice = SLICE(&t_ulimit);

#define WINDOWS_ONLY "Windows containers only; a Linux engine ignores it"
static const struct gofield resources_fields[] = {
	{ "CpuShares", &go_i64, HARMLESS("a relative CPU weight, " ONLY_LIMITS) },
	{ "Memory", &go_i64, JUDGED("limits.memory") },
	{ "NanoCpus", &go_i64, JUDGED("limits.cpu") },
	{ "CgroupParent", &go_str, JUDGED("cgroup_parent") },
	{ "BlkioWeight", &t_u16, HARMLESS(ONLY_LIMITS) },
	{ "BlkioWeightDevice", &t_weightdevs, FIELDS },
	{ "BlkioDeviceReadBps", &t_throttledevs, FIELDS },
	{ "BlkioDeviceWriteBps", &t_throttledevs, FIELDS },
	{ "BlkioDeviceReadIOps", &t_throttledevs, FIELDS },
	{ "BlkioDeviceWriteIOps", &t_throttledevs, FIELDS },
	{ "CpuPeriod", &go_i64, JUDGED("limits.cpu") },
	{ "CpuQuota", &go_i64, JUDGED("limits.cpu") },
	{ "CpuRealtimePeriod", &go_i64, HARMLESS("a real-time budget; using it needs CAP_SYS_NICE (capabilities.add)") },
	{ "CpuRealtimeRuntime", &go_i64, HARMLESS("a real-time budget; using it needs CAP_SYS_NICE (capabilities.add)") },
	{ "CpusetCpus", &go_str, HARMLESS("CPU pinning, " ONLY_LIMITS) },
	{ "CpusetMems", &go_str, HARMLESS("NUMA pinning, " ONLY_LIMITS) },
	{ "Devices", &t_devmaps, FIELDS },
	{ "DeviceCgroupRules", &go_strs, JUDGED("devices.cgroup_rules") },
	{ "DeviceRequests", &t_devreqs, FIELDS },
	{ "KernelMemory", &go_i64, HARMLESS(ONLY_LIMITS) },
	{ "KernelMemoryTCP", &go_i64, HARMLESS(ONLY_LIMITS) },
	{ "MemoryReservation", &go_i64, HARMLESS("a soft limit below Memory") },
	{ "MemorySwap", &go_i64, JUDGED("limits.memory") },
	{ "MemorySwappiness", &go_i64, HARMLESS("swap tendency within the limits") },
	{ "OomKillDisable", &go_bool, JUDGED("oom.kill_disable") },
	{ "PidsLimit", &go_i64, JUDGED("limits.pids") },
	{ "Ulimits", &t_ulimits, FIELDS },
	{ "CpuCount", &go_i64, HARMLESS(WINDOWS_ONLY) },
	{ "CpuPercent", &go_i64, HARMLESS(WINDOWS_ONLY) },
	{ "IOMaximumIOps", &go_u64, HARMLESS(WINDOWS_ONLY) },
	{ "IOMaximumBandwidth", &go_u64, HARMLESS(WINDOWS_ONLY) },
	END
};

/* ---- mount.Mount ----------------------------------------------------------- */
static const struct gofield bindopt_fields[] = {
	{ "Propagation", &go_str, JUDGED("mounts.propagation") },
	{ "NonRecursive", &go_bool, HARMLESS("mounts less of the judged source") },
	{ "CreateMountpoint", &go_bool, HARMLESS("creates the judged source path") },
	{ "ReadOnlyNonRecursive", &go_bool, JUDGED("mounts.bind_readonly") },
	{ "ReadOnlyForceRecursive", &go_bool, HARMLESS("makes the mount more read-only") }, END
};
static const struct gostruct bindopt_st = { "BindOptions", bindopt_fields, { NULL }, NULL };
static const struct gotype t_bindopt = STRUCT(&bindopt_st);
static const struct gofield driver_fields[] = {
	{ "Name", &go_str, JUDGED("volumes.driver") },
	{ "Options", &go_map_str, JUDGED("mounts.volume_bind") }, END
};
static const struct gostruct driver_st = { "Driver", driver_fields, { NULL }, NULL };
static const struct gotype t_driver = STRUCT(&driver_st);
static const struct gofield volopt_fields[] = {
	{ "NoCopy", &go_bool, HARMLESS("skips copying image data into the volume") },
	{ "Labels", &go_map_str, HARMLESS("metadata") },
	{ "Subpath", &go_str, HARMLESS("a path inside the volume; dockerd refuses one leaving it") },
	{ "DriverConfig", &t_driver, FIELDS }, END
};
static const struct gostruct volopt_st = { "VolumeOptions", volopt_fields, { NULL }, NULL };
static const struct gotype t_volopt = STRUCT(&volopt_st);
static const struct gofield imgopt_fields[] = {
	{ "Subpath", &go_str, HARMLESS("a path inside an image") }, END
};
static const struct gostruct imgopt_st = { "ImageOptions", imgopt_fields, { NULL }, NULL };
static const struct gotype t_imgopt = STRUCT(&imgopt_st);
static const struct gofield tmpfsopt_fields[] = {
	{ "SizeBytes", &go_i64, HARMLESS("memory, counted in the container's memory limit") },
	{ "Mode", &go_u32, HARMLESS("permissions inside the container") },
	{ "Options", &t_strss, JUDGED("mounts.tmpfs") },
	END
};
static const struct gostruct tmpfsopt_st = { "TmpfsOptions", tmpfsopt_fields, { NULL }, NULL };
static const struct gotype t_tmpfsopt = STRUCT(&tmpfsopt_st);
static const struct gofield mount_fields[] = {
	{ "Type", &go_str, JUDGED("mounts.sensitive,mounts.bind_prefix,mounts.docker_socket,mounts.volume_bind") },
	{ "Source", &go_str, JUDGED("mounts.sensitive,mounts.bind_prefix,mounts.docker_socket") },
	{ "Target", &go_str, HARMLESS("a path inside the container") },
	{ "ReadOnly", &go_bool, JUDGED("mounts.bind_readonly") },
	{ "Consistency", &go_str, HARMLESS("a macOS file sharing hint") },
	{ "BindOptions", &t_bindopt, FIELDS }, { "VolumeOptions", &t_volopt, FIELDS },
	{ "ImageOptions", &t_imgopt, FIELDS }, { "TmpfsOptions", &t_tmpfsopt, FIELDS },
	{ "ClusterOptions", &go_any, HARMLESS("cluster volumes (swarm CSI): an empty struct in the API") },
	END
};
static const struct gostruct mount_st = { "Mount", mount_fields, { NULL }, NULL };
static const struct gotype t_mount = STRUCT(&mount_st);
static const struct gotype t_mounts = SLICE(&t_mount);
const struct gotype go_mount_slice = SLICE(&t_mount);

/* ---- container.HostConfig ------------------------------------------------ */
static const struct gofield logcfg_fields[] = {
	{ "Type", &go_str, JUDGED("logging.driver") },
	{ "Config", &go_map_str, JUDGED("logging.driver") }, END
};
static const struct gostruct logcfg_st = { "LogConfig", logcfg_fields, { NULL }, NULL };
static const struct gotype t_logcfg = STRUCT(&logcfg_st);
static const struct gofield restart_fields[] = {
	{ "Name", &go_str, JUDGED("restart.policy") },
	{ "MaximumRetryCount", &go_i64, JUDGED("restart.policy") }, END
};
static const struct gostruct restart_st = { "RestartPolicy", restart_fields, { NULL }, NULL };
static const struct gotype t_restart = STRUCT(&restart_st);
static const struct gofield portbinding_fields[] = {
	{ "HostIp", &go_str, JUDGED("ports.host_ip") },
	{ "HostPort", &go_str, JUDGED("ports.privileged") }, END
};
static const struct gostruct portbinding_st = { "PortBinding", portbinding_fields, { NULL }, NULL };
static const struct gotype t_portbinding = STRUCT(&portbinding_st);
static const struct gotype t_portbindings = SLICE(&t_portbinding);
static const struct gotype t_portmap = MAP(&t_portbindings);

#define NAME_RESOLUTION "the container's own name resolution"
static const struct gofield hostconfig_fields[] = {
	{ "Binds", &go_strs, JUDGED("mounts.sensitive,mounts.bind_prefix,mounts.docker_socket,mounts.bind_readonly,mounts.propagation,volumes.driver") },
	{ "ContainerIDFile", &go_str, HARMLESS("written by the client, not by dockerd") },
	{ "LogConfig", &t_logcfg, FIELDS },
	{ "NetworkMode", &go_str, JUDGED("namespaces.network,namespaces.container,network.default_bridge") },
	{ "PortBindings", &t_portmap, FIELDS },
	{ "RestartPolicy", &t_restart, FIELDS },
	{ "AutoRemove", &go_bool, HARMLESS("removes the container when it exits") },
	{ "VolumeDriver", &go_str, JUDGED("volumes.driver") },
	{ "VolumesFrom", &go_strs, JUDGED("mounts.volumes_from") },
	{ "ConsoleSize", &t_uint2, HARMLESS("terminal size") },
	{ "Annotations", &go_map_str, HARMLESS("OCI annotations; dockerd 20.10 does not read them, runc ignores them (runtime is allow-listed)") },
	{ "CapAdd", &t_strslice, JUDGED("capabilities.add") },
	{ "CapDrop", &t_strslice, JUDGED("capabilities.drop") },
	{ "CgroupnsMode", &go_str, JUDGED("namespaces.cgroupns") },
	{ "Dns", &go_strs, HARMLESS(NAME_RESOLUTION) },
	{ "DnsOptions", &go_strs, HARMLESS(NAME_RESOLUTION) },
	{ "DnsSearch", &go_strs, HARMLESS(NAME_RESOLUTION) },
	{ "ExtraHosts", &go_strs, HARMLESS(NAME_RESOLUTION) },
	{ "GroupAdd", &go_strs, JUDGED("group_add") },
	{ "IpcMode", &go_str, JUDGED("namespaces.ipc,namespaces.container") },
	{ "Cgroup", &go_str, JUDGED("namespaces.container") },
	{ "Links", &go_strs, HARMLESS("name resolution; the target's Env is copied only on the default bridge (network.default_bridge)") },
	{ "OomScoreAdj", &go_i64, JUDGED("oom.score_adj") },
	{ "PidMode", &go_str, JUDGED("namespaces.pid,namespaces.container") },
	{ "Privileged", &go_bool, JUDGED("privileged") },
	{ "PublishAllPorts", &go_bool, JUDGED("ports.publish_all") },
	{ "ReadonlyRootfs", &go_bool, JUDGED("rootfs.readonly") },
	{ "SecurityOpt", &go_strs, JUDGED("security.seccomp,security.apparmor,security.label,security.systempaths,security.no_new_privileges") },
	{ "StorageOpt", &go_map_str, HARMLESS("the size of the container's own writable layer") },
	{ "Tmpfs", &go_map_str, JUDGED("mounts.tmpfs") },
	{ "UTSMode", &go_str, JUDGED("namespaces.uts") },
	{ "UsernsMode", &go_str, JUDGED("namespaces.userns") },
	{ "ShmSize", &go_i64, HARMLESS("memory, counted in the container's memory limit") },
	{ "Sysctls", &go_map_str, JUDGED("sysctls") },
	{ "Runtime", &go_str, JUDGED("runtime") },
	{ "Isolation", &go_str, HARMLESS(WINDOWS_ONLY) },
	{ "Mounts", &t_mounts, FIELDS },
	{ "MaskedPaths", &go_strs, JUDGED("paths.masked,security.systempaths") },
	{ "ReadonlyPaths", &go_strs, JUDGED("paths.readonly,security.systempaths") },
	{ "Init", &go_bool, HARMLESS("dockerd's own init as PID 1 inside the container") },
	END
};
static const struct gostruct hostconfig_st = {
	"HostConfig", hostconfig_fields, { resources_fields }, NULL
};
static const struct gotype t_hostconfig = STRUCT(&hostconfig_st);
const struct gostruct *const go_hostconfig_struct = &hostconfig_st;

/* ---- network.NetworkingConfig --------------------------------------------- */
#define ON_ITS_NETWORK "addressing on a network the container is attached to"
#define OUTPUT_ONLY "an inspect (output) field; dockerd does not read it on create"
static const struct gofield ipam_fields[] = {
	{ "IPv4Address", &go_str, HARMLESS(ON_ITS_NETWORK) },
	{ "IPv6Address", &go_str, HARMLESS(ON_ITS_NETWORK) },
	{ "LinkLocalIPs", &go_strs, HARMLESS(ON_ITS_NETWORK) }, END
};
static const struct gostruct ipam_st = { "IPAMConfig", ipam_fields, { NULL }, NULL };
static const struct gotype t_ipam = STRUCT(&ipam_st);
static const struct gofield endpoint_fields[] = {
	{ "IPAMConfig", &t_ipam, FIELDS },
	{ "Links", &go_strs, HARMLESS("name resolution on that network") },
	{ "Aliases", &go_strs, HARMLESS("name resolution on that network") },
	{ "DriverOpts", &go_map_str, HARMLESS("endpoint options of a network whose driver was judged at its create (network.driver)") },
	{ "GwPriority", &go_i64, HARMLESS("route choice inside the container") },
	/* dockerd's getNetworkID: for a user-defined network the endpoint's
	 * NetworkID, when set, is the network attached, not the map key (or
	 * the network of docker network connect) */
	{ "NetworkID", &go_str, JUDGED("network.driver,namespaces.network,network.default_bridge") },
	{ "EndpointID", &go_str, HARMLESS(OUTPUT_ONLY) },
	{ "Gateway", &go_str, HARMLESS(OUTPUT_ONLY) },
	{ "IPAddress", &go_str, HARMLESS(OUTPUT_ONLY) },
	{ "IPPrefixLen", &go_i64, HARMLESS(OUTPUT_ONLY) },
	{ "IPv6Gateway", &go_str, HARMLESS(OUTPUT_ONLY) },
	{ "GlobalIPv6Address", &go_str, HARMLESS(OUTPUT_ONLY) },
	{ "GlobalIPv6PrefixLen", &go_i64, HARMLESS(OUTPUT_ONLY) },
	{ "MacAddress", &go_str, HARMLESS(ON_ITS_NETWORK) },
	{ "DNSNames", &go_strs, HARMLESS(OUTPUT_ONLY) },
	END
};
static const struct gostruct endpoint_st = { "EndpointSettings", endpoint_fields, { NULL }, NULL };
static const struct gotype t_endpoint = STRUCT(&endpoint_st);
static const struct gotype t_endpoints = MAP(&t_endpoint);
static const struct gofield netcfg_fields[] = {
	/* the map's keys are the networks: network.default_bridge, namespaces.network */
	{ "EndpointsConfig", &t_endpoints, JUDGED("network.default_bridge,namespaces.network") },
	END
};
static const struct gostruct netcfg_st = { "NetworkingConfig", netcfg_fields, { NULL }, NULL };
static const struct gotype t_netcfg = STRUCT(&netcfg_st);

/* ---- POST /containers/create ---------------------------------------------- */
/* dockerd 20.10 decodes the body into runconfig's ContainerConfigWrapper:
 * container.Config embedded, the "HostConfig" object, a deprecated "Cpuset"
 * string, the NetworkingConfig, and a second container.HostConfig embedded
 * at the top level (every HostConfig and Resources field may appear at the
 * top).  Go allocates that embedded HostConfig as soon as one of its keys is
 * present (even with null), and getHostConfig() then applies:
 *   - no top-level field:     the "HostConfig" object (or none);
 *   - top-level fields only:  the top-level HostConfig, "HostConfig" absent
 *                             or null;
 *   - both:                   the "HostConfig" object, into which Memory,
 *                             MemorySwap, CpuShares, CpusetCpus and
 *                             VolumeDriver are copied from the top level
 *                             where the object has a zero value; every
 *                             other top-level field is ignored;
 *   - then Cpuset fills an empty CpusetCpus of whichever HostConfig applies.
 * create_finish() builds that applied HostConfig; the canonical document
 * carries only it, inside "HostConfig", so what is judged and forwarded is
 * what dockerd applies. */
static const struct gofield create_fields[] = {
	{ "HostConfig", &t_hostconfig, FIELDS },
	{ "Cpuset", &go_str, HARMLESS("CPU pinning, folded into HostConfig.CpusetCpus") },
	{ "NetworkingConfig", &t_netcfg, FIELDS },
	END
};

/* For each first byte, a bit per name length (1..63; 64 and longer share
 * bit 0) of the HostConfig and Resources names: most top-level keys (the
 * Config's) are told apart without a comparison. */
static uint64_t hc_shape[256];
static int hc_shape_ready;

static uint64_t
shape_bit(size_t len)
{
	return (uint64_t)1 << (len < 64 ? len : 0);
}

static int
is_hostconfig_key(const char *key)
{
	if (!hc_shape_ready) {
		for (const struct gofield *f = hostconfig_fields; f->name != NULL; f++)
			hc_shape[(unsigned char)f->name[0]] |= shape_bit(strlen(f->name));
		for (const struct gofield *f = resources_fields; f->name != NULL; f++)
			hc_shape[(unsigned char)f->name[0]] |= shape_bit(strlen(f->name));
		hc_shape_ready = 1;
	}
	if ((hc_shape[(unsigned char)key[0]] & shape_bit(strlen(key))) == 0)
		return 0;
	/* the first byte before the whole name: every top-level key comes here */
	for (const struct gofield *f = hostconfig_fields; f->name != NULL; f++)
		if (f->name[0] == key[0] && strcmp(f->name, key) == 0)
			return 1;
	for (const struct gofield *f = resources_fields; f->name != NULL; f++)
		if (f->name[0] == key[0] && strcmp(f->name, key) == 0)
			return 1;
	return 0;
}

static int
zero_value(const json_t *v)
{
	return v == NULL || json_is_null(v) ||
	    (json_is_integer(v) && json_integer_value(v) == 0) ||
	    (json_is_string(v) && json_string_length(v) == 0);
}

/* *changed: set when obj is changed (a top-level HostConfig field moved,
 * a value copied into HostConfig, Cpuset dropped); HostConfig set again to
 * its own object is no change. */
static json_t *
create_finish(json_t *obj, unsigned tables, int *changed, char *err, size_t errlen)
{
	static const char *const merged[] = {
		"Memory", "MemorySwap", "CpuShares", "CpusetCpus", "VolumeDriver", NULL
	};
	json_t *top = NULL, *inner = json_object_get(obj, "HostConfig"), *hc, *v;
	const json_t *cpuset = json_object_get(obj, "Cpuset");
	const char *key;
	void *tmp;

	/* a top-level HostConfig or Resources key is a key whose field is in
	 * hostconfig_fields or resources_fields (promoted[1], promoted[2]; the
	 * names of the tables are distinct): without one, nothing to move */
	if (tables & (1u << 2 | 1u << 3)) {
		if ((top = json_object()) == NULL) {
			snprintf(err, errlen, "out of memory");
			json_decref(obj);
			return NULL;
		}
		json_object_foreach_safe(obj, tmp, key, v)
			if (is_hostconfig_key(key)) {
				*changed = 1;
				json_object_set(top, key, v);
				json_object_del(obj, key);
			}
	}
	size_t ntop = top != NULL ? json_object_size(top) : 0;
	if (!json_is_object(inner))
		inner = NULL;
	if (ntop > 0 && inner == NULL)
		hc = json_incref(top);
	else if (inner != NULL) {
		hc = json_incref(inner);
		if (ntop > 0)
			for (size_t i = 0; merged[i] != NULL; i++) {
				const json_t *tv = json_object_get(top, merged[i]);
				if (!zero_value(tv) && zero_value(json_object_get(hc, merged[i]))) {
					*changed = 1;
					json_object_set(hc, merged[i], (json_t *)tv);
				}
			}
	} else
		hc = NULL;
	if (hc != NULL && !zero_value(cpuset) && zero_value(json_object_get(hc, "CpusetCpus"))) {
		*changed = 1;
		json_object_set(hc, "CpusetCpus", (json_t *)cpuset);
	}
	/* no Cpuset key: nothing to delete */
	if (cpuset != NULL && json_object_del(obj, "Cpuset") == 0)
		*changed = 1;
	if (hc == inner)
		json_decref(hc);   /* "HostConfig" holds it already (or there is none) */
	else {
		*changed = 1;
		json_object_set_new(obj, "HostConfig", hc);
	}
	json_decref(top);
	return obj;
}

static const struct gostruct create_config_st = {
	"ContainerCreateRequest", create_fields,
	{ config_fields, hostconfig_fields, resources_fields }, create_finish
};
const struct gotype go_create_request = STRUCT(&create_config_st);

/* ---- POST /containers/{id}/update ------------------------------------------ */
static const struct gofield update_fields[] = { { "RestartPolicy", &t_restart, FIELDS }, END };
static const struct gostruct update_st = { "UpdateConfig", update_fields, { resources_fields }, NULL };
const struct gotype go_update_config = STRUCT(&update_st);

/* ---- POST /containers/{id}/exec --------------------------------------------- */
static const struct gofield exec_fields[] = {
	{ "User", &go_str, JUDGED("exec.user") },
	{ "Privileged", &go_bool, JUDGED("exec.privileged") },
	{ "Tty", &go_bool, HARMLESS("stream plumbing") },
	{ "ConsoleSize", &t_uint2, HARMLESS("terminal size") },
	{ "AttachStdin", &go_bool, HARMLESS("stream plumbing") },
	{ "AttachStderr", &go_bool, HARMLESS("stream plumbing") },
	{ "AttachStdout", &go_bool, HARMLESS("stream plumbing") },
	{ "Detach", &go_bool, HARMLESS("stream plumbing") },
	{ "DetachKeys", &go_str, HARMLESS("stream plumbing") },
	{ "Env", &go_strs, JUDGED("env.secrets") },
	{ "WorkingDir", &go_str, HARMLESS("a path inside the container") },
	{ "Cmd", &t_strslice, HARMLESS(RUNS_INSIDE) },
	END
};
static const struct gostruct exec_st = { "ExecConfig", exec_fields, { NULL }, NULL };
const struct gotype go_exec_config = STRUCT(&exec_st);

/* ---- POST /volumes/create ------------------------------------------------------ */
static const struct gofield volcreate_fields[] = {
	{ "Name", &go_str, HARMLESS("the volume's name") },
	{ "Driver", &go_str, JUDGED("volumes.driver") },
	{ "DriverOpts", &go_map_str, JUDGED("mounts.volume_bind") },
	{ "Labels", &go_map_str, HARMLESS("metadata") },
	{ "ClusterVolumeSpec", &go_any, HARMLESS("cluster (CSI) volumes: swarm only, and dockerd 20.10 does not read it") },
	END
};
static const struct gostruct volcreate_st = { "VolumeCreateOptions", volcreate_fields, { NULL }, NULL };
const struct gotype go_volume_create = STRUCT(&volcreate_st);

/* ---- POST /networks/create (types.NetworkCreateRequest) --------------------- */
static const struct gofield ipampool_fields[] = {
	{ "Subnet", &go_str, HARMLESS("addresses of the new network") },
	{ "IPRange", &go_str, HARMLESS("addresses of the new network") },
	{ "Gateway", &go_str, HARMLESS("addresses of the new network") },
	{ "AuxiliaryAddresses", &go_map_str, HARMLESS("addresses of the new network") }, END
};
static const struct gostruct ipampool_st = { "IPAMConfig", ipampool_fields, { NULL }, NULL };
static const struct gotype t_ipampool = STRUCT(&ipampool_st);
static const struct gotype t_ipampools = SLICE(&t_ipampool);
static const struct gofield netipam_fields[] = {
	{ "Driver", &go_str, JUDGED("network.driver") },
	{ "Options", &go_map_str, HARMLESS("options of the default IPAM driver (others are refused)") },
	{ "Config", &t_ipampools, FIELDS }, END
};
static const struct gostruct netipam_st = { "IPAM", netipam_fields, { NULL }, NULL };
static const struct gotype t_netipam = STRUCT(&netipam_st);
static const struct gofield confref_fields[] = {
	{ "Network", &go_str, JUDGED("network.driver") }, END
};
static const struct gostruct confref_st = { "ConfigReference", confref_fields, { NULL }, NULL };
static const struct gotype t_confref = STRUCT(&confref_st);
static const struct gofield netcreate_fields[] = {
	{ "Name", &go_str, HARMLESS("the network's name") },
	{ "CheckDuplicate", &go_bool, HARMLESS("name check") },
	{ "Driver", &go_str, JUDGED("network.driver") },
	{ "Scope", &go_str, HARMLESS("local or swarm scope of an allowed driver") },
	{ "EnableIPv4", &go_bool, HARMLESS("addressing of the new network") },
	{ "EnableIPv6", &go_bool, HARMLESS("addressing of the new network") },
	{ "IPAM", &t_netipam, FIELDS },
	{ "Internal", &go_bool, HARMLESS("cuts the network off from outside") },
	{ "Attachable", &go_bool, HARMLESS("lets containers attach to a swarm network") },
	{ "Ingress", &go_bool, HARMLESS("swarm's routing mesh network; swarm endpoints are judged apart") },
	{ "ConfigOnly", &go_bool, HARMLESS("a configuration; using it needs ConfigFrom (network.driver)") },
	{ "ConfigFrom", &t_confref, FIELDS },
	{ "Options", &go_map_str, JUDGED("network.driver,network.icc") },
	{ "Labels", &go_map_str, HARMLESS("metadata") },
	END
};
static const struct gostruct netcreate_st = { "NetworkCreateRequest", netcreate_fields, { NULL }, NULL };
const struct gotype go_network_create = STRUCT(&netcreate_st);

/* ---- POST /networks/{id}/disconnect (types.NetworkDisconnect): read for the
 * container it names ---------------------------------------------------------- */
static const struct gofield netdisconnect_fields[] = {
	{ "Container", &go_str, JUDGED("tenant.isolation") },
	{ "Force", &go_bool, HARMLESS("disconnect even when the container is gone") },
	END
};
static const struct gostruct netdisconnect_st = { "NetworkDisconnect", netdisconnect_fields, { NULL }, NULL };
const struct gotype go_network_disconnect = STRUCT(&netdisconnect_st);

/* ---- a seccomp profile (profiles/seccomp types.Seccomp), read from
 * --security-opt seccomp=<JSON> and a service's Privileges.Seccomp.Profile ---- */
static const struct gofield scarg_fields[] = {
	{ "index", &go_u64, JUDGED("security.seccomp") },
	{ "value", &go_u64, JUDGED("security.seccomp") },
	{ "valueTwo", &go_u64, JUDGED("security.seccomp") },
	{ "op", &go_str, JUDGED("security.seccomp") }, END
};
static const struct gostruct scarg_st = { "Arg", scarg_fields, { NULL }, NULL };
static const struct gotype t_scarg = STRUCT(&scarg_st);
static const struct gotype t_scargs = SLICE(&t_scarg);
static const struct gofield scfilter_fields[] = {
	{ "caps", &go_strs, JUDGED("security.seccomp") },
	{ "arches", &go_strs, HARMLESS("narrows where a rule applies") },
	{ "minKernel", &go_any, HARMLESS("narrows where a rule applies") }, END
};
static const struct gostruct scfilter_st = { "Filter", scfilter_fields, { NULL }, NULL };
static const struct gotype t_scfilter = STRUCT(&scfilter_st);
static const struct gofield scsys_fields[] = {
	{ "name", &go_str, JUDGED("security.seccomp") },
	{ "names", &go_strs, JUDGED("security.seccomp") },
	{ "action", &go_str, JUDGED("security.seccomp") },
	{ "errnoRet", &go_u64, HARMLESS("the error a refused call returns") },
	{ "args", &t_scargs, FIELDS },
	{ "comment", &go_str, HARMLESS("a comment") },
	{ "includes", &t_scfilter, FIELDS },
	{ "excludes", &t_scfilter, HARMLESS("narrows where a rule applies") }, END
};
static const struct gostruct scsys_st = { "Syscall", scsys_fields, { NULL }, NULL };
static const struct gotype t_scsys = STRUCT(&scsys_st);
static const struct gotype t_scsyss = SLICE(&t_scsys);
static const struct gofield seccomp_fields[] = {
	{ "defaultAction", &go_str, JUDGED("security.seccomp") },
	{ "defaultErrnoRet", &go_u64, HARMLESS("the error a refused call returns") },
	{ "architectures", &go_strs, HARMLESS("libseccomp always adds the native architecture") },
	{ "archMap", &go_any, HARMLESS("libseccomp always adds the native architecture") },
	{ "syscalls", &t_scsyss, FIELDS },
	{ "flags", &go_strs, HARMLESS("logging and thread sync flags of the filter") },
	{ "listenerPath", &go_str, JUDGED("security.seccomp") },
	{ "listenerMetadata", &go_str, JUDGED("security.seccomp") },
	END
};
static const struct gostruct seccomp_st = { "Seccomp", seccomp_fields, { NULL }, NULL };
const struct gotype go_seccomp_profile = STRUCT(&seccomp_st);

/* ---- POST /networks/{id}/connect (types.NetworkConnect) -------------------- */
static const struct gofield netconnect_fields[] = {
	{ "Container", &go_str, JUDGED("tenant.isolation") },
	{ "EndpointConfig", &t_endpoint, FIELDS }, END
};
static const struct gostruct netconnect_st = { "NetworkConnect", netconnect_fields, { NULL }, NULL };
const struct gotype go_network_connect = STRUCT(&netconnect_st);

/* ---- POST /containers/{id}/start (API < 1.24 accepted a HostConfig) -------- */
const struct gotype go_start_body = T(GO_OPAQUE);

/* ---- every table, for the unit test that checks the notes -------------------- */
const struct gotype *const go_all_types[] = {
	&go_create_request, &go_update_config, &go_exec_config, &go_volume_create,
	&go_network_create, &go_network_connect, &go_network_disconnect, &go_seccomp_profile, &go_service_spec,
	&go_secret_spec, &go_config_spec, NULL
};
