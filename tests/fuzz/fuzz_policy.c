/* fuzz_policy.c - policy_prepare/policy_judge on arbitrary requests, with
 * engine lookups answered from the input, exactly as decide()/lookup_done()
 * in daemon/session_request.c drive it.
 *
 * Input:
 *   byte 0  who asks (selects policy and identity; see callers[] below;
 *           cn=red and cn=blue are tenants)
 *   byte 1  bit 0: the request was chunked (has a body even when it is empty)
 *           bit 1: the session's body buffer exists (from an earlier request)
 *           bit 2: Content-Type sent twice
 *           bit 3: no Content-Type header at all
 *           bit 4: a host path resolver (symlinks) is given
 *           bit 5: host sockets are given
 *   then    METHOD \n TARGET \n CONTENT-TYPE \n BODY
 *   then    zero or more lookup answers, each "\0\1L" + status selector byte + JSON;
 *           the n-th lookup the policy asks for gets the n-th answer, later ones
 *           find the engine unreachable.
 *
 * Invariants: the verdict is one of the three; a denial has a 4xx/5xx status
 * and a message and forwards nothing; an allowed inspected request with a
 * body forwards valid JSON, and that JSON judged again is allowed and
 * forwarded unchanged (what the engine receives is what was judged); a
 * lookup round always asks for something new (else the daemon would recurse
 * forever); the body is decoded at most once per request, and rounds after
 * the first do without the raw body; everything is freed (LeakSanitizer). */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/identity_parse.h"
#include "policy/prepared.h"
#include "policy/reqtarget.h"
#include "policy/policy.h"

static const char config_text[] =
    "{\"default_profile\": \"restricted\","
    " \"profiles\": {"
    "  \"dev\": {\"base\": \"baseline\"},"
    "  \"ci\": {\"base\": \"restricted\", \"mode\": \"warn\", \"memory_max\": \"8g\","
    "          \"cpus_max\": 2, \"pids_max\": 512, \"bind_prefixes\": [\"/srv/ci\"],"
    "          \"cap_add\": [\"net_bind_service\"], \"buildkit\": true,"
    "          \"rules\": {\"network.default_bridge\": false}},"
    "  \"aud\": {\"base\": \"restricted\", \"mode\": \"audit\"},"
    "  \"ops\": {\"base\": \"unrestricted\"},"
    "  \"svc\": {\"base\": \"restricted\", \"endpoints_allow\": [\"service.*\"]},"
    "  \"tq\": {\"base\": \"baseline\", \"quota\": {\"containers\": 3, \"memory\": \"1g\","
    "          \"cpus\": 2, \"volumes\": 2}}"
    " },"
    " \"bindings\": ["
    "  {\"match\": {\"cn\": \"dev-*\"}, \"profile\": \"dev\"},"
    "  {\"match\": {\"cn\": \"ci\"}, \"profile\": \"ci\"},"
    "  {\"match\": {\"cn\": \"aud\"}, \"profile\": \"aud\"},"
    "  {\"match\": {\"cn\": \"tenant-web\"}, \"profile\": \"dev\", \"tenant\": \"web\"},"
    "  {\"match\": {\"uid\": 0}, \"profile\": \"ops\"},"
    "  {\"match\": {\"user\": \"svc\"}, \"profile\": \"svc\"},"
    "  {\"match\": {\"cn\": \"red\"}, \"profile\": \"dev\", \"tenant\": \"red\"},"
    "  {\"match\": {\"cn\": \"blue\"}, \"profile\": \"tq\", \"tenant\": \"blue\"}"
    " ],"
    " \"exceptions\": [{\"rule\": \"mounts.bind_prefix\", \"identity\": {\"cn\": \"backup\"},"
    "   \"images\": [\"local/backup:*\"], \"reason\": \"backup agent reads /tmp\"}]"
    "}";

static const struct {
	int builtin;          /* policy_load(NULL) */
	const char *identity;
} callers[] = {
	{ 1, "uid=1000,gid=1000,user=dev" },
	{ 0, "cn=dev-alice" },
	{ 0, "cn=ci" },
	{ 0, "uid=0,gid=0,user=root" },
	{ 0, "uid=1001,gid=1001,user=svc" },
	{ 0, "cn=backup" },
	{ 0, "uid=1000,gid=1000,user=dev" },
	{ 0, "cn=aud" },
	{ 0, "cn=tenant-web" },
	{ 0, "cn=red" },      /* tenants: ownership, stamping, quotas */
	{ 0, "cn=blue" },
};

