/* taxid-register's person admin: show a person (masked unless revealing) and mark one abnormal or normal again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "challenge.h"
#include "clock.h"
#include "db.h"
#include "keys.h"
#include "operator.h"
#include "person.h"
#include "record.h"
#include "register.h"

static const char *const abnormal_reasons[] = {"household_cancelled", "deceased", "suspected_fraud", "document_stolen",
					       NULL};

/* ---- show ---- */

static json_t *person_docs(struct taxid_ctx *ctx, long long pid, const char *now_date, enum taxid_code *c)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REG_PERSON_DOCS);
	json_t *docs = json_array();
	taxid_q_int(q, 1, pid);
	while (taxid_q_step(q)) {
		char kind[16], masked[64];
		size_t n;
		int t = (int)taxid_q_col_int(q, 1);
		snprintf(kind, sizeof kind, "doc:%d", t);
		const void *blob = taxid_q_col_blob(q, 2, &n);
		char *no = taxid_pii_open(ctx->keys, kind, blob, n);
		if (!no) {
			*c = TAXID_E_INTERNAL;
			break;
		}
		taxid_mask_doc(no, masked);
		taxid_reveal_subject(ctx, masked);
		json_t *d = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)taxid_q_col_int(q, 0), "doc_type",
				      taxid_ids_doc_name((enum taxid_doc_type)t), "doc_no", ctx->reveal ? no : masked);
		free(no);
		if (!taxid_q_is_null(q, 3)) {
			const char *e = taxid_q_col_text(q, 3);
			json_object_set_new(d, "expires_on", json_string(e));
			json_object_set_new(d, "expired", json_boolean(strcmp(e, now_date) < 0));
		}
		if (!taxid_q_is_null(q, 4))
			json_object_set_new(d, "paired_with", json_integer(taxid_q_col_int(q, 4)));
		json_array_append_new(docs, d);
	}
	enum taxid_code e = taxid_q_end(q);
	if (e && !*c)
		*c = e;
	return docs;
}

/* The person row: name (masked unless revealing), state, level, nationality, the facts in the number when
 * revealing, whether there is a reference photo. */
static enum taxid_code show_person_row(struct taxid_ctx *ctx, long long pid, json_t *out)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REG_PERSON_GET);
	taxid_q_int(q, 1, pid);
	if (!taxid_q_step(q)) {
		enum taxid_code c = taxid_q_end(q);
		return c ? c : taxid_fail(ctx, TAXID_E_NOT_FOUND, NULL);
	}
	size_t n;
	const void *blob = taxid_q_col_blob(q, 0, &n);
	char *name = taxid_pii_open(ctx->keys, "person.name", blob, n);
	if (!name) {
		taxid_q_end(q);
		return TAXID_E_INTERNAL;
	}
	char *masked = malloc(strlen(name) + 2);
	if (masked)
		taxid_mask_name(name, masked);
	json_object_set_new(out, "person", json_integer(pid));
	json_object_set_new(out, "name", json_string(ctx->reveal || !masked ? name : masked));
	json_object_set_new(out, "state", json_string(taxid_q_col_text(q, 1)));
	if (!taxid_q_is_null(q, 2))
		json_object_set_new(out, "abnormal_reason", json_string(taxid_q_col_text(q, 2)));
	json_object_set_new(out, "level", json_integer(taxid_q_col_int(q, 3)));
	if (!taxid_q_is_null(q, 4))
		json_object_set_new(out, "nationality", json_string(taxid_q_col_text(q, 4)));
	if (ctx->reveal) { /* the birth date, sex and address code are in the number: personal data too */
		for (int i = 5; i <= 7; i++)
			if (!taxid_q_is_null(q, i))
				json_object_set_new(out, i == 5 ? "birth_date" : i == 6 ? "sex" : "region",
						    json_string(taxid_q_col_text(q, i)));
	}
	json_object_set_new(out, "photo", json_boolean(!taxid_q_is_null(q, 8)));
	json_object_set_new(out, "created_at", json_string(taxid_q_col_text(q, 9)));
	free(name);
	free(masked);
	return taxid_q_end(q);
}

