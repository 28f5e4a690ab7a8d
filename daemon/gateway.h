/* gateway.h - what every session shares with the rest of the process: the
 * event loop, the configuration in force, the engine's address, the audit
 * trail, counters and the list of live sessions.
 *
 * The server owns one and fills it; sessions only read it (and add or remove
 * themselves).  It exists so that dependencies point one way: the server
 * knows sessions, sessions know the gateway, never the server. */
#ifndef SOCKWARD_GATEWAY_H
#define SOCKWARD_GATEWAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "daemon/config.h"
#include "daemon/half.h"
#include "daemon/log.h"

struct event_base;
struct audit_log;
struct session;

TAILQ_HEAD(session_list, session);

#define GW_MAX_HOST_SOCKETS 16

struct gateway {
	struct event_base *base;
	struct sw_config *cfg;     /* current; sessions hold their own reference */
	const char *upstream_override;
	struct audit_log *audit;   /* NULL when no audit trail is configured */
	struct half_flusher sends; /* plain sockets' sends, made at the end of a turn */
	int draining;              /* SIGTERM seen: no new connections or requests */
	struct session_list sessions;
	size_t nsessions;
	size_t nhandshakes;        /* TLS connections whose handshake is running */
	struct session_list handshakes; /* those, oldest first (session.c set_client_state) */
	size_t nhijacked;
	struct log_limit refusals; /* refused connections are logged at most once a second */
	uint64_t next_conn_id;
	uint64_t next_req_id;
	/* sockets that control the engine, as the policy must recognise them in
	 * bind mounts: the upstream and our unix listeners, as configured and
	 * with symlinks resolved */
	char host_socket_buf[GW_MAX_HOST_SOCKETS][128];
	const char *host_sockets[GW_MAX_HOST_SOCKETS];
	size_t nhost_sockets;
	/* called after a session left the list (the server ends a graceful
	 * stop when the last one is gone) */
	void (*session_gone)(struct gateway *gw);
};

/* The engine socket new exchanges use (command-line override or config). */
static inline const char *
gateway_upstream(const struct gateway *gw)
{
	return gw->upstream_override ? gw->upstream_override : gw->cfg->upstream_socket;
}

#endif
