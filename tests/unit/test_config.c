/* test_config.c - configuration loading: defaults, every error reported
 * with file:line:col and key path, listener safety rules. */
#include <check.h>
#include <dirent.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"

static struct sw_config *
load(const char *text, struct config_errors *errs)
{
	memset(errs, 0, sizeof *errs);
	return config_load_text("t.json", text, strlen(text), errs);
}

static int
has_error(const struct config_errors *e, const char *text)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].text, text) == 0)
			return 1;
	return 0;
}

static void
dump(const struct config_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(stderr, "  got: %s\n", e->v[i].text);
}

START_TEST(minimal_config_gets_defaults)
{
	struct config_errors e;
	struct sw_config *c = load("{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a.sock\"}]}", &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->upstream_socket, "/var/run/docker.sock");
	ck_assert_int_eq(c->max_header_bytes, 65536);
	ck_assert_int_eq(c->max_body_bytes, 1048576);
	ck_assert_int_eq(c->header_timeout_ms, 30000);
	ck_assert_int_eq(c->quota_wait_ms, 60000);
	ck_assert_int_eq(c->max_held_answer_bytes, 64 << 20);
	ck_assert_int_eq(c->listeners[0].mode, 0660);
	ck_assert_str_eq(c->listeners[0].name, "unix0");
	ck_assert_int_eq(c->audit_on_failure, AUDIT_FAIL_CLOSED);
	ck_assert_ptr_nonnull(c->policy);
	config_unref(c);
}
END_TEST

START_TEST(every_error_is_reported_with_position)
{
	struct config_errors e;
	const char *text =
	    "{\n"
	    "  \"listeners\": [\n"
	    "    {\"type\": \"tcp\", \"address\": \"0.0.0.0:2375\"},\n"
	    "    {\"type\": \"unix\", \"path\": \"/tmp/x.sock\", \"mode\": \"9999\"}\n"
	    "  ],\n"
	    "  \"limits\": {\"max_body_bytes\": \"big\", \"bogus\": 1},\n"
	    "  \"upstream\": {\"socket\": 5}\n"
	    "}\n";
	struct sw_config *c = load(text, &e);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(e.n, 5);
	if (!has_error(&e, "t.json:3:5: listeners[0]: a plain tcp listener is refused unless it "
	    "binds loopback and sets \"insecure\": true (use type \"tls\")"))
		dump(&e), ck_abort_msg("tcp listener error missing");
	ck_assert(has_error(&e, "t.json:4:45: listeners[1].mode: must be an octal mode string such as \"0660\""));
	ck_assert(has_error(&e, "t.json:6:14: limits.max_body_bytes: must be an integer, not a string"));
	ck_assert(has_error(&e, "t.json:6:39: limits.bogus: unknown key"));
	ck_assert(has_error(&e, "t.json:7:16: upstream.socket: must be a string, not an integer"));
	config_errors_free(&e);
}
END_TEST

/* limits.max_held_answer_bytes: every response stage together (tenants'
 * lists held to be filtered, answers held for warnings) */
START_TEST(held_answer_budget)
{
	struct config_errors e;
	struct sw_config *c = load("{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a.sock\"}],"
	    "\"limits\":{\"max_held_answer_bytes\":16777216}}", &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->max_held_answer_bytes, 16 << 20);
	config_unref(c);
	c = load("{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a.sock\"}],"
	    "\"limits\":{\"max_held_answer_bytes\":4096}}", &e);
	ck_assert_ptr_null(c);
	if (!has_error(&e, "t.json:1:63: limits.max_held_answer_bytes: 4096 is out of range "
	    "[65536, 1073741824]"))
		dump(&e), ck_abort_msg("range error missing");
	config_errors_free(&e);
}
END_TEST

START_TEST(syntax_error_has_position)
{
	struct config_errors e;
	ck_assert_ptr_null(load("{\n \"listeners\": [,]\n}", &e));
	ck_assert_uint_eq(e.n, 1);
	ck_assert_ptr_nonnull(strstr(e.v[0].text, "t.json:2:"));
	config_errors_free(&e);
	/* duplicate keys are ambiguous in a security configuration */
	ck_assert_ptr_null(load("{\"listeners\": [], \"listeners\": []}", &e));
	ck_assert_ptr_nonnull(strstr(e.v[0].text, "duplicate"));
	config_errors_free(&e);
}
END_TEST

START_TEST(listener_rules)
{
	struct config_errors e;
	struct sw_config *c = load("{\"listeners\":[{\"type\":\"tcp\",\"address\":\"127.0.0.1:2375\","
	    "\"insecure\":true}]}", &e);
	ck_assert_ptr_nonnull(c);   /* loopback + explicit insecure is allowed */
	config_unref(c);
	ck_assert_ptr_null(load("{\"listeners\":[{\"type\":\"tcp\",\"address\":\"127.0.0.1:2375\"}]}", &e));
	config_errors_free(&e);
	ck_assert_ptr_null(load("{\"listeners\":[{\"type\":\"tls\",\"address\":\"127.0.0.1:2376\"}]}", &e));
	ck_assert(e.n == 3);   /* cert, key and ca are all required */
	config_errors_free(&e);
	ck_assert_ptr_null(load("{\"listeners\":[{\"type\":\"udp\"}]}", &e));
	ck_assert(has_error(&e, "t.json:1:16: listeners[0].type: must be one of: tls, unix, tcp"));
	ck_assert_uint_eq(e.n, 1);
	config_errors_free(&e);
	ck_assert_ptr_null(load("{\"listeners\":[]}", &e));
	config_errors_free(&e);
	ck_assert_ptr_null(load("{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a\"}],"
	    "\"admin\":{\"address\":\"0.0.0.0:9323\"}}", &e));
	ck_assert_ptr_nonnull(strstr(e.v[0].text, "loopback"));
	config_errors_free(&e);
}
END_TEST

