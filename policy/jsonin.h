/* jsonin.h - the body parser: one pass over the request body building the
 * jansson document, accepting exactly what json_loadb(JSON_REJECT_DUPLICATES
 * | JSON_ALLOW_NUL | JSON_DECODE_ANY) accepts and building the same document
 * (same values, keys in the same order), without jansson's per-character
 * stream callbacks and token buffer.  tests/unit/test_policy_prepared.c
 * holds it to json_loadb on a corpus and on mutated bodies.
 *
 * Strict RFC 8259 like jansson: no comments, no trailing commas, no leading
 * zeros, no NaN/Infinity, UTF-8 only (no overlong forms, no surrogates),
 * no raw control characters in strings, \u escapes with surrogate pairs
 * only, an object key never holding U+0000, an integer out of int64 or a
 * real out of double range refused, a repeated key refused, nothing but
 * white space after the value, at most 2048 levels (values nested, a scalar counting as one).  One difference, on
 * the strict side: a NUL byte right after a number, which jansson's stream
 * drops ("[1\0]" is [1] to json_loadb), is refused like any byte that is
 * not JSON. */
#ifndef SOCKWARD_JSONIN_H
#define SOCKWARD_JSONIN_H

#include <stddef.h>
#include <jansson.h>

/* The document (new reference), or NULL with *pos the byte offset of the
 * error and err its reason. */
json_t *jsonin_parse(const char *buf, size_t len, size_t *pos, char *err, size_t errlen);

/* The same for what json_loadb(buf, len, flags) accepts, where flags holds
 * any of JSON_REJECT_DUPLICATES (else the last of a repeated key wins, in
 * the first one's place), JSON_ALLOW_NUL (else a string holding U+0000 is
 * refused) and JSON_DECODE_ANY (else the value must be an object or an
 * array); other flags are not read.  jsonin_parse is
 * jsonin_parse_flags(REJECT_DUPLICATES | ALLOW_NUL | DECODE_ANY). */
json_t *jsonin_parse_flags(const char *buf, size_t len, size_t flags, size_t *pos, char *err,
    size_t errlen);

/* jsonin_parse, and where the value's own bytes already are its canonical
 * serialisation: when *canon_len > 0, jsonout_compact(document) is exactly
 * buf[*canon_off .. *canon_off + *canon_len) (the value without the white
 * space around it).  That is so when the value has no white space between
 * its tokens, no escape in any string (jansson escapes by its own rules:
 * "\/" is written "/", "\u00e9" as the UTF-8 bytes, a raw "<" stays), no
 * real (written in jansson's own form) and no -0 (written 0); strings
 * without escapes are copied as they are (valid UTF-8, no control byte),
 * integers in their shortest form, objects keep their keys' order.
 * Otherwise (or on an error) *canon_len is 0.  The docker CLI's bodies are
 * canonical but for the newline after them. */
json_t *jsonin_parse_canonical(const char *buf, size_t len, size_t *pos, char *err,
    size_t errlen, size_t *canon_off, size_t *canon_len);

/* jsonin_parse_canonical, reading the value as the Go type jt->type as it
 * goes (the issue-10 single pass): each struct key matched to its field,
 * each value held to its field's type.  jt->typed = 1 when the bytes are
 * canonical and the decoder (godecode_inplace_index) would give the
 * document back unchanged but for the struct's finish: every key spelled
 * exactly as its field, no unknown key, every value of its field's type, no
 * element beyond a [2]'s two, no key in a struct{}.  Then godecode_typed
 * (gotypes.h) gives the decoder's answer with jt->tables, and jt->ix (or
 * NULL) was filled as the decoder fills it.  Otherwise the document is what
 * jsonin_parse_canonical gives, for the decoder.  Typing never changes
 * what is accepted or the document built. */
struct gotype;
struct godec_index;
struct jsonin_typed {
	const struct gotype *type;      /* in */
	struct godec_index *ix;         /* in, or NULL */
	int typed;                      /* out */
	unsigned tables;                /* out */
};
json_t *jsonin_parse_typed(const char *buf, size_t len, struct jsonin_typed *jt, size_t *pos,
    char *err, size_t errlen, size_t *canon_off, size_t *canon_len);

#endif
