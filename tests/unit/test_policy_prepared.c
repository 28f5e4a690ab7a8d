/* test_policy_prepared.c - one request, one decode.  A plain `docker run`
 * (no --user) under restricted needs the image's user from the engine, and
 * joining another container's network needs that container's settings: the
 * policy asks, the daemon fetches, the policy judges again.  The rounds after
 * the first reuse the canonical document of the first: the body is decoded
 * once per request, the raw body is not read again, and what is forwarded is
 * byte for byte what a single round would have forwarded. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/arena.h"
#include "policy/gotypes.h"
#include "policy/identity_parse.h"
#include "policy/jsonin.h"
#include "policy/jsonout.h"
#include "policy/policy.h"
#include "policy/prepared.h"

/* restricted, but a joined container may be judged instead of refused */
static const char config[] =
    "{\"default_profile\": \"nsjoin\", \"profiles\": {\"nsjoin\": {\"base\": \"restricted\","
    " \"container_namespaces\": \"compliant\"}}}";

/* A compliant create (tests/fixtures/policy/compliant-create.json) with an
 * empty User (image lookup) and --network container:web (container lookup). */
static const char create_body[] =
    "{\"Hostname\":\"\",\"User\":\"\",\"AttachStdout\":true,\"Cmd\":[\"true\"],"
    "\"Image\":\"local/busybox:1.36\",\"HostConfig\":{\"NetworkMode\":\"container:web\","
    "\"CapDrop\":[\"ALL\"],\"SecurityOpt\":[\"no-new-privileges\"],\"ReadonlyRootfs\":true,"
    "\"Memory\":67108864,\"NanoCpus\":500000000,\"PidsLimit\":64}}";

/* The engine's view of the joined container: compliant on its own network. */
static const char web_json[] =
    "{\"Id\":\"web\",\"HostConfig\":{\"NetworkMode\":\"appnet\",\"CapDrop\":[\"ALL\"],"
    "\"SecurityOpt\":[\"no-new-privileges\"],\"ReadonlyRootfs\":true,\"Memory\":67108864,"
    "\"NanoCpus\":500000000,\"PidsLimit\":64}}";

static struct policy *pol;
static struct sw_identity id;

static void
setup(void)
{
	json_t *sec = json_loads(config, 0, NULL);
	char err[256];

	ck_assert_ptr_nonnull(sec);
	pol = policy_load(sec, NULL);
	json_decref(sec);
	ck_assert_ptr_nonnull(pol);
	ck_assert_int_eq(sw_identity_parse("uid=1000,gid=1000,user=dev", &id, err, sizeof err), 0);
}

static void
teardown(void)
{
	policy_free(pol);
	pol = NULL;
}

/* A copy of the body the caller owns, as the daemon's de-chunked buffer. */
static char *
raw_body(size_t *len)
{
	*len = strlen(create_body);
	char *s = malloc(*len + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, create_body, *len + 1);
	return s;
}

static struct pol_request
request(const char *body, size_t len)
{
	static const struct pol_header ct = { "Content-Type", 12, "application/json", 16 };
	struct pol_request req = {
		.headers = &ct, .nheaders = 1, .has_body = 1, .body = body, .body_len = len,
		.identity = &id,
	};
	return req;
}

/* The engine's answer to one lookup; image_user "" means the image has no
 * USER (root). */
static void
answer(struct pol_lookup *l, const char *image_user)
{
	ck_assert(!l->done);
	l->done = 1;
	l->status = 200;
	if (l->kind == POL_LOOKUP_IMAGE) {
		ck_assert_str_eq(l->name, "local/busybox:1.36");
		l->json = json_pack("{s{ss}}", "Config", "User", image_user);
	} else if (l->kind == POL_LOOKUP_NETWORK) {
		/* the joined container's network, a user-defined bridge */
		ck_assert_str_eq(l->name, "appnet");
		l->json = json_pack("{ss ss s{ss} s{}}", "Name", "appnet", "Driver", "bridge",
		    "IPAM", "Driver", "default", "Options");
	} else {
		ck_assert_str_eq(l->name, "web");
		l->json = json_loads(web_json, 0, NULL);
	}
	ck_assert_ptr_nonnull(l->json);
}

/* Answer the first pending lookup only (per_round 1) or all of them. */
static size_t
answer_pending(struct pol_prepared *pp, size_t per_round, const char *image_user)
{
	struct pol_lookup *lookups;
	size_t n = policy_lookups(pp, &lookups), answered = 0;

	for (size_t i = 0; i < n && answered < per_round; i++)
		if (!lookups[i].done) {
			answer(&lookups[i], image_user);
			answered++;
		}
	return answered;
}

/* Judge until decided, answering per_round lookups a round; the raw body is
 * given to the first round only, and scribbled over and freed right after
 * it, as a daemon that drops its buffer would.  Returns the rounds. */
static int
judge_all(struct pol_prepared *pp, size_t per_round, const char *image_user,
    struct pol_decision *d)
{
	size_t len;
	char *body = raw_body(&len);
	struct pol_request req = request(body, len);
	int rounds = 0;

	for (;;) {
		policy_judge(pol, pp, &req, d);
		rounds++;
		ck_assert_uint_eq(policy_prepared_decodes(pp), 1);
		if (rounds == 1) {
			memset(body, 'x', len);
			free(body);
			req.body = NULL;
			req.body_len = 0;
		}
		if (d->verdict != POL_NEED_LOOKUP)
			return rounds;
		ck_assert_int_le(rounds, POL_MAX_LOOKUPS);
		policy_decision_free(d);
		ck_assert_uint_gt(answer_pending(pp, per_round, image_user), 0);
	}
}

START_TEST(first_round_asks_for_both_lookups)
{
	size_t len;
	char *body = raw_body(&len);
	struct pol_request req = request(body, len);
	struct pol_prepared *pp = policy_prepare(pol, "POST", "/v1.41/containers/create?name=a");
	struct pol_decision d;
	struct pol_lookup *lookups;

	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(policy_prepared_wants_body(pp), 1);
	ck_assert_uint_eq(policy_prepared_decodes(pp), 0);
	policy_judge(pol, pp, &req, &d);
	ck_assert_int_eq(d.verdict, POL_NEED_LOOKUP);
	ck_assert_ptr_null(d.body);   /* nothing is forwarded before the verdict */
	ck_assert_uint_eq(policy_prepared_decodes(pp), 1);
	ck_assert_uint_eq(policy_lookups(pp, &lookups), 2);
	ck_assert_int_eq(lookups[0].kind, POL_LOOKUP_CONTAINER);
	ck_assert_int_eq(lookups[1].kind, POL_LOOKUP_IMAGE);
	policy_decision_free(&d);
	policy_prepared_free(pp);
	free(body);
}
END_TEST

/* The image lookup, the container lookup and the joined container's
 * network lookup answered in separate rounds (four judgements): still one decode, and the same forwarded bytes as
 * when both answers come in one round. */
START_TEST(decoded_once_over_two_lookup_rounds)
{
	struct pol_prepared *one = policy_prepare(pol, "POST", "/v1.41/containers/create?name=a");
	struct pol_prepared *two = policy_prepare(pol, "POST", "/v1.41/containers/create?name=a");
	struct pol_decision d1, d2;

	ck_assert_ptr_nonnull(one);
	ck_assert_ptr_nonnull(two);
	/* all at once: container and image, then the joined container's
	 * network; one a round: container, image, network */
	ck_assert_int_eq(judge_all(one, POL_MAX_LOOKUPS, "1000:1000", &d1), 3);
	ck_assert_int_eq(judge_all(two, 1, "1000:1000", &d2), 4);
	ck_assert_msg(d2.verdict == POL_ALLOW, "%s", d2.message ? d2.message : "");
	ck_assert_int_eq(d1.verdict, POL_ALLOW);
	ck_assert_uint_eq(d2.nrules, 0);
	ck_assert_uint_eq(policy_prepared_decodes(one), 1);
	ck_assert_uint_eq(policy_prepared_decodes(two), 1);

	/* the canonical document, decoded by the first round, is forwarded */
	ck_assert_ptr_nonnull(d2.body);
	ck_assert_uint_eq(d2.body_len, strlen(d2.body));
	ck_assert_uint_eq(d1.body_len, d2.body_len);
	ck_assert_mem_eq(d1.body, d2.body, d1.body_len);
	json_t *fw = json_loadb(d2.body, d2.body_len, 0, NULL);
	ck_assert_ptr_nonnull(fw);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(fw, "HostConfig"),
	    "NetworkMode")), "container:web");
	ck_assert_str_eq(json_string_value(json_object_get(fw, "User")), "");
	json_decref(fw);

	policy_decision_free(&d1);
	policy_decision_free(&d2);
	policy_prepared_free(one);
	policy_prepared_free(two);
}
END_TEST

/* The daemon's lookup cache (pol_request.held_answer): what it holds is used
 * in the round that asks for it, so no round waits for it; what it does not
 * hold is asked for as before; and the decision is the same. */
static int held_calls;

static json_t *
held_web_and_appnet(void *ctx, enum pol_lookup_kind kind, const char *name)
{
	ck_assert_ptr_eq(ctx, &held_calls);
	held_calls++;
	if (kind == POL_LOOKUP_CONTAINER && strcmp(name, "web") == 0)
		return json_loads(web_json, 0, NULL);
	if (kind == POL_LOOKUP_NETWORK && strcmp(name, "appnet") == 0)
		return json_pack("{ss ss s{ss} s{}}", "Name", "appnet", "Driver", "bridge",
		    "IPAM", "Driver", "default", "Options");
	return NULL;   /* the image is not held */
}

START_TEST(held_answers_save_rounds)
{
	struct pol_prepared *ref = policy_prepare(pol, "POST", "/v1.41/containers/create?name=a");
	struct pol_prepared *pp = policy_prepare(pol, "POST", "/v1.41/containers/create?name=a");
	struct pol_decision d1, d2;
	struct pol_lookup *lookups;
	size_t len;
	char *body = raw_body(&len);
	struct pol_request req = request(body, len);

	ck_assert_int_eq(judge_all(ref, POL_MAX_LOOKUPS, "1000:1000", &d1), 3);
	held_calls = 0;
	req.held_answer = held_web_and_appnet;
	req.held_ctx = &held_calls;
	policy_judge(pol, pp, &req, &d2);
	/* one round asked only for the image: container and network were held */
	ck_assert_int_eq(d2.verdict, POL_NEED_LOOKUP);
	ck_assert_int_eq(held_calls, 3);
	ck_assert_uint_eq(policy_lookups(pp, &lookups), 3);
	size_t pending = 0;
	for (size_t i = 0; i < 3; i++)
		if (!lookups[i].done) {
			pending++;
			ck_assert_int_eq(lookups[i].kind, POL_LOOKUP_IMAGE);
		}
	ck_assert_uint_eq(pending, 1);
	policy_decision_free(&d2);
	ck_assert_uint_eq(answer_pending(pp, POL_MAX_LOOKUPS, "1000:1000"), 1);
	req.body = NULL;
	req.body_len = 0;
	policy_judge(pol, pp, &req, &d2);
	ck_assert_msg(d2.verdict == POL_ALLOW, "%s", d2.message ? d2.message : "");
	ck_assert_int_eq(held_calls, 3);   /* answered slots are not asked again */
	ck_assert_uint_eq(d1.body_len, d2.body_len);
	ck_assert_mem_eq(d1.body, d2.body, d1.body_len);
	policy_decision_free(&d1);
	policy_decision_free(&d2);
	policy_prepared_free(ref);
	policy_prepared_free(pp);
	free(body);
}
END_TEST

