/* policy_stub.c - placeholder policy: allows everything.
 * Replaced by the real engine (issue 3).  Only the body-inspection routing
 * is real here, because the daemon's buffering depends on it. */
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>

struct policy { int unused; };

struct policy *
policy_load(const json_t *section, char *err, size_t errlen)
{
	(void)section; (void)err; (void)errlen;
	return calloc(1, sizeof(struct policy));
}

void
policy_free(struct policy *p)
{
	free(p);
}

int
policy_wants_body(const struct policy *p, const char *method, const char *target)
{
	(void)p;
	if (strcmp(method, "POST") != 0)
		return 0;
	return strstr(target, "/containers/create") || strstr(target, "/exec") ||
	    strstr(target, "/update") || strstr(target, "/volumes/create") ||
	    strstr(target, "/services/") || strstr(target, "/plugins/");
}

void
policy_decide(const struct policy *p, struct pol_request *req, struct pol_decision *dec)
{
	(void)p; (void)req;
	memset(dec, 0, sizeof *dec);
	dec->verdict = POL_ALLOW;
	dec->endpoint = "unknown";
	dec->profile = "stub";
	dec->mode = "audit";
}

void
policy_decision_free(struct pol_decision *dec)
{
	free(dec->message); free(dec->body); free(dec->rules); free(dec->image);
	free(dec->exception); free(dec->exception_reason);
	for (size_t i = 0; i < dec->nwarnings; i++)
		free(dec->warnings[i]);
	free(dec->warnings);
	memset(dec, 0, sizeof *dec);
}
