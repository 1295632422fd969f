/* fuzz_records: the whole record loop (taxid_main -> stream -> taxid_reader_next -> handlers), libFuzzer.
 *
 * Input: byte 0 and byte 1 describe the run, the rest is standard input.
 *   byte 0, bits 0-2  how the data arrives: 0 all at once, else in reads of at most 1, 2, 3 (with an EINTR
 *                     before every other read), 7, 64, 4096 or 65535 bytes (padding, below, comes in big reads)
 *           bit 3     an action option is given, so the request base is merged into every request
 *           bits 4-5  the action: 0 tin, 1 mobile, 2 echo (the harness's own, below), 3 identity (no database)
 *           bit 6     --input csv: the data is a CSV file with a header (lib/csv_in.c through libcsv)
 *   byte 1 % 64       0-59 plain; 60 ('<') stdin starts with 65533 spaces (the data straddles the 64 KiB read
 *                     buffer); 61 ('=') a request larger than the 1 MiB limit first; 62 ('>') a 70 KB request
 *                     first, on the same line (the buffer grows); 63 ('?') the data, then a read error (EIO)
 *                     instead of the end of input.
 *                     The big variants are slow (up to 25 ms a run), hence few values select them.
 * So a seed "  {...}" is an echo run that reads everything at once.
 *
 * Standard input is served by the read() below, which replaces libc's for fd 0 while taxid_main runs: no pipe, no
 * thread, and the read boundaries are exact. Standard output goes to a memfd; after each run every line must be a
 * JSON object with a boolean "ok" (and an "error" object with a "code" and a "message" when it is false), and a
 * stream with anything but white space in it must have produced at least one line (unless it ends in a read error,
 * or is CSV, whose header alone is no request).
 * Each input runs twice, as described and then read at once with a newline appended, and the two outputs must be
 * the same bytes.
 *
 * taxid_main is called once per input in the same process. It is not re-entrant as it stands: its static context
 * keeps err_detail after json_decref()ing it at the end, so the next call decrefs it again (heap-use-after-free)
 * when the last request of the previous call was refused with detail; and its worst exit status is a static that
 * is never reset. The harness clears err_detail between calls (it learns the context's address in its handlers)
 * and ignores the exit status; build with -DFUZZ_NO_WORKAROUND to see the use-after-free.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "taxid.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
ssize_t read(int fd, void *buf, size_t count);

#define CHECK(cond, ...)                                                                                 \
	do {                                                                                                 \
		if (!(cond)) {                                                                                   \
			fprintf(stderr, "fuzz_records: property failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                                                \
			abort();                                                                                     \
		}                                                                                                \
	} while (0)

/* ---- standard input ---- */

static struct {
	int active;
	const char *p;
	size_t len, pos, chunk;
	size_t c0, c1; /* reads are cut to chunk bytes only within [c0, c1): the fuzz data, not the padding */
	int eintr, eio, reads;
} in;

ssize_t read(int fd, void *buf, size_t count)
{
	if (!in.active || fd != 0)
		return syscall(SYS_read, fd, buf, count);
	in.reads++;
	if (in.eintr && (in.reads & 1)) {
		errno = EINTR;
		return -1;
	}
	if (in.pos == in.len) {
		if (in.eio) {
			errno = EIO;
			return -1;
		}
		return 0;
	}
	size_t n = in.len - in.pos;
	if (in.chunk && in.pos >= in.c0 && in.pos < in.c1 && n > in.chunk)
		n = in.chunk;
	if (n > count)
		n = count;
	memcpy(buf, in.p + in.pos, n);
	in.pos += n;
	return (ssize_t)n;
}

/* ---- the tool ---- */

static struct taxid_ctx *seen_ctx;

/* Echo: copies v into out; s/n/b go through the request helpers; "code" makes it refuse with that error word
 * (with "detail" as extra members), "keep" calls taxid_keep_changes. */
static enum taxid_code echo(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	seen_ctx = ctx;
	const char *s = taxid_req_str(ctx, req, "s", 0, &c);
	if (c)
		return c;
	long long n = taxid_req_int(ctx, req, "n", 0, &c);
	if (c)
		return c;
	int b = taxid_req_bool(ctx, req, "b", 0, &c);
	if (c)
		return c;
	const char *r = taxid_req_str(ctx, req, "required", json_object_get(req, "need") != NULL, &c);
	if (c)
		return c;
	json_t *v = json_object_get(req, "v");
	if (v)
		json_object_set(out, "echo", v);
	if (s)
		json_object_set_new(out, "s", json_string(s));
	if (r)
		json_object_set_new(out, "required", json_string(r));
	json_object_set_new(out, "n", json_integer(n));
	json_object_set_new(out, "b", json_boolean(b));
	if (json_object_get(req, "keep"))
		taxid_keep_changes(ctx);
	json_t *code = json_object_get(req, "code");
	if (json_is_string(code)) {
		enum taxid_code e = taxid_error_lookup(json_string_value(code));
		if (e == TAXID_CODE_COUNT)
			return taxid_fail(ctx, TAXID_E_BAD_VALUE, "code");
		json_t *detail = json_object_get(req, "detail");
		return detail ? taxid_fail_detail(ctx, e, "code", json_deep_copy(detail)) : taxid_fail(ctx, e, NULL);
	}
	return TAXID_OK;
}

