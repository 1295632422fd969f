/* Pension survival certification: who must prove being alive, by when, and what follows when they do not.
 * The rules are written out in taxid-survival(1); this file follows them in the same order. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "db.h"
#include "holiday.h"
#include "keys.h"
#include "ledger.h"
#include "person.h"
#include "operator.h"
#include "record.h"
#include "survival.h"
#include "survival_duty.h"
#include "verdict.h"
#include "verify.h"

#define DATE_LEN 16  /* "YYYY-MM-DD" with room to spare */
#define MONTH_LEN 12 /* "YYYY-MM" */
#define NONE INT_MIN /* no month */

/* ==== calendar: days since 1970-01-01, and months counted as year * 12 + month - 1 ==== */

typedef int64_t day_t;

static int month_days(int y, int m)
{
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return md[m - 1] + (m == 2 && leap);
}

static int day_parse(const char *s, day_t *d)
{
	int y, m, dd;
	if (!s || !*s || taxid_date_parse(s, &y, &m, &dd))
		return -1;
	*d = taxid_days_from_civil(y, m, dd);
	return 0;
}

static void day_format(day_t d, char out[DATE_LEN])
{
	int y, m, dd;
	taxid_civil_from_days(d, &y, &m, &dd);
	snprintf(out, DATE_LEN, "%04d-%02d-%02d", y % 10000, m, dd);
}

static int day_ymd(day_t d)
{
	int y, m, dd;
	taxid_civil_from_days(d, &y, &m, &dd);
	return y * 10000 + m * 100 + dd;
}

static int day_month(day_t d)
{
	int y, m, dd;
	taxid_civil_from_days(d, &y, &m, &dd);
	return y * 12 + m - 1;
}

static int month_parse(const char *s, int *mon)
{
	if (!s || strlen(s) != 7 || s[4] != '-' || strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 2)
		return -1;
	int y = atoi(s), m = atoi(s + 5);
	if (y < 1 || m < 1 || m > 12)
		return -1;
	*mon = y * 12 + m - 1;
	return 0;
}

static void month_format(int mon, char out[MONTH_LEN])
{
	snprintf(out, MONTH_LEN, "%04d-%02d", (mon / 12) % 10000, mon % 12 + 1);
}

static day_t month_first(int mon)
{
	return taxid_days_from_civil(mon / 12, mon % 12 + 1, 1);
}

static day_t month_last(int mon)
{
	return taxid_days_from_civil(mon / 12, mon % 12 + 1, month_days(mon / 12, mon % 12 + 1));
}

/* The same day n months later; a day past the end of the target month becomes its last day (31 Jan + 1 = 28/29 Feb). */
static day_t add_months(day_t d, int n)
{
	int y, m, dd;
	taxid_civil_from_days(d, &y, &m, &dd);
	int mon = y * 12 + m - 1 + n, y2 = mon / 12, m2 = mon % 12 + 1;
	int last = month_days(y2, m2);
	return taxid_days_from_civil(y2, m2, dd > last ? last : dd);
}

/* Months a..b inclusive. */
static int months_incl(int a, int b)
{
	return a == NONE || b == NONE || b < a ? 0 : b - a + 1;
}

static day_t today(const struct taxid_ctx *ctx)
{
	int ymd = taxid_local_ymd(ctx->now, ctx->tz_offset);
	return taxid_days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
}

/* The date the person turns n (a 29 February birthday counts on 1 March in common years, like taxid_age_years). */
static day_t birthday_at(day_t birth, int years)
{
	int y, m, d;
	taxid_civil_from_days(birth, &y, &m, &d);
	y += years;
	if (m == 2 && d == 29 && month_days(y, 2) == 28) {
		m = 3;
		d = 1;
	}
	return taxid_days_from_civil(y, m, d);
}

/* ==== window policies ==== */

enum window { W_ROLLING, W_BIRTHDAY, W_FIXED };
static const char *const window_names[] = {"rolling", "birthday", "fixed"};

#define MAX_REMINDERS 8

struct policy {
	char region[8];
	enum window kind;
	int months;            /* rolling: the window length */
	int dl_month, dl_day;  /* fixed: the yearly deadline */
	int grace;             /* days after the deadline before the lapse */
	int reminders[MAX_REMINDERS], nrem; /* days before the deadline, ascending */
	int builtin;
};

static const struct policy builtin_policy = {"default", W_ROLLING, 12, 0, 0, 0, {7, 30}, 2, 1};
static struct policy *policies;
static size_t npolicies;
static int policies_loaded;

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Parse a JSON array of reminder offsets into p (ascending, without duplicates); -1 when malformed. */
static int reminders_parse(json_t *a, struct policy *p)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a) || json_array_size(a) > MAX_REMINDERS)
		return -1;
	p->nrem = 0;
	json_array_foreach(a, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 366)
			return -1;
		p->reminders[p->nrem++] = (int)json_integer_value(v);
	}
	qsort(p->reminders, (size_t)p->nrem, sizeof *p->reminders, int_cmp);
	int n = 0;
	for (int k = 0; k < p->nrem; k++)
		if (n == 0 || p->reminders[n - 1] != p->reminders[k])
			p->reminders[n++] = p->reminders[k];
	p->nrem = n;
	return 0;
}

static json_t *reminders_json(const struct policy *p)
{
	json_t *a = json_array();
	for (int k = p->nrem - 1; k >= 0; k--)
		json_array_append_new(a, json_integer(p->reminders[k]));
	return a;
}

static enum taxid_code policies_load(struct taxid_ctx *ctx)
{
	if (policies_loaded)
		return TAXID_OK;
	free(policies);
	policies = NULL;
	npolicies = 0;
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_POLICY_ALL);
	if (!st)
		return TAXID_E_INTERNAL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct policy *np = realloc(policies, (npolicies + 1) * sizeof *policies);
		if (!np) {
			sqlite3_reset(st);
			return TAXID_E_INTERNAL;
		}
		policies = np;
		struct policy *p = &policies[npolicies++];
		memset(p, 0, sizeof *p);
		snprintf(p->region, sizeof p->region, "%s", (const char *)sqlite3_column_text(st, 0));
		const char *k = (const char *)sqlite3_column_text(st, 1);
		p->kind = strcmp(k, "birthday") == 0 ? W_BIRTHDAY : strcmp(k, "fixed") == 0 ? W_FIXED : W_ROLLING;
		p->months = sqlite3_column_int(st, 2);
		const char *dl = (const char *)sqlite3_column_text(st, 3);
		if (dl && strlen(dl) == 5) {
			p->dl_month = atoi(dl);
			p->dl_day = atoi(dl + 3);
		}
		p->grace = sqlite3_column_int(st, 4);
		json_t *a = json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL);
		if (reminders_parse(a, p))
			p->nrem = 0;
		json_decref(a);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return taxid_db_fail(ctx, rc);
	policies_loaded = 1;
	return TAXID_OK;
}

static const struct policy *policy_exact(const char *region)
{
	for (size_t i = 0; i < npolicies; i++)
		if (strcmp(policies[i].region, region) == 0)
			return &policies[i];
	return NULL;
}

/* The policy of a region: its own, else its prefecture's (first 4 digits + 00), else its province's
 * (first 2 + 0000), else "default", else the built-in rolling 12 months. */
static const struct policy *policy_for(const char *region)
{
	char key[8];
	const struct policy *p = policy_exact(region);
	if (!p && strlen(region) == 6) {
		snprintf(key, sizeof key, "%.4s00", region);
		p = policy_exact(key);
		if (!p) {
			snprintf(key, sizeof key, "%.2s0000", region);
			p = policy_exact(key);
		}
	}
	if (!p)
		p = policy_exact("default");
	return p ? p : &builtin_policy;
}

static int max_reminder(void)
{
	int m = builtin_policy.reminders[builtin_policy.nrem - 1];
	for (size_t i = 0; i < npolicies; i++)
		if (policies[i].nrem && policies[i].reminders[policies[i].nrem - 1] > m)
			m = policies[i].reminders[policies[i].nrem - 1];
	return m;
}

/* The last day a certification on day c keeps the pension in payment (birth_month 1-12, or 0 when unknown).
 * Rolling: c + months. Birthday and fixed: the first period end (end of the birth month, or the yearly deadline)
 * on or after c + 12 months — that is, one certification in every period between two deadlines. */
static day_t window_until(const struct policy *p, day_t c, int birth_month)
{
	if (p->kind == W_ROLLING || (p->kind == W_BIRTHDAY && !birth_month))
		return add_months(c, p->kind == W_ROLLING ? p->months : 12);
	day_t target = add_months(c, 12);
	int y = day_month(target) / 12;
	for (int k = 0; k < 2; k++, y++) {
		day_t d;
		if (p->kind == W_BIRTHDAY)
			d = month_last(y * 12 + birth_month - 1);
		else
			d = taxid_days_from_civil(y, p->dl_month,
						  p->dl_day > month_days(y, p->dl_month) ? month_days(y, p->dl_month) : p->dl_day);
		if (d >= target)
			return d;
	}
	return add_months(c, 12); /* not reached */
}

static json_t *policy_json(const struct policy *p)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:o}", "region", p->region, "kind", window_names[p->kind], "grace_days", p->grace,
			      "reminders", reminders_json(p));
	if (p->kind == W_ROLLING)
		json_object_set_new(o, "months", json_integer(p->months));
	if (p->kind == W_FIXED) {
		char dl[8];
		snprintf(dl, sizeof dl, "%02d-%02d", p->dl_month % 100, p->dl_day % 100);
		json_object_set_new(o, "deadline", json_string(dl));
	}
	if (p->builtin)
		json_object_set_new(o, "builtin", json_true());
	return o;
}

/* The request time as RFC 3339, formatted once per clock value. */
static const char *now_text(const struct taxid_ctx *ctx)
{
	static int64_t at = INT64_MIN;
	static char buf[TAXID_TIME_LEN];
	if (at != ctx->now) {
		taxid_time_format(ctx->now, buf);
		at = ctx->now;
	}
	return buf;
}

/* ==== pensioners ==== */

struct pensioner {
	long long id, person_id, doc_id, insured_id;
	char kind[12], relation[12], region[8], insurance[16], benefit_start[MONTH_LEN];
	int unable_to_work, early;
	char state[12], reason[24], since[MONTH_LEN];
	int owed_months;
	char owed_from[MONTH_LEN];
	char anchor[DATE_LEN], last_certified[DATE_LEN], valid_until[DATE_LEN], lapse_on[DATE_LEN], ends_on[DATE_LEN];
	int face_failures;
	char card[8];
	char *duplicate; /* JSON of the other pension while a duplicate is flagged */
	char enrolled_at[TAXID_TIME_LEN];
};

static void col_text(sqlite3_stmt *st, int i, char *buf, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	size_t len = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
	if (len >= n)
		len = n - 1;
	if (len)
		memcpy(buf, t, len);
	buf[len] = 0;
}

static void pensioner_read(sqlite3_stmt *st, struct pensioner *p)
{
	memset(p, 0, sizeof *p);
	p->id = sqlite3_column_int64(st, 0);
	p->person_id = sqlite3_column_int64(st, 1);
	p->doc_id = sqlite3_column_int64(st, 2);
	col_text(st, 3, p->kind, sizeof p->kind);
	col_text(st, 4, p->relation, sizeof p->relation);
	p->insured_id = sqlite3_column_int64(st, 5);
	col_text(st, 6, p->region, sizeof p->region);
	col_text(st, 7, p->insurance, sizeof p->insurance);
	col_text(st, 8, p->benefit_start, sizeof p->benefit_start);
	p->unable_to_work = sqlite3_column_int(st, 9);
	p->early = sqlite3_column_int(st, 10);
	col_text(st, 11, p->state, sizeof p->state);
	col_text(st, 12, p->reason, sizeof p->reason);
	col_text(st, 13, p->since, sizeof p->since);
	p->owed_months = sqlite3_column_int(st, 14);
	col_text(st, 15, p->owed_from, sizeof p->owed_from);
	col_text(st, 16, p->anchor, sizeof p->anchor);
	col_text(st, 17, p->last_certified, sizeof p->last_certified);
	col_text(st, 18, p->valid_until, sizeof p->valid_until);
	col_text(st, 19, p->lapse_on, sizeof p->lapse_on);
	col_text(st, 20, p->ends_on, sizeof p->ends_on);
	p->face_failures = sqlite3_column_int(st, 21);
	col_text(st, 22, p->card, sizeof p->card);
	if (sqlite3_column_type(st, 23) != SQLITE_NULL)
		p->duplicate = strdup((const char *)sqlite3_column_text(st, 23));
	col_text(st, 24, p->enrolled_at, sizeof p->enrolled_at);
}

static void pensioner_clear(struct pensioner *p)
{
	free(p->duplicate);
	p->duplicate = NULL;
}

static enum taxid_code pensioner_load(struct taxid_ctx *ctx, enum taxid_stmt id, long long key, struct pensioner *p)
{
	sqlite3_stmt *st = taxid_sql(ctx, id);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, key);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		pensioner_read(st, p);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return TAXID_OK;
	return rc == SQLITE_DONE ? TAXID_E_NOT_FOUND : taxid_db_fail(ctx, rc);
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static enum taxid_code pensioner_save(struct taxid_ctx *ctx, const struct pensioner *p)
{
	const char *at = now_text(ctx);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PENSIONER_SAVE);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_text(st, 2, p->state, -1, SQLITE_STATIC);
	bind_opt(st, 3, p->reason);
	bind_opt(st, 4, p->since);
	sqlite3_bind_int(st, 5, p->owed_months);
	bind_opt(st, 6, p->owed_from);
	sqlite3_bind_text(st, 7, p->anchor, -1, SQLITE_STATIC);
	bind_opt(st, 8, p->last_certified);
	bind_opt(st, 9, p->valid_until);
	bind_opt(st, 10, p->lapse_on);
	bind_opt(st, 11, p->ends_on);
	sqlite3_bind_int(st, 12, p->face_failures);
	sqlite3_bind_text(st, 13, p->card, -1, SQLITE_STATIC);
	bind_opt(st, 14, p->duplicate);
	sqlite3_bind_text(st, 15, at, -1, SQLITE_STATIC);
	return taxid_db_exec(ctx, st);
}

static int pmonth(const char *s)
{
	int m;
	return month_parse(s, &m) ? NONE : m;
}

/* Set the deadline and the lapse day from a certification (or the enrolment anchor) on day c. */
static void pensioner_window(struct pensioner *p, const struct policy *pol, day_t c, int birth_month)
{
	day_t until = window_until(pol, c, birth_month);
	day_format(until, p->valid_until);
	day_format(until + pol->grace + 1, p->lapse_on);
}

/* ==== the payment ledger (issue 13): which months were paid, withheld, back paid, overpaid, recovered ==== */

/* The first month this system pays: the enrolment month (the months before it were paid by the previous system),
 * or the benefit start when that is later; for a new retiree awaiting approval, the benefit start (arrears are owed
 * from it). */
static int ledger_origin(const struct taxid_ctx *ctx, const struct pensioner *p)
{
	int bs = pmonth(p->benefit_start), em = NONE;
	int64_t t;
	if (strcmp(p->state, "pending") == 0)
		return bs;
	if (p->enrolled_at[0] && taxid_time_parse(p->enrolled_at, &t) == 0) {
		int ymd = taxid_local_ymd(t, ctx->tz_offset);
		em = ymd / 10000 * 12 + ymd / 100 % 100 - 1;
	}
	return em == NONE ? bs : bs != NONE && bs > em ? bs : em;
}

/* Bring the ledger up to month `through` under the pensioner's present state: in payment, paid; suspended, paid
 * before the suspension and withheld (for its reason) from it; ended, paid before the end and nothing after;
 * awaiting approval, withheld from the benefit start. */
static int ledger_bring(const struct taxid_ctx *ctx, const struct pensioner *p, struct taxid_ledger *l, int through)
{
	int origin = ledger_origin(ctx, p), since = pmonth(p->since);
	if (since == NONE)
		since = origin;
	if (strcmp(p->state, "active") == 0)
		return taxid_ledger_extend(l, origin, through, INT_MAX, TAXID_PAY_NONE, NULL);
	if (strcmp(p->state, "pending") == 0)
		return taxid_ledger_extend(l, origin, through, origin, TAXID_PAY_WITHHELD, "approval");
	if (strcmp(p->state, "suspended") == 0)
		return taxid_ledger_extend(l, origin, through, since, TAXID_PAY_WITHHELD, p->reason);
	return taxid_ledger_extend(l, origin, through, since, TAXID_PAY_NONE, NULL);
}

/* Load a pensioner's ledger and bring it up to month `through`. */
static enum taxid_code ledger_open(struct taxid_ctx *ctx, const struct pensioner *p, int through, struct taxid_ledger *l)
{
	enum taxid_code c = taxid_ledger_load(ctx, p->id, l);
	if (!c && ledger_bring(ctx, p, l, through)) {
		taxid_ledger_free(l);
		c = TAXID_E_INTERNAL;
	}
	return c;
}

static enum taxid_code ledger_close(struct taxid_ctx *ctx, struct taxid_ledger *l, enum taxid_code c)
{
	if (!c)
		c = taxid_ledger_save(ctx, l, now_text(ctx));
	taxid_ledger_free(l);
	return c;
}

