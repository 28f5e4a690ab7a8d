/* test_splice.c - answer bodies moved by splice(2) (daemon/splice_pump.c).
 *
 * Real sessions (sess_harness.h) with a fake engine that does what a real
 * one rarely does on cue: a Content-Length body in many small pieces, a
 * connection dropped mid-body, a client that leaves mid-body.  Each case
 * checks that the body did go by splice (the pump's byte counter), that the
 * client saw exactly the bytes the engine sent, and how the session ended. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/splice_pump.h"
#include "tests/unit/sess_harness.h"
#include "tests/unit/tar_build.h"

#define POLICY_RESTRICTED "{ \"default_profile\": \"restricted\" }"
#define EXPORT_REQ "GET /containers/x/export HTTP/1.1\r\nHost: docker\r\n\r\n"
#define BODY_LEN 300000u
#define PIECE 7000u

static struct harness H;

static void
teardown(void)
{
	if (H.srv_up)
		h_teardown(&H);
}

static char *
make_body(size_t n)
{
	char *b = malloc(n + 1);
	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (char)('a' + (i * 7 + i / 26) % 26);
	b[n] = 0;
	return b;
}

static struct h_peer *
engine_request(struct harness *h, const char *prefix, size_t nheads)
{
	struct h_peer *e = h_engine_find(h, prefix);
	return e && h_count(e, "\r\n\r\n") >= nheads ? e : NULL;
}

/* The engine answers in pieces of PIECE bytes, each one waited for at the
 * client, so most of the body reaches sockward while a splice runs. */
static void
send_slowly(struct h_peer *e, struct h_peer *c, const char *body, size_t from, size_t to,
    size_t client_base)
{
	for (size_t off = from; off < to; off += PIECE) {
		size_t n = to - off < PIECE ? to - off : PIECE;
		h_send(e, body + off, n);
		H_RUN_UNTIL(&H, c->nread >= client_base + off + n);
	}
}

static const char *
export_head(char *buf, size_t cap, size_t len)
{
	snprintf(buf, cap, "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\n"
	    "Content-Length: %zu\r\n\r\n", len);
	return buf;
}


/* A client asks for an export of BODY_LEN bytes and the engine has its
 * request; head is the answer's head (not sent yet), its length returned. */
static size_t
export_started(struct h_peer **c, struct h_peer **e, char *head, size_t cap)
{
	h_setup(&H, POLICY_RESTRICTED, NULL);
	*c = h_client(&H);
	h_sendf(*c, EXPORT_REQ);
	H_RUN_UNTIL(&H, (*e = engine_request(&H, "GET /containers/x/export HTTP/1.1\r\n", 1)) != NULL);
	export_head(head, cap, BODY_LEN);
	return strlen(head);
}

