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

/* The ASCII upper case of the rune at p (avail bytes), or 0 when its upper
 * case is not ASCII; *len receives its encoded length (1 for a byte that
 * starts no rune sockward knows: it is copied alone). */
static unsigned char
upper_rune(const unsigned char *p, size_t avail, size_t *len)
{
	if (p[0] < 0x80) {
		*len = 1;
		return ascii_upper(p[0]);
	}
	/* U+0131: C4 B1 (dotless i) -> 'I'; U+017F: C5 BF (long s) -> 'S' */
	if (avail >= 2 && p[0] == 0xC4 && p[1] == 0xB1) {
		*len = 2;
		return 'I';
	}
	if (avail >= 2 && p[0] == 0xC5 && p[1] == 0xBF) {
		*len = 2;
		return 'S';
	}
	*len = 1;
	return 0;
}

void
go_toupper(const char *s, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0;

	if (len == 0)
		return;
	while (i < n && o + 1 < len) {
		size_t k;
		unsigned char c = upper_rune(p + i, n - i, &k);
		out[o++] = c != 0 ? (char)c : (char)p[i];
		i += k;
	}
	out[o] = '\0';
}

int
go_toupper_equal(const char *s, const char *word)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, j = 0, wl = strlen(word);

	while (i < n && j < wl) {
		size_t k;
		if (upper_rune(p + i, n - i, &k) != (unsigned char)word[j])
			return 0;
		i += k;
		j++;
	}
	return i == n && j == wl;
}

/* the width of a Unicode white space rune (unicode.IsSpace) at s, 0 if none */
size_t
go_space_width(const unsigned char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n >= 3) {
		if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
			return 3;   /* U+1680 */
		if (s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8a) ||
		    s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
			return 3;   /* U+2000-200A, 2028, 2029, 202F */
		if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
			return 3;   /* U+205F */
		if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
			return 3;   /* U+3000 */
	}
	return 0;
}

const char *
go_trim_left(const char *s, size_t *n)
{
	size_t w;

	while (*n > 0 && (w = go_space_width((const unsigned char *)s, *n)) > 0) {
		s += w;
		*n -= w;
	}
	return s;
}

/* both ends: a space rune is never the tail of another rune */
const char *
go_trim_space(const char *s, size_t *n)
{
	s = go_trim_left(s, n);
	for (;;) {
		size_t k = 0;
		for (size_t back = 1; back <= 3 && back <= *n && k == 0; back++)
			if (go_space_width((const unsigned char *)s + *n - back, back) == back)
				k = back;
		if (k == 0)
			return s;
		*n -= k;
	}
}
