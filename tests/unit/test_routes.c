/* test_routes.c - sockward's route table is dockerd 20.10's router (API
 * 1.41): tests/fixtures/routes/dockerd-20.10-api-1.41.json lists dockerd's
 * routes in registration order, each routed to an endpoint id or refused
 * with a reason, with example paths.  Every example is walked as a client
 * sends it (request-target with and without /v<version>, through
 * reqtarget_parse) and must land on that route with that name. */
#include <check.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/profile.h"
#include "policy/reqtarget.h"
#include "policy/routes.h"

#define FIXTURE "fixtures/routes/dockerd-20.10-api-1.41.json"

static json_t *
load(void)
{
	json_error_t e;
	json_t *doc = json_load_file(FIXTURE, 0, &e);
	ck_assert_msg(doc != NULL, "%s: %s (line %d)", FIXTURE, e.text, e.line);
	return doc;
}

static const char *
js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	ck_assert_msg(s != NULL, "fixture entry lacks \"%s\"", k);
	return s;
}

/* "container.inspect" or "refused: <the route's reason>" */
static void
assert_to(const struct route *r, const char *to, const char *what)
{
	if (strncmp(to, "refused: ", 9) == 0) {
		ck_assert_msg(r->endpoint == NULL, "%s: routed to %s, fixture says %s", what,
		    r->endpoint, to);
		ck_assert_msg(r->refused != NULL && strcmp(r->refused, to + 9) == 0,
		    "%s: refused for [%s], fixture says [%s]", what, r->refused ? r->refused : "",
		    to + 9);
	} else {
		ck_assert_msg(r->endpoint != NULL && strcmp(r->endpoint, to) == 0,
		    "%s: routed to %s, fixture says %s", what,
		    r->endpoint ? r->endpoint : "(refused)", to);
		ck_assert_msg(r->refused == NULL, "%s: an endpoint with a refusal", what);
	}
}

static int
same_route(const struct route *r, const json_t *e)
{
	return strcmp(r->method, js(e, "method")) == 0 && strcmp(r->pattern, js(e, "pattern")) == 0;
}

/* The table, in order, is the fixture's routes with the sockward_only
 * routes (newer APIs) in between. */
START_TEST(table_is_dockerds_router)
{
	json_t *doc = load();
	const json_t *routes = json_object_get(doc, "routes");
	const json_t *extra = json_object_get(doc, "sockward_only");
	size_t n, k = 0, i, x, nextra = 0;
	const struct route *t = route_table(&n);

	ck_assert_int_eq(json_array_size(routes), 121);
	for (i = 0; i < n; i++) {
		const json_t *e;
		char what[160];
		int found = 0;
		json_array_foreach(extra, x, e)
			if (same_route(&t[i], e)) {
				snprintf(what, sizeof what, "%s %s (sockward only)", t[i].method, t[i].pattern);
				assert_to(&t[i], js(e, "to"), what);
				found = 1;
				nextra++;
			}
		if (found)
			continue;
		ck_assert_msg(k < json_array_size(routes), "table row %zu %s %s is not dockerd's", i,
		    t[i].method, t[i].pattern);
		e = json_array_get(routes, k++);
		ck_assert_msg(same_route(&t[i], e), "table row %zu is %s %s, dockerd's route %zu is %s %s",
		    i, t[i].method, t[i].pattern, k - 1, js(e, "method"), js(e, "pattern"));
		snprintf(what, sizeof what, "%s %s", t[i].method, t[i].pattern);
		assert_to(&t[i], js(e, "to"), what);
		ck_assert_msg((t[i].body != NULL) <= (t[i].endpoint != NULL), "%s: refused with a body type", what);
	}
	ck_assert_int_eq(k, json_array_size(routes));
	ck_assert_int_eq(nextra, json_array_size(extra));
	json_decref(doc);
}
END_TEST

