/* crypto.c: every cryptographic primitive taxid uses, over OpenSSL 3 and libargon2. */
#ifndef TAXID_CRYPTO_H
#define TAXID_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define TAXID_SHA256_LEN 32
#define TAXID_GCM_NONCE_LEN 12
#define TAXID_GCM_TAG_LEN 16
#define TAXID_GCM_OVERHEAD (TAXID_GCM_NONCE_LEN + TAXID_GCM_TAG_LEN)

/* Argon2id cost parameters (m in KiB). */
struct taxid_argon2_params {
	uint32_t m_kib, t_cost, parallelism;
};

/* Fill buf with len bytes from the CSPRNG; 0 on success, -1 on failure. */
int taxid_random_bytes(void *buf, size_t len);
/* Uniform integer in [0, bound) from the CSPRNG without modulo bias; -1 on failure. */
int64_t taxid_random_uniform(uint32_t bound);
/* A random password of len characters (len >= 8) with every character class (no look-alikes, no '@', which
 * begins a KEY=@FILE operand) into out[len + 1]; 0 on success, -1 on failure. */
int taxid_random_password(char *out, size_t len);
/* SHA-256 of data into out[32]. */
void taxid_sha256(const void *data, size_t len, unsigned char out[TAXID_SHA256_LEN]);
/* HMAC-SHA256 of data under key into out[32]. */
void taxid_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t len,
		       unsigned char out[TAXID_SHA256_LEN]);
/* Constant-time comparison: 1 when equal, 0 otherwise. */
int taxid_ct_equal(const void *a, const void *b, size_t len);
/* Wipe a secret buffer so the compiler cannot drop the write. */
void taxid_wipe(void *buf, size_t len);

/* AES-256-GCM seal: out gets nonce||ciphertext||tag (len + TAXID_GCM_OVERHEAD bytes); 0 on success. */
int taxid_aead_seal(const unsigned char key[32], const void *aad, size_t aadlen, const void *plain, size_t len,
		    unsigned char *out);
/* AES-256-GCM open of nonce||ciphertext||tag (sealedlen bytes) into out (sealedlen - overhead bytes); 0 when authentic. */
int taxid_aead_open(const unsigned char key[32], const void *aad, size_t aadlen, const unsigned char *sealed,
		    size_t sealedlen, unsigned char *out);

/* Standard base64 encode into a malloc'd NUL-terminated string (NULL on failure). */
char *taxid_base64_encode(const void *data, size_t len);
/* base64url without padding, malloc'd. */
char *taxid_base64url_encode(const void *data, size_t len);
/* Decode standard base64 (padding optional, no whitespace); malloc'd buffer, *outlen set; NULL on bad input. */
unsigned char *taxid_base64_decode(const char *s, size_t slen, size_t *outlen);
/* Lower-case hex of data into a malloc'd string. */
char *taxid_hex_encode(const void *data, size_t len);

/* Hash a password with argon2id into a PHC string (malloc'd); NULL on failure. */
char *taxid_argon2_hash(const char *password, size_t pwlen, const struct taxid_argon2_params *p);
/* Verify a password against a PHC string: 1 match, 0 mismatch, -1 malformed or out-of-bounds parameters.
 * Parameters are checked against sane bounds before any memory is allocated. */
int taxid_argon2_verify(const char *phc, const char *password, size_t pwlen);
/* Parse a PHC string's parameters; 0 when well-formed and within bounds. */
int taxid_argon2_parse(const char *phc, struct taxid_argon2_params *out);
/* 1 when the stored PHC string's parameters differ from policy p (needs rehash). */
int taxid_argon2_needs_rehash(const char *phc, const struct taxid_argon2_params *p);
/* Spend the same work as one verification, for unknown accounts (enumeration safety). */
void taxid_argon2_dummy(const char *password, size_t pwlen, const struct taxid_argon2_params *p);

/* Ed25519: 1 when sig (64 bytes) verifies msg under the PEM public key, 0 when not, -1 on a bad key. */
int taxid_ed25519_verify(const char *pem, const void *msg, size_t msglen, const unsigned char *sig, size_t siglen);
/* 0 when pem holds an Ed25519 public key (SubjectPublicKeyInfo PEM). */
int taxid_ed25519_check_key(const char *pem);
/* The key's fingerprint: SHA-256 of its DER SubjectPublicKeyInfo (as `openssl pkey -pubin -outform DER |
 * sha256sum`). 0 on success, -1 on a bad key. */
int taxid_ed25519_fingerprint(const char *pem, unsigned char out[TAXID_SHA256_LEN]);

#endif
