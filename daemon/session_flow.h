/* session_flow.h - what session_accept.c needs from the request/answer flow. */
#ifndef SOCKWARD_SESSION_FLOW_H
#define SOCKWARD_SESSION_FLOW_H

struct session;

/* Install the client half's callbacks (read, write, events). */
void session_flow_attach_client(struct session *s);
/* The client's identity is known: wait for the first request. */
void session_flow_start(struct session *s);

#endif
