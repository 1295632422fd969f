/* login.c and login_reset.c: taxid-login's work — password step, second factor, sessions, password change and
 * reset, login-name change, QR login. Every decision runs in the request's BEGIN IMMEDIATE transaction. */
#ifndef TAXID_LOGIN_H
#define TAXID_LOGIN_H

#include <jansson.h>
#include <stdint.h>

#include "errors.h"

struct taxid_account;
struct taxid_ctx;

enum taxid_code taxid_login_password(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_2fa(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_passwd(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_rename(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_session_check(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_logout(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_revoke_all(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_qr_issue(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_qr_confirm(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_qr_poll(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* login_reset.c: forgot password (reset), and the hall's reset by an operator: a new initial password delivered
 * by SMS to the bound phone (must change). */
enum taxid_code taxid_login_reset(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_login_initial(struct taxid_ctx *ctx, json_t *req, json_t *out);

/* Shared by login.c and login_reset.c. */
#define TAXID_LOGIN_SCOPE_PASSWORD "password" /* the lock scope of the password (and of the checks that count like it) */
/* Set member key of o to the time t (RFC 3339, UTC). */
void taxid_login_set_time(json_t *o, const char *key, int64_t t);
/* The resident-ID number of a person (the face subject), decrypted and malloc'd; NULL when they have none. */
char *taxid_login_resident_number(struct taxid_ctx *ctx, long long person_id);
/* Load the account as a login would: not abnormal, no lock on password or a second factor (rule 25); *a is
 * cleared on a refusal. */
enum taxid_code taxid_login_account_ok(struct taxid_ctx *ctx, long long aid, struct taxid_account *a);
/* login_licence.c: electronic business licence login (电子营业执照扫码, issue 14 item 5). */
enum taxid_code taxid_login_licence(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Replace a's password by new_pw once it passes the policy (not the current one: password_reused); field names it
 * in refusals. */
enum taxid_code taxid_login_set_password(struct taxid_ctx *ctx, struct taxid_account *a, const char *new_pw,
					 const char *field);

#endif
