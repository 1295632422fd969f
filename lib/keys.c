/* The key file beside the database, the keys derived from it, and personal-data helpers over them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "record.h"

#define KEY_MAGIC "taxid-key-v1 "

static char *key_path(const struct taxid_ctx *ctx)
{
	const char *p = ctx->key_path ? ctx->key_path : getenv("TAXID_KEYFILE");
	if (p && *p)
		return strdup(p);
	size_t n = strlen(ctx->db_path) + 5;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s.key", ctx->db_path);
	return s;
}

char *taxid_key_path(const struct taxid_ctx *ctx)
{
	return key_path(ctx);
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + j];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

static enum taxid_code create_key(const struct taxid_ctx *ctx, const char *path, unsigned char master[32])
{
	if (taxid_random_bytes(master, 32))
		return TAXID_E_INTERNAL;
	char *hex = taxid_hex_encode(master, 32);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (!hex || fd < 0) {
		fprintf(stderr, "%s: cannot create key file '%s': %s\n", ctx->tool->name, path, strerror(errno));
		if (hex)
			taxid_wipe(hex, strlen(hex));
		free(hex);
		if (fd >= 0)
			close(fd);
		return TAXID_E_KEY_UNAVAILABLE;
	}
	char line[128];
	int n = snprintf(line, sizeof line, "%s%s\n", KEY_MAGIC, hex);
	taxid_wipe(hex, strlen(hex));
	free(hex);
	int ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
	taxid_wipe(line, sizeof line);
	close(fd);
	if (!ok) {
		unlink(path);
		fprintf(stderr, "%s: cannot write key file '%s'\n", ctx->tool->name, path);
		return TAXID_E_IO_ERROR;
	}
	return TAXID_OK;
}

static enum taxid_code read_key(const struct taxid_ctx *ctx, const char *path, unsigned char master[32])
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot read key file '%s': %s\n", ctx->tool->name, path, strerror(errno));
		return TAXID_E_KEY_UNAVAILABLE;
	}
	if (fstat(fd, &sb) == 0 && (sb.st_mode & (S_IWGRP | S_IWOTH | S_IRGRP | S_IROTH))) {
		close(fd);
		fprintf(stderr, "%s: refusing key file '%s': readable or writable by group or others (chmod 600 it)\n",
			ctx->tool->name, path);
		return TAXID_E_INSECURE_FILE;
	}
	char buf[128];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	enum taxid_code c = TAXID_OK;
	if (n < (ssize_t)strlen(KEY_MAGIC) + 64 || memcmp(buf, KEY_MAGIC, strlen(KEY_MAGIC)) != 0 ||
	    unhex(buf + strlen(KEY_MAGIC), master, 32) != 0) {
		fprintf(stderr, "%s: key file '%s' is not a taxid key file\n", ctx->tool->name, path);
		c = TAXID_E_KEY_UNAVAILABLE;
	}
	taxid_wipe(buf, sizeof buf);
	return c;
}

static void derive(const unsigned char master[32], const char *label, unsigned char out[32])
{
	taxid_hmac_sha256(master, 32, label, strlen(label), out);
}

/* The key check value stored in meta (malloc'd), NULL when the database is not bound to a key yet. */
static char *stored_check(struct taxid_ctx *ctx, enum taxid_code *c)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_META_GET);
	taxid_q_text(q, 1, "key_check");
	char *v = NULL;
	if (taxid_q_step(q))
		v = strdup(taxid_q_col_text(q, 0) ? taxid_q_col_text(q, 0) : "");
	if ((*c = taxid_q_end(q))) {
		free(v);
		v = NULL;
	}
	return v;
}

enum taxid_code taxid_keys_load(struct taxid_ctx *ctx, int *unbound)
{
	unsigned char master[32];
	enum taxid_code c = TAXID_OK;
	struct taxid_keys *k = taxid_db_keys(ctx);
	char *path = k ? key_path(ctx) : NULL;
	if (!path)
		return TAXID_E_INTERNAL;
	/* A database never bound to a key (no key check value yet) may get a new one, even when an earlier first
	 * run migrated it but failed to create the key file; a bound one never does. */
	char *stored = taxid_db_fresh(ctx) ? NULL : stored_check(ctx, &c);
	if (c) {
		free(path);
		return c;
	}
	*unbound = !stored;
	if (access(path, F_OK) != 0 && *unbound)
		c = create_key(ctx, path, master);
	else
		c = read_key(ctx, path, master);
	if (c) {
		free(stored);
		free(path);
		return c;
	}
	derive(master, "taxid/v1/enc", k->enc);
	derive(master, "taxid/v1/index", k->index);
	derive(master, "taxid/v1/secret", k->secret);
	derive(master, "taxid/v1/pepper", k->pepper);
	derive(master, "taxid/v1/check", k->check);
	derive(master, "taxid/v1/audit", k->audit);
	taxid_wipe(master, sizeof master);
	ctx->keys = k;