/* One request: METHOD PREFIX+PATH must land on route e with this name. */
static void
walk(const json_t *e, const char *method, const char *prefix, const char *path, const char *name)
{
	static struct reqtarget rt;
	char target[RT_MAX_PATH], err[160], got[ROUTE_MAX_NAME];
	const char *to = js(e, "to");
	const struct route *r;

	snprintf(target, sizeof target, "%s%s?x=1", prefix, path);
	if (reqtarget_parse(target, &rt, err, sizeof err) < 0) {
		/* refused before routing (400): only where the fixture says so */
		ck_assert_msg(strncmp(to, "refused: ", 9) == 0, "%s %s: %s, fixture says %s", method,
		    target, err, to);
		return;
	}
	ck_assert_int_eq(rt.has_version, prefix[0] != '\0');
	r = route_match(method, rt.path, got, sizeof got);
	ck_assert_msg(r != NULL, "%s %s: no route, fixture says %s %s", method, target,
	    js(e, "method"), js(e, "pattern"));
	ck_assert_msg(same_route(r, e), "%s %s: matched %s %s, fixture says %s %s", method, target,
	    r->method, r->pattern, js(e, "method"), js(e, "pattern"));
	ck_assert_msg(strcmp(got, name) == 0, "%s %s: name [%s], fixture says [%s]", method, target,
	    got, name);
	assert_to(r, to, target);
	/* what the policy sees: refused routes are unknown endpoints */
	const struct route *f = route_find(method, rt.path, got, sizeof got);
	ck_assert_ptr_eq(f, r->endpoint != NULL ? r : NULL);
}

static void
walk_examples(const json_t *e)
{
	static const char *const prefixes[] = { "", "/v1.41", "/v1.24", "/v1.12" };
	static const char *const any[] = { "GET", "POST", "PUT", "DELETE", "HEAD" };
	const json_t *ex;
	size_t i;

	ck_assert_msg(json_array_size(json_object_get(e, "examples")) > 0, "%s %s has no example",
	    js(e, "method"), js(e, "pattern"));
	json_array_foreach(json_object_get(e, "examples"), i, ex)
		for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
			if (strcmp(js(e, "method"), "*") != 0) {
				walk(e, js(e, "method"), prefixes[p], js(ex, "path"), js(ex, "name"));
				continue;
			}
			for (size_t m = 0; m < sizeof any / sizeof any[0]; m++)
				walk(e, any[m], prefixes[p], js(ex, "path"), js(ex, "name"));
		}
}

START_TEST(every_route_walked)
{
	json_t *doc = load();
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(doc, "routes"), i, e)
		walk_examples(e);
	json_array_foreach(json_object_get(doc, "sockward_only"), i, e)
		walk_examples(e);
	json_decref(doc);
}
END_TEST

/* gorilla/mux: first full match in registration order, {name:.*} greedy. */
START_TEST(order_and_greed)
{
	json_t *doc = load();
	const json_t *e, *routes = json_object_get(doc, "routes");
	size_t i, k;

	json_array_foreach(json_object_get(doc, "order"), i, e) {
		char got[ROUTE_MAX_NAME];
		const char *to = js(e, "to");
		const struct route *r = route_match(js(e, "method"), js(e, "path"), got, sizeof got);
		ck_assert_msg(r != NULL, "%s %s (%s): no route", js(e, "method"), js(e, "path"),
		    js(e, "why"));
		assert_to(r, to, js(e, "path"));
		ck_assert_msg(strcmp(got, js(e, "name")) == 0, "%s %s (%s): name [%s], want [%s]",
		    js(e, "method"), js(e, "path"), js(e, "why"), got, js(e, "name"));
		/* and it is the first of dockerd's routes that takes it */
		const json_t *d;
		json_array_foreach(routes, k, d)
			if (strcmp(js(d, "to"), to) == 0 && same_route(r, d))
				break;
		ck_assert_msg(k < json_array_size(routes), "%s: not one of dockerd's routes", js(e, "path"));
	}
	json_array_foreach(json_object_get(doc, "no_route"), i, e) {
		char got[ROUTE_MAX_NAME], path[256];
		const struct route *r = route_match(js(e, "method"), js(e, "path"), got, sizeof got);
		ck_assert_msg(r == NULL, "%s %s: matched %s %s, dockerd has no such route",
		    js(e, "method"), js(e, "path"), r ? r->method : "", r ? r->pattern : "");
		snprintf(path, sizeof path, "/v1.41%s", js(e, "path"));
		/* a version-looking first segment is part of the path for route_match */
		ck_assert_ptr_null(route_match(js(e, "method"), path, got, sizeof got));
	}
	json_decref(doc);
}
END_TEST

/* route_match passes over the routes whose first two literal bytes the
 * path does not begin with, a run of them at a time, and compares methods
 * by their first byte first: it must still give the first route of the
 * table that matches.  The reference here is a plain scan with a
 * backtracking matcher of mux's patterns; the paths are every pattern
 * with its variables filled three ways, each cut at every length and with
 * each of its first three bytes changed. */
