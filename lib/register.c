/* taxid-register's work: hall codes, collection, registration, supplement and change (import and the person
 * admin actions are in register_import.c and register_admin.c).
 * Order inside a request matters: every field is validated before the first write; an SMS code is checked before
 * anything else is written (a wrong one keeps its attempt count by committing); the proof of identity (hall code or
 * face) comes before anything about the registry (abnormal, name, already registered) is revealed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "audit.h"
#include "challenge.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "person.h"
#include "operator.h"
#include "realname_proof.h"
#include "record.h"
#include "register.h"
#include "verdict.h"
#include "verify.h"

#define DAY 86400

/* ---- pieces the register files share ---- */

enum taxid_code taxid_register_audit(struct taxid_ctx *ctx, const char *action, const char *subject, const char *actor,
				     json_t *detail)
{
	enum taxid_code c = taxid_audit(ctx, action, subject, actor, detail);
	json_decref(detail);
	return c;
}

void taxid_register_wipe_member(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);
	if (json_is_string(v) && json_string_length(v))
		taxid_wipe((char *)(uintptr_t)json_string_value(v), json_string_length(v));
}

void taxid_register_subject(char *buf, size_t n, const char *kind, long long id)
{
	snprintf(buf, n, "%s:%lld", kind, id);
}

void taxid_register_today(struct taxid_ctx *ctx, char out[11])
{
	unsigned ymd = (unsigned)taxid_local_ymd(ctx->now, ctx->tz_offset) % 100000000u;
	snprintf(out, 11, "%04u-%02u-%02u", ymd / 10000, ymd / 100 % 100, ymd % 100);
}

enum taxid_code taxid_register_read_date(struct taxid_ctx *ctx, json_t *req, const char *key, char out[11])
{
	enum taxid_code c = TAXID_OK;
	int y, m, d;
	const char *s = taxid_req_str(ctx, req, key, 0, &c);
	out[0] = 0;
	if (c || !s)
		return c;
	if (strlen(s) != 10 || taxid_date_parse(s, &y, &m, &d))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, key);
	memcpy(out, s, 11);
	return TAXID_OK;
}

enum taxid_code taxid_register_read_phone(struct taxid_ctx *ctx, json_t *req, int required, struct taxid_id_info *ph)
{
	enum taxid_code c = TAXID_OK;
	const char *s = taxid_req_str(ctx, req, "phone", required, &c);
	memset(ph, 0, sizeof *ph);
	if (c || !s)
		return c;
	struct taxid_ids_opts o;
	taxid_verify_opts(ctx, req, &o);
	c = taxid_ids_check_mobile(s, strlen(s), &o, ph);
	return c ? taxid_fail(ctx, c, "phone") : TAXID_OK;
}

enum taxid_code taxid_register_read_region(struct taxid_ctx *ctx, json_t *req, const char **region)
{
	enum taxid_code c = TAXID_OK;
	*region = taxid_req_str(ctx, req, "region", 0, &c);
	if (c || !*region)
		return c;
	if (strlen(*region) != 6 || strspn(*region, "0123456789") != 6 || !taxid_region_find(*region))
		return taxid_fail(ctx, TAXID_E_BAD_REGION, "region");
	return TAXID_OK;
}

/* ---- pieces of this file ---- */

int taxid_register_new_code(char code[TAXID_REGCODE_LEN + 1])
{
	static const char alphabet[] = TAXID_REGCODE_ALPHABET;
	for (int i = 0; i < TAXID_REGCODE_LEN; i++) {
		int64_t k = taxid_random_uniform(sizeof alphabet - 1);
		if (k < 0)
			return -1;
		code[i] = alphabet[k];
	}
	code[TAXID_REGCODE_LEN] = 0;
	return 0;
}

/* Run an UPDATE of sql.def whose ?1 is key, ?2 text (unless NULL) and, when with_time, ?3 the time now. */
static enum taxid_code exec_id_text(struct taxid_ctx *ctx, enum taxid_stmt id, long long key, const char *text,
				    int with_time)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	struct taxid_q *q = taxid_q(ctx, id);
	taxid_q_int(q, 1, key);
	if (text)
		taxid_q_text(q, 2, text);
	if (with_time)
		taxid_q_text(q, 3, at);
	return taxid_q_exec(q);
}

