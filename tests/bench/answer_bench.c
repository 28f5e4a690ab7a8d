/* answer_bench.c - what a tenant's held answer costs: CPU and peak memory of
 * the daemon's strict response stage (daemon/response_stage.c) filtering a
 * big `GET /images/json` and `GET /system/df` answer for one tenant, through
 * the real path: the answer is parsed by the exchange's response parser,
 * held by the stage, rewritten by the exchange's filter (exchange.c
 * filter_answer -> policy/tenant_answer.c) into the client's buffer.
 * No sockets: the engine's bytes are fed as reads of 64 KiB would bring
 * them.  Not a unit test.  Build and run from the repository root:
 *
 *     make tests/bench/answer-bench && tests/bench/answer-bench [MIB [REPEATS]]
 *
 * Each case runs REPEATS times, each in a forked child so that its peak
 * (ru_maxrss) is its own: "peak" is that high-water mark less the child's
 * resident size once its input was built, i.e. what holding and filtering
 * the answer added.  CPU is the child's thread CPU time from the first byte
 * fed to the rewritten answer in the client's buffer (the event loop's
 * time: nothing else runs while it is spent).  Half of the images belong to
 * another tenant, a quarter to the tenant, a quarter to none.
 * ANSWER_BENCH_OUT=PREFIX writes each answer the client got to PREFIX.<n>. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "daemon/exchange.h"
#include "daemon/response_stage.h"

static const char *
owner(size_t i)
{
	static const char *const o[] = { "\"Labels\":{\"io.sockward.tenant\":\"db\",\"v\":\"1\"}",
		"\"Labels\":{\"io.sockward.tenant\":\"web\"}", "\"Labels\":{\"io.sockward.tenant\":\"db\"}",
		"\"Labels\":null" };
	return o[i % 4];
}

/* one image as dockerd 20.10+ lists it (about 600 bytes) */
static void
image(struct evbuffer *b, size_t i)
{
	evbuffer_add_printf(b, "{\"Containers\":-1,\"Created\":%zu,\"Id\":\"sha256:%064zx\","
	    "%s,\"ParentId\":\"\",\"RepoDigests\":[\"registry.example.com/team/app%zu@sha256:%064zx\"],"
	    "\"RepoTags\":[\"registry.example.com/team/app%zu:1.%zu\",\"app%zu:latest\"],"
	    "\"SharedSize\":-1,\"Size\":%zu,\"VirtualSize\":%zu}",
	    1700000000 + i, i, owner(i), i, i * 7919, i, i, i, 1000000 + i, 1000000 + i);
}

static void
container(struct evbuffer *b, size_t i)
{
	evbuffer_add_printf(b, "{\"Id\":\"%064zx\",\"Names\":[\"/c%zu\"],\"Image\":\"app%zu\","
	    "\"ImageID\":\"sha256:%064zx\",\"Command\":\"/bin/sh\",\"Created\":%zu,\"Ports\":[],"
	    "\"SizeRw\":%zu,\"SizeRootFs\":0,%s,\"State\":\"exited\",\"Status\":\"Exited (0)\","
	    "\"HostConfig\":{\"NetworkMode\":\"default\"},\"NetworkSettings\":{\"Networks\":{}},"
	    "\"Mounts\":[]}", i, i, i, i, 1700000000 + i, i, owner(i));
}

static void
volume(struct evbuffer *b, size_t i)
{
	evbuffer_add_printf(b, "{\"CreatedAt\":\"2024-01-01T00:00:00Z\",\"Driver\":\"local\",%s,"
	    "\"Mountpoint\":\"/var/lib/docker/volumes/v%zu/_data\",\"Name\":\"v%zu\",\"Options\":null,"
	    "\"Scope\":\"local\",\"UsageData\":{\"RefCount\":0,\"Size\":%zu}}", owner(i), i, i, i);
}

typedef void (*elem_fn)(struct evbuffer *, size_t);

/* "[e0,e1,...]" up to about size bytes */
static void
list(struct evbuffer *b, elem_fn fn, size_t size)
{
	size_t start = evbuffer_get_length(b);
	evbuffer_add(b, "[", 1);
	for (size_t i = 0; evbuffer_get_length(b) - start < size; i++) {
		if (i > 0)
			evbuffer_add(b, ",", 1);
		fn(b, i);
	}
	evbuffer_add(b, "]", 1);
}

static struct evbuffer *
body_of(enum pol_answer_filter kind, size_t size)
{
	struct evbuffer *b = evbuffer_new();
	if (kind == POL_ANSWER_IMAGES) {
		list(b, image, size);
	} else {
		evbuffer_add_printf(b, "{\"LayersSize\":1,\"Images\":");
		list(b, image, size / 2);
		evbuffer_add_printf(b, ",\"Containers\":");
		list(b, container, size / 4);
		evbuffer_add_printf(b, ",\"Volumes\":");
		list(b, volume, size / 4);
		evbuffer_add_printf(b, ",\"BuildCache\":[]}");
	}
	evbuffer_add(b, "\n", 1);
	return b;
}

/* the engine's answer: chunked, as dockerd sends a big JSON answer */
static struct evbuffer *
answer_of(struct evbuffer *body)
{
	struct evbuffer *a = evbuffer_new();
	evbuffer_add_printf(a, "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
	    "Docker-Experimental: false\r\nOstype: linux\r\nServer: Docker/24.0.7 (linux)\r\n"
	    "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\nTransfer-Encoding: chunked\r\n\r\n");
	char chunk[32768];
	size_t n;
	while ((n = evbuffer_remove(body, chunk, sizeof chunk)) > 0 && n != (size_t)-1) {
		evbuffer_add_printf(a, "%zx\r\n", n);
		evbuffer_add(a, chunk, n);
		evbuffer_add(a, "\r\n", 2);
	}
	evbuffer_add(a, "0\r\n\r\n", 5);
	return a;
}

