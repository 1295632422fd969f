/* Accounts: resolution of login strings, login-name and password rules, peppered argon2id, sessions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "ids.h"
#include "keys.h"
#include "person.h"
#include "record.h"

void taxid_account_clear(struct taxid_account *a)
{
	free(a->login_name);
	if (a->password_hash)
		taxid_wipe(a->password_hash, strlen(a->password_hash));
	free(a->password_hash);
	free(a->phone);
	memset(a, 0, sizeof *a);
}

/* The account of the first row of q (an ACCOUNT_BY_* statement, bound): TAXID_OK, TAXID_E_NOT_FOUND or an error. */
static enum taxid_code load_row(struct taxid_ctx *ctx, struct taxid_q *q, struct taxid_account *a)
{
	memset(a, 0, sizeof *a);
	if (!taxid_q_step(q)) {
		enum taxid_code c = taxid_q_end(q);
		return c ? c : TAXID_E_NOT_FOUND;
	}
	a->id = taxid_q_col_int(q, 0);
	a->person_id = taxid_q_col_int(q, 1);
	a->login_name = strdup(taxid_q_col_text(q, 2));
	if (!taxid_q_is_null(q, 3)) {
		size_t n;
		const void *blob = taxid_q_col_blob(q, 3, &n);
		a->phone = taxid_pii_open(ctx->keys, "account.phone", blob, n);
	}
	a->password_hash = strdup(taxid_q_col_text(q, 4));
	a->peppered = (int)taxid_q_col_int(q, 5);
	a->must_change = (int)taxid_q_col_int(q, 6);
	a->initial_expires_at = taxid_q_col_int(q, 7);
	a->renamed_at = taxid_q_col_int(q, 8);
	a->level = (int)taxid_q_col_int(q, 9);
	a->abnormal = strcmp(taxid_q_col_text(q, 10), "abnormal") == 0;
	taxid_q_end(q);
	return a->login_name && a->password_hash ? TAXID_OK : TAXID_E_INTERNAL;
}

enum taxid_code taxid_account_load(struct taxid_ctx *ctx, long long id, struct taxid_account *a)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_BY_ID);
	taxid_q_int(q, 1, id);
	return load_row(ctx, q, a);
}

enum taxid_code taxid_account_by_person(struct taxid_ctx *ctx, long long person_id, struct taxid_account *a)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_BY_PERSON);
	taxid_q_int(q, 1, person_id);
	return load_row(ctx, q, a);
}

enum taxid_code taxid_account_resolve(struct taxid_ctx *ctx, const char *account, struct taxid_account *a,
				      char normalized[80])
{
	struct taxid_id_info info;
	struct taxid_ids_opts o = {.today = taxid_local_ymd(ctx->now, ctx->tz_offset)};
	memset(a, 0, sizeof *a);
	memset(&info, 0, sizeof info);
	if (taxid_ids_check_mobile(account, strlen(account), &o, &info) == TAXID_OK) {
		unsigned char idx[32], old[32];
		snprintf(normalized, 80, "phone:%s", info.normalized);
		taxid_pii_index(ctx->keys, "phone", info.normalized, idx);
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_BY_PHONE);
		taxid_q_blob(q, 1, idx, 32);
		if (taxid_pii_index_old(ctx->keys, "phone", info.normalized, old))
			taxid_q_blob(q, 2, old, 32);
		return load_row(ctx, q, a);
	}
	memset(&info, 0, sizeof info);
	if (taxid_ids_check_document(TAXID_DOC_RESIDENT_ID, account, strlen(account), &o, &info) == TAXID_OK) {
		/* Only a resident-ID number logs in as a document number (DOMAIN §4). */
		struct taxid_person p;
		snprintf(normalized, 80, "doc:%s", info.normalized);
		enum taxid_code c = taxid_person_find_doc(ctx, TAXID_DOC_RESIDENT_ID, info.normalized, &p);
		if (c)
			return c;
		long long pid = p.id;
		taxid_person_clear(&p);
		return taxid_account_by_person(ctx, pid, a);
	}
	snprintf(normalized, 80, "login:%.70s", account);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_BY_LOGIN);
	taxid_q_text(q, 1, account);
	return load_row(ctx, q, a);
}

