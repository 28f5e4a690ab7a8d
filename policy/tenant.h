/* tenant.h - tenants of the team gateway: the label that marks what a tenant
 * owns, and the names a tenant may have.
 *
 * A binding may name a tenant; every identity it matches shares that
 * tenant's objects.  An identity without one is an operator: no ownership
 * checks.  Objects carry their owner in one label that only sockward sets. */
#ifndef SOCKWARD_TENANT_H
#define SOCKWARD_TENANT_H

#define TENANT_LABEL "io.sockward.tenant"
#define TENANT_NAME_MAX 63

/* 1-63 of a-z 0-9 . _ -, starting with a letter or digit: safe inside a label
 * value, a filter and a log line without quoting. */
int tenant_name_valid(const char *name);

#endif