	/* The key check value ties the key file to this database: a wrong key is refused, not used. */
	char *hex = taxid_hex_encode(k->check, sizeof k->check);
	if (!hex) {
		c = TAXID_E_INTERNAL;
	} else if (stored) {
		if (!(strlen(stored) == strlen(hex) && taxid_ct_equal(stored, hex, strlen(hex)))) {
			fprintf(stderr, "%s: key file '%s' does not belong to '%s'\n", ctx->tool->name, path, ctx->db_path);
			c = TAXID_E_KEY_UNAVAILABLE;
		}
	} else {
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_META_PUT);
		taxid_q_text(q, 1, "key_check");
		taxid_q_text(q, 2, hex);
		c = taxid_q_exec(q);
	}
	free(hex);
	free(stored);
	free(path);
	return c;
}

void taxid_pii_index(const struct taxid_keys *k, const char *kind, const char *value, unsigned char out[32])
{
	char buf[256];
	size_t kl = strlen(kind), vl = strlen(value);
	if (kl + 1 + vl > sizeof buf) {
		vl = sizeof buf - kl - 1;
	}
	memcpy(buf, kind, kl);
	buf[kl] = 0;
	memcpy(buf + kl + 1, value, vl);
	taxid_hmac_sha256(k->index, sizeof k->index, buf, kl + 1 + vl, out);
	taxid_wipe(buf, sizeof buf);
}

unsigned char *taxid_pii_seal(const struct taxid_keys *k, const char *kind, const char *plain, size_t *len)
{
	size_t n = strlen(plain);
	unsigned char *out = malloc(n + TAXID_GCM_OVERHEAD);
	if (!out)
		return NULL;
	if (taxid_aead_seal(k->enc, kind, strlen(kind), plain, n, out)) {
		free(out);
		return NULL;
	}
	*len = n + TAXID_GCM_OVERHEAD;
	return out;
}

char *taxid_pii_open(const struct taxid_keys *k, const char *kind, const void *blob, size_t len)
{
	if (!blob || len < TAXID_GCM_OVERHEAD)
		return NULL;
	char *out = malloc(len - TAXID_GCM_OVERHEAD + 1);
	if (!out)
		return NULL;
	if (taxid_aead_open(k->enc, kind, strlen(kind), blob, len, (unsigned char *)out)) {
		free(out);
		return NULL;
	}
	out[len - TAXID_GCM_OVERHEAD] = 0;
	return out;
}

void taxid_secret_hash(const struct taxid_keys *k, const char *context, const char *secret, size_t len,
		       unsigned char out[32])
{
	size_t cl = strlen(context);
	char *buf = malloc(cl + 1 + len);
	if (!buf) {
		memset(out, 0, 32);
		return;
	}
	memcpy(buf, context, cl);
	buf[cl] = 0;
	memcpy(buf + cl + 1, secret, len);
	taxid_hmac_sha256(k->secret, sizeof k->secret, buf, cl + 1 + len, out);
	taxid_wipe(buf, cl + 1 + len);
	free(buf);
}

static void mask(const char *in, char *out, size_t head, size_t tail)
{
	size_t n = strlen(in);
	if (head + tail >= n) { /* too short to show anything safely: keep only the last character */
		head = 0;
		tail = n > 4 ? 2 : (n > 1 ? 1 : 0);
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (i < head || i >= n - tail) ? in[i] : '*';
	out[n] = 0;
}

void taxid_mask_doc(const char *in, char *out)
{
	size_t n = strlen(in);
	if (n >= 15)
		mask(in, out, 6, 4);
	else if (n >= 8)
		mask(in, out, 2, 2);
	else
		mask(in, out, 0, 2);
}

void taxid_mask_phone(const char *in, char *out)
{
	mask(in, out, 3, 4);
}

void taxid_mask_card(const char *in, char *out)
{
	mask(in, out, 0, 4);
}
