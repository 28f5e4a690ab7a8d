/* tenant.c - tenant names and the ownership label. */
#include "policy/tenant.h"

#include <string.h>

int
tenant_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > TENANT_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return 0;
	}
	return 1;
}
