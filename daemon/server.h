/* server.h - process-wide state: the event loop, the current configuration,
 * listeners and the list of live sessions. */
#ifndef SOCKWARD_SERVER_H
#define SOCKWARD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/gateway.h"
#include "daemon/listener.h"

struct evconnlistener;
struct admin;

struct server {
	struct gateway gw;         /* what the sessions share (loop, config, counters) */
	struct listener *listeners;
	size_t nlisteners;
	struct admin *admin;       /* NULL when no admin endpoint is configured */
	struct event *sig_events[4];
	struct event *grace_timer;
	struct event *accept_pause; /* accept failed (EMFILE): listeners resume on it */
	size_t gone_since_trim;    /* sessions closed since memory was last given back */
	struct event *trim_timer;  /* trims once the closes of a burst have stopped */
};

/* The upstream socket path in force (command-line override or config). */
const char *server_upstream(const struct server *srv);

/* Ignore SIGHUP and SIGUSR1 until server_init() hands them to the event
 * loop (called by server_init; main calls it before loading the config). */
void server_hold_signals(void);

int server_init(struct server *srv, struct sw_config *cfg, const char *upstream_override);
int server_run(struct server *srv);
void server_free(struct server *srv);

#endif
