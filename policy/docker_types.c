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
static const struct gofield health_fields[] = {
	{ "Test", &go_strs }, { "Interval", &go_i64 }, { "Timeout", &go_i64 },
	{ "StartPeriod", &go_i64 }, { "StartInterval", &go_i64 }, { "Retries", &go_i64 },
	END
};
static const struct gostruct health_st = { "Healthcheck", health_fields, NULL, NULL };
static const struct gotype t_health = STRUCT(&health_st);
const struct gotype go_health_config = STRUCT(&health_st);

static const struct gofield config_fields[] = {
	{ "Hostname", &go_str }, { "Domainname", &go_str }, { "User", &go_str },
	{ "AttachStdin", &go_bool }, { "AttachStdout", &go_bool }, { "AttachStderr", &go_bool },
	{ "ExposedPorts", &t_map_empty }, { "Tty", &go_bool }, { "OpenStdin", &go_bool },
	{ "StdinOnce", &go_bool }, { "Env", &go_strs }, { "Cmd", &t_strslice },
	{ "Healthcheck", &t_health }, { "ArgsEscaped", &go_bool }, { "Image", &go_str },
	{ "Volumes", &t_map_empty }, { "WorkingDir", &go_str }, { "Entrypoint", &t_strslice },
	{ "NetworkDisabled", &go_bool }, { "MacAddress", &go_str }, { "OnBuild", &go_strs },
	{ "Labels", &go_map_str }, { "StopSignal", &go_str }, { "StopTimeout", &go_i64 },
	{ "Shell", &t_strslice },
	END
};

/* ---- container.Resources (embedded in HostConfig and UpdateConfig) ------- */
static const struct gofield weightdev_fields[] = {
	{ "Path", &go_str }, { "Weight", &t_u16 }, END
};
static const struct gostruct weightdev_st = { "WeightDevice", weightdev_fields, NULL, NULL };
static const struct gotype t_weightdev = STRUCT(&weightdev_st);
static const struct gotype t_weightdevs = SLICE(&t_weightdev);
static const struct gofield throttledev_fields[] = {
	{ "Path", &go_str }, { "Rate", &go_u64 }, END
};
static const struct gostruct throttledev_st = { "ThrottleDevice", throttledev_fields, NULL, NULL };
static const struct gotype t_throttledev = STRUCT(&throttledev_st);
static const struct gotype t_throttledevs = SLICE(&t_throttledev);
static const struct gofield devmap_fields[] = {
	{ "PathOnHost", &go_str }, { "PathInContainer", &go_str }, { "CgroupPermissions", &go_str },
	END
};
static const struct gostruct devmap_st = { "DeviceMapping", devmap_fields, NULL, NULL };
static const struct gotype t_devmap = STRUCT(&devmap_st);
static const struct gotype t_devmaps = SLICE(&t_devmap);
static const struct gofield devreq_fields[] = {
	{ "Driver", &go_str }, { "Count", &go_i64 }, { "DeviceIDs", &go_strs },
	{ "Capabilities", &t_strss }, { "Options", &go_map_str }, END
};
static const struct gostruct devreq_st = { "DeviceRequest", devreq_fields, NULL, NULL };
static const struct gotype t_devreq = STRUCT(&devreq_st);
static const struct gotype t_devreqs = SLICE(&t_devreq);
static const struct gofield ulimit_fields[] = {
	{ "Name", &go_str }, { "Hard", &go_i64 }, { "Soft", &go_i64 }, END
};
static const struct gostruct ulimit_st = { "Ulimit", ulimit_fields, NULL, NULL };
static const struct gotype t_ulimit = STRUCT(&ulimit_st);
static const struct gotype t_ulimits = SLICE(&t_ulimit);
const struct gotype go_ulimit_slice = SLICE(&t_ulimit);

