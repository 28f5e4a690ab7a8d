/* session_int.h - what the parts of the session module share.
 *
 * The session is split by job: session.c owns the lifecycle (accept,
 * states, timers, callbacks, the one teardown path), session_request.c the
 * client's request up to the engine, session_relay.c the engine's answer
 * and hijacked streams, session_record.c the log line, audit line and
 * metrics of each request.  Only the session module includes this. */
#ifndef SOCKWARD_SESSION_INT_H
#define SOCKWARD_SESSION_INT_H

#include <stddef.h>

#include "daemon/log.h"
#include "daemon/session.h"

struct bufferevent;
struct evbuffer;

/* warn mode holds the create answer to add warnings; bigger ones pass as is */
#define HOLD_MAX (1u << 20)

void sess_slog(struct session *s, enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sess_set_client_state(struct session *s, enum client_state st);
void sess_set_upstream_state(struct session *s, enum upstream_state st);
size_t sess_max_buffer(const struct session *s);
void sess_size_buffers(struct session *s, struct bufferevent *bev);
struct evbuffer *sess_client_out(struct session *s);
void sess_pause_client(struct session *s, int pause);
void sess_pause_upstream(struct session *s, int pause);
void sess_drop_upstream(struct session *s);
void sess_reply_and_close(struct session *s, int status, const char *msg);
/* Answered before the request ended: read and discard the rest of it for a
 * bounded while (a reset would hide our answer from the client), then flush
 * and close. */
void sess_enter_linger(struct session *s);
void sess_start_idle(struct session *s);
void sess_arm_head_timer(struct session *s);
void sess_clear_decision(struct session *s);
void sess_finish_request(struct session *s, const char *outcome);
void sess_reply_and_continue(struct session *s, int status, const char *msg, const char *outcome);
void sess_send_request_head(struct session *s);
void sess_parse_client(struct session *s);
void sess_relay_raw(struct session *s, struct bufferevent *from, struct bufferevent *to, int to_client);
void sess_half_close_upstream(struct session *s);
void sess_on_response_complete(struct session *s);
void sess_release_hold(struct session *s, int complete);
void sess_parse_upstream(struct session *s);
void sess_pump_client(struct session *s);
void sess_upstream_read_cb(struct bufferevent *bev, void *arg);
void sess_upstream_write_cb(struct bufferevent *bev, void *arg);
void sess_upstream_event_cb(struct bufferevent *bev, short what, void *arg);

#endif
