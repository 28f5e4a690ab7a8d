/* docker_types.c - the Go types of the Docker Engine API request bodies the
 * policy inspects (moby api/types: container.Config, container.HostConfig
 * with its embedded Resources, network.NetworkingConfig, mount.Mount,
 * container.UpdateConfig, ExecOptions, volume.CreateOptions), up to the
 * newest API version this build accepts.
 *
 * Fields not listed here are dropped before forwarding, so every field that
 * can change what a container may do MUST be listed.  Map-typed fields
 * (Labels, Sysctls, DriverOpts, ...) are GO_MAP: their keys are data and are
 * never folded. */
#include "policy/gotypes.h"

#include <stddef.h>

#define T(k)            { (k), NULL, NULL }
#define SLICE(e)        { GO_SLICE, (e), NULL }
#define MAP(e)          { GO_MAP, (e), NULL }
#define STRUCT(s)       { GO_STRUCT, NULL, (s) }
#define END             { NULL, NULL }

static const struct gotype t_bool = T(GO_BOOL);
static const struct gotype t_str = T(GO_STRING);
static const struct gotype t_i64 = T(GO_INT64);
static const struct gotype t_u16 = T(GO_UINT16);
static const struct gotype t_u32 = T(GO_UINT32);
static const struct gotype t_u64 = T(GO_UINT64);
static const struct gotype t_strslice = T(GO_STRSLICE);
static const struct gotype t_empty = T(GO_EMPTY);
const struct gotype go_any = T(GO_OPAQUE);
static const struct gotype t_strs = SLICE(&t_str);
static const struct gotype t_strss = SLICE(&t_strs);
static const struct gotype t_map_str = MAP(&t_str);
static const struct gotype t_map_empty = MAP(&t_empty);
static const struct gotype t_uint2 = { GO_ARRAY2, &t_u64, NULL };

/* ---- container.Config ---------------------------------------------------- */
static const struct gofield health_fields[] = {
	{ "Test", &t_strs }, { "Interval", &t_i64 }, { "Timeout", &t_i64 },
	{ "StartPeriod", &t_i64 }, { "StartInterval", &t_i64 }, { "Retries", &t_i64 },
	END
};
static const struct gostruct health_st = { "Healthcheck", health_fields, NULL, NULL };
static const struct gotype t_health = STRUCT(&health_st);
const struct gotype go_health_config = STRUCT(&health_st);

static const struct gofield config_fields[] = {
	{ "Hostname", &t_str }, { "Domainname", &t_str }, { "User", &t_str },
	{ "AttachStdin", &t_bool }, { "AttachStdout", &t_bool }, { "AttachStderr", &t_bool },
	{ "ExposedPorts", &t_map_empty }, { "Tty", &t_bool }, { "OpenStdin", &t_bool },
	{ "StdinOnce", &t_bool }, { "Env", &t_strs }, { "Cmd", &t_strslice },
	{ "Healthcheck", &t_health }, { "ArgsEscaped", &t_bool }, { "Image", &t_str },
	{ "Volumes", &t_map_empty }, { "WorkingDir", &t_str }, { "Entrypoint", &t_strslice },
	{ "NetworkDisabled", &t_bool }, { "MacAddress", &t_str }, { "OnBuild", &t_strs },
	{ "Labels", &t_map_str }, { "StopSignal", &t_str }, { "StopTimeout", &t_i64 },
	{ "Shell", &t_strslice },
	END
};

