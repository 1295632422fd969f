/* The one read-handle-write loop: a stream of JSON objects in, one result line out each, inside the transaction
 * each action needs. The command line is lib/cmdline.c, the reader lib/reader.c, the writer lib/json_out.c. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cmdline.h"
#include "crypto.h"
#include "csv_in.h"
#include "db.h"
#include "dbmode.h"
#include "json_out.h"
#include "keys.h"
#include "operator.h"
#include "reader.h"
#include "record.h"
#include "record_jobs.h"

/* ---- result lines ---- */

/* 1 when s would make a JSON string (jansson refuses text that is not UTF-8, and the member is then left out). */
static int valid_text(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x80) {
			json_t *j = json_string(s);
			int ok = j != NULL;
			json_decref(j);
			return ok;
		}
	return 1;
}

/* One result line into b: {"ok":…,"error":{…},<the handler's members>,"ref":…,"line":N}. */
static void result_line(struct taxid_json_buf *b, struct taxid_ctx *ctx, enum taxid_code code, json_t *out, json_t *ref,
			long line)
{
	static const char *const taken[] = {"ok", "error", "ref", "line", NULL};
	if (code == TAXID_OK) {
		taxid_json_put(b, "{\"ok\":true", 10);
	} else if (!ctx->err_detail) { /* the common refusal, written as the object below would be */
		const char *m = taxid_error_message(code, ctx->zh), *k = taxid_error_code(code);
		taxid_json_put(b, "{\"ok\":false,\"error\":{\"code\":", 28);
		taxid_json_string(b, k, strlen(k));
		taxid_json_put(b, ",\"message\":", 11);
		taxid_json_string(b, m, strlen(m));
		if (ctx->err_field && valid_text(ctx->err_field)) {
			taxid_json_put(b, ",\"field\":", 9);
			taxid_json_string(b, ctx->err_field, strlen(ctx->err_field));
		}
		taxid_json_put(b, "}", 1);
	} else {
		json_t *e = json_pack("{s:s,s:s}", "code", taxid_error_code(code), "message",
				      taxid_error_message(code, ctx->zh));
		if (ctx->err_field)
			json_object_set_new(e, "field", json_string(ctx->err_field));
		if (ctx->err_detail)
			json_object_update(e, ctx->err_detail);
		taxid_json_put(b, "{\"ok\":false,\"error\":", 20);
		taxid_json_value(b, e);
		json_decref(e);
	}
	if (out)
		taxid_json_members(b, out, taken);
	if (ref) {
		taxid_json_put(b, ",\"ref\":", 7);
		taxid_json_value(b, ref);
	}
	if (line > 0) {
		taxid_json_put(b, ",\"line\":", 8);
		taxid_json_int(b, line);
	}
	taxid_json_put(b, "}\n", 2);
}

/* Results waiting for their batch to commit, and the line being written now; in a worker (--jobs), the
 * results of its chunk. */
static struct taxid_json_buf pending, now_line, *chunk_results;

/* A request's result: written now, or (batch) kept until its batch commits. */
static int put_result(struct taxid_ctx *ctx, enum taxid_code code, json_t *out, json_t *ref, long line, int batch)
{
	if (chunk_results) { /* a worker: the parent writes them in input order (record_jobs.c) */
		result_line(chunk_results, ctx, code, out, ref, line);
		return chunk_results->bad ? -1 : 0;
	}
	result_line(batch ? &pending : &now_line, ctx, code, out, ref, line);
	/* once standard output is a CSV file, a refusal's line goes to standard error (taxid(7), "Spreadsheets") */
	return batch ? (pending.bad ? -1 : 0) : taxid_json_write(&now_line, ctx->csv_started ? stderr : ctx->out);
}

/* ---- the loop ---- */

struct loop {
	int in_tx;
	long in_batch;
	int commit_failed; /* flush_batch said why and set the exit status: the reader's stop is not an I/O error */
	int conflict;      /* a request of the batch being run again lost a write conflict (PostgreSQL) */
};

static struct loop L;

/* PostgreSQL (issue 16): the requests of the open batch, kept until it commits, so that a batch that loses a
 * write conflict runs again whole — nothing of it was kept and none of its results was written. With what the
 * counters and the exit status were when it began. Not kept on SQLite, where a batch holds the write lock. */
