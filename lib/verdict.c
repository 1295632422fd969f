/* One verifier for every signed verdict kind, and the trust store of issuers' Ed25519 keys. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "operator.h"
#include "record.h"
#include "verdict.h"

static const char *const kinds[] = {"face", "captcha", "bank", "registry", "survival", "business_licence", NULL};

static int kind_known(const char *k)
{
	for (int i = 0; kinds[i]; i++)
		if (strcmp(kinds[i], k) == 0)
			return 1;
	return 0;
}

static int kinds_contains(const char *kinds_json, const char *kind)
{
	json_t *a = json_loads(kinds_json, 0, NULL);
	int found = 0;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) if (json_is_string(v) && strcmp(json_string_value(v), kind) == 0) found = 1;
	json_decref(a);
	return found;
}

static enum taxid_code copy_str(struct taxid_ctx *ctx, json_t *o, const char *key, char *dst, size_t n,
				const char *field)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= n)
		return taxid_fail_detail(ctx, TAXID_E_VERDICT_MALFORMED, field, json_pack("{s:s}", "member", key));
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return TAXID_OK;
}

enum taxid_code taxid_verdict_parse(struct taxid_ctx *ctx, const void *payload, size_t len, const char *field,
				    struct taxid_verdict *v, json_t **parsed)
{
	enum taxid_code c;
	*parsed = NULL;
	json_t *p = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(p)) {
		json_decref(p);
		return taxid_fail(ctx, TAXID_E_VERDICT_MALFORMED, field);
	}
	const char *issued;
	json_t *score = json_object_get(p, "score"), *live = json_object_get(p, "liveness");
	if ((c = copy_str(ctx, p, "kind", v->kind, sizeof v->kind, field)) ||
	    (c = copy_str(ctx, p, "subject", v->subject, sizeof v->subject, field)) ||
	    (c = copy_str(ctx, p, "result", v->result, sizeof v->result, field)) ||
	    (c = copy_str(ctx, p, "nonce", v->nonce, sizeof v->nonce, field)))
		goto out;
	issued = json_string_value(json_object_get(p, "issued_at"));
	if (!issued || taxid_time_parse(issued, &v->issued_at) ||
	    (strcmp(v->result, "pass") != 0 && strcmp(v->result, "fail") != 0) ||
	    (score && !json_is_number(score)) || (live && !json_is_boolean(live))) {
		c = taxid_fail(ctx, TAXID_E_VERDICT_MALFORMED, field);
		goto out;
	}
	json_t *fac = json_object_get(p, "factors"), *mm = json_object_get(p, "mismatch");
	if ((fac && !json_is_integer(fac)) || (mm && (!json_is_string(mm) || json_string_length(mm) >= sizeof v->mismatch))) {
		c = taxid_fail(ctx, TAXID_E_VERDICT_MALFORMED, field);
		goto out;
	}
	const char *bind[2] = {"card_sha256", "phone_sha256"};
	char *dst[2] = {v->card_sha256, v->phone_sha256};
	for (int i = 0; i < 2; i++) {
		json_t *h = json_object_get(p, bind[i]);
		if (h && (!json_is_string(h) || json_string_length(h) != 64)) {
			c = taxid_fail(ctx, TAXID_E_VERDICT_MALFORMED, field);
			goto out;
		}
		if (h)
			memcpy(dst[i], json_string_value(h), 65);
	}
	if (fac)
		v->factors = (int)json_integer_value(fac);
	if (mm)
		memcpy(v->mismatch, json_string_value(mm), json_string_length(mm) + 1);
	if (score)
		v->score = json_number_value(score);
	if (live)
		v->liveness = json_is_true(live);
	*parsed = p;
	return TAXID_OK;
out:
	json_decref(p);
	return c;
}

enum taxid_code taxid_verdict_check(struct taxid_ctx *ctx, json_t *wire, const char *kind, const char *subject,
				    int consume, const char *field, struct taxid_verdict *v)
{
	enum taxid_code c;
	memset(v, 0, sizeof *v);
	v->score = -1;
	v->liveness = -1;
	if (!json_is_object(wire))
		return taxid_fail(ctx, wire ? TAXID_E_VERDICT_MALFORMED : TAXID_E_MISSING_FIELD, field);
	json_t *jp = json_object_get(wire, "payload"), *js = json_object_get(wire, "sig");
	if ((c = copy_str(ctx, wire, "issuer", v->issuer, sizeof v->issuer, field)))
		return c;
	if (!json_is_string(jp) || !json_is_string(js))
		return taxid_fail(ctx, TAXID_E_VERDICT_MALFORMED, field);

	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ISSUER_GET);
	taxid_q_text(q, 1, v->issuer);
	int found = taxid_q_step(q);
	int trusted = found && kinds_contains(taxid_q_col_text(q, 0), kind);
	char *pem = found ? strdup(taxid_q_col_text(q, 1)) : NULL;
	if ((c = taxid_q_end(q)) || !found) {
		free(pem);
		return c ? c : taxid_fail(ctx, TAXID_E_VERDICT_UNTRUSTED, field);
	}
	if (!pem)
		return TAXID_E_INTERNAL;
	if (!trusted) {
		free(pem);
		return taxid_fail(ctx, TAXID_E_VERDICT_UNTRUSTED, field);
	}

	size_t plen = 0, slen = 0;
	unsigned char *payload = taxid_base64_decode(json_string_value(jp), json_string_length(jp), &plen);
	unsigned char *sig = taxid_base64_decode(json_string_value(js), json_string_length(js), &slen);
	int ok = payload && sig && slen == 64 && taxid_ed25519_verify(pem, payload, plen, sig, slen) == 1;
	free(pem);
	free(sig);
	if (!payload || !ok) {
		free(payload);
		return taxid_fail(ctx, payload ? TAXID_E_VERDICT_BAD_SIGNATURE : TAXID_E_VERDICT_MALFORMED, field);
	}
	/* Only now, with the issuer's signature checked, is the payload parsed. */
	const char *issued = NULL;
	json_t *p = NULL;
	c = taxid_verdict_parse(ctx, payload, plen, field, v, &p);
	free(payload);
	if (c)
		goto out;
	issued = json_string_value(json_object_get(p, "issued_at"));
	if (strcmp(v->kind, kind) != 0) {
		c = taxid_fail(ctx, TAXID_E_VERDICT_WRONG_KIND, field);
		goto out;
	}
	long long max_age = taxid_setting_int(ctx, "verdict.max_age", 600);
	long long skew = taxid_setting_int(ctx, "verdict.clock_skew", 60);
	if (v->issued_at > ctx->now + skew || v->issued_at < ctx->now - max_age) {
		c = taxid_fail_detail(ctx, TAXID_E_VERDICT_STALE, field, json_pack("{s:s}", "issued_at", issued));
		goto out;
	}
	if (subject && strcmp(subject, v->subject) != 0) {
		c = taxid_fail(ctx, TAXID_E_VERDICT_SUBJECT_MISMATCH, field);
		goto out;
	}
	q = taxid_q(ctx, TAXID_SQL_NONCE_SEEN);
	taxid_q_text(q, 1, v->issuer);
	taxid_q_text(q, 2, v->nonce);
	int seen = taxid_q_step(q);
	if ((c = taxid_q_end(q)))
		goto out;
	if (seen) {
		c = taxid_fail(ctx, TAXID_E_VERDICT_REPLAYED, field);
		goto out;
	}
	if (consume) {
		/* Kept past the freshness window, after which the verdict is refused as stale anyway. */
		q = taxid_q(ctx, TAXID_SQL_NONCE_PURGE);
		taxid_q_int(q, 1, ctx->now);
		if ((c = taxid_q_exec(q)))
			goto out;
		q = taxid_q(ctx, TAXID_SQL_NONCE_USE);
		taxid_q_text(q, 1, v->issuer);
		taxid_q_text(q, 2, v->nonce);
		taxid_q_int(q, 3, v->issued_at + max_age + skew);
		c = taxid_q_exec(q);
	}
