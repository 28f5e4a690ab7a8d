/* identity_parse.c - an identity from its textual form, for `sockward eval
 * --identity` and for tests: "cn=alice", "cn=ci,san=DNS:ci.example",
 * "uid=1000,gid=1000", "user=bob,group=dev", "insecure=127.0.0.1:5555". */
#include "policy/identity_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
set_kind(struct sw_identity *id, enum sw_id_kind k, char *err, size_t errlen)
{
	if (id->kind != SW_ID_NONE && id->kind != k) {
		snprintf(err, errlen, "identity mixes certificate, unix and insecure fields");
		return -1;
	}
	id->kind = k;
	return 0;
}

static int
copy(char *dst, size_t len, const char *v, size_t vlen, char *err, size_t errlen)
{
	if (vlen >= len) {
		snprintf(err, errlen, "identity value too long");
		return -1;
	}
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	return 0;
}

static int
number(const char *v, size_t vlen, long *out, char *err, size_t errlen)
{
	char buf[32], *end;
	if (vlen == 0 || vlen >= sizeof buf)
		goto bad;
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	errno = 0;
	*out = strtol(buf, &end, 10);
	if (errno == 0 && *end == '\0' && *out >= 0)
		return 0;
bad:
	snprintf(err, errlen, "uid/gid must be a non-negative number");
	return -1;
}

int
sw_identity_parse(const char *s, struct sw_identity *id, char *err, size_t errlen)
{
	memset(id, 0, sizeof *id);
	id->uid = id->gid = id->pid = -1;
	while (s != NULL && *s != '\0') {
		const char *end = strchr(s, ','), *eq;
		size_t n = end ? (size_t)(end - s) : strlen(s), klen, vlen;
		eq = memchr(s, '=', n);
		klen = eq ? (size_t)(eq - s) : n;
		const char *v = eq ? eq + 1 : s + n;
		vlen = eq ? n - klen - 1 : 0;
#define KEY(k) (klen == strlen(k) && strncmp(s, k, klen) == 0)
		int rc;
		if (KEY("cn"))
			rc = set_kind(id, SW_ID_CERT, err, errlen) ||
			    copy(id->cn, sizeof id->cn, v, vlen, err, errlen);
		else if (KEY("san")) {
			rc = set_kind(id, SW_ID_CERT, err, errlen);
			if (rc == 0 && id->nsans == SW_ID_MAX_SANS) {
				snprintf(err, errlen, "too many san entries");
				rc = -1;
			}
			if (rc == 0)
				rc = copy(id->sans[id->nsans++], sizeof id->sans[0], v, vlen, err, errlen);
		} else if (KEY("uid"))
			rc = set_kind(id, SW_ID_UNIX, err, errlen) || number(v, vlen, &id->uid, err, errlen);
		else if (KEY("gid"))
			rc = set_kind(id, SW_ID_UNIX, err, errlen) || number(v, vlen, &id->gid, err, errlen);
		else if (KEY("user"))
			rc = set_kind(id, SW_ID_UNIX, err, errlen) ||
			    copy(id->user, sizeof id->user, v, vlen, err, errlen);
		else if (KEY("group"))
			rc = set_kind(id, SW_ID_UNIX, err, errlen) ||
			    copy(id->group, sizeof id->group, v, vlen, err, errlen);
		else if (KEY("insecure"))
			rc = set_kind(id, SW_ID_INSECURE, err, errlen) ||
			    copy(id->peer, sizeof id->peer, v, vlen, err, errlen);
		else {
			snprintf(err, errlen, "unknown identity field '%.*s' (cn, san, uid, gid, "
			    "user, group, insecure)", (int)klen, s);
			rc = -1;
		}
#undef KEY
		if (rc)
			return -1;
		s = end ? end + 1 : NULL;
	}
	sw_identity_format(id);
	return 0;
}
