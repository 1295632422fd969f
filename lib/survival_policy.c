/* Window policies: which rule decides a region's deadlines, and the rule itself (taxid-survival(1), "Windows"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "db.h"
#include "pensioner.h"
#include "record.h"
#include "survival.h"
#include "survival_policy.h"
#include "survival_request.h"

static const char *const window_names[] = {"rolling", "birthday", "fixed"};

static const struct taxid_policy builtin_policy = {"default", TAXID_W_ROLLING, TAXID_SURVIVAL_WINDOW_MONTHS, 0, 0,
						   TAXID_SURVIVAL_GRACE_DAYS, TAXID_SURVIVAL_REMINDERS, 2, 1};
static struct taxid_policy *policies;
static size_t npolicies;
static int policies_loaded;

static int int_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Parse a JSON array of reminder offsets into p (ascending, without duplicates); -1 when malformed. */
static int reminders_parse(json_t *a, struct taxid_policy *p)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a) || json_array_size(a) > TAXID_POLICY_MAX_REMINDERS)
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

static json_t *reminders_json(const struct taxid_policy *p)
{
	json_t *a = json_array();
	for (int k = p->nrem - 1; k >= 0; k--)
		json_array_append_new(a, json_integer(p->reminders[k]));
	return a;
}

enum taxid_code taxid_policies_load(struct taxid_ctx *ctx)
{
	if (policies_loaded)
		return TAXID_OK;
	free(policies);
	policies = NULL;
	npolicies = 0;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_POLICY_ALL);
	while (taxid_q_step(q)) {
		struct taxid_policy *np = realloc(policies, (npolicies + 1) * sizeof *policies);
		if (!np) {
			taxid_q_end(q);
			return TAXID_E_INTERNAL;
		}
		policies = np;
		struct taxid_policy *p = &policies[npolicies++];
		memset(p, 0, sizeof *p);
		snprintf(p->region, sizeof p->region, "%s", taxid_q_col_text(q, 0));
		const char *k = taxid_q_col_text(q, 1);
		p->kind = strcmp(k, "birthday") == 0 ? TAXID_W_BIRTHDAY : strcmp(k, "fixed") == 0 ? TAXID_W_FIXED : TAXID_W_ROLLING;
		p->months = (int)taxid_q_col_int(q, 2);
		const char *dl = taxid_q_col_text(q, 3);
		if (dl && strlen(dl) == 5) {
			p->dl_month = atoi(dl);
			p->dl_day = atoi(dl + 3);
		}
		p->grace = (int)taxid_q_col_int(q, 4);
		json_t *a = json_loads(taxid_q_col_text(q, 5), 0, NULL);
		if (reminders_parse(a, p))
			p->nrem = 0;
		json_decref(a);
	}
	enum taxid_code c = taxid_q_end(q);
	if (c)
		return c;
	policies_loaded = 1;
	return TAXID_OK;
}

static const struct taxid_policy *policy_exact(const char *region)
{
	for (size_t i = 0; i < npolicies; i++)
		if (strcmp(policies[i].region, region) == 0)
			return &policies[i];
	return NULL;
}

/* The policy of a region: its own, else its prefecture's (first 4 digits + 00), else its province's
 * (first 2 + 0000), else "default", else the built-in rolling window (TAXID_SURVIVAL_WINDOW_MONTHS). */