void taxid_password_params(struct taxid_ctx *ctx, struct taxid_argon2_params *p)
{
	long long m = taxid_setting_int(ctx, "password.m_kib", 19456), t = taxid_setting_int(ctx, "password.t_cost", 2),
		  par = taxid_setting_int(ctx, "password.parallelism", 1);
	/* Policy may raise the cost, never lower it below the OWASP floor (SECURITY rule 1). */
	p->m_kib = (uint32_t)(m < 19456 ? 19456 : m > 1048576 ? 1048576 : m);
	p->t_cost = (uint32_t)(t < 2 ? 2 : t > 16 ? 16 : t);
	p->parallelism = (uint32_t)(par < 1 ? 1 : par > 16 ? 16 : par);
}

/* Decode one UTF-8 character. Input from requests is valid (it came through jansson), but this is a public
 * validator: a malformed sequence is one invalid character (0xFFFD) of one byte, never a read past the NUL. */
static unsigned next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned cp;
	int len = p[0] < 0x80 ? 1 : p[0] < 0xc2 ? 0 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : p[0] < 0xf5 ? 4 : 0;
	for (int i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			len = 0;
	if (len == 0) {
		*s += 1;
		return 0xfffd;
	}
	if (p[0] < 0x80) {
		cp = p[0];
		*s += 1;
	} else if (p[0] < 0xe0) {
		cp = (unsigned)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		*s += 2;
	} else if (p[0] < 0xf0) {
		cp = (unsigned)(p[0] & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		*s += 3;
	} else {
		cp = (unsigned)(p[0] & 0x07) << 18 | (unsigned)(p[1] & 0x3f) << 12 | (unsigned)(p[2] & 0x3f) << 6 |
		     (p[3] & 0x3f);
		*s += 4;
	}
	return cp;
}

static int is_cjk(unsigned cp)
{
	return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x323af) ||
	       (cp >= 0xf900 && cp <= 0xfaff);
}

