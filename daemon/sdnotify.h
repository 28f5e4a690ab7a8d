/* sdnotify.h - the sd_notify(3) protocol, spoken without libsystemd.
 *
 * systemd (Type=notify) passes the path of a datagram socket in
 * $NOTIFY_SOCKET; the service reports its state by sending newline-separated
 * KEY=VALUE assignments there.  A leading '@' names a socket in the abstract
 * namespace.  When $NOTIFY_SOCKET is unset every call is a no-op, so the
 * daemon behaves the same when started by hand.
 *
 * Every function returns 1 when a datagram was sent, 0 when $NOTIFY_SOCKET is
 * unset and -1 on error (errno set; the daemon should log and carry on: a
 * lost notification is not a reason to stop serving).
 */
#ifndef SOCKWARD_SDNOTIFY_H
#define SOCKWARD_SDNOTIFY_H

/* Send msg (already "KEY=VALUE\nKEY=VALUE") as one datagram. */
int sdnotify_send(const char *msg);

/* "READY=1", followed by "\nSTATUS=<status>" when status is not NULL.
 * Sent once at startup when every listener is bound, and again after each
 * reload (systemd waits for READY=1 to end the RELOADING state). */
int sdnotify_ready(const char *status);

/* "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC in microseconds>".
 * Sent when SIGHUP is received, before the new configuration is read. */
int sdnotify_reloading(void);

/* "STOPPING=1", followed by "\nSTATUS=<status>" when status is not NULL.
 * Sent when SIGTERM/SIGINT starts the graceful stop. */
int sdnotify_stopping(const char *status);

/* "STATUS=<printf-formatted text>"; a newline in the text is replaced by a
 * space so it cannot inject another assignment. */
int sdnotify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
