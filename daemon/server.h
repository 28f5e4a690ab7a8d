/* server.h - process-wide state: the event loop, the current configuration,
 * listeners and the list of live sessions. */
#ifndef SOCKWARD_SERVER_H
#define SOCKWARD_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <openssl/ssl.h>

#include "daemon/config.h"

struct session;
struct event_base;
struct evconnlistener;

struct listener {
	struct server *srv;
	char name[64];
	enum listener_type type;
	struct evconnlistener *evl;
	SSL_CTX *ssl_ctx;          /* TLS only; replaced on reload */
	char path[108];            /* unix only: unlinked at exit */
};

TAILQ_HEAD(session_list, session);

struct server {
	struct event_base *base;
	struct sw_config *cfg;     /* current; sessions hold their own reference */
	const char *upstream_override;
	struct listener *listeners;
	size_t nlisteners;
	struct session_list sessions;
	size_t nsessions;
	size_t nhijacked;
	uint64_t next_conn_id;
	uint64_t next_req_id;
	int draining;              /* SIGTERM seen: no new connections or requests */
	/* sockets that control the engine, as the policy must recognise them in
	 * bind mounts: the upstream and our unix listeners, as configured and
	 * with symlinks resolved */
	char host_socket_buf[16][128];
	const char *host_sockets[16];
	size_t nhost_sockets;
	struct audit_log *audit;   /* NULL when no audit trail is configured */
	struct admin *admin;       /* NULL when no admin endpoint is configured */
	struct event *sig_events[4];
	struct event *grace_timer;
	struct event *accept_pause; /* accept failed (EMFILE): listeners resume on it */
};

/* The upstream socket path in force (command-line override or config). */
const char *server_upstream(const struct server *srv);

int server_init(struct server *srv, struct sw_config *cfg, const char *upstream_override);
int server_run(struct server *srv);
void server_free(struct server *srv);

/* Called by the session teardown path. */
void server_session_gone(struct server *srv, struct session *s);

#endif
