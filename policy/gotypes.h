/* gotypes.h - Go types of the Docker API, and a decoder that reads a JSON
 * document exactly as encoding/json would read it into those types.
 *
 * The decoder is also the canonicaliser: it returns a new document with
 * every struct key spelled as the Go field name, unknown keys dropped (Go
 * ignores them), and every value checked against its Go type (Go would
 * return 400 for a mismatch, so do we).  The policy judges that document
 * and the daemon forwards exactly it. */
#ifndef SOCKWARD_GOTYPES_H
#define SOCKWARD_GOTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>

enum gokind {
	GO_BOOL,
	GO_STRING,
	GO_INT64,      /* int, int64 */
	GO_UINT16,
	GO_UINT32,
	GO_UINT64,     /* values above INT64_MAX are refused (fail closed) */
	GO_FLOAT,      /* float32, float64: any JSON number */
	GO_STRSLICE,   /* strslice.StrSlice: a string or an array of strings */
	GO_SLICE,      /* []elem */
	GO_ARRAY2,     /* [2]elem, extra elements ignored like Go */
	GO_MAP,        /* map[string]elem: keys are NOT folded */
	GO_STRUCT,     /* keys folded */
	GO_EMPTY,      /* struct{}: any object, forwarded as {} */
	GO_OPAQUE,     /* not modelled: any value forwarded as sent */
};

struct gostruct;

struct gotype {
	enum gokind kind;
	const struct gotype *elem;       /* SLICE, ARRAY2, MAP */
	const struct gostruct *st;       /* STRUCT */
};

/* Every field says how the policy treats what dockerd reads from it
 * (tests/unit/test_policy_units.c walks every table and fails on a field
 * without a note, or naming a rule id that does not exist):
 *   JUDGED("id,id")     the rules that judge it
 *   HARMLESS("why")     no rule, and why none is needed
 *   FIELDS              a struct (or list/map of one): its own fields say */
struct gofield {
	const char *name;
	const struct gotype *type;
	const char *judged;
};
#define JUDGED(ids)   "rule:" ids
#define HARMLESS(why) "harmless: " why
#define FIELDS        "fields"

#define GOSTRUCT_MAX_PROMOTED 3

struct gostruct {
	const char *name;
	const struct gofield *fields;    /* NULL-name terminated */
	/* embedded structs' fields, or NULL; Go matches a key against all of
	 * them (exact first, then folded) */
	const struct gofield *promoted[GOSTRUCT_MAX_PROMOTED];
	/* applied to the decoded object, or NULL: turns a wrapper into the
	 * document dockerd applies (docker_types.c: the create body); sets
	 * *changed when it changes the object in any way.  tables: a bit per
	 * table that holds a field of a key the object has (bit 0 fields, bit
	 * 1 + i promoted[i]): after decoding, every key of obj is the name of
	 * a field of one of those tables */
	json_t *(*finish)(json_t *obj, unsigned tables, int *changed, char *err, size_t errlen);
};

#define GODEC_ERRLEN 256

/* Decode `in` as type t.  Returns the canonical document (new reference)
 * or NULL with a reason in err ("HostConfig.Privileged: want bool, got
 * integer").  A string holding U+0000 anywhere (value, map key, or inside an
 * opaque value) is refused: dockerd reads Go strings whole, the checks read
 * C strings, and no field dockerd reads needs a NUL. */
json_t *godecode(const struct gotype *t, const json_t *in, char *err, size_t errlen);

/* The same, canonicalising `in` in place where it can (no second tree):
 * `in` must be the caller's own, unshared document, fresh from the parser;
 * it may be changed whatever the outcome, and the caller still releases
 * its reference.  The result may be `in` itself (a new reference). */
json_t *godecode_inplace(const struct gotype *t, json_t *in, char *err, size_t errlen);

/* godecode_inplace, and *same = 1 when the result is `in` itself with
 * nothing in it changed (no key dropped or renamed, no value replaced, no
 * element removed): the document then serialises as the parser's did, and
 * a body whose bytes were canonical (jsonin_parse_canonical) is forwarded
 * as it came.  0 otherwise. */
json_t *godecode_inplace_same(const struct gotype *t, json_t *in, int *same, char *err,
    size_t errlen);

/* An index of one struct object of the decoded document, filled by the
 * decoder as it goes (no second pass): the first object decoded as `st`
 * (a struct without finish), when every key of it is a field of st's
 * fields or first promoted table at an index below GODEC_INDEX_FIELDS.
 * obj is that object, or NULL when there is none, or when a finish above
 * it changed anything (it may have set keys in it).  The checks read the
 * create's HostConfig ~50 times: godec_index_get costs a probe of a small
 * table instead of jansson's hash (hashlittle and a bucket walk). */
