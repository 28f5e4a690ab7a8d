/* identity.h - who is on the other end of a connection.
 *
 * Pure data shared by daemon/ (which fills it in at accept/handshake time)
 * and policy/ (which binds identities to profiles).  No I/O here. */
#ifndef SOCKWARD_IDENTITY_H
#define SOCKWARD_IDENTITY_H

#include <stddef.h>

enum sw_id_kind {
	SW_ID_NONE = 0,   /* not yet known (TLS handshake pending) */
	SW_ID_CERT,       /* verified TLS client certificate */
	SW_ID_UNIX,       /* unix socket peer credentials (SO_PEERCRED) */
	SW_ID_INSECURE,   /* plain TCP listener explicitly marked insecure */
};

#define SW_ID_MAX_SANS 16

struct sw_identity {
	enum sw_id_kind kind;
	/* SW_ID_CERT */
	char cn[256];                    /* subject CN, "" if none */
	char sans[SW_ID_MAX_SANS][256];  /* "DNS:x", "IP:1.2.3.4", "email:a@b", "URI:..." */
	size_t nsans;
	/* SW_ID_UNIX */
	long uid, gid, pid;              /* -1 when unknown */
	char user[64], group[64];        /* resolved names, "" when unknown */
	/* SW_ID_INSECURE */
	char peer[64];                   /* "127.0.0.1:port" */
	/* human form used in every log line and denial message:
	 * "cn=alice", "uid=1000(alice) gid=1000(alice)", "insecure 127.0.0.1:5555" */
	char display[300];
};

/* Render id->display from the other fields. */
void sw_identity_format(struct sw_identity *id);

#endif