/* A month before the ledger's origin, from the benefit start on, was paid by the previous system. */
static int paid_before_origin(const struct taxid_ctx *ctx, const struct pensioner *p, int k)
{
	int bs = pmonth(p->benefit_start), origin = ledger_origin(ctx, p);
	return strcmp(p->state, "pending") != 0 && bs != NONE && origin != NONE && k >= bs && k < origin;
}

/* The last month money went out for: the ledger's, else the month before its origin. */
static int ledger_last_paid(const struct taxid_ctx *ctx, const struct pensioner *p, const struct taxid_ledger *l)
{
	int last = taxid_ledger_last_paid(l), origin = ledger_origin(ctx, p);
	if (last == NONE && origin != NONE && paid_before_origin(ctx, p, origin - 1))
		last = origin - 1;
	return last;
}

static int row_paid(const struct taxid_ledger_row *r)
{
	return r->state == TAXID_PAY_PAID || r->state == TAXID_PAY_BACK_PAID;
}

/* After an event in month m that ends the right to the pension (death, imprisonment, ...): every month after m that
 * was paid becomes overpaid (why) — through paid_through when the payment system gives it, else through the last
 * month paid, the months before the ledger's origin included; months after paid_through that the ledger has as
 * paid were not, and are withheld. Returns the overpaid months after m, or -1 when out of memory. */
static int ledger_overpay(const struct taxid_ctx *ctx, const struct pensioner *p, struct taxid_ledger *l, int m,
			  int paid_through, const char *why)
{
	int last = paid_through != NONE ? paid_through : ledger_last_paid(ctx, p, l), bs = pmonth(p->benefit_start);
	int k = bs != NONE && bs > m + 1 ? bs : m + 1;
	for (; last != NONE && k <= last; k++) {
		struct taxid_ledger_row *r = taxid_ledger_find(l, k);
		int paid = r ? row_paid(r) || (paid_through != NONE && r->state == TAXID_PAY_WITHHELD)
			     : paid_through != NONE || paid_before_origin(ctx, p, k);
		if (paid && taxid_ledger_set(l, k, TAXID_PAY_OVERPAID, why))
			return -1;
	}
	for (size_t i = 0; paid_through != NONE && i < l->n; i++)
		if (l->rows[i].month > paid_through && row_paid(&l->rows[i]) &&
		    taxid_ledger_set(l, l->rows[i].month, TAXID_PAY_WITHHELD, why))
			return -1;
	return taxid_ledger_count(l, m + 1, INT_MAX, TAXID_PAY_OVERPAID, NULL);
}

/* The last month actually paid up to month m (the ledger's, or one the previous system paid), or NONE. */
static int ledger_paid_until(const struct taxid_ctx *ctx, const struct pensioner *p, const struct taxid_ledger *l, int m,
			     int paid_through)
{
	int best = NONE, origin = ledger_origin(ctx, p);
	for (size_t i = 0; i < l->n && l->rows[i].month <= m; i++)
		if (taxid_ledger_was_paid(l->rows[i].state))
			best = l->rows[i].month;
	int before = origin != NONE && m >= origin ? origin - 1 : m;
	if (paid_through != NONE && before > paid_through)
		before = paid_through;
	if (best == NONE && before != NONE && paid_before_origin(ctx, p, before))
		best = before;
	return best;
}

static const char *const owed_reasons[] = {"lapse", "missing", NULL};

/* ==== events, audit, output ==== */

/* An event row; det is its detail as JSON text (or NULL). */
static enum taxid_code event_add_text(struct taxid_ctx *ctx, long long pid, const char *kind, day_t on, int month,
				      const char *payment, const char *det, const char *actor)
{
	char d[DATE_LEN], m[MONTH_LEN];
	day_format(on, d);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_EVENT_INSERT);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d, -1, SQLITE_STATIC);
	if (month != NONE) {
		month_format(month, m);
		sqlite3_bind_text(st, 4, m, -1, SQLITE_STATIC);
	}
	bind_opt(st, 5, payment);
	bind_opt(st, 6, det);
	bind_opt(st, 7, actor);
	sqlite3_bind_text(st, 8, now_text(ctx), -1, SQLITE_STATIC);
	return taxid_db_exec(ctx, st);
}

/* An event row with a JSON detail (stolen, may be NULL). */
static enum taxid_code event_add(struct taxid_ctx *ctx, long long pid, const char *kind, day_t on, int month,
				 const char *payment, json_t *detail, const char *actor)
{
	char *det = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	if (detail && !det)
		return TAXID_E_INTERNAL;
	enum taxid_code c = event_add_text(ctx, pid, kind, on, month, payment, det, actor);
	free(det);
	return c;
}

/* Audit a change to a pensioner (subject "pensioner:ID", never personal data); detail is stolen. */
static enum taxid_code audit_pensioner(struct taxid_ctx *ctx, const char *action, long long pid, const char *actor,
				       json_t *detail)
{
	char subject[40];
	snprintf(subject, sizeof subject, "pensioner:%lld", pid);
	enum taxid_code c = taxid_audit(ctx, action, subject, actor, detail);
	json_decref(detail);
	return c;
}

static json_t *doc_json(struct taxid_ctx *ctx, const char *normalized)
{
	char masked[64] = "********";
	if (strlen(normalized) < sizeof masked)
		taxid_mask_doc(normalized, masked);
	if (ctx->reveal) {
		taxid_reveal_subject(ctx, masked);
		return json_string(normalized);
	}
	return json_string(masked);
}

/* A name masked to its first character ("张*", "欧***"), malloc'd: names are personal data too. A one-character
 * name shows nothing of itself ("*"). */
static char *name_mask(const char *name)
{
	size_t n = strlen(name), first = 1, chars = 0;
	while (first < n && ((unsigned char)name[first] & 0xc0) == 0x80)
		first++;
	for (size_t i = first; i < n; i++)
		chars += ((unsigned char)name[i] & 0xc0) != 0x80;
	char *s = malloc(first + chars + 2);
	if (!s)
		return NULL;
	if (chars == 0)
		return strcpy(s, "*");
	memcpy(s, name, first);
	memset(s + first, '*', chars);
	s[first + chars] = 0;
	return s;
}

static json_t *name_json(const struct taxid_ctx *ctx, const char *name)
{
	if (!name)
		return json_null();
	if (ctx->reveal)
		return json_string(name);
	char *s = name_mask(name);
	json_t *j = s ? json_string(s) : json_null();
	free(s);
	return j;
}

static char *open_doc(const struct taxid_ctx *ctx, int doc_type, const void *blob, int len)
{
	char kind[16];
	snprintf(kind, sizeof kind, "doc:%d", doc_type);
	return taxid_pii_open(ctx->keys, kind, blob, (size_t)len);
}

static void set_str(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s && *s ? json_string(s) : json_null());
}

static void set_day(json_t *o, const char *key, day_t d)
{
	char b[DATE_LEN];
	day_format(d, b);
	json_object_set_new(o, key, json_string(b));
}

static void set_month(json_t *o, const char *key, int m)
{
	char b[MONTH_LEN];
	if (m == NONE) {
		json_object_set_new(o, key, json_null());
		return;
	}
	month_format(m, b);
	json_object_set_new(o, key, json_string(b));
}

/* ==== request helpers ==== */

struct operator {
	const char *id, *role;
};

/* The operator of a request: {"id": "...", "role": "specialist" | "officer"}; need_role makes it required. */
static enum taxid_code operator_get(struct taxid_ctx *ctx, json_t *req, const char *need_role, struct operator *op)
{
	enum taxid_code c = TAXID_OK;
	json_t *o = json_object_get(req, "operator");
	op->id = op->role = NULL;
	if (!o || json_is_null(o)) {
		if (need_role)
			return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator", json_pack("{s:s}", "role", need_role));
		return TAXID_OK;
	}
	if (!json_is_object(o))
		return taxid_fail(ctx, TAXID_E_BAD_TYPE, "operator");
	op->id = taxid_req_str(ctx, o, "id", 1, &c);
	op->role = c ? NULL : taxid_req_str(ctx, o, "role", 1, &c);
	if (c) {
		ctx->err_field = "operator";
		return c;
	}
	if (strcmp(op->role, "specialist") != 0 && strcmp(op->role, "officer") != 0)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "operator", json_pack("{s:s}", "member", "role"));
	if (need_role && strcmp(op->role, need_role) != 0)
		return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator", json_pack("{s:s}", "role", need_role));
	return TAXID_OK;
}

/* An operator action (SECURITY rule 31): the operator is required, with need_role when given, else any role. */
static enum taxid_code operator_need(struct taxid_ctx *ctx, json_t *req, const char *need_role, struct operator *op)
{
	enum taxid_code c = operator_get(ctx, req, need_role, op);
	if (!c && !op->id)
		c = taxid_fail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator");
	return c;
}

/* A calendar day member: "YYYY-MM-DD", or an RFC 3339 instant taken in the operator's zone. */
static enum taxid_code req_day(struct taxid_ctx *ctx, json_t *req, const char *key, int required, int *present, day_t *d)
{
	enum taxid_code c = TAXID_OK;
	const char *s = taxid_req_str(ctx, req, key, required, &c);
	*present = s != NULL;
	if (!s)
		return c;
	int64_t t;
	if (strlen(s) == 10 ? day_parse(s, d) == 0 : taxid_time_parse(s, &t) == 0) {
		if (strlen(s) != 10) {
			int ymd = taxid_local_ymd(t, ctx->tz_offset);
			*d = taxid_days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
		}
		return TAXID_OK;
	}
	return taxid_fail(ctx, TAXID_E_BAD_VALUE, key);
}

/* A day member that may not be in the future; def when absent. */
static enum taxid_code req_past_day(struct taxid_ctx *ctx, json_t *req, const char *key, int required, day_t def,
				    day_t *d)
{
	int present;
	enum taxid_code c = req_day(ctx, req, key, required, &present, d);
	if (c)
		return c;
	if (!present)
		*d = def;
	else if (*d > today(ctx))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, key, json_pack("{s:s}", "reason", "in_the_future"));
	return TAXID_OK;
}

/* One of words[], or def when absent. */
static enum taxid_code req_word(struct taxid_ctx *ctx, json_t *req, const char *key, const char *const *words,
				const char *def, const char **out)
{
	enum taxid_code c = TAXID_OK;
	const char *s = taxid_req_str(ctx, req, key, def == NULL, &c);
	if (c)
		return c;
	if (!s) {
		*out = def;
		return TAXID_OK;
	}
	for (int i = 0; words[i]; i++)
		if (strcmp(words[i], s) == 0) {
			*out = words[i];
			return TAXID_OK;
		}
	json_t *allowed = json_array();
	for (int i = 0; words[i]; i++)
		json_array_append_new(allowed, json_string(words[i]));
	return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, key, json_pack("{s:o}", "allowed", allowed));
}

static int region_ok(const char *r)
{
	return r && strlen(r) == 6 && strspn(r, "0123456789") == 6 && taxid_region_province_ok(r);
}

/* Insurance types: a code or its Chinese name; class "employee" or "resident" decides duplicates. */
static const struct insurance {
	const char *code, *cls, *zh[3];
} insurances[] = {
	{"enterprise", "employee", {"企业职工基本养老保险", "企业职工养老保险", "enterprise_employee"}},
	{"institution", "employee", {"机关事业单位养老保险", "机关事业单位基本养老保险", "public_institution"}},
	{"resident", "resident", {"城乡居民基本养老保险", "城乡居民养老保险", "urban_rural_resident"}},
	{NULL, NULL, {NULL, NULL, NULL}},
};

static const struct insurance *insurance_find(const char *s)
{
	for (const struct insurance *i = insurances; s && i->code; i++) {
		if (strcmp(i->code, s) == 0)
			return i;
		for (int k = 0; k < 3; k++)
			if (strcmp(i->zh[k], s) == 0)
				return i;
	}
	return NULL;
}

/* ==== the subject of a request: document -> person -> pensioner ==== */

struct subject {
	enum taxid_doc_type t;
	struct taxid_id_info info;
	struct taxid_person person;
	struct pensioner p;
	char birth[DATE_LEN];
	char sex;
	int has_photo;
};

static void subject_clear(struct subject *s)
{
	taxid_person_clear(&s->person);
	pensioner_clear(&s->p);
}

static enum taxid_code person_facts(struct taxid_ctx *ctx, long long person_id, struct subject *s)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PERSON_FACTS);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, person_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		col_text(st, 0, s->birth, sizeof s->birth);
		const unsigned char *sx = sqlite3_column_text(st, 1);
		s->sex = sx ? (char)sx[0] : 0;
		s->has_photo = sqlite3_column_type(st, 2) != SQLITE_NULL;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? TAXID_OK : rc == SQLITE_DONE ? TAXID_E_NOT_FOUND : taxid_db_fail(ctx, rc);
}

static int birth_month(const struct subject *s)
{
	day_t b;
	return day_parse(s->birth, &b) ? 0 : day_month(b) % 12 + 1;
}

/* Find the enrolled pensioner a request names by doc_type/doc_no (and name, compared exactly after safe
 * normalisation). Not enrolled: missing (no_certification_needed for the person's own actions, not_found for an
 * operator's). The masked document goes into out. */
static enum taxid_code subject_load(struct taxid_ctx *ctx, json_t *req, json_t *out, int name_required,
				    enum taxid_code missing, struct subject *s)
{
	memset(s, 0, sizeof *s);
	enum taxid_code c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &s->t, &s->info);
	if (c)
		return c;
	json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(s->t)));
	json_object_set_new(out, "doc_no", doc_json(ctx, s->info.normalized));
	const char *name = taxid_req_str(ctx, req, "name", name_required, &c);
	if (c)
		return c;
	c = taxid_person_find_doc(ctx, s->t, s->info.normalized, &s->person);
	if (c == TAXID_E_NOT_FOUND)
		return taxid_fail_detail(ctx, missing, "doc_no", json_pack("{s:s}", "reason", "not_enrolled"));
	if (c)
		return c;
	c = pensioner_load(ctx, TAXID_SQL_SURV_PENSIONER_BY_PERSON, s->person.id, &s->p);
	if (c == TAXID_E_NOT_FOUND)
		return taxid_fail_detail(ctx, missing, "doc_no", json_pack("{s:s}", "reason", "not_enrolled"));
	if (c)
		return c;
	/* Enrolment first, then the name: who is not enrolled learns nothing about the registry's names. */
	if (name && !taxid_name_equal(name, s->person.name))
		return taxid_fail(ctx, TAXID_E_IDENTITY_MISMATCH, "name");
	json_object_set_new(out, "pensioner", json_integer(s->p.id));
	return person_facts(ctx, s->person.id, s);
}

/* Who may certify at all: not ended, of retirement age (retirees), no duplicate pension. */
static enum taxid_code certify_gate(struct taxid_ctx *ctx, struct subject *s, day_t day)
{
	struct pensioner *p = &s->p;
	/* The registry's word first: a person marked abnormal there (taxid-register mark) certifies nothing. */
	if (s->person.abnormal) {
		const char *why = s->person.abnormal_reason;
		if (why && strcmp(why, "deceased") == 0)
			return taxid_fail(ctx, TAXID_E_PERSON_DECEASED, "doc_no");
		return taxid_fail_detail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no", why ? json_pack("{s:s}", "reason", why) : NULL);
	}
	if (strcmp(p->state, "terminated") == 0) {
		if (strcmp(p->reason, "death") == 0 || strcmp(p->reason, "declared_dead") == 0)
			return taxid_fail(ctx, TAXID_E_PERSON_DECEASED, "doc_no");
		return taxid_fail_detail(ctx, TAXID_E_NO_CERTIFICATION_NEEDED, "doc_no",
					 json_pack("{s:s,s:s}", "reason", "pension_ended", "ended_by", p->reason));
	}
	day_t b;
	if (strcmp(p->kind, "retiree") == 0 && !p->early && !day_parse(s->birth, &b) && (s->sex == 'M' || s->sex == 'F')) {
		int need = (int)taxid_setting_int(ctx, s->sex == 'M' ? "survival.retirement_age.male" : "survival.retirement_age.female",
						  s->sex == 'M' ? 60 : 50);
		int age = taxid_age_years(day_ymd(b), day_ymd(day));
		if (age < need)
			return taxid_fail_detail(ctx, TAXID_E_NO_CERTIFICATION_NEEDED, "doc_no",
						 json_pack("{s:s,s:i,s:i}", "reason", "below_retirement_age", "age", age,
							   "retirement_age", need));
	}
	if (p->duplicate) {
		json_t *other = json_loads(p->duplicate, 0, NULL);
		return taxid_fail_detail(ctx, TAXID_E_DUPLICATE_PENSION, "doc_no",
					 json_pack("{s:o*}", "other", other));
	}
	return TAXID_OK;
}

/* ==== certification ==== */

struct method {
	const char *name;
	const char *verdict; /* kind of the signed verdict required in "evidence" */
	int photo, card;     /* needs a reference photo / a usable social-security card */
	const char *role;    /* operator role required */
};