/* The account of person pid, or JSON null. */
static enum taxid_code show_account(struct taxid_ctx *ctx, long long pid, json_t **acc)
{
	struct taxid_account a;
	enum taxid_code c = taxid_account_by_person(ctx, pid, &a);
	*acc = NULL;
	if (c == TAXID_E_NOT_FOUND) {
		*acc = json_null();
		return TAXID_OK;
	}
	if (c)
		return c;
	*acc = json_pack("{s:I,s:s}", "id", (json_int_t)a.id, "login_name", a.login_name);
	if (a.phone) {
		char mp[32];
		taxid_mask_phone(a.phone, mp);
		json_object_set_new(*acc, "phone", json_string(ctx->reveal ? a.phone : mp));
		taxid_reveal_subject(ctx, mp);
	}
	json_object_set_new(*acc, "must_change", json_boolean(a.must_change));
	if (a.initial_expires_at) {
		char at[TAXID_TIME_LEN];
		taxid_time_format(a.initial_expires_at, at);
		json_object_set_new(*acc, "initial_expires_at", json_string(at));
	}
	json_object_set_new(*acc, "peppered", json_boolean(a.peppered));
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REG_ACCOUNT_EXTRA);
	taxid_q_int(q, 1, a.id);
	taxid_account_clear(&a);
	if (taxid_q_step(q)) {
		if (!taxid_q_is_null(q, 0))
			json_object_set_new(*acc, "region", json_string(taxid_q_col_text(q, 0)));
		if (!taxid_q_is_null(q, 1)) {
			json_t *cj = json_loads(taxid_q_col_text(q, 1), 0, NULL);
			if (cj)
				json_object_set_new(*acc, "consent", cj);
		}
		json_object_set_new(*acc, "created_at", json_string(taxid_q_col_text(q, 2)));
	}
	return taxid_q_end(q);
}

static enum taxid_code show_person(struct taxid_ctx *ctx, long long pid, json_t *out)
{
	enum taxid_code c;
	char now_date[11];
	json_t *acc;
	taxid_register_today(ctx, now_date);
	if ((c = show_person_row(ctx, pid, out)))
		return c;
	json_object_set_new(out, "documents", person_docs(ctx, pid, now_date, &c));
	if (c)
		return c;
	c = show_account(ctx, pid, &acc);
	if (acc)
		json_object_set_new(out, "account", acc);
	return c;
}

/* The person a show names by document (with the name checked when given). */
static enum taxid_code show_by_doc(struct taxid_ctx *ctx, json_t *req, long long *pid)
{
	struct taxid_claim cl;
	struct taxid_person p;
	int found = 0;
	enum taxid_code c;
	if (!(c = taxid_claim_read(ctx, req, 0, &cl)) &&
	    !(c = taxid_person_find(ctx, cl.type, cl.info.normalized, &p, &found)) && found) {
		*pid = p.id;
		if (cl.name && !taxid_name_equal(cl.name, p.name))
			c = taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
		taxid_person_clear(&p);
	}
	taxid_claim_free(&cl);
	if (!c && !found)
		c = taxid_fail(ctx, TAXID_E_NOT_FOUND, "doc_no");
	return c;
}

/* The person a show names by login name or phone (their account's). */
static enum taxid_code show_by_account(struct taxid_ctx *ctx, json_t *req, const char *login, const char *phone,
				       long long *pid)
{
	struct taxid_account a;
	struct taxid_id_info ph;
	char norm[80];
	enum taxid_code c;
	if (phone && (c = taxid_register_read_phone(ctx, req, 1, &ph)))
		return c;
	c = taxid_account_resolve(ctx, phone ? ph.normalized : login, &a, norm);
	if (c == TAXID_OK)
		*pid = a.person_id;
	else if (c == TAXID_E_NOT_FOUND)
		c = taxid_fail(ctx, TAXID_E_NOT_FOUND, phone ? "phone" : "login_name");
	taxid_account_clear(&a);
	return c;
}

enum taxid_code taxid_register_show(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	long long pid = 0;
	int by_doc = json_object_get(req, "doc_no") != NULL;
	const char *login = by_doc ? NULL : taxid_req_str(ctx, req, "login_name", 0, &c);
	const char *phone = by_doc || login || c ? NULL : taxid_req_str(ctx, req, "phone", 0, &c);
	if (c)
		return c;
	if (by_doc)
		c = show_by_doc(ctx, req, &pid);
	else if (login || phone)
		c = show_by_account(ctx, req, login, phone, &pid);
	else
		c = taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "doc_no",
				      json_pack("{s:[sss]}", "one_of", "doc_no", "login_name", "phone"));
	return c ? c : show_person(ctx, pid, out);
}

/* ---- mark ---- */

