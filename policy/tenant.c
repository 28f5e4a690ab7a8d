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

int
tenant_image_named(const json_t *img)
{
	static const char *const keys[] = { "RepoTags", "RepoDigests" };
	const json_t *e;
	size_t i;

	for (size_t k = 0; k < 2; k++)
		json_array_foreach(json_object_get(img, keys[k]), i, e) {
			const char *s = json_string_value(e);
			if (s != NULL && s[0] != '\0' && strcmp(s, "<none>:<none>") != 0 &&
			    strcmp(s, "<none>@<none>") != 0)
				return 1;
		}
	return 0;
}
