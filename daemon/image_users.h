/* image_users.h - the lookups POL_LOOKUP_IMAGE_USERS and
 * POL_LOOKUP_CONTAINER_USERS: an image's (or a container's) /etc/passwd and
 * /etc/group, read through the Engine API.
 *
 * An image's files are read from a transient container that is never
 * started: POST /containers/create (name sockward-passwd-<random>, label
 * io.sockward.internal=passwd, an empty io.sockward.tenant label (it is no
 * tenant's, whatever the image's labels say), networking disabled, an entrypoint that does
 * not exist, no HostConfig), GET /containers/{id}/archive?path=/etc/passwd
 * and ?path=/etc/group, then DELETE /containers/{name}?v=1&force=1 (the
 * image's VOLUMEs made anonymous volumes), always: on errors, timeouts and
 * when the request that asked goes away (the dialogue then runs on to the
 * delete without a caller).  A container's files are read from it directly.
 * Each file must be one regular file of at most USERS_FILE_MAX bytes (a
 * symlink, a directory, anything else fails the lookup); a missing file
 * (archive 404) is answered null, as runc reads no entries from it.
 *
 * Image answers (200 only) are cached per image ID (image content is
 * immutable), USERS_CACHE_MAX entries and USERS_CACHE_BYTES of file text
 * at most, least recently used evicted: counted in entries alone, 256
 * images with 256 KiB files each held 128 MiB. */
#ifndef SOCKWARD_IMAGE_USERS_H
#define SOCKWARD_IMAGE_USERS_H

#include "policy/policy.h"

#define USERS_FILE_MAX (256u << 10)
#define USERS_CACHE_MAX 256
#define USERS_CACHE_BYTES (16u << 20)

struct event_base;
struct users_req;

typedef void (*users_cb)(struct pol_lookup *lk, void *arg);

/* Start the lookup lk (one of the two kinds); cb runs once, from the loop,
 * with lk->done = 1.  NULL when it could not start. */
struct users_req *users_start(struct event_base *base, const char *sock_path,
    struct pol_lookup *lk, users_cb cb, void *arg);
/* The caller goes away: cb will not run; a transient container is still
 * deleted (its create, once sent, is waited for), and a create still
 * waiting for an engine connection (engine_opts.limited) is dropped
 * unsent.  A dialogue cancelled on the way caches nothing. */
void users_cancel(struct users_req *u);

/* Read one file out of an archive answer (a tar stream): 0 and *data, *len
 * (pointing into tar) for a single regular file, -1 and why otherwise. */
int users_tar_file(const unsigned char *tar, size_t tarlen, const unsigned char **data,
    size_t *len, char *why, size_t whylen);

/* For tests and metrics: engine requests made, answers from the cache,
 * transient containers created and deleted, entries cached. */
struct users_stats {
	unsigned long engine_calls, cache_hits, created, deleted;
	size_t entries, bytes;   /* cached: entries, and the bytes they are counted for */
};
void users_stats(struct users_stats *st);
void users_cache_clear(void);

#endif
