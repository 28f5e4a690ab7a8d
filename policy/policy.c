/* policy.c - policy_prepare/policy_judge: read the request as dockerd would
 * (target and route once, the body once), pick the profile for the
 * identity, run the endpoint's checks, apply exceptions and the profile's
 * mode, and explain the outcome. */
#include "policy/policy.h"

#include <fnmatch.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/arena.h"
#include "policy/poison.h"
#include "policy/checks.h"
#include "policy/gotypes.h"
#include "policy/jsonin.h"
#include "policy/jsonout.h"
#include "policy/prepared.h"
#include "policy/profile.h"
#include "policy/reqtarget.h"
#include "policy/routes.h"
#include "policy/rules.h"
#include "policy/tenant_lists.h"

#define JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)

/* One prepared request (16 KB) and one set of violation slots (25 KB)
 * kept from the last request for the next, so that a request allocates
 * neither (the daemon's loop is single-threaded; a second one in use at
 * once is simply allocated).  Poisoned while kept under AddressSanitizer. */
static struct pol_prepared *spare_pp;
static struct violations *spare_vs;

static void *
take_spare(void **slot, size_t size)
{
	void *p = *slot;
	if (p == NULL)
		return malloc(size);
	*slot = NULL;
	UNPOISON(p, size);
	return p;
}

static void
keep_spare(void **slot, void *p, size_t size)
{
	if (*slot != NULL) {
		free(p);
		return;
	}
	POISON(p, size);
	*slot = p;
}

struct pol_prepared *
policy_prepare(const struct policy *p, const char *method, const char *target)
{
	struct pol_prepared *pp = take_spare((void **)&spare_pp, sizeof *pp);

	(void)p;   /* the route table is the API's, not the configuration's */
	if (pp == NULL)
		return NULL;
	/* zeroed but for the big arrays (17 KB): a lookup slot is cleared
	 * when it is queued (check_lookup), the target by reqtarget_parse,
	 * the HostConfig index holds nothing while its obj is NULL */
	memset(pp, 0, offsetof(struct pol_prepared, lookups));
	pp->hcix.obj = NULL;
	memset((char *)pp + offsetof(struct pol_prepared, nlookups), 0,
	    offsetof(struct pol_prepared, rt) - offsetof(struct pol_prepared, nlookups));
	memset((char *)pp + offsetof(struct pol_prepared, rt) + sizeof pp->rt, 0,
	    sizeof *pp - offsetof(struct pol_prepared, rt) - sizeof pp->rt);
	if ((pp->method = strdup(method)) == NULL ||
	    (pp->raw_target = strdup(target)) == NULL) {
		free(pp->method);
		keep_spare((void **)&spare_pp, pp, sizeof *pp);
		return NULL;
	}
	pp->target_ok = reqtarget_parse(target, &pp->rt, pp->target_err,
	    sizeof pp->target_err) == 0;
	if (pp->target_ok)
		pp->route = route_find(method, pp->rt.path, pp->name, sizeof pp->name);
	return pp;
}

int
policy_prepared_wants_body(const struct pol_prepared *pp)
{
	if (pp == NULL)
		return 1;   /* fail closed: read it, the judgement will tell */
	return pp->route != NULL && pp->route->body != NULL;
}

size_t
policy_lookups(struct pol_prepared *pp, struct pol_lookup **out)
{
	*out = pp->lookups;
	return pp->nlookups;
}

unsigned
policy_prepared_decodes(const struct pol_prepared *pp)
{
	return pp->decodes;
}

size_t
policy_prepared_trees(const struct pol_prepared *pp)
{
	size_t n = pp->doc != NULL;
	for (size_t i = 0; i < pp->nlookups; i++)
		n += pp->lookups[i].json != NULL;
	return n;
}

/* The lookups' answers and the decoded document (with its arena); the
 * serialised body (pp->body, pp->fwd_body) is plain malloc and stays. */
static void
drop_judged_state(struct pol_prepared *pp)
{
	for (size_t i = 0; i < pp->nlookups; i++) {
		json_decref(pp->lookups[i].json);
		pp->lookups[i].json = NULL;
	}
	/* the document is never changed after its decode (the checks read it
	 * const): made of arena memory only, it goes with the blocks, unwalked */
	if (!(arena_owns(pp->doc) && pp->arena.heap == 0))
		json_decref(pp->doc);
	pp->doc = NULL;
	pp->hcix.obj = NULL;   /* it indexed the document */
	arena_release(&pp->arena);
}