static const struct method methods[] = {
	{"face", "face", 1, 1, NULL},
	{"fingerprint", NULL, 0, 1, NULL},
	{"finger_vein", NULL, 0, 1, NULL},
	{"offline_device", NULL, 0, 0, NULL},
	{"appeal", NULL, 0, 0, "officer"},
	{"special", NULL, 0, 0, "officer"},
	{"consular", "survival", 0, 0, NULL},
	{"official_proof", NULL, 0, 0, NULL},
	{"passive", "survival", 0, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};

static const char *const proof_bodies[] = {"hk_home_affairs", "hk_ftu", "macao_iacm", "macao_ftu", "tw_notary", NULL};

/* Record a successful certification on day and apply what follows: a new window, and the payment started
 * (awaiting approval), resumed (suspended for a lapse or while missing) or left as it is. */
static enum taxid_code certify_apply(struct taxid_ctx *ctx, struct subject *s, const char *method, day_t day,
				     const char *issuer, const char *actor, json_t *detail, json_t *out)
{
	struct pensioner *p = &s->p;
	const struct policy *pol = policy_for(p->region);
	char deadline[DATE_LEN], day_s[DATE_LEN], at[TAXID_TIME_LEN];
	snprintf(deadline, sizeof deadline, "%s", p->valid_until);
	day_format(day, day_s);
	taxid_time_format(ctx->now, at);
	day_t old_until, lapse, last;
	int had = day_parse(p->valid_until, &old_until) == 0;
	int late = day_parse(p->lapse_on, &lapse) == 0 && day >= lapse;
	day_t until = window_until(pol, day, birth_month(s));
	if (!had || until > old_until)
		pensioner_window(p, pol, day, birth_month(s));
	if (day_parse(p->last_certified, &last) || day > last) {
		snprintf(p->last_certified, sizeof p->last_certified, "%s", day_s);
		snprintf(p->anchor, sizeof p->anchor, "%s", day_s);
	}
	p->face_failures = 0;

	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_CERT_INSERT);
	if (!st) {
		json_decref(detail);
		return TAXID_E_INTERNAL;
	}
	char *det = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_text(st, 2, method, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, day_s, -1, SQLITE_STATIC);
	bind_opt(st, 4, deadline);
	sqlite3_bind_text(st, 5, p->valid_until, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, late);
	bind_opt(st, 7, issuer);
	bind_opt(st, 8, actor);
	bind_opt(st, 9, det);
	sqlite3_bind_text(st, 10, at, -1, SQLITE_STATIC);
	enum taxid_code c = taxid_db_exec(ctx, st);
	free(det);
	if (c)
		return c;

	/* Payment starts or resumes from the first month not yet paid, the month after today's: every month the ledger
	 * has as withheld up to then is back paid (the certification may be dated earlier; the figures are the same). */
	int cur = day_month(today(ctx)), resumes = 0, from = NONE, back = 0;
	const char *payment = NULL, *ev = NULL;
	static const char *const approval[] = {"approval", NULL};
	if (strcmp(p->state, "pending") == 0) {
		/* A new retiree's certification before approval: payment starts, arrears from the benefit start. */
		int bs = pmonth(p->benefit_start);
		from = bs != NONE && bs > cur ? bs : cur + 1;
		resumes = 1;
		payment = "started";
		ev = "approve";
	} else if (strcmp(p->state, "suspended") == 0 &&
		   (strcmp(p->reason, "lapse") == 0 || strcmp(p->reason, "missing") == 0)) {
		from = cur + 1;
		resumes = 1;
		payment = "resumed";
		ev = "resume";
	}
	if (resumes) {
		struct taxid_ledger l;
		if ((c = ledger_open(ctx, p, cur, &l)))
			return c;
		back = taxid_ledger_convert(&l, INT_MIN, cur, TAXID_PAY_WITHHELD, strcmp(ev, "approve") == 0 ? approval : owed_reasons,
					    TAXID_PAY_BACK_PAID, ev);
		if ((c = ledger_close(ctx, &l, TAXID_OK)))
			return c;
		snprintf(p->state, sizeof p->state, "active");
		p->reason[0] = p->since[0] = p->owed_from[0] = 0;
		p->owed_months = 0;
		if ((c = event_add(ctx, p->id, ev, day, from, payment,
				   json_pack("{s:i,s:s}", "back_pay_months", back, "method", method), actor)))
			return c;
	}
	if ((c = pensioner_save(ctx, p)))
		return c;
	json_t *ad = json_pack("{s:s,s:s,s:s,s:b}", "method", method, "certified_on", day_s, "valid_until", p->valid_until,
			       "late", late);
	if (resumes)
		json_object_set_new(ad, "back_pay_months", json_integer(back));
	if ((c = audit_pensioner(ctx, "survival.certify", p->id, actor, ad)))
		return c;

	json_object_set_new(out, "method", json_string(method));
	json_object_set_new(out, "certified_on", json_string(day_s));
	json_object_set_new(out, "valid_until", json_string(p->valid_until));
	json_object_set_new(out, "lapses_on", json_string(p->lapse_on));
	json_object_set_new(out, "window", policy_json(pol));
	json_object_set_new(out, "late", json_boolean(late));
	json_object_set_new(out, "state", json_string(p->state));
	json_object_set_new(out, "payment_resumes", json_boolean(resumes));
	if (resumes) {
		set_month(out, "payment_from", from);
		json_object_set_new(out, "back_pay_months", json_integer(back));
		if (strcmp(ev, "approve") == 0)
			json_object_set_new(out, "approved", json_true());
	} else if (strcmp(p->state, "suspended") == 0) {
		json_object_set_new(out, "suspended_for", json_string(p->reason));
	}
	return TAXID_OK;
}

/* The photo and card conditions of a method (照片信息不完善). */
static enum taxid_code photo_gate(struct taxid_ctx *ctx, const struct method *m, const struct subject *s)
{
	if (m->photo && !s->has_photo)
		return taxid_fail_detail(ctx, TAXID_E_PHOTO_INCOMPLETE, "doc_no", json_pack("{s:s}", "reason", "no_reference_photo"));
	if (m->card && strcmp(s->p.card, "normal") != 0)
		return taxid_fail_detail(ctx, TAXID_E_PHOTO_INCOMPLETE, "doc_no",
					 json_pack("{s:s}", "reason", strcmp(s->p.card, "lost") == 0 ? "card_lost" : "card_frozen"));
	return TAXID_OK;
}

static enum taxid_code face_failed(struct taxid_ctx *ctx, struct subject *s, const struct taxid_verdict *v,
				   const char *actor, day_t day)
{
	s->p.face_failures++;
	enum taxid_code c = pensioner_save(ctx, &s->p);
	int review = s->p.face_failures >= 3;
	if (!c)
		c = event_add(ctx, s->p.id, "face_failed", day, NONE, NULL,
			      json_pack("{s:i,s:s}", "face_failures", s->p.face_failures, "issuer", v->issuer), actor);
	if (!c)
		c = audit_pensioner(ctx, "survival.face_failed", s->p.id, actor,
				    json_pack("{s:i}", "face_failures", s->p.face_failures));
	if (c)
		return c;
	taxid_keep_changes(ctx); /* the verdict is spent and the failure counted */
	return taxid_fail_detail(ctx, TAXID_E_FACE_FAILED, "evidence",
				 json_pack("{s:i,s:b}", "face_failures", s->p.face_failures, "manual_review_available", review));
}

static enum taxid_code certify_request(struct taxid_ctx *ctx, json_t *req, json_t *out, const char *forced)
{
	enum taxid_code c = TAXID_OK;
	const char *mname = forced ? forced : taxid_req_str(ctx, req, "method", 1, &c);
	if (c)
		return c;
	const struct method *m = methods;
	while (m->name && strcmp(m->name, mname) != 0)
		m++;
	if (!m->name)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "method");
	if (strcmp(m->name, "appeal") == 0)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "method", json_pack("{s:s}", "use", "appeal decide"));
	struct operator op;
	struct subject s;
	day_t day;
	if ((c = operator_get(ctx, req, m->role, &op)))
		return c;
	/* Issue 11.4: a method with no signed verdict of its own rests on the word of the device's or counter's operator
	 * (either role), or on the device's signed verdict of kind survival. */
	const char *vkind = m->verdict;
	if (!vkind && !m->role && !op.id) {
		if (!json_object_get(req, "evidence"))
			return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator",
						 json_pack("{s:[s,s],s:s}", "role", "specialist", "officer", "or", "evidence"));
		vkind = "survival";
	}
	c = subject_load(ctx, req, out, 1, TAXID_E_NO_CERTIFICATION_NEEDED, &s);
	if (!c)
		c = req_past_day(ctx, req, "at", 0, today(ctx), &day);
	if (!c)
		c = certify_gate(ctx, &s, day);
	if (!c)
		c = photo_gate(ctx, m, &s);
	struct taxid_verdict v;
	json_t *detail = NULL;
	const char *issuer = NULL, *actor = op.id;
	char device[160];
	if (!c && vkind) {
		c = taxid_verdict_check(ctx, json_object_get(req, "evidence"), vkind, s.info.normalized, 1, "evidence", &v);
		if (!c && !taxid_verdict_passed(ctx, &v)) {
			if (strcmp(m->name, "face") == 0) {
				c = face_failed(ctx, &s, &v, op.id, day);
			} else {
				taxid_keep_changes(ctx);
				c = taxid_fail(ctx, TAXID_E_VERDICT_FAILED, "evidence");
			}
		}
		if (!c) {
			issuer = v.issuer;
			if (!actor) { /* the device that signed is who certified */
				snprintf(device, sizeof device, "device:%s", v.issuer);
				actor = device;
			}
			json_object_set_new(out, "verdict", taxid_verdict_json(&v));
			detail = json_pack("{s:s}", "nonce", v.nonce);
		}
	}
	if (!c && strcmp(m->name, "official_proof") == 0) {
		const char *body;
		if (!(c = req_word(ctx, req, "body", proof_bodies, NULL, &body)))
			detail = json_pack("{s:s}", "body", body);
	}
	if (!c) {
		json_t *reason = json_object_get(req, "reason");
		if (json_is_string(reason) && strcmp(m->name, "special") == 0)
			detail = json_pack("{s:O}", "reason", reason);
		c = certify_apply(ctx, &s, m->name, day, issuer, actor, detail, out);
		detail = NULL;
		char day_s[DATE_LEN];
		day_format(day, day_s);
		if (!c) /* issue 13.3, 13.5: the device's reference photo, the fingerprint report and the app duty */
			c = taxid_survival_after_certify(ctx, s.p.id, s.person.id, m->name, day_s, actor, out);
	}
	json_decref(detail);
	if (!c && strcmp(m->name, "passive") == 0)
		json_object_set_new(out, "notify", json_string("sms")); /* people are told when passive certification worked */
	if (!c && strcmp(m->name, "fingerprint") == 0)
		json_object_set_new(out, "must_report", json_true()); /* fingerprint results go to the certification system */
	subject_clear(&s);
	return c;
}

enum taxid_code taxid_survival_certify(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	if (policies_load(ctx))
		return TAXID_E_INTERNAL;
	return certify_request(ctx, req, out, NULL);
}

enum taxid_code taxid_survival_special(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	if (policies_load(ctx))
		return TAXID_E_INTERNAL;
	return certify_request(ctx, req, out, "special");
}

/* ==== enrolment ==== */

static const char *const kinds[] = {"retiree", "dependant", NULL};
static const char *const relations[] = {"child", "spouse", "parent", "other", NULL};

/* The insured worker a dependant draws from: found by document, created when new (then "name" is needed). */
static enum taxid_code insured_ensure(struct taxid_ctx *ctx, json_t *of, long long *id)
{
	enum taxid_code c = TAXID_OK;
	enum taxid_doc_type t;
	struct taxid_id_info info;
	struct taxid_person p;
	if (!json_is_object(of))
		return taxid_fail(ctx, of ? TAXID_E_BAD_TYPE : TAXID_E_MISSING_FIELD, "of");
	if ((c = taxid_verify_document(ctx, of, "doc_type", "doc_no", &t, &info))) {
		ctx->err_field = "of";
		return c;
	}
	const char *name = taxid_req_str(ctx, of, "name", 0, &c);
	if (c) {
		ctx->err_field = "of";
		return c;
	}
	c = taxid_person_find_doc(ctx, t, info.normalized, &p);
	if (c == TAXID_OK) {
		int same = !name || taxid_name_equal(name, p.name);
		*id = p.id;
		taxid_person_clear(&p);
		return same ? TAXID_OK : taxid_fail(ctx, TAXID_E_IDENTITY_MISMATCH, "of");
	}
	if (c != TAXID_E_NOT_FOUND)
		return c;
	if (!name)
		return taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "of", json_pack("{s:s}", "member", "name"));
	int created;
	struct taxid_person_new n = {.doc_type = t, .info = &info, .name = name};
	return taxid_person_ensure(ctx, &n, id, &created);
}

