/* The due list, and the monthly run (taxid-survival(1), "The run"): dependants turning 18, suspensions after a lapse,
 * reminders before a deadline; the notices the run queues and prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "db.h"
#include "ids.h"
#include "json_out.h"
#include "keys.h"
#include "ledger.h"
#include "record.h"
#include "survival.h"
#include "survival_duty.h"
#include "survival_pay.h"
#include "survival_policy.h"
#include "survival_request.h"

/* ==== the due list ==== */

/* Person columns of a row (doc type, encrypted number, encrypted name) into a row object. */
static void row_person(struct taxid_ctx *ctx, struct taxid_q *q, int col, json_t *row)
{
	int t = (int)taxid_q_col_int(q, col);
	size_t nol, namel;
	const void *noe = taxid_q_col_blob(q, col + 1, &nol), *namee = taxid_q_col_blob(q, col + 2, &namel);
	char *no = taxid_survival_open_doc(ctx, t, noe, nol);
	char *name = taxid_pii_open(ctx->keys, "person.name", namee, namel);
	const char *doc_type = taxid_ids_doc_name((enum taxid_doc_type)t);
	json_object_set_new(row, "doc_type", json_string(doc_type ? doc_type : "unknown"));
	json_object_set_new(row, "doc_no", no ? taxid_survival_doc_json(ctx, no) : json_null());
	json_object_set_new(row, "name", taxid_survival_name_json(ctx, name));
	if (no)
		explicit_bzero(no, strlen(no));
	free(no);
	free(name);
}

/* What the due list asks: the day, the last day of "within", the region and the employer (NULL: any). */
struct due_query {
	taxid_day as_of;
	char asof[TAXID_DATE_LEN], lim[TAXID_DATE_LEN];
	const char *region, *employer;
	long rows;
};

/* Everyone whose deadline falls by the limit, or who is overdue or suspended for a lapse. */
static enum taxid_code due_deadlines(struct taxid_ctx *ctx, struct due_query *d)
{
	enum taxid_code c = TAXID_OK;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_DUE);
	taxid_q_text(q, 1, d->lim);
	taxid_bind_opt(q, 2, d->region);
	taxid_bind_opt(q, 3, d->employer);
	taxid_q_int(q, 4, taxid_day_month(d->as_of) / 12);
	taxid_q_text(q, 5, d->asof);
	while (!c && taxid_q_step(q)) {
		taxid_day vu = 0, lapse = 0;
		taxid_day_parse(taxid_q_col_text(q, 6), &vu);
		int has_lapse = !taxid_day_parse(taxid_q_col_text(q, 7), &lapse);
		const char *state = taxid_q_col_text(q, 3);
		const char *status = strcmp(state, "suspended") == 0 ? "suspended"
				     : vu >= d->as_of			  ? "due"
				     : has_lapse && lapse > d->as_of	  ? "grace"
									  : "overdue";
		json_t *row = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:I,s:s}", "pensioner", (json_int_t)taxid_q_col_int(q, 0),
					"kind", taxid_q_col_text(q, 1), "region", taxid_q_col_text(q, 2), "valid_until",
					taxid_q_col_text(q, 6), "status", status, "lapses_on", taxid_q_col_text(q, 7),
					"days_left", (json_int_t)(vu - d->as_of), "state", state);
		if (strcmp(status, "suspended") == 0)
			json_object_set_new(row, "suspended", json_pack("{s:s?,s:s?}", "reason", taxid_q_col_text(q, 4), "from",
									taxid_q_col_text(q, 5)));
		if (taxid_q_col_int(q, 11))
			json_object_set_new(row, "app_required", json_true());
		row_person(ctx, q, 8, row);
		c = taxid_emit(ctx, row);
		taxid_progress(ctx, ++d->rows);
	}
	enum taxid_code e = taxid_q_end(q);
	return c ? c : e;
}