void
policy_prepared_settle(struct pol_prepared *pp)
{
	if (pp == NULL)
		return;
	pp->settled = 1;
	drop_judged_state(pp);
}

void
policy_prepared_free(struct pol_prepared *pp)
{
	if (pp == NULL)
		return;
	drop_judged_state(pp);
	free(pp->body);
	free(pp->fwd_body);
	free(pp->raw_target);
	free(pp->method);
	keep_spare((void **)&spare_pp, pp, sizeof *pp);
}

/* The first binding that matches the identity, or NULL (default profile,
 * no tenant). */
static const struct binding *
binding_for(const struct policy *p, const struct sw_identity *id)
{
	if (id != NULL)
		for (size_t i = 0; i < p->nbindings; i++)
			if (id_match(&p->bindings[i].match, id))
				return &p->bindings[i];
	return NULL;
}

static const char *
identity_name(const struct pol_request *req)
{
	return req->identity != NULL && req->identity->display[0] ? req->identity->display
	    : "unknown";
}

static void
deny(struct pol_decision *dec, int status, const char *fmt, const char *a, const char *b)
{
	char buf[1024];

	dec->verdict = POL_DENY;
	dec->status = status;
	snprintf(buf, sizeof buf, fmt, a, b);
	free(dec->message);
	dec->message = strdup(buf);
}

static const struct pol_header *
find_header(const struct pol_request *req, const char *name, int *count)
{
	const struct pol_header *found = NULL;
	size_t n = strlen(name);

	*count = 0;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct pol_header *h = &req->headers[i];
		if (h->name_len == n && strncasecmp(h->name, name, n) == 0) {
			if (found == NULL)
				found = h;
			(*count)++;
		}
	}
	return found;
}

/* Decode one UTF-8 rune at s[0..n) like Go (invalid: U+FFFD, 1 byte). */
static unsigned
utf8_rune(const unsigned char *s, size_t n, size_t *len)
{
	unsigned c = s[0], r;
	size_t k;

	*len = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf) { k = 1; r = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { k = 2; r = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { k = 3; r = c & 0x07; }
	else return 0xfffd;
	if (k >= n)
		return 0xfffd;
	for (size_t i = 1; i <= k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		r = (r << 6) | (s[i] & 0x3f);
	}
	if ((k == 2 && (r < 0x800 || (r >= 0xd800 && r <= 0xdfff))) ||
	    (k == 3 && (r < 0x10000 || r > 0x10ffff)))
		return 0xfffd;
	*len = k + 1;
	return r;
}

/* unicode.IsSpace: what strings.TrimSpace removes */
static int
go_space(unsigned r)
{
	return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xa0 || r == 0x1680 ||
	    (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f ||
	    r == 0x205f || r == 0x3000;
}

/* The media type of a Content-Type value as Go's mime.ParseMediaType gives
 * it: the part before the first ';', lowered with strings.ToLower (the only
 * non-ASCII runes that lower to ASCII are U+0130 -> 'i' and U+212A KELVIN
 * SIGN -> 'k'), trimmed with strings.TrimSpace (Unicode spaces), and only if
 * it is token "/" token (else Go gives "").  Parameter errors do not
 * matter: net/http reads a form body whatever they are.  -1 if too long. */
static int
go_media_type(const char *v, size_t n, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t i = 0, o = 0, rl, start, end, slash = 0;
	int slashes = 0;
	char low[256];
	static const char json[] = "application/json";

	/* what every client sends: already the media type, as below finds it */
	if (n == sizeof json - 1 && len >= sizeof json && memcmp(v, json, n) == 0) {
		memcpy(out, json, sizeof json);
		return 0;
	}
	while (i < n && s[i] != ';') {
		unsigned r = utf8_rune(s + i, n - i, &rl);
		if (r == 0x130)
			r = 'i';
		else if (r == 0x212a)
			r = 'k';
		if (o + 4 >= sizeof low)
			return -1;
		if (r < 0x80)
			low[o++] = (char)((r >= 'A' && r <= 'Z') ? r - 'A' + 'a' : r);
		else if (go_space(r))
			low[o++] = ' ';      /* only trimming can remove it: a space marks it */
		else
			low[o++] = '\x80';   /* any other non-ASCII rune: never a token byte */
		i += rl;
	}
	start = 0;
	end = o;
	while (start < end && (low[start] == ' ' || (low[start] >= '\t' && low[start] <= '\r')))
		start++;
	while (end > start && (low[end - 1] == ' ' || (low[end - 1] >= '\t' && low[end - 1] <= '\r')))
		end--;
	out[0] = '\0';
	for (i = start; i < end; i++) {
		unsigned char c = (unsigned char)low[i];
		if (c == '/') {
			slashes++;
			slash = i;
			continue;
		}
		/* token: visible ASCII, no tspecial */
		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c) != NULL)
			return 0;
	}
	if (slashes != 1 || slash == start || slash + 1 == end)
		return 0;     /* Go: "mime: expected slash after first token" / no subtype */
	if (end - start + 1 > len)
		return -1;
	memcpy(out, low + start, end - start);
	out[end - start] = '\0';
	return 0;
}