/* ---- container.Resources (embedded in HostConfig and UpdateConfig) ------- */
static const struct gofield weightdev_fields[] = {
	{ "Path", &t_str }, { "Weight", &t_u16 }, END
};
static const struct gostruct weightdev_st = { "WeightDevice", weightdev_fields, NULL, NULL };
static const struct gotype t_weightdev = STRUCT(&weightdev_st);
static const struct gotype t_weightdevs = SLICE(&t_weightdev);
static const struct gofield throttledev_fields[] = {
	{ "Path", &t_str }, { "Rate", &t_u64 }, END
};
static const struct gostruct throttledev_st = { "ThrottleDevice", throttledev_fields, NULL, NULL };
static const struct gotype t_throttledev = STRUCT(&throttledev_st);
static const struct gotype t_throttledevs = SLICE(&t_throttledev);
static const struct gofield devmap_fields[] = {
	{ "PathOnHost", &t_str }, { "PathInContainer", &t_str }, { "CgroupPermissions", &t_str },
	END
};
static const struct gostruct devmap_st = { "DeviceMapping", devmap_fields, NULL, NULL };
static const struct gotype t_devmap = STRUCT(&devmap_st);
static const struct gotype t_devmaps = SLICE(&t_devmap);
static const struct gofield devreq_fields[] = {
	{ "Driver", &t_str }, { "Count", &t_i64 }, { "DeviceIDs", &t_strs },
	{ "Capabilities", &t_strss }, { "Options", &t_map_str }, END
};
static const struct gostruct devreq_st = { "DeviceRequest", devreq_fields, NULL, NULL };
static const struct gotype t_devreq = STRUCT(&devreq_st);
static const struct gotype t_devreqs = SLICE(&t_devreq);
static const struct gofield ulimit_fields[] = {
	{ "Name", &t_str }, { "Hard", &t_i64 }, { "Soft", &t_i64 }, END
};
static const struct gostruct ulimit_st = { "Ulimit", ulimit_fields, NULL, NULL };
static const struct gotype t_ulimit = STRUCT(&ulimit_st);
static const struct gotype t_ulimits = SLICE(&t_ulimit);
const struct gotype go_ulimit_slice = SLICE(&t_ulimit);

static const struct gofield resources_fields[] = {
	{ "CpuShares", &t_i64 }, { "Memory", &t_i64 }, { "NanoCpus", &t_i64 },
	{ "CgroupParent", &t_str }, { "BlkioWeight", &t_u16 },
	{ "BlkioWeightDevice", &t_weightdevs }, { "BlkioDeviceReadBps", &t_throttledevs },
	{ "BlkioDeviceWriteBps", &t_throttledevs }, { "BlkioDeviceReadIOps", &t_throttledevs },
	{ "BlkioDeviceWriteIOps", &t_throttledevs }, { "CpuPeriod", &t_i64 },
	{ "CpuQuota", &t_i64 }, { "CpuRealtimePeriod", &t_i64 },
	{ "CpuRealtimeRuntime", &t_i64 }, { "CpusetCpus", &t_str }, { "CpusetMems", &t_str },
	{ "Devices", &t_devmaps }, { "DeviceCgroupRules", &t_strs },
	{ "DeviceRequests", &t_devreqs }, { "KernelMemory", &t_i64 },
	{ "KernelMemoryTCP", &t_i64 }, { "MemoryReservation", &t_i64 },
	{ "MemorySwap", &t_i64 }, { "MemorySwappiness", &t_i64 },
	{ "OomKillDisable", &t_bool }, { "PidsLimit", &t_i64 }, { "Ulimits", &t_ulimits },
	{ "CpuCount", &t_i64 }, { "CpuPercent", &t_i64 }, { "IOMaximumIOps", &t_u64 },
	{ "IOMaximumBandwidth", &t_u64 },
	END
};

/* ---- mount.Mount ----------------------------------------------------------- */
static const struct gofield bindopt_fields[] = {
	{ "Propagation", &t_str }, { "NonRecursive", &t_bool }, { "CreateMountpoint", &t_bool },
	{ "ReadOnlyNonRecursive", &t_bool }, { "ReadOnlyForceRecursive", &t_bool }, END
};
static const struct gostruct bindopt_st = { "BindOptions", bindopt_fields, NULL, NULL };
static const struct gotype t_bindopt = STRUCT(&bindopt_st);
static const struct gofield driver_fields[] = {
	{ "Name", &t_str }, { "Options", &t_map_str }, END
};
static const struct gostruct driver_st = { "Driver", driver_fields, NULL, NULL };
static const struct gotype t_driver = STRUCT(&driver_st);
static const struct gofield volopt_fields[] = {
	{ "NoCopy", &t_bool }, { "Labels", &t_map_str }, { "Subpath", &t_str },
	{ "DriverConfig", &t_driver }, END
};
static const struct gostruct volopt_st = { "VolumeOptions", volopt_fields, NULL, NULL };
static const struct gotype t_volopt = STRUCT(&volopt_st);
static const struct gofield imgopt_fields[] = { { "Subpath", &t_str }, END };
static const struct gostruct imgopt_st = { "ImageOptions", imgopt_fields, NULL, NULL };
static const struct gotype t_imgopt = STRUCT(&imgopt_st);
static const struct gofield tmpfsopt_fields[] = {
	{ "SizeBytes", &t_i64 }, { "Mode", &t_u32 }, { "Options", &t_strss }, END
};
static const struct gostruct tmpfsopt_st = { "TmpfsOptions", tmpfsopt_fields, NULL, NULL };
static const struct gotype t_tmpfsopt = STRUCT(&tmpfsopt_st);
static const struct gofield mount_fields[] = {
	{ "Type", &t_str }, { "Source", &t_str }, { "Target", &t_str }, { "ReadOnly", &t_bool },
	{ "Consistency", &t_str }, { "BindOptions", &t_bindopt }, { "VolumeOptions", &t_volopt },
	{ "ImageOptions", &t_imgopt }, { "TmpfsOptions", &t_tmpfsopt },
	{ "ClusterOptions", &go_any },
	END
};
static const struct gostruct mount_st = { "Mount", mount_fields, NULL, NULL };
static const struct gotype t_mount = STRUCT(&mount_st);
static const struct gotype t_mounts = SLICE(&t_mount);
const struct gotype go_mount_slice = SLICE(&t_mount);

