/* poison.h - marking memory that is kept for reuse as unusable under
 * AddressSanitizer, so that a use after its owner let it go is still
 * reported (the arena's blocks, kept exchanges and prepared requests).
 * Without AddressSanitizer the marks cost nothing. */
#ifndef SOCKWARD_POISON_H
#define SOCKWARD_POISON_H

#if defined(__SANITIZE_ADDRESS__)
#define SW_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SW_ASAN 1
#endif
#endif

#ifdef SW_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif
