/* test_lookup_cache.c - the ownership cache of daemon/lookup.c against a
 * fake engine on a unix socket, both on one event loop in this process.
 *
 * The fake engine answers GET /events with a chunked 200 head and keeps that
 * connection (the test writes events into it, or closes it); every other GET
 * is counted and answered at once: containers and networks 200 with a small
 * document, "nope" 404, volumes 200. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "daemon/lookup.h"

static struct event_base *base;
static struct evconnlistener *listener;
static char dir[32], sock[64];
static struct bufferevent *events_bev;   /* the engine's end of GET /events */
static int ngets;                        /* engine GETs other than /events */
static int ndone;                        /* lookup callbacks run */
static const char *events_head;          /* NULL: dockerd's chunked 200 head */
static double events_since;              /* the since= of GET /events; -1: none */

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	char head[1024] = "";
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);

	(void)arg;
	if (end.pos < 0)
		return;
	evbuffer_copyout(in, head, sizeof head - 1);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (strncmp(head, "GET /events ", 12) == 0 || strncmp(head, "GET /events?", 12) == 0) {
		const char *since = strstr(head, "since=");
		events_since = since != NULL && since < strchr(head, '\r') ? strtod(since + 6, NULL) : -1;
		events_bev = bev;
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n";
		if (events_head != NULL)
			bufferevent_write(bev, events_head, strlen(events_head));
		else
			bufferevent_write(bev, ok, sizeof ok - 1);
		return;
	}
	ngets++;
	const char *body = strstr(head, "/nope/") ? "{\"message\":\"No such container: nope\"}"
	    : "{\"Id\":\"aaaa\",\"Config\":{\"Labels\":{\"io.sockward.tenant\":\"red\"}}}";
	int status = strstr(head, "/nope/") ? 404 : 200;
	struct evbuffer *out = bufferevent_get_output(bev);
	evbuffer_add_printf(out, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status, strlen(body), body);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what; (void)arg;
	if (bev == events_bev)
		events_bev = NULL;
	bufferevent_free(bev);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	(void)l; (void)sa; (void)len; (void)arg;
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, conn_read, NULL, conn_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
setup(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(dir, sizeof dir, "/tmp/swlc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/engine.sock", dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock);
	base = event_base_new();
	listener = evconnlistener_new_bind(base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE, 16,
	    (struct sockaddr *)&sun, sizeof sun);
	ck_assert_ptr_nonnull(listener);
	ngets = ndone = 0;
	events_bev = NULL;
	events_head = NULL;
	events_since = -1;
}

static void
teardown(void)
{
	lookup_cache_stop();
	if (events_bev != NULL)
		bufferevent_free(events_bev);
	events_bev = NULL;
	evconnlistener_free(listener);
	/* let the closed connections go */
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_free(base);
	unlink(sock);
	rmdir(dir);
}

/* run the loop until cond holds (at most ~2 s) */
#define RUN_UNTIL(cond) do { \
	for (int i_ = 0; i_ < 2000 && !(cond); i_++) { \
		struct timeval t_ = { 0, 1000 }; \
		event_base_loopexit(base, &t_); \
		event_base_dispatch(base); \
	} \
	ck_assert_msg((cond), "timed out waiting for " #cond); \
} while (0)

static void
done_cb(struct pol_lookup *lk, void *arg)
{
	(void)lk; (void)arg;
	ndone++;
}

/* One lookup, run to its end; returns its status (json freed) */
static int
lookup_once(enum pol_lookup_kind kind, const char *name, char *id, size_t idlen)
{
	struct pol_lookup lk = { .kind = kind };
	int before = ndone, status;

	snprintf(lk.name, sizeof lk.name, "%s", name);
	ck_assert_ptr_nonnull(lookup_start(base, sock, &lk, NULL, done_cb, NULL));
	ck_assert_int_eq(ndone, before);   /* never inside lookup_start */
	RUN_UNTIL(ndone == before + 1);
	ck_assert_int_eq(lk.done, 1);
	status = lk.status;
	if (id != NULL)
		snprintf(id, idlen, "%s", json_string_value(json_object_get(lk.json, "Id")));
	json_decref(lk.json);
	return status;
}