out:
	json_decref(p);
	return c;
}

int taxid_verdict_passed(struct taxid_ctx *ctx, const struct taxid_verdict *v)
{
	char key[64];
	snprintf(key, sizeof key, "verdict.%s.min_score_permille", v->kind);
	long long threshold = taxid_setting_int(ctx, key, strcmp(v->kind, "face") == 0 ? 800 : 0);
	if (strcmp(v->result, "pass") != 0 || v->liveness == 0)
		return 0;
	if (v->score >= 0 && v->score * 1000 < (double)threshold)
		return 0;
	if (v->score < 0 && strcmp(v->kind, "face") == 0)
		return 0; /* a face verdict without a score cannot be held to the threshold */
	return 1;
}

json_t *taxid_verdict_json(const struct taxid_verdict *v)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(v->issued_at, at);
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "issuer", v->issuer, "kind", v->kind, "result", v->result,
			      "issued_at", at);
	if (v->score >= 0)
		json_object_set_new(o, "score", json_real(v->score));
	if (v->liveness >= 0)
		json_object_set_new(o, "liveness", json_boolean(v->liveness));
	return o;
}

/* A PEM text: lines, so unlike other text members it may hold line breaks (and nothing else below 0x20). */
static const char *pem_member(struct taxid_ctx *ctx, json_t *req, const char *key, enum taxid_code *err)
{
	json_t *v = json_object_get(req, key);
	if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
		*err = taxid_fail(ctx, TAXID_E_MISSING_FIELD, key);
		return NULL;
	}
	if (!json_is_string(v)) {
		*err = taxid_fail(ctx, TAXID_E_BAD_TYPE, key);
		return NULL;
	}
	const unsigned char *s = (const unsigned char *)json_string_value(v);
	size_t n = json_string_length(v);
	if (n > 4096) {
		*err = taxid_fail(ctx, TAXID_E_BAD_VALUE, key);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f) {
			*err = taxid_fail(ctx, TAXID_E_BAD_UTF8, key);
			return NULL;
		}
	return (const char *)s;
}

