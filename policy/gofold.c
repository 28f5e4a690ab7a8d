/* gofold.c - Go encoding/json key folding against ASCII field names. */
#include "policy/gofold.h"

#include <string.h>

static unsigned char
ascii_upper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

/* Fold one rune starting at p into its ASCII representative, or 0 when the
 * rune can never fold to ASCII.  *len receives the encoded length. */
static unsigned char
fold_rune(const unsigned char *p, size_t avail, size_t *len)
{
	if (p[0] < 0x80) {
		*len = 1;
		return ascii_upper(p[0]);
	}
	/* U+017F: C5 BF (long s) -> 'S' */
	if (avail >= 2 && p[0] == 0xC5 && p[1] == 0xBF) {
		*len = 2;
		return 'S';
	}
	/* U+212A: E2 84 AA (Kelvin sign) -> 'K' */
	if (avail >= 3 && p[0] == 0xE2 && p[1] == 0x84 && p[2] == 0xAA) {
		*len = 3;
		return 'K';
	}
	*len = 1;
	return 0;
}

int
gofold_equal(const char *key, size_t keylen, const char *field)
{
	const unsigned char *k = (const unsigned char *)key;
	size_t i = 0, j = 0, flen = strlen(field);

	while (i < keylen && j < flen) {
		size_t n;
		unsigned char c = fold_rune(k + i, keylen - i, &n);
		if (c == 0 || c != ascii_upper((unsigned char)field[j]))
			return 0;
		i += n;
		j++;
	}
	return i == keylen && j == flen;
}