/* A face verdict about the claim's document, checked and used up (any document type: a hall or an account holder
 * shows their face); photo gets its reference. */
static enum taxid_code face_proof(struct taxid_ctx *ctx, json_t *wire, const struct taxid_claim *cl, const char *action,
				  char photo[TAXID_PHOTO_REF_LEN])
{
	struct taxid_proof p = {.method = "face", .wire = wire};
	return taxid_proof_check(ctx, &p, cl, NULL, action, photo);
}

enum taxid_code taxid_register_set_photo(struct taxid_ctx *ctx, long long person_id, const char *ref)
{
	return exec_id_text(ctx, TAXID_SQL_REG_PERSON_PHOTO, person_id, ref, 1);
}

/* Consent versions (001): the personal-information notice always, the face agreement for face flows. */
enum taxid_code taxid_register_read_consent(struct taxid_ctx *ctx, json_t *req, int need_face, json_t **consent)
{
	json_t *j = json_object_get(req, "consent");
	char at[TAXID_TIME_LEN];
	static const char *const kinds[] = {"pip", "face", NULL};
	*consent = NULL;
	if (!json_is_object(j))
		return taxid_fail(ctx, j && !json_is_null(j) ? TAXID_E_BAD_TYPE : TAXID_E_CONSENT_REQUIRED, "consent");
	taxid_time_format(ctx->now, at);
	json_t *rec = json_object();
	for (int i = 0; kinds[i]; i++) {
		json_t *v = json_object_get(j, kinds[i]);
		int needed = i == 0 || need_face;
		int ok = json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= 32;
		if (!ok && (needed || (v && !json_is_null(v)))) {
			json_decref(rec);
			return taxid_fail(ctx, TAXID_E_CONSENT_REQUIRED, i == 0 ? "consent.pip" : "consent.face");
		}
		if (ok)
			json_object_set_new(rec, kinds[i], json_pack("{s:O,s:s}", "version", v, "accepted_at", at));
	}
	*consent = rec;
	return TAXID_OK;
}

/* Record accepted consent versions: on the person's account when there is one (the versions brought replace the
 * same kinds, others are kept); the audit record of the action carries them in any case. */
enum taxid_code taxid_register_record_consent(struct taxid_ctx *ctx, long long person_id, json_t *consent)
{
	char *cj = json_dumps(consent, JSON_COMPACT | JSON_SORT_KEYS);
	if (!cj)
		return TAXID_E_INTERNAL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REG_ACCOUNT_CONSENT);
	taxid_q_int(q, 1, person_id);
	taxid_q_text(q, 2, cj);
	free(cj);
	return taxid_q_exec(q);
}

/* ---- code: a hall registration code ---- */

/* Why person p (when found) may not get a code: not matching, already registered, or of a type that registers
 * only after on-site collection (DOMAIN §1: collect first, then the code); TAXID_OK when they may. */
static enum taxid_code code_refused(struct taxid_ctx *ctx, const struct taxid_claim *cl, const struct taxid_person *p,
				    int found)
{
	enum taxid_code c;
	if (found && (c = taxid_claim_matches(ctx, p, cl)))
		return c;
	if (found && p->has_account)
		return taxid_fail(ctx, TAXID_E_IDENTITY_OCCUPIED, "doc_no");
	if (taxid_ids_hall_only(cl->type) && (!found || p->level < 5))
		return taxid_fail(ctx, TAXID_E_NOT_COLLECTED, "doc_type");
	return TAXID_OK;
}

/* The person a code is for: the one holding the document, or a new one (level 0, *created). */
static enum taxid_code code_person(struct taxid_ctx *ctx, const struct taxid_claim *cl, long long *pid, int *created)
{
	struct taxid_person p = {0};
	int found;
	enum taxid_code c = taxid_person_find(ctx, cl->type, cl->info.normalized, &p, &found);
	if (!c)
		c = code_refused(ctx, cl, &p, found);
	if (!c && found) {
		*pid = p.id;
	} else if (!c) {
		struct taxid_person_new n = {cl->type, &cl->info, cl->name, 0, NULL};
		c = taxid_person_ensure(ctx, &n, pid, created);
	}
	taxid_person_clear(&p);
	return c;
}

