/* json_out.c: the one JSON writer (result lines, rows): byte for byte jansson's JSON_COMPACT, faster. */
#ifndef TAXID_JSON_OUT_H
#define TAXID_JSON_OUT_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/* A growing output buffer; bad is set when memory ran out (the line is then not written). Zero it to start. */
struct taxid_json_buf {
	char *p;
	size_t n, cap;
	int bad;
};

/* Append n raw bytes. */
void taxid_json_put(struct taxid_json_buf *b, const char *s, size_t n);
/* Append s (n bytes, UTF-8) as a JSON string, quoted and escaped as jansson does. */
void taxid_json_string(struct taxid_json_buf *b, const char *s, size_t n);
/* Append an integer. */
void taxid_json_int(struct taxid_json_buf *b, json_int_t v);
/* Append any JSON value. */
void taxid_json_value(struct taxid_json_buf *b, json_t *v);
/* Append ",\"name\":value" for each member of object o except those named in skip (NULL-terminated, may be NULL):
 * the members of an object whose opening was already written. */
void taxid_json_members(struct taxid_json_buf *b, json_t *o, const char *const *skip);
/* Write the buffer to f and empty it: 0, or -1 on a write error or a failed allocation. */
int taxid_json_write(struct taxid_json_buf *b, FILE *f);
/* Free the buffer's memory (it may be used again). */
void taxid_json_free(struct taxid_json_buf *b);

#endif