static int
cache_valid(void)
{
	unsigned long hits;
	size_t n;
	int valid;
	lookup_cache_stats(&hits, &n, &valid);
	return valid;
}

static size_t
cache_entries(void)
{
	unsigned long hits;
	size_t n;
	int valid;
	lookup_cache_stats(&hits, &n, &valid);
	return n;
}

START_TEST(answers_kept_until_an_event)
{
	char id[64];

	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(cache_valid());
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", id, sizeof id), 200);
	ck_assert_int_eq(ngets, 1);
	/* the second is answered from the cache, with the same document */
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", id, sizeof id), 200);
	ck_assert_int_eq(ngets, 1);
	ck_assert_str_eq(id, "aaaa");
	ck_assert_int_eq(lookup_once(POL_LOOKUP_NETWORK, "net", NULL, 0), 200);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_NETWORK, "net", NULL, 0), 200);
	ck_assert_int_eq(ngets, 2);
	ck_assert_uint_eq(cache_entries(), 2);
	/* a network event forgets networks and the containers that show them */
	ck_assert_ptr_nonnull(events_bev);
	static const char ev[] = "13\r\n{\"Type\":\"network\"}\n\r\n";
	bufferevent_write(events_bev, ev, sizeof ev - 1);
	RUN_UNTIL(cache_entries() == 0);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	ck_assert_int_eq(ngets, 3);
}
END_TEST

START_TEST(negative_and_image_answers_not_kept)
{
	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(cache_valid());
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "nope", NULL, 0), 404);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "nope", NULL, 0), 404);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_IMAGE, "i", NULL, 0), 200);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_IMAGE, "i", NULL, 0), 200);
	ck_assert_int_eq(ngets, 4);
	ck_assert_uint_eq(cache_entries(), 0);
}
END_TEST

/* run the loop a little: the engine's writes reach the cache */
static void
spin(void)
{
	for (int i = 0; i < 20; i++) {
		struct timeval t = { 0, 1000 };
		event_base_loopexit(base, &t);
		event_base_dispatch(base);
	}
}

/* send one event line (chunked as dockerd does) and let the cache read it */
static void
send_event(const char *json)
{
	char ev[512];
	int n = snprintf(ev, sizeof ev, "%zx\r\n%s\n\r\n", strlen(json) + 1, json);
	ck_assert_ptr_nonnull(events_bev);
	bufferevent_write(events_bev, ev, (size_t)n);
	spin();
}

START_TEST(an_event_forgets_what_its_type_can_change)
{
	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(cache_valid());
	ck_assert_int_eq(lookup_once(POL_LOOKUP_VOLUME, "data", NULL, 0), 200);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_NETWORK, "appnet", NULL, 0), 200);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	ck_assert_int_eq(ngets, 3);
	ck_assert_uint_eq(cache_entries(), 3);
	/* served from the cache */
	ck_assert_int_eq(lookup_once(POL_LOOKUP_VOLUME, "data", NULL, 0), 200);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_NETWORK, "appnet", NULL, 0), 200);
	ck_assert_int_eq(ngets, 3);
	/* a container event: the container goes, the volume and network stay */
	send_event("{\"status\":\"create\",\"id\":\"abc\",\"Type\":\"container\",\"Action\":\"create\","
	    "\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"name\":\"x\"}},\"time\":1}");
	ck_assert_uint_eq(cache_entries(), 2);
	/* an image event changes none of them */
	send_event("{\"status\":\"tag\",\"Type\":\"image\",\"Action\":\"tag\",\"Actor\":{}}");
	ck_assert_uint_eq(cache_entries(), 2);
	/* a chunk-size line alone says nothing */
	bufferevent_write(events_bev, "1f\r\n", 4);
	spin();
	ck_assert_uint_eq(cache_entries(), 2);
	/* a volume event forgets the volume, not the network */
	send_event("{\"Type\":\"volume\",\"Action\":\"destroy\",\"Actor\":{\"ID\":\"data\"}}");
	ck_assert_uint_eq(cache_entries(), 1);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_VOLUME, "data", NULL, 0), 200);
	ck_assert_int_eq(ngets, 4);
	ck_assert_uint_eq(cache_entries(), 2);
	/* a container whose label is called Type=volume: both types count */
	send_event("{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"Attributes\":"
	    "{\"Type\":\"volume\"}}}");
	ck_assert_uint_eq(cache_entries(), 1);   /* the network is left */
	/* a type it does not know, and a line without a type, forget everything */
	ck_assert_int_eq(lookup_once(POL_LOOKUP_VOLUME, "data", NULL, 0), 200);
	ck_assert_uint_eq(cache_entries(), 2);
	send_event("{\"Type\":\"daemon\",\"Action\":\"reload\"}");
	ck_assert_uint_eq(cache_entries(), 0);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_NETWORK, "appnet", NULL, 0), 200);
	ck_assert_uint_eq(cache_entries(), 1);
	send_event("{\"status\":\"x\"}");
	ck_assert_uint_eq(cache_entries(), 0);
	/* an event line cut by chunk framing: its pieces name no type */
	ck_assert_int_eq(lookup_once(POL_LOOKUP_NETWORK, "appnet", NULL, 0), 200);
	ck_assert_uint_eq(cache_entries(), 1);
	static const char cut[] = "8\r\n{\"Type\"\r\n10\r\n:\"image\"}\n\r\n";
	bufferevent_write(events_bev, cut, sizeof cut - 1);
	RUN_UNTIL(cache_entries() == 0);
}
END_TEST

