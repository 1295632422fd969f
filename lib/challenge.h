/* challenge.c: short-lived secrets with a purpose, a subject, an expiry, an attempt count and single use
 * (SMS codes, login transactions, QR nonces); only keyed hashes are stored. SMS codes and their outbox. */
#ifndef TAXID_CHALLENGE_H
#define TAXID_CHALLENGE_H

#include <stdint.h>
#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

#define TAXID_CHALLENGE_ID_LEN 32 /* base64url of 18 random bytes = 24 chars, room to spare */
#define TAXID_CHALLENGE_KEY_LEN 48 /* what challenge.id stores: base64url of a 32-byte HMAC = 43 chars */

/* Create a challenge: id is written (base64url, >= 128 bits); secret may be NULL (the id is the secret).
 * data (borrowed, may be NULL) is kept with it for the owner. */
enum taxid_code taxid_challenge_create(struct taxid_ctx *ctx, const char *purpose, const unsigned char subject[32],
				       const char *secret, int ttl, int max_attempts, json_t *data,
				       char id[TAXID_CHALLENGE_ID_LEN], int64_t *expires_at);
/* Check a challenge: exists, purpose and (when subject is not NULL) subject match, not expired, not used, and the
 * secret matches (when it has one). A wrong secret counts an attempt (kept even though the request is refused);
 * the last allowed wrong attempt kills it. consume marks it used on success. *data gets a new reference to its data. */
enum taxid_code taxid_challenge_check(struct taxid_ctx *ctx, const char *id, const char *purpose,
				      const unsigned char subject[32], const char *secret, int consume,
				      const char *field, json_t **data);
/* The same, for a challenge found by a query (id is challenge.id as stored, e.g. the open hall code of a person). */
enum taxid_code taxid_challenge_check_key(struct taxid_ctx *ctx, const char *id, const char *purpose,
					  const unsigned char subject[32], const char *secret, int consume,
					  const char *field, json_t **data);
/* Replace the data kept with an open challenge (e.g. the account that confirmed a QR nonce). */
enum taxid_code taxid_challenge_set_data(struct taxid_ctx *ctx, const char *id, json_t *data);
/* Kill every open challenge of a purpose for a subject (e.g. when a lock triggers). */
enum taxid_code taxid_challenge_kill(struct taxid_ctx *ctx, const char *purpose, const unsigned char subject[32]);

/* Send an SMS code for purpose to a normalised phone: cooldown, daily cap, a 6-digit code from the CSPRNG,
 * stored as a keyed hash; the message goes to the outbox encrypted. out gets challenge and expires_at. */
enum taxid_code taxid_sms_send(struct taxid_ctx *ctx, const char *phone, const char *purpose, json_t *out);
/* The class of an SMS purpose: 0 the bound phone's holder authenticating (login, reset, declpw), 1 open (register,
 * change, maintain: anyone may ask, with their own daily cap), -1 unknown (refused). */
int taxid_sms_purpose_class(const char *purpose);
/* Check {"challenge","code"} (the request member named field) for purpose and phone (NULL: any phone); consumes on success. */
enum taxid_code taxid_sms_check(struct taxid_ctx *ctx, json_t *sms, const char *phone, const char *purpose,
				const char *field);
/* Queue a message for the gateway (to and body are encrypted at rest). */
enum taxid_code taxid_outbox_put(struct taxid_ctx *ctx, const char *channel, const char *to, const char *body);

#endif
