/* suites.h - every Check suite linked into tests/unit/run-unit.
 * One SUITE(name) line per suite; the file defining it exports
 * Suite *name_suite(void). */
SUITE(identity)
SUITE(sdnotify)
SUITE(audit)
SUITE(metrics)
SUITE(admin)
SUITE(jsonpos)
SUITE(doctor)
SUITE(http_parse)
SUITE(config)
SUITE(policy_cases)
SUITE(tls_identity)
SUITE(policy_units)
SUITE(host_sockets)
SUITE(fuzz_regressions)
SUITE(session_memory)
SUITE(routes)
