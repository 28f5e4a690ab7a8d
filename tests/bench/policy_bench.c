/* policy_bench.c - time policy_decide() on the kitchen-sink create body.
 *
 *   cc -std=c11 -O2 -D_GNU_SOURCE -I. policy/[a-z]*.c tests/bench/policy_bench.c \
 *      -o tests/bench/policy-bench -ljansson -lm
 *   (cd tests && ./bench/policy-bench [ITERATIONS])
 *
 * Each iteration is a full decision: target and query decoding, routing,
 * JSON parse, Go-type decoding, every restricted rule, the denial message
 * and the re-serialized body. */
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

int
main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 100000;
	char err[256];
	size_t len;
	char *body = slurp("fixtures/policy/kitchen-sink-create.json", &len);
	struct policy *pol = policy_load(NULL, err, sizeof err);
	struct sw_identity id = { .kind = SW_ID_CERT, .cn = "bench" };
	static const char ctn[] = "Content-Type", ctv[] = "application/json";
	struct pol_header h = { ctn, sizeof ctn - 1, ctv, sizeof ctv - 1 };
	struct pol_lookup lookups[POL_MAX_LOOKUPS];
	struct pol_decision d;
	struct timespec t0, t1;
	int denied = 0;

	if (pol == NULL || iters <= 0) {
		fprintf(stderr, "policy_bench: %s\n", pol ? "bad iteration count" : err);
		return 2;
	}
	sw_identity_format(&id);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < iters; i++) {
		struct pol_request req = {
			.method = "POST", .target = "/v1.41/containers/create?name=capt-ks",
			.headers = &h, .nheaders = 1, .has_body = 1, .body = body, .body_len = len,
			.identity = &id, .lookups = lookups, .nlookups = 0,
		};
		policy_decide(pol, &req, &d);
		denied += d.verdict == POL_DENY;
		policy_decision_free(&d);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("policy_decide(kitchen-sink create, %zu bytes): %ld decisions, %.0f ns/decision "
	    "(%d denied)\n", len, iters, ns / (double)iters, denied);
	policy_free(pol);
	free(body);
	return denied == iters ? 0 : 1;
}
