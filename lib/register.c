/* taxid-register's work: hall codes, collection, registration, supplement, change, import, show, abnormal marks.
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
#include "record.h"
#include "register.h"
#include "verdict.h"
#include "verify.h"

#define DAY 86400
#define MAX_NAME_CHARS 64
#define PHOTO_REF_LEN 208

static const char *const abnormal_reasons[] = {"household_cancelled", "deceased", "suspected_fraud", "document_stolen",
					       NULL};

/* ---- small pieces ---- */

/* taxid_audit borrows its detail; every detail here is a new reference. */
static enum taxid_code audit(struct taxid_ctx *ctx, const char *action, const char *subject, const char *actor,
			     json_t *detail)
{
	enum taxid_code c = taxid_audit(ctx, action, subject, actor, detail);
	json_decref(detail);
	return c;
}

/* Wipe a secret request member in place once it is no longer needed (SECURITY rule 21). */
static void wipe_member(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);
	if (json_is_string(v) && json_string_length(v))
		taxid_wipe((char *)(uintptr_t)json_string_value(v), json_string_length(v));
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

void taxid_mask_name(const char *name, char *out)
{
	size_t n = 0;
	if (name[0]) {
		n = 1;
		while (name[n] && ((unsigned char)name[n] & 0xc0) == 0x80)
			n++;
	}
	memcpy(out, name, n);
	if (n)
		out[n++] = '*';
	out[n] = 0;
}

static void subject_of(char *buf, size_t n, const char *kind, long long id)
{
	snprintf(buf, n, "%s:%lld", kind, id);
}

static void today(struct taxid_ctx *ctx, char out[11])
{
	unsigned ymd = (unsigned)taxid_local_ymd(ctx->now, ctx->tz_offset) % 100000000u;
	snprintf(out, 11, "%04u-%02u-%02u", ymd / 10000, ymd / 100 % 100, ymd % 100);
}

enum taxid_doc_type taxid_register_paired_type(enum taxid_doc_type t)
{
	switch (t) {
	case TAXID_DOC_FOREIGN_PR:
	case TAXID_DOC_WORK_PERMIT_A:
	case TAXID_DOC_WORK_PERMIT_B:
	case TAXID_DOC_WORK_PERMIT_C:
		return TAXID_DOC_FOREIGN_PASSPORT;
	case TAXID_DOC_HKMO_RESIDENCE:
		return TAXID_DOC_HKMO_PERMIT;
	case TAXID_DOC_TW_RESIDENCE:
		return TAXID_DOC_TW_PERMIT;
	default:
		return TAXID_DOC_UNKNOWN;
	}
}

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

int taxid_register_random_password(char *out, size_t len)
{
	/* No look-alikes (0/O, 1/l/I) and no characters a shell or a gateway might mangle. */
	static const char *const classes[] = {"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789",
					      "!#%+-=?@^_"};
	char all[96] = "";
	if (len < 8)
		return -1;
	for (int k = 0; k < 4; k++)
		strcat(all, classes[k]);
	for (size_t i = 0; i < len; i++) {
		const char *from = i < 4 ? classes[i] : all;
		int64_t r = taxid_random_uniform((uint32_t)strlen(from));
		if (r < 0)
			return -1;
		out[i] = from[r];
	}
	for (size_t i = len - 1; i > 0; i--) { /* Fisher-Yates, so the classes are not in fixed places */
		int64_t j = taxid_random_uniform((uint32_t)(i + 1));
		if (j < 0)
			return -1;
		char t = out[i];
		out[i] = out[j];
		out[j] = t;
	}
	out[len] = 0;
	return 0;
}

/* ---- the identity claim every action starts from ---- */

struct claim {
	enum taxid_doc_type type;
	struct taxid_id_info info;
	char *name; /* normalised (surrounding spaces, middle-dot variants), malloc'd; NULL when not given */
	char masked[sizeof ((struct taxid_id_info *)0)->normalized];
};

static void claim_free(struct claim *cl)
{
	free(cl->name);
	cl->name = NULL;
}

/* Chinese documents imply the nationality; foreign ones without it in the number need it. */
static const char *implied_nationality(enum taxid_doc_type t)
{
	switch (t) {
	case TAXID_DOC_RESIDENT_ID:
	case TAXID_DOC_HKMO_PERMIT:
	case TAXID_DOC_TW_PERMIT:
	case TAXID_DOC_CN_PASSPORT:
	case TAXID_DOC_HKMO_RESIDENCE:
	case TAXID_DOC_TW_RESIDENCE:
		return "CHN";
	default:
		return NULL;
	}
}

static enum taxid_code read_nationality(struct taxid_ctx *ctx, json_t *req, enum taxid_doc_type t,
					struct taxid_id_info *info, int required)
{
	enum taxid_code c = TAXID_OK;
	const char *nat = taxid_req_str(ctx, req, "nationality", 0, &c);
	if (c)
		return c;
	if (nat) {
		char up[4] = {0};
		if (strlen(nat) != 3)
			return taxid_fail(ctx, TAXID_E_UNKNOWN_COUNTRY, "nationality");
		for (int i = 0; i < 3; i++)
			up[i] = (char)(nat[i] >= 'a' && nat[i] <= 'z' ? nat[i] - 32 : nat[i]);
		if (!taxid_country_known_alpha3(up))
			return taxid_fail(ctx, TAXID_E_UNKNOWN_COUNTRY, "nationality");
		if (info->nationality[0] && strcmp(up, info->nationality) != 0)
			return taxid_fail_detail(ctx, TAXID_E_WRONG_DOC_TYPE, "nationality",
						 json_pack("{s:s}", "number_carries", info->nationality));
		memcpy(info->nationality, up, 4);
	}
	if (!info->nationality[0] && implied_nationality(t))
		memcpy(info->nationality, implied_nationality(t), 4);
	if (!info->nationality[0] && required && t != TAXID_DOC_OTHER)
		return taxid_fail(ctx, TAXID_E_MISSING_FIELD, "nationality");
	return TAXID_OK;
}

/* What a claim must carry besides the document. */
enum { CLAIM_NAME = 1, CLAIM_NATIONALITY = 2, CLAIM_NEW = CLAIM_NAME | CLAIM_NATIONALITY };

static enum taxid_code claim_read(struct taxid_ctx *ctx, json_t *req, int need, struct claim *cl)
{
	enum taxid_code c;
	memset(cl, 0, sizeof *cl);
	if ((c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &cl->type, &cl->info)))
		return c;
	if ((c = read_nationality(ctx, req, cl->type, &cl->info, (need & CLAIM_NATIONALITY) != 0)))
		return c;
	taxid_mask_doc(cl->info.normalized, cl->masked);
	const char *name = taxid_req_str(ctx, req, "name", (need & CLAIM_NAME) != 0, &c);
	if (c || !name)
		return c;
	if (!(cl->name = taxid_name_normalize(name)))
		return TAXID_E_INTERNAL;
	size_t n = utf8_chars(cl->name);
	if (n == 0)
		return taxid_fail(ctx, TAXID_E_MISSING_FIELD, "name");
	if (n > MAX_NAME_CHARS)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "name");
	return TAXID_OK;
}

