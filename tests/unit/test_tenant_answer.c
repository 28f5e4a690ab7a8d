/* test_tenant_answer.c - what a tenant sees of the answers a label filter
 * cannot narrow: the pure filter (policy/tenant_answer.c), and the daemon's
 * strict response stage around it (held whole, rewritten with a
 * Content-Length whatever the engine's framing, and never relayed
 * unfiltered: too big, cut short, malformed -> 502). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/response_stage.h"
#include "daemon/shares.h"
#include "policy/tenant_answer.h"
#include "tests/unit/sess_harness.h"

/* ---- the pure filter ---------------------------------------------------------- */

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
	ck_assert_msg(v != NULL, "bad test JSON: %s: %s", text, e.text);
	return v;
}

/* the Id (or Name) of each element, comma-separated */
static void
ids(const json_t *arr, char *out, size_t len)
{
	size_t i, o = 0;
	json_t *el;
	out[0] = '\0';
	json_array_foreach(arr, i, el) {
		const char *id = json_string_value(json_object_get(el, "Id"));
		if (id == NULL)
			id = json_string_value(json_object_get(el, "Name"));
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "", id ? id : "?");
	}
}

/* tenant's filtered answer of kind to in: the ids of its list (in its key
 * of an object answer, or the array itself) are want; the answer (new
 * reference) for more checks */
static json_t *
filtered_ids_are(enum pol_answer_filter kind, const char *tenant, json_t *in, const char *key,
    const char *want)
{
	char err[200], got[400];
	json_t *out = tenant_answer_filter(kind, tenant, in, err, sizeof err);
	ck_assert_msg(out != NULL, "%s", err);
	ids(key ? json_object_get(out, key) : out, got, sizeof got);
	ck_assert_str_eq(got, want);
	return out;
}

#define IMAGES "[" \
	"{\"Id\":\"own\",\"Labels\":{\"io.sockward.tenant\":\"web\",\"x\":\"y\"},\"Size\":10}," \
	"{\"Id\":\"other\",\"Labels\":{\"io.sockward.tenant\":\"db\"},\"Size\":20}," \
	"{\"Id\":\"shared\",\"Labels\":null,\"RepoTags\":[\"busybox:1\"],\"Size\":30}," \
	"{\"Id\":\"shared2\",\"Labels\":{\"maintainer\":\"x\"},\"RepoTags\":[\"x:1\"],\"Size\":40}," \
	"{\"Id\":\"nolabels\",\"RepoDigests\":[\"y@sha256:1\"],\"Size\":50}," \
	"{\"Id\":\"prefix\",\"Labels\":{\"io.sockward.tenant\":\"webx\"}}," \
	"{\"Id\":\"empty\",\"Labels\":{\"io.sockward.tenant\":\"\"}}]"

START_TEST(images_own_and_untenanted)
{
	json_t *in = J(IMAGES);
	json_t *out = filtered_ids_are(POL_ANSWER_IMAGES, "web", in, NULL, "own,shared,shared2,nolabels");
	/* the elements kept are kept whole */
	ck_assert(json_equal(json_array_get(out, 0), json_array_get(in, 0)));
	json_decref(out);
	/* the other tenant sees its own and the same shared ones */
	json_decref(filtered_ids_are(POL_ANSWER_IMAGES, "db", in, NULL, "other,shared,shared2,nolabels"));
	json_decref(in);
}
END_TEST

/* An untenanted image without a name (no tag, no digest) is what a classic
 * build leaves: its steps' images, the last with the tenant's whole rootfs
 * (the io.sockward.tenant LABEL is the build's last step); not shared. */
#define UNNAMED "[" \
	"{\"Id\":\"step\",\"Labels\":{\"a\":\"b\"},\"RepoTags\":[\"<none>:<none>\"]," \
	"\"RepoDigests\":[\"<none>@<none>\"],\"Size\":1}," \
	"{\"Id\":\"step2\",\"Labels\":null,\"RepoTags\":[],\"RepoDigests\":null,\"Size\":2}," \
	"{\"Id\":\"step3\",\"Labels\":null,\"Size\":4}," \
	"{\"Id\":\"pulled\",\"Labels\":null,\"RepoTags\":[],\"RepoDigests\":[\"x@sha256:1\"],\"Size\":8}," \
	"{\"Id\":\"mine\",\"Labels\":{\"io.sockward.tenant\":\"web\"},\"RepoTags\":[]," \
	"\"RepoDigests\":[],\"Size\":16}]"

START_TEST(images_unnamed_untenanted_hidden)
{
	json_t *in = J(UNNAMED);
	json_decref(filtered_ids_are(POL_ANSWER_IMAGES, "web", in, NULL, "pulled,mine"));
	json_decref(in);
	in = J("{\"LayersSize\":99,\"Images\":" UNNAMED ",\"Containers\":[],\"Volumes\":[]}");
	json_t *out = filtered_ids_are(POL_ANSWER_SYSTEM_DF, "web", in, "Images", "pulled,mine");
	ck_assert_int_eq(json_integer_value(json_object_get(out, "LayersSize")), 8 + 16);
	json_decref(out);
	json_decref(in);
}
END_TEST

