/* config.c - table-driven loading of the JSON configuration file.
 *
 * Every key is declared once in a table with its type, default, bounds and
 * whether a live reload may change it.  The loader walks the document and
 * the tables together: unknown keys, wrong types and bad values are all
 * collected (not just the first) so --check-config can print every problem. */
#include "daemon/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "daemon/jsonpos.h"
#include "policy/policy.h"

enum key_type {
	K_DESC,       /* free-form "description", ignored */
	K_STR,
	K_INT,
	K_BOOL,
	K_MODE,       /* octal permission string "0660" */
	K_ENUM,       /* string from enumv, stored as its index */
	K_OBJ,        /* nested object, keys in sub, same target struct */
	K_LISTENERS,  /* array of listener objects */
	K_POLICY,     /* handed to policy_load() */
};

struct conf_key;
struct conf_table {
	const struct conf_key *keys;
	size_t n;
};

struct conf_key {
	const char *name;
	enum key_type type;
	size_t off;
	const char *def;               /* default, as JSON-ish text; NULL: none */
	int reload;                    /* 1: a SIGHUP reload applies it live */
	long min, max;                 /* K_INT bounds */
	const char *const *enumv;      /* K_ENUM values, NULL-terminated */
	const struct conf_table *sub;  /* K_OBJ */
	const char *doc;
};

#define OFF(f) offsetof(struct sw_config, f)
#define LOFF(f) offsetof(struct listener_conf, f)
#define TABLE(t) { t, sizeof t / sizeof t[0] }

static const char *const listener_types[] = { "tls", "unix", "tcp", NULL };
static const char *const audit_failures[] = { "fail-closed", "continue", NULL };
static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };

static const struct conf_key listener_keys[] = {
	{ "description", K_DESC, 0, NULL, 1, 0, 0, NULL, NULL, "free text" },
	{ "name", K_STR, LOFF(name), NULL, 0, 0, 0, NULL, NULL, "label used in logs and audit lines" },
	{ "type", K_ENUM, LOFF(type), NULL, 0, 0, 0, listener_types, NULL, "tls, unix or tcp" },
	{ "address", K_STR, LOFF(address), NULL, 0, 0, 0, NULL, NULL, "host:port (tls, tcp)" },
	{ "cert", K_STR, LOFF(cert), NULL, 1, 0, 0, NULL, NULL, "server certificate PEM (tls)" },
	{ "key", K_STR, LOFF(key), NULL, 1, 0, 0, NULL, NULL, "server private key PEM (tls)" },
	{ "ca", K_STR, LOFF(ca), NULL, 1, 0, 0, NULL, NULL, "CA bundle that signs client certificates (tls)" },
	{ "path", K_STR, LOFF(path), NULL, 0, 0, 0, NULL, NULL, "socket path (unix)" },
	{ "mode", K_MODE, LOFF(mode), "\"0660\"", 0, 0, 07777, NULL, NULL, "socket permissions, octal string (unix)" },
	{ "group", K_STR, LOFF(group), NULL, 0, 0, 0, NULL, NULL, "socket group (unix)" },
	{ "insecure", K_BOOL, LOFF(insecure), "false", 0, 0, 0, NULL, NULL, "must be true for a plain tcp listener" },
};
static const struct conf_table listener_table = TABLE(listener_keys);