static void put_doc(struct taxid_ctx *ctx, json_t *out, const struct claim *cl)
{
	json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(cl->type)));
	json_object_set_new(out, "doc_no", json_string(ctx->reveal ? cl->info.normalized : cl->masked));
	taxid_reveal_subject(ctx, cl->masked);
}

static enum taxid_code find(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized,
			    struct taxid_person *p, int *found)
{
	enum taxid_code c = taxid_person_find_doc(ctx, t, normalized, p);
	*found = c == TAXID_OK;
	return c == TAXID_E_NOT_FOUND ? TAXID_OK : c;
}

/* The registry's view of a claim: abnormal persons first, then the name, exactly (DOMAIN §1). */
static enum taxid_code person_matches(struct taxid_ctx *ctx, const struct taxid_person *p, const struct claim *cl)
{
	if (p->abnormal)
		return taxid_fail_detail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no",
					 p->abnormal_reason ? json_pack("{s:s}", "reason", p->abnormal_reason) : NULL);
	if (cl->name && !taxid_name_equal(cl->name, p->name))
		return taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
	return TAXID_OK;
}

/* What the person table holds beyond taxid_person_find_doc. */
struct person_extra {
	int has_photo;
	char expires_on[11]; /* of the document looked up; "" when none */
	char nationality[4];
};

static enum taxid_code person_extra(struct taxid_ctx *ctx, long long person_id, long long doc_id,
				    struct person_extra *x)
{
	memset(x, 0, sizeof *x);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REG_PERSON_GET);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, person_id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? TAXID_E_NOT_FOUND : taxid_db_fail(ctx, rc);
	}
	x->has_photo = sqlite3_column_type(st, 8) != SQLITE_NULL;
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		snprintf(x->nationality, sizeof x->nationality, "%s", (const char *)sqlite3_column_text(st, 4));
	sqlite3_reset(st);
	st = taxid_sql(ctx, TAXID_SQL_REG_PERSON_DOCS);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, person_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_int64(st, 0) == doc_id && sqlite3_column_type(st, 3) != SQLITE_NULL)
			snprintf(x->expires_on, sizeof x->expires_on, "%s", (const char *)sqlite3_column_text(st, 3));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? TAXID_OK : taxid_db_fail(ctx, rc);
}

static enum taxid_code exec_id_text(struct taxid_ctx *ctx, enum taxid_stmt id, long long key, const char *text,
				    int with_time)
{
	sqlite3_stmt *st = taxid_sql(ctx, id);
	if (!st)
		return TAXID_E_INTERNAL;
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	sqlite3_bind_int64(st, 1, key);
	if (text)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
	if (with_time)
		sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
	return taxid_db_exec(ctx, st);
}

/* Another document for a known person (a paired document, or a new main document beside a known passport). */
static enum taxid_code doc_insert(struct taxid_ctx *ctx, long long person_id, enum taxid_doc_type t,
				  const struct taxid_id_info *info, const char *expires_on, long long *doc_id)
{
	char kind[16], at[TAXID_TIME_LEN];
	unsigned char idx[32];
	size_t len;
	snprintf(kind, sizeof kind, "doc:%d", (int)t);
	taxid_time_format(ctx->now, at);
	taxid_person_doc_index(ctx, t, info->normalized, idx);
	unsigned char *no = taxid_pii_seal(ctx->keys, kind, info->normalized, &len);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_DOC_INSERT);
	if (!no || !st) {
		free(no);
		return TAXID_E_INTERNAL;
	}
	sqlite3_bind_int64(st, 1, person_id);
	sqlite3_bind_int(st, 2, (int)t);
	sqlite3_bind_blob(st, 3, idx, 32, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 4, no, (int)len, SQLITE_STATIC);
	if (expires_on)
		sqlite3_bind_text(st, 5, expires_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*doc_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	free(no);
	return rc == SQLITE_ROW ? TAXID_OK : taxid_db_fail(ctx, rc);
}

static enum taxid_code pair_docs(struct taxid_ctx *ctx, long long doc_id, long long paired_id)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REG_DOC_PAIR);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, doc_id);
	sqlite3_bind_int64(st, 2, paired_id);
	return taxid_db_exec(ctx, st);
}

/* Create a person with the claim's document; *doc_id gets the document's id. */
static enum taxid_code person_new(struct taxid_ctx *ctx, const struct claim *cl, int level, const char *expires_on,
				  long long *person_id, long long *doc_id)
{
	struct taxid_person_new n = {cl->type, &cl->info, cl->name, level, expires_on};
	int created;
	enum taxid_code c = taxid_person_ensure(ctx, &n, person_id, &created);
	if (c)
		return c;
	struct taxid_person p;
	if ((c = taxid_person_find_doc(ctx, cl->type, cl->info.normalized, &p)))
		return c;
	*doc_id = p.doc_id;
	taxid_person_clear(&p);
	return TAXID_OK;
}

/* An optional calendar date member (YYYY-MM-DD); out gets it or "". */
static enum taxid_code read_date(struct taxid_ctx *ctx, json_t *req, const char *key, char out[11])
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

static enum taxid_code read_phone(struct taxid_ctx *ctx, json_t *req, int required, struct taxid_id_info *ph)
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

/* Household-registration region 户籍所在地: a GB/T 2260 code from the historical table. */
static enum taxid_code read_region(struct taxid_ctx *ctx, json_t *req, const char **region)
{
	enum taxid_code c = TAXID_OK;
	*region = taxid_req_str(ctx, req, "region", 0, &c);
	if (c || !*region)
		return c;
	if (strlen(*region) != 6 || strspn(*region, "0123456789") != 6 || !taxid_region_find(*region))
		return taxid_fail(ctx, TAXID_E_BAD_REGION, "region");
	return TAXID_OK;
}

/* A checked, consumed face verdict about the claim's document; a failing one is audited and its nonce kept spent.
 * ref gets "face:<issuer>:<nonce>", the reference photo's handle at the outside service (no image is stored). */
static enum taxid_code face_proof(struct taxid_ctx *ctx, json_t *wire, const struct claim *cl, const char *field,
				  const char *action, char ref[PHOTO_REF_LEN])
{
	struct taxid_verdict v;
	enum taxid_code c = taxid_verdict_check(ctx, wire, "face", cl->info.normalized, 1, field, &v);
	if (c)
		return c;
	if (!taxid_verdict_passed(ctx, &v)) {
		c = audit(ctx, "face_failed", cl->masked, NULL,
			  json_pack("{s:s,s:s,s:s}", "action", action, "issuer", v.issuer, "result", v.result));
		if (c)
			return c;
		taxid_keep_changes(ctx);
		return taxid_fail(ctx, TAXID_E_IDENTITY_FAILED, field);
	}
	snprintf(ref, PHOTO_REF_LEN, "face:%s:%s", v.issuer, v.nonce);
	return TAXID_OK;
}

static enum taxid_code set_photo(struct taxid_ctx *ctx, long long person_id, const char *ref)
{
	return exec_id_text(ctx, TAXID_SQL_REG_PERSON_PHOTO, person_id, ref, 1);
}

/* ---- code: a hall registration code ---- */

