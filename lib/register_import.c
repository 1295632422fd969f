/* taxid-register import: bulk migration of persons and accounts from another system, idempotent on the document. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "challenge.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "person.h"
#include "record.h"
#include "register.h"

#define DAY 86400
/* Records per transaction unless told: each commit writes every index page the batch touched to the WAL, and
 * with random blind-index keys a batch of 1000 touches a page per record and index once the registry is large
 * (1M people imported: 141 s at 1000, 98 s at 20000, 83 s at 100000); 20000 still holds the write lock for
 * only a second or two against the 10 s other writers wait (issue 17 item 1). */
#define IMPORT_BATCH 20000

/* The account part of an import record. */
struct import_account {
	const char *login, *hash, *initial, *region;
	const char *phone; /* normalised or NULL */
};

/* An import record, read and checked before anything is written. */
struct import_rec {
	struct taxid_claim cl, pc; /* the document, and its paired document when has_paired */
	int has_paired, face;      /* face: face_verified, level 4 rather than 3 */
	struct taxid_id_info ph;
	char expires_on[11];
	struct import_account ia;  /* ia.login NULL: no account */
	unsigned char phone_idx[32]; /* the phone's blind index, from the checks (taxid_account_available) */
	int wrote;                 /* something of the record was written: no refusal may follow */
};

/* Tuning for a bulk load, once per process. It is only tuning: its failure (said on stderr) is not the request's. */
static void import_tune(struct taxid_ctx *ctx)
{
	static int tuned;
	if (tuned)
		return;
	tuned = 1;
	enum taxid_code before = taxid_db_request_error(ctx);
	taxid_q_exec(taxid_q(ctx, TAXID_SQL_REG_IMPORT_CACHE));
	taxid_q_exec(taxid_q(ctx, TAXID_SQL_REG_IMPORT_SUBJOURNAL));
	taxid_q_exec(taxid_q(ctx, TAXID_SQL_REG_IMPORT_CHECKPOINT));
	if (!before)
		taxid_db_request_reset(ctx);
}

/* The password members of a record with a login name: a migrated argon2id hash, or an initial password rule. */
static enum taxid_code import_read_login(struct taxid_ctx *ctx, json_t *req, struct import_account *ia)
{
	enum taxid_code c = TAXID_OK;
	ia->hash = taxid_req_str(ctx, req, "password_hash", 0, &c);
	ia->initial = c ? NULL : taxid_req_str(ctx, req, "initial_password", 0, &c);
	if (c || (c = taxid_login_name_check(ctx, ia->login, "login_name")))
		return c;
	if (!ia->hash && !ia->initial)
		return taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "password_hash",
					 json_pack("{s:[ss]}", "one_of", "password_hash", "initial_password"));
	if (ia->hash && ia->initial)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "initial_password");
	if (ia->hash && taxid_argon2_parse(ia->hash, NULL))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "password_hash",
					 json_pack("{s:s}", "expected", "argon2id PHC string"));
	if (ia->initial && strcmp(ia->initial, "random") != 0 && strcmp(ia->initial, "doc_tail6") != 0)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "initial_password",
					 json_pack("{s:[ss]}", "allowed", "random", "doc_tail6"));
	if (ia->initial && strcmp(ia->initial, "random") == 0 && !ia->phone)
		return taxid_fail(ctx, TAXID_E_MISSING_FIELD, "phone");
	return TAXID_OK;
}

static enum taxid_code import_read(struct taxid_ctx *ctx, json_t *req, struct import_rec *r)
{
	enum taxid_code c = TAXID_OK;
	long long bs = taxid_req_int(ctx, req, "batch_size", IMPORT_BATCH, &c);
	if (bs > 0)
		ctx->batch_size = bs > 1000000 ? 1000000 : (int)bs;
	if (c || (c = taxid_claim_read(ctx, req, TAXID_CLAIM_NEW, &r->cl)) ||
	    (c = taxid_claim_read_paired(ctx, req, &r->cl, 0, &r->pc, &r->has_paired)) ||
	    (c = taxid_register_read_date(ctx, req, "expires_on", r->expires_on)) ||
	    (c = taxid_register_read_phone(ctx, req, 0, &r->ph)) || (c = taxid_register_read_region(ctx, req, &r->ia.region)))
		return c;
	r->ia.phone = r->ph.normalized[0] ? r->ph.normalized : NULL;
	r->face = taxid_req_bool(ctx, req, "face_verified", 0, &c);
	r->ia.login = c ? NULL : taxid_req_str(ctx, req, "login_name", 0, &c);
	if (c || !r->ia.login)
		return c;
	return import_read_login(ctx, req, &r->ia);
}

/* An initial password (pw holds 16 bytes): a random one that passes the password policy, or the legacy rule
 * doc_tail6, the last 6 characters of the document number. */
