/* csv_out.c: the one CSV writer (issue 18 item 6): spreadsheets of the listing actions, RFC 4180 quoting, a UTF-8
 * byte-order mark, and no cell a spreadsheet would run as a formula. */
#ifndef TAXID_CSV_OUT_H
#define TAXID_CSV_OUT_H

#include <jansson.h>

#include "json_out.h"

/* Append the UTF-8 byte-order mark and the header row: the names of columns (NULL-terminated). */
void taxid_csv_header(struct taxid_json_buf *b, const char *const *columns);
/* Append one row of row's members in the order of columns: a dotted name ("person.name") reaches into an object;
 * a string as it is, a number or boolean as its JSON text, an array or object as compact JSON, absent or null
 * empty. A string beginning with = + - @, a tab or a carriage return gets a leading ' (OWASP's CSV injection
 * advice), so that no spreadsheet runs it. */
void taxid_csv_row(struct taxid_json_buf *b, const char *const *columns, json_t *row);

#endif
