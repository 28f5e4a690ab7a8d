/* sdlisten.c - socket activation without libsystemd. */
#include "daemon/sdlisten.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3
#define SDLISTEN_MAX 16

static struct {
	int fd;
	char name[64];
	int taken;
} passed[SDLISTEN_MAX];
static int npassed;

int
sdlisten_init(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	npassed = 0;
	/* only fds meant for this very process */
	if (pid && fds && strtol(pid, NULL, 10) == (long)getpid()) {
		long n = strtol(fds, NULL, 10);
		if (n > SDLISTEN_MAX)
			n = SDLISTEN_MAX;
		char buf[1024];
		snprintf(buf, sizeof buf, "%s", names ? names : "");
		char *save = NULL, *tok = strtok_r(buf, ":", &save);
		for (long i = 0; i < n; i++) {
			passed[i].fd = SD_LISTEN_FDS_START + (int)i;
			snprintf(passed[i].name, sizeof passed[i].name, "%s", tok ? tok : "unknown");
			passed[i].taken = 0;
			fcntl(passed[i].fd, F_SETFD, FD_CLOEXEC);
			tok = tok ? strtok_r(NULL, ":", &save) : NULL;
		}
		npassed = (int)n;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return npassed;
}

int
sdlisten_take(const char *name)
{
	for (int i = 0; i < npassed; i++) {
		if (!passed[i].taken && strcmp(passed[i].name, name) == 0) {
			passed[i].taken = 1;
			return passed[i].fd;
		}
	}
	return -1;
}

int
sdlisten_check(const char *const *names, int n, char *bad, size_t badlen)
{
	for (int i = 0; i < npassed; i++) {
		int found = 0;
		for (int j = 0; j < n && !found; j++)
			found = strcmp(passed[i].name, names[j]) == 0;
		if (!found) {
			snprintf(bad, badlen, "%s", passed[i].name);
			return -1;
		}
	}
	return 0;
}

int
sdlisten_close_unused(void)
{
	int n = 0;
	for (int i = 0; i < npassed; i++) {
		if (!passed[i].taken) {
			close(passed[i].fd);
			passed[i].taken = 1;
			n++;
		}
	}
	return n;
}