START_TEST(networks_own_and_builtin)
{
	char err[200], got[400];
	json_t *in = J("["
	    "{\"Name\":\"bridge\",\"Labels\":{}},{\"Name\":\"host\"},{\"Name\":\"none\",\"Labels\":null},"
	    "{\"Name\":\"web_default\",\"Labels\":{\"io.sockward.tenant\":\"web\"}},"
	    "{\"Name\":\"db_default\",\"Labels\":{\"io.sockward.tenant\":\"db\"}},"
	    "{\"Name\":\"opsnet\",\"Labels\":{}},"
	    "{\"Name\":\"bridge2\",\"Labels\":{\"io.sockward.tenant\":\"db\"}}]");
	json_t *out = tenant_answer_filter(POL_ANSWER_NETWORKS, "web", in, err, sizeof err);
	ck_assert_msg(out != NULL, "%s", err);
	ids(out, got, sizeof got);
	ck_assert_str_eq(got, "bridge,host,none,web_default");
	json_decref(out);
	json_decref(in);
}
END_TEST

/* GET /v1.27/networks (API before 1.28 lists each network's Containers):
 * the built-in ones keep no one's containers, as in network inspect */
START_TEST(networks_old_api_builtin_containers_emptied)
{
	char err[200];
	json_t *in = J("["
	    "{\"Name\":\"bridge\",\"Id\":\"n1\",\"Labels\":{},\"Containers\":"
	    "{\"c-other\":{\"Name\":\"db-1\",\"IPv4Address\":\"172.17.0.2/16\"}}},"
	    "{\"Name\":\"host\",\"Containers\":{\"c-other2\":{\"Name\":\"db-2\"}}},"
	    "{\"Name\":\"web_default\",\"Labels\":{\"io.sockward.tenant\":\"web\"},"
	    "\"Containers\":{\"c-own\":{\"Name\":\"web-1\"}}}]");
	json_t *out = tenant_answer_filter(POL_ANSWER_NETWORKS, "web", in, err, sizeof err);
	ck_assert_msg(out != NULL, "%s", err);
	ck_assert_uint_eq(json_array_size(out), 3);
	ck_assert_int_eq(json_object_size(json_object_get(json_array_get(out, 0), "Containers")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(out, 0), "Id")), "n1");
	ck_assert_int_eq(json_object_size(json_object_get(json_array_get(out, 1), "Containers")), 0);
	ck_assert_int_eq(json_object_size(json_object_get(json_array_get(out, 2), "Containers")), 1);
	/* the answer itself is left as it is */
	ck_assert_int_eq(json_object_size(json_object_get(json_array_get(in, 0), "Containers")), 1);
	json_decref(out);
	json_decref(in);
}
END_TEST

/* network inspect: bridge keeps no one's containers (the map carries no
 * owner), the tenant's own network is as it is, anything else is refused */
START_TEST(network_inspect)
{
	char err[200];
	json_t *in = J("{\"Name\":\"bridge\",\"Id\":\"n1\",\"Labels\":{},\"Containers\":"
	    "{\"c-other\":{\"Name\":\"db-1\",\"IPv4Address\":\"172.17.0.2/16\"}}}");
	json_t *out = tenant_answer_filter(POL_ANSWER_NETWORK, "web", in, err, sizeof err);
	ck_assert_msg(out != NULL, "%s", err);
	ck_assert_int_eq(json_object_size(json_object_get(out, "Containers")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(out, "Id")), "n1");
	ck_assert_int_eq(json_object_size(json_object_get(in, "Containers")), 1);
	json_decref(out);
	json_decref(in);
	in = J("{\"Name\":\"web_default\",\"Labels\":{\"io.sockward.tenant\":\"web\"},"
	    "\"Containers\":{\"c-own\":{\"Name\":\"web-1\"}}}");
	out = tenant_answer_filter(POL_ANSWER_NETWORK, "web", in, err, sizeof err);
	ck_assert_msg(out != NULL, "%s", err);
	ck_assert_int_eq(json_object_size(json_object_get(out, "Containers")), 1);
	json_decref(out);
	json_decref(in);
	static const char *const refused[] = {
		"{\"Name\":\"db_default\",\"Labels\":{\"io.sockward.tenant\":\"db\"}}",
		"{\"Name\":\"opsnet\",\"Labels\":null}",
		"{\"Name\":\"bridge\",\"Labels\":[]}",
		"[]",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		in = J(refused[i]);
		out = tenant_answer_filter(POL_ANSWER_NETWORK, "web", in, err, sizeof err);
		ck_assert_msg(out == NULL, "%s was not refused", refused[i]);
		json_decref(in);
	}
}
END_TEST

START_TEST(system_df)
{
	char err[200], got[400];
	json_t *in = J("{\"LayersSize\":999,\"Images\":" IMAGES ","
	    "\"Containers\":[{\"Id\":\"c-own\",\"Labels\":{\"io.sockward.tenant\":\"web\"}},"
	    "{\"Id\":\"c-other\",\"Labels\":{\"io.sockward.tenant\":\"db\"}},{\"Id\":\"c-ops\",\"Labels\":{}}],"
	    "\"Volumes\":[{\"Name\":\"v-own\",\"Labels\":{\"io.sockward.tenant\":\"web\"}},"
	    "{\"Name\":\"v-anon\",\"Labels\":null},{\"Name\":\"v-other\",\"Labels\":{\"io.sockward.tenant\":\"db\"}}],"
	    "\"BuildCache\":[{\"ID\":\"b1\"}]}");
	json_t *out = tenant_answer_filter(POL_ANSWER_SYSTEM_DF, "web", in, err, sizeof err);
	ck_assert_msg(out != NULL, "%s", err);
	ids(json_object_get(out, "Images"), got, sizeof got);
	ck_assert_str_eq(got, "own,shared,shared2,nolabels");
	ids(json_object_get(out, "Containers"), got, sizeof got);
	ck_assert_str_eq(got, "c-own");
	ids(json_object_get(out, "Volumes"), got, sizeof got);
	ck_assert_str_eq(got, "v-own");
	ck_assert_uint_eq(json_array_size(json_object_get(out, "BuildCache")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "LayersSize")), 10 + 30 + 40 + 50);
	json_decref(out);
	/* null lists (an engine with nothing) are empty lists */
	json_decref(in);
	in = J("{\"LayersSize\":0,\"Images\":null,\"Containers\":null,\"Volumes\":null,\"BuildCache\":null}");
	out = tenant_answer_filter(POL_ANSWER_SYSTEM_DF, "web", in, err, sizeof err);
	ck_assert_msg(out != NULL, "%s", err);
	ck_assert_uint_eq(json_array_size(json_object_get(out, "Images")), 0);
	json_decref(out);
	json_decref(in);
}
END_TEST

