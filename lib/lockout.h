/* lockout.c: the one lock mechanism — counters keyed by (scope, subject), policy rows, one decision function. */
#ifndef TAXID_LOCKOUT_H
#define TAXID_LOCKOUT_H

#include <stdint.h>
#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

#define TAXID_LOCK_PERMANENT INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* The state of one counter after a decision. */
struct taxid_lock_state {
	int failures;
	int locked;
	int64_t locked_until;   /* when locked */
	int captcha;            /* the next attempt needs a captcha verdict (password scope) */
	int threshold;
};

/* Subject keys: "account:<id>" for a known account, "shadow:<hex>" (keyed hash of the normalised account
 * string) for an unknown one, so unknown accounts lock exactly like known ones. */
void taxid_lock_subject_account(long long account_id, char out[40]);
void taxid_lock_subject_shadow(struct taxid_ctx *ctx, const char *account_string, char out[80]);

/* Read the counter for (scope, subject). An expired lock is lifted here, once, with an "unlock_time" audit row.
 * Returns TAXID_E_LOCKED (detail locked_until) when locked now, else TAXID_OK. Inside the caller's transaction. */
enum taxid_code taxid_lock_check(struct taxid_ctx *ctx, const char *scope, const char *subject,
				 struct taxid_lock_state *st);
/* Count one failure (source: a short word for status, e.g. "password", "sms"); locks at the policy threshold
 * (audited). Sets captcha for the password scope. The caller keeps the change although the request is refused. */
enum taxid_code taxid_lock_fail(struct taxid_ctx *ctx, const char *scope, const char *subject, const char *source,
				struct taxid_lock_state *st);
/* A success resets the counter (and the captcha requirement). */
enum taxid_code taxid_lock_success(struct taxid_ctx *ctx, const char *scope, const char *subject);
/* Operator or reset unlock: clears counter and lock, audited with reason and actor. *was_locked tells. */
enum taxid_code taxid_lock_clear(struct taxid_ctx *ctx, const char *scope, const char *subject, const char *reason,
				 const char *actor, int *was_locked);
/* A JSON description of a counter (scope, failures, locked, locked_until, captcha_required, last_source). */
json_t *taxid_lock_json(struct taxid_ctx *ctx, const char *scope, const char *subject);

#endif
