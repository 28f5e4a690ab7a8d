/* check_endpoints.c - one check per inspected endpoint. */
#include "policy/checks.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/gofold.h"
#include "policy/gotypes.h"

void
check_create(struct check_ctx *c)
{
	const json_t *hc = json_object_get(c->doc, "HostConfig");
	json_t *empty = NULL;

	/* A create without HostConfig gets dockerd's defaults, which are judged
	 * like an empty HostConfig (no limits, default bridge, ...). */
	if (!json_is_object(hc))
		hc = empty = json_object();
	/* the decoder's index of this HostConfig, for the ~50 lookups below
	 * (NULL when there is none: each goes to jansson) */
	const struct godec_index *prev = jget_index;
	jget_index = c->pp != NULL && c->pp->hcix.obj == hc ? &c->pp->hcix : NULL;
	check_image_use(c, jstr(c->doc, "Image"), "image");
	check_hostconfig(c, hc);
	check_mounts(c, hc);
	check_endpoints_config(c, json_object_get(c->doc, "NetworkingConfig"),
	    jstr(hc, "NetworkMode"));
	check_user(c, c->doc, jget(hc, "GroupAdd"));
	check_env_secrets(c, json_object_get(c->doc, "Env"), "Env");
	jget_index = prev;
	json_decref(empty);
}

void
check_update(struct check_ctx *c)
{
	check_resources_update(c, c->doc);
	check_update_merged(c);
}

void
check_exec(struct check_ctx *c)
{
	const char *user = jstr(c->doc, "User");
	const struct pol_lookup *l;

	if (jbool(c->doc, "Privileged"))
		fire(c, R_EXEC_PRIVILEGED, "docker exec --privileged is not allowed");
	check_env_secrets(c, json_object_get(c->doc, "Env"), "docker exec Env");
	if (!c->prof->rule_on[R_EXEC_USER])
		return;
	/* dockerd resolves an exec's user with the container's GroupAdd
	 * (getUser) through the container's /etc/passwd and /etc/group as they
	 * are now; an empty one runs as the container's user */
	if ((l = route_container(c)) == NULL)
		return;
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, R_EXEC_USER, "cannot tell the user of container %s (engine lookup %s), "
		    "use docker exec --user <non-root uid:gid>", c->name,
		    l->status == 0 ? "undecided" : "failed");
		return;
	}
	const json_t *groups = json_object_get(json_object_get(l->json, "HostConfig"), "GroupAdd");
	const char *id = jstr(l->json, "Id");
	char subject[700], fix[160], what[300], uf[32];
	snprintf(what, sizeof what, "container %s", c->name);
	if (user[0] != '\0') {
		size_t ulen = json_string_length(json_object_get(c->doc, "User"));
		user_fix(user, ulen, uf, sizeof uf);
		snprintf(subject, sizeof subject, "docker exec --user %s", user);
		snprintf(fix, sizeof fix, "set --user to a numeric non-root uid:gid (docker exec "
		    "--user %s)", uf);
		judge_user(c, R_EXEC_USER, subject, fix, user, ulen, groups,
		    "the container's --group-add", POL_LOOKUP_CONTAINER_USERS, id, what);
		return;
	}
	const char *cu = jstr(json_object_get(l->json, "Config"), "User");
	user_fix(cu, strlen(cu), uf, sizeof uf);
	snprintf(fix, sizeof fix, "use docker exec --user <non-root uid:gid> (docker exec --user "
	    "%s)", uf);
	if (cu[0] == '\0')
		fire(c, R_EXEC_USER, "container %s runs as root, which is root; %s", c->name, fix);
	snprintf(subject, sizeof subject, "container %s runs as %s, which", c->name, cu);
	judge_user(c, R_EXEC_USER, subject, fix, cu, strlen(cu), groups,
	    "the container's --group-add", POL_LOOKUP_CONTAINER_USERS, id, what);
}

/* POST /exec/{id}/start: dockerd resolves the exec's user now, not at the
 * exec create (daemon/exec.go ContainerExecStart -> execSetPlatformOpt ->
 * getUser), through the container's /etc/passwd and /etc/group as they are
 * then, which may have changed since the create was judged (a file on a
 * volume another container writes).  A user that needs those files is
 * judged again with them; the exec instance's user (ProcessConfig.user) is
 * the create's, or the container's when the create gave none.  An empty one
 * runs as the container's started process, judged at its start. */
