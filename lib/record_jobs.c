/* --jobs: a read-only NDJSON stream answered by worker processes, the results written in input order.
 * The parent reads the stream with the one reader (lines, cut and oversized records are found as in one process)
 * and hands chunks of records to the workers in turn; it writes each chunk's results when they come back, in the
 * order it handed the chunks out. A worker runs every record of its chunk through the record loop
 * (taxid_record_one) and sends the result lines back. At most one chunk per worker is out at a time, so memory
 * stays bounded whatever the input's length. Input that ends within the first chunk, or that pauses before
 * the first chunk is full (a conversation on a pipe), is answered in the parent: no worker is started. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "json_out.h"
#include "reader.h"
#include "record.h"
#include "record_jobs.h"

#define CHUNK_RECORDS 256
#define CHUNK_BYTES (128 << 10)

/* A record in a chunk: this header, then len bytes (none for a record refused as it was read). */
struct rec {
	uint32_t len;
	uint32_t flags;
	long line;
};
enum { REC_TOO_LARGE = 1, REC_CUT = 2 };

/* A chunk's answer: this header, then len bytes of result lines. */
struct answer {
	uint64_t len;
	long done, refused;
	int worst, stop;
};

static struct {
	int n, started, oldest, inflight, stopping, alone;
	pid_t pid[TAXID_MAX_JOBS];
	int fd[TAXID_MAX_JOBS];
	struct taxid_json_buf chunk; /* the records being gathered */
	long nrec;
	json_t *base;
	enum taxid_code (*reopen)(struct taxid_ctx *);
} J;

