/* The one error table, compiled from errors.def. */
#include <stdlib.h>
#include <string.h>

#include "errors.h"

#define REFUSED TAXID_EXIT_REFUSED
#define USAGE TAXID_EXIT_USAGE
#define NOINPUT TAXID_EXIT_NOINPUT
#define UNAVAILABLE TAXID_EXIT_UNAVAILABLE
#define SOFTWARE TAXID_EXIT_SOFTWARE
#define IOERR TAXID_EXIT_IOERR
#define TEMPFAIL TAXID_EXIT_TEMPFAIL
#define CONFIG TAXID_EXIT_CONFIG

static const struct {
	const char *code;
	enum taxid_exit cls;
	const char *en, *zh;
} table[TAXID_CODE_COUNT] = {
	[TAXID_OK] = {"ok", TAXID_EXIT_OK, "ok", "成功"},
#define X(e, code, cls, en, zh) [TAXID_E_##e] = {code, cls, en, zh},
#include "errors.def"
#undef X
};

const char *taxid_error_code(enum taxid_code c)
{
	return (unsigned)c < TAXID_CODE_COUNT ? table[c].code : "internal";
}

const char *taxid_error_message(enum taxid_code c, int zh)
{
	if ((unsigned)c >= TAXID_CODE_COUNT)
		c = TAXID_E_INTERNAL;
	return zh ? table[c].zh : table[c].en;
}

enum taxid_exit taxid_error_exit(enum taxid_code c)
{
	return (unsigned)c < TAXID_CODE_COUNT ? table[c].cls : TAXID_EXIT_SOFTWARE;
}

enum taxid_code taxid_error_lookup(const char *word)
{
	for (int i = 1; i < TAXID_CODE_COUNT; i++)
		if (strcmp(table[i].code, word) == 0)
			return (enum taxid_code)i;
	return TAXID_CODE_COUNT;
}

int taxid_locale_is_zh(void)
{
	static const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strncmp(v, "zh_CN", 5) == 0 || strncmp(v, "zh-CN", 5) == 0 ||
			       strncmp(v, "zh_SG", 5) == 0 || strcmp(v, "zh") == 0;
	}
	return 0;
}
