/* test_policy_scans.c - what a body can make the policy do is linear in the
 * body.  Each scan that was quadratic (or worse) in something a client
 * sends is run here on an input that took the old code minutes, and its
 * outcome is checked against the plain rule: the env.secrets detectors
 * against the first, quadratic versions (kept below as the reference) on
 * random values; the tenant stamps and the --volumes-from check on big
 * bodies built from the table cases of tests/policy/tenants.json, whose
 * outcomes they keep; GroupAdd names resolved together against each
 * resolved alone.  A scan that goes quadratic again runs into the
 * test's timeout. */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/checks.h"
#include "policy/passwd.h"
#include "tests/unit/policy_case.h"

/* ---- env.secrets ---------------------------------------------------------- */

#define UPPER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define B64URL ALNUM "-_"

static size_t
ref_run(const char *s, const char *set)
{
	size_t n = 0;
	while (s[n] != '\0' && strchr(set, s[n]) != NULL)
		n++;
	return n;
}

/* The rules as first written: at every position, the prefix and the run
 * after it. */
static int
ref_aws(const char *v)
{
	static const char *const prefixes[] = {
		"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA", NULL
	};
	for (const char *p = v; *p != '\0'; p++)
		for (size_t i = 0; prefixes[i] != NULL; i++)
			if (strncmp(p, prefixes[i], 4) == 0 && ref_run(p + 4, UPPER_DIGITS) >= 16 &&
			    (p == v || !isalnum((unsigned char)p[-1])))
				return 1;
	return 0;
}

static int
ref_token(const char *v, const char *prefix, const char *set, size_t min)
{
	size_t pl = strlen(prefix);
	for (const char *p = strstr(v, prefix); p != NULL; p = strstr(p + 1, prefix))
		if (ref_run(p + pl, set) >= min && (p == v || !isalnum((unsigned char)p[-1])))
			return 1;
	return 0;
}

static int
ref_jwt(const char *v)
{
	for (const char *p = strstr(v, "eyJ"); p != NULL; p = strstr(p + 1, "eyJ")) {
		size_t a = ref_run(p, B64URL);
		if (a < 10 || p[a] != '.' || strncmp(p + a + 1, "eyJ", 3) != 0)
			continue;
		size_t b = ref_run(p + a + 1, B64URL);
		if (b < 10 || p[a + 1 + b] != '.')
			continue;
		if (ref_run(p + a + 2 + b, B64URL) >= 10)
			return 1;
	}
	return 0;
}

/* What env_value_kind says of variable X=v, for values made of the pieces
 * below (no '=', no PEM, no service account, not 88 bytes of base64: only
 * the three detectors can fire) */
static const char *
ref_kind(const char *v)
{
	static const char *const gh[] = { "ghp_", "gho_", "ghu_", "ghs_", "ghr_", NULL };
	if (strlen(v) < 11)
		return NULL;
	if (ref_aws(v))
		return "cloud access key";
	for (size_t i = 0; gh[i] != NULL; i++)
		if (ref_token(v, gh[i], ALNUM, 30))
			return "token";
	if (ref_token(v, "github_pat_", ALNUM "_", 22) || ref_token(v, "glpat-", B64URL, 20) ||
	    ref_token(v, "xoxb-", ALNUM "-", 10) || ref_token(v, "xoxp-", ALNUM "-", 10) ||
	    ref_token(v, "xoxa-", ALNUM "-", 10) || ref_token(v, "xoxr-", ALNUM "-", 10) ||
	    ref_token(v, "xoxs-", ALNUM "-", 10) || ref_jwt(v))
		return "token";
	return NULL;
}

