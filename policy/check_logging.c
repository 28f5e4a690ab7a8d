/* check_logging.c - LogConfig (docker run --log-driver/--log-opt) and a
 * service's LogDriver, by allow-list.
 *
 * A log driver runs inside dockerd, as root, in the host's network
 * namespace: syslog, gelf, fluentd, splunk, logentries connect to the
 * address the options name (a host-loopback service, anything the host
 * reaches), awslogs and gcplogs write with the engine's own cloud
 * credentials, and json-file/local write to the engine's disk as much as
 * max-size x max-file allow.  So a request may name only the drivers of the
 * profile's log_drivers (restricted: json-file, local, journald; baseline
 * also none), with max-size, max-buffer-size (go-units FromHumanSize, as
 * dockerd reads them) up to log_max_size and max-file up to log_max_files.
 * An empty driver is the engine's default, with the engine's default
 * options merged in (daemon.mergeAndVerifyLogConfig): only options that
 * cannot redirect it are allowed then.  CIS 2.12 (centralised logging) is
 * the engine's log-driver setting, which an empty driver keeps. */
#include "policy/checks.h"

#include <stdio.h>
#include <string.h>

/* options that name no address, credentials or file (any driver reads at
 * most these; dockerd refuses an option its driver does not know) */
static const char *const plain_opts[] = {
	"max-size", "max-file", "compress", "labels", "labels-regex", "env", "env-regex",
	"tag", "mode", "max-buffer-size", NULL,
};

/* drivers whose options are all in plain_opts */
static const char *const plain_drivers[] = { "json-file", "local", "journald", "none", NULL };

static int
in_list(const char *const *l, const char *s)
{
	for (; *l != NULL; l++)
		if (strcmp(*l, s) == 0)
			return 1;
	return 0;
}

/* go-units FromHumanSize: ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$, decimal
 * multiples (k = 1000).  -1 when it does not parse (dockerd refuses it). */
int64_t
go_human_size(const char *s)
{
	const char *p = s;
	double v = 0, frac = 0.1;
	int digits = 0;

	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	/* "(\.\d+)*": Go's ParseFloat then reads only the first fraction;
	 * "1.5.5" does not parse as a float and dockerd refuses it */
	if (*p == '.') {
		int fd = 0;
		p++;
		while (*p >= '0' && *p <= '9') {
			v += (*p++ - '0') * frac;
			frac /= 10;
			fd++;
		}
		if (fd == 0 || *p == '.')
			return -1;
	}
	if (*p == ' ')
		p++;
	double mult = 1;
	switch (*p) {
	case 'k': case 'K': mult = 1e3; p++; break;
	case 'm': case 'M': mult = 1e6; p++; break;
	case 'g': case 'G': mult = 1e9; p++; break;
	case 't': case 'T': mult = 1e12; p++; break;
	case 'p': case 'P': mult = 1e15; p++; break;
	default: break;
	}
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p != '\0' || v * mult > 9e18)
		return -1;
	return (int64_t)(v * mult);
}

/* strconv.Atoi: optional sign, digits; -1 when it does not parse or is huge */
static int64_t
go_atoi(const char *s)
{
	int64_t v = 0;
	int neg = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 1000000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return neg ? -v : v;
}

