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

#endif