/* Issue 13.5: who certified by fingerprint this year and still owes the app certification, when not listed above. */
static enum taxid_code due_app(struct taxid_ctx *ctx, struct due_query *d)
{
	enum taxid_code c = TAXID_OK;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_DUE_APP);
	taxid_q_int(q, 1, taxid_day_month(d->as_of) / 12);
	taxid_q_text(q, 2, d->asof);
	taxid_q_text(q, 3, d->lim);
	taxid_bind_opt(q, 4, d->region);
	taxid_bind_opt(q, 5, d->employer);
	while (!c && taxid_q_step(q)) {
		taxid_day vu = 0;
		taxid_day_parse(taxid_q_col_text(q, 6), &vu);
		json_t *row = json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s?,s:I,s:s,s:b,s:s}", "pensioner",
					(json_int_t)taxid_q_col_int(q, 0), "kind", taxid_q_col_text(q, 1), "region",
					taxid_q_col_text(q, 2), "valid_until", taxid_q_col_text(q, 6), "status",
					"app_required", "lapses_on", taxid_q_col_text(q, 7), "days_left",
					(json_int_t)(vu - d->as_of), "state", taxid_q_col_text(q, 3), "app_required", 1,
					"fingerprint_on", taxid_q_col_text(q, 11));
		row_person(ctx, q, 8, row);
		c = taxid_emit(ctx, row);
		taxid_progress(ctx, ++d->rows);
	}
	enum taxid_code e = taxid_q_end(q);
	return c ? c : e;
}

/* The columns of due's rows as a spreadsheet (--format csv). */
static const char *const due_columns[] = {"pensioner", "kind", "doc_type", "doc_no", "name", "region", "status",
					  "state", "valid_until", "lapses_on", "days_left", "app_required",
					  "fingerprint_on", "suspended.reason", "suspended.from", NULL};

enum taxid_code taxid_survival_due(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct due_query d;
	char employer[TAXID_EMPLOYER_LEN];
	int has_employer;
	memset(&d, 0, sizeof d);
	if ((c = taxid_survival_req_as_of(ctx, req, &d.as_of)) || (c = taxid_survival_req_region(ctx, req, &d.region)) ||
	    (c = taxid_survival_employer(ctx, req, "employer", employer, &has_employer)))
		return c;
	d.employer = has_employer ? employer : NULL;
	taxid_day_format(d.as_of, d.asof);
	long long within = taxid_req_int(ctx, req, "within", 30, &c);
	if (c)
		return c;
	if (within < 0 || within > 3660)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "within");
	taxid_day_format(d.as_of + within, d.lim);
	(void)out;
	if ((c = taxid_req_format(ctx, req, due_columns)) || (c = due_deadlines(ctx, &d)))
		return c;
	return due_app(ctx, &d);
}

/* ==== the run: terminations at 18, suspensions after a lapse, reminders ==== */

/* Bulk actions read much of the file: map it, and let batches commit often (a kill loses little) while the WAL is
 * copied back into the file less often. A failure here only costs speed: it is not the request's error. */
static void bulk_tune(struct taxid_ctx *ctx)
{
	enum taxid_code before = taxid_db_request_error(ctx);
	taxid_q_exec(taxid_q(ctx, TAXID_SQL_SURV_TUNE_MMAP));
	taxid_q_exec(taxid_q(ctx, TAXID_SQL_SURV_TUNE_CHECKPOINT));
	if (!before)
		taxid_db_request_reset(ctx);
}

struct run_state {
	char as_of[TAXID_DATE_LEN];
	const char *region; /* the region prefix of a part, "" for the whole run */
	char lo[8], hi[8];  /* lo <= region < hi: the part's pensioners (unused for the whole run) */
	int phase; /* 0 dependants turning 18, 1 deadlines, 2 finished */
	char cursor_date[TAXID_DATE_LEN];
	long long cursor_id;
	long long processed, suspended, reminded, terminated;
	int done;
	json_t *log; /* this batch's changes, audited with its commit */
	/* the notices this batch queued, in the order of their ids, so that printing them once committed need not
	 * parse their stored bodies again (those of an earlier attempt or another process are read back) */
	struct queued {
		long long id;
		json_t *body;
	} *queued;
	size_t nqueued, capqueued;
	struct taxid_json_buf text; /* a notice's body as stored (the writer of result lines, not json_dumps) */
};

static void queued_clear(struct run_state *r)
{
	for (size_t i = 0; i < r->nqueued; i++)
		json_decref(r->queued[i].body);
	r->nqueued = 0;
}

