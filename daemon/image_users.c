/* image_users.c - see image_users.h. */
#include "daemon/image_users.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "daemon/engine_client.h"
#include "daemon/log.h"
#include "policy/tarscan.h"
#include "policy/tenant.h"

#define USERS_TIMEOUT_MS 10000u
#define USERS_ANSWER_MAX (USERS_FILE_MAX + (160u << 10))   /* headers, PAX, framing */

enum step { S_CREATE, S_PASSWD, S_GROUP, S_DELETE };

struct users_req {
	struct event_base *base;
	char sock[128];
	struct pol_lookup *lk;      /* NULL once the caller went away */
	users_cb cb;
	void *arg;
	int image;                  /* POL_LOOKUP_IMAGE_USERS: a transient container */
	char id[512];               /* the image ID or the container read */
	char cname[48];             /* the transient container's name */
	enum step step;
	struct engine_req *req;
	struct event *hit;          /* answered from the cache, next loop turn */
	int starting, start_failed; /* inside users_start: no callback */
	int status;                 /* the lookup's status once known (0: not yet failed) */
	char why[300];
	json_t *passwd, *group;
};

static struct {
	struct { char *key; json_t *json; uint64_t used; size_t size; } e[USERS_CACHE_MAX];
	size_t n, bytes;
	uint64_t tick;
	struct users_stats st;
} uc;

void
users_stats(struct users_stats *st)
{
	*st = uc.st;
	st->entries = uc.n;
	st->bytes = uc.bytes;
}

void
users_cache_clear(void)
{
	for (size_t i = 0; i < uc.n; i++) {
		free(uc.e[i].key);
		json_decref(uc.e[i].json);
	}
	uc.n = 0;
	uc.bytes = 0;
}

static json_t *
cache_get(const char *key)
{
	for (size_t i = 0; i < uc.n; i++)
		if (strcmp(uc.e[i].key, key) == 0) {
			uc.e[i].used = ++uc.tick;
			return uc.e[i].json;
		}
	return NULL;
}

/* What an entry is counted for: its key and the two files' text (the
 * JSON around them is small and the same for every entry). */
static size_t
entry_size(const char *key, json_t *json)
{
	return strlen(key) + json_string_length(json_object_get(json, "passwd")) +
	    json_string_length(json_object_get(json, "group"));
}

/* Forget the least recently used entry (the last slot takes its place). */
static void
cache_evict_lru(void)
{
	size_t i = 0;
	for (size_t j = 1; j < uc.n; j++)
		if (uc.e[j].used < uc.e[i].used)
			i = j;
	free(uc.e[i].key);
	json_decref(uc.e[i].json);
	uc.bytes -= uc.e[i].size;
	uc.e[i] = uc.e[--uc.n];
}

static void
cache_put(const char *key, json_t *json)
{
	size_t size = entry_size(key, json);
	char *k;

	if (size > USERS_CACHE_BYTES || cache_get(key) != NULL || (k = strdup(key)) == NULL)
		return;
	while (uc.n > 0 && (uc.n == USERS_CACHE_MAX || uc.bytes + size > USERS_CACHE_BYTES))
		cache_evict_lru();
	uc.e[uc.n].key = k;
	uc.e[uc.n].json = json_incref(json);
	uc.e[uc.n].used = ++uc.tick;
	uc.e[uc.n].size = size;
	uc.n++;
	uc.bytes += size;
}

/* the cache key: the engine and the image ID */
static void
cache_key(const struct users_req *u, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s\n%s", u->sock, u->id);
}