static int
same_kind(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

START_TEST(env_detectors_agree_with_the_rules_as_first_written)
{
	static const char *const pieces[] = {
		"AKIA", "ASIA", "APKA", "eyJ", "glpat-", "ghp_", "github_pat_", "xoxb-", "xoxs-",
		".", "-", "_", " ", "x", "Q", "7", "ABCDEFGH", "abcdefgh", "0123456789", ":",
		"AKIAABCDEFGHIJKLMNOP", "eyJabcdefghij.eyJabcdefghij.abcdefghij",
	};
	enum { NP = sizeof pieces / sizeof pieces[0] };
	char v[700];
	unsigned seed = 12345;
	int fired = 0;

	for (int round = 0; round < 40000; round++) {
		size_t len = 0;
		seed = seed * 1103515245u + 12345u;
		int n = 1 + (int)((seed >> 16) % 24);
		for (int k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			const char *p = pieces[(seed >> 16) % NP];
			/* a run of one piece, as the patterns repeat */
			int times = 1 + (int)((seed >> 8) % 6);
			for (int t = 0; t < times && len + strlen(p) < sizeof v - 1; t++) {
				memcpy(v + len, p, strlen(p));
				len += strlen(p);
			}
		}
		v[len] = '\0';
		const char *want = ref_kind(v), *got = env_value_kind("X", 1, v);
		fired += want != NULL;
		ck_assert_msg(same_kind(want, got), "X=%s: %s, the rule says %s", v,
		    got ? got : "nothing", want ? want : "nothing");
	}
	ck_assert_int_gt(fired, 1000);   /* the values do reach the patterns */
}
END_TEST

/* n bytes of piece repeated (after lead), NUL-terminated */
static char *
repeated(const char *lead, const char *piece, size_t n)
{
	size_t ll = strlen(lead), pl = strlen(piece);
	char *s = malloc(n + ll + pl + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, lead, ll);
	size_t len = ll;
	while (len < ll + n) {
		memcpy(s + len, piece, pl);
		len += pl;
	}
	s[len] = '\0';
	return s;
}

/* 256 KiB values of one prefix over and over: each took the first
 * detectors more than a minute (a run measured at every occurrence; 1 MiB,
 * the default body limit, ~17 minutes). */
START_TEST(env_detectors_take_a_long_value_in_one_pass)
{
	static const struct { const char *lead, *piece, *kind; } t[] = {
		{ "", "AKIA", "cloud access key" },   /* an id at the start, and its run */
		{ "x", "AKIA", NULL },                /* "xAKIA...": preceded by a letter */
		{ "", "eyJ", NULL },                  /* no dot: never a JWT */
		{ "", "eyJabcdefghij.", "token" },
		{ "", "glpat-", "token" },
		{ "", "ghp_", NULL },                 /* '_' ends the run of ALNUM */
		{ "", "xoxb-", "token" },
		{ "", "github_pat_", "token" },
		{ "", "-", NULL },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *v = repeated(t[i].lead, t[i].piece, 256u << 10);
		ck_assert_msg(same_kind(env_value_kind("X", 1, v), t[i].kind), "%s%s...",
		    t[i].lead, t[i].piece);
		free(v);
	}
}
END_TEST

/* ---- tenant stamps and --volumes-from ------------------------------------- */

static json_t *
tenant_file(void)
{
	json_error_t e;
	json_t *f = json_load_file("policy/tenants.json", 0, &e);
	ck_assert_msg(f != NULL, "tests/policy/tenants.json: %s", e.text);
	return f;
}

/* The case of tenants.json with that name, copied. */
static json_t *
tenant_case(const json_t *file, const char *name)
{
	const json_t *tc;
	size_t i;
	json_array_foreach(json_object_get(file, "cases"), i, tc)
		if (strcmp(json_string_value(json_object_get(tc, "name")), name) == 0)
			return json_deep_copy(tc);
	ck_abort_msg("no case \"%s\" in tests/policy/tenants.json", name);
	return NULL;
}

static json_t *
lookup_answer(json_t *tc, const char *kind, const char *name)
{
	const json_t *l;
	size_t i;
	json_array_foreach(json_object_get(tc, "lookups"), i, l)
		if (strcmp(json_string_value(json_object_get(l, "kind")), kind) == 0 &&
		    strcmp(json_string_value(json_object_get(l, "name")), name) == 0)
			return json_object_get(l, "json");
	ck_abort_msg("no %s lookup %s", kind, name);
	return NULL;
}

/* The donor with 20,000 mount points besides the one that covers the
 * anonymous volume, named 200,000 times: the old check walked volumes x
 * names x mounts (4e9 comparisons).  The outcome is the table case's. */
static void
volumes_from_many(const char *case_name)
{
	json_t *file = tenant_file(), *tc = tenant_case(file, case_name);
	json_t *mounts = json_object_get(lookup_answer(tc, "container", "web"), "Mounts");
	json_t *vf = json_object_get(json_object_get(json_object_get(tc, "merge"), "HostConfig"),
	    "VolumesFrom");
	ck_assert(json_is_array(mounts) && json_array_size(vf) == 1);
	for (int i = 0; i < 20000; i++) {
		char dst[32];
		snprintf(dst, sizeof dst, "/m%d", i);
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:s}", "Type", "volume",
		    "Name", "v1", "Destination", dst));
	}
	json_t *ref = json_deep_copy(json_array_get(vf, 0));
	for (int i = 0; i < 200000; i++)
		json_array_append(vf, ref);
	json_decref(ref);
	policy_case_run(case_name, file, tc);
	json_decref(tc);
	json_decref(file);
}