/* Supersede the open codes of the document (subject) and issue a new one for person pid. */
static enum taxid_code code_issue(struct taxid_ctx *ctx, const unsigned char subject[32], long long pid,
				  char code[TAXID_REGCODE_LEN + 1], int64_t *expires, int *superseded)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_CHALLENGE_SUPERSEDE);
	taxid_q_blob(q, 1, subject, 32);
	taxid_q_text(q, 2, "regcode");
	enum taxid_code c = taxid_q_exec(q);
	if (c)
		return c;
	*superseded = (int)taxid_db_changes(ctx);
	if (taxid_register_new_code(code))
		return TAXID_E_INTERNAL;
	long long ttl = taxid_setting_int(ctx, "regcode.ttl_seconds", 7 * DAY);
	long long tries = taxid_setting_int(ctx, "regcode.max_attempts", 5);
	char id[TAXID_CHALLENGE_ID_LEN];
	json_t *data = json_pack("{s:I}", "person", (json_int_t)pid);
	c = taxid_challenge_create(ctx, "regcode", subject, code, (int)(ttl > 0 ? ttl : 7 * DAY),
				   (int)(tries > 0 ? tries : 5), data, id, expires);
	json_decref(data);
	return c;
}

enum taxid_code taxid_register_code(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_claim cl;
	enum taxid_code c = TAXID_OK;
	char code[TAXID_REGCODE_LEN + 1] = "", at[TAXID_TIME_LEN], subj[32];
	unsigned char subject[32];
	long long pid = 0;
	int created = 0, superseded = 0;
	int64_t expires;
	const char *op = taxid_operator(ctx, req, &c);
	const char *hall = c ? NULL : taxid_req_str(ctx, req, "hall", 0, &c);
	memset(&cl, 0, sizeof cl);
	if (c || (c = taxid_claim_read(ctx, req, TAXID_CLAIM_NEW, &cl)) || (c = code_person(ctx, &cl, &pid, &created)))
		goto out;
	taxid_person_doc_index(ctx, cl.type, cl.info.normalized, subject);
	if ((c = code_issue(ctx, subject, pid, code, &expires, &superseded)))
		goto out;
	taxid_time_format(expires, at);
	taxid_register_subject(subj, sizeof subj, "person", pid);
	if ((c = taxid_register_audit(ctx, "regcode_issue", subj, op,
				      json_pack("{s:s,s:s?,s:s,s:i}", "doc_type", taxid_ids_doc_name(cl.type), "hall",
						hall, "expires_at", at, "superseded", superseded))))
		goto out;
	/* Printed once, to the operator: that is its delivery. Only its keyed hash is kept. */
	json_object_set_new(out, "code", json_string(code));
	json_object_set_new(out, "expires_at", json_string(at));
	json_object_set_new(out, "person", json_integer(pid));
	json_object_set_new(out, "created", json_boolean(created));
	taxid_claim_put_doc(ctx, out, &cl);
	json_object_set_new(out, "superseded", json_integer(superseded));
out:
	taxid_wipe(code, sizeof code);
	taxid_claim_free(&cl);
	return c;
}

/* ---- collect: on-site real-name collection at a hall ---- */

/* Where a collection lands: the person holding the document (its expiry renewed), a known passport holder who now
 * shows a permit (the permit joins them), or a new person (*created). */
