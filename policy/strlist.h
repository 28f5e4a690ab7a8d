/* strlist.h - small owned lists of strings used by profiles and bindings. */
#ifndef SOCKWARD_STRLIST_H
#define SOCKWARD_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v;
	size_t n;
};

int  strlist_add(struct strlist *l, const char *s);        /* 0 ok, -1 ENOMEM */
int  strlist_copy(struct strlist *dst, const struct strlist *src);
void strlist_free(struct strlist *l);
int  strlist_has(const struct strlist *l, const char *s);  /* exact */
int  strlist_has_ci(const struct strlist *l, const char *s);
int  strlist_match(const struct strlist *l, const char *s);/* fnmatch globs */

#endif
