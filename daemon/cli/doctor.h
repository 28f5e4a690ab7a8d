/* doctor.h - "sockward doctor": the engine-level items of the hardening
 * checklist, read from the engine's /info and /version.
 *
 * sockward can only police the API; some protections are the engine's own
 * settings.  doctor asks the engine and reports each item with the
 * daemon.json setting that fixes it.  Limits: the engine API does not say
 * which hosts (-H) the engine listens on, nor its log level; doctor probes
 * TCP ports for a plain-HTTP engine and reads /etc/docker/daemon.json when it
 * can, and says what it inferred.
 *
 * Exit status: 0 no findings, 1 findings, 2 engine unreachable or bad usage.
 */
#ifndef SOCKWARD_DOCTOR_H
#define SOCKWARD_DOCTOR_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

enum doctor_level { DOCTOR_OK, DOCTOR_INFO, DOCTOR_FINDING };

struct doctor_item {
	const char *id;            /* "userns-remap", "live-restore", ... */
	enum doctor_level level;
	char text[640];            /* what was seen */
	const char *fix;           /* daemon.json setting, or NULL */
};

#define DOCTOR_MAX_ITEMS 16

/* The pure part: judge /info and /version (either may be NULL when not
 * available) as of `now`.  Fills items, returns how many. */
size_t doctor_check(const json_t *info, const json_t *version, time_t now,
    struct doctor_item *items, size_t max);

/* Judge a daemon.json document: TCP hosts without TLS verification, debug
 * log level.  Fills items, returns how many. */
size_t doctor_check_daemon_json(const json_t *daemon_json, struct doctor_item *items,
    size_t max);

/* Judge the answer of a plain-HTTP GET /_ping sent to a TCP address:
 * response is what came back (NULL: nothing listens).  Fills item. */
void doctor_check_tcp(const char *address, const char *response, struct doctor_item *item);

/* Who can open the engine socket at path besides root and service_user
 * (doctor_access.c): its owner, the members of its group (listed or by
 * primary group), named users and groups of its POSIX ACL, other users.
 * One "socket-access" item per way in (FINDING), or one OK item. */
size_t doctor_check_socket_access(const char *path, const char *service_user,
    struct doctor_item *items, size_t max);

/* dockerd processes (comm "dockerd" under proc_root, normally "/proc")
 * holding a listening TCP socket: one "engine-tcp" FINDING each, or one
 * OK/INFO item. */
size_t doctor_check_engine_tcp(const char *proc_root, struct doctor_item *items, size_t max);

/* argv[0] == "doctor"; options -c FILE, -u SOCKET, -p HOST:PORT (repeatable:
 * extra TCP ports to probe for a plain-HTTP engine; default 127.0.0.1:2375),
 * -d FILE (daemon.json to read; default /etc/docker/daemon.json), -s USER
 * (the user sockward runs as, who may open the engine socket; default
 * sockward), -P DIR (proc root to look for dockerd in; default /proc). */
int cmd_doctor(int argc, char **argv);

#endif