static int
ref_match(const char *pat, const char *s)
{
	if (*pat == '\0')
		return *s == '\0';
	if (*pat != '{')
		return *pat == *s && ref_match(pat + 1, s + 1);
	const char *close = strchr(pat, '}'), *colon = memchr(pat, ':', (size_t)(close - pat));
	int segment = colon == NULL, some = colon != NULL && colon[2] == '+';
	size_t max = 0;
	/* [^/] takes '\n' (Go's ClassNL), '.' does not */
	while (s[max] != '\0' && (segment ? s[max] != '/' : s[max] != '\n'))
		max++;
	for (size_t n = max + 1; n-- > (size_t)(segment || some);)
		if (ref_match(close + 1, s + n))
			return 1;
	return 0;
}

static const struct route *
ref_route(const char *method, const char *path)
{
	size_t n;
	const struct route *t = route_table(&n);

	for (size_t i = 0; i < n; i++)
		if ((strcmp(t[i].method, "*") == 0 || strcmp(t[i].method, method) == 0) &&
		    ref_match(t[i].pattern, path))
			return &t[i];
	return NULL;
}

START_TEST(route_skips_match_a_plain_scan)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "HEAD", "P", "" };
	static const char *const fills[] = { "x", "a/b", "", "\n" };
	static const char swaps[] = "/_cv{";
	size_t n, checked = 0, matched = 0;
	const struct route *t = route_table(&n);

	for (size_t i = 0; i < n; i++)
		for (size_t f = 0; f < sizeof fills / sizeof fills[0]; f++) {
			char path[256], cut[256], got[ROUTE_MAX_NAME];
			size_t len = 0;
			for (const char *p = t[i].pattern; *p != '\0' && len < sizeof path - 8; p++) {
				if (*p != '{') {
					path[len++] = *p;
					continue;
				}
				len += (size_t)snprintf(path + len, sizeof path - len, "%s", fills[f]);
				p = strchr(p, '}');
			}
			path[len] = '\0';
			for (size_t l = 0; l <= len; l++)
				for (size_t k = 0; k <= 3 * (sizeof swaps - 1); k++) {
					memcpy(cut, path, l);
					cut[l] = '\0';
					if (k > 0) {
						size_t at = (k - 1) / (sizeof swaps - 1);
						if (at >= l)
							continue;
						cut[at] = swaps[(k - 1) % (sizeof swaps - 1)];
					}
					for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
						const struct route *r = route_match(methods[m], cut, got, sizeof got);
						ck_assert_msg(r == ref_route(methods[m], cut), "%s %s: %s %s",
						    methods[m], cut, r ? r->method : "-", r ? r->pattern : "-");
						checked++;
						matched += r != NULL;
					}
				}
		}
	ck_assert_uint_gt(checked, 50000);
	ck_assert_uint_gt(matched, 5000);
}
END_TEST

/* Names are whole: long ones are cut at the buffer, never overrun; '\n'
 * never matches '.' (reqtarget decodes %0A into the path: see
 * segment_variables_take_newlines for [^/]). */
START_TEST(names_bounded)
{
	char big[1200], got[8];
	const struct route *r;

	memset(big, 'a', sizeof big);
	memcpy(big, "/containers/", 12);
	memcpy(big + sizeof big - 6, "/json", 6);
	r = route_find("GET", big, got, sizeof got);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->endpoint, "container.inspect");
	ck_assert_str_eq(got, "aaaaaaa");
	ck_assert_ptr_null(route_find("GET", "/containers/a\nb/json", got, sizeof got));
	ck_assert_ptr_null(route_find("GET", "/networks/a\n", got, sizeof got));
}
END_TEST

/* mux compiles {id} to [^/]+ with Go's regexp (syntax.Perl: ClassNL), and a
 * negated class takes '\n' where '.' does not; an encoded %0A is decoded
 * into the path (only raw control bytes are refused), so DELETE
 * /nodes/x%0A is dockerd's node.delete of node "x\n", never an unknown
 * endpoint. */