/* The answers decide: an image without USER is root, denied after the
 * lookups, with the body still decoded once and nothing forwarded. */
START_TEST(decoded_once_when_the_lookups_deny)
{
	struct pol_prepared *pp = policy_prepare(pol, "POST", "/v1.41/containers/create");
	struct pol_decision d;

	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(judge_all(pp, 1, "", &d), 4);
	ck_assert_int_eq(d.verdict, POL_DENY);
	ck_assert_int_eq(d.status, 403);
	ck_assert_uint_eq(d.nrules, 1);
	ck_assert_str_eq(pol_rule_name(d.rules[0]), "user.root");
	ck_assert_ptr_null(d.body);
	ck_assert_uint_eq(policy_prepared_decodes(pp), 1);
	policy_decision_free(&d);
	policy_prepared_free(pp);
}
END_TEST

/* Once the decision is final the lookups' answers and the decoded document
 * go (policy_prepared_settle); the forwarded body, the lookups' statuses and
 * the decision stay as they were, and judging again is refused rather than
 * done without the answers.  The prepared memory is reused clean after it. */
START_TEST(settled_request_keeps_only_what_goes_on)
{
	struct pol_prepared *pp = policy_prepare(pol, "POST", "/v1.41/containers/create");
	struct pol_decision d, again;
	struct pol_lookup *lookups;

	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(judge_all(pp, POL_MAX_LOOKUPS, "1000:1000", &d), 3);
	ck_assert_int_eq(d.verdict, POL_ALLOW);
	ck_assert_uint_eq(policy_prepared_trees(pp), 4);   /* 3 answers and the document */
	ck_assert_uint_gt(arena_size(&pp->arena), 0);
	char *body = strndup(d.body, d.body_len);
	ck_assert_ptr_nonnull(body);

	policy_prepared_settle(pp);
	ck_assert_uint_eq(policy_prepared_trees(pp), 0);
	ck_assert_ptr_null(pp->doc);
	ck_assert_ptr_null(pp->hcix.obj);
	ck_assert_uint_eq(arena_size(&pp->arena), 0);
	ck_assert_uint_eq(policy_lookups(pp, &lookups), 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(lookups[i].done, 1);
		ck_assert_int_eq(lookups[i].status, 200);
		ck_assert_ptr_null(lookups[i].json);
	}
	/* what is forwarded is untouched (ASan: not freed either) */
	ck_assert_int_eq(d.verdict, POL_ALLOW);
	ck_assert_uint_eq(d.body_len, strlen(body));
	ck_assert_mem_eq(d.body, body, d.body_len);
	ck_assert_int_eq(policy_archive_wanted(pp), 0);
	policy_prepared_settle(pp);   /* twice: nothing more to drop */

	/* fail closed: never judged again without the answers */
	struct pol_request req = request(NULL, 0);
	policy_judge(pol, pp, &req, &again);
	ck_assert_int_eq(again.verdict, POL_DENY);
	ck_assert_int_eq(again.status, 500);
	ck_assert_ptr_null(again.body);
	ck_assert_uint_eq(policy_lookups(pp, &lookups), 3);   /* asked for nothing */
	policy_decision_free(&again);
	policy_decision_free(&d);
	policy_prepared_free(pp);
	free(body);

	/* the next request is judged as usual */
	pp = policy_prepare(pol, "POST", "/v1.41/containers/create");
	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(judge_all(pp, POL_MAX_LOOKUPS, "1000:1000", &d), 3);
	ck_assert_int_eq(d.verdict, POL_ALLOW);
	ck_assert_uint_eq(policy_prepared_trees(pp), 4);
	policy_decision_free(&d);
	policy_prepared_free(pp);
	policy_prepared_settle(NULL);
}
END_TEST

/* A denial keeps its message; the answers that led to it go. */
START_TEST(settled_denial_keeps_its_message)
{
	struct pol_prepared *pp = policy_prepare(pol, "POST", "/v1.41/containers/create");
	struct pol_decision d;

	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(judge_all(pp, 1, "", &d), 4);
	ck_assert_int_eq(d.verdict, POL_DENY);
	ck_assert_uint_gt(policy_prepared_trees(pp), 0);
	policy_prepared_settle(pp);
	ck_assert_uint_eq(policy_prepared_trees(pp), 0);
	ck_assert_int_eq(d.status, 403);
	ck_assert_ptr_nonnull(strstr(d.message, "[user.root]"));
	policy_decision_free(&d);
	policy_prepared_free(pp);
}
END_TEST

/* A body that cannot be judged is refused on every round alike, without
 * being decoded again. */
START_TEST(refused_body_is_not_decoded_again)
{
	static const char bad[] = "{\"Image\": \"a\",";
	struct pol_request req = request(bad, sizeof bad - 1);
	struct pol_prepared *pp = policy_prepare(pol, "POST", "/v1.41/containers/create");
	struct pol_decision d1, d2;

	ck_assert_ptr_nonnull(pp);
	policy_judge(pol, pp, &req, &d1);
	req.body = NULL;
	req.body_len = 0;
	policy_judge(pol, pp, &req, &d2);
	ck_assert_int_eq(d1.verdict, POL_DENY);
	ck_assert_int_eq(d1.status, 400);
	ck_assert_int_eq(d2.verdict, POL_DENY);
	ck_assert_int_eq(d2.status, 400);
	ck_assert_str_eq(d1.message, d2.message);
	ck_assert_uint_eq(policy_prepared_decodes(pp), 1);
	policy_decision_free(&d1);
	policy_decision_free(&d2);
	policy_prepared_free(pp);
}
END_TEST

/* A prepared request's memory is kept for the next one, which starts from
 * nothing of the last (no lookups, no document, its own route); two in use
 * at once are two allocations. */
START_TEST(prepared_memory_is_reused_clean)
{
	size_t len;
	char *body = raw_body(&len);
	struct pol_request req = request(body, len);
	struct pol_lookup *lookups;
	struct pol_decision d;
	struct pol_prepared *one = policy_prepare(pol, "POST", "/v1.41/containers/create?name=a");
	ck_assert_ptr_nonnull(one);
	policy_judge(pol, one, &req, &d);
	ck_assert_int_eq(d.verdict, POL_NEED_LOOKUP);
	ck_assert_uint_eq(policy_lookups(one, &lookups), 2);
	policy_decision_free(&d);
	policy_prepared_free(one);

	struct pol_prepared *two = policy_prepare(pol, "GET", "/v1.41/_ping");
	ck_assert_ptr_eq(two, one);   /* the same memory */
	struct pol_prepared *three = policy_prepare(pol, "GET", "/v1.41/_ping");
	ck_assert_ptr_nonnull(three);
	ck_assert_ptr_ne(three, two);
	ck_assert_int_eq(policy_prepared_wants_body(two), 0);
	ck_assert_uint_eq(policy_prepared_decodes(two), 0);
	ck_assert_uint_eq(policy_lookups(two, &lookups), 0);
	struct pol_request none = request(NULL, 0);
	none.has_body = 0;
	policy_judge(pol, two, &none, &d);
	ck_assert_int_eq(d.verdict, POL_ALLOW);
	ck_assert_str_eq(d.endpoint, "system.ping");
	ck_assert_uint_eq(d.nrules, 0);
	ck_assert_ptr_null(d.body);
	policy_decision_free(&d);
	policy_prepared_free(three);
	policy_prepared_free(two);
	free(body);
}
END_TEST

/* The head alone says whether the body is read; a bad target reads none
 * and is a 400. */
START_TEST(prepare_routes_once)
{
	struct pol_prepared *pp = policy_prepare(pol, "GET", "/v1.41/_ping");
	struct pol_request req = request(NULL, 0);
	struct pol_decision d;

	req.has_body = 0;
	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(policy_prepared_wants_body(pp), 0);
	policy_judge(pol, pp, &req, &d);
	ck_assert_int_eq(d.verdict, POL_ALLOW);
	ck_assert_str_eq(d.endpoint, "system.ping");
	ck_assert_int_eq(d.mode, POL_MODE_ENFORCE);
	ck_assert_str_eq(pol_mode_name(d.mode), "enforce");
	ck_assert_uint_eq(policy_prepared_decodes(pp), 0);
	policy_decision_free(&d);
	policy_prepared_free(pp);

	pp = policy_prepare(pol, "POST", "/v1.41/containers/%2e%2e/create");
	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(policy_prepared_wants_body(pp), 0);
	policy_judge(pol, pp, &req, &d);
	ck_assert_int_eq(d.verdict, POL_DENY);
	ck_assert_int_eq(d.status, 400);
	policy_decision_free(&d);
	policy_prepared_free(pp);
	ck_assert_int_eq(policy_prepared_wants_body(NULL), 1);   /* fail closed */
}
END_TEST


/* ---- the canonical document's bytes ------------------------------------ */

/* jsonout_compact must give json_dumps(JSON_COMPACT | JSON_ENCODE_ANY)'s
 * bytes exactly: it replaced it as the serialiser of what is forwarded. */
static void
same_as_jansson(const json_t *v)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t len = 12345;
	char *got = jsonout_compact(v, 0, &len);

	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(len, strlen(want));
	free(want);
	free(got);
}

START_TEST(serialiser_matches_jansson_on_fixtures)
{
	DIR *dir = opendir("fixtures/policy");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)) != NULL) {
		char path[512];
		size_t nl = strlen(e->d_name);
		if (nl < 6 || strcmp(e->d_name + nl - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof path, "fixtures/policy/%s", e->d_name);
		json_t *doc = json_load_file(path, JSON_DECODE_ANY, NULL);
		ck_assert_msg(doc != NULL, "%s", path);
		same_as_jansson(doc);
		json_decref(doc);
		n++;
	}
	closedir(dir);
	ck_assert_int_ge(n, 5);
}
END_TEST