/* The fingerprint of a PEM key as lowercase hex (65 bytes with the NUL); -1 on a bad key. */
static int fingerprint_hex(const char *pem, char hex[2 * TAXID_SHA256_LEN + 1])
{
	unsigned char fp[TAXID_SHA256_LEN];
	if (taxid_ed25519_fingerprint(pem, fp))
		return -1;
	for (int i = 0; i < TAXID_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", fp[i]);
	return 0;
}

/* The fingerprint of an issuer's stored key into hex; 1 when the issuer exists, 0 when not. */
static int stored_fingerprint(struct taxid_ctx *ctx, const char *issuer, char hex[2 * TAXID_SHA256_LEN + 1],
			      enum taxid_code *c)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ISSUER_GET);
	taxid_q_text(q, 1, issuer);
	int found = taxid_q_step(q);
	if (found && fingerprint_hex(taxid_q_col_text(q, 1), hex))
		snprintf(hex, 2 * TAXID_SHA256_LEN + 1, "%s", "unreadable"); /* a stored key that no longer parses */
	*c = taxid_q_end(q);
	return found;
}

/* Trusting an issuer is an operator's act: it names the operator and records the key's fingerprint; an
 * issuer's key is replaced only when the request says "replace": true (SECURITY rule 31). */
enum taxid_code taxid_trust_add(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *op = taxid_operator(ctx, req, &c);
	const char *issuer = c ? NULL : taxid_req_str(ctx, req, "issuer", 1, &c);
	const char *pem = issuer ? pem_member(ctx, req, "public_key", &c) : NULL;
	int replace = c ? 0 : taxid_req_bool(ctx, req, "replace", 0, &c);
	if (c)
		return c;
	json_t *k = json_object_get(req, "kinds");
	size_t i;
	json_t *e;
	if (!json_is_array(k) || json_array_size(k) == 0)
		return taxid_fail(ctx, k ? TAXID_E_BAD_TYPE : TAXID_E_MISSING_FIELD, "kinds");
	json_array_foreach(k, i, e) if (!json_is_string(e) || !kind_known(json_string_value(e)))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "kinds",
					 json_pack("{s:[s,s,s,s,s]}", "allowed", "face", "captcha", "bank", "registry",
						   "survival"));
	if (strlen(issuer) > 63)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "issuer");
	char fp[2 * TAXID_SHA256_LEN + 1], old[2 * TAXID_SHA256_LEN + 1] = "";
	if (taxid_ed25519_check_key(pem) != 0 || fingerprint_hex(pem, fp))
		return taxid_fail(ctx, TAXID_E_BAD_PUBLIC_KEY, "public_key");
	int exists = stored_fingerprint(ctx, issuer, old, &c);
	if (c)
		return c;
	int replacing = exists && strcmp(old, fp) != 0;
	if (replacing && !replace)
		return taxid_fail_detail(ctx, TAXID_E_ISSUER_KEY_EXISTS, "public_key",
					 json_pack("{s:s,s:s}", "fingerprint", old, "offered", fp));
	char *kj = json_dumps(k, JSON_COMPACT);
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	if (!kj)
		return TAXID_E_INTERNAL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ISSUER_PUT);
	taxid_q_text(q, 1, issuer);
	taxid_q_text(q, 2, kj);
	taxid_q_text(q, 3, pem);
	taxid_q_text(q, 4, at);
	c = taxid_q_exec(q);
	free(kj);
	if (!c) {
		json_t *d = json_pack("{s:O,s:s}", "kinds", k, "fingerprint", fp);
		if (replacing)
			json_object_set_new(d, "replaced_fingerprint", json_string(old));
		c = taxid_audit(ctx, "trust_add", issuer, op, d); /* detail is borrowed */
		json_decref(d);
	}
	if (!c) {
		json_object_set_new(out, "issuer", json_string(issuer));
		json_object_set(out, "kinds", k);
		json_object_set_new(out, "fingerprint", json_string(fp));
		if (replacing)
			json_object_set_new(out, "replaced_fingerprint", json_string(old));
	}
	return c;
}

