/* ids.c: validation of every identifier taxid meets (IDS.md), pure functions without I/O or allocation. */
#include "ids.h"

#include "clock.h"

#include <string.h>

/* Longest identifier accepted after normalisation; anything longer is not a number we know. */
#define IDS_MAX 64

static const struct taxid_ids_opts ids_defaults = { 0, 0, 0, 0 };

/* ---- small helpers ---- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

static int all_alnum(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !is_upper(s[i]))
			return 0;
	return 1;
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int is_ascii_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_ideographic_space(const unsigned char *p, size_t n)
{
	return n >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80;
}

/* Trim ASCII and U+3000 spaces, fold full-width digits and letters to ASCII, upper-case.
 * Returns the length written to out (NUL-terminated), or -1 for anything no identifier can contain. */
static int normalize(const char *s, size_t len, char out[IDS_MAX + 1])
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = len, o = 0;

	if (!s)
		return -1;
	for (;;) {
		if (n > 0 && is_ascii_space(p[0])) {
			p++;
			n--;
		} else if (is_ideographic_space(p, n)) {
			p += 3;
			n -= 3;
		} else {
			break;
		}
	}
	for (;;) {
		if (n > 0 && is_ascii_space(p[n - 1]))
			n--;
		else if (n >= 3 && is_ideographic_space(p + n - 3, 3))
			n -= 3;
		else
			break;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (o == IDS_MAX)
			return -1;
		if (c > 0x20 && c < 0x7F) {
			out[o++] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
		} else if (c == 0xEF && i + 2 < n) {
			unsigned char b = p[i + 1], d = p[i + 2];
			if (b == 0xBC && d >= 0x90 && d <= 0x99)
				out[o++] = (char)('0' + (d - 0x90));
			else if (b == 0xBC && d >= 0xA1 && d <= 0xBA)
				out[o++] = (char)('A' + (d - 0xA1));
			else if (b == 0xBD && d >= 0x81 && d <= 0x9A)
				out[o++] = (char)('A' + (d - 0x81));
			else
				return -1;
			i += 2;
		} else {
			return -1;
		}
	}
	out[o] = '\0';
	return (int)o;
}

static struct taxid_id_info *begin(struct taxid_id_info *info, struct taxid_id_info *scratch)
{
	if (!info)
		info = scratch;
	memset(info, 0, sizeof *info);
	return info;
}

static void warn(struct taxid_id_info *info, const char *w)
{
	if (info->nwarnings < TAXID_IDS_MAX_WARNINGS)
		info->warnings[info->nwarnings++] = w;
}

static void set_normalized(struct taxid_id_info *info, const char *s, size_t n)
{
	if (n >= sizeof info->normalized)
		n = sizeof info->normalized - 1;
	memcpy(info->normalized, s, n);
	info->normalized[n] = '\0';
}

/* Keep only the normalized form: a failed check must not leave half-filled facts behind. */
static enum taxid_code fail(struct taxid_id_info *info, enum taxid_code rc)
{
	char keep[sizeof info->normalized];
	memcpy(keep, info->normalized, sizeof keep);
	memset(info, 0, sizeof *info);
	memcpy(info->normalized, keep, sizeof keep);
	return rc;
}

/* ---- document types ---- */

static const struct {
	enum taxid_doc_type type;
	const char *code;
	const char *name;
} doc_types[] = {
	{ TAXID_DOC_RESIDENT_ID, "201", "resident_id" },
	{ TAXID_DOC_FOREIGN_PASSPORT, "208", "foreign_passport" },
	{ TAXID_DOC_HKMO_PERMIT, "210", "hkmo_permit" },
	{ TAXID_DOC_TW_PERMIT, "213", "tw_permit" },
	{ TAXID_DOC_CN_PASSPORT, "227", "cn_passport" },
	{ TAXID_DOC_FOREIGN_PR, "233", "foreign_pr" },
	{ TAXID_DOC_HKMO_RESIDENCE, "237", "hkmo_residence" },
	{ TAXID_DOC_TW_RESIDENCE, "238", "tw_residence" },
	{ TAXID_DOC_WORK_PERMIT_A, "239", "work_permit_a" },
	{ TAXID_DOC_WORK_PERMIT_B, "240", "work_permit_b" },
	{ TAXID_DOC_WORK_PERMIT_C, "241", "work_permit_c" },
	{ TAXID_DOC_OTHER, "299", "other" },
};