/* The media type of the request's Content-Type as dockerd reads it ("" when
 * absent or not a media type).  -1 when the header is repeated (Go reads the
 * first; a repeated Content-Type only hides what the body is) or too long. */
static int
media_type(const struct pol_request *req, char *out, size_t len)
{
	int count;
	const struct pol_header *h = find_header(req, "Content-Type", &count);

	out[0] = '\0';
	if (count > 1)
		return -1;
	if (h == NULL)
		return 0;
	if (go_media_type(h->value, h->value_len, out, len) < 0)
		return -1;
	if (out[0] == '\0')
		snprintf(out, len, "(not a media type)");   /* present: never JSON */
	return 0;
}

/* Bodies Go's form parsing reads into r.Form: r.ParseForm reads an
 * application/x-www-form-urlencoded POST/PUT/PATCH body (its values come
 * BEFORE the query's, so r.Form.Get and r.FormValue return them), and
 * r.FormValue without a prior ParseForm parses multipart/form-data.
 * dockerd reads parameters this way on almost every endpoint
 * (httputils.ParseForm, r.FormValue: build, create, commit, images/create,
 * tag, push, load, archive, exec start/resize, logs, kill, wait, prune,
 * plugins, ...), and no Docker client sends a form body: such a body is
 * refused on every endpoint rather than parsed a second way. */
static int
is_form_type(const char *mt)
{
	return strcmp(mt, "application/x-www-form-urlencoded") == 0 ||
	    strcmp(mt, "multipart/form-data") == 0;
}

static int
endpoint_allowed(const struct profile *prof, const struct route *r)
{
	if (r == NULL)
		return prof->unknown_endpoints;
	if (strlist_match(&prof->endpoints_allow, r->endpoint))
		return 1;
	return !strlist_match(&prof->endpoints_deny, r->endpoint);
}

/* Why an endpoint is refused by every built-in profile, when that is not
 * plain from its name. */
static const char *
endpoint_why(const struct route *r)
{
	if (r != NULL && strcmp(r->endpoint, "build.grpc") == 0)
		return ": BuildKit's gRPC endpoint carries Solve requests (build steps, "
		    "entitlements such as network.host) that sockward cannot inspect yet; "
		    "build with DOCKER_BUILDKIT=0, or use a profile with \"endpoints_allow\": [\"build.grpc\"]";
	return "";
}

/* An allowed request of a tenant's identity: lists, events and prunes see
 * only the tenant's objects; what belongs to no tenant is refused whatever
 * the profile's mode (tenant.isolation). */
