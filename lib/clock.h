/* clock.c: instants (RFC 3339 UTC) and calendar dates in the operator's time zone. */
#ifndef TAXID_CLOCK_H
#define TAXID_CLOCK_H

#include <stdint.h>

#define TAXID_TIME_LEN 21 /* "2026-11-25T08:00:00Z" + NUL */

/* Parse an RFC 3339 instant (Z or ±hh:mm, optional fraction) into seconds since the epoch; 0 on success. */
int taxid_time_parse(const char *s, int64_t *out);
/* Format seconds since the epoch as an RFC 3339 UTC string. */
void taxid_time_format(int64_t t, char buf[TAXID_TIME_LEN]);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t taxid_days_from_civil(int y, int m, int d);
/* Gregorian date of a day number. */
void taxid_civil_from_days(int64_t days, int *y, int *m, int *d);
/* Days in month m (1-12) of year y: the one leap-year rule (calendar.c and the date checks use it). */
int taxid_month_days(int y, int m);
/* 1 when y-m-d is a real Gregorian date. */
int taxid_date_valid(int y, int m, int d);
/* Parse "YYYY-MM-DD" strictly (a real date); 0 on success. */
int taxid_date_parse(const char *s, int *y, int *m, int *d);
/* Parse a time-zone setting: "Asia/Shanghai" and other fixed-offset zones of the region, "UTC", or "+08:00"; 0 on success. */
int taxid_tz_parse(const char *s, int *offset_seconds);
/* The calendar date (YYYYMMDD) of instant t at a UTC offset. */
int taxid_local_ymd(int64_t t, int offset_seconds);
/* The instant of the next local midnight after t. */
int64_t taxid_next_local_midnight(int64_t t, int offset_seconds);
/* Completed years between birth (YYYYMMDD) and today (YYYYMMDD); 29 February birthdays count on 1 March in common years. */
int taxid_age_years(int birth_ymd, int today_ymd);

#endif