enum taxid_doc_type taxid_ids_doc_type(const char *s)
{
	if (!s)
		return TAXID_DOC_UNKNOWN;
	for (size_t i = 0; i < sizeof doc_types / sizeof doc_types[0]; i++)
		if (strcmp(s, doc_types[i].code) == 0 || strcmp(s, doc_types[i].name) == 0)
			return doc_types[i].type;
	return TAXID_DOC_UNKNOWN;
}

const char *taxid_ids_doc_name(enum taxid_doc_type t)
{
	for (size_t i = 0; i < sizeof doc_types / sizeof doc_types[0]; i++)
		if (doc_types[i].type == t)
			return doc_types[i].name;
	return NULL;
}

int taxid_ids_hall_only(enum taxid_doc_type t)
{
	return t == TAXID_DOC_FOREIGN_PASSPORT || t == TAXID_DOC_WORK_PERMIT_A ||
	       t == TAXID_DOC_WORK_PERMIT_B || t == TAXID_DOC_WORK_PERMIT_C;
}

/* ---- check characters ---- */

char taxid_ids_mod11_2(const char *body17)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	int s = 0;

	if (!body17)
		return 0;
	for (int i = 0; i < 17; i++) {
		if (!is_digit(body17[i]))
			return 0;
		s += (body17[i] - '0') * w[i];
	}
	return "10X98765432"[s % 11];
}

/* GB 32100 alphabet values; the letters I, O, S, V, Z are not used. */
static int uscc_value(char c)
{
	static const signed char letters[26] = {
		10, 11, 12, 13, 14, 15, 16, 17, -1, 18, 19, 20, 21, /* A-M */
		22, -1, 23, 24, 25, -1, 26, 27, -1, 28, 29, 30, -1, /* N-Z */
	};
	if (is_digit(c))
		return c - '0';
	if (is_upper(c))
		return letters[c - 'A'];
	return -1;
}