START_TEST(serialiser_matches_jansson_on_every_kind_of_value)
{
	/* every ASCII byte but NUL, quotes and backslashes, DEL, 2-, 3- and
	 * 4-byte UTF-8, U+2028, escapes in keys, both ends of int64, reals,
	 * empty and nested containers */
	char all[200];
	size_t n = 0;
	for (int c = 1; c < 0x80; c++)
		all[n++] = (char)c;
	json_t *v = json_loads("{\"utf8\":\"caf\\u00e9 \\u20ac \\ud83d\\udc33 \\u2028 /\","
	    "\"k\\\"e\\\\y\\n\\u0001\\u001f\\u007f\":\"v\\t\\b\\f\\r\",\"\":\"\","
	    "\"max\":9223372036854775807,\"min\":-9223372036854775808,\"zero\":0,"
	    "\"r1\":0.5,\"r2\":1e300,\"r3\":-3.0,\"eo\":{},\"ea\":[],"
	    "\"mixed\":[[],{},[{}],null,true,false],\"deep\":{\"a\":{\"b\":[-7,\"x\"]}}}", 0, NULL);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(json_object_set_new(v, "all", json_stringn(all, n)), 0);
	ck_assert_ptr_nonnull(v);
	same_as_jansson(v);
	json_t *arr = json_pack("[s,i,b]", "x", 42, 1);
	same_as_jansson(arr);
	json_t *str = json_string("top-level string");
	same_as_jansson(str);
	json_decref(v);
	json_decref(arr);
	json_decref(str);
	/* not UTF-8: json_dumps refuses it, so must this */
	json_t *bad = json_stringn_nocheck("\xc3(", 2);
	size_t len;
	ck_assert_ptr_null(json_dumps(bad, JSON_COMPACT | JSON_ENCODE_ANY));
	ck_assert_ptr_null(jsonout_compact(bad, 0, &len));
	json_decref(bad);
}
END_TEST

/* The decoder canonicalises the parsed document in place: unknown keys
 * dropped, the client's order kept, a key spelled otherwise (folded) takes
 * its field's name at its own place, struct{} values become {}, a [2]
 * keeps two elements, the top-level HostConfig field folds into
 * HostConfig.  The exact bytes forwarded. */
START_TEST(canonical_bytes_of_the_in_place_decoder)
{
	static const char in[] =
	    "{\"Image\":\"x\",\"junk\":{\"a\":1},\"ExposedPorts\":{\"80/tcp\":{\"z\":1},\"81/tcp\":{}},"
	    "\"user\":\"1000\",\"Tty\":true,\"Hostconfig\":{\"Privileged\":false,\"cAPdROP\":\"ALL\","
	    "\"ConsoleSize\":[1,2,3],\"Nope\":null,\"Memory\":0},\"Memory\":5,"
	    "\"Labels\":{\"user\":\"kept as is\"},\"Cmd\":[\"a\"]}";
	static const char want[] =
	    "{\"Image\":\"x\",\"ExposedPorts\":{\"80/tcp\":{},\"81/tcp\":{}},\"User\":\"1000\","
	    "\"Tty\":true,\"HostConfig\":{\"Privileged\":false,\"CapDrop\":\"ALL\","
	    "\"ConsoleSize\":[1,2],\"Memory\":5},\"Labels\":{\"user\":\"kept as is\"},"
	    "\"Cmd\":[\"a\"]}";
	char err[GODEC_ERRLEN];
	json_t *raw = json_loads(in, JSON_REJECT_DUPLICATES, NULL);
	size_t len;

	ck_assert_ptr_nonnull(raw);
	json_t *doc = godecode_inplace(&go_create_request, raw, err, sizeof err);
	json_decref(raw);
	ck_assert_msg(doc != NULL, "%s", err);
	char *got = jsonout_compact(doc, 0, &len);
	ck_assert_str_eq(got, want);
	/* and the same through the const decoder, which leaves its input alone */
	raw = json_loads(in, JSON_REJECT_DUPLICATES, NULL);
	json_t *doc2 = godecode(&go_create_request, raw, err, sizeof err);
	char *again = json_dumps(raw, JSON_COMPACT);
	ck_assert_ptr_nonnull(doc2);
	ck_assert(json_equal(doc, doc2));
	ck_assert_str_eq(again, in);
	free(again);
	free(got);
	json_decref(doc);
	json_decref(doc2);
	json_decref(raw);
}
END_TEST

START_TEST(in_place_decoder_refuses_like_before)
{
	static const char *const bad[] = {
		"{\"HostConfig\":{\"Privileged\":1}}",
		"{\"HostConfig\":{\"privileged\":true,\"Privileged\":false}}",
		"{\"Labels\":{\"a\":\"x\\u0000y\"}}",
		"{\"HostConfig\":{\"ConsoleSize\":[1,-1]}}",
	};
	char err[GODEC_ERRLEN];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *raw = json_loads(bad[i], JSON_ALLOW_NUL, NULL);
		ck_assert_ptr_nonnull(raw);
		err[0] = '\0';
		ck_assert_ptr_null(godecode_inplace(&go_create_request, raw, err, sizeof err));
		ck_assert_msg(err[0] != '\0', "%s", bad[i]);
		json_decref(raw);
	}
}
END_TEST

/* ---- the body parser is json_loadb's twin ------------------------------- */

#define LOADB_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)

/* Both refuse, or both give the same document with keys in the same order.
 * Returns 1 when accepted. */
static int
same_as_loadb_flags(const char *buf, size_t len, size_t flags)
{
	char err[160];
	size_t pos;
	json_t *want = json_loadb(buf, len, flags, NULL);
	json_t *got = flags == LOADB_FLAGS ? jsonin_parse(buf, len, &pos, err, sizeof err)
	    : jsonin_parse_flags(buf, len, flags, &pos, err, sizeof err);

	ck_assert_msg((want == NULL) == (got == NULL), "flags %zx: json_loadb %s, jsonin %s (%s): %.*s",
	    flags, want ? "accepts" : "refuses", got ? "accepts" : "refuses", got ? "" : err,
	    (int)(len > 200 ? 200 : len), buf);
	if (want != NULL) {
		ck_assert(json_equal(want, got));
		char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
		char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
	} else
		ck_assert_uint_le(pos, len);
	json_decref(want);
	json_decref(got);
	return want != NULL;
}

/* The body's flags, and none (the engine's answers, daemon/engine_client.c) */
static int
same_as_loadb(const char *buf, size_t len)
{
	same_as_loadb_flags(buf, len, 0);
	return same_as_loadb_flags(buf, len, LOADB_FLAGS);
}

/* every combination of the three flags jsonin reads */
static void
same_as_loadb_any_flags(const char *buf, size_t len)
{
	static const size_t f[] = { JSON_REJECT_DUPLICATES, JSON_ALLOW_NUL, JSON_DECODE_ANY };
	for (unsigned m = 0; m < 8; m++)
		same_as_loadb_flags(buf, len, ((m & 1) ? f[0] : 0) | ((m & 2) ? f[1] : 0) |
		    ((m & 4) ? f[2] : 0));
}

START_TEST(parser_matches_loadb_on_a_corpus)
{
	static const char *const cases[] = {
		"{}", "[]", "\"\"", "0", "-0", "1", "-1", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"99999999999999999999", "0.5", "-0.0", "1e5", "1E+5", "1e-5", "1.5e300", "1e400",
		"-1e400", "1e-400", "01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+", "0x10",
		"NaN", "Infinity", "true", "false", "null", "tru", "nul", "truex", "[true false]",
		"[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{a:1}",
		"{\"a\":1 \"b\":2}", "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":{\"a\":2}}",
		"{\"a\":1,\"\\u0061\":2}", "{\"\":1}", "{\"\":1,\"\":2}", " \t\r\n{} \t\r\n", "{} x",
		"{}{}", "", " ", "[", "]", "{", "[1", "[1,", "{\"a\":1", "\"abc", "\"\\", "\"\\u12\"",
		"\"\\u00e9\\u20AC\"", "\"\\ud83d\\udc33\"", "\"\\ud83d\"", "\"\\udc33\"",
		"\"\\ud83dx\"", "\"\\ud83d\\u0041\"", "\"\\u0000\"", "{\"a\\u0000\":1}",
		"[\"a\\u0000b\"]", "\"\\q\"", "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "\"tab\there\"",
		"\"\x01\"", "\"\x7f\"", "\"caf\xc3\xa9\"", "\"\xc3\"", "\"\xc3\x28\"", "\"\xc0\xaf\"",
		"\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf0\x9f\x90\xb3\"",
		"\"\xef\xbf\xbf\"", "\xef\xbb\xbf{}", "[1,2,[3,[4,{\"x\":[5]}]]]",
		"{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true,\"Binds\":[\"/:/host\"]}}",
		"[1.0,2.50,-3e2,4E-2]", "[0e0,0E+0,-0e-0]", "{\"k\":[{},[],\"\",0,null]}",
	};
	int accepted = 0;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		accepted += same_as_loadb(cases[i], strlen(cases[i]));
		same_as_loadb_any_flags(cases[i], strlen(cases[i]));
	}
	ck_assert_int_gt(accepted, 20);
	/* what the flags change, jsonin_parse_flags changes alike */
	static const char dup[] = "{\"a\":1,\"b\":2,\"a\":{\"c\":3}}";
	char ferr[160];
	size_t fpos;
	json_t *d = jsonin_parse_flags(dup, sizeof dup - 1, 0, &fpos, ferr, sizeof ferr);
	ck_assert_ptr_nonnull(d);
	char *dt = json_dumps(d, JSON_COMPACT);
	ck_assert_str_eq(dt, "{\"a\":{\"c\":3},\"b\":2}");   /* the last value, the first place */
	free(dt);
	json_decref(d);
	ck_assert_ptr_null(jsonin_parse_flags(dup, sizeof dup - 1, JSON_REJECT_DUPLICATES, &fpos,
	    ferr, sizeof ferr));
	static const char nul[] = "[\"a\\u0000\"]";
	ck_assert_ptr_null(jsonin_parse_flags(nul, sizeof nul - 1, JSON_DECODE_ANY, &fpos, ferr,
	    sizeof ferr));
	ck_assert_str_eq(ferr, "\\u0000 is not allowed without JSON_ALLOW_NUL");
	d = jsonin_parse_flags(nul, sizeof nul - 1, JSON_ALLOW_NUL, &fpos, ferr, sizeof ferr);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(json_string_length(json_array_get(d, 0)), 2);
	json_decref(d);
	ck_assert_ptr_null(jsonin_parse_flags(" 1", 2, JSON_ALLOW_NUL, &fpos, ferr, sizeof ferr));
	ck_assert_str_eq(ferr, "'[' or '{' expected");
	ck_assert_uint_eq(fpos, 1);
	/* a NUL byte in the input, inside and outside a string */
	same_as_loadb("\"a\0b\"", 5);
	same_as_loadb("{}\0", 3);
	/* the one known difference, stricter: jansson's stream drops a NUL byte
	 * that follows a number (its ungetc buffer takes the NUL for "empty")
	 * and reads [1]; no JSON has a NUL outside a string, Go refuses it */
	char err[160];
	size_t pos;
	json_t *j = json_loadb("[1\0]", 4, LOADB_FLAGS, NULL);
	ck_assert_ptr_nonnull(j);
	json_decref(j);
	ck_assert_ptr_null(jsonin_parse("[1\0]", 4, &pos, err, sizeof err));
	ck_assert_uint_eq(pos, 2);
	/* nesting: jansson's limit is 2048 objects/arrays */
	for (size_t depth = 2046; depth <= 2050; depth++) {
		char *deep = malloc(2 * depth + 2);
		ck_assert_ptr_nonnull(deep);
		memset(deep, '[', depth);
		deep[depth] = '1';
		memset(deep + depth + 1, ']', depth);
		same_as_loadb(deep, 2 * depth + 1);
		memset(deep + depth, ']', depth);
		same_as_loadb(deep, 2 * depth);
		free(deep);
	}
}
END_TEST