START_TEST(volumes_from_named_over_and_over_covered)
{
	volumes_from_many("create --volumes-from own -v /data/: the donor's mount covers it");
}
END_TEST

START_TEST(volumes_from_named_over_and_over_not_covered)
{
	volumes_from_many("create --volumes-from own -v /anon: an anonymous volume no donor "
	    "covers would belong to no tenant");
}
END_TEST

/* 100,000 binds of a volume to be made (each a labelled Mount) between
 * 100,000 host binds that stay: the binds that stay keep their order, and
 * every volume becomes its Mount.  The stamp took one bind out at a time,
 * moving the rest each time (here ~5 s of memmove, under the timeout: this
 * case holds the order and the Mounts, not the time). */
START_TEST(many_new_volume_binds_become_mounts_in_one_pass)
{
	enum { N = 100000 };
	json_t *file = tenant_file();
	json_t *tc = tenant_case(file, "a named volume that does not exist yet becomes a labelled "
	    "Mount (dockerd creates it)");
	json_t *binds = json_object_get(json_object_get(json_object_get(tc, "merge"),
	    "HostConfig"), "Binds");
	json_t *fwd = json_object_get(json_object_get(tc, "expect"), "forwarded_has");
	json_t *kept = json_object_get(fwd, "HostConfig/Binds");
	json_t *mounts = json_object_get(fwd, "HostConfig/Mounts");
	ck_assert(json_array_size(binds) == 2 && json_array_size(kept) == 1 &&
	    json_array_size(mounts) == 2);
	json_t *fresh = json_deep_copy(json_array_get(mounts, 1));
	json_array_clear(binds);
	json_array_clear(kept);
	json_array_remove(mounts, 1);
	for (int i = 0; i < N; i++) {
		char b[64];
		snprintf(b, sizeof b, "fresh:/f%d:ro,nocopy", i);
		json_array_append_new(binds, json_string(b));
		snprintf(b, sizeof b, "/srv/x:/y%d:ro", i);
		json_array_append_new(binds, json_string(b));
		json_array_append_new(kept, json_string(b));
		json_t *m = json_deep_copy(fresh);
		snprintf(b, sizeof b, "/f%d", i);
		json_object_set_new(m, "Target", json_string(b));
		json_array_append_new(mounts, m);
	}
	json_decref(fresh);
	policy_case_run("many new volume binds", file, tc);
	json_decref(tc);
	json_decref(file);
}
END_TEST

/* ---- GroupAdd through the image's /etc/group ------------------------------ */

/* Entries resolved together come out as each resolved alone: random files
 * (names that are numbers, gid 0 and 2^32, repeated names, blank and CR
 * lines) and random entries (repeated, numbers, unknown names). */