void
check_exec_start(struct check_ctx *c)
{
	const struct pol_lookup *l;
	char subject[700], fix[160], what[300], uf[32];

	if (c->req == NULL || !c->prof->rule_on[R_EXEC_USER])
		return;
	if ((l = check_lookup(c, POL_LOOKUP_EXEC, c->name)) == NULL)
		return;
	if (l->status == 404) {
		c->not_found = 1;
		textf(c->not_found_msg, sizeof c->not_found_msg, "No such exec instance: %s",
		    c->name);
		return;
	}
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, R_EXEC_USER, "cannot tell the user of exec instance %s (engine answered "
		    "%d), so its start cannot be judged", c->name, l->status);
		return;
	}
	const json_t *pc = json_object_get(l->json, "ProcessConfig");
	const json_t *uj = json_object_get(pc, "user");
	const char *user = json_is_string(uj) ? json_string_value(uj) : "";
	size_t ulen = json_is_string(uj) ? json_string_length(uj) : 0;
	const char *cid = jstr(l->json, "ContainerID");
	if (ulen == 0)
		return;
	if ((l = check_lookup(c, POL_LOOKUP_CONTAINER, cid)) == NULL)
		return;
	if (l->status != 200 || !json_is_object(l->json)) {
		fire(c, R_EXEC_USER, "cannot tell the groups of the container of exec instance %s "
		    "(engine answered %d), so its start cannot be judged", c->name, l->status);
		return;
	}
	const json_t *groups = json_object_get(json_object_get(l->json, "HostConfig"), "GroupAdd");
	if (!user_needs_files(user, ulen) && !groups_need_files(groups))
		return;   /* judged at the exec create, means the same now */
	snprintf(what, sizeof what, "the container of exec instance %s", c->name);
	user_fix(user, ulen, uf, sizeof uf);
	snprintf(subject, sizeof subject, "exec instance %s runs as user %s, which", c->name,
	    user);
	snprintf(fix, sizeof fix, "create the exec again with --user <non-root uid:gid> "
	    "(docker exec --user %s)", uf);
	judge_user(c, R_EXEC_USER, subject, fix, user, ulen, groups,
	    "the container's --group-add", POL_LOOKUP_CONTAINER_USERS, jstr(l->json, "Id"), what);
}

/* At a start the container's user is resolved again by dockerd, from its
 * files as they are then (docker cp may have changed /etc/passwd since the
 * create): a user that needs those files is judged with them again. */
static void
check_start_user(struct check_ctx *c)
{
	const struct pol_lookup *l;
	char subject[700], fix[160], what[300], uf[32];

	if (c->req == NULL || c->judging_joined || !c->prof->rule_on[R_USER_ROOT])
		return;
	if ((l = route_container(c)) == NULL || l->status != 200 || !json_is_object(l->json))
		return;   /* judged by the bind checks; the engine answers a missing one */
	const json_t *groups = json_object_get(json_object_get(l->json, "HostConfig"), "GroupAdd");
	const char *cu = jstr(json_object_get(l->json, "Config"), "User");
	if (!(cu[0] != '\0' && user_needs_files(cu, strlen(cu))) && !groups_need_files(groups))
		return;   /* judged at its create, means the same now */
	snprintf(what, sizeof what, "container %s", c->name);
	user_fix(cu, strlen(cu), uf, sizeof uf);
	snprintf(subject, sizeof subject, "container %s runs as user %s, which", c->name, cu);
	snprintf(fix, sizeof fix, "recreate it with --user <non-root uid:gid> (--user %s)", uf);
	judge_user(c, R_USER_ROOT, subject, fix, cu, strlen(cu), groups, "its --group-add",
	    POL_LOOKUP_CONTAINER_USERS, jstr(l->json, "Id"), what);
}

/* API >= 1.24 refuses a start body; older ones took a HostConfig in it.
 * The container's bind sources are judged again: dockerd resolves them now,
 * as root, and a source may have become a symlink since the create. */
void
check_start(struct check_ctx *c)
{
	if (c->doc == NULL || json_is_null(c->doc) ||
	    (json_is_object(c->doc) && json_object_size(c->doc) == 0)) {
		check_start_binds(c);
		check_start_user(c);
		return;
	}
	fire(c, R_START_HOSTCONFIG, "a HostConfig in the start request is not allowed, "
	    "pass host options to docker create");
}

/* docker restart mounts the binds again, like a start */
void
check_restart(struct check_ctx *c)
{
	check_start_binds(c);
	check_start_user(c);
}

void
check_volume(struct check_ctx *c)
{
	check_volume_driver(c, jstr(c->doc, "Driver"), "docker volume create");
	check_volume_driver_opts(c, jstr(c->doc, "Driver"), json_object_get(c->doc, "DriverOpts"),
	    "docker volume create");
}