const struct taxid_policy *taxid_policy_for(const char *region)
{
	char key[8];
	const struct taxid_policy *p = policy_exact(region);
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

int taxid_policy_max_reminder(void)
{
	int m = builtin_policy.reminders[builtin_policy.nrem - 1];
	for (size_t i = 0; i < npolicies; i++)
		if (policies[i].nrem && policies[i].reminders[policies[i].nrem - 1] > m)
			m = policies[i].reminders[policies[i].nrem - 1];
	return m;
}

/* The last day a certification on day c keeps the pension in payment (birth_month 1-12, or 0 when unknown).
 * Rolling: c + months. Birthday and fixed: the first period end (end of the birth month, or the yearly deadline)
 * on or after c + TAXID_SURVIVAL_WINDOW_MONTHS — that is, one certification in every period between two deadlines. */
taxid_day taxid_policy_until(const struct taxid_policy *p, taxid_day c, int birth_month)
{
	if (p->kind == TAXID_W_ROLLING || (p->kind == TAXID_W_BIRTHDAY && !birth_month))
		return taxid_day_add_months(c, p->kind == TAXID_W_ROLLING ? p->months : TAXID_SURVIVAL_WINDOW_MONTHS);
	taxid_day target = taxid_day_add_months(c, TAXID_SURVIVAL_WINDOW_MONTHS);
	int y = taxid_day_month(target) / 12;
	for (int k = 0; k < 2; k++, y++) {
		taxid_day d;
		if (p->kind == TAXID_W_BIRTHDAY)
			d = taxid_month_last(y * 12 + birth_month - 1);
		else
			d = taxid_days_from_civil(y, p->dl_month,
						  p->dl_day > taxid_month_days(y, p->dl_month) ? taxid_month_days(y, p->dl_month) : p->dl_day);
		if (d >= target)
			return d;
	}
	return taxid_day_add_months(c, TAXID_SURVIVAL_WINDOW_MONTHS); /* not reached */
}

json_t *taxid_policy_json(const struct taxid_policy *p)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:o}", "region", p->region, "kind", window_names[p->kind], "grace_days", p->grace,
			      "reminders", reminders_json(p));
	if (p->kind == TAXID_W_ROLLING)
		json_object_set_new(o, "months", json_integer(p->months));
	if (p->kind == TAXID_W_FIXED) {
		char dl[8];
		snprintf(dl, sizeof dl, "%02d-%02d", p->dl_month % 100, p->dl_day % 100);
		json_object_set_new(o, "deadline", json_string(dl));
	}
	if (p->builtin)
		json_object_set_new(o, "builtin", json_true());
	return o;
}

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
static enum taxid_code policy_parse(struct taxid_ctx *ctx, json_t *req, const char *region, struct taxid_policy *p,
				    int *recompute)
{
	enum taxid_code c = TAXID_OK;
	const char *kind;
	memset(p, 0, sizeof *p);
	if ((c = taxid_survival_req_word(ctx, req, "kind", window_words, NULL, &kind)))
		return c;
	if (strcmp(region, "default") != 0 && !taxid_survival_region_ok(region))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "region");
	snprintf(p->region, sizeof p->region, "%s", region);
	p->kind = strcmp(kind, "birthday") == 0 ? TAXID_W_BIRTHDAY : strcmp(kind, "fixed") == 0 ? TAXID_W_FIXED : TAXID_W_ROLLING;
	/* Read as long long and checked before narrowing: 4294967297 months is not 1. */
	long long months = taxid_req_int(ctx, req, "months",
					 strcmp(kind, "cycle6") == 0 ? TAXID_SURVIVAL_CYCLE6_MONTHS : TAXID_SURVIVAL_WINDOW_MONTHS, &c);
	long long grace = c ? 0 : taxid_req_int(ctx, req, "grace_days", 0, &c);
	const char *dl = c ? NULL : taxid_req_str(ctx, req, "deadline", p->kind == TAXID_W_FIXED, &c);
	int rc = c ? 0 : taxid_req_bool(ctx, req, "recompute", 1, &c);
	if (c)
		return c;
	if (recompute)
		*recompute = rc;
	if (months < 1 || months > 60 || (p->kind != TAXID_W_ROLLING && months != TAXID_SURVIVAL_WINDOW_MONTHS && json_object_get(req, "months")))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "months");
	p->months = p->kind != TAXID_W_ROLLING ? TAXID_SURVIVAL_WINDOW_MONTHS : (int)months;
	if (grace < 0 || grace > 366)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "grace_days");
	p->grace = (int)grace;
	if (dl) {
		if (p->kind != TAXID_W_FIXED || strlen(dl) != 5 || dl[2] != '-' || strspn(dl, "0123456789") != 2 ||
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
	struct taxid_policy p;
	*policy = NULL;
	const char *region = taxid_req_str(ctx, req, "region", 1, &c);
	if (c || (c = policy_parse(ctx, req, region, &p, NULL)))
		return c;
	*policy = taxid_policy_json(&p);
	return TAXID_OK;
}

/* Store a policy (replacing the region's). */
static enum taxid_code policy_store(struct taxid_ctx *ctx, const struct taxid_policy *p, json_t *pj)
{
	char at[TAXID_TIME_LEN], dlbuf[8];
	taxid_time_format(ctx->now, at);
	char *rems = json_dumps(json_object_get(pj, "reminders"), JSON_COMPACT);
	if (!rems)
		return TAXID_E_INTERNAL;
	snprintf(dlbuf, sizeof dlbuf, "%02d-%02d", p->dl_month % 100, p->dl_day % 100);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_POLICY_PUT);
	taxid_q_text(q, 1, p->region);
	taxid_q_text(q, 2, window_names[p->kind]);
	taxid_q_int(q, 3, p->months);
	if (p->kind == TAXID_W_FIXED)
		taxid_q_text(q, 4, dlbuf);
	taxid_q_int(q, 5, p->grace);
	taxid_q_text(q, 6, rems);
	taxid_q_text(q, 7, at);
	enum taxid_code c = taxid_q_exec(q);
	free(rems);
	policies_loaded = 0;
	return c ? c : taxid_policies_load(ctx);
}