/* ---- container.HostConfig ------------------------------------------------ */
static const struct gofield logcfg_fields[] = {
	{ "Type", &t_str }, { "Config", &t_map_str }, END
};
static const struct gostruct logcfg_st = { "LogConfig", logcfg_fields, NULL, NULL };
static const struct gotype t_logcfg = STRUCT(&logcfg_st);
static const struct gofield restart_fields[] = {
	{ "Name", &t_str }, { "MaximumRetryCount", &t_i64 }, END
};
static const struct gostruct restart_st = { "RestartPolicy", restart_fields, NULL, NULL };
static const struct gotype t_restart = STRUCT(&restart_st);
static const struct gofield portbinding_fields[] = {
	{ "HostIp", &t_str }, { "HostPort", &t_str }, END
};
static const struct gostruct portbinding_st = { "PortBinding", portbinding_fields, NULL, NULL };
static const struct gotype t_portbinding = STRUCT(&portbinding_st);
static const struct gotype t_portbindings = SLICE(&t_portbinding);
static const struct gotype t_portmap = MAP(&t_portbindings);

static const struct gofield hostconfig_fields[] = {
	{ "Binds", &t_strs }, { "ContainerIDFile", &t_str }, { "LogConfig", &t_logcfg },
	{ "NetworkMode", &t_str }, { "PortBindings", &t_portmap },
	{ "RestartPolicy", &t_restart }, { "AutoRemove", &t_bool }, { "VolumeDriver", &t_str },
	{ "VolumesFrom", &t_strs }, { "ConsoleSize", &t_uint2 }, { "Annotations", &t_map_str },
	{ "CapAdd", &t_strslice }, { "CapDrop", &t_strslice }, { "CgroupnsMode", &t_str },
	{ "Dns", &t_strs }, { "DnsOptions", &t_strs }, { "DnsSearch", &t_strs },
	{ "ExtraHosts", &t_strs }, { "GroupAdd", &t_strs }, { "IpcMode", &t_str },
	{ "Cgroup", &t_str }, { "Links", &t_strs }, { "OomScoreAdj", &t_i64 },
	{ "PidMode", &t_str }, { "Privileged", &t_bool }, { "PublishAllPorts", &t_bool },
	{ "ReadonlyRootfs", &t_bool }, { "SecurityOpt", &t_strs },
	{ "StorageOpt", &t_map_str }, { "Tmpfs", &t_map_str }, { "UTSMode", &t_str },
	{ "UsernsMode", &t_str }, { "ShmSize", &t_i64 }, { "Sysctls", &t_map_str },
	{ "Runtime", &t_str }, { "Isolation", &t_str }, { "Mounts", &t_mounts },
	{ "MaskedPaths", &t_strs }, { "ReadonlyPaths", &t_strs }, { "Init", &t_bool },
	END
};
static const struct gostruct hostconfig_st = {
	"HostConfig", hostconfig_fields, resources_fields, NULL
};
static const struct gotype t_hostconfig = STRUCT(&hostconfig_st);