static void
narrow_to_tenant(const struct pol_prepared *pp, const struct pol_request *req,
    const struct profile *prof, struct pol_decision *dec)
{
	char why[600], msg[1024];

	switch (tenant_lists(pp, dec->tenant, dec, why, sizeof why)) {
	case TL_PASS:
		return;
	case TL_BAD_FILTERS:
		deny(dec, 400, "%s%s", why, "");
		break;
	case TL_NOMEM:
		deny(dec, 500, "sockward: %s%s", "out of memory", "");
		break;
	case TL_REFUSED:
		snprintf(msg, sizeof msg, "sockward: denied by policy '%s' for %s (tenant %s): "
		    "[%s] %s", prof->name, identity_name(req), dec->tenant,
		    rules[R_TENANT_ISOLATION].id, why);
		deny(dec, 403, "%s%s", msg, "");
		dec->mode = POL_MODE_ENFORCE;
		if (dec->nrules < POL_MAX_RULES)
			dec->rules[dec->nrules++] = R_TENANT_ISOLATION;
		break;
	}
	free(dec->target);
	dec->target = NULL;
	dec->body = NULL;
	dec->body_len = 0;
	dec->answer_filter = POL_ANSWER_NONE;
	for (size_t i = 0; i < dec->nwarnings; i++)
		free(dec->warnings[i]);
	free(dec->warnings);
	dec->warnings = NULL;
	dec->nwarnings = 0;
}

/* The body cannot be judged: remember the answer, every round gives it. */
static void
refuse(struct pol_prepared *pp, int status, const char *fmt, const char *a, const char *b)
{
	pp->body_state = BODY_REFUSED;
	pp->refused_status = status;
	snprintf(pp->refused_message, sizeof pp->refused_message, fmt, a, b);
}

/* Decode the body as the endpoint's Go type; on success pp->doc is the
 * canonical document and pp->body its serialization, made before any check
 * has seen the document. */
static void
decode_body(const struct route *r, const struct pol_request *req, struct pol_prepared *pp)
{
	char mt[128], err[GODEC_ERRLEN + 64], je[160];
	size_t errpos, canon_off, canon_len;
	json_t *raw;
	int same = 0;
	int present = req->has_body || (req->body != NULL && req->body_len > 0);

	pp->body_state = BODY_READY;
	if (media_type(req, mt, sizeof mt) < 0) {
		refuse(pp, 400, "sockward: bad request: %s%s", "ambiguous Content-Type (repeated, "
		    "or too long); send one Content-Type header", "");
		return;
	}
	if (!present || (req->body != NULL && req->body_len == 0)) {
		if (!r->body_optional)
			refuse(pp, 400, "sockward: bad request: %s requires a JSON body%s",
			    r->endpoint, "");
		return;
	}
	if (req->body == NULL) {
		refuse(pp, 400, "sockward: bad request: the body of %s was not read%s", r->endpoint,
		    "");
		return;
	}
	if (mt[0] != '\0' && strcmp(mt, "application/json") != 0) {
		refuse(pp, 400, "sockward: bad request: Content-Type %s is not accepted for %s; "
		    "use application/json", mt, r->endpoint);
		return;
	}
	pp->decodes++;
	/* one pass, what json_loadb(JSON_FLAGS) reads (policy/jsonin.h) */
	/* the document is built in pp's arena: parse and decode only (what
	 * they allocate is jansson's, released with pp) */
	struct arena *prev = arena_enter(&pp->arena);
	/* read as the route's Go type as it is parsed: a body the decoder would
	 * keep as it is (every docker CLI body) is not walked again */
	pp->hcix.st = go_hostconfig_struct;
	struct jsonin_typed jt = { .type = r->body, .ix = &pp->hcix };
	raw = jsonin_parse_typed(req->body, req->body_len, &jt, &errpos, je, sizeof je,
	    &canon_off, &canon_len);
	if (raw != NULL) {
		if (jt.typed)
			pp->doc = godecode_typed(r->body, raw, jt.tables, &pp->hcix, &same, err,
			    GODEC_ERRLEN);
		else   /* canonical bytes have no escape, so no U+0000 (jsonin.h) */
			pp->doc = godecode_inplace_index(r->body, raw,
			    canon_len > 0 ? GODEC_NUL_FREE : 0, &same, &pp->hcix, err, GODEC_ERRLEN);
		json_decref(raw);
	}
	arena_leave(prev);
	if (raw == NULL) {
		snprintf(err, sizeof err, "invalid JSON at byte %zu: %s", errpos, je);
		refuse(pp, 400, "sockward: bad request: %s%s", err, "");
		return;
	}
	if (pp->doc == NULL) {
		refuse(pp, 400, "sockward: bad request: %s%s", err, "");
		return;
	}
	/* the body's own bytes when they are the document's serialisation
	 * already (canonical, and the decoder changed nothing: a docker CLI
	 * body but for its newline), else the document serialised */
	if (canon_len > 0 && same) {
		if ((pp->body = malloc(canon_len + 1)) != NULL) {
			memcpy(pp->body, req->body + canon_off, canon_len);
			pp->body[canon_len] = '\0';
			pp->body_len = canon_len;
		}
	} else
		pp->body = jsonout_compact(pp->doc, req->body_len, &pp->body_len);
	if (pp->body == NULL) {
		refuse(pp, 500, "sockward: %s%s", "out of memory", "");
		return;
	}
}