char taxid_ids_uscc_check(const char *body17)
{
	static const int w[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	int s = 0;

	if (!body17)
		return 0;
	for (int i = 0; i < 17; i++) {
		int v = uscc_value(body17[i]);
		if (v < 0)
			return 0;
		s += v * w[i];
	}
	return alphabet[(31 - s % 31) % 31];
}

char taxid_ids_org_check(const char *body8)
{
	static const int w[8] = { 3, 7, 9, 10, 5, 8, 4, 2 };
	int s = 0, c;

	if (!body8)
		return 0;
	/* GB 11714 values letters over the full alphabet (A=10 .. Z=35), unlike GB 32100. */
	for (int i = 0; i < 8; i++) {
		char ch = body8[i];
		if (is_digit(ch))
			s += (ch - '0') * w[i];
		else if (is_upper(ch))
			s += (ch - 'A' + 10) * w[i];
		else
			return 0;
	}
	c = 11 - s % 11;
	return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

int taxid_ids_luhn_digit(const char *digits, size_t len)
{
	int s = 0;

	if (!digits)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = digits[len - 1 - i];
		int d;
		if (!is_digit(ch))
			return -1;
		d = ch - '0';
		/* The check digit will sit to the right, so the rightmost payload digit is doubled. */
		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		s += d;
	}
	return (10 - s % 10) % 10;
}

/* ---- shared pieces of the 18-character numbers ---- */

/* ymd: 8 digits. today <= 0 disables the future check. */
static enum taxid_code check_birth(const char *ymd, int today)
{
	int y = num(ymd, 4), m = num(ymd + 4, 2), d = num(ymd + 6, 2);

	if (m < 1 || m > 12 || d < 1 || d > taxid_month_days(y, m))
		return TAXID_E_BAD_BIRTH_DATE;
	/* Policy floor (IDS.md §1.4): the standard's own example is born 1880. */
	if (y < 1800)
		return TAXID_E_BAD_BIRTH_DATE;
	if (today > 0 && y * 10000 + m * 100 + d > today)
		return TAXID_E_FUTURE_BIRTH_DATE;
	return TAXID_OK;
}

/* 17 digits + digit or X. */
static int ric18_shape(const char *n, size_t nl)
{
	return nl == 18 && all_digits(n, 17) && (is_digit(n[17]) || n[17] == 'X');
}

static int is_residence_prefix(const char *n)
{
	return memcmp(n, "810000", 6) == 0 || memcmp(n, "820000", 6) == 0 || memcmp(n, "830000", 6) == 0;
}

/* Birth date, sex and check character of an 18-character number whose prefix was already judged. */
static enum taxid_code finish18(const char *n, const struct taxid_ids_opts *o, struct taxid_id_info *info)
{
	enum taxid_code rc = check_birth(n + 6, o->today);

	if (rc != TAXID_OK)
		return rc;
	if (taxid_ids_mod11_2(n) != n[17])
		return TAXID_E_BAD_CHECKSUM;
	memcpy(info->birth_date, n + 6, 4);
	info->birth_date[4] = '-';
	memcpy(info->birth_date + 5, n + 10, 2);
	info->birth_date[7] = '-';
	memcpy(info->birth_date + 8, n + 12, 2);
	info->birth_date[10] = '\0';
	info->sex = (n[16] - '0') % 2 ? 'M' : 'F';
	return TAXID_OK;
}

/* Last year a code was in force, or 0 while any of its names is still current. */
static int region_last_year(const struct taxid_region *r)
{
	const char *p = r->names;
	int last = 0;

	for (;;) {
		int to = 0;
		if (*p != '[')
			return 0;
		while (*p && *p != '-' && *p != ']')
			p++;
		if (*p == '-')
			p++;
		if (!is_digit(*p))
			return 0;
		while (is_digit(*p))
			to = to * 10 + (*p++ - '0');
		if (to > last)
			last = to;
		while (*p && *p != ',')
			p++;
		if (!*p)
			return last;
		p++;
	}
}

/* Region of a mainland number. Codes are never reissued and are assigned at registration, so any code of the
 * history counts and a code newer than the birth is fine (IDS.md §1.3); but nobody can have registered under a
 * code abolished before they were born. */
static enum taxid_code county(const char *code6, int birth_year, const struct taxid_ids_opts *o,
			      struct taxid_id_info *info)
{
	const struct taxid_region *r = taxid_region_find(code6);
	int last;

	if (!r) {
		if (o->strict_region)
			return TAXID_E_BAD_REGION;
		warn(info, "unknown_county");
	} else if (birth_year > 0 && (last = region_last_year(r)) > 0 && birth_year > last) {
		if (o->strict_region)
			return TAXID_E_BAD_REGION;
		warn(info, "abolished_county");
	}
	memcpy(info->region, code6, 6);
	info->region[6] = '\0';
	return TAXID_OK;
}

/* ---- document checks (n is normalized, nl its length) ---- */

static enum taxid_code check_ric(const char *n, size_t nl, const struct taxid_ids_opts *o, struct taxid_id_info *info)
{
	char full[19];
	enum taxid_code rc;

	if (nl == 15) {
		if (!all_digits(n, 15))
			return TAXID_E_BAD_FORMAT;
		/* GB 11643-1989 numbers were withdrawn before 2000: the century is always 19. */
		memcpy(full, n, 6);
		full[6] = '1';
		full[7] = '9';
		memcpy(full + 8, n + 6, 9);
		full[17] = taxid_ids_mod11_2(full);
		full[18] = '\0';
	} else if (ric18_shape(n, nl)) {
		if (is_residence_prefix(n) || n[0] == '9')
			return TAXID_E_WRONG_DOC_TYPE;
		memcpy(full, n, 18);
		full[18] = '\0';
	} else {
		return TAXID_E_BAD_FORMAT;
	}
	if (!taxid_region_province_ok(full))
		return TAXID_E_UNKNOWN_PROVINCE;
	if ((rc = finish18(full, o, info)) != TAXID_OK)
		return rc;
	if ((rc = county(full, num(full + 6, 4), o, info)) != TAXID_OK)
		return rc;
	set_normalized(info, full, 18);
	memcpy(info->nationality, "CHN", 4);
	return TAXID_OK;
}

static enum taxid_code check_residence(enum taxid_doc_type t, const char *n, size_t nl,
				       const struct taxid_ids_opts *o, struct taxid_id_info *info)
{
	enum taxid_code rc;
	int tw;

	if (!ric18_shape(n, nl))
		return TAXID_E_BAD_FORMAT;
	if (memcmp(n, "810000", 6) == 0 || memcmp(n, "820000", 6) == 0)
		tw = 0;
	else if (memcmp(n, "830000", 6) == 0)
		tw = 1;
	else if (n[0] == '9' || taxid_region_province_ok(n))
		return TAXID_E_WRONG_DOC_TYPE;
	else
		return TAXID_E_BAD_FORMAT;
	if (tw != (t == TAXID_DOC_TW_RESIDENCE))
		return TAXID_E_WRONG_DOC_TYPE;
	if ((rc = finish18(n, o, info)) != TAXID_OK)
		return rc;
	memcpy(info->region, n, 6);
	info->region[6] = '\0';
	memcpy(info->nationality, "CHN", 4);
	return TAXID_OK;
}

static enum taxid_code check_foreign_pr(const char *n, size_t nl, const struct taxid_ids_opts *o,
					struct taxid_id_info *info)
{
	enum taxid_code rc;
	const char *a3;

	if (nl == 15) {
		/* 2004/2017 card: only "3 letters + 12 digits" is confirmed (IDS.md §8.2). */
		if (!is_upper(n[0]) || !is_upper(n[1]) || !is_upper(n[2]) || !all_digits(n + 3, 12))
			return TAXID_E_BAD_FORMAT;
		if (!taxid_country_known_alpha3(n))
			return TAXID_E_UNKNOWN_COUNTRY;
		memcpy(info->nationality, n, 3);
		info->nationality[3] = '\0';
		return TAXID_OK;
	}
	if (!ric18_shape(n, nl))
		return TAXID_E_BAD_FORMAT;
	if (n[0] != '9')
		return n[0] >= '1' && n[0] <= '8' ? TAXID_E_WRONG_DOC_TYPE : TAXID_E_BAD_FORMAT;
	if (!taxid_region_province_ok(n + 1))
		return TAXID_E_UNKNOWN_PROVINCE;
	if (!(a3 = taxid_country_alpha3(n + 3)))
		return TAXID_E_UNKNOWN_COUNTRY;
	if ((rc = finish18(n, o, info)) != TAXID_OK)
		return rc;
	info->region[0] = n[1];
	info->region[1] = n[2];
	memcpy(info->region + 2, "0000", 5);
	memcpy(info->nationality, a3, 4);
	return TAXID_OK;
}

/* ^[HM](\d{8}|\d{10})$ */
static enum taxid_code check_hkmo_permit(const char *n, size_t nl)
{
	if ((nl == 9 || nl == 11) && (n[0] == 'H' || n[0] == 'M') && all_digits(n + 1, nl - 1))
		return TAXID_OK;
	return TAXID_E_BAD_FORMAT;
}

/* \d{8}, \d{10} or \d{10}\([A-Z0-9]\) */
static enum taxid_code check_tw_permit(const char *n, size_t nl)
{
	if ((nl == 8 || nl == 10) && all_digits(n, nl))
		return TAXID_OK;
	if (nl == 13 && all_digits(n, 10) && n[10] == '(' && (is_digit(n[11]) || is_upper(n[11])) && n[12] == ')')
		return TAXID_OK;
	return TAXID_E_BAD_FORMAT;
}

/* ^G\d{8}$, ^E\d{8}$ or ^E[A-HJ-NP-Z]\d{7}$ */
static enum taxid_code check_cn_passport(const char *n, size_t nl)
{
	if (nl != 9)
		return TAXID_E_BAD_FORMAT;
	if ((n[0] == 'G' || n[0] == 'E') && all_digits(n + 1, 8))
		return TAXID_OK;
	if (n[0] == 'E' && is_upper(n[1]) && n[1] != 'I' && n[1] != 'O' && all_digits(n + 2, 7))
		return TAXID_OK;
	return TAXID_E_BAD_FORMAT;
}

static enum taxid_code check_free(const char *n, size_t nl, size_t min, size_t max)
{
	return nl >= min && nl <= max && all_alnum(n, nl) ? TAXID_OK : TAXID_E_BAD_FORMAT;
}

enum taxid_code taxid_ids_check_document(enum taxid_doc_type t, const char *s, size_t len,
					 const struct taxid_ids_opts *o, struct taxid_id_info *info)
{
	struct taxid_id_info scratch;
	char n[IDS_MAX + 1];
	enum taxid_code rc;
	int nl;

	info = begin(info, &scratch);
	if (!o)
		o = &ids_defaults;
	if (!taxid_ids_doc_name(t))
		return TAXID_E_UNKNOWN_DOC_TYPE;
	if ((nl = normalize(s, len, n)) < 0)
		return TAXID_E_BAD_FORMAT;
	set_normalized(info, n, (size_t)nl);
	switch (t) {
	case TAXID_DOC_RESIDENT_ID:
		rc = check_ric(n, (size_t)nl, o, info);
		break;
	case TAXID_DOC_HKMO_RESIDENCE:
	case TAXID_DOC_TW_RESIDENCE:
		rc = check_residence(t, n, (size_t)nl, o, info);
		break;
	case TAXID_DOC_FOREIGN_PR:
		rc = check_foreign_pr(n, (size_t)nl, o, info);
		break;
	case TAXID_DOC_HKMO_PERMIT:
		rc = check_hkmo_permit(n, (size_t)nl);
		break;
	case TAXID_DOC_TW_PERMIT:
		rc = check_tw_permit(n, (size_t)nl);
		break;
	case TAXID_DOC_CN_PASSPORT:
		rc = check_cn_passport(n, (size_t)nl);
		break;
	case TAXID_DOC_FOREIGN_PASSPORT:
		rc = check_free(n, (size_t)nl, 5, 17);
		break;
	case TAXID_DOC_WORK_PERMIT_A:
	case TAXID_DOC_WORK_PERMIT_B:
	case TAXID_DOC_WORK_PERMIT_C:
	case TAXID_DOC_OTHER:
		rc = check_free(n, (size_t)nl, 4, 32);
		break;
	case TAXID_DOC_UNKNOWN:
	default:
		rc = TAXID_E_UNKNOWN_DOC_TYPE;
		break;
	}
	return rc == TAXID_OK ? rc : fail(info, rc);
}

/* ---- unified social credit code ---- */

/* Pre-standard Fujian/Xiamen pilot codes that fail the mod-31 check but are genuine (IDS.md §4.4). */
static const char *const uscc_pilots[] = {
	"91350100M0001TGQXM",
	"91350211M0000XUF46",
	"91350203M0001FUE2P",
	"91350211M00013FA1N",
};

/* Categories known under each registration authority: GB 32100 Tables 2-3 plus the later extensions (§4.1). */
static const char *uscc_categories(char authority)
{
	switch (authority) {
	case '1': return "1239";
	case '2': return "19";
	case '3': return "169";
	case '4': return "19";
	case '5': return "123459";
	case '6': return "129";
	case '7': return "129";
	case '8': return "129";
	case '9': return "1239";
	case 'A': return "19";
	case 'G': return "19";
	case 'J': return "19";
	case 'N': return "1239";
	case 'Q': return "1239";
	case 'Y': return "1";
	default: return NULL;
	}
}

static enum taxid_code uscc(const char *n, size_t nl, struct taxid_id_info *info)
{
	const char *cats;

	if (nl != 18)
		return TAXID_E_BAD_FORMAT;
	for (size_t i = 0; i < 18; i++)
		if (uscc_value(n[i]) < 0)
			return TAXID_E_BAD_FORMAT;
	if (!all_digits(n + 2, 6))
		return TAXID_E_BAD_FORMAT;
	memcpy(info->region, n + 2, 6);
	info->region[6] = '\0';
	for (size_t i = 0; i < sizeof uscc_pilots / sizeof uscc_pilots[0]; i++) {
		if (memcmp(n, uscc_pilots[i], 18) == 0) {
			warn(info, "pilot_code");
			return TAXID_OK;
		}
	}
	if (!(cats = uscc_categories(n[0])))
		return TAXID_E_BAD_AUTHORITY;
	/* "10": central registrations reportedly use 100000 (unverified, IDS.md §4.1). */
	if (!taxid_region_province_ok(n + 2) && memcmp(n + 2, "10", 2) != 0)
		return TAXID_E_UNKNOWN_PROVINCE;
	if (taxid_ids_uscc_check(n) != n[17])
		return TAXID_E_BAD_CHECKSUM;
	if (taxid_ids_org_check(n + 8) != n[16])
		return TAXID_E_BAD_ORG_CHECKSUM;
	if (!strchr(cats, n[1]))
		warn(info, "unknown_category");
	return TAXID_OK;
}

enum taxid_code taxid_ids_check_uscc(const char *s, size_t len, const struct taxid_ids_opts *o, struct taxid_id_info *info)
{
	struct taxid_id_info scratch;
	char n[IDS_MAX + 1];
	enum taxid_code rc;
	int nl;

	(void)o;
	info = begin(info, &scratch);
	if ((nl = normalize(s, len, n)) < 0)
		return TAXID_E_BAD_FORMAT;
	set_normalized(info, n, (size_t)nl);
	rc = uscc(n, (size_t)nl, info);
	return rc == TAXID_OK ? rc : fail(info, rc);
}

static enum taxid_code tin(const char *n, size_t nl, const struct taxid_ids_opts *o, struct taxid_id_info *info)
{
	enum taxid_code rc;

	switch (nl) {
	case 18:
		return uscc(n, nl, info);
	case 15:
		/* Region code + GB 11714 organisation code, hyphen dropped (IDS.md §5). */
		if (!all_digits(n, 6) || !all_alnum(n + 6, 8) || !(is_digit(n[14]) || n[14] == 'X'))
			return TAXID_E_BAD_FORMAT;
		if (!taxid_region_province_ok(n))
			return TAXID_E_UNKNOWN_PROVINCE;
		if (taxid_ids_org_check(n + 6) != n[14])
			return TAXID_E_BAD_ORG_CHECKSUM;
		return county(n, 0, o, info);
	case 20:
		/* Resident ID + 2-digit sequence, for people and individual businesses. */
		if (!ric18_shape(n, 18) || !all_digits(n + 18, 2))
			return TAXID_E_BAD_FORMAT;
		if ((rc = check_ric(n, 18, o, info)) != TAXID_OK)
			return rc;
		set_normalized(info, n, nl);
		return TAXID_OK;
	default:
		return TAXID_E_BAD_FORMAT;
	}
}

enum taxid_code taxid_ids_check_tin(const char *s, size_t len, const struct taxid_ids_opts *o, struct taxid_id_info *info)
{
	struct taxid_id_info scratch;
	char n[IDS_MAX + 1];
	enum taxid_code rc;
	int nl;

	info = begin(info, &scratch);
	if (!o)
		o = &ids_defaults;
	if ((nl = normalize(s, len, n)) < 0)
		return TAXID_E_BAD_FORMAT;
	set_normalized(info, n, (size_t)nl);
	rc = tin(n, (size_t)nl, o, info);
	return rc == TAXID_OK ? rc : fail(info, rc);
}

/* ---- bank cards and mobiles ---- */

enum taxid_code taxid_ids_check_bank_card(const char *s, size_t len, const struct taxid_ids_opts *o, struct taxid_id_info *info)
{
	struct taxid_id_info scratch;
	char n[IDS_MAX + 1];
	int nl;

	info = begin(info, &scratch);
	if (!o)
		o = &ids_defaults;
	if ((nl = normalize(s, len, n)) < 0)
		return TAXID_E_BAD_FORMAT;
	set_normalized(info, n, (size_t)nl);
	if (nl < 16 || nl > 19 || !all_digits(n, (size_t)nl))
		return fail(info, TAXID_E_BAD_FORMAT);
	/* Some UnionPay cards skip Luhn (IDS.md §10), hence the warning-only option. */
	if (taxid_ids_luhn_digit(n, (size_t)nl - 1) != n[nl - 1] - '0') {
		if (!o->luhn_warning_only)
			return fail(info, TAXID_E_BAD_CHECKSUM);
		warn(info, "luhn_failed");
	}
	return TAXID_OK;
}

/* libphonenumber's CN mobile pattern: 1740[0-5]\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8} */
static int strict_segment(const char *m)
{
	switch (m[1]) {
	case '3':
	case '8':
		return 1;
	case '4':
		return m[2] == '5' || m[2] == '7';
	case '5':
	case '9':
		return m[2] != '4';
	case '6':
		return m[2] == '2' || (m[2] >= '5' && m[2] <= '7');
	case '7':
		if (m[2] == '4')
			return m[3] == '0' && m[4] >= '0' && m[4] <= '5';
		return m[2] != '9';
	default:
		return 0;
	}
}

enum taxid_code taxid_ids_check_mobile(const char *s, size_t len, const struct taxid_ids_opts *o, struct taxid_id_info *info)
{
	struct taxid_id_info scratch;
	char n[IDS_MAX + 1];
	const char *m;
	size_t ml;
	int nl;

	info = begin(info, &scratch);
	if (!o)
		o = &ids_defaults;
	if ((nl = normalize(s, len, n)) < 0)
		return TAXID_E_BAD_FORMAT;
	set_normalized(info, n, (size_t)nl);
	m = n;
	ml = (size_t)nl;
	if (ml >= 3 && memcmp(m, "+86", 3) == 0) {
		m += 3;
		ml -= 3;
	} else if (ml == 15 && memcmp(m, "0086", 4) == 0) {
		m += 4;
		ml -= 4;
	} else if (ml == 13 && memcmp(m, "86", 2) == 0) {
		m += 2;
		ml -= 2;
	}
	if (ml != 11 || !all_digits(m, 11) || m[0] != '1' || m[1] < '3')
		return fail(info, TAXID_E_BAD_FORMAT);
	if (!strict_segment(m)) {
		if (o->strict_segment)
			return fail(info, TAXID_E_BAD_FORMAT);
		warn(info, "contested_segment");
	}
	set_normalized(info, m, 11);
	return TAXID_OK;
}
