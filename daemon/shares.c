/* shares.c - the principals' shares of the memory budgets (shares.h). */
#include "daemon/shares.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "policy/identity.h"

#define SHARE_BUCKETS 64

static struct share *buckets[SHARE_BUCKETS];
static size_t nshares;

/* A certificate without a CN is its subject alternative names: all such
 * certificates were one principal ("cn="), so one client could take the
 * share every other one needs.  Their SHA-256 (each name with its NUL),
 * which fits the key whatever their number and length; a certificate with
 * neither a CN nor a SAN still shares with its like. */
static void
san_principal(const struct sw_identity *id, char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < id->nsans; i++)
		ok = EVP_DigestUpdate(ctx, id->sans[i], strlen(id->sans[i]) + 1) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok || id->nsans == 0) {
		snprintf(out, len, "cn=");
		return;
	}
	size_t o = (size_t)snprintf(out, len, "sans=");
	for (unsigned i = 0; i < mdlen && o + 3 <= len; i++)
		o += (size_t)snprintf(out + o, len - o, "%02x", md[i]);
}

/* Who a share belongs to: not the display form, which names the process
 * (pid) of a unix client and the port of an insecure one. */
static void
principal(const struct sw_identity *id, char *out, size_t len)
{
	const char *colon;
	switch (id->kind) {
	case SW_ID_CERT:
		if (id->cn[0] != '\0')
			snprintf(out, len, "cn=%s", id->cn);
		else
			san_principal(id, out, len);
		break;
	case SW_ID_UNIX:
		snprintf(out, len, "uid=%ld", id->uid);
		break;
	case SW_ID_INSECURE:
		colon = strrchr(id->peer, ':');
		snprintf(out, len, "peer=%.*s", colon ? (int)(colon - id->peer) : (int)strlen(id->peer),
		    id->peer);
		break;
	default:
		snprintf(out, len, "none");
		break;
	}
}

static unsigned
bucket(const char *key)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % SHARE_BUCKETS;
}

struct share *
share_get(const struct sw_identity *id)
{
	char key[300];
	if (id == NULL)
		return NULL;
	principal(id, key, sizeof key);
	unsigned b = bucket(key);
	for (struct share *s = buckets[b]; s != NULL; s = s->next)
		if (strcmp(s->key, key) == 0)
			return share_ref(s);
	struct share *s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	s->lookup.cap = ENGINE_IDENTITY_BUDGET;
	snprintf(s->key, sizeof s->key, "%s", key);
	s->refs = 1;
	s->next = buckets[b];
	buckets[b] = s;
	nshares++;
	return s;
}

struct share *
share_ref(struct share *s)
{
	if (s != NULL)
		s->refs++;
	return s;
}

void
share_put(struct share *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	struct share **pp = &buckets[bucket(s->key)];
	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	nshares--;
	free(s);
}

size_t
share_count(void)
{
	return nshares;
}