START_TEST(slow_body_exact_then_keepalive)
{
	struct h_peer *c, *e = NULL;
	char head[160];
	char *body = make_body(BODY_LEN);
	uint64_t spliced0 = splice_pump_total_bytes();
	size_t hl = export_started(&c, &e, head, sizeof head);
	/* the head and the start of the body in one write: relayed first, in order */
	h_send(e, head, hl);
	h_send(e, body, 100);
	H_RUN_UNTIL(&H, c->nread >= hl + 100);
	send_slowly(e, c, body, 100, BODY_LEN, hl);
	H_RUN_UNTIL(&H, c->nread >= hl + BODY_LEN);
	h_settle(&H, 50);
	ck_assert_uint_eq(c->nread, hl + BODY_LEN);
	const char *t = h_text(c);
	ck_assert(memcmp(t, head, hl) == 0);
	ck_assert(memcmp(t + hl, body, BODY_LEN) == 0);
	/* all but the head, the first piece and the last byte went by splice */
	ck_assert_uint_ge(splice_pump_total_bytes() - spliced0, BODY_LEN - 100 - 1 - PIECE);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	ck_assert_int_eq(c->eof, 0);

	/* the answer ended exactly: the next request on the same connections */
	h_sendf(c, "GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
	H_RUN_UNTIL(&H, h_has(e, "GET /containers/json HTTP/1.1\r\n") && h_count(e, "\r\n\r\n") == 2);
	h_sendf(e, PS_ANSWER);
	H_RUN_UNTIL(&H, c->nread >= hl + BODY_LEN + strlen(PS_ANSWER));
	ck_assert(memcmp(h_text(c) + hl + BODY_LEN, PS_ANSWER, strlen(PS_ANSWER)) == 0);
	ck_assert_uint_eq(H.nengine, 1);
	/* the spliced bytes are counted in the exchange's log line */
	char want[64];
	snprintf(want, sizeof want, "out=%zu dur=", hl + BODY_LEN);
	ck_assert_msg(h_log_has(&H, want), "no '%s' in the log", want);
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	free(body);
}
END_TEST

START_TEST(engine_drops_mid_body)
{
	struct h_peer *c, *e = NULL;
	char head[160];
	char *body = make_body(BODY_LEN);
	uint64_t spliced0 = splice_pump_total_bytes();
	size_t hl = export_started(&c, &e, head, sizeof head);
	h_send(e, head, hl);
	H_RUN_UNTIL(&H, c->nread >= hl);
	size_t sent = 150000;
	send_slowly(e, c, body, 0, sent, hl);
	h_close(e);
	/* exactly what the engine sent, then the end */
	H_RUN_UNTIL(&H, c->eof || c->rerr);
	ck_assert_int_eq(c->rerr, 0);
	ck_assert_uint_eq(c->nread, hl + sent);
	ck_assert(memcmp(h_text(c) + hl, body, sent) == 0);
	ck_assert_uint_ge(splice_pump_total_bytes() - spliced0, sent - PIECE);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	ck_assert(h_log_has(&H, "closed: engine closed mid-response"));
	ck_assert(h_log_has(&H, "truncated"));
	free(body);
}
END_TEST

START_TEST(client_leaves_mid_body)
{
	struct h_peer *c, *e = NULL;
	char head[160];
	char *body = make_body(BODY_LEN);
	uint64_t runs0 = splice_pump_total_runs();
	size_t hl = export_started(&c, &e, head, sizeof head);
	h_send(e, head, hl);
	H_RUN_UNTIL(&H, c->nread >= hl);
	send_slowly(e, c, body, 0, 100000, hl);
	ck_assert_uint_gt(splice_pump_total_runs() - runs0, 0);   /* a splice is running */
	h_close(c);
	/* the engine keeps sending into a session whose client is gone */
	h_send(e, body + 100000, 100000);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	H_RUN_UNTIL(&H, e->eof || e->rerr);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	free(body);
}
END_TEST

/* restricted refuses docker load unless a profile allows it; with no
 * archive rule set, its body is streamed unread */
#define POLICY_LOAD_OK "{ \"default_profile\": \"p\", \"profiles\": { \"p\": " \
	"{ \"base\": \"restricted\", \"endpoints_allow\": [\"image.load\"] } } }"
#define LOAD_ANSWER "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{}\n"

/* A request body the policy does not read goes client -> engine by
 * splice: the engine gets exactly the body, the request ends where it
 * should (the answer is relayed, the next request is served). */
START_TEST(request_body_slow_then_keepalive)
{
	struct h_peer *c, *e = NULL;
	char *body = make_body(BODY_LEN);
	uint64_t spliced0 = splice_pump_total_bytes();
	h_setup(&H, POLICY_LOAD_OK, NULL);
	c = h_client(&H);
	h_sendf(c, "POST /images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\n"
	    "Content-Type: application/x-tar\r\nContent-Length: %u\r\n\r\n", BODY_LEN);
	h_send(c, body, 100);
	H_RUN_UNTIL(&H, (e = engine_request(&H, "POST /images/load?quiet=1 HTTP/1.1\r\n", 1)) != NULL);
	const char *at = strstr(h_text(e), "\r\n\r\n");
	size_t eh = (size_t)(at + 4 - h_text(e));
	H_RUN_UNTIL(&H, e->nread >= eh + 100);
	for (size_t off = 100; off < BODY_LEN; off += PIECE) {
		size_t n = BODY_LEN - off < PIECE ? BODY_LEN - off : PIECE;
		h_send(c, body + off, n);
		H_RUN_UNTIL(&H, e->nread >= eh + off + n);
	}
	h_settle(&H, 50);
	ck_assert_uint_eq(e->nread, eh + BODY_LEN);
	ck_assert(memcmp(h_text(e) + eh, body, BODY_LEN) == 0);
	ck_assert_uint_ge(splice_pump_total_bytes() - spliced0, BODY_LEN - 100 - 1 - PIECE);
	h_sendf(e, LOAD_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "{}\n"));
	ck_assert_str_eq(h_text(c), LOAD_ANSWER);
	char want[64];
	snprintf(want, sizeof want, "in=%zu out=", eh + BODY_LEN);   /* the head as forwarded, too */
	ck_assert_msg(h_log_has(&H, want), "no '%s' in the log", want);
	/* the same connections serve the next request */
	h_next_request_served(&H, c, e);
	ck_assert_str_eq(h_text(c), LOAD_ANSWER PS_ANSWER);
	ck_assert_uint_eq(H.nengine, 1);
	ck_assert_uint_eq(H.srv.gw.nsessions, 1);
	free(body);
}
END_TEST

#define ARCH_DATA 300000u   /* a multiple of 32, not of 512: the entry has padding */
#define ARCH_PUT "PUT /containers/x/archive?path=%%2Ftmp HTTP/1.1\r\nHost: docker\r\n" \
	"Content-Type: application/x-tar\r\nContent-Length: %zu\r\n\r\n"
#define ARCH_ANSWER "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

/* An archive of a big file's entry, its data (by splice), then the entry
 * named second (the data of 10 bytes it needs), and the end marker; *data_at
 * says where the big file's data starts, *second_at where the second
 * header starts. */
static unsigned char *
make_archive(char second_type, unsigned second_mode, size_t *len, size_t *second_at)
{
	size_t pad = (512 - ARCH_DATA % 512) % 512;
	size_t n = 512 + ARCH_DATA + pad + 512 + 512 + 1024;
	unsigned char *a = calloc(1, n);
	ck_assert_ptr_nonnull(a);
	tar_header(a, "big.bin", '0', 0644, ARCH_DATA, NULL);
	char *data = make_body(ARCH_DATA);
	memcpy(a + 512, data, ARCH_DATA);
	free(data);
	*second_at = 512 + ARCH_DATA + pad;
	tar_header(a + *second_at, "second", second_type, second_mode, 10, NULL);
	memcpy(a + *second_at + 512, "0123456789", 10);
	*len = n;
	return a;
}

/* Send the archive's first header and big file's data: the header whole,
 * then the data in pieces, each waited for at the engine (the header is
 * judged, then the data goes by splice).  Returns the engine and the length
 * of the head it got. */
static struct h_peer *
archive_upload_start(struct h_peer *c, const unsigned char *a, size_t len, size_t second_at,
    size_t *eh)
{
	struct h_peer *e = NULL;
	h_sendf(c, ARCH_PUT, len);
	h_send(c, a, 512 + 100);
	H_RUN_UNTIL(&H, (e = engine_request(&H, "PUT /containers/x/archive?path=%2Ftmp HTTP/1.1\r\n", 1)) != NULL);
	*eh = (size_t)(strstr(h_text(e), "\r\n\r\n") + 4 - h_text(e));
	H_RUN_UNTIL(&H, e->nread >= *eh + 512 + 100);
	for (size_t off = 512 + 100; off < second_at; off += PIECE) {
		size_t n = second_at - off < PIECE ? second_at - off : PIECE;
		h_send(c, a + off, n);
		H_RUN_UNTIL(&H, e->nread >= *eh + off + n);
	}
	return e;
}

/* A restricted server and a client that has sent an archive (its second
 * entry of second_mode) up to that entry's header; most of the first
 * entry's data went by splice (not the first piece, nor the last byte's
 * piece).  Returns the engine; *a (the archive, to free) and the lengths
 * as archive_upload_start() gives them. */