/* The state and reason of a mark: abnormal with one of abnormal_reasons, or normal with a short free text. */
static enum taxid_code mark_read(struct taxid_ctx *ctx, const char *state, const char *reason, int *abnormal)
{
	*abnormal = strcmp(state, "abnormal") == 0;
	if (!*abnormal && strcmp(state, "normal") != 0)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "state", json_pack("{s:[ss]}", "allowed", "abnormal", "normal"));
	if (!*abnormal)
		return strlen(reason) > 200 ? taxid_fail(ctx, TAXID_E_BAD_VALUE, "reason") : TAXID_OK;
	for (int i = 0; abnormal_reasons[i]; i++)
		if (strcmp(reason, abnormal_reasons[i]) == 0)
			return TAXID_OK;
	json_t *allowed = json_array();
	for (int i = 0; abnormal_reasons[i]; i++)
		json_array_append_new(allowed, json_string(abnormal_reasons[i]));
	return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "reason", json_pack("{s:o}", "allowed", allowed));
}

/* An abnormal person can neither register nor stay logged in: their hall codes die, their sessions are revoked
 * (*sessions counts them). */
static enum taxid_code mark_shut_out(struct taxid_ctx *ctx, const struct taxid_claim *cl, long long pid, int *sessions)
{
	unsigned char subject[32];
	struct taxid_account a;
	enum taxid_code c;
	taxid_person_doc_index(ctx, cl->type, cl->info.normalized, subject);
	if ((c = taxid_challenge_kill(ctx, "regcode", subject)))
		return c;
	c = taxid_account_by_person(ctx, pid, &a);
	if (c == TAXID_OK) {
		c = taxid_session_revoke_all(ctx, a.id, 0, sessions);
		taxid_account_clear(&a);
	}
	return c == TAXID_E_NOT_FOUND ? TAXID_OK : c;
}

/* Store the new state of person p and audit it. */
static enum taxid_code mark_apply(struct taxid_ctx *ctx, const struct taxid_claim *cl, const struct taxid_person *p,
				  const char *state, const char *reason, const char *op, int *sessions)
{
	int abnormal = strcmp(state, "abnormal") == 0;
	char at[TAXID_TIME_LEN], subj[32];
	taxid_time_format(ctx->now, at);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REG_PERSON_MARK);
	taxid_q_int(q, 1, p->id);
	taxid_q_text(q, 2, abnormal ? "abnormal" : "normal");
	if (abnormal)
		taxid_q_text(q, 3, reason);
	taxid_q_text(q, 4, at);
	enum taxid_code c = taxid_q_exec(q);
	if (c || (abnormal && (c = mark_shut_out(ctx, cl, p->id, sessions))))
		return c;
	taxid_register_subject(subj, sizeof subj, "person", p->id);
	return taxid_register_audit(ctx, "mark", subj, op,
				    json_pack("{s:s,s:s,s:s?,s:i}", "state", state, "reason", reason, "from",
					      p->abnormal ? "abnormal" : "normal", "sessions_revoked", *sessions));
}

enum taxid_code taxid_register_mark(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_claim cl;
	struct taxid_person p = {0};
	enum taxid_code c = TAXID_OK;
	int found = 0, sessions = 0, abnormal = 0, changed = 0;
	const char *op = taxid_operator(ctx, req, &c);
	const char *state = c ? NULL : taxid_req_str(ctx, req, "state", 0, &c);
	const char *reason = c ? NULL : taxid_req_str(ctx, req, "reason", 1, &c);
	memset(&cl, 0, sizeof cl);
	if (!c && !state)
		state = "abnormal";
	if (c || (c = mark_read(ctx, state, reason, &abnormal)) || (c = taxid_claim_read(ctx, req, 0, &cl)) ||
	    (c = taxid_person_find(ctx, cl.type, cl.info.normalized, &p, &found)))
		goto out;
	if (!found)
		c = taxid_fail(ctx, TAXID_E_NOT_FOUND, "doc_no");
	else if (cl.name && !taxid_name_equal(cl.name, p.name))
		c = taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
	else if ((changed = abnormal != p.abnormal ||
			    (abnormal && (!p.abnormal_reason || strcmp(p.abnormal_reason, reason) != 0))))
		c = mark_apply(ctx, &cl, &p, state, reason, op, &sessions);
	if (c)
		goto out;
	json_object_set_new(out, "person", json_integer(p.id));
	taxid_claim_put_doc(ctx, out, &cl);
	json_object_set_new(out, "state", json_string(state));
	json_object_set_new(out, "reason", json_string(reason));
	json_object_set_new(out, "changed", json_boolean(changed));
	if (sessions)
		json_object_set_new(out, "sessions_revoked", json_integer(sessions));
out:
	taxid_claim_free(&cl);
	taxid_person_clear(&p);
	return c;
}
