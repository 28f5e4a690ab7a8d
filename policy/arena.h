/* arena.h - a per-request bump arena for the jansson document of a body.
 *
 * jansson's allocator is process-wide (json_set_alloc_funcs); arena_enter()
 * installs sockward's pair once.  Outside an arena scope they are plain
 * malloc/free, so every other jansson user (configuration, lookup answers,
 * audit, json_dumps text released with free()) is unaffected.  Inside a
 * scope (arena_enter .. arena_leave, around the body's parse and Go-type
 * decode only) allocations are carved from the scope's arena: 16 KiB blocks
 * taken from one reserved address range, so the free function tells arena
 * memory from heap memory by its address alone, never by reading a header.
 * free() of arena memory is a no-op; the arena's blocks go back at
 * arena_release() (the pol_prepared owning the document is freed).  A tree
 * may mix arena and heap values (a lookup answer linked in, a value set
 * after the scope): json_delete frees each piece the way it was allocated.
 *
 * The arena must outlive every arena value: the owner drops its document
 * (json_decref) before arena_release.
 *
 * Allocations larger than ARENA_BIG, and all of them once the reserved
 * range (ARENA_REGION) is in use, come from malloc.  Under AddressSanitizer
 * the arena is the same code with the free space, the red zones between
 * allocations, freed values and released blocks poisoned, so an overflow or
 * a use after release is still reported. */
#ifndef SOCKWARD_ARENA_H
#define SOCKWARD_ARENA_H

#include <stddef.h>

struct arena {
	char *cur, *end;   /* the free part of the newest block */
	char *blocks;      /* newest block; each links to the one before */
	size_t heap;       /* allocations made from malloc while a was active
	                      (larger than ARENA_BIG, or no block left) */
};

/* Make a the allocator for jansson until arena_leave; returns the arena
 * that was active (NULL: none), to give to arena_leave. */
struct arena *arena_enter(struct arena *a);
void arena_leave(struct arena *prev);

/* Give a's blocks back (a is left empty, ready to be used again).  A tree
 * built in a scope of a with a->heap == 0 holds arena memory only, unless
 * heap values were linked into it after the scope: its owner may then drop
 * it with its blocks, without walking it (json_decref). */
void arena_release(struct arena *a);

/* Whether p lies in arena memory (tests). */
int arena_owns(const void *p);
/* Give the pages of the free blocks kept resident back to the system (the
 * daemon calls it when it trims after a burst); returns how many blocks. */
size_t arena_trim(void);

/* Bytes of blocks a holds (tests, bench). */
size_t arena_size(const struct arena *a);

#endif