/* system df's answer is not copied to be filtered: what it keeps as it is
 * (here Other) is the answer's own value, not a copy of it, and the answer
 * itself is left unchanged (it was deep-copied whole: 124 MiB peak and
 * 0.68 s of the event loop for 7.5 MiB, tests/bench/answer_bench.c). */
START_TEST(system_df_not_copied)
{
	char err[200];
	json_t *in = J("{\"Other\":{\"Big\":[1,2,3]},\"Images\":" IMAGES ",\"Containers\":[],"
	    "\"Volumes\":[{\"Name\":\"v-other\",\"Labels\":{\"io.sockward.tenant\":\"db\"}}]}");
	json_t *out = tenant_answer_filter(POL_ANSWER_SYSTEM_DF, "web", in, err, sizeof err);
	ck_assert_msg(out != NULL, "%s", err);
	ck_assert_ptr_eq(json_object_get(out, "Other"), json_object_get(in, "Other"));
	ck_assert_uint_eq(json_array_size(json_object_get(out, "Volumes")), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(in, "Volumes")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(in, "Images")), 7);
	ck_assert_ptr_null(json_object_get(in, "BuildCache"));
	json_decref(out);
	json_decref(in);
}
END_TEST

/* Anything not shaped as dockerd answers is refused, never passed through. */
START_TEST(bad_shapes_refused)
{
	static const struct { enum pol_answer_filter k; const char *text; } bad[] = {
		{ POL_ANSWER_IMAGES, "{}" },
		{ POL_ANSWER_IMAGES, "null" },
		{ POL_ANSWER_IMAGES, "[1]" },
		{ POL_ANSWER_IMAGES, "[{\"Id\":\"x\",\"Labels\":[\"io.sockward.tenant=web\"]}]" },
		{ POL_ANSWER_IMAGES, "[{\"Id\":\"x\",\"Labels\":{\"io.sockward.tenant\":7}}]" },
		{ POL_ANSWER_NETWORKS, "[{\"Name\":\"bridge\"},\"x\"]" },
		{ POL_ANSWER_SYSTEM_DF, "[]" },
		{ POL_ANSWER_SYSTEM_DF, "{\"Images\":{}}" },
		{ POL_ANSWER_SYSTEM_DF, "{\"Volumes\":[{\"Labels\":\"x\"}]}" },
		{ POL_ANSWER_NONE, "[]" },
	};
	char err[200];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *in = J(bad[i].text);
		err[0] = '\0';
		json_t *out = tenant_answer_filter(bad[i].k, "web", in, err, sizeof err);
		ck_assert_msg(out == NULL, "case %zu (%s) accepted", i, bad[i].text);
		ck_assert_msg(err[0] != '\0', "case %zu: no reason", i);
		json_decref(in);
	}
}
END_TEST

/* ---- the daemon's stage --------------------------------------------------------- */

static struct harness H;

static void
teardown(void)
{
	if (H.srv_up)
		h_teardown(&H);
}

/* this process is the client (SO_PEERCRED): bound to tenant web */
static void
setup_tenant_limits(const char *limits)
{
	char pol[256];
	snprintf(pol, sizeof pol, "{ \"bindings\": [ { \"match\": { \"uid\": %u }, \"profile\": "
	    "\"baseline\", \"tenant\": \"web\" } ] }", (unsigned)getuid());
	h_setup(&H, pol, limits);
}

static void
setup_tenant(void)
{
	setup_tenant_limits(NULL);
}

/* The client's complete answer: status, and body (Content-Length framed). */
static int
client_answer(const struct h_peer *c, const char **body, size_t *blen)
{
	const char *t = h_text(c), *end = strstr(t, "\r\n\r\n"), *cl;
	int status;
	if (end == NULL || sscanf(t, "HTTP/1.%*d %d ", &status) != 1)
		return 0;
	if ((cl = strcasestr(t, "\r\nContent-Length:")) == NULL || cl > end)
		return 0;
	size_t want = strtoul(cl + 17, NULL, 10);
	if (strlen(end + 4) < want)
		return 0;
	*body = end + 4;
	*blen = want;
	return status;
}

/* images: the engine answers chunked; the client gets the filtered list
 * with a Content-Length, and the other tenant's image is nowhere. */
