/* holiday.c: working days by the State Council's published calendar of public holidays (放假) and adjusted working
 * days (调休上班), compiled in from data/holidays-cn.tsv (issue 13 item 7). */
#ifndef TAXID_HOLIDAY_H
#define TAXID_HOLIDAY_H

#include <stdint.h>

#define TAXID_HOLIDAY_MAX_UNKNOWN 8

/* Working days in (a, b], days counted from 1970-01-01: Monday to Friday unless a public holiday, and the adjusted
 * weekend working days. A day of a year the calendar does not cover counts Monday to Friday; its year goes into
 * unknown[] (ascending, at most TAXID_HOLIDAY_MAX_UNKNOWN), *n_unknown says how many. */
int taxid_working_days(int64_t a, int64_t b, int unknown[TAXID_HOLIDAY_MAX_UNKNOWN], int *n_unknown);
/* 1 when the calendar covers the year. */
int taxid_holiday_year_known(int year);

#endif