enum taxid_code taxid_register_code(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct claim cl;
	struct taxid_person p = {0};
	enum taxid_code c = TAXID_OK;
	char code[TAXID_REGCODE_LEN + 1] = "";
	const char *op = taxid_operator(ctx, req, &c);
	const char *hall = c ? NULL : taxid_req_str(ctx, req, "hall", 0, &c);
	memset(&cl, 0, sizeof cl);
	if (c || (c = claim_read(ctx, req, CLAIM_NEW, &cl)))
		goto out;
	int found;
	if ((c = find(ctx, cl.type, cl.info.normalized, &p, &found)))
		goto out;
	if (found && (c = person_matches(ctx, &p, &cl)))
		goto out;
	if (found && p.has_account) {
		c = taxid_fail(ctx, TAXID_E_IDENTITY_OCCUPIED, "doc_no");
		goto out;
	}
	/* The four foreign types register only after on-site collection (DOMAIN §1): collect first, then the code. */
	if (taxid_ids_hall_only(cl.type) && (!found || p.level < 5)) {
		c = taxid_fail(ctx, TAXID_E_NOT_COLLECTED, "doc_type");
		goto out;
	}
	long long pid = p.id;
	int created = 0;
	if (!found) {
		struct taxid_person_new n = {cl.type, &cl.info, cl.name, 0, NULL};
		if ((c = taxid_person_ensure(ctx, &n, &pid, &created)))
			goto out;
	}
	unsigned char subject[32];
	taxid_person_doc_index(ctx, cl.type, cl.info.normalized, subject);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_CHALLENGE_SUPERSEDE);
	if (!st) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	sqlite3_bind_blob(st, 1, subject, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, "regcode", -1, SQLITE_STATIC);
	if ((c = taxid_db_exec(ctx, st)))
		goto out;
	int superseded = (int)taxid_db_changes(ctx);
	if (taxid_register_new_code(code)) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	long long ttl = taxid_setting_int(ctx, "regcode.ttl_seconds", 7 * DAY);
	long long tries = taxid_setting_int(ctx, "regcode.max_attempts", 5);
	char id[TAXID_CHALLENGE_ID_LEN], at[TAXID_TIME_LEN], subj[32];
	int64_t expires;
	json_t *data = json_pack("{s:I}", "person", (json_int_t)pid);
	c = taxid_challenge_create(ctx, "regcode", subject, code, (int)(ttl > 0 ? ttl : 7 * DAY),
				   (int)(tries > 0 ? tries : 5), data, id, &expires);
	json_decref(data);
	if (c)
		goto out;
	taxid_time_format(expires, at);
	subject_of(subj, sizeof subj, "person", pid);
	if ((c = audit(ctx, "regcode_issue", subj, op,
		       json_pack("{s:s,s:s?,s:s,s:i}", "doc_type", taxid_ids_doc_name(cl.type), "hall", hall,
				 "expires_at", at, "superseded", superseded))))
		goto out;
	/* Printed once, to the operator: that is its delivery. Only its keyed hash is kept. */
	json_object_set_new(out, "code", json_string(code));
	json_object_set_new(out, "expires_at", json_string(at));
	json_object_set_new(out, "person", json_integer(pid));
	json_object_set_new(out, "created", json_boolean(created));
	put_doc(ctx, out, &cl);
	json_object_set_new(out, "superseded", json_integer(superseded));
out:
	taxid_wipe(code, sizeof code);
	claim_free(&cl);
	taxid_person_clear(&p);
	return c;
}

/* ---- collect: on-site real-name collection at a hall ---- */

/* The paired document of a collection (DOMAIN §8), validated; *has says whether one was given. */
static enum taxid_code read_paired(struct taxid_ctx *ctx, json_t *req, const struct claim *cl, int required,
				   struct claim *pc, int *has)
{
	enum taxid_doc_type want = taxid_register_paired_type(cl->type);
	json_t *jp = json_object_get(req, "paired");
	enum taxid_code c;
	memset(pc, 0, sizeof *pc);
	*has = 0;
	if (!jp || json_is_null(jp)) {
		if (want && required)
			return taxid_fail_detail(ctx, TAXID_E_PAIRED_DOCUMENT_REQUIRED, "paired",
						 json_pack("{s:s}", "paired_doc_type", taxid_ids_doc_name(want)));
		return TAXID_OK;
	}
	if (!json_is_object(jp))
		return taxid_fail(ctx, TAXID_E_BAD_TYPE, "paired");
	if (!want)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "paired");
	if ((c = taxid_verify_document(ctx, jp, "doc_type", "doc_no", &pc->type, &pc->info))) {
		ctx->err_field = ctx->err_field && strcmp(ctx->err_field, "doc_type") == 0 ? "paired.doc_type"
											  : "paired.doc_no";
		return c;
	}
	if (pc->type != want)
		return taxid_fail_detail(ctx, TAXID_E_PAIRED_DOCUMENT_REQUIRED, "paired.doc_type",
					 json_pack("{s:s}", "paired_doc_type", taxid_ids_doc_name(want)));
	if (!pc->info.nationality[0])
		memcpy(pc->info.nationality, cl->info.nationality, sizeof pc->info.nationality);
	taxid_mask_doc(pc->info.normalized, pc->masked);
	*has = 1;
	return TAXID_OK;
}

/* Store the paired document for person pid and link the main document to it. A paired document already held by
 * someone else is refused: it is another person's information (DOMAIN §6). */
static enum taxid_code store_paired(struct taxid_ctx *ctx, long long pid, long long doc_id, const struct claim *pc)
{
	struct taxid_person q;
	int found;
	long long pdoc;
	enum taxid_code c = find(ctx, pc->type, pc->info.normalized, &q, &found);
	if (c)
		return c;
	if (found) {
		long long owner = q.id;
		pdoc = q.doc_id;
		taxid_person_clear(&q);
		if (owner != pid)
			return taxid_fail_detail(ctx, TAXID_E_IDENTITY_FAILED, "paired",
						 json_pack("{s:s}", "reason", "paired_document_of_another_person"));
	} else if ((c = doc_insert(ctx, pid, pc->type, &pc->info, NULL, &pdoc))) {
		return c;
	}
	return pair_docs(ctx, doc_id, pdoc);
}

