/* test_lookup_budget.c - what the answers of policy lookups may cost.
 *
 * One small create naming 16 containers (Links) made sockward read, parse
 * and hold 16 inspect answers of up to 4 MiB each; ten at once held 650 MB
 * and 10 s of CPU, and other clients' lookups timed out behind them.  The
 * lookup budget (engine_client.h) bounds what one request, one client and
 * all of them hold.  Real sessions on the harness's loop, a fake engine
 * answering container lookups with ~3.9 MiB documents of tenant red. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/engine_client.h"
#include "daemon/lookup.h"
#include "tests/unit/sess_harness.h"

/* every client (unix or TCP) is tenant red's */
#define POLICY_TENANT "{ \"default_profile\": \"baseline\", \"bindings\": [ { \"match\": \"*\"," \
	" \"profile\": \"baseline\", \"tenant\": \"red\" } ] }"
#define BIG_BYTES ((39u << 20) / 10)   /* 4 fit one request's 16 MiB, 8 one client's 32 */

static struct harness H;
static char *big_answer;    /* a whole HTTP answer */
static size_t big_len;

static void
teardown(void)
{
	if (H.srv_up)
		h_teardown(&H);
	lookup_set_timeout_ms(0);
	free(big_answer);
	big_answer = NULL;
}

/* red's container, with an Env of 64 KiB strings (megabytes of labels and
 * Env are what made real inspect answers this big) */