/* The pensioners a policy key covers, read whole (their windows are saved while walking them). */
static enum taxid_code pensioners_in(struct taxid_ctx *ctx, const char *region, struct taxid_pensioner **all, size_t *len)
{
	char lo[8], hi[8];
	size_t cap = 0;
	enum taxid_code c = TAXID_OK;
	policy_scope(region, lo, hi);
	*all = NULL;
	*len = 0;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PENSIONER_REGION);
	taxid_q_text(q, 1, lo);
	taxid_q_text(q, 2, hi);
	while (!c && taxid_q_step(q)) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 256;
			struct taxid_pensioner *na = realloc(*all, cap * sizeof **all);
			if (!na) {
				c = TAXID_E_INTERNAL;
				break;
			}
			*all = na;
		}
		taxid_pensioner_read(q, &(*all)[(*len)++]);
	}
	enum taxid_code e = taxid_q_end(q);
	return c ? c : e;
}

/* Deadlines follow the new rule from each pensioner's anchor (last certification, or enrolment); *n counts the
 * windows that moved. */
static enum taxid_code policy_recompute(struct taxid_ctx *ctx, const char *region, long *n)
{
	struct taxid_pensioner *all;
	size_t len;
	enum taxid_code c = pensioners_in(ctx, region, &all, &len);
	for (size_t i = 0; i < len; i++) {
		struct taxid_subject s;
		taxid_day anchor;
		char before[TAXID_DATE_LEN];
		memset(&s, 0, sizeof s);
		snprintf(before, sizeof before, "%s", all[i].valid_until);
		if (!c && !taxid_day_parse(all[i].anchor, &anchor) && !(c = taxid_subject_facts(ctx, all[i].person_id, &s))) {
			taxid_pensioner_window(&all[i], taxid_policy_for(all[i].region), anchor, taxid_subject_birth_month(&s));
			if (strcmp(before, all[i].valid_until) != 0) {
				c = taxid_pensioner_save(ctx, &all[i]);
				(*n)++;
			}
		}
		taxid_pensioner_clear(&all[i]);
	}
	free(all);
	return c;
}

enum taxid_code taxid_survival_policy_set(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	struct taxid_op op;
	struct taxid_policy p;
	int recompute = 1;
	const char *region = taxid_req_str(ctx, req, "region", 1, &c);
	if (c || (c = taxid_survival_operator_need(ctx, req, NULL, &op)) || (c = policy_parse(ctx, req, region, &p, &recompute)))
		return c;
	json_t *pj = taxid_policy_json(&p);
	long n = 0;
	c = policy_store(ctx, &p, pj);
	if (!c && recompute)
		c = policy_recompute(ctx, region, &n);
	if (!c)
		c = taxid_audit(ctx, "survival.policy", region, op.id, pj);
	json_object_update(out, pj);
	json_decref(pj);
	json_object_set_new(out, "recomputed", json_integer(n));
	return c;
}

enum taxid_code taxid_survival_policy_list(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = taxid_policies_load(ctx);
	int has_default = 0;
	for (size_t i = 0; !c && i < npolicies; i++) {
		has_default |= strcmp(policies[i].region, "default") == 0;
		c = taxid_emit(ctx, taxid_policy_json(&policies[i]));
	}
	if (!c && !has_default)
		c = taxid_emit(ctx, taxid_policy_json(&builtin_policy));
	return c;
}
