/* policy_bench.c - time policy decisions (policy_prepare, policy_judge per
 * round) on the kitchen-sink create body, under the built-in profiles.
 *
 *   cc -std=c11 -O2 -D_GNU_SOURCE -I. policy/[a-z]*.c tests/bench/policy_bench.c \
 *      -o tests/bench/policy-bench -ljansson -lm
 *   (cd tests && ./bench/policy-bench [ITERATIONS [REPEATS [PROFILE,... [CASE]]]])
 *
 * PROFILE: restricted, baseline, unrestricted; CASE: kitchen-sink or
 * docker-run (default both), e.g. to count instructions of one case:
 *   valgrind --tool=callgrind ./bench/policy-bench 500 1 restricted kitchen-sink
 *
 * Each iteration is a full decision: target and query decoding, routing,
 * JSON parse, Go-type decoding, every rule of the profile, the denial
 * message (or, in audit mode, the allow with the rules recorded) and the
 * re-serialized body.  Per profile, two cases:
 *   kitchen-sink   the body as captured (User 1000:1000): one round;
 *   docker run     the same body with an empty User, as a plain `docker run`
 *                  without --user sends it: the image's user decides, so
 *                  the first round asks for an image lookup and a second
 *                  round judges with the answer (a non-root image); under
 *                  baseline, which does not judge the user, one round.
 * The cases and profiles are measured in turn, REPEATS times (the machine
 * is shared and noisy); each line gives the minimum and the median of the
 * repetitions' mean CPU time per decision (the thread's CPU clock: time the
 * shared machine's other load takes from the bench does not count).
 *
 * Exit 0 only when every decision came out as it must: denied under
 * restricted and baseline (the body breaks both), allowed under
 * unrestricted (audit mode) with rules recorded and the judged body to
 * forward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/policy.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	if (f == NULL || buf == NULL) {
		perror(path);
		exit(2);
	}
	*len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

/* The kitchen-sink body with an empty User: the image's user decides. */
static char *
without_user(const char *body, size_t len, size_t *outlen)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	char *s;

	if (doc == NULL || json_object_set_new(doc, "User", json_string("")) != 0 ||
	    (s = json_dumps(doc, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "policy_bench: cannot build the lookup body\n");
		exit(2);
	}
	json_decref(doc);
	*outlen = strlen(s);
	return s;
}

static double
elapsed_ns(const struct timespec *t0, const struct timespec *t1)
{
	return (double)(t1->tv_sec - t0->tv_sec) * 1e9 + (double)(t1->tv_nsec - t0->tv_nsec);
}

/* One decision per iteration; with image_user, every lookup the policy asks
 * for is answered with a non-root image and the request judged again, as
 * the daemon's decide()/lookup_done() do.  Returns how many decisions came
 * out as expected (deny, or allow with rules and a body). */