int
users_tar_file(const unsigned char *tar, size_t tarlen, const unsigned char **data, size_t *len,
    char *why, size_t whylen)
{
	struct tarscan t;
	size_t off = 0, used;
	int found = 0, rc = -1;

	tarscan_init(&t);
	for (;;) {
		enum tar_event ev = tarscan_feed(&t, tar + off, tarlen - off, &used);
		off += used;
		if (ev == TAR_ERROR) {
			snprintf(why, whylen, "unreadable archive: %s", t.error);
			goto out;
		}
		if (ev == TAR_MORE || ev == TAR_END)
			break;
		/* TAR_ENTRY */
		if (found) {
			snprintf(why, whylen, "the archive holds more than one entry");
			goto out;
		}
		char type = t.entry.type;
		if (type != '0' && type != '\0') {
			snprintf(why, whylen, "is %s, not a regular file", type == '2' ?
			    "a symbolic link" : type == '1' ? "a hard link" : type == '5' ?
			    "a directory" : "a special file");
			goto out;
		}
		if (t.entry.size < 0 || (uint64_t)t.entry.size > USERS_FILE_MAX) {
			snprintf(why, whylen, "is larger than %u bytes", USERS_FILE_MAX);
			goto out;
		}
		if ((uint64_t)t.entry.size > tarlen - off) {
			snprintf(why, whylen, "the archive is truncated");
			goto out;
		}
		*data = tar + off;
		*len = (size_t)t.entry.size;
		found = 1;
		tarscan_accept(&t);
	}
	if (!found)
		snprintf(why, whylen, "the archive holds no file");
	else
		rc = 0;
out:
	tarscan_free(&t);
	return rc;
}

static void u_next(struct users_req *u);

static void
u_free(struct users_req *u)
{
	if (u->hit != NULL)
		event_free(u->hit);
	json_decref(u->passwd);
	json_decref(u->group);
	free(u);
}

static void
u_finish(struct users_req *u)
{
	struct pol_lookup *lk = u->lk;
	json_t *ans = NULL;

	/* only a dialogue that ran to its end for its caller read both files:
	 * one cancelled on the way has read one or none, and its answer
	 * (missing files) must not be kept for the next request */
	if (lk != NULL && u->status == 0 && u->why[0] == '\0') {
		ans = json_pack("{s:O, s:O}", "passwd", u->passwd ? u->passwd : json_null(),
		    "group", u->group ? u->group : json_null());
		if (ans != NULL && u->image) {
			char key[700];
			cache_key(u, key, sizeof key);
			cache_put(key, ans);
		}
	}
	if (lk != NULL) {
		if (ans != NULL) {
			lk->status = 200;
			lk->json = ans;
			ans = NULL;
		} else {
			lk->status = u->status;
			lk->json = json_pack("{s:s}", "message", u->why[0] ? u->why : "out of memory");
		}
		lk->done = 1;
		log_debug("lookup %s %s: %d%s%s", pol_lookup_kind_name(lk->kind), lk->name,
		    lk->status, u->why[0] ? " " : "", u->why);
	}
	json_decref(ans);
	users_cb cb = u->cb;
	void *arg = u->arg;
	u_free(u);
	if (lk != NULL && cb != NULL)
		cb(lk, arg);
}

/* A failure: remembered; the transient container is still deleted. */
static void
u_fail(struct users_req *u, int status, const char *fmt, const char *detail)
{
	if (u->why[0] == '\0') {
		u->status = status;
		snprintf(u->why, sizeof u->why, fmt, detail);
		if (u->why[0] == '\0')
			snprintf(u->why, sizeof u->why, "failed");
	}
	u->step = u->image && u->step < S_DELETE ? S_DELETE : S_DELETE + 1;
	u_next(u);
}

static const char *
engine_message(const struct engine_answer *a)
{
	const char *m = json_string_value(json_object_get(a->json, "message"));
	return m ? m : a->status == 0 ? a->error : "";
}

