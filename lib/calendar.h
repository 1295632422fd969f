/* calendar.c: calendar days (counted from 1970-01-01) and months (counted as year * 12 + month - 1) for the pension
 * rules: parse, format, the first and last day of a month, the same day some months later, birthdays. The
 * Gregorian rules themselves (days in a month, leap years, day numbers) are clock.c's. */
#ifndef TAXID_CALENDAR_H
#define TAXID_CALENDAR_H

#include <limits.h>
#include <stdint.h>

typedef int64_t taxid_day;

#define TAXID_DATE_LEN 16        /* "YYYY-MM-DD" with room to spare */
#define TAXID_MONTH_LEN 12       /* "YYYY-MM" */
#define TAXID_MONTH_NONE INT_MIN /* no month */

/* Parse "YYYY-MM-DD" (a real date); 0 on success, -1 for NULL, "" or anything else. */
int taxid_day_parse(const char *s, taxid_day *d);
/* "YYYY-MM-DD". */
void taxid_day_format(taxid_day d, char out[TAXID_DATE_LEN]);
/* The day as YYYYMMDD. */
int taxid_day_ymd(taxid_day d);
/* The month the day falls in. */
int taxid_day_month(taxid_day d);
/* The calendar day of instant t at a UTC offset. */
taxid_day taxid_day_local(int64_t t, int offset_seconds);
/* The same day n months later; a day past the end of the target month becomes its last day (31 Jan + 1 = 28/29 Feb). */
taxid_day taxid_day_add_months(taxid_day d, int n);
/* The date someone born on birth turns years old (a 29 February birthday counts on 1 March in common years, like
 * taxid_age_years). */
taxid_day taxid_birthday_at(taxid_day birth, int years);

/* Parse "YYYY-MM"; 0 on success. */
int taxid_month_parse(const char *s, int *mon);
/* The month of "YYYY-MM", or TAXID_MONTH_NONE when s is NULL or not a month. */
int taxid_month_or_none(const char *s);
/* "YYYY-MM". */
void taxid_month_format(int mon, char out[TAXID_MONTH_LEN]);
/* The first and the last day of a month. */
taxid_day taxid_month_first(int mon);
taxid_day taxid_month_last(int mon);
/* How many months a..b count, both included (0 when either is TAXID_MONTH_NONE or b is before a). */
int taxid_months_incl(int a, int b);

#endif