static enum taxid_code collect_person(struct taxid_ctx *ctx, const struct taxid_claim *cl, const struct taxid_claim *pc,
				      int has_paired, const char *expires_on, long long *pid, long long *doc_id,
				      int *created)
{
	struct taxid_person p = {0}, q = {0};
	int found = 0, found_paired = 0;
	enum taxid_code c = taxid_person_find(ctx, cl->type, cl->info.normalized, &p, &found);
	if (!c && found)
		c = taxid_claim_matches(ctx, &p, cl);
	if (!c && !found && has_paired) {
		c = taxid_person_find(ctx, pc->type, pc->info.normalized, &q, &found_paired);
		if (!c && found_paired)
			c = taxid_claim_matches(ctx, &q, cl);
	}
	if (!c && found) {
		*pid = p.id;
		*doc_id = p.doc_id;
		if (expires_on)
			c = exec_id_text(ctx, TAXID_SQL_REG_DOC_EXPIRES, *doc_id, expires_on, 0);
	} else if (!c && found_paired) {
		*pid = q.id;
		c = taxid_person_add_doc(ctx, *pid, cl->type, &cl->info, expires_on, doc_id);
	} else if (!c && !(c = taxid_claim_create_person(ctx, cl, 5, expires_on, pid, doc_id))) {
		*created = 1;
	}
	taxid_person_clear(&p);
	taxid_person_clear(&q);
	return c;
}

static void collect_output(struct taxid_ctx *ctx, json_t *out, long long pid, int created, const struct taxid_claim *cl,
			   const struct taxid_claim *pc, int has_paired, const char *expires_on, int photo)
{
	json_object_set_new(out, "person", json_integer(pid));
	json_object_set_new(out, "created", json_boolean(created));
	json_object_set_new(out, "level", json_integer(5));
	taxid_claim_put_doc(ctx, out, cl);
	if (has_paired) {
		taxid_reveal_subject(ctx, pc->masked);
		json_object_set_new(out, "paired",
				    json_pack("{s:s,s:s}", "doc_type", taxid_ids_doc_name(pc->type), "doc_no",
					      ctx->reveal ? pc->info.normalized : pc->masked));
	}
	if (expires_on[0])
		json_object_set_new(out, "expires_on", json_string(expires_on));
	json_object_set_new(out, "photo", json_boolean(photo));
}

enum taxid_code taxid_register_collect(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_claim cl, pc;
	enum taxid_code c = TAXID_OK;
	char expires_on[11], now_date[11], photo[TAXID_PHOTO_REF_LEN] = "", subj[32];
	int has_paired = 0, created = 0;
	long long pid = 0, doc_id = 0;
	json_t *consent = NULL, *face = json_object_get(req, "face");
	const char *op = taxid_operator(ctx, req, &c);
	const char *hall = c ? NULL : taxid_req_str(ctx, req, "hall", 0, &c);
	memset(&cl, 0, sizeof cl);
	memset(&pc, 0, sizeof pc);
	if (c || (c = taxid_claim_read(ctx, req, TAXID_CLAIM_NEW, &cl)) ||
	    (c = taxid_claim_read_paired(ctx, req, &cl, 1, &pc, &has_paired)) ||
	    (c = taxid_register_read_date(ctx, req, "expires_on", expires_on)) ||
	    (c = taxid_register_read_consent(ctx, req, face && !json_is_null(face), &consent)))
		goto out;
	taxid_register_today(ctx, now_date);
	if (expires_on[0] && strcmp(expires_on, now_date) < 0) {
		c = taxid_fail(ctx, TAXID_E_DOCUMENT_EXPIRED, "expires_on");
		goto out;
	}
	if ((face && !json_is_null(face) && (c = face_proof(ctx, face, &cl, "collect", photo))) ||
	    (c = collect_person(ctx, &cl, &pc, has_paired, expires_on[0] ? expires_on : NULL, &pid, &doc_id, &created)) ||
	    (has_paired && (c = taxid_claim_store_paired(ctx, pid, doc_id, &pc))) ||
	    (c = taxid_person_raise_level(ctx, pid, 5)) ||
	    (c = exec_id_text(ctx, TAXID_SQL_REG_PERSON_NATIONALITY, pid, cl.info.nationality, 1)) ||
	    (photo[0] && (c = taxid_register_set_photo(ctx, pid, photo))) || (c = taxid_register_record_consent(ctx, pid, consent)))
		goto out;
	taxid_register_subject(subj, sizeof subj, "person", pid);
	if ((c = taxid_register_audit(ctx, "collect", subj, op,
				      json_pack("{s:s,s:s?,s:b,s:b,s:b,s:O}", "doc_type", taxid_ids_doc_name(cl.type),
						"hall", hall, "created", created, "paired", has_paired, "photo",
						photo[0] != 0, "consent", consent))))
		goto out;
	collect_output(ctx, out, pid, created, &cl, &pc, has_paired, expires_on, photo[0] != 0);
out:
	json_decref(consent);
	taxid_claim_free(&cl);
	return c;
}

