/* listener.h - one configured listening socket, as the sessions accepted on
 * it see it: its name (for logs), its type (TLS or not) and, for TLS, the
 * context new connections are accepted with.  The server owns them. */
#ifndef SOCKWARD_LISTENER_H
#define SOCKWARD_LISTENER_H

#include <openssl/ssl.h>

#include "daemon/config.h"

struct server;
struct evconnlistener;

struct listener {
	struct server *srv;
	char name[LISTENER_NAME_MAX + 1];
	enum listener_type type;
	struct evconnlistener *evl;
	SSL_CTX *ssl_ctx;          /* TLS only; replaced on reload */
	char path[108];            /* unix only: unlinked at exit */
};

#endif