static enum taxid_code initial_password(struct taxid_ctx *ctx, const struct taxid_claim *cl,
					const struct import_account *ia, char pw[16])
{
	if (strcmp(ia->initial, "random") != 0) {
		size_t n = strlen(cl->info.normalized);
		snprintf(pw, 16, "%s", cl->info.normalized + (n > 6 ? n - 6 : 0));
		return TAXID_OK;
	}
	enum taxid_code c = TAXID_OK;
	int tries = 0;
	do {
		if (taxid_random_password(pw, 10) || ++tries > 50) {
			c = TAXID_E_INTERNAL;
			break;
		}
	} while (taxid_password_check(ctx, pw, cl->info.normalized, ia->phone, ia->login, "password"));
	/* The refusals of the drawn passwords that did not pass are not the request's. */
	ctx->err_field = NULL;
	json_decref(ctx->err_detail);
	ctx->err_detail = NULL;
	return c;
}

/* A random initial password is delivered to the record's phone through the outbox, never printed. */
static enum taxid_code send_initial(struct taxid_ctx *ctx, const struct import_account *ia, const char *pw,
				    int64_t expires)
{
	char body[200], at[TAXID_TIME_LEN];
	taxid_time_format(expires, at);
	snprintf(body, sizeof body, "[taxid] initial password for %s: %s (valid until %s; change it at first login)",
		 ia->login, pw, at);
	enum taxid_code c = taxid_outbox_put(ctx, "sms", ia->phone, body);
	taxid_wipe(body, sizeof body);
	return c;
}

/* The record's account for person pid, who has none (a new person, or one import_known found without one). A
 * migrated hash is kept unpeppered (the login layer re-hashes it with the pepper on success); an initial password
 * must be changed at first login and expires. */
static enum taxid_code import_account(struct taxid_ctx *ctx, long long pid, const struct import_rec *r,
				      long long *aid)
{
	const struct taxid_claim *cl = &r->cl;
	const struct import_account *ia = &r->ia;
	char pw[16] = "";
	char *hash = NULL;
	int initial = !ia->hash;
	int64_t expires = 0;
	enum taxid_code c = TAXID_OK;
	if (initial) {
		long long days = taxid_setting_int(ctx, "password.initial_days", 30);
		expires = ctx->now + (days > 0 ? days : 30) * DAY;
		if (!(c = initial_password(ctx, cl, ia, pw)))
			hash = taxid_password_hash(ctx, pw);
	} else {
		hash = strdup(ia->hash);
	}
	if (!c && !hash)
		c = TAXID_E_INTERNAL;
	if (!c)
		c = taxid_account_insert(ctx, pid, ia->login, ia->phone, r->phone_idx, hash, initial, initial, expires,
					 ia->region, NULL, aid);
	if (!c && initial && strcmp(ia->initial, "random") == 0)
		c = send_initial(ctx, ia, pw, expires);
	taxid_wipe(pw, sizeof pw);
	if (hash) {
		taxid_wipe(hash, strlen(hash));
		free(hash);
	}
	return c;
}

/* A person with an account: the record's login name must be that account's. */
static enum taxid_code import_same_account(struct taxid_ctx *ctx, long long pid, const char *login, long long *aid)
{
	struct taxid_account a;
	enum taxid_code c = taxid_account_by_person(ctx, pid, &a);
	if (!c) {
		*aid = a.id;
		if (strcmp(a.login_name, login) != 0)
			c = taxid_fail_detail(ctx, TAXID_E_IDENTITY_OCCUPIED, "login_name",
					      json_pack("{s:I}", "account", (json_int_t)a.id));
	}
	taxid_account_clear(&a);
	return c;
}

/* A person already in the registry: the name must be the same; the level is raised, never lowered (*level gets the
 * person's); a missing account is created. *status becomes "updated" when something changed. Every refusal comes
 * before the first write (the import runs without a savepoint per record). */
static enum taxid_code import_known(struct taxid_ctx *ctx, struct import_rec *r, const struct taxid_person *p,
				    int *level, long long *aid, const char **status)
{
	enum taxid_code c;
	int add = r->ia.login && !p->has_account;
	if (!taxid_name_equal(r->cl.name, p->name))
		return taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
	if (r->ia.login && p->has_account && (c = import_same_account(ctx, p->id, r->ia.login, aid)))
		return c;
	if (add && p->abnormal)
		return taxid_fail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no");
	if (add && (c = taxid_account_available(ctx, r->ia.login, r->ia.phone, r->phone_idx)))
		return c;
	if (p->level < *level) {
		r->wrote = 1;
		if ((c = taxid_person_raise_level(ctx, p->id, *level)))
			return c;
		*status = "updated";
	}
	if (add) {
		r->wrote = 1;
		if ((c = import_account(ctx, p->id, r, aid)))
			return c;
		*status = "updated";
	}
	if (p->level > *level)
		*level = p->level;
	return TAXID_OK;
}

/* A new person (taxid_person_find found no one with the document): the document, its paired document, the
 * account; first the refusals: a paired document someone holds (no one holds the new person's), a login name or
 * phone taken. */