/* The exporter types that name an image by their "name" attribute: moby
 * (dockerd's own, 20.10) and image (newer daemons' containerd store) */
static const char *const image_exporters[] = { "moby", "image" };

/* 1 when one of the output's Type keys (Go's encoding/json matches the key
 * as it folds case, gofold.h; the last one wins, so any one counts) is an
 * image exporter */
static int
output_names_image(const json_t *out)
{
	const char *key;
	const json_t *val;

	json_object_foreach((json_t *)out, key, val) {
		if (!gofold_equal(key, strlen(key), "Type") || !json_is_string(val))
			continue;
		for (size_t i = 0; i < sizeof image_exporters / sizeof image_exporters[0]; i++)
			if (strcmp(json_string_value(val), image_exporters[i]) == 0)
				return 1;
	}
	return 0;
}

/* POST /build?outputs= (API 1.40, BuildKit's --output): an image exporter
 * names the image it makes by Attrs "name", comma-separated names, each as
 * written and latest without a tag (AddTag: TagNameOnly), like -t; only -t
 * was judged, so --output type=moby,name=evil.example/x:1 escaped
 * image.registry and image.pinned.  The Attrs keys are matched as Go
 * matches them (gofold.h: "Attr" with U+017F LONG S too; Go merges them,
 * so every one is judged).  dockerd 20.10 replaces the name with the -t
 * names when there are any; judged all the same.  Outputs jansson cannot read as a list of objects (a duplicate
 * key, which Go takes) cannot be judged: refused. */
static void
check_build_outputs(struct check_ctx *c, const char *v)
{
	json_error_t je;
	json_t *l = json_loads(v, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je), *e, *val;
	const char *key, *bad = NULL;
	char ref[1200], name[600];
	size_t i;

	if (l == NULL)
		bad = je.text;
	else if (!json_is_array(l) && !json_is_null(l))
		bad = "not a JSON list of outputs";
	json_array_foreach(l, i, e) {
		if (!json_is_object(e) && !json_is_null(e)) {
			bad = "an output is not a JSON object";
			break;
		}
		if (!output_names_image(e))
			continue;
		json_object_foreach(e, key, val) {
			if (!gofold_equal(key, strlen(key), "Attrs"))
				continue;
			for (const char *n = jstr(val, "name"), *end; *n != '\0'; n = *end ? end + 1 : end) {
				end = strchrnul(n, ',');
				if (end == n)
					continue;   /* an empty name fails the build */
				if ((size_t)(end - n) >= sizeof name) {
					bad = "a name is too long";
					break;
				}
				snprintf(name, sizeof name, "%.*s", (int)(end - n), n);
				if (image_name_with_tag(name, NULL, REF_TAG, ref, sizeof ref) < 0) {
					bad = "a name is too long";
					break;
				}
				check_image_ref(c, ref, "docker build --output name=");
			}
		}
	}
	if (bad != NULL) {
		char why[300];
		textf(why, sizeof why, "the outputs parameter cannot be read (%s)", bad);
		image_name_unjudged(c, "docker build --output", why);
	}
	json_decref(l);
}