static const struct gofield resources_fields[] = {
	{ "CpuShares", &go_i64 }, { "Memory", &go_i64 }, { "NanoCpus", &go_i64 },
	{ "CgroupParent", &go_str }, { "BlkioWeight", &t_u16 },
	{ "BlkioWeightDevice", &t_weightdevs }, { "BlkioDeviceReadBps", &t_throttledevs },
	{ "BlkioDeviceWriteBps", &t_throttledevs }, { "BlkioDeviceReadIOps", &t_throttledevs },
	{ "BlkioDeviceWriteIOps", &t_throttledevs }, { "CpuPeriod", &go_i64 },
	{ "CpuQuota", &go_i64 }, { "CpuRealtimePeriod", &go_i64 },
	{ "CpuRealtimeRuntime", &go_i64 }, { "CpusetCpus", &go_str }, { "CpusetMems", &go_str },
	{ "Devices", &t_devmaps }, { "DeviceCgroupRules", &go_strs },
	{ "DeviceRequests", &t_devreqs }, { "KernelMemory", &go_i64 },
	{ "KernelMemoryTCP", &go_i64 }, { "MemoryReservation", &go_i64 },
	{ "MemorySwap", &go_i64 }, { "MemorySwappiness", &go_i64 },
	{ "OomKillDisable", &go_bool }, { "PidsLimit", &go_i64 }, { "Ulimits", &t_ulimits },
	{ "CpuCount", &go_i64 }, { "CpuPercent", &go_i64 }, { "IOMaximumIOps", &go_u64 },
	{ "IOMaximumBandwidth", &go_u64 },
	END
};

/* ---- mount.Mount ----------------------------------------------------------- */
static const struct gofield bindopt_fields[] = {
	{ "Propagation", &go_str }, { "NonRecursive", &go_bool }, { "CreateMountpoint", &go_bool },
	{ "ReadOnlyNonRecursive", &go_bool }, { "ReadOnlyForceRecursive", &go_bool }, END
};
static const struct gostruct bindopt_st = { "BindOptions", bindopt_fields, NULL, NULL };
static const struct gotype t_bindopt = STRUCT(&bindopt_st);
static const struct gofield driver_fields[] = {
	{ "Name", &go_str }, { "Options", &go_map_str }, END
};
static const struct gostruct driver_st = { "Driver", driver_fields, NULL, NULL };
static const struct gotype t_driver = STRUCT(&driver_st);
static const struct gofield volopt_fields[] = {
	{ "NoCopy", &go_bool }, { "Labels", &go_map_str }, { "Subpath", &go_str },
	{ "DriverConfig", &t_driver }, END
};
static const struct gostruct volopt_st = { "VolumeOptions", volopt_fields, NULL, NULL };
static const struct gotype t_volopt = STRUCT(&volopt_st);
static const struct gofield imgopt_fields[] = { { "Subpath", &go_str }, END };
static const struct gostruct imgopt_st = { "ImageOptions", imgopt_fields, NULL, NULL };
static const struct gotype t_imgopt = STRUCT(&imgopt_st);
static const struct gofield tmpfsopt_fields[] = {
	{ "SizeBytes", &go_i64 }, { "Mode", &go_u32 }, { "Options", &t_strss }, END
};
static const struct gostruct tmpfsopt_st = { "TmpfsOptions", tmpfsopt_fields, NULL, NULL };
static const struct gotype t_tmpfsopt = STRUCT(&tmpfsopt_st);
static const struct gofield mount_fields[] = {
	{ "Type", &go_str }, { "Source", &go_str }, { "Target", &go_str }, { "ReadOnly", &go_bool },
	{ "Consistency", &go_str }, { "BindOptions", &t_bindopt }, { "VolumeOptions", &t_volopt },
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
	{ "Type", &go_str }, { "Config", &go_map_str }, END
};
static const struct gostruct logcfg_st = { "LogConfig", logcfg_fields, NULL, NULL };
static const struct gotype t_logcfg = STRUCT(&logcfg_st);
static const struct gofield restart_fields[] = {
	{ "Name", &go_str }, { "MaximumRetryCount", &go_i64 }, END
};
static const struct gostruct restart_st = { "RestartPolicy", restart_fields, NULL, NULL };
static const struct gotype t_restart = STRUCT(&restart_st);
static const struct gofield portbinding_fields[] = {
	{ "HostIp", &go_str }, { "HostPort", &go_str }, END
};
static const struct gostruct portbinding_st = { "PortBinding", portbinding_fields, NULL, NULL };
static const struct gotype t_portbinding = STRUCT(&portbinding_st);
static const struct gotype t_portbindings = SLICE(&t_portbinding);
static const struct gotype t_portmap = MAP(&t_portbindings);

