/* doctor.c - see doctor.h.  A one-shot command, run instead of the event
 * loop: it asks the engine through engine_client on a private event_base,
 * and probes TCP ports with plain blocking I/O. */
#include "daemon/cli/doctor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/engine_client.h"

#define DEFAULT_CONFIG      "/etc/sockward/sockward.json"
#define DEFAULT_UPSTREAM    "/var/run/docker.sock"
#define DEFAULT_DAEMON_JSON "/etc/docker/daemon.json"
#define MAX_ANSWER          (4u << 20)   /* /info is a few KB */
#define IO_TIMEOUT_S        10
#define MAX_AGE_DAYS        730          /* older release series: a finding */

/* ---- the checks (pure) ------------------------------------------------------ */

static struct doctor_item *
add(struct doctor_item *items, size_t max, size_t *n, const char *id,
    enum doctor_level level, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static struct doctor_item *
add(struct doctor_item *items, size_t max, size_t *n, const char *id,
    enum doctor_level level, const char *fix, const char *fmt, ...)
{
	struct doctor_item *it;
	va_list ap;

	if (*n >= max)
		return NULL;
	it = &items[(*n)++];
	it->id = id;
	it->level = level;
	it->fix = fix;
	va_start(ap, fmt);
	vsnprintf(it->text, sizeof(it->text), fmt, ap);
	va_end(ap);
	return it;
}

static int
has_security_option(const json_t *info, const char *name)
{
	const json_t *opts = json_object_get(info, "SecurityOptions"), *v;
	size_t i, len = strlen(name);

	json_array_foreach(opts, i, v) {
		const char *s = json_string_value(v);
		/* "name=userns", "name=seccomp,profile=default" */
		if (s != NULL && strncmp(s, "name=", 5) == 0 && strncmp(s + 5, name, len) == 0 &&
		    (s[5 + len] == '\0' || s[5 + len] == ','))
			return 1;
	}
	return 0;
}

/* First public release of each engine series (upstream release notes).
 * Versions newer than the last entry are taken as current. */
static const struct { int major, minor; const char *date; } series[] = {
	{ 17, 3, "2017-03-01" }, { 17, 6, "2017-06-28" }, { 17, 9, "2017-09-26" },
	{ 17, 12, "2017-12-27" }, { 18, 3, "2018-03-21" }, { 18, 6, "2018-07-18" },
	{ 18, 9, "2018-11-08" }, { 19, 3, "2019-07-22" }, { 20, 10, "2020-12-08" },
	{ 23, 0, "2023-02-01" }, { 24, 0, "2023-05-16" }, { 25, 0, "2024-01-19" },
	{ 26, 0, "2024-03-20" }, { 26, 1, "2024-04-22" }, { 27, 0, "2024-06-24" },
	{ 28, 0, "2025-02-19" },
};
#define NSERIES (sizeof(series) / sizeof(series[0]))

static time_t
parse_date(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y-%m-%d", &tm) == NULL)
		return (time_t)-1;
	return timegm(&tm);
}

static void
check_version(const json_t *version, time_t now, struct doctor_item *items, size_t max,
    size_t *n)
{
	const char *v = json_string_value(json_object_get(version, "Version"));
	const char *built = json_string_value(json_object_get(version, "BuildTime"));
	int major, minor;
	size_t i, best = NSERIES;
	long days;

	if (v == NULL || sscanf(v, "%d.%d", &major, &minor) != 2) {
		add(items, max, n, "engine-version", DOCTOR_INFO, NULL,
		    "engine version %s not understood; cannot judge its age", v ? v : "(none)");
		return;
	}
	/* the newest series not newer than this version */
	for (i = 0; i < NSERIES; i++)
		if (series[i].major < major || (series[i].major == major && series[i].minor <= minor))
			best = i;
	if (best == NSERIES) {
		add(items, max, n, "engine-version", DOCTOR_FINDING,
		    NULL, "engine %s predates 17.03 and is long unmaintained; upgrade the engine", v);
		return;
	}
	if (best == NSERIES - 1 && major > series[best].major) {
		add(items, max, n, "engine-version", DOCTOR_OK, NULL,
		    "engine %s is newer than the %d.%d series (%s)", v, series[best].major,
		    series[best].minor, series[best].date);
		return;
	}
	days = (long)((now - parse_date(series[best].date)) / 86400);
	add(items, max, n, "engine-version", days > MAX_AGE_DAYS ? DOCTOR_FINDING : DOCTOR_OK,
	    NULL, "engine %s: the %d.%d series was released %s, %ld days ago%s (build time %s, "
	    "which distributions reset when they rebuild)", v, series[best].major,
	    series[best].minor, series[best].date, days,
	    days > MAX_AGE_DAYS ? "; it no longer gets upstream fixes: upgrade the engine" : "",
	    built ? built : "unknown");
}

size_t
doctor_check(const json_t *info, const json_t *version, time_t now,
    struct doctor_item *items, size_t max)
{
	size_t n = 0;
	int rootless = 0;

	if (info != NULL) {
		rootless = has_security_option(info, "rootless");
		if (rootless)
			add(items, max, &n, "rootless", DOCTOR_OK, NULL,
			    "the engine runs rootless (SecurityOptions name=rootless)");
		else
			add(items, max, &n, "rootless", DOCTOR_INFO, NULL,
			    "the engine runs as root; rootless mode is an installation choice "
			    "(dockerd-rootless-setuptool.sh), not a daemon.json key; "
			    "userns-remap below is the in-place alternative");

		if (has_security_option(info, "userns"))
			add(items, max, &n, "userns-remap", DOCTOR_OK, NULL,
			    "user namespace remapping is on (SecurityOptions name=userns)");
		else if (rootless)
			add(items, max, &n, "userns-remap", DOCTOR_OK, NULL,
			    "no userns-remap, but a rootless engine already maps container root "
			    "to an unprivileged user");
		else
			add(items, max, &n, "userns-remap", DOCTOR_FINDING, "\"userns-remap\": \"default\"",
			    "user namespace remapping is off: root in a container is root on the host");

		if (json_is_true(json_object_get(info, "LiveRestoreEnabled")))
			add(items, max, &n, "live-restore", DOCTOR_OK, NULL, "live restore is on");
		else
			add(items, max, &n, "live-restore", DOCTOR_FINDING, "\"live-restore\": true",
			    "live restore is off: restarting or upgrading the engine stops every container");

		if (json_is_true(json_object_get(info, "Debug")))
			add(items, max, &n, "log-level", DOCTOR_FINDING,
			    "\"debug\": false, \"log-level\": \"info\"",
			    "the engine runs in debug mode (/info Debug=true): debug logs record "
			    "request details");
		else
			add(items, max, &n, "log-level", DOCTOR_OK, NULL,
			    "debug mode is off (/info Debug=false); /info does not report the log "
			    "level itself: \"log-level\": \"info\" is the recommended setting");
	}
	if (version != NULL)
		check_version(version, now, items, max, &n);
	return n;
}

size_t
doctor_check_daemon_json(const json_t *dj, struct doctor_item *items, size_t max)
{
	const json_t *hosts = json_object_get(dj, "hosts"), *h;
	const char *level = json_string_value(json_object_get(dj, "log-level"));
	int verify = json_is_true(json_object_get(dj, "tlsverify"));
	size_t n = 0, i;

	json_array_foreach(hosts, i, h) {
		const char *s = json_string_value(h);
		if (s == NULL || strncmp(s, "tcp://", 6) != 0)
			continue;
		if (verify)
			add(items, max, &n, "tcp-tls", DOCTOR_OK, NULL,
			    "daemon.json host %s is protected by tlsverify", s);
		else
			add(items, max, &n, "tcp-tls", DOCTOR_FINDING,
			    "\"tlsverify\": true, \"tlscacert\", \"tlscert\", \"tlskey\" (or remove the tcp:// "
			    "entry from \"hosts\" and let sockward be the only network listener)",
			    "daemon.json lists host %s without \"tlsverify\": true: anyone who can "
			    "reach it is root on this host", s);
	}
	if (level != NULL && strcmp(level, "debug") == 0)
		add(items, max, &n, "log-level", DOCTOR_FINDING, "\"log-level\": \"info\"",
		    "daemon.json sets \"log-level\": \"debug\"");
	return n;
}

void
doctor_check_tcp(const char *address, const char *response, struct doctor_item *item)
{
	size_t n = 0;

	/* an engine answers /_ping with "OK" and an Api-Version header */
	if (response != NULL && strncmp(response, "HTTP/1.", 7) == 0 &&
	    strcasestr(response, "\r\nApi-Version:") != NULL)
		add(item, 1, &n, "tcp-tls", DOCTOR_FINDING,
		    "remove the tcp:// entry from \"hosts\" (or set \"tlsverify\": true with "
		    "\"tlscacert\", \"tlscert\", \"tlskey\")",
		    "a Docker API answers plain HTTP on %s: anyone who can reach it is root on "
		    "this host (if that is sockward's own insecure listener, it is policed)", address);
	else
		add(item, 1, &n, "tcp-tls", DOCTOR_OK, NULL,
		    "no Docker API answers plain HTTP on %s", address);
}

/* ---- the engine ------------------------------------------------------------ */

struct fetch {
	const char *path;
	json_t *json;          /* the 200 answer, or NULL with err set */
	char err[512];
};

static void
fetched(const struct engine_answer *a, void *arg)
{
	struct fetch *f = arg;

	if (a->status == 0)
		snprintf(f->err, sizeof(f->err), "GET %s: %s", f->path, a->error);
	else if (a->status != 200)
		snprintf(f->err, sizeof(f->err), "GET %s: status %d", f->path, a->status);
	else if (a->json == NULL)
		snprintf(f->err, sizeof(f->err), "GET %s: the answer is not JSON", f->path);
	else
		f->json = json_incref(a->json);
}

/* Ask the engine for every f[i].path at once, on an event loop of our own
 * that runs until each has answered (or failed, or timed out). */
static void
engine_fetch(const char *sock, struct fetch *f, size_t n)
{
	struct engine_opts o = { .max_bytes = MAX_ANSWER, .timeout_ms = IO_TIMEOUT_S * 1000,
	    .want_json = 1, .user_agent = "sockward-doctor" };
	struct event_base *base = event_base_new();
	size_t i;

	for (i = 0; i < n; i++) {
		f[i].json = NULL;
		snprintf(f[i].err, sizeof(f[i].err), "GET %s: cannot form the request", f[i].path);
		if (base != NULL && engine_get(base, sock, f[i].path, &o, fetched, &f[i]) != NULL)
			f[i].err[0] = '\0';
	}
	if (base != NULL) {
		event_base_dispatch(base);   /* returns when no request is left */
		event_base_free(base);
	}
}

/* ---- TCP probe ----------------------------------------------------------------- */

static void
set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Send a plain HTTP/1.0 /_ping and read until the other side closes
 * (bounded).  Whatever answers there (an engine, a TLS endpoint, another
 * server) is judged on its raw bytes by doctor_check_tcp(), so this is not
 * an engine client.  Returns a malloc'd string or NULL. */
static char *
raw_ping(int fd)
{
	static const char req[] = "GET /_ping HTTP/1.0\r\nHost: docker\r\n"
	    "User-Agent: sockward-doctor\r\n\r\n";
	size_t used = 0, cap = 65536;
	char *buf;
	ssize_t n;

	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		return NULL;
	if ((buf = malloc(cap + 1)) == NULL)
		return NULL;
	while (used < cap) {
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return buf;
}

/* Plain-HTTP ping of a TCP address; returns the answer or NULL. */
static char *
tcp_ping(const char *address)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char host[256], port[16], *answer = NULL;
	const char *colon = strrchr(address, ':');
	struct pollfd pfd;
	int fd, soerr = 0;
	socklen_t sl = sizeof(soerr);
	size_t hl;

	if (colon == NULL || (hl = (size_t)(colon - address)) >= sizeof(host) ||
	    strlen(colon + 1) >= sizeof(port))
		return NULL;
	memcpy(host, address, hl);
	host[hl] = '\0';
	if (hl > 1 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	strcpy(port, colon + 1);
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return NULL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto out;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)
		goto out;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 2000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
	    soerr != 0)
		goto out;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	set_timeouts(fd);
	answer = raw_ping(fd);
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return answer;
}