static const struct conf_key upstream_keys[] = {
	{ "description", K_DESC, 0, NULL, 1, 0, 0, NULL, NULL, "free text" },
	{ "socket", K_STR, OFF(upstream_socket), "\"/var/run/docker.sock\"", 1, 0, 0, NULL, NULL, "the engine's unix socket" },
};
static const struct conf_key limits_keys[] = {
	{ "description", K_DESC, 0, NULL, 1, 0, 0, NULL, NULL, "free text" },
	{ "max_header_bytes", K_INT, OFF(max_header_bytes), "65536", 1, 1024, 1048576, NULL, NULL, "largest request header block" },
	{ "max_body_bytes", K_INT, OFF(max_body_bytes), "1048576", 1, 1024, 67108864, NULL, NULL, "largest inspected body (413 above)" },
	{ "header_timeout_ms", K_INT, OFF(header_timeout_ms), "30000", 1, 100, 3600000, NULL, NULL, "time allowed to send a request's headers" },
	{ "max_buffer_bytes", K_INT, OFF(max_buffer_bytes), "262144", 1, 16384, 67108864, NULL, NULL, "bytes buffered per direction per connection" },
	{ "shutdown_timeout_ms", K_INT, OFF(shutdown_timeout_ms), "10000", 1, 0, 3600000, NULL, NULL, "grace period for in-flight requests on SIGTERM" },
	{ "max_connections", K_INT, OFF(max_connections), "4096", 1, 1, 1000000, NULL, NULL, "client connections at once (TLS ones once their handshake is done)" },
	{ "max_handshakes", K_INT, OFF(max_handshakes), "256", 1, 1, 1000000, NULL, NULL, "TLS handshakes at once (connections without an identity yet)" },
	{ "handshake_timeout_ms", K_INT, OFF(handshake_timeout_ms), "10000", 1, 100, 3600000, NULL, NULL, "time allowed for a TLS handshake" },
	{ "max_held_answer_bytes", K_INT, OFF(max_held_answer_bytes), "67108864", 1, 65536, 1073741824, NULL, NULL, "bytes of engine answers held at once, all connections together, to be filtered or rewritten" },
	{ "quota_wait_ms", K_INT, OFF(quota_wait_ms), "60000", 1, 100, 3600000, NULL, NULL, "time a quota-counted create waits behind another before a 503" },
};
static const struct conf_key log_keys[] = {
	{ "description", K_DESC, 0, NULL, 1, 0, 0, NULL, NULL, "free text" },
	{ "level", K_ENUM, OFF(log_level), "\"info\"", 1, 0, 0, log_levels, NULL, "error, warn, info or debug" },
};
static const struct conf_key audit_keys[] = {
	{ "description", K_DESC, 0, NULL, 1, 0, 0, NULL, NULL, "free text" },
	{ "file", K_STR, OFF(audit_file), "\"/var/log/sockward/audit.log\"", 1, 0, 0, NULL, NULL, "audit log file (JSON lines)" },
	{ "syslog", K_BOOL, OFF(audit_syslog), "false", 1, 0, 0, NULL, NULL, "also send audit lines to syslog" },
	{ "on_failure", K_ENUM, OFF(audit_on_failure), "\"fail-closed\"", 1, 0, 0, audit_failures, NULL,
	  "fail-closed: deny new requests while the audit log cannot be written; continue: write to stderr" },
};
static const struct conf_key admin_keys[] = {
	{ "description", K_DESC, 0, NULL, 1, 0, 0, NULL, NULL, "free text" },
	{ "address", K_STR, OFF(admin_address), NULL, 0, 0, 0, NULL, NULL, "loopback host:port for /metrics and /healthz" },
	{ "path", K_STR, OFF(admin_path), NULL, 0, 0, 0, NULL, NULL, "unix socket for /metrics and /healthz" },
};
static const struct conf_table upstream_table = TABLE(upstream_keys);
static const struct conf_table limits_table = TABLE(limits_keys);
static const struct conf_table log_table = TABLE(log_keys);
static const struct conf_table audit_table = TABLE(audit_keys);
static const struct conf_table admin_table = TABLE(admin_keys);

static const struct conf_key top_keys[] = {
	{ "description", K_DESC, 0, NULL, 1, 0, 0, NULL, NULL, "free text" },
	{ "listeners", K_LISTENERS, 0, NULL, 0, 0, 0, NULL, &listener_table, "where clients connect" },
	{ "upstream", K_OBJ, 0, NULL, 1, 0, 0, NULL, &upstream_table, "the Docker engine" },
	{ "limits", K_OBJ, 0, NULL, 1, 0, 0, NULL, &limits_table, "sizes and times" },
	{ "log", K_OBJ, 0, NULL, 1, 0, 0, NULL, &log_table, "diagnostic log on stderr" },
	{ "audit", K_OBJ, 0, NULL, 1, 0, 0, NULL, &audit_table, "audit trail" },
	{ "admin", K_OBJ, 0, NULL, 0, 0, 0, NULL, &admin_table, "metrics and health endpoint" },
	{ "policy", K_POLICY, 0, NULL, 1, 0, 0, NULL, NULL, "profiles, bindings, exceptions" },
};
static const struct conf_table top_table = TABLE(top_keys);

