/* half.c - the mechanics of one side of a proxied connection. */
#include "daemon/half.h"

#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

struct evbuffer *
half_in(const struct half *h)
{
	return bufferevent_get_input(h->bev);
}

struct evbuffer *
half_out(const struct half *h)
{
	return bufferevent_get_output(h->bev);
}

size_t
half_out_len(const struct half *h)
{
	return h->bev ? evbuffer_get_length(bufferevent_get_output(h->bev)) : 0;
}

void
half_size_buffers(struct half *h, size_t max)
{
	bufferevent_setwatermark(h->bev, EV_READ, 0, max);
	bufferevent_setwatermark(h->bev, EV_WRITE, max / 2, 0);
	bufferevent_set_max_single_read(h->bev, max / 2);
	bufferevent_set_max_single_write(h->bev, max / 2);
}

void
half_pause(struct half *h, int pause)
{
	if (h->bev == NULL || (int)h->paused == !!pause)
		return;
	h->paused = !!pause;
	if (pause)
		bufferevent_disable(h->bev, EV_READ);
	else if (!h->eof && !h->spliced)
		bufferevent_enable(h->bev, EV_READ);
}

void
half_splice_begin(struct half *h)
{
	h->spliced = 1;
	h->paused = 0;
	bufferevent_disable(h->bev, EV_READ);
}

void
half_splice_end(struct half *h)
{
	h->spliced = 0;
	if (h->bev && !h->eof)
		bufferevent_enable(h->bev, EV_READ);
}

void
half_stop_reading(struct half *h)
{
	if (h->bev)
		bufferevent_disable(h->bev, EV_READ);
}

void
half_release_idle_input(struct half *h)
{
	if (h->bev == NULL)
		return;
	struct evbuffer *in = bufferevent_get_input(h->bev);
	if (evbuffer_get_length(in) != 0)
		return;
	/* draining everything frees every chain, the empty reserved one too;
	 * there is no call for that alone, so give it one byte to drain */
	evbuffer_add(in, "", 1);
	evbuffer_drain(in, 1);
}

void
half_notify_when_flushed(struct half *h)
{
	if (h->bev)
		bufferevent_setwatermark(h->bev, EV_WRITE, 0, 0);
}

int
half_move_all(struct half *from, struct half *to, size_t max, uint64_t *count)
{
	struct evbuffer *in = bufferevent_get_input(from->bev);
	struct evbuffer *out = bufferevent_get_output(to->bev);
	size_t n = evbuffer_get_length(in);
	if (n > 0) {
		evbuffer_add_buffer(out, in);
		*count += n;
	}
	return evbuffer_get_length(out) >= max;
}

int
half_shut_write(struct half *h)
{
	if (evbuffer_get_length(bufferevent_get_output(h->bev)) > 0) {
		h->shut_pending = 1;
		half_notify_when_flushed(h);
		return 0;
	}
	h->shut_pending = 0;
	shutdown(bufferevent_getfd(h->bev), SHUT_WR);
	return 1;
}

int
half_arm_timer(struct half *h, struct event_base *base, event_callback_fn cb, void *arg, long ms)
{
	if (h->timer == NULL && (h->timer = evtimer_new(base, cb, arg)) == NULL)
		return -1;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	return evtimer_add(h->timer, &tv);
}

void
half_disarm_timer(struct half *h)
{
	if (h->timer)
		evtimer_del(h->timer);
}

void
half_drop_connection(struct half *h)
{
	if (h->bev)
		bufferevent_free(h->bev);
	h->bev = NULL;
	h->paused = 0;
	h->eof = 0;
	h->shut_pending = 0;
	h->spliced = 0;
}

void
half_free(struct half *h)
{
	half_drop_connection(h);
	if (h->timer)
		event_free(h->timer);
	h->timer = NULL;
}