START_TEST(a_lost_stream_empties_and_disables_it)
{
	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(cache_valid());
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	ck_assert_uint_eq(cache_entries(), 1);
	bufferevent_free(events_bev);
	events_bev = NULL;
	RUN_UNTIL(!cache_valid());
	ck_assert_uint_eq(cache_entries(), 0);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	ck_assert_int_eq(ngets, 3);
	/* it reconnects and caches again */
	RUN_UNTIL(cache_valid());
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	ck_assert_int_eq(ngets, 4);
}
END_TEST

/* The events answer ends (its last, empty chunk) while the connection
 * stays open, as an HTTP/1.1 connection does between answers: no event
 * can come any more, so nothing may be kept from then on. */
START_TEST(the_end_of_the_events_answer_is_a_lost_stream)
{
	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(cache_valid());
	ck_assert_int_eq(lookup_once(POL_LOOKUP_VOLUME, "data", NULL, 0), 200);
	ck_assert_uint_eq(cache_entries(), 1);
	ck_assert_ptr_nonnull(events_bev);
	bufferevent_write(events_bev, "0\r\n\r\n", 5);
	spin();
	ck_assert_int_eq(cache_valid(), 0);
	ck_assert_uint_eq(cache_entries(), 0);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_VOLUME, "data", NULL, 0), 200);
	ck_assert_int_eq(ngets, 2);
	/* it asks again, and follows the new answer */
	RUN_UNTIL(cache_valid());
	/* an answer of known length ends the same way: it is no stream */
	lookup_cache_configure(base, sock, 0);
	events_head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 0\r\n\r\n";
	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(events_bev != NULL);
	spin();
	ck_assert_int_eq(cache_valid(), 0);
}
END_TEST

/* dockerd writes the 200 head of GET /events before it subscribes the
 * stream (getEvents: output.Flush(), then SubscribeToEvents), so a change
 * between the two is no event on it; what it sends on subscribing is the
 * events of its log from since= on (loadBufferedEvents, none without
 * since).  The fake engine does the same: an answer cached once the head
 * is here, the volume changed before the subscription, then it subscribes. */
START_TEST(a_change_before_the_engine_subscribes_is_not_missed)
{
	struct timespec now;
	char ev[256];

	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(cache_valid());
	ck_assert_int_eq(lookup_once(POL_LOOKUP_VOLUME, "data", NULL, 0), 200);
	ck_assert_uint_eq(cache_entries(), 1);
	/* "data" removed and made again with other options, not yet subscribed */
	clock_gettime(CLOCK_REALTIME, &now);
	double t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	snprintf(ev, sizeof ev, "{\"Type\":\"volume\",\"Action\":\"create\",\"Actor\":"
	    "{\"ID\":\"data\"},\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld%09ld}",
	    (long long)now.tv_sec, (long long)now.tv_sec, now.tv_nsec);
	/* subscribed: the log's events since then are replayed */
	if (events_since >= 0 && t >= events_since)
		send_event(ev);
	spin();
	ck_assert_uint_eq(cache_entries(), 0);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_VOLUME, "data", NULL, 0), 200);
	ck_assert_int_eq(ngets, 2);
}
END_TEST

