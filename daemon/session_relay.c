/* session_relay.c - the engine's answer, and hijacked streams.
 *
 * Responses are scanned by llhttp for framing and moved to the client
 * untouched.  A 101 (attach, exec, BuildKit's /session) or a raw-stream
 * reply turns the connection into a raw two-way relay; a client's
 * half-close is passed on to the engine as shutdown(SHUT_WR). */
#include "daemon/session_int.h"

#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "daemon/metrics.h"
#include "daemon/server.h"
#include "daemon/warnings.h"

static void enter_hijack(struct session *s);

void
sess_relay_raw(struct session *s, struct bufferevent *from, struct bufferevent *to, int to_client)
{
	struct evbuffer *in = bufferevent_get_input(from);
	struct evbuffer *out = bufferevent_get_output(to);
	size_t n = evbuffer_get_length(in);
	if (n == 0)
		return;
	evbuffer_add_buffer(out, in);
	if (to_client)
		s->bytes_out += n;
	else
		s->bytes_in += n;
	if (evbuffer_get_length(out) >= sess_max_buffer(s)) {
		if (to_client)
			sess_pause_upstream(s, 1);
		else
			sess_pause_client(s, 1);
	}
}

/* The client will send nothing more: tell the engine the same way, once
 * everything the client sent has been written.  For a hijacked stream that
 * is the half-close docker exec -i relies on; for a streaming response
 * (logs -f, events) the engine cancels the request, exactly as it would
 * for a client connected to it directly. */
void
sess_half_close_upstream(struct session *s)
{
	/* no request outstanding (not yet connected, or a kept-alive idle
	 * connection while the policy waits on lookups): shutting that one
	 * would make the engine close it under us; sess_send_request_head()
	 * passes the half-close on once the request is written */
	if (s->ubev == NULL || s->ustate == U_CONNECTING || s->ustate == U_NONE || s->ustate == U_IDLE)
		return;
	if (evbuffer_get_length(bufferevent_get_output(s->ubev)) > 0) {
		s->shut_upstream_pending = 1;
		bufferevent_setwatermark(s->ubev, EV_WRITE, 0, 0);
		return;
	}
	s->shut_upstream_pending = 0;
	shutdown(bufferevent_getfd(s->ubev), SHUT_WR);
	if (s->ustate == U_RAW)
		sess_set_upstream_state(s, U_RAW_SHUT);
	sess_slog(s, LOG_LVL_DEBUG, "client half-closed; engine write side shut");
}

static void
enter_hijack(struct session *s)
{
	s->hijacked = 1;
	s->srv->nhijacked++;
	metrics_hijack_started();
	evtimer_del(s->timer);
	sess_set_client_state(s, C_RAW);
	sess_set_upstream_state(s, U_RAW);
	sess_slog(s, LOG_LVL_DEBUG, "req=%llu hijacked (status %d)", (unsigned long long)s->req_id,
	    s->resp.status);
	/* bytes the client sent after its upgrade request belong to the stream */
	sess_relay_raw(s, s->cbev, s->ubev, 0);
	sess_relay_raw(s, s->ubev, s->cbev, 1);
	if (s->client_eof)
		sess_half_close_upstream(s);
	else
		sess_pause_client(s, 0);
}

