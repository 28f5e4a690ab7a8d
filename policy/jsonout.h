/* jsonout.h - the canonical document's serialisation: byte for byte what
 * json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY) gives (keys in the
 * object's order, strings escaped like jansson: \" \\ \b \f \n \r \t and
 * \u00XX for other control characters, everything else as UTF-8), written
 * in one pass into one growing buffer instead of jansson's per-character
 * callbacks.  What the daemon forwards. */
#ifndef SOCKWARD_JSONOUT_H
#define SOCKWARD_JSONOUT_H

#include <stddef.h>
#include <jansson.h>

/* A NUL-terminated malloc'd text and its length in *len, or NULL (out of
 * memory, nested too deeply, or a string that is not valid UTF-8, which
 * json_dumps refuses too).  size_hint: the expected length (the raw body's). */
char *jsonout_compact(const json_t *v, size_t size_hint, size_t *len);

#endif