static struct h_peer *
spliced_archive_start(unsigned second_mode, struct h_peer **c, unsigned char **a, size_t *len,
    size_t *second_at, size_t *eh)
{
	*a = make_archive('0', second_mode, len, second_at);
	uint64_t spliced0 = splice_pump_total_bytes();
	h_setup(&H, POLICY_RESTRICTED, NULL);
	*c = h_client(&H);
	struct h_peer *e = archive_upload_start(*c, *a, *len, *second_at, eh);
	ck_assert_uint_ge(splice_pump_total_bytes() - spliced0, ARCH_DATA - 100 - 2 * PIECE);
	return e;
}

/* An archive upload judged entry by entry: the data of an accepted entry
 * goes client -> engine by splice, the next header is read and judged as
 * usual, the engine gets exactly the archive, and the connection serves
 * the next request. */
START_TEST(archive_data_by_splice_headers_judged)
{
	struct h_peer *c, *e;
	size_t len, second_at, eh;
	unsigned char *a;
	e = spliced_archive_start(0644, &c, &a, &len, &second_at, &eh);
	h_send(c, a + second_at, len - second_at);
	H_RUN_UNTIL(&H, e->nread >= eh + len);
	h_settle(&H, 50);
	ck_assert_uint_eq(e->nread, eh + len);
	ck_assert(memcmp(h_text(e) + eh, a, len) == 0);
	h_sendf(e, ARCH_ANSWER);
	H_RUN_UNTIL(&H, h_has(c, "\r\n\r\n"));
	ck_assert_str_eq(h_text(c), ARCH_ANSWER);
	char want[64];
	snprintf(want, sizeof want, "in=%zu out=", eh + len);
	ck_assert_msg(h_log_has(&H, want), "no '%s' in the log", want);
	h_next_request_served(&H, c, e);
	ck_assert_uint_eq(H.nengine, 1);
	free(a);
}
END_TEST

/* The header after spliced data is still judged: a set-uid file there is
 * refused, nothing of its header reaches the engine (whose connection is
 * aborted), and the client gets the denial. */
START_TEST(archive_entry_after_spliced_data_is_judged)
{
	struct h_peer *c, *e;
	size_t len, second_at, eh;
	unsigned char *a;
	e = spliced_archive_start(04755, &c, &a, &len, &second_at, &eh);
	h_send(c, a + second_at, len - second_at);
	H_RUN_UNTIL(&H, h_has(c, "archive.special_files"));
	H_RUN_UNTIL(&H, e->eof || e->rerr);   /* aborted */
	ck_assert_msg(h_has(c, "HTTP/1.1 403 "), "%s", h_text(c));
	ck_assert_uint_eq(e->nread, eh + second_at);   /* everything before the refused header */
	ck_assert(memcmp(h_text(e) + eh, a, second_at) == 0);
	free(a);
}
END_TEST

/* The body the engine got (after its head), de-chunked into out; a last
 * chunk cut off by an abort gives what arrived of it. */
static size_t
dechunk(const char *in, size_t n, unsigned char *out)
{
	size_t got = 0, i = 0;
	while (i < n) {
		char *end;
		unsigned long sz = strtoul(in + i, &end, 16);
		i = (size_t)(strstr(end, "\r\n") + 2 - in);
		if (sz == 0)
			break;
		if (sz > n - i)
			sz = n - i;   /* cut off: an aborted upload */
		memcpy(out + got, in + i, sz);
		got += sz;
		i += sz + 2;
	}
	return got;
}

/* An archive of n small entries (100 bytes of data each, so 1 KiB apiece
 * with header and padding) and the end marker; entry bad (if < n) is
 * set-gid.  *bad_at: where that entry's header starts. */
static unsigned char *
make_small_entries(size_t n, size_t bad, size_t *len, size_t *bad_at)
{
	*len = n * 1024 + 1024;
	unsigned char *a = calloc(1, *len);
	ck_assert_ptr_nonnull(a);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof name, "f%zu", i);
		tar_header(a + i * 1024, name, '0', i == bad ? 02755 : 0644, 100, NULL);
		memset(a + i * 1024 + 512, 'a' + (int)(i % 26), 100);
	}
	*bad_at = bad * 1024;
	return a;
}