START_TEST(segment_variables_take_newlines)
{
	static struct reqtarget rt;
	char err[160], got[ROUTE_MAX_NAME];
	const struct route *r;

	ck_assert_int_eq(reqtarget_parse("/v1.41/nodes/x%0A?force=1", &rt, err, sizeof err), 0);
	ck_assert_str_eq(rt.path, "/nodes/x\n");
	r = route_find("DELETE", rt.path, got, sizeof got);
	ck_assert_msg(r != NULL, "DELETE /nodes/x%%0A: unknown endpoint, dockerd's node.delete");
	ck_assert_str_eq(r->endpoint, "node.delete");
	ck_assert_str_eq(got, "x\n");
	r = route_find("POST", "/services/a\nb/update", got, sizeof got);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->endpoint, "service.update");
	ck_assert_str_eq(got, "a\nb");
	r = route_find("GET", "/secrets/\n", got, sizeof got);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->endpoint, "secret.inspect");
	/* '.' still stops at it: {name:.*} and {id:.+} do not match */
	ck_assert_ptr_null(route_match("GET", "/containers/a\nb/json", got, sizeof got));
	ck_assert_ptr_null(route_match("DELETE", "/networks/a\n", got, sizeof got));
}
END_TEST

/* ---- the documentation agrees with the table and the built-in profiles ---- */

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *s = malloc(1 << 20);
	size_t n = fread(s, 1, (1 << 20) - 1, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* The part of text between two markers. */
static char *
section(char *text, const char *from, const char *to)
{
	char *a = strstr(text, from), *b;
	ck_assert_msg(a != NULL, "no \"%s\"", from);
	b = strstr(a, to);
	ck_assert_msg(b != NULL, "no \"%s\" after \"%s\"", to, from);
	*b = '\0';
	return a;
}

/* Distinct endpoint ids of the table; refused routes have none. */
static size_t
endpoint_ids(const char **ids, size_t max)
{
	size_t n, k = 0;
	const struct route *t = route_table(&n);

	for (size_t i = 0; i < n; i++) {
		size_t j;
		if (t[i].endpoint == NULL)
			continue;
		for (j = 0; j < k && strcmp(ids[j], t[i].endpoint) != 0; j++)
			;
		if (j == k && k < max)
			ids[k++] = t[i].endpoint;
	}
	return k;
}

static int
is_judged(const char *id)
{
	size_t n;
	const struct route *t = route_table(&n);
	for (size_t i = 0; i < n; i++)
		if (t[i].endpoint != NULL && strcmp(t[i].endpoint, id) == 0 && t[i].check != CHECK_NONE)
			return 1;
	return 0;
}

/* Tokens like container.create or secret.* in s: each call gives the next. */
static const char *
next_id(const char **s, char *out, size_t outlen)
{
	const char *p = *s;
	while (*p != '\0') {
		const char *b = p;
		while (*p == '.' || *p == '*' || (*p >= 'a' && *p <= 'z'))
			p++;
		size_t len = (size_t)(p - b);
		const char *dot = memchr(b, '.', len);
		if (len > 2 && dot != NULL && dot > b && dot < b + len - 1 && b[len - 1] != '.' &&
		    (b == *s || !isalnum((unsigned char)b[-1])) && len < outlen &&
		    memchr(dot + 1, '.', (size_t)(b + len - dot - 1)) == NULL) {
			memcpy(out, b, len);
			out[len] = '\0';
			*s = p;
			return out;
		}
		if (p == b)
			p++;
	}
	*s = p;
	return NULL;
}

static const struct route *
route_by_endpoint(const char *id)
{
	size_t n;
	const struct route *t = route_table(&n);
	for (size_t i = 0; i < n; i++)
		if (t[i].endpoint != NULL && strcmp(t[i].endpoint, id) == 0)
			return &t[i];
	return NULL;
}

/* README's endpoint table: every id of the table in exactly one row (ids or
 * group globs), no id the table lacks, and each row's words for restricted,
 * baseline and unrestricted are what the built-in profiles do:
 * "refused" = endpoints_deny matches; "allowed"/"judged" = it does not, and
 * the route has no check / has one; "logged" = audit mode (but a route sockward
 * cannot inspect is refused in every mode). */
START_TEST(readme_endpoint_table)
{
	char *readme = slurp("../README.md");
	char *tab = section(readme, "### Endpoints", "## Deploying sockward");
	const char *ids[128];
	size_t nids = endpoint_ids(ids, 128);
	int rows[128] = { 0 };
	struct profile *prof[3] = { profile_builtin("restricted"), profile_builtin("baseline"),
	    profile_builtin("unrestricted") };
	char *save = NULL;

	ck_assert(nids > 80 && nids < 128);
	for (char *line = strtok_r(tab, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *col[6] = { 0 }, *c = line;
		int nc = 0;
		if (strncmp(line, "| `", 3) != 0)
			continue;
		while (nc < 6 && (c = strchr(c, '|')) != NULL) {
			*c++ = '\0';
			col[nc++] = c;
		}
		ck_assert_msg(nc == 5, "README endpoint row with %d columns", nc);
		const char *p = col[0];
		char id[64];
		while (next_id(&p, id, sizeof id) != NULL) {
			int matched = 0;
			for (size_t i = 0; i < nids; i++) {
				if (fnmatch(id, ids[i], 0) != 0)
					continue;
				matched = 1;
				rows[i]++;
				for (int k = 0; k < 3; k++) {
					const char *w = col[k + 1] + strspn(col[k + 1], " ");
					int denied = !strlist_match(&prof[k]->endpoints_allow, ids[i]) &&
					    strlist_match(&prof[k]->endpoints_deny, ids[i]);
					const struct route *ur = route_by_endpoint(ids[i]);
					if (prof[k]->mode == POL_MODE_AUDIT && !(denied && route_uninspectable(ur))) {
						ck_assert_msg(strncmp(w, "logged", 6) == 0, "README: %s under %s: %s",
						    ids[i], prof[k]->name, w);
						continue;
					}
					if (strncmp(w, "refused", 7) == 0)
						ck_assert_msg(denied, "README says %s refuses %s; it does not",
						    prof[k]->name, ids[i]);
					else if (strncmp(w, "judged", 6) == 0)
						ck_assert_msg(!denied && is_judged(ids[i]), "README: %s judged by %s? "
						    "denied %d, checked %d", ids[i], prof[k]->name, denied,
						    is_judged(ids[i]));
					else if (strncmp(w, "allowed", 7) == 0)
						ck_assert_msg(!denied && !is_judged(ids[i]), "README: %s allowed "
						    "unchecked by %s? denied %d, checked %d", ids[i], prof[k]->name,
						    denied, is_judged(ids[i]));
					else
						ck_abort_msg("README: %s: unknown word '%s'", ids[i], w);
				}
			}
			ck_assert_msg(matched, "README lists %s, which no route has", id);
		}
	}
	for (size_t i = 0; i < nids; i++)
		ck_assert_msg(rows[i] == 1, "README lists %s %d times", ids[i], rows[i]);
	for (int k = 0; k < 3; k++)
		profile_free(prof[k]);
	free(readme);
}
END_TEST

/* sockward.json(5), "Endpoints": every id of the table on exactly one .It
 * line, and nothing else there. */
START_TEST(man_endpoint_list)
{
	char *man = slurp("../man/sockward.json.5");
	char *sec = section(man, ".Ss Endpoints", ".Ss Built-in profiles");
	const char *ids[128];
	size_t nids = endpoint_ids(ids, 128);
	int rows[128] = { 0 };
	char *save = NULL;

	/* the routes refused without an id are named */
	ck_assert_ptr_nonnull(strstr(sec, "/containers/{name}/checkpoints"));
	ck_assert_ptr_nonnull(strstr(sec, "POST /containers/{name}/copy"));
	ck_assert_ptr_nonnull(strstr(sec, "OPTIONS"));
	ck_assert_ptr_nonnull(strstr(sec, "/debug"));
	for (char *line = strtok_r(sec, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, ".It Cm ", 7) != 0)
			continue;
		const char *p = line + 7;
		char id[64];
		while (next_id(&p, id, sizeof id) != NULL) {
			int matched = 0;
			for (size_t i = 0; i < nids; i++)
				if (fnmatch(id, ids[i], 0) == 0) {
					matched = 1;
					rows[i]++;
				}
			ck_assert_msg(matched, "sockward.json.5 lists %s, which no route has", id);
		}
	}
	for (size_t i = 0; i < nids; i++)
		ck_assert_msg(rows[i] == 1, "sockward.json.5 lists %s %d times", ids[i], rows[i]);
	free(man);
}
END_TEST

Suite *
routes_suite(void)
{
	Suite *s = suite_create("routes");
	TCase *tc = tcase_create("dockerd-20.10");
	tcase_add_test(tc, table_is_dockerds_router);
	tcase_add_test(tc, every_route_walked);
	tcase_add_test(tc, order_and_greed);
	tcase_add_test(tc, names_bounded);
	tcase_add_test(tc, segment_variables_take_newlines);
	tcase_add_test(tc, readme_endpoint_table);
	tcase_add_test(tc, man_endpoint_list);
	suite_add_tcase(s, tc);
	tc = tcase_create("skips");
	tcase_set_timeout(tc, 120);   /* ~70,000 lookups both ways, under ASan */
	tcase_add_test(tc, route_skips_match_a_plain_scan);
	suite_add_tcase(s, tc);
	return s;
}
