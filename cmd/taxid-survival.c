/* taxid-survival: pension survival certification — enrolment, certification, window policies, life events,
 * the monthly run with its notices, due lists and coverage reports, corrections, the fingerprint report outbox. */
#include "taxid.h"

static const struct taxid_opt due_opts[] = {
	{"as-of", TAXID_OPT_STRING, "DATE", "the day to measure from (default today)"},
	{"within", TAXID_OPT_INT, "DAYS", "also list deadlines up to DAYS after the date (default 30)"},
	{"region", TAXID_OPT_STRING, "CODE", "only this 6-digit region"},
	{"employer", TAXID_OPT_STRING, "USCC", "only this employer's pensioners"},
	{"format", TAXID_OPT_STRING, "FMT", "json (default) or csv: a spreadsheet (UTF-8 with a byte-order mark)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt run_opts[] = {
	{"as-of", TAXID_OPT_STRING, "DATE", "the day of the run (required)"},
	{"region", TAXID_OPT_STRING, "CODE", "only this province, prefecture or county: a 2, 4 or 6-digit prefix"},
	{"batch", TAXID_OPT_INT, "N", "commit every N pensioners (default 1000)"},
	{"format", TAXID_OPT_STRING, "FMT", "json (default) or csv: the notices as a spreadsheet, the summary on stderr"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt report_opts[] = {
	{"as-of", TAXID_OPT_STRING, "DATE", "the last day covered (default today)"},
	{"months", TAXID_OPT_INT, "N", "months covered, ending with the as-of month (default 12)"},
	{"region", TAXID_OPT_STRING, "CODE", "only this 6-digit region"},
	{"employer", TAXID_OPT_STRING, "USCC", "only this employer's pensioners"},
	{"format", TAXID_OPT_STRING, "FMT", "json (default), html (a page with an SVG chart) or csv (a spreadsheet)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt outbox_opts[] = {
	{"limit", TAXID_OPT_INT, "N", "at most N reports (default 1000)"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_action actions[] = {
	{"certify", taxid_survival_certify, TAXID_ACT_BATCH,
	 "doc_type doc_no name method [at] [evidence] [body] [operator]",
	 "certify that a pensioner is alive (face, fingerprint, finger_vein, offline_device, consular, official_proof, "
	 "passive, special)",
	 NULL},
	{"enroll", taxid_survival_enroll, TAXID_ACT_BATCH,
	 "kind doc_type doc_no name pension_account region insurance_type benefit_start [new_retiree] [of] [relation] "
	 "[unable_to_work] [early_retirement] [last_certified] [photo] [employer] operator",
	 "enrol a retiree or a dependant (idempotent; an operator: a specialist or an officer)", NULL},
	{"update", taxid_survival_update, TAXID_ACT_DB_WRITE,
	 "doc_type doc_no [name] [new_name] [new_doc_type] [new_doc_no] [region] [insurance_type] [employer] [reason] "
	 "[operator]",
	 "correct a name or document (an officer); change region, insurance type or employer", NULL},
	{"event", taxid_survival_event, TAXID_ACT_BATCH, "doc_type doc_no event [date] [paid_through] [name] operator",
	 "record death, declared_dead, missing, imprisonment, release, nationality_lost, age_18, employment, enlistment, "
	 "remarriage, adoption or reappeared",
	 NULL},
	{"special", taxid_survival_special, TAXID_ACT_DB_WRITE, "doc_type doc_no name operator [reason] [at]",
	 "special certification by an agency officer when every other method failed", NULL},
	{"appeal file", taxid_survival_appeal_file, TAXID_ACT_DB_WRITE, "doc_type doc_no name operator [reason]",
	 "ask for manual review (after failed face attempts, or any refusal)", NULL},
	{"appeal decide", taxid_survival_appeal_decide, TAXID_ACT_DB_WRITE, "appeal decision operator [note] [at]",
	 "approve (counts as one certification) or reject an appeal", NULL},
	{"duplicate flag", taxid_survival_duplicate_flag, TAXID_ACT_DB_WRITE, "doc_type doc_no other operator",
	 "flag a second pension drawn elsewhere; certification waits until it is cleared", NULL},
	{"duplicate clear", taxid_survival_duplicate_clear, TAXID_ACT_DB_WRITE, "doc_type doc_no operator",
	 "clear a duplicate: keep the employee pension, or the first region's", NULL},
	{"recover", taxid_survival_recover, TAXID_ACT_BATCH, "doc_type doc_no operator [months] [via]",
	 "record that overpaid months were recovered, the oldest first (repaid, or offset)", NULL},
	{"card", taxid_survival_card, TAXID_ACT_BATCH, "doc_type doc_no state operator",
	 "record the social-security card's state: normal, lost, frozen", NULL},
	{"photo", taxid_survival_photo, TAXID_ACT_BATCH, "doc_type doc_no [present] [source] operator",
	 "record that a reference photo is on file (or missing)", NULL},
	{"policy set", taxid_survival_policy_set, TAXID_ACT_DB_WRITE,
	 "region kind [months] [deadline] [grace_days] [reminders] [recompute] operator",
	 "set a region's certification window: rolling, birthday, fixed or cycle6", NULL},
	{"policy list", taxid_survival_policy_list, TAXID_ACT_DB_READ | TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS, "",
	 "list the window policies, one per line", NULL},
	{"status", taxid_survival_status, TAXID_ACT_DB_READ, "doc_type doc_no [name]",
	 "show a pensioner's state, window, certifications and events", NULL},
	{"due", taxid_survival_due, TAXID_ACT_DB_READ | TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS,
	 "[as_of] [within] [region] [employer] [format]",
	 "list who is due soon, in grace, overdue, suspended for a lapse, or owes the app certification, one per line",
	 due_opts},
	{"run", taxid_survival_run, TAXID_ACT_DB_WRITE | TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS,
	 "as_of [region] [batch] [format]",
	 "the batch for a date: end at 18, suspend after a lapse, remind; notices one per line; restartable", run_opts},
	{"report outbox", taxid_survival_report_outbox, TAXID_ACT_DB_WRITE | TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS, "[limit]",
	 "print fingerprint certifications not yet reported to the certification system and mark them reported",
	 outbox_opts},
	{"report", taxid_survival_report, TAXID_ACT_DB_READ | TAXID_ACT_NO_INPUT | TAXID_ACT_ROWS,
	 "[as_of] [months] [region] [employer] [format]", "coverage by region and month, as JSON, an HTML page or CSV", report_opts},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const struct taxid_tool tool = {"taxid-survival", "Pension survival certification for the taxid registry.",
				       actions};

int main(int argc, char **argv)
{
	return taxid_main(&tool, argc, argv);
}