START_TEST(stage_filters_images)
{
	struct h_peer *c, *e = NULL;
	const char *body;
	size_t blen;
	int st;
	setup_tenant();
	c = h_client(&H);
	h_sendf(c, "GET /v1.41/images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /v1.41/images/json HTTP/1.1\r\n")) != NULL);
	size_t n = strlen(IMAGES);
	h_sendf(e, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%.*s\r\n%zx\r\n%s\r\n0\r\n\r\n",
	    n / 2, (int)(n / 2), IMAGES, n - n / 2, IMAGES + n / 2);
	H_RUN_UNTIL(&H, (st = client_answer(c, &body, &blen)) != 0);
	ck_assert_int_eq(st, 200);
	ck_assert_msg(strstr(h_text(c), "\r\nApi-Version: 1.41\r\n") != NULL, "%s", h_text(c));
	ck_assert_msg(strcasestr(h_text(c), "Transfer-Encoding") == NULL, "%s", h_text(c));
	json_t *got = json_loadb(body, blen, 0, NULL);
	ck_assert_msg(got != NULL, "%.*s", (int)blen, body);
	char list[400];
	ids(got, list, sizeof list);
	ck_assert_str_eq(list, "own,shared,shared2,nolabels");
	ck_assert(strstr(h_text(c), "\"other\"") == NULL);
	json_decref(got);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* ps: the engine gets the tenant's label filter, the answer passes as is */
START_TEST(stage_ps_gets_label_filter)
{
	struct h_peer *c, *e = NULL;
	setup_tenant();
	c = h_client(&H);
	h_sendf(c, "GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /v1.41/containers/json?all=1&filters="
	    "%7B%22label%22%3A%7B%22io.sockward.tenant%3Dweb%22%3Atrue%7D%7D HTTP/1.1\r\n")) != NULL);
	h_sendf(e, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n[]\n");
	H_RUN_UNTIL(&H, h_has(c, "\r\n\r\n[]\n"));
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* An engine error carries no objects: relayed as the engine gave it. */
START_TEST(stage_error_relayed)
{
	struct h_peer *c, *e = NULL;
	static const char ans[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
	    "Content-Length: 21\r\n\r\n{\"message\":\"broken\"}\n";
	setup_tenant();
	c = h_client(&H);
	h_sendf(c, "GET /v1.41/networks HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /v1.41/networks HTTP/1.1\r\n")) != NULL);
	h_sendf(e, "%s", ans);
	H_RUN_UNTIL(&H, h_has(c, "{\"message\":\"broken\"}\n"));
	ck_assert_str_eq(h_text(c), ans);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* What cannot be filtered is answered 502, none of it relayed. */
static void
expect_502(struct h_peer *c, const char *why)
{
	const char *body;
	size_t blen;
	int st;
	H_RUN_UNTIL(&H, (st = client_answer(c, &body, &blen)) != 0);
	ck_assert_msg(st == 502, "status %d: %s", st, h_text(c));
	json_t *m = json_loadb(body, blen, 0, NULL);
	const char *msg = json_string_value(json_object_get(m, "message"));
	ck_assert_msg(msg && strstr(msg, "cannot be filtered for tenant web") && strstr(msg, why),
	    "message: %s", msg ? msg : h_text(c));
	json_decref(m);
	ck_assert_msg(strstr(h_text(c), "\"other\"") == NULL, "other tenant's object relayed");
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}

START_TEST(stage_malformed_json_502)
{
	struct h_peer *c, *e = NULL;
	setup_tenant();
	c = h_client(&H);
	h_sendf(c, "GET /v1.41/images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /v1.41/images/json HTTP/1.1\r\n")) != NULL);
	h_sendf(e, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n"
	    "[{\"Id\":\"other\"},");
	expect_502(c, "not JSON");
}
END_TEST

START_TEST(stage_cut_short_502)
{
	struct h_peer *c, *e = NULL;
	setup_tenant();
	c = h_client(&H);
	h_sendf(c, "GET /v1.41/system/df HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /v1.41/system/df HTTP/1.1\r\n")) != NULL);
	h_sendf(e, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
	    "{\"Images\":[{\"Id\":\"other\"");
	h_close_after(e);
	expect_502(c, "mid-answer");
}
END_TEST

/* over the 8 MiB the stage holds: 502, and the memory stays bounded */
START_TEST(stage_too_big_502)
{
	struct h_peer *c, *e = NULL;
	setup_tenant();
	c = h_client(&H);
	h_sendf(c, "GET /v1.41/images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /v1.41/images/json HTTP/1.1\r\n")) != NULL);
	size_t big = (9u << 20);
	h_sendf(e, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n"
	    "[{\"Id\":\"other\",\"Labels\":{\"io.sockward.tenant\":\"db\"},\"Pad\":\"", big);
	char *pad = malloc(1 << 16);
	memset(pad, 'x', 1 << 16);
	for (size_t sent = 0; sent < big && c->nread == 0; sent += 1 << 16) {
		h_send(e, pad, 1 << 16);
		while (h_out_left(e) > (1u << 20) && c->nread == 0 && !e->werr)
			h_step(&H);
	}
	free(pad);
	expect_502(c, "over the 8 MiB");
}
END_TEST

/* ---- the held answers' budget (limits.max_held_answer_bytes) -------------------- */

/* one image of tenant padded to n bytes, the list left open */
static char *
padded_image(const char *tenant, size_t n)
{
	char *t = malloc(n + 1);
	int k = snprintf(t, n, "[{\"Id\":\"%s\",\"Labels\":{\"io.sockward.tenant\":\"%s\"},"
	    "\"Pad\":\"", strcmp(tenant, "web") == 0 ? "own" : "other", tenant);
	memset(t + k, 'x', n - (size_t)k);
	memcpy(t + n - 2, "\"}", 2);
	t[n] = '\0';
	return t;
}