/* Keep body (a new reference) as notice id's; out of memory only costs the parse when it is printed. */
static void queued_add(struct run_state *r, long long id, json_t *body)
{
	if (r->nqueued == r->capqueued) {
		size_t cap = r->capqueued ? r->capqueued * 2 : 256;
		struct queued *v = realloc(r->queued, cap * sizeof *v);
		if (!v)
			return;
		r->queued = v;
		r->capqueued = cap;
	}
	r->queued[r->nqueued].id = id;
	r->queued[r->nqueued++].body = json_incref(body);
}

static enum taxid_code run_get(struct taxid_ctx *ctx, struct run_state *r)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_RUN_GET);
	taxid_q_text(q, 1, r->as_of);
	taxid_q_text(q, 2, r->region);
	int row = taxid_q_step(q);
	if (row) {
		r->done = strcmp(taxid_q_col_text(q, 0), "done") == 0;
		r->phase = (int)taxid_q_col_int(q, 1);
		taxid_col_copy(q, 2, r->cursor_date, sizeof r->cursor_date);
		r->cursor_id = taxid_q_col_int(q, 3);
		r->processed = taxid_q_col_int(q, 4);
		r->suspended = taxid_q_col_int(q, 5);
		r->reminded = taxid_q_col_int(q, 6);
		r->terminated = taxid_q_col_int(q, 7);
	}
	enum taxid_code c = taxid_q_end(q);
	return c ? c : row ? TAXID_OK : TAXID_E_NOT_FOUND;
}

static enum taxid_code run_save(struct taxid_ctx *ctx, const struct run_state *r)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_RUN_SAVE);
	taxid_q_text(q, 1, r->as_of);
	taxid_q_int(q, 2, r->phase);
	taxid_q_text(q, 3, r->cursor_date);
	taxid_q_int(q, 4, r->cursor_id);
	taxid_q_int(q, 5, r->processed);
	taxid_q_int(q, 6, r->suspended);
	taxid_q_int(q, 7, r->reminded);
	taxid_q_int(q, 8, r->terminated);
	taxid_q_text(q, 9, r->region);
	return taxid_q_exec(q);
}

/* Audit what this batch changed, in its transaction: one row per batch listing every pensioner, so that a
 * million-pensioner run does not write a million audit rows. */
static enum taxid_code run_audit(struct taxid_ctx *ctx, struct run_state *r, const char *step)
{
	char subject[32];
	snprintf(subject, sizeof subject, "run:%s%s%s", r->as_of, r->region[0] ? ":" : "", r->region);
	json_t *d = r->log ? r->log : json_object();
	json_object_set_new(d, "step", json_string(step));
	enum taxid_code c = taxid_audit(ctx, "survival.run", subject, NULL, d);
	json_decref(d);
	r->log = NULL;
	return c;
}

static void run_log(struct run_state *r, const char *what, long long pid, const char *from, const char *reason)
{
	if (!r->log)
		r->log = json_object();
	json_t *a = json_object_get(r->log, what);
	if (!a)
		json_object_set_new(r->log, what, a = json_array());
	json_array_append_new(a, reason ? json_pack("[I,s,s]", (json_int_t)pid, from, reason) : json_pack("[I,s]", (json_int_t)pid, from));
}

/* Queue a notice once per (pensioner, kind, key); body (stolen) is what it says, without personal data. *added says
 * whether it is new. */
static enum taxid_code notice_add(struct taxid_ctx *ctx, struct run_state *r, long long pid, const char *kind,
				  const char *key, json_t *body, int *added)
{
	struct taxid_json_buf *text = &r->text;
	text->n = 0;
	taxid_json_value(text, body);
	*added = 0;
	if (text->bad) {
		json_decref(body);
		return TAXID_E_INTERNAL;
	}
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_NOTICE_INSERT);
	taxid_q_int(q, 1, pid);
	taxid_q_text(q, 2, kind);
	taxid_q_text(q, 3, key);
	taxid_q_text(q, 4, r->as_of);
	taxid_q_textn(q, 5, text->p, text->n);
	taxid_q_text(q, 6, taxid_survival_now(ctx));
	enum taxid_code c = taxid_q_exec(q);
	*added = !c && taxid_db_changes(ctx) > 0;
	if (*added)
		queued_add(r, taxid_db_last_id(ctx), body);
	json_decref(body);
	return c;
}

