/* taxid-lockout: lock policy, status, who is locked, history, operator unlock. */
#include "taxid.h"

enum { W = TAXID_ACT_DB_WRITE, R = TAXID_ACT_DB_READ, ONE = TAXID_ACT_NO_INPUT, ROWS = TAXID_ACT_ROWS };

static const struct taxid_opt clear_opts[] = {
	{"all", TAXID_OPT_BOOL, NULL, "unlock everyone locked now (needs --confirm)"},
	{"confirm", TAXID_OPT_INT, "N", "the number of locks the operator expects to clear"},
	{"reason", TAXID_OPT_STRING, "TEXT", "why (required, audited)"},
	{"operator", TAXID_OPT_STRING, "ID", "who is unlocking (required, audited)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt format_opts[] = {
	{"format", TAXID_OPT_STRING, "FMT", "json (default) or csv: a spreadsheet (UTF-8 with a byte-order mark)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt profile_opts[] = {
	{"name", TAXID_OPT_STRING, "PROFILE", "national or municipal"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_action actions[] = {
	{"status", taxid_lockctl_status, W, "account",
	 "failures, lock and captcha state of an account (login name, phone or ID number) per scope", NULL},
	{"list", taxid_lockctl_list, R | ONE | ROWS, "[format]", "everyone locked now, one line each", format_opts},
	{"history", taxid_lockctl_history, R | ROWS, "account [format]", "failures, locks and unlocks of an account",
	 format_opts},
	{"clear", taxid_lockctl_clear, W, "account [scope] reason operator | all confirm reason operator",
	 "operator unlock (idempotent; bulk only with a confirmation count)", clear_opts},
	{"policy show", taxid_lockctl_policy_show, W | ONE | ROWS, "", "the lock policy, one line per scope", NULL},
	{"policy set", taxid_lockctl_policy_set, W,
	 "scope threshold [window] [window_seconds] [duration] [duration_seconds] operator", "change one scope's rule", NULL},
	{"policy profile", taxid_lockctl_policy_profile, W | ONE, "name operator", "apply the national or municipal profile",
	 profile_opts},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const struct taxid_tool tool = {"taxid-lockout", "Lock policy, status and operator unlock for taxid accounts.",
				       actions};

int main(int argc, char **argv)
{
	return taxid_main(&tool, argc, argv);
}