/* ---- command ---------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr, "usage: sockward doctor [-c FILE] [-u SOCKET] [-p HOST:PORT]... "
	    "[-d DAEMON_JSON] [-s SERVICE_USER] [-P PROC_DIR]\n");
}

/* upstream.socket from a configuration file: 1 found (in buf), 0 not set,
 * -1 the file cannot be read or parsed (reported). */
static int
upstream_from_config(const char *file, char *buf, size_t buflen)
{
	json_error_t je;
	json_t *cfg = json_load_file(file, 0, &je);
	const char *s;

	if (cfg == NULL) {
		if (je.line > 0)
			fprintf(stderr, "sockward doctor: %s:%d:%d: %s\n", file, je.line, je.column, je.text);
		else
			fprintf(stderr, "sockward doctor: %s\n", je.text);
		return -1;
	}
	s = json_string_value(json_object_get(json_object_get(cfg, "upstream"), "socket"));
	if (s != NULL)
		snprintf(buf, buflen, "%s", s);
	json_decref(cfg);
	return s != NULL;
}

static const char *
str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

static void
print_item(const struct doctor_item *it, size_t *findings)
{
	static const char *const tag[] = { "ok     ", "info   ", "FINDING" };

	printf("%s %-14s %s\n", tag[it->level], it->id, it->text);
	if (it->level == DOCTOR_FINDING) {
		(*findings)++;
		printf("        %-14s fix in daemon.json: %s\n", "",
		    it->fix ? it->fix : "(none: not a daemon.json setting)");
	}
}

