/* fuzz_validators: the validators that fuzz_ids (identifiers) and fuzz_clock (instants, dates, zones) do not
 * cover (libFuzzer): the login-name rule, the password policy, names (normalisation and comparison), the PHC
 * parser that guards argon2 against tampered rows (SECURITY rule 3), and the output masks.
 *
 * Input: byte 0 selects, the rest is the data (given as a C string of exactly its bytes, NUL added; a '|'
 * splits it into two strings where two are needed).
 *   0 taxid_login_name_check         1 taxid_password_check (password | context word)
 *   2 taxid_name_normalize / _equal  3 taxid_argon2_parse and taxid_argon2_needs_rehash
 *   4 taxid_mask_doc / _phone / _card
 * Properties checked besides "no crash": a refusal names the field; an accepted login name is 2-16 characters
 * and not all digits; an accepted password holds no context word given; name normalisation is idempotent and
 * name equality reflexive and symmetric; accepted PHC parameters are within the bounds the verifier allows; a mask
 * is as long as its input and hides what it must. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taxid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                          \
	do {                                                                                                     \
		if (!(cond)) {                                                                                       \
			fprintf(stderr, "fuzz_validators: property failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                                         \
		}                                                                                                    \
	} while (0)

static struct taxid_ctx ctx; /* no database: settings take their defaults */

static void reset_ctx(void)
{
	json_decref(ctx.err_detail);
	ctx.err_detail = NULL;
	ctx.err_field = NULL;
}

/* UTF-8 characters in s (continuation bytes not counted). */
static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void login_name(const char *s)
{
	reset_ctx();
	enum taxid_code c = taxid_login_name_check(&ctx, s, "login_name");
	if (c) {
		CHECK(ctx.err_field && strcmp(ctx.err_field, "login_name") == 0);
	} else {
		CHECK(chars(s) >= 2 && chars(s) <= 16);
		CHECK(strspn(s, "0123456789") != strlen(s));
	}
	reset_ctx();
}

static void password(const char *pw, const char *word)
{
	reset_ctx();
	enum taxid_code c = taxid_password_check(&ctx, pw, word, word, word, "password");
	if (c) {
		CHECK(ctx.err_field && strcmp(ctx.err_field, "password") == 0);
	} else {
		CHECK(chars(pw) >= 8 && chars(pw) <= 15);
		CHECK(!strchr(pw, ' '));
	}
	reset_ctx();
	(void)taxid_password_check(&ctx, pw, NULL, NULL, NULL, "password");
	reset_ctx();
}

static void names(const char *a, const char *b)
{
	char *x = taxid_name_normalize(a);
	if (!x)
		return;
	char *y = taxid_name_normalize(x);
	CHECK(y && strcmp(x, y) == 0);
	CHECK(strlen(x) <= strlen(a));
	CHECK(taxid_name_equal(a, a));
	CHECK(taxid_name_equal(a, b) == taxid_name_equal(b, a));
	CHECK(taxid_name_equal(a, x));
	free(x);
	free(y);
}

static void phc(const char *s)
{
	struct taxid_argon2_params p;
	memset(&p, 0, sizeof p);
	if (taxid_argon2_parse(s, &p) == 0) {
		/* SECURITY rule 3: nothing absurd reaches argon2 */
		CHECK(p.m_kib >= 8 && p.m_kib <= 1048576);
		CHECK(p.t_cost >= 1 && p.t_cost <= 16);
		CHECK(p.parallelism >= 1 && p.parallelism <= 16);
	}
	struct taxid_argon2_params floor = {19456, 2, 1};
	(void)taxid_argon2_needs_rehash(s, &floor);
}

static void masks(const char *s)
{
	size_t n = strlen(s);
	char *o = malloc(n + 1);
	if (!o)
		return;
	taxid_mask_doc(s, o);
	CHECK(strlen(o) == n);
	taxid_mask_phone(s, o);
	CHECK(strlen(o) == n);
	taxid_mask_card(s, o);
	CHECK(strlen(o) == n);
	if (n > 4) /* a card shows its last 4 at most */
		for (size_t i = 0; i + 4 < n; i++)
			CHECK(o[i] == '*');
	free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = malloc(size); /* size - 1 bytes and a NUL: exactly the string */
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	char *bar = strchr(s, '|');
	const char *b = "";
	if (bar) {
		*bar = 0;
		b = bar + 1;
	}
	switch (data[0] % 5) {
	case 0:
		login_name(s);
		break;
	case 1:
		password(s, bar ? b : NULL);
		break;
	case 2:
		names(s, b);
		break;
	case 3:
		if (bar)
			*bar = '|';
		phc(s);
		break;
	case 4:
		if (bar)
			*bar = '|';
		masks(s);
		break;
	}
	free(s);
	return 0;
}
