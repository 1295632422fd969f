/* Calendar days and months for the pension rules, on top of clock.c's Gregorian day numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "clock.h"

int taxid_day_parse(const char *s, taxid_day *d)
{
	int y, m, dd;
	if (!s || !*s || taxid_date_parse(s, &y, &m, &dd))
		return -1;
	*d = taxid_days_from_civil(y, m, dd);
	return 0;
}

void taxid_day_format(taxid_day d, char out[TAXID_DATE_LEN])
{
	int y, m, dd;
	taxid_civil_from_days(d, &y, &m, &dd);
	snprintf(out, TAXID_DATE_LEN, "%04d-%02d-%02d", y % 10000, m, dd);
}

int taxid_day_ymd(taxid_day d)
{
	int y, m, dd;
	taxid_civil_from_days(d, &y, &m, &dd);
	return y * 10000 + m * 100 + dd;
}

int taxid_day_month(taxid_day d)
{
	int y, m, dd;
	taxid_civil_from_days(d, &y, &m, &dd);
	return y * 12 + m - 1;
}

taxid_day taxid_day_local(int64_t t, int offset_seconds)
{
	int ymd = taxid_local_ymd(t, offset_seconds);
	return taxid_days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
}

taxid_day taxid_day_add_months(taxid_day d, int n)
{
	int y, m, dd;
	taxid_civil_from_days(d, &y, &m, &dd);
	int mon = y * 12 + m - 1 + n, y2 = mon / 12, m2 = mon % 12 + 1;
	int last = taxid_month_days(y2, m2);
	return taxid_days_from_civil(y2, m2, dd > last ? last : dd);
}

taxid_day taxid_birthday_at(taxid_day birth, int years)
{
	int y, m, d;
	taxid_civil_from_days(birth, &y, &m, &d);
	y += years;
	if (m == 2 && d == 29 && taxid_month_days(y, 2) == 28) {
		m = 3;
		d = 1;
	}
	return taxid_days_from_civil(y, m, d);
}

int taxid_month_parse(const char *s, int *mon)
{
	if (!s || strlen(s) != 7 || s[4] != '-' || strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 2)
		return -1;
	int y = atoi(s), m = atoi(s + 5);
	if (y < 1 || m < 1 || m > 12)
		return -1;
	*mon = y * 12 + m - 1;
	return 0;
}

int taxid_month_or_none(const char *s)
{
	int m;
	return taxid_month_parse(s, &m) ? TAXID_MONTH_NONE : m;
}

void taxid_month_format(int mon, char out[TAXID_MONTH_LEN])
{
	snprintf(out, TAXID_MONTH_LEN, "%04d-%02d", (mon / 12) % 10000, mon % 12 + 1);
}

taxid_day taxid_month_first(int mon)
{
	return taxid_days_from_civil(mon / 12, mon % 12 + 1, 1);
}

taxid_day taxid_month_last(int mon)
{
	return taxid_days_from_civil(mon / 12, mon % 12 + 1, taxid_month_days(mon / 12, mon % 12 + 1));
}

int taxid_months_incl(int a, int b)
{
	return a == TAXID_MONTH_NONE || b == TAXID_MONTH_NONE || b < a ? 0 : b - a + 1;
}
