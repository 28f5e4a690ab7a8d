/* test_log.c - the diagnostic log: one line per call, whatever it quotes. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/conn_log.h"
#include "daemon/log.h"

/* Run fn with stderr going to a file; return what it wrote (static). */
static const char *
captured(void (*fn)(void))
{
	static char buf[4096];
	char path[] = "/tmp/sw-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	unlink(path);
	return buf;
}

static size_t
lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* a certificate's CN, a lookup's name from a request body: what a client
 * chooses, with a newline and a forged line after it */
#define FORGED "alice\n2026-01-01T00:00:00.000000Z info conn=9 listener=tls id=\"cn=admin\" " \
	"req=1 \"POST /containers/create\" status=201"

static void
log_forged(void)
{
	log_info("lookup image %s: from the cache", FORGED);
}

static void
conn_log_forged(void)
{
	struct sw_identity id = { .kind = SW_ID_CERT };
	struct conn_facts cf = { .id = 3, .listener = "tls", .ident = &id };
	snprintf(id.display, sizeof id.display, "cn=%s", FORGED);
	conn_log(&cf, LOG_LVL_INFO, "closed: %s", "peer\rgone");
}

START_TEST(a_quoted_newline_does_not_start_a_line)
{
	const char *out = captured(log_forged);
	ck_assert_msg(lines(out) == 1, "one call, %zu lines: %s", lines(out), out);
	ck_assert_ptr_nonnull(strstr(out, "alice\\x0a2026-01-01T00:00:00.000000Z info conn=9"));
	ck_assert_ptr_nonnull(strstr(out, ": from the cache\n"));
	out = captured(conn_log_forged);
	ck_assert_msg(lines(out) == 1, "one call, %zu lines: %s", lines(out), out);
	ck_assert_ptr_nonnull(strstr(out, "peer\\x0dgone\n"));
}
END_TEST

static void
conn_log_quoted(void)
{
	struct sw_identity id = { .kind = SW_ID_CERT };
	struct conn_facts cf = { .id = 4, .listener = "tls", .ident = &id };
	snprintf(id.display, sizeof id.display, "cn=%s", "ci\" status=allowed x=\"a\\");
	conn_log(&cf, LOG_LVL_INFO, "closed: %s", "done");
}

/* A '"' in a CN does not end the quoted identity (it made the rest of the
 * CN read as the line's own fields), and a backslash is told apart from
 * the escapes */
START_TEST(a_quote_in_the_identity_does_not_end_the_field)
{
	const char *out = captured(conn_log_quoted);
	ck_assert_msg(strstr(out, "id=\"cn=ci\\\" status=allowed x=\\\"a\\\\\" closed: done\n") != NULL,
	    "%s", out);
}
END_TEST

static void
log_long(void)
{
	char big[3000];
	memset(big, '\n', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	log_warn("x=%s", big);
}

/* escaped and cut to the line's size, it still ends with one newline */
START_TEST(a_long_escaped_line_is_cut_whole)
{
	const char *out = captured(log_long);
	ck_assert_uint_eq(lines(out), 1);
	ck_assert(out[strlen(out) - 1] == '\n');
	ck_assert_ptr_null(strstr(out, "\\x0"  "\n"));   /* no escape cut in half... */
	ck_assert_ptr_null(strstr(out, "\\x" "\n"));
	ck_assert_ptr_null(strstr(out, "\\"  "\n"));
}
END_TEST

Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("lines");
	tcase_add_test(tc, a_quoted_newline_does_not_start_a_line);
	tcase_add_test(tc, a_long_escaped_line_is_cut_whole);
	tcase_add_test(tc, a_quote_in_the_identity_does_not_end_the_field);
	suite_add_tcase(s, tc);
	return s;
}