static struct policy *builtin_pol, *config_pol;
static struct sw_identity idents[sizeof callers / sizeof callers[0]];

static int
fake_resolve(void *ctx, const char *path, char *out, size_t outlen)
{
	(void)ctx;
	/* a pure stand-in for realpath on the engine host */
	const char *to = NULL;
	if (strncmp(path, "/link", 5) == 0)
		to = "/var/run/docker.sock";
	else if (strncmp(path, "/srv/ci/up", 10) == 0)
		to = "/etc";
	else if (strncmp(path, "/missing", 8) == 0)
		return -1;
	else
		to = path;
	if (strlen(to) >= outlen)
		return -1;
	memcpy(out, to, strlen(to) + 1);
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];
	struct pol_load_errors perr = { 0 };
	(void)argc;
	(void)argv;
	builtin_pol = policy_load(NULL, &perr);
	json_t *cfg = json_loads(config_text, 0, NULL);
	config_pol = cfg ? policy_load(cfg, &perr) : NULL;
	if (builtin_pol == NULL || config_pol == NULL) {
		fprintf(stderr, "fuzz_policy: policy_load: %s: %s\n", perr.n ? perr.v[0].path : "",
		    perr.n ? perr.v[0].message : "");
		abort();
	}
	json_decref(cfg);
	for (size_t i = 0; i < sizeof callers / sizeof callers[0]; i++)
		if (sw_identity_parse(callers[i].identity, &idents[i], err, sizeof err) != 0) {
			fprintf(stderr, "fuzz_policy: identity %s: %s\n", callers[i].identity, err);
			abort();
		}
	return 0;
}

/* Take bytes up to '\n' as a NUL-terminated string. */
static char *
take_line(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = malloc(n + 1);
	assert(s != NULL);
	memcpy(s, *p, n);
	s[n] = 0;
	*p = nl ? nl + 1 : end;
	return s;
}

struct answers {
	const uint8_t *at[POL_MAX_LOOKUPS * 2];
	size_t len[POL_MAX_LOOKUPS * 2];
	size_t n, next;
};

static const char sep[] = { 0, 1, 'L' };

static void
answer(struct answers *a, struct pol_lookup *l)
{
	static const int statuses[] = { 200, 404, 0, 500, 200, 200, 409, 200 };
	l->done = 1;
	l->status = 0;
	l->json = NULL;
	if (a->next >= a->n)
		return;   /* lookup_start failed: the engine is unreachable */
	const uint8_t *p = a->at[a->next];
	size_t n = a->len[a->next];
	a->next++;
	if (n == 0)
		return;
	l->status = statuses[p[0] & 7];
	if (l->status != 200)
		return;
	/* as lookup.c parse_answer: jansson with no flags, unreadable = status 0 */
	l->json = json_loadb((const char *)p + 1, n - 1, 0, NULL);
	if (l->json == NULL)
		l->status = 0;
}

static void
check_decision(const struct pol_decision *d)
{
	assert(d->verdict == POL_ALLOW || d->verdict == POL_DENY || d->verdict == POL_NEED_LOOKUP);
	assert(d->endpoint != NULL && d->profile != NULL);
	assert(d->mode == POL_MODE_ENFORCE || d->mode == POL_MODE_WARN || d->mode == POL_MODE_AUDIT);
	assert(d->nrules <= POL_MAX_RULES);
	if (d->verdict == POL_DENY) {
		assert(d->status >= 400 && d->status <= 599);
		assert(d->message != NULL && d->message[0] != 0);
		assert(d->body == NULL);
	}
	if (d->body != NULL)
		assert(d->body_len == strlen(d->body));
	for (size_t i = 0; i < d->nwarnings; i++)
		assert(d->warnings[i] != NULL);
}

/* The second judgement of a forwarded body: the engine answers as it did
 * the first time (same kind and name), anything new finds it unreachable. */
