/* check_tenant.c - tenants of the team gateway (issue 9), the ownership
 * half: what an identity with a tenant may name, create and forward.
 *
 *  - Every object a request names (the route's container, exec instance,
 *    volume, network or image, and the references inside a create body or
 *    a network connect) is resolved by the engine itself (its inspect
 *    route: full ID, exact name, then unique ID prefix, as dockerd
 *    resolves it) and must carry the label io.sockward.tenant=<tenant>.
 *    Anything else is answered with the engine's own 404 text, so nothing
 *    tells a tenant that another tenant's object exists.  An ambiguous
 *    prefix (dockerd's 400) is answered the same way: it may be ambiguous
 *    only because of another tenant's object.
 *  - Containers and networks named by the path are forwarded under the full
 *    ID the lookup answered (dec->target), so a rename or a re-creation
 *    between the lookup and dockerd's use cannot swap the object.  Volumes
 *    have no ID but their name; images keep their name (a tag names what
 *    `docker rmi` removes).
 *  - Untenanted images are shared for use (run, inspect, save, history),
 *    never for removal or tagging.  Untenanted networks are invisible but
 *    for the built-in bridge, host and none.  Other untenanted objects are
 *    invisible.
 *  - Creates are stamped: container, volume and network create get the
 *    label in their Labels; build in its `labels` query; commit and import
 *    a last `changes` line LABEL io.sockward.tenant=<tenant>.  Anonymous
 *    volumes of a container get it too: Config.Volumes and the image's
 *    VOLUMEs become HostConfig.Mounts of type volume with
 *    VolumeOptions.Labels (dockerd creates the volume with those labels).
 *    A client that sets an io.sockward.* label is refused (tenant.isolation).
 *  - Container create also carries io.sockward.memory / io.sockward.nanocpus,
 *    the limits it was created with: GET /containers/json does not report
 *    HostConfig, and inspecting every container of a tenant on each create
 *    would cost one engine round trip per container.  The labels cannot be
 *    changed after create, so an update that changes a limit is refused while
 *    a memory or cpus quota applies (recreate the container instead).
 *
 *  - Swarm objects (services, tasks, secrets, configs), where a profile
 *    allows their endpoints: see the section at the end of this file.
 *
 * Tenant rules are not subject to the profile's mode, rule switches or
 * exceptions: a binding with a tenant always gets them. */
#include "policy/checks.h"
#include "policy/filters.h"
#include "policy/gofold.h"
#include "policy/tenant.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_NS       "io.sockward."
#define MEMORY_LABEL   "io.sockward.memory"
#define NANOCPUS_LABEL "io.sockward.nanocpus"

static void __attribute__((format(printf, 4, 5)))
answer(struct check_ctx *c, int status, enum rule_id r, const char *fmt, ...)
{
	va_list ap;

	if (c->tenant_status)
		return;   /* the first finding decides */
	c->tenant_status = status;
	c->tenant_rule = r;
	va_start(ap, fmt);
	vsnprintf(c->tenant_msg, sizeof c->tenant_msg, fmt, ap);
	va_end(ap);
}

/* An image name too long to be read whole (image_name_with_tag): dockerd
 * refuses any such name (a repository is at most 255 bytes), and what is
 * not read whole is not judged */
static void
name_too_long(struct check_ctx *c, const char *what)
{
	answer(c, 400, R_TENANT_ISOLATION, "sockward: bad request: %s: the image name is too "
	    "long", what);
}

/* The engine's own 404 texts (moby 20.10 errdefs.NotFound messages) */
static const char *
not_found_fmt(enum pol_lookup_kind kind)
{
	switch (kind) {
	case POL_LOOKUP_CONTAINER: return "No such container: %s";
	case POL_LOOKUP_EXEC:      return "No such exec instance: %s";
	case POL_LOOKUP_VOLUME:    return "get %s: no such volume";
	case POL_LOOKUP_NETWORK:   return "network %s not found";
	case POL_LOOKUP_IMAGE:     return "No such image: %s";
	case POL_LOOKUP_SERVICE:   return "service %s not found";
	case POL_LOOKUP_SECRET:    return "secret %s not found";
	case POL_LOOKUP_CONFIG:    return "config %s not found";
	case POL_LOOKUP_TASK:      return "task %s not found";
	default:                   return "No such object: %s";
	}
}

/* An image reference as dockerd names it in its 404s: normalised (a
 * missing tag is latest, 64 hex digits are an ID) and in the familiar form
 * (no docker.io/, no library/ for official images): reference.FamiliarString
 * of TagNameOnly. */
static void
familiar_ref(const char *ref, char *out, size_t len)
{
	char name[520], *digest, *slash, *colon, *rest, *first;
	const char *tag = NULL, *domain = NULL;
	size_t n = strlen(ref), i;
	int r;

	for (i = 0; i < n && ((ref[i] >= '0' && ref[i] <= '9') || (ref[i] >= 'a' && ref[i] <= 'f'));
	    i++)
		;
	if (n == 64 && i == 64) {
		r = snprintf(out, len, "sha256:%s", ref);
		(void)r;
		return;
	}
	snprintf(name, sizeof name, "%s", ref);
	if ((digest = strchr(name, '@')) != NULL)
		*digest++ = '\0';
	slash = strrchr(name, '/');
	colon = strrchr(name, ':');
	if (colon != NULL && (slash == NULL || colon > slash)) {
		*colon = '\0';
		tag = colon + 1;
	}
	rest = name;
	if ((first = strchr(name, '/')) != NULL) {
		*first = '\0';
		if (strchr(name, '.') != NULL || strchr(name, ':') != NULL ||
		    strcmp(name, "localhost") == 0) {
			domain = name;
			rest = first + 1;
		} else {
			*first = '/';
		}
	}
	if (domain != NULL && (strcmp(domain, "docker.io") == 0 ||
	    strcmp(domain, "index.docker.io") == 0))
		domain = NULL;   /* Docker Hub: familiar names drop it */
	if (domain == NULL && strncmp(rest, "library/", 8) == 0 && strchr(rest + 8, '/') == NULL)
		rest += 8;
	r = snprintf(out, len, "%s%s%s%s%s%s%s", domain ? domain : "", domain ? "/" : "", rest,
	    tag ? ":" : digest ? "" : ":latest", tag ? tag : "", digest ? "@" : "",
	    digest ? digest : "");
	(void)r;
}

static void
hide(struct check_ctx *c, enum pol_lookup_kind kind, const char *name)
{
	const char *ep = c->pp->route != NULL ? c->pp->route->endpoint : "";
	char msg[2400], fam[1100];

	/* the image routes word it their own way */
	if (kind == POL_LOOKUP_IMAGE) {
		familiar_ref(name, fam, sizeof fam);
		if (strcmp(ep, "image.inspect") == 0)
			snprintf(msg, sizeof msg, "no such image: %s: No such image: %s", name, fam);
		else if (strcmp(ep, "image.save") == 0)
			snprintf(msg, sizeof msg, "reference does not exist");
		else
			snprintf(msg, sizeof msg, "No such image: %s", fam);
	} else {
		snprintf(msg, sizeof msg, not_found_fmt(kind), name);
	}
	answer(c, 404, R_TENANT_ISOLATION, "%s", msg);
}

