/* test_policy_cases.c - table-driven policy tests from tests/policy/ (every .json file).
 *
 * Each file: { "config": <policy section, optional> | "config_file": <a whole
 *   configuration, path from tests/, e.g. ../conf/team-gateway.json: its
 *   "policy">, "cases": [ {
 *   "name", "identity" ("cn=alice" ...), "method", "target",
 *   "content_type" (default application/json when there is a body),
 *   "content_types": [ ... ] (that many Content-Type headers instead),
 *   "body" (JSON) | "body_raw" (string) | "body_file" (path from tests/)
 *   | "merge" (deep-merged into fixtures/policy/compliant-create.json),
 *   "lookups": [ { "kind": "image"|"container"|"volume"|"network"|"exec"|
 *     "tenant-containers"|"tenant-volumes"|"service"|"secret"|"config"|"task"
 *     (pol_lookup_kind_name), "name", "status", "json" } ]
 *     (a volume not listed is answered 404, a network not listed is a
 *     user-defined bridge network of that name, any other lookup not listed 0),
 *   "resolve": { "/host/path": "/its/real/path" | null (cannot be resolved) }: the
 *     daemon's view of the host (paths not listed resolve to themselves; without
 *     "resolve" there is no host view, as in sockward eval),
 *   archive uploads (PUT .../archive with a tar body_file): the body streams
 *     through the archive judge twice, whole and byte by byte, with the same
 *     outcome; "expect": { "archive_cut_at": N } says the upload is refused and
 *     exactly its first N bytes were forwarded, else all of it is,
 *   "expect": { "verdict": "allow"|"deny", "status", "rules": [...] (exact,
 *     in any order), "rules_include": [...], "message_contains",
 *     "forwarded": <JSON the forwarded body must equal>,
 *     "forwarded_has": { "A.B": <value at that dotted path of the forwarded body> },
 *     "forwarded_lacks": [ "A.B" (a dotted path absent from it) ], "exception",
 *     (paths are split at '/' instead when they hold one: "Labels/io.sockward.tenant")
 *     "forwarded_target": the request-target forwarded instead of the client's
 *     (null: the client's own),
 *     "warnings": N, "warning_contains", "message_lacks" (in neither the message
 *     nor a warning), "mode" (the decision's) } } ] } */
#include <check.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/identity_parse.h"
#include "policy/policy.h"
#include "tests/unit/policy_case.h"

struct pcase {
	char file[128];
	size_t index;
};

static struct pcase *cases;
static size_t ncases;