static void
u_answered(const struct engine_answer *a, void *arg)
{
	struct users_req *u = arg;
	char why[400];

	u->req = NULL;
	switch (u->step) {
	case S_CREATE:
		if (a->status == 201) {
			u->step = u->lk == NULL ? S_DELETE : S_PASSWD;
			u_next(u);
			return;
		}
		snprintf(why, sizeof why, "the transient container was not created (engine %d: %s)",
		    a->status, engine_message(a));
		/* a 4xx created nothing, nor did a create that never had an
		 * engine connection; anything else may have */
		if ((a->status >= 400 && a->status < 500) || a->unsent)
			u->image = 0;
		u_fail(u, a->status == 0 ? 0 : 502, "%s", why);
		return;
	case S_PASSWD:
	case S_GROUP: {
		const char *file = u->step == S_PASSWD ? "/etc/passwd" : "/etc/group";
		json_t **out = u->step == S_PASSWD ? &u->passwd : &u->group;
		if (a->status == 404 && strncmp(engine_message(a), "No such container", 17) != 0) {
			*out = json_null();   /* no such file: runc reads no entries */
		} else if (a->status == 200) {
			const unsigned char *data;
			size_t len;
			char tw[200];
			size_t n = evbuffer_get_length(a->body);
			const unsigned char *tar = evbuffer_pullup(a->body, -1);
			if (users_tar_file(tar, n, &data, &len, tw, sizeof tw) != 0) {
				snprintf(why, sizeof why, "%s %s", file, tw);
				u_fail(u, 502, "%s", why);
				return;
			}
			/* bytes as they are (runc reads bytes, not UTF-8) */
			*out = json_stringn_nocheck((const char *)data, len);
			if (*out == NULL) {
				u_fail(u, 0, "%s", "out of memory");
				return;
			}
		} else {
			snprintf(why, sizeof why, "%s cannot be read (engine %d: %s)", file, a->status,
			    engine_message(a));
			u_fail(u, a->status == 0 ? 0 : 502, "%s", why);
			return;
		}
		u->step = u->step == S_PASSWD ? S_GROUP : u->image ? S_DELETE : S_DELETE + 1;
		if (u->lk == NULL)
			u->step = u->image ? S_DELETE : S_DELETE + 1;
		u_next(u);
		return;
	}
	case S_DELETE:
		if (a->status == 204 || a->status == 200) {
			uc.st.deleted++;
			log_debug("image users %s: deleted the transient container %s", u->id, u->cname);
		} else {
			log_warn("image users %s: the transient container %s was not deleted "
			    "(engine %d: %s); remove it with docker rm -fv %s", u->id, u->cname,
			    a->status, engine_message(a), u->cname);
		}
		u->step = S_DELETE + 1;
		u_next(u);
		return;
	}
	u_finish(u);
}

static void
u_next(struct users_req *u)
{
	/* the delete goes first among the lookups waiting for a connection,
	 * with its whole time once it has one: it must not be lost */
	struct engine_opts opts = { .max_bytes = USERS_ANSWER_MAX, .timeout_ms = USERS_TIMEOUT_MS,
	    .want_json = 1, .limited = 1, .urgent = u->step == S_DELETE };
	char path[1200];
	const char *method = "GET";
	char *body = NULL;

	switch (u->step) {
	case S_CREATE: {
		/* the image's labels are the container's too: an empty tenant
		 * label keeps it out of every tenant's lists and quotas */
		json_t *b = json_pack("{s:s, s:[s], s:[], s:b, s:{s:s, s:s}, s:{s:s}}",
		    "Image", u->id, "Entrypoint", "/sockward-passwd-never-started", "Cmd",
		    "NetworkDisabled", 1, "Labels", "io.sockward.internal", "passwd",
		    TENANT_LABEL, "", "HostConfig", "NetworkMode", "none");
		body = b ? json_dumps(b, JSON_COMPACT) : NULL;
		json_decref(b);
		if (body == NULL) {
			u->image = 0;
			u_fail(u, 0, "%s", "out of memory");
			return;
		}
		method = "POST";
		snprintf(path, sizeof path, "/containers/create?name=%s", u->cname);
		uc.st.created++;
		log_debug("image users %s: creating the transient container %s", u->id, u->cname);
		break;
	}
	case S_PASSWD:
	case S_GROUP:
		snprintf(path, sizeof path, "/containers/%s/archive?path=%%2Fetc%%2F%s",
		    u->image ? u->cname : u->id, u->step == S_PASSWD ? "passwd" : "group");
		break;
	case S_DELETE:
		method = "DELETE";
		snprintf(path, sizeof path, "/containers/%s?v=1&force=1", u->cname);
		break;
	default:
		u_finish(u);
		return;
	}
	uc.st.engine_calls++;
	u->req = engine_request(u->base, u->sock, method, path, body, body ? strlen(body) : 0,
	    &opts, u_answered, u);
	free(body);
	if (u->req == NULL && u->starting) {
		u->start_failed = 1;
		return;
	}
	if (u->req == NULL) {
		if (u->step == S_CREATE)
			u->image = 0;   /* never sent: nothing to delete */
		if (u->step == S_DELETE) {
			log_warn("image users %s: cannot ask the engine to delete %s", u->id, u->cname);
			u->step = S_DELETE + 1;
		}
		u_fail(u, 0, "%s", "cannot ask the engine");
	}
}

