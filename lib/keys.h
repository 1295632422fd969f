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
	/* issue 18 item 2: enc and index come from the data key of a generation, which taxid-db keys rotate
	 * replaces (secret, pepper, check and audit never change: see taxid-db(1)). During a rotation enc and index
	 * are the new generation's and enc_old, index_old the previous one's. */
	long long gen; /* the generation enc and index belong to */
	int rotating;
	unsigned char enc_old[32], index_old[32];
	int test_file; /* the key file says "mode test": only then may a database under it be a test database */
};

/* Right after the database is opened: load the key file of ctx->db into the database's keys and point ctx->keys
 * at them; *unbound says whether the database had no key yet (new, or a first run stopped before the key file
 * was written): then the key file is created 0600 when missing and the database bound to it. A group- or
 * world-accessible or mismatched key file is refused. The keys are wiped by taxid_db_close. */
enum taxid_code taxid_keys_load(struct taxid_ctx *ctx, int *unbound);
/* Load the keys again (the rotation state in meta changed inside the caller's transaction). */
enum taxid_code taxid_keys_reload(struct taxid_ctx *ctx);
/* The rotation state in meta: the data key's generation (1 when never rotated) and the one a rotation in
 * progress converts to (0 when none). */
enum taxid_code taxid_keys_state(struct taxid_ctx *ctx, long long *gen, long long *next);
/* Before each request: load the keys again when a rotation began or ended since they were loaded (a tool
 * reading requests for hours follows the rotation). */
enum taxid_code taxid_keys_refresh(struct taxid_ctx *ctx);
/* Before a commit: key_unavailable when the generation that seals now is not the one this process loaded (the
 * key was rotated while it ran), so that nothing is ever sealed with a key about to be dropped. */
enum taxid_code taxid_keys_current(struct taxid_ctx *ctx);
/* Rotation, step 1: make sure the key file holds a data key of generation next beside gen's (reusing one a run
 * killed earlier wrote, else a new random one written atomically: temporary file 0600, fsync, rename); check
 * gets its key check value in hex. */
enum taxid_code taxid_keys_prepare_next(struct taxid_ctx *ctx, long long gen, long long next, char check[65]);
/* Rotation, last step: rewrite the key file (atomically) without the data keys older than generation gen;
 * *dropped says whether it held any. */
enum taxid_code taxid_keys_drop_old(struct taxid_ctx *ctx, long long gen, int *dropped);
/* The path of the key file of ctx's database (--key-file, $TAXID_KEYFILE, else DB.key); malloc'd. */
char *taxid_key_path(const struct taxid_ctx *ctx);

/* Blind index of a value of a kind ("doc:201", "phone", "card", "login"): HMAC-SHA256(index key, kind NUL value). */
void taxid_pii_index(const struct taxid_keys *k, const char *kind, const char *value, unsigned char out[32]);
/* During a rotation, the blind index under the previous key into out and 1; 0 (out untouched) otherwise. A
 * look-up by blind index matches either while rows are converted. */
int taxid_pii_index_old(const struct taxid_keys *k, const char *kind, const char *value, unsigned char out[32]);
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