START_TEST(an_answer_in_flight_across_an_event_is_not_kept)
{
	struct pol_lookup lk = { .kind = POL_LOOKUP_CONTAINER };

	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(cache_valid());
	snprintf(lk.name, sizeof lk.name, "web");
	ck_assert_ptr_nonnull(lookup_start(base, sock, &lk, NULL, done_cb, NULL));
	/* the event is on the wire before the answer */
	static const char ev[] = "2\r\n{}\r\n";
	bufferevent_write(events_bev, ev, sizeof ev - 1);
	RUN_UNTIL(ndone == 1);
	json_decref(lk.json);
	ck_assert_int_eq(lk.status, 200);
	ck_assert_uint_eq(cache_entries(), 0);
}
END_TEST

/* Another engine's answer is not the followed engine's: a request that
 * started before a reload moved upstream.socket keeps its configuration,
 * so its later lookups still go to the old engine while the cache follows
 * the new one (and the generation is the new one's). */
START_TEST(another_engines_answer_is_not_kept)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char other[64];
	struct pol_lookup lk = { .kind = POL_LOOKUP_VOLUME };

	snprintf(other, sizeof other, "%s/old.sock", dir);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", other);
	struct evconnlistener *old = evconnlistener_new_bind(base, accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE, 16, (struct sockaddr *)&sun, sizeof sun);
	ck_assert_ptr_nonnull(old);
	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(cache_valid());
	snprintf(lk.name, sizeof lk.name, "data");
	ck_assert_ptr_nonnull(lookup_start(base, other, &lk, NULL, done_cb, NULL));
	RUN_UNTIL(ndone == 1);
	ck_assert_int_eq(lk.status, 200);
	json_decref(lk.json);
	/* the followed engine's "data" is not the other engine's */
	ck_assert_uint_eq(cache_entries(), 0);
	ck_assert_ptr_null(lookup_cache_answer(sock, POL_LOOKUP_VOLUME, "data"));
	ck_assert_int_eq(lookup_once(POL_LOOKUP_VOLUME, "data", NULL, 0), 200);
	ck_assert_int_eq(ngets, 2);
	evconnlistener_free(old);
	unlink(other);
}
END_TEST

START_TEST(off_and_cancelled_hits)
{
	struct pol_lookup lk = { .kind = POL_LOOKUP_CONTAINER };
	struct lookup *l;

	/* off: nothing is kept */
	lookup_cache_configure(base, sock, 0);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	ck_assert_int_eq(ngets, 2);
	/* on: a hit cancelled before its turn never calls back, and leaks nothing */
	lookup_cache_configure(base, sock, 1);
	RUN_UNTIL(cache_valid());
	ck_assert_int_eq(lookup_once(POL_LOOKUP_CONTAINER, "web", NULL, 0), 200);
	snprintf(lk.name, sizeof lk.name, "web");
	l = lookup_start(base, sock, &lk, NULL, done_cb, NULL);
	ck_assert_ptr_nonnull(l);
	lookup_cancel(l);
	int before = ndone;
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(ndone, before);
	ck_assert_int_eq(ngets, 3);
}
END_TEST

Suite *
lookup_cache_suite(void)
{
	Suite *s = suite_create("lookup_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, answers_kept_until_an_event);
	tcase_add_test(tc, negative_and_image_answers_not_kept);
	tcase_add_test(tc, an_event_forgets_what_its_type_can_change);
	tcase_add_test(tc, a_lost_stream_empties_and_disables_it);
	tcase_add_test(tc, an_answer_in_flight_across_an_event_is_not_kept);
	tcase_add_test(tc, off_and_cancelled_hits);
	tcase_add_test(tc, another_engines_answer_is_not_kept);
	tcase_add_test(tc, the_end_of_the_events_answer_is_a_lost_stream);
	tcase_add_test(tc, a_change_before_the_engine_subscribes_is_not_missed);
	suite_add_tcase(s, tc);
	return s;
}
