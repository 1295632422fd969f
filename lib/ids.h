/* ids.c: validation of every identifier taxid meets (IDS.md), pure functions without I/O. */
#ifndef TAXID_IDS_H
#define TAXID_IDS_H

#include <stddef.h>
#include "errors.h"

/* The tax document-type codes (DOMAIN §8). */
enum taxid_doc_type {
	TAXID_DOC_UNKNOWN = 0,
	TAXID_DOC_RESIDENT_ID = 201,
	TAXID_DOC_FOREIGN_PASSPORT = 208,
	TAXID_DOC_HKMO_PERMIT = 210,
	TAXID_DOC_TW_PERMIT = 213,
	TAXID_DOC_CN_PASSPORT = 227,
	TAXID_DOC_FOREIGN_PR = 233,
	TAXID_DOC_HKMO_RESIDENCE = 237,
	TAXID_DOC_TW_RESIDENCE = 238,
	TAXID_DOC_WORK_PERMIT_A = 239,
	TAXID_DOC_WORK_PERMIT_B = 240,
	TAXID_DOC_WORK_PERMIT_C = 241,
	TAXID_DOC_OTHER = 299
};

#define TAXID_IDS_MAX_WARNINGS 4

/* What a validator learned about a number. Strings are NUL-terminated; empty when unknown. */
struct taxid_id_info {
	char normalized[40];     /* canonical form: trimmed, upper-case, 15-digit RIC upgraded to 18 */
	char birth_date[11];     /* YYYY-MM-DD */
	char sex;                /* 'M', 'F' or 0 */
	char region[7];          /* 6-digit GB/T 2260 code carried by the number */
	char nationality[4];     /* ISO 3166-1 alpha-3 where the number carries it ("CHN" for residents) */
	const char *warnings[TAXID_IDS_MAX_WARNINGS]; /* static snake_case words: unknown_county, abolished_county, pilot_code, unknown_category, contested_segment, luhn_failed */
	int nwarnings;
};

/* Options that change a verdict. today is the calendar date used for "future" checks (YYYYMMDD as an int). */
struct taxid_ids_opts {
	int today;               /* e.g. 20261125 */
	int strict_region;       /* unknown county is an error (bad_region) instead of a warning */
	int strict_segment;      /* mobile segment outside the strict list is an error instead of a warning */
	int luhn_warning_only;   /* bank-card Luhn failure becomes the warning luhn_failed */
};

/* Parse a document type from a tax code ("201") or readable name ("resident_id"); TAXID_DOC_UNKNOWN if neither. */
enum taxid_doc_type taxid_ids_doc_type(const char *s);
/* Readable name of a document type ("resident_id"); NULL for unknown. */
const char *taxid_ids_doc_name(enum taxid_doc_type t);
/* 1 for the 4 types that must be collected at a tax hall before registration (208, 239, 240, 241). */
int taxid_ids_hall_only(enum taxid_doc_type t);

/* Validate a document number of the given type. On success returns TAXID_OK and fills info.
 * On failure returns the precise reason (TAXID_E_BAD_FORMAT, TAXID_E_BAD_CHECKSUM, TAXID_E_BAD_BIRTH_DATE,
 * TAXID_E_FUTURE_BIRTH_DATE, TAXID_E_UNKNOWN_PROVINCE, TAXID_E_WRONG_DOC_TYPE, ...). */
enum taxid_code taxid_ids_check_document(enum taxid_doc_type t, const char *s, size_t len,
					 const struct taxid_ids_opts *o, struct taxid_id_info *info);
/* Unified social credit code (GB 32100 with the embedded GB 11714 check; pilot allow-list); legacy 15/20 TINs not here. */
enum taxid_code taxid_ids_check_uscc(const char *s, size_t len, const struct taxid_ids_opts *o, struct taxid_id_info *info);
/* Taxpayer identification number: USCC, or the legacy 15-character (region + GB 11714) and 20-character (RIC + 2) forms. */
enum taxid_code taxid_ids_check_tin(const char *s, size_t len, const struct taxid_ids_opts *o, struct taxid_id_info *info);
/* Bank card: 16-19 digits, Luhn. */
enum taxid_code taxid_ids_check_bank_card(const char *s, size_t len, const struct taxid_ids_opts *o, struct taxid_id_info *info);
/* Mainland mobile: optional +86/0086/86, then 1[3-9] + 9 digits; normalized is the 11 digits. */
enum taxid_code taxid_ids_check_mobile(const char *s, size_t len, const struct taxid_ids_opts *o, struct taxid_id_info *info);

/* MOD 11-2 check character for a 17-digit body ('0'-'9' or 'X'); 0 if the body is not 17 digits. */
char taxid_ids_mod11_2(const char *body17);
/* GB 32100 check character for a 17-character body; 0 if a character is outside the alphabet. */
char taxid_ids_uscc_check(const char *body17);
/* GB 11714 check character for an 8-character organisation-code body; 0 if invalid. */
char taxid_ids_org_check(const char *body8);
/* Luhn check digit for a digit string (the digit to append); -1 if not digits. */
int taxid_ids_luhn_digit(const char *digits, size_t len);

/* A GB/T 2260 entry (historical names kept, e.g. "[-2010]崇文区"). */
struct taxid_region {
	const char *code;        /* "110103" */
	const char *province;    /* "北京市" */
	const char *names;       /* comma-separated, each optionally prefixed [from-to] */
};
/* Look a 6-digit code up in the historical table; NULL when unknown. */
const struct taxid_region *taxid_region_find(const char *code6);
/* Number of entries in the table, and the i-th entry (for fixture generators). */
size_t taxid_region_count(void);
const struct taxid_region *taxid_region_at(size_t i);
/* 1 when the 2-digit prefix is one of the 31 mainland provinces. */
int taxid_region_province_ok(const char *two);

/* ISO 3166-1: alpha-3 for a numeric code ("682" -> "SAU"), NULL if unknown; and 1 when alpha-3 is known. */
const char *taxid_country_alpha3(const char *numeric3);
int taxid_country_known_alpha3(const char *alpha3);

#endif
