/* Every cryptographic primitive taxid uses, over OpenSSL 3 (EVP) and libargon2. */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "crypto.h"

/* OpenSSL lengths are ints: longer buffers go through in pieces of this size (a multiple of 3 and of 4). */
#define CHUNK ((size_t)3 << 28)

#define ARGON2_SALT_LEN 16
#define ARGON2_TAG_LEN 32
#define ARGON2_PHC_MAX 256
#define ARGON2_M_MIN 8
#define ARGON2_M_MAX 1048576
#define ARGON2_T_MAX 16
#define ARGON2_P_MAX 16

/*
 * Explicit fetches are cached: an implicit fetch (EVP_sha256() and friends) costs a method-store look-up on
 * every call, which halves the rate of the bulk paths.
 */
static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;
static EVP_CIPHER *gcm_cipher;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static pthread_key_t hmac_key; /* each thread's HMAC context, see hmac_context() */
static int hmac_key_ok;

/* A thread's HMAC contexts, each keyed with the key it last took (see hmac_slots()). */
#define HMAC_SLOTS 2
#define HMAC_KEY_MAX 64
struct hmac_slots {
	struct {
		EVP_MAC_CTX *ctx;
		unsigned char key[HMAC_KEY_MAX];
		size_t keylen; /* 0: not keyed yet */
	} s[HMAC_SLOTS];
	int next; /* the slot the next new key takes */
	/* The thread's sealing context, kept keyed with gcm_key (see seal_context()). */
	EVP_CIPHER_CTX *gcm;
	unsigned char gcm_key[32];
	int gcm_keyed;
};

static void hmac_context_free(void *p)
{
	struct hmac_slots *hs = p;
	for (int i = 0; i < HMAC_SLOTS; i++)
		EVP_MAC_CTX_free(hs->s[i].ctx);
	EVP_CIPHER_CTX_free(hs->gcm);
	OPENSSL_cleanse(hs, sizeof *hs);
	free(hs);
}

static void fetch_algorithms(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	hmac_key_ok = pthread_key_create(&hmac_key, hmac_context_free) == 0;
}

static void fetch(void)
{
	if (pthread_once(&fetch_once, fetch_algorithms) != 0)
		abort();
}

/* A digest that cannot be computed must not leave a predictable value behind (a blind index of zeros would
 * match every row), and the void interface has no way to say so: stop. */
static _Noreturn void fatal(const char *what)
{
	fprintf(stderr, "taxid: libcrypto failure in %s\n", what);
	abort();
}

int taxid_random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		size_t n = len > CHUNK ? CHUNK : len;

		if (RAND_bytes(p, (int)n) != 1) {
			ERR_clear_error();
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int64_t taxid_random_uniform(uint32_t bound)
{
	/* Values below 2^32 mod bound would make the low residues more likely: draw again. */
	uint32_t threshold, r;

	if (bound == 0)
		return -1;
	threshold = (uint32_t)(0u - bound) % bound;
	do {
		if (taxid_random_bytes(&r, sizeof r) != 0)
			return -1;
	} while (r < threshold);
	return (int64_t)(r % bound);
}

void taxid_sha256(const void *data, size_t len, unsigned char out[TAXID_SHA256_LEN])
{
	static const unsigned char empty;
	unsigned int outlen = 0;

	fetch();
	if (sha256_md == NULL || EVP_Digest(len ? data : &empty, len, out, &outlen, sha256_md, NULL) != 1 ||
	    outlen != TAXID_SHA256_LEN)
		fatal("sha256");
}

/*
 * HMAC contexts per thread, each kept keyed: creating a context and resolving its digest each time runs at
 * under half the rate the bulk blind-index work needs, and keying one (two SHA-256 blocks and the set-up of
 * three digest contexts) was still the larger part of a short HMAC. A bulk import alternates two keys (the
 * blind index and the audit chain), so two contexts keep their keys and a call with one of those keys only
 * resets its context. The slots hold the keyed inner and outer states and a copy of the key, no more secret
 * than the key the caller holds anyway; they are wiped and freed when their thread ends.
 */
static struct hmac_slots *hmac_slots(void)
{
	struct hmac_slots *hs;
	OSSL_PARAM params[2];

	fetch();
	if (!hmac_key_ok || hmac_mac == NULL)
		return NULL;
	if ((hs = pthread_getspecific(hmac_key)) != NULL)
		return hs;
	if ((hs = calloc(1, sizeof *hs)) == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char[]){"SHA2-256"}, 0);
	params[1] = OSSL_PARAM_construct_end();
	for (int i = 0; i < HMAC_SLOTS; i++)
		if ((hs->s[i].ctx = EVP_MAC_CTX_new(hmac_mac)) == NULL || EVP_MAC_CTX_set_params(hs->s[i].ctx, params) != 1) {
			hmac_context_free(hs);
			return NULL;
		}
	if (pthread_setspecific(hmac_key, hs) != 0) {
		hmac_context_free(hs);
		return NULL;
	}
	return hs;
}

