/* identity_pool.c - interned, reference-counted identities.
 *
 * A small open hash on the display form: identities differ far less often
 * than connections do, so a chain lookup with memcmp is cheap, and the pool
 * never grows beyond the identities connected at once. */
#include "daemon/identity_pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define POOL_BUCKETS 256

struct pooled {
	struct sw_identity id;    /* first: the pointer handed out is &p->id */
	size_t refs;
	unsigned bucket;
	struct pooled *next;
};

static struct pooled *buckets[POOL_BUCKETS];
static size_t npooled;

static unsigned
bucket_of(const struct sw_identity *id)
{
	uint32_t h = 2166136261u;   /* FNV-1a over the display form */
	for (const unsigned char *p = (const unsigned char *)id->display; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % POOL_BUCKETS;
}

const struct sw_identity *
identity_intern(const struct sw_identity *id)
{
	unsigned b = bucket_of(id);
	for (struct pooled *p = buckets[b]; p; p = p->next) {
		if (memcmp(&p->id, id, sizeof *id) == 0) {
			p->refs++;
			return &p->id;
		}
	}
	struct pooled *p = malloc(sizeof *p);
	if (p == NULL)
		return NULL;
	memcpy(&p->id, id, sizeof *id);
	p->refs = 1;
	p->bucket = b;
	p->next = buckets[b];
	buckets[b] = p;
	npooled++;
	return &p->id;
}

void
identity_release(const struct sw_identity *id)
{
	if (id == NULL)
		return;
	struct pooled *p = (struct pooled *)(uintptr_t)id;
	if (--p->refs > 0)
		return;
	struct pooled **pp = &buckets[p->bucket];
	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	npooled--;
	free(p);
}

size_t
identity_pool_size(void)
{
	return npooled;
}
