/* request.c: what a handler uses to answer one request (refusals, request members, rows, progress); it sits
 * below the record loop (lib/record.c), so the domain modules never link against the loop. */
#ifndef TAXID_REQUEST_H
#define TAXID_REQUEST_H

#include <jansson.h>

#include "db.h"
#include "errors.h"

struct taxid_ctx;

/* Refuse the current request naming the input field at fault (may be NULL); returns code. */
enum taxid_code taxid_fail(struct taxid_ctx *ctx, enum taxid_code code, const char *field);
/* Refuse with extra members in the error object (detail is stolen). */
enum taxid_code taxid_fail_detail(struct taxid_ctx *ctx, enum taxid_code code, const char *field, json_t *detail);
/* Keep the changes of a refused request (a counted failure): commit instead of rolling back. */
void taxid_keep_changes(struct taxid_ctx *ctx);
/* Print one row (ROWS actions); row is stolen. Returns TAXID_OK or TAXID_E_IO_ERROR. */
enum taxid_code taxid_emit(struct taxid_ctx *ctx, json_t *row);
/* The request's "format": json (the default) or csv, whose columns are columns (NULL-terminated; a dotted
 * name reaches into an object member, lib/csv_out.h); then taxid_emit prints CSV rows under one header. */
enum taxid_code taxid_req_format(struct taxid_ctx *ctx, json_t *req, const char *const *columns);
/* Print rows as CSV with these columns from now on, the header first (what taxid_req_format does for "csv"). */
enum taxid_code taxid_csv_begin(struct taxid_ctx *ctx, const char *const *columns);
/* Report progress of a long action (records done); prints on stderr at most twice a second when enabled. */
void taxid_progress(struct taxid_ctx *ctx, long done);
/* The record loop's side of progress: the clock starts, and the last line (when any was printed). */
void taxid_progress_start(void);
void taxid_progress_end(struct taxid_ctx *ctx);
/* Free the row buffer of taxid_emit at the end of a run. */
void taxid_emit_free(void);

/* 1 when a request member carries a secret (password, code, session token...): one table for the argv warning. */
int taxid_is_secret_member(const char *key);

/* Request field helpers: a required/optional string member, checked for type and UTF-8 and length.
 * On failure they record the refusal on ctx and return NULL with *err set. */
const char *taxid_req_str(struct taxid_ctx *ctx, json_t *req, const char *key, int required, enum taxid_code *err);
/* An optional integer member (def when absent); *err set on a wrong type. */
long long taxid_req_int(struct taxid_ctx *ctx, json_t *req, const char *key, long long def, enum taxid_code *err);
/* The row whose id is the required integer member `key`, by statement id (its ?1 the id): the statement stepped
 * onto it, for the caller to read and then end (taxid_q_end); NULL with *err set when the member is missing
 * (missing_field) or not an integer (bad_value), when no row has that id (not_found, naming the member), or when
 * the database failed. */
struct taxid_q *taxid_req_row(struct taxid_ctx *ctx, json_t *req, const char *key, enum taxid_stmt id,
			      enum taxid_code *err);
/* An optional boolean member. */
int taxid_req_bool(struct taxid_ctx *ctx, json_t *req, const char *key, int def, enum taxid_code *err);

#endif
