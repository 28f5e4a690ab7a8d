/* test_admin.c - the admin endpoint on a real event loop.
 *
 * A child process runs the loop: the admin listener plus a fake engine on a
 * unix socket that answers /_ping the way the test asks (200, 500, never,
 * or not at all).  The parent is a plain blocking HTTP client. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "daemon/admin.h"
#include "daemon/metrics.h"

enum engine_mode { ENGINE_OK, ENGINE_500, ENGINE_HANG, ENGINE_ABSENT };

static char tmpdir[64];
static char engine_path[128];
static char admin_sock[128];

static const char *
upstream(void)
{
	return engine_path;
}

/* ---- fake engine (child side) ------------------------------------------- */

static enum engine_mode mode;
static struct bufferevent *hung[8];
static int nhung;

static void
engine_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void
engine_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);

	(void)arg;
	if (end.pos < 0)
		return;
	evbuffer_drain(in, evbuffer_get_length(in));
	if (mode == ENGINE_HANG) {
		if (nhung < 8)
			hung[nhung++] = bev;
		return;
	}
	evbuffer_add_printf(bufferevent_get_output(bev), mode == ENGINE_OK
	    ? "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK"
	    : "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
	bufferevent_setcb(bev, NULL, engine_written, NULL, NULL);
}

static void
engine_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct bufferevent *bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	(void)sa; (void)salen; (void)arg;
	bufferevent_setcb(bev, engine_read, NULL, NULL, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
on_term(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	event_base_loopbreak(arg);
}

/* Child: serve until SIGTERM, then tear everything down (so LSan can check). */
static void
run_server(int ready_fd, const char *address, const char *upath, unsigned ping_ms)
{
	struct event_base *base = event_base_new();
	struct evconnlistener *engine = NULL;
	struct event *term;
	struct admin *adm;
	char err[256];
	int port, i;

	if (mode != ENGINE_ABSENT) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		strcpy(sun.sun_path, engine_path);
		engine = evconnlistener_new_bind(base, engine_accept, NULL,
		    LEV_OPT_CLOSE_ON_FREE, 16, (struct sockaddr *)&sun, sizeof(sun));
		if (engine == NULL)
			_exit(3);
	}
	term = evsignal_new(base, SIGTERM, on_term, base);
	event_add(term, NULL);
	adm = admin_start(base, address, upath, upstream, err, sizeof(err));
	if (adm == NULL) {
		fprintf(stderr, "admin_start: %s\n", err);
		_exit(4);
	}
	if (ping_ms)
		admin_set_ping_timeout(adm, ping_ms);
	port = admin_port(adm);
	if (write(ready_fd, &port, sizeof(port)) != sizeof(port))
		_exit(5);
	close(ready_fd);
	event_base_dispatch(base);
	admin_stop(adm);
	for (i = 0; i < nhung; i++)
		bufferevent_free(hung[i]);
	if (engine != NULL)
		evconnlistener_free(engine);
	event_free(term);
	event_base_free(base);
	exit(0);
}

/* ---- test harness (parent side) ------------------------------------------ */

static pid_t server;
static int server_port;

static void
setup_dir(void)
{
	strcpy(tmpdir, "/tmp/sw-admin-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(engine_path, sizeof(engine_path), "%s/engine.sock", tmpdir);
	snprintf(admin_sock, sizeof(admin_sock), "%s/admin.sock", tmpdir);
}

static void
start(enum engine_mode m, const char *address, const char *upath, unsigned ping_ms)
{
	int p[2];
	char eof;

	mode = m;
	ck_assert_int_eq(pipe(p), 0);
	server = fork();
	ck_assert_int_ge(server, 0);
	if (server == 0) {
		close(p[0]);
		run_server(p[1], address, upath, ping_ms);
	}
	close(p[1]);
	ck_assert_msg(read(p[0], &server_port, sizeof(server_port)) == sizeof(server_port),
	    "server did not start");
	/* the end of the pipe: the server has closed its side (server_fds) */
	ck_assert_int_eq(read(p[0], &eof, 1), 0);
	close(p[0]);
}

static void
stop(void)
{
	int status;
	char cmd[128];

	kill(server, SIGTERM);
	ck_assert_int_eq(waitpid(server, &status, 0), server);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "server exit status %d", status);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static int
connect_tcp(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)server_port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Send one request, read the whole answer (the server closes after it). */
static char *
request(int fd, const char *method, const char *path)
{
	char req[256], *buf = malloc(1 << 20);
	size_t used = 0;
	ssize_t n;

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    method, path);
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (used < (1 << 20) - 1 && (n = read(fd, buf + used, (1 << 20) - 1 - used)) > 0)
		used += (size_t)n;
	buf[used] = '\0';
	close(fd);
	return buf;
}

