/* csv_in.c: requests as the rows of a CSV file (issue 18 item 6, --input csv), parsed by libcsv. */
#ifndef TAXID_CSV_IN_H
#define TAXID_CSV_IN_H

#include <jansson.h>

#include "errors.h"
#include "reader.h"

struct taxid_ctx;
struct taxid_csv_in;

/* A CSV reader of file descriptor fd, or NULL when memory ran out. */
struct taxid_csv_in *taxid_csv_in_open(int fd);
/* Free it. */
void taxid_csv_in_close(struct taxid_csv_in *in);
/* The next row: *line is its number (the header is row 1, blank lines are not counted); either *req is the request
 * it makes (the object an NDJSON line would be: a header name is a member, "a.b" a member of object "a", "name:="
 * takes the cell as JSON; an empty cell is no member), or *refusal says why it makes none, with ctx->err_field and
 * ctx->err_detail set. After a bad header nothing more is read. before_block as for taxid_reader_next. */
enum taxid_scan taxid_csv_next(struct taxid_ctx *ctx, struct taxid_csv_in *in, int (*before_block)(struct taxid_ctx *),
			       json_t **req, long *line, enum taxid_code *refusal);

#endif
