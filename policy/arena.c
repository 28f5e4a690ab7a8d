/* arena.c - the per-request bump arena behind jansson (policy/arena.h). */
#include "policy/arena.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "policy/poison.h"

#ifdef SW_ASAN
#include <sanitizer/lsan_interface.h>
#define ARENA_ASAN 1
#define ARENA_HDR 8      /* the allocation's size, to poison it when freed */
#define ARENA_RED 16     /* poisoned bytes after each allocation */
#else
#define ARENA_HDR 0
#define ARENA_RED 0
#endif

#define ARENA_BLOCK  ((size_t)16384)
#define ARENA_LINK   ((size_t)16)              /* the block's link to the one before */
#define ARENA_BIG    ((size_t)4096)            /* larger allocations: malloc */
#define ARENA_NBLOCK ((size_t)4096)            /* 64 MiB of address space, reserved */
#define ARENA_KEEP   256                       /* free blocks kept resident (4 MiB): 64 concurrent
                                                   creates hold ~100 while they wait on the engine, and a
                                                   block given back costs an madvise and its page faults */

static char *region;            /* NULL until the first arena_enter (or when mmap failed) */
static uintptr_t region_lo;
static size_t region_span;      /* 0 until reserved: arena_owns is false for all */
static size_t fresh;            /* blocks never handed out start here */
static uint32_t free_stack[ARENA_NBLOCK];
static size_t nfree;
static int installed;
static _Thread_local struct arena *active;

int
arena_owns(const void *p)
{
	return (uintptr_t)p - region_lo < region_span;
}

static char *
block_get(void)
{
	char *b = NULL;

	if (region == NULL)
		return NULL;
#ifdef ARENA_ASAN
	/* fresh blocks first: a released block stays poisoned as long as possible */
	if (fresh < ARENA_NBLOCK)
		b = region + ARENA_BLOCK * fresh++;
	else if (nfree > 0)
		b = region + ARENA_BLOCK * free_stack[--nfree];
#else
	if (nfree > 0)
		b = region + ARENA_BLOCK * free_stack[--nfree];
	else if (fresh < ARENA_NBLOCK)
		b = region + ARENA_BLOCK * fresh++;
#endif
	if (b != NULL) {
		UNPOISON(b, ARENA_LINK);
		POISON(b + ARENA_LINK, ARENA_BLOCK - ARENA_LINK);
	}
	return b;
}

static void
block_put(char *b)
{
#ifdef ARENA_ASAN
	/* no stale pointer for LeakSanitizer to find in a released block */
	UNPOISON(b, ARENA_BLOCK);
	memset(b, 0, ARENA_BLOCK);
#endif
	POISON(b, ARENA_BLOCK);
#ifndef ARENA_ASAN
	/* a burst of concurrent documents: give the pages back beyond a few */
	if (nfree >= ARENA_KEEP)
		(void)madvise(b, ARENA_BLOCK, MADV_DONTNEED);
#endif
	free_stack[nfree++] = (uint32_t)((size_t)(b - region) / ARENA_BLOCK);
}

size_t
arena_trim(void)
{
	size_t n = 0;
#ifndef ARENA_ASAN
	/* each free block's pages go back; the next use faults them in again */
	for (size_t i = 0; i < nfree && i < ARENA_KEEP; i++, n++)
		(void)madvise(region + ARENA_BLOCK * free_stack[i], ARENA_BLOCK, MADV_DONTNEED);
#endif
	return n;
}

static void *
arena_alloc(struct arena *a, size_t n)
{
	size_t need = (n + ARENA_HDR + ARENA_RED + 7) & ~(size_t)7;
	char *p;

	if ((size_t)(a->end - a->cur) < need) {
		char *b = block_get();
		if (b == NULL) {
			a->heap++;
			return malloc(n);   /* the range is in use: the heap */
		}
		memcpy(b, &a->blocks, sizeof a->blocks);
		a->blocks = b;
		a->cur = b + ARENA_LINK;
		a->end = b + ARENA_BLOCK;
	}
	p = a->cur + ARENA_HDR;
	a->cur += need;
#ifdef ARENA_ASAN
	UNPOISON(p - ARENA_HDR, ARENA_HDR + n);
	memcpy(p - ARENA_HDR, &n, sizeof n);
#endif
	return p;
}

static void *
sw_json_malloc(size_t n)
{
	struct arena *a = active;

	if (a == NULL)
		return malloc(n);
	if (n > ARENA_BIG || n == 0) {
		a->heap++;
		return malloc(n);
	}
	return arena_alloc(a, n);
}

static void
sw_json_free(void *p)
{
	if (!arena_owns(p)) {
		free(p);
		return;
	}
#ifdef ARENA_ASAN
	/* reads the size: a second free of the same value is reported here */
	size_t n;
	memcpy(&n, (char *)p - ARENA_HDR, sizeof n);
	POISON((char *)p - ARENA_HDR, ARENA_HDR + n);
#endif
}

struct arena *
arena_enter(struct arena *a)
{
	struct arena *prev = active;

	if (!installed) {
		void *r = mmap(NULL, ARENA_BLOCK * ARENA_NBLOCK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r != MAP_FAILED) {
			region = r;
			POISON(region, ARENA_BLOCK * ARENA_NBLOCK);
#ifdef ARENA_ASAN
			/* a heap value held by an arena one is not a leak while
			 * the arena lives: LeakSanitizer scans the range too */
			__lsan_register_root_region(region, ARENA_BLOCK * ARENA_NBLOCK);
#endif
			region_lo = (uintptr_t)r;
			region_span = ARENA_BLOCK * ARENA_NBLOCK;
		}
		/* installed even without a range: then every block_get fails
		 * and the pair is malloc/free */
		json_set_alloc_funcs(sw_json_malloc, sw_json_free);
		installed = 1;
	}
	if (region != NULL)
		active = a;
	return prev;
}

void
arena_leave(struct arena *prev)
{
	active = prev;
}

void
arena_release(struct arena *a)
{
	char *b = a->blocks, *next;

	while (b != NULL) {
		memcpy(&next, b, sizeof next);
		block_put(b);
		b = next;
	}
	a->blocks = a->cur = a->end = NULL;
	a->heap = 0;
}

size_t
arena_size(const struct arena *a)
{
	size_t n = 0;
	char *b = a->blocks;

	while (b != NULL) {
		n += ARENA_BLOCK;
		memcpy(&b, b, sizeof b);
	}
	return n;
}
