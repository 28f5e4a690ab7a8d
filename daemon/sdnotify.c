/* sdnotify.c - see sdnotify.h.  One datagram per call, on a fresh socket:
 * notifications are rare (start, reload, stop, status changes) so keeping a
 * descriptor open would buy nothing. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/sdnotify.h"

/* Big enough for every message we build; STATUS text is truncated to fit. */
#define SDNOTIFY_MAX 1024

int
sdnotify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t salen;
	size_t plen;
	ssize_t n;
	int fd, saved;

	if (path == NULL || path[0] == '\0')
		return 0;
	/* Only filesystem and abstract unix sockets; systemd also knows
	 * "vsock:" which a service on a host never receives. */
	if (path[0] != '/' && path[0] != '@') {
		errno = EAFNOSUPPORT;
		return -1;
	}
	plen = strlen(path);
	if (plen >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';   /* abstract: the length, not a NUL, ends it */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '@' ? 0 : 1));

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	n = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, salen);
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	if ((size_t)n != strlen(msg)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 1;
}

/* Append "\nSTATUS=<text>" with newlines flattened. */
static void
append_status(char *buf, size_t size, const char *text)
{
	size_t len = strlen(buf);
	int n = snprintf(buf + len, size - len, "%sSTATUS=", len ? "\n" : "");

	if (n < 0 || (size_t)n >= size - len)
		return;
	len += (size_t)n;
	for (; *text != '\0' && len + 1 < size; text++)
		buf[len++] = (*text == '\n' || *text == '\r') ? ' ' : *text;
	buf[len] = '\0';
}

int
sdnotify_ready(const char *status)
{
	char buf[SDNOTIFY_MAX] = "READY=1";

	if (status != NULL)
		append_status(buf, sizeof(buf), status);
	return sdnotify_send(buf);
}

int
sdnotify_reloading(void)
{
	char buf[128];
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return -1;
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	return sdnotify_send(buf);
}

int
sdnotify_stopping(const char *status)
{
	char buf[SDNOTIFY_MAX] = "STOPPING=1";

	if (status != NULL)
		append_status(buf, sizeof(buf), status);
	return sdnotify_send(buf);
}

int
sdnotify_status(const char *fmt, ...)
{
	char text[SDNOTIFY_MAX - 16];
	char buf[SDNOTIFY_MAX] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	append_status(buf, sizeof(buf), text);
	return sdnotify_send(buf);
}