#define REST ",{\"Id\":\"own\",\"Labels\":{\"io.sockward.tenant\":\"web\"}}," \
	"{\"Id\":\"shared\",\"Labels\":null,\"RepoTags\":[\"busybox:1\"],\"Size\":3}]"
#define CHUNKED_200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Transfer-Encoding: chunked\r\n\r\n"

/* a tenant's list asked for on c, held: the n bytes of pad (one image,
 * padded_image) come, the rest is still to come; returns the engine's end */
static struct h_peer *
list_held(struct h_peer *c, const char *query, const char *pad, size_t n)
{
	struct h_peer *e = NULL;
	char want[128];
	h_sendf(c, "GET /v1.41/images/json%s HTTP/1.1\r\nHost: docker\r\n\r\n", query);
	snprintf(want, sizeof want, "GET /v1.41/images/json%s HTTP/1.1\r\n", query);
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, want)) != NULL);
	h_sendf(e, CHUNKED_200 "%zx\r\n", n);
	h_send(e, pad, n);
	h_sendf(e, "\r\n");
	return e;
}

/* the list held on c (engine e) ends and is served, filtered */
static void
list_served(struct h_peer *c, struct h_peer *e)
{
	const char *body;
	size_t blen;
	int st;
	char got[400];
	h_sendf(e, "%x\r\n%s\r\n0\r\n\r\n", (unsigned)strlen(REST), REST);
	H_RUN_UNTIL(&H, (st = h_answer_at(c, 0, &body, &blen)) != 0);
	ck_assert_msg(st == 200, "status %d: %s", st, h_text(c));
	json_t *list = json_loadb(body, blen, 0, NULL);
	ck_assert_msg(list != NULL, "%.*s", (int)blen, body);
	ids(list, got, sizeof got);
	ck_assert_str_eq(got, "own,shared");
	json_decref(list);
}

/* a new client (this uid) asks for a list, held as list_held's: the held
 * total counts its n bytes; returns the client, *ea the engine's end */
static struct h_peer *
uid_list_held(const char *pad, size_t n, struct h_peer **ea)
{
	struct h_peer *a = h_client(&H);
	*ea = list_held(a, "", pad, n);
	H_RUN_UNTIL(&H, response_stage_held_total() >= n);
	return a;
}

/* c's list (query), with no room left for it, is refused at once: 503,
 * busy, saying why and why2, none of it relayed */
static void
list_busy(struct h_peer *c, const char *query, const char *pad, size_t n, const char *why,
    const char *why2)
{
	const char *body;
	size_t blen;
	int st;
	list_held(c, query, pad, n);
	H_RUN_UNTIL(&H, (st = h_answer_at(c, 0, &body, &blen)) != 0);
	ck_assert_msg(st == 503, "status %d: %s", st, h_text(c));
	h_assert_docker_error(body, blen, "busy");
	h_assert_docker_error(body, blen, why);
	h_assert_docker_error(body, blen, why2);
	ck_assert_msg(strstr(h_text(c), "\"other\"") == NULL, "other tenant's object relayed");
}

/* the n clients close, in that order: every session ends, nothing is held
 * any more and no principal keeps a share */
static void
closed_nothing_held(struct h_peer **c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h_close(c[i]);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(response_stage_held_total(), 0);
	ck_assert_uint_eq(share_count(), 0);
}

/* unix clients (this uid) and insecure TCP clients are both tenant web:
 * each TCP source address is a principal of its own (daemon/shares.h) */
static void
setup_tenant_principals(long budget)
{
	char pol[320], limits[64];
	snprintf(pol, sizeof pol, "{ \"bindings\": [ { \"match\": { \"uid\": %u }, \"profile\": "
	    "\"baseline\", \"tenant\": \"web\" }, { \"match\": { \"insecure\": true }, \"profile\": "
	    "\"baseline\", \"tenant\": \"web\" } ] }", (unsigned)getuid());
	snprintf(limits, sizeof limits, "\"max_held_answer_bytes\": %ld", budget);
	h_setup(&H, pol, limits);
}

/* All answers held at once are bounded: the tenant's list whose bytes would
 * take the held total over limits.max_held_answer_bytes gets a 503 (busy,
 * retry) and none of it; the lists held before it are served, filtered.  A
 * strict stage holds the de-chunked body, not the raw answer as well (it is
 * never relayed as received).  Three principals, each within its half:
 * without the budget 100 tenants' image lists held 1.5 GB at once. */
START_TEST(stage_budget_busy_503)
{
	struct h_peer *a, *b, *c, *ea, *eb;
	size_t n = 30000;
	char *pad = padded_image("db", n);
	setup_tenant_principals(65536);
	a = uid_list_held(pad, n, &ea);
	ck_assert_uint_lt(response_stage_held_total(), n + 4096);   /* the body alone */
	b = h_client_tcp_from(&H, "127.0.0.2");
	eb = list_held(b, "?all=0", pad, n);
	H_RUN_UNTIL(&H, response_stage_held_total() >= 2 * n);

	c = h_client_tcp_from(&H, "127.0.0.3");
	list_busy(c, "?all=1", pad, n, "limits.max_held_answer_bytes (65536 bytes)", "retry");
	ck_assert_uint_lt(response_stage_held_total(), 2 * n + 8192);   /* c's went at once */

	/* a's and b's go on, and are filtered */
	list_served(a, ea);
	list_served(b, eb);
	closed_nothing_held((struct h_peer *[]){ a, b, c }, 3);
	free(pad);
}
END_TEST

