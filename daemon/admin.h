/* admin.h - the admin endpoint: metrics and health, on a listener of its own.
 *
 * It listens either on loopback TCP ("admin.address", e.g. "127.0.0.1:9323";
 * any address that is not loopback is refused: metrics name endpoints and
 * rules, which is information for operators, not for the network) or on a
 * unix socket ("admin.path", created 0660 and removed on stop).
 *
 *   GET /metrics  200, Prometheus text format (metrics_render)
 *   GET /healthz  200 "ok" when the engine answers GET /_ping with 200 within
 *                 the ping timeout; else 503 {"message": "..."}.  Each call
 *                 probes the engine afresh (no caching), asynchronously.
 *   anything else 404 {"message": "not found"}; methods other than GET
 *                 (HEAD included) get 405.
 *
 * Its connections are bounded (ADMIN_MAX_CONNECTIONS, below) apart from the
 * Docker listeners' limits.max_connections.
 */
#ifndef SOCKWARD_ADMIN_H
#define SOCKWARD_ADMIN_H

#include <stddef.h>

struct event_base;
struct admin;

/* Default time the engine has to answer /_ping. */
#define ADMIN_PING_TIMEOUT_MS 2000

/* Admin connections open at once.  A scraper and a health checker need a
 * few; past the cap a connection gets a 503 and is closed at once, so idle
 * connections to the admin port cannot take the descriptors the Docker
 * listeners need.  An open connection that sends nothing for
 * ADMIN_IDLE_TIMEOUT_S seconds is closed. */
#define ADMIN_MAX_CONNECTIONS 64
#define ADMIN_IDLE_TIMEOUT_S  10

/* /healthz probes at once, one engine connection each. */
#define ADMIN_MAX_PROBES      16

/* Connections taken from the listener in one turn of the loop before they
 * are counted (the ones past the cap among them are refused then). */
#define ADMIN_ACCEPT_BATCH    16

/* Every descriptor the admin endpoint can hold: its listener, the
 * connections, those of one batch still to be refused, the probes. */
#define ADMIN_MAX_DESCRIPTORS \
	(1 + ADMIN_MAX_CONNECTIONS + ADMIN_ACCEPT_BATCH + ADMIN_MAX_PROBES)

/* Start serving.  Exactly one of address / unix_path must be non-NULL.
 * address is "host:port" or "[v6]:port" with a numeric loopback host (or
 * "localhost"); port 0 picks a free port (tests).  upstream_path is called
 * for every health probe so a reload that changes upstream.socket is picked
 * up; it may return a path or "unix:///path".  Returns NULL with a message
 * in err on error. */
struct admin *admin_start(struct event_base *base, const char *address,
    const char *unix_path, const char *(*upstream_path)(void),
    char *err, size_t errlen);

/* Answer pending health probes with 503, close the listener, remove the
 * unix socket.  NULL is accepted. */
void admin_stop(struct admin *adm);

/* The TCP port actually bound (useful with port 0); 0 for a unix socket. */
int admin_port(const struct admin *adm);

void admin_set_ping_timeout(struct admin *adm, unsigned ms);

#endif
