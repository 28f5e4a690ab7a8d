/* test_metrics.c - counters, bounded labels, escaping, and promtool. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "daemon/metrics.h"
#include "daemon/response_stage.h"

/* Render into a NUL-terminated malloc'd string. */
static char *
render(void)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *s;

	metrics_render(b);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

/* Does text contain exactly this line? */
static int
has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return 1;
		p++;
	}
	return 0;
}

#define ASSERT_LINE(text, line) ck_assert_msg(has_line(text, line), "missing line: %s", line)

static void
populate(void)
{
	metrics_reset();
	metrics_init();
	metrics_request("container.create", "allow", 0.0004);
	metrics_request("container.create", "allow", 0.003);
	metrics_request("container.create", "deny", 0.0002);
	metrics_request("image.pull", "warn", 12.0);
	metrics_request("system.ping", "audit", 400.0);   /* above the last bucket */
	metrics_request(NULL, "bogus", -1);                 /* not observed */
	static const char *const two[] = { "container.privileged", "container.mount.host" };
	metrics_denial(two, 2);
	metrics_denial(two, 1);
	metrics_denial(NULL, 0);
	metrics_connection_opened();
	metrics_connection_opened();
	metrics_connection_closed();
	metrics_hijack_started();
	metrics_bytes(100, 2000);
	metrics_bytes(1, 2);
	metrics_upstream_error("connect");
	metrics_upstream_error("connect");
	metrics_upstream_error("timeout");
	metrics_reload(1);
	metrics_reload(0);
	metrics_audit_write_failed();
}

START_TEST(counters_render)
{
	char *t;

	populate();
	t = render();
	ASSERT_LINE(t, "# TYPE sockward_requests_total counter");
	ASSERT_LINE(t, "sockward_requests_total{endpoint=\"container.create\",verdict=\"allow\"} 2");
	ASSERT_LINE(t, "sockward_requests_total{endpoint=\"container.create\",verdict=\"deny\"} 1");
	ASSERT_LINE(t, "sockward_requests_total{endpoint=\"image.pull\",verdict=\"warn\"} 1");
	ASSERT_LINE(t, "sockward_requests_total{endpoint=\"system.ping\",verdict=\"audit\"} 1");
	ASSERT_LINE(t, "sockward_requests_total{endpoint=\"unknown\",verdict=\"other\"} 1");
	ASSERT_LINE(t, "sockward_denials_total{rule=\"container.privileged\"} 2");
	ASSERT_LINE(t, "sockward_denials_total{rule=\"container.mount.host\"} 1");
	ASSERT_LINE(t, "sockward_denials_total{rule=\"none\"} 1");
	ASSERT_LINE(t, "sockward_connections_active 1");
	ASSERT_LINE(t, "sockward_connections_total 2");
	ASSERT_LINE(t, "sockward_hijacked_sessions_active 1");
	ASSERT_LINE(t, "sockward_bytes_total{direction=\"client_to_engine\"} 101");
	ASSERT_LINE(t, "sockward_bytes_total{direction=\"engine_to_client\"} 2002");
	ASSERT_LINE(t, "sockward_upstream_errors_total{kind=\"connect\"} 2");
	ASSERT_LINE(t, "sockward_upstream_errors_total{kind=\"timeout\"} 1");
	ASSERT_LINE(t, "sockward_config_reloads_total 2");
	ASSERT_LINE(t, "sockward_config_reload_failures_total 1");
	ASSERT_LINE(t, "sockward_config_last_reload_successful 0");
	ASSERT_LINE(t, "sockward_audit_write_failures_total 1");
	ck_assert_ptr_nonnull(strstr(t, "sockward_build_info{version=\"" SOCKWARD_VERSION "\","));
	free(t);
}
END_TEST

START_TEST(histogram_is_cumulative)
{
	char *t;

	populate();
	t = render();
	ASSERT_LINE(t, "# TYPE sockward_request_duration_seconds histogram");
	ASSERT_LINE(t, "sockward_request_duration_seconds_bucket{le=\"0.0005\"} 2");
	ASSERT_LINE(t, "sockward_request_duration_seconds_bucket{le=\"0.001\"} 2");
	ASSERT_LINE(t, "sockward_request_duration_seconds_bucket{le=\"0.005\"} 3");
	ASSERT_LINE(t, "sockward_request_duration_seconds_bucket{le=\"10\"} 3");
	ASSERT_LINE(t, "sockward_request_duration_seconds_bucket{le=\"30\"} 4");
	ASSERT_LINE(t, "sockward_request_duration_seconds_bucket{le=\"300\"} 4");
	ASSERT_LINE(t, "sockward_request_duration_seconds_bucket{le=\"+Inf\"} 5");
	ASSERT_LINE(t, "sockward_request_duration_seconds_count 5");
	ASSERT_LINE(t, "sockward_request_duration_seconds_sum 412.003600000");
	free(t);
}
END_TEST

