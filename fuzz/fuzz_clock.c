/* fuzz_clock: taxid_time_parse, taxid_date_parse and taxid_tz_parse (libFuzzer).
 *
 * The input is taken as a C string (exact-size heap copy, NUL added) and given to all three parsers; when it holds
 * a '|', the two halves are also parsed on their own and combined (instant + zone, birth date + today).
 *
 * Properties checked besides "no crash":
 *   - an accepted instant formats back to a string that parses to the same second (years 1-9999);
 *   - an accepted date is valid and survives days_from_civil -> civil_from_days;
 *   - an accepted zone is within +-14:59;
 *   - the next local midnight is after t, at most a day later, and on the next local calendar day;
 *   - the age from a birth date to a later date is between 0 and the difference of the years. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                      \
	do {                                                                                                 \
		if (!(cond)) {                                                                                   \
			fprintf(stderr, "fuzz_clock: property failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                                     \
		}                                                                                                \
	} while (0)

struct parsed {
	int time_ok, date_ok, tz_ok;
	int64_t t;
	int y, m, d;
	int off;
};

static void parse_all(const char *s, struct parsed *p)
{
	memset(p, 0, sizeof *p);
	p->time_ok = taxid_time_parse(s, &p->t) == 0;
	p->date_ok = taxid_date_parse(s, &p->y, &p->m, &p->d) == 0;
	p->tz_ok = taxid_tz_parse(s, &p->off) == 0;

	if (p->time_ok) {
		char buf[TAXID_TIME_LEN];
		taxid_time_format(p->t, buf);
		CHECK(strlen(buf) == TAXID_TIME_LEN - 1);
		/* Years outside 1-9999 (reachable through the offset) have no RFC 3339 form that parses back. */
		if (strncmp(buf, "0000", 4) != 0) {
			int64_t t2 = -1;
			int rc = taxid_time_parse(buf, &t2);
			if (rc != 0 || t2 != p->t)
				fprintf(stderr, "fuzz_clock: '%s' -> %lld -> '%s' -> rc %d, %lld\n", s, (long long)p->t, buf, rc,
					(long long)t2);
			CHECK(rc == 0 && t2 == p->t);
		}
	}
	if (p->date_ok) {
		int y, m, d;
		CHECK(taxid_date_valid(p->y, p->m, p->d));
		taxid_civil_from_days(taxid_days_from_civil(p->y, p->m, p->d), &y, &m, &d);
		CHECK(y == p->y && m == p->m && d == p->d);
		CHECK(taxid_age_years(p->y * 10000 + p->m * 100 + p->d, p->y * 10000 + p->m * 100 + p->d) == 0);
	}
	if (p->tz_ok)
		CHECK(p->off >= -(14 * 3600 + 59 * 60) && p->off <= 14 * 3600 + 59 * 60);
}

static int next_day(int ymd)
{
	int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
	taxid_civil_from_days(taxid_days_from_civil(y, m, d) + 1, &y, &m, &d);
	return y * 10000 + m * 100 + d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct parsed all, a, b;
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	parse_all(s, &all);

	char *bar = strchr(s, '|');
	if (bar) {
		*bar = 0;
		parse_all(s, &a);
		parse_all(bar + 1, &b);
		if (a.time_ok) {
			int off = b.tz_ok ? b.off : 8 * 3600;
			int64_t mid = taxid_next_local_midnight(a.t, off);
			CHECK(mid > a.t && mid - a.t <= 86400);
			CHECK((mid + off) % 86400 == 0);
			CHECK(taxid_local_ymd(mid, off) == next_day(taxid_local_ymd(a.t, off)));
			CHECK(taxid_local_ymd(mid - 1, off) == taxid_local_ymd(a.t, off));
		}
		if (a.date_ok && b.date_ok) {
			int birth = a.y * 10000 + a.m * 100 + a.d, today = b.y * 10000 + b.m * 100 + b.d;
			if (birth <= today) {
				int age = taxid_age_years(birth, today);
				CHECK(age >= 0 && age <= b.y - a.y);
			}
		}
	}
	free(s);
	return 0;
}
