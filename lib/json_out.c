/* The JSON writer: the result lines every tool prints, serialized into a buffer and written in one call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"

/* Results are written by a small serializer of our own into a buffer kept for the run, then one fwrite per
 * line: jansson's dumper calls back for every token (through fwrite and the stream's lock with json_dumpf),
 * which was half the time of taxid-verify. The output is byte for byte jansson's JSON_COMPACT: members in
 * insertion order, UTF-8 as is, the same escapes; reals are left to jansson. */
static void ob_grow(struct taxid_json_buf *b, size_t more)
{
	if (b->bad || b->n + more <= b->cap)
		return;
	size_t want = b->cap ? b->cap : 4096;
	while (want < b->n + more)
		want *= 2;
	char *p = realloc(b->p, want);
	if (!p) {
		b->bad = 1;
		return;
	}
	b->p = p;
	b->cap = want;
}

void taxid_json_put(struct taxid_json_buf *b, const char *s, size_t n)
{
	if (n == 0)
		return;
	ob_grow(b, n);
	if (!b->bad) {
		memcpy(b->p + b->n, s, n);
		b->n += n;
	}
}

void taxid_json_string(struct taxid_json_buf *b, const char *s, size_t n)
{
	taxid_json_put(b, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f)
			continue;
		taxid_json_put(b, s + run, i - run);
		run = i + 1;
		char esc[8];
		switch (ch) {
		case '"': taxid_json_put(b, "\\\"", 2); break;
		case '\\': taxid_json_put(b, "\\\\", 2); break;
		case '\b': taxid_json_put(b, "\\b", 2); break;
		case '\f': taxid_json_put(b, "\\f", 2); break;
		case '\n': taxid_json_put(b, "\\n", 2); break;
		case '\r': taxid_json_put(b, "\\r", 2); break;
		case '\t': taxid_json_put(b, "\\t", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", ch);
			taxid_json_put(b, esc, 6);
		}
	}
	taxid_json_put(b, s + run, n - run);
	taxid_json_put(b, "\"", 1);
}

void taxid_json_value(struct taxid_json_buf *b, json_t *v)
{
	char num[32];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *m;
		int first = 1;
		taxid_json_put(b, "{", 1);
		json_object_foreach(v, k, m) {
			if (!first)
				taxid_json_put(b, ",", 1);
			first = 0;
			taxid_json_string(b, k, strlen(k));
			taxid_json_put(b, ":", 1);
			taxid_json_value(b, m);
		}
		taxid_json_put(b, "}", 1);
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *m;
		taxid_json_put(b, "[", 1);
		json_array_foreach(v, i, m) {
			if (i)
				taxid_json_put(b, ",", 1);
			taxid_json_value(b, m);
		}
		taxid_json_put(b, "]", 1);
		break;
	}
	case JSON_STRING:
		taxid_json_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		taxid_json_put(b, num, (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)));
		break;
	case JSON_REAL: {
		size_t n = json_dumpb(v, num, sizeof num, JSON_ENCODE_ANY | JSON_COMPACT);
		if (n == 0 || n > sizeof num)
			b->bad = 1;
		else
			taxid_json_put(b, num, n);
		break;
	}
	case JSON_TRUE: taxid_json_put(b, "true", 4); break;
	case JSON_FALSE: taxid_json_put(b, "false", 5); break;
	case JSON_NULL: taxid_json_put(b, "null", 4); break;
	}
}

/* The members of o after others already written, except the names in skip (NULL-terminated): the parts of
 * a result are joined here instead of being merged into one new object. */
void taxid_json_members(struct taxid_json_buf *b, json_t *o, const char *const *skip)
{
	const char *k;
	json_t *m;
	json_object_foreach(o, k, m) {
		int skipped = 0;
		for (const char *const *x = skip; x && *x && !skipped; x++)
			skipped = strcmp(k, *x) == 0;
		if (skipped)
			continue;
		taxid_json_put(b, ",", 1);
		taxid_json_string(b, k, strlen(k));
		taxid_json_put(b, ":", 1);
		taxid_json_value(b, m);
	}
}

int taxid_json_write(struct taxid_json_buf *b, FILE *f)
{
	int bad = b->bad || (b->n && fwrite(b->p, 1, b->n, f) != b->n);
	b->n = 0;
	b->bad = 0;
	return bad ? -1 : 0;
}

void taxid_json_free(struct taxid_json_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}
