/* Persons in the registry: look-up by the documents' blind index, names compared exactly; identity claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "operator.h"
#include "person.h"
#include "record.h"
#include "verify.h"

#define MAX_NAME_CHARS 64

/* The last document's blind index, per thread, with the key it was made under: a new person's document is looked
 * up and then inserted, and the second HMAC was 2% of a bulk import's instructions (issue 17 item 1). */
static _Thread_local struct {
	int set;
	enum taxid_doc_type t;
	char normalized[40]; /* as struct taxid_id_info holds it */
	unsigned char key[32], idx[32];
} last_doc;

void taxid_person_doc_index(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized, unsigned char out[32])
{
	size_t n = strlen(normalized);
	if (last_doc.set && last_doc.t == t && n < sizeof last_doc.normalized &&
	    strcmp(last_doc.normalized, normalized) == 0 && taxid_ct_equal(last_doc.key, ctx->keys->index, 32)) {
		memcpy(out, last_doc.idx, 32);
		return;
	}
	char kind[16];
	snprintf(kind, sizeof kind, "doc:%d", (int)t);
	taxid_pii_index(ctx->keys, kind, normalized, out);
	last_doc.set = n < sizeof last_doc.normalized;
	if (last_doc.set) {
		last_doc.t = t;
		memcpy(last_doc.normalized, normalized, n + 1);
		memcpy(last_doc.key, ctx->keys->index, 32);
		memcpy(last_doc.idx, out, 32);
	}
}

int taxid_person_doc_index_old(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized, unsigned char out[32])
{
	char kind[16];
	snprintf(kind, sizeof kind, "doc:%d", (int)t);
	return taxid_pii_index_old(ctx->keys, kind, normalized, out);
}

enum taxid_code taxid_person_find_doc(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized,
				      struct taxid_person *p)
{
	unsigned char idx[32], old[32];
	memset(p, 0, sizeof *p);
	taxid_person_doc_index(ctx, t, normalized, idx);
	int rotating = taxid_person_doc_index_old(ctx, t, normalized, old);
	struct taxid_q *q = taxid_q(ctx, rotating ? TAXID_SQL_DOC_FIND : TAXID_SQL_DOC_FIND_ONE);
	taxid_q_blob(q, 1, idx, 32);
	if (rotating)
		taxid_q_blob(q, 2, old, 32);
	if (!taxid_q_step(q)) {
		enum taxid_code c = taxid_q_end(q);
		return c ? c : TAXID_E_NOT_FOUND;
	}
	size_t nl;
	const void *name = taxid_q_col_blob(q, 3, &nl);
	p->doc_id = taxid_q_col_int(q, 0);
	p->id = taxid_q_col_int(q, 1);
	p->doc_type = (int)taxid_q_col_int(q, 2);
	p->name = taxid_pii_open(ctx->keys, "person.name", name, nl);
	p->abnormal = strcmp(taxid_q_col_text(q, 4), "abnormal") == 0;
	p->level = (int)taxid_q_col_int(q, 5);
	if (!taxid_q_is_null(q, 6))
		p->abnormal_reason = strdup(taxid_q_col_text(q, 6));
	p->has_account = (int)taxid_q_col_int(q, 7);
	taxid_q_end(q);
	if (!p->name) {
		taxid_person_clear(p);
		fprintf(stderr, "%s: a person's record does not decrypt with this key file\n", ctx->tool->name);
		return TAXID_E_INTERNAL;
	}
	return TAXID_OK;
}

void taxid_person_clear(struct taxid_person *p)
{
	free(p->name);
	free(p->abnormal_reason);
	p->name = p->abnormal_reason = NULL;
}

