/* bind.c, bind_enter.c, bind_declpw.c: the relations of persons to enterprises — binding, two-way authorisation,
 * revocation, unbinding, listing, maintaining a related person's phone; entering an enterprise; the declaration
 * password (DOMAIN §5, §8). The enterprise record itself is enterprise.h's. */
#ifndef TAXID_BIND_H
#define TAXID_BIND_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

/* Actions of taxid-bind: persons and enterprises (each from a logged-in person's "session"). */
enum taxid_code taxid_bind_bind(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_grant(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_request(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_confirm(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_revoke(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_unbind(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_list(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_maintain(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* bind_enter.c */
enum taxid_code taxid_bind_enter(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* bind_agency.c: agency agreements — the client grants a tax agency agency_filing, both sides list, either revokes */
enum taxid_code taxid_bind_agency_grant(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_agency_list(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_agency_revoke(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* bind_region.c: the tax authorities an enterprise is registered with (operator's register, anyone's list);
 * enter's optional "authority" must be one of them (authority_not_registered), *authority NULL when not given. */
enum taxid_code taxid_enterprise_register(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_enterprise_registrations(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_authority_check(struct taxid_ctx *ctx, json_t *req, long long enterprise_id, const char **authority);
/* bind_declpw.c (clear is an operator's action at a hall) */
enum taxid_code taxid_bind_declpw_set(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_declpw_reset(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_bind_declpw_clear(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