/* ---- register: an account, by hall code or by face ---- */

/* Upper-case a typed code and check its shape; 0 when it could be a code. */
static int normalize_code(const char *in, char out[TAXID_REGCODE_LEN + 1])
{
	size_t n = strlen(in);
	if (n != TAXID_REGCODE_LEN)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = in[i] >= 'a' && in[i] <= 'z' ? (char)(in[i] - 32) : in[i];
		if (!strchr(TAXID_REGCODE_ALPHABET, ch) || ch == 0)
			return -1;
		out[i] = ch;
	}
	out[n] = 0;
	return 0;
}

/* The open hall code of the claim's document, checked and used up. Every way a code can be wrong — unknown, for
 * another person, expired, superseded, used, exhausted — is code_invalid; a wrong code still counts an attempt. */
static enum taxid_code code_proof(struct taxid_ctx *ctx, const struct taxid_claim *cl, const char *code)
{
	unsigned char subject[32];
	char id[TAXID_CHALLENGE_KEY_LEN];
	taxid_person_doc_index(ctx, cl->type, cl->info.normalized, subject);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REG_CODE_OPEN);
	taxid_q_blob(q, 1, subject, 32);
	taxid_q_text(q, 2, "regcode");
	int row = taxid_q_step(q);
	if (row)
		snprintf(id, sizeof id, "%s", taxid_q_col_text(q, 0));
	enum taxid_code c = taxid_q_end(q);
	if (c)
		return c;
	if (!row)
		return taxid_fail(ctx, TAXID_E_CODE_INVALID, "code");
	c = taxid_challenge_check_key(ctx, id, "regcode", subject, code, 1, "code", NULL);
	switch (c) {
	case TAXID_E_CHALLENGE_INVALID:
	case TAXID_E_CHALLENGE_EXPIRED:
	case TAXID_E_CHALLENGE_EXHAUSTED:
	case TAXID_E_SMS_CODE_INVALID:
		json_decref(ctx->err_detail);
		ctx->err_detail = NULL;
		return taxid_fail(ctx, TAXID_E_CODE_INVALID, "code");
	default:
		return c;
	}
}

/* A registration request, read and checked before anything is written. */
struct signup {
	const char *method, *login, *pw, *region;
	struct taxid_proof proof;           /* method face, bank or registry; proof.method NULL for code */
	struct taxid_claim cl, pc;          /* the claim, its paired document (bank and registry, when has_paired) */
	int has_paired;
	struct taxid_id_info ph;
	json_t *consent;                    /* owned */
	char code[TAXID_REGCODE_LEN + 1];   /* the typed hall code (method code) */
};

static enum taxid_code signup_read(struct taxid_ctx *ctx, json_t *req, struct signup *s)
{
	enum taxid_code c = TAXID_OK;
	s->method = taxid_req_str(ctx, req, "method", 1, &c);
	if (c)
		return c;
	int online = taxid_proof_method(s->method), face = strcmp(s->method, "face") == 0;
	if (!online && strcmp(s->method, "code") != 0)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "method",
					 json_pack("{s:[ssss]}", "allowed", "code", "face", "bank", "registry"));
	/* Face for resident ID cards only, bank and registry for the seven online types; the four hall-only types
	 * come by hall code. A new person by bank or registry brings the paired document their type needs. */
	if ((c = taxid_claim_read(ctx, req, TAXID_CLAIM_NEW, &s->cl)) ||
	    (online && (c = taxid_proof_read(ctx, req, s->method, &s->cl, &s->proof))) ||
	    (online && !face && (c = taxid_claim_read_paired(ctx, req, &s->cl, 1, &s->pc, &s->has_paired))))
		return c;
	s->login = taxid_req_str(ctx, req, "login_name", 1, &c);
	s->pw = c ? NULL : taxid_req_str(ctx, req, "password", 1, &c);
	if (c || (c = taxid_login_name_check(ctx, s->login, "login_name")) ||
	    (c = taxid_register_read_phone(ctx, req, 1, &s->ph)) ||
	    (c = taxid_password_check(ctx, s->pw, s->cl.info.normalized, s->ph.normalized, s->login, "password")) ||
	    (c = taxid_register_read_region(ctx, req, &s->region)) ||
	    (c = taxid_register_read_consent(ctx, req, face, &s->consent)) || online)
		return c;
	const char *typed = taxid_req_str(ctx, req, "code", 1, &c);
	if (c)
		return c;
	return normalize_code(typed, s->code) ? taxid_fail(ctx, TAXID_E_CODE_INVALID, "code") : TAXID_OK;
}

