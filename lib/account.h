/* account.c: accounts (login name, phone, password), resolution of a login string, password policy and hashing,
 * sessions. A person has at most one account; a pensioner usually has none. */
#ifndef TAXID_ACCOUNT_H
#define TAXID_ACCOUNT_H

#include <stdint.h>
#include <jansson.h>
#include "crypto.h"
#include "errors.h"

struct taxid_ctx;

/* An account as loaded. Strings malloc'd; free with taxid_account_clear. */
struct taxid_account {
	long long id, person_id;
	char *login_name;
	char *phone;            /* decrypted normalised phone, or NULL */
	char *password_hash;
	int peppered, must_change;
	int64_t initial_expires_at; /* 0 when none */
	int64_t renamed_at;
	int level;              /* the person's real-name level */
	int abnormal;
};

/* Resolve a login string: a mobile number (phone), a resident-ID number (201 only), else a login name.
 * TAXID_OK with a, TAXID_E_NOT_FOUND, or a database error. normalized gets the canonical account string. */
enum taxid_code taxid_account_resolve(struct taxid_ctx *ctx, const char *account, struct taxid_account *a,
				      char normalized[80]);
/* Load by id / by person. */
enum taxid_code taxid_account_load(struct taxid_ctx *ctx, long long id, struct taxid_account *a);
enum taxid_code taxid_account_by_person(struct taxid_ctx *ctx, long long person_id, struct taxid_account *a);
void taxid_account_clear(struct taxid_account *a);

/* The argon2id parameters in force (settings password.m_kib/t_cost/parallelism; never below the OWASP floor). */
void taxid_password_params(struct taxid_ctx *ctx, struct taxid_argon2_params *p);
/* Login-name rule (DOMAIN §2): 2-16 letters, digits, CJK characters and underscore, not digits only. */
enum taxid_code taxid_login_name_check(struct taxid_ctx *ctx, const char *name, const char *field);
/* Password policy (DOMAIN §2 + SECURITY rule 4); context words (document number, phone, login name) may be NULL.
 * A refusal is password_policy with detail {"rule": ...}. */
enum taxid_code taxid_password_check(struct taxid_ctx *ctx, const char *pw, const char *doc_no, const char *phone,
				     const char *login_name, const char *field);
/* Hash a password for storage (peppered argon2id PHC string, malloc'd). */
char *taxid_password_hash(struct taxid_ctx *ctx, const char *pw);
/* Verify against a stored hash: 1 match, 0 no, -1 malformed. Exactly one argon2 computation. */
int taxid_password_verify(struct taxid_ctx *ctx, const char *phc, int peppered, const char *pw);
/* One argon2 computation's worth of work for paths that have nothing to verify (enumeration safety). */
void taxid_password_dummy(struct taxid_ctx *ctx, const char *pw);

/* Create an account for a person (inside the caller's transaction). password_hash is a PHC string (peppered says
 * whether taxid's pepper was applied); phone may be NULL. Refusals: login_name_taken, phone_taken,
 * identity_occupied. */
enum taxid_code taxid_account_create(struct taxid_ctx *ctx, long long person_id, const char *login_name,
				     const char *phone, const char *password_hash, int peppered, int must_change,
				     int64_t initial_expires_at, const char *region, json_t *consent, long long *account_id);
/* taxid_account_create in two steps, for a person the caller knows has no account (a bulk import checks
 * every refusal before it writes anything): available refuses login_name_taken or phone_taken and leaves the
 * phone's blind index in phone_idx (when phone is given); insert writes the account with that index. */
enum taxid_code taxid_account_available(struct taxid_ctx *ctx, const char *login_name, const char *phone,
					unsigned char phone_idx[32]);
enum taxid_code taxid_account_insert(struct taxid_ctx *ctx, long long person_id, const char *login_name,
				     const char *phone, const unsigned char phone_idx[32], const char *password_hash,
				     int peppered, int must_change, int64_t initial_expires_at, const char *region,
				     json_t *consent, long long *account_id);
/* Replace the password hash (clears must_change), and change phone. */
enum taxid_code taxid_account_set_password(struct taxid_ctx *ctx, long long account_id, const char *password_hash,
					   int peppered, int must_change);
enum taxid_code taxid_account_set_phone(struct taxid_ctx *ctx, long long account_id, const char *phone);
/* Raise a person's real-name level (never lowers it). */
enum taxid_code taxid_person_raise_level(struct taxid_ctx *ctx, long long person_id, int level);

/* Sessions (SECURITY rules 16, 25): a kind ("personal" or "enterprise", the latter scoped to one enterprise),
 * the second factor it was made with ("sms", "face", "password", "qr", or for an enterprise session its
 * parent's), and the session it was derived from. */
#define TAXID_TOKEN_LEN 48
struct taxid_session {
	long long id, account_id;
	char kind[16];   /* personal | enterprise */
	char factor[24]; /* the second factor it was made with */
	char scope[64];  /* "enterprise:<tin>" for an enterprise session, else "" */
	int64_t expires_at;
};
/* Issue a session (token written, 43 chars base64url). parent (may be NULL) is the session it derives from: the
 * new one never outlives the parent's absolute expiry. */
enum taxid_code taxid_session_issue(struct taxid_ctx *ctx, long long account_id, const char *kind, const char *factor,
				    const char *scope, const struct taxid_session *parent, char token[TAXID_TOKEN_LEN],
				    int64_t *expires_at);
/* Open the session whose token is the request member field (refreshes idle time): session_invalid, or
 * session_scoped for an enterprise session unless any_kind. */
enum taxid_code taxid_session_open(struct taxid_ctx *ctx, json_t *req, const char *field, int any_kind,
				   struct taxid_session *s);
/* A personal session from request member field: TAXID_OK with *account_id, session_invalid, or session_scoped. */
enum taxid_code taxid_session_check(struct taxid_ctx *ctx, json_t *req, const char *field, long long *account_id,
				    long long *session_id);
/* Whether session id is still alive (not revoked, not past its absolute expiry); *expires_at gets its expiry. */
int taxid_session_alive(struct taxid_ctx *ctx, long long session_id, int64_t *expires_at);
enum taxid_code taxid_session_revoke(struct taxid_ctx *ctx, long long session_id);
/* Revoke every session of an account except keep_session_id (0 for none); *count gets how many. */
enum taxid_code taxid_session_revoke_all(struct taxid_ctx *ctx, long long account_id, long long keep_session_id,
					 int *count);

#endif
