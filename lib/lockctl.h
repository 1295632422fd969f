/* lockctl.c: taxid-lockout's work — lock policy, status, list, history and operator unlock over lockout.c. */
#ifndef TAXID_LOCKCTL_H
#define TAXID_LOCKCTL_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

enum taxid_code taxid_lockctl_policy_show(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_policy_set(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* The lock policy parser alone, without the database (policy set uses it; so does the fuzzer): check a request
 * and give the row it would store, {scope, threshold, window, window_seconds, duration, duration_seconds}. */
enum taxid_code taxid_lockctl_policy_parse(struct taxid_ctx *ctx, json_t *req, json_t **row);
enum taxid_code taxid_lockctl_policy_profile(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_status(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_list(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_history(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_clear(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
