/* checks.h - the per-endpoint checks.  Each one reads the canonical
 * (already Go-decoded) document and records violations; none does I/O.
 * Facts only the engine knows are requested with check_lookup(). */
#ifndef SOCKWARD_CHECKS_H
#define SOCKWARD_CHECKS_H

#include <string.h>

#include <jansson.h>

#include "policy/gotypes.h"
#include "policy/policy.h"
#include "policy/prepared.h"
#include "policy/profile.h"
#include "policy/reqtarget.h"
#include "policy/rules.h"

struct check_ctx {
	const struct policy *pol;
	const struct profile *prof;
	const char *tenant;            /* the identity's tenant, NULL for an operator */
	const struct pol_request *req;
	struct pol_prepared *pp;       /* lookups are recorded here */
	const struct reqtarget *rt;
	const char *name;              /* wildcard of the route: container id, image */
	const json_t *doc;             /* canonical body, or NULL; read-only: it is
	                                  reused by later rounds and forwarded */
	struct violations *vs;
	int need_lookup;               /* a lookup is pending */
	int judging_joined;            /* judging the settings of a joined container:
	                                  no further joins or volume lookups (its
	                                  networks are looked up) */
	char image[512];               /* image the request names, "" if none */
	int not_found;                 /* the engine says the object does not exist */
	char not_found_msg[600];       /* answered as 404 like dockerd would */
	/* tenants (check_tenant.c): a tenant rule decided the request */
	int tenant_status;             /* 0, or the status to answer (404, 403, 409, 400) */
	enum rule_id tenant_rule;
	char tenant_msg[1200];
};