static const char *
body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");
	ck_assert_ptr_nonnull(b);
	return b + 4;
}

/* Read one answer from fd, for at most ms: until the server closes (a reset
 * after the answer counts too).  *closed says whether it did. */
static char *
read_answer(int fd, int ms, int *closed)
{
	char *buf = malloc(65536);
	size_t used = 0;
	struct timespec t0, t;
	ssize_t n;

	*closed = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			break;
		n = read(fd, buf + used, 65535 - used);
		if (n <= 0) {
			*closed = n == 0 || errno == ECONNRESET;
			break;
		}
		used += (size_t)n;
	}
	buf[used] = '\0';
	return buf;
}

/* Descriptors the server process has open. */
static int
server_fds(void)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)server);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Give the server up to 2 s to hold want descriptors; returns what it holds. */
static int
wait_server_fds(int want)
{
	int n, i;

	for (i = 0; i < 200 && (n = server_fds()) != want; i++)
		usleep(10 * 1000);
	return n;
}

/* The lowest descriptor number the server has free. */
static int
server_lowest_free_fd(void)
{
	char path[64];
	struct stat st;
	int fd;

	for (fd = 0;; fd++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)server, fd);
		if (lstat(path, &st) != 0)
			return fd;
	}
}

/* CPU time the server has used, in clock ticks. */
static long
server_cpu_ticks(void)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)server);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');   /* the command name may hold spaces */
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &utime, &stime), 2);
	return (long)(utime + stime);
}