static void
judge_log_opts(struct check_ctx *c, const char *driver, const json_t *opts, const char *flag)
{
	const struct profile *p = c->prof;
	const char *key;
	const json_t *v;
	char max[32];

	human_bytes(p->log_max_size, max, sizeof max);
	json_object_foreach((json_t *)opts, key, v) {
		const char *val = json_is_string(v) ? json_string_value(v) : "";
		if ((driver[0] == '\0' || in_list(plain_drivers, driver)) &&
		    !in_list(plain_opts, key)) {
			fire(c, R_LOGGING_DRIVER, "%s %s=... is not allowed with %s%s (it can send "
			    "the logs elsewhere)", flag, key, driver[0] ? "log driver " : "",
			    driver[0] ? driver : "the engine's default log driver");
			continue;
		}
		if (strcmp(key, "max-size") == 0 || strcmp(key, "max-buffer-size") == 0) {
			int64_t n = go_human_size(val);
			if (n <= 0 || n > p->log_max_size)
				fire(c, R_LOGGING_DRIVER, "%s %s=%s is not allowed (at most %s, %lld "
				    "bytes)", flag, key, val, max, (long long)p->log_max_size);
		} else if (strcmp(key, "max-file") == 0) {
			int64_t n = go_atoi(val);
			if (n < 1 || n > p->log_max_files)
				fire(c, R_LOGGING_DRIVER, "%s max-file=%s is not allowed (1 to %lld)",
				    flag, val, (long long)p->log_max_files);
		}
	}
}

/* What a driver named in the request keeps when an option is left out.
 * dockerd merges its own default options only into its default driver
 * (daemon.mergeAndVerifyLogConfig: cfg.Type == defaultLogConfig.Type), and
 * sockward cannot see which that is or what they say (GET /info shows
 * neither the options nor, for a named driver, whether they apply): so a
 * named driver is judged on its own defaults.  json-file keeps every line
 * without max-size (jsonfilelog: capval -1); local rotates at 20 MiB x 5
 * files (daemon/logger/local defaultMaxFileSize, defaultMaxFileCount). */
static const struct {
	const char *driver;
	int64_t max_size;   /* -1: no bound */
	int64_t max_file;
} driver_defaults[] = {
	{ "json-file", -1, 1 },
	{ "local", 20LL << 20, 5 },
};

static void
judge_driver_defaults(struct check_ctx *c, const char *driver, const json_t *opts, const char *flag)
{
	const struct profile *p = c->prof;
	char max[32];

	human_bytes(p->log_max_size, max, sizeof max);
	for (size_t i = 0; i < sizeof driver_defaults / sizeof driver_defaults[0]; i++) {
		if (strcmp(driver_defaults[i].driver, driver) != 0)
			continue;
		int64_t size = driver_defaults[i].max_size, files = driver_defaults[i].max_file;
		if (jget(opts, "max-size") == NULL && (size < 0 || size > p->log_max_size))
			fire(c, R_LOGGING_DRIVER, "%s %s without %s max-size=... keeps %s; add "
			    "%s max-size= of at most %s, or remove %s %s to use the engine's default "
			    "logging", flag, driver, "--log-opt", size < 0 ? "every log line (no "
			    "bound on the engine's disk)" : "files larger than allowed", "--log-opt",
			    max, flag, driver);
		if (jget(opts, "max-file") == NULL && files > p->log_max_files)
			fire(c, R_LOGGING_DRIVER, "%s %s without --log-opt max-file=... keeps %lld "
			    "files (at most %lld)", flag, driver, (long long)files,
			    (long long)p->log_max_files);
	}
}

/* HostConfig.LogConfig {Type, Config} or TaskTemplate.LogDriver {Name, Options} */
void
check_log_config(struct check_ctx *c, const json_t *lc, const char *type_field,
    const char *opts_field, const char *flag)
{
	const char *driver = jstr(lc, type_field);
	char allowed[256] = "";

	if (!c->prof->rule_on[R_LOGGING_DRIVER])
		return;
	if (driver[0] != '\0' && !strlist_has(&c->prof->log_drivers, driver)) {
		for (size_t i = 0; i < c->prof->log_drivers.n; i++)
			snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), ", %s",
			    c->prof->log_drivers.v[i]);
		fire(c, R_LOGGING_DRIVER, "%s %s is not allowed (it runs inside the engine, as "
		    "root); remove %s to use the engine's default, or use one of the allowed "
		    "drivers%s", flag, driver, flag, allowed[0] ? allowed + 1 : " (none)");
		return;
	}
	judge_log_opts(c, driver, jget(lc, opts_field), "--log-opt");
	judge_driver_defaults(c, driver, jget(lc, opts_field), flag);
}
