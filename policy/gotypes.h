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

struct gofield {
	const char *name;
	const struct gotype *type;
};

struct gostruct {
	const char *name;
	const struct gofield *fields;    /* NULL-name terminated */
	const struct gofield *promoted;  /* embedded struct's fields, or NULL */
	/* keys folding to a field of this struct are refused: Docker's old
	 * wrapper read HostConfig fields at the top level of a create body */
	const struct gostruct *refused;
};

#define GODEC_ERRLEN 256

/* Decode `in` as type t.  Returns the canonical document (new reference)
 * or NULL with a reason in err ("HostConfig.Privileged: want bool, got
 * integer"). */
json_t *godecode(const struct gotype *t, const json_t *in, char *err, size_t errlen);

/* Types defined in docker_types.c */
extern const struct gotype go_create_request;   /* POST /containers/create */
extern const struct gotype go_update_config;    /* POST /containers/{id}/update */
extern const struct gotype go_exec_config;      /* POST /containers/{id}/exec */
extern const struct gotype go_volume_create;    /* POST /volumes/create */
extern const struct gotype go_start_body;       /* POST /containers/{id}/start (old API) */
extern const struct gotype go_any;              /* any JSON value (opaque) */

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
#define GT_END          { NULL, NULL }
/* shared with swarm_types.c */
extern const struct gotype go_mount_slice;      /* []mount.Mount */
extern const struct gotype go_ulimit_slice;     /* []*container.Ulimit */
extern const struct gotype go_health_config;    /* container.HealthConfig */

/* Types defined in swarm_types.c */
extern const struct gotype go_service_spec;     /* POST /services/create, /services/{id}/update */

#endif