static struct {
	json_t **req;
	long *line;
	size_t n, cap;
	long done, refused;
	size_t pending_n; /* results written before the batch began (refusals of records that were not JSON) */
	int worst, replaying;
} R;

static void note_exit(enum taxid_exit e);
static int run_one(struct taxid_ctx *ctx, json_t *req, long line);
static enum taxid_exit worst;
static void refuse_record(struct taxid_ctx *ctx, enum taxid_code c, long line);

static void wipe_strings(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_string(j) && json_string_length(j))
		taxid_wipe((char *)(uintptr_t)json_string_value(j), json_string_length(j));
	else if (json_is_object(j))
		json_object_foreach(j, k, v) wipe_strings(v);
	else if (json_is_array(j))
		json_array_foreach(j, i, v) wipe_strings(v);
}

/* Let a copy of a request go, its strings wiped first (a request may carry passwords and codes). */
static void request_drop(json_t *j)
{
	if (j && j->refcount == 1)
		wipe_strings(j);
	json_decref(j);
}

static void replay_forget(void)
{
	for (size_t i = 0; i < R.n; i++)
		request_drop(R.req[i]);
	R.n = 0;
}

static int replay_keep(json_t *req, long line)
{
	if (R.n == R.cap) {
		size_t cap = R.cap ? R.cap * 2 : 256;
		json_t **r = realloc(R.req, cap * sizeof *r);
		if (r)
			R.req = r;
		long *l = r ? realloc(R.line, cap * sizeof *l) : NULL;
		if (!l)
			return -1;
		R.line = l;
		R.cap = cap;
	}
	/* a copy as it came: the handler wipes the secrets of the one it is given */
	if (!(R.req[R.n] = json_deep_copy(req)))
		return -1;
	R.line[R.n++] = line;
	return 0;
}

/* The handler's batch_end, if it set one (see record.h). */
static enum taxid_code batch_end(struct taxid_ctx *ctx, int commit)
{
	return ctx->batch_end ? ctx->batch_end(ctx, commit) : TAXID_OK;
}

/* Roll the open batch back and run its requests again, until it runs through without a conflict (its commit is
 * the caller's); 0, or -1 to stop (said, and the exit status set). */
static int replay_batch(struct taxid_ctx *ctx)
{
	for (int attempt = 1; attempt <= TAXID_DB_CONFLICT_TRIES; attempt++) {
		taxid_db_rollback(ctx);
		batch_end(ctx, 0);
		L.in_tx = 0;
		L.in_batch = 0;
		L.conflict = 0;
		pending.n = R.pending_n;
		ctx->done = R.done;
		ctx->refused = R.refused;
		worst = (enum taxid_exit)R.worst;
		taxid_db_conflict_pause(attempt);
		R.replaying = 1;
		int stop = 0;
		for (size_t i = 0; i < R.n && !stop && !L.conflict; i++)
			if (json_is_integer(R.req[i])) /* a record refused before it ran: refused again */
				refuse_record(ctx, (enum taxid_code)json_integer_value(R.req[i]), R.line[i]);
			else {
				json_t *req = json_deep_copy(R.req[i]);
				stop = req ? run_one(ctx, req, R.line[i]) : -1;
				request_drop(req);
			}
		R.replaying = 0;
		if (!L.conflict)
			return stop ? -1 : 0;
	}
	taxid_db_rollback(ctx);
	batch_end(ctx, 0);
	fprintf(stderr, "%s: database busy: the last %zu requests lost a write conflict %d times: nothing of them was "
			"kept; their results are not written\n", ctx->tool->name, R.n, TAXID_DB_CONFLICT_TRIES);
	L.in_tx = 0;
	L.in_batch = 0;
	L.commit_failed = 1;
	pending.n = 0;
	replay_forget();
	note_exit(TAXID_EXIT_TEMPFAIL);
	return -1;
}

/* Commit the open batch and write its results. A commit that fails (busy, disk full, a key rotated meanwhile)
 * keeps nothing of the batch: its results are dropped unwritten, the tool says so once with the reason and
 * stops with that reason's exit status (not 74, "cannot write results", which is for the output). Returns 0,
 * -1 when the output failed, -2 when the commit did (already said). */