#define ASSERT_STATUS(resp, code) \
	ck_assert_msg(strncmp(resp, "HTTP/1.1 " #code " ", 13) == 0, "want " #code ", got: %.200s", resp)

/* ---- tests ---------------------------------------------------------------- */

START_TEST(metrics_served)
{
	char *r;

	setup_dir();
	start(ENGINE_OK, "127.0.0.1:0", NULL, 0);
	ck_assert_int_gt(server_port, 0);
	r = request(connect_tcp(), "GET", "/metrics");
	ASSERT_STATUS(r, 200);
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(body_of(r), "# TYPE sockward_build_info gauge\n"));
	ck_assert_ptr_nonnull(strstr(body_of(r), "sockward_request_duration_seconds_count "));
	free(r);
	r = request(connect_tcp(), "GET", "/metrics?x=1");
	ASSERT_STATUS(r, 200);
	free(r);
	r = request(connect_tcp(), "HEAD", "/metrics");
	ASSERT_STATUS(r, 405);
	ck_assert_ptr_nonnull(strstr(r, "Allow: GET\r\n"));
	free(r);
	stop();
}
END_TEST

START_TEST(healthz_ok_when_engine_pings)
{
	char *r;

	setup_dir();
	start(ENGINE_OK, "127.0.0.1:0", NULL, 0);
	r = request(connect_tcp(), "GET", "/healthz");
	ASSERT_STATUS(r, 200);
	ck_assert_str_eq(body_of(r), "ok\n");
	free(r);
	stop();
}
END_TEST

START_TEST(healthz_503_on_engine_error)
{
	char *r;

	setup_dir();
	start(ENGINE_500, "127.0.0.1:0", NULL, 0);
	r = request(connect_tcp(), "GET", "/healthz");
	ASSERT_STATUS(r, 503);
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: application/json"));
	ck_assert_ptr_nonnull(strstr(body_of(r), "{\"message\":\"engine at "));
	ck_assert_ptr_nonnull(strstr(body_of(r), "did not answer /_ping: status 500\"}"));
	free(r);
	stop();
}
END_TEST

START_TEST(healthz_503_when_engine_absent)
{
	char *r;

	setup_dir();
	start(ENGINE_ABSENT, "127.0.0.1:0", NULL, 0);
	r = request(connect_tcp(), "GET", "/healthz");
	ASSERT_STATUS(r, 503);
	ck_assert_msg(strstr(body_of(r), "No such file or directory") != NULL, "%s", r);
	free(r);
	stop();
}
END_TEST

START_TEST(healthz_503_on_timeout)
{
	char *r;

	setup_dir();
	start(ENGINE_HANG, "127.0.0.1:0", NULL, 200);
	r = request(connect_tcp(), "GET", "/healthz");
	ASSERT_STATUS(r, 503);
	ck_assert_msg(strstr(body_of(r), "no answer within 200 ms") != NULL, "%s", r);
	free(r);
	stop();
}
END_TEST

/* Stopping with a probe in flight answers it instead of leaking it. */
START_TEST(stop_with_pending_probe)
{
	char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd;

	setup_dir();
	start(ENGINE_HANG, "127.0.0.1:0", NULL, 60000);
	fd = connect_tcp();
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	usleep(200 * 1000);
	stop();   /* asserts a clean exit (LSan runs in the child under ASan) */
	close(fd);
}
END_TEST

START_TEST(unknown_paths_and_methods)
{
	char *r;

	setup_dir();
	start(ENGINE_OK, "127.0.0.1:0", NULL, 0);
	r = request(connect_tcp(), "GET", "/");
	ASSERT_STATUS(r, 404);
	ck_assert_str_eq(body_of(r), "{\"message\":\"not found\"}\n");
	free(r);
	r = request(connect_tcp(), "GET", "/metrics/x");
	ASSERT_STATUS(r, 404);
	free(r);
	r = request(connect_tcp(), "POST", "/metrics");
	ASSERT_STATUS(r, 405);
	free(r);
	r = request(connect_tcp(), "DELETE", "/healthz");
	ASSERT_STATUS(r, 405);
	free(r);
	stop();
}
END_TEST

/* A local user holding ~1,000 idle connections to the admin port once took
 * every descriptor the daemon had, and the Docker listeners failed with
 * EMFILE.  Past ADMIN_MAX_CONNECTIONS a connection gets a 503 at once and
 * is closed; the ones held stay served; once they close, a full cap's worth
 * is taken again (the count goes down as they close). */
#define EXTRA (2 * ADMIN_ACCEPT_BATCH + 3)
START_TEST(connections_capped)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	int held[ADMIN_MAX_CONNECTIONS], extra[EXTRA], base, i, closed;
	char *r;

	setup_dir();
	start(ENGINE_OK, "127.0.0.1:0", NULL, 0);
	base = server_fds();
	for (i = 0; i < ADMIN_MAX_CONNECTIONS; i++)
		held[i] = connect_tcp();
	ck_assert_int_eq(wait_server_fds(base + ADMIN_MAX_CONNECTIONS), base + ADMIN_MAX_CONNECTIONS);

	/* more than a batch of them at once (queued while the server is
	 * stopped, then taken in one turn), each asking for the metrics */
	kill(server, SIGSTOP);
	for (i = 0; i < EXTRA; i++) {
		extra[i] = connect_tcp();
		ck_assert_int_eq(write(extra[i], get, strlen(get)), (ssize_t)strlen(get));
	}
	kill(server, SIGCONT);
	for (i = 0; i < EXTRA; i++) {
		r = read_answer(extra[i], 2000, &closed);
		ASSERT_STATUS(r, 503);
		ck_assert_msg(strstr(body_of(r), "too many admin connections (64 open)") != NULL, "%s", r);
		ck_assert_msg(closed, "connection %d past the cap left open", i);
		free(r);
		close(extra[i]);
	}
	ck_assert_int_eq(wait_server_fds(base + ADMIN_MAX_CONNECTIONS), base + ADMIN_MAX_CONNECTIONS);

	/* the connections within the cap are still served */
	r = request(held[0], "GET", "/metrics");
	ASSERT_STATUS(r, 200);
	free(r);
	r = request(held[ADMIN_MAX_CONNECTIONS - 1], "GET", "/healthz");
	ASSERT_STATUS(r, 200);
	free(r);
	for (i = 1; i < ADMIN_MAX_CONNECTIONS - 1; i++)
		close(held[i]);
	ck_assert_int_eq(wait_server_fds(base), base);

	/* all of them counted out: a full cap again, every one served */
	for (i = 0; i < ADMIN_MAX_CONNECTIONS; i++)
		held[i] = connect_tcp();
	ck_assert_int_eq(wait_server_fds(base + ADMIN_MAX_CONNECTIONS), base + ADMIN_MAX_CONNECTIONS);
	for (i = 0; i < ADMIN_MAX_CONNECTIONS; i++) {
		r = request(held[i], "GET", "/metrics");
		ASSERT_STATUS(r, 200);
		free(r);
	}
	ck_assert_int_eq(wait_server_fds(base), base);
	stop();
}
END_TEST

/* Out of descriptors, libevent would try the pending accept again every
 * turn of the loop, at full CPU; the listener pauses instead, and takes the
 * connection once descriptors are free again. */
START_TEST(accept_failure_pauses)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct rlimit old, low;
	long cpu;
	int fd, closed;
	char *r;

	setup_dir();
	start(ENGINE_OK, "127.0.0.1:0", NULL, 0);
	ck_assert_int_eq(prlimit(server, RLIMIT_NOFILE, NULL, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)server_lowest_free_fd();
	ck_assert_int_eq(prlimit(server, RLIMIT_NOFILE, &low, NULL), 0);
	fd = connect_tcp();
	ck_assert_int_eq(write(fd, get, strlen(get)), (ssize_t)strlen(get));
	usleep(100 * 1000);
	cpu = server_cpu_ticks();
	usleep(500 * 1000);
	cpu = server_cpu_ticks() - cpu;
	ck_assert_msg(cpu < sysconf(_SC_CLK_TCK) / 10, "the server spun: %ld ticks in 0.5 s", cpu);
	ck_assert_int_eq(prlimit(server, RLIMIT_NOFILE, &old, NULL), 0);
	r = read_answer(fd, 2000, &closed);
	ASSERT_STATUS(r, 200);
	free(r);
	close(fd);
	stop();
}
END_TEST