static void
answer_again(struct pol_prepared *first, struct pol_lookup *l)
{
	struct pol_lookup *had;
	size_t n = policy_lookups(first, &had);

	l->done = 1;
	l->status = 0;
	l->json = NULL;
	for (size_t i = 0; i < n; i++)
		if (had[i].done && had[i].kind == l->kind && strcmp(had[i].name, l->name) == 0) {
			l->status = had[i].status;
			l->json = json_incref(had[i].json);
			return;
		}
	/* a tenant's forwarded body names its references by the full ID the
	 * first answers gave: the engine resolves that ID to the same object */
	for (size_t i = 0; i < n; i++)
		if (had[i].done && had[i].kind == l->kind && had[i].status == 200 &&
		    strcmp(json_string_value(json_object_get(had[i].json, "Id")) ?
		    json_string_value(json_object_get(had[i].json, "Id")) : "", l->name) == 0) {
			l->status = 200;
			l->json = json_incref(had[i].json);
			return;
		}
}

/* Judge req the way the daemon does: ask again until no lookup is pending.
 * Answers come from a, or (a NULL) as first answered them. */
static void
judge(const struct policy *pol, struct pol_prepared *pp, const struct pol_request *req,
    struct answers *a, struct pol_prepared *first, struct pol_decision *dec)
{
	struct pol_request r = *req;

	for (int round = 0;; round++) {
		assert(round <= POL_MAX_LOOKUPS + 1);
		policy_judge(pol, pp, &r, dec);
		check_decision(dec);
		assert(policy_prepared_decodes(pp) <= 1);
		if (dec->verdict != POL_NEED_LOOKUP)
			return;
		struct pol_lookup *lookups;
		size_t n = policy_lookups(pp, &lookups);
		assert(n > 0 && n <= POL_MAX_LOOKUPS);
		size_t pending = 0;
		for (size_t i = 0; i < n; i++)
			if (!lookups[i].done) {
				pending++;
				if (a != NULL)
					answer(a, &lookups[i]);
				else
					answer_again(first, &lookups[i]);
			}
		/* nothing new asked: the daemon's start_lookups -> decide would recurse */
		assert(pending > 0);
		policy_decision_free(dec);
		/* the first round decoded the body: later ones must not need it */
		r.body = NULL;
		r.body_len = 0;
	}
}

/* A tenant's allowed list, events or prune goes with a request-target of
 * the same route whose filters carry the tenant's term, and judging that
 * target again gives it back unchanged; image, network and df lists ask
 * for their answer to be filtered. */
