/* lockctl.c: taxid-lockout's work — lock policy, status, list, history and operator unlock over lockout.c. */
#ifndef TAXID_LOCKCTL_H
#define TAXID_LOCKCTL_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

enum taxid_code taxid_lockctl_policy_show(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_policy_set(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_policy_profile(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_status(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_list(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_history(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_lockctl_clear(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
