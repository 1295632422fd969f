/* reader.c: the stream reader of the record loop (requests on standard input, one JSON object after another). */
#ifndef TAXID_READER_H
#define TAXID_READER_H

#include <stddef.h>

struct taxid_ctx;

struct taxid_reader {
	int fd;
	char *buf;
	size_t cap, start, end; /* unread bytes are buf[start..end) */
	int eof;
	long line;              /* line number at buf[start] */
};

enum taxid_scan { TAXID_SCAN_OK, TAXID_SCAN_EOF, TAXID_SCAN_ERROR };

/* Find the next value: [*vs, *ve) within r->buf, its starting line, and whether it overflowed the 1 MiB limit
 * (then its bytes are gone, but its extent was still found so the stream resynchronises) or was cut short.
 * Before a read that may block, before_block(ctx) runs (batches commit, pipelines stream); its error stops. */
enum taxid_scan taxid_reader_next(struct taxid_ctx *ctx, struct taxid_reader *r,
				  int (*before_block)(struct taxid_ctx *), size_t *vs, size_t *ve, long *line, int *too_large,
				  int *cut);
/* 1 when fd has bytes (or its end) waiting, so that the next read returns at once: a before_block hook hands over
 * its work only when the read would block. */
int taxid_input_ready(int fd);

#endif