/* A chunked archive (docker cp) of many entries in chunks of odd sizes, sent
 * at once: the tar headers are cut across chunks and across the pieces in
 * which sockward holds the de-chunked body, so the judge reads them from
 * several pieces.  A good archive reaches the engine whole (de-chunked, the
 * same bytes); with a set-gid entry near the end nothing of that entry's
 * header reaches the engine and the client gets the denial. */
START_TEST(chunked_archive_headers_across_pieces)
{
	for (int bad = 0; bad <= 1; bad++) {
		struct h_peer *c, *e = NULL;
		size_t len, bad_at;
		unsigned char *a = make_small_entries(300, bad ? 290 : 300, &len, &bad_at);
		unsigned char *got = malloc(len + 1);
		ck_assert_ptr_nonnull(got);
		h_setup(&H, POLICY_RESTRICTED, NULL);
		c = h_client(&H);
		h_sendf(c, "PUT /containers/x/archive?path=%%2Ftmp HTTP/1.1\r\nHost: docker\r\n"
		    "Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (size_t off = 0, step = 333; off < len; off += step, step = step * 7 % 4093 + 97) {
			size_t n = len - off < step ? len - off : step;
			h_sendf(c, "%zx\r\n", n);
			h_send(c, a + off, n);
			h_sendf(c, "\r\n");
		}
		h_sendf(c, "0\r\n\r\n");
		if (!bad) {
			H_RUN_UNTIL(&H, (e = engine_request(&H, "PUT /containers/x/archive", 1)) != NULL &&
			    h_has(e, "\r\n0\r\n\r\n"));
			const char *body = strstr(h_text(e), "\r\n\r\n") + 4;
			size_t n = dechunk(body, e->nread - (size_t)(body - h_text(e)), got);
			ck_assert_uint_eq(n, len);
			ck_assert(memcmp(got, a, len) == 0);
			h_sendf(e, ARCH_ANSWER);
			H_RUN_UNTIL(&H, h_has(c, "\r\n\r\n"));
			ck_assert_str_eq(h_text(c), ARCH_ANSWER);
		} else {
			H_RUN_UNTIL(&H, h_has(c, "archive.special_files"));
			ck_assert_msg(h_has(c, "HTTP/1.1 403 "), "%s", h_text(c));
			ck_assert_msg(h_has(c, "f290"), "%s", h_text(c));
			e = engine_request(&H, "PUT /containers/x/archive", 1);
			if (e != NULL) {   /* what it got is the archive before the refused header */
				H_RUN_UNTIL(&H, e->eof || e->rerr);
				const char *body = strstr(h_text(e), "\r\n\r\n") + 4;
				size_t n = dechunk(body, e->nread - (size_t)(body - h_text(e)), got);
				ck_assert_uint_le(n, bad_at);
				ck_assert(memcmp(got, a, n) == 0);
			}
		}
		h_teardown(&H);
		free(got);
		free(a);
	}
}
END_TEST

/* A client that leaves in the middle of an entry's spliced data: the
 * engine's connection is aborted (it never sees the archive end), and the
 * session ends. */
START_TEST(archive_client_leaves_mid_data)
{
	struct h_peer *c, *e = NULL;
	size_t len, second_at, eh;
	unsigned char *a = make_archive('0', 0644, &len, &second_at);
	uint64_t spliced0 = splice_pump_total_bytes();
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, ARCH_PUT, len);
	h_send(c, a, 512 + 100);
	H_RUN_UNTIL(&H, (e = engine_request(&H, "PUT /containers/x/archive?path=%2Ftmp HTTP/1.1\r\n", 1)) != NULL);
	eh = (size_t)(strstr(h_text(e), "\r\n\r\n") + 4 - h_text(e));
	size_t sent = 512 + 100;
	for (int i = 0; i < 10; i++, sent += PIECE) {
		h_send(c, a + sent, PIECE);
		H_RUN_UNTIL(&H, e->nread >= eh + sent + PIECE);
	}
	h_close(c);
	H_RUN_UNTIL(&H, H.srv.gw.nsessions == 0);
	H_RUN_UNTIL(&H, e->eof || e->rerr);
	ck_assert_uint_eq(e->nread, eh + sent);   /* nothing after what the client sent */
	/* a run is counted when it ends (here by the client's EOF) */
	ck_assert_uint_ge(splice_pump_total_bytes() - spliced0, 8 * PIECE);
	free(a);
}
END_TEST