#define GODEC_INDEX_FIELDS 64
struct godec_index {
	const struct gostruct *st;       /* set by the caller */
	const json_t *obj;               /* set by the decoder */
	uint64_t seen[2];                /* a bit per field present (table 0, table 1) */
	json_t *vals[2][GODEC_INDEX_FIELDS];
};

/* json_object_get(ix->obj, key) (ix->obj != NULL): a key that names no
 * field of st's two tables is in no decoded st object. */
json_t *godec_index_get(const struct godec_index *ix, const char *key, size_t len);

/* The same with the key's godec_name_hash, which the compiler works out
 * for a literal key when the call is inlined (checks.h: jget). */
#define GODEC_NAME_SLOTS 256   /* power of 2, > 2 * GODEC_INDEX_FIELDS */
static inline size_t
godec_name_hash(const char *key, size_t len)
{
	if (len == 0)
		return 0;
	return (len * 37 + (unsigned char)key[0] * 5 + (unsigned char)key[len / 2] * 3 +
	    (unsigned char)key[len - 1]) & (GODEC_NAME_SLOTS - 1);
}
json_t *godec_index_probe(const struct godec_index *ix, const char *key, size_t len, size_t h);

/* godecode_inplace_same with flags: GODEC_NUL_FREE when the caller knows
 * that no string and no key of `in` holds U+0000 (jsonin_parse_canonical
 * said its bytes are canonical: no escape anywhere, and a NUL can only come
 * from a \u0000 escape); the decoder then skips its NUL checks, which
 * cannot fire.  Any other bit is ignored. */
#define GODEC_NUL_FREE 1u
json_t *godecode_inplace_flags(const struct gotype *t, json_t *in, unsigned flags, int *same,
    char *err, size_t errlen);
/* the same, filling ix (ix->st set by the caller; NULL: no index) */
json_t *godecode_inplace_index(const struct gotype *t, json_t *in, unsigned flags, int *same,
    struct godec_index *ix, char *err, size_t errlen);

/* Matching one struct object's keys to its fields, key by key (the decoder,
 * and the parser reading a body as its type in one pass: jsonin.h,
 * jsonin_parse_typed): which fields are set, which tables hold them. */
#define GOMATCH_SEEN_WORDS 4   /* fields per table: at most 256 */

/* A struct's field names (its fields and its promoted tables') in a small
 * open-addressed table, made when a struct of those tables is first matched
 * (gotypes.c; known by its tables, which are static, not by the struct):
 * an exact key costs one probe and one memcmp, in whatever order keys come */
struct xname { const char *name; uint16_t len; uint8_t tab, at; };
struct xtab {
	const struct gofield *tabs[1 + GOSTRUCT_MAX_PROMOTED];
	struct xname *slot;
	size_t mask;
};

struct gomatch {
	const struct gostruct *st;
	const struct xtab *x;   /* its names' table, or NULL (no room): lens, hints */
	const unsigned char *lens[1 + GOSTRUCT_MAX_PROMOTED];
	size_t hints[1 + GOSTRUCT_MAX_PROMOTED];
	uint64_t seen[1 + GOSTRUCT_MAX_PROMOTED][GOMATCH_SEEN_WORDS];
	size_t nseen;
	unsigned tables;   /* a bit per table holding a set field (bit 0 fields, 1 + i promoted[i]) */
};
enum gomark { GOMARK_OK, GOMARK_AGAIN, GOMARK_TOO_MANY_KEYS, GOMARK_TOO_MANY_FIELDS };

void gomatch_start(struct gomatch *m, const struct gostruct *st);

static inline const struct gofield *
gostruct_table(const struct gostruct *st, size_t tab)
{
	return tab == 0 ? st->fields : st->promoted[tab - 1];
}

static inline size_t
gomatch_hash(const char *key, size_t len)
{
	if (len == 0)
		return 0;
	return len * 37 + (unsigned char)key[0] * 5 + (unsigned char)key[len / 2] * 3 +
	    (unsigned char)key[len - 1];
}

/* The slot of the name spelled exactly key, or NULL */
static inline const struct xname *
gomatch_probe(const struct xtab *x, const char *key, size_t keylen)
{
	for (size_t h = gomatch_hash(key, keylen) & x->mask;; h = (h + 1) & x->mask) {
		const struct xname *s = &x->slot[h];
		if (s->name == NULL)
			return NULL;
		if (s->len == keylen && memcmp(s->name, key, keylen) == 0)
			return s;
	}
}

