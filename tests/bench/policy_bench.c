/* policy_bench.c - time policy decisions (policy_prepare, policy_judge per
 * round) on the kitchen-sink create body.
 *
 *   cc -std=c11 -O2 -D_GNU_SOURCE -I. policy/[a-z]*.c tests/bench/policy_bench.c \
 *      -o tests/bench/policy-bench -ljansson -lm
 *   (cd tests && ./bench/policy-bench [ITERATIONS])
 *
 * Each iteration is a full decision: target and query decoding, routing,
 * JSON parse, Go-type decoding, every restricted rule, the denial message
 * and the re-serialized body.  The second figure is the common plain
 * `docker run` (no --user): the same body with an empty User, which needs
 * an image lookup and so a second round of judgement. */
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
 * the daemon's decide()/lookup_done() do.  Returns the denials. */
static long
run(const struct policy *pol, const struct sw_identity *id, const char *body, size_t len,
    long iters, const json_t *image_user, double *ns)
{
	static const char ctn[] = "Content-Type", ctv[] = "application/json";
	struct pol_header h = { ctn, sizeof ctn - 1, ctv, sizeof ctv - 1 };
	struct pol_decision d;
	struct timespec t0, t1;
	long denied = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < iters; i++) {
		struct pol_request req = {
			.headers = &h, .nheaders = 1, .has_body = 1, .body = body, .body_len = len,
			.identity = id,
		};
		struct pol_prepared *pp = policy_prepare(pol, "POST",
		    "/v1.41/containers/create?name=capt-ks");
		for (;;) {
			policy_judge(pol, pp, &req, &d);
			if (d.verdict != POL_NEED_LOOKUP)
				break;
			policy_decision_free(&d);
			struct pol_lookup *lookups;
			size_t n = policy_lookups(pp, &lookups);
			for (size_t k = 0; k < n; k++) {
				lookups[k].done = 1;
				lookups[k].status = 200;
				lookups[k].json = json_incref((json_t *)image_user);
			}
		}
		denied += d.verdict == POL_DENY;
		policy_decision_free(&d);
		policy_prepared_free(pp);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*ns = elapsed_ns(&t0, &t1) / (double)iters;
	return denied;
}

int
main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 100000;
	struct pol_load_errors perr = { 0 };
	size_t len, len2;
	char *body = slurp("fixtures/policy/kitchen-sink-create.json", &len);
	char *body2 = without_user(body, len, &len2);
	struct policy *pol = policy_load(NULL, &perr);
	struct sw_identity id = { .kind = SW_ID_CERT, .cn = "bench" };
	json_t *image = json_pack("{s{ss}}", "Config", "User", "1000");
	double ns;

	if (pol == NULL || iters <= 0) {
		fprintf(stderr, "policy_bench: %s\n", pol ? "bad iteration count" : "policy_load failed");
		return 2;
	}
	sw_identity_format(&id);
	long denied = run(pol, &id, body, len, iters, NULL, &ns);
	printf("policy decision (kitchen-sink create, %zu bytes): %ld decisions, %.0f ns/decision "
	    "(%ld denied)\n", len, iters, ns, denied);
	long denied2 = run(pol, &id, body2, len2, iters, image, &ns);
	printf("policy decision with an image lookup round (same body, empty User): %ld decisions, "
	    "%.0f ns/decision (%ld denied)\n", iters, ns, denied2);
	json_decref(image);
	policy_free(pol);
	free(body);
	free(body2);
	return denied == iters && denied2 == iters ? 0 : 1;
}