/* The string scanner reads sixteen bytes a step, then four, then one: a
 * byte that ends the plain run (the closing quote, an escape, a control
 * byte, DEL, UTF-8 valid or not, the end of the input) at every offset of
 * strings of every length up to 40, as a value and as a key, in a document
 * and at its very end, parsed both ways. */
START_TEST(parser_matches_loadb_at_every_offset_in_a_string)
{
	static const char *const specials[] = { "\"", "\\n", "\\u00e9", "\x01", "\x7f",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x90\xb3", "\xc3", "\xff", "\xed\xa0\x80", "" };
	char s[128], buf[256];
	int accepted = 0, refused = 0;

	for (size_t len = 0; len <= 40; len++)
		for (size_t at = 0; at <= len; at++)
			for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++) {
				size_t n = 0, sl = strlen(specials[k]);
				for (size_t i = 0; i < len; i++) {
					if (i == at) {
						memcpy(s + n, specials[k], sl);
						n += sl;
					}
					s[n++] = (char)('a' + i % 26);
				}
				if (at == len) {
					memcpy(s + n, specials[k], sl);
					n += sl;
				}
				/* a value, a key, and the input ending inside the string */
				int l = snprintf(buf, sizeof buf, "{\"k\":\"%.*s\",\"%.*s\":1}", (int)n, s,
				    (int)n, s);
				if (same_as_loadb(buf, (size_t)l))
					accepted++;
				else
					refused++;
				l = snprintf(buf, sizeof buf, "[\"%.*s", (int)n, s);
				ck_assert_int_eq(same_as_loadb(buf, (size_t)l), 0);
			}
	ck_assert_int_gt(accepted, 1000);
	ck_assert_int_gt(refused, 1000);
}
END_TEST

/* body (n bytes) with one to three edits (a byte replaced, removed or
 * repeated, two bytes swapped) into m (cap bytes); its length. */
static size_t
mutate(const char *body, size_t n, char *m, size_t cap, unsigned long long *xp)
{
	static const char alphabet[] = "{}[]\",:\\u0123456789abcdefEe+-.ntrl \t\n\x01\x7f\xc3\xa9\xed\xa0\xf0\x9f";
	unsigned long long x = *xp;
	size_t len = n, at, k;

	memcpy(m, body, n);
	for (int edits = 1 + (int)(x % 3); edits > 0; edits--) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		at = (size_t)(x >> 8) % len;
		switch (x % 4) {
		case 0:   /* replace */
			m[at] = alphabet[(x >> 40) % (sizeof alphabet - 1)];
			break;
		case 1:   /* remove */
			memmove(m + at, m + at + 1, len - at - 1);
			len--;
			break;
		case 2:   /* repeat */
			if (len < cap - 1) {
				memmove(m + at + 1, m + at, len - at);
				len++;
			}
			break;
		default:  /* swap two bytes */
			k = (size_t)(x >> 24) % len;
			char t = m[at]; m[at] = m[k]; m[k] = t;
			break;
		}
	}
	*xp = x;
	return len;
}

/* The kitchen-sink body and 10,000 mutations of it (mutate()), parsed both
 * ways. */
/* "" and 0 are made once per document and shared (a create body holds ~20
 * of each); the document still reads and compares as json_loadb's, and
 * dropping it frees everything (the sanitizer run checks leaks). */
START_TEST(empty_strings_and_zeros_are_shared)
{
	static const char body[] = "{\"a\":\"\",\"b\":0,\"c\":[\"\",0,\"x\",1],\"d\":{\"e\":\"\",\"f\":0}}";
	size_t pos;
	char err[200];
	json_error_t je;
	json_t *doc = jsonin_parse(body, sizeof body - 1, &pos, err, sizeof err);
	json_t *ref = json_loadb(body, sizeof body - 1, JSON_REJECT_DUPLICATES, &je);
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(ref);
	ck_assert(json_equal(doc, ref));
	json_t *c = json_object_get(doc, "c"), *d = json_object_get(doc, "d");
	ck_assert_ptr_eq(json_object_get(doc, "a"), json_array_get(c, 0));
	ck_assert_ptr_eq(json_object_get(doc, "a"), json_object_get(d, "e"));
	ck_assert_ptr_eq(json_object_get(doc, "b"), json_array_get(c, 1));
	ck_assert_ptr_eq(json_object_get(doc, "b"), json_object_get(d, "f"));
	ck_assert_ptr_ne(json_array_get(c, 2), json_object_get(doc, "a"));
	ck_assert_ptr_ne(json_array_get(c, 3), json_object_get(doc, "b"));
	/* held by the document only: three places each */
	ck_assert_uint_eq(json_object_get(doc, "a")->refcount, 3);
	ck_assert_uint_eq(json_object_get(doc, "b")->refcount, 3);
	json_decref(ref);
	json_decref(doc);
}
END_TEST

START_TEST(parser_matches_loadb_on_mutated_bodies)
{
	FILE *f = fopen("fixtures/policy/kitchen-sink-create.json", "rb");
	char body[8192], m[8200];
	size_t n;
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	int accepted = 0, refused = 0;

	ck_assert_ptr_nonnull(f);
	n = fread(body, 1, sizeof body, f);
	fclose(f);
	ck_assert_uint_gt(n, 1000);
	ck_assert_int_eq(same_as_loadb(body, n), 1);
	for (int i = 0; i < 10000; i++) {
		size_t len = mutate(body, n, m, sizeof m, &x);
		if (same_as_loadb(m, len))
			accepted++;
		else
			refused++;
	}
	/* both outcomes are exercised */
	ck_assert_int_gt(accepted, 250);
	ck_assert_int_gt(refused, 250);
}
END_TEST

/* ---- a canonical body is forwarded as it came ----------------------------
 * When the body's bytes are the document's serialisation already (no white
 * space inside, no escape, no real, no -0: jsonin_parse_canonical) and the
 * decoder changed nothing (godecode_inplace_same), the daemon forwards the
 * body's own bytes instead of serialising the document.  Every test below
 * holds that fast path to the general one: parse, decode, jsonout_compact. */

/* The general path's bytes, or NULL when the body is refused. */
static char *
general_bytes(const struct gotype *t, const char *buf, size_t len, size_t *outlen)
{
	char err[GODEC_ERRLEN], je[160];
	size_t pos;
	json_t *raw = jsonin_parse(buf, len, &pos, je, sizeof je), *doc;
	char *out = NULL;

	if (raw == NULL)
		return NULL;
	doc = godecode_inplace(t, raw, err, sizeof err);
	json_decref(raw);
	if (doc != NULL) {
		out = jsonout_compact(doc, len, outlen);
		ck_assert_ptr_nonnull(out);
		json_decref(doc);
	}
	return out;
}

enum { FAST_REFUSED = -1, FAST_NOT_TAKEN = 0, FAST_TAKEN = 1 };

/* Whether the fast path is taken for buf as type t; whenever the parser
 * says the bytes are canonical they are the parsed document's
 * serialisation, and whenever the decoder also says nothing changed they
 * are the general path's bytes.  Both paths refuse alike. */
static int
fast_path(const struct gotype *t, const char *buf, size_t len)
{
	char err[GODEC_ERRLEN], je[160];
	size_t pos, off = 99, clen = 99, glen = 0, olen;
	json_t *raw = jsonin_parse_canonical(buf, len, &pos, je, sizeof je, &off, &clen);
	char *want = general_bytes(t, buf, len, &glen), *out;
	int same = -1, r;

	if (raw == NULL) {
		ck_assert_uint_eq(clen, 0);
		ck_assert_ptr_null(want);
		return FAST_REFUSED;
	}
	if (clen > 0) {
		ck_assert_uint_le(off + clen, len);
		out = jsonout_compact(raw, len, &olen);
		ck_assert_ptr_nonnull(out);
		ck_assert_msg(olen == clen && memcmp(out, buf + off, clen) == 0,
		    "claimed canonical, serialises otherwise: %.*s", (int)(len > 300 ? 300 : len), buf);
		free(out);
	}
	json_t *doc = godecode_inplace_same(t, raw, &same, err, sizeof err);
	json_decref(raw);
	ck_assert_int_ne(same, -1);
	if (doc == NULL) {
		ck_assert_int_eq(same, 0);
		ck_assert_ptr_null(want);
		return FAST_REFUSED;
	}
	ck_assert_ptr_nonnull(want);
	out = jsonout_compact(doc, len, &olen);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(olen, glen);
	ck_assert(memcmp(out, want, glen) == 0);
	free(out);
	json_decref(doc);
	r = FAST_NOT_TAKEN;
	if (clen > 0 && same) {
		ck_assert_msg(clen == glen && memcmp(buf + off, want, glen) == 0,
		    "fast path differs from the serialiser: %.*s", (int)(len > 300 ? 300 : len), buf);
		r = FAST_TAKEN;
	}
	free(want);
	return r;
}

static int
fast_path_str(const struct gotype *t, const char *s)
{
	return fast_path(t, s, strlen(s));
}