enum taxid_code taxid_register_collect(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct claim cl, pc;
	struct taxid_person p = {0}, q = {0};
	enum taxid_code c = TAXID_OK;
	char expires_on[11], now_date[11], photo[PHOTO_REF_LEN] = "", subj[32];
	int has_paired = 0, found = 0, found_paired = 0, created = 0;
	const char *op = taxid_operator(ctx, req, &c);
	const char *hall = c ? NULL : taxid_req_str(ctx, req, "hall", 0, &c);
	memset(&cl, 0, sizeof cl);
	memset(&pc, 0, sizeof pc);
	if (c || (c = claim_read(ctx, req, CLAIM_NEW, &cl)) || (c = read_paired(ctx, req, &cl, 1, &pc, &has_paired)) ||
	    (c = read_date(ctx, req, "expires_on", expires_on)))
		goto out;
	today(ctx, now_date);
	if (expires_on[0] && strcmp(expires_on, now_date) < 0) {
		c = taxid_fail(ctx, TAXID_E_DOCUMENT_EXPIRED, "expires_on");
		goto out;
	}
	json_t *face = json_object_get(req, "face");
	if (face && !json_is_null(face) && (c = face_proof(ctx, face, &cl, "face", "collect", photo)))
		goto out;
	if ((c = find(ctx, cl.type, cl.info.normalized, &p, &found)))
		goto out;
	if (found && (c = person_matches(ctx, &p, &cl)))
		goto out;
	if (!found && has_paired) {
		/* A known passport holder who now shows a permit: the permit joins the same person. */
		if ((c = find(ctx, pc.type, pc.info.normalized, &q, &found_paired)))
			goto out;
		if (found_paired && (c = person_matches(ctx, &q, &cl)))
			goto out;
	}
	long long pid, doc_id;
	if (found) {
		pid = p.id;
		doc_id = p.doc_id;
		if (expires_on[0] && (c = exec_id_text(ctx, TAXID_SQL_REG_DOC_EXPIRES, doc_id, expires_on, 0)))
			goto out;
	} else if (found_paired) {
		pid = q.id;
		if ((c = doc_insert(ctx, pid, cl.type, &cl.info, expires_on[0] ? expires_on : NULL, &doc_id)))
			goto out;
	} else {
		if ((c = person_new(ctx, &cl, 5, expires_on[0] ? expires_on : NULL, &pid, &doc_id)))
			goto out;
		created = 1;
	}
	if (has_paired && (c = store_paired(ctx, pid, doc_id, &pc)))
		goto out;
	if ((c = taxid_person_raise_level(ctx, pid, 5)) ||
	    (c = exec_id_text(ctx, TAXID_SQL_REG_PERSON_NATIONALITY, pid, cl.info.nationality, 1)) ||
	    (photo[0] && (c = set_photo(ctx, pid, photo))))
		goto out;
	subject_of(subj, sizeof subj, "person", pid);
	if ((c = audit(ctx, "collect", subj, op,
		       json_pack("{s:s,s:s?,s:b,s:b,s:b}", "doc_type", taxid_ids_doc_name(cl.type), "hall", hall,
				 "created", created, "paired", has_paired, "photo", photo[0] != 0))))
		goto out;
	json_object_set_new(out, "person", json_integer(pid));
	json_object_set_new(out, "created", json_boolean(created));
	json_object_set_new(out, "level", json_integer(5));
	put_doc(ctx, out, &cl);
	if (has_paired)
		taxid_reveal_subject(ctx, pc.masked);
	if (has_paired)
		json_object_set_new(out, "paired",
				    json_pack("{s:s,s:s}", "doc_type", taxid_ids_doc_name(pc.type), "doc_no",
					      ctx->reveal ? pc.info.normalized : pc.masked));
	if (expires_on[0])
		json_object_set_new(out, "expires_on", json_string(expires_on));
	json_object_set_new(out, "photo", json_boolean(photo[0] != 0));
out:
	claim_free(&cl);
	taxid_person_clear(&p);
	taxid_person_clear(&q);
	return c;
}

/* ---- register: an account, by hall code or by face ---- */

/* Consent versions (001): the personal-information notice always, the face agreement for face flows. */
static enum taxid_code read_consent(struct taxid_ctx *ctx, json_t *req, int need_face, json_t **consent)
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
static enum taxid_code code_proof(struct taxid_ctx *ctx, const struct claim *cl, const char *code)
{
	unsigned char subject[32];
	char id[TAXID_CHALLENGE_KEY_LEN];
	taxid_person_doc_index(ctx, cl->type, cl->info.normalized, subject);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REG_CODE_OPEN);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_blob(st, 1, subject, 32, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, "regcode", -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return taxid_fail(ctx, TAXID_E_CODE_INVALID, "code");
	if (rc != SQLITE_ROW)
		return taxid_db_fail(ctx, rc);
	enum taxid_code c = taxid_challenge_check_key(ctx, id, "regcode", subject, code, 1, "code", NULL);
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

enum taxid_code taxid_register_account(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct claim cl;
	struct taxid_person p = {0};
	struct taxid_id_info ph;
	enum taxid_code c = TAXID_OK;
	json_t *consent = NULL;
	char *hash = NULL, code[TAXID_REGCODE_LEN + 1] = "", photo[PHOTO_REF_LEN] = "";
	const char *region = NULL, *login, *pw, *method = taxid_req_str(ctx, req, "method", 1, &c);
	int face = 0, found = 0;
	memset(&cl, 0, sizeof cl);
	if (c)
		goto out;
	face = strcmp(method, "face") == 0;
	if (!face && strcmp(method, "code") != 0) {
		c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "method", json_pack("{s:[ss]}", "allowed", "code", "face"));
		goto out;
	}
	if ((c = claim_read(ctx, req, CLAIM_NEW, &cl)))
		goto out;
	/* Face registration is for resident ID cards only; the four hall-only types come by hall code. */
	if (face && cl.type != TAXID_DOC_RESIDENT_ID) {
		c = taxid_fail_detail(ctx, TAXID_E_DOC_TYPE_NOT_ALLOWED, "doc_type", json_pack("{s:s}", "method", "face"));
		goto out;
	}
	login = taxid_req_str(ctx, req, "login_name", 1, &c);
	pw = c ? NULL : taxid_req_str(ctx, req, "password", 1, &c);
	if (c || (c = taxid_login_name_check(ctx, login, "login_name")) || (c = read_phone(ctx, req, 1, &ph)) ||
	    (c = taxid_password_check(ctx, pw, cl.info.normalized, ph.normalized, login, "password")) ||
	    (c = read_region(ctx, req, &region)) || (c = read_consent(ctx, req, face, &consent)))
		goto out;
	json_t *wire = NULL;
	if (face) {
		wire = json_object_get(req, "face");
		if (!wire || json_is_null(wire)) {
			c = taxid_fail(ctx, TAXID_E_MISSING_FIELD, "face");
			goto out;
		}
	} else {
		const char *typed = taxid_req_str(ctx, req, "code", 1, &c);
		if (c)
			goto out;
		if (normalize_code(typed, code)) {
			c = taxid_fail(ctx, TAXID_E_CODE_INVALID, "code");
			goto out;
		}
	}

	/* The SMS code before any other write: a wrong one commits its attempt count, and nothing else with it. */
	if ((c = taxid_sms_check(ctx, json_object_get(req, "sms"), ph.normalized, "register", "sms")))
		goto out;
	/* Proof of identity before anything about the registry is revealed (identity_occupied included). */
	if ((c = face ? face_proof(ctx, wire, &cl, "face", "register", photo) : code_proof(ctx, &cl, code)))
		goto out;
	if ((c = find(ctx, cl.type, cl.info.normalized, &p, &found)))
		goto out;
	long long pid = p.id, aid = 0, doc_id = p.doc_id;
	int level = 4;
	if (found) {
		struct person_extra x;
		char now_date[11];
		if ((c = person_matches(ctx, &p, &cl)))
			goto out;
		if (p.has_account) {
			c = taxid_fail(ctx, TAXID_E_IDENTITY_OCCUPIED, "doc_no");
			goto out;
		}
		if ((c = person_extra(ctx, pid, doc_id, &x)))
			goto out;
		today(ctx, now_date);
		if (x.expires_on[0] && strcmp(x.expires_on, now_date) < 0) {
			c = taxid_fail_detail(ctx, TAXID_E_DOCUMENT_EXPIRED, "doc_no",
					      json_pack("{s:s}", "expires_on", x.expires_on));
			goto out;
		}
		if (x.has_photo)
			photo[0] = 0; /* keep the reference photo taken at collection */
		level = p.level > 4 ? p.level : 4;
	} else if (!face) {
		c = taxid_fail(ctx, TAXID_E_CODE_INVALID, "code"); /* a code is always issued to a known person */
		goto out;
	} else if ((c = person_new(ctx, &cl, 4, NULL, &pid, &doc_id))) {
		goto out;
	}
	if (!(hash = taxid_password_hash(ctx, pw))) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	char subj[32], masked_phone[16];
	if ((c = taxid_account_create(ctx, pid, login, ph.normalized, hash, 1, 0, 0, region, consent, &aid)) ||
	    (c = taxid_person_raise_level(ctx, pid, 4)) || (photo[0] && (c = set_photo(ctx, pid, photo))))
		goto out;
	subject_of(subj, sizeof subj, "account", aid);
	if ((c = audit(ctx, "register", subj, NULL,
		       json_pack("{s:s,s:I,s:i,s:s}", "method", method, "person", (json_int_t)pid, "level", level,
				 "doc_type", taxid_ids_doc_name(cl.type)))))
		goto out;
	taxid_mask_phone(ph.normalized, masked_phone);
	json_object_set_new(out, "account", json_integer(aid));
	json_object_set_new(out, "person", json_integer(pid));
	json_object_set_new(out, "login_name", json_string(login));
	json_object_set_new(out, "level", json_integer(level));
	json_object_set_new(out, "method", json_string(method));
	put_doc(ctx, out, &cl);
	json_object_set_new(out, "phone", json_string(ctx->reveal ? ph.normalized : masked_phone));
	taxid_reveal_subject(ctx, masked_phone);
out:
	if (hash) {
		taxid_wipe(hash, strlen(hash));
		free(hash);
	}
	wipe_member(req, "password");
	wipe_member(req, "code");
	taxid_wipe(code, sizeof code);
	json_decref(consent);
	claim_free(&cl);
	taxid_person_clear(&p);
	return c;
}

