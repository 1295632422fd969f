/* fuzz_ids: every validator of ids.h (libFuzzer).
 *
 * Input: byte 0 selects the function (modulo 22: 0-14 taxid_ids_check_document for each document type and three
 * unknown ones, 15 uscc, 16 tin, 17 bank card, 18 mobile, 19 taxid_ids_doc_type, 20 the check-character helpers,
 * 21 the region and country tables; 'B' + n selects n), byte 1 the options (0x40 pass an info struct, else NULL;
 * 0x01 strict_region, 0x02 strict_segment, 0x04 luhn_warning_only, 0x08 no "today", 0x10 today 1999-12-31,
 * 0x20 NULL options; '@' is "defaults, with info"), the rest is the number. The number is handed over in a heap
 * buffer of exactly its length (no NUL) so that a read past len is caught by AddressSanitizer.
 *
 * Besides "no crash", checks properties every validator promises (ids.h, ids.c):
 *   - info is always a well-formed set of NUL-terminated strings; at most TAXID_IDS_MAX_WARNINGS warnings;
 *   - a refusal leaves no facts behind (only the normalized form);
 *   - an accepted number's normalized form is accepted again, to the same normalized form (idempotence);
 *   - birth_date is a real date, region 6 digits, sex M/F, nationality a known alpha-3;
 *   - the USCC check accepting a code implies the TIN check accepts it;
 *   - taxid_ids_doc_type and taxid_ids_doc_name agree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                      \
	do {                                                                                                 \
		if (!(cond)) {                                                                                   \
			fprintf(stderr, "fuzz_ids: property failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
			abort();                                                                                     \
		}                                                                                                \
	} while (0)

static const enum taxid_doc_type doc_types[] = {
	TAXID_DOC_RESIDENT_ID,     TAXID_DOC_FOREIGN_PASSPORT, TAXID_DOC_HKMO_PERMIT,     TAXID_DOC_TW_PERMIT,
	TAXID_DOC_CN_PASSPORT,     TAXID_DOC_FOREIGN_PR,       TAXID_DOC_HKMO_RESIDENCE,  TAXID_DOC_TW_RESIDENCE,
	TAXID_DOC_WORK_PERMIT_A,   TAXID_DOC_WORK_PERMIT_B,    TAXID_DOC_WORK_PERMIT_C,   TAXID_DOC_OTHER,
	TAXID_DOC_UNKNOWN,         (enum taxid_doc_type)202,   (enum taxid_doc_type)-1,
};
#define NDOC (sizeof doc_types / sizeof doc_types[0])

typedef enum taxid_code (*checker)(const char *, size_t, const struct taxid_ids_opts *, struct taxid_id_info *);

/* Selectors after the document types. */
enum { SEL_USCC = NDOC, SEL_TIN, SEL_CARD, SEL_MOBILE, SEL_DOC_TYPE, SEL_CHECKCHARS, SEL_TABLES, SEL_COUNT };

static size_t bounded_len(const char *s, size_t max)
{
	const char *z = memchr(s, 0, max);
	return z ? (size_t)(z - s) : max;
}

static void check_info(enum taxid_code rc, const struct taxid_id_info *info)
{
	size_t nlen = bounded_len(info->normalized, sizeof info->normalized);
	CHECK(nlen < sizeof info->normalized);
	CHECK(bounded_len(info->birth_date, sizeof info->birth_date) < sizeof info->birth_date);
	CHECK(bounded_len(info->region, sizeof info->region) < sizeof info->region);
	CHECK(bounded_len(info->nationality, sizeof info->nationality) < sizeof info->nationality);
	CHECK(info->nwarnings >= 0 && info->nwarnings <= TAXID_IDS_MAX_WARNINGS);
	for (int i = 0; i < info->nwarnings; i++)
		CHECK(info->warnings[i] != NULL && info->warnings[i][0] != 0);
	if (rc != TAXID_OK) {
		/* "a failed check must not leave half-filled facts behind" */
		CHECK(info->birth_date[0] == 0);
		CHECK(info->sex == 0);
		CHECK(info->region[0] == 0);
		CHECK(info->nationality[0] == 0);
		CHECK(info->nwarnings == 0);
		return;
	}
	CHECK(nlen > 0);
	if (info->birth_date[0]) {
		int y, m, d;
		CHECK(strlen(info->birth_date) == 10);
		CHECK(taxid_date_parse(info->birth_date, &y, &m, &d) == 0);
	}
	CHECK(info->sex == 0 || info->sex == 'M' || info->sex == 'F');
	if (info->region[0]) {
		CHECK(strlen(info->region) == 6);
		for (int i = 0; i < 6; i++)
			CHECK(info->region[i] >= '0' && info->region[i] <= '9');
	}
	if (info->nationality[0])
		CHECK(strlen(info->nationality) == 3 && taxid_country_known_alpha3(info->nationality));
}