enum taxid_code taxid_login_name_check(struct taxid_ctx *ctx, const char *name, const char *field)
{
	const unsigned char *s = (const unsigned char *)name;
	int n = 0, digits = 0, bad = 0;
	while (*s) {
		unsigned cp = next_cp(&s);
		n++;
		if (cp >= '0' && cp <= '9')
			digits++;
		else if (!((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_' || is_cjk(cp)))
			bad = 1;
	}
	const char *rule = bad ? "characters" : (n < 2 || n > 16) ? "length" : digits == n ? "digits_only" : NULL;
	if (rule)
		return taxid_fail_detail(ctx, TAXID_E_LOGIN_NAME_INVALID, field, json_pack("{s:s}", "rule", rule));
	return TAXID_OK;
}

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return 0;
	for (const char *p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return 1;
	return 0;
}

enum taxid_code taxid_password_check(struct taxid_ctx *ctx, const char *pw, const char *doc_no, const char *phone,
				     const char *login_name, const char *field)
{
	long long min = taxid_setting_int(ctx, "password.min_length", 8), max = taxid_setting_int(ctx, "password.max_length", 15),
		  classes_needed = taxid_setting_int(ctx, "password.min_classes", 3);
	int up = 0, low = 0, dig = 0, spec = 0, space = 0, other = 0;
	long long n = 0;
	for (const unsigned char *s = (const unsigned char *)pw; *s; s++, n++) {
		if (*s >= 'A' && *s <= 'Z')
			up = 1;
		else if (*s >= 'a' && *s <= 'z')
			low = 1;
		else if (*s >= '0' && *s <= '9')
			dig = 1;
		else if (*s == ' ' || *s == '\t')
			space = 1;
		else if (*s > 0x20 && *s < 0x7f)
			spec = 1;
		else
			other = 1;
	}
	const char *rule = NULL;
	if (space)
		rule = "no_spaces";
	else if (other)
		rule = "characters";
	else if (n < min || n > max)
		rule = "length";
	else if (up + low + dig + spec < classes_needed)
		rule = "classes";
	else if (doc_no && contains_ci(pw, doc_no))
		rule = "contains_document_number";
	else if (phone && contains_ci(pw, phone))
		rule = "contains_phone";
	else if (login_name && strlen(login_name) >= 3 && contains_ci(pw, login_name))
		rule = "contains_login_name";
	if (rule)
		return taxid_fail_detail(ctx, TAXID_E_PASSWORD_POLICY, field, json_pack("{s:s}", "rule", rule));
	return TAXID_OK;
}

/* The pepper (SECURITY rule 5): HMAC under a key from the key file before argon2, as hex. */
static void pepper(struct taxid_ctx *ctx, const char *pw, char out[65])
{
	unsigned char h[32];
	taxid_hmac_sha256(ctx->keys->pepper, sizeof ctx->keys->pepper, pw, strlen(pw), h);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	taxid_wipe(h, sizeof h);
}

char *taxid_password_hash(struct taxid_ctx *ctx, const char *pw)
{
	struct taxid_argon2_params p;
	char pep[65];
	taxid_password_params(ctx, &p);
	pepper(ctx, pw, pep);
	char *h = taxid_argon2_hash(pep, 64, &p);
	taxid_wipe(pep, sizeof pep);
	return h;
}

int taxid_password_verify(struct taxid_ctx *ctx, const char *phc, int peppered, const char *pw)
{
	if (!peppered)
		return taxid_argon2_verify(phc, pw, strlen(pw));
	char pep[65];
	pepper(ctx, pw, pep);
	int r = taxid_argon2_verify(phc, pep, 64);
	taxid_wipe(pep, sizeof pep);
	return r;
}

void taxid_password_dummy(struct taxid_ctx *ctx, const char *pw)
{
	struct taxid_argon2_params p;
	char pep[65];
	taxid_password_params(ctx, &p);
	pepper(ctx, pw ? pw : "", pep);
	taxid_argon2_dummy(pep, 64, &p);
	taxid_wipe(pep, sizeof pep);
}

/* Refuse with code (on field) when q (an ACCOUNT_*_TAKEN statement, ?1 bound) finds another account than except
 * (0: any); TAXID_OK when none does. */
static enum taxid_code refuse_taken(struct taxid_ctx *ctx, struct taxid_q *q, long long except, enum taxid_code code,
				    const char *field)
{
	if (except)
		taxid_q_int(q, 2, except);
	int row = taxid_q_step(q);
	enum taxid_code c = taxid_q_end(q);
	return c ? c : row ? taxid_fail(ctx, code, field) : TAXID_OK;
}

enum taxid_code taxid_account_create(struct taxid_ctx *ctx, long long person_id, const char *login_name,
				     const char *phone, const char *password_hash, int peppered, int must_change,
				     int64_t initial_expires_at, const char *region, json_t *consent, long long *account_id)
{
	struct taxid_account a;
	enum taxid_code c = taxid_account_by_person(ctx, person_id, &a);
	if (c == TAXID_OK) {
		taxid_account_clear(&a);
		return taxid_fail(ctx, TAXID_E_IDENTITY_OCCUPIED, "doc_no");
	}
	if (c != TAXID_E_NOT_FOUND)
		return c;
	unsigned char idx[32];
	if ((c = taxid_account_available(ctx, login_name, phone, idx)))
		return c;
	return taxid_account_insert(ctx, person_id, login_name, phone, idx, password_hash, peppered, must_change,
				    initial_expires_at, region, consent, account_id);
}

enum taxid_code taxid_account_available(struct taxid_ctx *ctx, const char *login_name, const char *phone,
					unsigned char phone_idx[32])
{
	enum taxid_code c;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_LOGIN_TAKEN);
	taxid_q_text(q, 1, login_name);
	if ((c = refuse_taken(ctx, q, 0, TAXID_E_LOGIN_NAME_TAKEN, "login_name")) || !phone)
		return c;
	unsigned char old[32];
	taxid_pii_index(ctx->keys, "phone", phone, phone_idx);
	int rotating = taxid_pii_index_old(ctx->keys, "phone", phone, old);
	q = taxid_q(ctx, rotating ? TAXID_SQL_ACCOUNT_PHONE_TAKEN : TAXID_SQL_ACCOUNT_PHONE_TAKEN_ONE);
	taxid_q_blob(q, 1, phone_idx, 32);
	if (rotating)
		taxid_q_blob(q, 3, old, 32);
	return refuse_taken(ctx, q, 0, TAXID_E_PHONE_TAKEN, "phone");
}

enum taxid_code taxid_account_insert(struct taxid_ctx *ctx, long long person_id, const char *login_name,
				     const char *phone, const unsigned char phone_idx[32], const char *password_hash,
				     int peppered, int must_change, int64_t initial_expires_at, const char *region,
				     json_t *consent, long long *account_id)
{
	unsigned char *enc = NULL;
	size_t el = 0;
	if (phone && !(enc = taxid_pii_seal(ctx->keys, "account.phone", phone, &el)))
		return TAXID_E_INTERNAL;
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	char *cj = consent ? json_dumps(consent, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_INSERT);
	taxid_q_int(q, 1, person_id);
	taxid_q_text(q, 2, login_name);
	if (phone) {
		taxid_q_blob(q, 3, phone_idx, 32);
		taxid_q_blob(q, 4, enc, el);
	}
	taxid_q_text(q, 5, password_hash);
	taxid_q_int(q, 6, peppered);
	taxid_q_int(q, 7, must_change);
	if (initial_expires_at)
		taxid_q_int(q, 8, initial_expires_at);
	taxid_q_text(q, 9, region);
	taxid_q_text(q, 10, cj);
	taxid_q_text(q, 11, at);
	free(enc);
	free(cj);
	return taxid_q_insert_id(q, account_id);
}

enum taxid_code taxid_account_set_password(struct taxid_ctx *ctx, long long account_id, const char *password_hash,
					   int peppered, int must_change)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_SET_PASSWORD);
	taxid_q_int(q, 1, account_id);
	taxid_q_text(q, 2, password_hash);
	taxid_q_int(q, 3, peppered);
	taxid_q_int(q, 4, must_change);
	return taxid_q_exec(q);
}