START_TEST(labels_are_bounded)
{
	char name[64], *t, *p;
	int i, series = 0;

	metrics_reset();
	for (i = 0; i < METRICS_MAX_LABEL_VALUES + 100; i++) {
		snprintf(name, sizeof(name), "ep%d", i);
		metrics_request(name, "allow", 0.001);
		metrics_request(name, "allow", 0.001);
	}
	t = render();
	for (p = t; (p = strstr(p, "\nsockward_requests_total{")) != NULL; p++)
		series++;
	ck_assert_int_eq(series, METRICS_MAX_LABEL_VALUES + 1);
	ASSERT_LINE(t, "sockward_requests_total{endpoint=\"ep0\",verdict=\"allow\"} 2");
	ASSERT_LINE(t, "sockward_requests_total{endpoint=\"ep511\",verdict=\"allow\"} 2");
	ASSERT_LINE(t, "sockward_requests_total{endpoint=\"other\",verdict=\"allow\"} 200");
	ck_assert_ptr_null(strstr(t, "\"ep512\""));
	free(t);

	/* overlong values and the literal "other" share the overflow series */
	metrics_reset();
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	{
		char longname[METRICS_MAX_LABEL_LEN + 10];
		memset(longname, 'r', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		const char *one[] = { longname }, *other[] = { "other" };
		metrics_denial(one, 1);
		metrics_denial(other, 1);
	}
	t = render();
	ASSERT_LINE(t, "sockward_denials_total{rule=\"other\"} 2");
	free(t);
}
END_TEST

/* The held answers' gauge follows what is held: a rewritten answer waiting
 * in a client's buffer counts until the buffer lets it go. */
START_TEST(budget_gauges_follow_what_is_held)
{
	char *t;
	struct evbuffer *client_out = evbuffer_new();
	char *text = strdup("[{\"Id\":\"a\"}]\n");

	ck_assert_ptr_nonnull(client_out);
	ck_assert_ptr_nonnull(text);
	metrics_reset();
	ck_assert_int_eq(response_stage_add_text(client_out, text, strlen(text), NULL), 0);
	t = render();
	ASSERT_LINE(t, "# TYPE sockward_held_answer_bytes gauge");
	ASSERT_LINE(t, "sockward_held_answer_bytes 13");   /* strlen(text) */
	ASSERT_LINE(t, "sockward_lookup_answer_bytes 0");
	free(t);
	evbuffer_free(client_out);
	t = render();
	ASSERT_LINE(t, "sockward_held_answer_bytes 0");
	free(t);
}
END_TEST

START_TEST(label_values_are_escaped)
{
	char *t;

	metrics_reset();
	metrics_request("a\"b\\c\nd", "allow", 0.1);
	t = render();
	ASSERT_LINE(t, "sockward_requests_total{endpoint=\"a\\\"b\\\\c\\nd\",verdict=\"allow\"} 1");
	free(t);
}
END_TEST

START_TEST(every_family_has_help_and_type)
{
	static const char *const families[] = {
		"build_info", "start_time_seconds", "requests_total", "denials_total",
		"connections_active", "connections_total", "hijacked_sessions_active",
		"hijacked_sessions_total", "bytes_total", "spliced_bytes_total", "held_answer_bytes",
		"lookup_answer_bytes", "upstream_errors_total",
		"request_duration_seconds", "config_reloads_total",
		"config_reload_failures_total", "config_last_reload_successful",
		"config_last_reload_success_timestamp_seconds", "audit_write_failures_total",
	};
	char want[160], *t;
	size_t i;

	metrics_reset();
	t = render();
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(want, sizeof(want), "# HELP sockward_%s ", families[i]);
		ck_assert_msg(strstr(t, want) != NULL, "no HELP for %s", families[i]);
		snprintf(want, sizeof(want), "# TYPE sockward_%s ", families[i]);
		ck_assert_msg(strstr(t, want) != NULL, "no TYPE for %s", families[i]);
	}
	ck_assert_int_eq(t[strlen(t) - 1], '\n');
	free(t);
}
END_TEST

/* Feed text to `promtool check metrics`; return its exit status and output.
 * promtool is a hard requirement (make deps installs it): a missing promtool
 * fails the test. */
static int
promtool_check(const char *text, char *output, size_t outlen)
{
	int in[2], outp[2], status;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(outp), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		close(in[0]); close(in[1]); close(outp[0]); close(outp[1]);
		execlp("promtool", "promtool", "check", "metrics", (char *)NULL);
		fprintf(stderr, "cannot run promtool: %s (make deps installs the prometheus package)",
		    strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	ck_assert_int_eq(write(in[1], text, strlen(text)), (ssize_t)strlen(text));
	close(in[1]);
	while (used + 1 < outlen && (n = read(outp[0], output + used, outlen - used - 1)) > 0)
		used += (size_t)n;
	output[used] = '\0';
	close(outp[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

START_TEST(promtool_accepts_output)
{
	char out[8192], *t;
	int rc;

	populate();
	metrics_request("we\"ird\\ep\nid", "deny", 0.02);
	t = render();
	rc = promtool_check(t, out, sizeof(out));
	ck_assert_msg(rc == 0 && out[0] == '\0', "promtool exit %d: %s", rc, out);
	free(t);

	metrics_reset();   /* empty families (no samples yet) must pass too */
	t = render();
	rc = promtool_check(t, out, sizeof(out));
	ck_assert_msg(rc == 0 && out[0] == '\0', "promtool exit %d (empty): %s", rc, out);
	free(t);
}
END_TEST

Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, counters_render);
	tcase_add_test(tc, histogram_is_cumulative);
	tcase_add_test(tc, labels_are_bounded);
	tcase_add_test(tc, label_values_are_escaped);
	tcase_add_test(tc, budget_gauges_follow_what_is_held);
	tcase_add_test(tc, every_family_has_help_and_type);
	suite_add_tcase(s, tc);
	tc = tcase_create("promtool");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, promtool_accepts_output);
	suite_add_tcase(s, tc);
	return s;
}