/* A notice row as printed: the stored body (body, when this process queued it, else parsed from the row) plus who it
 * is for, masked unless --reveal. */
static json_t *notice_row(struct taxid_ctx *ctx, struct taxid_q *q, long long id, json_t *body)
{
	json_t *row = body ? body : json_loads(taxid_q_col_text(q, 3), 0, NULL);
	if (!json_is_object(row)) {
		json_decref(row);
		row = json_object();
	}
	json_object_set_new(row, "notice_id", json_integer(id));
	json_object_set_new(row, "pensioner", json_integer(taxid_q_col_int(q, 1)));
	json_object_set_new(row, "region", json_string(taxid_q_col_text(q, 4)));
	row_person(ctx, q, 5, row);
	return row;
}

/* The part's bounds as parameters i and i + 1 (both NULL for the whole run). */
static void run_bind_region(struct taxid_q *q, int i, const struct run_state *r)
{
	taxid_bind_opt(q, i, r->region[0] ? r->lo : NULL);
	taxid_bind_opt(q, i + 1, r->region[0] ? r->hi : NULL);
}

/* Print the committed notices of a run not yet printed, then mark them (in the caller's next commit): a kill in
 * between prints them again on the rerun — at least once, each with its id. */
static enum taxid_code notices_emit(struct taxid_ctx *ctx, struct run_state *r)
{
	enum taxid_code c = TAXID_OK;
	long long max = 0;
	size_t k = 0;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_NOTICE_PENDING);
	taxid_q_text(q, 1, r->as_of);
	run_bind_region(q, 2, r);
	while (!c && taxid_q_step(q)) {
		max = taxid_q_col_int(q, 0);
		while (k < r->nqueued && r->queued[k].id < max)
			k++;
		json_t *body = NULL;
		if (k < r->nqueued && r->queued[k].id == max) {
			body = r->queued[k].body;
			r->queued[k].body = NULL; /* taken by the row */
		}
		c = taxid_emit(ctx, notice_row(ctx, q, max, body));
	}
	queued_clear(r);
	enum taxid_code e = taxid_q_end(q);
	if (c || e)
		return c ? c : e;
	if (fflush(ctx->out) == EOF || ferror(ctx->out))
		return TAXID_E_IO_ERROR;
	if (!max)
		return TAXID_OK;
	q = taxid_q(ctx, TAXID_SQL_SURV_NOTICE_EMITTED);
	taxid_q_text(q, 1, r->as_of);
	taxid_q_text(q, 2, taxid_survival_now(ctx));
	taxid_q_int(q, 3, max);
	run_bind_region(q, 4, r);
	return taxid_q_exec(q);
}

/* A dependant child reaching 18: ended after the month of the birthday. */
static enum taxid_code run_age18(struct taxid_ctx *ctx, struct run_state *r, struct taxid_pensioner *p, int cur)
{
	taxid_day ends;
	int added;
	if (taxid_day_parse(p->ends_on, &ends))
		return TAXID_OK;
	enum taxid_code c = taxid_pay_end(ctx, p, "age_18", ends, TAXID_MONTH_NONE, cur, NULL, NULL, 0);
	if (c)
		return c;
	run_log(r, "terminated", p->id, p->since, "age_18");
	c = notice_add(ctx, r, p->id, "termination", "age_18",
		       json_pack("{s:s,s:s,s:s,s:s,s:s}", "notice", "termination", "as_of", r->as_of, "reason", "age_18",
				 "birthday", p->ends_on, "payment_stops_from", p->since),
		       &added);
	r->terminated += !c;
	return c;
}

/* A lapse: suspended from the first month not yet paid. The run's date decides what was paid: every month up to the
 * run's month has begun, so it was paid (issue 13: not retroactively from the lapse). */
