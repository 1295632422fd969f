/* Persons in the registry: look-up by the documents' blind index, names compared exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "keys.h"
#include "person.h"
#include "record.h"

void taxid_person_doc_index(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized, unsigned char out[32])
{
	char kind[16];
	snprintf(kind, sizeof kind, "doc:%d", (int)t);
	taxid_pii_index(ctx->keys, kind, normalized, out);
}

enum taxid_code taxid_person_find_doc(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized,
				      struct taxid_person *p)
{
	unsigned char idx[32];
	memset(p, 0, sizeof *p);
	taxid_person_doc_index(ctx, t, normalized, idx);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_DOC_FIND);
	taxid_q_blob(q, 1, idx, 32);
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
	char at[TAXID_TIME_LEN], kind[16];
	taxid_time_format(ctx->now, at);
	size_t nl, dl;
	unsigned char idx[32];
	snprintf(kind, sizeof kind, "doc:%d", (int)n->doc_type);
	unsigned char *name = taxid_pii_seal(ctx->keys, "person.name", n->name, &nl);
	unsigned char *no = taxid_pii_seal(ctx->keys, kind, n->info->normalized, &dl);
	taxid_person_doc_index(ctx, n->doc_type, n->info->normalized, idx);
	c = TAXID_E_INTERNAL;
	if (!name || !no)
		goto out;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_PERSON_INSERT);
	taxid_q_blob(q, 1, name, nl);
	taxid_q_int(q, 2, n->level);
	taxid_q_text(q, 3, n->info->nationality[0] ? n->info->nationality : NULL);
	taxid_q_text(q, 4, n->info->birth_date[0] ? n->info->birth_date : NULL);
	if (n->info->sex)
		taxid_q_textn(q, 5, &n->info->sex, 1);
	taxid_q_text(q, 6, n->info->region[0] ? n->info->region : NULL);
	taxid_q_text(q, 7, at);
	if ((c = taxid_q_insert_id(q, person_id)))
		goto out;
	long long doc_id;
	q = taxid_q(ctx, TAXID_SQL_DOC_INSERT);
	taxid_q_int(q, 1, *person_id);
	taxid_q_int(q, 2, (int)n->doc_type);
	taxid_q_blob(q, 3, idx, 32);
	taxid_q_blob(q, 4, no, dl);
	taxid_q_text(q, 5, n->expires_on);
	taxid_q_text(q, 6, at);
	c = taxid_q_insert_id(q, &doc_id);
	if (!c)
		*created = 1;
out:
	free(name);
	free(no);
	return c;
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