enum taxid_code taxid_survival_enroll(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *kind, *relation = NULL, *name, *region, *itype, *bstart, *account;
	enum taxid_doc_type t;
	struct taxid_id_info info;
	struct operator op;
	int bs;
	if ((c = policies_load(ctx)) || (c = req_word(ctx, req, "kind", kinds, NULL, &kind)))
		return c;
	int dependant = strcmp(kind, "dependant") == 0;
	if ((c = operator_get(ctx, req, NULL, &op)))
		return c;
	if (!op.id) /* an agency action (rule 31); a dependant: the employer's specialist or an agency officer (13.6) */
		return dependant ? taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator",
						     json_pack("{s:[s,s]}", "role", "specialist", "officer"))
				 : taxid_fail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator");
	char employer[TAXID_EMPLOYER_LEN];
	int has_employer;
	if ((c = taxid_survival_employer(ctx, req, "employer", employer, &has_employer)))
		return c;
	if ((c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &t, &info)))
		return c;
	json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(t)));
	json_object_set_new(out, "doc_no", doc_json(ctx, info.normalized));
	name = taxid_req_str(ctx, req, "name", 1, &c);
	region = c ? NULL : taxid_req_str(ctx, req, "region", 1, &c);
	itype = c ? NULL : taxid_req_str(ctx, req, "insurance_type", 1, &c);
	bstart = c ? NULL : taxid_req_str(ctx, req, "benefit_start", 1, &c);
	account = c ? NULL : taxid_req_str(ctx, req, "pension_account", 1, &c);
	int new_retiree = c ? 0 : taxid_req_bool(ctx, req, "new_retiree", 0, &c);
	int unable = c ? 0 : taxid_req_bool(ctx, req, "unable_to_work", 0, &c);
	int early = c ? 0 : taxid_req_bool(ctx, req, "early_retirement", 0, &c);
	if (c)
		return c;
	if (dependant && (c = req_word(ctx, req, "relation", relations, "child", &relation)))
		return c;
	if (!region_ok(region))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "region");
	const struct insurance *ins = insurance_find(itype);
	if (!ins)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "insurance_type");
	if (month_parse(bstart, &bs))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "benefit_start");
	if (strlen(account) > 40)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "pension_account");
	if (new_retiree && dependant)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "new_retiree");
	day_t now = today(ctx), last_cert = 0;
	int has_last = 0;
	if ((c = req_day(ctx, req, "last_certified", 0, &has_last, &last_cert)))
		return c;
	if (has_last && last_cert > now)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "last_certified", json_pack("{s:s}", "reason", "in_the_future"));
	json_t *photo = json_object_get(req, "photo");
	if (photo && !json_is_boolean(photo) && !json_is_string(photo) && !json_is_null(photo))
		return taxid_fail(ctx, TAXID_E_BAD_TYPE, "photo");

	/* The same document again changes nothing, and says so. */
	struct taxid_person existing;
	c = taxid_person_find_doc(ctx, t, info.normalized, &existing);
	if (c && c != TAXID_E_NOT_FOUND)
		return c;
	if (c == TAXID_OK) {
		int same = taxid_name_equal(name, existing.name);
		long long pid = existing.id;
		char *why = existing.abnormal ? strdup(existing.abnormal_reason ? existing.abnormal_reason : "abnormal") : NULL;
		taxid_person_clear(&existing);
		if (!same) {
			free(why);
			return taxid_fail(ctx, TAXID_E_IDENTITY_MISMATCH, "name");
		}
		if (why) { /* an abnormal person (deceased, cancelled, fraud, stolen document) is not enrolled */
			c = taxid_fail_detail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no", json_pack("{s:s}", "reason", why));
			free(why);
			return c;
		}
		struct pensioner p;
		c = pensioner_load(ctx, TAXID_SQL_SURV_PENSIONER_BY_PERSON, pid, &p);
		if (c == TAXID_OK) {
			json_t *differs = json_array();
			if (strcmp(p.kind, kind) != 0)
				json_array_append_new(differs, json_string("kind"));
			if (strcmp(p.region, region) != 0)
				json_array_append_new(differs, json_string("region"));
			if (strcmp(p.insurance, ins->code) != 0)
				json_array_append_new(differs, json_string("insurance_type"));
			if (strcmp(p.benefit_start, bstart) != 0)
				json_array_append_new(differs, json_string("benefit_start"));
			char was[TAXID_EMPLOYER_LEN];
			if (has_employer && (taxid_survival_employer_of(ctx, p.id, was) || strcmp(was, employer) != 0))
				json_array_append_new(differs, json_string("employer"));
			json_object_set_new(out, "pensioner", json_integer(p.id));
			json_object_set_new(out, "enrolled", json_false());
			json_object_set_new(out, "already_enrolled", json_true());
			json_object_set_new(out, "changed", json_false());
			json_object_set_new(out, "state", json_string(p.state));
			json_object_set_new(out, "differs", differs);
			pensioner_clear(&p);
			return TAXID_OK;
		}
		if (c != TAXID_E_NOT_FOUND)
			return c;
	}

	/* Dependants (children) stop at 18 unless unable to work: one already 18 cannot be added. */
	day_t birth = 0, ends = 0;
	int has_birth = day_parse(info.birth_date, &birth) == 0, has_ends = 0;
	if (dependant && strcmp(relation, "child") == 0 && !unable && has_birth) {
		ends = birthday_at(birth, 18);
		has_ends = 1;
		if (ends <= now)
			return taxid_fail_detail(ctx, TAXID_E_DEPENDANT_NOT_ELIGIBLE, "doc_no", json_pack("{s:s}", "reason", "age_18"));
	}
	long long insured = 0, person_id;
	if (dependant && (c = insured_ensure(ctx, json_object_get(req, "of"), &insured)))
		return c;
	int created;
	struct taxid_person_new n = {.doc_type = t, .info = &info, .name = name};
	if ((c = taxid_person_ensure(ctx, &n, &person_id, &created)))
		return c;
	if (dependant && insured == person_id)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "of", json_pack("{s:s}", "reason", "same_person"));
	struct subject s;
	memset(&s, 0, sizeof s);
	if ((c = person_facts(ctx, person_id, &s)))
		return c;
	struct taxid_person found;
	if ((c = taxid_person_find_doc(ctx, t, info.normalized, &found)))
		return c;
	long long doc_id = found.doc_id;
	taxid_person_clear(&found);

	struct pensioner p;
	memset(&p, 0, sizeof p);
	const struct policy *pol = policy_for(region);
	day_t anchor = has_last ? last_cert : now;
	day_format(anchor, p.anchor);
	if (has_last)
		day_format(last_cert, p.last_certified);
	if (!new_retiree)
		pensioner_window(&p, pol, anchor, birth_month(&s));
	if (has_ends)
		day_format(ends, p.ends_on);
	snprintf(p.state, sizeof p.state, "%s", new_retiree ? "pending" : "active");

	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	size_t alen;
	unsigned char *acc = taxid_pii_seal(ctx->keys, "pension.account", account, &alen);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PENSIONER_INSERT);
	if (!acc || !st) {
		free(acc);
		return TAXID_E_INTERNAL;
	}
	sqlite3_bind_int64(st, 1, person_id);
	sqlite3_bind_int64(st, 2, doc_id);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	bind_opt(st, 4, relation);
	if (dependant)
		sqlite3_bind_int64(st, 5, insured);
	sqlite3_bind_blob(st, 6, acc, (int)alen, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, ins->code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, bstart, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, unable);
	sqlite3_bind_int(st, 11, early);
	sqlite3_bind_text(st, 12, p.state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, p.anchor, -1, SQLITE_STATIC);
	bind_opt(st, 14, p.last_certified);
	bind_opt(st, 15, p.valid_until);
	bind_opt(st, 16, p.lapse_on);
	bind_opt(st, 17, p.ends_on);
	sqlite3_bind_text(st, 18, at, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		p.id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	free(acc);
	if (rc != SQLITE_ROW)
		return taxid_db_fail(ctx, rc);

	if (photo && (json_is_string(photo) || json_is_true(photo)) && !s.has_photo) {
		st = taxid_sql(ctx, TAXID_SQL_SURV_PERSON_PHOTO);
		if (!st)
			return TAXID_E_INTERNAL;
		sqlite3_bind_int64(st, 1, person_id);
		sqlite3_bind_text(st, 2, json_is_string(photo) ? json_string_value(photo) : "on_file", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
		if ((c = taxid_db_exec(ctx, st)))
			return c;
	}
	if (has_employer) {
		st = taxid_sql(ctx, TAXID_SQL_SURV_EMPLOYER_SET);
		if (!st)
			return TAXID_E_INTERNAL;
		sqlite3_bind_int64(st, 1, p.id);
		sqlite3_bind_text(st, 2, employer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
		if ((c = taxid_db_exec(ctx, st)))
			return c;
	}
	if (has_last) {
		st = taxid_sql(ctx, TAXID_SQL_SURV_CERT_INSERT);
		if (!st)
			return TAXID_E_INTERNAL;
		sqlite3_bind_int64(st, 1, p.id);
		sqlite3_bind_text(st, 2, "imported", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p.last_certified, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, p.valid_until, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, 0);
		bind_opt(st, 8, op.id);
		sqlite3_bind_text(st, 10, at, -1, SQLITE_STATIC);
		if ((c = taxid_db_exec(ctx, st)))
			return c;
	}
	/* The ledger starts with the enrolment month (paid: a pension in payment has been paid for the current month),
	 * or for a new retiree with the months awaiting approval from the benefit start. */
	snprintf(p.benefit_start, sizeof p.benefit_start, "%s", bstart);
	snprintf(p.enrolled_at, sizeof p.enrolled_at, "%s", at);
	struct taxid_ledger l;
	if ((c = ledger_open(ctx, &p, day_month(now), &l)) || (c = ledger_close(ctx, &l, TAXID_OK)))
		return c;
	if ((c = event_add(ctx, p.id, "enroll", now, NONE, NULL,
			   json_pack("{s:s,s:s,s:b}", "kind", kind, "region", region, "new_retiree", new_retiree), op.id)) ||
	    (c = audit_pensioner(ctx, "survival.enroll", p.id, op.id,
				 json_pack("{s:s,s:s,s:s,s:b,s:b,s:s?}", "kind", kind, "region", region, "insurance_type", ins->code,
					   "new_retiree", new_retiree, "person_created", created, "employer",
					   has_employer ? employer : NULL))))
		return c;
	json_object_set_new(out, "pensioner", json_integer(p.id));
	json_object_set_new(out, "enrolled", json_true());
	json_object_set_new(out, "kind", json_string(kind));
	json_object_set_new(out, "state", json_string(p.state));
	if (has_employer)
		json_object_set_new(out, "employer", json_string(employer));
	set_str(out, "valid_until", p.valid_until);
	set_str(out, "lapses_on", p.lapse_on);
	if (has_ends)
		json_object_set_new(out, "ends_on", json_string(p.ends_on));
	return TAXID_OK;
}

/* ==== life events ==== */

enum effect { EV_END, EV_PRISON, EV_RELEASE, EV_MISSING, EV_REAPPEAR };

static const struct event_rule {
	const char *name, *alias;
	enum effect effect;
	int dependant_only;
	const char *relation; /* only for dependants of this relation */
} event_rules[] = {
	{"death", NULL, EV_END, 0, NULL},
	{"declared_dead", NULL, EV_END, 0, NULL},
	{"missing", NULL, EV_MISSING, 0, NULL},
	{"imprisonment", NULL, EV_PRISON, 0, NULL},
	{"release", NULL, EV_RELEASE, 0, NULL},
	{"reappeared", NULL, EV_REAPPEAR, 0, NULL}, /* issue 13: a person declared dead is alive after all */
	{"nationality_lost", "loss_of_nationality", EV_END, 0, NULL},
	{"age_18", "18th_birthday", EV_END, 1, "child"},
	{"employment", NULL, EV_END, 1, NULL},
	{"enlistment", NULL, EV_END, 1, NULL},
	{"remarriage", NULL, EV_END, 1, "spouse"},
	{"adoption", NULL, EV_END, 1, "child"},
	{NULL, NULL, EV_END, 0, NULL},
};

static enum taxid_code not_applicable(struct taxid_ctx *ctx, const char *reason)
{
	return taxid_fail_detail(ctx, TAXID_E_EVENT_NOT_APPLICABLE, "event", json_pack("{s:s}", "reason", reason));
}

/* End a pension after the month of the event: terminated from the next month; what was paid after is overpaid
 * (recorded in the ledger, up to month cur: today's, or the run's). */
static enum taxid_code pension_end(struct taxid_ctx *ctx, struct pensioner *p, const char *why, day_t on, int paid_through,
				   int cur, const char *actor, json_t *out, int audit)
{
	int m = day_month(on), first, lastover;
	struct taxid_ledger l;
	enum taxid_code c = ledger_open(ctx, p, cur, &l);
	if (c)
		return c;
	int last = paid_through != NONE ? paid_through : ledger_last_paid(ctx, p, &l);
	int over = ledger_overpay(ctx, p, &l, m, paid_through, why);
	if (over < 0) {
		taxid_ledger_free(&l);
		return TAXID_E_INTERNAL;
	}
	/* Months withheld after the event are owed to nobody now: withheld for this reason. */
	for (size_t i = 0; i < l.n; i++)
		if (l.rows[i].month > m && l.rows[i].state == TAXID_PAY_WITHHELD &&
		    taxid_ledger_set(&l, l.rows[i].month, TAXID_PAY_WITHHELD, why)) {
			taxid_ledger_free(&l);
			return TAXID_E_INTERNAL;
		}
	int until = ledger_paid_until(ctx, p, &l, m, paid_through);
	taxid_ledger_span(&l, m + 1, INT_MAX, TAXID_PAY_OVERPAID, &first, &lastover);
	if ((c = ledger_close(ctx, &l, TAXID_OK)))
		return c;
	snprintf(p->state, sizeof p->state, "terminated");
	snprintf(p->reason, sizeof p->reason, "%s", why);
	month_format(m + 1, p->since);
	p->owed_months = 0;
	p->owed_from[0] = 0;
	c = pensioner_save(ctx, p);
	json_t *d = json_pack("{s:i}", "overpaid_months", over);
	if (last != NONE)
		set_month(d, "paid_through", last);
	if (!c)
		c = event_add(ctx, p->id, why, on, m + 1, "terminated", json_deep_copy(d), actor);
	if (!c && audit)
		c = audit_pensioner(ctx, "survival.terminate", p->id, actor, json_pack("{s:s,s:O}", "reason", why, "detail", d));
	if (out) {
		json_object_set_new(out, "state", json_string("terminated"));
		set_month(out, "paid_until", until);
		set_month(out, "payment_stops_from", m + 1);
		json_object_set_new(out, "overpaid_months", json_integer(over));
		if (over) {
			json_t *rec = json_object();
			set_month(rec, "from", first);
			set_month(rec, "through", lastover);
			json_object_set_new(rec, "months", json_integer(over));
			json_object_set_new(out, "recover", rec);
		}
	}
	json_decref(d);
	return c;
}

static int ended_by_death(const struct pensioner *p)
{
	return strcmp(p->state, "terminated") == 0 && (strcmp(p->reason, "death") == 0 || strcmp(p->reason, "declared_dead") == 0);
}

/* A person whose pension ended by death, or a declaration of death, is alive after all (issue 13). The termination
 * ends; the months paid since the end are theirs (overpaid becomes paid: nothing to recover), the months not paid
 * or recovered since are owed, as are the months withheld for a lapse or while missing before it: all back paid up
 * to today's month, and payment resumes from the month after. The officer's finding counts as a certification on
 * the day of the event. */
static enum taxid_code event_reappeared(struct taxid_ctx *ctx, struct subject *s, day_t on, const struct operator *op,
					json_t *out)
{
	struct pensioner *p = &s->p;
	int cur = day_month(today(ctx)), end = pmonth(p->since), restored = 0, back = 0;
	char ended_by[24];
	snprintf(ended_by, sizeof ended_by, "%s", p->reason);
	const char *const owed[] = {"lapse", "missing", ended_by, NULL};
	struct taxid_ledger l;
	enum taxid_code c = ledger_open(ctx, p, cur, &l);
	if (c)
		return c;
	json_t *months = json_array();
	int bs = pmonth(p->benefit_start);
	if (end == NONE)
		end = cur + 1;
	if (bs != NONE && end < bs)
		end = bs; /* nothing was due before the benefit start */
	restored = taxid_ledger_convert(&l, end, cur, TAXID_PAY_OVERPAID, NULL, TAXID_PAY_PAID, "reappeared");
	back = taxid_ledger_convert(&l, end, cur, TAXID_PAY_RECOVERED, NULL, TAXID_PAY_BACK_PAID, "reappeared") +
	       taxid_ledger_convert(&l, INT_MIN, cur, TAXID_PAY_WITHHELD, owed, TAXID_PAY_BACK_PAID, "reappeared");
	for (int k = end; k <= cur && !c; k++) {
		if (taxid_ledger_find(&l, k))
			continue;
		int before = paid_before_origin(ctx, p, k); /* paid by the previous system: theirs */
		if (taxid_ledger_set(&l, k, before ? TAXID_PAY_PAID : TAXID_PAY_BACK_PAID, "reappeared"))
			c = TAXID_E_INTERNAL;
		restored += before;
		back += !before;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.rows[i].state == TAXID_PAY_BACK_PAID && l.rows[i].dirty) {
			char mb[MONTH_LEN];
			month_format(l.rows[i].month, mb);
			json_array_append_new(months, json_string(mb));
		}
	if ((c = ledger_close(ctx, &l, c))) {
		json_decref(months);
		return c;
	}
	snprintf(p->state, sizeof p->state, "active");
	p->reason[0] = p->since[0] = 0;
	p->owed_months = 0;
	p->owed_from[0] = 0;
	json_t *d = json_pack("{s:s,s:i,s:i,s:O}", "ended_by", ended_by, "back_pay_months", back, "restored_months", restored,
			      "months", months);
	set_month(d, "payment_from", cur + 1);
	if ((c = event_add(ctx, p->id, "reappeared", on, cur + 1, "resumed", json_deep_copy(d), op->id)) ||
	    (c = audit_pensioner(ctx, "survival.event", p->id, op->id,
				 json_pack("{s:s,s:s,s:O}", "event", "reappeared", "state", "active", "owed", d))) ||
	    (c = certify_apply(ctx, s, "reappeared", on, NULL, op->id, json_pack("{s:s}", "event", "reappeared"), out))) {
		json_decref(d);
		json_decref(months);
		return c;
	}
	json_object_set_new(out, "ended_by", json_string(ended_by));
	json_object_set_new(out, "payment_resumes", json_true());
	set_month(out, "payment_from", cur + 1);
	json_object_set_new(out, "back_pay_months", json_integer(back));
	json_object_set_new(out, "back_paid", months);
	json_object_set_new(out, "restored_months", json_integer(restored));
	json_decref(d);
	return TAXID_OK;
}

enum taxid_code taxid_survival_event(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	struct operator op;
	struct subject s;
	if ((c = policies_load(ctx)) || (c = operator_need(ctx, req, NULL, &op)))
		return c;
	const char *ename = taxid_req_str(ctx, req, "event", 1, &c);
	if (c)
		return c;
	const struct event_rule *r = event_rules;
	while (r->name && strcmp(r->name, ename) != 0 && !(r->alias && strcmp(r->alias, ename) == 0))
		r++;
	if (!r->name)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "event");
	if (r->effect == EV_REAPPEAR && (c = operator_get(ctx, req, "officer", &op)))
		return c;
	json_object_set_new(out, "event", json_string(r->name));
	if ((c = subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s))) {
		subject_clear(&s);
		return c;
	}
	struct pensioner *p = &s.p;
	day_t on = 0, born;
	int paid_through = NONE;
	const char *pt = NULL;
	if (r->dependant_only && strcmp(p->kind, "dependant") != 0)
		c = not_applicable(ctx, "not_a_dependant");
	else if (r->relation && strcmp(p->relation, r->relation) != 0)
		c = not_applicable(ctx, "relation");
	else if (strcmp(p->state, "terminated") == 0 && !(r->effect == EV_REAPPEAR && ended_by_death(p)))
		c = taxid_fail_detail(ctx, TAXID_E_PENSION_ENDED, "doc_no", json_pack("{s:s}", "ended_by", p->reason));
	else if (r->effect == EV_REAPPEAR && strcmp(p->state, "terminated") != 0)
		c = not_applicable(ctx, "not_dead");
	else if (strcmp(r->name, "age_18") == 0 && p->unable_to_work)
		c = not_applicable(ctx, "unable_to_work");
	if (!c) {
		/* The 18th birthday's date defaults to the one the birth date gives. */
		int dflt = strcmp(r->name, "age_18") == 0 && day_parse(s.birth, &born) == 0;
		c = req_past_day(ctx, req, "date", !dflt, dflt ? birthday_at(born, 18) : 0, &on);
		if (!c && dflt && on > today(ctx))
			c = not_applicable(ctx, "not_yet_18");
	}
	if (!c)
		pt = taxid_req_str(ctx, req, "paid_through", 0, &c);
	if (!c && pt && month_parse(pt, &paid_through))
		c = taxid_fail(ctx, TAXID_E_BAD_VALUE, "paid_through");
	/* A pension is paid at the start of a month: no month after today's can have been paid yet. */
	if (!c && pt && paid_through > day_month(today(ctx)))
		c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "paid_through", json_pack("{s:s}", "reason", "in_the_future"));
	if (c) {
		subject_clear(&s);
		return c;
	}
	set_day(out, "date", on);
	int m = day_month(on), was_active = strcmp(p->state, "active") == 0;
	switch (r->effect) {
	case EV_END:
		c = pension_end(ctx, p, r->name, on, paid_through, day_month(today(ctx)), op.id, out, 1);
		if (!c && (strcmp(r->name, "death") == 0 || strcmp(r->name, "declared_dead") == 0)) {
			int unknown[TAXID_HOLIDAY_MAX_UNKNOWN], nunknown; /* the State Council's calendar (issue 13.7) */
			int wd = taxid_working_days(on, today(ctx), unknown, &nunknown);
			int limit = (int)taxid_setting_int(ctx, "survival.death_report_working_days", 20);
			json_object_set_new(out, "reported_after_working_days", json_integer(wd));
			json_object_set_new(out, "late_report", json_boolean(wd > limit));
			if (nunknown) {
				json_t *years = json_array();
				for (int i = 0; i < nunknown; i++)
					json_array_append_new(years, json_integer(unknown[i]));
				json_object_set_new(out, "calendar_unknown_years", years);
			}
		}
		break;
	case EV_PRISON: {
		if (strcmp(p->reason, "imprisonment") == 0) {
			c = not_applicable(ctx, "already_imprisoned");
			break;
		}
		/* No pension from the month after: what was paid after it is overpaid; months withheld after it (for a
		 * lapse) are not owed any more, those before stay owed. */
		int over = 0;
		if (strcmp(p->state, "pending") != 0) {
			struct taxid_ledger l;
			if ((c = ledger_open(ctx, p, day_month(today(ctx)), &l)))
				break;
			over = ledger_overpay(ctx, p, &l, m, paid_through, "imprisonment");
			if (over >= 0)
				taxid_ledger_convert(&l, m + 1, INT_MAX, TAXID_PAY_WITHHELD, owed_reasons, TAXID_PAY_WITHHELD,
						     "imprisonment");
			if ((c = ledger_close(ctx, &l, over < 0 ? TAXID_E_INTERNAL : TAXID_OK)))
				break;
			json_object_set_new(out, "overpaid_months", json_integer(over));
		}
		if (was_active) {
			snprintf(p->state, sizeof p->state, "suspended");
			month_format(m + 1, p->since);
		}
		if (strcmp(p->state, "pending") != 0)
			snprintf(p->reason, sizeof p->reason, "imprisonment");
		c = event_add(ctx, p->id, r->name, on, m + 1, was_active ? "suspended" : NULL,
			      json_pack("{s:i}", "overpaid_months", over), op.id);
		json_object_set_new(out, "state", json_string(p->state));
		if (strcmp(p->state, "suspended") == 0)
			json_object_set_new(out, "suspended_from", json_string(p->since));
		json_object_set_new(out, "back_pay", json_false());
		break;
	}
	case EV_MISSING:
		if (was_active) {
			/* Payment stops from the first month not yet paid (the month after the event at the earliest). */
			struct taxid_ledger l;
			if ((c = ledger_open(ctx, p, day_month(today(ctx)), &l)))
				break;
			int lp = ledger_last_paid(ctx, p, &l), since = lp != NONE && lp >= m + 1 ? lp + 1 : m + 1;
			if ((c = ledger_close(ctx, &l, TAXID_OK)))
				break;
			snprintf(p->state, sizeof p->state, "suspended");
			month_format(since, p->since);
		} else if (strcmp(p->reason, "imprisonment") == 0) {
			c = not_applicable(ctx, "imprisoned");
			break;
		}
		if (strcmp(p->state, "suspended") == 0)
			snprintf(p->reason, sizeof p->reason, "missing");
		c = event_add(ctx, p->id, r->name, on, was_active ? pmonth(p->since) : m + 1, was_active ? "suspended" : NULL, NULL,
			      op.id);
		json_object_set_new(out, "state", json_string(p->state));
		set_str(out, "suspended_from", p->since);
		break;
	case EV_RELEASE: {
		if (strcmp(p->reason, "imprisonment") != 0) {
			c = not_applicable(ctx, "not_imprisoned");
			break;
		}
		/* From the month after the release the pension is due again: months paid after it are not overpaid;
		 * with a certification still valid, the months withheld after it and those withheld for a lapse before
		 * the imprisonment are back paid, and payment resumes from the month after today's; otherwise the
		 * pensioner is suspended for the lapse from the first month not yet paid. */
		static const char *const prison[] = {"imprisonment", NULL};
		int cur = day_month(today(ctx)), back = 0;
		day_t lapse;
		int valid = day_parse(p->lapse_on, &lapse) == 0 && on < lapse;
		struct taxid_ledger l;
		if ((c = ledger_open(ctx, p, cur, &l)))
			break;
		taxid_ledger_convert(&l, m + 1, INT_MAX, TAXID_PAY_OVERPAID, prison, TAXID_PAY_PAID, "released");
		if (valid) {
			back = taxid_ledger_convert(&l, m + 1, cur, TAXID_PAY_WITHHELD, prison, TAXID_PAY_BACK_PAID, "release") +
			       taxid_ledger_convert(&l, INT_MIN, cur, TAXID_PAY_WITHHELD, owed_reasons, TAXID_PAY_BACK_PAID, "release");
			snprintf(p->state, sizeof p->state, "active");
			p->reason[0] = p->since[0] = 0;
			p->owed_months = 0;
			if (!(c = ledger_close(ctx, &l, TAXID_OK)))
				c = event_add(ctx, p->id, r->name, on, cur + 1, "resumed", json_pack("{s:i}", "back_pay_months", back),
					      op.id);
			json_object_set_new(out, "payment_resumes", json_true());
			set_month(out, "payment_from", cur + 1);
			json_object_set_new(out, "back_pay_months", json_integer(back));
		} else {
			/* The certification ran out meanwhile: suspended for the lapse. */
			taxid_ledger_convert(&l, m + 1, INT_MAX, TAXID_PAY_WITHHELD, prison, TAXID_PAY_WITHHELD, "lapse");
			int lp = ledger_last_paid(ctx, p, &l), since = lp != NONE && lp >= m + 1 ? lp + 1 : m + 1;
			snprintf(p->reason, sizeof p->reason, "lapse");
			month_format(since, p->since);
			if (!(c = ledger_close(ctx, &l, TAXID_OK)))
				c = event_add(ctx, p->id, r->name, on, since, NULL, json_pack("{s:s}", "still_suspended", "lapse"), op.id);
			json_object_set_new(out, "payment_resumes", json_false());
			json_object_set_new(out, "suspended_for", json_string("lapse"));
			json_object_set_new(out, "suspended_from", json_string(p->since));
		}
		json_object_set_new(out, "state", json_string(p->state));
		break;
	}
	case EV_REAPPEAR:
		c = event_reappeared(ctx, &s, on, &op, out);
		break;
	}
	if (!c && r->effect != EV_END && r->effect != EV_REAPPEAR)
		c = pensioner_save(ctx, p);
	if (!c && r->effect != EV_END && r->effect != EV_REAPPEAR)
		c = audit_pensioner(ctx, "survival.event", p->id, op.id,
				    json_pack("{s:s,s:s,s:s}", "event", r->name, "state", p->state, "reason", p->reason));
	subject_clear(&s);
	return c;
}