/* One client (a principal: one uid, whatever its connections) holds at
 * most half of limits.max_held_answer_bytes: its list that does not fit
 * gets a 503 saying so while the total is still under the budget, and
 * another client's list is served.  Without the share, one tenant that
 * asks for lists on many connections and reads none of them made every
 * other tenant's list busy. */
START_TEST(stage_budget_share_per_client)
{
	struct h_peer *a, *a2, *b, *ea, *eb;
	size_t n = 40000;
	char *pad = padded_image("db", n);
	setup_tenant_principals(131072);
	a = uid_list_held(pad, n, &ea);

	a2 = h_client(&H);   /* the same uid: the same share */
	list_busy(a2, "?all=1", pad, n, "for this client", "(65536 of 131072 bytes)");
	ck_assert_uint_lt(response_stage_held_total(), n + 4096);   /* a2's went at once */

	/* another client's list fits in the budget and in its own share */
	b = h_client_tcp(&H);
	eb = list_held(b, "?all=0", pad, n);
	H_RUN_UNTIL(&H, response_stage_held_total() >= 2 * n);
	list_served(b, eb);
	list_served(a, ea);
	closed_nothing_held((struct h_peer *[]){ a, a2, b }, 3);
	free(pad);
}
END_TEST

/* A tenant's filtered list of n bytes asked for on a client that is not
 * reading, answered and handed over whole: it waits in the client's output
 * while the connection is between requests. */
static struct h_peer *
unread_list_answered(size_t n, const char *limits)
{
	struct h_peer *c, *e = NULL;
	char *own = padded_image("web", n);
	setup_tenant_limits(limits);
	c = h_client(&H);
	h_pause_read(c, 1);
	h_sendf(c, "GET /v1.41/images/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /v1.41/images/json HTTP/1.1\r\n")) != NULL);
	h_sendf(e, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
	    n + 1);
	h_send(e, own, n);
	h_sendf(e, "]");
	H_RUN_UNTIL_MS(&H, 20000, h_log_has(&H, "status=200"));   /* filtered, handed over */
	ck_assert_uint_ge(response_stage_held_total(), n / 2);    /* most of it still here */
	free(own);
	return c;
}

/* The filtered answer counts in the held total until its client has it: a
 * tenant that does not read cannot keep answers outside the budget. */
START_TEST(stage_budget_counts_unsent_answer)
{
	struct h_peer *c;
	const char *body;
	size_t blen, n = 4u << 20;
	c = unread_list_answered(n, NULL);
	ck_assert_uint_ge(response_stage_held_total(), n);
	h_pause_read(c, 0);
	/* its byte count first: the answer's parse copies all 4 MiB each time */
	H_RUN_UNTIL_MS(&H, 20000, c->nread >= n + 2);
	H_RUN_UNTIL(&H, h_answer_at(c, 0, &body, &blen) != 0);
	ck_assert_uint_eq(blen, n + 2);   /* and a newline */
	H_RUN_UNTIL(&H, response_stage_held_total() == 0);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
}
END_TEST

/* The keep-alive wait is for the next request, not for the client to read
 * the last answer: a client that reads a big answer slowly but steadily
 * for longer than header_timeout_ms gets all of it, then a whole wait.
 * Before, the idle timer started when the answer was handed over and the
 * close threw away what the client had not read yet (a tenant's 4 MiB list
 * was cut for a client reading under 400 KB/s; under ASan the test above
 * read that slowly and failed). */
START_TEST(slow_reader_gets_the_whole_answer_then_a_whole_wait)
{
	size_t n = 2u << 20;
	const char *body;
	size_t blen;
	struct h_peer *c = unread_list_answered(n, "\"header_timeout_ms\": 400");
	int64_t t0 = h_now_ms(), written = -1;
	/* a trickle, 128 KiB every 100 ms (1.3 MB/s): 2 MiB take four timeouts */
	while (c->nread < n + 2 && h_now_ms() - t0 < 10000) {
		for (size_t got = 0; got < (128u << 10);) {
			int r = evbuffer_read(c->in, c->fd, 4096);
			if (r <= 0)
				break;
			c->nread += (uint64_t)r;
			got += (size_t)r;
		}
		/* in 10 ms steps, to see when the daemon's last write went to
		 * the kernel (the held bytes are let go then): the wait starts
		 * there, which can be most of a step before this reader has
		 * the last byte (on a slow ASan run it was 64 ms) */
		for (int step = 0; step < 10; step++) {
			h_settle(&H, 10);
			if (written < 0 && response_stage_held_total() == 0)
				written = h_now_ms();
		}
		if (h_now_ms() - t0 < 1200)
			ck_assert_uint_lt(c->nread, n);   /* still reading after 3 timeouts */
	}
	h_pause_read(c, 0);
	H_RUN_UNTIL(&H, h_answer_at(c, 0, &body, &blen) != 0);
	if (written < 0 && response_stage_held_total() == 0)
		written = h_now_ms();
	ck_assert_int_ge(written, 0);
	ck_assert_uint_eq(blen, n + 2);
	ck_assert_int_eq(h_log_count(&H, "closed:"), 0);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	/* then the keep-alive wait, whole, and the close for being idle */
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_int_ge(h_now_ms() - written, 350);
	ck_assert(h_log_has(&H, "closed: idle timeout"));
	ck_assert_uint_eq(response_stage_held_total(), 0);
	h_close(c);
}
END_TEST

/* One that stops reading with its answer unread is dropped all the same,
 * and what was held for it goes. */