/* A known person a proven registration is for: matching, without an account, with a valid document. A reference
 * photo taken at collection is kept (photo emptied); the level is 4 or more. */
static enum taxid_code signup_known(struct taxid_ctx *ctx, const struct signup *s, const struct taxid_person *p,
				    int *level, char photo[TAXID_PHOTO_REF_LEN])
{
	struct taxid_person_extra x;
	char now_date[11];
	enum taxid_code c;
	if ((c = taxid_claim_matches(ctx, p, &s->cl)))
		return c;
	if (p->has_account)
		return taxid_fail(ctx, TAXID_E_IDENTITY_OCCUPIED, "doc_no");
	if ((c = taxid_person_extra(ctx, p->id, p->doc_id, &x)))
		return c;
	taxid_register_today(ctx, now_date);
	if (x.expires_on[0] && strcmp(x.expires_on, now_date) < 0)
		return taxid_fail_detail(ctx, TAXID_E_DOCUMENT_EXPIRED, "doc_no",
					 json_pack("{s:s}", "expires_on", x.expires_on));
	if (x.has_photo)
		photo[0] = 0;
	*level = p->level > 4 ? p->level : 4;
	return TAXID_OK;
}

/* The person a proven registration is for: a known one, or by an online proof a new person at level 4 (seed 003
 * Q5: a new user is level 4; seed 000 第四步: a bank card or the registry proves as face does). */
static enum taxid_code signup_person(struct taxid_ctx *ctx, const struct signup *s, long long *pid, int *level,
				     char photo[TAXID_PHOTO_REF_LEN])
{
	struct taxid_person p = {0};
	long long doc_id;
	int found;
	enum taxid_code c = taxid_person_find(ctx, s->cl.type, s->cl.info.normalized, &p, &found);
	*level = 4;
	if (!c && found) {
		*pid = p.id;
		c = signup_known(ctx, s, &p, level, photo);
	} else if (!c && s->proof.method) {
		c = taxid_claim_create_person(ctx, &s->cl, 4, NULL, pid, &doc_id);
		p.doc_id = doc_id;
	} else if (!c) {
		c = taxid_fail(ctx, TAXID_E_CODE_INVALID, "code"); /* a code is always issued to a known person */
	}
	if (!c && s->has_paired)
		c = taxid_claim_store_paired(ctx, *pid, p.doc_id, &s->pc);
	taxid_person_clear(&p);
	return c;
}

/* The account itself: the password hashed, level 4 at least, the face's reference photo, the audit record. */
static enum taxid_code signup_create(struct taxid_ctx *ctx, const struct signup *s, long long pid, int level,
				     const char *photo, long long *aid)
{
	char subj[32];
	char *hash = taxid_password_hash(ctx, s->pw);
	if (!hash)
		return TAXID_E_INTERNAL;
	enum taxid_code c = taxid_account_create(ctx, pid, s->login, s->ph.normalized, hash, 1, 0, 0, s->region,
						 s->consent, aid);
	taxid_wipe(hash, strlen(hash));
	free(hash);
	if (c || (c = taxid_person_raise_level(ctx, pid, 4)) || (photo[0] && (c = taxid_register_set_photo(ctx, pid, photo))))
		return c;
	taxid_register_subject(subj, sizeof subj, "account", *aid);
	return taxid_register_audit(ctx, "register", subj, NULL,
				    json_pack("{s:s,s:I,s:i,s:s}", "method", s->method, "person", (json_int_t)pid, "level",
					      level, "doc_type", taxid_ids_doc_name(s->cl.type)));
}

