/* strlist.c - owned string lists. */
#include "policy/strlist.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
strlist_add(struct strlist *l, const char *s)
{
	char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (nv == NULL)
		return -1;
	l->v = nv;
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

int
strlist_copy(struct strlist *dst, const struct strlist *src)
{
	struct strlist tmp = { 0 };
	for (size_t i = 0; i < src->n; i++)
		if (strlist_add(&tmp, src->v[i]) < 0) {
			strlist_free(&tmp);
			return -1;
		}
	strlist_free(dst);
	*dst = tmp;
	return 0;
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

int
strlist_has_ci(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* fnmatch(pat, s, 0) == 0.  A pattern's literal head (up to its first
 * '*', '?', '[' or '\\') must be the string's own head, byte for byte: a
 * mismatch there is no match, a pattern without any of them is the whole
 * string; fnmatch is asked only from the first of them on, with the whole
 * pattern (C locale: bytes match themselves). */
static int
pattern_match(const char *pat, const char *s)
{
	for (size_t i = 0;; i++) {
		unsigned char p = (unsigned char)pat[i];
		if (p == '*' || p == '?' || p == '[' || p == '\\')
			return fnmatch(pat, s, 0) == 0;
		if (p != (unsigned char)s[i])
			return 0;
		if (p == '\0')
			return 1;
	}
}

int
strlist_match(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (pattern_match(l->v[i], s))
			return 1;
	return 0;
}