static enum taxid_code import_new(struct taxid_ctx *ctx, struct import_rec *r, int level, long long *pid,
				  long long *aid)
{
	long long doc_id;
	enum taxid_code c;
	if (r->has_paired) {
		struct taxid_person q;
		int held = 0;
		c = taxid_person_find(ctx, r->pc.type, r->pc.info.normalized, &q, &held);
		if (held)
			taxid_person_clear(&q);
		if (c)
			return c;
		if (held)
			return taxid_fail_detail(ctx, TAXID_E_IDENTITY_FAILED, "paired",
						 json_pack("{s:s}", "reason", "paired_document_of_another_person"));
	}
	if (r->ia.login && (c = taxid_account_available(ctx, r->ia.login, r->ia.phone, r->phone_idx)))
		return c;
	r->wrote = 1;
	if ((c = taxid_claim_insert_person(ctx, &r->cl, level, r->expires_on[0] ? r->expires_on : NULL, pid, &doc_id)) ||
	    (r->has_paired && (c = taxid_claim_store_paired(ctx, *pid, doc_id, &r->pc))))
		return c;
	return r->ia.login ? import_account(ctx, *pid, r, aid) : TAXID_OK;
}

/* The persons this batch created are the ids above batch_mark: rowids are given in order, the batch holds the
 * write lock, and a refused record writes nothing, so no id is skipped or stale.
 * batch_marked: a person was created since the batch began. */
static long long batch_mark;
static int batch_marked;

/* A new person joins the batch's audit row (taxid_register_import_end). */
static void batch_created(long long pid)
{
	if (!batch_marked) {
		batch_mark = pid - 1;
		batch_marked = 1;
	}
}

/* One audit row per batch names every person it created and their accounts, instead of a row per person: those
 * rows were an eighth of an import's instructions (issue 17 item 1). An updated person keeps a row of its own. */
enum taxid_code taxid_register_import_end(struct taxid_ctx *ctx, int commit)
{
	int marked = batch_marked;
	batch_marked = 0;
	if (!commit || !marked)
		return TAXID_OK;
	json_t *persons = json_array(), *accounts = json_array();
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REG_IMPORT_CREATED);
	taxid_q_int(q, 1, batch_mark);
	while (taxid_q_step(q)) {
		json_array_append_new(persons, json_integer(taxid_q_col_int(q, 0)));
		if (!taxid_q_is_null(q, 1))
			json_array_append_new(accounts, json_integer(taxid_q_col_int(q, 1)));
	}
	enum taxid_code c = taxid_q_end(q);
	if (!c && json_array_size(persons))
		c = taxid_register_audit(ctx, "import_batch", NULL, NULL,
					  json_pack("{s:I,s:o,s:o}", "count", (json_int_t)json_array_size(persons), "persons", persons,
					  "accounts", accounts));
	else {
		json_decref(persons);
		json_decref(accounts);
	}
	return c;
}

static enum taxid_code import_audit(struct taxid_ctx *ctx, const struct import_rec *r, const char *status,
				    long long pid, int level, long long aid)
{
	char subj[32];
	taxid_register_subject(subj, sizeof subj, "person", pid);
	json_t *d = json_pack("{s:s,s:i,s:s}", "status", status, "level", level, "doc_type", taxid_ids_doc_name(r->cl.type));
	if (aid)
		json_object_set_new(d, "account", json_integer(aid));
	return taxid_register_audit(ctx, "import", subj, NULL, d);
}

enum taxid_code taxid_register_import(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct import_rec r;
	struct taxid_person p = {0};
	const char *status = "unchanged";
	long long pid = 0, aid = 0;
	int found = 0, level = 0;
	enum taxid_code c;
	import_tune(ctx);
	ctx->batch_end = taxid_register_import_end;
	memset(&r, 0, sizeof r);
	if ((c = import_read(ctx, req, &r)) || (c = taxid_person_find(ctx, r.cl.type, r.cl.info.normalized, &p, &found)))
		goto out;
	level = r.face ? 4 : 3;
	if (found) {
		pid = p.id;
		c = import_known(ctx, &r, &p, &level, &aid, &status);
	} else if (!(c = import_new(ctx, &r, level, &pid, &aid))) {
		status = "created";
		batch_created(pid);
	}
	if (!c && strcmp(status, "updated") == 0)
		c = import_audit(ctx, &r, status, pid, level, aid);
	if (c && r.wrote && taxid_error_exit(c) <= TAXID_EXIT_REFUSED) {
		/* A refusal after a write would leave half a record: the batch, which has no savepoint per record, must
		 * not commit it. Not expected: every refusal is checked before the first write. */
		fprintf(stderr, "%s: import: record %ld refused (%s) after it was partly written\n", ctx->tool->name,
			ctx->line, taxid_error_code(c));
		c = TAXID_E_INTERNAL;
	}
	if (c)
		goto out;
	json_object_set_new(out, "status", json_string(status));
	json_object_set_new(out, "person", json_integer(pid));
	if (aid)
		json_object_set_new(out, "account", json_integer(aid));
	taxid_claim_put_doc(ctx, out, &r.cl);
	if (r.ia.login)
		json_object_set_new(out, "login_name", json_string(r.ia.login));
	json_object_set_new(out, "level", json_integer(level));
out:
	taxid_register_wipe_member(req, "password_hash");
	taxid_claim_free(&r.cl);
	taxid_claim_free(&r.pc);
	taxid_person_clear(&p);
	return c;
}