void
sess_on_response_complete(struct session *s)
{
	if (s->resp.hijack) {
		enter_hijack(s);
		return;
	}
	if (s->resp.status >= 100 && s->resp.status < 200) {
		/* an interim answer (100 Continue, 103 Early Hints): relayed, and
		 * the final one is still to come on the same exchange */
		http_resp_init(&s->resp, strcmp(s->method, "HEAD") == 0);
		sess_set_upstream_state(s, U_RESP_HEAD);
		return;
	}
	int upstream_keep = http_resp_keepalive(&s->resp);
	sess_finish_request(s, "ok");
	if (!s->req_complete) {
		/* the engine answered before the request body ended; we cannot
		 * resynchronise the stream, so this exchange ends here */
		sess_drop_upstream(s);
		if (!s->client_eof) {
			sess_enter_linger(s);
			return;
		}
		sess_set_client_state(s, C_DRAIN);
		bufferevent_disable(s->cbev, EV_READ);
		bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(sess_client_out(s)) == 0)
			session_close(s, "engine answered before the request ended");
		return;
	}
	if (upstream_keep)
		sess_set_upstream_state(s, U_IDLE);
	else
		sess_drop_upstream(s);
	if (!s->req_keepalive || !upstream_keep || s->client_eof || s->srv->draining) {
		sess_set_client_state(s, C_DRAIN);
		bufferevent_setwatermark(s->cbev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(sess_client_out(s)) == 0)
			session_close(s, s->srv->draining ? "shutdown" : "done");
		return;
	}
	sess_start_idle(s);
	sess_pump_client(s);
}

/* Stop holding the response: rewritten with our warnings when complete and
 * readable, otherwise relayed exactly as the engine sent it. */
void
sess_release_hold(struct session *s, int complete)
{
	size_t before = evbuffer_get_length(sess_client_out(s));
	if (!complete || warnings_rewrite(s->hold, s->hold_body, s->dec.warnings,
	    s->dec.nwarnings, sess_client_out(s)) != 0)
		evbuffer_add_buffer(sess_client_out(s), s->hold);
	s->bytes_out += evbuffer_get_length(sess_client_out(s)) - before;
	evbuffer_drain(s->hold, evbuffer_get_length(s->hold));
	evbuffer_drain(s->hold_body, evbuffer_get_length(s->hold_body));
	s->holding = 0;
	s->resp.capture = NULL;
}

void
sess_parse_upstream(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->ubev);
	while (!s->closing && s->ubev && evbuffer_get_length(in) > 0) {
		if (s->ustate == U_RAW || s->ustate == U_RAW_SHUT) {
			sess_relay_raw(s, s->ubev, s->cbev, 1);
			return;
		}
		if (s->ustate != U_RESP_HEAD && s->ustate != U_RESP_BODY) {
			session_close(s, "engine sent bytes nobody asked for");
			return;
		}
		if (evbuffer_get_length(sess_client_out(s)) >= sess_max_buffer(s)) {
			sess_pause_upstream(s, 1);
			return;
		}
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			return;
		size_t used = 0;
		enum parse_result r = http_resp_feed(&s->resp, v.iov_base, v.iov_len, &used);
		if (used > 0) {
			evbuffer_remove_buffer(in, s->holding ? s->hold : sess_client_out(s), used);
			s->resp_started = 1;
			if (!s->holding)
				s->bytes_out += used;
		}
		if (s->holding && (s->resp.capture_overflow || r == PARSE_HEADERS ||
		    evbuffer_get_length(s->hold) > 2 * HOLD_MAX))
			sess_release_hold(s, 0);
		if (s->resp.headers_done && s->ustate == U_RESP_HEAD)
			sess_set_upstream_state(s, U_RESP_BODY);
		switch (r) {
		case PARSE_MORE:
			break;
		case PARSE_HEADERS:   /* raw stream without 101 */
			enter_hijack(s);
			break;
		case PARSE_DONE:
			if (s->holding)
				sess_release_hold(s, 1);
			sess_on_response_complete(s);
			break;
		case PARSE_ERROR:
			if (s->holding)
				sess_release_hold(s, 0);
			metrics_upstream_error("protocol");
			sess_slog(s, LOG_LVL_WARN, "malformed response from engine: %s", s->resp.error);
			if (!s->resp_started) {
				sess_reply_and_close(s, 502, "sockward: malformed response from the Docker engine");
			} else {
				sess_finish_request(s, "bad-response");
				session_close(s, "malformed response from engine");
			}
			return;
		}
	}
}
