/* fuzz_http_resp.c - the response parser glue and the warn-mode rewrite,
 * driven as sess_parse_upstream / sess_release_hold do.
 *
 * Input: 4 control bytes, then the engine's byte stream.
 *   ctl[0]  seed of the read splitter
 *   ctl[1]  bit 0: the request was HEAD
 *           bit 1: hold the response (warn mode) and capture its body
 *           bit 2-3: capture cap (0, 16, 4096, 1 MiB)
 *           bit 4: the engine closes the connection at the end of the input
 *   ctl[2..3] more splitter seed
 *
 * A held response that completes is rewritten with our warnings; the
 * rewrite must itself be one well-formed response whose body is the JSON
 * object with the warnings appended. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "daemon/http_parse.h"
#include "daemon/warnings.h"

static uint32_t
next_rand(uint32_t *st)
{
	uint32_t x = *st ? *st : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*st = x;
	return x;
}

/* The rewritten answer parses as exactly one response, and its body is the
 * engine's JSON object with our warnings at the end of "Warnings". */
static void
check_rewrite(struct evbuffer *out, int status, char *const *warnings, size_t n)
{
	struct http_resp r;
	struct evbuffer *body = evbuffer_new();
	size_t len = evbuffer_get_length(out), used = 0;
	const char *p = (const char *)evbuffer_pullup(out, -1);

	http_resp_init(&r, 0);
	r.capture = body;
	r.capture_max = len + 1;
	enum parse_result res = http_resp_feed(&r, p, len, &used);
	if (res != PARSE_DONE || used != len) {
		fprintf(stderr, "rewrite does not parse: res=%d used=%zu/%zu %s\n%.*s\n", (int)res,
		    used, len, r.error, (int)len, p);
		abort();
	}
	assert(r.status == status);
	json_t *doc = json_loadb((const char *)evbuffer_pullup(body, -1), evbuffer_get_length(body),
	    0, NULL);
	assert(json_is_object(doc));
	json_t *w = json_object_get(doc, "Warnings");
	assert(json_is_array(w) && json_array_size(w) >= n);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(w, json_array_size(w) - n + i));
		assert(s != NULL && strcmp(s, warnings[i]) == 0);
	}
	json_decref(doc);
	evbuffer_free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 0, 16, 4096, 1u << 20 };
	static char *const warnings[] = { "sockward: [privileged] --privileged is not allowed",
		"sockward: [x] \"quoted\" \\ and \xc3\xa9" };
	if (size < 4)
		return 0;
	uint8_t opts = data[1];
	uint32_t seed = (uint32_t)data[0] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 | 1u << 24;
	int holding = (opts >> 1) & 1;
	const char *in = (const char *)data + 4;
	size_t len = size - 4, off = 0, iter = 0;
	struct http_resp r;
	struct evbuffer *hold = evbuffer_new(), *hold_body = evbuffer_new();
	enum parse_result res = PARSE_MORE;

	http_resp_init(&r, opts & 1);
	if (holding) {
		r.capture = hold_body;
		r.capture_max = caps[(opts >> 2) & 3];
	}
	while (off < len) {
		assert(++iter < 2 * len + 16);
		size_t n = len - off;
		uint32_t x = next_rand(&seed);
		size_t want = (x & 3) == 0 ? 1 + (x >> 8) % 4 : 1 + (x >> 8) % 97;
		if (want < n)
			n = want;
		size_t used = 0;
		res = http_resp_feed(&r, in + off, n, &used);
		assert(used <= n);
		if (res == PARSE_MORE)
			assert(used == n);
		if (holding)
			evbuffer_add(hold, in + off, used);
		off += used;
		if (holding)
			assert(evbuffer_get_length(hold_body) <= r.capture_max);
		if (holding && (r.capture_overflow || res == PARSE_HEADERS))
			holding = 0;   /* relayed as it came */
		if (res == PARSE_HEADERS) {
			assert(r.hijack && r.headers_done);
			break;
		}
		if (res == PARSE_DONE || res == PARSE_ERROR)
			break;
	}
	if (res == PARSE_ERROR)
		assert(r.error[0] != 0);
	int complete = res == PARSE_DONE;
	if (res == PARSE_MORE && (opts & 16) && http_resp_finish(&r) && r.paused_at == PAUSE_DONE)
		complete = 1;   /* EOF-delimited body */
	(void)http_resp_keepalive(&r);
	assert(r.ctype_len < sizeof r.ctype && r.ctype[r.ctype_len] == 0);
	/* the daemon holds only create answers, never to HEAD; a rewrite of a
	 * status that has no body by definition is not comparable */
	int bodyless = (opts & 1) || r.status < 200 || r.status == 204 || r.status == 304;
	if (holding && complete && !r.capture_overflow && !bodyless) {
		struct evbuffer *out = evbuffer_new();
		size_t nw = (opts >> 5) & 1 ? 2 : 1;
		if (warnings_rewrite(hold, hold_body, warnings, nw, out) == 0)
			check_rewrite(out, r.status, warnings, nw);
		evbuffer_free(out);
	}
	evbuffer_free(hold);
	evbuffer_free(hold_body);
	return 0;
}
