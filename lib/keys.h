/* keys.c: the key file beside the database and the keys derived from it; pii helpers over them. */
#ifndef TAXID_KEYS_H
#define TAXID_KEYS_H

#include <stddef.h>
#include "errors.h"

struct taxid_ctx;

/* Keys derived from the master key in the key file; never stored in the database. */
struct taxid_keys {
	unsigned char enc[32];    /* AES-256-GCM for personal data */
	unsigned char index[32];  /* HMAC blind index */
	unsigned char secret[32]; /* keyed hashes of codes, tokens and challenges */
	unsigned char pepper[32]; /* HMAC before argon2 */
	unsigned char check[32];  /* key check value stored in meta */
	unsigned char audit[32];  /* HMAC of the audit chain */
};

/* Right after the database is opened: load the key file of ctx->db into the database's keys and point ctx->keys
 * at them; *unbound says whether the database had no key yet (new, or a first run stopped before the key file
 * was written): then the key file is created 0600 when missing and the database bound to it. A group- or
 * world-accessible or mismatched key file is refused. The keys are wiped by taxid_db_close. */
enum taxid_code taxid_keys_load(struct taxid_ctx *ctx, int *unbound);
/* The path of the key file of ctx's database (--key-file, $TAXID_KEYFILE, else DB.key); malloc'd. */
char *taxid_key_path(const struct taxid_ctx *ctx);

/* Blind index of a value of a kind ("doc:201", "phone", "card", "login"): HMAC-SHA256(index key, kind NUL value). */
void taxid_pii_index(const struct taxid_keys *k, const char *kind, const char *value, unsigned char out[32]);
/* Encrypt a personal-data string bound to its kind; malloc'd blob, *len set; NULL on failure. */
unsigned char *taxid_pii_seal(const struct taxid_keys *k, const char *kind, const char *plain, size_t *len);
/* Decrypt a blob sealed for kind; malloc'd NUL-terminated string, NULL when not authentic. */
char *taxid_pii_open(const struct taxid_keys *k, const char *kind, const void *blob, size_t len);
/* Keyed hash of a secret bound to a context string (codes, tokens): HMAC(secret key, context NUL secret). */
void taxid_secret_hash(const struct taxid_keys *k, const char *context, const char *secret, size_t len,
		       unsigned char out[32]);

/* Masks for output: document numbers keep their first 6 and last 4 characters (shorter ones fewer),
 * phones 3 + 4, bank cards the last 4. out must hold strlen(in)+1 bytes. */
void taxid_mask_doc(const char *in, char *out);
void taxid_mask_phone(const char *in, char *out);
void taxid_mask_card(const char *in, char *out);

#endif