START_TEST(reader_that_stopped_is_dropped_with_its_answer)
{
	struct h_peer *c = unread_list_answered(2u << 20, "\"header_timeout_ms\": 400");
	int64_t t0 = h_now_ms();
	H_RUN_UNTIL_MS(&H, 3000, H.srv.gw.nsessions == 0);
	ck_assert_int_lt(h_now_ms() - t0, 2000);   /* one timeout without progress, and a second */
	ck_assert(h_log_has(&H, "closed: client stopped reading"));
	ck_assert_uint_eq(response_stage_held_total(), 0);
	h_close(c);
}
END_TEST

/* A stop finishes what is in flight: a connection between requests whose
 * last answer is still going out gets it before the close (it was closed at
 * once, the answer thrown away). */
START_TEST(shutdown_sends_the_last_answer_first)
{
	size_t n = 2u << 20;
	const char *body;
	size_t blen;
	struct h_peer *c = unread_list_answered(n, NULL);
	ck_assert_int_eq(raise(SIGTERM), 0);
	H_RUN_UNTIL(&H, h_log_has(&H, "SIGTERM: no longer accepting"));
	h_settle(&H, 50);
	h_pause_read(c, 0);
	H_RUN_UNTIL_MS(&H, 20000, c->nread >= n + 2 || c->eof);
	H_RUN_UNTIL(&H, h_answer_at(c, 0, &body, &blen) != 0);
	ck_assert_uint_eq(blen, n + 2);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert(h_log_has(&H, "closed: shutdown"));
	h_close(c);
}
END_TEST

/* the fake engine: the policy's lookups (no /v1.xx prefix) find nothing */
static void
lookups_not_found(struct h_peer *e)
{
	static const char nf[] = "{\"message\":\"not found\"}";
	if (e->fd < 0 || e->close_pending || !h_has(e, "\r\n\r\n") ||
	    strncmp(h_text(e), "GET /v1.", 8) == 0 || strncmp(h_text(e), "GET /", 5) != 0)
		return;
	h_sendf(e, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(nf), nf);
	h_close_after(e);
}

/* A tenant's 409 on create names the container that has the name, perhaps
 * another tenant's: when the held answers are over the budget it is
 * answered 503, never relayed, and that holds while its head is still
 * coming too (the head alone does not say it is no 409).  The total can be
 * over a session's budget before any of its answer came: a reload that
 * lowers limits.max_held_answer_bytes leaves the answers held under the
 * old one in place.  Before, the stage let go of an answer whose head was
 * not yet complete as if it could pass, and the 409 went out as received,
 * with the other container's ID. */