enum taxid_code taxid_account_set_phone(struct taxid_ctx *ctx, long long account_id, const char *phone)
{
	unsigned char idx[32], old[32];
	size_t el;
	taxid_pii_index(ctx->keys, "phone", phone, idx);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_PHONE_TAKEN);
	taxid_q_blob(q, 1, idx, 32);
	if (taxid_pii_index_old(ctx->keys, "phone", phone, old))
		taxid_q_blob(q, 3, old, 32);
	enum taxid_code c = refuse_taken(ctx, q, account_id, TAXID_E_PHONE_TAKEN, "phone");
	if (c)
		return c;
	unsigned char *enc = taxid_pii_seal(ctx->keys, "account.phone", phone, &el);
	if (!enc)
		return TAXID_E_INTERNAL;
	q = taxid_q(ctx, TAXID_SQL_ACCOUNT_SET_PHONE);
	taxid_q_int(q, 1, account_id);
	taxid_q_blob(q, 2, idx, 32);
	taxid_q_blob(q, 3, enc, el);
	free(enc);
	return taxid_q_exec(q);
}

enum taxid_code taxid_person_raise_level(struct taxid_ctx *ctx, long long person_id, int level)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_PERSON_RAISE_LEVEL);
	taxid_q_int(q, 1, person_id);
	taxid_q_int(q, 2, level);
	taxid_q_text(q, 3, at);
	return taxid_q_exec(q);
}

enum taxid_code taxid_session_issue(struct taxid_ctx *ctx, long long account_id, const char *kind, const char *factor,
				    const char *scope, const struct taxid_session *parent, char token[TAXID_TOKEN_LEN],
				    int64_t *expires_at)
{
	unsigned char raw[32], h[32];
	if (taxid_random_bytes(raw, sizeof raw))
		return TAXID_E_INTERNAL;
	char *t = taxid_base64url_encode(raw, sizeof raw);
	taxid_wipe(raw, sizeof raw);
	if (!t)
		return TAXID_E_INTERNAL;
	snprintf(token, TAXID_TOKEN_LEN, "%s", t);
	taxid_wipe(t, strlen(t));
	free(t);
	taxid_sha256(token, strlen(token), h);
	*expires_at = ctx->now + taxid_setting_int(ctx, "session.absolute_seconds", 12 * 3600);
	if (parent && parent->expires_at < *expires_at) /* a derived session never outlives its parent (rule 25) */
		*expires_at = parent->expires_at;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SESSION_INSERT);
	taxid_q_int(q, 1, account_id);
	taxid_q_blob(q, 2, h, 32);
	taxid_q_text(q, 3, kind);
	taxid_q_int(q, 4, ctx->now);
	taxid_q_int(q, 5, *expires_at);
	taxid_q_text(q, 6, scope);
	taxid_q_text(q, 7, factor);
	if (parent)
		taxid_q_int(q, 8, parent->id);
	return taxid_q_exec(q);
}

/* A session entered through a tax agency (scope "enterprise:CLIENT/agency:AGENCY", bind_agency.c) lives only while
 * its agreement and the person's agency_filing at the agency are current, checked on every request: a revoke on
 * either side, an expiry or the end of the person's relation with the agency ends it at once. 1 for every other
 * scope. */
