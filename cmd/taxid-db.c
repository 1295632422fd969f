/* taxid-db: look after the database file itself — backup, restore, key rotation (audited, by an operator) and
 * doctor. */
#include "taxid.h"

static const struct taxid_opt doctor_opts[] = {
	{"anchor", TAXID_OPT_STRING, "ID:HASH", "also prove the chain still holds that head unchanged"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt keys_opts[] = {
	{"batch", TAXID_OPT_INT, "N", "rows re-sealed per transaction (default 1000)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_action actions[] = {
	/* backup first, the default: like every tool's default it reads requests when given no operand */
	{"backup", taxid_backup, TAXID_ACT_DB_READ | TAXID_ACT_DB_WRITE | TAXID_ACT_OWN_TX | TAXID_ACT_FIRST_OPERAND,
	 "file operator [force]", "copy the database consistently while others write, with its audit head (audited)",
	 NULL},
	{"restore", taxid_restore, TAXID_ACT_FIRST_OPERAND, "file operator [force]",
	 "check a backup copy and put it in place of the database, keeping the replaced file (audited)", NULL},
	{"keys rotate", taxid_keys_rotate, TAXID_ACT_DB_READ | TAXID_ACT_DB_WRITE | TAXID_ACT_OWN_TX | TAXID_ACT_NO_INPUT,
	 "operator [batch]", "re-encrypt every personal field and blind index under a new key, then drop the old one (audited)",
	 keys_opts},
	{"doctor", taxid_doctor, TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS, "[anchor]",
	 "check the database: one JSON line per finding (severity ok, warning or error)", doctor_opts},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const struct taxid_tool tool = {"taxid-db", "Back up, restore, re-key and check the taxid database.", actions};

int main(int argc, char **argv)
{
	return taxid_main(&tool, argc, argv);
}