static long
run(const struct policy *pol, const struct sw_identity *id, const char *body, size_t len,
    long iters, const json_t *image_user, int want_deny, double *ns, int *nrounds)
{
	static const char ctn[] = "Content-Type", ctv[] = "application/json";
	struct pol_header h = { ctn, sizeof ctn - 1, ctv, sizeof ctv - 1 };
	struct pol_decision d;
	struct timespec t0, t1;
	long good = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (long i = 0; i < iters; i++) {
		struct pol_request req = {
			.headers = &h, .nheaders = 1, .has_body = 1, .body = body, .body_len = len,
			.identity = id,
		};
		struct pol_prepared *pp = policy_prepare(pol, "POST",
		    "/v1.41/containers/create?name=capt-ks");
		int rounds = 0;
		for (;;) {
			policy_judge(pol, pp, &req, &d);
			rounds++;
			if (d.verdict != POL_NEED_LOOKUP)
				break;
			policy_decision_free(&d);
			struct pol_lookup *lookups;
			size_t n = policy_lookups(pp, &lookups);
			for (size_t k = 0; k < n; k++) {
				if (lookups[k].done)
					continue;
				lookups[k].done = 1;
				lookups[k].status = 200;
				lookups[k].json = json_incref((json_t *)image_user);
			}
		}
		if (want_deny)
			good += d.verdict == POL_DENY && d.nrules > 0;
		else
			good += d.verdict == POL_ALLOW && d.nrules > 0 && d.body != NULL &&
			    d.body_len > 0;
		*nrounds = rounds;
		policy_decision_free(&d);
		policy_prepared_free(pp);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	*ns = elapsed_ns(&t0, &t1) / (double)iters;
	return good;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Is name one of the comma-separated list? */
static int
named(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *s = list; *s != '\0'; s += strcspn(s, ","), s += *s == ',')
		if (strncmp(s, name, n) == 0 && (s[n] == ',' || s[n] == '\0'))
			return 1;
	return 0;
}

#define MAX_REPEATS 50
#define NPROFILES 3

int
main(int argc, char **argv)
{
	static const char *const names[NPROFILES] = { "restricted", "baseline", "unrestricted" };
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	int repeats = argc > 2 ? atoi(argv[2]) : 5;
	const char *only = argc > 3 ? argv[3] : NULL;
	const char *which = argc > 4 ? argv[4] : NULL;
	size_t len, len2;
	char *body = slurp("fixtures/policy/kitchen-sink-create.json", &len);
	char *body2 = without_user(body, len, &len2);
	struct policy *pols[NPROFILES] = { NULL };
	struct sw_identity id = { .kind = SW_ID_CERT, .cn = "bench" };
	json_t *image = json_pack("{s{ss}}", "Config", "User", "1000");
	double ns[NPROFILES][2][MAX_REPEATS];
	int rounds[NPROFILES][2] = { { 0 } };
	int bad = 0;

	if (iters <= 0 || repeats <= 0 || repeats > MAX_REPEATS) {
		fprintf(stderr, "usage: policy-bench [ITERATIONS [REPEATS (1-%d) [PROFILE,... "
		    "[kitchen-sink|docker-run]]]]\n", MAX_REPEATS);
		return 2;
	}
	for (int p = 0; p < NPROFILES; p++) {
		struct pol_load_errors perr = { 0 };
		json_t *sect = json_pack("{ss}", "default_profile", names[p]);
		if (only != NULL && !named(only, names[p])) {
			json_decref(sect);
			continue;
		}
		if ((pols[p] = policy_load(sect, &perr)) == NULL) {
			fprintf(stderr, "policy_bench: policy_load(%s) failed\n", names[p]);
			return 2;
		}
		json_decref(sect);
	}
	sw_identity_format(&id);
	for (int r = 0; r < repeats; r++)
		for (int p = 0; p < NPROFILES; p++)
			for (int c = 0; c < 2; c++) {
				if (pols[p] == NULL || (which != NULL &&
				    strcmp(which, c ? "docker-run" : "kitchen-sink") != 0))
					continue;
				long good = run(pols[p], &id, c ? body2 : body, c ? len2 : len, iters,
				    c ? image : NULL, p != 2, &ns[p][c][r],
				    &rounds[p][c]);
				if (good != iters) {
					fprintf(stderr, "policy_bench: %s, %s: %ld of %ld decisions "
					    "not as expected\n", names[p], c ? "docker run" : "kitchen-sink",
					    iters - good, iters);
					bad = 1;
				}
			}
	printf("policy decision, kitchen-sink create body (%zu bytes), %ld decisions x %d "
	    "repetitions; CPU us per decision, min and median\n", len, iters, repeats);
	for (int p = 0; p < NPROFILES; p++)
		for (int c = 0; c < 2; c++) {
			if (pols[p] == NULL || (which != NULL &&
			    strcmp(which, c ? "docker-run" : "kitchen-sink") != 0))
				continue;
			qsort(ns[p][c], (size_t)repeats, sizeof(double), cmp_double);
			printf("  %-12s  %-13s %d round%s  %7.2f  %7.2f\n", names[p],
			    c ? "docker run" : "kitchen-sink", rounds[p][c], rounds[p][c] > 1 ? "s" : " ",
			    ns[p][c][0] / 1000, ns[p][c][repeats / 2] / 1000);
		}
	for (int p = 0; p < NPROFILES; p++)
		policy_free(pols[p]);
	json_decref(image);
	free(body);
	free(body2);
	return bad;
}
