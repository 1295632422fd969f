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
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_DOC_FIND);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_blob(st, 1, idx, 32, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? TAXID_E_NOT_FOUND : taxid_db_fail(ctx, rc);
	}
	p->doc_id = sqlite3_column_int64(st, 0);
	p->id = sqlite3_column_int64(st, 1);
	p->doc_type = sqlite3_column_int(st, 2);
	p->name = taxid_pii_open(ctx->keys, "person.name", sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3));
	p->abnormal = strcmp((const char *)sqlite3_column_text(st, 4), "abnormal") == 0;
	p->level = sqlite3_column_int(st, 5);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		p->abnormal_reason = strdup((const char *)sqlite3_column_text(st, 6));
	p->has_account = sqlite3_column_int(st, 7);
	sqlite3_reset(st);
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
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_PERSON_INSERT);
	c = TAXID_E_INTERNAL;
	if (!name || !no || !st)
		goto out;
	sqlite3_bind_blob(st, 1, name, (int)nl, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, n->level);
	if (n->info->nationality[0])
		sqlite3_bind_text(st, 3, n->info->nationality, -1, SQLITE_STATIC);
	if (n->info->birth_date[0])
		sqlite3_bind_text(st, 4, n->info->birth_date, -1, SQLITE_STATIC);
	if (n->info->sex)
		sqlite3_bind_text(st, 5, &n->info->sex, 1, SQLITE_STATIC);
	if (n->info->region[0])
		sqlite3_bind_text(st, 6, n->info->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, at, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		c = taxid_db_fail(ctx, rc);
		goto out;
	}
	*person_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = taxid_sql(ctx, TAXID_SQL_DOC_INSERT);
	if (!st)
		goto out;
	sqlite3_bind_int64(st, 1, *person_id);
	sqlite3_bind_int(st, 2, (int)n->doc_type);
	sqlite3_bind_blob(st, 3, idx, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, no, (int)dl, SQLITE_STATIC);
	if (n->expires_on)
		sqlite3_bind_text(st, 5, n->expires_on, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	c = rc == SQLITE_ROW ? TAXID_OK : taxid_db_fail(ctx, rc);
	if (!c)
		*created = 1;
out:
	free(name);
	free(no);
	return c;
}

char *taxid_person_doc_number(struct taxid_ctx *ctx, long long doc_id, int *doc_type)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_DOC_NUMBER);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, doc_id);
	char *s = NULL;
	if (sqlite3_step(st) == SQLITE_ROW) {
		char kind[16];
		*doc_type = sqlite3_column_int(st, 0);
		snprintf(kind, sizeof kind, "doc:%d", *doc_type);
		s = taxid_pii_open(ctx->keys, kind, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	}
	sqlite3_reset(st);
	return s;
}