static char *
slurp_fixture(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	long n;

	snprintf(path, sizeof path, "fixtures/policy/%s", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_gt(n, 0);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* The fixtures' names (*.json), NULL-terminated, sorted. */
static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
fixture_names(char **names, size_t max)
{
	DIR *dir = opendir("fixtures/policy");
	struct dirent *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((e = readdir(dir)) != NULL && n < max - 1) {
		size_t nl = strlen(e->d_name);
		if (nl >= 6 && strcmp(e->d_name + nl - 5, ".json") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(dir);
	names[n] = NULL;
	qsort(names, n, sizeof names[0], cmp_names);
	return n;
}

/* Every fixture is a docker CLI body: canonical but for the newline after
 * it, decoded without a change, so forwarded as sent; and through the
 * policy, pp->body is the general path's bytes. */
START_TEST(cli_bodies_are_forwarded_as_sent)
{
	char *names[64];
	size_t n = fixture_names(names, 64);

	ck_assert_uint_ge(n, 5);
	for (size_t i = 0; i < n; i++) {
		size_t len, glen, off, clen, pos;
		char *body = slurp_fixture(names[i], &len), je[160];
		ck_assert_msg(fast_path(&go_create_request, body, len) == FAST_TAKEN, "%s", names[i]);
		json_t *raw = jsonin_parse_canonical(body, len, &pos, je, sizeof je, &off, &clen);
		ck_assert_ptr_nonnull(raw);
		json_decref(raw);
		ck_assert_uint_eq(off, 0);
		ck_assert_uint_eq(clen, len - 1);      /* all but the newline */
		ck_assert_int_eq(body[len - 1], '\n');

		char *want = general_bytes(&go_create_request, body, len, &glen);
		struct pol_prepared *pp = policy_prepare(pol, "POST", "/v1.41/containers/create");
		struct pol_request req = request(body, len);
		struct pol_decision d;
		ck_assert_ptr_nonnull(pp);
		policy_judge(pol, pp, &req, &d);
		ck_assert_ptr_nonnull(pp->body);
		ck_assert_uint_eq(pp->body_len, glen);
		ck_assert(memcmp(pp->body, want, glen) == 0);
		ck_assert_int_eq(pp->body[glen], '\0');
		policy_decision_free(&d);
		policy_prepared_free(pp);
		free(want);
		free(body);
		free(names[i]);
	}
}
END_TEST

/* What the parser must not call canonical, and what it may (white space
 * around the value is outside it). */
START_TEST(parser_tells_canonical_bytes)
{
	static const struct { const char *in; size_t off, len; } cases[] = {
		{ "{\"a\":1}", 0, 7 },
		{ " \t{\"a\":[1,-2,true,false,null,\"x\",{},[]]}\r\n ", 2, 38 },
		{ "\"caf\xc3\xa9 <&> \x7f/\"", 0, 14 },
		{ "-9223372036854775808", 0, 20 },
		{ "{\"a\": 1}", 0, 0 },
		{ "{\"a\":1 }", 0, 0 },
		{ "[1,\n2]", 0, 0 },
		{ "[\"\\/\"]", 0, 0 },
		{ "[\"\\u0041\"]", 0, 0 },
		{ "[\"a\\\"b\"]", 0, 0 },
		{ "{\"\\u0061\":1}", 0, 0 },
		{ "[-0]", 0, 0 },
		{ "[1.0]", 0, 0 },
		{ "[1e2]", 0, 0 },
		{ "[0.5]", 0, 0 },
		{ "{\"a\":1,\"a\":2}", 0, 0 },      /* refused: a repeated key */
		{ "[1,]", 0, 0 },                   /* refused */
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char je[160];
		size_t pos, off = 99, len = 99, n = strlen(cases[i].in);
		json_t *v = jsonin_parse_canonical(cases[i].in, n, &pos, je, sizeof je, &off, &len);
		ck_assert_msg(len == cases[i].len, "%s: %zu", cases[i].in, len);
		if (len > 0)
			ck_assert_uint_eq(off, cases[i].off);
		json_decref(v);
		/* and the claim holds (opaque: the decoder changes nothing) */
		ck_assert_int_eq(fast_path(&go_any, cases[i].in, n),
		    v == NULL ? FAST_REFUSED : len > 0 ? FAST_TAKEN : FAST_NOT_TAKEN);
	}
}
END_TEST

/* Every change the decoder makes turns the fast path off; what it leaves
 * alone keeps it on. */
START_TEST(decoder_changes_turn_the_fast_path_off)
{
	static const char *const changed[] = {
		"{\"Image\":\"x\",\"Bogus\":1}",                              /* unknown key */
		"{\"image\":\"x\"}",                                          /* folded key */
		"{\"HostConfig\":{\"privileged\":false}}",                    /* folded, nested */
		"{\"ExposedPorts\":{\"80/tcp\":{\"a\":1}}}",                  /* struct{} */
		"{\"HostConfig\":{\"ConsoleSize\":[1,2,3]}}",                 /* [2] */
		"{\"Image\":\"x\",\"Memory\":5}",                             /* top-level HostConfig field */
		"{\"Image\":\"x\",\"Memory\":0,\"HostConfig\":{}}",           /* moved, zero */
		"{\"Memory\":5,\"HostConfig\":{\"Memory\":0}}",               /* merged */
		"{\"Cpuset\":\"\"}",                                          /* dropped */
		"{\"Cpuset\":\"0\",\"HostConfig\":{\"CpusetCpus\":\"\"}}",    /* CpusetCpus filled */
		"{\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Junk\":1}]}}",  /* in an array */
		"{\"HostConfig\":{\"LogConfig\":{\"Type\":\"\",\"config\":{}}}}",  /* nested struct */
		"{\"NetworkingConfig\":{\"EndpointsConfig\":{\"n\":{\"Nope\":1}}}}", /* in a map */
		"{\"Image\":\"x\" }",                                         /* white space */
		"{\"Image\":\"\\u0078\"}",                                    /* an escape */
		"{\"StopTimeout\":-0}",                                       /* -0 */
	};
	static const char *const kept[] = {
		"{\"Image\":\"x\",\"HostConfig\":{\"Memory\":5}}",
		"{\"HostConfig\":null,\"Image\":\"caf\xc3\xa9 <&>\"}",
		"{\"Labels\":{\"b\":\"1\",\"a\":\"2\",\"B\":\"3\"},\"Cmd\":\"sh\",\"Entrypoint\":null}",
		"{\"HostConfig\":{\"ConsoleSize\":[1,2],\"Memory\":0,\"CpusetCpus\":\"\"}}",
		"{\"ExposedPorts\":{\"80/tcp\":{}},\"Volumes\":{}}",
		"\n{\"Env\":[\"A=1\"],\"NetworkingConfig\":{\"EndpointsConfig\":{\"n\":{\"Aliases\":[\"a\"]}}}}\n",
		"{}",
	};

	for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++)
		ck_assert_msg(fast_path_str(&go_create_request, changed[i]) == FAST_NOT_TAKEN, "%s",
		    changed[i]);
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
		ck_assert_msg(fast_path_str(&go_create_request, kept[i]) == FAST_TAKEN, "%s", kept[i]);
	/* an exec body: a key of another type is unknown here */
	ck_assert_int_eq(fast_path_str(&go_exec_config, "{\"User\":\"1\",\"Tty\":true}"), FAST_TAKEN);
	ck_assert_int_eq(fast_path_str(&go_exec_config, "{\"User\":\"1\",\"Image\":\"x\"}"),
	    FAST_NOT_TAKEN);
}
END_TEST

/* Every fixture, each key's case changed (folded to its field, or unknown)
 * and 2,000 random mutations of each (mutate()), under three types: the
 * fast path, when taken, gives the general path's bytes. */
START_TEST(fast_path_matches_serialiser_on_mutated_bodies)
{
	static const struct gotype *const types[] = { &go_create_request, &go_any,
		&go_exec_config };
	char *names[64], m[8200];
	size_t n = fixture_names(names, 64);
	unsigned long long x = 0x2545f4914f6cdd1dULL;
	int taken = 0, not_taken = 0, refused = 0, folded = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *body = slurp_fixture(names[i], &len);
		ck_assert_uint_lt(len, sizeof m - 8);
		/* each key with its first or second letter's case flipped */
		for (size_t at = 1; at + 2 < len; at++) {
			if (body[at - 1] != '"' || !((body[at] | 0x20) >= 'a' && (body[at] | 0x20) <= 'z'))
				continue;
			for (int k = 0; k < 2; k++) {
				memcpy(m, body, len);
				m[at + (size_t)k] ^= 0x20;
				int r = fast_path(&go_create_request, m, len);
				folded += r == FAST_NOT_TAKEN;
				taken += r == FAST_TAKEN;   /* a map key or a string value */
			}
		}
		for (int j = 0; j < 2000; j++) {
			size_t mlen = mutate(body, len, m, sizeof m, &x);
			for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
				int r = fast_path(types[t], m, mlen);
				taken += r == FAST_TAKEN;
				not_taken += r == FAST_NOT_TAKEN;
				refused += r == FAST_REFUSED;
			}
		}
		free(body);
		free(names[i]);
	}
	/* every outcome is exercised */
	ck_assert_int_gt(folded, 500);
	ck_assert_int_gt(taken, 1000);
	ck_assert_int_gt(not_taken, 1000);
	ck_assert_int_gt(refused, 1000);
}
END_TEST

/* The decoder's shortcuts against its full walks: GODEC_NUL_FREE (given
 * for a canonical body: its U+0000 checks skipped) and the create's finish
 * told which tables the top-level keys came from (the walk over them
 * skipped when none is a HostConfig/Resources field).  The reference is
 * the same decoder with no flag and a finish told "every table", on a
 * separately parsed copy: the same outcome, error text, document (key
 * order included) and "nothing changed" answer. */
static json_t *
finish_every_table(json_t *obj, unsigned tables, int *changed, char *err, size_t errlen)
{
	(void)tables;
	return go_create_request.st->finish(obj, ~0u, changed, err, errlen);
}

static struct gostruct create_full_st;
static const struct gotype create_full = { GO_STRUCT, NULL, &create_full_st };

/* 1 when decoded, 0 when refused (both ways alike) */
static int
shortcuts_match(const struct gotype *t, const struct gotype *ref, const char *buf, size_t len)
{
	char err[GODEC_ERRLEN], rerr[GODEC_ERRLEN], je[160];
	size_t pos, off, clen;
	int same = -1, rsame = -1;
	json_t *raw = jsonin_parse_canonical(buf, len, &pos, je, sizeof je, &off, &clen);
	json_t *rraw = jsonin_parse(buf, len, &pos, je, sizeof je);

	ck_assert_int_eq(raw == NULL, rraw == NULL);
	if (raw == NULL)
		return 0;
	err[0] = rerr[0] = '\0';
	json_t *doc = godecode_inplace_flags(t, raw, clen > 0 ? GODEC_NUL_FREE : 0, &same, err,
	    sizeof err);
	json_t *rdoc = godecode_inplace_flags(ref, rraw, 0, &rsame, rerr, sizeof rerr);
	json_decref(raw);
	json_decref(rraw);
	ck_assert_msg((doc == NULL) == (rdoc == NULL), "%s / %s: %.*s", err, rerr,
	    (int)(len > 300 ? 300 : len), buf);
	if (doc == NULL) {
		ck_assert_str_eq(err, rerr);
		return 0;
	}
	char *a = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	char *b = json_dumps(rdoc, JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_msg(strcmp(a, b) == 0, "%s\n%s", a, b);
	ck_assert_int_eq(same, rsame);
	free(a);
	free(b);
	json_decref(doc);
	json_decref(rdoc);
	return 1;
}

START_TEST(decoder_shortcuts_match_the_full_walks)
{
	static const char *const bodies[] = {
		"{\"Image\":\"x\",\"Memory\":5}",
		"{\"Image\":\"x\",\"memory\":5,\"HostConfig\":{\"Memory\":0}}",
		"{\"Privileged\":true,\"HostConfig\":null}",
		"{\"Binds\":[\"/:/h\"],\"Cpuset\":\"0\"}",
		"{\"Cpuset\":\"0\",\"HostConfig\":{\"CpusetCpus\":\"\"}}",
		"{\"Cpuset\":\"\",\"HostConfig\":{}}",
		"{\"cpuset\":\"1\"}",
		"{\"HostConfig\":{\"Memory\":5},\"CpuShares\":2,\"VolumeDriver\":\"v\"}",
		"{\"HostConfig\":[],\"Memory\":1}",
		"{\"HostConfig\":{},\"Image\":\"x\"}",
		"{\"Image\":\"\\u0000\"}",
		"{\"Labels\":{\"a\\u0000\":\"1\"}}",
		"{\"HostConfig\":{\"LogConfig\":{\"Config\":{\"k\":\"\\u0000\"}}}}",
		"{\"Healthcheck\":{\"Test\":[\"x\\u0000\"]}}",
		"{\"Cmd\":\"a\\u0000b\"}",
		"{}",
	};
	static const struct gotype *const others[] = { &go_any, &go_exec_config,
		&go_service_spec };
	char *names[64], m[8200];
	size_t n = fixture_names(names, 64);
	unsigned long long x = 0x853c49e6748fea9bULL;
	int decoded = 0, refused = 0;

	create_full_st = *go_create_request.st;
	create_full_st.finish = finish_every_table;
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		int r = shortcuts_match(&go_create_request, &create_full, bodies[i], strlen(bodies[i]));
		decoded += r;
		refused += !r;
	}
	ck_assert_int_ge(refused, 5);   /* the U+0000 bodies */
	ck_assert_int_ge(decoded, 10);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *body = slurp_fixture(names[i], &len);
		ck_assert_uint_lt(len, sizeof m - 8);
		ck_assert_int_eq(shortcuts_match(&go_create_request, &create_full, body, len), 1);
		/* each key's case flipped: folded to its field (top-level
		 * HostConfig ones too), or unknown */
		for (size_t at = 1; at + 2 < len; at++) {
			if (body[at - 1] != '"' || !((body[at] | 0x20) >= 'a' && (body[at] | 0x20) <= 'z'))
				continue;
			memcpy(m, body, len);
			m[at] ^= 0x20;
			decoded += shortcuts_match(&go_create_request, &create_full, m, len);
		}
		for (int j = 0; j < 1000; j++) {
			size_t mlen = mutate(body, len, m, sizeof m, &x);
			int r = shortcuts_match(&go_create_request, &create_full, m, mlen);
			decoded += r;
			refused += !r;
			for (size_t t = 0; t < sizeof others / sizeof others[0]; t++)
				shortcuts_match(others[t], others[t], m, mlen);
		}
		free(body);
		free(names[i]);
	}
	ck_assert_int_gt(decoded, 1000);
	ck_assert_int_gt(refused, 1000);
	/* the flag is what skips the checks: a caller that wrongly vouches
	 * gets a NUL through (policy.c gives it for canonical bytes only) */
	char err[GODEC_ERRLEN], je[160];
	size_t pos;
	int same;
	json_t *raw = jsonin_parse("{\"Image\":\"\\u0000\"}", 18, &pos, je, sizeof je);
	ck_assert_ptr_nonnull(raw);
	json_t *doc = godecode_inplace_flags(&go_create_request, raw, GODEC_NUL_FREE, &same, err,
	    sizeof err);
	ck_assert_ptr_nonnull(doc);
	json_decref(doc);
	ck_assert_ptr_null(godecode_inplace_flags(&go_create_request, raw, 0, &same, err,
	    sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "U+0000"));
	json_decref(raw);
}
END_TEST

