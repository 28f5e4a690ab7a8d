/* eval.c - `sockward eval [-c FILE] [--identity ID] METHOD PATH [BODY-FILE|-]`.
 *
 * Runs the same policy_prepare()/policy_judge() as the daemon, without an engine: every
 * lookup the policy asks for is answered "undecided" (status 0), which the
 * policy treats as a denial with that reason.  CI pipelines use it to check
 * a create body offline. */
#include "daemon/cli/eval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "policy/identity_parse.h"
#include "policy/policy.h"

#define EVAL_DEFAULT_CONFIG "/etc/sockward/sockward.json"
#define EVAL_MAX_BODY       (1024 * 1024)
#define EVAL_MAX_ROUNDS     (POL_MAX_LOOKUPS + 1)

static int
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "sockward eval: %s\n", why);
	fprintf(stderr, "usage: sockward eval [-c FILE] [--identity ID] METHOD PATH "
	    "[BODY-FILE|-]\n"
	    "  ID: cn=NAME[,san=DNS:x] | uid=N[,gid=N][,user=U][,group=G] | insecure=ADDR\n");
	return 2;
}

/* Read the whole body; 1 when it is larger than the daemon would accept. */
static int
read_body(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 0, n = 0;
	char *buf = NULL;

	if (f == NULL) {
		fprintf(stderr, "sockward eval: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, cap + 1);
			if (nb == NULL)
				break;
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (n > EVAL_MAX_BODY || r == 0)
			break;
	}
	int bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (buf == NULL || bad) {
		free(buf);
		fprintf(stderr, "sockward eval: %s: read error\n", path);
		return -1;
	}
	*out = buf;
	*len = n;
	return n > EVAL_MAX_BODY ? 1 : 0;
}

static json_t *
load_policy_section(const char *file, int explicit, char *err, size_t errlen, json_t **root)
{
	json_error_t je;

	*root = NULL;
	if (!explicit && access(file, F_OK) != 0)
		return NULL;  /* no configuration: built-in defaults */
	if ((*root = json_load_file(file, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "%s:%d: %s", file, je.line, je.text);
		return (json_t *)-1;
	}
	if (!json_is_object(*root)) {
		snprintf(err, errlen, "%s: the configuration must be a JSON object", file);
		return (json_t *)-1;
	}
	return json_object_get(*root, "policy");
}

static const char *
verdict_name(enum pol_verdict v)
{
	return v == POL_ALLOW ? "allow" : v == POL_DENY ? "deny" : "undecided";
}

static void
print_decision(const struct pol_decision *d, struct pol_prepared *pp,
    const struct sw_identity *id)
{
	struct pol_lookup *lookups;
	size_t nlookups = policy_lookups(pp, &lookups);
	json_t *o = json_object(), *rules = json_array(), *warn = json_array(),
	    *lk = json_array();

	json_object_set_new(o, "verdict", json_string(verdict_name(d->verdict)));
	if (d->verdict == POL_DENY) {
		json_object_set_new(o, "status", json_integer(d->status));
		json_object_set_new(o, "message", json_string(d->message ? d->message : ""));
	}
	json_object_set_new(o, "identity", json_string(id->display));
	json_object_set_new(o, "endpoint", json_string(d->endpoint ? d->endpoint : "unknown"));
	json_object_set_new(o, "profile", json_string(d->profile ? d->profile : ""));
	json_object_set_new(o, "mode", json_string(pol_mode_name(d->mode)));
	for (size_t i = 0; i < d->nrules; i++)
		json_array_append_new(rules, json_string(pol_rule_name(d->rules[i])));
	json_object_set_new(o, "rules", rules);
	if (d->image)
		json_object_set_new(o, "image", json_string(d->image));
	if (d->exception) {
		json_object_set_new(o, "exception", json_string(d->exception));
		json_object_set_new(o, "exception_reason",
		    json_string(d->exception_reason ? d->exception_reason : ""));
	}
	for (size_t i = 0; i < d->nwarnings; i++)
		json_array_append_new(warn, json_string(d->warnings[i]));
	json_object_set_new(o, "warnings", warn);
	for (size_t i = 0; i < nlookups; i++) {
		json_t *l = json_object();
		json_object_set_new(l, "kind", json_string(pol_lookup_kind_name(lookups[i].kind)));
		json_object_set_new(l, "name", json_string(lookups[i].name));
		json_object_set_new(l, "result", json_string("undecided (no engine)"));
		json_array_append_new(lk, l);
	}
	json_object_set_new(o, "lookups", lk);
	if (d->body != NULL) {
		json_t *b = json_loadb(d->body, d->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (b != NULL)
			json_object_set_new(o, "forwarded_body", b);
	}
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s != NULL) {
		puts(s);
		free(s);
	}
	json_decref(o);
}

int
cmd_eval(int argc, char **argv)
{
	const char *config = EVAL_DEFAULT_CONFIG, *ident = "", *bodyfile = NULL;
	const char *pos[3];
	int explicit = 0, npos = 0, rc;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (++i == argc)
				return usage("-c needs a file");
			config = argv[i];
			explicit = 1;
		} else if (strcmp(argv[i], "--identity") == 0 || strcmp(argv[i], "-i") == 0) {
			if (++i == argc)
				return usage("--identity needs a value");
			ident = argv[i];
		} else if (strncmp(argv[i], "--identity=", 11) == 0) {
			ident = argv[i] + 11;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(NULL);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return usage("unknown option");
		} else if (npos == 3) {
			return usage("too many arguments");
		} else
			pos[npos++] = argv[i];
	}
	if (npos < 2)
		return usage("METHOD and PATH are required");
	if (npos == 3)
		bodyfile = pos[2];

	struct sw_identity id;
	if (sw_identity_parse(ident, &id, err, sizeof err) < 0)
		return usage(err);

	json_t *root;
	json_t *section = load_policy_section(config, explicit, err, sizeof err, &root);
	if (section == (json_t *)-1) {
		fprintf(stderr, "sockward eval: %s\n", err);
		json_decref(root);
		return 2;
	}
	struct pol_load_errors perr = { 0 };
	struct policy *pol = policy_load(section, &perr);
	json_decref(root);
	if (pol == NULL) {
		fputs("sockward eval: ", stderr);
		for (size_t i = 0; i < perr.n; i++)
			fprintf(stderr, "%s: %s\n", perr.v[i].path, perr.v[i].message);
		if (perr.n == 0)
			fputs("invalid policy\n", stderr);
		pol_load_errors_free(&perr);
		return 2;
	}

	char *body = NULL;
	size_t body_len = 0;
	if (bodyfile != NULL) {
		int r = read_body(bodyfile, &body, &body_len);
		if (r < 0) {
			policy_free(pol);
			return 2;
		}
		if (r > 0) {
			printf("{\n  \"verdict\": \"deny\",\n  \"status\": 413,\n  \"message\": "
			    "\"sockward: request body exceeds %d bytes\"\n}\n", EVAL_MAX_BODY);
			free(body);
			policy_free(pol);
			return 1;
		}
	}

	static const char ct_name[] = "Content-Type", ct_value[] = "application/json";
	struct pol_header hdr = { ct_name, sizeof ct_name - 1, ct_value, sizeof ct_value - 1 };
	struct pol_request req = {
		.headers = body ? &hdr : NULL, .nheaders = body ? 1 : 0,
		.has_body = body_len > 0, .body = body, .body_len = body_len,
		.identity = &id,
	};
	struct pol_prepared *pp = policy_prepare(pol, pos[0], pos[1]);
	struct pol_decision dec;

	if (pp == NULL) {
		fprintf(stderr, "sockward eval: out of memory\n");
		free(body);
		policy_free(pol);
		return 2;
	}
	for (int round = 0;; round++) {
		policy_judge(pol, pp, &req, &dec);
		if (dec.verdict != POL_NEED_LOOKUP || round == EVAL_MAX_ROUNDS)
			break;
		policy_decision_free(&dec);
		struct pol_lookup *lookups;
		size_t n = policy_lookups(pp, &lookups);
		for (size_t i = 0; i < n; i++)
			if (!lookups[i].done) {
				lookups[i].done = 1;
				lookups[i].status = 0;   /* no engine: undecided */
			}
	}
	/* an archive upload: its tar body is judged as the daemon streams it */
	if (dec.verdict == POL_ALLOW && body != NULL && policy_archive_wanted(pp)) {
		struct pol_archive *a = policy_archive_begin(pp);
		if (a == NULL) {
			fprintf(stderr, "sockward eval: out of memory\n");
			policy_decision_free(&dec);
			policy_prepared_free(pp);
			free(body);
			policy_free(pol);
			return 2;
		}
		if (policy_archive_feed(a, body, body_len, &dec) == POL_ARCHIVE_OK)
			policy_archive_end(a, &dec);
		policy_archive_free(a);
	}
	print_decision(&dec, pp, &id);   /* dec.body points into pp */
	rc = dec.verdict == POL_ALLOW ? 0 : 1;
	policy_decision_free(&dec);
	policy_prepared_free(pp);
	free(body);
	policy_free(pol);
	return rc;
}