/* ==== recovery of overpaid months (issue 13) ==== */

static const char *const recover_ways[] = {"repayment", "offset", NULL};

/* Record that overpaid months were recovered, the oldest first: repaid, or offset against funeral or survivor
 * payments. */
enum taxid_code taxid_survival_recover(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct operator op;
	struct subject s;
	const char *via;
	if ((c = policies_load(ctx)) || (c = operator_get(ctx, req, "officer", &op)) ||
	    (c = req_word(ctx, req, "via", recover_ways, "repayment", &via)))
		return c;
	json_t *jm = json_object_get(req, "months");
	long long want = taxid_req_int(ctx, req, "months", 0, &c);
	if (c)
		return c;
	if (jm && want < 1)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "months");
	if ((c = subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s))) {
		subject_clear(&s);
		return c;
	}
	struct taxid_ledger l;
	if ((c = ledger_open(ctx, &s.p, day_month(today(ctx)), &l))) {
		subject_clear(&s);
		return c;
	}
	int have = taxid_ledger_count(&l, INT_MIN, INT_MAX, TAXID_PAY_OVERPAID, NULL);
	if (!have)
		c = taxid_fail_detail(ctx, TAXID_E_NOT_FOUND, "doc_no", json_pack("{s:s}", "reason", "nothing_overpaid"));
	else if (want > have)
		c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "months", json_pack("{s:i}", "overpaid_months", have));
	json_t *months = json_array();
	int n = 0;
	for (size_t i = 0; !c && i < l.n && (!want || n < want); i++) {
		if (l.rows[i].state != TAXID_PAY_OVERPAID)
			continue;
		char mb[MONTH_LEN];
		month_format(l.rows[i].month, mb);
		json_array_append_new(months, json_string(mb));
		taxid_ledger_set(&l, l.rows[i].month, TAXID_PAY_RECOVERED, via);
		n++;
	}
	if (!(c = ledger_close(ctx, &l, c))) {
		json_t *d = json_pack("{s:s,s:i,s:O,s:i}", "via", via, "recovered", n, "months", months, "overpaid_left", have - n);
		if (!(c = event_add(ctx, s.p.id, "recovered", today(ctx), NONE, NULL, json_deep_copy(d), op.id)))
			c = audit_pensioner(ctx, "survival.recover", s.p.id, op.id, json_incref(d));
		json_object_update(out, d);
		json_decref(d);
	}
	json_decref(months);
	subject_clear(&s);
	return c;
}

/* ==== duplicates, card, photo ==== */

enum taxid_code taxid_survival_duplicate_flag(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct operator op;
	struct subject s;
	if ((c = operator_need(ctx, req, NULL, &op)))
		return c;
	if ((c = subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s)))
		goto out;
	json_t *other = json_object_get(req, "other");
	if (!json_is_object(other)) {
		c = taxid_fail(ctx, other ? TAXID_E_BAD_TYPE : TAXID_E_MISSING_FIELD, "other");
		goto out;
	}
	const char *itype = taxid_req_str(ctx, other, "insurance_type", 1, &c);
	const char *region = c ? NULL : taxid_req_str(ctx, other, "region", 1, &c);
	const char *bstart = c ? NULL : taxid_req_str(ctx, other, "benefit_start", 0, &c);
	const struct insurance *ins = c ? NULL : insurance_find(itype);
	int bs;
	if (!c && (!ins || !region_ok(region) || (bstart && month_parse(bstart, &bs))))
		c = taxid_fail(ctx, TAXID_E_BAD_VALUE, "other");
	if (c) {
		ctx->err_field = "other";
		goto out;
	}
	json_t *o = json_pack("{s:s,s:s}", "insurance_type", ins->code, "region", region);
	if (bstart)
		json_object_set_new(o, "benefit_start", json_string(bstart));
	free(s.p.duplicate);
	s.p.duplicate = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!(c = pensioner_save(ctx, &s.p)) &&
	    !(c = event_add(ctx, s.p.id, "duplicate_flag", today(ctx), NONE, NULL, json_deep_copy(o), op.id)))
		c = audit_pensioner(ctx, "survival.duplicate", s.p.id, op.id, json_pack("{s:s,s:O}", "flag", "set", "other", o));
	json_object_set_new(out, "duplicate", o);
out:
	subject_clear(&s);
	return c;
}

enum taxid_code taxid_survival_duplicate_clear(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct operator op;
	struct subject s;
	if ((c = policies_load(ctx)) || (c = operator_need(ctx, req, NULL, &op)))
		return c;
	if ((c = subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s)))
		goto out;
	if (!s.p.duplicate) {
		c = taxid_fail(ctx, TAXID_E_NO_DUPLICATE, "doc_no");
		goto out;
	}
	json_t *o = json_loads(s.p.duplicate, 0, NULL);
	const struct insurance *mine = insurance_find(s.p.insurance);
	const struct insurance *theirs = insurance_find(json_string_value(json_object_get(o, "insurance_type")));
	int my_start = pmonth(s.p.benefit_start), their_start = pmonth(json_string_value(json_object_get(o, "benefit_start")));
	int keep_this;
	const char *rule;
	if (mine && theirs && strcmp(mine->cls, theirs->cls) != 0) {
		keep_this = strcmp(mine->cls, "employee") == 0;
		rule = "employee_over_resident";
	} else {
		/* Two of the same class (two resident pensions, or two employee ones): the first is kept. */
		keep_this = their_start == NONE || my_start <= their_start;
		rule = "first_region";
	}
	int cur = day_month(today(ctx));
	int overlap = months_incl(my_start > their_start ? my_start : their_start, cur);
	free(s.p.duplicate);
	s.p.duplicate = NULL;
	json_object_set_new(out, "kept", json_string(keep_this ? "this" : "other"));
	json_object_set_new(out, "rule", json_string(rule));
	json_object_set_new(out, "other", json_incref(o));
	json_object_set_new(out, "overlap_months", json_integer(their_start == NONE ? 0 : overlap));
	json_t *d = json_pack("{s:s,s:s,s:O}", "kept", keep_this ? "this" : "other", "rule", rule, "other", o);
	json_decref(o);
	if (!(c = pensioner_save(ctx, &s.p)) &&
	    !(c = event_add(ctx, s.p.id, "duplicate_clear", today(ctx), NONE, NULL, json_deep_copy(d), op.id)) &&
	    !(c = audit_pensioner(ctx, "survival.duplicate", s.p.id, op.id, json_incref(d))) && !keep_this &&
	    strcmp(s.p.state, "terminated") != 0) {
		/* This pension goes: ended after the current month; the months drawn twice are to recover. */
		c = pension_end(ctx, &s.p, "duplicate", today(ctx), NONE, cur, op.id, out, 1);
		if (!c && their_start != NONE)
			json_object_set_new(out, "recover", json_pack("{s:i,s:s}", "months", overlap, "reason", "drawn_twice"));
	}
	json_decref(d);
out:
	subject_clear(&s);
	return c;
}

static const char *const card_states[] = {"normal", "lost", "frozen", NULL};

enum taxid_code taxid_survival_card(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct operator op;
	struct subject s;
	const char *state;
	if ((c = operator_need(ctx, req, NULL, &op)) || (c = req_word(ctx, req, "state", card_states, NULL, &state)))
		return c;
	if (!(c = subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s))) {
		json_t *d = json_pack("{s:s,s:s}", "from", s.p.card, "to", state);
		snprintf(s.p.card, sizeof s.p.card, "%s", state);
		if (!(c = pensioner_save(ctx, &s.p)) &&
		    !(c = event_add(ctx, s.p.id, "card", today(ctx), NONE, NULL, json_deep_copy(d), op.id)))
			c = audit_pensioner(ctx, "survival.card", s.p.id, op.id, json_incref(d));
		json_decref(d);
		json_object_set_new(out, "card", json_string(state));
	}
	subject_clear(&s);
	return c;
}

enum taxid_code taxid_survival_photo(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct operator op;
	struct subject s;
	if ((c = operator_need(ctx, req, NULL, &op)))
		return c;
	int present = taxid_req_bool(ctx, req, "present", 1, &c);
	const char *source = c ? NULL : taxid_req_str(ctx, req, "source", 0, &c);
	if (c)
		return c;
	if (!(c = subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s))) {
		char at[TAXID_TIME_LEN];
		taxid_time_format(ctx->now, at);
		sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PERSON_PHOTO);
		if (!st) {
			c = TAXID_E_INTERNAL;
		} else {
			sqlite3_bind_int64(st, 1, s.person.id);
			if (present)
				sqlite3_bind_text(st, 2, source ? source : "on_file", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
			c = taxid_db_exec(ctx, st);
		}
		json_t *d = json_pack("{s:b,s:s?}", "present", present, "source", source);
		if (!c && !(c = event_add(ctx, s.p.id, "photo", today(ctx), NONE, NULL, json_deep_copy(d), op.id)))
			c = audit_pensioner(ctx, "survival.photo", s.p.id, op.id, json_incref(d));
		json_decref(d);
		json_object_set_new(out, "photo", json_boolean(present));
	}
	subject_clear(&s);
	return c;
}

/* ==== appeals ==== */

enum taxid_code taxid_survival_appeal_file(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct subject s;
	struct operator op;
	memset(&s, 0, sizeof s);
	if ((c = operator_get(ctx, req, NULL, &op)))
		return c;
	if (!op.id) /* issue 13.6: the employer's specialist files it (or an agency officer) */
		return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator",
					 json_pack("{s:[s,s]}", "role", "specialist", "officer"));
	if ((c = subject_load(ctx, req, out, 1, TAXID_E_NO_CERTIFICATION_NEEDED, &s)))
		goto out;
	const char *reason = taxid_req_str(ctx, req, "reason", 0, &c);
	if (c || (c = certify_gate(ctx, &s, today(ctx))))
		goto out;
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_APPEAL_INSERT);
	if (!st) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, s.p.id);
	bind_opt(st, 2, reason);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	long long id = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		c = taxid_db_fail(ctx, rc);
		goto out;
	}
	if (!(c = event_add(ctx, s.p.id, "appeal_filed", today(ctx), NONE, NULL,
			    json_pack("{s:I,s:s}", "appeal", (json_int_t)id, "role", op.role), op.id)))
		c = audit_pensioner(ctx, "survival.appeal", s.p.id, op.id,
				    json_pack("{s:s,s:I,s:s}", "step", "filed", "appeal", (json_int_t)id, "role", op.role));
	json_object_set_new(out, "appeal", json_integer(id));
	json_object_set_new(out, "state", json_string("filed"));
	json_object_set_new(out, "filed_by", json_string(op.id));
	json_object_set_new(out, "face_failures", json_integer(s.p.face_failures));
