/* record_jobs.c: --jobs, a read-only NDJSON stream answered by worker processes in input order; and the parts of
 * the record loop (record.c) that the workers run. */
#ifndef TAXID_RECORD_JOBS_H
#define TAXID_RECORD_JOBS_H

#include <stddef.h>
#include <jansson.h>

#include "json_out.h"
#include "record.h"

/* 1 when the run may use workers: an NDJSON stream of an action that writes nothing (no database writes, batches,
 * rows, own transactions, files, or --reveal, whose audit row is a write). */
int taxid_jobs_fit(const struct taxid_ctx *ctx);
/* The NDJSON stream on standard input over n workers (2 to TAXID_MAX_JOBS), base filling what requests lack. */
void taxid_jobs_stream(struct taxid_ctx *ctx, json_t *base, int n);

/* record.c: the one reading loop over the NDJSON stream on standard input: each record as the reader found it goes
 * to each (1 to stop); before runs before a read that may block. */
void taxid_record_read(struct taxid_ctx *ctx, int (*before)(struct taxid_ctx *),
		       int (*each)(struct taxid_ctx *, const char *, size_t, long, int, int, void *), void *arg);
/* record.c: one record as the reader found it, refused or run; 1 to stop the stream. */
int taxid_record_one(struct taxid_ctx *ctx, const char *p, size_t n, long line, int too_large, int cut, json_t *base);
/* record.c: result lines go into b instead of standard output (a worker). */
void taxid_record_collect(struct taxid_json_buf *b);
/* record.c: the run's exit status so far, and a status to take into it (the worst wins). */
enum taxid_exit taxid_record_worst(void);
void taxid_record_exit(enum taxid_exit e);
/* record.c: open the database with its keys, mode and audit hook (a worker opens its own). */
enum taxid_code taxid_record_open(struct taxid_ctx *ctx);

#endif