static enum taxid_code run_suspend(struct taxid_ctx *ctx, struct run_state *r, struct taxid_pensioner *p, taxid_day as_of,
				   taxid_day lapse)
{
	struct taxid_ledger l;
	enum taxid_code c;
	int rm = taxid_day_month(as_of), added;
	if ((c = taxid_pay_open(ctx, p, rm, &l)))
		return c;
	int lp = taxid_pay_last_paid(ctx, p, &l), since = lp != TAXID_MONTH_NONE && lp >= rm + 1 ? lp + 1 : rm + 1;
	if ((c = taxid_pay_close(ctx, &l, TAXID_OK)))
		return c;
	taxid_month_format(since, p->since);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PENSIONER_SUSPEND);
	taxid_q_int(q, 1, p->id);
	taxid_q_text(q, 2, "lapse");
	taxid_q_text(q, 3, p->since);
	taxid_q_text(q, 4, taxid_survival_now(ctx));
	if ((c = taxid_q_exec(q)) ||
	    (c = taxid_pensioner_event(ctx, p->id, "lapse", lapse, since, "suspended",
				       json_pack("{s:s,s:s}", "run", r->as_of, "valid_until", p->valid_until), NULL)))
		return c;
	run_log(r, "suspended", p->id, p->since, NULL);
	c = notice_add(ctx, r, p->id, "suspension", p->since,
		       json_pack("{s:s,s:s,s:s,s:s,s:s}", "notice", "suspension", "as_of", r->as_of, "valid_until",
				 p->valid_until, "lapsed_on", p->lapse_on, "suspended_from", p->since),
		       &added);
	r->suspended += !c;
	return c;
}

/* A deadline near or past: suspend from the month after the lapse, else remind at the nearest offset reached. */
static enum taxid_code run_deadline(struct taxid_ctx *ctx, struct run_state *r, struct taxid_pensioner *p, taxid_day as_of)
{
	taxid_day vu, lapse;
	int added = 0;
	char key[48];
	json_t *body;
	if (taxid_day_parse(p->valid_until, &vu) || taxid_day_parse(p->lapse_on, &lapse))
		return TAXID_OK;
	if (lapse <= as_of)
		return run_suspend(ctx, r, p, as_of, lapse);
	const struct taxid_policy *pol = taxid_policy_for(p->region);
	long long left = vu - as_of;
	if (left < 0) {
		snprintf(key, sizeof key, "%s:grace", p->valid_until);
		body = json_pack("{s:s,s:s,s:s,s:I,s:s,s:b}", "notice", "reminder", "as_of", r->as_of, "valid_until", p->valid_until,
				 "days_left", (json_int_t)left, "lapses_on", p->lapse_on, "grace", 1);
	} else {
		int k = 0;
		while (k < pol->nrem && pol->reminders[k] < left)
			k++;
		if (k == pol->nrem)
			return TAXID_OK;
		snprintf(key, sizeof key, "%s:%d", p->valid_until, pol->reminders[k]);
		body = json_pack("{s:s,s:s,s:s,s:I,s:i,s:s}", "notice", "reminder", "as_of", r->as_of, "valid_until", p->valid_until,
				 "days_left", (json_int_t)left, "offset", pol->reminders[k], "lapses_on", p->lapse_on);
	}
	enum taxid_code c = notice_add(ctx, r, p->id, "reminder", key, body, &added);
	r->reminded += added;
	return c;
}

static json_t *run_summary(const struct run_state *r, int already)
{
	return json_pack("{s:s,s:s*,s:s,s:I,s:I,s:I,s:I,s:b}", "run", r->as_of, "region", r->region[0] ? r->region : NULL,
			 "state", "done", "processed", (json_int_t)r->processed, "suspended", (json_int_t)r->suspended,
			 "reminders", (json_int_t)r->reminded, "terminated", (json_int_t)r->terminated, "already_done",
			 already);
}

/* One batch of the run's current phase from its cursor, read whole, then handled; the cursor moves past it and, when
 * the phase ran out, on to the next phase. */
