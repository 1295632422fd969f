/* taxid-db keys rotate: re-seal every personal field and recompute every blind index under a new data key, in
 * batches that each commit, restartable at any point; then drop the old key from the key file (issue 18 item 2).
 *
 * The state machine (also in taxid-db(1)). Every key-file write happens inside a write transaction (so two
 * rotations never write the file at once), and the file always holds every key meta names:
 *   S0  meta key_gen=G, no key_next; the file holds G.
 *   S1  the file holds G and G+1 (written atomically: temporary file 0600, fsync, rename, fsync of the
 *       directory); meta not changed yet. A rerun reuses G+1.
 *   S2  one commit: key_next=G+1 with its check value, key_rotate_pos=0:0, audited keys_rotate_begin. Processes
 *       now seal and index with G+1 and read and look up under either.
 *   S3  batches, one commit each: the rows after key_rotate_pos (table:last id) re-sealed and re-indexed
 *       under G+1 (a row already under G+1 is simply done again), the position moved, audited keys_rotate_batch.
 *   S4  one commit once every table is done: key_gen=G+1, key_next=0, audited keys_rotated.
 *   S5  the file rewritten (atomically) with G+1 only. A rerun at S4 does only this. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "keyrot.h"
#include "keys.h"
#include "operator.h"
#include "record.h"
#include "request.h"

#define MAX_BATCH 100000
#define MAX_COLS 6

/* A sealed column: its number in the table's GET statement (its new value goes to parameter col + 1), its kind,
 * the column of its blind index (0: none) and that index's kind; a NULL kind is "doc:TYPE" with TYPE from
 * column type. */
struct field {
	int col;
	const char *kind;
	int index;
	const char *index_kind;
	int type;
};

struct table {
	const char *name;
	int get, put, ncols;
	struct field f[4];
};

static const struct table tables[] = {
	{"person", TAXID_SQL_KEYROT_PERSON_GET, TAXID_SQL_KEYROT_PERSON_PUT, 1, {{1, "person.name", 0, NULL, 0}}},
	{"document", TAXID_SQL_KEYROT_DOC_GET, TAXID_SQL_KEYROT_DOC_PUT, 2, {{1, NULL, 2, NULL, 3}}},
	{"account", TAXID_SQL_KEYROT_ACCOUNT_GET, TAXID_SQL_KEYROT_ACCOUNT_PUT, 2, {{1, "account.phone", 2, "phone", 0}}},
	{"outbox",
	 TAXID_SQL_KEYROT_OUTBOX_GET,
	 TAXID_SQL_KEYROT_OUTBOX_PUT,
	 2,
	 {{1, "outbox.to", 0, NULL, 0}, {2, "outbox.body", 0, NULL, 0}}},
	{"pensioner", TAXID_SQL_KEYROT_PENSIONER_GET, TAXID_SQL_KEYROT_PENSIONER_PUT, 1, {{1, "pension.account", 0, NULL, 0}}},
	{"enterprise",
	 TAXID_SQL_KEYROT_ENT_GET,
	 TAXID_SQL_KEYROT_ENT_PUT,
	 6,
	 {{1, NULL, 2, NULL, 7},
	  {3, "enterprise.person_name", 0, NULL, 0},
	  {4, NULL, 5, NULL, 8},
	  {6, "enterprise.person_name", 0, NULL, 0}}},
	{"relation", TAXID_SQL_KEYROT_RELATION_GET, TAXID_SQL_KEYROT_RELATION_PUT, 1, {{1, "relation.contact_phone", 0, NULL, 0}}},
	{"survival_correction",
	 TAXID_SQL_KEYROT_CORRECTION_GET,
	 TAXID_SQL_KEYROT_CORRECTION_PUT,
	 2,
	 {{1, "survival.correction", 0, NULL, 0}, {2, "survival.correction", 0, NULL, 0}}},
};
#define NTABLES ((int)(sizeof tables / sizeof *tables))

/* One row's new values: column i (1-based) in v[i - 1] (NULL: NULL). */
struct row {
	long long id;
	unsigned char *v[MAX_COLS];
	size_t n[MAX_COLS];
};

static void row_free(struct row *r)
{
	for (int i = 0; i < MAX_COLS; i++)
		free(r->v[i]);
}

