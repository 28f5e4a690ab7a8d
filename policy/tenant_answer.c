/* tenant_answer.c - filter list answers to a tenant (see tenant_answer.h). */
#include "policy/tenant_answer.h"

#include <stdio.h>
#include <string.h>

#include "policy/tenant.h"

enum owner { OWN, UNTENANTED, OTHER, BAD };

/* Whose object is it, by its Labels (absent or null: none)? */
static enum owner
owner_of(const json_t *obj, const char *tenant)
{
	const json_t *labels = json_object_get(obj, "Labels"), *t;

	if (labels == NULL || json_is_null(labels))
		return UNTENANTED;
	if (!json_is_object(labels))
		return BAD;
	if ((t = json_object_get(labels, TENANT_LABEL)) == NULL)
		return UNTENANTED;
	if (!json_is_string(t))
		return BAD;
	return strcmp(json_string_value(t), tenant) == 0 ? OWN : OTHER;
}

static int
builtin_network(const json_t *n)
{
	const char *name = json_string_value(json_object_get(n, "Name"));
	return name != NULL && (strcmp(name, "bridge") == 0 || strcmp(name, "host") == 0 ||
	    strcmp(name, "none") == 0);
}

enum keep { KEEP_OWN, KEEP_OWN_UNTENANTED, KEEP_OWN_BUILTIN };

/* A built-in network as a tenant sees it: Containers emptied (the map is
 * keyed by container ID, with no label to tell whose: every tenant's
 * containers on bridge would show, with their IDs, names and addresses).
 * A new object over the same members (json_copy is shallow); NULL: out of
 * memory. */
static json_t *
builtin_seen(const json_t *net)
{
	json_t *out = json_copy((json_t *)net);

	if (out == NULL || json_object_set_new(out, "Containers", json_object()) != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* A new array of the elements of arr to keep; NULL when arr (or an element)
 * is not what dockerd gives.  A null array is an empty one. */
static json_t *
filter_array(const json_t *arr, const char *tenant, enum keep how, const char *what,
    char *err, size_t errlen)
{
	json_t *out = json_array(), *el;
	size_t i;

	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (arr == NULL || json_is_null(arr))
		return out;
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "%s is not a list", what);
		goto bad;
	}
	json_array_foreach(arr, i, el) {
		if (!json_is_object(el)) {
			snprintf(err, errlen, "%s[%zu] is not an object", what, i);
			goto bad;
		}
		enum owner o = owner_of(el, tenant);
		if (o == BAD) {
			snprintf(err, errlen, "%s[%zu].Labels is not an object of strings", what, i);
			goto bad;
		}
		/* untenanted images are shared when they have a name: one without
		 * is a build's step (tenant_image_named) */
		int keep = o == OWN || (o == UNTENANTED && how == KEEP_OWN_UNTENANTED &&
		    tenant_image_named(el)) ||
		    (o == UNTENANTED && how == KEEP_OWN_BUILTIN && builtin_network(el));
		/* a built-in network's Containers are every tenant's: the list of
		 * API before 1.28 carries them (buildDetailedNetworkResources) */
		json_t *kept = !keep ? NULL : o == UNTENANTED && how == KEEP_OWN_BUILTIN ?
		    builtin_seen(el) : json_incref(el);
		if (keep && (kept == NULL || json_array_append_new(out, kept) != 0)) {
			snprintf(err, errlen, "out of memory");
			goto bad;
		}
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}

static json_t *
filter_df(const json_t *df, const char *tenant, char *err, size_t errlen)
{
	json_t *out, *images, *containers, *volumes, *el;
	json_int_t layers = 0;
	size_t i;

	if (!json_is_object(df)) {
		snprintf(err, errlen, "the answer is not an object");
		return NULL;
	}
	/* a new object over the same members (json_copy is shallow): the
	 * filtered lists replace their own in it and the answer is left as it
	 * is, without a second copy of everything in it */
	if ((out = json_copy((json_t *)df)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	images = filter_array(json_object_get(df, "Images"), tenant, KEEP_OWN_UNTENANTED,
	    "Images", err, errlen);
	containers = filter_array(json_object_get(df, "Containers"), tenant, KEEP_OWN,
	    "Containers", err, errlen);
	volumes = filter_array(json_object_get(df, "Volumes"), tenant, KEEP_OWN, "Volumes",
	    err, errlen);
	if (images == NULL || containers == NULL || volumes == NULL) {
		json_decref(images);
		json_decref(containers);
		json_decref(volumes);
		json_decref(out);
		return NULL;
	}
	json_array_foreach(images, i, el)
		if (json_is_integer(json_object_get(el, "Size")))
			layers += json_integer_value(json_object_get(el, "Size"));
	/* every one must be set: one that is not would leave the engine's own
	 * list in out (json_object_set_new takes the value, set or not) */
	const struct { const char *key; json_t *v; } set[] = {
		{ "Images", images },
		{ "Containers", containers },
		{ "Volumes", volumes },
		{ "BuildCache", json_array() },
		{ "LayersSize", json_integer(layers) },
	};
	int failed = 0;
	for (i = 0; i < sizeof set / sizeof set[0]; i++)
		failed |= json_object_set_new(out, set[i].key, set[i].v) != 0;
	if (failed) {
		json_decref(out);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return out;
}

/* One network (GET /networks/{id}): the tenant's as it is; a built-in one
 * with Containers emptied (builtin_seen); any other is not the tenant's to
 * see. */
static json_t *
filter_network(const json_t *net, const char *tenant, char *err, size_t errlen)
{
	json_t *out;

	if (!json_is_object(net)) {
		snprintf(err, errlen, "the answer is not an object");
		return NULL;
	}
	switch (owner_of(net, tenant)) {
	case OWN:
		return json_incref((json_t *)net);
	case UNTENANTED:
		if (builtin_network(net))
			break;
		/* fall through */
	case OTHER:
		snprintf(err, errlen, "the network is not the tenant's");
		return NULL;
	case BAD:
		snprintf(err, errlen, "Labels is not an object of strings");
		return NULL;
	}
	if ((out = builtin_seen(net)) == NULL)
		snprintf(err, errlen, "out of memory");
	return out;
}

json_t *
tenant_answer_filter(enum pol_answer_filter kind, const char *tenant, const json_t *answer,
    char *err, size_t errlen)
{
	if (tenant == NULL || answer == NULL) {
		snprintf(err, errlen, "no tenant or no answer");
		return NULL;
	}
	switch (kind) {
	case POL_ANSWER_IMAGES:
		if (!json_is_array(answer))
			break;
		return filter_array(answer, tenant, KEEP_OWN_UNTENANTED, "images", err, errlen);
	case POL_ANSWER_NETWORKS:
		if (!json_is_array(answer))
			break;
		return filter_array(answer, tenant, KEEP_OWN_BUILTIN, "networks", err, errlen);
	case POL_ANSWER_SYSTEM_DF:
		return filter_df(answer, tenant, err, errlen);
	case POL_ANSWER_NETWORK:
		return filter_network(answer, tenant, err, errlen);
	case POL_ANSWER_NONE:
		snprintf(err, errlen, "no answer filter");
		return NULL;
	}
	snprintf(err, errlen, "the answer is not a list");
	return NULL;
}

const char *
tenant_answer_name(enum pol_answer_filter kind)
{
	switch (kind) {
	case POL_ANSWER_IMAGES:    return "images";
	case POL_ANSWER_NETWORKS:  return "networks";
	case POL_ANSWER_SYSTEM_DF: return "system df";
	case POL_ANSWER_NETWORK:   return "network";
	case POL_ANSWER_NONE:      break;
	}
	return "none";
}