static int put_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int get_all(int fd, void *p, size_t n)
{
	char *s = p;
	while (n) {
		ssize_t r = read(fd, s, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Run the records of a chunk (b bytes at p) here; 1 when one of them stops the stream. */
static int run_records(struct taxid_ctx *ctx, const char *p, size_t b)
{
	size_t off = 0;
	while (off + sizeof(struct rec) <= b) {
		struct rec h;
		memcpy(&h, p + off, sizeof h);
		off += sizeof h;
		if (taxid_record_one(ctx, p + off, h.len, h.line, h.flags & REC_TOO_LARGE, (h.flags & REC_CUT) != 0,
				     J.base))
			return 1;
		off += h.len;
	}
	return 0;
}

/* A worker: chunks in, their result lines out, until the parent closes its end. */
static void worker(struct taxid_ctx *ctx, int fd)
{
	struct taxid_json_buf res = {0};
	char *buf = NULL;
	size_t cap = 0;
	enum taxid_code c = J.reopen ? J.reopen(ctx) : TAXID_OK;
	ctx->progress = 0;
	taxid_record_collect(&res);
	for (;;) {
		uint64_t len;
		if (get_all(fd, &len, sizeof len))
			break;
		if (len > cap) {
			char *nb = realloc(buf, len);
			if (!nb)
				break;
			buf = nb;
			cap = len;
		}
		if (get_all(fd, buf, len))
			break;
		struct answer a = {.done = ctx->done, .refused = ctx->refused};
		a.stop = c ? 1 : run_records(ctx, buf, len);
		a.worst = c ? (int)taxid_error_exit(c) : (int)taxid_record_worst();
		a.done = ctx->done - a.done;
		a.refused = ctx->refused - a.refused;
		a.len = res.n;
		if (put_all(fd, &a, sizeof a) || put_all(fd, res.p, res.n) || a.stop)
			break;
		res.n = 0;
	}
	_exit(0);
}

static int start_workers(struct taxid_ctx *ctx)
{
	/* a database connection must not cross fork(): each worker opens its own */
	if (ctx->db) {
		taxid_db_close(ctx);
		J.reopen = taxid_record_open;
	}
	fflush(NULL);
	for (int i = 0; i < J.n; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
			J.n = J.started;
			return J.started ? 0 : -1;
		}
		pid_t pid = fork();
		if (pid < 0) {
			close(sv[0]);
			close(sv[1]);
			J.n = J.started; /* as many as could start */
			return J.started ? 0 : -1;
		}
		if (pid == 0) {
			for (int k = 0; k < i; k++)
				close(J.fd[k]);
			close(sv[0]);
			worker(ctx, sv[1]);
		}
		close(sv[1]);
		J.pid[i] = pid;
		J.fd[i] = sv[0];
		J.started = i + 1;
	}
	return 0;
}

/* The oldest chunk's results, written out. */
static int collect(struct taxid_ctx *ctx)
{
	int fd = J.fd[J.oldest];
	struct answer a;
	char buf[1 << 14];
	J.oldest = (J.oldest + 1) % J.n;
	J.inflight--;
	if (get_all(fd, &a, sizeof a)) {
		fprintf(stderr, "%s: a worker (--jobs) ended before answering\n", ctx->tool->name);
		taxid_record_exit(TAXID_EXIT_SOFTWARE);
		J.stopping = 1;
		return -1;
	}
	for (uint64_t left = a.len; left;) {
		size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
		if (get_all(fd, buf, n)) {
			taxid_record_exit(TAXID_EXIT_SOFTWARE);
			J.stopping = 1;
			return -1;
		}
		if (fwrite(buf, 1, n, ctx->out) != n) {
			fprintf(stderr, "%s: cannot write results: %s\n", ctx->tool->name, strerror(errno));
			taxid_record_exit(TAXID_EXIT_IOERR);
			J.stopping = 1;
			return -1;
		}
		left -= n;
	}
	ctx->done += a.done;
	ctx->refused += a.refused;
	taxid_record_exit((enum taxid_exit)a.worst);
	taxid_progress(ctx, ctx->done - (ctx->done & 255));
	if (a.stop)
		J.stopping = 1;
	return 0;
}

/* The chunk gathered so far: to the next worker (its previous results written first), or run here while no
 * worker runs. */
static void dispatch(struct taxid_ctx *ctx, int here)
{
	if (!J.chunk.n)
		return;
	if (!J.started && !here && !J.alone && start_workers(ctx)) {
		/* no worker at all: the stream is answered here, as without --jobs */
		J.alone = 1;
		if (J.reopen && taxid_record_open(ctx)) {
			taxid_record_exit(TAXID_EXIT_SOFTWARE);
			J.stopping = 1;
		}
	}
	if (J.stopping) {
	} else if (!J.started) {
		if (run_records(ctx, J.chunk.p, J.chunk.n))
			J.stopping = 1;
	} else {
		if (J.inflight == J.n)
			collect(ctx);
		int w = (J.oldest + J.inflight) % J.n;
		uint64_t len = J.chunk.n;
		if (!J.stopping && (put_all(J.fd[w], &len, sizeof len) || put_all(J.fd[w], J.chunk.p, J.chunk.n))) {
			fprintf(stderr, "%s: a worker (--jobs) is gone\n", ctx->tool->name);
			taxid_record_exit(TAXID_EXIT_SOFTWARE);
			J.stopping = 1;
		}
		if (!J.stopping)
			J.inflight++;
	}
	J.chunk.n = 0;
	J.nrec = 0;
}

static void drain(struct taxid_ctx *ctx)
{
	while (J.inflight && !J.stopping)
		collect(ctx);
}

/* Before a read that would block, everything read so far is answered (a conversation on a pipe goes on). */
static int before_block(struct taxid_ctx *ctx)
{
	if (taxid_input_ready(0))
		return 0;
	dispatch(ctx, 1);
	drain(ctx);
	return fflush(ctx->out) == EOF ? -1 : 0;
}

int taxid_jobs_fit(const struct taxid_ctx *ctx)
{
	int writes = TAXID_ACT_DB_WRITE | TAXID_ACT_BATCH | TAXID_ACT_ROWS | TAXID_ACT_OWN_TX | TAXID_ACT_NO_INPUT |
		     TAXID_ACT_FIRST_OPERAND; /* a FILE action (taxid-db restore) handles files itself */
	return !(ctx->action->flags & writes) && !ctx->reveal && !ctx->input_csv;
}

/* One record into the chunk being gathered; the chunk goes to a worker when full. 1 to stop. */
static int gather(struct taxid_ctx *ctx, const char *p, size_t n, long line, int too_large, int cut, void *unused)
{
	(void)unused;
	struct rec h = {.flags = (too_large ? REC_TOO_LARGE : 0) | (cut ? REC_CUT : 0), .line = line};
	h.len = too_large || cut ? 0 : (uint32_t)n;
	taxid_json_put(&J.chunk, (const char *)&h, sizeof h);
	taxid_json_put(&J.chunk, p, h.len);
	if (J.chunk.bad) {
		taxid_record_exit(TAXID_EXIT_SOFTWARE);
		return 1;
	}
	if (++J.nrec >= CHUNK_RECORDS || J.chunk.n >= CHUNK_BYTES)
		dispatch(ctx, 0);
	return J.stopping;
}

void taxid_jobs_stream(struct taxid_ctx *ctx, json_t *base, int n)
{
	memset(&J, 0, sizeof J);
	J.n = n < TAXID_MAX_JOBS ? n : TAXID_MAX_JOBS;
	J.base = base;
	taxid_record_read(ctx, before_block, gather, NULL);
	if (!J.stopping)
		dispatch(ctx, !J.started);
	drain(ctx);
	for (int i = 0; i < J.started; i++)
		close(J.fd[i]);
	for (int i = 0; i < J.started; i++) {
		int st;
		while (waitpid(J.pid[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!J.stopping && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			fprintf(stderr, "%s: a worker (--jobs) failed\n", ctx->tool->name);
			taxid_record_exit(TAXID_EXIT_SOFTWARE);
		}
	}
	taxid_json_free(&J.chunk);
}