/* The canonical document for the checks: decoded by the first round that
 * gets here, reused by the rounds after lookups.  -1 with *dec a denial
 * when the body cannot be judged. */
static int
body_for_checks(const struct route *r, const struct pol_request *req, struct pol_prepared *pp,
    struct check_ctx *c, struct pol_decision *dec)
{
	if (pp->body_state == BODY_PENDING)
		decode_body(r, req, pp);
	if (pp->body_state == BODY_REFUSED) {
		deny(dec, pp->refused_status, "%s%s", pp->refused_message, "");
		return -1;
	}
	c->doc = pp->doc;
	return 0;
}

static void
run_check(const struct route *r, struct check_ctx *c)
{
	typedef void (*check_fn)(struct check_ctx *);
	static const check_fn checks[] = {
		[CHECK_NONE] = NULL, [CHECK_CREATE] = check_create, [CHECK_UPDATE] = check_update,
		[CHECK_EXEC] = check_exec, [CHECK_START] = check_start, [CHECK_VOLUME] = check_volume,
		[CHECK_BUILD] = check_build, [CHECK_PULL] = check_pull, [CHECK_TAG] = check_tag,
		[CHECK_COMMIT] = check_commit,
		[CHECK_SESSION] = check_session, [CHECK_SERVICE] = check_service,
		[CHECK_LOAD] = check_load,
		[CHECK_NETWORK_CREATE] = check_network_create,
		[CHECK_NETWORK_CONNECT] = check_network_connect,
		[CHECK_ARCHIVE] = check_archive,
		[CHECK_RESTART] = check_restart,
		[CHECK_EXEC_START] = check_exec_start,
	};
	if (checks[r->check] != NULL)
		checks[r->check](c);
}

static int
image_matches(const struct strlist *l, const char *image)
{
	return l->n == 0 || strlist_match(l, image);
}

static void
apply_exceptions(const struct policy *p, const struct pol_request *req,
    struct check_ctx *c, struct pol_decision *dec)
{
	for (size_t i = 0; i < c->vs->n; i++) {
		struct violation *v = &c->vs->v[i];
		for (size_t k = 0; k < p->nexceptions; k++) {
			const struct exception *ex = &p->exceptions[k];
			if (ex->rule == (int)v->rule && req->identity != NULL &&
			    id_match(&ex->match, req->identity) && image_matches(&ex->images, c->image)) {
				v->excepted = 1;
				v->exception = (int)k;
				if (dec->exception == NULL) {
					dec->exception = strdup(ex->name);
					dec->exception_reason = strdup(ex->reason);
				}
				break;
			}
		}
	}
}

/* Every violation has a slot in the decision's rule list. */
_Static_assert(VIOL_MAX <= POL_MAX_RULES, "pol_decision.rules must hold every violation");
_Static_assert(R__COUNT <= UINT16_MAX, "rule ids must fit pol_decision.rules");

/* The mode a violation acts in: the more lenient of the profile's mode and
 * the rule's own (profile.rule_mode). */
static enum pol_mode
viol_mode(const struct profile *prof, const struct violation *v)
{
	if (v->enforced)
		return POL_MODE_ENFORCE;
	return profile_rule_mode(prof, (int)v->rule);
}

/* Append s (n bytes) to msg (cap bytes, *off used), truncated like
 * snprintf: *off counts what did not fit too, and msg stays terminated.
 * Inline, so that a literal's length and copy fold (put_str). */
