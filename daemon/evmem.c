/* evmem.c - libevent's allocations, with the blocks of its buffers kept.
 *
 * Every read reserves an evbuffer chain (libevent rounds a chain up to a
 * power of two of at least 1 KiB: a 4 KiB read is an 8 KiB block) and every
 * drain to empty frees it, so each request paid about three malloc/free
 * pairs of several KB, which glibc's per-thread cache does not hold (it
 * stops at 1 KB): ~1.5k of a GET /_ping's ~22k instructions.  Blocks of
 * 1-16 KiB that libevent frees are kept, a few per size class, and handed
 * back to the next request of that size; anything else goes to malloc and
 * free untouched.  Kept blocks are poisoned under AddressSanitizer, so a
 * use after libevent let one go is still reported, and evmem_trim() gives
 * them back when the server trims its memory. */
#include "daemon/evmem.h"

#include <malloc.h>
#include <stdlib.h>

#include <event2/event.h>

#include "policy/poison.h"

#define MIN_SHIFT 10   /* 1 KiB: libevent's smallest chain */
#define MAX_SHIFT 14   /* 16 KiB */
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1)
#define KEEP 32        /* per class: 32 x (1+2+4+8+16) KiB = 992 KiB at most */

/* single-threaded: libevent is used from the event loop only */
static void *kept[NCLASS][KEEP];
static size_t nkept[NCLASS];
static struct evmem_stats stats;

/* The class a request is served from: chain sizes only (exact powers of
 * two in range); -1 for anything else. */
static int
request_class(size_t n)
{
	if (n < ((size_t)1 << MIN_SHIFT) || n > ((size_t)1 << MAX_SHIFT) || (n & (n - 1)) != 0)
		return -1;
	return __builtin_ctzl(n) - MIN_SHIFT;
}

/* The largest class a block of this usable size can serve; -1 when it is
 * not kept (too small, or bigger than the largest class by more than
 * malloc's rounding: a big block is not held for small requests). */
static int
block_class(size_t usable)
{
	if (usable < ((size_t)1 << MIN_SHIFT) || usable > ((size_t)1 << MAX_SHIFT) + 64)
		return -1;
	int c = (63 - __builtin_clzl(usable)) - MIN_SHIFT;
	return c < NCLASS ? c : NCLASS - 1;
}

static void *
evmem_malloc(size_t n)
{
	int c = request_class(n);
	if (c >= 0 && nkept[c] > 0) {
		void *p = kept[c][--nkept[c]];
		UNPOISON(p, n);
		stats.reused++;
		return p;
	}
	return malloc(n);
}

static void *
evmem_realloc(void *p, size_t n)
{
	return realloc(p, n);   /* a block in use is an ordinary malloc block */
}

static void
evmem_free(void *p)
{
	if (p == NULL)
		return;
	size_t usable = malloc_usable_size(p);
	int c = block_class(usable);
	if (c >= 0 && nkept[c] < KEEP) {
		POISON(p, usable);
		kept[c][nkept[c]++] = p;
		stats.kept++;
		return;
	}
	free(p);
}

void
evmem_install(void)
{
	static int installed;
	if (installed)
		return;
	installed = 1;
	/* libevent frees with these what it allocated before too: evmem_free
	 * takes any malloc block */
	event_set_mem_functions(evmem_malloc, evmem_realloc, evmem_free);
}

void
evmem_trim(void)
{
	for (int c = 0; c < NCLASS; c++) {
		while (nkept[c] > 0) {
			void *p = kept[c][--nkept[c]];
			UNPOISON(p, malloc_usable_size(p));
			free(p);
		}
	}
}

struct evmem_stats
evmem_stats(void)
{
	struct evmem_stats s = stats;
	s.held = 0;
	for (int c = 0; c < NCLASS; c++)
		s.held += nkept[c];
	return s;
}
