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
	if (b->n + n > b->cap) {
		ob_grow(b, n);
		if (b->bad)
			return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* The bytes jansson escapes in a string: controls, '"', '\\' and DEL. */
static const unsigned char needs_escape[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1, [0x07] = 1,
	[0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1, [0x0f] = 1,
	[0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
	[0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1,
	['"'] = 1, ['\\'] = 1, [0x7f] = 1,
};

static void string_escaped(struct taxid_json_buf *b, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!needs_escape[ch])
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
}

/* Almost every string needs no escape: it is copied with its quotes in one go. */
void taxid_json_string(struct taxid_json_buf *b, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && !needs_escape[(unsigned char)s[i]])
		i++;
	if (b->n + n + 2 > b->cap) {
		ob_grow(b, n + 2);
		if (b->bad)
			return;
	}
	char *d = b->p + b->n;
	*d = '"';
	memcpy(d + 1, s, i);
	b->n += i + 1;
	if (i < n)
		string_escaped(b, s + i, n - i);
	taxid_json_put(b, "\"", 1);
}

/* An integer in decimal, as "%lld" prints it. */
void taxid_json_int(struct taxid_json_buf *b, json_int_t v)
{
	char num[24], *e = num + sizeof num, *p = e;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	taxid_json_put(b, p, (size_t)(e - p));
}

void taxid_json_value(struct taxid_json_buf *b, json_t *v)
{
	char num[32];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		size_t kn;
		json_t *m;
		int first = 1;
		taxid_json_put(b, "{", 1);
		json_object_keylen_foreach(v, k, kn, m) {
			if (!first)
				taxid_json_put(b, ",", 1);
			first = 0;
			taxid_json_string(b, k, kn);
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
		taxid_json_int(b, json_integer_value(v));
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
	size_t kn;
	json_t *m;
	json_object_keylen_foreach(o, k, kn, m) {
		int skipped = 0;
		for (const char *const *x = skip; x && *x && !skipped; x++)
			skipped = k[0] == (*x)[0] && strcmp(k, *x) == 0;
		if (skipped)
			continue;
		taxid_json_put(b, ",", 1);
		taxid_json_string(b, k, kn);
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