/* Re-seal one field of the current row of q (and its index) into r. */
static enum taxid_code convert_field(struct taxid_ctx *ctx, const struct table *t, const struct field *f,
				     struct taxid_q *q, struct row *r)
{
	size_t n;
	const void *blob = taxid_q_col_blob(q, f->col, &n);
	if (taxid_q_is_null(q, f->col))
		return TAXID_OK;
	char kind[32];
	if (f->kind)
		snprintf(kind, sizeof kind, "%s", f->kind);
	else
		snprintf(kind, sizeof kind, "doc:%lld", taxid_q_col_int(q, f->type));
	char *plain = taxid_pii_open(ctx->keys, kind, blob, n);
	if (!plain) {
		fprintf(stderr, "%s: %s %lld does not decrypt with the old or the new key\n", ctx->tool->name, t->name, r->id);
		return TAXID_E_INTERNAL;
	}
	r->v[f->col - 1] = taxid_pii_seal(ctx->keys, kind, plain, &r->n[f->col - 1]);
	if (f->index && (r->v[f->index - 1] = malloc(32))) {
		taxid_pii_index(ctx->keys, f->index_kind ? f->index_kind : kind, plain, r->v[f->index - 1]);
		r->n[f->index - 1] = 32;
	}
	int ok = r->v[f->col - 1] && (!f->index || r->v[f->index - 1]);
	taxid_wipe(plain, strlen(plain));
	free(plain);
	return ok ? TAXID_OK : TAXID_E_INTERNAL;
}

/* Convert up to batch rows of table t after id *last; *count the rows done, *last the last id. */
static enum taxid_code convert_batch(struct taxid_ctx *ctx, const struct table *t, long long *last, long long batch,
				     long long *count)
{
	struct row *rows = calloc((size_t)batch, sizeof *rows);
	if (!rows)
		return TAXID_E_INTERNAL;
	long long n = 0;
	enum taxid_code c = TAXID_OK;
	struct taxid_q *q = taxid_q(ctx, t->get);
	taxid_q_int(q, 1, *last);
	taxid_q_int(q, 2, batch);
	while (!c && n < batch && taxid_q_step(q)) {
		struct row *r = &rows[n++];
		r->id = taxid_q_col_int(q, 0);
		for (int i = 0; i < 4 && t->f[i].col && !c; i++)
			c = convert_field(ctx, t, &t->f[i], q, r);
	}
	enum taxid_code e = taxid_q_end(q);
	c = c ? c : e;
	for (long long i = 0; i < n && !c; i++) {
		q = taxid_q(ctx, t->put);
		taxid_q_int(q, 1, rows[i].id);
		for (int j = 0; j < t->ncols; j++)
			taxid_q_blob(q, j + 2, rows[i].v[j], rows[i].n[j]);
		c = taxid_q_exec(q);
	}
	if (n)
		*last = rows[n - 1].id;
	*count = n;
	for (long long i = 0; i < n; i++)
		row_free(&rows[i]);
	free(rows);
	return c;
}

static enum taxid_code put_int(struct taxid_ctx *ctx, const char *key, long long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", v);
	return taxid_db_meta_put(ctx, key, buf);
}

/* S1 and S2: inside the open transaction. */
static enum taxid_code begin_rotation(struct taxid_ctx *ctx, long long gen, const char *op, long long batch)
{
	char check[65];
	enum taxid_code c = taxid_keys_prepare_next(ctx, gen, gen + 1, check);
	if (!c)
		c = put_int(ctx, "key_next", gen + 1);
	if (!c)
		c = taxid_db_meta_put(ctx, "key_next_check", check);
	if (!c)
		c = taxid_db_meta_put(ctx, "key_rotate_pos", "0:0");
	if (!c)
		c = taxid_keys_reload(ctx);
	if (!c)
		c = taxid_audit_new(ctx, "keys_rotate_begin", NULL, op,
				    json_pack("{s:I,s:I,s:I}", "from", (json_int_t)gen, "to", (json_int_t)(gen + 1), "batch",
					      (json_int_t)batch));
	return c;
}

