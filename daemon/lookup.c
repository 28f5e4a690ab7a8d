/* lookup.c - one short-lived HTTP/1.0 request per lookup on its own engine
 * connection, read to EOF (bounded), so it never disturbs the client's
 * exchange.  Anything but a clean answer leaves status 0 or the engine's
 * status, and the policy denies on that. */
#include "daemon/lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#define LOOKUP_MAX_BYTES (4u << 20)
#define LOOKUP_TIMEOUT_SEC 10

struct lookup {
	struct bufferevent *bev;
	struct pol_lookup *lk;
	lookup_cb cb;
	void *arg;
	struct event *later;   /* deferred completion: never call back inside start */
};

int
lookup_path(const struct pol_lookup *lk, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *prefix = lk->kind == POL_LOOKUP_IMAGE ? "/images/" : "/containers/";
	size_t n = (size_t)snprintf(out, outlen, "%s", prefix);
	for (const unsigned char *p = (const unsigned char *)lk->name; *p; p++) {
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~:@/", *p);
		if (lk->kind == POL_LOOKUP_CONTAINER && *p == '/')
			plain = 0;
		if (n + 4 >= outlen)
			return -1;
		if (plain) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	if (n + 6 >= outlen)
		return -1;
	memcpy(out + n, "/json", 6);
	return 0;
}

static void
complete(struct lookup *l)
{
	struct pol_lookup *lk = l->lk;
	lookup_cb cb = l->cb;
	void *arg = l->arg;
	lk->done = 1;
	lookup_cancel(l);
	cb(lk, arg);
}

static void
parse_answer(struct lookup *l)
{
	struct evbuffer *in = bufferevent_get_input(l->bev);
	size_t len = evbuffer_get_length(in);
	char *all = (char *)evbuffer_pullup(in, -1);
	char line[32];
	int major, minor, status;
	l->lk->status = 0;
	if (all == NULL || len < 12)
		return;
	/* the pulled-up buffer is not NUL-terminated: scan a bounded copy */
	snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), all);
	if (sscanf(line, "HTTP/%d.%d %d", &major, &minor, &status) != 3)
		return;
	char *body = memmem(all, len, "\r\n\r\n", 4);
	l->lk->status = status;
	if (status != 200 || body == NULL)
		return;
	body += 4;
	json_error_t err;
	l->lk->json = json_loadb(body, len - (size_t)(body - all), 0, &err);
	if (l->lk->json == NULL)
		l->lk->status = 0;   /* unreadable answer: treat as unanswered */
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct lookup *l = arg;
	if (evbuffer_get_length(bufferevent_get_input(bev)) > LOOKUP_MAX_BYTES) {
		l->lk->status = 0;
		complete(l);
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct lookup *l = arg;
	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF)
		parse_answer(l);
	else
		l->lk->status = 0;   /* error or timeout */
	complete(l);
}

static void
fail_later_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	struct lookup *l = arg;
	l->lk->status = 0;
	complete(l);
}

struct lookup *
lookup_start(struct event_base *base, const char *sock_path, struct pol_lookup *lk,
    lookup_cb cb, void *arg)
{
	char path[1700];
	if (lookup_path(lk, path, sizeof path) != 0)
		return NULL;
	struct lookup *l = calloc(1, sizeof *l);
	if (l == NULL)
		return NULL;
	l->lk = lk;
	l->cb = cb;
	l->arg = arg;
	lk->json = NULL;
	lk->status = 0;
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock_path);
	l->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (l->bev == NULL) {
		free(l);
		return NULL;
	}
	bufferevent_setcb(l->bev, read_cb, NULL, event_cb, l);
	struct timeval tv = { LOOKUP_TIMEOUT_SEC, 0 };
	bufferevent_set_timeouts(l->bev, &tv, &tv);
	evbuffer_add_printf(bufferevent_get_output(l->bev),
	    "GET %s HTTP/1.0\r\nHost: docker\r\nUser-Agent: sockward\r\n\r\n", path);
	if (bufferevent_socket_connect(l->bev, (struct sockaddr *)&sun, sizeof sun) != 0) {
		/* report asynchronously so the caller's bookkeeping is in place */
		l->later = event_new(base, -1, 0, fail_later_cb, l);
		event_active(l->later, EV_TIMEOUT, 0);
		return l;
	}
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	return l;
}

void
lookup_cancel(struct lookup *l)
{
	if (l == NULL)
		return;
	if (l->bev)
		bufferevent_free(l->bev);
	if (l->later)
		event_free(l->later);
	free(l);
}
