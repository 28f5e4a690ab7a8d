/* gofold.h - JSON object keys matched to Go struct fields the way
 * encoding/json does it.
 *
 * Go first looks for a field whose name is byte-equal to the key, then for
 * one that is equal under Unicode simple case folding (bytes.EqualFold;
 * Go >= 1.21 folds every rune to the smallest rune of its unicode.SimpleFold
 * orbit).  Docker's field names are ASCII, and the only non-ASCII runes
 * whose fold orbit reaches ASCII are U+212A KELVIN SIGN (k) and U+017F
 * LATIN SMALL LETTER LONG S (s), so folding against an ASCII name needs no
 * Unicode table: "Hoſtconfig" is HostConfig, "NetworKMode" is NetworkMode. */
#ifndef SOCKWARD_GOFOLD_H
#define SOCKWARD_GOFOLD_H

#include <stddef.h>

/* 1 when key (UTF-8, keylen bytes) equals the ASCII field name under
 * Go's simple folding. */
int gofold_equal(const char *key, size_t keylen, const char *field);

/* Go's strings.ToUpper(s) as far as it can reach ASCII: ASCII letters
 * upper-cased, U+0131 LATIN SMALL LETTER DOTLESS I as 'I' and U+017F LATIN
 * SMALL LETTER LONG S as 'S' (the only runes whose upper case is ASCII);
 * every other byte is copied (its rune's upper case is not ASCII, so the
 * result still equals no ASCII word).  dockerd upper-cases capability
 * names (oci/caps NormalizeLegacyCapabilities) and swarm a mount's Type and
 * Propagation this way: "ſys_admin" is SYS_ADMIN, "bınd" is BIND.  out
 * gets at most len - 1 bytes and a NUL. */
void go_toupper(const char *s, char *out, size_t len);

/* 1 when strings.ToUpper(s) equals word (ASCII upper case) */
int go_toupper_equal(const char *s, const char *word);

/* The width in bytes of the unicode.IsSpace rune at s (n bytes readable),
 * 0 if there is none: what Go's strings.TrimSpace trims. */
size_t go_space_width(const unsigned char *s, size_t n);
/* s (n bytes) without its leading Unicode white space (strings.TrimLeft
 * with unicode.IsSpace), and without it at both ends (strings.TrimSpace):
 * the new start, *n its length. */
const char *go_trim_left(const char *s, size_t *n);
const char *go_trim_space(const char *s, size_t *n);

#endif