#define ATTACH_REQ "POST /containers/x/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n" \
	"Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
#define ATTACH_101 "HTTP/1.1 101 UPGRADED\r\n" \
	"Content-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"

/* A hijacked stream goes by splice both ways; the half-closes are passed
 * on in order (after the bytes before them), and the stream's byte counts
 * in the close line include what the pumps moved. */
START_TEST(hijack_both_ways_then_half_closes)
{
	struct h_peer *c, *e = NULL;
	char *body = make_body(BODY_LEN);
	uint64_t runs0 = splice_pump_total_runs(), spliced0 = splice_pump_total_bytes();
	h_setup(&H, POLICY_RESTRICTED, NULL);
	c = h_client(&H);
	h_sendf(c, "%s", ATTACH_REQ);
	H_RUN_UNTIL(&H, (e = engine_request(&H, "POST /containers/x/attach", 1)) != NULL);
	size_t eh = e->nread;
	h_sendf(e, "%s", ATTACH_101);
	H_RUN_UNTIL(&H, c->nread >= strlen(ATTACH_101));
	size_t ch = strlen(ATTACH_101);
	/* output: in pieces, each waited for */
	send_slowly(e, c, body, 0, BODY_LEN, ch);
	/* input: likewise */
	for (size_t off = 0; off < 100000; off += PIECE) {
		size_t n = 100000 - off < PIECE ? 100000 - off : PIECE;
		h_send(c, body + off, n);
		H_RUN_UNTIL(&H, e->nread >= eh + off + n);
	}
	ck_assert_uint_ge(splice_pump_total_runs() - runs0, 2);
	/* the client is done sending: the engine reads everything, then EOF */
	h_shut_wr(c);
	H_RUN_UNTIL(&H, e->eof);
	ck_assert_uint_eq(e->nread, eh + 100000);
	ck_assert(memcmp(h_text(e) + eh, body, 100000) == 0);
	/* the client still reads */
	h_send(e, "tail", 4);
	H_RUN_UNTIL(&H, c->nread >= ch + BODY_LEN + 4);
	/* the engine ends: the client sees all of it, then the end */
	h_close_after(e);
	H_RUN_UNTIL(&H, c->eof && H.srv.gw.nsessions == 0);
	ck_assert_int_eq(c->rerr, 0);
	ck_assert_uint_eq(c->nread, ch + BODY_LEN + 4);
	ck_assert(memcmp(h_text(c) + ch, body, BODY_LEN) == 0);
	ck_assert(memcmp(h_text(c) + ch + BODY_LEN, "tail", 4) == 0);
	ck_assert_uint_ge(splice_pump_total_bytes() - spliced0, BODY_LEN + 100000 - 2 * PIECE);
	ck_assert_uint_eq(H.srv.gw.nhijacked, 0);
	ck_assert_uint_eq(h_log_count(&H, "closed: "), 1);
	char want[96];
	snprintf(want, sizeof want, "closed: stream ended (stream in=100000 out=%u)", BODY_LEN + 4);
	ck_assert_msg(h_log_has(&H, want), "no '%s' in the log", want);
	free(body);
}
END_TEST

Suite *
splice_suite(void)
{
	Suite *s = suite_create("splice");
	TCase *tc = tcase_create("answer_body");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, slow_body_exact_then_keepalive);
	tcase_add_test(tc, engine_drops_mid_body);
	tcase_add_test(tc, client_leaves_mid_body);
	tcase_add_test(tc, hijack_both_ways_then_half_closes);
	tcase_add_test(tc, request_body_slow_then_keepalive);
	tcase_add_test(tc, archive_data_by_splice_headers_judged);
	tcase_add_test(tc, archive_entry_after_spliced_data_is_judged);
	tcase_add_test(tc, archive_client_leaves_mid_data);
	tcase_add_test(tc, chunked_archive_headers_across_pieces);
	suite_add_tcase(s, tc);
	return s;
}