#define WRAP(fn)                                                                  \
	static enum taxid_code wrap_##fn(struct taxid_ctx *ctx, json_t *req, json_t *out) \
	{                                                                             \
		seen_ctx = ctx;                                                           \
		return fn(ctx, req, out);                                                 \
	}
WRAP(taxid_verify_identity)
WRAP(taxid_verify_tin)
WRAP(taxid_verify_mobile)

static const struct taxid_opt echo_opts[] = {
	{"tag", TAXID_OPT_STRING, "T", "a member every request gets"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_opt ids_opts[] = {
	{"strict-region", TAXID_OPT_BOOL, NULL, "strict region"},
	{"strict-segment", TAXID_OPT_BOOL, NULL, "strict segment"},
	{NULL, 0, NULL, NULL},
};

static const struct taxid_action actions[] = {
	{"echo", echo, 0, "[v] [s] [n] [b] [code] [detail]", "echo v", echo_opts},
	{"identity", wrap_taxid_verify_identity, TAXID_ACT_DB_OPTIONAL, "doc_type doc_no [name] [nationality]",
	 "identity", ids_opts},
	{"tin", wrap_taxid_verify_tin, 0, "value", "tin", ids_opts},
	{"mobile", wrap_taxid_verify_mobile, 0, "value", "mobile", ids_opts},
	{NULL, NULL, 0, NULL, NULL, NULL},
};

static const struct taxid_tool tool = {"taxid-fuzz", "fuzzing harness", actions};

/* ---- the run ---- */

static int out_fd = -1;
static char *big, *mid; /* the requests of variants 61 (over the limit) and 62 (over the buffer) */
static size_t big_len, mid_len;
static char *stream_buf;
static size_t stream_cap;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TAXID_DB", "/nonexistent-taxid-fuzz/taxid.db", 1);
	setenv("LC_ALL", "C", 1);
	unsetenv("TAXID_NOW");
	setenv("TAXID_TEST_DB", "1", 1); /* the harness pins the clock */
	unsetenv("TAXID_TZ");
	unsetenv("TAXID_KEYFILE");
	out_fd = memfd_create("fuzz_records_stdout", 0);
	if (out_fd < 0 || dup2(out_fd, 1) < 0) {
		perror("fuzz_records: stdout");
		exit(1);
	}
	/* {"s":"aaa...a"} just over the limit, then a newline */
	size_t n = (1u << 20) + 16;
	big = malloc(n + 16);
	if (!big)
		exit(1);
	memcpy(big, "{\"s\":\"", 6);
	memset(big + 6, 'a', n);
	memcpy(big + 6 + n, "\"}\n", 3);
	big_len = 6 + n + 3;
	/* {"s":"bbb...b"} of 70000 bytes, no newline */
	mid_len = 70000;
	mid = malloc(mid_len);
	if (!mid)
		exit(1);
	memcpy(mid, "{\"s\":\"", 6);
	memset(mid + 6, 'b', mid_len - 8);
	memcpy(mid + mid_len - 2, "\"}", 2);
	return 0;
}

static void reserve(size_t n)
{
	if (n <= stream_cap)
		return;
	char *p = realloc(stream_buf, n);
	if (!p)
		abort();
	stream_buf = p;
	stream_cap = n;
}

/* Check the output of the last run and return it (malloc'd, NUL-terminated; *size set). */
static char *check_output(int nonblank, size_t *osize)
{
	fflush(stdout);
	off_t size = lseek(out_fd, 0, SEEK_END);
	char *o = malloc((size_t)size + 1);
	if (!o)
		abort();
	ssize_t got = pread(out_fd, o, (size_t)size, 0);
	CHECK(got == size, "short read of the output\n");
	o[size] = 0;
	long lines = 0;
	for (char *p = o; *p;) {
		char *nl = strchr(p, '\n');
		CHECK(nl != NULL, "output does not end with a newline: %s\n", p);
		json_error_t je;
		json_t *r = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, &je);
		CHECK(json_is_object(r), "output line %ld is not a JSON object: %.*s\n", lines + 1, (int)(nl - p), p);
		json_t *ok = json_object_get(r, "ok");
		CHECK(json_is_boolean(ok), "no boolean ok: %.*s\n", (int)(nl - p), p);
		if (json_is_false(ok)) {
			json_t *e = json_object_get(r, "error");
			CHECK(json_is_object(e) && json_is_string(json_object_get(e, "code")) &&
				      json_is_string(json_object_get(e, "message")),
			      "refusal without error code/message: %.*s\n", (int)(nl - p), p);
		}
		json_t *line = json_object_get(r, "line");
		CHECK(!line || (json_is_integer(line) && json_integer_value(line) >= 1), "bad line: %.*s\n",
		      (int)(nl - p), p);
		json_decref(r);
		lines++;
		p = nl + 1;
	}
	CHECK(!nonblank || lines > 0, "input with a request produced no output\n");
	*osize = (size_t)size;
	return o;
}