static int agency_scope_current(struct taxid_ctx *ctx, const char *scope, long long account_id)
{
	static const char pre[] = "enterprise:", mid[] = "/agency:";
	const char *m = strstr(scope, mid);
	if (strncmp(scope, pre, sizeof pre - 1) != 0 || !m)
		return 1;
	char client[32], today[11];
	size_t n = (size_t)(m - scope) - (sizeof pre - 1);
	if (n >= sizeof client)
		return 0;
	memcpy(client, scope + sizeof pre - 1, n);
	client[n] = 0;
	unsigned ymd = (unsigned)taxid_local_ymd(ctx->now, ctx->tz_offset) % 100000000u;
	snprintf(today, sizeof today, "%04u-%02u-%02u", ymd / 10000, ymd / 100 % 100, ymd % 100);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AGENCY_SESSION_OK);
	taxid_q_text(q, 1, client);
	taxid_q_text(q, 2, m + sizeof mid - 1);
	taxid_q_text(q, 3, today);
	taxid_q_int(q, 4, account_id);
	return taxid_q_exists(q);
}

enum taxid_code taxid_session_open(struct taxid_ctx *ctx, json_t *req, const char *field, int any_kind,
				   struct taxid_session *s)
{
	enum taxid_code c = TAXID_OK;
	memset(s, 0, sizeof *s);
	const char *token = taxid_req_str(ctx, req, field, 1, &c);
	if (c)
		return c;
	unsigned char h[32];
	taxid_sha256(token, strlen(token), h);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SESSION_GET);
	taxid_q_blob(q, 1, h, 32);
	if (!taxid_q_step(q)) {
		c = taxid_q_end(q);
		return c ? c : taxid_fail(ctx, TAXID_E_SESSION_INVALID, field);
	}
	long long sid = taxid_q_col_int(q, 0), aid = taxid_q_col_int(q, 1);
	int64_t last = taxid_q_col_int(q, 2), expires = taxid_q_col_int(q, 3);
	int revoked = !taxid_q_is_null(q, 4);
	const char *k = taxid_q_col_text(q, 5), *sc = taxid_q_col_text(q, 6), *f = taxid_q_col_text(q, 7);
	snprintf(s->kind, sizeof s->kind, "%s", k ? k : "");
	snprintf(s->scope, sizeof s->scope, "%s", sc ? sc : "");
	snprintf(s->factor, sizeof s->factor, "%s", f ? f : "");
	taxid_q_end(q);
	long long idle = taxid_setting_int(ctx, "session.idle_seconds", 1800);
	if (revoked || ctx->now >= expires || ctx->now - last >= idle || !agency_scope_current(ctx, s->scope, aid))
		return taxid_fail(ctx, TAXID_E_SESSION_INVALID, field);
	/* Personal actions refuse an enterprise-scoped session (rule 25). */
	if (!any_kind && strcmp(s->kind, "personal") != 0)
		return taxid_fail_detail(ctx, TAXID_E_SESSION_SCOPED, field, json_pack("{s:s,s:s}", "kind", s->kind, "scope", s->scope));
	q = taxid_q(ctx, TAXID_SQL_SESSION_TOUCH);
	taxid_q_int(q, 1, sid);
	taxid_q_int(q, 2, ctx->now);
	if ((c = taxid_q_exec(q)))
		return c;
	s->id = sid;
	s->account_id = aid;
	s->expires_at = expires;
	return TAXID_OK;
}

enum taxid_code taxid_session_check(struct taxid_ctx *ctx, json_t *req, const char *field, long long *account_id,
				    long long *session_id)
{
	struct taxid_session s;
	enum taxid_code c = taxid_session_open(ctx, req, field, 0, &s);
	if (c)
		return c;
	*account_id = s.account_id;
	if (session_id)
		*session_id = s.id;
	return TAXID_OK;
}

int taxid_session_alive(struct taxid_ctx *ctx, long long session_id, int64_t *expires_at)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SESSION_BY_ID);
	taxid_q_int(q, 1, session_id);
	int alive = taxid_q_step(q) && taxid_q_is_null(q, 1) && ctx->now < (*expires_at = taxid_q_col_int(q, 0));
	taxid_q_end(q);
	return alive;
}

enum taxid_code taxid_session_revoke(struct taxid_ctx *ctx, long long session_id)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SESSION_REVOKE);
	taxid_q_int(q, 1, session_id);
	taxid_q_int(q, 2, ctx->now);
	return taxid_q_exec(q);
}

enum taxid_code taxid_session_revoke_all(struct taxid_ctx *ctx, long long account_id, long long keep_session_id,
					 int *count)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SESSION_REVOKE_ALL);
	taxid_q_int(q, 1, account_id);
	if (keep_session_id)
		taxid_q_int(q, 2, keep_session_id);
	taxid_q_int(q, 3, ctx->now);
	enum taxid_code c = taxid_q_exec(q);
	if (count)
		*count = c ? 0 : (int)taxid_db_changes(ctx);
	return c;
}
