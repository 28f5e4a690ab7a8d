/* test_filters.c - the `filters` merge (policy/filters.c) read as dockerd
 * 20.10's filters.FromJSON reads it: both JSON forms, what Go refuses and
 * with which text, bounds.  Each case: the client's value, then the merged
 * JSON (canonical: keys sorted) or the start of the error. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/filters.h"
#include "policy/policy.h"
#include "policy/tenant_lists.h"

#define T "io.sockward.tenant=a"

struct fcase {
	const char *in;        /* NULL: no filters parameter */
	const char *want;      /* merged JSON, or NULL when refused */
	const char *err;       /* refused: the message starts with this */
};

static const struct fcase cases[] = {
	/* absent, empty: no filter; dockerd reads "" as no filter */
	{ NULL, "{\"label\":{\"" T "\":true}}", NULL },
	{ "", "{\"label\":{\"" T "\":true}}", NULL },
	{ "{}", "{\"label\":{\"" T "\":true}}", NULL },
	{ "null", "{\"label\":{\"" T "\":true}}", NULL },
	/* the new form: the client's terms kept, the tenant's ANDed in */
	{ "{\"label\":{\"app=web\":true}}",
	  "{\"label\":{\"app=web\":true,\"" T "\":true}}", NULL },
	{ "{\"status\":{\"exited\":true},\"name\":{\"db\":true}}",
	  "{\"label\":{\"" T "\":true},\"name\":{\"db\":true},\"status\":{\"exited\":true}}", NULL },
	/* false values are kept: they still count as terms for MatchKVList */
	{ "{\"label\":{\"x\":false}}", "{\"label\":{\"" T "\":true,\"x\":false}}", NULL },
	/* a bool set to null stays false; a key set to null has no values */
	{ "{\"label\":{\"x\":null}}", "{\"label\":{\"" T "\":true,\"x\":false}}", NULL },
	{ "{\"dangling\":null}", "{\"dangling\":{},\"label\":{\"" T "\":true}}", NULL },
	{ "{\"label\":null}", "{\"label\":{\"" T "\":true}}", NULL },
	/* the client's own tenant term, even set false, is forced true */
	{ "{\"label\":{\"" T "\":false}}", "{\"label\":{\"" T "\":true}}", NULL },
	/* another tenant's term stays: ANDed, it matches nothing */
	{ "{\"label\":{\"io.sockward.tenant=b\":true}}",
	  "{\"label\":{\"" T "\":true,\"io.sockward.tenant=b\":true}}", NULL },
	/* label! (prune) is another key: kept as sent */
	{ "{\"label!\":{\"keep\":true}}",
	  "{\"label\":{\"" T "\":true},\"label!\":{\"keep\":true}}", NULL },
	/* the legacy form (API < 1.22 clients, docker-py) */
	{ "{\"label\":[\"app=web\",\"tier=db\"]}",
	  "{\"label\":{\"app=web\":true,\"" T "\":true,\"tier=db\":true}}", NULL },
	{ "{\"status\":[\"running\"],\"label\":null}",
	  "{\"label\":{\"" T "\":true},\"status\":{\"running\":true}}", NULL },
	{ "{\"label\":[\"a\",null,\"a\"]}", "{\"label\":{\"\":true,\"a\":true,\"" T "\":true}}", NULL },
	{ "{\"label\":[]}", "{\"label\":{\"" T "\":true}}", NULL },
	{ " {\"label\" : [ \"x\" ] } ", "{\"label\":{\"" T "\":true,\"x\":true}}", NULL },
	/* non-ASCII is data */
	{ "{\"label\":[\"caf\xc3\xa9\"]}", "{\"label\":{\"caf\xc3\xa9\":true,\"" T "\":true}}", NULL },
	/* Go's type errors: the first (new-form) error when neither form reads */
	{ "[]", NULL, "json: cannot unmarshal array into Go value of type map[string]map[string]bool" },
	{ "\"label=x\"", NULL, "json: cannot unmarshal string into Go value of type map[string]map[string]bool" },
	{ "7", NULL, "json: cannot unmarshal number into Go value of type map[string]map[string]bool" },
	{ "true", NULL, "json: cannot unmarshal bool into Go value of type map[string]map[string]bool" },
	{ "{\"label\":\"x\"}", NULL, "json: cannot unmarshal string into Go value of type map[string]bool" },
	{ "{\"label\":{\"x\":1}}", NULL, "json: cannot unmarshal number into Go value of type bool" },
	{ "{\"label\":{\"x\":\"true\"}}", NULL, "json: cannot unmarshal string into Go value of type bool" },
	{ "{\"label\":[1]}", NULL, "json: cannot unmarshal array into Go value of type map[string]bool" },
	/* mixed forms: neither reads */
	{ "{\"label\":[\"x\"],\"status\":{\"running\":true}}", NULL,
	  "json: cannot unmarshal array into Go value of type map[string]bool" },
	{ "{\"status\":{\"running\":true},\"label\":[\"x\"]}", NULL,
	  "json: cannot unmarshal array into Go value of type map[string]bool" },
	/* syntax */
	{ "{\"label\":", NULL, "unexpected end of JSON input" },
	{ "{label:[]}", NULL, "sockward: bad request: filters: invalid JSON" },
	{ "{} {}", NULL, "sockward: bad request: filters: invalid JSON" },
	/* what sockward cannot read as Go does is refused */
	{ "{\"label\":[\"a\"],\"label\":[]}", NULL, "sockward: bad request: filters: a key is repeated" },
	{ "{\"label\":{\"a\":true,\"a\":false}}", NULL, "sockward: bad request: filters: a key is repeated" },
	{ "{\"label\":[\"a\\u0000b\"]}", NULL, "sockward: bad request: filters: invalid JSON" },
	{ "{\"label\":[\"\xff\"]}", NULL, "sockward: bad request: filters: invalid JSON" },
};