static enum taxid_code run_batch(struct taxid_ctx *ctx, struct run_state *r, struct taxid_pensioner *v, long long batch,
				 taxid_day as_of, long long *seen)
{
	char lim[TAXID_DATE_LEN];
	taxid_day_format(as_of + taxid_policy_max_reminder(), lim);
	struct taxid_q *q = taxid_q(ctx, r->phase == 0 ? TAXID_SQL_SURV_RUN_ENDING : TAXID_SQL_SURV_RUN_DUE);
	if (r->phase == 0) {
		taxid_q_text(q, 1, r->as_of);
		taxid_q_int(q, 2, r->cursor_id);
		taxid_q_int(q, 3, batch);
		run_bind_region(q, 4, r);
	} else {
		taxid_q_text(q, 1, lim);
		taxid_q_text(q, 2, r->cursor_date);
		taxid_q_int(q, 3, r->cursor_id);
		taxid_q_int(q, 4, batch);
		run_bind_region(q, 5, r);
	}
	long long n = 0;
	while (n < batch && taxid_q_step(q))
		taxid_pensioner_read(q, &v[n++]);
	enum taxid_code c = taxid_q_end(q);
	for (long long i = 0; i < n; i++) {
		if (!c)
			c = r->phase == 0 ? run_age18(ctx, r, &v[i], taxid_day_month(as_of)) : run_deadline(ctx, r, &v[i], as_of);
		r->processed++;
		r->cursor_id = v[i].id;
		snprintf(r->cursor_date, sizeof r->cursor_date, "%s", v[i].valid_until);
		taxid_pensioner_clear(&v[i]);
		taxid_progress(ctx, (long)++*seen);
	}
	if (!c && n < batch) {
		r->phase++;
		r->cursor_date[0] = 0;
		r->cursor_id = 0;
	}
	return c;
}

/* How long a run's batch keeps losing write conflicts in a row before the run stops with db_busy. */
#define TAXID_SURV_CONFLICT_SECONDS 600

/* Whether a batch that lost its conflict number n in a row (since *since) is tried again: for up to
 * TAXID_SURV_CONFLICT_SECONDS of losing in a row. */
static int still_trying(struct timespec *since, int n)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (n == 1)
		*since = now;
	return now.tv_sec - since->tv_sec < TAXID_SURV_CONFLICT_SECONDS;
}

/* The batches, each committed with its cursor and audit row, its notices printed once committed. */
static enum taxid_code run_batches(struct taxid_ctx *ctx, struct run_state *r, long long batch, taxid_day as_of)
{
	struct taxid_pensioner *v = calloc((size_t)batch, sizeof *v);
	if (!v)
		return TAXID_E_INTERNAL;
	enum taxid_code c = TAXID_OK;
	long long seen = r->processed;
	int conflicts = 0;
	struct timespec lost_since = {0, 0};
	while (!c) {
		/* Re-read the cursor inside this transaction: a second process on the same date continues, not repeats. */
		if ((c = run_get(ctx, r)) || r->done || r->phase >= 2)
			break;
		if (!(c = run_batch(ctx, r, v, batch, as_of, &seen)) &&
		    !((r->log && (c = run_audit(ctx, r, "batch"))) || (c = run_save(ctx, r)) || (c = taxid_db_commit(ctx))))
			conflicts = 0;
		else if (taxid_db_conflict(ctx) && still_trying(&lost_since, ++conflicts)) {
			/* PostgreSQL: another worker's commit won (the audit chain's head, say): this batch is rolled back
			 * whole; run it again from the committed cursor, its notices not yet queued. Workers that keep
			 * committing can keep one from winning for as long as they run (their batches all move the one
			 * audit head), so the bound is a time, not a count: the run goes on after they end. */
			taxid_db_rollback(ctx);
			json_decref(r->log);
			r->log = NULL;
			queued_clear(r);
			taxid_db_request_reset(ctx);
			taxid_db_conflict_pause(conflicts);
			c = taxid_db_begin(ctx);
			continue;
		} else {
			break;
		}
		if ((c = taxid_db_begin(ctx)) || (c = notices_emit(ctx, r)))
			break;
	}
	free(v);
	json_decref(r->log);
	r->log = NULL;
	queued_clear(r);
	free(r->queued);
	r->queued = NULL;
	r->capqueued = 0;
	taxid_json_free(&r->text);
	return c;
}