static const struct gofield hostconfig_fields[] = {
	{ "Binds", &go_strs }, { "ContainerIDFile", &go_str }, { "LogConfig", &t_logcfg },
	{ "NetworkMode", &go_str }, { "PortBindings", &t_portmap },
	{ "RestartPolicy", &t_restart }, { "AutoRemove", &go_bool }, { "VolumeDriver", &go_str },
	{ "VolumesFrom", &go_strs }, { "ConsoleSize", &t_uint2 }, { "Annotations", &go_map_str },
	{ "CapAdd", &t_strslice }, { "CapDrop", &t_strslice }, { "CgroupnsMode", &go_str },
	{ "Dns", &go_strs }, { "DnsOptions", &go_strs }, { "DnsSearch", &go_strs },
	{ "ExtraHosts", &go_strs }, { "GroupAdd", &go_strs }, { "IpcMode", &go_str },
	{ "Cgroup", &go_str }, { "Links", &go_strs }, { "OomScoreAdj", &go_i64 },
	{ "PidMode", &go_str }, { "Privileged", &go_bool }, { "PublishAllPorts", &go_bool },
	{ "ReadonlyRootfs", &go_bool }, { "SecurityOpt", &go_strs },
	{ "StorageOpt", &go_map_str }, { "Tmpfs", &go_map_str }, { "UTSMode", &go_str },
	{ "UsernsMode", &go_str }, { "ShmSize", &go_i64 }, { "Sysctls", &go_map_str },
	{ "Runtime", &go_str }, { "Isolation", &go_str }, { "Mounts", &t_mounts },
	{ "MaskedPaths", &go_strs }, { "ReadonlyPaths", &go_strs }, { "Init", &go_bool },
	END
};
static const struct gostruct hostconfig_st = {
	"HostConfig", hostconfig_fields, resources_fields, NULL
};
static const struct gotype t_hostconfig = STRUCT(&hostconfig_st);

/* ---- network.NetworkingConfig --------------------------------------------- */
static const struct gofield ipam_fields[] = {
	{ "IPv4Address", &go_str }, { "IPv6Address", &go_str }, { "LinkLocalIPs", &go_strs }, END
};
static const struct gostruct ipam_st = { "IPAMConfig", ipam_fields, NULL, NULL };
static const struct gotype t_ipam = STRUCT(&ipam_st);
static const struct gofield endpoint_fields[] = {
	{ "IPAMConfig", &t_ipam }, { "Links", &go_strs }, { "Aliases", &go_strs },
	{ "DriverOpts", &go_map_str }, { "GwPriority", &go_i64 }, { "NetworkID", &go_str },
	{ "EndpointID", &go_str }, { "Gateway", &go_str }, { "IPAddress", &go_str },
	{ "IPPrefixLen", &go_i64 }, { "IPv6Gateway", &go_str }, { "GlobalIPv6Address", &go_str },
	{ "GlobalIPv6PrefixLen", &go_i64 }, { "MacAddress", &go_str }, { "DNSNames", &go_strs },
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
	{ "Cpuset", &go_str }, END
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
	{ "User", &go_str }, { "Privileged", &go_bool }, { "Tty", &go_bool },
	{ "ConsoleSize", &t_uint2 }, { "AttachStdin", &go_bool }, { "AttachStderr", &go_bool },
	{ "AttachStdout", &go_bool }, { "Detach", &go_bool }, { "DetachKeys", &go_str },
	{ "Env", &go_strs }, { "WorkingDir", &go_str }, { "Cmd", &t_strslice },
	END
};
static const struct gostruct exec_st = { "ExecConfig", exec_fields, NULL, NULL };
const struct gotype go_exec_config = STRUCT(&exec_st);

/* ---- POST /volumes/create ------------------------------------------------------ */
static const struct gofield volcreate_fields[] = {
	{ "Name", &go_str }, { "Driver", &go_str }, { "DriverOpts", &go_map_str },
	{ "Labels", &go_map_str }, { "ClusterVolumeSpec", &go_any },
	END
};
static const struct gostruct volcreate_st = { "VolumeCreateOptions", volcreate_fields, NULL, NULL };
const struct gotype go_volume_create = STRUCT(&volcreate_st);

/* ---- POST /containers/{id}/start (API < 1.24 accepted a HostConfig) -------- */
const struct gotype go_start_body = T(GO_OPAQUE);