/* Marks field `at` of table tab as set by a key of the object */
static inline enum gomark
gomatch_mark_at(struct gomatch *m, size_t tab, size_t at)
{
	uint64_t bit = (uint64_t)1 << (at % 64);

	if (at >= GOMATCH_SEEN_WORDS * 64)
		return GOMARK_TOO_MANY_FIELDS;   /* a table longer than that */
	if (m->seen[tab][at / 64] & bit)
		return GOMARK_AGAIN;
	if (m->nseen >= 128)
		return GOMARK_TOO_MANY_KEYS;
	m->seen[tab][at / 64] |= bit;
	m->nseen++;
	m->tables |= 1u << tab;
	return GOMARK_OK;
}

const struct gofield *gomatch_exact_slow(struct gomatch *m, const char *key, size_t keylen,
    size_t *tab, size_t *at);

/* The field spelled exactly key, now marked set (*tab its table, *at its
 * place in it); NULL when the decoder would not keep the key as it is: it
 * names no field exactly (unknown: dropped; folded: renamed), or a field
 * already set, or the object has too many keys. */
static inline const struct gofield *
gomatch_exact(struct gomatch *m, const char *key, size_t keylen, size_t *tab, size_t *at)
{
	if (m->x == NULL)
		return gomatch_exact_slow(m, key, keylen, tab, at);
	const struct xname *s = gomatch_probe(m->x, key, keylen);
	if (s == NULL || gomatch_mark_at(m, s->tab, s->at) != GOMARK_OK)
		return NULL;
	*tab = s->tab;
	*at = s->at;
	return &gostruct_table(m->st, s->tab)[s->at];
}

/* What godecode_inplace_index gives for a document jsonin_parse_typed read
 * as t in one pass and found typed (jsonin.h): the document itself, its
 * struct's finish applied (tables: which tables the top-level keys' fields
 * are in), *same as godecode_inplace_index sets it.  ix was filled by the
 * parser; it is withdrawn when the finish changes the document.  NULL with
 * err as the decoder words it when the finish refuses. */
json_t *godecode_typed(const struct gotype *t, json_t *in, unsigned tables,
    struct godec_index *ix, int *same, char *err, size_t errlen);

/* Types defined in docker_types.c */
extern const struct gotype go_create_request;   /* POST /containers/create */
extern const struct gotype go_update_config;    /* POST /containers/{id}/update */
extern const struct gotype go_exec_config;      /* POST /containers/{id}/exec */
extern const struct gotype go_network_disconnect; /* POST /networks/{id}/disconnect */
extern const struct gotype go_volume_create;    /* POST /volumes/create */
extern const struct gotype go_network_create;   /* POST /networks/create */
extern const struct gotype go_network_connect;  /* POST /networks/{id}/connect */
extern const struct gotype go_seccomp_profile;  /* a seccomp profile (security-opt seccomp=JSON) */
extern const struct gotype go_start_body;       /* POST /containers/{id}/start (old API) */
extern const struct gotype go_any;              /* any JSON value (opaque) */
extern const struct gostruct *const go_hostconfig_struct;  /* container.HostConfig */

/* Scalars and small compounds shared by the type tables (docker_types.c,
 * swarm_types.c). */
extern const struct gotype go_bool, go_str, go_i64, go_u32, go_u64, go_empty;
extern const struct gotype go_strs;     /* []string */
extern const struct gotype go_map_str;  /* map[string]string */

/* How the tables spell Go types. */
#define GT_SCALAR(k)    { (k), NULL, NULL }
#define GT_SLICE(e)     { GO_SLICE, (e), NULL }
#define GT_MAP(e)       { GO_MAP, (e), NULL }
#define GT_STRUCT(s)    { GO_STRUCT, NULL, (s) }
#define GT_END          { NULL, NULL, NULL }
/* shared with swarm_types.c */
extern const struct gotype go_mount_slice;      /* []mount.Mount */
extern const struct gotype go_ulimit_slice;     /* []*container.Ulimit */
extern const struct gotype go_health_config;    /* container.HealthConfig */

/* Every exported request type (NULL-terminated), for the note check */
extern const struct gotype *const go_all_types[];

/* Types defined in swarm_types.c */
extern const struct gotype go_service_spec;     /* POST /services/create, /services/{id}/update */
extern const struct gotype go_secret_spec;      /* POST /secrets/create, /secrets/{id}/update */
extern const struct gotype go_config_spec;      /* POST /configs/create, /configs/{id}/update */

#endif