START_TEST(unix_socket_listener)
{
	struct stat st;
	char *r;
	int stale;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	setup_dir();
	/* a stale socket left by a crashed run is replaced */
	strcpy(sun.sun_path, admin_sock);
	stale = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(stale, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(stale);

	start(ENGINE_OK, NULL, admin_sock, 0);
	ck_assert_int_eq(server_port, 0);
	ck_assert_int_eq(stat(admin_sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	r = request(connect_unix(admin_sock), "GET", "/metrics");
	ASSERT_STATUS(r, 200);
	free(r);
	r = request(connect_unix(admin_sock), "GET", "/healthz");
	ASSERT_STATUS(r, 200);
	free(r);
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	ck_assert_int_eq(access(admin_sock, F_OK), -1);   /* removed on stop */
	rmdir(tmpdir);
}
END_TEST

START_TEST(refuses_bad_addresses)
{
	static const char *const bad[] = {
		"0.0.0.0:9323", "10.1.2.3:9323", "[::]:9323", "example.com:9323",
		"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:9323",
		"[::1]9323", "127.0.0.1:80x",
	};
	struct event_base *base = event_base_new();
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(admin_start(base, bad[i], NULL, upstream, err, sizeof(err)) == NULL,
		    "%s accepted", bad[i]);
		ck_assert_msg(strstr(err, bad[i]) != NULL, "%s: %s", bad[i], err);
	}
	ck_assert_ptr_null(admin_start(base, "0.0.0.0:1", NULL, upstream, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a loopback address"));
	ck_assert_ptr_null(admin_start(base, NULL, NULL, upstream, err, sizeof(err)));
	ck_assert_ptr_null(admin_start(base, "127.0.0.1:0", "/tmp/x", upstream, err, sizeof(err)));
	ck_assert_ptr_null(admin_start(base, NULL, "/nonexistent-dir/admin.sock", upstream, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/admin.sock"));
	event_base_free(base);
}
END_TEST

START_TEST(accepts_loopback_forms)
{
	struct event_base *base = event_base_new();
	struct admin *a;
	char err[256];

	a = admin_start(base, "localhost:0", NULL, upstream, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	ck_assert_int_gt(admin_port(a), 0);
	admin_stop(a);
	a = admin_start(base, "127.0.0.2:0", NULL, upstream, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	admin_stop(a);
	/* [::1] only where the kernel has IPv6 */
	a = admin_start(base, "[::1]:0", NULL, upstream, err, sizeof(err));
	if (a == NULL)
		ck_assert_msg(strstr(err, "not a loopback") == NULL, "%s", err);
	admin_stop(a);
	event_base_free(base);
}
END_TEST

START_TEST(refuses_live_socket_and_non_socket)
{
	struct event_base *base = event_base_new();
	struct admin *a, *b;
	char err[256], path[160];
	FILE *f;

	setup_dir();
	a = admin_start(base, NULL, admin_sock, upstream, err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	b = admin_start(base, NULL, admin_sock, upstream, err, sizeof(err));
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(err, "another process is listening"));
	admin_stop(a);
	snprintf(path, sizeof(path), "%s/plain", tmpdir);
	f = fopen(path, "w");
	fclose(f);
	ck_assert_ptr_null(admin_start(base, NULL, path, upstream, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a socket"));
	unlink(path);
	rmdir(tmpdir);
	event_base_free(base);
}
END_TEST

Suite *
admin_suite(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("http");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, metrics_served);
	tcase_add_test(tc, healthz_ok_when_engine_pings);
	tcase_add_test(tc, healthz_503_on_engine_error);
	tcase_add_test(tc, healthz_503_when_engine_absent);
	tcase_add_test(tc, healthz_503_on_timeout);
	tcase_add_test(tc, stop_with_pending_probe);
	tcase_add_test(tc, unknown_paths_and_methods);
	tcase_add_test(tc, connections_capped);
	tcase_add_test(tc, accept_failure_pauses);
	tcase_add_test(tc, unix_socket_listener);
	suite_add_tcase(s, tc);
	tc = tcase_create("listen");
	tcase_add_test(tc, refuses_bad_addresses);
	tcase_add_test(tc, accepts_loopback_forms);
	tcase_add_test(tc, refuses_live_socket_and_non_socket);
	suite_add_tcase(s, tc);
	return s;
}