void taxid_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t len,
		       unsigned char out[TAXID_SHA256_LEN])
{
	/* A NULL key tells EVP_MAC_init to keep the context's key: only for a slot keyed with this very key. */
	static const unsigned char empty;
	struct hmac_slots *hs = hmac_slots();
	size_t outlen = 0;
	int i, keep = 0;

	if (hs == NULL)
		fatal("hmac");
	for (i = 0; i < HMAC_SLOTS && keylen > 0 && keylen <= HMAC_KEY_MAX; i++)
		if (hs->s[i].keylen == keylen && CRYPTO_memcmp(hs->s[i].key, key, keylen) == 0) {
			keep = 1;
			break;
		}
	if (!keep) {
		i = hs->next;
		hs->next = (hs->next + 1) % HMAC_SLOTS;
		OPENSSL_cleanse(hs->s[i].key, sizeof hs->s[i].key);
		hs->s[i].keylen = 0;
	}
	EVP_MAC_CTX *ctx = hs->s[i].ctx;
	if (EVP_MAC_init(ctx, keep ? NULL : keylen ? key : &empty, keep ? 0 : keylen, NULL) != 1 ||
	    EVP_MAC_update(ctx, len ? data : &empty, len) != 1 ||
	    EVP_MAC_final(ctx, out, &outlen, TAXID_SHA256_LEN) != 1 || outlen != TAXID_SHA256_LEN)
		fatal("hmac");
	if (!keep && keylen > 0 && keylen <= HMAC_KEY_MAX) {
		memcpy(hs->s[i].key, key, keylen);
		hs->s[i].keylen = keylen;
	}
}

int taxid_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void taxid_wipe(void *buf, size_t len)
{
	if (buf != NULL && len > 0)
		OPENSSL_cleanse(buf, len);
}

/* GCM with one key and nonce is limited to 2^32 - 2 blocks of plaintext (SP 800-38D). */
#define GCM_MAX_PLAIN ((((uint64_t)1 << 32) - 2) * 16)

static int cipher_update(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t len)
{
	while (len > 0) {
		size_t n = len > CHUNK ? CHUNK : len;
		int outl = 0;

		if (EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1 || (out != NULL && (size_t)outl != n))
			return -1;
		in += n;
		if (out != NULL)
			out += n;
		len -= n;
	}
	return 0;
}