static int flush_batch(struct taxid_ctx *ctx)
{
	if (L.in_tx) {
		enum taxid_code c;
		for (;;) {
			c = batch_end(ctx, 1);
			if (!c)
				c = taxid_db_commit(ctx);
			if (!(c && taxid_db_conflict(ctx)) || R.replaying)
				break;
			if (replay_batch(ctx))
				return -2;
		}
		if (c && R.replaying && taxid_db_conflict(ctx)) {
			L.conflict = 1; /* replay_batch runs it again */
			return 0;
		}
		replay_forget();
		if (c) {
			taxid_db_rollback(ctx);
			batch_end(ctx, 0);
			fprintf(stderr, "%s: the last %ld requests were not committed (%s: %s): nothing of them was kept; "
					"their results are not written\n",
				ctx->tool->name, L.in_batch, taxid_error_code(c), taxid_error_message(c, 0));
			L.in_tx = 0;
			L.in_batch = 0;
			L.commit_failed = 1;
			pending.n = 0;
			note_exit(taxid_error_exit(c) > TAXID_EXIT_REFUSED ? taxid_error_exit(c) : TAXID_EXIT_SOFTWARE);
			return -2;
		}
		L.in_tx = 0;
		L.in_batch = 0;
	}
	return taxid_json_write(&pending, ctx->out);
}

/* Before a read that would block, hand over what is done: pipelines stream, batches commit. A read that will
 * not block (a file, a producer ahead of us) goes on without it: committing there made a batch of whatever one
 * read held (about 170 import records of 64 KiB) instead of --batch-size, and each commit rewrote every index
 * page it had touched to the WAL, more of them as the indexes grew (issue 17 item 1). */
static int before_block(struct taxid_ctx *ctx)
{
	if (taxid_input_ready(0))
		return 0;
	if (ctx->action->flags & TAXID_ACT_BATCH && flush_batch(ctx))
		return -1;
	return fflush(ctx->out) == EOF ? -1 : 0;
}

static enum taxid_exit worst = TAXID_EXIT_OK;


static void note_exit(enum taxid_exit e)
{
	if (e > worst)
		worst = e;
}

void taxid_record_exit(enum taxid_exit e)
{
	note_exit(e);
}

enum taxid_exit taxid_record_worst(void)
{
	return worst;
}

void taxid_record_collect(struct taxid_json_buf *b)
{
	chunk_results = b;
}

/* The object a handler describes its result in: one kept from request to request and emptied, unless the
 * handler kept a reference to it. */
static json_t *spare_out;

static json_t *result_object(void)
{
	json_t *o = spare_out;
	spare_out = NULL;
	return o ? o : json_object();
}

static void result_object_done(json_t *o)
{
	if (o && o->refcount == 1 && !spare_out) {
		json_object_clear(o);
		spare_out = o;
	} else {
		json_decref(o);
	}
}

