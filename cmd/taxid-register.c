/* taxid-register: hall registration codes, on-site collection, account registration, supplement and change of
 * real-name information, bulk import, synthetic fixtures, look-up and abnormal marks. */
#include "taxid.h"

static const struct taxid_opt import_opts[] = {
	{"batch-size", TAXID_OPT_INT, "N", "commit every N records (default 20000)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt fixture_opts[] = {
	{"count", TAXID_OPT_INT, "N", "how many people (default 10)"},
	{"seed", TAXID_OPT_INT, "S", "seed of the generator (default 1); the same seed gives the same people (only a --password hash has a fresh salt each run)"},
	{"doc-types", TAXID_OPT_STRING, "LIST", "document types in turn, e.g. 201,227,210 (default 201)"},
	{"password", TAXID_OPT_STRING, "P", "emit password_hash of P (one argon2id hash for the run)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt mark_opts[] = {
	{"state", TAXID_OPT_STRING, "STATE", "abnormal (default) or normal"},
	{"reason", TAXID_OPT_STRING, "WHY", "household_cancelled, deceased, suspected_fraud, document_stolen"},
	{"operator", TAXID_OPT_STRING, "ID", "the operator's id (audited)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt hall_opts[] = {
	{"operator", TAXID_OPT_STRING, "ID", "the operator's id (audited)"},
	{"hall", TAXID_OPT_STRING, "HALL", "the tax hall (audited)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_action actions[] = {
	{"register", taxid_register_account, TAXID_ACT_DB_WRITE,
	 "method [code] [face] [bank] [card] [registry] doc_type doc_no name [nationality] [paired] login_name password "
	 "phone sms [region] consent",
	 "register an account by hall code, face, bank card or registry verification", NULL},
	{"code", taxid_register_code, TAXID_ACT_DB_WRITE, "doc_type doc_no name [nationality] [hall] operator",
	 "issue a hall registration code (printed once; valid 7 days; a new one supersedes)", hall_opts},
	{"collect", taxid_register_collect, TAXID_ACT_DB_WRITE,
	 "doc_type doc_no name [nationality] [paired] [face] [expires_on] [hall] operator",
	 "on-site real-name collection at a hall (level 5)", hall_opts},
	{"supplement", taxid_register_supplement, TAXID_ACT_DB_WRITE,
	 "doc_type doc_no name [face] [bank] [card] [phone] [sms] [registry] [expires_on] [operator]",
	 "complete a real-name record: reference photo, renewed document, level 4", NULL},
	{"change", taxid_register_change, TAXID_ACT_DB_WRITE,
	 "doc_type doc_no name face [phone] [sms] [region] [operator]",
	 "change phone or region after document + face confirmation", NULL},
	{"import", taxid_register_import, TAXID_ACT_BATCH | TAXID_ACT_CHECKS_FIRST,
	 "doc_type doc_no name [nationality] [login_name] [phone] [password_hash] [initial_password] [face_verified] "
	 "[region] [expires_on] [paired]",
	 "bulk migration of persons and accounts (idempotent on the document)", import_opts},
	{"fixture", taxid_fixture_action, TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS, "[count] [seed] [doc_types] [password]",
	 "print deterministic synthetic people as NDJSON (import's input)", fixture_opts},
	{"show", taxid_register_show, TAXID_ACT_DB_READ, "doc_type doc_no | login_name | phone",
	 "look a person up (masked unless --reveal)", NULL},
	{"mark", taxid_register_mark, TAXID_ACT_DB_WRITE, "doc_type doc_no [name] [state] reason operator",
	 "mark a person abnormal, or normal again", mark_opts},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const struct taxid_tool tool = {"taxid-register",
				       "Register natural persons and their accounts in the taxid registry.", actions};

int main(int argc, char **argv)
{
	return taxid_main(&tool, argc, argv);
}