/* ---- supplement and change (DOMAIN §3) ---- */

enum taxid_code taxid_register_supplement(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct claim cl;
	struct taxid_person p = {0};
	struct person_extra x;
	enum taxid_code c = TAXID_OK;
	char renewed[11], now_date[11], photo[PHOTO_REF_LEN] = "", subj[32];
	int found;
	const char *op = taxid_req_str(ctx, req, "operator", 0, &c);
	memset(&cl, 0, sizeof cl);
	if (c || (c = claim_read(ctx, req, CLAIM_NAME, &cl)) || (c = read_date(ctx, req, "expires_on", renewed)))
		goto out;
	today(ctx, now_date);
	if ((c = find(ctx, cl.type, cl.info.normalized, &p, &found)))
		goto out;
	if (!found) {
		c = taxid_fail(ctx, TAXID_E_NOT_COLLECTED, "doc_no");
		goto out;
	}
	if ((c = person_matches(ctx, &p, &cl)) || (c = person_extra(ctx, p.id, p.doc_id, &x)))
		goto out;
	int need_photo = !x.has_photo, expired = x.expires_on[0] && strcmp(x.expires_on, now_date) < 0;
	if (!need_photo && !expired) {
		c = taxid_fail(ctx, TAXID_E_ALREADY_COMPLETE, "doc_no");
		goto out;
	}
	json_t *face = json_object_get(req, "face");
	int take_photo = need_photo && face && !json_is_null(face);
	int take_doc = expired && renewed[0];
	if (take_doc && strcmp(renewed, now_date) < 0) {
		c = taxid_fail(ctx, TAXID_E_DOCUMENT_EXPIRED, "expires_on");
		goto out;
	}
	if (!take_photo && !take_doc) {
		json_t *missing = json_array();
		if (need_photo)
			json_array_append_new(missing, json_string("photo"));
		if (expired)
			json_array_append_new(missing, json_string("document"));
		c = expired ? taxid_fail_detail(ctx, TAXID_E_DOCUMENT_EXPIRED, "expires_on",
						json_pack("{s:o,s:s}", "missing", missing, "expires_on", x.expires_on))
			    : taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "face", json_pack("{s:o}", "missing", missing));
		goto out;
	}
	if (take_photo && (c = face_proof(ctx, face, &cl, "face", "supplement", photo)))
		goto out;
	json_t *done = json_array(), *left = json_array();
	if (take_photo) {
		/* A passed face check is also the face verification that lifts level 3 to 4 (DOMAIN §2). */
		if (!(c = set_photo(ctx, p.id, photo)))
			c = taxid_person_raise_level(ctx, p.id, 4);
		json_array_append_new(done, json_string("photo"));
	} else if (need_photo) {
		json_array_append_new(left, json_string("photo"));
	}
	if (!c && take_doc) {
		c = exec_id_text(ctx, TAXID_SQL_REG_DOC_EXPIRES, p.doc_id, renewed, 0);
		json_array_append_new(done, json_string("document"));
	} else if (expired) {
		json_array_append_new(left, json_string("document"));
	}
	subject_of(subj, sizeof subj, "person", p.id);
	if (!c)
		c = audit(ctx, "supplement", subj, op, json_pack("{s:O,s:s}", "supplemented", done, "doc_type",
								   taxid_ids_doc_name(cl.type)));
	if (!c) {
		json_object_set_new(out, "person", json_integer(p.id));
		put_doc(ctx, out, &cl);
		json_object_set_new(out, "supplemented", json_incref(done));
		json_object_set_new(out, "missing", json_incref(left));
		json_object_set_new(out, "level", json_integer(take_photo && p.level < 4 ? 4 : p.level));
	}
	json_decref(done);
	json_decref(left);
out:
	claim_free(&cl);
	taxid_person_clear(&p);
	return c;
}

/* Date an account's phone change and tell the old phone through the outbox. */
static enum taxid_code phone_changed(struct taxid_ctx *ctx, const struct taxid_account *a, const char *masked_new,
				     const char *op)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_ACCOUNT_PHONE_CHANGED);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int64(st, 2, ctx->now);
	enum taxid_code c = taxid_db_exec(ctx, st);
	if (c || !a->phone)
		return c;
	char body[200], at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	snprintf(body, sizeof body,
		 "[taxid] the phone of your account %s was changed to %s at %s%s; if this was not you, go to a tax hall",
		 a->login_name, masked_new, at, op ? " at a hall" : "");
	return taxid_outbox_put(ctx, "sms", a->phone, body);
}

