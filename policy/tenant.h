/* tenant.h - tenants of the team gateway: the label that marks what a tenant
 * owns, and the names a tenant may have.
 *
 * A binding may name a tenant; every identity it matches shares that
 * tenant's objects.  An identity without one is an operator: no ownership
 * checks.  Objects carry their owner in one label that only sockward sets. */
#ifndef SOCKWARD_TENANT_H
#define SOCKWARD_TENANT_H

#include <jansson.h>

#define TENANT_LABEL "io.sockward.tenant"
#define TENANT_NAME_MAX 63

/* 1-63 of a-z 0-9 . _ -, starting with a letter or digit: safe inside a label
 * value, a filter and a log line without quoting. */
int tenant_name_valid(const char *name);

/* 1 when an image (inspect or list element) has a name: a RepoTags or
 * RepoDigests entry other than dockerd's "<none>:<none>" / "<none>@<none>".
 * An untenanted image without one is not shared: it is what a classic
 * build leaves of its steps (the tenant's LABEL is the build's last step, so
 * the step before it is the tenant's whole image, untenanted). */
int tenant_image_named(const json_t *img);

#endif