/* ---- network.NetworkingConfig --------------------------------------------- */
static const struct gofield ipam_fields[] = {
	{ "IPv4Address", &t_str }, { "IPv6Address", &t_str }, { "LinkLocalIPs", &t_strs }, END
};
static const struct gostruct ipam_st = { "IPAMConfig", ipam_fields, NULL, NULL };
static const struct gotype t_ipam = STRUCT(&ipam_st);
static const struct gofield endpoint_fields[] = {
	{ "IPAMConfig", &t_ipam }, { "Links", &t_strs }, { "Aliases", &t_strs },
	{ "DriverOpts", &t_map_str }, { "GwPriority", &t_i64 }, { "NetworkID", &t_str },
	{ "EndpointID", &t_str }, { "Gateway", &t_str }, { "IPAddress", &t_str },
	{ "IPPrefixLen", &t_i64 }, { "IPv6Gateway", &t_str }, { "GlobalIPv6Address", &t_str },
	{ "GlobalIPv6PrefixLen", &t_i64 }, { "MacAddress", &t_str }, { "DNSNames", &t_strs },
	END
};
static const struct gostruct endpoint_st = { "EndpointSettings", endpoint_fields, NULL, NULL };
static const struct gotype t_endpoint = STRUCT(&endpoint_st);
static const struct gotype t_endpoints = MAP(&t_endpoint);
static const struct gofield netcfg_fields[] = { { "EndpointsConfig", &t_endpoints }, END };
static const struct gostruct netcfg_st = { "NetworkingConfig", netcfg_fields, NULL, NULL };
static const struct gotype t_netcfg = STRUCT(&netcfg_st);

/* ---- POST /containers/create ---------------------------------------------- */
/* dockerd <= 23 decoded the body into a wrapper that also embedded a
 * HostConfig at the top level and used it when "HostConfig" was absent, plus
 * a deprecated top-level "Cpuset".  Those keys are refused outright. */
static const struct gofield create_fields[] = {
	{ "HostConfig", &t_hostconfig }, { "NetworkingConfig", &t_netcfg }, END
};
static const struct gofield create_refused_fields[] = {
	{ "Cpuset", &t_str }, END
};
static const struct gostruct create_refused_st = {
	"HostConfig", hostconfig_fields, resources_fields, NULL
};
static const struct gostruct create_refused_cpuset = {
	"HostConfig", create_refused_fields, NULL, &create_refused_st
};
static const struct gostruct create_config_st = {
	"ContainerCreateRequest", create_fields, config_fields, &create_refused_cpuset
};
const struct gotype go_create_request = STRUCT(&create_config_st);

/* ---- POST /containers/{id}/update ------------------------------------------ */
static const struct gofield update_fields[] = { { "RestartPolicy", &t_restart }, END };
static const struct gostruct update_st = { "UpdateConfig", update_fields, resources_fields, NULL };
const struct gotype go_update_config = STRUCT(&update_st);

/* ---- POST /containers/{id}/exec --------------------------------------------- */
static const struct gofield exec_fields[] = {
	{ "User", &t_str }, { "Privileged", &t_bool }, { "Tty", &t_bool },
	{ "ConsoleSize", &t_uint2 }, { "AttachStdin", &t_bool }, { "AttachStderr", &t_bool },
	{ "AttachStdout", &t_bool }, { "Detach", &t_bool }, { "DetachKeys", &t_str },
	{ "Env", &t_strs }, { "WorkingDir", &t_str }, { "Cmd", &t_strslice },
	END
};
static const struct gostruct exec_st = { "ExecConfig", exec_fields, NULL, NULL };
const struct gotype go_exec_config = STRUCT(&exec_st);

/* ---- POST /volumes/create ------------------------------------------------------ */
static const struct gofield volcreate_fields[] = {
	{ "Name", &t_str }, { "Driver", &t_str }, { "DriverOpts", &t_map_str },
	{ "Labels", &t_map_str }, { "ClusterVolumeSpec", &go_any },
	END
};
static const struct gostruct volcreate_st = { "VolumeCreateOptions", volcreate_fields, NULL, NULL };
const struct gotype go_volume_create = STRUCT(&volcreate_st);

/* ---- POST /containers/{id}/start (API < 1.24 accepted a HostConfig) -------- */
const struct gotype go_start_body = T(GO_OPAQUE);
