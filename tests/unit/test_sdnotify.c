/* test_sdnotify.c - the exact datagrams sent to $NOTIFY_SOCKET. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/sdnotify.h"

static char sockdir[64];
static char sockpath[128];

/* Bind a datagram socket at a filesystem path and point NOTIFY_SOCKET at it. */
static int
bind_path_socket(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	strcpy(sockdir, "/tmp/sw-sdnotify-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sockdir));
	snprintf(sockpath, sizeof(sockpath), "%s/notify", sockdir);
	strcpy(sun.sun_path, sockpath);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	return fd;
}

static void
cleanup_path_socket(int fd)
{
	close(fd);
	unlink(sockpath);
	rmdir(sockdir);
}

/* Receive one datagram without blocking: unix datagrams are queued by the
 * time sendto() returns. */
static void
recv_msg(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);

	ck_assert_msg(n >= 0, "no datagram: %s", strerror(errno));
	buf[n] = '\0';
}

static void
assert_nothing_queued(int fd)
{
	char c;
	ck_assert_int_eq(recv(fd, &c, 1, MSG_DONTWAIT), -1);
}

START_TEST(unset_socket_is_noop)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(sdnotify_ready("x"), 0);
	ck_assert_int_eq(sdnotify_reloading(), 0);
	ck_assert_int_eq(sdnotify_stopping(NULL), 0);
	ck_assert_int_eq(sdnotify_status("hello %d", 1), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	ck_assert_int_eq(sdnotify_ready(NULL), 0);
}
END_TEST

START_TEST(ready_plain_and_with_status)
{
	char buf[2048];
	int fd = bind_path_socket();

	ck_assert_int_eq(sdnotify_ready(NULL), 1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1");

	ck_assert_int_eq(sdnotify_ready("serving 2 listeners"), 1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=serving 2 listeners");
	assert_nothing_queued(fd);
	cleanup_path_socket(fd);
}
END_TEST

START_TEST(reloading_carries_monotonic_usec)
{
	char buf[2048];
	struct timespec t0, t1;
	uint64_t before, after, got;
	char tail;
	int fd = bind_path_socket();

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(sdnotify_reloading(), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_msg(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%" SCNu64 "%c", &got, &tail) == 1,
	    "bad datagram: '%s'", buf);
	ck_assert_msg(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0, "'%s'", buf);
	before = (uint64_t)t0.tv_sec * 1000000u + (uint64_t)t0.tv_nsec / 1000u;
	after = (uint64_t)t1.tv_sec * 1000000u + (uint64_t)t1.tv_nsec / 1000u;
	ck_assert_uint_ge(got, before);
	ck_assert_uint_le(got, after);
	cleanup_path_socket(fd);
}
END_TEST

START_TEST(stopping_and_status)
{
	char buf[2048];
	int fd = bind_path_socket();

	ck_assert_int_eq(sdnotify_stopping(NULL), 1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "STOPPING=1");

	ck_assert_int_eq(sdnotify_stopping("draining 3 connections"), 1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "STOPPING=1\nSTATUS=draining 3 connections");

	ck_assert_int_eq(sdnotify_status("reload failed: %s", "bad key"), 1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "STATUS=reload failed: bad key");
	cleanup_path_socket(fd);
}
END_TEST

/* A newline in a status text must not smuggle in another assignment. */
START_TEST(status_newlines_are_flattened)
{
	char buf[2048];
	int fd = bind_path_socket();

	ck_assert_int_eq(sdnotify_status("a\nREADY=1\rb"), 1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "STATUS=a READY=1 b");
	ck_assert_int_eq(sdnotify_ready("x\ny"), 1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=x y");
	cleanup_path_socket(fd);
}
END_TEST

START_TEST(long_status_is_truncated_not_dropped)
{
	char buf[4096], big[3000];
	int fd = bind_path_socket();

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(sdnotify_ready(big), 1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert(strncmp(buf, "READY=1\nSTATUS=xxxx", 19) == 0);
	ck_assert_uint_lt(strlen(buf), 1024);
	cleanup_path_socket(fd);
}
END_TEST

START_TEST(abstract_socket)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char name[64], env[80], buf[256];
	socklen_t len;
	int fd;

	snprintf(name, sizeof(name), "sockward-test-notify-%d", (int)getpid());
	memcpy(sun.sun_path + 1, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, len), 0);
	snprintf(env, sizeof(env), "@%s", name);
	setenv("NOTIFY_SOCKET", env, 1);

	ck_assert_int_eq(sdnotify_ready("abstract"), 1);
	recv_msg(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=abstract");
	close(fd);
}
END_TEST

START_TEST(missing_or_bad_socket_is_error)
{
	setenv("NOTIFY_SOCKET", "/nonexistent/sockward/notify", 1);
	ck_assert_int_eq(sdnotify_ready(NULL), -1);
	setenv("NOTIFY_SOCKET", "vsock:2:1234", 1);
	ck_assert_int_eq(sdnotify_ready(NULL), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
}
END_TEST

Suite *
sdnotify_suite(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("protocol");
	tcase_add_test(tc, unset_socket_is_noop);
	tcase_add_test(tc, ready_plain_and_with_status);
	tcase_add_test(tc, reloading_carries_monotonic_usec);
	tcase_add_test(tc, stopping_and_status);
	tcase_add_test(tc, status_newlines_are_flattened);
	tcase_add_test(tc, long_status_is_truncated_not_dropped);
	tcase_add_test(tc, abstract_socket);
	tcase_add_test(tc, missing_or_bad_socket_is_error);
	suite_add_tcase(s, tc);
	return s;
}