static void
check_tenant_narrowed(const struct policy *pol, const struct pol_prepared *pp,
    const struct pol_request *req, const struct pol_decision *dec)
{
	static const char *const label_eps[] = { "container.list", "container.prune", "volume.list",
		"volume.prune", "network.prune", "image.prune", "system.events", "service.list",
		"secret.list", "config.list" };
	static const char *const answer_eps[] = { "image.list", "network.list", "system.df" };
	int label = 0;
	for (size_t i = 0; i < sizeof label_eps / sizeof label_eps[0]; i++)
		label |= strcmp(dec->endpoint, label_eps[i]) == 0;
	for (size_t i = 0; i < sizeof answer_eps / sizeof answer_eps[0]; i++)
		if (strcmp(dec->endpoint, answer_eps[i]) == 0 && dec->answer_filter == POL_ANSWER_NONE) {
			fprintf(stderr, "tenant's %s answer not filtered\n", dec->endpoint);
			abort();
		}
	if (!label)
		return;
	if (dec->target == NULL) {
		fprintf(stderr, "tenant's %s forwarded without the tenant's filter\n", dec->endpoint);
		abort();
	}
	struct pol_prepared *pp2 = policy_prepare(pol, pp->method, dec->target);
	assert(pp2 != NULL);
	if (pp2->route != pp->route) {
		fprintf(stderr, "narrowed target %s routes elsewhere\n", dec->target);
		abort();
	}
	const char *f = reqtarget_get(&pp2->rt, "filters");
	json_t *doc = f ? json_loads(f, 0, NULL) : NULL;
	char term[128];   /* the identity's own tenant (web, red, blue) */
	snprintf(term, sizeof term, "io.sockward.tenant=%s", dec->tenant);
	if (!json_is_true(json_object_get(json_object_get(doc, "label"), term))) {
		fprintf(stderr, "narrowed target %s lacks the tenant's term\n", dec->target);
		abort();
	}
	json_decref(doc);
	struct pol_decision dec2;
	struct pol_request req2 = *req;
	policy_judge(pol, pp2, &req2, &dec2);
	if (dec2.verdict != POL_ALLOW || dec2.target == NULL || strcmp(dec2.target, dec->target) != 0) {
		fprintf(stderr, "narrowed target is not a fixed point:\n first: %s\n again: %s\n",
		    dec->target, dec2.target ? dec2.target : "(none)");
		abort();
	}
	policy_decision_free(&dec2);
	policy_prepared_free(pp2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t who = data[0] % (sizeof callers / sizeof callers[0]);
	uint8_t opts = data[1];
	const struct policy *pol = callers[who].builtin ? builtin_pol : config_pol;
	const uint8_t *p = data + 2, *end = data + size;
	char *method = take_line(&p, end);
	char *target = take_line(&p, end);
	char *ctype = take_line(&p, end);

	/* body, then lookup answers */
	struct answers ans;
	memset(&ans, 0, sizeof ans);
	const uint8_t *s = memmem(p, (size_t)(end - p), sep, sizeof sep);
	const uint8_t *body_end = s ? s : end;
	while (s != NULL && ans.n < sizeof ans.at / sizeof ans.at[0]) {
		const uint8_t *from = s + sizeof sep;
		const uint8_t *nx = memmem(from, (size_t)(end - from), sep, sizeof sep);
		ans.at[ans.n] = from;
		ans.len[ans.n] = (size_t)((nx ? nx : end) - from);
		ans.n++;
		s = nx;
	}
	size_t blen = (size_t)(body_end - p);
	char *body = malloc(blen + 1);
	assert(body != NULL);
	memcpy(body, p, blen);
	body[blen] = 0;

	static const char ctn[] = "Content-Type";
	struct pol_header hdrs[3] = {
		{ "Host", 4, "docker", 6 },
		{ ctn, sizeof ctn - 1, ctype, strlen(ctype) },
		{ "content-type", 12, ctype, strlen(ctype) },
	};
	size_t nh = (opts & 8) ? 1 : (opts & 4) ? 3 : 2;
	static const char *const host_socks[] = { "/run/sockward/engine.sock", "/tmp/dock/docker.sock" };
	struct pol_prepared *pp = policy_prepare(pol, method, target);
	assert(pp != NULL);

	/* as fill_pol_request: the body is given only for inspected endpoints */
	int inspect = policy_prepared_wants_body(pp);
	struct pol_request req = {
		.headers = hdrs, .nheaders = nh,
		.has_body = blen > 0 || (opts & 1),
		.identity = &idents[who],
		.resolve_path = (opts & 16) ? fake_resolve : NULL,
		.host_sockets = (opts & 32) ? host_socks : NULL,
		.nhost_sockets = (opts & 32) ? 2 : 0,
	};
	if (inspect && (blen > 0 || (opts & 2))) {
		req.body = body;
		req.body_len = blen;
	}

	struct pol_decision dec;
	judge(pol, pp, &req, &ans, NULL, &dec);
	if (dec.verdict == POL_ALLOW && inspect && req.body != NULL && blen > 0 && dec.body == NULL) {
		/* body_optional endpoints may ignore an empty body, never a real one */
		fprintf(stderr, "allowed inspected body not forwarded as judged\n");
		abort();
	}
	if (dec.verdict == POL_ALLOW && dec.body != NULL) {
		json_t *fw = json_loadb(dec.body, dec.body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
		    JSON_REJECT_DUPLICATES, NULL);
		assert(fw != NULL);
		json_decref(fw);
		/* the forwarded document judged again, as a request of its own
		 * with the engine answering the same: same verdict, same bytes */
		struct pol_prepared *pp2 = policy_prepare(pol, method, target);
		assert(pp2 != NULL);
		struct pol_request req2 = req;
		req2.body = dec.body;
		req2.body_len = dec.body_len;
		req2.has_body = 1;
		struct pol_decision dec2;
		judge(pol, pp2, &req2, NULL, pp, &dec2);
		if (dec2.verdict != POL_ALLOW || dec2.body == NULL || strcmp(dec2.body, dec.body) != 0) {
			fprintf(stderr, "forwarded body is not a fixed point:\n first: %s\n again: %s (%s)\n",
			    dec.body, dec2.body ? dec2.body : "(none)",
			    dec2.message ? dec2.message : "");
			abort();
		}
		policy_decision_free(&dec2);
		policy_prepared_free(pp2);
	}
	if (dec.verdict == POL_ALLOW && dec.tenant != NULL)
		check_tenant_narrowed(pol, pp, &req, &dec);
	policy_decision_free(&dec);
	policy_prepared_free(pp);
	free(method);
	free(target);
	free(ctype);
	free(body);
	return 0;
}
