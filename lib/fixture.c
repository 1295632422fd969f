/* Synthetic people. Everything comes from one splitmix64 stream consumed in a fixed order, so a seed and a count
 * give the same bytes on every machine, and a shorter run is a prefix of a longer one. Numbers are unique within a
 * run (a 64-bit fingerprint filter redraws the rare duplicate); login names carry the record's index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "crypto.h"
#include "clock.h"
#include "fixture.h"
#include "record.h"

struct taxid_fixture {
	uint64_t state;
	struct taxid_fixture_opts o;
	long index;
	size_t *regions; /* indexes of county-level entries of the GB/T 2260 table */
	int *region_last; /* the year a region was abolished, 0 while it exists */
	size_t nregions;
	uint64_t *seen; /* open addressing; 0 is empty */
	size_t seen_mask, seen_count;
};

/* ---- the stream ---- */

static uint64_t next64(struct taxid_fixture *f)
{
	uint64_t z = (f->state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n) by rejection, so no value is favoured. */
static uint32_t below(struct taxid_fixture *f, uint32_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;
	do
		x = next64(f);
	while (x >= limit);
	return (uint32_t)(x % n);
}

#define PICK(f, arr) ((arr)[below((f), (uint32_t)(sizeof(arr) / sizeof(arr)[0]))])

static void digits(struct taxid_fixture *f, char *out, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = (char)('0' + below(f, 10));
	out[n] = 0;
}

/* ---- duplicates ---- */

static uint64_t fingerprint(const char *kind, const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (const char *p = kind; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
	h = (h ^ 0xff) * UINT64_C(0x100000001b3);
	for (const char *p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
	h ^= h >> 29;
	return h ? h : 1;
}

/* 1 when new (and now remembered), 0 when seen before. */
static int remember(struct taxid_fixture *f, const char *kind, const char *s)
{
	uint64_t h = fingerprint(kind, s);
	if ((f->seen_count + 1) * 3 > (f->seen_mask + 1) * 2) { /* keep the load under 2/3 */
		size_t n = (f->seen_mask + 1) * 2;
		uint64_t *t = calloc(n, sizeof *t);
		if (!t)
			return 1; /* without memory, accept: a duplicate only costs a refused row later */
		for (size_t i = 0; i <= f->seen_mask; i++)
			if (f->seen[i]) {
				size_t j = f->seen[i] & (n - 1);
				while (t[j])
					j = (j + 1) & (n - 1);
				t[j] = f->seen[i];
			}
		free(f->seen);
		f->seen = t;
		f->seen_mask = n - 1;
	}
	size_t j = h & f->seen_mask;
	while (f->seen[j]) {
		if (f->seen[j] == h)
			return 0;
		j = (j + 1) & f->seen_mask;
	}
	f->seen[j] = h;
	f->seen_count++;
	return 1;
}

/* ---- names ---- */

static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
	"罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于",
	"蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆",
	"汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛",
	"闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武",
	"欧阳", "司马", "上官", "诸葛", "令狐", "皇甫",
};
static const char *const given[] = {
	"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
	"平", "刚", "桂", "英", "华", "玉", "萍", "红", "鹏", "飞", "建", "国", "文", "辉", "斌", "宇", "浩", "凯", "晨",
	"欣", "怡", "婷", "雪", "琳", "思", "梦", "嘉", "子", "涵", "轩", "博", "睿", "泽", "雨", "萱", "堃", "喆", "昇",
	"玥", "燚", "淼", "鑫", "犇", "龑", "頔",
};
/* Characters outside the Basic Multilingual Plane: 4 bytes in UTF-8 (CJK extensions B-G). */
static const char *const rare[] = {"𠮷", "𡒄", "𪚥", "𬌗", "𫖮", "𬱟", "𠀾", "𤆬", "𬘭", "𫟹", "𬍛", "𰻞"};
/* Uyghur, Kazakh, Tibetan and Mongolian names written with the middle dot. */
static const char *const minority_first[] = {"阿依古丽", "艾力", "古丽米拉", "热依拉", "买买提", "迪丽娜尔", "帕提古丽",
					     "努尔", "扎西", "巴特尔", "阿不都", "依力哈木", "米热古丽"};
static const char *const minority_last[] = {"买买提", "吐尔逊", "艾买提", "阿不都热合曼", "依明", "司马义", "次仁",
					    "额尔敦", "卡德尔", "热合曼", "玉素甫"};
/* Foreigners: the passport's Latin name, or a Chinese transliteration with the middle dot. */
static const char *const latin_first[] = {"JOHN", "MARIA", "DAVID", "ANNA", "JAMES", "SOPHIE", "HIROSHI", "MIN-JUN",
					  "OLGA", "AHMED", "LUCAS", "EMMA"};
static const char *const latin_last[] = {"SMITH", "GARCIA", "MULLER", "TANAKA", "KIM", "IVANOVA", "MARTIN",
					 "ROSSI", "NGUYEN", "SINGH", "BROWN", "DUBOIS"};
static const char *const translit_first[] = {"约翰", "玛丽亚", "大卫", "安娜", "詹姆斯", "索菲", "奥尔加", "艾哈迈德"};
static const char *const translit_last[] = {"史密斯", "加西亚", "穆勒", "罗西", "马丁", "布朗", "杜波依斯", "伊万诺娃"};

static void chinese_name(struct taxid_fixture *f, char *out, size_t n, int allow_minority)
{
	uint32_t kind = below(f, 100);
	if (allow_minority && kind < 5) {
		snprintf(out, n, "%s·%s", PICK(f, minority_first), PICK(f, minority_last));
		return;
	}
	const char *s = PICK(f, surnames);
	const char *g1 = kind >= 5 && kind < 9 ? PICK(f, rare) : PICK(f, given);
	if (below(f, 3) == 0)
		snprintf(out, n, "%s%s", s, g1);
	else
		snprintf(out, n, "%s%s%s", s, g1, PICK(f, given));
}

static void foreign_name(struct taxid_fixture *f, char *out, size_t n)
{
	if (below(f, 2))
		snprintf(out, n, "%s %s", PICK(f, latin_first), PICK(f, latin_last));
	else
		snprintf(out, n, "%s·%s", PICK(f, translit_first), PICK(f, translit_last));
}

/* ---- numbers ---- */

static const char *const provinces[] = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33",
					"34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50",
					"51", "52", "53", "54", "61", "62", "63", "64", "65"};
static const struct {
	const char *numeric, *alpha3;
} foreign[] = {
	{"840", "USA"}, {"826", "GBR"}, {"276", "DEU"}, {"250", "FRA"}, {"392", "JPN"}, {"410", "KOR"},
	{"643", "RUS"}, {"702", "SGP"}, {"124", "CAN"}, {"036", "AUS"}, {"380", "ITA"}, {"724", "ESP"},
	{"528", "NLD"}, {"764", "THA"}, {"704", "VNM"}, {"458", "MYS"}, {"356", "IND"}, {"076", "BRA"},
};
/* Segments of libphonenumber's strict CN mobile pattern, so every number also passes --strict-segment. */
static const char *const segments[] = {"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145",
				       "147", "150", "151", "152", "153", "155", "156", "157", "158", "159", "162",
				       "165", "166", "167", "170", "171", "172", "173", "175", "176", "177", "178",
				       "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "190",
				       "191", "192", "193", "195", "196", "197", "198", "199"};

/* A birth date 1940-01-01 .. 2005-12-31 as YYYYMMDD, and a 3-digit sequence whose parity is the sex. */
static void birth(struct taxid_fixture *f, char ymd[9], char seq[4], char *sex)
{
	int y = 1940 + (int)below(f, 66), m = 1 + (int)below(f, 12);
	int d = 1 + (int)below(f, (uint32_t)taxid_month_days(y, m));
	ymd[0] = (char)('0' + y / 1000);
	ymd[1] = (char)('0' + y / 100 % 10);
	ymd[2] = (char)('0' + y / 10 % 10);
	ymd[3] = (char)('0' + y % 10);
	ymd[4] = (char)('0' + m / 10);
	ymd[5] = (char)('0' + m % 10);
	ymd[6] = (char)('0' + d / 10);
	ymd[7] = (char)('0' + d % 10);
	ymd[8] = 0;
	unsigned s = below(f, 1000);
	seq[0] = (char)('0' + s / 100);
	seq[1] = (char)('0' + s / 10 % 10);
	seq[2] = (char)('0' + s % 10);
	seq[3] = 0;
	*sex = s % 2 ? 'M' : 'F';
}

/* 17-digit body + MOD 11-2 check character (GB 11643). */
static void finish18(char *no, const char *body17)
{
	memcpy(no, body17, 17);
	no[17] = taxid_ids_mod11_2(body17);
	no[18] = 0;
}

static void iso_date(const char ymd[9], char out[11])
{
	snprintf(out, 11, "%.4s-%.2s-%.2s", ymd, ymd + 4, ymd + 6);
}

/* A unique number of type t; nat gets the nationality, region the address code where the number has one. */
static void number(struct taxid_fixture *f, enum taxid_doc_type t, char no[40], char nat[4], char region[7],
		   char ymd[9], char *sex, int *foreign_name_out)
{
	char seq[4], body[18], d[16];
	int k;
	region[0] = 0;
	memcpy(nat, "CHN", 4);
	*foreign_name_out = 0;
	birth(f, ymd, seq, sex);
	switch (t) {
	case TAXID_DOC_RESIDENT_ID: {
		/* Nobody registers under a code abolished before their birth (IDS.md §1.3): draw again. */
		int year = (ymd[0] - '0') * 1000 + (ymd[1] - '0') * 100 + (ymd[2] - '0') * 10 + (ymd[3] - '0');
		size_t r;
		do
			r = below(f, (uint32_t)f->nregions);
		while (f->region_last[r] && f->region_last[r] < year);
		const char *code = taxid_region_at(f->regions[r])->code;
		snprintf(body, sizeof body, "%s%s%s", code, ymd, seq);
		finish18(no, body);
		memcpy(region, code, 7);
		break;
	}
	case TAXID_DOC_HKMO_RESIDENCE:
	case TAXID_DOC_TW_RESIDENCE:
		snprintf(body, sizeof body, "%s%s%s",
			 t == TAXID_DOC_TW_RESIDENCE ? "830000" : below(f, 2) ? "810000" : "820000", ymd, seq);
		finish18(no, body);
		break;
	case TAXID_DOC_FOREIGN_PR:
		k = (int)below(f, (uint32_t)(sizeof foreign / sizeof foreign[0]));
		snprintf(body, sizeof body, "9%s%s%s%s", PICK(f, provinces), foreign[k].numeric, ymd, seq);
		finish18(no, body);
		memcpy(nat, foreign[k].alpha3, 4);
		*foreign_name_out = 1;
		break;
	case TAXID_DOC_HKMO_PERMIT:
		digits(f, d, 8);
		snprintf(no, 40, "%c%s", below(f, 2) ? 'H' : 'M', d);
		break;
	case TAXID_DOC_TW_PERMIT:
		digits(f, no, 8);
		break;
	case TAXID_DOC_CN_PASSPORT:
		digits(f, d, 7);
		snprintf(no, 40, "E%c%s", "ABCDEFGHJKLMNPQRSTUVWXYZ"[below(f, 24)], d);
		break;
	case TAXID_DOC_FOREIGN_PASSPORT:
		digits(f, d, 8);
		snprintf(no, 40, "%c%s", 'A' + (int)below(f, 26), d);
		memcpy(nat, foreign[below(f, (uint32_t)(sizeof foreign / sizeof foreign[0]))].alpha3, 4);
		*foreign_name_out = 1;
		break;
	case TAXID_DOC_WORK_PERMIT_A:
	case TAXID_DOC_WORK_PERMIT_B:
	case TAXID_DOC_WORK_PERMIT_C:
		digits(f, d, 8);
		snprintf(no, 40, "%c%d%s", "ABC"[t - TAXID_DOC_WORK_PERMIT_A], 2017 + (int)below(f, 9), d);
		memcpy(nat, foreign[below(f, (uint32_t)(sizeof foreign / sizeof foreign[0]))].alpha3, 4);
		*foreign_name_out = 1;
		break;
	default: /* 299 other */
		digits(f, d, 10);
		snprintf(no, 40, "QT%s", d);
		break;
	}
}

static void unique_number(struct taxid_fixture *f, enum taxid_doc_type t, char no[40], char nat[4], char region[7],
			  char ymd[9], char *sex, int *fn)
{
	char kind[8];
	snprintf(kind, sizeof kind, "%d", (int)t);
	do
		number(f, t, no, nat, region, ymd, sex, fn);
	while (!remember(f, kind, no));
}

static void bank_card(struct taxid_fixture *f, char out[20])
{
	int len = below(f, 2) ? 19 : 16;
	out[0] = '6';
	out[1] = '2';
	digits(f, out + 2, len - 3);
	out[len - 1] = (char)('0' + taxid_ids_luhn_digit(out, (size_t)(len - 1)));
	out[len] = 0;
}

static void login_name(struct taxid_fixture *f, long i, const char *surname_hint, char out[64])
{
	static const char *const syll[] = {"wang", "li", "zhang", "liu", "chen", "yang", "zhao", "wu", "zhou", "xu",
					   "sun", "ma", "zhu", "hu", "guo", "he", "lin", "luo"};
	static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char idx[16];
	int n = 0;
	unsigned long v = (unsigned long)i;
	do
		idx[n++] = b36[v % 36];
	while ((v /= 36) && n < 15);
	for (int a = 0, b = n - 1; a < b; a++, b--) {
		char t = idx[a];
		idx[a] = idx[b];
		idx[b] = t;
	}
	idx[n] = 0;
	/* The index makes each name unique: after the last '_' (base 36) or as the trailing digits (decimal). */
	switch (below(f, 4)) {
	case 0:
		snprintf(out, 64, "%s_%s_%s", PICK(f, syll), PICK(f, syll), idx);
		break;
	case 1:
		snprintf(out, 64, "%c%s_%s", 'A' + (int)below(f, 26), PICK(f, syll), idx);
		break;
	case 2:
		snprintf(out, 64, "%s%s%ld", surname_hint, PICK(f, given), i); /* Chinese characters and digits */
		break;
	default:
		snprintf(out, 64, "tax_%s", idx);
		break;
	}
	/* A login name has at most 16 characters (taxid_login_name_check). Two long syllables and an index of five or
	 * more base-36 digits (from record 1,679,616 on) would have 17: keep the second syllable and the index, which
	 * stays unique. The names of every shorter run are unchanged. */
	size_t len = strlen(out);
	char *cut = strchr(out, '_');
	if (len > 16 && cut && cut[1] != 0 && strchr(cut + 1, '_'))
		memmove(out, cut + 1, len - (size_t)(cut + 1 - out) + 1);
}

/* The last year any of a region's names was in use ("[-2010]崇文区"); 0 when one is still current. */
static int last_year(const char *names)
{
	int last = 0;
	for (const char *p = names; *p;) {
		int to = 0;
		if (*p != '[')
			return 0;
		p += strcspn(p, "-]");
		if (*p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			to = to * 10 + (*p++ - '0');
		if (to > last)
			last = to;
		p += strcspn(p, ",");
		if (*p)
			p++;
	}
	return last;
}

struct taxid_fixture *taxid_fixture_new(const struct taxid_fixture_opts *o, long count)
{
	struct taxid_fixture *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->o = *o;
	if (f->o.ntypes == 0) {
		f->o.types[0] = TAXID_DOC_RESIDENT_ID;
		f->o.ntypes = 1;
	}
	f->state = o->seed;
	size_t n = taxid_region_count();
	f->regions = malloc(n * sizeof *f->regions);
	f->region_last = malloc(n * sizeof *f->region_last);
	size_t want = 1024;
	while (want < (size_t)(count > 0 ? count : 1) * 5)
		want *= 2;
	f->seen = calloc(want, sizeof *f->seen);
	f->seen_mask = want - 1;
	if (!f->regions || !f->region_last || !f->seen) {
		taxid_fixture_free(f);
		return NULL;
	}
	/* County-level codes of mainland provinces: not ending in 00, so never a province or prefecture. */
	for (size_t i = 0; i < n; i++) {
		const struct taxid_region *r = taxid_region_at(i);
		int last = last_year(r->names);
		if (strcmp(r->code + 4, "00") != 0 && taxid_region_province_ok(r->code) && (last == 0 || last >= 1940)) {
			f->region_last[f->nregions] = last;
			f->regions[f->nregions++] = i;
		}
	}
	return f;
}

void taxid_fixture_free(struct taxid_fixture *f)
{
	if (!f)
		return;
	free(f->regions);
	free(f->region_last);
	free(f->seen);
	free(f);
}

json_t *taxid_fixture_next(struct taxid_fixture *f)
{
	long i = f->index++;
	enum taxid_doc_type t = f->o.types[i % f->o.ntypes];
	char no[40], nat[4], region[7], ymd[9], date[11], sex, name[128], phone[12], card[20], login[64], ref[32];
	char pno[40], pnat[4], pregion[7], pymd[9], psex;
	int fn, pfn;
	unique_number(f, t, no, nat, region, ymd, &sex, &fn);
	if (fn)
		foreign_name(f, name, sizeof name);
	else
		chinese_name(f, name, sizeof name, t == TAXID_DOC_RESIDENT_ID);
	do {
		digits(f, phone + 3, 8);
		memcpy(phone, PICK(f, segments), 3);
	} while (!remember(f, "phone", phone));
	bank_card(f, card);
	char surname[16];
	snprintf(surname, sizeof surname, "%s", fn ? "外籍" : PICK(f, surnames));
	login_name(f, i, surname, login);
	int face = below(f, 3) == 0;
	iso_date(ymd, date);
	snprintf(ref, sizeof ref, "fx-%ld", i + 1);

	json_t *o = json_object();
	char code[8];
	snprintf(code, sizeof code, "%d", (int)t);
	json_object_set_new(o, "ref", json_string(ref));
	json_object_set_new(o, "doc_type", json_string(code));
	json_object_set_new(o, "doc_no", json_string(no));
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "nationality", json_string(nat));
	json_object_set_new(o, "birth_date", json_string(date));
	json_object_set_new(o, "sex", json_stringn(&sex, 1));
	if (region[0])
		json_object_set_new(o, "region", json_string(region));
	enum taxid_doc_type pt = t == TAXID_DOC_HKMO_RESIDENCE ? TAXID_DOC_HKMO_PERMIT
				 : t == TAXID_DOC_TW_RESIDENCE ? TAXID_DOC_TW_PERMIT
				 : (t == TAXID_DOC_FOREIGN_PR || (t >= TAXID_DOC_WORK_PERMIT_A && t <= TAXID_DOC_WORK_PERMIT_C))
					 ? TAXID_DOC_FOREIGN_PASSPORT
					 : TAXID_DOC_UNKNOWN;
	if (pt) {
		unique_number(f, pt, pno, pnat, pregion, pymd, &psex, &pfn);
		snprintf(code, sizeof code, "%d", (int)pt);
		json_object_set_new(o, "paired", json_pack("{s:s,s:s}", "doc_type", code, "doc_no", pno));
	}
	json_object_set_new(o, "phone", json_string(phone));
	json_object_set_new(o, "bank_card", json_string(card));
	json_object_set_new(o, "login_name", json_string(login));
	if (f->o.password_hash)
		json_object_set_new(o, "password_hash", json_string(f->o.password_hash));
	else
		json_object_set_new(o, "initial_password", json_string("doc_tail6"));
	json_object_set_new(o, "face_verified", json_boolean(face));
	return o;
}

/* ---- the action ---- */

static enum taxid_code parse_types(struct taxid_ctx *ctx, const char *s, struct taxid_fixture_opts *o)
{
	o->ntypes = 0;
	while (s && *s) {
		size_t n = strcspn(s, ",");
		char w[32];
		snprintf(w, sizeof w, "%.*s", (int)(n < sizeof w ? n : sizeof w - 1), s);
		enum taxid_doc_type t = taxid_ids_doc_type(w);
		if (t == TAXID_DOC_UNKNOWN)
			return taxid_fail_detail(ctx, TAXID_E_UNKNOWN_DOC_TYPE, "doc_types", json_pack("{s:s}", "value", w));
		if (o->ntypes == TAXID_FIXTURE_MAX_TYPES)
			return taxid_fail(ctx, TAXID_E_BAD_VALUE, "doc_types");
		o->types[o->ntypes++] = t;
		s += n + (s[n] == ',');
	}
	return TAXID_OK;
}

enum taxid_code taxid_fixture_action(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	struct taxid_fixture_opts o;
	memset(&o, 0, sizeof o);
	long long count = taxid_req_int(ctx, req, "count", 10, &c);
	long long seed = c ? 0 : taxid_req_int(ctx, req, "seed", 1, &c);
	const char *types = c ? NULL : taxid_req_str(ctx, req, "doc_types", 0, &c);
	const char *pw = c ? NULL : taxid_req_str(ctx, req, "password", 0, &c);
	if (c)
		return c;
	if (count < 0 || count > 100000000)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "count");
	if ((c = parse_types(ctx, types, &o)))
		return c;
	o.seed = (uint64_t)seed;
	char *hash = NULL;
	if (pw) {
		/* One argon2id hash for the whole run (unpeppered, as a migrated system would hold it). */
		struct taxid_argon2_params p;
		if ((c = taxid_password_check(ctx, pw, NULL, NULL, NULL, "password")))
			return c;
		taxid_password_params(ctx, &p);
		if (!(hash = taxid_argon2_hash(pw, strlen(pw), &p)))
			return TAXID_E_INTERNAL;
		o.password_hash = hash;
	}
	struct taxid_fixture *f = taxid_fixture_new(&o, (long)count);
	if (!f) {
		free(hash);
		return TAXID_E_INTERNAL;
	}
	for (long long i = 0; i < count && !c; i++) {
		json_t *r = taxid_fixture_next(f);
		if (!r || json_dumpf(r, ctx->out, JSON_COMPACT) != 0 || putc('\n', ctx->out) == EOF)
			c = TAXID_E_IO_ERROR;
		json_decref(r);
		taxid_progress(ctx, (long)i + 1);
	}
	taxid_fixture_free(f);
	free(hash);
	return c;
}