static void
hit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct users_req *u = arg;
	struct pol_lookup *lk = u->lk;
	users_cb cb = u->cb;
	void *cbarg = u->arg;
	char key[700];

	(void)fd; (void)what;
	cache_key(u, key, sizeof key);
	json_t *j = cache_get(key);
	lk->status = j ? 200 : 0;
	lk->json = j ? json_incref(j) : json_pack("{s:s}", "message", "cache entry gone");
	lk->done = 1;
	u_free(u);
	cb(lk, cbarg);
}

static int
safe_id(const char *s)
{
	if (s[0] == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == ':' || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

struct users_req *
users_start(struct event_base *base, const char *sock_path, struct pol_lookup *lk, users_cb cb,
    void *arg)
{
	struct users_req *u;
	unsigned char rnd[8];
	char key[700];

	if ((lk->kind != POL_LOOKUP_IMAGE_USERS && lk->kind != POL_LOOKUP_CONTAINER_USERS) ||
	    !safe_id(lk->name) || strlen(sock_path) >= sizeof u->sock)
		return NULL;
	if ((u = calloc(1, sizeof *u)) == NULL)
		return NULL;
	u->base = base;
	snprintf(u->sock, sizeof u->sock, "%s", sock_path);
	u->lk = lk;
	u->cb = cb;
	u->arg = arg;
	u->image = lk->kind == POL_LOOKUP_IMAGE_USERS;
	snprintf(u->id, sizeof u->id, "%s", lk->name);
	lk->status = 0;
	lk->json = NULL;
	if (u->image) {
		cache_key(u, key, sizeof key);
		if (cache_get(key) != NULL) {
			static const struct timeval now = { 0, 0 };
			uc.st.cache_hits++;
			log_debug("lookup image-users %s: from the cache", u->id);
			u->hit = evtimer_new(base, hit_cb, u);
			if (u->hit != NULL && evtimer_add(u->hit, &now) == 0)
				return u;
			u_free(u);
			return NULL;
		}
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
			free(u);
			return NULL;
		}
		snprintf(u->cname, sizeof u->cname, "sockward-passwd-%02x%02x%02x%02x%02x%02x%02x%02x",
		    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
		u->step = S_CREATE;
	} else {
		u->step = S_PASSWD;
	}
	u->starting = 1;
	u_next(u);   /* a failed connection is reported from the loop by the engine client */
	u->starting = 0;
	if (u->start_failed) {
		u_free(u);
		return NULL;
	}
	return u;
}

void
users_cancel(struct users_req *u)
{
	if (u == NULL)
		return;
	u->lk = NULL;
	u->cb = NULL;
	if (u->hit != NULL) {
		u_free(u);
		return;
	}
	if (!u->image || (u->step == S_CREATE && engine_queued(u->req))) {
		/* nothing to undo: a container's files are only read, and a create
		 * still waiting for a connection has not reached the engine */
		if (u->image)
			uc.st.created--;   /* counted when asked for; never made */
		engine_cancel(u->req);
		u_free(u);
		return;
	}
	/* the transient container: the request in flight finishes, then the
	 * dialogue goes straight to the delete (a create still on its way may
	 * yet make the container) */
	if (u->step == S_PASSWD || u->step == S_GROUP) {
		engine_cancel(u->req);
		u->req = NULL;
		u->step = S_DELETE;
		u_next(u);
	}
}