static void
collect(void)
{
	glob_t g;

	if (cases != NULL || glob("policy/*.json", 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		json_t *f = json_load_file(g.gl_pathv[i], JSON_ALLOW_NUL, NULL);
		size_t n = json_array_size(json_object_get(f, "cases"));
		struct pcase *nc = realloc(cases, (ncases + n) * sizeof *nc);
		if (nc == NULL)
			break;
		cases = nc;
		for (size_t k = 0; k < n; k++) {
			snprintf(cases[ncases].file, sizeof cases[ncases].file, "%s", g.gl_pathv[i]);
			cases[ncases++].index = k;
		}
		json_decref(f);
	}
	globfree(&g);
}

static char *
build_body(const json_t *tc, size_t *len)
{
	const json_t *v;
	char *s = NULL;

	if ((v = json_object_get(tc, "body_raw")) != NULL) {
		*len = json_string_length(v);
		s = malloc(*len + 1);
		memcpy(s, json_string_value(v), *len + 1);
		return s;
	}
	if ((v = json_object_get(tc, "body_file")) != NULL) {
		FILE *f = fopen(json_string_value(v), "rb");
		ck_assert_msg(f != NULL, "cannot open %s", json_string_value(v));
		s = malloc(1 << 20);
		*len = fread(s, 1, (1 << 20) - 1, f);
		s[*len] = '\0';
		fclose(f);
		return s;
	}
	if ((v = json_object_get(tc, "merge")) != NULL) {
		json_t *base = json_load_file("fixtures/policy/compliant-create.json", 0, NULL);
		ck_assert(base != NULL);
		json_object_update_recursive(base, (json_t *)v);
		s = json_dumps(base, JSON_COMPACT);
		json_decref(base);
	} else if ((v = json_object_get(tc, "body")) != NULL)
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	*len = s ? strlen(s) : 0;
	return s;
}

static void
answer_lookups(const json_t *tc, struct pol_prepared *pp)
{
	const json_t *answers = json_object_get(tc, "lookups");
	struct pol_lookup *lookups;
	size_t n = policy_lookups(pp, &lookups);

	for (size_t i = 0; i < n; i++) {
		struct pol_lookup *l = &lookups[i];
		size_t k;
		json_t *a;
		if (l->done)
			continue;
		l->done = 1;
		/* a volume no case lists is not on the engine (dockerd would
		 * create it from the request); anything else unlisted is an
		 * engine that cannot be asked */
		l->status = l->kind == POL_LOOKUP_VOLUME ? 404 : 0;
		/* a network no case lists is a user-defined bridge network of
		 * that name, the kind the cases attach to ("appnet") */
		if (l->kind == POL_LOOKUP_NETWORK) {
			l->status = 200;
			json_decref(l->json);
			l->json = json_pack("{s:s, s:s, s:s, s:{s:s}, s:{}}", "Name", l->name,
			    "Driver", "bridge", "Scope", "local", "IPAM", "Driver", "default",
			    "Options");
		}
		json_array_foreach(answers, k, a) {
			const char *kind = json_string_value(json_object_get(a, "kind"));
			if (kind == NULL)
				kind = "image";
			if (strcmp(kind, pol_lookup_kind_name(l->kind)) == 0 &&
			    strcmp(json_string_value(json_object_get(a, "name")), l->name) == 0) {
				l->status = (int)json_integer_value(json_object_get(a, "status"));
				json_decref(l->json);   /* pp owns the answers */
				l->json = json_incref(json_object_get(a, "json"));
			}
		}
	}
}

static int
table_resolve(void *ctx, const char *path, char *out, size_t outlen)
{
	const json_t *v = json_object_get(ctx, path);
	const char *r = v == NULL ? path : json_string_value(v);
	if (r == NULL || strlen(r) >= outlen)
		return -1;
	memcpy(out, r, strlen(r) + 1);
	return 0;
}

/* Stream body through the archive judge step bytes at a time; returns the
 * most the judge ever let go (clamped to what was fed), *denied whether it
 * refused. */
static uint64_t
stream_archive(const struct pol_prepared *pp, const char *body, size_t len, size_t step,
    struct pol_decision *d, int *denied)
{
	struct pol_archive *a = policy_archive_begin(pp);
	uint64_t most = 0, s;

	ck_assert_ptr_nonnull(a);
	*denied = 0;
	for (size_t off = 0; off < len && !*denied; off += step) {
		size_t n = len - off < step ? len - off : step;
		*denied = policy_archive_feed(a, body + off, n, d) == POL_ARCHIVE_DENY;
		s = policy_archive_safe(a);
		if (s > off + n)
			s = off + n;
		if (s > most)
			most = s;
	}
	if (!*denied)
		*denied = policy_archive_end(a, d) == POL_ARCHIVE_DENY;
	if (!*denied && (s = policy_archive_safe(a)) > most)
		most = s > len ? len : s;
	policy_archive_free(a);
	return most;
}

static void
check_archive_stream(const char *name, const json_t *tc, const struct pol_prepared *pp,
    const char *body, size_t len, struct pol_decision *d)
{
	const json_t *cut = json_object_get(json_object_get(tc, "expect"), "archive_cut_at");
	struct pol_decision scratch;
	int denied1, denied2;

	memset(&scratch, 0, sizeof scratch);
	scratch.mode = d->mode;
	uint64_t bytewise = stream_archive(pp, body, len, 1, &scratch, &denied1);
	policy_decision_free(&scratch);
	uint64_t whole = stream_archive(pp, body, len, len, d, &denied2);
	ck_assert_msg(denied1 == denied2 && bytewise == whole, "%s: byte by byte: denied %d, %llu "
	    "bytes forwarded; whole: denied %d, %llu bytes", name, denied1,
	    (unsigned long long)bytewise, denied2, (unsigned long long)whole);
	if (cut != NULL) {
		ck_assert_msg(denied2, "%s: the upload was not refused", name);
		ck_assert_msg(whole == (uint64_t)json_integer_value(cut), "%s: %llu bytes forwarded, "
		    "want %lld", name, (unsigned long long)whole, (long long)json_integer_value(cut));
	} else {
		ck_assert_msg(!denied2 && whole == len, "%s: %llu of %zu bytes forwarded (%s)", name,
		    (unsigned long long)whole, len, d->message ? d->message : "");
	}
}

static int
rule_listed(const struct pol_decision *d, const char *id)
{
	for (size_t i = 0; i < d->nrules; i++)
		if (strcmp(pol_rule_name(d->rules[i]), id) == 0)
			return 1;
	return 0;
}

/* the value at a dotted path ("HostConfig.Memory"), or NULL */
static const json_t *
at_path(const json_t *doc, const char *path)
{
	char buf[256], *save = NULL;

	/* "A/B/io.sockward.tenant": '/' separates when a key holds dots */
	const char *sep = strchr(path, '/') ? "/" : ".";
	snprintf(buf, sizeof buf, "%s", path);
	for (char *seg = strtok_r(buf, sep, &save); seg && doc; seg = strtok_r(NULL, sep, &save))
		doc = json_object_get(doc, seg);
	return doc;
}

static void
check_forwarded_paths(const char *name, const json_t *exp, const struct pol_decision *d)
{
	const json_t *has = json_object_get(exp, "forwarded_has");
	const json_t *lacks = json_object_get(exp, "forwarded_lacks"), *v;
	const char *key;
	size_t i;

	if (has == NULL && lacks == NULL)
		return;
	ck_assert_msg(d->body != NULL, "%s: nothing forwarded", name);
	json_t *fw = json_loadb(d->body, d->body_len, JSON_DECODE_ANY, NULL);
	ck_assert_msg(fw != NULL, "%s: forwarded body is not JSON", name);
	json_object_foreach((json_t *)has, key, v) {
		const json_t *got = at_path(fw, key);
		ck_assert_msg(got != NULL && json_equal(got, v), "%s: forwarded %s lacks %s",
		    name, d->body, key);
	}
	json_array_foreach(lacks, i, v)
		ck_assert_msg(at_path(fw, json_string_value(v)) == NULL,
		    "%s: forwarded %s has %s", name, d->body, json_string_value(v));
	json_decref(fw);
}

static void
check_expect(const char *name, const json_t *exp, const struct pol_decision *d)
{
	const char *verdict = json_string_value(json_object_get(exp, "verdict"));
	const char *got = d->verdict == POL_ALLOW ? "allow" : d->verdict == POL_DENY ? "deny"
	    : "need-lookup";
	const json_t *v;
	size_t i;
	json_t *r;
	char fired[POL_RULES_TEXT_MAX];

	if (pol_rules_join(d, fired, sizeof fired) == 0)
		snprintf(fired, sizeof fired, "none");

	ck_assert_msg(strcmp(verdict, got) == 0, "%s: verdict %s, want %s (%s)", name, got,
	    verdict, d->message ? d->message : "");
	if ((v = json_object_get(exp, "status")) != NULL)
		ck_assert_msg(d->status == json_integer_value(v), "%s: status %d, want %d (%s)",
		    name, d->status, (int)json_integer_value(v), d->message ? d->message : "");
	if ((v = json_object_get(exp, "rules")) != NULL) {
		json_array_foreach(v, i, r)
			ck_assert_msg(rule_listed(d, json_string_value(r)),
			    "%s: rule %s did not fire (fired: %s)", name, json_string_value(r), fired);
		/* exactly these: same count once duplicates are allowed for */
		for (size_t n = 0; n < d->nrules; n++) {
			const char *id = pol_rule_name(d->rules[n]);
			size_t k;
			int found = 0;
			json_array_foreach(v, k, r)
				if (strcmp(json_string_value(r), id) == 0)
					found = 1;
			ck_assert_msg(found, "%s: unexpected rule %s (fired: %s)", name, id, fired);
		}
	}
	if ((v = json_object_get(exp, "rules_include")) != NULL)
		json_array_foreach(v, i, r)
			ck_assert_msg(rule_listed(d, json_string_value(r)),
			    "%s: rule %s did not fire (fired: %s)", name, json_string_value(r), fired);
	if ((v = json_object_get(exp, "rule_count")) != NULL)
		ck_assert_msg(d->nrules == (size_t)json_integer_value(v),
		    "%s: %zu violations, want %d (%s)", name, d->nrules,
		    (int)json_integer_value(v), fired);
	if ((v = json_object_get(exp, "message_contains")) != NULL)
		ck_assert_msg(d->message && strstr(d->message, json_string_value(v)),
		    "%s: message '%s' lacks '%s'", name, d->message ? d->message : "",
		    json_string_value(v));
	/* a text neither the message nor any warning may hold (a secret) */
	if ((v = json_object_get(exp, "message_lacks")) != NULL) {
		ck_assert_msg(d->message == NULL || strstr(d->message, json_string_value(v)) == NULL,
		    "%s: message '%s' holds '%s'", name, d->message, json_string_value(v));
		for (size_t w = 0; w < d->nwarnings; w++)
			ck_assert_msg(strstr(d->warnings[w], json_string_value(v)) == NULL,
			    "%s: warning '%s' holds '%s'", name, d->warnings[w], json_string_value(v));
	}
	if ((v = json_object_get(exp, "warning_contains")) != NULL) {
		int found = 0;
		for (size_t w = 0; w < d->nwarnings; w++)
			found |= strstr(d->warnings[w], json_string_value(v)) != NULL;
		ck_assert_msg(found, "%s: no warning holds '%s'", name, json_string_value(v));
	}
	if ((v = json_object_get(exp, "mode")) != NULL)
		ck_assert_msg(strcmp(pol_mode_name(d->mode), json_string_value(v)) == 0,
		    "%s: mode %s, want %s", name, pol_mode_name(d->mode), json_string_value(v));
	/* "answer_filter": "none"|"images"|"networks"|"system_df"|"network": how a tenant's
	 * list answer is rewritten (policy/tenant_answer.h) */
	if ((v = json_object_get(exp, "answer_filter")) != NULL) {
		static const char *const af[] = { "none", "images", "networks", "system_df",
		    "network" };
		ck_assert_msg(strcmp(af[d->answer_filter], json_string_value(v)) == 0,
		    "%s: answer_filter %s, want %s", name, af[d->answer_filter], json_string_value(v));
	}
	if ((v = json_object_get(exp, "exception")) != NULL)
		ck_assert_msg(d->exception_reason &&
		    strcmp(d->exception_reason, json_string_value(v)) == 0,
		    "%s: exception reason '%s'", name, d->exception_reason ? d->exception_reason : "");
	if ((v = json_object_get(exp, "warnings")) != NULL)
		ck_assert_msg(d->nwarnings == (size_t)json_integer_value(v),
		    "%s: %zu warnings", name, d->nwarnings);
	if ((v = json_object_get(exp, "forwarded_target")) != NULL) {
		if (json_is_null(v))
			ck_assert_msg(d->target == NULL, "%s: forwarded target %s, want the client's",
			    name, d->target);
		else
			ck_assert_msg(d->target != NULL && strcmp(d->target, json_string_value(v)) == 0,
			    "%s: forwarded target %s, want %s", name, d->target ? d->target : "(client's)",
			    json_string_value(v));
	}
	check_forwarded_paths(name, exp, d);
	if ((v = json_object_get(exp, "forwarded")) != NULL) {
		ck_assert_msg(d->body != NULL, "%s: nothing forwarded", name);
		json_t *fw = json_loadb(d->body, d->body_len, JSON_DECODE_ANY, NULL);
		ck_assert_msg(fw != NULL && json_equal(fw, v), "%s: forwarded %s", name, d->body);
		json_decref(fw);
	}
}

void
policy_case_run(const char *name, const json_t *file, const json_t *tc)
{
	char err[512];
	struct sw_identity id;
	struct policy *pol;
	struct pol_load_errors perr = { 0 };
	/* "config_file": a shipped configuration (path from tests/), its policy */
	const char *cf = json_string_value(json_object_get(file, "config_file"));
	json_t *shipped = NULL;
	if (cf != NULL) {
		json_error_t je;
		shipped = json_load_file(cf, JSON_REJECT_DUPLICATES, &je);
		ck_assert_msg(shipped != NULL, "%s: %s: %s", name, cf, je.text);
	}
	pol = policy_load(shipped ? json_object_get(shipped, "policy")
	    : json_object_get(file, "config"), &perr);
	json_decref(shipped);
	ck_assert_msg(pol != NULL, "%s: config: %s: %s", name, perr.n ? perr.v[0].path : "",
	    perr.n ? perr.v[0].message : "");
	const char *ident = json_string_value(json_object_get(tc, "identity"));
	ck_assert_msg(sw_identity_parse(ident ? ident : "uid=1000,gid=1000,user=dev", &id, err,
	    sizeof err) == 0, "%s: identity: %s", name, err);

	size_t blen = 0;
	char *body = build_body(tc, &blen);
	const char *ct = json_string_value(json_object_get(tc, "content_type"));
	static const char ctn[] = "Content-Type";
	if (ct == NULL && body != NULL)
		ct = "application/json";
	struct pol_header hdrs[4] = { { ctn, sizeof ctn - 1, ct, ct ? strlen(ct) : 0 } };
	size_t nhdrs = ct ? 1 : 0;
	const json_t *cts = json_object_get(tc, "content_types"), *cv;
	size_t ci;
	if (cts != NULL) {
		nhdrs = 0;
		json_array_foreach(cts, ci, cv)
			if (nhdrs < 4) {
				hdrs[nhdrs] = (struct pol_header){ ctn, sizeof ctn - 1,
				    json_string_value(cv), json_string_length(cv) };
				nhdrs++;
			}
	}
	const char *method = json_string_value(json_object_get(tc, "method"));
	struct pol_prepared *pp = policy_prepare(pol, method ? method : "POST",
	    json_string_value(json_object_get(tc, "target")));
	ck_assert_ptr_nonnull(pp);
	struct pol_request req = {
		.headers = nhdrs ? hdrs : NULL, .nheaders = nhdrs,
		.has_body = body != NULL, .body = body, .body_len = blen,
		.identity = &id,
	};
	const json_t *resolve = json_object_get(tc, "resolve");
	if (resolve != NULL) {
		req.resolve_path = table_resolve;
		req.resolve_ctx = (void *)resolve;
	}
	struct pol_decision d;
	for (int round = 0; round <= POL_MAX_LOOKUPS; round++) {
		policy_judge(pol, pp, &req, &d);
		if (d.verdict != POL_NEED_LOOKUP)
			break;
		policy_decision_free(&d);
		answer_lookups(tc, pp);
		/* later rounds judge the document decoded by the first: the raw
		 * body is not needed again (the daemon may drop it) */
		req.body = NULL;
		req.body_len = 0;
	}
	if (d.verdict == POL_ALLOW && policy_archive_wanted(pp) && body != NULL) {
		check_archive_stream(name, tc, pp, body, blen, &d);
	}
	check_expect(name, json_object_get(tc, "expect"), &d);
	ck_assert_msg(policy_prepared_decodes(pp) <= 1, "%s: body decoded %u times", name,
	    policy_prepared_decodes(pp));
	policy_decision_free(&d);
	policy_prepared_free(pp);
	free(body);
	policy_free(pol);
}

START_TEST(policy_case)
{
	const struct pcase *pc = &cases[_i];
	json_t *file = json_load_file(pc->file, JSON_ALLOW_NUL, NULL);
	const json_t *tc = json_array_get(json_object_get(file, "cases"), pc->index);
	char name[300];

	snprintf(name, sizeof name, "%s[%zu] %s", pc->file, pc->index,
	    json_string_value(json_object_get(tc, "name")));
	policy_case_run(name, file, tc);
	json_decref(file);
}
END_TEST

Suite *
policy_cases_suite(void)
{
	Suite *s = suite_create("policy_cases");
	TCase *tc = tcase_create("cases");

	collect();
	tcase_add_loop_test(tc, policy_case, 0, (int)ncases);
	suite_add_tcase(s, tc);
	return s;
}