out:
	subject_clear(&s);
	return c;
}

static const char *const decisions[] = {"approve", "reject", NULL};

enum taxid_code taxid_survival_appeal_decide(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct operator op;
	const char *decision, *note;
	if ((c = policies_load(ctx)) || (c = operator_get(ctx, req, "officer", &op)) ||
	    (c = req_word(ctx, req, "decision", decisions, NULL, &decision)))
		return c;
	long long id = taxid_req_int(ctx, req, "appeal", 0, &c);
	note = c ? NULL : taxid_req_str(ctx, req, "note", 0, &c);
	if (c)
		return c;
	if (id <= 0)
		return taxid_fail(ctx, json_object_get(req, "appeal") ? TAXID_E_BAD_VALUE : TAXID_E_MISSING_FIELD, "appeal");
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_APPEAL_GET);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	long long pid = 0;
	int filed = 0;
	if (rc == SQLITE_ROW) {
		pid = sqlite3_column_int64(st, 0);
		filed = strcmp((const char *)sqlite3_column_text(st, 1), "filed") == 0;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? taxid_fail(ctx, TAXID_E_NOT_FOUND, "appeal") : taxid_db_fail(ctx, rc);
	if (!filed)
		return taxid_fail(ctx, TAXID_E_APPEAL_DECIDED, "appeal");
	struct subject s;
	memset(&s, 0, sizeof s);
	if ((c = pensioner_load(ctx, TAXID_SQL_SURV_PENSIONER_GET, pid, &s.p)) || (c = person_facts(ctx, s.p.person_id, &s)))
		goto out;
	int t;
	char *no = taxid_person_doc_number(ctx, s.p.doc_id, &t);
	if (no) {
		json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name((enum taxid_doc_type)t)));
		json_object_set_new(out, "doc_no", doc_json(ctx, no));
		free(no);
	}
	json_object_set_new(out, "appeal", json_integer(id));
	json_object_set_new(out, "pensioner", json_integer(pid));
	int approve = strcmp(decision, "approve") == 0;
	day_t day;
	if ((c = req_past_day(ctx, req, "at", 0, today(ctx), &day)))
		goto out;
	if (approve && (c = certify_gate(ctx, &s, day)))
		goto out;
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	st = taxid_sql(ctx, TAXID_SQL_SURV_APPEAL_DECIDE);
	if (!st) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, approve ? "approved" : "rejected", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, op.id, -1, SQLITE_STATIC);
	bind_opt(st, 5, note);
	if ((c = taxid_db_exec(ctx, st)))
		goto out;
	json_object_set_new(out, "decision", json_string(approve ? "approved" : "rejected"));
	if ((c = audit_pensioner(ctx, "survival.appeal", pid, op.id,
				 json_pack("{s:s,s:I}", "step", approve ? "approved" : "rejected", "appeal", (json_int_t)id))))
		goto out;
	if (approve)
		c = certify_apply(ctx, &s, "appeal", day, NULL, op.id, json_pack("{s:I}", "appeal", (json_int_t)id), out);
	else
		c = event_add(ctx, pid, "appeal_rejected", day, NONE, NULL, json_pack("{s:I}", "appeal", (json_int_t)id), op.id);
out:
	subject_clear(&s);
	return c;
}

/* ==== window policy ==== */

static const char *const window_words[] = {"rolling", "birthday", "fixed", "cycle6", NULL};

/* The range of region codes a policy key covers: "110105" itself, "1101xx" for 110100, "11xxxx" for 110000. */
static void policy_scope(const char *region, char lo[8], char hi[8])
{
	if (strcmp(region, "default") == 0) {
		snprintf(lo, 8, "0");
		snprintf(hi, 8, ":");
		return;
	}
	size_t n = 6;
	while (n > 2 && region[n - 1] == '0' && region[n - 2] == '0')
		n -= 2;
	snprintf(lo, 8, "%.*s", (int)n, region);
	snprintf(hi, 8, "%.*s", (int)n, region);
	hi[n - 1]++; /* digits: '9' + 1 is ':', still above every digit */
}

/* Check a window policy request for region (the caller read it): kind, months, grace_days, deadline, reminders
 * and recompute (when not NULL). No database: taxid_survival_policy_parse exposes it to the fuzzer. */
static enum taxid_code policy_parse(struct taxid_ctx *ctx, json_t *req, const char *region, struct policy *p,
				    int *recompute)
{
	enum taxid_code c = TAXID_OK;
	const char *kind;
	memset(p, 0, sizeof *p);
	if ((c = req_word(ctx, req, "kind", window_words, NULL, &kind)))
		return c;
	if (strcmp(region, "default") != 0 && !region_ok(region))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "region");
	snprintf(p->region, sizeof p->region, "%s", region);
	p->kind = strcmp(kind, "birthday") == 0 ? W_BIRTHDAY : strcmp(kind, "fixed") == 0 ? W_FIXED : W_ROLLING;
	/* Read as long long and checked before narrowing: 4294967297 months is not 1. */
	long long months = taxid_req_int(ctx, req, "months", strcmp(kind, "cycle6") == 0 ? 6 : 12, &c);
	long long grace = c ? 0 : taxid_req_int(ctx, req, "grace_days", 0, &c);
	const char *dl = c ? NULL : taxid_req_str(ctx, req, "deadline", p->kind == W_FIXED, &c);
	int rc = c ? 0 : taxid_req_bool(ctx, req, "recompute", 1, &c);
	if (c)
		return c;
	if (recompute)
		*recompute = rc;
	if (months < 1 || months > 60 || (p->kind != W_ROLLING && months != 12 && json_object_get(req, "months")))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "months");
	p->months = p->kind != W_ROLLING ? 12 : (int)months;
	if (grace < 0 || grace > 366)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "grace_days");
	p->grace = (int)grace;
	if (dl) {
		if (p->kind != W_FIXED || strlen(dl) != 5 || dl[2] != '-' || strspn(dl, "0123456789") != 2 ||
		    strspn(dl + 3, "0123456789") != 2 || !taxid_date_valid(2000, atoi(dl), atoi(dl + 3)))
			return taxid_fail(ctx, TAXID_E_BAD_VALUE, "deadline");
		p->dl_month = atoi(dl);
		p->dl_day = atoi(dl + 3);
	}
	json_t *rem = json_object_get(req, "reminders");
	if (rem && !json_is_null(rem)) {
		if (reminders_parse(rem, p))
			return taxid_fail(ctx, TAXID_E_BAD_VALUE, "reminders");
	} else {
		p->nrem = builtin_policy.nrem;
		memcpy(p->reminders, builtin_policy.reminders, sizeof p->reminders);
	}
	return TAXID_OK;
}

enum taxid_code taxid_survival_policy_parse(struct taxid_ctx *ctx, json_t *req, json_t **policy)
{
	enum taxid_code c = TAXID_OK;
	struct policy p;
	*policy = NULL;
	const char *region = taxid_req_str(ctx, req, "region", 1, &c);
	if (c || (c = policy_parse(ctx, req, region, &p, NULL)))
		return c;
	*policy = policy_json(&p);
	return TAXID_OK;
}

enum taxid_code taxid_survival_policy_set(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	struct operator op;
	struct policy p;
	int recompute = 1;
	const char *region = taxid_req_str(ctx, req, "region", 1, &c);
	if (c || (c = operator_need(ctx, req, NULL, &op)) || (c = policy_parse(ctx, req, region, &p, &recompute)))
		return c;
	char at[TAXID_TIME_LEN], dlbuf[8];
	taxid_time_format(ctx->now, at);
	json_t *pj = policy_json(&p);
	char *rems = json_dumps(json_object_get(pj, "reminders"), JSON_COMPACT);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_POLICY_PUT);
	if (!st || !rems) {
		free(rems);
		json_decref(pj);
		return TAXID_E_INTERNAL;
	}
	snprintf(dlbuf, sizeof dlbuf, "%02d-%02d", p.dl_month % 100, p.dl_day % 100);
	sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, window_names[p.kind], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, p.months);
	if (p.kind == W_FIXED)
		sqlite3_bind_text(st, 4, dlbuf, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, p.grace);
	sqlite3_bind_text(st, 6, rems, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, at, -1, SQLITE_STATIC);
	c = taxid_db_exec(ctx, st);
	free(rems);
	policies_loaded = 0;
	if (!c)
		c = policies_load(ctx);
	long n = 0;
	if (!c && recompute) {
		/* Deadlines follow the new rule from each pensioner's anchor (last certification, or enrolment). */
		char lo[8], hi[8];
		policy_scope(region, lo, hi);
		st = taxid_sql(ctx, TAXID_SQL_SURV_PENSIONER_REGION);
		if (!st)
			c = TAXID_E_INTERNAL;
		size_t cap = 0, len = 0;
		struct pensioner *all = NULL;
		if (!c) {
			sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
			int rc;
			while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
				if (len == cap) {
					cap = cap ? cap * 2 : 256;
					struct pensioner *na = realloc(all, cap * sizeof *all);
					if (!na) {
						rc = SQLITE_NOMEM;
						break;
					}
					all = na;
				}
				pensioner_read(st, &all[len++]);
			}
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				c = taxid_db_fail(ctx, rc);
		}
		for (size_t i = 0; i < len; i++) {
			struct subject s;
			day_t anchor;
			char before[DATE_LEN];
			memset(&s, 0, sizeof s);
			snprintf(before, sizeof before, "%s", all[i].valid_until);
			if (!c && !day_parse(all[i].anchor, &anchor) && !(c = person_facts(ctx, all[i].person_id, &s))) {
				pensioner_window(&all[i], policy_for(all[i].region), anchor, birth_month(&s));
				if (strcmp(before, all[i].valid_until) != 0) {
					c = pensioner_save(ctx, &all[i]);
					n++;
				}
			}
			pensioner_clear(&all[i]);
		}
		free(all);
	}
	if (!c)
		c = taxid_audit(ctx, "survival.policy", region, op.id, pj);
	json_object_update(out, pj);
	json_decref(pj);
	json_object_set_new(out, "recomputed", json_integer(n));
	return c;
}

enum taxid_code taxid_survival_policy_list(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = policies_load(ctx);
	int has_default = 0;
	for (size_t i = 0; !c && i < npolicies; i++) {
		has_default |= strcmp(policies[i].region, "default") == 0;
		c = taxid_emit(ctx, policy_json(&policies[i]));
	}
	if (!c && !has_default)
		c = taxid_emit(ctx, policy_json(&builtin_policy));
	return c;
}

/* ==== status ==== */

enum taxid_code taxid_survival_status(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct subject s;
	if ((c = policies_load(ctx)))
		return c;
	if ((c = subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s))) {
		subject_clear(&s);
		return c;
	}
	struct pensioner *p = &s.p;
	const struct policy *pol = policy_for(p->region);
	day_t now = today(ctx), vu, lapse;
	json_object_set_new(out, "name", name_json(ctx, s.person.name));
	json_object_set_new(out, "kind", json_string(p->kind));
	if (p->relation[0])
		json_object_set_new(out, "relation", json_string(p->relation));
	json_object_set_new(out, "region", json_string(p->region));
	json_object_set_new(out, "insurance_type", json_string(p->insurance));
	json_object_set_new(out, "benefit_start", json_string(p->benefit_start));
	json_object_set_new(out, "state", json_string(p->state));
	set_str(out, "reason", p->reason);
	if (strcmp(p->state, "suspended") == 0)
		json_object_set_new(out, "suspended_from", json_string(p->since));
	if (strcmp(p->state, "terminated") == 0)
		json_object_set_new(out, "ended_from", json_string(p->since));
	/* The ledger as recorded, and the months since then through today's as the pensioner's state makes them
	 * ("recorded": false): what a certification would back pay is what it shows as withheld for a lapse. */
	struct taxid_ledger l;
	if ((c = ledger_open(ctx, p, day_month(now), &l))) {
		subject_clear(&s);
		return c;
	}
	int owed = taxid_ledger_count(&l, INT_MIN, INT_MAX, TAXID_PAY_WITHHELD, owed_reasons);
	int suspended_owing = strcmp(p->state, "suspended") == 0 && (strcmp(p->reason, "lapse") == 0 || strcmp(p->reason, "missing") == 0);
	if (owed || suspended_owing)
		json_object_set_new(out, "owed", json_pack("{s:i,s:s?}", "months", owed, "open_from", suspended_owing ? p->since : NULL));
	json_t *sum = json_object();
	for (int k = TAXID_PAY_PAID; k <= TAXID_PAY_RECOVERED; k++)
		json_object_set_new(sum, taxid_ledger_state_name((enum taxid_pay)k),
				    json_integer(taxid_ledger_count(&l, INT_MIN, INT_MAX, (enum taxid_pay)k, NULL)));
	json_object_set_new(out, "payments", sum);
	json_object_set_new(out, "ledger", taxid_ledger_json(&l));
	taxid_ledger_free(&l);
	set_str(out, "last_certified", p->last_certified);
	set_str(out, "valid_until", p->valid_until);
	set_str(out, "lapses_on", p->lapse_on);
	if (!day_parse(p->valid_until, &vu)) {
		json_object_set_new(out, "days_left", json_integer((json_int_t)(vu - now)));
		json_object_set_new(out, "lapsed", json_boolean(!day_parse(p->lapse_on, &lapse) && lapse <= now));
	}
	if (p->ends_on[0])
		json_object_set_new(out, "ends_on", json_string(p->ends_on));
	json_object_set_new(out, "window", policy_json(pol));
	json_object_set_new(out, "face_failures", json_integer(p->face_failures));
	json_object_set_new(out, "manual_review_available", json_boolean(p->face_failures >= 3));
	json_object_set_new(out, "card", json_string(p->card));
	json_object_set_new(out, "photo", json_boolean(s.has_photo));
	if ((c = taxid_survival_status_extra(ctx, p->id, s.person.id, out))) {
		subject_clear(&s);
		return c;
	}
	json_object_set_new(out, "duplicate", p->duplicate ? json_loads(p->duplicate, 0, NULL) : json_null());
	json_object_set_new(out, "unable_to_work", json_boolean(p->unable_to_work));

	json_t *certs = json_array(), *events = json_array(), *appeals = json_array();
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_CERT_RECENT);
	if (st) {
		sqlite3_bind_int64(st, 1, p->id);
		sqlite3_bind_int(st, 2, 5);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(certs, json_pack("{s:s,s:s,s:s?,s:s,s:b,s:s?}", "method", sqlite3_column_text(st, 0),
							       "certified_on", sqlite3_column_text(st, 1), "deadline",
							       sqlite3_column_text(st, 2), "valid_until", sqlite3_column_text(st, 3),
							       "late", sqlite3_column_int(st, 4), "issuer", sqlite3_column_text(st, 5)));
		sqlite3_reset(st);
	}
	st = taxid_sql(ctx, TAXID_SQL_SURV_EVENT_RECENT);
	if (st) {
		sqlite3_bind_int64(st, 1, p->id);
		sqlite3_bind_int(st, 2, 10);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(st, 4);
			json_array_append_new(events, json_pack("{s:s,s:s,s:s?,s:s?,s:o?}", "event", sqlite3_column_text(st, 0),
								"date", sqlite3_column_text(st, 1), "month", sqlite3_column_text(st, 2),
								"payment", sqlite3_column_text(st, 3), "detail",
								d ? json_loads(d, 0, NULL) : NULL));
		}
		sqlite3_reset(st);
	}
	st = taxid_sql(ctx, TAXID_SQL_SURV_APPEAL_OPEN);
	if (st) {
		sqlite3_bind_int64(st, 1, p->id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(appeals, json_pack("{s:I,s:s,s:s?}", "appeal", (json_int_t)sqlite3_column_int64(st, 0),
								 "filed_at", sqlite3_column_text(st, 1), "reason",
								 sqlite3_column_text(st, 2)));
		sqlite3_reset(st);
	}
	json_object_set_new(out, "certifications", certs);
	json_object_set_new(out, "events", events);
	json_object_set_new(out, "open_appeals", appeals);
	subject_clear(&s);
	return TAXID_OK;
}

/* ==== the due list ==== */

static enum taxid_code req_as_of(struct taxid_ctx *ctx, json_t *req, day_t *d)
{
	int present;
	enum taxid_code c = req_day(ctx, req, "as_of", 0, &present, d);
	if (!c && !present)
		*d = today(ctx);
	return c;
}

static enum taxid_code req_region(struct taxid_ctx *ctx, json_t *req, const char **region)
{
	enum taxid_code c = TAXID_OK;
	*region = taxid_req_str(ctx, req, "region", 0, &c);
	if (!c && *region && !region_ok(*region))
		c = taxid_fail(ctx, TAXID_E_BAD_VALUE, "region");
	return c;
}

