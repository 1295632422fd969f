/* taxid-bind: enterprises, the roles of persons in them, two-way authorisation, entering an enterprise. */
#include "taxid.h"

enum { W = TAXID_ACT_DB_WRITE, R = TAXID_ACT_DB_READ, ONE = TAXID_ACT_NO_INPUT, ROWS = TAXID_ACT_ROWS,
       BATCH = TAXID_ACT_BATCH };

static const struct taxid_opt list_opts[] = {
	{"state", TAXID_OPT_STRING, "STATE", "only relations in this state (pending, active, expired, revoked ...)"},
	{"operator", TAXID_OPT_STRING, "ID", "an operator's view of one enterprise (with tin=)"},
	{"format", TAXID_OPT_STRING, "FMT", "json (default) or csv: a spreadsheet (UTF-8 with a byte-order mark)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt ent_list_opts[] = {
	{"status", TAXID_OPT_STRING, "STATUS", "only enterprises in this status (normal, suspended, deregistered)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt import_opts[] = {
	{"operator", TAXID_OPT_STRING, "ID", "the operator (audited; the default of every record)"},
	{"batch-size", TAXID_OPT_INT, "N", "commit every N records (default 1000)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt unbind_opts[] = {
	{"confirm", TAXID_OPT_BOOL, NULL, "unbind (without it, only show what would be unbound)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_action actions[] = {
	{"bind", taxid_bind_bind, W, "session tin role", "bind yourself to an enterprise as legal_rep or finance_manager", NULL},
	{"grant", taxid_bind_grant, W,
	 "session tin role [login_name] [doc_type] [doc_no] [permissions] [valid_from] [valid_until]",
	 "authorise a registered person for an enterprise (pending until they confirm)", NULL},
	{"request", taxid_bind_request, W, "session tin role [permissions] [valid_from] [valid_until]",
	 "ask an enterprise for an authorisation (pending until it confirms)", NULL},
	{"confirm", taxid_bind_confirm, W, "session relation", "confirm a pending grant, request or finance-manager link",
	 NULL},
	{"revoke", taxid_bind_revoke, W, "session relation", "end an authorisation, from either side", NULL},
	{"unbind", taxid_bind_unbind, W, "session tin [confirm]",
	 "a tax handler leaves an enterprise: query, then confirm", unbind_opts},
	{"list", taxid_bind_list, W | ROWS, "[session] [tin] [state] [operator] [format]",
	 "relations of a person or of an enterprise, with state and history", list_opts},
	{"enter", taxid_bind_enter, W, "session tin [authority] [declaration_password] [agency]",
	 "enter an enterprise: with an active authorisation, else with the declaration password, or as an agency's staff",
	 NULL},
	{"agency grant", taxid_bind_agency_grant, W, "session tin agency [valid_from] [valid_until]",
	 "let a tax agency's staff act for the enterprise (agency_filing; legal_rep or administrator)", NULL},
	{"agency list", taxid_bind_agency_list, W | ROWS, "session tin",
	 "the agency agreements of an enterprise, as client or as agency", NULL},
	{"agency revoke", taxid_bind_agency_revoke, W, "session agreement",
	 "end an agency agreement, from either side; sessions entered through it end", NULL},
	{"declpw set", taxid_bind_declpw_set, W, "session tin declaration_password [sms]",
	 "set the first declaration password (legal_rep or finance_manager; SMS to the bound phone)", NULL},
	{"declpw reset", taxid_bind_declpw_reset, W, "session tin declaration_password [sms]",
	 "replace the declaration password and clear the enterprise's declaration locks", NULL},
	{"declpw clear", taxid_bind_declpw_clear, W, "tin operator doc_type doc_no name",
	 "at a hall: clear the declaration password and its locks on the legal representative's document", NULL},
	{"maintain", taxid_bind_maintain, W, "session tin [login_name] [doc_type] [doc_no] phone [sms]",
	 "change the phone of a person related to the enterprise (SMS to the new phone)", NULL},
	{"enterprise add", taxid_enterprise_add, W,
	 "tin name legal_rep [finance_manager] [credit] [flags] [status] operator",
	 "record an enterprise (operator); links its legal representative", NULL},
	{"enterprise show", taxid_enterprise_show, R, "tin", "an enterprise's core record (masked unless --reveal)", NULL},
	{"enterprise list", taxid_enterprise_list, R | ONE | ROWS, "[status]", "every enterprise, one line each",
	 ent_list_opts},
	{"enterprise update", taxid_enterprise_update, W,
	 "tin [name] [legal_rep] [finance_manager] [credit] [flags] [status] operator",
	 "change an enterprise's core record (operator); links follow", NULL},
	{"enterprise import", taxid_enterprise_import, BATCH,
	 "tin name legal_rep [finance_manager] [credit] [flags] [status] operator",
	 "bulk add-or-update from NDJSON (idempotent on tin)", import_opts},
	{"enterprise register", taxid_enterprise_register, W, "tin authority [kind] operator",
	 "record a tax authority the enterprise is registered with: home or cross_region (跨区域报验)", NULL},
	{"enterprise registrations", taxid_enterprise_registrations, R, "tin",
	 "the tax authorities an enterprise is registered with", NULL},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const struct taxid_tool tool = {"taxid-bind",
				       "Enterprises, the roles of persons in them, authorisations, entering an enterprise.",
				       actions};

int main(int argc, char **argv)
{
	return taxid_main(&tool, argc, argv);
}