/* Run one request through the action's handler inside the transaction it needs; returns 0 to go on. */
static int run_one(struct taxid_ctx *ctx, json_t *req, long line)
{
	const struct taxid_action *a = ctx->action;
	json_t *out = result_object(), *ref = json_object_get(req, "ref");
	enum taxid_code c = TAXID_OK;
	int writes = ctx->db && ((a->flags & (TAXID_ACT_DB_WRITE | TAXID_ACT_BATCH)) || ctx->reveal);
	int batch = (a->flags & TAXID_ACT_BATCH) != 0;
	int savepoint = batch && !(a->flags & TAXID_ACT_CHECKS_FIRST);
	ctx->err_field = NULL;
	json_decref(ctx->err_detail);
	ctx->err_detail = NULL;
	ctx->keep_on_error = 0;
	ctx->csv_columns = NULL;
	ctx->line = line;
	json_incref(ref);

	int own = writes && !batch && (a->flags & TAXID_ACT_OWN_TX);
	int joined = 0; /* a request joining its batch's open transaction */
	int began;
	/* what a request that runs again starts from: the handler wipes the secrets of the one it is given */
	json_t *const given = req, *pristine = ctx->db_uri && writes && !batch ? json_deep_copy(req) : NULL;
	/* On PostgreSQL a request's transaction may lose a write conflict to another one (SERIALIZABLE, no
	 * database-wide lock): it was rolled back whole, so it runs again from the start, a bounded number of times. */
	for (int attempt = 1;; attempt++) {
		if (writes && !own) {
			if (batch) {
				joined = L.in_tx;
				if (!L.in_tx && !R.replaying) {
					replay_forget();
					R.done = ctx->done;
					R.refused = ctx->refused;
					R.worst = (int)worst;
					R.pending_n = pending.n;
				}
				if (!L.in_tx && !(c = taxid_db_begin(ctx)))
					L.in_tx = 1;
				if (!c && ctx->db_uri && !R.replaying && replay_keep(req, line))
					c = TAXID_E_INTERNAL;
				if (!c && savepoint)
					c = taxid_db_savepoint(ctx);
			} else {
				c = taxid_db_begin(ctx);
			}
		}
		began = writes && !own && !c;
		/* --reveal is an operator's action: it names who reveals before anything is shown (SECURITY rule 31) */
		const char *revealer = NULL;
		json_decref(ctx->reveal_subjects);
		ctx->reveal_subjects = NULL;
		ctx->reveal_more = 0;
		if (!c && ctx->reveal && ctx->db)
			revealer = taxid_reveal_operator(ctx, req, &c);
		taxid_db_request_reset(ctx);
		/* the key generation cannot change under the write lock a batch holds: the request that began it looked */
		if (!c && ctx->db && !joined)
			c = taxid_keys_refresh(ctx);
		if (!c)
			c = a->fn(ctx, req, out);
		/* a database error the handler did not pass on still decides the request (issue 15: taxid_q keeps it) */
		enum taxid_code dberr = taxid_db_request_error(ctx);
		if (dberr && taxid_error_exit(c) <= TAXID_EXIT_REFUSED)
			c = dberr;
		if (own) /* the handler opened its transaction (or returned before it needed one) */
			began = taxid_db_in_tx(ctx);
		if (!c && ctx->reveal && ctx->db && began)
			c = taxid_reveal_audit(ctx, revealer, a->name, line);
		if (began) {
			int keep = c == TAXID_OK || (ctx->keep_on_error && taxid_error_exit(c) == TAXID_EXIT_REFUSED);
			if (batch) {
				if (keep && savepoint) {
					enum taxid_code k = taxid_db_release(ctx);
					if (k)
						c = k;
				} else if (savepoint) {
					taxid_db_rollback_savepoint(ctx);
				}
				L.in_batch++;
			} else if (keep) {
				enum taxid_code k = taxid_db_commit(ctx);
				if (k) {
					taxid_db_rollback(ctx);
					c = k;
				}
			} else {
				taxid_db_rollback(ctx);
			}
		}
		if (!(c && taxid_db_conflict(ctx)) || (!batch && !pristine))
			break;
		if (batch) { /* the whole batch runs again (this request included); its result is written from there */
			int stop = 0;
			if (R.replaying)
				L.conflict = 1;
			else
				stop = replay_batch(ctx);
			result_object_done(out);
			json_decref(ref);
			return stop;
		}
		if (attempt == TAXID_DB_CONFLICT_TRIES) {
			fprintf(stderr, "%s: database busy: the request lost a write conflict %d times\n", ctx->tool->name, attempt);
			break;
		}
		taxid_db_rollback(ctx);
		json_object_clear(out);
		ctx->err_field = NULL;
		json_decref(ctx->err_detail);
		ctx->err_detail = NULL;
		ctx->keep_on_error = 0;
		c = TAXID_OK;
		taxid_db_conflict_pause(attempt);
		if (req != given)
			request_drop(req);
		if (!(req = json_deep_copy(pristine))) {
			req = given;
			c = TAXID_E_INTERNAL;
			break;
		}
	}
	if (req != given)
		request_drop(req);
	request_drop(pristine);
	ctx->done++;
	if (c)
		ctx->refused++;
	enum taxid_exit e = taxid_error_exit(c);
	note_exit(e);
	if (e > TAXID_EXIT_REFUSED)
		json_object_clear(out); /* a stopping error (I/O, busy, ...): nothing the handler described was kept */
	int rc = 0;
	if (!(c == TAXID_OK && (a->flags & TAXID_ACT_ROWS))) {
		if (put_result(ctx, c, out, ref, line, batch))
			rc = -1;
	}
	result_object_done(out);
	json_decref(ref);
	if (batch && L.in_batch >= ctx->batch_size && !R.replaying) {
		int f = flush_batch(ctx);
		if (f == -2)
			return -1;
		if (f)
			rc = -1;
	}
	if (rc) {
		fprintf(stderr, "%s: cannot write results: %s\n", ctx->tool->name, strerror(errno));
		note_exit(TAXID_EXIT_IOERR);
		return -1;
	}
	taxid_progress(ctx, ctx->done);
	return e > TAXID_EXIT_REFUSED ? -1 : 0;
}