/* upstream.socket: unix://PATH is PATH (as -u takes it); a path that does
 * not fit a unix socket address is an error, not a connect to a cut path. */
START_TEST(upstream_socket_forms)
{
	struct config_errors e;
	char text[512], longpath[200];
	struct sw_config *c = load("{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a\"}],"
	    "\"upstream\":{\"socket\":\"unix:///run/docker.sock\"}}", &e);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->upstream_socket, "/run/docker.sock");
	config_unref(c);
	ck_assert_ptr_null(load("{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a\"}],"
	    "\"upstream\":{\"socket\":\"unix://\"}}", &e));
	ck_assert_uint_eq(e.n, 1);
	ck_assert_ptr_nonnull(strstr(e.v[0].text, "upstream.socket"));
	config_errors_free(&e);
	memset(longpath, 'd', sizeof longpath);
	longpath[0] = '/';
	longpath[108] = '\0';   /* 108 bytes: one more than sun_path holds with its NUL */
	snprintf(text, sizeof text, "{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a\"}],"
	    "\"upstream\":{\"socket\":\"%s\"}}", longpath);
	ck_assert_ptr_null(load(text, &e));
	ck_assert_uint_eq(e.n, 1);
	ck_assert_msg(strstr(e.v[0].text, "upstream.socket: socket path is too long") != NULL,
	    "got %s", e.v[0].text);
	config_errors_free(&e);
	longpath[107] = '\0';   /* 107 bytes fit */
	snprintf(text, sizeof text, "{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a\"}],"
	    "\"upstream\":{\"socket\":\"%s\"}}", longpath);
	ck_assert_ptr_nonnull(c = load(text, &e));
	config_unref(c);
}
END_TEST

START_TEST(restart_needed_is_detected)
{
	struct config_errors e;
	struct sw_config *a = load("{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a\"}]}", &e);
	struct sw_config *b = load("{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/b\"}],"
	    "\"limits\":{\"max_body_bytes\":2048}}", &e);
	struct sw_config *a2 = load("{\"listeners\":[{\"type\":\"unix\",\"path\":\"/tmp/a\"}],"
	    "\"limits\":{\"max_body_bytes\":2048}}", &e);
	char why[256];
	ck_assert(config_restart_needed(a, b, why, sizeof why));
	ck_assert_str_eq(why, "listeners changed");
	ck_assert(!config_restart_needed(a, a2, why, sizeof why));
	config_unref(a);
	config_unref(b);
	config_unref(a2);
}
END_TEST

/* Every example shipped in conf/ (make install copies every conf/NAME.json) loads,
 * and has its table test, tests/policy/conf-NAME.json, proving it does what
 * its description says: a new example without one fails here. */
START_TEST(shipped_examples_are_valid)
{
	DIR *d = opendir("../conf");
	struct dirent *de;
	int files = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char path[512], table[512];
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof path, "../conf/%s", de->d_name);
		snprintf(table, sizeof table, "policy/conf-%s", de->d_name);
		struct config_errors e = { 0 };
		struct sw_config *c = config_load(path, &e);
		if (c == NULL)
			dump(&e);
		ck_assert_msg(c != NULL, "%s is invalid", path);
		config_unref(c);
		ck_assert_msg(access(table, R_OK) == 0, "%s has no table test %s", path, table);
		files++;
	}
	closedir(d);
	ck_assert_int_ge(files, 3);
}
END_TEST

/* A table of bad files (fixtures/config/bad/NAME.json), each with the exact
 * messages it must produce (NAME.expected, one per line, in order). */
#include <dirent.h>

#define BAD_DIR "fixtures/config/bad/"

START_TEST(bad_files_give_their_exact_messages)
{
	DIR *d = opendir(BAD_DIR);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	int files = 0;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		char path[512], exp_path[512];
		snprintf(path, sizeof path, BAD_DIR "%s", de->d_name);
		snprintf(exp_path, sizeof exp_path, BAD_DIR "%.*s.expected", (int)(n - 5), de->d_name);
		struct config_errors e = { 0 };
		struct sw_config *c = config_load(path, &e);
		ck_assert_msg(c == NULL, "%s was accepted", de->d_name);
		FILE *f = fopen(exp_path, "r");
		ck_assert_msg(f != NULL, "no %s", exp_path);
		char line[600];
		size_t i = 0;
		while (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\n")] = 0;
			ck_assert_msg(i < e.n, "%s: missing message: %s", de->d_name, line);
			/* messages name the file as given; the table names it bare */
			const char *got = e.v[i].text;
			if (strncmp(got, BAD_DIR, strlen(BAD_DIR)) == 0)
				got += strlen(BAD_DIR);
			ck_assert_str_eq(got, line);
			i++;
		}
		fclose(f);
		ck_assert_msg(i == e.n, "%s: %zu unexpected extra message(s), first: %s",
		    de->d_name, e.n - i, i < e.n ? e.v[i].text : "");
		config_errors_free(&e);
		files++;
	}
	closedir(d);
	ck_assert_int_ge(files, 10);
}
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");
	tcase_add_test(tc, minimal_config_gets_defaults);
	tcase_add_test(tc, every_error_is_reported_with_position);
	tcase_add_test(tc, held_answer_budget);
	tcase_add_test(tc, syntax_error_has_position);
	tcase_add_test(tc, listener_rules);
	tcase_add_test(tc, restart_needed_is_detected);
	tcase_add_test(tc, upstream_socket_forms);
	tcase_add_test(tc, shipped_examples_are_valid);
	tcase_add_test(tc, bad_files_give_their_exact_messages);
	suite_add_tcase(s, tc);
	return s;
}