enum taxid_code taxid_register_change(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct claim cl;
	struct taxid_person p = {0};
	struct taxid_account a = {0};
	struct taxid_id_info ph;
	enum taxid_code c = TAXID_OK;
	char photo[PHOTO_REF_LEN] = "", subj[32], masked_phone[16] = "";
	const char *region = NULL;
	int found;
	const char *op = taxid_req_str(ctx, req, "operator", 0, &c);
	memset(&cl, 0, sizeof cl);
	if (c || (c = claim_read(ctx, req, CLAIM_NAME, &cl)) || (c = read_phone(ctx, req, 0, &ph)) ||
	    (c = read_region(ctx, req, &region)))
		goto out;
	if (!ph.normalized[0] && !region) {
		c = taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "phone", json_pack("{s:[ss]}", "one_of", "phone", "region"));
		goto out;
	}
	json_t *face = json_object_get(req, "face");
	if (!face || json_is_null(face)) {
		c = taxid_fail(ctx, TAXID_E_MISSING_FIELD, "face");
		goto out;
	}
	/* The new phone's SMS code first (nothing else written with a counted failure), then the face. */
	if (ph.normalized[0] && (c = taxid_sms_check(ctx, json_object_get(req, "sms"), ph.normalized, "change", "sms")))
		goto out;
	if ((c = face_proof(ctx, face, &cl, "face", "change", photo)) ||
	    (c = find(ctx, cl.type, cl.info.normalized, &p, &found)))
		goto out;
	if (!found) {
		c = taxid_fail(ctx, TAXID_E_NOT_COLLECTED, "doc_no");
		goto out;
	}
	if ((c = person_matches(ctx, &p, &cl)))
		goto out;
	if ((c = taxid_account_by_person(ctx, p.id, &a))) {
		if (c == TAXID_E_NOT_FOUND)
			c = taxid_fail_detail(ctx, TAXID_E_NOT_FOUND, "doc_no", json_pack("{s:s}", "reason", "no_account"));
		goto out;
	}
	json_t *changed = json_array();
	if (ph.normalized[0]) {
		c = taxid_account_set_phone(ctx, a.id, ph.normalized);
		json_array_append_new(changed, json_string("phone"));
		taxid_mask_phone(ph.normalized, masked_phone);
		/* The holder proved the document, the face and the new phone; the old phone is told, and for a while
		 * a reset needs face or a hall (SECURITY rule 23). */
		if (!c && (!a.phone || strcmp(a.phone, ph.normalized) != 0))
			c = phone_changed(ctx, &a, masked_phone, op);
	}
	if (!c && region) {
		c = exec_id_text(ctx, TAXID_SQL_REG_ACCOUNT_REGION, a.id, region, 0);
		json_array_append_new(changed, json_string("region"));
	}
	if (!c)
		c = taxid_person_raise_level(ctx, p.id, 4);
	subject_of(subj, sizeof subj, "account", a.id);
	if (!c)
		c = audit(ctx, "change", subj, op,
			  json_pack("{s:O,s:s?,s:s?}", "changed", changed, "phone", masked_phone[0] ? masked_phone : NULL,
				    "region", region));
	if (!c) {
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
	}
	json_decref(changed);
out:
	claim_free(&cl);
	taxid_person_clear(&p);
	taxid_account_clear(&a);
	return c;
}

/* ---- import: bulk migration, idempotent on the document ---- */

struct import_account {
	const char *login, *hash, *initial, *region;
	const char *phone; /* normalised or NULL */
};

static enum taxid_code import_account(struct taxid_ctx *ctx, long long pid, const struct claim *cl,
				      const struct import_account *ia, long long *aid)
{
	char pw[16] = "", body[200] = "";
	char *hash = NULL;
	int peppered = 0, must_change = 0;
	int64_t expires = 0;
	enum taxid_code c = TAXID_OK;
	if (ia->hash) {
		/* A migrated argon2id string, unpeppered: the login layer re-hashes it with the pepper on success. */
		hash = strdup(ia->hash);
	} else {
		if (strcmp(ia->initial, "random") == 0) {
			int tries = 0;
			do {
				if (taxid_register_random_password(pw, 10) || ++tries > 50) {
					c = TAXID_E_INTERNAL;
					break;
				}
			} while (taxid_password_check(ctx, pw, cl->info.normalized, ia->phone, ia->login, "password"));
			ctx->err_field = NULL;
			json_decref(ctx->err_detail);
			ctx->err_detail = NULL;
		} else { /* doc_tail6: the legacy rule, the last 6 characters of the document number */
			size_t n = strlen(cl->info.normalized);
			snprintf(pw, sizeof pw, "%s", cl->info.normalized + (n > 6 ? n - 6 : 0));
		}
		long long days = taxid_setting_int(ctx, "password.initial_days", 30);
		expires = ctx->now + (days > 0 ? days : 30) * DAY;
		peppered = must_change = 1;
		if (!c)
			hash = taxid_password_hash(ctx, pw);
	}
	if (!c && !hash)
		c = TAXID_E_INTERNAL;
	if (!c)
		c = taxid_account_create(ctx, pid, ia->login, ia->phone, hash, peppered, must_change, expires, ia->region,
					 NULL, aid);
	if (!c && ia->initial && strcmp(ia->initial, "random") == 0) {
		/* Delivered to the record's phone through the outbox, never printed. */
		char at[TAXID_TIME_LEN];
		taxid_time_format(expires, at);
		snprintf(body, sizeof body, "[taxid] initial password for %s: %s (valid until %s; change it at first login)",
			 ia->login, pw, at);
		c = taxid_outbox_put(ctx, "sms", ia->phone, body);
	}
	taxid_wipe(pw, sizeof pw);
	taxid_wipe(body, sizeof body);
	if (hash) {
		taxid_wipe(hash, strlen(hash));
		free(hash);
	}
	return c;
}