static void
make_big_answer(void)
{
	size_t cap = BIG_BYTES + 4096, n = 0;
	char *a = malloc(cap);
	ck_assert_ptr_nonnull(a);
	n += (size_t)snprintf(a, cap, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: %10u\r\nConnection: close\r\n\r\n", 0u);
	size_t body = n;
	n += (size_t)snprintf(a + n, cap - n, "{\"Id\":\"%064d\",\"Name\":\"/big\",\"Config\":{"
	    "\"Labels\":{\"io.sockward.tenant\":\"red\"},\"Env\":[\"A=0\"", 7);
	while (n + (64u << 10) + 100 < body + BIG_BYTES) {
		a[n++] = ',';
		a[n++] = '"';
		memset(a + n, 'x', 64u << 10);
		n += 64u << 10;
		a[n++] = '"';
	}
	n += (size_t)snprintf(a + n, cap - n, "]},\"HostConfig\":{},\"Mounts\":[]}");
	char cl[11];
	snprintf(cl, sizeof cl, "%10zu", n - body);
	memcpy(strstr(a, "Content-Length: ") + 16, cl, 10);
	big_answer = a;
	big_len = n;
}

/* the fake engine: GET /containers/big<N>/json gets the big answer, the
 * image is missing (dockerd's 404), containers named hang<N> are never
 * answered */
static void
engine_input(struct h_peer *e)
{
	if (e->fd < 0 || e->close_pending || !h_has(e, "\r\n\r\n"))
		return;
	if (strncmp(h_text(e), "GET /containers/big", 19) == 0) {
		h_send(e, big_answer, big_len);
		h_close_after(e);
	} else if (strncmp(h_text(e), "GET /images/", 12) == 0) {
		static const char nf[] = "{\"message\":\"No such image: busybox\"}";
		h_sendf(e, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(nf), nf);
		h_close_after(e);
	}
}

/* a create linking the containers named in links (comma separated) */
static void
send_create(struct h_peer *c, const char *links)
{
	char body[1024], list[800] = "";
	char copy[600];
	size_t n = 0;
	snprintf(copy, sizeof copy, "%s", links);
	for (char *save = NULL, *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
		n += (size_t)snprintf(list + n, sizeof list - n, "%s\"%s:%s\"", n ? "," : "", w, w);
	snprintf(body, sizeof body, "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],\"HostConfig\":"
	    "{\"Links\":[%s]}}", list);
	h_sendf(c, "POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
}

/* engine connections whose request starts with prefix */
static size_t
engine_count(const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < H.nengine; i++)
		if (strncmp(h_text(H.engine[i]), prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/* every big answer the engine was asked for has been written out */
static int
big_answers_sent(size_t want)
{
	size_t n = 0;
	for (size_t i = 0; i < H.nengine; i++)
		if (strncmp(h_text(H.engine[i]), "GET /containers/big", 19) == 0 &&
		    H.engine[i]->nwritten == big_len)
			n++;
	return n >= want;
}

/* The reported case: one create naming 16 big containers.  Before, all 16
 * answers (62 MiB) were read, parsed and held, and the create was judged
 * and forwarded.  Now the request's answers stop at 16 MiB: it is refused
 * with a 403 in Docker's form that says why, nothing is forwarded, the
 * lookups still running are cancelled, and the connection goes on. */
START_TEST(one_request_holds_at_most_its_share)
{
	struct h_peer *c;
	const char *body;
	size_t blen;
	make_big_answer();
	h_setup(&H, POLICY_TENANT, NULL);
	H.engine_on_input = engine_input;
	c = h_client(&H);
	send_create(c, "big0,big1,big2,big3,big4,big5,big6,big7,big8,big9,big10,big11,big12,"
	    "big13,big14,big15");
	H_RUN_UNTIL_MS(&H, 10000, h_answer_at(c, 0, &body, &blen) != 0);
	ck_assert_int_eq(h_answer_at(c, 0, &body, &blen), 403);
	h_assert_docker_error(body, blen, "larger than 16 MiB together");
	ck_assert_uint_eq(engine_count("POST /containers/create"), 0);
	ck_assert(h_log_has(&H, "lookup budget of its request"));
	ck_assert_int_eq(c->eof, 0);
	/* the connection still serves, with its lookups' budget given back */
	struct h_peer *e;
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, (e = h_engine_request(&H, "GET /containers/json?")) != NULL);
	ck_assert_uint_eq(engine_budget()->bytes, 0);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(engine_budget()->bytes, 0);
}
END_TEST

/* One client (the harness's unix clients: one uid) holds at most half of
 * the budget: with two creates each holding 4 big answers while they wait
 * for a fifth that never comes, its third create is refused as busy (503)
 * at once, while another client (TCP) is judged and forwarded. */
START_TEST(one_client_cannot_take_the_budget)
{
	struct h_peer *a1, *a2, *a3, *b, *e;
	const char *body;
	size_t blen;
	make_big_answer();
	h_setup(&H, POLICY_TENANT, NULL);
	H.engine_on_input = engine_input;
	a1 = h_client(&H);
	send_create(a1, "big0,big1,big2,big3,hang1");
	H_RUN_UNTIL_MS(&H, 10000, big_answers_sent(4));
	a2 = h_client(&H);
	send_create(a2, "big4,big5,big6,big7,hang2");
	H_RUN_UNTIL_MS(&H, 10000, big_answers_sent(8));
	h_settle(&H, 100);
	ck_assert_int_eq(h_answer_at(a1, 0, &body, &blen), 0);   /* both still waiting */
	ck_assert_int_eq(h_answer_at(a2, 0, &body, &blen), 0);
	a3 = h_client(&H);
	int64_t t0 = h_now_ms();
	send_create(a3, "big8");
	H_RUN_UNTIL_MS(&H, 5000, h_answer_at(a3, 0, &body, &blen) != 0);
	ck_assert_int_eq(h_answer_at(a3, 0, &body, &blen), 503);
	h_assert_docker_error(body, blen, "this client's requests being judged hold 32 MiB");
	ck_assert_int_lt(h_now_ms() - t0, 3000);   /* not after a 10 s wait */
	/* another client is served meanwhile */
	b = h_client_tcp(&H);
	send_create(b, "big9");
	H_RUN_UNTIL_MS(&H, 10000, (e = h_engine_request(&H, "POST /containers/create")) != NULL || h_has(b, "\r\n\r\n"));
	ck_assert_msg(e != NULL, "%s", h_text(b));
	h_sendf(e, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 30"
	    "\r\n\r\n{\"Id\":\"0123abc\",\"Warnings\":[]}");
	H_RUN_UNTIL(&H, h_answer_at(b, 0, &body, &blen) == 201);
	ck_assert_uint_eq(engine_count("POST /containers/create"), 1);
}
END_TEST

/* Ten of the reported requests at once: each is refused (its own share, or
 * its client's), and what they held is all given back. */
START_TEST(ten_at_once_give_everything_back)
{
	struct h_peer *c[10];
	const char *body;
	size_t blen;
	make_big_answer();
	h_setup(&H, POLICY_TENANT, NULL);
	H.engine_on_input = engine_input;
	for (int i = 0; i < 10; i++) {
		c[i] = h_client(&H);
		send_create(c[i], "big0,big1,big2,big3,big4,big5,big6,big7,big8,big9,big10,big11,"
		    "big12,big13,big14,big15");
	}
	for (int i = 0; i < 10; i++) {
		H_RUN_UNTIL_MS(&H, 10000, h_answer_at(c[i], 0, &body, &blen) != 0);
		int st = h_answer_at(c[i], 0, &body, &blen);
		ck_assert_msg(st == 403 || st == 503, "status %d", st);
	}
	ck_assert_uint_eq(engine_count("POST /containers/create"), 0);
	H_RUN_UNTIL(&H, engine_budget()->bytes == 0);
	for (int i = 0; i < 10; i++)
		h_close(c[i]);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(engine_budget()->bytes, 0);
}
END_TEST

/* a create on c holding the big answers named in links, waiting for its
 * lookup of hang<N>, which the engine never answers (10 s): once the
 * process's budget holds want bytes */
static void
hold(struct h_peer *c, const char *links, size_t want)
{
	const char *body;
	size_t blen;
	send_create(c, links);
	H_RUN_UNTIL_MS(&H, 10000, engine_budget()->bytes == want);
	ck_assert_int_eq(h_answer_at(c, 0, &body, &blen), 0);   /* waits for hang<N> */
}

/* the engine now answers the hang<N> lookups: no such container (404) */
static void
answer_hangs(void)
{
	static const char nf[] = "{\"message\":\"No such container: hang\"}";
	for (size_t i = 0; i < H.nengine; i++) {
		struct h_peer *e = H.engine[i];
		if (e->fd < 0 || e->close_pending || strncmp(h_text(e), "GET /containers/hang", 20) != 0)
			continue;
		h_sendf(e, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(nf), nf);
		h_close_after(e);
	}
}

/* The server, and two principals holding big answers in the process's
 * budget, each within its 32 MiB share: this uid (held[0], held[1]: unix
 * clients, 4 answers each) and 127.0.0.1 (held[2]: TCP, 4 answers; held[3]:
 * TCP, the ones named in last), each create waiting for its hang<N> (hold);
 * returns once they hold total answers in all. */
static void
hold_principals(struct h_peer *held[4], const char *last, size_t total)
{
	make_big_answer();
	h_setup(&H, POLICY_TENANT, NULL);
	H.engine_on_input = engine_input;
	held[0] = h_client(&H);
	hold(held[0], "big0,big1,big2,big3,hang1", 4 * big_len);
	held[1] = h_client(&H);
	hold(held[1], "big4,big5,big6,big7,hang2", 8 * big_len);
	held[2] = h_client_tcp(&H);
	hold(held[2], "big8,big9,big10,big11,hang3", 12 * big_len);
	held[3] = h_client_tcp(&H);
	hold(held[3], last, total * big_len);
	ck_assert_uint_lt(8 * big_len, ENGINE_IDENTITY_BUDGET);   /* each within its share */
}

/* A third principal (127.0.0.2) asks for a create naming the big answers in
 * links: run until it is answered or forwarded; took: how long, in ms. */
static struct h_peer *
third_principal_create(const char *links, int64_t *took)
{
	const char *body;
	size_t blen;
	struct h_peer *c = h_client_tcp_from(&H, "127.0.0.2");
	int64_t t0 = h_now_ms();
	send_create(c, links);
	H_RUN_UNTIL(&H, h_answer_at(c, 0, &body, &blen) != 0 ||
	    engine_count("POST /containers/create") > 0);
	*took = h_now_ms() - t0;
	return c;
}

/* The holders (hold_principals) are still waiting: the first and the last,
 * one of each principal, have no answer.  Their requests are decided once
 * their last lookups are answered (a TCP client that closed still counts as
 * reading while the policy waits, so their sessions would last the 10 s of
 * those lookups): each is answered, none forwarded, the budget is back to
 * 0, and then every session ends. */
static void
holders_done(struct h_peer **held, size_t n, struct h_peer *c)
{
	const char *body;
	size_t blen;
	ck_assert_int_eq(h_answer_at(held[0], 0, &body, &blen), 0);   /* still waiting */
	ck_assert_int_eq(h_answer_at(held[n - 1], 0, &body, &blen), 0);
	answer_hangs();
	for (size_t i = 0; i < n; i++)
		H_RUN_UNTIL(&H, h_answer_at(held[i], 0, &body, &blen) != 0);
	ck_assert_uint_eq(engine_count("POST /containers/create"), 0);
	H_RUN_UNTIL(&H, engine_budget()->bytes == 0);
	for (size_t i = 0; i < n; i++)
		h_close(held[i]);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(engine_budget()->bytes, 0);
}

/* Two principals (this uid; 127.0.0.1) hold 8 answers each, under their
 * 32 MiB shares, and the process's 64 MiB has no room for another whole
 * answer: a third principal's create waits for room, within its lookups'
 * deadline, and is then answered 503 saying so; none of it reached the
 * engine (not even its lookups), and what it waited on is as it was.  The
 * deadline is 10 s and the holders' lookups run out at theirs, before the
 * waiter's (they started first): the waiter's is made short
 * (lookup_set_timeout_ms) so that the budget is still full when it ends. */
START_TEST(waiting_for_the_budget_runs_out)
{
	struct h_peer *held[4], *c;
	const char *body;
	size_t blen;
	int64_t waited;
	hold_principals(held, "big12,big13,big14,big15,hang4", 16);
	ck_assert_uint_gt(16 * big_len + (4u << 20), ENGINE_LOOKUP_BUDGET);   /* no room */

	lookup_set_timeout_ms(300);
	size_t nengine = H.nengine;
	c = third_principal_create("big16", &waited);
	lookup_set_timeout_ms(0);
	ck_assert_uint_eq(engine_count("POST /containers/create"), 0);   /* never forwarded */
	ck_assert_int_eq(h_answer_at(c, 0, &body, &blen), 503);
	h_assert_docker_error(body, blen, "engine lookups busy: no engine connection or room in "
	    "the lookup budget was free for this request's policy lookups within their deadline; "
	    "nothing was forwarded, retry");
	ck_assert_int_ge(waited, 250);   /* libevent's clock is a turn behind ours */
	ck_assert_uint_eq(H.nengine, nengine);   /* nothing of c reached the engine */
	ck_assert(h_log_has(&H, "a lookup waited 300 ms"));
	ck_assert_int_eq(c->eof, 0);
	ck_assert_uint_eq(engine_budget()->bytes, 16 * big_len);   /* the holders' */
	holders_done(held, 4, c);
}
END_TEST

/* The process's 64 MiB refuses a third principal even though no client is
 * over its 32 MiB: two principals hold 15 answers (8 and 7), leaving room
 * for one more whole answer; the third principal's create names two, both
 * start (each finds room), and the second's bytes find none: 503 at once,
 * saying all clients' answers fill the budget, nothing forwarded, its first
 * answer given back and the holders untouched. */
START_TEST(process_budget_refuses_a_third_principal)
{
	struct h_peer *held[4], *c;
	const char *body;
	size_t blen;
	int64_t took;
	hold_principals(held, "big12,big13,big14,hang4", 15);
	ck_assert_uint_le(15 * big_len + (4u << 20), ENGINE_LOOKUP_BUDGET);   /* room for one */
	ck_assert_uint_gt(17 * big_len, ENGINE_LOOKUP_BUDGET);               /* not two */

	c = third_principal_create("big15,big16", &took);
	ck_assert_uint_eq(engine_count("POST /containers/create"), 0);
	ck_assert_int_lt(took, 3000);   /* refused, not timed out */
	ck_assert_int_eq(h_answer_at(c, 0, &body, &blen), 503);
	h_assert_docker_error(body, blen, "engine lookups busy: the requests being judged hold "
	    "64 MiB of engine answers, the most sockward holds; nothing was forwarded, retry");
	ck_assert_uint_eq(engine_count("POST /containers/create"), 0);
	ck_assert(h_log_has(&H, "the lookup budget of all clients"));
	ck_assert_int_eq(c->eof, 0);
	H_RUN_UNTIL(&H, engine_budget()->bytes == 15 * big_len);   /* c's given back */
	holders_done(held, 4, c);
}
END_TEST

Suite *
lookup_budget_suite(void)
{
	Suite *s = suite_create("lookup_budget");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, one_request_holds_at_most_its_share);
	tcase_add_test(tc, one_client_cannot_take_the_budget);
	tcase_add_test(tc, ten_at_once_give_everything_back);
	tcase_add_test(tc, waiting_for_the_budget_runs_out);
	tcase_add_test(tc, process_budget_refuses_a_third_principal);
	suite_add_tcase(s, tc);
	return s;
}