static inline void
put_n(char *msg, size_t cap, size_t *off, const char *s, size_t n)
{
	if (*off + n < cap) {
		memcpy(msg + *off, s, n);
		msg[*off + n] = '\0';
	} else if (*off + 1 < cap) {
		size_t k = cap - 1 - *off;
		memcpy(msg + *off, s, k);
		msg[*off + k] = '\0';
	}
	*off += n;
}

#define put_str(msg, cap, off, s) put_n((msg), (cap), (off), (s), strlen(s))

/* The rule list over the violations not excepted, and the mode the
 * decision is made in: the most severe of theirs (*worst), and the message
 * "[id] text; [id] text" over those that act in that mode. */
static void
explain(struct check_ctx *c, struct pol_decision *dec, const struct pol_request *req,
    const struct profile *prof, size_t *nleft, enum pol_mode *worst)
{
	size_t cap = 256 + c->vs->n * (VIOL_TEXT_MAX + 40), off, shown = 0;
	char *msg;

	*nleft = 0;
	*worst = prof->mode;
	dec->nrules = 0;
	for (size_t i = 0; i < c->vs->n; i++) {
		const struct violation *v = &c->vs->v[i];
		if (v->excepted)
			continue;
		enum pol_mode m = viol_mode(prof, v);
		if (*nleft == 0 || m < *worst)
			*worst = m;
		dec->rules[dec->nrules++] = (uint16_t)v->rule;
		(*nleft)++;
	}
	if (c->vs->overflow)
		*worst = prof->mode;   /* the ones not recorded act as the profile says */
	/* the message is the denial's: none when nothing denies */
	if ((*nleft == 0 && !c->vs->overflow) || *worst != POL_MODE_ENFORCE ||
	    (msg = malloc(cap)) == NULL)
		return;
	/* what "sockward: denied by policy '%s' for %s: " then "%s[%s] %s" per
	 * shown violation would print, without a printf per piece */
	off = 0;
	msg[0] = '\0';
	put_str(msg, cap, &off, "sockward: denied by policy '");
	put_str(msg, cap, &off, prof->name);
	put_str(msg, cap, &off, "' for ");
	put_str(msg, cap, &off, identity_name(req));
	put_str(msg, cap, &off, ": ");
	for (size_t i = 0; i < c->vs->n; i++) {
		const struct violation *v = &c->vs->v[i];
		if (v->excepted || viol_mode(prof, v) != *worst)
			continue;
		if (shown++)
			put_str(msg, cap, &off, "; ");
		put_str(msg, cap, &off, "[");
		put_str(msg, cap, &off, rules[v->rule].id);
		put_str(msg, cap, &off, "] ");
		put_str(msg, cap, &off, v->text);
	}
	if (c->vs->overflow && off < cap)
		snprintf(msg + off, cap - off, "; and %d more", c->vs->overflow);
	dec->message = msg;
}

/* Warnings for the violations that act in warn mode */
static void
warnings_from(struct check_ctx *c, const struct profile *prof, struct pol_decision *dec)
{
	if ((dec->warnings = calloc(c->vs->n, sizeof *dec->warnings)) == NULL)
		return;
	for (size_t i = 0; i < c->vs->n; i++) {
		const struct violation *v = &c->vs->v[i];
		char line[VIOL_TEXT_MAX + 80];
		if (v->excepted || viol_mode(prof, v) != POL_MODE_WARN)
			continue;
		snprintf(line, sizeof line, "sockward: [%s] %s", rules[v->rule].id, v->text);
		if ((dec->warnings[dec->nwarnings] = strdup(line)) != NULL)
			dec->nwarnings++;
	}
}

/* A tenant rule decided: the engine's own 404 text as it is (nothing may
 * tell the object exists), any other answer in sockward's words.  Tenant
 * rules act whatever the profile's mode. */