/* ---- key positions (file:line:col in messages) --------------------------- */
/* jansson keeps no positions for values, so a separate scan of the text
 * maps key paths to line:column for the messages. */

/* ---- error collection ---------------------------------------------------- */

struct load_ctx {
	const char *name;
	const char *text;
	size_t len;
	struct jsonpos *pos;
	struct config_errors *errs;
};

static void __attribute__((format(printf, 3, 4)))
conf_error(struct load_ctx *ctx, const char *path, const char *fmt, ...)
{
	struct config_errors *e = ctx->errs;
	struct config_error *nv = realloc(e->v, (e->n + 1) * sizeof *nv);
	if (nv == NULL)
		return;
	e->v = nv;
	char what[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	int line = 0, col = 0;
	jsonpos_locate(ctx->pos, path, &line, &col);
	if (line > 0)
		snprintf(e->v[e->n].text, sizeof e->v[e->n].text, "%s:%d:%d: %s: %s",
		    ctx->name, line, col, path[0] ? path : "(top)", what);
	else
		snprintf(e->v[e->n].text, sizeof e->v[e->n].text, "%s: %s: %s",
		    ctx->name, path[0] ? path : "(top)", what);
	e->n++;
}

void
config_errors_free(struct config_errors *errs)
{
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

/* ---- generic walker -------------------------------------------------------- */

static void join_path(char *out, size_t outlen, const char *base, const char *key)
{
	/* paths are short; a truncated one still names the spot */
	int r = base[0] ? snprintf(out, outlen, "%s.%s", base, key)
	    : snprintf(out, outlen, "%s", key);
	if (r < 0)
		out[0] = 0;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static void load_listeners(struct load_ctx *ctx, struct sw_config *c, const json_t *v, const char *path);

static void
store_value(struct load_ctx *ctx, void *target, const struct conf_key *k,
    const json_t *v, const char *path, struct sw_config *c)
{
	char *base = target;
	switch (k->type) {
	case K_DESC:
		if (!json_is_string(v))
			conf_error(ctx, path, "must be a string, not %s", type_name(v));
		break;
	case K_STR: {
		if (!json_is_string(v)) {
			conf_error(ctx, path, "must be a string, not %s", type_name(v));
			break;
		}
		if (json_string_length(v) == 0 || strlen(json_string_value(v)) != json_string_length(v)) {
			conf_error(ctx, path, "must be a non-empty string without NUL");
			break;
		}
		char **slot = (char **)(base + k->off);
		free(*slot);
		*slot = strdup(json_string_value(v));
		break;
	}
	case K_INT: {
		if (!json_is_integer(v)) {
			conf_error(ctx, path, "must be an integer, not %s", type_name(v));
			break;
		}
		json_int_t n = json_integer_value(v);
		if (n < k->min || n > k->max) {
			conf_error(ctx, path, "%lld is out of range [%ld, %ld]", (long long)n, k->min, k->max);
			break;
		}
		*(long *)(base + k->off) = (long)n;
		break;
	}
	case K_BOOL:
		if (!json_is_boolean(v)) {
			conf_error(ctx, path, "must be true or false, not %s", type_name(v));
			break;
		}
		*(int *)(base + k->off) = json_is_true(v);
		break;
	case K_MODE: {
		const char *s = json_string_value(v);
		char *end = NULL;
		long m = s ? strtol(s, &end, 8) : -1;
		if (!json_is_string(v) || s[0] == 0 || *end != 0 || m < 0 || m > k->max) {
			conf_error(ctx, path, "must be an octal mode string such as \"0660\"");
			break;
		}
		*(long *)(base + k->off) = m;
		break;
	}
	case K_ENUM: {
		const char *s = json_string_value(v);
		long idx = -1;
		for (long i = 0; s && k->enumv[i]; i++)
			if (strcmp(s, k->enumv[i]) == 0)
				idx = i;
		if (idx < 0) {
			char allowed[200] = "";
			for (size_t i = 0; k->enumv[i]; i++) {
				strncat(allowed, i ? ", " : "", sizeof allowed - strlen(allowed) - 1);
				strncat(allowed, k->enumv[i], sizeof allowed - strlen(allowed) - 1);
			}
			conf_error(ctx, path, "must be one of: %s", allowed);
			break;
		}
		*(long *)(base + k->off) = idx;
		break;
	}
	case K_OBJ: {
		if (!json_is_object(v)) {
			conf_error(ctx, path, "must be an object, not %s", type_name(v));
			break;
		}
		const char *key;
		json_t *sub;
		json_object_foreach((json_t *)v, key, sub) {
			char p[256];
			join_path(p, sizeof p, path, key);
			const struct conf_key *sk = NULL;
			for (size_t i = 0; i < k->sub->n; i++)
				if (strcmp(k->sub->keys[i].name, key) == 0)
					sk = &k->sub->keys[i];
			if (sk == NULL) {
				conf_error(ctx, p, "unknown key");
				continue;
			}
			store_value(ctx, target, sk, sub, p, c);
		}
		break;
	}
	case K_LISTENERS:
		load_listeners(ctx, c, v, path);
		break;
	case K_POLICY: {
		struct pol_load_errors perr = { 0 };
		if (!json_is_object(v)) {
			conf_error(ctx, path, "must be an object, not %s", type_name(v));
			break;
		}
		policy_free(c->policy);
		c->policy = policy_load(v, &perr);
		if (c->policy == NULL && perr.n == 0)
			conf_error(ctx, path, "invalid policy");
		/* each error names its key path: point at that key */
		for (size_t i = 0; i < perr.n; i++)
			conf_error(ctx, perr.v[i].path, "%s", perr.v[i].message);
		pol_load_errors_free(&perr);
		break;
	}
	}
}

/* Apply defaults of a table (recursively for nested objects). */
static void
apply_defaults(void *target, const struct conf_table *t)
{
	char *base = target;
	for (size_t i = 0; i < t->n; i++) {
		const struct conf_key *k = &t->keys[i];
		if (k->type == K_OBJ) {
			apply_defaults(target, k->sub);
			continue;
		}
		if (k->def == NULL)
			continue;
		json_t *d = json_loads(k->def, JSON_DECODE_ANY, NULL);
		if (d == NULL)
			continue;
		switch (k->type) {
		case K_STR:
			*(char **)(base + k->off) = strdup(json_string_value(d));
			break;
		case K_INT:
			*(long *)(base + k->off) = (long)json_integer_value(d);
			break;
		case K_BOOL:
			*(int *)(base + k->off) = json_is_true(d);
			break;
		case K_MODE:
			*(long *)(base + k->off) = strtol(json_string_value(d), NULL, 8);
			break;
		case K_ENUM:
			for (long j = 0; k->enumv[j]; j++)
				if (strcmp(k->enumv[j], json_string_value(d)) == 0)
					*(long *)(base + k->off) = j;
			break;
		default:
			break;
		}
		json_decref(d);
	}
}

static int
is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return strcmp(host, "localhost") == 0;
}

/* "host:port" or "[v6]:port"; host must be a literal address or localhost. */
int
config_split_address(const char *addr, char *host, size_t hostlen, int *port)
{
	const char *colon;
	const char *h = addr;
	size_t hl;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - addr);
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = 0;
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (colon[1] == 0 || *end != 0 || p < 1 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static void
check_listener(struct load_ctx *ctx, const struct listener_conf *l, const char *path)
{
	char p[256], host[128];
	int port;
	static const char *const need_tls[] = { "address", "cert", "key", "ca" };
	if (l->type == LISTEN_TLS || l->type == LISTEN_TCP) {
		if (l->address == NULL) {
			join_path(p, sizeof p, path, "address");
			conf_error(ctx, path, "a %s listener needs \"address\"", listener_types[l->type]);
		} else if (config_split_address(l->address, host, sizeof host, &port) != 0) {
			join_path(p, sizeof p, path, "address");
			conf_error(ctx, p, "\"%s\" is not host:port", l->address);
		} else if (l->type == LISTEN_TCP && !(l->insecure && is_loopback(host))) {
			conf_error(ctx, path, "a plain tcp listener is refused unless it binds loopback "
			    "and sets \"insecure\": true (use type \"tls\")");
		}
	}
	if (l->type == LISTEN_TLS) {
		const char *vals[] = { l->address, l->cert, l->key, l->ca };
		for (size_t i = 1; i < 4; i++)
			if (vals[i] == NULL)
				conf_error(ctx, path, "a tls listener needs \"%s\"", need_tls[i]);
	}
	if (l->type == LISTEN_UNIX) {
		if (l->path == NULL)
			conf_error(ctx, path, "a unix listener needs \"path\"");
		else if (strlen(l->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			join_path(p, sizeof p, path, "path");
			conf_error(ctx, p, "socket path is too long");
		}
	}
}

/* The server knows a listener by its name alone: a reload reads a TLS
 * listener's cert, key and CA again from the new entry of the same name.
 * Two listeners of one name would both get the last one's files (and its
 * CA would admit clients to the other). */
static void
check_listener_name(struct load_ctx *ctx, const struct sw_config *c, size_t i, int named,
    const char *path)
{
	const struct listener_conf *l = &c->listeners[i];
	char p[256];
	if (l->name == NULL)
		return;
	if (named)
		join_path(p, sizeof p, path, "name");
	else
		snprintf(p, sizeof p, "%s", path);
	/* cut to fit, it would match no entry of the new file on reload */
	if (strlen(l->name) > LISTENER_NAME_MAX) {
		conf_error(ctx, p, "longer than %d bytes", LISTENER_NAME_MAX);
		return;
	}
	for (size_t j = 0; j < i; j++) {
		if (c->listeners[j].name && strcmp(c->listeners[j].name, l->name) == 0) {
			conf_error(ctx, p, "\"%s\" is already the name of listeners[%zu]; "
			    "listener names must be unique", l->name, j);
			return;
		}
	}
}

static void
load_listeners(struct load_ctx *ctx, struct sw_config *c, const json_t *v, const char *path)
{
	if (!json_is_array(v) || json_array_size(v) == 0) {
		conf_error(ctx, path, "must be a non-empty array of listeners");
		return;
	}
	size_t n = json_array_size(v);
	c->listeners = calloc(n, sizeof *c->listeners);
	if (c->listeners == NULL)
		return;
	c->nlisteners = n;
	struct conf_key obj = { "listener", K_OBJ, 0, NULL, 0, 0, 0, NULL, &listener_table, NULL };
	for (size_t i = 0; i < n; i++) {
		struct listener_conf *l = &c->listeners[i];
		char p[256];
		snprintf(p, sizeof p, "%s[%zu]", path, i);
		apply_defaults(l, &listener_table);
		l->type = -1;
		json_t *lv = json_array_get(v, i);
		store_value(ctx, l, &obj, lv, p, c);
		if (!json_is_object(lv))
			continue;
		if (l->type < 0) {
			if (json_object_get(lv, "type") == NULL)
				conf_error(ctx, p, "missing \"type\" (tls, unix or tcp)");
			continue;
		}
		if (l->name == NULL) {
			char nm[32];
			snprintf(nm, sizeof nm, "%s%zu", listener_types[l->type], i);
			l->name = strdup(nm);
		}
		check_listener(ctx, l, p);
		check_listener_name(ctx, c, i, json_object_get(lv, "name") != NULL, p);
	}
}

/* upstream.socket: a path, or unix://PATH as DOCKER_HOST and -u write it.
 * Kept as the bare path, since the session connects to it as given (the
 * engine client, the lookups and /healthz strip the scheme; a session's
 * own connect did not, and went to a relative "unix:" path, every request
 * a 502).  It must fit a unix socket address: a longer one would be cut
 * to another path. */
static void
check_upstream(struct load_ctx *ctx, struct sw_config *c)
{
	char *s = c->upstream_socket;
	if (s == NULL)
		return;
	if (strncmp(s, "unix://", 7) == 0)
		memmove(s, s + 7, strlen(s + 7) + 1);
	if (s[0] == '\0')
		conf_error(ctx, "upstream.socket", "no path after unix://");
	else if (strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		conf_error(ctx, "upstream.socket", "socket path is too long");
}

/* A unix listener's path that is the engine's socket, the admin socket or
 * another listener's: at startup the path's socket is removed as stale
 * when nothing answers on it (the engine down), and sockward would then
 * proxy to itself, or one socket would serve two ends. */
static int streq(const char *a, const char *b);

static void
check_socket_paths(struct load_ctx *ctx, const struct sw_config *c)
{
	for (size_t i = 0; i < c->nlisteners; i++) {
		const struct listener_conf *l = &c->listeners[i];
		char p[64];
		if (l->type != LISTEN_UNIX || l->path == NULL)
			continue;
		snprintf(p, sizeof p, "listeners[%zu].path", i);
		if (streq(l->path, c->upstream_socket))
			conf_error(ctx, p, "\"%s\" is upstream.socket, the engine's own socket",
			    l->path);
		if (streq(l->path, c->admin_path))
			conf_error(ctx, p, "\"%s\" is admin.path", l->path);
		for (size_t j = 0; j < i; j++)
			if (c->listeners[j].type == LISTEN_UNIX && streq(l->path, c->listeners[j].path))
				conf_error(ctx, p, "\"%s\" is already the path of listeners[%zu]",
				    l->path, j);
	}
}

/* ---- entry points ------------------------------------------------------------ */

struct sw_config *
config_load_text(const char *name, const char *text, size_t len, struct config_errors *errs)
{
	struct load_ctx ctx = { name, text, len, NULL, errs };
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		struct config_errors *e = errs;
		struct config_error *nv = realloc(e->v, (e->n + 1) * sizeof *nv);
		if (nv) {
			e->v = nv;
			snprintf(e->v[e->n++].text, sizeof e->v[0].text, "%s:%d:%d: %s",
			    name, jerr.line, jerr.column, jerr.text);
		}
		return NULL;
	}
	ctx.pos = jsonpos_scan(text, len);
	struct sw_config *c = calloc(1, sizeof *c);
	c->refcnt = 1;
	c->file = strdup(name);
	apply_defaults(c, &top_table);
	size_t before = errs->n;
	struct conf_key top = { "", K_OBJ, 0, NULL, 0, 0, 0, NULL, &top_table, NULL };
	store_value(&ctx, c, &top, root, "", c);
	if (json_is_object(root) && json_object_get(root, "listeners") == NULL)
		conf_error(&ctx, "listeners", "missing: at least one listener is required");
	check_upstream(&ctx, c);
	check_socket_paths(&ctx, c);
	if (c->admin_address && c->admin_path)
		conf_error(&ctx, "admin", "set either \"address\" or \"path\", not both");
	if (c->admin_address) {
		char host[128];
		int port;
		if (config_split_address(c->admin_address, host, sizeof host, &port) != 0)
			conf_error(&ctx, "admin.address", "\"%s\" is not host:port", c->admin_address);
		else if (!is_loopback(host))
			conf_error(&ctx, "admin.address", "the admin endpoint must bind loopback");
	}
	if (c->policy == NULL && json_object_get(root, "policy") == NULL) {
		struct pol_load_errors perr = { 0 };
		c->policy = policy_load(NULL, &perr);
		for (size_t i = 0; c->policy == NULL && i < perr.n; i++)
			conf_error(&ctx, "policy", "%s: %s", perr.v[i].path, perr.v[i].message);
		pol_load_errors_free(&perr);
	}
	json_decref(root);
	jsonpos_free(ctx.pos);
	if (errs->n != before) {
		config_unref(c);
		return NULL;
	}
	return c;
}

struct sw_config *
config_load(const char *file, struct config_errors *errs)
{
	FILE *f = fopen(file, "rb");
	if (f == NULL) {
		struct config_error *nv = realloc(errs->v, (errs->n + 1) * sizeof *nv);
		if (nv) {
			errs->v = nv;
			snprintf(errs->v[errs->n++].text, sizeof nv->text, "%s: %s", file, strerror(errno));
		}
		return NULL;
	}
	/* configuration files are small; refuse anything absurd */
	char *buf = malloc(1 << 20);
	size_t len = buf ? fread(buf, 1, 1 << 20, f) : 0;
	int toolong = buf && len == (1 << 20);
	fclose(f);
	if (buf == NULL || toolong) {
		free(buf);
		struct config_error *nv = realloc(errs->v, (errs->n + 1) * sizeof *nv);
		if (nv) {
			errs->v = nv;
			snprintf(errs->v[errs->n++].text, sizeof nv->text, "%s: file too large (1 MiB max)", file);
		}
		return NULL;
	}
	struct sw_config *c = config_load_text(file, buf, len, errs);
	free(buf);
	return c;
}

struct sw_config *
config_ref(struct sw_config *c)
{
	c->refcnt++;
	return c;
}

static void
free_strings_of(void *target, const struct conf_table *t)
{
	char *base = target;
	for (size_t i = 0; i < t->n; i++) {
		const struct conf_key *k = &t->keys[i];
		if (k->type == K_STR) {
			free(*(char **)(base + k->off));
			*(char **)(base + k->off) = NULL;
		} else if (k->type == K_OBJ) {
			free_strings_of(target, k->sub);
		}
	}
}

void
config_unref(struct sw_config *c)
{
	if (c == NULL || --c->refcnt > 0)
		return;
	for (size_t i = 0; i < c->nlisteners; i++)
		free_strings_of(&c->listeners[i], &listener_table);
	free(c->listeners);
	free_strings_of(c, &top_table);
	policy_free(c->policy);
	free(c->file);
	free(c);
}

static int
streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int
config_restart_needed(const struct sw_config *o, const struct sw_config *n, char *why, size_t whylen)
{
	why[0] = 0;
	int differs = o->nlisteners != n->nlisteners;
	for (size_t i = 0; !differs && i < o->nlisteners; i++) {
		const struct listener_conf *a = &o->listeners[i], *b = &n->listeners[i];
		differs = a->type != b->type || !streq(a->address, b->address) ||
		    !streq(a->path, b->path) || a->mode != b->mode || !streq(a->group, b->group) ||
		    !streq(a->name, b->name) || a->insecure != b->insecure;
	}
	if (differs)
		snprintf(why, whylen, "listeners changed");
	if (!streq(o->admin_address, n->admin_address) || !streq(o->admin_path, n->admin_path))
		snprintf(why + strlen(why), whylen - strlen(why), "%sadmin endpoint changed",
		    why[0] ? "; " : "");
	return why[0] != 0;
}

static void
print_table(const char *prefix, const struct conf_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct conf_key *k = &t->keys[i];
		char p[128];
		join_path(p, sizeof p, prefix, k->name);
		if (k->type == K_DESC)
			continue;
		if (k->type == K_OBJ) {
			print_table(p, k->sub);
			continue;
		}
		if (k->type == K_LISTENERS) {
			snprintf(p, sizeof p, "%s[]", k->name);
			print_table(p, k->sub);
			continue;
		}
		printf("%-34s %-8s %-22s %s  %s\n", p,
		    (const char *[]){ "", "string", "integer", "boolean", "mode", "enum", "object", "array", "object" }[k->type],
		    k->def ? k->def : "-", k->reload ? "reload" : "restart", k->doc ? k->doc : "");
	}
}

void
config_print_keys(void)
{
	printf("%-34s %-8s %-22s %s  %s\n", "KEY", "TYPE", "DEFAULT", "LIVE", "MEANING");
	print_table("", &top_table);
}