/* Person columns of a row (doc type, encrypted number, encrypted name) into a row object. */
static void row_person(struct taxid_ctx *ctx, sqlite3_stmt *st, int col, json_t *row)
{
	int t = sqlite3_column_int(st, col);
	char *no = open_doc(ctx, t, sqlite3_column_blob(st, col + 1), sqlite3_column_bytes(st, col + 1));
	char *name = taxid_pii_open(ctx->keys, "person.name", sqlite3_column_blob(st, col + 2),
				    (size_t)sqlite3_column_bytes(st, col + 2));
	json_object_set_new(row, "doc_type", json_string(taxid_ids_doc_name((enum taxid_doc_type)t)));
	json_object_set_new(row, "doc_no", no ? doc_json(ctx, no) : json_null());
	json_object_set_new(row, "name", name_json(ctx, name));
	if (no)
		explicit_bzero(no, strlen(no));
	free(no);
	free(name);
}

enum taxid_code taxid_survival_due(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	day_t as_of;
	const char *region;
	char employer[TAXID_EMPLOYER_LEN], asof[DATE_LEN];
	int has_employer;
	if ((c = req_as_of(ctx, req, &as_of)) || (c = req_region(ctx, req, &region)) ||
	    (c = taxid_survival_employer(ctx, req, "employer", employer, &has_employer)))
		return c;
	day_format(as_of, asof);
	long long within = taxid_req_int(ctx, req, "within", 30, &c);
	if (c)
		return c;
	if (within < 0 || within > 3660)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "within");
	char lim[DATE_LEN];
	day_format(as_of + within, lim);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_DUE);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, lim, -1, SQLITE_STATIC);
	bind_opt(st, 2, region);
	bind_opt(st, 3, has_employer ? employer : NULL);
	sqlite3_bind_int(st, 4, (int)(day_month(as_of) / 12));
	sqlite3_bind_text(st, 5, asof, -1, SQLITE_STATIC);
	int rc;
	long rows = 0;
	while (!c && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		day_t vu = 0, lapse = 0;
		day_parse((const char *)sqlite3_column_text(st, 6), &vu);
		int has_lapse = !day_parse((const char *)sqlite3_column_text(st, 7), &lapse);
		const char *state = (const char *)sqlite3_column_text(st, 3);
		const char *status = strcmp(state, "suspended") == 0 ? "suspended"
				     : vu >= as_of			  ? "due"
				     : has_lapse && lapse > as_of	  ? "grace"
									  : "overdue";
		json_t *row = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:I,s:s}", "pensioner", (json_int_t)sqlite3_column_int64(st, 0),
					"kind", sqlite3_column_text(st, 1), "region", sqlite3_column_text(st, 2), "valid_until",
					sqlite3_column_text(st, 6), "status", status, "lapses_on", sqlite3_column_text(st, 7),
					"days_left", (json_int_t)(vu - as_of), "state", state);
		if (strcmp(status, "suspended") == 0)
			json_object_set_new(row, "suspended", json_pack("{s:s?,s:s?}", "reason", sqlite3_column_text(st, 4), "from",
									sqlite3_column_text(st, 5)));
		if (sqlite3_column_int(st, 11))
			json_object_set_new(row, "app_required", json_true());
		row_person(ctx, st, 8, row);
		c = taxid_emit(ctx, row);
		taxid_progress(ctx, ++rows);
	}
	if (!c && rc != SQLITE_DONE)
		c = taxid_db_fail(ctx, rc);
	sqlite3_reset(st);
	if (c)
		return c;
	/* Issue 13.5: who certified by fingerprint this year and still owes the app certification, when not listed above. */
	if (!(st = taxid_sql(ctx, TAXID_SQL_SURV_DUE_APP)))
		return TAXID_E_INTERNAL;
	sqlite3_bind_int(st, 1, (int)(day_month(as_of) / 12));
	sqlite3_bind_text(st, 2, asof, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, lim, -1, SQLITE_STATIC);
	bind_opt(st, 4, region);
	bind_opt(st, 5, has_employer ? employer : NULL);
	while (!c && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		day_t vu = 0;
		day_parse((const char *)sqlite3_column_text(st, 6), &vu);
		json_t *row = json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s?,s:I,s:s,s:b,s:s}", "pensioner",
					(json_int_t)sqlite3_column_int64(st, 0), "kind", sqlite3_column_text(st, 1), "region",
					sqlite3_column_text(st, 2), "valid_until", sqlite3_column_text(st, 6), "status",
					"app_required", "lapses_on", sqlite3_column_text(st, 7), "days_left",
					(json_int_t)(vu - as_of), "state", sqlite3_column_text(st, 3), "app_required", 1,
					"fingerprint_on", sqlite3_column_text(st, 11));
		row_person(ctx, st, 8, row);
		c = taxid_emit(ctx, row);
		taxid_progress(ctx, ++rows);
	}
	if (!c && rc != SQLITE_DONE)
		c = taxid_db_fail(ctx, rc);
	sqlite3_reset(st);
	return c;
}

/* ==== the run: terminations at 18, suspensions after a lapse, reminders ==== */

/* Bulk actions read much of the file: map it (errors here only cost speed). */
static void bulk_tune(struct taxid_ctx *ctx)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_TUNE_MMAP);
	if (st)
		taxid_db_exec(ctx, st);
	/* Batches commit often (a kill loses little); the WAL is copied back into the file less often. */
	if ((st = taxid_sql(ctx, TAXID_SQL_SURV_TUNE_CHECKPOINT)))
		taxid_db_exec(ctx, st);
}

struct run_state {
	char as_of[DATE_LEN];
	int phase; /* 0 dependants turning 18, 1 deadlines, 2 finished */
	char cursor_date[DATE_LEN];
	long long cursor_id;
	long long processed, suspended, reminded, terminated;
	int done;
	json_t *log; /* this batch's changes, audited with its commit */
};

static enum taxid_code run_get(struct taxid_ctx *ctx, struct run_state *r)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_RUN_GET);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, r->as_of, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->done = strcmp((const char *)sqlite3_column_text(st, 0), "done") == 0;
		r->phase = sqlite3_column_int(st, 1);
		col_text(st, 2, r->cursor_date, sizeof r->cursor_date);
		r->cursor_id = sqlite3_column_int64(st, 3);
		r->processed = sqlite3_column_int64(st, 4);
		r->suspended = sqlite3_column_int64(st, 5);
		r->reminded = sqlite3_column_int64(st, 6);
		r->terminated = sqlite3_column_int64(st, 7);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? TAXID_OK : rc == SQLITE_DONE ? TAXID_E_NOT_FOUND : taxid_db_fail(ctx, rc);
}

static enum taxid_code run_save(struct taxid_ctx *ctx, const struct run_state *r)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_RUN_SAVE);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, r->as_of, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->phase);
	sqlite3_bind_text(st, 3, r->cursor_date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->cursor_id);
	sqlite3_bind_int64(st, 5, r->processed);
	sqlite3_bind_int64(st, 6, r->suspended);
	sqlite3_bind_int64(st, 7, r->reminded);
	sqlite3_bind_int64(st, 8, r->terminated);
	return taxid_db_exec(ctx, st);
}

/* Audit what this batch changed, in its transaction: one row per batch listing every pensioner, so that a
 * million-pensioner run does not write a million audit rows. */
static enum taxid_code run_audit(struct taxid_ctx *ctx, struct run_state *r, const char *step)
{
	char subject[32];
	snprintf(subject, sizeof subject, "run:%s", r->as_of);
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

/* Queue a notice once per (pensioner, kind, key); body is its JSON text. *added says whether it is new. */
static enum taxid_code notice_add(struct taxid_ctx *ctx, long long pid, const char *kind, const char *key, const char *run,
				  const char *body, int *added)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_NOTICE_INSERT);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	bind_opt(st, 4, run);
	sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, now_text(ctx), -1, SQLITE_STATIC);
	enum taxid_code c = taxid_db_exec(ctx, st);
	*added = !c && (int)taxid_db_changes(ctx) > 0;
	return c;
}

/* A JSON string of s onto f. */
static void json_quote(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			putc(ch, f);
	}
	putc('"', f);
}

/* Print the committed notices of a run not yet printed, then mark them (in the caller's next commit): a kill in
 * between prints them again on the rerun — at least once, each with its id. A row is the stored body (JSON
 * without personal data) plus who it is for, masked unless --reveal; the same shape taxid_emit gives, written
 * directly because a run may print a notice for every tenth pensioner. */
static enum taxid_code notices_emit(struct taxid_ctx *ctx, const char *run)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_NOTICE_PENDING);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
	long long max = 0;
	int rc;
	FILE *f = ctx->out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 3);
		int blen = sqlite3_column_bytes(st, 3), t = sqlite3_column_int(st, 5);
		max = sqlite3_column_int64(st, 0);
		char *no = open_doc(ctx, t, sqlite3_column_blob(st, 6), sqlite3_column_bytes(st, 6));
		char *name = taxid_pii_open(ctx->keys, "person.name", sqlite3_column_blob(st, 7),
					    (size_t)sqlite3_column_bytes(st, 7));
		char *shown = name && !ctx->reveal ? name_mask(name) : NULL, masked[64] = "********";
		if (no && strlen(no) < sizeof masked)
			taxid_mask_doc(no, masked);
		if (no)
			taxid_reveal_subject(ctx, masked);
		fputs("{\"ok\":true,", f);
		if (blen > 2 && body[0] == '{')
			fprintf(f, "%.*s,", blen - 2, body + 1);
		fprintf(f, "\"notice_id\":%lld,\"pensioner\":%lld,\"region\":", max, (long long)sqlite3_column_int64(st, 1));
		json_quote(f, (const char *)sqlite3_column_text(st, 4));
		fprintf(f, ",\"doc_type\":\"%s\",\"doc_no\":", taxid_ids_doc_name((enum taxid_doc_type)t) ? taxid_ids_doc_name((enum taxid_doc_type)t) : "unknown");
		if (no)
			json_quote(f, ctx->reveal ? no : masked);
		else
			fputs("null", f);
		fputs(",\"name\":", f);
		if (name)
			json_quote(f, ctx->reveal ? name : shown ? shown : "*");
		else
			fputs("null", f);
		fputs("}\n", f);
		if (no)
			explicit_bzero(no, strlen(no));
		free(no);
		free(name);
		free(shown);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return taxid_db_fail(ctx, rc);
	if (fflush(f) == EOF || ferror(f))
		return TAXID_E_IO_ERROR;
	if (!max)
		return TAXID_OK;
	st = taxid_sql(ctx, TAXID_SQL_SURV_NOTICE_EMITTED);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now_text(ctx), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, max);
	return taxid_db_exec(ctx, st);
}

/* A dependant child reaching 18: ended after the month of the birthday. */
static enum taxid_code run_age18(struct taxid_ctx *ctx, struct run_state *r, struct pensioner *p, int cur)
{
	day_t ends;
	int added;
	char body[256];
	if (day_parse(p->ends_on, &ends))
		return TAXID_OK;
	enum taxid_code c = pension_end(ctx, p, "age_18", ends, NONE, cur, NULL, NULL, 0);
	if (c)
		return c;
	run_log(r, "terminated", p->id, p->since, "age_18");
	snprintf(body, sizeof body,
		 "{\"notice\":\"termination\",\"as_of\":\"%s\",\"reason\":\"age_18\",\"birthday\":\"%s\",\"payment_stops_from\":\"%s\"}",
		 r->as_of, p->ends_on, p->since);
	c = notice_add(ctx, p->id, "termination", "age_18", r->as_of, body, &added);
	r->terminated += !c;
	return c;
}

/* A deadline near or past: suspend from the month after the lapse, else remind at the nearest offset reached. */
static enum taxid_code run_deadline(struct taxid_ctx *ctx, struct run_state *r, struct pensioner *p, day_t as_of)
{
	day_t vu, lapse;
	int added = 0;
	char key[48], body[320];
	enum taxid_code c;
	if (day_parse(p->valid_until, &vu) || day_parse(p->lapse_on, &lapse))
		return TAXID_OK;
	if (lapse <= as_of) {
		/* The run's date decides what was paid: every month up to the run's month has begun, so it was paid;
		 * payment stops from the first month not yet paid (issue 13: not retroactively from the lapse). */
		struct taxid_ledger l;
		int rm = day_month(as_of);
		if ((c = ledger_open(ctx, p, rm, &l)))
			return c;
		int lp = ledger_last_paid(ctx, p, &l), since = lp != NONE && lp >= rm + 1 ? lp + 1 : rm + 1;
		if ((c = ledger_close(ctx, &l, TAXID_OK)))
			return c;
		month_format(since, p->since);
		sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PENSIONER_SUSPEND);
		if (!st)
			return TAXID_E_INTERNAL;
		sqlite3_bind_int64(st, 1, p->id);
		sqlite3_bind_text(st, 2, "lapse", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->since, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, now_text(ctx), -1, SQLITE_STATIC);
		snprintf(body, sizeof body, "{\"run\":\"%s\",\"valid_until\":\"%s\"}", r->as_of, p->valid_until);
		if ((c = taxid_db_exec(ctx, st)) ||
		    (c = event_add_text(ctx, p->id, "lapse", lapse, since, "suspended", body, NULL)))
			return c;
		run_log(r, "suspended", p->id, p->since, NULL);
		snprintf(body, sizeof body,
			 "{\"notice\":\"suspension\",\"as_of\":\"%s\",\"valid_until\":\"%s\",\"lapsed_on\":\"%s\",\"suspended_from\":\"%s\"}",
			 r->as_of, p->valid_until, p->lapse_on, p->since);
		c = notice_add(ctx, p->id, "suspension", p->since, r->as_of, body, &added);
		r->suspended += !c;
		return c;
	}
	const struct policy *pol = policy_for(p->region);
	long long left = vu - as_of;
	if (left < 0) {
		snprintf(key, sizeof key, "%s:grace", p->valid_until);
		snprintf(body, sizeof body,
			 "{\"notice\":\"reminder\",\"as_of\":\"%s\",\"valid_until\":\"%s\",\"days_left\":%lld,\"lapses_on\":\"%s\",\"grace\":true}",
			 r->as_of, p->valid_until, left, p->lapse_on);
	} else {
		int k = 0;
		while (k < pol->nrem && pol->reminders[k] < left)
			k++;
		if (k == pol->nrem)
			return TAXID_OK;
		snprintf(key, sizeof key, "%s:%d", p->valid_until, pol->reminders[k]);
		snprintf(body, sizeof body,
			 "{\"notice\":\"reminder\",\"as_of\":\"%s\",\"valid_until\":\"%s\",\"days_left\":%lld,\"offset\":%d,\"lapses_on\":\"%s\"}",
			 r->as_of, p->valid_until, left, pol->reminders[k], p->lapse_on);
	}
	c = notice_add(ctx, p->id, "reminder", key, r->as_of, body, &added);
	r->reminded += added;
	return c;
}

static json_t *run_summary(const struct run_state *r, int already)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:b}", "run", r->as_of, "state", "done", "processed", (json_int_t)r->processed,
			 "suspended", (json_int_t)r->suspended, "reminders", (json_int_t)r->reminded, "terminated",
			 (json_int_t)r->terminated, "already_done", already);
}

enum taxid_code taxid_survival_run(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	day_t as_of;
	int present;
	struct run_state r;
	memset(&r, 0, sizeof r);
	if ((c = req_day(ctx, req, "as_of", 1, &present, &as_of)))
		return c;
	/* A run dated after today would suspend people whose window has not ended (issue 13): refused, nothing changes. */
	if (as_of > today(ctx))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "as_of", json_pack("{s:s}", "reason", "in_the_future"));
	long long batch = taxid_req_int(ctx, req, "batch", ctx->batch_size, &c);
	if (c)
		return c;
	if (batch < 1 || batch > 100000)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "batch");
	if ((c = policies_load(ctx)))
		return c;
	bulk_tune(ctx);
	day_format(as_of, r.as_of);
	char lim[DATE_LEN];
	day_format(as_of + max_reminder(), lim);
	int cur = day_month(as_of);

	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_RUN_START);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, r.as_of, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now_text(ctx), -1, SQLITE_STATIC);
	if ((c = taxid_db_exec(ctx, st)))
		return c;
	if ((int)taxid_db_changes(ctx) > 0 && (c = run_audit(ctx, &r, "start")))
		return c;
	if ((c = run_get(ctx, &r)))
		return c;
	if (r.done)
		return taxid_emit(ctx, run_summary(&r, 1));
	/* Notices an interrupted attempt committed but may not have printed. */
	if ((c = notices_emit(ctx, r.as_of)))
		return c;

	struct pensioner *v = calloc((size_t)batch, sizeof *v);
	if (!v)
		return TAXID_E_INTERNAL;
	long long seen = r.processed;
	while (!c) {
		/* Re-read the cursor inside this transaction: a second process on the same date continues, not repeats. */
		if ((c = run_get(ctx, &r)) || r.done || r.phase >= 2)
			break;
		st = taxid_sql(ctx, r.phase == 0 ? TAXID_SQL_SURV_RUN_ENDING : TAXID_SQL_SURV_RUN_DUE);
		if (!st) {
			c = TAXID_E_INTERNAL;
			break;
		}
		if (r.phase == 0) {
			sqlite3_bind_text(st, 1, r.as_of, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, r.cursor_id);
			sqlite3_bind_int64(st, 3, batch);
		} else {
			sqlite3_bind_text(st, 1, lim, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, r.cursor_date, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 3, r.cursor_id);
			sqlite3_bind_int64(st, 4, batch);
		}
		long long n = 0;
		int rc;
		while (n < batch && (rc = sqlite3_step(st)) == SQLITE_ROW)
			pensioner_read(st, &v[n++]);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			c = taxid_db_fail(ctx, rc);
		for (long long i = 0; i < n; i++) {
			if (!c)
				c = r.phase == 0 ? run_age18(ctx, &r, &v[i], cur) : run_deadline(ctx, &r, &v[i], as_of);
			r.processed++;
			r.cursor_id = v[i].id;
			snprintf(r.cursor_date, sizeof r.cursor_date, "%s", v[i].valid_until);
			pensioner_clear(&v[i]);
			taxid_progress(ctx, (long)++seen);
		}
		if (c)
			break;
		if (n < batch) {
			r.phase++;
			r.cursor_date[0] = 0;
			r.cursor_id = 0;
		}
		if ((r.log && (c = run_audit(ctx, &r, "batch"))) || (c = run_save(ctx, &r)) || (c = taxid_db_commit(ctx)))
			break;
		if ((c = taxid_db_begin(ctx)) || (c = notices_emit(ctx, r.as_of)))
			break;
	}
	free(v);
	json_decref(r.log);
	r.log = NULL;
	if (c)
		return c;
	if (!r.done) {
		st = taxid_sql(ctx, TAXID_SQL_SURV_RUN_DONE);
		if (!st)
			return TAXID_E_INTERNAL;
		sqlite3_bind_text(st, 1, r.as_of, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, now_text(ctx), -1, SQLITE_STATIC);
		if ((c = taxid_db_exec(ctx, st)))
			return c;
		r.log = json_pack("{s:I,s:I,s:I,s:I}", "processed", (json_int_t)r.processed, "suspended", (json_int_t)r.suspended,
				  "reminders", (json_int_t)r.reminded, "terminated", (json_int_t)r.terminated);
		if ((c = run_audit(ctx, &r, "done")))
			return c;
	}
	return taxid_emit(ctx, run_summary(&r, 0));
}