/* The decoder's index of the create's HostConfig (gotypes.h, what the
 * checks' jget reads) gives json_object_get's answer for every field name,
 * every key of the object and names of no field, on every fixture, with
 * keys' case flipped and on mutated bodies; it is withdrawn when the
 * create's finish changes the document. */
static int
index_matches(const char *buf, size_t len)
{
	char err[GODEC_ERRLEN], je[160];
	size_t pos;
	int same;
	struct godec_index ix = { .st = go_hostconfig_struct, .obj = (const json_t *)&ix };
	json_t *raw = jsonin_parse(buf, len, &pos, je, sizeof je);

	if (raw == NULL)
		return -1;
	json_t *doc = godecode_inplace_index(&go_create_request, raw, 0, &same, &ix, err, sizeof err);
	json_decref(raw);
	if (doc == NULL) {
		ck_assert_ptr_null(ix.obj);
		return -1;
	}
	if (ix.obj == NULL) {
		json_decref(doc);
		return 0;
	}
	const json_t *hc = json_object_get(doc, "HostConfig");
	ck_assert_ptr_eq(ix.obj, hc);
	for (int tab = 0; tab < 2; tab++) {
		const struct gofield *f = tab == 0 ? go_hostconfig_struct->fields :
		    go_hostconfig_struct->promoted[0];
		for (; f->name != NULL; f++) {
			char other[80];
			ck_assert_ptr_eq(godec_index_get(&ix, f->name, strlen(f->name)),
			    json_object_get(hc, f->name));
			/* one byte more, one less, another case: no field */
			snprintf(other, sizeof other, "%sx", f->name);
			ck_assert_ptr_null(godec_index_get(&ix, other, strlen(other)));
			ck_assert_ptr_null(godec_index_get(&ix, f->name, strlen(f->name) - 1));
			snprintf(other, sizeof other, "%s", f->name);
			other[0] ^= 0x20;
			ck_assert_ptr_null(godec_index_get(&ix, other, strlen(other)));
		}
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)hc, key, v)
		ck_assert_ptr_eq(godec_index_get(&ix, key, strlen(key)), v);
	ck_assert_ptr_null(godec_index_get(&ix, "", 0));
	ck_assert_ptr_null(godec_index_get(&ix, "Image", 5));
	json_decref(doc);
	return 1;
}

static int
index_matches_str(const char *s)
{
	return index_matches(s, strlen(s));
}

START_TEST(hostconfig_index_matches_jansson)
{
	char *names[64], m[8200];
	size_t n = fixture_names(names, 64);
	unsigned long long x = 0x6a09e667f3bcc909ULL;
	int indexed = 0, without = 0, refused = 0;

	ck_assert_int_eq(index_matches_str("{\"HostConfig\":{\"Privileged\":true,\"Memory\":5}}"), 1);
	ck_assert_int_eq(index_matches_str("{\"HostConfig\":{\"privileged\":true}}"), 1);
	/* the finish sets Memory in HostConfig: no index */
	ck_assert_int_eq(index_matches_str("{\"Memory\":5,\"HostConfig\":{\"Memory\":0}}"), 0);
	ck_assert_int_eq(index_matches_str("{\"Cpuset\":\"0\",\"HostConfig\":{}}"), 0);
	ck_assert_int_eq(index_matches_str("{\"Image\":\"x\"}"), 0);
	ck_assert_int_eq(index_matches_str("{\"HostConfig\":null}"), 0);
	ck_assert_int_eq(index_matches_str("{\"HostConfig\":{\"Privileged\":1}}"), -1);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *body = slurp_fixture(names[i], &len);
		ck_assert_uint_lt(len, sizeof m - 8);
		int r = index_matches(body, len);
		ck_assert_int_ge(r, 0);
		indexed += r == 1;
		for (size_t at = 1; at + 2 < len; at++) {
			if (body[at - 1] != '"' || !((body[at] | 0x20) >= 'a' && (body[at] | 0x20) <= 'z'))
				continue;
			memcpy(m, body, len);
			m[at] ^= 0x20;
			r = index_matches(m, len);
			indexed += r == 1;
			without += r == 0;
		}
		for (int j = 0; j < 500; j++) {
			size_t mlen = mutate(body, len, m, sizeof m, &x);
			r = index_matches(m, mlen);
			indexed += r == 1;
			without += r == 0;
			refused += r < 0;
		}
		free(body);
		free(names[i]);
	}
	ck_assert_int_gt(indexed, 1000);
	ck_assert_int_gt(without, 10);
	ck_assert_int_gt(refused, 1000);
}
END_TEST

/* The one-pass reading of a body as its Go type (jsonin_parse_typed, then
 * godecode_typed when it says "typed") against the two passes it replaces
 * (jsonin_parse_canonical, then godecode_inplace_index): the same outcome,
 * error text, document (key order included), "nothing changed" answer and
 * HostConfig index.  Returns TYPED_TAKEN when the one pass was enough. */
enum { TYPED_REFUSED = -1, TYPED_NOT_TAKEN = 0, TYPED_TAKEN = 1 };

static void
index_same(const struct godec_index *a, const struct godec_index *b)
{
	ck_assert_int_eq(a->obj == NULL, b->obj == NULL);
	if (a->obj == NULL)
		return;
	ck_assert(a->seen[0] == b->seen[0] && a->seen[1] == b->seen[1]);
	ck_assert(json_equal((json_t *)a->obj, (json_t *)b->obj));
	for (int tab = 0; tab < 2; tab++)
		for (int at = 0; at < GODEC_INDEX_FIELDS; at++)
			if (a->seen[tab] & ((uint64_t)1 << at))
				ck_assert(json_equal(a->vals[tab][at], b->vals[tab][at]));
}

