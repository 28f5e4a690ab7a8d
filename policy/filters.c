/* filters.c - read the `filters` parameter as dockerd does, add a term,
 * write it back canonically (see filters.h). */
#include "policy/filters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* The name Go's encoding/json gives a JSON value's kind in an
 * UnmarshalTypeError ("json: cannot unmarshal <kind> into ..."). */
static const char *
go_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:  return "object";
	case JSON_ARRAY:   return "array";
	case JSON_STRING:  return "string";
	case JSON_INTEGER:
	case JSON_REAL:    return "number";
	case JSON_TRUE:
	case JSON_FALSE:   return "bool";
	case JSON_NULL:    return "null";
	}
	return "value";
}

static void
type_error(char *err, size_t errlen, const json_t *v, const char *gotype)
{
	snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type %s", go_kind(v),
	    gotype);
}

/* The new form, map[string]map[string]bool: into *fields (key -> object
 * of value -> true/false).  -1 with Go's first type error (document order:
 * jansson keeps the order keys were read in). */
static int
read_new_form(const json_t *doc, json_t *fields, char *err, size_t errlen)
{
	const char *key, *vk;
	json_t *v, *b;

	json_object_foreach((json_t *)doc, key, v) {
		json_t *set = json_object();
		if (set == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		json_object_set_new(fields, key, set);
		if (json_is_null(v))
			continue;        /* a nil set: the key is there, with no values */
		if (!json_is_object(v)) {
			type_error(err, errlen, v, "map[string]bool");
			return -1;
		}
		json_object_foreach(v, vk, b) {
			if (json_is_null(b)) {
				/* null into a bool leaves it false */
				json_object_set_new(set, vk, json_false());
				continue;
			}
			if (!json_is_boolean(b)) {
				type_error(err, errlen, b, "bool");
				return -1;
			}
			json_object_set(set, vk, b);
		}
	}
	return 0;
}

/* The legacy form, map[string][]string: each value a set with every
 * listed string true (deprecatedArgs).  -1 when it does not decode. */
static int
read_legacy_form(const json_t *doc, json_t *fields)
{
	const char *key;
	json_t *v, *s;
	size_t i;

	json_object_foreach((json_t *)doc, key, v) {
		json_t *set = json_object();
		if (set == NULL)
			return -1;
		json_object_set_new(fields, key, set);
		if (json_is_null(v))
			continue;
		if (!json_is_array(v))
			return -1;
		json_array_foreach(v, i, s) {
			if (json_is_null(s))
				json_object_set_new(set, "", json_true());   /* null leaves "" */
			else if (json_is_string(s))
				json_object_set_new(set, json_string_value(s), json_true());
			else
				return -1;
		}
	}
	return 0;
}

/* Read the client's value as FromJSON does: NULL on error (err says why). */
static json_t *
read_filters(const char *client, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc, *fields = json_object();

	if (fields == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (client == NULL || len == 0)
		return fields;              /* no filter */
	if (len > FILTERS_MAX) {
		snprintf(err, errlen, "sockward: bad request: filters: %zu bytes, more than the "
		    "%d sockward reads; narrow the filter", len, FILTERS_MAX);
		goto fail;
	}
	doc = json_loadb(client, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL) {
		switch (json_error_code(&je)) {
		case json_error_premature_end_of_input:
			snprintf(err, errlen, "unexpected end of JSON input");
			break;
		case json_error_duplicate_key:
			snprintf(err, errlen, "sockward: bad request: filters: a key is repeated "
			    "(%s); send each key once", je.text);
			break;
		default:
			snprintf(err, errlen, "sockward: bad request: filters: invalid JSON at byte "
			    "%d: %s", je.position, je.text);
			break;
		}
		goto fail;
	}
	if (json_is_null(doc)) {
		json_decref(doc);
		return fields;              /* Go: null leaves the map empty */
	}
	if (!json_is_object(doc)) {
		type_error(err, errlen, doc, "map[string]map[string]bool");
		json_decref(doc);
		goto fail;
	}
	if (read_new_form(doc, fields, err, errlen) == 0) {
		json_decref(doc);
		return fields;
	}
	/* the new form did not decode: the legacy one, else the first error */
	json_object_clear(fields);
	if (read_legacy_form(doc, fields) == 0) {
		json_decref(doc);
		return fields;
	}
	json_decref(doc);
fail:
	json_decref(fields);
	return NULL;
}

int
filters_merge(const char *client, size_t len, const char *key, const char *value,
    char **out, char *err, size_t errlen)
{
	json_t *fields = read_filters(client, len, err, errlen), *set;
	char *s;

	*out = NULL;
	if (fields == NULL)
		return -1;
	set = json_object_get(fields, key);
	if (set == NULL) {
		set = json_object();
		json_object_set_new(fields, key, set);
	}
	if (set == NULL || json_object_set_new(set, value, json_true()) != 0) {
		json_decref(fields);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(fields);
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (strlen(s) > FILTERS_MAX) {
		free(s);
		snprintf(err, errlen, "sockward: bad request: filters: more than %d bytes with the "
		    "tenant's term; narrow the filter", FILTERS_MAX);
		return -1;
	}
	*out = s;
	return 0;
}