START_TEST(group_entries_together_as_each_alone)
{
	static const char *const names[] = { "staff", "wheel", "100", "0", "root", "docker",
	    "x", "" };
	static const char *const gids[] = { "0", "100", "1000", "4294967296", "-1", "abc", "" };
	static const char *const extra[] = { "nosuch", "2147483648", "42", "0", "1000" };
	enum { NN = sizeof names / sizeof names[0], NG = sizeof gids / sizeof gids[0],
	    NE = sizeof extra / sizeof extra[0] };
	unsigned seed = 99;
	char file[4096];

	for (int round = 0; round < 3000; round++) {
		size_t len = 0;
		seed = seed * 1103515245u + 12345u;
		int lines = (int)((seed >> 16) % 12);
		for (int k = 0; k < lines; k++) {
			seed = seed * 1103515245u + 12345u;
			len += (size_t)snprintf(file + len, sizeof file - len, "%s%s:x:%s:%s\n",
			    (seed & 1) ? " " : "", names[(seed >> 4) % NN], gids[(seed >> 9) % NG],
			    (seed & 2) ? "a,b" : "");
			if ((seed >> 20) % 5 == 0)
				len += (size_t)snprintf(file + len, sizeof file - len, "\r\n");
		}
		struct pw_file f = { (seed >> 24) % 7 == 0 ? NULL : file, len };
		struct pw_group_req r[10];
		size_t n = 1 + (seed >> 12) % 10;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			const char *e = (seed >> 16) % 3 == 0 ? extra[(seed >> 5) % NE]
			    : names[(seed >> 5) % NN];
			r[i] = (struct pw_group_req){ .ag = e, .len = strlen(e) };
		}
		ck_assert_int_eq(pw_group_add_many(r, n, f), 0);
		for (size_t i = 0; i < n; i++) {
			struct pw_ids one = { 0 };
			char err[200] = "";
			int rc = pw_group_add(r[i].ag, r[i].len, f, &one, err, sizeof err);
			ck_assert_msg(rc == r[i].rc && one.nsgids == r[i].ids.nsgids &&
			    one.sgid0 == r[i].ids.sgid0 && strcmp(one.sgid0_name, r[i].ids.sgid0_name) == 0 &&
			    strcmp(err, r[i].err) == 0, "entry %s of %zu in\n%.*s: together rc %d n %zu "
			    "root %d (%s) %s, alone rc %d n %zu root %d (%s) %s", r[i].ag, n, (int)len,
			    file, r[i].rc, r[i].ids.nsgids, r[i].ids.sgid0, r[i].ids.sgid0_name, r[i].err,
			    rc, one.nsgids, one.sgid0, one.sgid0_name, err);
		}
	}
}
END_TEST

/* 20,000 GroupAdd names against a 1 MiB /etc/group: one pass over the file
 * (each name re-read the whole file: minutes). */
START_TEST(many_group_entries_read_the_file_once)
{
	enum { LINES = 40000, ENTRIES = 20000 };
	char *file = malloc((size_t)LINES * 32);
	size_t len = 0;
	ck_assert_ptr_nonnull(file);
	for (int i = 0; i < LINES; i++)
		len += (size_t)sprintf(file + len, "group%d:x:%d:u%d\n", i, 1000 + i, i);
	len += (size_t)sprintf(file + len, "rootish:x:0:\n");
	struct pw_group_req *r = calloc(ENTRIES, sizeof *r);
	char (*names)[16] = calloc(ENTRIES, sizeof *names);
	ck_assert(r != NULL && names != NULL);
	for (int i = 0; i < ENTRIES; i++) {
		snprintf(names[i], sizeof names[i], i == ENTRIES - 1 ? "rootish" : "group%d",
		    (i * 7) % (LINES + 500));   /* some past the last line: unknown */
		r[i] = (struct pw_group_req){ .ag = names[i], .len = strlen(names[i]) };
	}
	ck_assert_int_eq(pw_group_add_many(r, ENTRIES, (struct pw_file){ file, len }), 0);
	for (int i = 0; i < ENTRIES - 1; i++) {
		int known = (i * 7) % (LINES + 500) < LINES;
		ck_assert_msg(r[i].rc == (known ? 0 : -1) && r[i].ids.nsgids == (known ? 1u : 0u) &&
		    !r[i].ids.sgid0, "%s: rc %d n %zu", names[i], r[i].rc, r[i].ids.nsgids);
	}
	ck_assert(r[ENTRIES - 1].rc == 0 && r[ENTRIES - 1].ids.sgid0);
	ck_assert_str_eq(r[ENTRIES - 1].ids.sgid0_name, "rootish");
	free(names);
	free(r);
	free(file);
}
END_TEST

Suite *
policy_scans_suite(void)
{
	Suite *s = suite_create("policy_scans");
	TCase *tc = tcase_create("scans");
	/* each case takes well under a second; a quadratic scan, minutes */
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, env_detectors_agree_with_the_rules_as_first_written);
	tcase_add_test(tc, env_detectors_take_a_long_value_in_one_pass);
	tcase_add_test(tc, volumes_from_named_over_and_over_covered);
	tcase_add_test(tc, volumes_from_named_over_and_over_not_covered);
	tcase_add_test(tc, many_new_volume_binds_become_mounts_in_one_pass);
	tcase_add_test(tc, group_entries_together_as_each_alone);
	tcase_add_test(tc, many_group_entries_read_the_file_once);
	suite_add_tcase(s, tc);
	return s;
}