/* The tenant label of an inspect answer; NULL when it has none. */
static const char *
owner_of(enum pol_lookup_kind kind, const json_t *j)
{
	const json_t *labels = (kind == POL_LOOKUP_CONTAINER || kind == POL_LOOKUP_IMAGE)
	    ? jget(jget(j, "Config"), "Labels")
	    : jget(j, "Labels");
	/* swarm objects: the spec's labels; a task: its container's */
	if (kind == POL_LOOKUP_SERVICE || kind == POL_LOOKUP_SECRET || kind == POL_LOOKUP_CONFIG)
		labels = jget(jget(j, "Spec"), "Labels");
	else if (kind == POL_LOOKUP_TASK)
		labels = jget(jget(jget(j, "Spec"),
		    "ContainerSpec"), "Labels");
	const json_t *v = jget(labels, TENANT_LABEL);
	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

enum own { OWN_PENDING, OWN_MINE, OWN_SHARED, OWN_OTHER, OWN_MISSING, OWN_FAILED };

static enum own
resolve(struct check_ctx *c, enum pol_lookup_kind kind, const char *name, const json_t **obj,
    int *status)
{
	const struct pol_lookup *l = check_lookup(c, kind, name);

	*obj = NULL;
	*status = 0;
	if (l == NULL)
		return OWN_PENDING;
	*status = l->status;
	/* 400: an ambiguous ID prefix (dockerd: InvalidParameter) */
	if (l->status == 404 || l->status == 400)
		return OWN_MISSING;
	if (l->status != 200 || !json_is_object(l->json))
		return OWN_FAILED;
	*obj = l->json;
	const char *t = owner_of(kind, l->json);
	/* an untenanted image without a name is a build's step, maybe the
	 * whole of another tenant's image (tenant_image_named): not shared */
	if (t == NULL && kind == POL_LOOKUP_IMAGE && !tenant_image_named(l->json))
		return OWN_OTHER;
	if (t == NULL)
		return OWN_SHARED;
	return strcmp(t, c->tenant) == 0 ? OWN_MINE : OWN_OTHER;
}

enum shared { SHARED_HIDDEN, SHARED_USE, SHARED_REFUSE };

static int
builtin_network(const json_t *net)
{
	const char *n = jstr(net, "Name");
	return strcmp(n, "bridge") == 0 || strcmp(n, "host") == 0 || strcmp(n, "none") == 0;
}

/* 1 when the tenant may act on the object (*obj its inspect answer), 0 when
 * pending or answered (c->tenant_status). */
static int
own_object(struct check_ctx *c, enum pol_lookup_kind kind, const char *name, enum shared sh,
    const char *what, const json_t **obj)
{
	int status;
	enum own o = resolve(c, kind, name, obj, &status);

	switch (o) {
	case OWN_PENDING:
		return 0;
	case OWN_MINE:
		return 1;
	case OWN_SHARED:
		if (kind == POL_LOOKUP_NETWORK && !builtin_network(*obj))
			break;   /* only the built-in networks are shared */
		if (sh == SHARED_USE)
			return 1;
		if (sh == SHARED_REFUSE) {
			answer(c, 403, R_TENANT_ISOLATION, "%s %s is shared (it has no tenant): "
			    "only an operator may %s it", pol_lookup_kind_name(kind), name, what);
			return 0;
		}
		break;
	case OWN_OTHER:
	case OWN_MISSING:
		break;
	case OWN_FAILED:
		answer(c, 403, R_TENANT_ISOLATION, "cannot tell which tenant owns %s %s (engine "
		    "answered %d)", pol_lookup_kind_name(kind), name, status);
		return 0;
	}
	hide(c, kind, name);
	return 0;
}

/* ---- labels a client may not set ---------------------------------------------- */

static int64_t create_nano_cpus(const json_t *hc);

/* The value sockward stamps for key on this request, or NULL */
static const char *
stamped_value(struct check_ctx *c, const char *key, char *buf, size_t len)
{
	const json_t *hc = jget(c->doc, "HostConfig");
	int create = c->pp->route != NULL && strcmp(c->pp->route->endpoint, "container.create") == 0;

	if (strcmp(key, TENANT_LABEL) == 0)
		return c->tenant;
	if (create && strcmp(key, MEMORY_LABEL) == 0) {
		snprintf(buf, len, "%lld", (long long)jint(hc, "Memory", NULL));
		return buf;
	}
	if (create && strcmp(key, NANOCPUS_LABEL) == 0) {
		snprintf(buf, len, "%lld", (long long)create_nano_cpus(hc));
		return buf;
	}
	return NULL;
}

static void
refuse_labels(struct check_ctx *c, const json_t *labels, const char *what)
{
	const char *key, *want;
	const json_t *v;
	char buf[32];

	json_object_foreach((json_t *)labels, key, v) {
		if (strncmp(key, LABEL_NS, strlen(LABEL_NS)) != 0)
			continue;
		if ((want = stamped_value(c, key, buf, sizeof buf)) != NULL && json_is_string(v) &&
		    strcmp(json_string_value(v), want) == 0)
			continue;   /* what sockward stamps anyway (a forwarded create again) */
		answer(c, 403, R_TENANT_ISOLATION, "%s: the label %s is set by sockward only "
		    "(it marks what tenant %s owns); remove --label %s", what, key, c->tenant, key);
		return;
	}
}

/* One instruction of the changes as dockerd's parser joins it (a label
 * name split across continuation lines is whole here): 1 when it mentions
 * the io.sockward. labels (quotes and escapes removed, as the parser
 * would), 2 for a LABEL or ONBUILD with a variable ($P=... names whatever
 * the commit's environment, the container's own included, holds). */
static int
label_ns_in(const char *line, size_t n, char esc, void *arg)
{
	int *hit = arg;
	char plain[4096];
	size_t k = 0, w = 0;

	(void)esc;
	for (size_t i = 0; i < n && k + 1 < sizeof plain; i++)
		if (!strchr("\\\"'`", line[i]))
			plain[k++] = line[i];
	plain[k] = '\0';
	while (w < k && strchr(" \t\v\f\r", plain[w]))
		w++;
	if (strstr(plain, LABEL_NS) != NULL)
		*hit = 1;
	else if ((strncasecmp(plain + w, "label", 5) == 0 || strncasecmp(plain + w, "onbuild", 7) == 0) &&
	    memchr(line, '$', n) != NULL)
		*hit = 2;
	return 0;
}

/* The changes, joined as dockerd joins them: none may mention the
 * io.sockward. labels, and they may not end inside a line continuation,
 * which would swallow the LABEL line sockward appends (a continuation goes
 * on over comment and empty lines: "ENV A=b\" then "#c" swallows it too). */
static void
refuse_changes(struct check_ctx *c, const char *what)
{
	char *text = joined_changes(c);
	int hit = 0, r;

	if (text == NULL) {
		answer(c, 500, R_TENANT_ISOLATION, "sockward: out of memory");
		return;
	}
	for (size_t i = 0; i < c->rt->nparams; i++) {
		const char *v = c->rt->params[i].value;
		char plain[RT_MAX_PATH];
		size_t n = 0;
		if (strcmp(c->rt->params[i].key, "changes") != 0)
			continue;
		for (const char *p = v; *p && n + 1 < sizeof plain; p++)
			if (!strchr("\\\"'`", *p))
				plain[n++] = *p;
		plain[n] = '\0';
		if (strstr(plain, LABEL_NS) != NULL)
			hit = 1;
	}
	r = changes_each(text, label_ns_in, &hit);
	free(text);
	if (hit == 1)
		answer(c, 403, R_TENANT_ISOLATION, "%s --change: the labels %s* are set by "
		    "sockward only; remove that LABEL", what, LABEL_NS);
	else if (hit == 2)
		answer(c, 403, R_TENANT_ISOLATION, "%s --change: a LABEL with a variable could "
		    "name the labels %s*, which are set by sockward only; write the label out",
		    what, LABEL_NS);
	else if (r > 0)
		answer(c, 403, R_TENANT_ISOLATION, "%s --change: the changes end in a line "
		    "continuation, which would swallow the next line; end the instruction", what);
	else if (r < 0)
		answer(c, 403, R_TENANT_ISOLATION, "%s --change: the changes cannot be read as "
		    "dockerd reads them (a line too long, a bad directive)", what);
}

/* ---- references inside a create body -------------------------------------------- */

/* "name[:mode]" of VolumesFrom, "name[:alias]" of Links: the name part */
static void
ref_name(const char *s, char *out, size_t len)
{
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	if (*s == '/' && n > 0) {
		s++;
		n--;
	}
	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* A named volume of Binds: "name:/dst[:mode]" (a source with '/' is a host
 * path; dockerd's volume names never hold one) */
static int
bind_volume(const char *bind, char *out, size_t len)
{
	const char *colon = strchr(bind, ':');
	size_t n;

	if (colon == NULL || bind[0] == '/' || bind[0] == '\0')
		return 0;
	n = (size_t)(colon - bind);
	if (memchr(bind, '/', n) != NULL || n == 0 || n >= len)
		return 0;
	memcpy(out, bind, n);
	out[n] = '\0';
	return 1;
}

/* The modes of a Binds entry ("name:/dst[:modes]") are only ro, rw and
 * nocopy: what a Mount of type volume can say too */
static int
bind_modes_plain(const char *bind)
{
	const char *d = strchr(bind, ':'), *o = d ? strchr(d + 1, ':') : NULL;
	char opts[256];

	if (o == NULL)
		return 1;
	if (strlen(o + 1) >= sizeof opts)
		return 0;
	snprintf(opts, sizeof opts, "%s", o + 1);
	for (char *save = NULL, *w = strtok_r(opts, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (strcmp(w, "ro") != 0 && strcmp(w, "rw") != 0 && strcmp(w, "nocopy") != 0)
			return 0;
	return 1;
}

static int
special_network(const char *n)
{
	return n[0] == '\0' || strcmp(n, "default") == 0 || strcmp(n, "bridge") == 0 ||
	    strcmp(n, "host") == 0 || strcmp(n, "none") == 0;
}

/* An object a create body names.  dockerd refuses a missing one with 400,
 * not 404 (a 404 makes the docker CLI pull the image and retry), and a
 * container that --network container: or --network names is only looked for
 * at start: the create is answered 400 with the text of the engine's 404. */
static void
own_ref(struct check_ctx *c, enum pol_lookup_kind kind, const char *name, int link)
{
	const json_t *obj;
	int before = c->tenant_status;

	own_object(c, kind, name, kind == POL_LOOKUP_NETWORK ? SHARED_USE : SHARED_HIDDEN, "",
	    &obj);
	if (before || c->tenant_status != 404)
		return;
	c->tenant_status = 400;
	if (link)
		snprintf(c->tenant_msg, sizeof c->tenant_msg, "could not get container for %s: "
		    "No such container: %s", name, name);
}

/* EndpointSettings.NetworkID: for a user-defined network dockerd attaches
 * to the network of that ID, not to the one the key (or the path of a
 * network connect) names (daemon getNetworkID), so it is judged as a
 * network reference of its own. */
static void
endpoint_network_id(struct check_ctx *c, const json_t *ep, int in_create)
{
	const json_t *obj;
	const char *id = jstr(ep, "NetworkID");

	if (id[0] == '\0')
		return;
	if (in_create)
		own_ref(c, POL_LOOKUP_NETWORK, id, 0);
	else
		own_object(c, POL_LOOKUP_NETWORK, id, SHARED_USE, "", &obj);
}

static int64_t anonymous_volumes(struct check_ctx *c, json_t *out);

/* With --volumes-from, stamp_create leaves the anonymous volumes as they
 * are (a Mount of its own would hide the donor's), so dockerd would make
 * them for no tenant (invisible to it, out of its volume quota): refused
 * unless a donor's mount covers the path. */
static void
check_volumes_from_anon(struct check_ctx *c)
{
	const json_t *vf = jget(jget(c->doc, "HostConfig"), "VolumesFrom");
	const json_t *e, *obj, *m;
	json_t *anon, *donors = NULL, *covered = NULL;
	char name[512];
	size_t i, k;
	int st, pending = 0;

	if (json_array_size(vf) == 0 || c->tenant_status || (anon = json_array()) == NULL)
		return;
	anonymous_volumes(c, anon);
	if (json_array_size(anon) == 0)
		goto out;
	/* each donor once (a name may be repeated), every mount point of
	 * theirs into one set: the body's lists are walked once each, not
	 * one inside the other (200,000 copies of one name held the loop) */
	if ((donors = json_object()) == NULL || (covered = json_object()) == NULL) {
		answer(c, 500, R_TENANT_ISOLATION, "docker run --volumes-from: out of memory");
		goto out;
	}
	json_array_foreach(vf, i, e) {
		ref_name(json_string_value(e) ? json_string_value(e) : "", name, sizeof name);
		if (json_object_get(donors, name) != NULL)
			continue;
		json_object_set_new(donors, name, json_true());
		const json_t *donor;
		if (resolve(c, POL_LOOKUP_CONTAINER, name, &donor, &st) == OWN_PENDING) {
			pending = 1;   /* judged again once it is answered */
			continue;
		}
		json_array_foreach(jget(donor, "Mounts"), k, m)
			json_object_set_new(covered, jstr(m, "Destination"), json_true());
	}
	if (pending)
		goto out;
	json_array_foreach(anon, i, obj) {
		const char *t = json_string_value(obj);
		if (json_object_get(covered, t) == NULL) {
			answer(c, 403, R_TENANT_ISOLATION, "docker run --volumes-from: the anonymous "
			    "volume at %s (-v %s or the image's VOLUME) would be created for no tenant; "
			    "give it a named volume (-v NAME:%s) or take that path from the donor",
			    t, t, t);
			break;
		}
	}
out:
	json_decref(covered);
	json_decref(donors);
	json_decref(anon);
}

static void
check_create_refs(struct check_ctx *c)
{
	const json_t *hc = jget(c->doc, "HostConfig"), *e, *v, *obj;
	/* HostConfig.Cgroup takes container:<x> as well (runconfig CgroupSpec) */
	const char *modes[] = { "NetworkMode", "PidMode", "IpcMode", "Cgroup" }, *key;
	char name[512];
	size_t i;

	json_array_foreach(jget(hc, "VolumesFrom"), i, e) {
		ref_name(json_string_value(e) ? json_string_value(e) : "", name, sizeof name);
		own_ref(c, POL_LOOKUP_CONTAINER, name, 0);
	}
	json_array_foreach(jget(hc, "Links"), i, e) {
		ref_name(json_string_value(e) ? json_string_value(e) : "", name, sizeof name);
		own_ref(c, POL_LOOKUP_CONTAINER, name, 1);
	}
	for (i = 0; i < 4; i++) {
		const char *m = jstr(hc, modes[i]);
		if (strncmp(m, "container:", 10) == 0)
			own_ref(c, POL_LOOKUP_CONTAINER, m + 10, 0);
		else if (i == 0 && !special_network(m))
			own_ref(c, POL_LOOKUP_NETWORK, m, 0);
	}
	json_object_foreach(jget(jget(c->doc, "NetworkingConfig"),
	    "EndpointsConfig"), key, v) {
		if (!special_network(key))
			own_ref(c, POL_LOOKUP_NETWORK, key, 0);
		endpoint_network_id(c, v, 1);
		/* links of a user-defined network's endpoint ("name:alias") */
		json_array_foreach(jget(v, "Links"), i, e) {
			ref_name(json_string_value(e) ? json_string_value(e) : "", name, sizeof name);
			own_ref(c, POL_LOOKUP_CONTAINER, name, 1);
		}
	}
	/* a named volume that does not exist is created by dockerd (labelled:
	 * tenant_forward); one that exists must be the tenant's */
	json_array_foreach(jget(hc, "Binds"), i, e) {
		if (!json_is_string(e) || !bind_volume(json_string_value(e), name, sizeof name))
			continue;
		enum own o = resolve(c, POL_LOOKUP_VOLUME, name, &obj, &(int){ 0 });
		if (o != OWN_MISSING && o != OWN_PENDING)
			own_ref(c, POL_LOOKUP_VOLUME, name, 0);
		else if (o == OWN_MISSING && !bind_modes_plain(json_string_value(e)))
			/* stamp_create cannot make it a labelled Mount: dockerd would
			 * create it for no tenant (and out of the volume quota) */
			answer(c, 403, R_TENANT_ISOLATION, "docker run -v %s: the volume %s does not "
			    "exist and dockerd would create it with no tenant (only the modes ro, rw "
			    "and nocopy carry over); create it first (docker volume create %s) or use "
			    "those modes", json_string_value(e), name, name);
	}
	json_array_foreach(jget(hc, "Mounts"), i, e) {
		const char *src = jstr(e, "Source");
		if (strcmp(jstr(e, "Type"), "volume") == 0 && src[0] != '\0' &&
		    resolve(c, POL_LOOKUP_VOLUME, src, &obj, &(int){ 0 }) != OWN_MISSING)
			own_ref(c, POL_LOOKUP_VOLUME, src, 0);
	}
	/* the image: another tenant's is not there; a missing one is dockerd's
	 * own 404 (the CLI pulls and retries) */
	const char *image = jstr(c->doc, "Image");
	int st;
	if (image[0] != '\0') {
		enum own o = resolve(c, POL_LOOKUP_IMAGE, image, &obj, &st);
		if (o == OWN_OTHER)
			hide(c, POL_LOOKUP_IMAGE, image);
		else if (o == OWN_FAILED)
			answer(c, 403, R_TENANT_ISOLATION, "cannot tell which tenant owns image %s "
			    "(engine answered %d)", image, st);
	}
	refuse_labels(c, jget(c->doc, "Labels"), "docker create");
	check_volumes_from_anon(c);
}

/* POST /containers/{id}/start with a HostConfig (API < 1.24): dockerd 20.10
 * applies it (setHostConfig: --volumes-from, links, container: namespaces,
 * named volumes, anonymous volumes made unstamped), none of which is
 * judged or stamped here; the profile's start.hostconfig rule may be in
 * audit mode or off, so a tenant's is refused whatever the mode. */
static void
check_start_hostconfig(struct check_ctx *c)
{
	if (c->doc == NULL || json_is_null(c->doc) ||
	    (json_is_object(c->doc) && json_object_size(c->doc) == 0))
		return;
	answer(c, 403, R_TENANT_ISOLATION, "docker start with a HostConfig (API before 1.24) is "
	    "not available to an identity with a tenant: what it names cannot be checked for the "
	    "tenant; pass host options to docker create");
}

/* A container name the request gives (create ?name=, rename ?name=): held by
 * another tenant's container, dockerd's 409 would name that container's ID. */
static void
check_container_name(struct check_ctx *c, const char *name)
{
	const json_t *obj;
	int st;
	char want[600];

	if (name != NULL && name[0] == '/')
		name++;   /* dockerd takes "/x" for "x"; the lookup path has no "//" */
	if (name == NULL || name[0] == '\0')
		return;
	enum own o = resolve(c, POL_LOOKUP_CONTAINER, name, &obj, &st);
	snprintf(want, sizeof want, "/%s", name);
	if (o == OWN_FAILED)
		answer(c, 403, R_TENANT_ISOLATION, "cannot tell whether the container name %s is "
		    "free (engine answered %d)", name, st);
	else if ((o == OWN_OTHER || o == OWN_SHARED) && strcmp(jstr(obj, "Name"), want) == 0)
		answer(c, 409, R_TENANT_ISOLATION, "Conflict. The container name \"%s\" is "
		    "already in use by a container that is not your tenant's. You have to choose "
		    "a different name (a compose project name of your own, e.g. "
		    "COMPOSE_PROJECT_NAME=%s-app)", want, c->tenant);
}

/* The name of a network create: dockerd makes a second network of a name
 * that is taken unless CheckDuplicate is set, and answers with a Warning
 * naming the other network's ID ("Network with name x (id : <ID>) already
 * exists", daemon/network.go createNetwork); that network's name is then
 * ambiguous to its owner (FindNetwork: "network x is ambiguous"), and so is
 * a container of theirs that starts on it by name.  Another tenant's (or an
 * untenanted) network of that name is answered as CheckDuplicate would
 * (nameConflict, 409); a lookup that cannot say whose (ambiguous) is
 * refused.  A predefined name (bridge, host, none, default) is left to
 * dockerd, which refuses it before it looks for the name (createNetwork:
 * IsPreDefinedNetwork, 403 "operation is not permitted on predefined ...
 * network"), not with a 409 "already exists". */
static void
check_network_name(struct check_ctx *c, const char *name)
{
	const json_t *obj;
	int st;

	if (special_network(name))
		return;   /* "" too: dockerd's own answer */
	enum own o = resolve(c, POL_LOOKUP_NETWORK, name, &obj, &st);
	if (o == OWN_FAILED || (o == OWN_MISSING && st == 400))
		answer(c, 403, R_TENANT_ISOLATION, "docker network create %s: cannot tell whether "
		    "that name is another tenant's (engine answered %d); choose another name", name,
		    st);
	else if ((o == OWN_OTHER || o == OWN_SHARED) && strcmp(jstr(obj, "Name"), name) == 0)
		answer(c, 409, R_TENANT_ISOLATION, "network with name %s already exists", name);
}

/* A name a new image gets (build -t, tag, commit, import): one that names an
 * image of someone else would move that name away from their image. */
static void
check_image_name(struct check_ctx *c, const char *ref, const char *what, int shared_ok)
{
	const json_t *obj;
	int st;

	if (ref == NULL || ref[0] == '\0')
		return;
	enum own o = resolve(c, POL_LOOKUP_IMAGE, ref, &obj, &st);
	if (o == OWN_OTHER || (o == OWN_SHARED && !shared_ok))
		answer(c, 403, R_TENANT_ISOLATION, "%s %s: that name is in use by an image that "
		    "is not your tenant's; choose another name", what, ref);
	else if (o == OWN_FAILED)
		answer(c, 403, R_TENANT_ISOLATION, "%s %s: cannot tell which tenant owns that "
		    "name (engine answered %d)", what, ref, st);
}

static int
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* The name a build gives (-t, an exporter's name): as written, latest when
 * it has no tag (AddTag: TagNameOnly) */
static int
build_name(const char *t, char *out, size_t len)
{
	const char *slash = strrchr(t, '/');
	int w = snprintf(out, len, "%s%s", t, strchr(slash ? slash : t, ':') ? "" : ":latest");

	return w < 0 || (size_t)w >= len ? -1 : 0;   /* -1: cut, not judged */
}

/* POST /build?outputs= (API 1.40, BuildKit's --output): the moby exporter
 * names the image it makes by its "name" attribute (comma-separated names),
 * like -t, which another tenant's name would move away from its image.  The
 * keys Type and Attrs are matched as Go's encoding/json matches them
 * (gofold.h: any case, and "Attr" with U+017F LONG S is Attrs, which
 * strcasecmp let through unjudged); a value it cannot read fails the build,
 * refused here. */
static void
check_build_outputs(struct check_ctx *c, const char *v)
{
	json_t *l = json_loads(v, JSON_REJECT_DUPLICATES, NULL), *e, *val;
	const char *key;
	size_t i;
	char ref[1100];

	if (!json_is_array(l))
		answer(c, 400, R_TENANT_ISOLATION, "sockward: bad request: docker build outputs "
		    "is not a JSON list of outputs");
	json_array_foreach(l, i, e) {
		if (!json_is_object(e)) {
			answer(c, 400, R_TENANT_ISOLATION, "sockward: bad request: docker build "
			    "outputs[%zu] is not an object", i);
			break;
		}
		json_object_foreach(e, key, val) {
			if (!gofold_equal(key, strlen(key), "Attrs"))
				continue;
			const char *names = jstr(val, "name");
			char *copy = strdup(names), *save = NULL;
			if (copy == NULL) {
				answer(c, 500, R_TENANT_ISOLATION, "sockward: out of memory");
				break;
			}
			for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
				if (build_name(n, ref, sizeof ref) < 0)
					name_too_long(c, "docker build --output name=");
				else
					check_image_name(c, ref, "docker build --output name=", 0);
			}
			free(copy);
		}
	}
	json_decref(l);
}

/* docker save NAME: a repository name without a tag or digest is every tag
 * of that repository for dockerd (tarexport parseNames: ReferencesByName),
 * other tenants' too, while the engine's lookup of it answers NAME:latest
 * only; refused.  A short hex name is such a name too (dockerd takes it for
 * an ID prefix only when no repository has that name); 64 hex digits are an
 * ID, and sha256:<prefix> is searched as one. */
static void
check_save_name(struct check_ctx *c, const char *name)
{
	const char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');
	const json_t *obj;

	if (strchr(name, '@') == NULL && (colon == NULL || (slash != NULL && colon < slash)) &&
	    !(strlen(name) == 64 && strspn(name, "0123456789abcdef") == 64)) {
		answer(c, 403, R_TENANT_ISOLATION, "docker save %s with no tag saves every tag of "
		    "the repository of that name, which may name other tenants' images; save one "
		    "tag (docker save %s:TAG) or an image by sha256:ID", name, name);
		return;
	}
	own_object(c, POL_LOOKUP_IMAGE, name, SHARED_USE, "", &obj);
}

/* docker push: dockerd pushes the path's name with ?tag= (PushImage:
 * WithTag(name, tag); the docker CLI sends "repo" and ?tag=1), and with no
 * tag anywhere every tag of the repository.  The path's name alone is
 * repo:latest, not what is pushed: another tenant's repo:v2 went out with
 * this tenant's registry credentials. */
static void
check_push(struct check_ctx *c)
{
	const char *tag = reqtarget_get(c->rt, "tag"), *slash = strrchr(c->name, '/');
	const char *colon = strrchr(c->name, ':');
	const json_t *obj;
	char ref[1100];

	if ((tag == NULL || tag[0] == '\0') && strchr(c->name, '@') == NULL &&
	    (colon == NULL || (slash != NULL && colon < slash))) {
		answer(c, 403, R_TENANT_ISOLATION, "docker push of %s with no tag pushes every tag "
		    "of the repository, which may name other tenants' images; push one tag "
		    "(docker push %s:TAG)", c->name, c->name);
		return;
	}
	if (image_name_with_tag(c->name, tag, REF_TAG, ref, sizeof ref) < 0) {
		name_too_long(c, "docker push");
		return;
	}
	own_object(c, POL_LOOKUP_IMAGE, ref, SHARED_USE, "", &obj);
}

/* docker pull -a: fromImage with no tag anywhere (a trailing ':' trimmed)
 * is every tag of the repository for dockerd (PullImage, then
 * pullV2Repository: IsNameOnly pulls Tags().All(), each AddTag with force),
 * while the name is judged as name:latest only. */
static int
pull_all_tags(const char *image, const char *tag)
{
	size_t n = strlen(image), slash = SIZE_MAX, colon = SIZE_MAX;

	if (tag != NULL && tag[0] != '\0')
		return 0;
	if (n > 0 && image[n - 1] == ':')
		n--;   /* "x:" is x for dockerd */
	for (size_t i = 0; i < n; i++) {
		if (image[i] == '@')
			return 0;
		if (image[i] == '/')
			slash = i;
		else if (image[i] == ':')
			colon = i;
	}
	return colon == SIZE_MAX || (slash != SIZE_MAX && colon < slash);
}

/* docker ps / docker images --filter since=<x> / before=<x>: dockerd looks
 * the container (image) up and answers "no such container x" ("No such
 * image: x") when it is missing, so an anchor that is not the tenant's
 * (an image it may not use) would tell that it exists; it is answered as a
 * missing one. */
static void
check_ps_anchors(struct check_ctx *c, enum pol_lookup_kind kind)
{
	static const char *const keys[] = { "before", "since" };
	const char *client = reqtarget_get(c->rt, "filters");
	char *merged = NULL, why[300];
	const json_t *obj, *v;
	const char *name;
	json_t *doc;

	if (client == NULL || client[0] == '\0')
		return;
	/* read as dockerd reads it (both JSON forms); a value it cannot read
	 * is refused later by the list's own filter merge */
	if (filters_merge(client, strlen(client), "label", TENANT_LABEL, &merged, why,
	    sizeof why) != 0)
		return;
	doc = json_loads(merged, 0, NULL);
	free(merged);
	for (size_t k = 0; k < 2; k++)
		json_object_foreach(jget(doc, keys[k]), name, v) {
			int st;
			enum own o = resolve(c, kind, name, &obj, &st);
			if (o == OWN_PENDING || o == OWN_MINE ||
			    (o == OWN_SHARED && kind == POL_LOOKUP_IMAGE))
				continue;
			if (o == OWN_FAILED)
				answer(c, 403, R_TENANT_ISOLATION, "cannot tell which tenant owns "
				    "%s %s (engine answered %d)", pol_lookup_kind_name(kind), name, st);
			else if (kind == POL_LOOKUP_IMAGE)
				hide(c, kind, name);   /* dockerd's GetImage: 404 */
			else
				answer(c, 500, R_TENANT_ISOLATION, "no such container %s", name);
		}
	json_decref(doc);
}
static int swarm_endpoint(const char *ep);
static void swarm_precheck(struct check_ctx *c, const char *ep);
static int swarm_forward(struct check_ctx *c, const char *ep, char **target);

void
tenant_precheck(struct check_ctx *c)
{
	const struct route *r = c->pp->route;
	const char *ep = r != NULL ? r->endpoint : NULL, *v;
	const json_t *obj;
	char ref[1100];

	if (ep == NULL) {
		answer(c, 403, R_TENANT_ISOLATION, "%s %s is not an endpoint sockward knows, so it "
		    "cannot tell whose objects it touches", c->pp->method, c->rt->path);
		return;
	}
	/* installed plugins are a fact of the engine, like docker info: a
	 * tenant may read them (docker inspect asks for a plugin too) */
	if (strcmp(ep, "plugin.inspect") == 0 || strcmp(ep, "plugin.list") == 0 ||
	    strcmp(ep, "plugin.privileges") == 0)
		return;
	if (swarm_endpoint(ep)) {
		swarm_precheck(c, ep);
		return;
	}
	if (has_prefix(ep, "plugin.")) {
		answer(c, 403, R_TENANT_ISOLATION, "%s is not available to an identity with a "
		    "tenant: plugins are not divided between tenants; ask an operator", ep);
		return;
	}
	/* a profile may open BuildKit's gRPC (endpoints_allow): its Solve
	 * exports images under any name without the tenant's label (another
	 * tenant's tag moves), its Prune empties every tenant's build cache,
	 * and nothing in it is judged here */
	if (strcmp(ep, "build.grpc") == 0) {
		answer(c, 403, R_TENANT_ISOLATION, "BuildKit's gRPC endpoint (POST /grpc) is not "
		    "available to an identity with a tenant: what it builds, names and prunes cannot "
		    "be checked for the tenant; use docker build (DOCKER_BUILDKIT=0, or BuildKit "
		    "through POST /build)");
		return;
	}
	if (strcmp(ep, "image.load") == 0) {
		answer(c, 403, R_TENANT_ISOLATION, "docker load is not available to an identity "
		    "with a tenant: the images inside the tar stream cannot be labelled as the "
		    "tenant's; build or pull instead");
		return;
	}
	if (strcmp(ep, "container.create") == 0) {
		check_container_name(c, reqtarget_get(c->rt, "name"));
		check_create_refs(c);
	} else if (strcmp(ep, "container.list") == 0) {
		check_ps_anchors(c, POL_LOOKUP_CONTAINER);
	} else if (strcmp(ep, "image.list") == 0) {
		check_ps_anchors(c, POL_LOOKUP_IMAGE);
	} else if (strcmp(ep, "container.rename") == 0) {
		if (own_object(c, POL_LOOKUP_CONTAINER, c->name, SHARED_HIDDEN, "", &obj))
			check_container_name(c, reqtarget_get(c->rt, "name"));
	} else if (has_prefix(ep, "container.") && strcmp(ep, "container.list") != 0 &&
	    strcmp(ep, "container.prune") != 0) {
		if (own_object(c, POL_LOOKUP_CONTAINER, c->name, SHARED_HIDDEN, "", &obj) &&
		    strcmp(ep, "container.start") == 0)
			check_start_hostconfig(c);
	} else if (strcmp(ep, "exec.create") == 0) {
		own_object(c, POL_LOOKUP_CONTAINER, c->name, SHARED_HIDDEN, "", &obj);
	} else if (has_prefix(ep, "exec.")) {
		/* an exec instance is the tenant's when its container is */
		int st;
		enum own o = resolve(c, POL_LOOKUP_EXEC, c->name, &obj, &st);
		if (o == OWN_PENDING)
			return;
		if (o == OWN_FAILED) {
			answer(c, 403, R_TENANT_ISOLATION, "cannot tell which tenant owns exec "
			    "instance %s (engine answered %d)", c->name, st);
			return;
		}
		const char *cid = jstr(obj, "ContainerID");
		if (o == OWN_MISSING || cid[0] == '\0') {
			hide(c, POL_LOOKUP_EXEC, c->name);
			return;
		}
		enum own co = resolve(c, POL_LOOKUP_CONTAINER, cid, &obj, &st);
		if (co != OWN_PENDING && co != OWN_MINE)
			hide(c, POL_LOOKUP_EXEC, c->name);
	} else if (strcmp(ep, "image.commit") == 0) {
		v = reqtarget_get(c->rt, "container");
		own_object(c, POL_LOOKUP_CONTAINER, v ? v : "", SHARED_HIDDEN, "", &obj);
		if (image_name_with_tag(reqtarget_get(c->rt, "repo"), reqtarget_get(c->rt, "tag"),
		    REF_TAG, ref, sizeof ref) < 0)
			name_too_long(c, "docker commit");
		else
			check_image_name(c, ref, "docker commit", 0);
		refuse_changes(c, "docker commit");
		if (json_is_object(c->doc))
			refuse_labels(c, jget(c->doc, "Labels"), "docker commit");
	} else if (strcmp(ep, "volume.create") == 0) {
		const char *n = jstr(c->doc, "Name");
		int st;
		refuse_labels(c, jget(c->doc, "Labels"), "docker volume create");
		/* dockerd answers an existing name with that volume */
		if (n[0] != '\0') {
			enum own o = resolve(c, POL_LOOKUP_VOLUME, n, &obj, &st);
			if (o == OWN_OTHER || o == OWN_SHARED)
				answer(c, 409, R_TENANT_ISOLATION, "docker volume create: a volume named "
				    "%s exists and is not your tenant's; choose another name", n);
			else if (o == OWN_FAILED)
				answer(c, 403, R_TENANT_ISOLATION, "docker volume create: cannot tell "
				    "which tenant owns volume %s (engine answered %d)", n, st);
		}
	} else if (has_prefix(ep, "volume.") && strcmp(ep, "volume.list") != 0 &&
	    strcmp(ep, "volume.prune") != 0) {
		own_object(c, POL_LOOKUP_VOLUME, c->name, SHARED_HIDDEN, "", &obj);
	} else if (strcmp(ep, "network.create") == 0) {
		/* --config-from: dockerd takes that configuration-only network's
		 * IPAM and options; another tenant's is not there, whatever the
		 * profile's network.driver says */
		const char *from = jstr(jget(c->doc, "ConfigFrom"), "Network");
		if (from[0] != '\0')
			own_object(c, POL_LOOKUP_NETWORK, from, SHARED_HIDDEN, "", &obj);
		check_network_name(c, jstr(c->doc, "Name"));
		refuse_labels(c, jget(c->doc, "Labels"), "docker network create");
	} else if (strcmp(ep, "network.connect") == 0 || strcmp(ep, "network.disconnect") == 0) {
		if (own_object(c, POL_LOOKUP_NETWORK, c->name, SHARED_USE, "", &obj)) {
			const char *ct = jstr(c->doc, "Container");
			if (own_object(c, POL_LOOKUP_CONTAINER, ct, SHARED_HIDDEN, "", &obj))
				endpoint_network_id(c, jget(c->doc, "EndpointConfig"), 0);
		}
	} else if (strcmp(ep, "network.inspect") == 0 || strcmp(ep, "network.delete") == 0) {
		own_object(c, POL_LOOKUP_NETWORK, c->name, SHARED_USE, "", &obj);
	} else if (strcmp(ep, "image.delete") == 0) {
		own_object(c, POL_LOOKUP_IMAGE, c->name, SHARED_REFUSE, "remove", &obj);
	} else if (strcmp(ep, "image.tag") == 0) {
		if (own_object(c, POL_LOOKUP_IMAGE, c->name, SHARED_REFUSE, "tag", &obj)) {
			if (image_name_with_tag(reqtarget_get(c->rt, "repo"),
			    reqtarget_get(c->rt, "tag"), REF_TAG, ref, sizeof ref) < 0)
				name_too_long(c, "docker tag");
			else
				check_image_name(c, ref, "docker tag", 0);
		}
	} else if (strcmp(ep, "image.push") == 0) {
		check_push(c);
	} else if (strcmp(ep, "image.inspect") == 0 || strcmp(ep, "image.history") == 0) {
		own_object(c, POL_LOOKUP_IMAGE, c->name, SHARED_USE, "", &obj);
	} else if (strcmp(ep, "image.save") == 0) {
		if (c->name[0] != '\0')
			check_save_name(c, c->name);
		for (size_t i = 0; i < c->rt->nparams; i++)
			if (strcmp(c->rt->params[i].key, "names") == 0)
				check_save_name(c, c->rt->params[i].value);
	} else if (strcmp(ep, "build.build") == 0) {
		for (size_t i = 0; i < c->rt->nparams; i++)
			if (strcmp(c->rt->params[i].key, "t") == 0) {
				if (build_name(c->rt->params[i].value, ref, sizeof ref) < 0)
					name_too_long(c, "docker build -t");
				else
					check_image_name(c, ref, "docker build -t", 0);
			}
		if ((v = reqtarget_get(c->rt, "outputs")) != NULL && v[0] != '\0')
			check_build_outputs(c, v);
		/* --network: the classic builder creates its RUN containers with
		 * that NetworkMode (dockerd FormValue: the first value), so
		 * another tenant's network or container:<x> would put the build
		 * on its network or in its network namespace; judged like a
		 * create's --network, whatever the profile's mode */
		if ((v = reqtarget_get(c->rt, "networkmode")) != NULL) {
			if (strncmp(v, "container:", 10) == 0)
				own_object(c, POL_LOOKUP_CONTAINER, v + 10, SHARED_HIDDEN, "", &obj);
			else if (!special_network(v))
				own_object(c, POL_LOOKUP_NETWORK, v, SHARED_USE, "", &obj);
		}
		/* --cache-from: the builder takes the layers of those images as
		 * its own; they must be images the tenant may use */
		if ((v = reqtarget_get(c->rt, "cachefrom")) != NULL && v[0] != '\0') {
			json_t *l = json_loads(v, JSON_DECODE_ANY, NULL), *e;
			size_t i;
			if (!json_is_array(l))
				answer(c, 400, R_TENANT_ISOLATION, "sockward: bad request: docker build "
				    "cachefrom is not a JSON list of image names");
			json_array_foreach(l, i, e) {
				enum own o;
				int st;
				if (!json_is_string(e)) {
					answer(c, 400, R_TENANT_ISOLATION, "sockward: bad request: docker "
					    "build cachefrom is not a JSON list of image names");
					break;
				}
				o = resolve(c, POL_LOOKUP_IMAGE, json_string_value(e), &obj, &st);
				if (o == OWN_OTHER)
					hide(c, POL_LOOKUP_IMAGE, json_string_value(e));
				else if (o == OWN_FAILED)
					answer(c, 403, R_TENANT_ISOLATION, "docker build --cache-from %s: "
					    "cannot tell which tenant owns it (engine answered %d)",
					    json_string_value(e), st);
			}
			json_decref(l);
		}
		if ((v = reqtarget_get(c->rt, "labels")) != NULL && v[0] != '\0') {
			json_t *l = json_loads(v, JSON_REJECT_DUPLICATES, NULL);
			if (!json_is_object(l))
				answer(c, 400, R_TENANT_ISOLATION, "sockward: bad request: docker build "
				    "labels is not a JSON object of strings");
			else
				refuse_labels(c, l, "docker build");
			json_decref(l);
		}
	} else if (strcmp(ep, "image.create") == 0) {
		v = reqtarget_get(c->rt, "fromImage");
		if (v != NULL && v[0] != '\0' && pull_all_tags(v, reqtarget_get(c->rt, "tag"))) {
			answer(c, 403, R_TENANT_ISOLATION, "docker pull of %s with no tag pulls every "
			    "tag of the repository, which would move other tenants' tags of that name to "
			    "the registry's images; pull one tag (docker pull %s:TAG)", v, v);
		} else if (v != NULL && v[0] != '\0') {
			/* a pull moves the name to what the registry has: not away
			 * from another tenant's image (a shared one is the pull's
			 * to refresh, as before tenants); judged by the name:tag
			 * even when fromImage has a digest too (REF_PULL) */
			image_name_with_tag(v, reqtarget_get(c->rt, "tag"), REF_PULL, ref,
			    sizeof ref);
			check_image_name(c, ref, "docker pull", 1);
		} else {   /* an import */
			image_name_with_tag(reqtarget_get(c->rt, "repo"),
			    reqtarget_get(c->rt, "tag"), REF_TAG, ref, sizeof ref);
			check_image_name(c, ref, "docker import", 0);
			refuse_changes(c, "docker import");
		}
	}
}

/* ---- quotas ------------------------------------------------------------------- */

/* The CPU limit of a create, in nano CPUs (NanoCpus, else CpuQuota over
 * CpuPeriod, as runc gets it); 0 = none. */
static int64_t
create_nano_cpus(const json_t *hc)
{
	int64_t nano = jint(hc, "NanoCpus", NULL), q = jint(hc, "CpuQuota", NULL);
	int64_t p = jint(hc, "CpuPeriod", NULL);

	if (nano > 0)
		return nano;
	if (q > 0)
		return q * 1000000000LL / (p > 0 ? p : 100000);
	return 0;
}

static int64_t
label_int(const json_t *labels, const char *key, int64_t dflt)
{
	const char *s = jstr(labels, key);
	char *end;
	long long v;

	if (s[0] == '\0')
		return dflt;
	v = strtoll(s, &end, 10);
	return *end == '\0' && v >= 0 ? v : dflt;
}

static void
quota_containers(struct check_ctx *c)
{
	const struct quota *q = &c->prof->quota;
	const json_t *hc = jget(c->doc, "HostConfig"), *e;
	const struct pol_lookup *l;
	int64_t mem = 0, cpus = 0, n, want_mem = jint(hc, "Memory", NULL);
	int64_t want_cpus = create_nano_cpus(hc);
	char a[32], b[32], d[32];
	size_t i;

	if (q->containers == 0 && q->memory == 0 && q->nano_cpus == 0)
		return;
	if ((l = check_lookup(c, POL_LOOKUP_TENANT_CONTAINERS, c->tenant)) == NULL)
		return;
	if (l->status != 200 || !json_is_array(l->json)) {
		answer(c, 403, R_TENANT_QUOTA, "cannot count the containers of tenant %s (engine "
		    "answered %d), so the quota cannot be checked", c->tenant, l->status);
		return;
	}
	n = (int64_t)json_array_size(l->json);
	/* a container without the limit labels (made by an operator for the
	 * tenant) counts as the most the profile lets a container have */
	json_array_foreach(l->json, i, e) {
		const json_t *labels = jget(e, "Labels");
		mem += label_int(labels, MEMORY_LABEL, c->prof->memory_max);
		cpus += label_int(labels, NANOCPUS_LABEL, c->prof->nano_cpus_max);
	}
	if (q->containers > 0 && n + 1 > q->containers) {
		answer(c, 403, R_TENANT_QUOTA, "quota of tenant %s: at most %lld containers "
		    "(running or not), it has %lld; remove one (docker rm) or ask for a larger "
		    "quota", c->tenant, (long long)q->containers, (long long)n);
		return;
	}
	if (q->memory > 0) {
		human_bytes(q->memory, a, sizeof a);
		human_bytes(mem, b, sizeof b);
		if (want_mem <= 0) {
			answer(c, 403, R_TENANT_QUOTA, "quota of tenant %s: memory %s in all; every "
			    "container must set --memory (its containers have %s)", c->tenant, a, b);
			return;
		}
		human_bytes(want_mem, d, sizeof d);
		if (mem + want_mem > q->memory) {
			answer(c, 403, R_TENANT_QUOTA, "quota of tenant %s: memory %s in all, its "
			    "containers have %s, this one asks %s; use a smaller --memory, remove a "
			    "container or ask for a larger quota", c->tenant, a, b, d);
			return;
		}
	}
	if (q->nano_cpus > 0) {
		human_cpus(q->nano_cpus, a, sizeof a);
		human_cpus(cpus, b, sizeof b);
		if (want_cpus <= 0) {
			answer(c, 403, R_TENANT_QUOTA, "quota of tenant %s: %s CPUs in all; every "
			    "container must set --cpus (its containers have %s)", c->tenant, a, b);
			return;
		}
		human_cpus(want_cpus, d, sizeof d);
		if (cpus + want_cpus > q->nano_cpus)
			answer(c, 403, R_TENANT_QUOTA, "quota of tenant %s: %s CPUs in all, its "
			    "containers have %s, this one asks %s; use a smaller --cpus, remove a "
			    "container or ask for a larger quota", c->tenant, a, b, d);
	}
}

static void
quota_volumes(struct check_ctx *c, int64_t adding)
{
	const struct quota *q = &c->prof->quota;
	const struct pol_lookup *l;

	if (q->volumes == 0 || adding == 0)
		return;
	if ((l = check_lookup(c, POL_LOOKUP_TENANT_VOLUMES, c->tenant)) == NULL)
		return;
	const json_t *vols = jget(l->json, "Volumes");
	if (l->status != 200 || !(json_is_array(vols) || json_is_null(vols))) {
		answer(c, 403, R_TENANT_QUOTA, "cannot count the volumes of tenant %s (engine "
		    "answered %d), so the quota cannot be checked", c->tenant, l->status);
		return;
	}
	int64_t n = (int64_t)json_array_size(vols);
	if (n + adding > q->volumes)
		answer(c, 403, R_TENANT_QUOTA, "quota of tenant %s: at most %lld volumes, it has "
		    "%lld%s; remove one (docker volume rm) or ask for a larger quota", c->tenant,
		    (long long)q->volumes, (long long)n, adding > 1 ? " and this container "
		    "creates more than one" : "");
}

/* Anonymous volumes a create makes: Config.Volumes and the image's VOLUMEs,
 * at targets nothing else mounts (collected into *out when not NULL). */
static int64_t
anonymous_volumes(struct check_ctx *c, json_t *out)
{
	const json_t *hc = jget(c->doc, "HostConfig"), *e, *obj;
	json_t *targets = json_object();
	const char *key;
	int64_t n = 0;
	size_t i;
	int st;

	if (targets == NULL)
		return 0;
	json_array_foreach(jget(hc, "Binds"), i, e) {
		const char *b = json_string_value(e), *c1 = b ? strchr(b, ':') : NULL;
		if (c1 != NULL) {
			char dst[1024];
			const char *c2 = strchr(c1 + 1, ':');
			size_t len = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
			if (len < sizeof dst) {
				memcpy(dst, c1 + 1, len);
				dst[len] = '\0';
				json_object_set_new(targets, dst, json_true());
			}
		}
	}
	json_array_foreach(jget(hc, "Mounts"), i, e)
		json_object_set_new(targets, jstr(e, "Target"), json_true());
	json_object_foreach(jget(hc, "Tmpfs"), key, e)
		json_object_set_new(targets, key, json_true());
	const json_t *srcs[2] = { jget(c->doc, "Volumes"), NULL };
	const char *image = jstr(c->doc, "Image");
	if (image[0] != '\0' && resolve(c, POL_LOOKUP_IMAGE, image, &obj, &st) != OWN_PENDING &&
	    obj != NULL)
		srcs[1] = jget(jget(obj, "Config"), "Volumes");
	for (i = 0; i < 2; i++)
		json_object_foreach((json_t *)srcs[i], key, e) {
			char t[1024];
			size_t len = strlen(key);
			snprintf(t, sizeof t, "%s", key);
			while (len > 1 && t[len - 1] == '/')   /* dockerd cleans the path */
				t[--len] = '\0';
			if (jget(targets, t) != NULL)
				continue;
			json_object_set_new(targets, t, json_true());
			n++;
			if (out != NULL)
				json_array_append_new(out, json_string(t));
		}
	json_decref(targets);
	return n;
}

/* Volumes a create makes: anonymous ones, and named ones that do not exist */
static int64_t
volumes_created(struct check_ctx *c)
{
	const json_t *hc = jget(c->doc, "HostConfig"), *e, *obj;
	char name[512];
	int64_t n = anonymous_volumes(c, NULL);
	size_t i;
	int st;

	json_array_foreach(jget(hc, "Binds"), i, e)
		if (json_is_string(e) && bind_volume(json_string_value(e), name, sizeof name) &&
		    resolve(c, POL_LOOKUP_VOLUME, name, &obj, &st) == OWN_MISSING)
			n++;
	json_array_foreach(jget(hc, "Mounts"), i, e)
		if (strcmp(jstr(e, "Type"), "volume") == 0 && (jstr(e, "Source")[0] == '\0' ||
		    resolve(c, POL_LOOKUP_VOLUME, jstr(e, "Source"), &obj, &st) == OWN_MISSING))
			n++;
	return n;
}

void
tenant_quota(struct check_ctx *c)
{
	const char *ep = c->pp->route ? c->pp->route->endpoint : "";
	const struct quota *q = &c->prof->quota;

	if (strcmp(ep, "container.create") == 0) {
		quota_containers(c);
		if (!c->tenant_status && q->volumes > 0)
			quota_volumes(c, volumes_created(c));
	} else if (strcmp(ep, "volume.create") == 0) {
		const json_t *obj;
		int st;
		const char *n = jstr(c->doc, "Name");
		/* an existing own volume is answered as it is: nothing is added */
		if (q->volumes > 0 && (n[0] == '\0' ||
		    resolve(c, POL_LOOKUP_VOLUME, n, &obj, &st) == OWN_MISSING))
			quota_volumes(c, 1);
	} else if (strcmp(ep, "container.update") == 0 && (q->memory > 0 || q->nano_cpus > 0)) {
		static const char *const keys[] = { "Memory", "NanoCpus", "CpuQuota", "CpuPeriod",
		    NULL };
		for (size_t i = 0; keys[i] != NULL; i++)
			if (jint(c->doc, keys[i], NULL) != 0) {
				answer(c, 403, R_TENANT_QUOTA, "docker update of %s: tenant %s has a "
				    "memory/cpus quota, counted from the limits a container was created "
				    "with; recreate the container with the new limits instead",
				    keys[i], c->tenant);
				return;
			}
	}
}

/* ---- what is forwarded ---------------------------------------------------------- */

struct sbuf { char *s; size_t n, cap; int oom; };

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *ns = realloc(b->s, cap);
		if (ns == NULL) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Go's url.QueryEscape (path 0) / url.PathEscape (path 1) */
static void
sb_escape(struct sbuf *b, const char *s, int path)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char enc[3];
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~", *p)) {
			sb_add(b, (const char *)p, 1);
		} else if (*p == ' ' && !path) {
			sb_add(b, "+", 1);
		} else {
			enc[0] = '%';
			enc[1] = hex[*p >> 4];
			enc[2] = hex[*p & 15];
			sb_add(b, enc, 3);
		}
	}
}

/* A change to the query: drop every value of key (replace), then append
 * key=val (when val is not NULL). */
struct qedit {
	const char *key, *val;
	int replace;
};

/* The request-target to forward: the path's object renamed to id (or kept
 * when NULL), the query as sent or, with edits, rebuilt from the parsed
 * parameters (in their order, Go's QueryEscape: dockerd reads the same). */
static char *
new_target(const struct check_ctx *c, const char *id, const struct qedit *ed, size_t ned)
{
	const char *raw = c->pp->raw_target, *q = strchr(raw, '?');
	struct sbuf b = { 0 };

	if (id != NULL) {
		const char *pat = c->pp->route->pattern, *brace = strchr(pat, '{');
		size_t plen = brace ? (size_t)(brace - pat) : strlen(pat);
		size_t nlen = strlen(c->name);
		if (strlen(c->rt->path) < plen + nlen)
			return NULL;
		if (c->rt->has_version) {
			const char *slash = strchr(raw + 1, '/');
			if (slash == NULL)
				return NULL;
			sb_add(&b, raw, (size_t)(slash - raw));
		}
		sb_add(&b, pat, plen);
		sb_escape(&b, id, 1);
		/* the rest is literal route text ("/logs", "") */
		sb_str(&b, c->rt->path + plen + nlen);
	} else {
		sb_add(&b, raw, q ? (size_t)(q - raw) : strlen(raw));
	}
	if (ned == 0) {
		if (q != NULL)
			sb_str(&b, q);
	} else {
		int first = 1;
		for (size_t i = 0; i < c->rt->nparams; i++) {
			size_t k;
			for (k = 0; k < ned; k++)
				if (ed[k].replace && strcmp(c->rt->params[i].key, ed[k].key) == 0)
					break;
			if (k < ned)
				continue;
			sb_str(&b, first ? "?" : "&");
			sb_escape(&b, c->rt->params[i].key, 0);
			sb_str(&b, "=");
			sb_escape(&b, c->rt->params[i].value, 0);
			first = 0;
		}
		for (size_t k = 0; k < ned; k++) {
			if (ed[k].val == NULL)
				continue;
			sb_str(&b, first ? "?" : "&");
			sb_escape(&b, ed[k].key, 0);
			sb_str(&b, "=");
			sb_escape(&b, ed[k].val, 0);
			first = 0;
		}
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static void
set_label(json_t *obj, const char *key, const char *val)
{
	json_t *labels = jget(obj, "Labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(obj, "Labels", labels);
	}
	json_object_set_new(labels, key, json_string(val));
}

/* A container named by the body: its full ID, or NULL */
static const char *
container_id(struct check_ctx *c, const char *name)
{
	const json_t *obj;
	int st;
	return resolve(c, POL_LOOKUP_CONTAINER, name, &obj, &st) == OWN_MINE ? jstr(obj, "Id")
	    : NULL;
}

/* "name[:suffix]" with the name replaced by the container's full ID */
static void
rewrite_ref(struct check_ctx *c, json_t *arr, size_t i, const char *s, const char *prefix)
{
	char name[512], buf[1200];
	const char *colon, *id;

	ref_name(s + strlen(prefix), name, sizeof name);
	if ((id = container_id(c, name)) == NULL || id[0] == '\0')
		return;
	colon = strchr(s + strlen(prefix), ':');
	snprintf(buf, sizeof buf, "%s%s%s", prefix, id, colon ? colon : "");
	json_array_set_new(arr, i, json_string(buf));
}

/* A network named by the body, when the tenant may use it: its inspect
 * answer, else NULL */
static const json_t *
usable_network(struct check_ctx *c, const char *name)
{
	const json_t *obj;
	int st;
	enum own o = resolve(c, POL_LOOKUP_NETWORK, name, &obj, &st);

	return o == OWN_MINE || (o == OWN_SHARED && builtin_network(obj)) ? obj : NULL;
}

/* EndpointSettings.NetworkID set to the full ID of the network that was
 * judged (its own NetworkID when the client gave one, else key's network).
 * dockerd keeps the networks of a container that is created, or connected
 * while stopped, by the name it was given, and finds them again at start:
 * FindNetwork(getNetworkID(name, settings)), full ID, name, then unique ID
 * prefix, unless NetworkID is set.  Once the tenant's network was gone,
 * its name found another tenant's network at start, by name or by ID
 * prefix (a network named "a" went to the only network whose ID starts
 * with a). */
static void
pin_endpoint(struct check_ctx *c, json_t *ep, const char *key)
{
	const char *given = jstr(ep, "NetworkID");
	const json_t *net;

	if (!json_is_object(ep) || special_network(key))
		return;   /* dockerd finds bridge, host, none by name */
	net = usable_network(c, given[0] != '\0' ? given : key);
	if (net != NULL && jstr(net, "Id")[0] != '\0')
		json_object_set_new(ep, "NetworkID", json_string(jstr(net, "Id")));
}

/* Every user-defined network of a create pinned (pin_endpoint).  NetworkMode
 * alone (no EndpointsConfig) gets an endpoint keyed by the network's name,
 * the key dockerd gives it then (updateContainerNetworkSettings), to carry
 * the ID. */
static void
pin_networks(struct check_ctx *c, json_t *doc, json_t *hc)
{
	const char *mode = jstr(hc, "NetworkMode"), *key;
	json_t *nc = jget(doc, "NetworkingConfig"), *eps = jget(nc, "EndpointsConfig"), *ep;
	const json_t *net;

	if (json_object_size(eps) > 0) {
		json_object_foreach(eps, key, ep)
			pin_endpoint(c, ep, key);
		return;
	}
	if (special_network(mode) || strncmp(mode, "container:", 10) == 0 ||
	    (net = usable_network(c, mode)) == NULL || jstr(net, "Name")[0] == '\0' ||
	    jstr(net, "Id")[0] == '\0')
		return;
	if (!json_is_object(nc)) {
		nc = json_object();
		json_object_set_new(doc, "NetworkingConfig", nc);
	}
	json_object_set_new(nc, "EndpointsConfig", json_pack("{s:{s:s}}", jstr(net, "Name"),
	    "NetworkID", jstr(net, "Id")));
}

/* HostConfig.Links "name[:alias]" as "<full ID>:<alias>": the alias dockerd
 * would give it (opts.ParseLink: no alias is the name as written; a name
 * with a leading '/' takes the last element of the alias path), the
 * container by the ID that was judged.  dockerd looks a link's name up at
 * create (GetContainer: name, then ID prefix), so a name the tenant's
 * container gave up between the check and the create could become another
 * tenant's container by its ID prefix, with that container's Env in the
 * link's variables. */
static void
rewrite_link(struct check_ctx *c, json_t *arr, size_t i, const char *s)
{
	char name[512], buf[1200];
	const char *colon = strchr(s, ':'), *alias, *id;

	if (colon != NULL && strchr(colon + 1, ':') != NULL)
		return;   /* dockerd refuses it */
	ref_name(s, name, sizeof name);
	if ((id = container_id(c, name)) == NULL || id[0] == '\0')
		return;
	if (colon == NULL)
		alias = s;
	else if (s[0] == '/' && strrchr(colon + 1, '/') != NULL)
		alias = strrchr(colon + 1, '/') + 1;
	else
		alias = colon + 1;
	snprintf(buf, sizeof buf, "%s:%s", id, alias);
	json_array_set_new(arr, i, json_string(buf));
}

/* A named volume of Binds that does not exist yet ("name:/dst[:ro|rw|nocopy]")
 * as a Mount with the tenant's label to be (appended to mounts): 1 when it
 * is one and the bind goes, 0 when the bind stays as it is. */
static int
bind_as_mount(struct check_ctx *c, const json_t *hc, const char *b, json_t *mounts)
{
	char name[512], dst[1024], opts[256];
	const json_t *obj;
	int st, ro = 0, nocopy = 0, ok = 1;
	if (b == NULL || !bind_volume(b, name, sizeof name) ||
	    resolve(c, POL_LOOKUP_VOLUME, name, &obj, &st) != OWN_MISSING)
		return 0;
	const char *d = strchr(b, ':') + 1, *o = strchr(d, ':');
	size_t dl = o ? (size_t)(o - d) : strlen(d);
	if (dl == 0 || dl >= sizeof dst || (o && strlen(o + 1) >= sizeof opts))
		return 0;
	memcpy(dst, d, dl);
	dst[dl] = '\0';
	snprintf(opts, sizeof opts, "%s", o ? o + 1 : "");
	for (char *save = NULL, *w = strtok_r(opts, ",", &save); w;
	    w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "ro") == 0)
			ro = 1;
		else if (strcmp(w, "nocopy") == 0)
			nocopy = 1;
		else if (strcmp(w, "rw") != 0)
			ok = 0;
	}
	if (!ok)
		return 0;
	json_t *m = json_pack("{s:s, s:s, s:s, s:b, s:{s:b}}", "Type", "volume", "Source",
	    name, "Target", dst, "ReadOnly", ro, "VolumeOptions", "NoCopy", nocopy);
	if (m == NULL)
		return 0;
	/* a Mount does not take HostConfig.VolumeDriver: carry it over */
	if (jstr(hc, "VolumeDriver")[0] != '\0')
		json_object_set_new(jget(m, "VolumeOptions"), "DriverConfig",
		    json_pack("{s:s}", "Name", jstr(hc, "VolumeDriver")));
	json_array_append_new(mounts, m);
	return 1;
}

static void
stamp_create(struct check_ctx *c, json_t *doc)
{
	json_t *hc = jget(doc, "HostConfig"), *e, *anon;
	const char *modes[] = { "NetworkMode", "PidMode", "IpcMode", "Cgroup" };
	char num[32];
	size_t i;

	set_label(doc, TENANT_LABEL, c->tenant);
	snprintf(num, sizeof num, "%lld", (long long)jint(hc, "Memory", NULL));
	set_label(doc, MEMORY_LABEL, num);
	snprintf(num, sizeof num, "%lld", (long long)create_nano_cpus(hc));
	set_label(doc, NANOCPUS_LABEL, num);
	if (!json_is_object(hc)) {
		hc = json_object();
		json_object_set_new(doc, "HostConfig", hc);
	}
	/* references by the full ID that was judged */
	json_t *vf = jget(hc, "VolumesFrom");
	json_array_foreach(vf, i, e)
		if (json_is_string(e))
			rewrite_ref(c, vf, i, json_string_value(e), "");
	json_t *links = jget(hc, "Links");
	json_array_foreach(links, i, e)
		if (json_is_string(e))
			rewrite_link(c, links, i, json_string_value(e));
	for (i = 0; i < 4; i++) {
		const char *m = jstr(hc, modes[i]);
		const char *id;
		char buf[600];
		if (strncmp(m, "container:", 10) == 0 && (id = container_id(c, m + 10)) != NULL) {
			snprintf(buf, sizeof buf, "container:%s", id);
			json_object_set_new(hc, modes[i], json_string(buf));
		}
	}
	pin_networks(c, doc, hc);
	/* anonymous volumes are the tenant's: made by dockerd from Mounts with
	 * VolumeOptions.Labels.  With --volumes-from the donor's mount points
	 * come first and a Mount would replace them, so those are left as
	 * they are (check_volumes_from_anon refuses one no donor covers). */
	json_t *mounts = jget(hc, "Mounts");
	if (!json_is_array(mounts)) {
		mounts = json_array();
		json_object_set_new(hc, "Mounts", mounts);
	}
	/* a named volume of Binds that does not exist yet is created by
	 * dockerd: as a Mount it gets the label (only the plain modes ro, rw
	 * and nocopy translate; others are left as they are) */
	json_t *binds = jget(hc, "Binds");
	size_t kept = 0, nbinds = json_array_size(binds);
	for (i = 0; i < nbinds; i++) {
		json_t *b = json_array_get(binds, i);
		if (bind_as_mount(c, hc, json_string_value(b), mounts))
			continue;
		/* the binds that stay close up in place, in order (one removal
		 * at a time moved the rest each time: 80,000 binds, n^2) */
		if (kept != i)
			json_array_set(binds, kept, b);
		kept++;
	}
	while (json_array_size(binds) > kept)
		json_array_remove(binds, json_array_size(binds) - 1);
	json_array_foreach(mounts, i, e) {
		if (strcmp(jstr(e, "Type"), "volume") != 0)
			continue;
		json_t *vo = jget(e, "VolumeOptions");
		if (!json_is_object(vo)) {
			vo = json_object();
			json_object_set_new(e, "VolumeOptions", vo);
		}
		set_label(vo, TENANT_LABEL, c->tenant);
	}
	if (json_array_size(vf) == 0 && (anon = json_array()) != NULL) {
		anonymous_volumes(c, anon);
		json_array_foreach(anon, i, e) {
			json_t *m = json_pack("{s:s, s:s, s:{s:{s:s}}}", "Type", "volume", "Target",
			    json_string_value(e), "VolumeOptions", "Labels", TENANT_LABEL, c->tenant);
			json_array_append_new(mounts, m);
		}
		json_decref(anon);
	}
	if (json_array_size(mounts) == 0)
		json_object_del(hc, "Mounts");
}

/* docker build --network, by the full ID that was judged (into mode; 0 when
 * it stays as sent): the classic builder creates and starts a container
 * for every RUN step with that NetworkMode, so dockerd looks a name up again
 * at each step (GetContainer at start for container:<x>, FindNetwork at
 * create for a network: full ID, name, then unique ID prefix).  Once the
 * tenant's container or network of that name was removed during the build,
 * the next step joined another tenant's by its ID prefix. */
static int
build_network_mode(struct check_ctx *c, char *mode, size_t len)
{
	const char *v = reqtarget_get(c->rt, "networkmode"), *id = NULL;
	const json_t *net;

	if (v == NULL)
		return 0;
	if (strncmp(v, "container:", 10) == 0) {
		if ((id = container_id(c, v + 10)) == NULL || id[0] == '\0')
			return 0;
		snprintf(mode, len, "container:%s", id);
		return 1;
	}
	if (special_network(v) || (net = usable_network(c, v)) == NULL ||
	    jstr(net, "Id")[0] == '\0')
		return 0;
	snprintf(mode, len, "%s", jstr(net, "Id"));
	return 1;
}

/* DELETE /containers/{name}?link=...: docker rm --link names the link
 * ("web/db"), which a full ID would not (dockerd httputils.BoolValue) */
static int
rm_link(const struct check_ctx *c, const char *ep)
{
	const char *v = reqtarget_get(c->rt, "link");
	char low[16];
	size_t n = 0;

	if (strcmp(ep, "container.delete") != 0 || v == NULL)
		return 0;
	while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
		v++;
	for (; *v && n + 1 < sizeof low; v++)
		low[n++] = (char)((*v >= 'A' && *v <= 'Z') ? *v - 'A' + 'a' : *v);
	while (n > 0 && (low[n - 1] == ' ' || low[n - 1] == '\t' || low[n - 1] == '\n' ||
	    low[n - 1] == '\r'))
		n--;
	low[n] = '\0';
	return !(n == 0 || strcmp(low, "0") == 0 || strcmp(low, "no") == 0 ||
	    strcmp(low, "false") == 0 || strcmp(low, "none") == 0);
}

int
tenant_forward(struct check_ctx *c, char **target)
{
	const char *ep = c->pp->route ? c->pp->route->endpoint : "";
	json_t *doc = NULL;
	const json_t *obj;
	int st;
	char change[200];

	*target = NULL;
	if (swarm_endpoint(ep))
		return swarm_forward(c, ep, target);
	snprintf(change, sizeof change, "LABEL %s=%s", TENANT_LABEL, c->tenant);
	if (strcmp(ep, "container.create") == 0 || strcmp(ep, "volume.create") == 0 ||
	    strcmp(ep, "network.create") == 0 || strcmp(ep, "network.connect") == 0 ||
	    strcmp(ep, "network.disconnect") == 0) {
		if (!json_is_object(c->doc) || (doc = json_deep_copy(c->doc)) == NULL)
			goto oom;
		if (strcmp(ep, "container.create") == 0)
			stamp_create(c, doc);
		else if (has_prefix(ep, "network.conn") || has_prefix(ep, "network.disc")) {
			const char *id = container_id(c, jstr(doc, "Container"));
			json_t *ec = jget(doc, "EndpointConfig");
			if (id != NULL && id[0] != '\0')
				json_object_set_new(doc, "Container", json_string(id));
			/* a stopped container keeps the network by its name until
			 * it starts (ConnectToNetwork): pinned like a create's */
			if (strcmp(ep, "network.connect") == 0) {
				if (!json_is_object(ec)) {
					ec = json_object();
					json_object_set_new(doc, "EndpointConfig", ec);
				}
				pin_endpoint(c, ec, c->name);
			}
		} else
			set_label(doc, TENANT_LABEL, c->tenant);
		free(c->pp->fwd_body);
		c->pp->fwd_body = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(doc);
		if (c->pp->fwd_body == NULL)
			goto oom;
		c->pp->fwd_body_len = strlen(c->pp->fwd_body);
	}
	/* the object the path names, by the full ID that was judged (not the
	 * link of docker rm --link: "web/db" names the link, the ID would not) */
	if (c->name[0] != '\0' && !rm_link(c, ep) &&
	    (has_prefix(ep, "container.") || strcmp(ep, "exec.create") == 0) &&
	    resolve(c, POL_LOOKUP_CONTAINER, c->name, &obj, &st) == OWN_MINE) {
		if ((*target = new_target(c, jstr(obj, "Id"), NULL, 0)) == NULL)
			goto oom;
	} else if (c->name[0] != '\0' && has_prefix(ep, "network.") &&
	    resolve(c, POL_LOOKUP_NETWORK, c->name, &obj, &st) != OWN_PENDING && obj != NULL) {
		if ((*target = new_target(c, jstr(obj, "Id"), NULL, 0)) == NULL)
			goto oom;
	} else if (strcmp(ep, "image.commit") == 0) {
		/* the container by the full ID that was judged; the last LABEL
		 * wins (dockerd joins every changes value with "\n") */
		const char *cn = reqtarget_get(c->rt, "container"), *id = container_id(c, cn ? cn : "");
		struct qedit ed[] = { { "container", id, 1 }, { "changes", change, 0 } };
		if (id == NULL || id[0] == '\0' || (*target = new_target(c, NULL, ed, 2)) == NULL)
			goto oom;
	} else if (strcmp(ep, "image.create") == 0 && (reqtarget_get(c->rt, "fromImage") == NULL ||
	    reqtarget_get(c->rt, "fromImage")[0] == '\0')) {
		struct qedit ed[] = { { "changes", change, 0 } };
		if ((*target = new_target(c, NULL, ed, 1)) == NULL)
			goto oom;
	} else if (strcmp(ep, "build.build") == 0) {
		const char *v = reqtarget_get(c->rt, "labels");
		json_t *l = v && v[0] ? json_loads(v, 0, NULL) : json_object();
		char *s;
		if (!json_is_object(l)) {
			json_decref(l);
			goto oom;
		}
		json_object_set_new(l, TENANT_LABEL, json_string(c->tenant));
		s = json_dumps(l, JSON_COMPACT);
		json_decref(l);
		if (s == NULL)
			goto oom;
		/* forcerm: the classic builder's step containers carry the
		 * labels the Dockerfile's LABEL lines gave so far (the tenant's
		 * comes last), maybe another tenant's; with rm alone a failed
		 * step's container stayed, in that tenant's ps and quota
		 * (evaluator.go: Remove only on success, ForceRemove always) */
		char mode[600];
		struct qedit ed[] = { { "labels", s, 1 }, { "forcerm", "1", 1 },
		    { "networkmode", mode, 1 } };
		*target = new_target(c, NULL, ed, build_network_mode(c, mode, sizeof mode) ? 3 : 2);
		free(s);
		if (*target == NULL)
			goto oom;
	}
	return 0;
oom:
	answer(c, 500, R_TENANT_ISOLATION, "sockward: out of memory");
	return -1;
}

/* ---- the engine's 409 of a create or rename ------------------------------------- */

char *
policy_tenant_conflict_body(const char *body, size_t len)
{
	json_t *doc = json_loadb(body, len, 0, NULL), *out;
	const char *m = json_string_value(jget(doc, "message"));
	static const char by[] = "by container \"";
	char *res = NULL, buf[2048];

	if (m == NULL || strlen(m) >= sizeof buf) {
		json_decref(doc);
		return NULL;
	}
	/* 'Conflict. The container name "/db" is already in use by container
	 * "<id>". You have to remove (or rename) ...' (dockerd names.go) */
	const char *at = strstr(m, by), *end = at ? strchr(at + sizeof by - 1, '"') : NULL;
	if (at == NULL || end == NULL) {
		json_decref(doc);
		return NULL;
	}
	snprintf(buf, sizeof buf, "%.*sby another container%s", (int)(at - m), m, end + 1);
	out = json_pack("{s:s}", "message", buf);
	if (out != NULL)
		res = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	json_decref(doc);
	return res;
}

/* ---- swarm objects: services, their tasks, secrets and configs ------------------
 *
 * Where a profile allows the swarm endpoints, a tenant's services, secrets
 * and configs are its own like its containers: creates are stamped (a
 * service in Spec.Labels, which its tasks carry as ServiceAnnotations and
 * GET /tasks filters on, and in TaskTemplate.ContainerSpec.Labels, so the
 * tasks' containers are the tenant's; the volumes its mounts create get
 * the label in VolumeOptions.Labels), every object named by the path is
 * resolved by the engine (ID, name, ID prefix: dockerd's getService,
 * getSecret, ...) and answered with dockerd's own "service x not found"
 * unless it is the tenant's, and is forwarded under its full ID.  An update
 * carries the whole spec: it is stamped again (a client cannot take the
 * label off; another tenant's value is refused).
 * The secrets, configs, networks and named volumes a service spec refers to
 * must be the tenant's.  The swarm itself (init, join, tokens, unlock key)
 * and node changes are the operators'; the node list is readable (the
 * nodes are shared infrastructure, like docker info). */

static int
has_suffix_update(const char *ep)
{
	size_t n = strlen(ep);
	return n > 7 && strcmp(ep + n - 7, ".update") == 0;
}

static int
swarm_endpoint(const char *ep)
{
	return has_prefix(ep, "swarm.") || has_prefix(ep, "service.") || has_prefix(ep, "node.") ||
	    has_prefix(ep, "task.") || has_prefix(ep, "secret.") || has_prefix(ep, "config.");
}

static enum pol_lookup_kind
swarm_kind(const char *ep)
{
	if (has_prefix(ep, "service."))
		return POL_LOOKUP_SERVICE;
	if (has_prefix(ep, "secret."))
		return POL_LOOKUP_SECRET;
	if (has_prefix(ep, "config."))
		return POL_LOOKUP_CONFIG;
	return POL_LOOKUP_TASK;
}

/* A secret or config a service spec refers to (swarmkit looks it up by the
 * exact SecretID and wants its name to be SecretName, else InvalidArgument
 * "secret not found: <SecretName>"): only the tenant's own. */
static void
own_swarm_ref(struct check_ctx *c, enum pol_lookup_kind kind, const char *id, const char *name)
{
	const char *what = kind == POL_LOOKUP_SECRET ? "secret" : "config";
	const json_t *obj;
	int st;

	if (c->tenant_status)
		return;
	if (id[0] != '\0') {
		enum own o = resolve(c, kind, id, &obj, &st);
		if (o == OWN_PENDING)
			return;
		if (o == OWN_FAILED) {
			answer(c, 403, R_TENANT_ISOLATION, "cannot tell which tenant owns %s %s "
			    "(engine answered %d)", what, id, st);
			return;
		}
		if (o == OWN_MINE && strcmp(jstr(obj, "ID"), id) == 0 &&
		    strcmp(jstr(jget(obj, "Spec"), "Name"), name) == 0)
			return;
	}
	answer(c, 400, R_TENANT_ISOLATION, "rpc error: code = InvalidArgument desc = %s not "
	    "found: %s", what, name);
}

static void
check_service_refs(struct check_ctx *c)
{
	const json_t *task = jget(c->doc, "TaskTemplate");
	const json_t *cs = jget(task, "ContainerSpec"), *e, *obj, *nets;
	size_t i;
	int st;

	refuse_labels(c, jget(c->doc, "Labels"), "docker service");
	refuse_labels(c, jget(cs, "Labels"), "docker service (--container-label)");
	json_array_foreach(jget(cs, "Secrets"), i, e)
		own_swarm_ref(c, POL_LOOKUP_SECRET, jstr(e, "SecretID"), jstr(e, "SecretName"));
	json_array_foreach(jget(cs, "Configs"), i, e)
		own_swarm_ref(c, POL_LOOKUP_CONFIG, jstr(e, "ConfigID"), jstr(e, "ConfigName"));
	/* dockerd reads TaskTemplate.Networks, else the deprecated Networks
	 * (both are judged); one it cannot find is a plain error (500 "network
	 * x not found") */
	for (int k = 0; k < 2; k++) {
		nets = jget(k == 0 ? task : c->doc, "Networks");
		json_array_foreach(nets, i, e) {
			if (c->tenant_status)
				break;
			own_object(c, POL_LOOKUP_NETWORK, jstr(e, "Target"), SHARED_USE, "", &obj);
			if (c->tenant_status == 404)
				c->tenant_status = 500;
		}
	}
	/* the image: another tenant's is not there (a missing one is pulled on
	 * the node, an untenanted one is shared for use) */
	const char *image = jstr(cs, "Image");
	if (image[0] != '\0' && !c->tenant_status) {
		enum own o = resolve(c, POL_LOOKUP_IMAGE, image, &obj, &st);
		if (o == OWN_OTHER)
			hide(c, POL_LOOKUP_IMAGE, image);
		else if (o == OWN_FAILED)
			answer(c, 403, R_TENANT_ISOLATION, "cannot tell which tenant owns image %s "
			    "(engine answered %d)", image, st);
	}
	/* a named volume a task mounts: one that exists must be the tenant's (a
	 * missing one is created on the node, labelled: swarm_forward); swarm
	 * reads "VOLUME" or "Volume" as a volume mount (mount_kind) */
	json_array_foreach(jget(cs, "Mounts"), i, e) {
		const char *src = jstr(e, "Source");
		if (mount_kind(jstr(e, "Type"), 1) == MOUNT_VOLUME && src[0] != '\0' &&
		    resolve(c, POL_LOOKUP_VOLUME, src, &obj, &st) != OWN_MISSING)
			own_ref(c, POL_LOOKUP_VOLUME, src, 0);
	}
}

/* GET /tasks?filters={"service":...}: dockerd resolves every service the
 * filter names (getService: ID, name, prefix) and answers 404 "service x
 * not found" for a missing one; another tenant's is answered the same (the
 * label filter would only have emptied the list).  A filters value that
 * does not parse is left to tenant_lists, which answers it. */
static void
task_list_services(struct check_ctx *c)
{
	const char *client = reqtarget_get(c->rt, "filters");
	char *merged = NULL, err[256];
	const char *key;
	const json_t *v, *obj;
	json_t *doc;

	if (client == NULL || client[0] == '\0' ||
	    filters_merge(client, strlen(client), "label", TENANT_LABEL, &merged, err,
	    sizeof err) != 0)
		return;
	doc = json_loads(merged, 0, NULL);
	free(merged);
	json_object_foreach(jget(doc, "service"), key, v)
		if (!own_object(c, POL_LOOKUP_SERVICE, key, SHARED_HIDDEN, "", &obj) &&
		    c->tenant_status)
			break;
	json_decref(doc);
}

static void
swarm_precheck(struct check_ctx *c, const char *ep)
{
	const struct quota *q = &c->prof->quota;
	enum pol_lookup_kind kind = swarm_kind(ep);
	const json_t *obj;
	int upd = has_suffix_update(ep);

	if (has_prefix(ep, "swarm.") || strcmp(ep, "node.update") == 0 ||
	    strcmp(ep, "node.delete") == 0) {
		answer(c, 403, R_TENANT_ISOLATION, "%s is not available to an identity with a "
		    "tenant: the swarm and its nodes are shared by every tenant; ask an operator", ep);
		return;
	}
	if (strcmp(ep, "task.list") == 0) {
		task_list_services(c);
		return;
	}
	if (has_prefix(ep, "node.") || strcmp(ep, "service.list") == 0 ||
	    strcmp(ep, "secret.list") == 0 || strcmp(ep, "config.list") == 0)
		return;   /* node reads; the lists are narrowed by the label (tenant_lists) */
	if (strcmp(ep, "service.create") == 0 || strcmp(ep, "service.update") == 0) {
		if (upd && !own_object(c, kind, c->name, SHARED_HIDDEN, "", &obj))
			return;
		/* the previous spec replaces the body: whatever the profile's
		 * mode, a tenant's spec is one that was stamped here */
		for (size_t i = 0; upd && i < c->rt->nparams; i++)
			if (strcmp(c->rt->params[i].key, "rollback") == 0 &&
			    strcmp(c->rt->params[i].value, "previous") == 0) {
				answer(c, 403, R_TENANT_ISOLATION, "docker service rollback restores a "
				    "spec that cannot be checked for the tenant's label; run docker "
				    "service update with the settings you want instead");
				return;
			}
		if (q->containers > 0 || q->memory > 0 || q->nano_cpus > 0) {
			answer(c, 403, R_TENANT_QUOTA, "docker service: tenant %s has a containers, "
			    "memory or cpus quota, which the tasks of a service would not count against "
			    "(swarm creates them, not sockward); run containers instead, or ask for a "
			    "profile without that quota", c->tenant);
			return;
		}
		if (!json_is_object(c->doc))
			return;
		/* an update without the label is stamped again, like a create:
		 * docker stack deploy sends a fresh spec on every redeploy (so a
		 * --label-rm of it changes nothing); another value is refused */
		check_service_refs(c);
		return;
	}
	if (strcmp(ep, "secret.create") == 0 || strcmp(ep, "config.create") == 0 ||
	    strcmp(ep, "secret.update") == 0 || strcmp(ep, "config.update") == 0) {
		char what[40];
		snprintf(what, sizeof what, "docker %s", kind == POL_LOOKUP_SECRET ? "secret" : "config");
		if (upd && !own_object(c, kind, c->name, SHARED_HIDDEN, "", &obj))
			return;
		if (!json_is_object(c->doc)) {
			answer(c, 400, R_TENANT_ISOLATION, "sockward: bad request: %s requires a JSON "
			    "body", ep);
			return;
		}
		refuse_labels(c, jget(c->doc, "Labels"), what);
		return;
	}
	/* inspect, delete, logs of a service or task; inspect and delete of a
	 * secret or config */
	own_object(c, kind, c->name, SHARED_HIDDEN, "", &obj);
}

/* Stamp the labels in a copy of the judged spec; forward it */
static int
stamp_swarm_body(struct check_ctx *c, const char *ep)
{
	json_t *doc, *task, *cs, *e;
	size_t i;

	if (!json_is_object(c->doc) || (doc = json_deep_copy(c->doc)) == NULL)
		return -1;
	set_label(doc, TENANT_LABEL, c->tenant);
	if (has_prefix(ep, "service.")) {
		if (!json_is_object(task = jget(doc, "TaskTemplate"))) {
			task = json_object();
			json_object_set_new(doc, "TaskTemplate", task);
		}
		if (!json_is_object(cs = jget(task, "ContainerSpec"))) {
			cs = json_object();
			json_object_set_new(task, "ContainerSpec", cs);
		}
		if (task == NULL || cs == NULL) {
			json_decref(doc);
			return -1;
		}
		set_label(cs, TENANT_LABEL, c->tenant);
		json_array_foreach(jget(cs, "Mounts"), i, e) {
			json_t *vo;
			if (mount_kind(jstr(e, "Type"), 1) != MOUNT_VOLUME)
				continue;
			if (!json_is_object(vo = jget(e, "VolumeOptions"))) {
				vo = json_object();
				json_object_set_new(e, "VolumeOptions", vo);
			}
			if (vo != NULL)
				set_label(vo, TENANT_LABEL, c->tenant);
		}
	}
	free(c->pp->fwd_body);
	c->pp->fwd_body = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(doc);
	if (c->pp->fwd_body == NULL)
		return -1;
	c->pp->fwd_body_len = strlen(c->pp->fwd_body);
	return 0;
}

static int
swarm_forward(struct check_ctx *c, const char *ep, char **target)
{
	const json_t *obj;
	int st;

	if (strcmp(ep, "service.create") == 0 || strcmp(ep, "service.update") == 0 ||
	    strcmp(ep, "secret.create") == 0 || strcmp(ep, "secret.update") == 0 ||
	    strcmp(ep, "config.create") == 0 || strcmp(ep, "config.update") == 0) {
		if (stamp_swarm_body(c, ep) < 0)
			goto oom;
	}
	/* the object the path names, by the full ID that was judged */
	if (c->name[0] != '\0' && !has_prefix(ep, "node.") &&
	    resolve(c, swarm_kind(ep), c->name, &obj, &st) == OWN_MINE && jstr(obj, "ID")[0]) {
		if ((*target = new_target(c, jstr(obj, "ID"), NULL, 0)) == NULL)
			goto oom;
	}
	return 0;
oom:
	answer(c, 500, R_TENANT_ISOLATION, "sockward: out of memory");
	return -1;
}
