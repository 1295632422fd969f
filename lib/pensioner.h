/* pensioner.c: the pensioner store of taxid-survival — one pensioner row read, loaded, saved; its window set from a
 * certification; its events and audit rows. */
#ifndef TAXID_PENSIONER_H
#define TAXID_PENSIONER_H

#include <jansson.h>

#include "calendar.h"
#include "clock.h"
#include "db.h"
#include "errors.h"

struct taxid_ctx;
struct taxid_policy;

struct taxid_pensioner {
	long long id, person_id, doc_id, insured_id;
	char kind[12], relation[12], region[8], insurance[16], benefit_start[TAXID_MONTH_LEN];
	int unable_to_work, early;
	char state[12], reason[24], since[TAXID_MONTH_LEN];
	int owed_months;
	char owed_from[TAXID_MONTH_LEN];
	char anchor[TAXID_DATE_LEN], last_certified[TAXID_DATE_LEN], valid_until[TAXID_DATE_LEN], lapse_on[TAXID_DATE_LEN],
		ends_on[TAXID_DATE_LEN];
	int face_failures;
	char card[8];
	char *duplicate; /* JSON of the other pension while a duplicate is flagged */
	char enrolled_at[TAXID_TIME_LEN];
};

/* Bind s to parameter i, or NULL when s is NULL or "" (the store keeps no empty strings). */
void taxid_bind_opt(struct taxid_q *q, int i, const char *s);
/* Column j of q's row into buf of n bytes (cut to fit; "" for NULL). */
void taxid_col_copy(struct taxid_q *q, int j, char *buf, size_t n);
/* The request time as RFC 3339, formatted once per clock value. */
const char *taxid_survival_now(const struct taxid_ctx *ctx);

/* A pensioner row of q (the columns of SURV_PENSIONER_GET) into p; free it with taxid_pensioner_clear. */
void taxid_pensioner_read(struct taxid_q *q, struct taxid_pensioner *p);
void taxid_pensioner_clear(struct taxid_pensioner *p);
/* The pensioner statement id finds by key (SURV_PENSIONER_GET: id; SURV_PENSIONER_BY_PERSON: person); NOT_FOUND. */
enum taxid_code taxid_pensioner_load(struct taxid_ctx *ctx, enum taxid_stmt id, long long key, struct taxid_pensioner *p);
/* Write back the state, window, card, duplicate of p. */
enum taxid_code taxid_pensioner_save(struct taxid_ctx *ctx, const struct taxid_pensioner *p);
/* Set the deadline and the lapse day from a certification (or the enrolment anchor) on day c. */
void taxid_pensioner_window(struct taxid_pensioner *p, const struct taxid_policy *pol, taxid_day c, int birth_month);

/* An event row with a JSON detail (stolen, may be NULL): month may be TAXID_MONTH_NONE, payment and actor NULL. */
enum taxid_code taxid_pensioner_event(struct taxid_ctx *ctx, long long pid, const char *kind, taxid_day on, int month,
				      const char *payment, json_t *detail, const char *actor);
/* Audit a change to a pensioner (subject "pensioner:ID", never personal data); detail is stolen. */
enum taxid_code taxid_pensioner_audit(struct taxid_ctx *ctx, const char *action, long long pid, const char *actor,
				      json_t *detail);

#endif