/* Record a violation if the profile has the rule switched on. */
void fire(struct check_ctx *c, enum rule_id r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The answer to a lookup, or NULL when it is still pending (then it has been
 * queued and c->need_lookup set).  A lookup that cannot be queued returns a
 * static failed answer (status 0). */
const struct pol_lookup *check_lookup(struct check_ctx *c, enum pol_lookup_kind kind,
    const char *name);

/* The container the route names (exec, update), looked up; NULL while the
 * lookup is pending, or when the engine has no such container (then the
 * answer is dockerd's own 404, set in c->not_found). */
const struct pol_lookup *route_container(struct check_ctx *c);

/* Helpers shared by the checks */

/* The index jget reads for its object (check_create sets it to the
 * decoder's index of the document's HostConfig, gotypes.h), or NULL. */
extern const struct godec_index *jget_index;

/* json_object_get(obj, key): through the index for its object (a probe of
 * a small table, not jansson's hash: a create's checks read HostConfig
 * ~50 times) */
static inline json_t *
jget(const json_t *obj, const char *key)
{
	if (jget_index != NULL && obj == jget_index->obj && obj != NULL) {
		size_t len = strlen(key);   /* a literal's length and hash fold */
		return godec_index_probe(jget_index, key, len, godec_name_hash(key, len));
	}
	return json_object_get(obj, key);
}

static inline const char *
jstr(const json_t *obj, const char *key)   /* "" when absent/null */
{
	const json_t *v = jget(obj, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

static inline int64_t
jint(const json_t *obj, const char *key, int *present)
{
	const json_t *v = jget(obj, key);
	if (present != NULL)
		*present = json_is_integer(v);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static inline int
jbool(const json_t *obj, const char *key)
{
	return json_is_true(jget(obj, key));
}
/* Go's path.Clean (lexical, relative paths too: "a/../../b" is "../b", ""
 * is "."); -1 when out (len) could be too small: len must exceed
 * strlen(p) + 1 */
int go_path_clean(const char *p, char *out, size_t len);
void human_bytes(int64_t v, char *buf, size_t len);
void human_cpus(int64_t nano, char *buf, size_t len);

/* HostConfig rules (create, and anything else that carries a HostConfig) */
void check_hostconfig(struct check_ctx *c, const json_t *hc);
void check_limits(struct check_ctx *c, const json_t *res, int is_update);
/* The CFS quota and period runc gets for NanoCpus, CpuPeriod, CpuQuota
 * (dockerd's getCPUResources); *q <= 0: no CPU limit at all. */
void cpu_cfs(int64_t nano, int64_t period, int64_t quota, int64_t *q, int64_t *p);
void check_resources_update(struct check_ctx *c, const json_t *res);
void check_mounts(struct check_ctx *c, const json_t *hc);
/* A mount's Type as the engine reads it (check_mounts.c): swarm 1 for a
 * service's ContainerSpec.Mounts, which swarm upper-cases with Go's
 * strings.ToUpper and where an empty Type is a bind; 0 for HostConfig.Mounts */
enum mount_kind { MOUNT_OTHER, MOUNT_BIND, MOUNT_VOLUME, MOUNT_TMPFS };
enum mount_kind mount_kind(const char *type, int swarm);
/* swarm: a service's ContainerSpec.Mounts (an empty Type is a bind) */
void check_mount_array(struct check_ctx *c, const json_t *mounts, const char *ro_fix,
    int swarm);
void check_cap_lists(struct check_ctx *c, const json_t *add, const json_t *drop);
/* A capability name as dockerd reads it, without "CAP_": "Cap_ſys_admin"
 * -> "SYS_ADMIN" (check_hostconfig.c) */
void cap_normalize(const char *in, char *out, size_t len);
void check_sysctl_map(struct check_ctx *c, const json_t *sysctls);
/* --cgroup-parent (HostConfig, an update's Resources, a build's
 * cgroupparent) judged as the cgroup dockerd makes under it */
void check_cgroup_parent(struct check_ctx *c, const char *cp, const char *flag);
void check_volume_driver_opts(struct check_ctx *c, const char *driver,
    const json_t *opts, const char *what);
/* RestartPolicy of a create (is_update 0) or an update (an empty Name keeps
 * the current policy) */
void check_restart_policy(struct check_ctx *c, const json_t *rp, int is_update);
/* Env entries that look like secrets (check_env.c) */
/* What a variable (name, nlen) with value v looks like: "private key",
 * "cloud access key", "token", "password or secret", or NULL (check_env.c) */
const char *env_value_kind(const char *name, size_t nlen, const char *v);
void check_env_secrets(struct check_ctx *c, const json_t *env, const char *what);
/* User: what a User string ("uid[:gid]", names) means for the user rules. */
enum user_class {
	USER_OK,        /* numeric non-zero uid, numeric non-zero gid if given */
	USER_ROOT,      /* uid 0 */
	USER_GID0,      /* primary group 0 */
	USER_NAME,      /* a name sockward cannot resolve (only the image knows) */
	USER_NOGROUP,   /* numeric non-zero uid, no group: the image's passwd decides */
};
enum user_class user_classify(const char *user, size_t len);
/* NULL for USER_OK, else the reason ("is root", ...) */
const char *user_problem(enum user_class k);
/* 1 when the user string means uid 0. */
int user_is_root(const char *user, size_t len);   /* by length: NUL is data */
/* Config.User (else the image's USER) and GroupAdd of a create */
void check_user(struct check_ctx *c, const json_t *config, const json_t *groups);
/* 1 when only /etc/passwd and /etc/group resolve a User (a name, a uid
 * without a group, an id outside [1, 2^31-1]) or a GroupAdd entry (a name,
 * a number out of range) */
int user_needs_files(const char *u, size_t n);
int group_needs_files(const char *g, size_t n);
int groups_need_files(const json_t *groups);   /* any entry of a GroupAdd array */
/* Judge user (may be "") and groups (GroupAdd, may be NULL) as dockerd
 * resolves them: what needs files is resolved through the lookup kind/id
 * (POL_LOOKUP_IMAGE_USERS with an image ID, POL_LOOKUP_CONTAINER_USERS with
 * a container ID; "what" names it in messages: "image x", "container y").
 * Messages: "<subject> <why>; <fix>" and "<gflag> <group> ...". */
void judge_user(struct check_ctx *c, enum rule_id rule, const char *subject, const char *fix,
    const char *user, size_t ulen, const json_t *groups, const char *gflag,
    enum pol_lookup_kind kind, const char *id, const char *what);
/* user (else the image's USER) and groups resolved through image's files
 * (the image looked up for its ID and USER); flag "--user" */
void judge_image_user(struct check_ctx *c, const char *image, int missing_is_404,
    const char *user, size_t ulen, const json_t *groups, const char *gflag, const char *flag);
/* A User string as rule fires it: "<cmd><flag> <user> <why>; set <flag> to
 * ... (<cmd><flag> 1000:1000)"; nothing for USER_OK.  cmd: "" or "docker exec ". */
void fire_user(struct check_ctx *c, enum rule_id rule, const char *cmd, const char *flag,
    const char *user, size_t len);
/* "uid:uid" for a numeric uid, else "1000:1000": the fix a message offers */
void user_fix(const char *user, size_t len, char *out, size_t outlen);
/* One GroupAdd entry: USER_OK (numeric non-zero), USER_GID0, USER_NAME */
enum user_class group_classify(const char *g, size_t len);
/* GroupAdd / ContainerSpec.Groups: gid 0 and names fire rule */
void check_group_add_root(struct check_ctx *c, enum rule_id rule, const json_t *groups,
    const char *flag);
/* An empty user: judge the image's configured user (engine lookup).  For a
 * service a missing image is not answered 404 (the CLI would not pull and
 * retry); it fires user.root naming flag. */
void check_image_user(struct check_ctx *c, const char *image, int missing_is_404,
    const char *flag);
/* Values judged by allow-lists (check_values.c, check_secopt.c) */
void check_volume_driver(struct check_ctx *c, const char *driver, const char *what);
void check_ulimits(struct check_ctx *c, const json_t *ulimits, const char *flag);
void check_oom(struct check_ctx *c, const json_t *obj, const char *score_field);
void check_endpoints_config(struct check_ctx *c, const json_t *netcfg,
    const char *network_mode);
/* 1 when a network reference names a network the engine has to be asked
 * about: not empty, host, bridge, default, none or container:<id> */
int network_needs_lookup(const char *net);
/* A network named by name, ID or ID prefix: judged as the network the
 * engine says it is (a lookup), by the rules of a network create. */
void check_network_ref(struct check_ctx *c, const char *ref, const char *what);
/* EndpointSettings.NetworkID of the endpoint of network net: the network
 * dockerd attaches instead of net when net is user-defined */
void check_endpoint_network_id(struct check_ctx *c, const char *net, const json_t *eps,
    const char *what);
void check_secopts(struct check_ctx *c, const json_t *hc);
/* LogConfig {Type, Config} / LogDriver {Name, Options} (check_logging.c) */
void check_log_config(struct check_ctx *c, const json_t *lc, const char *type_field,
    const char *opts_field, const char *flag);
/* go-units FromHumanSize (decimal units); -1 when it does not parse */
int64_t go_human_size(const char *s);
/* capadd: the ContainerSpec's CapabilityAdd (a seccomp rule gated on a
 * capability applies when the container holds it) */
void check_service_privileges(struct check_ctx *c, const json_t *priv, const json_t *capadd);
/* Image references */
void check_image_ref(struct check_ctx *c, const char *ref, const char *what);
/* How dockerd puts a repo (or fromImage) and a tag query parameter together */
enum ref_join {
	REF_TAG,          /* TagImage (docker tag, commit), import: a tag replaces
	                     repo's tag and digest (WithTag(TrimNamed(repo), tag)) */
	REF_PULL,         /* PullImage's name:tag: a trailing ':' trimmed, a tag that
	                     is a digest gives name@digest, a tag drops repo's digest */
	REF_PULL_EXACT,   /* PullImage exactly: a tag keeps repo's digest
	                     (name:tag@digest, stored as a digest reference) */
};
/* The reference dockerd applies from repo and tag (tag NULL or "": repo as
 * written, repo:latest when it has no tag or digest); "" for an empty repo.
 * -1 (out "") when it does not fit in out: the name is not judged cut. */
int image_name_with_tag(const char *repo, const char *tag, enum ref_join how, char *out,
    size_t len);
/* A name of an image the request makes that cannot be read or does not fit
 * (why): the image rules refuse it, as they would refuse a name they judge */
void image_name_unjudged(struct check_ctx *c, const char *what, const char *why);

/* State stored in the engine, judged when used (check_state.c) */
/* A named volume the request mounts: if it exists, its driver and options
 * are judged like a volume create's. */
void check_existing_volume(struct check_ctx *c, const char *name, const char *what);
/* An image the request runs: an ID (prefix) is resolved to its names. */
void check_image_use(struct check_ctx *c, const char *ref, const char *what);
/* docker tag: the source image must have an allowed name */
void check_tag_source(struct check_ctx *c, const char *src);
/* update: the CPU limit merged with the container's current settings */
void check_update_merged(struct check_ctx *c);
/* commit/import: the USER the changes (else config's User) leave */
void check_changes_user(struct check_ctx *c, const char *what, const json_t *config);
/* Every "changes" value of the query, joined with "\n" as dockerd joins
 * them (malloc'd; NULL when out of memory). */
char *joined_changes(const struct check_ctx *c);
/* fn on each complete instruction of the changes' text, as dockerd's
 * Dockerfile parser forms it (lines joined across continuations, comments
 * and directives out), with the escape character in force; a non-zero
 * return from fn stops with -1.  -1 too when the text cannot be read as
 * dockerd reads it; 1 when it ends inside a line continuation (it would
 * swallow a line joined after it), else 0. */
int changes_each(const char *text, int (*fn)(const char *line, size_t n, char esc, void *arg),
    void *arg);

/* Tenants (check_tenant.c), only for an identity with a tenant: the
 * objects the path and the body name must be the tenant's (before the
 * endpoint's checks, so those never judge another tenant's object); the
 * quota of a create; and, once allowed, the labels stamped into what is
 * forwarded and the names resolved to full IDs (sets pp->fwd_body and
 * *target; -1 with c->tenant_status set when it cannot). */
void tenant_precheck(struct check_ctx *c);
void tenant_quota(struct check_ctx *c);
int tenant_forward(struct check_ctx *c, char **target);

/* Endpoint checks */
void check_create(struct check_ctx *c);
void check_update(struct check_ctx *c);
void check_exec(struct check_ctx *c);
void check_exec_start(struct check_ctx *c);
void check_start(struct check_ctx *c);
void check_restart(struct check_ctx *c);
/* start, restart: the container's bind sources judged again (lookup) */
void check_start_binds(struct check_ctx *c);
void check_volume(struct check_ctx *c);
void check_build(struct check_ctx *c);
void check_pull(struct check_ctx *c);
void check_tag(struct check_ctx *c);
void check_commit(struct check_ctx *c);
void check_load(struct check_ctx *c);
void check_session(struct check_ctx *c);
void check_service(struct check_ctx *c);
void check_network_create(struct check_ctx *c);
void check_network_connect(struct check_ctx *c);
void check_archive(struct check_ctx *c);

#endif