/* ==== the coverage report ==== */

enum { COL_CERTIFIED, COL_DUE, COL_OVERDUE, COL_SUSPENDED, COL_RESUMED, NCOLS };
static const char *const col_names[NCOLS] = {"certified", "due", "overdue", "suspended", "resumed"};
static const char *const col_colors[NCOLS] = {"#2e7d32", "#1565c0", "#c62828", "#ef6c00", "#6a1b9a"};
static const char *const state_names[4] = {"pending", "active", "suspended", "terminated"};

struct region_stats {
	char region[8];
	long long states[4];
	long long *cells; /* months x NCOLS */
};

struct report {
	day_t as_of;
	int first, months;
	struct region_stats *r;
	size_t n;
	long long *total; /* months x NCOLS */
	long long total_states[4];
	char employer[TAXID_EMPLOYER_LEN]; /* only this employer's pensioners, when set (issue 13.6) */
};

static int region_cmp(const void *a, const void *b)
{
	return strcmp(((const struct region_stats *)a)->region, ((const struct region_stats *)b)->region);
}

static long long *report_cell(struct report *rep, const char *region, const char *month, int col)
{
	int m;
	if (!region || month_parse(month, &m) || m < rep->first || m >= rep->first + rep->months)
		return NULL;
	struct region_stats key;
	snprintf(key.region, sizeof key.region, "%s", region);
	struct region_stats *r = bsearch(&key, rep->r, rep->n, sizeof *rep->r, region_cmp);
	return r ? &r->cells[(m - rep->first) * NCOLS + col] : NULL;
}

static enum taxid_code report_query(struct taxid_ctx *ctx, struct report *rep, enum taxid_stmt id, const char *lo,
				    const char *hi, const char *region, int col, int second)
{
	char asof[DATE_LEN];
	day_format(rep->as_of, asof);
	sqlite3_stmt *st = taxid_sql(ctx, id);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	bind_opt(st, 3, region);
	if (id == TAXID_SQL_SURV_REPORT_OPEN)
		sqlite3_bind_text(st, 4, asof, -1, SQLITE_STATIC);
	bind_opt(st, 5, rep->employer[0] ? rep->employer : NULL);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *reg = (const char *)sqlite3_column_text(st, 0), *mon = (const char *)sqlite3_column_text(st, 1);
		if (id == TAXID_SQL_SURV_REPORT_EVENTS) {
			const char *pay = (const char *)sqlite3_column_text(st, 2);
			long long *cell = report_cell(rep, reg, mon, strcmp(pay, "suspended") == 0 ? COL_SUSPENDED : COL_RESUMED);
			if (cell)
				*cell += sqlite3_column_int64(st, 3);
			continue;
		}
		long long *cell = report_cell(rep, reg, mon, col);
		if (cell)
			*cell += sqlite3_column_int64(st, 2);
		if (second >= 0 && (cell = report_cell(rep, reg, mon, second)))
			*cell += sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? TAXID_OK : taxid_db_fail(ctx, rc);
}

static void report_free(struct report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		free(rep->r[i].cells);
	free(rep->r);
	free(rep->total);
}

static enum taxid_code report_build(struct taxid_ctx *ctx, struct report *rep, const char *region)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_REPORT_STATES);
	if (!st)
		return TAXID_E_INTERNAL;
	bind_opt(st, 1, region);
	bind_opt(st, 2, rep->employer[0] ? rep->employer : NULL);
	int rc;
	size_t cap = 0;
	enum taxid_code c = TAXID_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *reg = (const char *)sqlite3_column_text(st, 0), *state = (const char *)sqlite3_column_text(st, 1);
		if (!rep->n || strcmp(rep->r[rep->n - 1].region, reg) != 0) {
			if (rep->n == cap) {
				cap = cap ? cap * 2 : 64;
				struct region_stats *nr = realloc(rep->r, cap * sizeof *rep->r);
				if (!nr) {
					c = TAXID_E_INTERNAL;
					break;
				}
				rep->r = nr;
			}
			struct region_stats *r = &rep->r[rep->n];
			memset(r, 0, sizeof *r);
			snprintf(r->region, sizeof r->region, "%s", reg);
			r->cells = calloc((size_t)rep->months * NCOLS, sizeof *r->cells);
			if (!r->cells) {
				c = TAXID_E_INTERNAL;
				break;
			}
			rep->n++;
		}
		for (int k = 0; k < 4; k++)
			if (strcmp(state, state_names[k]) == 0)
				rep->r[rep->n - 1].states[k] += sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (c)
		return c;
	if (rc != SQLITE_DONE)
		return taxid_db_fail(ctx, rc);
	qsort(rep->r, rep->n, sizeof *rep->r, region_cmp);
	char lo[DATE_LEN], hi[DATE_LEN], end[DATE_LEN];
	day_format(month_first(rep->first), lo);
	day_format(rep->as_of, hi);
	day_format(month_last(rep->first + rep->months - 1), end);
	if ((c = report_query(ctx, rep, TAXID_SQL_SURV_REPORT_CERTIFIED, lo, hi, region, COL_CERTIFIED, -1)) ||
	    (c = report_query(ctx, rep, TAXID_SQL_SURV_REPORT_ANSWERED, lo, end, region, COL_DUE, COL_OVERDUE)) ||
	    (c = report_query(ctx, rep, TAXID_SQL_SURV_REPORT_OPEN, lo, end, region, COL_DUE, COL_OVERDUE)) ||
	    (c = report_query(ctx, rep, TAXID_SQL_SURV_REPORT_EVENTS, lo, hi, region, 0, -1)))
		return c;
	rep->total = calloc((size_t)rep->months * NCOLS, sizeof *rep->total);
	if (!rep->total)
		return TAXID_E_INTERNAL;
	for (size_t i = 0; i < rep->n; i++) {
		for (int k = 0; k < rep->months * NCOLS; k++)
			rep->total[k] += rep->r[i].cells[k];
		for (int k = 0; k < 4; k++)
			rep->total_states[k] += rep->r[i].states[k];
	}
	return TAXID_OK;
}

static json_t *report_months_json(const struct report *rep, const long long *cells)
{
	json_t *a = json_array();
	for (int m = 0; m < rep->months; m++) {
		char mb[MONTH_LEN];
		month_format(rep->first + m, mb);
		json_t *o = json_pack("{s:s}", "month", mb);
		for (int k = 0; k < NCOLS; k++)
			json_object_set_new(o, col_names[k], json_integer(cells[m * NCOLS + k]));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *states_json(const long long *states)
{
	json_t *o = json_object();
	for (int k = 0; k < 4; k++)
		json_object_set_new(o, state_names[k], json_integer(states[k]));
	return o;
}

/* The page is XHTML-compatible (every element closed, text escaped) so XML tools can check it. */
static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			putc(*s, f);
	}
}

static void html_table(FILE *f, const struct report *rep, const long long *cells)
{
	fputs("<table>\n<thead><tr><th scope=\"col\">month</th>", f);
	for (int k = 0; k < NCOLS; k++)
		fprintf(f, "<th scope=\"col\">%s</th>", col_names[k]);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (int m = 0; m < rep->months; m++) {
		char mb[MONTH_LEN];
		month_format(rep->first + m, mb);
		fprintf(f, "<tr><th scope=\"row\">%s</th>", mb);
		for (int k = 0; k < NCOLS; k++)
			fprintf(f, "<td>%lld</td>", cells[m * NCOLS + k]);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void html_chart(FILE *f, const struct report *rep)
{
	const int bar = 9, gap = 16, left = 56, top = 36, h = 200;
	int group = NCOLS * bar + gap, width = left + rep->months * group + 20, height = top + h + 48;
	long long max = 1;
	for (int k = 0; k < rep->months * NCOLS; k++)
		if (rep->total[k] > max)
			max = rep->total[k];
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-labelledby=\"chart-title\">\n<title id=\"chart-title\">Certification coverage by month, all regions</title>\n",
		width, height, width, height);
	for (int k = 0; k < NCOLS; k++)
		fprintf(f, "<rect x=\"%d\" y=\"8\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"17\">%s</text>\n",
			left + k * 100, col_colors[k], left + k * 100 + 14, col_names[k]);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n", left - 4, top + h, width - 10, top + h);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n", left - 8, top + 10, max);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", left - 8, top + h);
	for (int m = 0; m < rep->months; m++) {
		char mb[MONTH_LEN];
		month_format(rep->first + m, mb);
		int x0 = left + m * group;
		for (int k = 0; k < NCOLS; k++) {
			long long v = rep->total[m * NCOLS + k];
			int bh = (int)(v * h / max);
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s %s: %lld</title></rect>\n",
				x0 + k * bar, top + h - bh, bar - 1, bh, col_colors[k], mb, col_names[k], v);
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n", x0 + NCOLS * bar / 2,
			top + h + 16, mb);
	}
	fputs("</svg>\n", f);
}

static void report_html(struct taxid_ctx *ctx, const struct report *rep, const char *region)
{
	FILE *f = ctx->out;
	char asof[DATE_LEN];
	day_format(rep->as_of, asof);
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<title>Survival certification coverage as of ",
	      f);
	html_text(f, asof);
	fputs("</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}\n"
	      "table{border-collapse:collapse;margin:0.5em 0 1.5em}\nth,td{border:1px solid #bbb;padding:2px 8px;text-align:right}\n"
	      "thead th{background:#eee}\nsvg text{font-size:12px;fill:#222}\n</style>\n</head>\n<body>\n",
	      f);
	fputs("<h1>Survival certification coverage</h1>\n<p>As of ", f);
	html_text(f, asof);
	if (region) {
		fputs(", region ", f);
		html_text(f, region);
	}
	if (rep->employer[0]) {
		fputs(", employer ", f);
		html_text(f, rep->employer);
	}
	fprintf(f, ". Pensioners: %lld active, %lld suspended, %lld awaiting approval, %lld ended.</p>\n",
		rep->total_states[1], rep->total_states[2], rep->total_states[0], rep->total_states[3]);
	fputs("<p>certified: certifications in the month; due: deadlines falling in the month; overdue: those deadlines "
	      "missed (past the grace days); suspended: payments suspended by a lapse or an event that month; resumed: "
	      "payments resumed that month.</p>\n",
	      f);
	html_chart(f, rep);
	fputs("<h2>All regions</h2>\n", f);
	html_table(f, rep, rep->total);
	for (size_t i = 0; i < rep->n; i++) {
		fputs("<h2>Region ", f);
		html_text(f, rep->r[i].region);
		fputs("</h2>\n", f);
		fprintf(f, "<p>%lld active, %lld suspended, %lld awaiting approval, %lld ended.</p>\n", rep->r[i].states[1],
			rep->r[i].states[2], rep->r[i].states[0], rep->r[i].states[3]);
		html_table(f, rep, rep->r[i].cells);
	}
	fputs("</body>\n</html>\n", f);
}

static const char *const formats[] = {"json", "html", NULL};

enum taxid_code taxid_survival_report(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct report rep;
	const char *region, *format;
	memset(&rep, 0, sizeof rep);
	int has_employer;
	if ((c = req_as_of(ctx, req, &rep.as_of)) || (c = req_region(ctx, req, &region)) ||
	    (c = taxid_survival_employer(ctx, req, "employer", rep.employer, &has_employer)) ||
	    (c = req_word(ctx, req, "format", formats, "json", &format)))
		return c;
	long long months = taxid_req_int(ctx, req, "months", 12, &c);
	if (c)
		return c;
	if (months < 1 || months > 120)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "months");
	rep.months = (int)months;
	rep.first = day_month(rep.as_of) - rep.months + 1;
	if ((c = report_build(ctx, &rep, region))) {
		report_free(&rep);
		return c;
	}
	if (strcmp(format, "html") == 0) {
		report_html(ctx, &rep, region);
		report_free(&rep);
		return ferror(ctx->out) ? TAXID_E_IO_ERROR : TAXID_OK;
	}
	char asof[DATE_LEN];
	day_format(rep.as_of, asof);
	json_t *regions = json_array();
	for (size_t i = 0; i < rep.n; i++)
		json_array_append_new(regions, json_pack("{s:s,s:o,s:o}", "region", rep.r[i].region, "pensioners",
							 states_json(rep.r[i].states), "months",
							 report_months_json(&rep, rep.r[i].cells)));
	json_t *row = json_pack("{s:s,s:i,s:o,s:o,s:o}", "as_of", asof, "months_covered", rep.months, "total",
				json_pack("{s:o,s:o}", "pensioners", states_json(rep.total_states), "months",
					  report_months_json(&rep, rep.total)),
				"regions", regions, "columns", json_pack("[s,s,s,s,s]", col_names[0], col_names[1],
									 col_names[2], col_names[3], col_names[4]));
	if (region)
		json_object_set_new(row, "region", json_string(region));
	if (has_employer)
		json_object_set_new(row, "employer", json_string(rep.employer));
	report_free(&rep);
	return taxid_emit(ctx, row);
}

/* ==== for the sibling modules (survival_duty.c, survival_update.c): masking, operators, the window ==== */

json_t *taxid_survival_doc_json(struct taxid_ctx *ctx, const char *normalized)
{
	return doc_json(ctx, normalized);
}

json_t *taxid_survival_name_json(const struct taxid_ctx *ctx, const char *name)
{
	return name_json(ctx, name);
}

enum taxid_code taxid_survival_operator(struct taxid_ctx *ctx, json_t *req, const char **id, const char **role)
{
	struct operator op;
	enum taxid_code c = operator_get(ctx, req, NULL, &op);
	*id = op.id;
	*role = op.role;
	return c;
}

/* Recompute a pensioner's window from its anchor when its region moved from old_region to a region whose policy
 * differs; out gets "policy_changed" and, when it did, the new "valid_until", "lapses_on" and "window". */
enum taxid_code taxid_survival_rewindow(struct taxid_ctx *ctx, long long pid, const char *old_region, json_t *out)
{
	enum taxid_code c;
	if ((c = policies_load(ctx)))
		return c;
	struct subject s;
	memset(&s, 0, sizeof s);
	if ((c = pensioner_load(ctx, TAXID_SQL_SURV_PENSIONER_GET, pid, &s.p)))
		return c;
	struct pensioner *p = &s.p;
	json_t *was = policy_json(policy_for(old_region)), *now = policy_json(policy_for(p->region));
	const char *const not_window[] = {"region", "reminders", "builtin"}; /* what does not move a deadline */
	for (size_t i = 0; i < sizeof not_window / sizeof *not_window; i++) {
		json_object_del(was, not_window[i]);
		json_object_del(now, not_window[i]);
	}
	int differs = !json_equal(was, now);
	json_decref(was);
	json_decref(now);
	json_object_set_new(out, "policy_changed", json_boolean(differs));
	day_t anchor;
	if (differs && p->valid_until[0] && !day_parse(p->anchor, &anchor) && !(c = person_facts(ctx, p->person_id, &s))) {
		const struct policy *pol = policy_for(p->region);
		pensioner_window(p, pol, anchor, birth_month(&s));
		c = pensioner_save(ctx, p);
		json_object_set_new(out, "valid_until", json_string(p->valid_until));
		json_object_set_new(out, "lapses_on", json_string(p->lapse_on));
		json_object_set_new(out, "window", policy_json(pol));
	}
	pensioner_clear(p);
	return c;
}

/* The stored code of an insurance type given as a code or its Chinese name, or NULL. */
const char *taxid_survival_insurance_code(const char *s)
{
	const struct insurance *i = insurance_find(s);
	return i ? i->code : NULL;
}