enum taxid_code taxid_register_import(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct claim cl, pc;
	struct taxid_person p = {0};
	struct taxid_account a = {0};
	struct taxid_id_info ph;
	struct import_account ia = {0};
	enum taxid_code c = TAXID_OK;
	char expires_on[11], subj[32];
	int found = 0, has_paired = 0;
	static int tuned;
	if (!tuned) {
		tuned = 1;
		taxid_db_exec(ctx, taxid_sql(ctx, TAXID_SQL_REG_IMPORT_CACHE));
		taxid_db_exec(ctx, taxid_sql(ctx, TAXID_SQL_REG_IMPORT_SUBJOURNAL));
		taxid_db_exec(ctx, taxid_sql(ctx, TAXID_SQL_REG_IMPORT_CHECKPOINT));
	}
	long long bs = taxid_req_int(ctx, req, "batch_size", 0, &c);
	if (bs > 0)
		ctx->batch_size = bs > 1000000 ? 1000000 : (int)bs;
	memset(&cl, 0, sizeof cl);
	memset(&pc, 0, sizeof pc);
	if (c || (c = claim_read(ctx, req, CLAIM_NEW, &cl)) || (c = read_paired(ctx, req, &cl, 0, &pc, &has_paired)) ||
	    (c = read_date(ctx, req, "expires_on", expires_on)) || (c = read_phone(ctx, req, 0, &ph)) ||
	    (c = read_region(ctx, req, &ia.region)))
		goto out;
	ia.phone = ph.normalized[0] ? ph.normalized : NULL;
	int face = taxid_req_bool(ctx, req, "face_verified", 0, &c);
	ia.login = c ? NULL : taxid_req_str(ctx, req, "login_name", 0, &c);
	if (c)
		goto out;
	if (ia.login) {
		ia.hash = taxid_req_str(ctx, req, "password_hash", 0, &c);
		ia.initial = c ? NULL : taxid_req_str(ctx, req, "initial_password", 0, &c);
		if (c || (c = taxid_login_name_check(ctx, ia.login, "login_name")))
			goto out;
		if (!ia.hash && !ia.initial) {
			c = taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "password_hash",
					      json_pack("{s:[ss]}", "one_of", "password_hash", "initial_password"));
			goto out;
		}
		if (ia.hash && ia.initial) {
			c = taxid_fail(ctx, TAXID_E_BAD_VALUE, "initial_password");
			goto out;
		}
		if (ia.hash && taxid_argon2_parse(ia.hash, NULL)) {
			c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "password_hash",
					      json_pack("{s:s}", "expected", "argon2id PHC string"));
			goto out;
		}
		if (ia.initial && strcmp(ia.initial, "random") != 0 && strcmp(ia.initial, "doc_tail6") != 0) {
			c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "initial_password",
					      json_pack("{s:[ss]}", "allowed", "random", "doc_tail6"));
			goto out;
		}
		if (ia.initial && strcmp(ia.initial, "random") == 0 && !ia.phone) {
			c = taxid_fail(ctx, TAXID_E_MISSING_FIELD, "phone");
			goto out;
		}
	}
	int level = face ? 4 : 3;
	const char *status = "unchanged";
	long long pid, aid = 0, doc_id;
	if ((c = find(ctx, cl.type, cl.info.normalized, &p, &found)))
		goto out;
	if (found) {
		pid = p.id;
		if (!taxid_name_equal(cl.name, p.name)) {
			c = taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
			goto out;
		}
		if (p.level < level) {
			if ((c = taxid_person_raise_level(ctx, pid, level)))
				goto out;
			status = "updated";
		}
		if (ia.login && p.has_account) {
			if ((c = taxid_account_by_person(ctx, pid, &a)))
				goto out;
			aid = a.id;
			if (strcmp(a.login_name, ia.login) != 0) {
				c = taxid_fail_detail(ctx, TAXID_E_IDENTITY_OCCUPIED, "login_name",
						      json_pack("{s:I}", "account", (json_int_t)a.id));
				goto out;
			}
		} else if (ia.login) {
			if (p.abnormal) {
				c = taxid_fail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no");
				goto out;
			}
			if ((c = import_account(ctx, pid, &cl, &ia, &aid)))
				goto out;
			status = "updated";
		}
		if (p.level > level)
			level = p.level;
	} else {
		if ((c = person_new(ctx, &cl, level, expires_on[0] ? expires_on : NULL, &pid, &doc_id)) ||
		    (has_paired && (c = store_paired(ctx, pid, doc_id, &pc))) ||
		    (ia.login && (c = import_account(ctx, pid, &cl, &ia, &aid))))
			goto out;
		status = "created";
	}
	if (strcmp(status, "unchanged") != 0) {
		subject_of(subj, sizeof subj, "person", pid);
		json_t *d = json_pack("{s:s,s:i,s:s}", "status", status, "level", level, "doc_type", taxid_ids_doc_name(cl.type));
		if (aid)
			json_object_set_new(d, "account", json_integer(aid));
		if ((c = audit(ctx, "import", subj, NULL, d)))
			goto out;
	}
	json_object_set_new(out, "status", json_string(status));
	json_object_set_new(out, "person", json_integer(pid));
	if (aid)
		json_object_set_new(out, "account", json_integer(aid));
	put_doc(ctx, out, &cl);
	if (ia.login)
		json_object_set_new(out, "login_name", json_string(ia.login));
	json_object_set_new(out, "level", json_integer(level));
out:
	wipe_member(req, "password_hash");
	claim_free(&cl);
	taxid_person_clear(&p);
	taxid_account_clear(&a);
	return c;
}

/* ---- show and mark ---- */

static json_t *person_docs(struct taxid_ctx *ctx, long long pid, const char *now_date, enum taxid_code *c)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REG_PERSON_DOCS);
	json_t *docs = json_array();
	int rc;
	if (!st) {
		*c = TAXID_E_INTERNAL;
		return docs;
	}
	sqlite3_bind_int64(st, 1, pid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char kind[16];
		int t = sqlite3_column_int(st, 1);
		snprintf(kind, sizeof kind, "doc:%d", t);
		char *no = taxid_pii_open(ctx->keys, kind, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
		if (!no) {
			*c = TAXID_E_INTERNAL;
			break;
		}
		char masked[64];
		taxid_mask_doc(no, masked);
		taxid_reveal_subject(ctx, masked);
		json_t *d = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0), "doc_type",
				      taxid_ids_doc_name((enum taxid_doc_type)t), "doc_no", ctx->reveal ? no : masked);
		free(no);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			const char *e = (const char *)sqlite3_column_text(st, 3);
			json_object_set_new(d, "expires_on", json_string(e));
			json_object_set_new(d, "expired", json_boolean(strcmp(e, now_date) < 0));
		}
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(d, "paired_with", json_integer(sqlite3_column_int64(st, 4)));
		json_array_append_new(docs, d);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && !*c)
		*c = taxid_db_fail(ctx, rc);
	return docs;
}

