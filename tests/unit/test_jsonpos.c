/* test_jsonpos.c - key paths to line:column in a configuration text. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/jsonpos.h"

static const char config[] =
	"{\n"                                                   /* 1 */
	"  \"listeners\": [\n"                                  /* 2 */
	"    { \"name\": \"tls\", \"type\": \"tls\" },\n"       /* 3 */
	"    {\n"                                               /* 4 */
	"      \"name\": \"local\",\n"                          /* 5 */
	"      \"mode\": \"0660\"\n"                            /* 6 */
	"    }\n"                                               /* 7 */
	"  ],\n"                                                /* 8 */
	"  \"limits\": {\"max_body_bytes\": 1048576, \"x\": [1, [2, 3], {\"y\": null}]},\n" /* 9 */
	"\t\"audit\": {\"syslog\": true, \"file\": \"/var/log/a\\\"b.log\"}\n" /* 10 */
	"}\n";

static struct jsonpos *jp;

static void setup(void) { jp = jsonpos_scan(config, strlen(config)); ck_assert_ptr_nonnull(jp); }
static void teardown(void) { jsonpos_free(jp); jp = NULL; }

#define KEY_AT(path, l, c) do { int L, C; \
	ck_assert_msg(jsonpos_lookup(jp, path, &L, &C) == 0, "%s not found", path); \
	ck_assert_msg(L == (l) && C == (c), "%s at %d:%d, want %d:%d", path, L, C, l, c); \
} while (0)
#define VAL_AT(path, l, c) do { int L, C; \
	ck_assert_msg(jsonpos_lookup_value(jp, path, &L, &C) == 0, "%s not found", path); \
	ck_assert_msg(L == (l) && C == (c), "%s value at %d:%d, want %d:%d", path, L, C, l, c); \
} while (0)

START_TEST(keys_and_values)
{
	KEY_AT("", 1, 1);
	KEY_AT("listeners", 2, 3);
	VAL_AT("listeners", 2, 16);
	KEY_AT("listeners[0]", 3, 5);
	KEY_AT("listeners[0].name", 3, 7);
	VAL_AT("listeners[0].name", 3, 15);
	KEY_AT("listeners[0].type", 3, 22);
	KEY_AT("listeners[1]", 4, 5);
	KEY_AT("listeners[1].name", 5, 7);
	KEY_AT("listeners[1].mode", 6, 7);
	VAL_AT("listeners[1].mode", 6, 15);
	KEY_AT("limits", 9, 3);
	KEY_AT("limits.max_body_bytes", 9, 14);
	VAL_AT("limits.max_body_bytes", 9, 32);
	KEY_AT("limits.x", 9, 41);
	KEY_AT("limits.x[0]", 9, 47);
	KEY_AT("limits.x[1]", 9, 50);
	KEY_AT("limits.x[1][1]", 9, 54);
	KEY_AT("limits.x[2].y", 9, 59);
	VAL_AT("limits.x[2].y", 9, 64);
	KEY_AT("audit", 10, 2);            /* a tab is one column */
	KEY_AT("audit.syslog", 10, 12);
	KEY_AT("audit.file", 10, 28);
	ck_assert_uint_eq(jsonpos_count(jp), 20);
}
END_TEST

START_TEST(missing_paths)
{
	int l = 9, c = 9;

	ck_assert_int_eq(jsonpos_lookup(jp, "listeners[2]", &l, &c), -1);
	ck_assert_int_eq(l, 0);
	ck_assert_int_eq(c, 0);
	ck_assert_int_eq(jsonpos_lookup(jp, "limits.max_body", &l, &c), -1);
	ck_assert_int_eq(jsonpos_lookup(jp, "name", &l, &c), -1);
	ck_assert_int_eq(jsonpos_lookup(jp, "listeners.0", &l, &c), -1);
}
END_TEST

START_TEST(locate_falls_back_to_ancestor)
{
	int l, c;

	ck_assert_int_eq(jsonpos_locate(jp, "listeners[1].mode", &l, &c), 0);
	ck_assert_int_eq(l, 6);
	ck_assert_int_eq(jsonpos_locate(jp, "listeners[1].path", &l, &c), 1);
	ck_assert_int_eq(l, 4);
	ck_assert_int_eq(c, 5);
	ck_assert_int_eq(jsonpos_locate(jp, "limits.x[2].z.w", &l, &c), 1);
	ck_assert_int_eq(l, 9);
	ck_assert_int_eq(c, 58);
	ck_assert_int_eq(jsonpos_locate(jp, "upstream.socket", &l, &c), 1);
	ck_assert_int_eq(l, 1);
	ck_assert_int_eq(c, 1);
	ck_assert_int_eq(jsonpos_locate(NULL, "upstream.socket", &l, &c), -1);
	ck_assert_int_eq(l, 0);
}
END_TEST

/* Keys are matched as jansson decodes them; columns count characters. */
START_TEST(escapes_and_utf8)
{
	const char *t = "{\"\\u00e9t\\u00e9\": {\"a\\\"b\": 1, \"\\ud83d\\ude00\": 2},"
	    " \"caf\xc3\xa9\": {\"k\": 3}}";
	struct jsonpos *p = jsonpos_scan(t, strlen(t));
	json_error_t e;
	json_t *doc = json_loads(t, 0, &e);
	int l, c;

	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(json_object_get(doc, "\xc3\xa9t\xc3\xa9"));
	ck_assert_int_eq(jsonpos_lookup(p, "\xc3\xa9t\xc3\xa9", &l, &c), 0);
	ck_assert_int_eq(c, 2);
	ck_assert_int_eq(jsonpos_lookup(p, "\xc3\xa9t\xc3\xa9.a\"b", &l, &c), 0);
	ck_assert_int_eq(c, 20);
	ck_assert_int_eq(jsonpos_lookup(p, "\xc3\xa9t\xc3\xa9.\xf0\x9f\x98\x80", &l, &c), 0);
	ck_assert_int_eq(jsonpos_lookup(p, "caf\xc3\xa9.k", &l, &c), 0);
	/* the é of "café" counts as one column */
	ck_assert_int_eq(c, 60);
	json_decref(doc);
	jsonpos_free(p);
}
END_TEST