static void
tenant_deny(struct check_ctx *c, struct pol_decision *dec, const struct pol_request *req,
    const struct profile *prof)
{
	char buf[1600];

	dec->verdict = POL_DENY;
	dec->status = c->tenant_status;
	dec->mode = POL_MODE_ENFORCE;
	free(dec->message);
	if (c->tenant_status == 404 || c->tenant_status == 409 || c->tenant_status >= 500 ||
	    strncmp(c->tenant_msg, "sockward: ", 10) == 0)
		snprintf(buf, sizeof buf, "%s", c->tenant_msg);
	else
		snprintf(buf, sizeof buf, "sockward: denied by policy '%s' for %s (tenant %s): "
		    "[%s] %s", prof->name, identity_name(req), c->tenant, rules[c->tenant_rule].id,
		    c->tenant_msg);
	dec->message = strdup(buf);
	dec->rules[0] = (uint16_t)c->tenant_rule;
	dec->nrules = 1;
}

void
policy_judge(const struct policy *p, struct pol_prepared *pp, const struct pol_request *req,
    struct pol_decision *dec)
{
	struct violations *vs = NULL;
	const struct route *r = NULL;
	const struct profile *prof;
	struct check_ctx c;
	size_t nleft;
	enum pol_mode worst;

	memset(dec, 0, sizeof *dec);
	memset(&c, 0, sizeof c);
	dec->endpoint = "unknown";
	const struct binding *bd = binding_for(p, req->identity);
	prof = bd != NULL ? bd->profile : p->default_profile;
	dec->tenant = bd != NULL ? bd->tenant : NULL;
	dec->profile = prof->name;
	dec->mode = prof->mode;
	if (pp != NULL && pp->settled) {
		/* its answers and document are gone: fail closed, never judge
		 * without them */
		deny(dec, 500, "sockward: %s%s", "internal error: a request judged again after "
		    "its decision", "");
		goto out;
	}
	/* not zeroed: 25 KB of violation slots (kept from the last request), filled as they fire */
	if (pp == NULL || (vs = take_spare((void **)&spare_vs, sizeof *vs)) == NULL) {
		deny(dec, 500, "sockward: %s%s", "out of memory", "");
		goto out;
	}
	vs->n = 0;
	vs->overflow = 0;
	if (!pp->target_ok) {
		deny(dec, 400, "sockward: bad request: %s%s", pp->target_err, "");
		goto out;
	}
	/* Go's form parsing would read the body's fields as the request's
	 * parameters (ahead of the query); never let that happen. */
	char mt[128];
	int mtr = media_type(req, mt, sizeof mt);
	if (mtr < 0) {
		deny(dec, 400, "sockward: bad request: %s%s", "ambiguous Content-Type (repeated, "
		    "or too long); send one Content-Type header", "");
		goto out;
	}
	if (is_form_type(mt) && (req->has_body || (req->body != NULL && req->body_len > 0))) {
		deny(dec, 400, "sockward: bad request: the %s body is not accepted: dockerd would read "
		    "its fields as request parameters; send parameters in the query", mt, "");
		goto out;
	}
	r = pp->route;
	if (r != NULL)
		dec->endpoint = r->endpoint;

	c.pol = p;
	c.prof = prof;
	c.tenant = dec->tenant;
	c.req = req;
	c.pp = pp;
	c.rt = &pp->rt;
	c.name = pp->name;
	c.vs = vs;

