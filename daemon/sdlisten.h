/* sdlisten.h - sockets handed over by systemd socket activation
 * (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES; see sd_listen_fds(3)). */
#ifndef SOCKWARD_SDLISTEN_H
#define SOCKWARD_SDLISTEN_H

#include <stddef.h>

/* Read the environment once; the variables are unset afterwards so child
 * processes never inherit them.  Returns the number of fds passed. */
int sdlisten_init(void);
/* The passed fd named name (FileDescriptorName=), or -1.  Each fd is
 * handed out once. */
int sdlisten_take(const char *name);
/* Is every passed fd named after one of these listeners?  0 if so; else
 * -1 with the first stray name copied to bad. */
int sdlisten_check(const char *const *names, int n, char *bad, size_t badlen);
/* Close passed fds nobody took; returns how many there were. */
int sdlisten_close_unused(void);

#endif