/* Run a checker on an exact-length heap copy, check the info, and on success re-check the normalized form. */
static enum taxid_code run(checker fn, enum taxid_doc_type t, const uint8_t *p, size_t n,
			   const struct taxid_ids_opts *o, int with_info)
{
	struct taxid_id_info info, again;
	char *s = malloc(n ? n : 1);
	enum taxid_code rc;
	if (!s)
		return TAXID_OK;
	if (n)
		memcpy(s, p, n);
	memset(&info, 0xA5, sizeof info); /* the validator must initialise everything it returns */
	if (fn)
		rc = fn(s, n, o, with_info ? &info : NULL);
	else
		rc = taxid_ids_check_document(t, s, n, o, with_info ? &info : NULL);
	free(s);
	if (!with_info)
		return rc;
	check_info(rc, &info);
	if (rc == TAXID_OK) {
		size_t nl = strlen(info.normalized);
		char *again_s = malloc(nl ? nl : 1);
		if (!again_s)
			return rc;
		memcpy(again_s, info.normalized, nl);
		memset(&again, 0xA5, sizeof again);
		enum taxid_code rc2 = fn ? fn(again_s, nl, o, &again) : taxid_ids_check_document(t, again_s, nl, o, &again);
		free(again_s);
		if (rc2 != TAXID_OK || strcmp(again.normalized, info.normalized) != 0) {
			fprintf(stderr, "fuzz_ids: normalized form '%s' re-checked gives code %d, normalized '%s'\n",
				info.normalized, (int)rc2, again.normalized);
			CHECK(!"normalized form is accepted again unchanged");
		}
		check_info(rc2, &again);
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned sel = data[0] % SEL_COUNT, flags = data[1];
	const uint8_t *p = data + 2;
	size_t n = size - 2;
	struct taxid_ids_opts opts = {
		.today = (flags & 0x08) ? 0 : (flags & 0x10) ? 19991231 : 20261125,
		.strict_region = (flags & 0x01) != 0,
		.strict_segment = (flags & 0x02) != 0,
		.luhn_warning_only = (flags & 0x04) != 0,
	};
	const struct taxid_ids_opts *o = (flags & 0x20) ? NULL : &opts; /* NULL means the defaults */
	int with_info = (flags & 0x40) != 0;                             /* NULL info is allowed too */

	if (sel < NDOC) {
		run(NULL, doc_types[sel], p, n, o, with_info);
		return 0;
	}
	switch (sel) {
	case SEL_USCC:
		if (run(taxid_ids_check_uscc, TAXID_DOC_UNKNOWN, p, n, o, with_info) == TAXID_OK)
			CHECK(run(taxid_ids_check_tin, TAXID_DOC_UNKNOWN, p, n, o, with_info) == TAXID_OK);
		break;
	case SEL_TIN:
		run(taxid_ids_check_tin, TAXID_DOC_UNKNOWN, p, n, o, with_info);
		break;
	case SEL_CARD:
		run(taxid_ids_check_bank_card, TAXID_DOC_UNKNOWN, p, n, o, with_info);
		break;
	case SEL_MOBILE:
		run(taxid_ids_check_mobile, TAXID_DOC_UNKNOWN, p, n, o, with_info);
		break;
	case SEL_DOC_TYPE: {
		char *s = malloc(n + 1);
		if (!s)
			return 0;
		memcpy(s, p, n);
		s[n] = 0;
		enum taxid_doc_type t = taxid_ids_doc_type(s);
		free(s);
		if (t != TAXID_DOC_UNKNOWN) {
			const char *name = taxid_ids_doc_name(t);
			CHECK(name != NULL);
			CHECK(taxid_ids_doc_type(name) == t);
			(void)taxid_ids_hall_only(t);
		}
		CHECK(taxid_ids_doc_type(NULL) == TAXID_DOC_UNKNOWN);
		break;
	}
	case SEL_CHECKCHARS: {
		/* NUL-terminated copies: the fixed-width helpers stop at the first character outside their alphabet. */
		char *s = malloc(n + 1);
		if (!s)
			return 0;
		memcpy(s, p, n);
		s[n] = 0;
		char c = taxid_ids_mod11_2(s);
		CHECK(c == 0 || (c >= '0' && c <= '9') || c == 'X');
		c = taxid_ids_uscc_check(s);
		CHECK(c == 0 || strchr("0123456789ABCDEFGHJKLMNPQRTUWXY", c));
		c = taxid_ids_org_check(s);
		CHECK(c == 0 || (c >= '0' && c <= '9') || c == 'X');
		int l = taxid_ids_luhn_digit(s, n);
		CHECK(l >= -1 && l <= 9);
		free(s);
		break;
	}
	case SEL_TABLES: {
		char *s = malloc(n + 1);
		if (!s)
			return 0;
		memcpy(s, p, n);
		s[n] = 0;
		if (n >= 6) {
			const struct taxid_region *r = taxid_region_find(s);
			if (r)
				CHECK(memcmp(r->code, s, 6) == 0 && r->province && r->names);
		}
		if (n >= 2)
			(void)taxid_region_province_ok(s);
		if (n >= 3) {
			const char *a3 = taxid_country_alpha3(s);
			if (a3)
				CHECK(taxid_country_known_alpha3(a3));
			(void)taxid_country_known_alpha3(s);
		}
		size_t cnt = taxid_region_count();
		if (cnt)
			CHECK(taxid_region_at(cnt - 1) != NULL);
		CHECK(taxid_region_at(cnt) == NULL);
		free(s);
		break;
	}
	}
	return 0;
}
