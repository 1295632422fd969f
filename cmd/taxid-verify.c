/* taxid-verify: validate identifiers and identity claims; trust store, signed verdicts, SMS codes, audit. */
#include "taxid.h"

static const struct taxid_opt ids_opts[] = {
	{"strict-region", TAXID_OPT_BOOL, NULL, "an unknown county code is an error, not a warning"},
	{"strict-segment", TAXID_OPT_BOOL, NULL, "a mobile segment outside the strict list is an error"},
	{"luhn-warning", TAXID_OPT_BOOL, NULL, "a bank-card Luhn failure is a warning, not an error"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt outbox_opts[] = {
	{"limit", TAXID_OPT_INT, "N", "deliver at most N messages (default 1000)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt audit_opts[] = {
	{"head", TAXID_OPT_BOOL, NULL, "also print the head (id and hash) to keep outside as an anchor"},
	{"anchor", TAXID_OPT_STRING, "ID:HASH", "prove the chain still holds that head unchanged"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_action actions[] = {
	{"identity", taxid_verify_identity, TAXID_ACT_DB_OPTIONAL, "doc_type doc_no [name] [nationality]",
	 "validate a document number and check the claim against the registry", ids_opts},
	{"uscc", taxid_verify_uscc, 0, "value", "validate a unified social credit code (GB 32100)", ids_opts},
	{"tin", taxid_verify_tin, 0, "value", "validate a taxpayer identification number (USCC or legacy 15/20)", ids_opts},
	{"bank-card", taxid_verify_bank_card, 0, "value", "validate a bank-card number (16-19 digits, Luhn)", ids_opts},
	{"mobile", taxid_verify_mobile, 0, "value", "validate a mainland mobile number", ids_opts},
	{"bank", taxid_verify_bank, TAXID_ACT_DB_WRITE, "name doc_no [doc_type] card [phone] bank",
	 "3- or 4-factor bank-card check decided by a signed bank verdict", ids_opts},
	{"attest", taxid_verify_attest, TAXID_ACT_DB_READ | TAXID_ACT_DB_WRITE, "verdict kind [subject] [consume]",
	 "check a signed verdict from an outside service", NULL},
	{"trust add", taxid_trust_add, TAXID_ACT_DB_WRITE, "issuer kinds public_key [replace] operator",
	 "trust an issuer's Ed25519 key for some verdict kinds", NULL},
	{"trust remove", taxid_trust_remove, TAXID_ACT_DB_WRITE, "issuer operator", "stop trusting an issuer", NULL},
	{"trust list", taxid_trust_list, TAXID_ACT_DB_READ | TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS, "",
	 "list trusted issuers, one per line", NULL},
	{"sms send", taxid_verify_sms_send, TAXID_ACT_DB_WRITE, "phone purpose",
	 "send a 6-digit code to a phone (through the outbox)", NULL},
	{"sms check", taxid_verify_sms_check, TAXID_ACT_DB_WRITE, "challenge code purpose [phone]",
	 "check and use up a code", NULL},
	{"sms outbox", taxid_verify_sms_outbox, TAXID_ACT_DB_WRITE | TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS, "[limit]",
	 "print pending messages for the gateway and mark them delivered", outbox_opts},
	{"audit", taxid_verify_audit, TAXID_ACT_DB_READ | TAXID_ACT_NO_INPUT, "[head] [anchor]",
	 "verify the audit chain; report the first broken row", audit_opts},
	{"db", taxid_dbmode_report, TAXID_ACT_DB_READ | TAXID_ACT_NO_INPUT, "",
	 "report the database: schema version, mode (normal or test), audit chain", NULL},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const struct taxid_tool tool = {"taxid-verify", "Validate identifiers and identity claims for the taxid registry.",
				       actions};

int main(int argc, char **argv)
{
	return taxid_main(&tool, argc, argv);
}
