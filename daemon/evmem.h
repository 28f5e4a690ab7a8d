/* evmem.h - libevent's allocations, with the blocks of its buffers kept
 * (evmem.c says why). */
#ifndef SOCKWARD_EVMEM_H
#define SOCKWARD_EVMEM_H

#include <stdint.h>
#include <stddef.h>

/* Route libevent's malloc/realloc/free through the cache; once per process
 * (later calls do nothing).  Safe after libevent has allocated: the cache's
 * free takes any malloc block. */
void evmem_install(void);
/* Give every kept block back to malloc. */
void evmem_trim(void);

struct evmem_stats {
	uint64_t kept;     /* blocks libevent freed that were kept */
	uint64_t reused;   /* requests served from kept blocks */
	size_t held;       /* blocks kept now */
};
struct evmem_stats evmem_stats(void);

#endif
