/* fuzz_verdict: the attestation (signed verdict) parser of verdict.c and the pieces around it (libFuzzer).
 *
 * Input: byte 0 selects, the rest is the data.
 *   0  taxid_verdict_parse: the data is a payload, the exact bytes an issuer signed (the parser runs only after the
 *      signature checks out, so the fuzzer calls it directly);
 *   1  taxid_base64_decode: the wire's "payload" and "sig" members;
 *   2  taxid_ed25519_check_key and taxid_ed25519_verify: the data is a public key PEM (trust add's public_key);
 *   3  a signed round trip: the harness's own key signs the data, which must verify under its public key, and must
 *      not once a byte of it is flipped; then the data is parsed as in 0.
 *
 * Properties checked besides "no crash" (and no leak):
 *   - an accepted payload gives NUL-terminated fields within their sizes, kind/subject/nonce not empty, result
 *     "pass" or "fail", an issued_at that formats back to itself, hashes of 64 characters or none;
 *   - the payload re-serialised from the parsed fields (taxid_verdict_json + subject, nonce, bank fields) is
 *     accepted again with the same fields (the parser is a function of the members, not of their spelling);
 *   - a refusal is verdict_malformed with the field named;
 *   - base64 that decodes re-encodes to the canonical form of the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "taxid.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                      \
	do {                                                                                                 \
		if (!(cond)) {                                                                                   \
			fprintf(stderr, "fuzz_verdict: property failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                     \
		}                                                                                                \
	} while (0)

static struct taxid_ctx ctx; /* no database: the parser needs none */
static EVP_PKEY *key;
static char *pub_pem;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (!kc || EVP_PKEY_keygen_init(kc) <= 0 || EVP_PKEY_keygen(kc, &key) <= 0)
		abort();
	EVP_PKEY_CTX_free(kc);
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_PUBKEY(b, key))
		abort();
	char *p;
	long n = BIO_get_mem_data(b, &p);
	pub_pem = strndup(p, (size_t)n);
	BIO_free(b);
	CHECK(taxid_ed25519_check_key(pub_pem) == 0 || taxid_ed25519_check_key(pub_pem) == 1);
	return 0;
}

static size_t bounded(const char *s, size_t max)
{
	const char *z = memchr(s, 0, max);
	return z ? (size_t)(z - s) : max;
}

static void reset_ctx(void)
{
	json_decref(ctx.err_detail);
	ctx.err_detail = NULL;
	ctx.err_field = NULL;
}

static enum taxid_code parse(const void *p, size_t n, struct taxid_verdict *v)
{
	json_t *obj = NULL;
	memset(v, 0, sizeof *v);
	v->score = -1;
	v->liveness = -1;
	reset_ctx();
	enum taxid_code c = taxid_verdict_parse(&ctx, p, n, "verdict", v, &obj);
	if (c) {
		CHECK(c == TAXID_E_VERDICT_MALFORMED);
		CHECK(ctx.err_field && strcmp(ctx.err_field, "verdict") == 0);
		CHECK(obj == NULL);
	} else {
		CHECK(json_is_object(obj));
	}
	json_decref(obj);
	reset_ctx();
	return c;
}

static void check_fields(const struct taxid_verdict *v)
{
	CHECK(bounded(v->kind, sizeof v->kind) < sizeof v->kind && v->kind[0]);
	CHECK(bounded(v->subject, sizeof v->subject) < sizeof v->subject && v->subject[0]);
	CHECK(bounded(v->nonce, sizeof v->nonce) < sizeof v->nonce && v->nonce[0]);
	CHECK(strcmp(v->result, "pass") == 0 || strcmp(v->result, "fail") == 0);
	CHECK(bounded(v->mismatch, sizeof v->mismatch) < sizeof v->mismatch);
	size_t h1 = bounded(v->card_sha256, sizeof v->card_sha256), h2 = bounded(v->phone_sha256, sizeof v->phone_sha256);
	CHECK(h1 == 0 || h1 == 64);
	CHECK(h2 == 0 || h2 == 64);
	CHECK(v->liveness >= -1 && v->liveness <= 1);
	char at[TAXID_TIME_LEN];
	int64_t again;
	taxid_time_format(v->issued_at, at);
	CHECK(taxid_time_parse(at, &again) == 0 && again == v->issued_at);
}