/* Mark the run done and audit its totals. */
static enum taxid_code run_finish(struct taxid_ctx *ctx, struct run_state *r)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_RUN_DONE);
	taxid_q_text(q, 1, r->as_of);
	taxid_q_text(q, 2, taxid_survival_now(ctx));
	taxid_q_text(q, 3, r->region);
	enum taxid_code c = taxid_q_exec(q);
	if (c)
		return c;
	r->log = json_pack("{s:I,s:I,s:I,s:I}", "processed", (json_int_t)r->processed, "suspended", (json_int_t)r->suspended,
			   "reminders", (json_int_t)r->reminded, "terminated", (json_int_t)r->terminated);
	return run_audit(ctx, r, "done");
}

/* The columns of the run's notices as a spreadsheet (--format csv): every member any notice has. */
static const char *const notice_columns[] = {"notice_id", "notice", "pensioner", "doc_type", "doc_no", "name", "region",
					     "as_of", "valid_until", "days_left", "offset", "grace", "lapses_on",
					     "lapsed_on", "suspended_from", "reason", "birthday", "payment_stops_from",
					     NULL};

/* The run's last line: its summary row, or, when the notices are a spreadsheet, one line of text on standard
 * error (a summary is no notice). */
static enum taxid_code run_done(struct taxid_ctx *ctx, const struct run_state *r, int already)
{
	if (!ctx->csv_columns)
		return taxid_emit(ctx, run_summary(r, already));
	fprintf(stderr, "%s: run %s%s%s done%s: %lld processed, %lld suspended, %lld reminders, %lld terminated\n",
		ctx->tool->name, r->as_of, r->region[0] ? " region " : "", r->region, already ? " already" : "", r->processed,
		r->suspended, r->reminded, r->terminated);
	return TAXID_OK;
}

/* "region" of a run: a province, prefecture or county prefix (2, 4 or 6 digits of a mainland province); absent for
 * the whole run. Sets the part's bounds: "1101" is every region from "1101" up to, not including, "1102". */
static enum taxid_code run_region(struct taxid_ctx *ctx, json_t *req, struct run_state *r)
{
	enum taxid_code c = TAXID_OK;
	const char *s = taxid_req_str(ctx, req, "region", 0, &c);
	r->region = "";
	if (c || !s)
		return c;
	size_t n = strlen(s);
	if ((n != 2 && n != 4 && n != 6) || strspn(s, "0123456789") != n || !taxid_region_province_ok(s))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "region");
	r->region = s;
	memcpy(r->lo, s, n + 1);
	memcpy(r->hi, s, n + 1);
	r->hi[n - 1]++; /* '9' becomes ':', above every digit */
	return TAXID_OK;
}

enum taxid_code taxid_survival_run(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	taxid_day as_of;
	int present;
	struct run_state r;
	memset(&r, 0, sizeof r);
	(void)out;
	if ((c = taxid_survival_req_day(ctx, req, "as_of", 1, &present, &as_of)))
		return c;
	/* A run dated after today would suspend people whose window has not ended (issue 13): refused, nothing changes. */
	if (as_of > taxid_survival_today(ctx))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "as_of", json_pack("{s:s}", "reason", "in_the_future"));
	if ((c = run_region(ctx, req, &r)))
		return c;
	long long batch = taxid_req_int(ctx, req, "batch", ctx->batch_size, &c);
	if (c)
		return c;
	if (batch < 1 || batch > 100000)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "batch");
	if ((c = taxid_req_format(ctx, req, notice_columns)) || (c = taxid_policies_load(ctx)))
		return c;
	bulk_tune(ctx);
	taxid_day_format(as_of, r.as_of);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_RUN_START);
	taxid_q_text(q, 1, r.as_of);
	taxid_q_text(q, 2, taxid_survival_now(ctx));
	taxid_q_text(q, 3, r.region);
	if ((c = taxid_q_exec(q)))
		return c;
	if (taxid_db_changes(ctx) > 0 && (c = run_audit(ctx, &r, "start")))
		return c;
	if ((c = run_get(ctx, &r)))
		return c;
	if (r.done)
		return run_done(ctx, &r, 1);
	/* Notices an interrupted attempt committed but may not have printed. */
	if ((c = notices_emit(ctx, &r)) || (c = run_batches(ctx, &r, batch, as_of)))
		return c;
	if (!r.done && (c = run_finish(ctx, &r)))
		return c;
	return run_done(ctx, &r, 0);
}
