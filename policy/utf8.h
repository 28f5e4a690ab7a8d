/* utf8.h - one UTF-8 sequence, judged as jansson judges it (utf8_check_full:
 * no overlong forms, no surrogates, nothing above U+10FFFF), and one byte
 * escaped as jansson escapes it.  The body reader (jsonin.c), the serialiser
 * (jsonout.c) and the audit line (daemon/audit.c) must agree with jansson
 * and with each other on what is valid and how it is written. */
#ifndef SOCKWARD_UTF8_H
#define SOCKWARD_UTF8_H

#include <stddef.h>

/* Length (2-4) of the valid multi-byte sequence at s, of which n bytes are
 * readable; 0 when it is not one (ASCII included: callers handle it first). */
static inline size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], r;
	size_t k;

	if (c >= 0xc2 && c <= 0xdf) { k = 1; r = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { k = 2; r = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { k = 3; r = c & 0x07; }
	else return 0;
	if (k >= n)
		return 0;
	for (size_t i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		r = (r << 6) | (s[i] & 0x3f);
	}
	if ((k == 2 && (r < 0x800 || (r >= 0xd800 && r <= 0xdfff))) ||
	    (k == 3 && (r < 0x10000 || r > 0x10ffff)))
		return 0;
	return k + 1;
}

/* The JSON escape of c, a '"', a '\\' or a control byte (< 0x20), written
 * at w (6 bytes at most): the short forms jansson uses, \u00XX for the
 * rest, its hex digits from hex ("0123456789ABCDEF" as jansson writes them,
 * lower case in the audit line).  Returns the end. */
static inline char *
json_escape_byte(char *w, unsigned char c, const char hex[16])
{
	*w++ = '\\';
	switch (c) {
	case '"':  *w++ = '"'; break;
	case '\\': *w++ = '\\'; break;
	case '\b': *w++ = 'b'; break;
	case '\f': *w++ = 'f'; break;
	case '\n': *w++ = 'n'; break;
	case '\r': *w++ = 'r'; break;
	case '\t': *w++ = 't'; break;
	default:
		*w++ = 'u'; *w++ = '0'; *w++ = '0';
		*w++ = hex[c >> 4]; *w++ = hex[c & 15];
		break;
	}
	return w;
}

#endif
