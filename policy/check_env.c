/* check_env.c - rule env.secrets: secrets passed in Env (container creates,
 * exec creates, service specs).  What is recognised:
 *
 *  - private keys: a PEM header "-----BEGIN ... PRIVATE KEY" (RSA, EC,
 *    OPENSSH, ENCRYPTED, PGP ... PRIVATE KEY BLOCK);
 *  - cloud access keys: AWS access key ids (AKIA/ASIA/... + 16 upper-case
 *    letters or digits), an AWS-named variable holding a 40-character
 *    secret, a GCP service-account key (JSON with "type": "service_account"
 *    and a private key), an Azure storage key (88 base64 characters ending
 *    "==") or connection string (AccountKey=);
 *  - tokens: GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), GitLab
 *    (glpat-), Slack (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-), and JWTs
 *    (eyJ... . eyJ... . signature);
 *  - passwords: a variable whose name says PASSWORD, PASSWD, SECRET, TOKEN,
 *    API_KEY, APIKEY, PRIVATE_KEY or ACCESS_KEY with a non-empty value.  The
 *    Docker convention NAME_FILE=/run/secrets/x (a path, not the secret) is
 *    not a password.
 *
 * The message names the variable and the kind, never the value: it goes to
 * the client, the log and the audit trail.  A variable whose name itself
 * looks like a secret (an entry without '=') is named by its position. */
#include "policy/checks.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int
all_of(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return 0;
	return 1;
}

#define UPPER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define B64 ALNUM "+/"
#define B64URL ALNUM "-_"

/* Length of the run of chars from set at s. */
static size_t
run(const char *s, const char *set)
{
	size_t n = 0;
	while (s[n] != '\0' && strchr(set, s[n]) != NULL)
		n++;
	return n;
}

/* Every scan below is linear in the value: a detector that measured the run
 * after each occurrence of its prefix anew ("AKIA" * 25,000, "eyJ" * n) cost
 * n^2 and held the event loop for minutes on one 1 MiB body. */

/* An AWS key id: a prefix and at least 16 more upper-case letters or digits,
 * not preceded by a letter or digit.  The prefixes are upper-case, so an id
 * can only start a maximal run of UPPER_DIGITS (anywhere else the byte
 * before it is one of them): each run is looked at once, at its start. */
static int
has_aws_key_id(const char *v)
{
	static const char *const prefixes[] = {
		"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA", NULL
	};
	for (const char *p = v; *p != '\0';) {
		size_t r = run(p, UPPER_DIGITS);
		if (r == 0) {
			p++;
			continue;
		}
		if (r >= 20 && (p == v || !isalnum((unsigned char)p[-1])))
			for (size_t i = 0; prefixes[i] != NULL; i++)
				if (strncmp(p, prefixes[i], 4) == 0)
					return 1;
		p += r;
	}
	return 0;
}

/* A token prefix followed by at least min characters of set, not preceded
 * by a letter or digit.  An occurrence that starts inside the run measured
 * for an earlier one ends where that run ends: its length is known. */
static int
has_token(const char *v, const char *prefix, const char *set, size_t min)
{
	size_t pl = strlen(prefix);
	const char *end = NULL;   /* end of the last run measured */
	for (const char *p = strstr(v, prefix); p != NULL; p = strstr(p + 1, prefix)) {
		if (p != v && isalnum((unsigned char)p[-1]))
			continue;
		const char *s = p + pl;
		if (end == NULL || s > end)
			end = s + run(s, set);
		if ((size_t)(end - s) >= min)
			return 1;
	}
	return 0;
}

/* A JWT: three runs of B64URL of 10 or more, joined by dots, the first two
 * starting "eyJ".  Occurrences of "eyJ" inside one run share everything
 * after it, and the first has the longest head: only it is tried. */
static int
has_jwt(const char *v)
{
	for (const char *p = strstr(v, "eyJ"); p != NULL; ) {
		size_t a = run(p, B64URL);
		if (a >= 10 && p[a] == '.' && strncmp(p + a + 1, "eyJ", 3) == 0) {
			size_t b = run(p + a + 1, B64URL);
			if (b >= 10 && p[a + 1 + b] == '.' && run(p + a + 2 + b, B64URL) >= 10)
				return 1;
		}
		p = strstr(p + a, "eyJ");   /* a >= 3: past this run */
	}
	return 0;
}