char *taxid_name_normalize(const char *name)
{
	static const char *const dots[] = {"\xe2\x80\xa2", "\xe3\x83\xbb", "\xe2\x80\xa7", "\xef\xbd\xa5", "\xe2\x88\x99",
					   NULL}; /* • ・ ‧ ･ ∙ */
	size_t n = strlen(name);
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	const char *s = name, *e = name + n;
	for (;;) { /* trim the front */
		if (s < e && (*s == ' ' || *s == '\t'))
			s++;
		else if (e - s >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0)
			s += 3;
		else
			break;
	}
	for (;;) { /* and the back */
		if (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		else if (e - s >= 3 && memcmp(e - 3, "\xe3\x80\x80", 3) == 0)
			e -= 3;
		else
			break;
	}
	while (s < e) {
		int hit = 0;
		for (int i = 0; dots[i]; i++)
			if (e - s >= 3 && memcmp(s, dots[i], 3) == 0) {
				*o++ = (char)0xc2;
				*o++ = (char)0xb7;
				s += 3;
				hit = 1;
				break;
			}
		if (!hit)
			*o++ = *s++;
	}
	*o = 0;
	return out;
}

int taxid_name_equal(const char *a, const char *b)
{
	char *x = taxid_name_normalize(a), *y = taxid_name_normalize(b);
	int eq = x && y && strcmp(x, y) == 0;
	free(x);
	free(y);
	return eq;
}

/* A new person holding n's document: the caller knows no one holds it. */
static enum taxid_code person_insert(struct taxid_ctx *ctx, const struct taxid_person_new *n, long long *person_id,
				     long long *doc_id)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	size_t nl;
	unsigned char *name = taxid_pii_seal(ctx->keys, "person.name", n->name, &nl);
	if (!name)
		return TAXID_E_INTERNAL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_PERSON_INSERT);
	taxid_q_blob(q, 1, name, nl);
	taxid_q_int(q, 2, n->level);
	taxid_q_text(q, 3, n->info->nationality[0] ? n->info->nationality : NULL);
	taxid_q_text(q, 4, n->info->birth_date[0] ? n->info->birth_date : NULL);
	if (n->info->sex)
		taxid_q_textn(q, 5, &n->info->sex, 1);
	taxid_q_text(q, 6, n->info->region[0] ? n->info->region : NULL);
	taxid_q_text(q, 7, at);
	free(name);
	enum taxid_code c = taxid_q_insert_id(q, person_id);
	return c ? c : taxid_person_add_doc(ctx, *person_id, n->doc_type, n->info, n->expires_on, doc_id);
}

enum taxid_code taxid_person_ensure(struct taxid_ctx *ctx, const struct taxid_person_new *n, long long *person_id,
				    int *created)
{
	struct taxid_person p;
	enum taxid_code c = taxid_person_find_doc(ctx, n->doc_type, n->info->normalized, &p);
	*created = 0;
	if (c == TAXID_OK) {
		*person_id = p.id;
		taxid_person_clear(&p);
		return TAXID_OK;
	}
	if (c != TAXID_E_NOT_FOUND)
		return c;
	long long doc_id;
	if (!(c = person_insert(ctx, n, person_id, &doc_id)))
		*created = 1;
	return c;
}

enum taxid_code taxid_person_add_doc(struct taxid_ctx *ctx, long long person_id, enum taxid_doc_type t,
				     const struct taxid_id_info *info, const char *expires_on, long long *doc_id)
{
	char kind[16], at[TAXID_TIME_LEN];
	unsigned char idx[32];
	size_t len;
	snprintf(kind, sizeof kind, "doc:%d", (int)t);
	taxid_time_format(ctx->now, at);
	taxid_person_doc_index(ctx, t, info->normalized, idx);
	unsigned char *no = taxid_pii_seal(ctx->keys, kind, info->normalized, &len);
	if (!no)
		return TAXID_E_INTERNAL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_DOC_INSERT);
	taxid_q_int(q, 1, person_id);
	taxid_q_int(q, 2, (int)t);
	taxid_q_blob(q, 3, idx, 32);
	taxid_q_blob(q, 4, no, len);
	taxid_q_text(q, 5, expires_on);
	taxid_q_text(q, 6, at);
	free(no);
	return taxid_q_insert_id(q, doc_id);
}

char *taxid_person_doc_number(struct taxid_ctx *ctx, long long doc_id, int *doc_type)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_DOC_NUMBER);
	taxid_q_int(q, 1, doc_id);
	char *s = NULL;
	if (taxid_q_step(q)) {
		char kind[16];
		size_t n;
		const void *blob = taxid_q_col_blob(q, 1, &n);
		*doc_type = (int)taxid_q_col_int(q, 0);
		snprintf(kind, sizeof kind, "doc:%d", *doc_type);
		s = taxid_pii_open(ctx->keys, kind, blob, n);
	}
	taxid_q_end(q);
	return s;
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

enum taxid_code taxid_person_find(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized,
				  struct taxid_person *p, int *found)
{
	enum taxid_code c = taxid_person_find_doc(ctx, t, normalized, p);
	*found = c == TAXID_OK;
	return c == TAXID_E_NOT_FOUND ? TAXID_OK : c;
}

