/* test_doctor.c - doctor's findings on /info and /version fixtures
 * (tests/fixtures/doctor: captured from dockerd 20.10, then edited). */
#include <check.h>
#include <string.h>

#include <jansson.h>

#include "daemon/cli/doctor.h"

static json_t *
fixture(const char *name)
{
	char path[256];
	json_error_t e;
	json_t *j;

	snprintf(path, sizeof(path), "fixtures/doctor/%s", name);
	j = json_load_file(path, 0, &e);
	ck_assert_msg(j != NULL, "%s: %s", path, e.text);
	return j;
}

static const struct doctor_item *
item(const struct doctor_item *items, size_t n, const char *id)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (strcmp(items[i].id, id) == 0)
			return &items[i];
	ck_abort_msg("no item %s", id);
	return NULL;
}

static size_t
count_findings(const struct doctor_item *items, size_t n)
{
	size_t i, f = 0;
	for (i = 0; i < n; i++)
		f += items[i].level == DOCTOR_FINDING;
	return f;
}

/* 2025-06-01T00:00:00Z */
#define NOW ((time_t)1748736000)

START_TEST(default_engine_has_findings)
{
	json_t *info = fixture("info-20.10-default.json"), *ver = fixture("version-20.10.json");
	struct doctor_item it[DOCTOR_MAX_ITEMS];
	size_t n = doctor_check(info, ver, NOW, it, DOCTOR_MAX_ITEMS);
	const struct doctor_item *x;

	ck_assert_uint_eq(n, 5);
	x = item(it, n, "userns-remap");
	ck_assert_int_eq(x->level, DOCTOR_FINDING);
	ck_assert_str_eq(x->fix, "\"userns-remap\": \"default\"");
	x = item(it, n, "live-restore");
	ck_assert_int_eq(x->level, DOCTOR_FINDING);
	ck_assert_str_eq(x->fix, "\"live-restore\": true");
	x = item(it, n, "log-level");
	ck_assert_int_eq(x->level, DOCTOR_OK);
	ck_assert_ptr_nonnull(strstr(x->text, "Debug=false"));
	x = item(it, n, "rootless");
	ck_assert_int_eq(x->level, DOCTOR_INFO);
	x = item(it, n, "engine-version");
	ck_assert_int_eq(x->level, DOCTOR_FINDING);
	ck_assert_ptr_null(x->fix);
	ck_assert_ptr_nonnull(strstr(x->text, "20.10 series was released 2020-12-08, 1636 days ago"));
	ck_assert_uint_eq(count_findings(it, n), 3);
	json_decref(info);
	json_decref(ver);
}
END_TEST

START_TEST(hardened_engine_is_clean)
{
	json_t *info = fixture("info-hardened.json"), *ver = fixture("version-28.2.json");
	struct doctor_item it[DOCTOR_MAX_ITEMS];
	size_t n = doctor_check(info, ver, NOW, it, DOCTOR_MAX_ITEMS);

	ck_assert_uint_eq(count_findings(it, n), 0);
	ck_assert_int_eq(item(it, n, "userns-remap")->level, DOCTOR_OK);
	ck_assert_int_eq(item(it, n, "live-restore")->level, DOCTOR_OK);
	ck_assert_ptr_nonnull(strstr(item(it, n, "engine-version")->text, "28.0 series"));
	json_decref(info);
	json_decref(ver);
}
END_TEST

START_TEST(rootless_covers_userns_and_debug_is_a_finding)
{
	json_t *info = fixture("info-rootless-debug.json");
	struct doctor_item it[DOCTOR_MAX_ITEMS];
	size_t n = doctor_check(info, NULL, NOW, it, DOCTOR_MAX_ITEMS);
	const struct doctor_item *x;

	ck_assert_uint_eq(n, 4);   /* no /version: no age item */
	ck_assert_int_eq(item(it, n, "rootless")->level, DOCTOR_OK);
	ck_assert_int_eq(item(it, n, "userns-remap")->level, DOCTOR_OK);
	x = item(it, n, "log-level");
	ck_assert_int_eq(x->level, DOCTOR_FINDING);
	ck_assert_str_eq(x->fix, "\"debug\": false, \"log-level\": \"info\"");
	json_decref(info);
}
END_TEST

/* "name=usernsX" is not "name=userns". */
START_TEST(security_option_names_match_exactly)
{
	json_t *info = json_pack("{s:[s,s],s:b}", "SecurityOptions", "name=usernsfoo",
	    "name=rootlessish", "LiveRestoreEnabled", 1);
	struct doctor_item it[DOCTOR_MAX_ITEMS];
	size_t n = doctor_check(info, NULL, NOW, it, DOCTOR_MAX_ITEMS);

	ck_assert_int_eq(item(it, n, "userns-remap")->level, DOCTOR_FINDING);
	ck_assert_int_eq(item(it, n, "rootless")->level, DOCTOR_INFO);
	json_decref(info);
}
END_TEST