/* The payload rebuilt from v: the same members, canonically spelled. */
static char *rebuild(const struct taxid_verdict *v)
{
	struct taxid_verdict w = *v;
	snprintf(w.issuer, sizeof w.issuer, "fuzz");
	json_t *o = taxid_verdict_json(&w);
	CHECK(o != NULL);
	json_object_del(o, "issuer");
	json_object_set_new(o, "subject", json_string(v->subject));
	json_object_set_new(o, "nonce", json_string(v->nonce));
	if (v->score < 0)
		json_object_del(o, "score");
	if (v->liveness < 0)
		json_object_del(o, "liveness");
	if (v->factors)
		json_object_set_new(o, "factors", json_integer(v->factors));
	if (v->mismatch[0])
		json_object_set_new(o, "mismatch", json_string(v->mismatch));
	if (v->card_sha256[0])
		json_object_set_new(o, "card_sha256", json_string(v->card_sha256));
	if (v->phone_sha256[0])
		json_object_set_new(o, "phone_sha256", json_string(v->phone_sha256));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	CHECK(s != NULL);
	return s;
}

static void payload(const uint8_t *p, size_t n)
{
	struct taxid_verdict v, w;
	if (parse(p, n, &v))
		return;
	check_fields(&v);
	char *s = rebuild(&v);
	CHECK(parse(s, strlen(s), &w) == TAXID_OK);
	free(s);
	CHECK(strcmp(v.kind, w.kind) == 0 && strcmp(v.subject, w.subject) == 0 && strcmp(v.result, w.result) == 0);
	CHECK(strcmp(v.nonce, w.nonce) == 0 && v.issued_at == w.issued_at && v.liveness == w.liveness);
	CHECK(v.factors == w.factors && strcmp(v.mismatch, w.mismatch) == 0);
	CHECK(strcmp(v.card_sha256, w.card_sha256) == 0 && strcmp(v.phone_sha256, w.phone_sha256) == 0);
	CHECK((v.score < 0 && w.score < 0) || v.score == w.score);
}

static void base64(const uint8_t *p, size_t n)
{
	size_t len = 0;
	char *in = malloc(n ? n : 1); /* exact size: a read past n is caught */
	if (!in)
		return;
	memcpy(in, p, n);
	unsigned char *out = taxid_base64_decode(in, n, &len);
	free(in);
	if (!out)
		return;
	char *enc = taxid_base64_encode(out, len);
	CHECK(enc != NULL);
	size_t len2 = 0;
	unsigned char *out2 = taxid_base64_decode(enc, strlen(enc), &len2);
	CHECK(out2 && len2 == len && memcmp(out, out2, len) == 0);
	free(out2);
	free(enc);
	free(out);
}

static void pem(const uint8_t *p, size_t n)
{
	char *s = strndup((const char *)p, n);
	if (!s)
		return;
	int ok = taxid_ed25519_check_key(s);
	static const unsigned char msg[] = "{}", sig[64];
	int r = taxid_ed25519_verify(s, msg, 2, sig, sizeof sig);
	CHECK(r != 1); /* an all-zero signature verifies under no key */
	(void)ok;
	free(s);
}

static void signed_round_trip(const uint8_t *p, size_t n)
{
	unsigned char sig[64];
	size_t slen = sizeof sig;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	if (!m || EVP_DigestSignInit(m, NULL, NULL, NULL, key) <= 0 || EVP_DigestSign(m, sig, &slen, p, n) <= 0)
		abort();
	EVP_MD_CTX_free(m);
	CHECK(taxid_ed25519_verify(pub_pem, p, n, sig, slen) == 1);
	if (n) {
		unsigned char *q = malloc(n);
		if (q) {
			memcpy(q, p, n);
			q[n / 2] ^= 0x01;
			CHECK(taxid_ed25519_verify(pub_pem, q, n, sig, slen) != 1);
			free(q);
		}
	}
	sig[0] ^= 0x80;
	CHECK(taxid_ed25519_verify(pub_pem, p, n, sig, slen) != 1);
	payload(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 4) {
	case 0: {
		uint8_t *copy = malloc(n ? n : 1); /* exact size, no NUL: json_loadb gets a length */
		if (!copy)
			return 0;
		memcpy(copy, p, n);
		payload(copy, n);
		free(copy);
		break;
	}
	case 1:
		base64(p, n);
		break;
	case 2:
		pem(p, n);
		break;
	case 3:
		signed_round_trip(p, n);
		break;
	}
	return 0;
}
