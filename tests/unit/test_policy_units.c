/* test_policy_units.c - the policy's building blocks: Go key folding,
 * request-target decoding, routing, root users and configuration errors. */
#include <check.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/types.h>
#include <string.h>

#include <jansson.h>

#include "policy/checks.h"
#include "policy/gofold.h"
#include "policy/gotypes.h"
#include "policy/rules.h"
#include "policy/policy.h"
#include "policy/reqtarget.h"
#include "policy/routes.h"
#include "policy/strlist.h"

START_TEST(fold_matches_go)
{
	static const struct { const char *key, *field; int eq; } t[] = {
		{ "hostconfig", "HostConfig", 1 }, { "HOSTCONFIG", "HostConfig", 1 },
		{ "Ho\xc5\xbftconfig", "HostConfig", 1 },             /* U+017F */
		{ "Networ\xe2\x84\xaaMode", "NetworkMode", 1 },       /* U+212A */
		{ "HostConfi", "HostConfig", 0 }, { "HostConfigX", "HostConfig", 0 },
		{ "Host\xc3\x9f", "HostS", 0 },                       /* U+00DF is not s */
		{ "privileged", "Privileged", 1 }, { "", "", 1 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_msg(gofold_equal(t[i].key, strlen(t[i].key), t[i].field) == t[i].eq,
		    "%s vs %s", t[i].key, t[i].field);
}
END_TEST

/* strings.ToUpper as dockerd upper-cases capability names and swarm a
 * mount's Type: U+0131 and U+017F become ASCII, U+212A (already upper) and
 * U+00DF (no single upper case) do not */
START_TEST(toupper_matches_go)
{
	static const struct { const char *s, *up; int eq; } t[] = {
		{ "sys_admin", "SYS_ADMIN", 1 }, { "\xc5\xbfys_adm\xc4\xb1n", "SYS_ADMIN", 1 },
		{ "b\xc4\xb1nd", "BIND", 1 }, { "\xe2\x84\xaaill", "KILL", 0 },
		{ "cla\xc3\x9f", "CLASS", 0 }, { "bind", "BINDS", 0 }, { "", "", 1 },
	};
	char out[64];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_msg(go_toupper_equal(t[i].s, t[i].up) == t[i].eq, "%s vs %s", t[i].s,
		    t[i].up);
		go_toupper(t[i].s, out, sizeof out);
		ck_assert_msg((strcmp(out, t[i].up) == 0) == t[i].eq, "%s -> %s", t[i].s, out);
	}
	go_toupper("\xc5\xbfys", out, 3);   /* cut to len - 1 bytes */
	ck_assert_str_eq(out, "SY");
}
END_TEST

/* Go's path.Clean, relative paths included */
START_TEST(path_clean_matches_go)
{
	static const struct { const char *in, *out; } t[] = {
		{ "", "." }, { "/", "/" }, { "//a//b/", "/a/b" }, { "/a/./b/../c", "/a/c" },
		{ "/../..", "/" }, { "/tenants/a/../../x", "/x" }, { "a/../../b", "../b" },
		{ "../../a", "../../a" }, { "./", "." }, { "a/..", "." }, { "..a/.b", "..a/.b" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		ck_assert_int_eq(go_path_clean(t[i].in, out, sizeof out), 0);
		ck_assert_msg(strcmp(out, t[i].out) == 0, "%s -> %s, want %s", t[i].in, out,
		    t[i].out);
	}
	ck_assert_int_eq(go_path_clean("/abc", out, 5), -1);
	ck_assert_int_eq(go_path_clean("/abc", out, 6), 0);
}
END_TEST

START_TEST(target_decoding)
{
	struct reqtarget rt;
	char err[128];

	ck_assert_int_eq(reqtarget_parse("/v1.41/images/a%20b/json?x=1&x=2&y=%41+B", &rt, err,
	    sizeof err), 0);
	ck_assert_str_eq(rt.path, "/images/a b/json");
	ck_assert_int_eq(rt.major, 1);
	ck_assert_int_eq(rt.minor, 41);
	ck_assert_str_eq(reqtarget_get(&rt, "x"), "1");
	ck_assert_str_eq(reqtarget_get(&rt, "y"), "A B");
	ck_assert_int_eq(reqtarget_parse("/v1.41/a%2fb", &rt, err, sizeof err), -1);
	ck_assert_int_eq(reqtarget_parse("/v1.41/a%2", &rt, err, sizeof err), -1);
	ck_assert_int_eq(reqtarget_parse("/v1.41/a?x=%zz", &rt, err, sizeof err), -1);
	ck_assert_int_eq(reqtarget_parse("/v1.41/a#frag", &rt, err, sizeof err), -1);
	ck_assert_int_eq(reqtarget_parse("http://x/v1.41/a", &rt, err, sizeof err), -1);
	ck_assert_int_eq(reqtarget_parse("/v1.x/info", &rt, err, sizeof err), 0);
	ck_assert_int_eq(rt.has_version, 0);   /* not a version: a path */
	ck_assert_int_eq(reqtarget_parse("/v1./info", &rt, err, sizeof err), -1);
	/* the struct is not zeroed whole: what a parse leaves is reset by the
	 * next one (the daemon's prepared requests are reused) */
	memset(&rt, 0x5a, sizeof rt);
	ck_assert_int_eq(reqtarget_parse("/v1.41/a?x=1&y=2", &rt, err, sizeof err), 0);
	ck_assert_uint_eq(rt.nparams, 2);
	ck_assert_int_eq(reqtarget_parse("/b", &rt, err, sizeof err), 0);
	ck_assert_str_eq(rt.path, "/b");
	ck_assert_int_eq(rt.has_version, 0);
	ck_assert_int_eq(rt.major, 0);
	ck_assert_int_eq(rt.minor, 0);
	ck_assert_uint_eq(rt.nparams, 0);
	ck_assert_ptr_null(reqtarget_get(&rt, "x"));
	ck_assert_int_eq(reqtarget_parse("/v1.41/a?x=1", &rt, err, sizeof err), 0);
	ck_assert_int_eq(reqtarget_parse("/c\x01", &rt, err, sizeof err), -1);
	ck_assert_str_eq(rt.path, "");
	ck_assert_uint_eq(rt.nparams, 0);
	ck_assert_int_eq(rt.has_version, 0);
}
END_TEST

/* policy_prepared_wants_body of a freshly prepared request */
static int
wants_body(const char *method, const char *target)
{
	struct pol_prepared *pp = policy_prepare(NULL, method, target);
	ck_assert_ptr_nonnull(pp);
	int w = policy_prepared_wants_body(pp);
	policy_prepared_free(pp);
	return w;
}

START_TEST(routing)
{
	char name[ROUTE_MAX_NAME];
	const struct route *r;

	r = route_find("GET", "/images/reg.example:5000/team/app:1/json", name, sizeof name);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->endpoint, "image.inspect");
	ck_assert_str_eq(name, "reg.example:5000/team/app:1");
	r = route_find("GET", "/images/json", name, sizeof name);
	ck_assert_str_eq(r->endpoint, "image.list");
	r = route_find("POST", "/containers/abc/exec", name, sizeof name);
	ck_assert_str_eq(r->endpoint, "exec.create");
	ck_assert_str_eq(name, "abc");
	ck_assert_ptr_null(route_find("PATCH", "/containers/abc", name, sizeof name));
	ck_assert_ptr_null(route_find("GET", "/containers/abc/json/x", name, sizeof name));
	ck_assert_int_eq(wants_body("POST", "/v1.41/containers/create?name=x"), 1);
	ck_assert_int_eq(wants_body("POST", "/v1.41/containers/x/start"), 1);
	ck_assert_int_eq(wants_body("POST", "/v1.41/build"), 0);
	ck_assert_int_eq(wants_body("GET", "/v1.41/containers/json"), 0);
}
END_TEST

START_TEST(root_users)
{
	static const char *const root[] = { "root", "0", "00", "0:0", "root:root", "+0", "-0",
	    ":1000", "0:1000" };
	static const char *const not_root[] = { "1000", "1000:0", "nobody", "rooter", "10" };
	for (size_t i = 0; i < sizeof root / sizeof root[0]; i++)
		ck_assert_msg(user_is_root(root[i], strlen(root[i])), "%s", root[i]);
	for (size_t i = 0; i < sizeof not_root / sizeof not_root[0]; i++)
		ck_assert_msg(!user_is_root(not_root[i], strlen(not_root[i])), "%s", not_root[i]);
}
END_TEST

START_TEST(user_classes)
{
	static const struct { const char *u; enum user_class k; } cases[] = {
		{ "1000", USER_NOGROUP }, { "1000:1000", USER_OK }, { "+1000:1000", USER_OK },
		{ "1000:1000:x", USER_OK }, { "1000:0:x", USER_GID0 }, { "1000::", USER_NOGROUP },
		{ "+1000", USER_NOGROUP }, { "-0:1000", USER_ROOT },
		{ "root", USER_ROOT }, { "0", USER_ROOT }, { ":1000", USER_ROOT },
		{ "0:1000", USER_ROOT }, { "1000:0", USER_GID0 }, { "1000:00", USER_GID0 },
		{ "1000:root", USER_GID0 }, { "nobody", USER_NAME }, { "1000:wheel", USER_NAME },
		{ "app:1000", USER_NAME }, { "1000:", USER_NOGROUP }, { "rooter", USER_NAME },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(user_classify(cases[i].u, strlen(cases[i].u)) == cases[i].k,
		    "%s: class %d, want %d", cases[i].u,
		    user_classify(cases[i].u, strlen(cases[i].u)), cases[i].k);
	/* GroupAdd entries: numeric is an id, 0 or root is group 0, a name is
	 * resolved only by the image's /etc/group */
	static const struct { const char *g; enum user_class k; } groups[] = {
		{ "1000", USER_OK }, { "+1000", USER_OK }, { "0", USER_GID0 }, { "00", USER_GID0 },
		{ "-0", USER_GID0 }, { "root", USER_GID0 }, { "wheel", USER_NAME }, { "", USER_NAME },
		{ "Root", USER_NAME },
	};
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		ck_assert_msg(group_classify(groups[i].g, strlen(groups[i].g)) == groups[i].k,
		    "group %s: class %d, want %d", groups[i].g,
		    group_classify(groups[i].g, strlen(groups[i].g)), groups[i].k);
	char fix[32];
	user_fix("1000", 4, fix, sizeof fix);
	ck_assert_str_eq(fix, "1000:1000");
	user_fix("0:0", 3, fix, sizeof fix);
	ck_assert_str_eq(fix, "1000:1000");
	user_fix("app", 3, fix, sizeof fix);
	ck_assert_str_eq(fix, "1000:1000");
	user_fix("4242:0", 6, fix, sizeof fix);
	ck_assert_str_eq(fix, "4242:4242");
}
END_TEST

/* Every field of every request type says which rule judges it or why it is
 * harmless (gotypes.h); a field added without a note, or naming a rule id
 * that does not exist, fails here. */
static void
check_field_notes(const struct gotype *t, const char *where, int depth)
{
	if (t == NULL || depth > 20)
		return;
	if (t->kind == GO_SLICE || t->kind == GO_ARRAY2 || t->kind == GO_MAP) {
		check_field_notes(t->elem, where, depth + 1);
		return;
	}
	if (t->kind != GO_STRUCT)
		return;
	const struct gofield *lists[1 + GOSTRUCT_MAX_PROMOTED] = { t->st->fields };
	for (size_t i = 0; i < GOSTRUCT_MAX_PROMOTED; i++)
		lists[i + 1] = t->st->promoted[i];
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		for (const struct gofield *f = lists[l]; f != NULL && f->name != NULL; f++) {
			char at[300];
			const char *n = f->judged;
			snprintf(at, sizeof at, "%s.%s", where, f->name);
			ck_assert_msg(n != NULL, "%s: no note (which rule judges it, or why it is "
			    "harmless)", at);
			if (strncmp(n, "rule:", 5) == 0) {
				char ids[300], *save = NULL;
				snprintf(ids, sizeof ids, "%s", n + 5);
				ck_assert_msg(ids[0] != '\0', "%s: empty rule list", at);
				for (char *id = strtok_r(ids, ",", &save); id; id = strtok_r(NULL, ",", &save))
					ck_assert_msg(rule_lookup(id) >= 0, "%s: unknown rule id %s", at, id);
			} else if (strncmp(n, "harmless: ", 10) == 0) {
				ck_assert_msg(strlen(n) > 15, "%s: say why it is harmless", at);
			} else {
				ck_assert_msg(strcmp(n, FIELDS) == 0, "%s: bad note '%s'", at, n);
				const struct gotype *e = f->type;
				while (e->kind == GO_SLICE || e->kind == GO_MAP || e->kind == GO_ARRAY2)
					e = e->elem;
				ck_assert_msg(e->kind == GO_STRUCT, "%s: \"fields\" on a field that has "
				    "none", at);
			}
			check_field_notes(f->type, at, depth + 1);
		}
}

/* The decoder tries each table of a struct where its last match left off
 * before searching them in Go's order (gotypes.c find_field): that is only
 * Go's answer when no name is in two tables of one struct. */
static void
check_distinct_names(const struct gotype *t, int depth)
{
	if (t == NULL || depth > 20)
		return;
	if (t->kind == GO_SLICE || t->kind == GO_ARRAY2 || t->kind == GO_MAP) {
		check_distinct_names(t->elem, depth + 1);
		return;
	}
	if (t->kind != GO_STRUCT)
		return;
	const struct gofield *lists[1 + GOSTRUCT_MAX_PROMOTED] = { t->st->fields };
	for (size_t i = 0; i < GOSTRUCT_MAX_PROMOTED; i++)
		lists[i + 1] = t->st->promoted[i];
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
		size_t n = 0;
		for (const struct gofield *f = lists[l]; f != NULL && f->name != NULL; f++)
			n++;
		/* gotypes.c keeps a bit per field of a table, 256 of them */
		ck_assert_msg(n <= 256, "%s: %zu fields in one table", t->st->name, n);
	}
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		for (const struct gofield *f = lists[l]; f != NULL && f->name != NULL; f++) {
			for (size_t m = l; m < sizeof lists / sizeof lists[0]; m++)
				for (const struct gofield *g = m == l ? f + 1 : lists[m];
				    g != NULL && g->name != NULL; g++)
					ck_assert_msg(strcmp(f->name, g->name) != 0, "%s: %s twice",
					    t->st->name, f->name);
			check_distinct_names(f->type, depth + 1);
		}
}

/* Whether key folds to a name of one of st's tables. */
static int
folds_to_a_field(const struct gostruct *st, const char *key)
{
	const struct gofield *lists[1 + GOSTRUCT_MAX_PROMOTED] = { st->fields };
	for (size_t i = 0; i < GOSTRUCT_MAX_PROMOTED; i++)
		lists[i + 1] = st->promoted[i];
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		for (const struct gofield *f = lists[l]; f != NULL && f->name != NULL; f++)
			if (gofold_equal(key, strlen(key), f->name))
				return 1;
	return 0;
}

/* The decoder finds a key among a table's names by their lengths, measured
 * once per table (gotypes.c table_lens): every name of every table of every
 * struct is found, spelled exactly (the key kept as it is) or in lower case
 * (renamed to the field), and a name one byte longer or shorter is not,
 * unless it is (or folds to) another field's. */
static void
check_every_name_is_found(const struct gotype *t, int depth, size_t *n)
{
	if (t == NULL || depth > 20)
		return;
	if (t->kind == GO_SLICE || t->kind == GO_ARRAY2 || t->kind == GO_MAP) {
		check_every_name_is_found(t->elem, depth + 1, n);
		return;
	}
	if (t->kind != GO_STRUCT)
		return;
	/* the struct alone: no finish (the create's moves keys into HostConfig) */
	struct gostruct bare = *t->st;
	bare.finish = NULL;
	const struct gotype bt = { GO_STRUCT, NULL, &bare };
	const struct gofield *lists[1 + GOSTRUCT_MAX_PROMOTED] = { t->st->fields };
	for (size_t i = 0; i < GOSTRUCT_MAX_PROMOTED; i++)
		lists[i + 1] = t->st->promoted[i];
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
		for (const struct gofield *f = lists[l]; f != NULL && f->name != NULL; f++) {
			char variants[4][300], err[GODEC_ERRLEN];
			size_t nl = strlen(f->name);
			ck_assert_uint_lt(nl, 290);
			snprintf(variants[0], sizeof variants[0], "%s", f->name);
			for (size_t k = 0; k <= nl; k++)
				variants[1][k] = (char)tolower((unsigned char)f->name[k]);
			snprintf(variants[2], sizeof variants[2], "%sQ", f->name);
			snprintf(variants[3], sizeof variants[3], "%.*s", (int)(nl - 1), f->name);
			for (int v = 0; v < 4; v++) {
				json_t *in = json_object(), *out;
				ck_assert_int_eq(json_object_set_new(in, variants[v], json_null()), 0);
				out = godecode(&bt, in, err, sizeof err);
				ck_assert_msg(out != NULL, "%s.%s: %s", t->st->name, variants[v], err);
				int want = v < 2 || folds_to_a_field(t->st, variants[v]);
				ck_assert_msg((json_object_size(out) == 1) == want, "%s: key %s %s",
				    t->st->name, variants[v], want ? "lost" : "kept");
				if (v < 2)
					ck_assert_ptr_nonnull(json_object_get(out, f->name));
				json_decref(in);
				json_decref(out);
			}
			(*n)++;
			check_every_name_is_found(f->type, depth + 1, n);
		}
}

START_TEST(every_field_name_is_found)
{
	size_t n = 0;
	for (const struct gotype *const *t = go_all_types; *t != NULL; t++)
		check_every_name_is_found(*t, 0, &n);
	ck_assert_uint_ge(n, 300);
}
END_TEST

START_TEST(struct_names_are_distinct)
{
	size_t n = 0;
	for (const struct gotype *const *t = go_all_types; *t != NULL; t++, n++)
		check_distinct_names(*t, 0);
	ck_assert_uint_ge(n, 7);
}
END_TEST

/* viol_format prints what vsnprintf prints, at every buffer size (the
 * truncation too), for the formats it handles itself and for the ones it
 * hands to vsnprintf. */
static void
same_as_vsnprintf(const char *fmt, ...)
{
	char want[256], got[256];
	va_list ap, aq;

	for (size_t cap = 1; cap <= sizeof want; cap++) {
		memset(want, 'W', sizeof want);
		memset(got, 'G', sizeof got);
		va_start(ap, fmt);
		va_copy(aq, ap);
		vsnprintf(want, cap, fmt, ap);
		viol_format(got, cap, fmt, aq);
		va_end(aq);
		va_end(ap);
		ck_assert_msg(memcmp(want, got, strlen(want) + 1) == 0, "%s at %zu: '%s' != '%s'",
		    fmt, cap, want, got);
	}
}

START_TEST(rule_texts_format_like_vsnprintf)
{
	same_as_vsnprintf("no conversion at all");
	same_as_vsnprintf("");
	same_as_vsnprintf("%s", "");
	same_as_vsnprintf("%s %s (%s) is not allowed%s", "POST", "/v1.41/containers/create",
	    "container create", "");
	same_as_vsnprintf("Memory %lld is above %lld; 100%% of %s", (long long)1 << 40,
	    (long long)-9223372036854775807LL - 1, "the limit");
	same_as_vsnprintf("%d %d %d %u %u", 0, -1, 2147483647, 0u, 4294967295u);
	same_as_vsnprintf("%ld %lu %zu %zd %llu", -42L, 42UL, (size_t)-1, (ssize_t)-7,
	    18446744073709551615ULL);
	same_as_vsnprintf("%s and %s", "a", (const char *)NULL);
	same_as_vsnprintf("trailing %%");
	/* %c and %.*s (env names, user:group, sizes) */
	same_as_vsnprintf("%lld%c|%c|%c%c", 64LL, 'm', 'b', '%', 'x');
	same_as_vsnprintf("%.*s:%.*s|%.*s|%.*s|%.*s", 3, "abcdef", 0, "abc", 10, "abc", -1,
	    "whole string", 2, "a\0bc");
	same_as_vsnprintf("[%.*s][%.*s][%.*s][%.*s]", 3, (const char *)NULL, 5, (const char *)NULL,
	    6, (const char *)NULL, -4, (const char *)NULL);
	same_as_vsnprintf("%s%.*s%c%d", "x", 200, "long enough to be cut at small buffer sizes", 'q',
	    -5);
	/* handed to vsnprintf */
	same_as_vsnprintf("%5d|%-3s|%x|%c|%.2s|%g", 7, "a", 255u, 'z', "abc", 1.5);
	same_as_vsnprintf("%%%s%%", "x");
	/* handed over after conversions it printed: vsnprintf starts afresh */
	same_as_vsnprintf("%s %d %c %.*s %x %s", "a", 5, 'c', 2, "xyz", 255u, "b");
	same_as_vsnprintf("%s|%.*d|%lld", "x", 3, 5, -1LL);
	same_as_vsnprintf("%zu then %5s", (size_t)12, "pad");
}
END_TEST

/* strlist_match compares a pattern's literal head itself and asks fnmatch
 * only past it: the same answers as fnmatch(pattern, s, 0) for a corpus
 * (the profiles' kind of patterns, escapes, brackets, bytes >= 0x80) and for
 * 50,000 random pairs over the special characters. */
static void
same_as_fnmatch(const char *pat, const char *str)
{
	struct strlist l = { 0 };

	ck_assert_int_eq(strlist_add(&l, pat), 0);
	ck_assert_msg(strlist_match(&l, str) == (fnmatch(pat, str, 0) == 0), "'%s' on '%s'", pat,
	    str);
	strlist_free(&l);
}

START_TEST(list_patterns_match_like_fnmatch)
{
	static const char *const pats[] = {
		"", "a", "abc", "a*", "*", "a?c", "a[bc]d", "a\\*b", "a\\", "\\", "[", "a[", "a[!b]c",
		"net.ipv4.ip_*", "kernel.shm*", "container.*", "local/*", "*/busybox:*",
		"caf\xc3\xa9*", "\xc3", "image.pull", "exec.*", NULL
	};
	static const char *const strs[] = {
		"", "a", "ab", "abc", "abcd", "a*b", "a\\*b", "a\\", "\\", "[", "a[", "abd", "acd", "axc",
		"net.ipv4.ip_forward", "net.ipv4", "kernel.shmmax", "container.create", "container",
		"local/busybox:1.36", "docker.io/library/busybox:1", "caf\xc3\xa9", "caf\xc3\xa9s",
		"\xc3", "image.pull", "exec.start", NULL
	};
	static const char alphabet[] = "ab*?[]!\\.";
	unsigned long long x = 88172645463325252ULL;

	for (size_t i = 0; pats[i] != NULL; i++)
		for (size_t k = 0; strs[k] != NULL; k++)
			same_as_fnmatch(pats[i], strs[k]);
	for (int i = 0; i < 50000; i++) {
		char p[8], t[8];
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		size_t pl = x % 7, tl = (x >> 3) % 7;
		for (size_t j = 0; j < pl; j++)
			p[j] = alphabet[(x >> (6 + 3 * j)) % (sizeof alphabet - 1)];
		for (size_t j = 0; j < tl; j++)
			t[j] = alphabet[(x >> (30 + 3 * j)) % 3 == 0 ? 0 : (x >> (31 + 2 * j)) % (sizeof alphabet - 1)];
		p[pl] = '\0';
		t[tl] = '\0';
		same_as_fnmatch(p, t);
	}
}
END_TEST

START_TEST(every_field_has_a_note)
{
	size_t n = 0;
	for (const struct gotype *const *t = go_all_types; *t != NULL; t++, n++)
		check_field_notes(*t, (*t)->st->name, 0);
	ck_assert_uint_ge(n, 7);
}
END_TEST

static void
config_error(const char *text, const char *want)
{
	struct pol_load_errors errs = { 0 };
	char err[1024] = "";
	json_t *j = json_loads(text, 0, NULL);
	ck_assert_msg(j != NULL, "bad test json %s", text);
	struct policy *p = policy_load(j, &errs);
	ck_assert_msg(p == NULL, "accepted %s", text);
	ck_assert_uint_gt(errs.n, 0);
	for (size_t i = 0; i < errs.n; i++)   /* "path: message" per line, as --check-config */
		snprintf(err + strlen(err), sizeof err - strlen(err), "%s%s: %s", i ? "\n" : "",
		    errs.v[i].path, errs.v[i].message);
	ck_assert_msg(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
	pol_load_errors_free(&errs);
	json_decref(j);
}

START_TEST(config_errors_name_the_key)
{
	config_error("{\"profile\":{}}", "policy.profile: unknown key");
	config_error("{\"profiles\":{\"a\":{\"memory\":1}}}", "policy.profiles.a.memory: unknown key");
	config_error("{\"profiles\":{\"a\":{\"memory_max\":\"4x\"}}}", "policy.profiles.a.memory_max");
	config_error("{\"profiles\":{\"a\":{\"base\":\"nope\"}}}", "policy.profiles.a.base");
	config_error("{\"profiles\":{\"a\":{\"rules\":{\"privileged\":1}}}}", "policy.profiles.a.rules.privileged");
	config_error("{\"profiles\":{\"a\":{\"rules\":{\"nope\":true}}}}", "unknown rule id");
	config_error("{\"default_profile\":\"x\"}", "policy.default_profile");
	config_error("{\"bindings\":[{\"match\":{\"cn\":\"a\"},\"profile\":\"zz\"}]}", "policy.bindings[0].profile");
	config_error("{\"bindings\":[{\"match\":{\"nick\":\"a\"},\"profile\":\"baseline\"}]}", "policy.bindings[0].match.nick");
	config_error("{\"bindings\":[{\"match\":{\"cn\":\"a\"},\"profile\":\"baseline\",\"tenant\":\"Web\"}]}",
	    "policy.bindings[0].tenant: want a tenant name");
	config_error("{\"bindings\":[{\"match\":{\"cn\":\"a\"},\"profile\":\"baseline\",\"tenant\":\"-web\"}]}",
	    "policy.bindings[0].tenant");
	config_error("{\"bindings\":[{\"match\":{\"cn\":\"a\"},\"profile\":\"baseline\",\"tenant\":7}]}",
	    "policy.bindings[0].tenant");
	config_error("{\"exceptions\":[{\"rule\":\"privileged\",\"identity\":\"*\"}]}", "policy.exceptions[0].reason");
	/* keys of two identity kinds: matched on one kind's keys alone, the
	 * object bound more than it says (every ci-* cert, every insecure client) */
	config_error("{\"bindings\":[{\"match\":{\"cn\":\"ci-*\",\"uid\":0},\"profile\":\"baseline\"}]}",
	    "policy.bindings[0].match: mixes certificate (cn, san), unix peer");
	config_error("{\"bindings\":[{\"match\":{\"insecure\":true,\"cn\":\"x\"},\"profile\":\"baseline\"}]}",
	    "policy.bindings[0].match: mixes");
	config_error("{\"bindings\":[{\"match\":{\"san\":\"DNS:a\",\"group\":\"g\"},\"profile\":\"baseline\"}]}",
	    "policy.bindings[0].match: mixes");
	config_error("{\"exceptions\":[{\"rule\":\"privileged\",\"identity\":{\"user\":\"u\",\"insecure\":true},"
	    "\"reason\":\"r\"}]}", "policy.exceptions[0].identity: mixes");
	config_error("{\"api\":{\"max_version\":\"1.99\"}}", "policy.api.max_version");
}
END_TEST

START_TEST(defaults_load)
{
	struct pol_load_errors errs = { 0 };
	struct policy *p = policy_load(NULL, &errs);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(errs.n, 0);
	policy_free(p);
	json_t *j = json_loads("{\"api\":{\"min_version\":\"1.30\"},\"default_profile\":\"baseline\","
	    "\"profiles\":{\"x\":{\"base\":\"baseline\",\"mode\":\"warn\",\"cpus_max\":\"1.5\"}}}", 0, NULL);
	p = policy_load(j, &errs);
	ck_assert_msg(p != NULL, "%s: %s", errs.n ? errs.v[0].path : "", errs.n ? errs.v[0].message : "");
	policy_free(p);
	json_decref(j);
}
END_TEST

Suite *
policy_units_suite(void)
{
	Suite *s = suite_create("policy_units");
	TCase *tc = tcase_create("units");
	tcase_add_test(tc, fold_matches_go);
	tcase_add_test(tc, toupper_matches_go);
	tcase_add_test(tc, path_clean_matches_go);
	tcase_add_test(tc, target_decoding);
	tcase_add_test(tc, routing);
	tcase_add_test(tc, root_users);
	tcase_add_test(tc, user_classes);
	tcase_add_test(tc, every_field_has_a_note);
	tcase_add_test(tc, struct_names_are_distinct);
	tcase_add_test(tc, rule_texts_format_like_vsnprintf);
	tcase_add_test(tc, list_patterns_match_like_fnmatch);
	tcase_add_test(tc, every_field_name_is_found);
	tcase_add_test(tc, config_errors_name_the_key);
	tcase_add_test(tc, defaults_load);
	suite_add_tcase(s, tc);
	return s;
}
