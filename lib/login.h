/* login.c: taxid-login's work — password step, second factor, sessions, password change and reset, login-name
 * change, QR login. Every decision runs in the request's BEGIN IMMEDIATE transaction. */
#ifndef TAXID_LOGIN_H
#define TAXID_LOGIN_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

enum taxid_code taxid_login_password(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_2fa(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_passwd(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_reset(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_rename(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_session_check(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_logout(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_revoke_all(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_qr_issue(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_qr_confirm(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_qr_poll(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Hall reset by an operator: a new initial password delivered by SMS to the bound phone (must change). */
enum taxid_code taxid_login_initial(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
