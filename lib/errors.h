/* errors.c: the one error table (errors.def): stable code, English and Chinese message, exit class. */
#ifndef TAXID_ERRORS_H
#define TAXID_ERRORS_H

/* Exit statuses of CONTRACT.md. */
enum taxid_exit {
	TAXID_EXIT_OK = 0,
	TAXID_EXIT_REFUSED = 1,
	TAXID_EXIT_USAGE = 64,
	TAXID_EXIT_NOINPUT = 66,
	TAXID_EXIT_UNAVAILABLE = 69,
	TAXID_EXIT_SOFTWARE = 70,
	TAXID_EXIT_IOERR = 74,
	TAXID_EXIT_TEMPFAIL = 75,
	TAXID_EXIT_CONFIG = 78
};

enum taxid_code {
	TAXID_OK = 0,
#define X(e, code, cls, en, zh) TAXID_E_##e,
#include "errors.def"
#undef X
	TAXID_CODE_COUNT
};

/* The stable snake_case word of a code ("name_mismatch"). */
const char *taxid_error_code(enum taxid_code c);
/* The message for people: Chinese when zh is set, English otherwise. */
const char *taxid_error_message(enum taxid_code c, int zh);
/* The exit status a code belongs to (TAXID_EXIT_REFUSED for per-request refusals). */
enum taxid_exit taxid_error_exit(enum taxid_code c);
/* Look a code up by its word; TAXID_CODE_COUNT when unknown. */
enum taxid_code taxid_error_lookup(const char *word);
/* 1 when the process locale (LC_ALL, LC_MESSAGES, LANG in that order) is a zh_CN one. */
int taxid_locale_is_zh(void);

#endif