static void refuse_record(struct taxid_ctx *ctx, enum taxid_code c, long line)
{
	if (L.in_tx && ctx->db_uri && !R.replaying) {
		json_t *mark = json_integer(c);
		replay_keep(mark, line);
		json_decref(mark);
	}
	put_result(ctx, c, NULL, NULL, line, (ctx->action->flags & TAXID_ACT_BATCH) != 0);
	ctx->done++;
	ctx->refused++;
	note_exit(TAXID_EXIT_REFUSED);
}

/* One request of either stream: the command line's members fill what it lacks, then it runs; 1 to stop. */
static int run_request(struct taxid_ctx *ctx, json_t *req, json_t *base, long line)
{
	if (base)
		json_object_update_missing(req, base);
	int stop = run_one(ctx, req, line);
	json_decref(req);
	return stop;
}

/* One record of the NDJSON stream as the reader found it: refused (too large, cut, not JSON, not an object),
 * or run; 1 to stop. */
int taxid_record_one(struct taxid_ctx *ctx, const char *p, size_t n, long line, int too_large, int cut, json_t *base)
{
	ctx->err_field = NULL;
	json_decref(ctx->err_detail);
	ctx->err_detail = NULL;
	if (too_large) {
		refuse_record(ctx, TAXID_E_REQUEST_TOO_LARGE, line);
		return 0;
	}
	json_error_t je;
	json_t *req = cut ? NULL : json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!req) {
		refuse_record(ctx, TAXID_E_BAD_JSON, line);
		return 0;
	}
	if (!json_is_object(req)) {
		json_decref(req);
		refuse_record(ctx, TAXID_E_BAD_REQUEST, line);
		return 0;
	}
	return run_request(ctx, req, base, line);
}

void taxid_record_read(struct taxid_ctx *ctx, int (*before)(struct taxid_ctx *),
		       int (*each)(struct taxid_ctx *, const char *, size_t, long, int, int, void *), void *arg)
{
	struct taxid_reader r = {.fd = 0, .cap = 1 << 16, .line = 1};
	r.buf = malloc(r.cap);
	if (!r.buf) {
		note_exit(TAXID_EXIT_SOFTWARE);
		return;
	}
	for (;;) {
		size_t vs, ve;
		long line;
		int too_large, cut;
		enum taxid_scan s = taxid_reader_next(ctx, &r, before, &vs, &ve, &line, &too_large, &cut);
		if (s == TAXID_SCAN_EOF)
			break;
		if (s == TAXID_SCAN_ERROR) {
			note_exit(L.commit_failed ? TAXID_EXIT_OK : TAXID_EXIT_IOERR);
			break;
		}
		if (each(ctx, r.buf + vs, ve - vs, line, too_large, cut, arg))
			break;
	}
	free(r.buf);
}

static int stream_record(struct taxid_ctx *ctx, const char *p, size_t n, long line, int too_large, int cut, void *base)
{
	return taxid_record_one(ctx, p, n, line, too_large, cut, base);
}

static void stream(struct taxid_ctx *ctx, json_t *base)
{
	taxid_record_read(ctx, before_block, stream_record, base);
}

/* The requests as the rows of a CSV file (--input csv): the same loop over the objects they make. */
static void stream_csv(struct taxid_ctx *ctx, json_t *base)
{
	struct taxid_csv_in *in = taxid_csv_in_open(0);
	if (!in) {
		note_exit(TAXID_EXIT_SOFTWARE);
		return;
	}
	for (;;) {
		json_t *req;
		long line = 0;
		enum taxid_code refusal;
		ctx->err_field = NULL;
		json_decref(ctx->err_detail);
		ctx->err_detail = NULL;
		enum taxid_scan s = taxid_csv_next(ctx, in, before_block, &req, &line, &refusal);
		if (s != TAXID_SCAN_OK) {
			if (s == TAXID_SCAN_ERROR)
				note_exit(L.commit_failed ? TAXID_EXIT_OK : TAXID_EXIT_IOERR);
			break;
		}
		if (refusal) {
			refuse_record(ctx, refusal, line);
			continue;
		}
		if (run_request(ctx, req, base, line))
			break;
	}
	taxid_csv_in_close(in);
}

/* Open the database with what it needs before a request: the keys, its mode (normal or test), the audit
 * chain's hook (issue 15: db knows none of them). */