START_TEST(version_ages)
{
	struct { const char *v; enum doctor_level want; const char *text; } cases[] = {
		{ "28.2.2", DOCTOR_OK, "28.0 series was released 2025-02-19, 102 days ago" },
		{ "29.1.0", DOCTOR_OK, "newer than the 28.0 series" },
		{ "24.0.7", DOCTOR_OK, "24.0 series was released 2023-05-16, 747 days" },
		{ "23.0.1", DOCTOR_FINDING, "23.0 series" },
		{ "19.03.15", DOCTOR_FINDING, "19.3 series" },
		{ "1.13.1", DOCTOR_FINDING, "predates 17.03" },
		{ "garbage", DOCTOR_INFO, "not understood" },
	};
	struct doctor_item it[DOCTOR_MAX_ITEMS];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_pack("{s:s}", "Version", cases[i].v);
		n = doctor_check(NULL, v, NOW, it, DOCTOR_MAX_ITEMS);
		ck_assert_uint_eq(n, 1);
		/* 24.0 is 747 days old: just over the two-year line */
		ck_assert_msg(strstr(it[0].text, cases[i].text) != NULL, "%s: %s", cases[i].v, it[0].text);
		if (strcmp(cases[i].v, "24.0.7") == 0)
			ck_assert_int_eq(it[0].level, DOCTOR_FINDING);
		else
			ck_assert_msg(it[0].level == cases[i].want, "%s: level %d", cases[i].v, it[0].level);
		json_decref(v);
	}
}
END_TEST

START_TEST(daemon_json_tcp_and_log_level)
{
	struct doctor_item it[DOCTOR_MAX_ITEMS];
	json_t *dj = json_pack("{s:[s,s],s:s}", "hosts", "unix:///var/run/docker.sock",
	    "tcp://0.0.0.0:2375", "log-level", "debug");
	size_t n = doctor_check_daemon_json(dj, it, DOCTOR_MAX_ITEMS);

	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(it[0].id, "tcp-tls");
	ck_assert_int_eq(it[0].level, DOCTOR_FINDING);
	ck_assert_ptr_nonnull(strstr(it[0].text, "tcp://0.0.0.0:2375"));
	ck_assert_ptr_nonnull(strstr(it[0].fix, "\"tlsverify\": true"));
	ck_assert_str_eq(it[1].id, "log-level");
	ck_assert_str_eq(it[1].fix, "\"log-level\": \"info\"");
	json_decref(dj);

	dj = json_pack("{s:[s],s:b,s:s}", "hosts", "tcp://0.0.0.0:2376", "tlsverify", 1,
	    "log-level", "info");
	n = doctor_check_daemon_json(dj, it, DOCTOR_MAX_ITEMS);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(it[0].level, DOCTOR_OK);
	json_decref(dj);

	dj = json_object();
	ck_assert_uint_eq(doctor_check_daemon_json(dj, it, DOCTOR_MAX_ITEMS), 0);
	json_decref(dj);
}
END_TEST

START_TEST(tcp_probe_answers)
{
	struct doctor_item it;

	doctor_check_tcp("127.0.0.1:2375", "HTTP/1.0 200 OK\r\nApi-Version: 1.41\r\n"
	    "Content-Type: text/plain\r\n\r\nOK", &it);
	ck_assert_int_eq(it.level, DOCTOR_FINDING);
	ck_assert_ptr_nonnull(strstr(it.text, "127.0.0.1:2375"));
	ck_assert_ptr_nonnull(it.fix);
	doctor_check_tcp("127.0.0.1:2375", "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\nhello", &it);
	ck_assert_int_eq(it.level, DOCTOR_OK);
	doctor_check_tcp("127.0.0.1:2375", NULL, &it);
	ck_assert_int_eq(it.level, DOCTOR_OK);
	doctor_check_tcp("127.0.0.1:2375", "\x16\x03\x01", &it);   /* a TLS endpoint */
	ck_assert_int_eq(it.level, DOCTOR_OK);
}
END_TEST

START_TEST(bad_usage_and_unreachable_engine)
{
	char *a1[] = { "doctor", "-x", NULL };
	char *a2[] = { "doctor", "-u", "/nonexistent/docker.sock", NULL };
	char *a3[] = { "doctor", "-c", "/nonexistent/sockward.json", NULL };
	char *a4[] = { "doctor", "extra", NULL };

	ck_assert_int_eq(cmd_doctor(2, a1), 2);
	ck_assert_int_eq(cmd_doctor(3, a2), 2);
	ck_assert_int_eq(cmd_doctor(3, a3), 2);
	ck_assert_int_eq(cmd_doctor(2, a4), 2);
}
END_TEST

Suite *
doctor_suite(void)
{
	Suite *s = suite_create("doctor");
	TCase *tc = tcase_create("findings");
	tcase_add_test(tc, default_engine_has_findings);
	tcase_add_test(tc, hardened_engine_is_clean);
	tcase_add_test(tc, rootless_covers_userns_and_debug_is_a_finding);
	tcase_add_test(tc, security_option_names_match_exactly);
	tcase_add_test(tc, version_ages);
	tcase_add_test(tc, daemon_json_tcp_and_log_level);
	tcase_add_test(tc, tcp_probe_answers);
	tcase_add_test(tc, bad_usage_and_unreachable_engine);
	suite_add_tcase(s, tc);
	return s;
}
