/* session_accept.c - a new client connection becomes a session: its peer,
 * its identity (unix peer credentials now, a TLS certificate after the
 * handshake), its client half, or a refusal at the connection limit. */
#include "daemon/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "daemon/config.h"
#include "daemon/gateway.h"
#include "daemon/http_error.h"
#include "daemon/identity_pool.h"
#include "daemon/listener.h"
#include "daemon/metrics.h"
#include "daemon/peer_names.h"
#include "daemon/session_flow.h"

static void
format_peer(char *out, size_t len, const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		snprintf(out, len, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		snprintf(out, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		snprintf(out, len, "unix");
	}
}

/* Who is at the other end of a unix socket: SO_PEERCRED, names resolved. */
static void
unix_identity(evutil_socket_t fd, struct sw_identity *id)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	id->kind = SW_ID_UNIX;
	id->uid = id->gid = id->pid = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		id->uid = cred.uid;
		id->gid = cred.gid;
		id->pid = cred.pid;
		peer_user_name(cred.uid, id->user, sizeof id->user, PEER_NAME_BUF);
		peer_group_name(cred.gid, id->group, sizeof id->group, PEER_NAME_BUF);
	}
	sw_identity_format(id);
}

/* Identities known at accept (unix peer, insecure TCP peer), interned. */
static const struct sw_identity *
accept_identity(const struct listener *lst, evutil_socket_t fd, const char *peer)
{
	struct sw_identity *id = calloc(1, sizeof *id);   /* 5 KB: not on the stack */
	if (id == NULL)
		return NULL;
	if (lst->type == LISTEN_UNIX) {
		unix_identity(fd, id);
	} else {
		id->kind = SW_ID_INSECURE;
		id->uid = id->gid = id->pid = -1;
		snprintf(id->peer, sizeof id->peer, "%s", peer);
		sw_identity_format(id);
	}
	const struct sw_identity *shared = identity_intern(id);
	free(id);
	return shared;
}

/* 503 without a request read: sent with one non-blocking write, then our
 * side is shut and what the client already sent is read away, so the
 * close does not reset the answer out of its receive queue. */
static void
answer_refusal(evutil_socket_t fd, long max)
{
	char msg[160];
	snprintf(msg, sizeof msg, "sockward: too many connections (limits.max_connections %ld); "
	    "retry later", max);
	http_error_send_refusal(fd, 503, msg);
}

static struct bufferevent *
tls_client(struct session *s, evutil_socket_t fd)
{
	SSL *ssl = SSL_new(s->lst->ssl_ctx);
	struct bufferevent *bev = ssl ? bufferevent_openssl_socket_new(s->gw->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE) : NULL;
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* a TCP FIN without close_notify is still an end of stream */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* Connections past a limit are refused at once, bounded in every way: a
 * plain client gets a 503 in Docker's form (the CLI prints it), written
 * without waiting.  Connections still in their TLS handshake (no identity
 * yet) are bounded apart from authenticated ones (limits.max_handshakes),
 * and when they are all taken the oldest handshake makes room for the new
 * connection: a real client's handshake takes a round trip or two, so
 * sockets that send nothing (or too little, too slowly) cannot hold the
 * port until their handshake timeout and lock real clients out; to push
 * a real client's handshake out, a flood must bring max_handshakes new
 * connections within its round trips. */
static int
refused_at_limit(struct session *s, evutil_socket_t fd)
{
	struct gateway *gw = s->gw;
	size_t others = gw->nsessions - 1;                  /* this one is counted */
	size_t authenticated = others - gw->nhandshakes;
	char why[160];
	if (s->lst->type == LISTEN_TLS) {
		/* its identity is not known yet: bounded as a handshake here, as
		 * an authenticated connection once the handshake is done */
		struct session *oldest = TAILQ_FIRST(&gw->handshakes);
		if (gw->nhandshakes < (size_t)s->cfg->max_handshakes)
			return 0;
		if (oldest != NULL && s->cfg->max_handshakes > 0) {
			snprintf(why, sizeof why, "refused: its TLS handshake made room for a newer "
			    "connection (%zu running, limits.max_handshakes)", gw->nhandshakes);
			session_refuse(oldest, why);   /* another session: not on this stack */
			return 0;
		}
		snprintf(why, sizeof why, "refused: %zu TLS handshakes running (limits.max_handshakes)",
		    gw->nhandshakes);
	} else if (authenticated >= (size_t)s->cfg->max_connections)
		snprintf(why, sizeof why, "refused: %zu connections (limits.max_connections)",
		    authenticated);
	else
		return 0;
	if (s->lst->type != LISTEN_TLS)
		answer_refusal(fd, s->cfg->max_connections);
	evutil_closesocket(fd);
	session_refuse(s, why);
	return 1;
}

void
session_new(struct gateway *gw, const struct listener *lst, evutil_socket_t fd,
    const struct sockaddr *sa, int salen)
{
	(void)salen;
	struct session *s = calloc(1, sizeof *s);
	if (s == NULL) {
		log_warn("refused a connection on %s: out of memory", lst->name);
		evutil_closesocket(fd);
		return;
	}
	s->facts.id = ++gw->next_conn_id;
	s->facts.listener = lst->name;
	format_peer(s->facts.peer, sizeof s->facts.peer, sa);
	s->gw = gw;
	s->lst = lst;
	s->cfg = config_ref(gw->cfg);
	TAILQ_INSERT_TAIL(&gw->sessions, s, link);
	gw->nsessions++;
	metrics_connection_opened();

	evutil_make_socket_nonblocking(fd);
	if (lst->type != LISTEN_UNIX) {
		/* An answer is written whole when it is whole, but one that comes
		 * from the engine in two reads leaves in two writes (two TLS
		 * records at least): with Nagle on, the second waits for the ACK
		 * of the first, which the client delays (40 ms) because it has
		 * nothing to say until the answer is complete. */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	if (refused_at_limit(s, fd))
		return;
	if (lst->type == LISTEN_TLS) {
		s->client.h.bev = tls_client(s, fd);
		set_client_state(s, C_HANDSHAKE);
	} else {
		s->facts.ident = accept_identity(lst, fd, s->facts.peer);
		if (s->facts.ident != NULL)
			s->client.h.bev = bufferevent_socket_new(gw->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (s->client.h.bev)
			half_go_direct(&s->client.h, &gw->sends);   /* a plain socket: written at once, read by us */
		set_client_state(s, C_IDLE);
	}
	if (s->client.h.bev == NULL) {
		evutil_closesocket(fd);
		session_close(s, "cannot set up connection");
		return;
	}
	session_flow_attach_client(s);
	half_size_buffers(&s->client.h, session_max_buffer(s));
	bufferevent_enable(s->client.h.bev, EV_READ | EV_WRITE);
	conn_log(&s->facts, LOG_LVL_DEBUG, "accepted from %s", s->facts.peer);
	session_arm_head_timer(s);
}