static enum taxid_code open_db(struct taxid_ctx *ctx, int create)
{
	/* A new database's first tools each write its key check, mode and audit settings: on PostgreSQL the losers of
	 * that race open again */
	for (int attempt = 1;; attempt++) {
		int unbound = 0;
		enum taxid_code c = taxid_db_open(ctx, create);
		if (c || !ctx->db)
			return c;
		if (!(c = taxid_keys_load(ctx, &unbound)) && !(c = taxid_dbmode_load(ctx, unbound)) &&
		    !(c = taxid_audit_attach(ctx)))
			return TAXID_OK;
		int conflict = taxid_db_conflict(ctx);
		taxid_db_close(ctx);
		if (!conflict)
			return c;
		if (attempt == TAXID_DB_CONFLICT_TRIES) {
			fprintf(stderr, "%s: database busy: opening '%s' lost a write conflict %d times\n", ctx->tool->name,
				ctx->db_path, attempt);
			return c;
		}
		taxid_db_conflict_pause(attempt);
	}
}

enum taxid_code taxid_record_open(struct taxid_ctx *ctx)
{
	return open_db(ctx, 0);
}

/* --jobs, else the number of processors; 1 unless the run may use workers (record_jobs.c). */
static int jobs_for(struct taxid_ctx *ctx)
{
	long n = ctx->jobs ? ctx->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 1 || !taxid_jobs_fit(ctx))
		return 1;
	return n > TAXID_MAX_JOBS ? TAXID_MAX_JOBS : (int)n;
}

int taxid_main(const struct taxid_tool *tool, int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "__complete") == 0)
		return taxid_cmdline_complete(tool, argc - 2, argv + 2);
	static struct taxid_ctx C;
	struct taxid_ctx *ctx = &C;
	json_t *req = NULL;
	int single = 0;
	ctx->tool = tool;
	int rc = taxid_cmdline_parse(ctx, argc, argv, &req, &single);
	if (rc >= 0)
		return rc;

	enum taxid_code c = TAXID_OK;
	const struct taxid_action *act = ctx->action;
	if (act->flags & TAXID_ACT_DB_READ)
		c = open_db(ctx, 0);
	else if (act->flags & (TAXID_ACT_DB_WRITE | TAXID_ACT_BATCH))
		c = open_db(ctx, 1);
	else if (act->flags & TAXID_ACT_DB_OPTIONAL || ctx->reveal)
		/* with --reveal an existing database is opened so that the reveal is audited */
		c = open_db(ctx, -1);
	if (c) {
		json_decref(req);
		return taxid_error_exit(c);
	}

	taxid_progress_start();
	int jobs;
	if (single)
		run_one(ctx, req, 0);
	else if (ctx->input_csv)
		stream_csv(ctx, json_object_size(req) ? req : NULL);
	else if ((jobs = jobs_for(ctx)) > 1)
		taxid_jobs_stream(ctx, json_object_size(req) ? req : NULL, jobs);
	else
		stream(ctx, json_object_size(req) ? req : NULL);
	json_decref(req);
	if (L.in_tx || pending.n) {
		if (worst > TAXID_EXIT_REFUSED && L.in_tx) {
			/* A stopping error: what was not committed is not reported as done. */
			taxid_db_rollback(ctx);
			batch_end(ctx, 0);
			L.in_tx = 0;
			pending.n = 0;
		} else if (flush_batch(ctx) == -1) {
			note_exit(TAXID_EXIT_IOERR);
		}
	}
	taxid_progress_end(ctx);
	if (fflush(ctx->out) == EOF || ferror(ctx->out)) {
		fprintf(stderr, "%s: cannot write results: %s\n", ctx->tool->name, strerror(errno));
		note_exit(TAXID_EXIT_IOERR);
	}
	/* taxid_main may run again in the same process (the fuzzer calls it once per input) */
	taxid_json_free(&pending);
	taxid_json_free(&now_line);
	json_decref(spare_out);
	spare_out = NULL;
	taxid_emit_free();
	json_decref(ctx->err_detail);
	json_decref(ctx->reveal_subjects);
	ctx->reveal_subjects = NULL;
	ctx->csv_columns = NULL;
	ctx->csv_started = 0;
	ctx->batch_end = NULL;
	L.commit_failed = 0;
	taxid_db_close(ctx);
	return worst;
}
