/* The public-holiday calendar: a sorted table generated from data/holidays-cn.tsv (see the Makefile's holidays.inc
 * rule). A year is known when the table has a day in it. */
#include <stdlib.h>

#include "clock.h"
#include "holiday.h"

static const struct hday {
	int ymd;     /* YYYYMMDD */
	int holiday; /* 1 public holiday, 0 adjusted working day */
} hdays[] = {
#include "holidays.inc"
};

#define NHDAYS (sizeof hdays / sizeof *hdays)

static int hday_cmp(const void *k, const void *e)
{
	int a = *(const int *)k, b = ((const struct hday *)e)->ymd;
	return (a > b) - (a < b);
}

int taxid_holiday_year_known(int year)
{
	size_t lo = 0, hi = NHDAYS;
	int first = year * 10000 + 101;
	while (lo < hi) { /* the first day on or after 1 January */
		size_t mid = lo + (hi - lo) / 2;
		if (hdays[mid].ymd < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < NHDAYS && hdays[lo].ymd / 10000 == year;
}

int taxid_working_days(int64_t a, int64_t b, int unknown[TAXID_HOLIDAY_MAX_UNKNOWN], int *n_unknown)
{
	int n = 0;
	*n_unknown = 0;
	for (int64_t d = a + 1; d <= b; d++) {
		int y, m, dd;
		taxid_civil_from_days(d, &y, &m, &dd);
		int wd = (int)(((d % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday; 0 is Sunday */
		int work = wd != 0 && wd != 6;
		if (!taxid_holiday_year_known(y)) {
			if (!*n_unknown || unknown[*n_unknown - 1] != y) {
				if (*n_unknown < TAXID_HOLIDAY_MAX_UNKNOWN)
					unknown[(*n_unknown)++] = y;
			}
		} else {
			int key = y * 10000 + m * 100 + dd;
			const struct hday *h = bsearch(&key, hdays, NHDAYS, sizeof *hdays, hday_cmp);
			if (h)
				work = !h->holiday;
		}
		n += work;
	}
	return n;
}
