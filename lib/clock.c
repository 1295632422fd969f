/* Instants and calendar dates, without the host's TZ: the operator's zone is a fixed offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

int64_t taxid_days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's days_from_civil algorithm (public domain description). */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void taxid_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int taxid_month_days(int y, int m)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return mdays[m - 1] + (m == 2 && leap);
}

int taxid_date_valid(int y, int m, int d)
{
	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= taxid_month_days(y, m);
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int taxid_date_parse(const char *s, int *y, int *m, int *d)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, y) || digits(s + 5, 2, m) ||
	    digits(s + 8, 2, d) || !taxid_date_valid(*y, *m, *d))
		return -1;
	return 0;
}

int taxid_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se;
	if (strlen(s) < 19 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	if (!taxid_date_valid(y, mo, d) || h > 23 || mi > 59 || se > 60)
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	if (se == 60)
		se = 59;
	*out = taxid_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	return 0;
}

static void time_format(int64_t t, char buf[TAXID_TIME_LEN])
{
	int64_t days = t / 86400, rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int y, m, d;
	taxid_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(buf, TAXID_TIME_LEN, "%s", "0000-00-00T00:00:00Z");
		return;
	}
	snprintf(buf, TAXID_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600),
		 (int)(rem / 60 % 60), (int)(rem % 60));
}

/* The last instant formatted, per thread: a bulk import formats the same instant (its request's) four times a
 * person, and snprintf's formatting was 4% of its instructions (issue 17 item 1). */
static _Thread_local struct {
	int64_t t;
	int set;
	char text[TAXID_TIME_LEN];
} last_time;

void taxid_time_format(int64_t t, char buf[TAXID_TIME_LEN])
{
	if (last_time.set && last_time.t == t) {
		memcpy(buf, last_time.text, TAXID_TIME_LEN);
		return;
	}
	time_format(t, buf);
	last_time.t = t;
	last_time.set = 1;
	memcpy(last_time.text, buf, TAXID_TIME_LEN);
}

int taxid_tz_parse(const char *s, int *offset)
{
	/* Zones of the region without daylight saving today; anything else is given as an offset. */
	static const struct {
		const char *name;
		int off;
	} zones[] = {{"Asia/Shanghai", 8 * 3600}, {"Asia/Chongqing", 8 * 3600}, {"Asia/Urumqi", 6 * 3600},
		     {"Asia/Hong_Kong", 8 * 3600}, {"Asia/Macau", 8 * 3600}, {"Asia/Taipei", 8 * 3600},
		     {"PRC", 8 * 3600}, {"UTC", 0}, {"Etc/UTC", 0}, {"Z", 0}};
	for (size_t i = 0; i < sizeof zones / sizeof *zones; i++)
		if (strcmp(s, zones[i].name) == 0) {
			*offset = zones[i].off;
			return 0;
		}
	int h, m;
	if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 && !digits(s + 1, 2, &h) && s[3] == ':' &&
	    !digits(s + 4, 2, &m) && h <= 14 && m <= 59) {
		*offset = (h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
		return 0;
	}
	return -1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int taxid_local_ymd(int64_t t, int offset)
{
	int y, m, d;
	taxid_civil_from_days(floor_div(t + offset, 86400), &y, &m, &d);
	return y * 10000 + m * 100 + d;
}

int64_t taxid_next_local_midnight(int64_t t, int offset)
{
	return (floor_div(t + offset, 86400) + 1) * 86400 - offset;
}

int taxid_age_years(int birth, int today)
{
	int age = today / 10000 - birth / 10000;
	if (today % 10000 < birth % 10000)
		age--;
	return age;
}