/* One run of taxid_main over stream_buf[0, len), reads cut to chunk bytes within [c0, c1). */
static char *run(int argc, char **argv, size_t len, size_t chunk, size_t c0, size_t c1, int eintr, int eio,
		 int nonblank, size_t *osize)
{
	if (fflush(stdout) != 0 || ftruncate(out_fd, 0) != 0 || lseek(out_fd, 0, SEEK_SET) != 0)
		abort();
	in.p = stream_buf;
	in.len = len;
	in.pos = 0;
	in.chunk = chunk;
	in.c0 = c0;
	in.c1 = c1;
	in.eintr = eintr;
	in.eio = eio;
	in.reads = 0;
	in.active = 1;
	int rc = taxid_main(&tool, argc, argv);
	in.active = 0;
	(void)rc; /* not checked: taxid_main's worst exit status is a static that is never reset */
#ifndef FUZZ_NO_WORKAROUND
	if (seen_ctx)
		seen_ctx->err_detail = NULL; /* freed at the end of taxid_main but left in its static context */
#endif
	return check_output(nonblank && !eio, osize);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[8] = {0, 1, 2, 3, 7, 64, 4096, 65535};
	static const char *const action_names[4] = {"tin", "mobile", "echo", "identity"};
	if (size < 2)
		return 0;
	unsigned mode = data[0], variant = data[1] % 64;
	const char *d = (const char *)data + 2;
	size_t n = size - 2, len = 0, c0 = 0;

	/* standard input */
	switch (variant) {
	case 60:
		reserve(65533 + n + 1);
		memset(stream_buf, ' ', 65533);
		memcpy(stream_buf + 65533, d, n);
		len = 65533 + n;
		c0 = 65533;
		break;
	case 61:
		reserve(big_len + n + 1);
		memcpy(stream_buf, big, big_len);
		memcpy(stream_buf + big_len, d, n);
		len = big_len + n;
		c0 = big_len;
		break;
	case 62:
		reserve(mid_len + n + 1);
		memcpy(stream_buf, mid, mid_len);
		memcpy(stream_buf + mid_len, d, n);
		len = mid_len + n;
		c0 = mid_len;
		break;
	default:
		reserve(n + 1);
		if (n)
			memcpy(stream_buf, d, n);
		len = n;
		break;
	}
	int nonblank = 0;
	for (size_t i = 0; i < len && !nonblank; i++)
		nonblank = !(stream_buf[i] == ' ' || stream_buf[i] == '\t' || stream_buf[i] == '\r' || stream_buf[i] == '\n');

	/* arguments */
	char *argv[14];
	int argc = 0;
	unsigned act = (mode >> 4) & 3;
	argv[argc++] = (char *)"taxid-fuzz";
	argv[argc++] = (char *)"--no-progress";
	argv[argc++] = (char *)"--now";
	argv[argc++] = (char *)"2026-11-25T08:00:00Z";
	if (mode & 64) {
		argv[argc++] = (char *)"--input";
		argv[argc++] = (char *)"csv";
		nonblank = 0;
	}
	argv[argc++] = (char *)action_names[act];
	if (mode & 8) {
		if (act == 2) {
			argv[argc++] = (char *)"--tag";
			argv[argc++] = (char *)"t";
		} else {
			argv[argc++] = (char *)"--strict-region";
		}
	}
	argv[argc] = NULL;

	/* run as asked, then again with everything in one read and a newline after the data (none when the input ends
	 * in a read error): the results must be the same bytes, since neither read boundaries nor a final newline may
	 * change how the stream is cut into requests */
	size_t la, lb;
	char *a = run(argc, argv, len, chunks[mode & 7], c0, c0 + n, (mode & 7) == 3, variant == 63, nonblank, &la);
	int eio = variant == 63; /* a newline before the read error would end a cut request that the error drops */
	stream_buf[len] = '\n';
	char *b = run(argc, argv, len + !eio, 0, 0, 0, 0, eio, nonblank, &lb);
	if (la != lb || memcmp(a, b, la) != 0) {
		fprintf(stderr, "fuzz_records: results differ between the run as given (reads of %zu bytes) and the run with "
				"one read and a final newline:\n--- as given\n%s--- one read, final newline\n%s",
			chunks[mode & 7], a, b);
		CHECK(0, "read boundaries or a final newline changed the results\n");
	}
	free(a);
	free(b);
	return 0;
}