static enum taxid_code show_person(struct taxid_ctx *ctx, long long pid, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	char now_date[11];
	today(ctx, now_date);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REG_PERSON_GET);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, pid);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? taxid_fail(ctx, TAXID_E_NOT_FOUND, NULL) : taxid_db_fail(ctx, rc);
	}
	char *name = taxid_pii_open(ctx->keys, "person.name", sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	if (!name) {
		sqlite3_reset(st);
		return TAXID_E_INTERNAL;
	}
	char *masked = malloc(strlen(name) + 2);
	if (masked)
		taxid_mask_name(name, masked);
	json_object_set_new(out, "person", json_integer(pid));
	json_object_set_new(out, "name", json_string(ctx->reveal || !masked ? name : masked));
	json_object_set_new(out, "state", json_string((const char *)sqlite3_column_text(st, 1)));
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		json_object_set_new(out, "abnormal_reason", json_string((const char *)sqlite3_column_text(st, 2)));
	json_object_set_new(out, "level", json_integer(sqlite3_column_int(st, 3)));
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		json_object_set_new(out, "nationality", json_string((const char *)sqlite3_column_text(st, 4)));
	if (ctx->reveal) { /* the birth date, sex and address code are in the number: personal data too */
		for (int i = 5; i <= 7; i++)
			if (sqlite3_column_type(st, i) != SQLITE_NULL)
				json_object_set_new(out, i == 5 ? "birth_date" : i == 6 ? "sex" : "region",
						    json_string((const char *)sqlite3_column_text(st, i)));
	}
	json_object_set_new(out, "photo", json_boolean(sqlite3_column_type(st, 8) != SQLITE_NULL));
	json_object_set_new(out, "created_at", json_string((const char *)sqlite3_column_text(st, 9)));
	sqlite3_reset(st);
	free(name);
	free(masked);
	json_object_set_new(out, "documents", person_docs(ctx, pid, now_date, &c));
	if (c)
		return c;
	struct taxid_account a;
	c = taxid_account_by_person(ctx, pid, &a);
	if (c == TAXID_E_NOT_FOUND) {
		json_object_set_new(out, "account", json_null());
		return TAXID_OK;
	}
	if (c)
		return c;
	json_t *acc = json_pack("{s:I,s:s}", "id", (json_int_t)a.id, "login_name", a.login_name);
	if (a.phone) {
		char mp[32];
		taxid_mask_phone(a.phone, mp);
		json_object_set_new(acc, "phone", json_string(ctx->reveal ? a.phone : mp));
		taxid_reveal_subject(ctx, mp);
	}
	json_object_set_new(acc, "must_change", json_boolean(a.must_change));
	if (a.initial_expires_at) {
		char at[TAXID_TIME_LEN];
		taxid_time_format(a.initial_expires_at, at);
		json_object_set_new(acc, "initial_expires_at", json_string(at));
	}
	json_object_set_new(acc, "peppered", json_boolean(a.peppered));
	taxid_account_clear(&a);
	if ((st = taxid_sql(ctx, TAXID_SQL_REG_ACCOUNT_EXTRA))) {
		sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(acc, "id")));
		if (sqlite3_step(st) == SQLITE_ROW) {
			if (sqlite3_column_type(st, 0) != SQLITE_NULL)
				json_object_set_new(acc, "region", json_string((const char *)sqlite3_column_text(st, 0)));
			if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
				json_t *cj = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
				if (cj)
					json_object_set_new(acc, "consent", cj);
			}
			json_object_set_new(acc, "created_at", json_string((const char *)sqlite3_column_text(st, 2)));
		}
		sqlite3_reset(st);
	}
	json_object_set_new(out, "account", acc);
	return TAXID_OK;
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
	if (by_doc) {
		struct claim cl;
		struct taxid_person p;
		int found = 0;
		if (!(c = claim_read(ctx, req, 0, &cl)) && !(c = find(ctx, cl.type, cl.info.normalized, &p, &found)) &&
		    found) {
			pid = p.id;
			if (cl.name && !taxid_name_equal(cl.name, p.name))
				c = taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
			taxid_person_clear(&p);
		}
		claim_free(&cl);
		if (!c && !found)
			c = taxid_fail(ctx, TAXID_E_NOT_FOUND, "doc_no");
	} else if (login || phone) {
		struct taxid_account a;
		struct taxid_id_info ph;
		char norm[80];
		if (phone && (c = read_phone(ctx, req, 1, &ph)))
			return c;
		c = taxid_account_resolve(ctx, phone ? ph.normalized : login, &a, norm);
		if (c == TAXID_OK)
			pid = a.person_id;
		else if (c == TAXID_E_NOT_FOUND)
			c = taxid_fail(ctx, TAXID_E_NOT_FOUND, phone ? "phone" : "login_name");
		taxid_account_clear(&a);
	} else {
		c = taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "doc_no",
				      json_pack("{s:[sss]}", "one_of", "doc_no", "login_name", "phone"));
	}
	return c ? c : show_person(ctx, pid, out);
}

enum taxid_code taxid_register_mark(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct claim cl;
	struct taxid_person p = {0};
	enum taxid_code c = TAXID_OK;
	int found = 0, sessions = 0;
	const char *op = taxid_operator(ctx, req, &c);
	const char *state = c ? NULL : taxid_req_str(ctx, req, "state", 0, &c);
	const char *reason = c ? NULL : taxid_req_str(ctx, req, "reason", 1, &c);
	memset(&cl, 0, sizeof cl);
	if (c)
		goto out;
	if (!state)
		state = "abnormal";
	int abnormal = strcmp(state, "abnormal") == 0;
	if (!abnormal && strcmp(state, "normal") != 0) {
		c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "state", json_pack("{s:[ss]}", "allowed", "abnormal", "normal"));
		goto out;
	}
	if (abnormal) {
		int known = 0;
		for (int i = 0; abnormal_reasons[i]; i++)
			known |= strcmp(reason, abnormal_reasons[i]) == 0;
		if (!known) {
			json_t *allowed = json_array();
			for (int i = 0; abnormal_reasons[i]; i++)
				json_array_append_new(allowed, json_string(abnormal_reasons[i]));
			c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "reason", json_pack("{s:o}", "allowed", allowed));
			goto out;
		}
	} else if (strlen(reason) > 200) {
		c = taxid_fail(ctx, TAXID_E_BAD_VALUE, "reason");
		goto out;
	}
	if ((c = claim_read(ctx, req, 0, &cl)) || (c = find(ctx, cl.type, cl.info.normalized, &p, &found)))
		goto out;
	if (!found) {
		c = taxid_fail(ctx, TAXID_E_NOT_FOUND, "doc_no");
		goto out;
	}
	if (cl.name && !taxid_name_equal(cl.name, p.name)) {
		c = taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
		goto out;
	}
	int changed = abnormal != p.abnormal ||
		      (abnormal && (!p.abnormal_reason || strcmp(p.abnormal_reason, reason) != 0));
	if (changed) {
		char at[TAXID_TIME_LEN], subj[32];
		taxid_time_format(ctx->now, at);
		sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REG_PERSON_MARK);
		if (!st) {
			c = TAXID_E_INTERNAL;
			goto out;
		}
		sqlite3_bind_int64(st, 1, p.id);
		sqlite3_bind_text(st, 2, abnormal ? "abnormal" : "normal", -1, SQLITE_STATIC);
		if (abnormal)
			sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, at, -1, SQLITE_TRANSIENT);
		if ((c = taxid_db_exec(ctx, st)))
			goto out;
		if (abnormal) {
			/* An abnormal person can neither register nor stay logged in. */
			unsigned char subject[32];
			struct taxid_account a;
			taxid_person_doc_index(ctx, cl.type, cl.info.normalized, subject);
			if ((c = taxid_challenge_kill(ctx, "regcode", subject)))
				goto out;
			c = taxid_account_by_person(ctx, p.id, &a);
			if (c == TAXID_OK) {
				c = taxid_session_revoke_all(ctx, a.id, 0, &sessions);
				taxid_account_clear(&a);
			} else if (c == TAXID_E_NOT_FOUND) {
				c = TAXID_OK;
			}
			if (c)
				goto out;
		}
		subject_of(subj, sizeof subj, "person", p.id);
		if ((c = audit(ctx, "mark", subj, op,
			       json_pack("{s:s,s:s,s:s?,s:i}", "state", state, "reason", reason, "from",
					 p.abnormal ? "abnormal" : "normal", "sessions_revoked", sessions))))
			goto out;
	}
	json_object_set_new(out, "person", json_integer(p.id));
	put_doc(ctx, out, &cl);
	json_object_set_new(out, "state", json_string(state));
	json_object_set_new(out, "reason", json_string(reason));
	json_object_set_new(out, "changed", json_boolean(changed));
	if (sessions)
		json_object_set_new(out, "sessions_revoked", json_integer(sessions));
out:
	claim_free(&cl);
	taxid_person_clear(&p);
	return c;
}