enum taxid_code taxid_register_account(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct signup s;
	char photo[TAXID_PHOTO_REF_LEN] = "", masked_phone[16];
	long long pid = 0, aid = 0;
	int level = 4;
	enum taxid_code c;
	memset(&s, 0, sizeof s);
	if ((c = signup_read(ctx, req, &s)) ||
	    /* The SMS code before any other write: a wrong one commits its attempt count, and nothing else with it. */
	    (c = taxid_sms_check(ctx, json_object_get(req, "sms"), s.ph.normalized, "register", "sms")) ||
	    /* Proof of identity before anything about the registry is revealed (identity_occupied included). */
	    (c = s.proof.method ? taxid_proof_check(ctx, &s.proof, &s.cl, s.ph.normalized, "register", photo)
				: code_proof(ctx, &s.cl, s.code)) ||
	    (c = signup_person(ctx, &s, &pid, &level, photo)) || (c = signup_create(ctx, &s, pid, level, photo, &aid)))
		goto out;
	taxid_mask_phone(s.ph.normalized, masked_phone);
	json_object_set_new(out, "account", json_integer(aid));
	json_object_set_new(out, "person", json_integer(pid));
	json_object_set_new(out, "login_name", json_string(s.login));
	json_object_set_new(out, "level", json_integer(level));
	json_object_set_new(out, "method", json_string(s.method));
	taxid_claim_put_doc(ctx, out, &s.cl);
	json_object_set_new(out, "phone", json_string(ctx->reveal ? s.ph.normalized : masked_phone));
	taxid_reveal_subject(ctx, masked_phone);
out:
	taxid_register_wipe_member(req, "password");
	taxid_register_wipe_member(req, "code");
	taxid_wipe(s.code, sizeof s.code);
	json_decref(s.consent);
	taxid_claim_free(&s.cl);
	return c;
}

/* ---- supplement and change (DOMAIN §3) ---- */

/* Date an account's phone change and tell the old phone through the outbox. */
static enum taxid_code phone_changed(struct taxid_ctx *ctx, const struct taxid_account *a, const char *masked_new,
				     const char *op)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_PHONE_CHANGED);
	taxid_q_int(q, 1, a->id);
	taxid_q_int(q, 2, ctx->now);
	enum taxid_code c = taxid_q_exec(q);
	if (c || !a->phone)
		return c;
	char body[200], at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	snprintf(body, sizeof body,
		 "[taxid] the phone of your account %s was changed to %s at %s%s; if this was not you, go to a tax hall",
		 a->login_name, masked_new, at, op ? " at a hall" : "");
	return taxid_outbox_put(ctx, "sms", a->phone, body);
}

/* A change request, read and checked before anything is written: the claim, a new phone and/or region, consent
 * (the notice and the face agreement: a change is a face flow), a face. */
static enum taxid_code change_read(struct taxid_ctx *ctx, json_t *req, struct taxid_claim *cl, struct taxid_id_info *ph,
				   const char **region, json_t **face, json_t **consent)
{
	enum taxid_code c;
	if ((c = taxid_claim_read(ctx, req, TAXID_CLAIM_NAME, cl)) || (c = taxid_register_read_phone(ctx, req, 0, ph)) ||
	    (c = taxid_register_read_region(ctx, req, region)) || (c = taxid_register_read_consent(ctx, req, 1, consent)))
		return c;
	if (!ph->normalized[0] && !*region)
		return taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "phone",
					 json_pack("{s:[ss]}", "one_of", "phone", "region"));
	*face = json_object_get(req, "face");
	return !*face || json_is_null(*face) ? taxid_fail(ctx, TAXID_E_MISSING_FIELD, "face") : TAXID_OK;
}