int
cmd_doctor(int argc, char **argv)
{
	const char *config = NULL, *sock = NULL, *daemon_json = DEFAULT_DAEMON_JSON;
	const char *service_user = "sockward", *proc_root = "/proc";
	const char *probes[8];
	size_t nprobes = 0, n, i, findings = 0;
	struct doctor_item items[DOCTOR_MAX_ITEMS];
	char cfgsock[4096];
	struct fetch f[2] = { { .path = "/info" }, { .path = "/version" } };
	json_t *info, *version, *dj;
	json_error_t je;
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "c:u:p:d:s:P:h")) != -1) {
		switch (c) {
		case 's': service_user = optarg; break;
		case 'P': proc_root = optarg; break;
		case 'c': config = optarg; break;
		case 'u': sock = optarg; break;
		case 'd': daemon_json = optarg; break;
		case 'p':
			if (nprobes == sizeof(probes) / sizeof(probes[0])) {
				fprintf(stderr, "sockward doctor: too many -p\n");
				return 2;
			}
			probes[nprobes++] = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	if (sock == NULL) {
		/* -c FILE must be readable; the default file is used only if present */
		if (config == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
			config = DEFAULT_CONFIG;
		if (config != NULL) {
			int r = upstream_from_config(config, cfgsock, sizeof(cfgsock));
			if (r < 0)
				return 2;
			if (r > 0)
				sock = cfgsock;
		}
		if (sock == NULL)
			sock = DEFAULT_UPSTREAM;
	}
	if (strncmp(sock, "unix://", 7) == 0)
		sock += 7;
	if (nprobes == 0)
		probes[nprobes++] = "127.0.0.1:2375";

	engine_fetch(sock, f, 2);
	info = f[0].json;
	version = f[1].json;
	if (info == NULL || version == NULL) {
		fprintf(stderr, "sockward doctor: engine unreachable at %s: %s\n", sock,
		    info == NULL ? f[0].err : f[1].err);
		json_decref(info);
		json_decref(version);
		return 2;
	}
	printf("engine %s: Docker %s (API %s), %s\n", sock,
	    str_or(version, "Version", "?"), str_or(version, "ApiVersion", "?"),
	    str_or(info, "Name", "?"));

	n = doctor_check(info, version, time(NULL), items, DOCTOR_MAX_ITEMS);
	for (i = 0; i < n; i++)
		print_item(&items[i], &findings);

	/* Nobody but root and sockward may reach the engine: the socket's
	 * owner, group, ACL and mode, and dockerd's own TCP listeners. */
	n = doctor_check_socket_access(sock, service_user, items, DOCTOR_MAX_ITEMS);
	for (i = 0; i < n; i++)
		print_item(&items[i], &findings);
	n = doctor_check_engine_tcp(proc_root, items, DOCTOR_MAX_ITEMS);
	for (i = 0; i < n; i++)
		print_item(&items[i], &findings);

	/* The API does not list the engine's -H hosts: look where we can. */
	for (i = 0; i < nprobes; i++) {
		char *answer = tcp_ping(probes[i]);
		doctor_check_tcp(probes[i], answer, &items[0]);
		print_item(&items[0], &findings);
		free(answer);
	}
	if ((dj = json_load_file(daemon_json, 0, &je)) != NULL) {
		n = doctor_check_daemon_json(dj, items, DOCTOR_MAX_ITEMS);
		for (i = 0; i < n; i++)
			print_item(&items[i], &findings);
		if (n == 0)
			printf("ok      %-14s %s lists no tcp:// host and no debug log level\n",
			    "daemon.json", daemon_json);
		json_decref(dj);
	} else {
		printf("info    %-14s %s not readable (%s): the engine's hosts (-H) and "
		    "log level could not be checked there\n", "daemon.json", daemon_json, je.text);
	}

	printf("%zu finding%s\n", findings, findings == 1 ? "" : "s");
	json_decref(info);
	json_decref(version);
	return findings ? 1 : 0;
}
