/* identity.c - render an identity for logs and messages. */
#include "policy/identity.h"

#include <stdio.h>

void
sw_identity_format(struct sw_identity *id)
{
	switch (id->kind) {
	case SW_ID_CERT:
		snprintf(id->display, sizeof id->display, "cn=%s", id->cn[0] ? id->cn : "(none)");
		break;
	case SW_ID_UNIX:
		snprintf(id->display, sizeof id->display, "uid=%ld(%s) gid=%ld(%s) pid=%ld",
		    id->uid, id->user[0] ? id->user : "?", id->gid,
		    id->group[0] ? id->group : "?", id->pid);
		break;
	case SW_ID_INSECURE:
		snprintf(id->display, sizeof id->display, "insecure %s", id->peer);
		break;
	default:
		snprintf(id->display, sizeof id->display, "unknown");
		break;
	}
}