/* The person behind a proven claim (collected, matching) and their account. */
static enum taxid_code change_account(struct taxid_ctx *ctx, const struct taxid_claim *cl, struct taxid_person *p,
				      struct taxid_account *a)
{
	int found;
	enum taxid_code c = taxid_person_find(ctx, cl->type, cl->info.normalized, p, &found);
	if (c)
		return c;
	if (!found)
		return taxid_fail(ctx, TAXID_E_NOT_COLLECTED, "doc_no");
	if ((c = taxid_claim_matches(ctx, p, cl)))
		return c;
	c = taxid_account_by_person(ctx, p->id, a);
	if (c == TAXID_E_NOT_FOUND)
		c = taxid_fail_detail(ctx, TAXID_E_NOT_FOUND, "doc_no", json_pack("{s:s}", "reason", "no_account"));
	return c;
}

/* Store the new phone and region, and level 4 at least; changed gets what changed, masked_phone the new phone. */
static enum taxid_code change_apply(struct taxid_ctx *ctx, const struct taxid_account *a, long long pid,
				    const char *phone, const char *region, const char *op, char masked_phone[16],
				    json_t *changed)
{
	enum taxid_code c = TAXID_OK;
	if (phone[0]) {
		c = taxid_account_set_phone(ctx, a->id, phone);
		json_array_append_new(changed, json_string("phone"));
		taxid_mask_phone(phone, masked_phone);
		/* The holder proved the document, the face and the new phone; the old phone is told, and for a while
		 * a reset needs face or a hall (SECURITY rule 23). */
		if (!c && (!a->phone || strcmp(a->phone, phone) != 0))
			c = phone_changed(ctx, a, masked_phone, op);
	}
	if (!c && region) {
		c = exec_id_text(ctx, TAXID_SQL_REG_ACCOUNT_REGION, a->id, region, 0);
		json_array_append_new(changed, json_string("region"));
	}
	return c ? c : taxid_person_raise_level(ctx, pid, 4);
}

enum taxid_code taxid_register_change(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_claim cl;
	struct taxid_person p = {0};
	struct taxid_account a = {0};
	struct taxid_id_info ph;
	enum taxid_code c = TAXID_OK;
	char photo[TAXID_PHOTO_REF_LEN] = "", subj[32], masked_phone[16] = "";
	const char *region = NULL;
	json_t *face = NULL, *consent = NULL, *changed = json_array();
	const char *op = taxid_req_str(ctx, req, "operator", 0, &c);
	memset(&cl, 0, sizeof cl);
	if (c || (c = change_read(ctx, req, &cl, &ph, &region, &face, &consent)) ||
	    /* The new phone's SMS code first (nothing else written with a counted failure), then the face. */
	    (ph.normalized[0] && (c = taxid_sms_check(ctx, json_object_get(req, "sms"), ph.normalized, "change", "sms"))) ||
	    (c = face_proof(ctx, face, &cl, "change", photo)) || (c = change_account(ctx, &cl, &p, &a)) ||
	    (c = change_apply(ctx, &a, p.id, ph.normalized, region, op, masked_phone, changed)) ||
	    (c = taxid_register_record_consent(ctx, p.id, consent)))
		goto out;
	taxid_register_subject(subj, sizeof subj, "account", a.id);
	if ((c = taxid_register_audit(ctx, "change", subj, op,
				      json_pack("{s:O,s:s?,s:s?,s:O}", "changed", changed, "phone",
						masked_phone[0] ? masked_phone : NULL, "region", region, "consent", consent))))
		goto out;
	json_object_set_new(out, "account", json_integer(a.id));
	json_object_set_new(out, "person", json_integer(p.id));
	json_object_set_new(out, "login_name", json_string(a.login_name));
	json_object_set_new(out, "changed", json_incref(changed));
	if (ph.normalized[0]) {
		json_object_set_new(out, "phone", json_string(ctx->reveal ? ph.normalized : masked_phone));
		taxid_reveal_subject(ctx, masked_phone);
	}
	if (region)
		json_object_set_new(out, "region", json_string(region));
	json_object_set_new(out, "level", json_integer(p.level > 4 ? p.level : 4));
out:
	json_decref(consent);
	json_decref(changed);
	taxid_claim_free(&cl);
	taxid_person_clear(&p);
	taxid_account_clear(&a);
	return c;
}