	if (pp->rt.has_version) {
		int v = API_VERSION(pp->rt.major, pp->rt.minor);
		if (v < p->api_min || v > p->api_max)
			fire(&c, R_API_VERSION, "API version %d.%d is outside %d.%d-%d.%d",
			    pp->rt.major, pp->rt.minor, p->api_min / 1000, p->api_min % 1000,
			    p->api_max / 1000, p->api_max % 1000);
	}
	if (!endpoint_allowed(prof, r) && route_uninspectable(r)) {
		/* what cannot be inspected is never forwarded, whatever the
		 * profile's mode or rule switches: an audit-only profile could not
		 * even record what it did.  Only an explicit endpoints_allow (or an
		 * exception) opens it. */
		size_t before = vs->n;
		viol_add(vs, R_ENDPOINT, "%s %s (%s) is not allowed%s", pp->method, pp->rt.path,
		    r->endpoint, endpoint_why(r));
		if (vs->n > before)
			vs->v[before].enforced = 1;
		else
			vs->overflow = 1;
	} else if (!endpoint_allowed(prof, r)) {
		fire(&c, R_ENDPOINT, "%s %s (%s) is not allowed%s", pp->method, pp->rt.path,
		    r ? r->endpoint : "unknown endpoint", endpoint_why(r));
	}
	if (r != NULL && r->body != NULL && body_for_checks(r, req, pp, &c, dec) < 0)
		goto out;
	/* a tenant's objects first: the endpoint's checks never look at
	 * another tenant's (their findings would tell it exists).  An endpoint
	 * the profile refuses outright needs neither. */
	int refused = c.tenant != NULL && !endpoint_allowed(prof, r) &&
	    prof->rule_on[R_ENDPOINT] && profile_rule_mode(prof, R_ENDPOINT) == POL_MODE_ENFORCE;
	if (c.tenant != NULL && !refused)
		tenant_precheck(&c);
	if (r != NULL && !c.need_lookup && !c.tenant_status && !refused)
		run_check(r, &c);
	if (c.tenant != NULL && !c.need_lookup && !c.tenant_status && !refused)
		tenant_quota(&c);
	if (c.need_lookup) {
		dec->verdict = POL_NEED_LOOKUP;
		goto out;
	}
	if (c.tenant_status) {
		tenant_deny(&c, dec, req, prof);
		goto out;
	}
	if (c.image[0] != '\0')
		dec->image = strdup(c.image);
	if (c.not_found && prof->mode == POL_MODE_ENFORCE) {
		deny(dec, 404, "%s%s", c.not_found_msg, "");
		goto out;
	}
	apply_exceptions(p, req, &c, dec);
	explain(&c, dec, req, prof, &nleft, &worst);
	if (nleft == 0 && !vs->overflow) {
		free(dec->message);
		dec->message = NULL;
		dec->verdict = POL_ALLOW;
	} else if (worst == POL_MODE_ENFORCE) {
		dec->verdict = POL_DENY;
		dec->status = 403;
		dec->mode = worst;   /* a rule that acts in every mode denied */
	} else {
		/* every violation acts in warn or audit mode: the decision is
		 * made in that mode (the audit line says which) */
		dec->mode = worst;
		if (worst == POL_MODE_WARN)
			warnings_from(&c, prof, dec);
		free(dec->message);
		dec->message = NULL;
		dec->verdict = POL_ALLOW;
	}
	/* a tenant's request goes on stamped with its label, its objects
	 * named by the full IDs that were judged */
	free(pp->fwd_body);
	pp->fwd_body = NULL;
	if (dec->verdict == POL_ALLOW && c.tenant != NULL &&
	    tenant_forward(&c, &dec->target) < 0) {
		dec->nrules = 0;
		tenant_deny(&c, dec, req, prof);
	}
out:
	/* only an allowed request forwards anything: the document judged */
	if (dec->verdict == POL_ALLOW && r != NULL && r->body != NULL && pp->body != NULL) {
		dec->body = pp->fwd_body != NULL ? pp->fwd_body : pp->body;
		dec->body_len = pp->fwd_body != NULL ? pp->fwd_body_len : pp->body_len;
	}

	if (dec->verdict == POL_ALLOW && dec->tenant != NULL)
		narrow_to_tenant(pp, req, prof, dec);
	if (vs != NULL)
		keep_spare((void **)&spare_vs, vs, sizeof *vs);
}

void
policy_decision_free(struct pol_decision *dec)
{
	free(dec->message);
	free(dec->image);
	free(dec->exception);
	free(dec->exception_reason);
	free(dec->target);
	for (size_t i = 0; i < dec->nwarnings; i++)
		free(dec->warnings[i]);
	free(dec->warnings);
	memset(dec, 0, sizeof *dec);
}

const char *
pol_rule_name(unsigned rule)
{
	return rule < R__COUNT ? rules[rule].id : "unknown";
}

size_t
pol_rules_join(const struct pol_decision *dec, char *out, size_t outlen)
{
	size_t off = 0;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	for (size_t i = 0; i < dec->nrules; i++) {
		int n = snprintf(out + off, outlen - off, "%s%s", i ? "," : "",
		    pol_rule_name(dec->rules[i]));
		if (n < 0 || (size_t)n >= outlen - off)
			return strlen(out);   /* truncated: the log line still shows the first */
		off += (size_t)n;
	}
	return off;
}
