/* jsonpos.h - where each key of a JSON document is, for error messages.
 *
 * jansson reports line and column only for syntax errors; once a document
 * has parsed, a message about a bad value can only name the key path.  This
 * scanner walks the raw text once and records, for every key path, the line
 * and column of the key and of its value, so the loader can say
 *
 *     sockward.json:12:7: listeners[1].mode: not an octal mode string
 *
 * Path syntax (the one config.c builds): object members are joined with '.',
 * the top level has no leading dot, array elements are "[i]" (0-based):
 *     ""                      the whole document
 *     "limits.max_body_bytes"
 *     "listeners[1].mode"
 *     "policy.profiles.ci.rules[0]"
 * Keys are used verbatim, after JSON unescaping (as jansson sees them); a key
 * that itself contains '.' or '[' is not escaped.
 *
 * Lines and columns are 1-based; columns count characters (UTF-8 code
 * points), like jansson's syntax errors.  A key's position is that of its
 * opening quote; a value's is its first character.  With duplicate keys the
 * last one wins, as in jansson.  On a syntax error the scan stops and keeps
 * what it found before it (jansson reports the error itself).
 */
#ifndef SOCKWARD_JSONPOS_H
#define SOCKWARD_JSONPOS_H

#include <stddef.h>

struct jsonpos;

/* Scan text (need not be NUL-terminated).  Returns NULL only when out of
 * memory. */
struct jsonpos *jsonpos_scan(const char *text, size_t len);

/* Position of the key at path (of the value for array elements and ""):
 * 0 and line, col set when found; -1 and both set to 0 when not. */
int jsonpos_lookup(const struct jsonpos *jp, const char *path, int *line, int *col);

/* Position of the value at path; same convention. */
int jsonpos_lookup_value(const struct jsonpos *jp, const char *path, int *line, int *col);

/* Like jsonpos_lookup, but when path is not in the document (a required key
 * that is missing) falls back to its nearest ancestor that is, so a message
 * still points at the right object.  Returns 0 for an exact match, 1 for an
 * ancestor, -1 when nothing matched (line/col 0).  jp may be NULL. */
int jsonpos_locate(const struct jsonpos *jp, const char *path, int *line, int *col);

/* Number of paths recorded (tests). */
size_t jsonpos_count(const struct jsonpos *jp);

void jsonpos_free(struct jsonpos *jp);

#endif