static int
typed_matches(const struct gotype *t, const char *buf, size_t len)
{
	char err[GODEC_ERRLEN], rerr[GODEC_ERRLEN], je[160], rje[160];
	size_t pos = 0, rpos = 0, off, clen, roff, rclen;
	int same = -1, rsame = -1;
	struct godec_index ix = { .st = go_hostconfig_struct }, rix = { .st = go_hostconfig_struct };
	struct jsonin_typed jt = { .type = t, .ix = &ix };
	json_t *raw = jsonin_parse_typed(buf, len, &jt, &pos, je, sizeof je, &off, &clen);
	json_t *rraw = jsonin_parse_canonical(buf, len, &rpos, rje, sizeof rje, &roff, &rclen);

	ck_assert_int_eq(raw == NULL, rraw == NULL);
	if (raw == NULL) {
		ck_assert_uint_eq(pos, rpos);
		ck_assert_str_eq(je, rje);
		ck_assert_ptr_null(ix.obj);
		return TYPED_REFUSED;
	}
	ck_assert(off == roff && clen == rclen);
	ck_assert(json_equal(raw, rraw));
	err[0] = rerr[0] = '\0';
	json_t *doc = jt.typed ? godecode_typed(t, raw, jt.tables, &ix, &same, err, sizeof err) :
	    godecode_inplace_index(t, raw, clen > 0 ? GODEC_NUL_FREE : 0, &same, &ix, err,
	    sizeof err);
	json_t *rdoc = godecode_inplace_index(t, rraw, rclen > 0 ? GODEC_NUL_FREE : 0, &rsame,
	    &rix, rerr, sizeof rerr);
	ck_assert_msg((doc == NULL) == (rdoc == NULL), "%s / %s: %.*s", err, rerr,
	    (int)(len > 300 ? 300 : len), buf);
	int r = jt.typed ? TYPED_TAKEN : TYPED_NOT_TAKEN;
	if (doc == NULL) {
		ck_assert_str_eq(err, rerr);
		r = TYPED_REFUSED;
	} else {
		char *a = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
		char *b = json_dumps(rdoc, JSON_COMPACT | JSON_ENCODE_ANY);
		ck_assert_msg(a != NULL && b != NULL && strcmp(a, b) == 0, "%s\n%s", a, b);
		ck_assert_int_eq(same, rsame);
		free(a);
		free(b);
	}
	index_same(&ix, &rix);
	json_decref(doc);
	json_decref(rdoc);
	json_decref(raw);
	json_decref(rraw);
	return r;
}

static int
typed_matches_str(const struct gotype *t, const char *s)
{
	return typed_matches(t, s, strlen(s));
}

START_TEST(one_pass_typing_matches_the_decoder)
{
	/* what the decoder changes or refuses is left to it */
	static const char *const not_typed[] = {
		"{\"image\":\"x\"}",                                  /* folded key */
		"{\"Image\":\"x\",\"Nope\":1}",                        /* unknown key */
		"{\"Image\":1}",                                      /* wrong type */
		"{\"HostConfig\":{\"Privileged\":\"yes\"}}",
		"{\"HostConfig\":{\"Memory\":1.5}}",                  /* a real */
		"{\"HostConfig\":{\"BlkioWeight\":70000}}",           /* uint16 out of range */
		"{\"HostConfig\":{\"BlkioWeight\":-1}}",
		"{\"HostConfig\":{\"ConsoleSize\":[1,2,3]}}",         /* [2]uint */
		"{\"ExposedPorts\":{\"80/tcp\":{\"x\":1}}}",          /* struct{} */
		"{\"Image\":\"x\", \"Cmd\":[]}",                      /* white space */
		"{\"Image\":\"\\u0078\"}",                            /* an escape */
		"{\"HostConfig\":[]}",
		"{\"Cmd\":[\"a\",1]}",
		"{\"Labels\":{\"a\":1}}",
		"{\"Healthcheck\":{\"Test\":\"x\"}}",
		"{\"Image\":true}",
		"{\"HostConfig\":{\"Memory\":false}}",
	};
	static const char *const typed[] = {
		"{}",
		"{\"Image\":\"x\",\"Cmd\":\"true\",\"Entrypoint\":null,\"Labels\":{\"a\":\"b\"}}",
		"{\"HostConfig\":{\"Privileged\":false,\"Memory\":5,\"BlkioWeight\":65535}}",
		"{\"HostConfig\":{\"ConsoleSize\":[1,2]},\"ExposedPorts\":{\"80/tcp\":{}}}",
		"{\"HostConfig\":null,\"NetworkingConfig\":null}",
		/* read in one pass, then the create's finish changes them */
		"{\"Memory\":5,\"HostConfig\":{\"Memory\":0}}",
		"{\"Cpuset\":\"0\",\"HostConfig\":{}}",
	};
	static const struct gotype *const types[] = { &go_create_request, &go_any,
		&go_exec_config, &go_service_spec, &go_update_config, &go_network_create,
		&go_volume_create, &go_start_body };
	char *names[64], m[8200], deep[200];
	size_t n = fixture_names(names, 64);
	unsigned long long x = 0x9e3779b97f4a7c15ULL;
	int taken = 0, not_taken = 0, refused = 0;

	for (size_t i = 0; i < sizeof not_typed / sizeof not_typed[0]; i++)
		ck_assert_msg(typed_matches_str(&go_create_request, not_typed[i]) != TYPED_TAKEN, "%s",
		    not_typed[i]);
	for (size_t i = 0; i < sizeof typed / sizeof typed[0]; i++)
		ck_assert_msg(typed_matches_str(&go_create_request, typed[i]) == TYPED_TAKEN, "%s",
		    typed[i]);
	/* every kind of value in a field of every kind: where the decoder
	 * keeps it as it is, refuses it or changes it, the one pass agrees */
	static const char *const fields[][2] = {
		{ "{\"Tty\":", "}" },                                  /* bool */
		{ "{\"Image\":", "}" },                                /* string */
		{ "{\"HostConfig\":{\"Memory\":", "}}" },               /* int64 */
		{ "{\"HostConfig\":{\"BlkioWeight\":", "}}" },          /* uint16 */
		{ "{\"HostConfig\":{\"NanoCpus\":", "}}" },
		{ "{\"HostConfig\":{\"CpuRealtimePeriod\":", "}}" },
		{ "{\"Cmd\":", "}" },                                  /* strslice */
		{ "{\"Env\":", "}" },                                  /* []string */
		{ "{\"Labels\":", "}" },                               /* map */
		{ "{\"Healthcheck\":", "}" },                          /* struct */
		{ "{\"ExposedPorts\":{\"80/tcp\":", "}}" },             /* struct{} */
		{ "{\"HostConfig\":{\"ConsoleSize\":", "}}" },          /* [2]uint */
		{ "{\"HostConfig\":{\"IOMaximumIOps\":", "}}" },        /* uint64 */
		{ "{\"HostConfig\":{\"Mounts\":[{\"TmpfsOptions\":{\"Mode\":", "}}]}}" },  /* uint32 */
		{ "{\"HostConfig\":", "}" },
		{ "{\"HostConfig\":{\"LogConfig\":{\"Config\":", "}}}" },
		{ "", "" },                                            /* the body itself */
	};
	static const char *const values[] = {
		"true", "false", "null", "\"s\"", "\"\"", "0", "1", "-1", "65536", "4294967296",
		"-9223372036854775808", "1.5", "[]", "[\"a\"]", "[1]", "[1,2]", "[1,2,3]",
		"[null]", "[[]]", "[-1,2]", "{}", "{\"a\":\"b\"}", "{\"a\":1}", "{\"Test\":[\"x\"]}",
		"{\"test\":[\"x\"]}", "{\"Memory\":1}",
	};
	int cross_taken = 0, cross_other = 0;
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
		for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
			char b[200];
			snprintf(b, sizeof b, "%s%s%s", fields[f][0], values[v], fields[f][1]);
			for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
				int r = typed_matches_str(types[t], b);
				cross_taken += r == TYPED_TAKEN;
				cross_other += r != TYPED_TAKEN;
			}
		}
	ck_assert_int_gt(cross_taken, 100);
	ck_assert_int_gt(cross_other, 100);
	/* an opaque value nested past the decoder's bound: the decoder decides */
	size_t d = 0;
	d += (size_t)snprintf(deep + d, sizeof deep - d, "{\"Labels\":null,\"OnBuild\":null,"
	    "\"Volumes\":{},\"Healthcheck\":null,\"Shell\":null,\"Env\":[");
	for (int k = 0; k < 40; k++)
		deep[d++] = '[';
	for (int k = 0; k < 40; k++)
		deep[d++] = ']';
	d += (size_t)snprintf(deep + d, sizeof deep - d, "]}");
	ck_assert_int_ne(typed_matches(&go_create_request, deep, d), TYPED_TAKEN);
	/* and at every depth around it: the same outcome both ways */
	int deep_taken = 0, deep_other = 0;
	for (int levels = 20; levels < 40; levels++) {
		char nest[400];
		d = (size_t)snprintf(nest, sizeof nest, "{\"HostConfig\":{\"Mounts\":[{\"Type\":"
		    "\"volume\",\"ClusterOptions\":");
		for (int k = 0; k < levels; k++)
			nest[d++] = '[';
		for (int k = 0; k < levels; k++)
			nest[d++] = ']';
		memcpy(nest + d, "}]}}", 4);
		int r = typed_matches(&go_create_request, nest, d + 4);
		deep_taken += r == TYPED_TAKEN;
		deep_other += r != TYPED_TAKEN;
	}
	ck_assert_int_gt(deep_taken, 0);
	ck_assert_int_gt(deep_other, 0);
	ck_assert_int_eq(typed_matches_str(&go_any, "[[[[[[[[[[]]]]]]]]]]"), TYPED_TAKEN);

	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *body = slurp_fixture(names[i], &len);
		ck_assert_uint_lt(len, sizeof m - 8);
		/* every docker CLI body is read in one pass */
		ck_assert_msg(typed_matches(&go_create_request, body, len) == TYPED_TAKEN, "%s",
		    names[i]);
		for (size_t at = 1; at + 2 < len; at++) {
			if (body[at - 1] != '"' || !((body[at] | 0x20) >= 'a' && (body[at] | 0x20) <= 'z'))
				continue;
			memcpy(m, body, len);
			m[at] ^= 0x20;
			int r = typed_matches(&go_create_request, m, len);
			taken += r == TYPED_TAKEN;       /* a map key or a string value */
			not_taken += r == TYPED_NOT_TAKEN;
		}
		for (int j = 0; j < 1000; j++) {
			size_t mlen = mutate(body, len, m, sizeof m, &x);
			for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
				int r = typed_matches(types[t], m, mlen);
				taken += r == TYPED_TAKEN;
				not_taken += r == TYPED_NOT_TAKEN;
				refused += r == TYPED_REFUSED;
			}
		}
		free(body);
		free(names[i]);
	}
	ck_assert_int_gt(taken, 1000);
	ck_assert_int_gt(not_taken, 1000);
	ck_assert_int_gt(refused, 1000);
}
END_TEST

/* The document is built in the request's arena; the lookup answers the
 * daemon attaches are heap values; the forwarded body is the same as ever
 * (decoded_once_over_two_lookup_rounds compares it), and the arena's blocks
 * go back with the pol_prepared and are taken again by the next request. */