enum taxid_code taxid_trust_remove(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *op = taxid_operator(ctx, req, &c);
	const char *issuer = c ? NULL : taxid_req_str(ctx, req, "issuer", 1, &c);
	if (c)
		return c;
	char fp[2 * TAXID_SHA256_LEN + 1] = "";
	if (!stored_fingerprint(ctx, issuer, fp, &c))
		return c ? c : taxid_fail(ctx, TAXID_E_ISSUER_UNKNOWN, "issuer");
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ISSUER_DELETE);
	taxid_q_text(q, 1, issuer);
	if ((c = taxid_q_exec(q)))
		return c;
	json_object_set_new(out, "issuer", json_string(issuer));
	json_object_set_new(out, "fingerprint", json_string(fp));
	return taxid_audit_new(ctx, "trust_remove", issuer, op, json_pack("{s:s}", "fingerprint", fp));
}

enum taxid_code taxid_trust_list(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ISSUER_LIST);
	enum taxid_code c = TAXID_OK;
	while (!c && taxid_q_step(q)) {
		char fp[2 * TAXID_SHA256_LEN + 1];
		json_t *row = json_pack("{s:s,s:o,s:s,s:s}", "issuer", taxid_q_col_text(q, 0), "kinds",
					json_loads(taxid_q_col_text(q, 1), 0, NULL), "public_key", taxid_q_col_text(q, 2),
					"added_at", taxid_q_col_text(q, 3));
		if (row && !fingerprint_hex(taxid_q_col_text(q, 2), fp))
			json_object_set_new(row, "fingerprint", json_string(fp));
		c = taxid_emit(ctx, row);
	}
	enum taxid_code e = taxid_q_end(q);
	return c ? c : e;
}