START_TEST(merge_table)
{
	const struct fcase *c = &cases[_i];
	char err[512] = "", *out = NULL;
	int rc = filters_merge(c->in, c->in ? strlen(c->in) : 0, "label", T, &out, err, sizeof err);

	if (c->want != NULL) {
		ck_assert_msg(rc == 0, "case %d (%s): refused: %s", _i, c->in ? c->in : "(absent)", err);
		ck_assert_msg(strcmp(out, c->want) == 0, "case %d (%s): got %s, want %s", _i,
		    c->in ? c->in : "(absent)", out, c->want);
	} else {
		ck_assert_msg(rc == -1 && out == NULL, "case %d (%s): accepted as %s", _i, c->in,
		    out ? out : "");
		ck_assert_msg(strncmp(err, c->err, strlen(c->err)) == 0, "case %d (%s): error '%s', want '%s'",
		    _i, c->in, err, c->err);
	}
	free(out);
}
END_TEST

/* The merged value read again gives the same value: canonical, and the
 * tenant's term survives a second merge unchanged. */
START_TEST(merge_idempotent)
{
	const struct fcase *c = &cases[_i];
	char err[512], *once = NULL, *twice = NULL;

	if (c->want == NULL)
		return;
	ck_assert_int_eq(filters_merge(c->in, c->in ? strlen(c->in) : 0, "label", T, &once, err,
	    sizeof err), 0);
	ck_assert_int_eq(filters_merge(once, strlen(once), "label", T, &twice, err, sizeof err), 0);
	ck_assert_str_eq(once, twice);
	free(once);
	free(twice);
}
END_TEST

/* Bounded: a value over FILTERS_MAX is refused, and so is one that only
 * the tenant's term takes over the bound. */
START_TEST(merge_bounded)
{
	size_t n = FILTERS_MAX + 100;
	char *big = malloc(n + 1), err[512], *out = NULL;
	size_t o = 0;

	o += (size_t)snprintf(big, n + 1, "{\"label\":[\"");
	while (o < n - 3)
		big[o++] = 'x';
	memcpy(big + o, "\"]}", 4);
	ck_assert_int_eq(filters_merge(big, strlen(big), "label", T, &out, err, sizeof err), -1);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(err, "more than") != NULL, "%s", err);

	/* just under the bound as sent, over it once merged */
	size_t m = FILTERS_MAX - 4;
	o = (size_t)snprintf(big, n + 1, "{\"label\":[\"");
	while (o < m - 3)
		big[o++] = 'y';
	memcpy(big + o, "\"]}", 4);
	ck_assert_uint_le(strlen(big), FILTERS_MAX);
	ck_assert_int_eq(filters_merge(big, strlen(big), "label", T, &out, err, sizeof err), -1);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(err, "tenant's term") != NULL, "%s", err);
	free(big);
}
END_TEST

/* tenant_lists() itself, whatever else judges the request first (where a
 * profile allows the swarm endpoints, a tenant's swarm lists are narrowed:
 * tasks by their service's labels, which swarmkit matches). */
START_TEST(swarm_lists_narrowed)
{
	static const char *const paths[] = { "/v1.41/services", "/v1.41/secrets", "/configs?x=1",
	    "/v1.41/tasks" };
	static const char *const want[] = {
		"/v1.41/services?filters=%7B%22label%22%3A%7B%22io.sockward.tenant%3Dweb%22%3Atrue%7D%7D",
		"/v1.41/secrets?filters=%7B%22label%22%3A%7B%22io.sockward.tenant%3Dweb%22%3Atrue%7D%7D",
		"/configs?x=1&filters=%7B%22label%22%3A%7B%22io.sockward.tenant%3Dweb%22%3Atrue%7D%7D",
		"/v1.41/tasks?filters=%7B%22label%22%3A%7B%22io.sockward.tenant%3Dweb%22%3Atrue%7D%7D",
	};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct pol_prepared *pp = policy_prepare(NULL, "GET", paths[i]);
		struct pol_decision dec;
		char why[600];
		memset(&dec, 0, sizeof dec);
		ck_assert_ptr_nonnull(pp);
		ck_assert_int_eq(tenant_lists(pp, "web", &dec, why, sizeof why), TL_PASS);
		ck_assert_ptr_nonnull(dec.target);
		ck_assert_str_eq(dec.target, want[i]);
		/* an operator: nothing changes */
		free(dec.target);
		dec.target = NULL;
		ck_assert_int_eq(tenant_lists(pp, NULL, &dec, why, sizeof why), TL_PASS);
		ck_assert_ptr_null(dec.target);
		policy_prepared_free(pp);
	}
}
END_TEST

Suite *
filters_suite(void)
{
	Suite *s = suite_create("filters");
	TCase *tc = tcase_create("merge");
	int n = (int)(sizeof cases / sizeof cases[0]);

	tcase_add_loop_test(tc, merge_table, 0, n);
	tcase_add_loop_test(tc, merge_idempotent, 0, n);
	tcase_add_test(tc, merge_bounded);
	tcase_add_test(tc, swarm_lists_narrowed);
	suite_add_tcase(s, tc);
	return s;
}