START_TEST(document_lives_in_the_arena)
{
	struct pol_prepared *pp = policy_prepare(pol, "POST", "/v1.41/containers/create");
	struct pol_decision d;
	struct pol_lookup *lookups;

	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(judge_all(pp, POL_MAX_LOOKUPS, "1000:1000", &d), 3);
	ck_assert_int_eq(d.verdict, POL_ALLOW);
	ck_assert(arena_owns(pp->doc));
	ck_assert(arena_owns(json_object_get(pp->doc, "HostConfig")));
	/* the checks read HostConfig through the decoder's index */
	ck_assert_ptr_nonnull(pp->hcix.obj);
	ck_assert_ptr_eq(pp->hcix.obj, json_object_get(pp->doc, "HostConfig"));
	ck_assert(arena_owns(json_string_value(json_object_get(pp->doc, "Image"))));
	ck_assert(!arena_owns(pp->body));   /* the text is the daemon's, plain malloc */
	ck_assert(!arena_owns(d.body));
	size_t n = policy_lookups(pp, &lookups);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		ck_assert(!arena_owns(lookups[i].json));
	ck_assert_uint_gt(arena_size(&pp->arena), 0);
	ck_assert_uint_le(arena_size(&pp->arena), 64 * 1024);
	ck_assert_uint_eq(pp->arena.heap, 0);   /* dropped with the blocks, unwalked */
	const void *first = pp->doc;
	policy_decision_free(&d);
	policy_prepared_free(pp);

	/* the next request's document is built in the block just given back */
	pp = policy_prepare(pol, "POST", "/v1.41/containers/create");
	ck_assert_ptr_nonnull(pp);
	ck_assert_int_eq(judge_all(pp, POL_MAX_LOOKUPS, "1000:1000", &d), 3);
	ck_assert(arena_owns(pp->doc));
#ifndef __SANITIZE_ADDRESS__
	ck_assert_ptr_eq(pp->doc, first);   /* LIFO reuse (ASan takes fresh blocks first) */
#else
	(void)first;
#endif
	policy_decision_free(&d);
	policy_prepared_free(pp);
}
END_TEST

/* Arena and heap values linked both ways in one tree; each piece is freed
 * the way it was allocated (a heap value set into an arena object after the
 * scope, an arena value held by a heap object released before the arena). */
START_TEST(arena_and_heap_values_mix)
{
	struct arena a = { 0 };
	json_t *heap_before = json_object();
	struct arena *prev = arena_enter(&a);
	json_t *doc = json_pack("{s:s, s:[i, f, b], s:{}}", "Image", "busybox", "Cmd", 1, 2.5, 1,
	    "HostConfig");
	char big[8192];
	memset(big, 'b', sizeof big);
	json_t *bigs = json_stringn(big, sizeof big);   /* too big for a block: the heap */
	arena_leave(prev);

	ck_assert_ptr_null(prev);
	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(bigs);
	ck_assert(arena_owns(doc));
	ck_assert(arena_owns(json_string_value(json_object_get(doc, "Image"))));
	ck_assert(!arena_owns(json_string_value(bigs)));
	ck_assert(!arena_owns(heap_before));
	ck_assert_int_eq(json_object_set_new(doc, "Big", bigs), 0);

	/* after the scope: plain heap again, also for values grown into doc */
	json_t *after = json_string("after");
	ck_assert(!arena_owns(after));
	ck_assert_int_eq(json_object_set_new(doc, "After", after), 0);
	for (int i = 0; i < 64; i++) {   /* rehashes doc's buckets (arena -> heap) */
		char k[16];
		snprintf(k, sizeof k, "k%d", i);
		ck_assert_int_eq(json_object_set_new(json_object_get(doc, "HostConfig"), k,
		    json_integer(i)), 0);
	}
	ck_assert_int_eq(json_object_set(heap_before, "cmd", json_object_get(doc, "Cmd")), 0);
	ck_assert_int_eq(json_object_del(doc, "Image"), 0);   /* an arena free: a no-op */
	char *text = json_dumps(doc, JSON_COMPACT);           /* outside the scope: free() */
	ck_assert_ptr_nonnull(text);
	ck_assert(!arena_owns(text));
	ck_assert_ptr_nonnull(strstr(text, "\"Cmd\":[1,2.5,true]"));
	ck_assert_ptr_nonnull(strstr(text, "\"After\":\"after\""));
	free(text);
	json_decref(heap_before);
	json_decref(doc);
	ck_assert_uint_gt(arena_size(&a), 0);
	arena_release(&a);
	ck_assert_uint_eq(arena_size(&a), 0);
	ck_assert_ptr_null(a.blocks);
}
END_TEST

/* Scopes nest: the inner arena is active until it is left, then the outer
 * one again; a document larger than one block chains blocks. */
START_TEST(arena_scopes_nest)
{
	struct arena outer = { 0 }, inner = { 0 };
	struct arena *p0 = arena_enter(&outer);
	json_t *o = json_array();
	struct arena *p1 = arena_enter(&inner);
	json_t *i = json_array();
	for (int k = 0; k < 2000; k++)
		ck_assert_int_eq(json_array_append_new(i, json_string("a string value")), 0);
	arena_leave(p1);
	json_t *o2 = json_object();
	arena_leave(p0);

	ck_assert_ptr_null(p0);
	ck_assert_ptr_eq(p1, &outer);
	ck_assert(arena_owns(o) && arena_owns(i) && arena_owns(o2));
	ck_assert_uint_gt(arena_size(&inner), 2 * 16384);
	ck_assert_uint_eq(arena_size(&outer), 16384);
	ck_assert_uint_eq(json_array_size(i), 2000);
	ck_assert_str_eq(json_string_value(json_array_get(i, 1999)), "a string value");
	json_decref(i);
	arena_release(&inner);
	json_decref(o);
	json_decref(o2);
	arena_release(&outer);
}
END_TEST

/* A string too big for the arena is the heap's: the document holding it
 * is walked and freed when the request goes (LeakSanitizer, under
 * make asan-check, reports it otherwise). */
START_TEST(big_value_in_the_document_is_freed)
{
	static const char head[] = "{\"Image\":\"local/busybox:1.36\",\"User\":\"1000:1000\","
	    "\"Labels\":{\"big\":\"";
	static const char tail[] = "\"},\"HostConfig\":{\"CapDrop\":[\"ALL\"]}}";
	size_t n = sizeof head - 1 + 6000 + sizeof tail - 1;
	char *body = malloc(n);
	ck_assert_ptr_nonnull(body);
	memcpy(body, head, sizeof head - 1);
	memset(body + sizeof head - 1, 'x', 6000);
	memcpy(body + sizeof head - 1 + 6000, tail, sizeof tail - 1);
	struct pol_request req = request(body, n);
	struct pol_prepared *pp = policy_prepare(pol, "POST", "/v1.41/containers/create");
	struct pol_decision d;

	ck_assert_ptr_nonnull(pp);
	policy_judge(pol, pp, &req, &d);
	ck_assert_uint_eq(policy_prepared_decodes(pp), 1);
	ck_assert(arena_owns(pp->doc));
	const json_t *big = json_object_get(json_object_get(pp->doc, "Labels"), "big");
	ck_assert_uint_eq(json_string_length(big), 6000);
	ck_assert(!arena_owns(json_string_value(big)));
	ck_assert_uint_eq(pp->arena.heap, 1);
	policy_decision_free(&d);
	policy_prepared_free(pp);
	free(body);
}
END_TEST

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
/* Under ASan the arena poisons what is not live: the red zone after a
 * value, a value once freed, a block once released. */
START_TEST(arena_poisons_under_asan)
{
	struct arena a = { 0 };
	struct arena *prev = arena_enter(&a);
	json_t *s = json_string("abc"), *t = json_string("def");
	arena_leave(prev);
	const char *sv = json_string_value(s);

	ck_assert(arena_owns(sv));
	ck_assert(!__asan_address_is_poisoned(sv + 3));
	ck_assert(__asan_address_is_poisoned(sv + 4));   /* red zone */
	json_decref(s);
	ck_assert(__asan_address_is_poisoned(sv));        /* freed */
	const char *tv = json_string_value(t);
	ck_assert(!__asan_address_is_poisoned(tv));
	arena_release(&a);
	ck_assert(__asan_address_is_poisoned(tv));        /* released with the arena */
}
END_TEST
#endif

Suite *
policy_prepared_suite(void)
{
	Suite *s = suite_create("policy_prepared");
	TCase *tc = tcase_create("rounds");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, first_round_asks_for_both_lookups);
	tcase_add_test(tc, prepared_memory_is_reused_clean);
	tcase_add_test(tc, decoded_once_over_two_lookup_rounds);
	tcase_add_test(tc, held_answers_save_rounds);
	tcase_add_test(tc, decoded_once_when_the_lookups_deny);
	tcase_add_test(tc, settled_request_keeps_only_what_goes_on);
	tcase_add_test(tc, settled_denial_keeps_its_message);
	tcase_add_test(tc, refused_body_is_not_decoded_again);
	tcase_add_test(tc, prepare_routes_once);
	suite_add_tcase(s, tc);
	tc = tcase_create("canonical");
	tcase_set_timeout(tc, 60);   /* the mutated bodies, under ASan */
	tcase_add_test(tc, serialiser_matches_jansson_on_fixtures);
	tcase_add_test(tc, serialiser_matches_jansson_on_every_kind_of_value);
	tcase_add_test(tc, canonical_bytes_of_the_in_place_decoder);
	tcase_add_test(tc, in_place_decoder_refuses_like_before);
	tcase_add_test(tc, parser_matches_loadb_on_a_corpus);
	tcase_add_test(tc, parser_matches_loadb_on_mutated_bodies);
	tcase_add_test(tc, empty_strings_and_zeros_are_shared);
	tcase_add_test(tc, parser_matches_loadb_at_every_offset_in_a_string);
	suite_add_tcase(s, tc);
	tc = tcase_create("as_sent");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);   /* the mutated bodies, under ASan */
	tcase_add_test(tc, cli_bodies_are_forwarded_as_sent);
	tcase_add_test(tc, parser_tells_canonical_bytes);
	tcase_add_test(tc, decoder_changes_turn_the_fast_path_off);
	tcase_add_test(tc, fast_path_matches_serialiser_on_mutated_bodies);
	tcase_add_test(tc, decoder_shortcuts_match_the_full_walks);
	tcase_add_test(tc, hostconfig_index_matches_jansson);
	tcase_add_test(tc, one_pass_typing_matches_the_decoder);
	suite_add_tcase(s, tc);
	tc = tcase_create("arena");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, document_lives_in_the_arena);
	tcase_add_test(tc, arena_and_heap_values_mix);
	tcase_add_test(tc, arena_scopes_nest);
	tcase_add_test(tc, big_value_in_the_document_is_freed);
#ifdef __SANITIZE_ADDRESS__
	tcase_add_test(tc, arena_poisons_under_asan);
#endif
	suite_add_tcase(s, tc);
	return s;
}
