/* test_host_sockets.c - the engine socket sockward talks to, and its own
 * listeners, are protected from bind mounts even when the profile's
 * socket_paths do not name them (the daemon passes them per request). */
#include <check.h>
#include <string.h>

#include "policy/policy.h"

static struct pol_decision
judge(const char *const *socks, size_t n)
{
	json_error_t jerr;
	json_t *sec = json_loads("{\"default_profile\": \"baseline\"}", 0, &jerr);
	struct policy *p = policy_load(sec, NULL);
	ck_assert_ptr_nonnull(p);
	const char *body = "{\"Image\":\"local/busybox:1.36\",\"User\":\"1000\","
	    "\"HostConfig\":{\"Binds\":[\"/srv/engine:/x:ro\"]}}";
	struct pol_header hdr = { "Content-Type", 12, "application/json", 16 };
	struct sw_identity id = { .kind = SW_ID_UNIX, .uid = 1000, .gid = 1000, .pid = 1 };
	sw_identity_format(&id);
	struct pol_request req = {
		.headers = &hdr, .nheaders = 1, .has_body = 1,
		.body = body, .body_len = strlen(body), .identity = &id,
		.host_sockets = socks, .nhost_sockets = n,
	};
	struct pol_decision d;
	struct pol_prepared *pp = policy_prepare(p, "POST", "/v1.41/containers/create");
	ck_assert_ptr_nonnull(pp);
	policy_judge(p, pp, &req, &d);
	policy_prepared_free(pp);
	d.body = NULL;   /* pointed into pp; the callers look at verdict and rules */
	d.body_len = 0;
	policy_free(p);
	json_decref(sec);
	return d;
}

START_TEST(upstream_socket_directory_is_protected)
{
	const char *socks[] = { "/srv/engine/engine.sock" };
	struct pol_decision d = judge(socks, 1);
	ck_assert_int_eq(d.verdict, POL_DENY);
	char rules[POL_RULES_TEXT_MAX];
	ck_assert_uint_gt(d.nrules, 0);
	pol_rules_join(&d, rules, sizeof rules);
	ck_assert_ptr_nonnull(strstr(rules, "mounts.docker_socket"));
	policy_decision_free(&d);

	d = judge(NULL, 0);   /* the same bind with no such socket there */
	ck_assert_int_eq(d.verdict, POL_ALLOW);
	policy_decision_free(&d);
}
END_TEST

Suite *
host_sockets_suite(void)
{
	Suite *s = suite_create("host_sockets");
	TCase *tc = tcase_create("binds");
	tcase_add_test(tc, upstream_socket_directory_is_protected);
	suite_add_tcase(s, tc);
	return s;
}