static EVP_CIPHER_CTX *gcm_context(const unsigned char key[32], const unsigned char nonce[TAXID_GCM_NONCE_LEN],
				   int enc)
{
	EVP_CIPHER_CTX *ctx;

	fetch();
	if (gcm_cipher == NULL || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	/* AES-GCM's default IV length is the 12 bytes we use. */
	if (EVP_CipherInit_ex2(ctx, gcm_cipher, key, nonce, enc, NULL) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * GCM nonces, drawn from the CSPRNG a page at a time rather than one RAND_bytes call each: the call's own
 * overhead (locking, the DRBG's checks) cost more than the whole AES-GCM seal it served, 6% of a bulk import's
 * instructions (issue 17 item 1). A nonce is public and only has to be unique, which random draws are however
 * they are grouped. The pool is per thread and belongs to the process that filled it: a child of fork() (the
 * --jobs workers) would otherwise hand out the same nonces as its parent, so it draws its own.
 */
#define NONCE_POOL 256
static _Thread_local struct {
	unsigned char bytes[NONCE_POOL * TAXID_GCM_NONCE_LEN];
	size_t left;
	pid_t pid;
} nonces;

static int gcm_nonce(unsigned char out[TAXID_GCM_NONCE_LEN])
{
	pid_t pid = getpid();
	if (nonces.left == 0 || nonces.pid != pid) {
		if (taxid_random_bytes(nonces.bytes, sizeof nonces.bytes) != 0)
			return -1;
		nonces.left = NONCE_POOL;
		nonces.pid = pid;
	}
	nonces.left--;
	unsigned char *p = nonces.bytes + nonces.left * TAXID_GCM_NONCE_LEN;
	memcpy(out, p, TAXID_GCM_NONCE_LEN);
	memset(p, 0, TAXID_GCM_NONCE_LEN); /* used once */
	return 0;
}

/*
 * A context to seal with under key and nonce: the thread's own, kept keyed, so that only the nonce is set when
 * the key is the one it holds (a new context and its AES and GHASH key set-up per seal were half of a seal's
 * cost once the nonces came from the pool). NULL when none can be had; the caller then tells seal_done.
 */
static EVP_CIPHER_CTX *seal_context(const unsigned char key[32], const unsigned char nonce[TAXID_GCM_NONCE_LEN])
{
	struct hmac_slots *hs = hmac_slots();
	if (hs == NULL || gcm_cipher == NULL || (hs->gcm == NULL && (hs->gcm = EVP_CIPHER_CTX_new()) == NULL))
		return NULL;
	int keep = hs->gcm_keyed && CRYPTO_memcmp(hs->gcm_key, key, 32) == 0;
	hs->gcm_keyed = 0; /* until this seal has gone through */
	if (EVP_CipherInit_ex2(hs->gcm, keep ? NULL : gcm_cipher, keep ? NULL : key, nonce, 1, NULL) != 1)
		return NULL;
	memcpy(hs->gcm_key, key, 32);
	return hs->gcm;
}

/* After a seal with seal_context's context: a failed one leaves it to be keyed afresh. */
static void seal_done(int ok)
{
	struct hmac_slots *hs = hmac_slots();
	if (hs != NULL)
		hs->gcm_keyed = ok;
}

int taxid_aead_seal(const unsigned char key[32], const void *aad, size_t aadlen, const void *plain, size_t len,
		    unsigned char *out)
{
	unsigned char *nonce, *ct, *tag;
	EVP_CIPHER_CTX *ctx = NULL;
	int outl = 0, rc = -1;

	if (out == NULL || (uint64_t)len > GCM_MAX_PLAIN || (len > 0 && plain == NULL) || (aadlen > 0 && aad == NULL))
		return -1;
	nonce = out;
	ct = out + TAXID_GCM_NONCE_LEN;
	tag = ct + len;
	fetch();
	if (gcm_nonce(nonce) != 0)
		goto out;
	if ((ctx = seal_context(key, nonce)) == NULL)
		goto out;
	if (cipher_update(ctx, NULL, aad, aadlen) != 0 || cipher_update(ctx, ct, plain, len) != 0)
		goto out;
	if (EVP_CipherFinal_ex(ctx, tag, &outl) != 1 || outl != 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAXID_GCM_TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	seal_done(rc == 0);
	if (rc != 0) {
		OPENSSL_cleanse(out, len + TAXID_GCM_OVERHEAD);
		ERR_clear_error();
	}
	return rc;
}

int taxid_aead_open(const unsigned char key[32], const void *aad, size_t aadlen, const unsigned char *sealed,
		    size_t sealedlen, unsigned char *out)
{
	unsigned char tag[TAXID_GCM_TAG_LEN], final[16];
	EVP_CIPHER_CTX *ctx = NULL;
	size_t len;
	int outl = 0, rc = -1;

	if (sealed == NULL || sealedlen < TAXID_GCM_OVERHEAD || (aadlen > 0 && aad == NULL))
		return -1;
	len = sealedlen - TAXID_GCM_OVERHEAD;
	if ((uint64_t)len > GCM_MAX_PLAIN || (len > 0 && out == NULL))
		return -1;
	/* The tag goes through a non-const pointer; copy it rather than cast the const away. */
	memcpy(tag, sealed + TAXID_GCM_NONCE_LEN + len, TAXID_GCM_TAG_LEN);
	if ((ctx = gcm_context(key, sealed, 0)) == NULL)
		goto out;
	if (cipher_update(ctx, NULL, aad, aadlen) != 0 ||
	    cipher_update(ctx, out, sealed + TAXID_GCM_NONCE_LEN, len) != 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAXID_GCM_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, final, &outl) != 1 || outl != 0)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(tag, sizeof tag);
	if (rc != 0) {
		/* Unauthenticated plaintext must never reach the caller. */
		if (out != NULL && len > 0)
			OPENSSL_cleanse(out, len);
		ERR_clear_error();
	}
	return rc;
}

/* Standard base64 with padding; NULL when the output size would overflow. */
static char *base64_encode(const unsigned char *data, size_t len, size_t *outlen)
{
	size_t groups = len / 3 + (len % 3 != 0), pos = 0;
	char *out;

	if (groups > (SIZE_MAX - 1) / 4 || (len > 0 && data == NULL))
		return NULL;
	if ((out = malloc(groups * 4 + 1)) == NULL)
		return NULL;
	out[0] = '\0';
	while (len > 0) {
		size_t n = len > CHUNK ? CHUNK : len;

		pos += (size_t)EVP_EncodeBlock((unsigned char *)out + pos, data, (int)n);
		data += n;
		len -= n;
	}
	*outlen = pos;
	return out;
}

char *taxid_base64_encode(const void *data, size_t len)
{
	size_t n;

	return base64_encode(data, len, &n);
}

char *taxid_base64url_encode(const void *data, size_t len)
{
	size_t n, i;
	char *s = base64_encode(data, len, &n);

	if (s == NULL)
		return NULL;
	while (n > 0 && s[n - 1] == '=')
		s[--n] = '\0';
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
	}
	return s;
}

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Check s as base64 before decoding: only the alphabet, then at most two '=' (only when allow_pad, and then
 * the length is a multiple of 4), no impossible length, and zero unused bits in the last character so each
 * byte string has exactly one accepted encoding. EVP_DecodeBlock alone skips whitespace and ignores padding.
 */
static int base64_check(const char *s, size_t slen, int allow_pad, size_t *body, size_t *datalen)
{
	size_t pad = 0, n, i;
	int last;

	while (pad < 2 && pad < slen && s[slen - 1 - pad] == '=')
		pad++;
	if (pad > 0 && (!allow_pad || slen % 4 != 0))
		return -1;
	n = slen - pad;
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++)
		if (base64_value((unsigned char)s[i]) < 0)
			return -1;
	if (n % 4 != 0) {
		last = base64_value((unsigned char)s[n - 1]);
		if ((n % 4 == 2 && (last & 0x0f) != 0) || (n % 4 == 3 && (last & 0x03) != 0))
			return -1;
	}
	*body = n;
	*datalen = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	return 0;
}

/* Decode a string base64_check accepted (body characters, padding excluded) into out. */
static int base64_decode_into(const char *s, size_t body, unsigned char *out, size_t datalen)
{
	size_t full = body - body % 4, off, n;
	unsigned char last[4] = {'=', '=', '=', '='}, tail[3];

	for (off = 0; off < full; off += n) {
		n = full - off > CHUNK ? CHUNK : full - off;
		if (EVP_DecodeBlock(out + off / 4 * 3, (const unsigned char *)s + off, (int)n) != (int)(n / 4 * 3))
			return -1;
	}
	if (body % 4 != 0) {
		memcpy(last, s + full, body % 4);
		if (EVP_DecodeBlock(tail, last, 4) != 3) {
			OPENSSL_cleanse(tail, sizeof tail);
			return -1;
		}
		memcpy(out + full / 4 * 3, tail, datalen - full / 4 * 3);
		OPENSSL_cleanse(tail, sizeof tail);
		OPENSSL_cleanse(last, sizeof last);
	}
	return 0;
}

unsigned char *taxid_base64_decode(const char *s, size_t slen, size_t *outlen)
{
	size_t body, datalen;
	unsigned char *out;

	if ((s == NULL && slen > 0) || base64_check(s, slen, 1, &body, &datalen) != 0)
		return NULL;
	if ((out = malloc(datalen ? datalen : 1)) == NULL)
		return NULL;
	if (base64_decode_into(s, body, out, datalen) != 0) {
		OPENSSL_cleanse(out, datalen);
		free(out);
		return NULL;
	}
	if (outlen != NULL)
		*outlen = datalen;
	return out;
}

char *taxid_hex_encode(const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	char *s;
	size_t i;

	if (len > (SIZE_MAX - 1) / 2 || (len > 0 && data == NULL))
		return NULL;
	if ((s = malloc(len * 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 0x0f];
	}
	s[2 * len] = '\0';
	return s;
}

static int argon2_params_ok(const struct taxid_argon2_params *p)
{
	return p != NULL && p->m_kib >= ARGON2_M_MIN && p->m_kib <= ARGON2_M_MAX && p->t_cost >= 1 &&
	       p->t_cost <= ARGON2_T_MAX && p->parallelism >= 1 && p->parallelism <= ARGON2_P_MAX &&
	       p->m_kib >= 8 * p->parallelism; /* libargon2's own floor: 8 KiB per lane */
}

/* Read "<key>=<decimal>" at *sp; values above max are refused as soon as the digits exceed it. */
static int phc_number(const char **sp, const char *param, uint32_t max, uint32_t *out)
{
	const char *s = *sp;
	size_t klen = strlen(param);
	uint64_t v = 0;

	if (strncmp(s, param, klen) != 0 || s[klen] != '=')
		return -1;
	s += klen + 1;
	if (*s < '1' || *s > '9') /* no sign, no leading zero, no empty value */
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
		s++;
	}
	*out = (uint32_t)v;
	*sp = s;
	return 0;
}

/* A PHC base64 field (no padding) running up to stop; its decoded length must lie in [min, max]. */
static int phc_base64(const char **sp, char stop, size_t min, size_t max, size_t *len)
{
	const char *s = *sp, *end = strchr(s, stop);
	size_t body;

	if (end == NULL || base64_check(s, (size_t)(end - s), 0, &body, len) != 0 || *len < min || *len > max)
		return -1;
	*sp = end;
	return 0;
}

static int phc_parse(const char *phc, struct taxid_argon2_params *p, size_t *saltlen, size_t *hashlen)
{
	static const char prefix[] = "$argon2id$";
	const char *s = phc;
	uint32_t version;

	if (phc == NULL || strnlen(phc, ARGON2_PHC_MAX) >= ARGON2_PHC_MAX)
		return -1;
	if (strncmp(s, prefix, sizeof prefix - 1) != 0)
		return -1;
	s += sizeof prefix - 1;
	if (phc_number(&s, "v", ARGON2_VERSION_13, &version) != 0 || version != ARGON2_VERSION_13 || *s++ != '$')
		return -1;
	if (phc_number(&s, "m", ARGON2_M_MAX, &p->m_kib) != 0 || *s++ != ',' ||
	    phc_number(&s, "t", ARGON2_T_MAX, &p->t_cost) != 0 || *s++ != ',' ||
	    phc_number(&s, "p", ARGON2_P_MAX, &p->parallelism) != 0 || *s++ != '$')
		return -1;
	if (!argon2_params_ok(p))
		return -1;
	if (phc_base64(&s, '$', 8, 64, saltlen) != 0 || *s++ != '$')
		return -1;
	if (phc_base64(&s, '\0', 16, 64, hashlen) != 0)
		return -1;
	return 0;
}

int taxid_argon2_parse(const char *phc, struct taxid_argon2_params *out)
{
	struct taxid_argon2_params p;
	size_t saltlen, hashlen;

	if (phc_parse(phc, &p, &saltlen, &hashlen) != 0)
		return -1;
	if (out != NULL)
		*out = p;
	return 0;
}

char *taxid_argon2_hash(const char *password, size_t pwlen, const struct taxid_argon2_params *p)
{
	unsigned char salt[ARGON2_SALT_LEN];
	char *encoded = NULL;
	size_t enclen;
	int rc;

	if (!argon2_params_ok(p) || (password == NULL && pwlen > 0) || pwlen > ARGON2_MAX_PWD_LENGTH)
		return NULL;
	if (taxid_random_bytes(salt, sizeof salt) != 0)
		goto fail;
	enclen = argon2_encodedlen(p->t_cost, p->m_kib, p->parallelism, sizeof salt, ARGON2_TAG_LEN, Argon2_id);
	if ((encoded = malloc(enclen)) == NULL)
		goto fail;
	rc = argon2id_hash_encoded(p->t_cost, p->m_kib, p->parallelism, password, pwlen, salt, sizeof salt,
				   ARGON2_TAG_LEN, encoded, enclen);
	/* What we write, we must be able to read back. */
	if (rc != ARGON2_OK || taxid_argon2_parse(encoded, NULL) != 0)
		goto fail;
	OPENSSL_cleanse(salt, sizeof salt);
	return encoded;
fail:
	OPENSSL_cleanse(salt, sizeof salt);
	if (encoded != NULL) {
		OPENSSL_cleanse(encoded, enclen);
		free(encoded);
	}
	return NULL;
}

int taxid_argon2_verify(const char *phc, const char *password, size_t pwlen)
{
	struct taxid_argon2_params p;
	size_t saltlen, hashlen;
	int rc;

	/* Bounds first: a tampered row must not get to choose how much memory libargon2 allocates. */
	if (phc_parse(phc, &p, &saltlen, &hashlen) != 0)
		return -1;
	if ((password == NULL && pwlen > 0) || pwlen > ARGON2_MAX_PWD_LENGTH)
		return -1;
	rc = argon2id_verify(phc, password, pwlen);
	if (rc == ARGON2_OK)
		return 1;
	return rc == ARGON2_VERIFY_MISMATCH ? 0 : -1;
}

int taxid_argon2_needs_rehash(const char *phc, const struct taxid_argon2_params *p)
{
	struct taxid_argon2_params s;
	size_t saltlen, hashlen;

	if (p == NULL || phc_parse(phc, &s, &saltlen, &hashlen) != 0)
		return 1;
	/* Salt and tag sizes are policy too (SECURITY.md rule 1), though not part of the struct. */
	return s.m_kib != p->m_kib || s.t_cost != p->t_cost || s.parallelism != p->parallelism ||
	       saltlen != ARGON2_SALT_LEN || hashlen != ARGON2_TAG_LEN;
}

void taxid_argon2_dummy(const char *password, size_t pwlen, const struct taxid_argon2_params *p)
{
	static const unsigned char salt[ARGON2_SALT_LEN + 1] = "taxid-dummy-salt";
	static const struct taxid_argon2_params floor = {19456, 2, 1};
	unsigned char tag[ARGON2_TAG_LEN];

	if (!argon2_params_ok(p))
		p = &floor;
	if ((password == NULL && pwlen > 0) || pwlen > ARGON2_MAX_PWD_LENGTH) {
		password = "";
		pwlen = 0;
	}
	(void)argon2id_hash_raw(p->t_cost, p->m_kib, p->parallelism, password, pwlen, salt, ARGON2_SALT_LEN, tag,
				sizeof tag);
	OPENSSL_cleanse(tag, sizeof tag);
}

/* The Ed25519 public key in pem, or NULL (with the error queue cleared) for anything else. */
static EVP_PKEY *ed25519_load(const char *pem)
{
	EVP_PKEY *key = NULL;
	BIO *bio;

	if (pem == NULL || (bio = BIO_new_mem_buf(pem, -1)) == NULL)
		goto out;
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key != NULL && EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	if (key == NULL)
		ERR_clear_error();
	return key;
}

int taxid_ed25519_verify(const char *pem, const void *msg, size_t msglen, const unsigned char *sig, size_t siglen)
{
	static const unsigned char empty;
	EVP_PKEY *key = ed25519_load(pem);
	EVP_MD_CTX *ctx;
	int rc = 0;

	if (key == NULL)
		return -1;
	if (sig == NULL || siglen != 64 || (msg == NULL && msglen > 0))
		goto out;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	/* Ed25519 signs the raw message: no digest, one-shot only. */
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, msglen ? msg : &empty, msglen) == 1)
		rc = 1;
	EVP_MD_CTX_free(ctx);
out:
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

int taxid_ed25519_check_key(const char *pem)
{
	EVP_PKEY *key = ed25519_load(pem);

	if (key == NULL)
		return -1;
	EVP_PKEY_free(key);
	return 0;
}

int taxid_ed25519_fingerprint(const char *pem, unsigned char out[TAXID_SHA256_LEN])
{
	EVP_PKEY *key = ed25519_load(pem);
	unsigned char *der = NULL;
	int n;

	if (key == NULL)
		return -1;
	n = i2d_PUBKEY(key, &der);
	EVP_PKEY_free(key);
	if (n <= 0) {
		ERR_clear_error();
		return -1;
	}
	taxid_sha256(der, (size_t)n, out);
	OPENSSL_free(der);
	return 0;
}

/* A random password (initial passwords of imports and hall resets): every class, from the CSPRNG without bias. */
int taxid_random_password(char *out, size_t len)
{
	/* No look-alikes (0/O, 1/l/I) and no characters a shell or a gateway might mangle; no '@' either, which
	 * begins a KEY=@FILE operand (a password given as password=@x... would be read from a file). */
	static const char *const classes[] = {"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789",
					      "!#%+-=?^_"};
	char all[96] = "";
	if (len < 8)
		return -1;
	for (int k = 0; k < 4; k++)
		strcat(all, classes[k]);
	for (size_t i = 0; i < len; i++) {
		const char *from = i < 4 ? classes[i] : all;
		int64_t r = taxid_random_uniform((uint32_t)strlen(from));
		if (r < 0)
			return -1;
		out[i] = from[r];
	}
	for (size_t i = len - 1; i > 0; i--) { /* Fisher-Yates, so the classes are not in fixed places */
		int64_t j = taxid_random_uniform((uint32_t)(i + 1));
		if (j < 0)
			return -1;
		char t = out[i];
		out[i] = out[j];
		out[j] = t;
	}
	out[len] = 0;
	return 0;
}