static long
rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f == NULL || fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	if (f)
		fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static double
cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Feed the answer as parse_upstream() and pass_answer() do: the head is held apart until it
 * is complete, then everything goes to the stage's sink. */
static int
run_stage(struct exchange *x, struct evbuffer *in, struct evbuffer *client)
{
	struct evbuffer *head = evbuffer_new();
	enum parse_result r = PARSE_MORE;
	char buf[65536];
	while (r == PARSE_MORE && evbuffer_get_length(in) > 0) {
		struct evbuffer *read = evbuffer_new();
		evbuffer_remove_buffer(in, read, sizeof buf);   /* one read(2) */
		while (r == PARSE_MORE && evbuffer_get_length(read) > 0) {
			struct evbuffer_iovec v;
			size_t used = 0;
			evbuffer_peek(read, -1, NULL, &v, 1);
			r = http_resp_feed(&x->resp, v.iov_base, v.iov_len, &used);
			if (r == PARSE_ERROR)
				return -1;
			if (!x->resp.headers_done) {
				evbuffer_remove_buffer(read, head, used);
				continue;
			}
			struct evbuffer *sink = response_stage_sink(x->stage, client);
			evbuffer_add_buffer(sink, head);
			evbuffer_remove_buffer(read, sink, used);
			if (response_stage_room(x->stage, &x->resp, SIZE_MAX) != STAGE_ROOM)
				return -1;   /* as parse_upstream() asks after each piece */
		}
		evbuffer_free(read);
	}
	evbuffer_free(head);
	if (r != PARSE_DONE)
		return -1;
	response_stage_release(x->stage, &x->resp, 1, NULL, client);
	return x->stage->refused ? -1 : 0;
}

static void
one(enum pol_answer_filter kind, size_t size, int fd)
{
	struct evbuffer *body = body_of(kind, size);
	size_t blen = evbuffer_get_length(body);
	struct evbuffer *in = answer_of(body), *client = evbuffer_new();
	evbuffer_free(body);
	evbuffer_pullup(in, -1);   /* the input's pages are resident before the mark */
	struct exchange *x = exchange_new(1, 8192);
	x->judged = 1;
	x->dec.verdict = POL_ALLOW;
	x->dec.answer_filter = kind;
	x->dec.tenant = "web";
	if (!exchange_wants_stage(x) || exchange_attach_stage(x, NULL) != 0)
		_exit(2);
	http_resp_init(&x->resp, 0);
	response_stage_begin(x->stage, &x->resp);
	long rss0 = rss_kib();
	double t0 = cpu_now();
	int rc = run_stage(x, in, client);
	double cpu = cpu_now() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	/* ANSWER_BENCH_OUT=prefix: the client's bytes to prefix.<kind>, to
	 * compare two builds' answers */
	const char *dump = getenv("ANSWER_BENCH_OUT");
	char path[256];
	FILE *f;
	if (dump != NULL && snprintf(path, sizeof path, "%s.%d", dump, (int)kind) > 0 &&
	    (f = fopen(path, "w")) != NULL) {
		size_t len = evbuffer_get_length(client);
		fwrite(evbuffer_pullup(client, -1), 1, len, f);
		fclose(f);
	}
	char line[200];
	int n = snprintf(line, sizeof line, "%zu %zu %.4f %ld %d\n", blen,
	    evbuffer_get_length(client), cpu, ru.ru_maxrss - rss0, rc);
	if (write(fd, line, (size_t)n) != n)
		_exit(3);
	_exit(0);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	double mib = argc > 1 ? atof(argv[1]) : 7.5;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	static const struct { enum pol_answer_filter kind; const char *name; } cases[] = {
		{ POL_ANSWER_IMAGES, "images" },
		{ POL_ANSWER_SYSTEM_DF, "system df" },
	};
	if (reps < 1 || reps > 50)
		reps = 5;
	printf("%-10s %10s %10s %9s %9s %9s %9s\n", "answer", "in bytes", "out bytes",
	    "cpu min", "cpu med", "peak min", "peak med");
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		double cpu[50], peak[50];
		size_t in = 0, out = 0;
		for (int r = 0; r < reps; r++) {
			int p[2];
			char buf[200] = "";
			if (pipe(p) != 0)
				return 1;
			pid_t pid = fork();
			if (pid == 0) {
				close(p[0]);
				one(cases[c].kind, (size_t)(mib * 1048576), p[1]);
			}
			close(p[1]);
			ssize_t n = read(p[0], buf, sizeof buf - 1);
			close(p[0]);
			int st;
			waitpid(pid, &st, 0);
			long pk;
			int rc;
			if (n <= 0 || sscanf(buf, "%zu %zu %lf %ld %d", &in, &out, &cpu[r], &pk, &rc) != 5 ||
			    rc != 0) {
				fprintf(stderr, "%s: failed (%s)\n", cases[c].name, buf);
				return 1;
			}
			peak[r] = pk / 1024.0;
		}
		qsort(cpu, (size_t)reps, sizeof cpu[0], cmp);
		qsort(peak, (size_t)reps, sizeof peak[0], cmp);
		printf("%-10s %10zu %10zu %8.3fs %8.3fs %6.1fMiB %6.1fMiB\n", cases[c].name, in, out,
		    cpu[0], cpu[reps / 2], peak[0], peak[reps / 2]);
	}
	return 0;
}