/* The shortest value any pattern of env_value_kind() matches: "AccountKey=" and
 * "-----BEGIN " (11); an AWS key id is 20, a token 15 or more, a JWT 32. */
#define VALUE_MIN 11

const char *
env_value_kind(const char *name, size_t nlen, const char *v)
{
	char up[256];
	size_t n = nlen < sizeof up - 1 ? nlen : sizeof up - 1;

	for (size_t i = 0; i < n; i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	up[n] = '\0';
	/* every pattern of the value is at least VALUE_MIN bytes ("AccountKey=",
	 * "-----BEGIN "; the others are longer): a shorter value (FOO=bar) is
	 * judged by its name alone, without a dozen scans */
	size_t vl = strlen(v);
	if (vl < VALUE_MIN)
		goto by_name;
	if (strstr(v, "-----BEGIN ") != NULL && strstr(v, "PRIVATE KEY") != NULL)
		return "private key";
	if (has_aws_key_id(v))
		return "cloud access key";
	if (strstr(up, "AWS") != NULL && vl == 40 && all_of(v, 40, B64))
		return "cloud access key";
	if (strstr(v, "service_account") != NULL && strstr(v, "private_key") != NULL)
		return "cloud access key";
	if (strstr(v, "AccountKey=") != NULL)
		return "cloud access key";
	if (vl == 88 && all_of(v, 86, B64) && strcmp(v + 86, "==") == 0)
		return "cloud access key";
	static const char *const gh[] = { "ghp_", "gho_", "ghu_", "ghs_", "ghr_", NULL };
	for (size_t i = 0; gh[i] != NULL; i++)
		if (has_token(v, gh[i], ALNUM, 30))
			return "token";
	if (has_token(v, "github_pat_", ALNUM "_", 22) || has_token(v, "glpat-", B64URL, 20) ||
	    has_token(v, "xoxb-", ALNUM "-", 10) || has_token(v, "xoxp-", ALNUM "-", 10) ||
	    has_token(v, "xoxa-", ALNUM "-", 10) || has_token(v, "xoxr-", ALNUM "-", 10) ||
	    has_token(v, "xoxs-", ALNUM "-", 10) || has_jwt(v))
		return "token";
by_name:
	/* by name: NAME_FILE points at a secret, it is not one */
	if (v[0] != '\0' && !(n >= 5 && strcmp(up + n - 5, "_FILE") == 0)) {
		static const char *const words[] = {
			"PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY",
			"PRIVATE_KEY", "ACCESS_KEY", NULL
		};
		for (size_t i = 0; words[i] != NULL; i++)
			if (strstr(up, words[i]) != NULL)
				return "password or secret";
	}
	return NULL;
}

/* Env of a container create (Config.Env), an exec create or a service's
 * ContainerSpec.Env; what names the flag ("-e", "docker exec -e"). */
void
check_env_secrets(struct check_ctx *c, const json_t *env, const char *what)
{
	const json_t *e;
	size_t i;

	if (!c->prof->rule_on[R_ENV_SECRETS])
		return;
	json_array_foreach(env, i, e) {
		const char *s = json_string_value(e);
		if (s == NULL)
			continue;
		const char *eq = strchr(s, '=');
		size_t nlen = eq ? (size_t)(eq - s) : strlen(s);
		const char *kind = env_value_kind(s, nlen, eq ? eq + 1 : "");
		/* the name itself may be the secret (no '=': the whole entry) */
		char name[300];
		textf(name, sizeof name, "%.*s", (int)(nlen < 200 ? nlen : 200), s);
		int name_secret = env_value_kind("", 0, name) != NULL;
		if (kind == NULL && name_secret)
			kind = env_value_kind("", 0, name);
		if (kind == NULL)
			continue;
		if (name_secret || nlen == 0)
			fire(c, R_ENV_SECRETS, "%s entry %zu looks like a %s; pass secrets as files "
			    "(docker secret, a read-only mount, NAME_FILE=/run/secrets/...)", what,
			    i + 1, kind);
		else
			fire(c, R_ENV_SECRETS, "%s %s looks like a %s; pass secrets as files "
			    "(docker secret, a read-only mount, NAME_FILE=/run/secrets/...)", what,
			    name, kind);
	}
}