/* S4: inside the open transaction. */
static enum taxid_code end_rotation(struct taxid_ctx *ctx, long long gen, long long next, const char *op, long long rows)
{
	enum taxid_code c = TAXID_OK;
	char *check = taxid_db_meta_get(ctx, "key_next_check");
	if (!check)
		return TAXID_E_INTERNAL;
	if (!(c = put_int(ctx, "key_gen", next)) && !(c = taxid_db_meta_put(ctx, "key_gen_check", check)) &&
	    !(c = taxid_db_meta_put(ctx, "key_next", "0")) && !(c = taxid_db_meta_put(ctx, "key_next_check", "")) &&
	    !(c = taxid_db_meta_put(ctx, "key_rotate_pos", "")) && !(c = taxid_keys_reload(ctx)))
		c = taxid_audit_new(ctx, "keys_rotated", NULL, op,
				    json_pack("{s:I,s:I,s:I}", "from", (json_int_t)gen, "to", (json_int_t)next, "rows",
					      (json_int_t)rows));
	free(check);
	return c;
}

/* S3: one batch inside the open transaction; *done when every table is. */
static enum taxid_code one_batch(struct taxid_ctx *ctx, const char *op, long long batch, long long *rows, int *done)
{
	char *pos = taxid_db_meta_get(ctx, "key_rotate_pos");
	int ti = 0;
	long long last = 0, n = 0;
	if (!pos || sscanf(pos, "%d:%lld", &ti, &last) != 2 || ti < 0) {
		free(pos);
		fprintf(stderr, "%s: meta key_rotate_pos is not TABLE:ID\n", ctx->tool->name);
		return TAXID_E_INTERNAL;
	}
	free(pos);
	*done = ti >= NTABLES;
	if (*done)
		return TAXID_OK;
	long long from = last;
	enum taxid_code c = convert_batch(ctx, &tables[ti], &last, batch, &n);
	if (c)
		return c;
	*rows += n;
	char buf[64];
	if (n < batch) /* this table is done: the next one from its start */
		snprintf(buf, sizeof buf, "%d:0", ti + 1);
	else
		snprintf(buf, sizeof buf, "%d:%lld", ti, last);
	if (!(c = taxid_db_meta_put(ctx, "key_rotate_pos", buf)))
		c = taxid_audit_new(ctx, "keys_rotate_batch", NULL, op,
				    json_pack("{s:s,s:I,s:I,s:I}", "table", tables[ti].name, "after", (json_int_t)from, "last",
					      (json_int_t)last, "rows", (json_int_t)n));
	return c;
}

/* One transaction of the state machine; *finished when the rotation is over (nothing left to do). */
static enum taxid_code step(struct taxid_ctx *ctx, const char *op, long long batch, int *started, long long *rows,
			    long long *batches, int *finished)
{
	long long gen, next;
	enum taxid_code c = taxid_db_begin(ctx);
	if (!c)
		c = taxid_keys_state(ctx, &gen, &next);
	if (!c && !next) {
		int dropped = 0;
		/* S5 (also what a rerun at S4 finds): no rotation open; drop older keys from the file */
		c = taxid_keys_drop_old(ctx, gen, &dropped);
		if (!c && !*started && !dropped) {
			*started = 1;
			c = begin_rotation(ctx, gen, op, batch);
		} else if (!c) {
			*finished = 1;
		}
	} else if (!c) {
		int done = 0;
		*started = 1;
		c = one_batch(ctx, op, batch, rows, &done);
		if (!c && done)
			c = end_rotation(ctx, gen, next, op, *rows);
		else if (!c)
			++*batches;
	}
	if (!c && taxid_db_in_tx(ctx))
		c = taxid_db_commit(ctx);
	if (c)
		taxid_db_rollback(ctx);
	return c;
}

enum taxid_code taxid_keys_rotate(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *op = taxid_operator(ctx, req, &c);
	if (!op)
		return c;
	long long batch = taxid_req_int(ctx, req, "batch", 1000, &c);
	if (c)
		return c;
	if (batch < 1 || batch > MAX_BATCH)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "batch");
	int started = 0, finished = 0;
	long long rows = 0, batches = 0;
	while (!c && !finished) {
		c = step(ctx, op, batch, &started, &rows, &batches, &finished);
		taxid_progress(ctx, (long)rows);
	}
	if (c)
		return c;
	json_object_set_new(out, "generation", json_integer((json_int_t)ctx->keys->gen));
	json_object_set_new(out, "rows", json_integer((json_int_t)rows));
	json_object_set_new(out, "batches", json_integer((json_int_t)batches));
	char *path = taxid_key_path(ctx);
	json_object_set_new(out, "key_file", json_string(path ? path : ""));
	free(path);
	return TAXID_OK;
}
