/* main.c - command line: run the gateway, check a configuration, or one of
 * the offline subcommands (eval, doctor). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/cli/doctor.h"
#include "daemon/cli/eval.h"
#include "daemon/log.h"
#include "daemon/server.h"

#define DEFAULT_CONFIG "/etc/sockward/sockward.json"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};


static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sockward [-c FILE] [-u SOCKET] [-t] [--version] [--help]\n"
	    "       sockward eval [-c FILE] [--identity ID] METHOD PATH [BODY-FILE|-]\n"
	    "       sockward doctor [-c FILE] [-u SOCKET]\n"
	    "\n"
	    "  -c, --config FILE     configuration file (default " DEFAULT_CONFIG ")\n"
	    "  -u, --upstream SOCK   engine socket, overrides upstream.socket (path or unix://path)\n"
	    "  -t, --check-config    validate the configuration, print every error, exit 0 or 1\n"
	    "      --print-keys      list every configuration key with type, default and reload behaviour\n"
	    "  -V, --version         print the version\n"
	    "  -h, --help            this text\n"
	    "\n"
	    "Signals: TERM/INT stop gracefully, HUP reloads the configuration,\n"
	    "USR1 reopens the audit log.  See sockward(8) and sockward.json(5).\n");
}

static const char *
strip_unix_scheme(const char *s)
{
	return strncmp(s, "unix://", 7) == 0 ? s + 7 : s;
}

int
main(int argc, char **argv)
{
	const struct subcommand subs[] = {
		{ "eval", cmd_eval, "judge one request offline" },
		{ "doctor", cmd_doctor, "check the engine against the hardening checklist" },
	};
	if (argc > 1) {
		for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
			if (strcmp(argv[1], subs[i].name) != 0)
				continue;
			return subs[i].run(argc - 1, argv + 1);
		}
	}

	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "check-config", no_argument, NULL, 't' },
		{ "print-keys", no_argument, NULL, 'K' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = DEFAULT_CONFIG, *upstream = NULL;
	int check_only = 0, c;
	while ((c = getopt_long(argc, argv, "c:u:tVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': file = optarg; break;
		case 'u': upstream = strip_unix_scheme(optarg); break;
		case 't': check_only = 1; break;
		case 'K': config_print_keys(); return 0;
		case 'V': printf("sockward %s\n", SOCKWARD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	if (!check_only)
		server_hold_signals();   /* a HUP or USR1 while starting must not kill it */
	struct config_errors errs = { 0 };
	struct sw_config *cfg = config_load(file, &errs);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i].text);
		fprintf(stderr, "sockward: configuration %s is invalid (%zu error%s)\n", file,
		    errs.n, errs.n == 1 ? "" : "s");
		config_errors_free(&errs);
		return 1;
	}
	if (check_only) {
		printf("%s: configuration OK\n", file);
		config_unref(cfg);
		return 0;
	}

	struct server srv;
	if (server_init(&srv, cfg, upstream) != 0) {
		server_free(&srv);
		return 1;
	}
	int rc = server_run(&srv);
	server_free(&srv);
	return rc;
}