/* r.FormValue semantics for single values; build tags use every "t". */
void
check_build(struct check_ctx *c)
{
	const char *nm = reqtarget_get(c->rt, "networkmode");
	const char *version = reqtarget_get(c->rt, "version");
	const char *cp = reqtarget_get(c->rt, "cgroupparent");
	const char *ul = reqtarget_get(c->rt, "ulimits");

	if (nm != NULL && (strcasecmp(nm, "host") == 0 || strncasecmp(nm, "container:", 10) == 0))
		fire(c, R_BUILD_NETWORK, "docker build --network %s is not allowed", nm);
	else if (nm != NULL && network_needs_lookup(nm))
		/* the classic builder attaches its RUN containers to that network */
		check_network_ref(c, nm, "docker build --network");
	/* the classic builder gives its RUN containers these ulimits
	 * (json.Unmarshal into []*units.Ulimit; an error fails the build; the
	 * docker CLI sends "null" when there are none) */
	if (ul != NULL && ul[0] != '\0') {
		char err[GODEC_ERRLEN];
		json_error_t je;
		json_t *raw = json_loads(ul, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
		json_t *u = raw != NULL ? godecode(&go_ulimit_slice, raw, err, sizeof err) : NULL;
		if (u == NULL)
			fire(c, R_ULIMITS, "docker build --ulimit: the ulimits parameter cannot be "
			    "read (%s)", raw == NULL ? je.text : err);
		else
			check_ulimits(c, u, "docker build --ulimit");
		json_decref(u);
		json_decref(raw);
	}
	if (version != NULL && strcmp(version, "2") == 0 && !c->prof->buildkit)
		fire(c, R_BUILD_SESSION, "BuildKit builds are not allowed, build with "
		    "DOCKER_BUILDKIT=0");
	if (cp != NULL)
		check_cgroup_parent(c, cp, "docker build --cgroup-parent");
	for (size_t i = 0; i < c->rt->nparams; i++)
		if (strcmp(c->rt->params[i].key, "t") == 0)
			check_image_ref(c, c->rt->params[i].value, "build tag");
	const char *outputs = reqtarget_get(c->rt, "outputs");
	if (outputs != NULL && outputs[0] != '\0')
		check_build_outputs(c, outputs);
}

void
check_session(struct check_ctx *c)
{
	if (!c->prof->buildkit)
		fire(c, R_BUILD_SESSION, "BuildKit sessions are not allowed, build with "
		    "DOCKER_BUILDKIT=0");
}

/* POST /images/create: pull (fromImage [+ tag]) or import (fromSrc, repo). */
void
check_pull(struct check_ctx *c)
{
	const char *from = reqtarget_get(c->rt, "fromImage");
	const char *tag = reqtarget_get(c->rt, "tag");
	const char *src = reqtarget_get(c->rt, "fromSrc");
	const char *repo = reqtarget_get(c->rt, "repo");
	char ref[1200];

	if (from != NULL && from[0] != '\0') {
		/* PullImage: a trailing ':' trimmed, a tag replaces fromImage's
		 * own (a digest as tag replaces its digest too); fromImage:tag
		 * appended judged ?fromImage=x:1&tag=2 as the repository "x:1".
		 * No tag: as written, every tag of an untagged repository */
		if (tag != NULL && tag[0] != '\0' ?
		    image_name_with_tag(from, tag, REF_PULL_EXACT, ref, sizeof ref) < 0 :
		    (size_t)snprintf(ref, sizeof ref, "%s", from) >= sizeof ref)
			image_name_unjudged(c, "docker pull", "the name is too long");
		else
			check_image_ref(c, ref, "docker pull");
		return;
	}
	/* no fromImage: dockerd imports (fromSrc "-" is the body, else a URL) */
	(void)src;
	if (repo != NULL && repo[0] != '\0') {
		/* ImportImage: WithTag(repo, tag), a tag replacing repo's own
		 * (repo:tag appended judged ?repo=x:1&tag=2 as the repository
		 * "x:1"); a repo with a digest is refused by dockerd */
		if (image_name_with_tag(repo, tag, REF_TAG, ref, sizeof ref) < 0)
			image_name_unjudged(c, "docker import", "the name is too long");
		else
			check_image_ref(c, ref, "docker import");
	}
	check_changes_user(c, "docker import", NULL);
}

/* POST /images/{name}/tag?repo=&tag=: the name TagImage gives (a tag
 * replaces repo's own tag or digest; neither: latest), not repo:tag
 * appended, which judged ?repo=x@sha256:...&tag=latest pinned by a digest
 * dockerd drops (it names x:latest) and ?repo=x:2 as x:2:latest */
void
check_tag(struct check_ctx *c)
{
	char ref[1200];

	if (image_name_with_tag(reqtarget_get(c->rt, "repo"), reqtarget_get(c->rt, "tag"), REF_TAG,
	    ref, sizeof ref) < 0)
		image_name_unjudged(c, "docker tag", "the name is too long");
	else
		check_image_ref(c, ref, "docker tag");
	check_tag_source(c, c->name);
}

/* POST /commit?container=&repo=&tag=&changes=: a repo names the new image
 * as docker tag does (TagImage: a tag replaces repo's own tag or digest;
 * neither: latest; no repo: an untagged image, no name to judge), not
 * repo:tag appended, which judged ?repo=x@sha256:...&tag=latest pinned by a
 * digest dockerd drops, and ?repo=x:2 as x:2:latest.  The image's user
 * is the last USER of the changes, else the body's Config.User, else the
 * container's (judged when it was created, and again by the image user
 * lookup of whoever runs the new image). */
void
check_commit(struct check_ctx *c)
{
	const char *repo = reqtarget_get(c->rt, "repo");
	char ref[1200];

	check_changes_user(c, "docker commit", json_is_object(c->doc) ? c->doc : NULL);
	if (repo == NULL || repo[0] == '\0')
		return;
	if (image_name_with_tag(repo, reqtarget_get(c->rt, "tag"), REF_TAG, ref, sizeof ref) < 0)
		image_name_unjudged(c, "docker commit", "the name is too long");
	else
		check_image_ref(c, ref, "docker commit");
}