enum taxid_code taxid_person_extra(struct taxid_ctx *ctx, long long person_id, long long doc_id,
				   struct taxid_person_extra *x)
{
	memset(x, 0, sizeof *x);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REG_PERSON_GET);
	taxid_q_int(q, 1, person_id);
	if (!taxid_q_step(q)) {
		enum taxid_code c = taxid_q_end(q);
		return c ? c : TAXID_E_NOT_FOUND;
	}
	x->has_photo = !taxid_q_is_null(q, 8);
	if (!taxid_q_is_null(q, 4))
		snprintf(x->nationality, sizeof x->nationality, "%s", taxid_q_col_text(q, 4));
	taxid_q_end(q);
	q = taxid_q(ctx, TAXID_SQL_REG_PERSON_DOCS);
	taxid_q_int(q, 1, person_id);
	while (taxid_q_step(q))
		if (taxid_q_col_int(q, 0) == doc_id && !taxid_q_is_null(q, 3))
			snprintf(x->expires_on, sizeof x->expires_on, "%s", taxid_q_col_text(q, 3));
	return taxid_q_end(q);
}

/* ---- identity claims ---- */

void taxid_claim_free(struct taxid_claim *cl)
{
	free(cl->name);
	cl->name = NULL;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
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

enum taxid_code taxid_claim_read(struct taxid_ctx *ctx, json_t *req, int need, struct taxid_claim *cl)
{
	enum taxid_code c;
	memset(cl, 0, sizeof *cl);
	if ((c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &cl->type, &cl->info)))
		return c;
	if ((c = read_nationality(ctx, req, cl->type, &cl->info, (need & TAXID_CLAIM_NATIONALITY) != 0)))
		return c;
	taxid_mask_doc(cl->info.normalized, cl->masked);
	const char *name = taxid_req_str(ctx, req, "name", (need & TAXID_CLAIM_NAME) != 0, &c);
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

void taxid_claim_put_doc(struct taxid_ctx *ctx, json_t *out, const struct taxid_claim *cl)
{
	json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(cl->type)));
	json_object_set_new(out, "doc_no", json_string(ctx->reveal ? cl->info.normalized : cl->masked));
	taxid_reveal_subject(ctx, cl->masked);
}

enum taxid_code taxid_claim_matches(struct taxid_ctx *ctx, const struct taxid_person *p, const struct taxid_claim *cl)
{
	if (p->abnormal)
		return taxid_fail_detail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no",
					 p->abnormal_reason ? json_pack("{s:s}", "reason", p->abnormal_reason) : NULL);
	if (cl->name && !taxid_name_equal(cl->name, p->name))
		return taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
	return TAXID_OK;
}

enum taxid_code taxid_claim_create_person(struct taxid_ctx *ctx, const struct taxid_claim *cl, int level,
					  const char *expires_on, long long *person_id, long long *doc_id)
{
	struct taxid_person p;
	enum taxid_code c = taxid_person_find_doc(ctx, cl->type, cl->info.normalized, &p);
	if (c == TAXID_OK) {
		*person_id = p.id;
		*doc_id = p.doc_id;
		taxid_person_clear(&p);
		return TAXID_OK;
	}
	return c == TAXID_E_NOT_FOUND ? taxid_claim_insert_person(ctx, cl, level, expires_on, person_id, doc_id) : c;
}

enum taxid_code taxid_claim_insert_person(struct taxid_ctx *ctx, const struct taxid_claim *cl, int level,
					  const char *expires_on, long long *person_id, long long *doc_id)
{
	struct taxid_person_new n = {cl->type, &cl->info, cl->name, level, expires_on};
	return person_insert(ctx, &n, person_id, doc_id);
}

enum taxid_doc_type taxid_claim_paired_type(enum taxid_doc_type t)
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

enum taxid_code taxid_claim_read_paired(struct taxid_ctx *ctx, json_t *req, const struct taxid_claim *cl, int required,
					struct taxid_claim *pc, int *has)
{
	enum taxid_doc_type want = taxid_claim_paired_type(cl->type);
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

enum taxid_code taxid_claim_store_paired(struct taxid_ctx *ctx, long long pid, long long doc_id,
					 const struct taxid_claim *pc)
{
	struct taxid_person q;
	int found;
	long long pdoc;
	enum taxid_code c = taxid_person_find(ctx, pc->type, pc->info.normalized, &q, &found);
	if (c)
		return c;
	if (found) {
		long long owner = q.id;
		pdoc = q.doc_id;
		taxid_person_clear(&q);
		if (owner != pid)
			return taxid_fail_detail(ctx, TAXID_E_IDENTITY_FAILED, "paired",
						 json_pack("{s:s}", "reason", "paired_document_of_another_person"));
	} else if ((c = taxid_person_add_doc(ctx, pid, pc->type, &pc->info, NULL, &pdoc))) {
		return c;
	}
	struct taxid_q *pair = taxid_q(ctx, TAXID_SQL_REG_DOC_PAIR);
	taxid_q_int(pair, 1, doc_id);
	taxid_q_int(pair, 2, pdoc);
	return taxid_q_exec(pair);
}
