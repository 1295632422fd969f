/* The stream reader: finds one JSON value after another in standard input without parsing it, resynchronising
 * after a cut or oversized record. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "record.h"

#define MAX_REQUEST (1 << 20) /* a request larger than 1 MiB is refused, not buffered */
#define MAX_DEPTH 256

/* The bytes that end a run of string content: a quote, a backslash, and a raw newline (a cut record). */
static const unsigned char str_stop[256] = {['"'] = 1, ['\\'] = 1, ['\n'] = 1};

static int fill(struct taxid_ctx *ctx, struct taxid_reader *r, int (*before_block)(struct taxid_ctx *))
{
	if (r->eof)
		return 0;
	if (r->start > 0 && r->start == r->end)
		r->start = r->end = 0;
	if (r->end == r->cap) {
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		} else {
			size_t ncap = r->cap * 2;
			char *nb = realloc(r->buf, ncap);
			if (!nb)
				return -1;
			r->buf = nb;
			r->cap = ncap;
		}
	}
	/* Before a read that may block, hand over what is done: pipelines stream, batches commit. */
	if (before_block && before_block(ctx))
		return -1;
	ssize_t n;
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		fprintf(stderr, "%s: cannot read standard input: %s\n", ctx->tool->name, strerror(errno));
		return -1;
	}
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return (int)n;
}

/* One pass over the bytes with the scanner's state (depth, in a string, escape, line start) in locals: split in
 * pieces it would have to carry all of it around, hence its length. */
enum taxid_scan taxid_reader_next(struct taxid_ctx *ctx, struct taxid_reader *r, int (*bb)(struct taxid_ctx *),
				  size_t *vs, size_t *ve, long *line, int *too_large, int *cut)
{
	char stack[MAX_DEPTH];
	int depth = 0, in_str = 0, esc = 0, bol = 0;
	*too_large = *cut = 0;
	/* skip whitespace */
	for (;;) {
		while (r->start < r->end) {
			char c = r->buf[r->start];
			if (c == '\n')
				r->line++;
			else if (c != ' ' && c != '\t' && c != '\r')
				goto found;
			r->start++;
		}
		int n = fill(ctx, r, bb);
		if (n < 0)
			return TAXID_SCAN_ERROR;
		if (n == 0)
			return TAXID_SCAN_EOF;
	}
found:
	*line = r->line;
	size_t i = r->start;
	/* Only an object can be a request: anything else, arrays included, is taken to the end of its line. */
	int scalar = r->buf[i] != '{';
	long nl = 0;
	for (;;) {
		for (; i < r->end; i++) {
			char c = r->buf[i];
			if (scalar) {
				if (c == '\n')
					goto done;
				continue;
			}
			if (in_str) {
				if (esc) {
					esc = 0;
					continue;
				}
				/* most of a request's bytes are inside strings: skip to the next one that matters at once */
				while (i < r->end && !str_stop[(unsigned char)r->buf[i]])
					i++;
				if (i == r->end)
					break;
				c = r->buf[i];
				if (c == '\\') {
					esc = 1;
				} else if (c == '"') {
					in_str = 0;
				} else { /* a raw newline cannot be inside a JSON string: the record was cut */
					*cut = 1;
					goto done;
				}
				continue;
			}
			if (c == '\n') {
				nl++;
				bol = 1;
				continue;
			}
			if (c == ' ' || c == '\t' || c == '\r')
				continue;
			if (bol && c == '{' && depth > 0 && stack[depth - 1] == '{') {
				/* '{' opening a line inside an object cannot continue it: the previous record was cut short */
				*cut = 1;
				goto done;
			}
			bol = 0;
			if (c == '"') {
				in_str = 1;
			} else if (c == '{' || c == '[') {
				if (depth == MAX_DEPTH) { /* too deep to be a request: refuse the rest of the line */
					*cut = 1;
					scalar = 1;
					continue;
				}
				stack[depth++] = c;
			} else if (c == '}' || c == ']') {
				depth--;
				if (depth == 0) {
					i++;
					goto done;
				}
			}
		}
		if (i - r->start > MAX_REQUEST) {
			/* Keep scanning to find the end, but let the bytes go. */
			*too_large = 1;
			r->start = i;
		}
		size_t off = i - r->start;
		int n = fill(ctx, r, bb);
		if (n < 0)
			return TAXID_SCAN_ERROR;
		i = r->start + off;
		if (n == 0) {
			*cut = !scalar; /* end of input inside a value */
			goto done;
		}
	}
done:
	*vs = r->start;
	*ve = i;
	if (i - r->start > MAX_REQUEST)
		*too_large = 1;
	/* lines inside the value are counted by the caller when it consumes it */
	r->line += nl;
	r->start = i;
	return TAXID_SCAN_OK;
}

int taxid_input_ready(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n;
	do
		n = poll(&p, 1, 0);
	while (n < 0 && errno == EINTR);
	return n > 0;
}