START_TEST(stage_budget_conflict_head_in_pieces)
{
	struct h_peer *a, *b, *ea = NULL, *ec = NULL;
	const char *body;
	size_t blen, n = 100000;
	int st;
	char *pad = padded_image("web", n);
	char pol[256];
	snprintf(pol, sizeof pol, "{ \"bindings\": [ { \"match\": { \"uid\": %u }, \"profile\": "
	    "\"baseline\", \"tenant\": \"web\" } ] }", (unsigned)getuid());
	h_setup(&H, pol, NULL);
	/* a's list is held, half come, under the budget of its session */
	a = uid_list_held(pad, n, &ea);
	/* the budget is lowered under what is held */
	h_reload(&H, pol, "\"max_held_answer_bytes\": 65536");

	H.engine_on_input = lookups_not_found;
	b = h_client(&H);
	static const char create[] = "{\"Image\":\"busybox\",\"Cmd\":[\"true\"]}";
	h_sendf(b, "POST /v1.41/containers/create?name=db HTTP/1.1\r\nHost: docker\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(create), create);
	H_RUN_UNTIL(&H, (ec = h_engine_request(&H, "POST /v1.41/containers/create")) != NULL);
	static const char conflict[] = "{\"message\":\"Conflict. The container name \\\"/db\\\" is "
	    "already in use by container \\\"0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef\\\". You have to remove (or rename) that container to be able to reuse "
	    "that name.\"}\n";
	h_sendf(ec, "HTTP/1.1 409 Conflict\r\nApi-Version: 1.41\r\nContent-");
	h_settle(&H, 100);   /* the head's first piece is read on its own */
	h_sendf(ec, "Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(conflict),
	    conflict);
	H_RUN_UNTIL(&H, (st = h_answer_at(b, 0, &body, &blen)) != 0);
	ck_assert_msg(strstr(h_text(b), "0123456789abcdef") == NULL, "the other container's ID "
	    "was relayed: %s", h_text(b));
	ck_assert_msg(st == 503, "status %d: %s", st, h_text(b));
	h_assert_docker_error(body, blen, "busy");
	h_close(ea);
	h_close(a);
	h_close(b);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(response_stage_held_total(), 0);
	free(pad);
}
END_TEST

/* Warn mode over the budget.  A create judged in warn mode has a stage that
 * adds the policy's findings to the answer's Warnings; when the held
 * answers are over limits.max_held_answer_bytes as its answer comes, that
 * answer is relayed exactly as the engine sent it (the warnings only add
 * the findings: without them the client gets what dockerd itself says),
 * from its first bytes on (it is not held to the end), the audit line and
 * the log still name the rule, and the connection goes on.  Then, with nothing held, the next such create gets its warning: the
 * stage was there, the budget alone made it let go. */
START_TEST(stage_budget_warn_mode_relayed_as_received)
{
	struct h_peer *a, *b, *ea = NULL, *ec = NULL;
	const char *body;
	size_t blen, n = 100000;
	int st;
	char *pad = padded_image("web", n);
	char pol[512];
	/* this uid: tenant web (its lists are held); insecure TCP: warn mode */
	snprintf(pol, sizeof pol, "{ \"profiles\": { \"trial\": { \"base\": \"baseline\", "
	    "\"mode\": \"warn\" } }, \"bindings\": [ { \"match\": { \"uid\": %u }, \"profile\": "
	    "\"baseline\", \"tenant\": \"web\" }, { \"match\": { \"insecure\": true }, "
	    "\"profile\": \"trial\" } ] }", (unsigned)getuid());
	h_setup(&H, pol, NULL);
	/* a's list is held, under the budget of its session */
	a = uid_list_held(pad, n, &ea);
	/* the budget is lowered under what is held */
	h_reload(&H, pol, "\"max_held_answer_bytes\": 65536");
	ck_assert_uint_gt(response_stage_held_total(), 65536);

	H.engine_on_input = lookups_not_found;
	b = h_client_tcp(&H);
	static const char create[] = "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"HostConfig\":"
	    "{\"Privileged\":true}}";
	h_sendf(b, "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(create), create);
	H_RUN_UNTIL(&H, (ec = h_engine_request(&H, "POST /v1.41/containers/create")) != NULL);
	ck_assert_msg(h_has(ec, "\"Privileged\":true"), "%s", h_text(ec));   /* warn: forwarded */
	static const char created[] = "HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\n"
	    "Content-Type: application/json\r\nContent-Length: 27\r\n\r\n"
	    "{\"Id\":\"abc\",\"Warnings\":[]}\n";
	/* its first part is relayed at once: the stage lets go instead of
	 * holding it over the budget; then the rest, as it comes */
	size_t part = strlen(created) - 15;
	h_send(ec, created, part);
	H_RUN_UNTIL(&H, b->nread >= part);
	ck_assert_msg(b->nread == part && memcmp(h_text(b), created, part) == 0, "%s", h_text(b));
	h_sendf(ec, "%s", created + part);
	H_RUN_UNTIL(&H, (st = h_answer_at(b, 0, &body, &blen)) != 0);
	ck_assert_msg(st == 201, "status %d: %s", st, h_text(b));
	ck_assert_str_eq(h_text(b), created);   /* byte for byte, no sockward: warning */
	ck_assert(h_log_has(&H, "answer relayed as received, without sockward's warnings"));
	/* the rule is still recorded: in the log line and the audit trail */
	ck_assert(h_log_has(&H, "rules=privileged"));
	const char *line;
	H_RUN_UNTIL(&H, (line = h_audit_line_with(&H, "\"verdict\":\"warn\"")) != NULL);
	ck_assert_msg(strstr(line, "privileged") != NULL, "audit: %s", line);
	ck_assert_msg(strstr(line, "\"status\":201") != NULL, "audit: %s", line);
	ck_assert_int_eq(b->eof, 0);   /* kept alive */
	ck_assert_uint_gt(response_stage_held_total(), 65536);   /* a's list: still held */

	/* nothing held any more: the same create gets the policy's warning */
	h_close(ea);
	h_close(a);
	H_RUN_UNTIL(&H, response_stage_held_total() == 0);
	size_t off = b->nread, req_len = ec->nread;
	h_sendf(b, "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(create), create);
	H_RUN_UNTIL(&H, ec->nread == 2 * req_len);   /* the same request, on the kept connection */
	h_sendf(ec, "%s", created);
	H_RUN_UNTIL(&H, (st = h_answer_at(b, off, &body, &blen)) != 0);
	ck_assert_msg(st == 201, "status %d: %s", st, h_text(b) + off);
	ck_assert_msg(memmem(body, blen, "sockward: [privileged]", 22) != NULL, "%.*s", (int)blen,
	    body);
	h_close(b);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(response_stage_held_total(), 0);
	ck_assert_uint_eq(share_count(), 0);
	free(pad);
}
END_TEST

Suite *
tenant_answer_suite(void)
{
	Suite *s = suite_create("tenant_answer");
	TCase *tc = tcase_create("filter");
	tcase_add_test(tc, images_own_and_untenanted);
	tcase_add_test(tc, images_unnamed_untenanted_hidden);
	tcase_add_test(tc, networks_own_and_builtin);
	tcase_add_test(tc, networks_old_api_builtin_containers_emptied);
	tcase_add_test(tc, network_inspect);
	tcase_add_test(tc, system_df);
	tcase_add_test(tc, system_df_not_copied);
	tcase_add_test(tc, bad_shapes_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("stage");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, stage_filters_images);
	tcase_add_test(tc, stage_ps_gets_label_filter);
	tcase_add_test(tc, stage_error_relayed);
	tcase_add_test(tc, stage_malformed_json_502);
	tcase_add_test(tc, stage_cut_short_502);
	tcase_add_test(tc, stage_too_big_502);
	tcase_add_test(tc, stage_budget_busy_503);
	tcase_add_test(tc, stage_budget_share_per_client);
	tcase_add_test(tc, stage_budget_counts_unsent_answer);
	tcase_add_test(tc, slow_reader_gets_the_whole_answer_then_a_whole_wait);
	tcase_add_test(tc, reader_that_stopped_is_dropped_with_its_answer);
	tcase_add_test(tc, shutdown_sends_the_last_answer_first);
	tcase_add_test(tc, stage_budget_conflict_head_in_pieces);
	tcase_add_test(tc, stage_budget_warn_mode_relayed_as_received);
	suite_add_tcase(s, tc);
	return s;
}
