/* bind_actor.c: who asks in taxid-bind — the session's person and account, the gates before any business for an
 * enterprise, and the person's standing (strongest current role) there; shared by bind.c, bind_enter.c and
 * bind_declpw.c. */
#ifndef TAXID_BIND_ACTOR_H
#define TAXID_BIND_ACTOR_H

#include <jansson.h>

#include "account.h"
#include "enterprise.h"
#include "errors.h"

struct taxid_ctx;

/* The person asking: a personal session, since every action here is the person's (SECURITY rule 25). */
struct taxid_bind_actor {
	struct taxid_account a;
	struct taxid_session sess;
	char id[40]; /* "account:<id>", the audit's actor */
};

/* The strongest active, current role of a person at an enterprise today: role "" when none. permissions is owned
 * (json_decref it). */
struct taxid_bind_standing {
	long long relation;
	char role[24];
	json_t *permissions;
	char valid_until[11];
};

/* The core roles (the enterprise's core record names them), NULL-terminated. */
extern const char *const taxid_bind_core_roles[];

/* The "session" member's person, refused when their identity is abnormal. */
enum taxid_code taxid_bind_actor_load(struct taxid_ctx *ctx, json_t *req, struct taxid_bind_actor *w);
/* The gates before any business for an enterprise: its status, the person's real-name level (policy), and for an
 * enterprise rated D, blacklisted or on the real-name risk list, its legal representative's collection. */
enum taxid_code taxid_bind_gate(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const struct taxid_enterprise *e);
/* Session, enterprise (member "tin") and, when gated, the gates. Release both with taxid_bind_end. */
enum taxid_code taxid_bind_begin(struct taxid_ctx *ctx, json_t *req, struct taxid_bind_actor *w, struct taxid_enterprise *e,
				 int gated);
void taxid_bind_end(struct taxid_bind_actor *w, struct taxid_enterprise *e);
enum taxid_code taxid_bind_standing_of(struct taxid_ctx *ctx, long long enterprise_id, long long person_id,
				       struct taxid_bind_standing *s);
/* The asker's standing at e into *s, which must be one of roles: else not_authorized on "session", naming their role. */
enum taxid_code taxid_bind_need_role(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const struct taxid_enterprise *e,
				     const char *const *roles, struct taxid_bind_standing *s);
/* The roles that may authorise others in role (DOMAIN §8): legal representative and finance manager every role,
 * an administrator every role but administrator. */
const char *const *taxid_bind_managers(const char *role);
int taxid_bind_is_core(const char *role);
/* The members valid_from (default today) and valid_until (optional), calendar dates, inclusive; valid_until
 * neither past nor before valid_from (bad_value). */
enum taxid_code taxid_bind_read_validity(struct taxid_ctx *ctx, json_t *req, char from[11], char until[11]);
/* bind_enter.c: issue the enterprise session of scope, derived from the asker's session (its locks checked, never
 * past its expiry), into out's "session". */
enum taxid_code taxid_bind_issue(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const char *scope, json_t *out);
/* bind_agency.c: enter client e as the staff of the agency named by member "agency", under a current agreement. */
enum taxid_code taxid_bind_enter_agency(struct taxid_ctx *ctx, json_t *req, const struct taxid_bind_actor *w,
					const struct taxid_enterprise *e, json_t *out);
/* Wipe a secret request member in place once it is no longer needed (SECURITY rule 21). */
void taxid_bind_wipe_member(json_t *req, const char *key);

#endif