START_TEST(agrees_with_jansson_error_positions)
{
	/* A column computed by us must match jansson's for the same spot: make
	 * jansson fail right at a value we located. */
	const char *good = "{\n  \"a\": {\n    \"b\":  \"caf\xc3\xa9\", \"c\": 1\n  }\n}";
	const char *bad  = "{\n  \"a\": {\n    \"b\":  \"caf\xc3\xa9\", \"c\": @\n  }\n}";
	struct jsonpos *p = jsonpos_scan(good, strlen(good));
	json_error_t e;
	int l, c;

	ck_assert_ptr_null(json_loads(bad, 0, &e));
	ck_assert_int_eq(jsonpos_lookup_value(p, "a.c", &l, &c), 0);
	ck_assert_int_eq(l, e.line);
	ck_assert_int_eq(c, e.column);
	jsonpos_free(p);
}
END_TEST

START_TEST(duplicate_keys_last_wins)
{
	const char *t = "{\"a\": 1,\n \"a\": 2}";
	struct jsonpos *p = jsonpos_scan(t, strlen(t));
	int l, c;

	ck_assert_int_eq(jsonpos_lookup(p, "a", &l, &c), 0);
	ck_assert_int_eq(l, 2);
	ck_assert_int_eq(c, 2);
	ck_assert_uint_eq(jsonpos_count(p), 2);
	jsonpos_free(p);
}
END_TEST

START_TEST(syntax_errors_keep_what_was_found)
{
	static const char *const broken[] = {
		"{\"a\": 1, \"b\": [1, 2,", "{\"a\": 1 \"b\": 2}", "{\"a\": \"x\n\"}",
		"{\"a\": \"\\q\"}", "{\"a\": \"\\ud800\"}", "{\"a\": 1, \"b\": }", "", "   ",
		"{\"a\"", "[", "\"", "{\"a\": \"\\u12\"}",
	};
	size_t i;
	int l, c;

	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		struct jsonpos *p = jsonpos_scan(broken[i], strlen(broken[i]));
		ck_assert_ptr_nonnull(p);
		jsonpos_free(p);
	}
	{
		struct jsonpos *p = jsonpos_scan(broken[0], strlen(broken[0]));
		ck_assert_int_eq(jsonpos_lookup(p, "a", &l, &c), 0);
		ck_assert_int_eq(jsonpos_lookup(p, "b[1]", &l, &c), 0);
		jsonpos_free(p);
	}
	/* not NUL-terminated: must not read past len */
	{
		char buf[8] = { '{', '"', 'a', '"', ':', '1', '}', 'X' };
		struct jsonpos *p = jsonpos_scan(buf, 7);
		ck_assert_int_eq(jsonpos_lookup(p, "a", &l, &c), 0);
		jsonpos_free(p);
		p = jsonpos_scan(buf, 3);   /* cut inside the key */
		ck_assert_int_eq(jsonpos_lookup(p, "a", &l, &c), -1);
		jsonpos_free(p);
	}
}
END_TEST

START_TEST(deep_and_large_documents)
{
	size_t depth = 5000, i, n = 20000;
	char *t = malloc(depth * 2 + 1), path[64];
	struct jsonpos *p;
	int l, c;
	size_t used = 0, cap = n * 32 + 16;
	char *big = malloc(cap);

	/* deeper than the scanner goes: no crash, the top is still there */
	for (i = 0; i < depth; i++)
		t[i] = '[';
	for (i = 0; i < depth; i++)
		t[depth + i] = ']';
	t[2 * depth] = '\0';
	p = jsonpos_scan(t, 2 * depth);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(jsonpos_lookup(p, "[0][0]", &l, &c), 0);
	ck_assert_int_eq(c, 3);
	jsonpos_free(p);
	free(t);

	/* many keys: stays fast (hash lookup) and finds every one */
	used += (size_t)snprintf(big + used, cap - used, "{");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(big + used, cap - used, "%s\"k%zu\": %zu\n",
		    i ? "," : "", i, i);
	used += (size_t)snprintf(big + used, cap - used, "}");
	p = jsonpos_scan(big, used);
	ck_assert_uint_eq(jsonpos_count(p), n + 1);
	for (i = 0; i < n; i += 997) {
		snprintf(path, sizeof(path), "k%zu", i);
		ck_assert_int_eq(jsonpos_lookup(p, path, &l, &c), 0);
		ck_assert_int_eq(l, (int)i + 1);
	}
	jsonpos_free(p);
	free(big);
}
END_TEST

Suite *
jsonpos_suite(void)
{
	Suite *s = suite_create("jsonpos");
	TCase *tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keys_and_values);
	tcase_add_test(tc, missing_paths);
	tcase_add_test(tc, locate_falls_back_to_ancestor);
	suite_add_tcase(s, tc);
	tc = tcase_create("text");
	tcase_add_test(tc, escapes_and_utf8);
	tcase_add_test(tc, agrees_with_jansson_error_positions);
	tcase_add_test(tc, duplicate_keys_last_wins);
	tcase_add_test(tc, syntax_errors_keep_what_was_found);
	tcase_add_test(tc, deep_and_large_documents);
	suite_add_tcase(s, tc);
	return s;
}
