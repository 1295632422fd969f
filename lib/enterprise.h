/* enterprise.c: enterprises — the core record (taxpayer number, name, status, credit, risk flags, legal
 * representative and finance manager by document), its operator actions, and the relation rows and small helpers
 * taxid-bind's files share (DOMAIN §5, §8). */
#ifndef TAXID_ENTERPRISE_H
#define TAXID_ENTERPRISE_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

/* An enterprise as loaded. Strings malloc'd; free with taxid_enterprise_clear. */
struct taxid_enterprise {
	long long id;
	char tin[40];
	char *name;
	char status[16];
	char credit[2];              /* "" when unrated */
	int blacklist, realname_risk;
	int rep_type;                /* the legal representative's document type */
	unsigned char rep_index[32]; /* and its blind index */
	int fin_type;                /* the finance manager's; 0 when none */
	unsigned char fin_index[32];
	/* during a key rotation: the blind indexes under the previous key (rep_index and fin_index are then the
	 * new key's, whichever the row holds yet) */
	unsigned char rep_index_old[32], fin_index_old[32];
	char *declpw_hash;           /* NULL when no declaration password is set */
	char declpw_set_at[24];
	char created_at[24], updated_at[24];
};

/* Validate and normalise the request member field as a taxpayer identification number (the validator's reason
 * on failure), then load the enterprise (not_found). */
enum taxid_code taxid_enterprise_load(struct taxid_ctx *ctx, json_t *req, const char *field, struct taxid_enterprise *e);
/* Load by row id. */
enum taxid_code taxid_enterprise_load_id(struct taxid_ctx *ctx, long long id, struct taxid_enterprise *e);
void taxid_enterprise_clear(struct taxid_enterprise *e);
/* The person holding the document of blind index index (and of old, when not NULL, during a key rotation) (a role holder of a core record): *person_id 0 when the
 * registry does not know them; *level (may be NULL) their real-name level. */
enum taxid_code taxid_enterprise_holder(struct taxid_ctx *ctx, const unsigned char index[32], const unsigned char *old,
					long long *person_id, int *level);
/* The same for a holder of e (which 0 the legal representative, 1 the finance manager): during a key rotation
 * under either key. */
enum taxid_code taxid_enterprise_holder_of(struct taxid_ctx *ctx, const struct taxid_enterprise *e, int which,
					   long long *person_id, int *level);
/* The decrypted name a core record gives its legal representative (which 0) or finance manager (1); malloc'd or NULL. */
char *taxid_enterprise_holder_name(struct taxid_ctx *ctx, long long enterprise_id, int which);

/* Today in the operator's calendar as YYYY-MM-DD. */
void taxid_bind_today(struct taxid_ctx *ctx, char out[11]);
/* 1 when s is one of the NULL-terminated list. */
int taxid_bind_one_of(const char *s, const char *const *list);
/* The detail of a bad_value refusal: {"allowed": [list...]}. */
json_t *taxid_bind_allowed(const char *const *list);
/* Append one history row of a relation (by_person or by_operator may be 0/NULL; note may be NULL). */
enum taxid_code taxid_relation_event(struct taxid_ctx *ctx, long long relation_id, const char *event, long long by_person,
				     const char *by_operator, const char *note);
/* Create a relation and its first history row; *id gets the row id. permissions is a JSON array (borrowed). */
enum taxid_code taxid_relation_create(struct taxid_ctx *ctx, long long enterprise_id, long long person_id, const char *role,
				      json_t *permissions, const char *origin, const char *state, const char *valid_from,
				      const char *valid_until, long long by_person, const char *by_operator, long long *id);
/* Change a relation's state and record why (event) in its history. */
enum taxid_code taxid_relation_set_state(struct taxid_ctx *ctx, long long relation_id, const char *state, const char *event,
					 long long by_person, const char *by_operator, const char *note);

/* Actions of taxid-bind: the enterprise core record (operator actions). */
enum taxid_code taxid_enterprise_add(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_enterprise_show(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_enterprise_list(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_enterprise_update(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_enterprise_import(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
