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
#define KEY_MAGIC_V2 "taxid-key-v2\n"
#define MODE_TEST "mode test" /* a line of a key file made for test databases, in either version */

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

/* A key file as read: the keys that never rotate, and the data keys by generation (issue 18 item 2). Version 1
 * holds one master key (the data key of generation 1; the others derive from it too); version 2 lines are
 * "secret HEX", "pepper HEX", "check HEX", "audit HEX" and "data GEN HEX", one or two of these. */
#define MAX_GENS 4
struct keyfile {
	unsigned char secret[32], pepper[32], check[32], audit[32];
	int n;
	long long gen[MAX_GENS];
	unsigned char data[MAX_GENS][32];
	int test; /* the line "mode test": the file serves test databases only (see taxid_keys_load) */
};

static void keyfile_wipe(struct keyfile *f)
{
	taxid_wipe(f, sizeof *f);
}

static void derive(const unsigned char master[32], const char *label, unsigned char out[32])
{
	taxid_hmac_sha256(master, 32, label, strlen(label), out);
}

/* The key check value of a data key (the master's, in version 1, is meta's key_check) as hex into out. */
static void data_check(const unsigned char data[32], char out[65])
{
	unsigned char c[32];
	derive(data, "taxid/v1/check", c);
	char *hex = taxid_hex_encode(c, 32);
	snprintf(out, 65, "%s", hex ? hex : "");
	free(hex);
}

static const unsigned char *keyfile_data(const struct keyfile *f, long long gen)
{
	for (int i = 0; i < f->n; i++)
		if (f->gen[i] == gen)
			return f->data[i];
	return NULL;
}

static int parse_v2(char *buf, struct keyfile *f)
{
	int have = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		static const char *const names[] = {"secret ", "pepper ", "check ", "audit "};
		unsigned char *dst[] = {f->secret, f->pepper, f->check, f->audit};
		int done = 0;
		for (int i = 0; i < 4 && !done; i++) {
			size_t l = strlen(names[i]);
			if (strncmp(line, names[i], l) == 0) {
				if (strlen(line + l) != 64 || unhex(line + l, dst[i], 32))
					return -1;
				have |= 1 << i;
				done = 1;
			}
		}
		if (done)
			continue;
		if (strcmp(line, MODE_TEST) == 0) {
			f->test = 1;
			continue;
		}
		char *end;
		if (strncmp(line, "data ", 5) != 0 || f->n == MAX_GENS)
			return -1;
		long long g = strtoll(line + 5, &end, 10);
		if (g < 1 || *end != ' ' || strlen(end + 1) != 64 || unhex(end + 1, f->data[f->n], 32))
			return -1;
		f->gen[f->n++] = g;
	}
	return have == 15 && f->n > 0 ? 0 : -1;
}

static enum taxid_code read_keyfile(const struct taxid_ctx *ctx, const char *path, struct keyfile *f)
{
	struct stat sb;
	memset(f, 0, sizeof *f);
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
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	int bad = n < 0;
	if (!bad)
		buf[n] = 0;
	if (!bad && strncmp(buf, KEY_MAGIC, strlen(KEY_MAGIC)) == 0) {
		unsigned char master[32];
		bad = n < (ssize_t)strlen(KEY_MAGIC) + 64 || unhex(buf + strlen(KEY_MAGIC), master, 32) != 0;
		if (!bad) {
			f->test = strcmp(buf + strlen(KEY_MAGIC) + 64, "\n" MODE_TEST "\n") == 0;
			derive(master, "taxid/v1/secret", f->secret);
			derive(master, "taxid/v1/pepper", f->pepper);
			derive(master, "taxid/v1/check", f->check);
			derive(master, "taxid/v1/audit", f->audit);
			memcpy(f->data[0], master, 32);
			f->gen[0] = 1;
			f->n = 1;
		}
		taxid_wipe(master, sizeof master);
	} else if (!bad) {
		bad = strncmp(buf, KEY_MAGIC_V2, strlen(KEY_MAGIC_V2)) != 0 || parse_v2(buf + strlen(KEY_MAGIC_V2), f) != 0;
	}
	taxid_wipe(buf, sizeof buf);
	if (bad) {
		keyfile_wipe(f);
		fprintf(stderr, "%s: key file '%s' is not a taxid key file\n", ctx->tool->name, path);
		return TAXID_E_KEY_UNAVAILABLE;
	}
	return TAXID_OK;
}

/* Sync the directory holding path, so that a rename in it lasts. */
static int sync_dir_of(const char *path)
{
	char *d = strdup(path);
	if (!d)
		return -1;
	char *slash = strrchr(d, '/');
	if (slash == d)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	int fd = open(slash ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(d);
	int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

static void hex_line(char *buf, size_t n, size_t *at, const char *name, const unsigned char key[32])
{
	char *hex = taxid_hex_encode(key, 32);
	if (*at < n)
		*at += (size_t)snprintf(buf + *at, n - *at, "%s %s\n", name, hex ? hex : "");
	if (hex)
		taxid_wipe(hex, strlen(hex));
	free(hex);
}

/* Replace the key file at path by f in one step: a temporary file beside it (0600), synced, renamed over it. */
static enum taxid_code write_keyfile(const struct taxid_ctx *ctx, const char *path, const struct keyfile *f)
{
	char buf[1024], name[32];
	size_t at = (size_t)snprintf(buf, sizeof buf, "%s", KEY_MAGIC_V2);
	hex_line(buf, sizeof buf, &at, "secret", f->secret);
	hex_line(buf, sizeof buf, &at, "pepper", f->pepper);
	hex_line(buf, sizeof buf, &at, "check", f->check);
	hex_line(buf, sizeof buf, &at, "audit", f->audit);
	for (int i = 0; i < f->n; i++) {
		snprintf(name, sizeof name, "data %lld", f->gen[i]);
		hex_line(buf, sizeof buf, &at, name, f->data[i]);
	}
	if (f->test && at < sizeof buf)
		at += (size_t)snprintf(buf + at, sizeof buf - at, "%s\n", MODE_TEST);
	size_t pl = strlen(path) + 8;
	char *tmp = malloc(pl);
	int ok = tmp && at < sizeof buf;
	if (ok) {
		snprintf(tmp, pl, "%s.new", path);
		unlink(tmp); /* a leftover of a run killed before its rename */
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		ok = fd >= 0 && write(fd, buf, at) == (ssize_t)at && fsync(fd) == 0;
		if (fd >= 0)
			close(fd);
		ok = ok && rename(tmp, path) == 0 && sync_dir_of(path) == 0;
		if (!ok) {
			fprintf(stderr, "%s: cannot write key file '%s': %s\n", ctx->tool->name, path, strerror(errno));
			unlink(tmp);
		}
	}
	taxid_wipe(buf, sizeof buf);
	free(tmp);
	return ok ? TAXID_OK : TAXID_E_IO_ERROR;
}

/* A new key file (version 1), marked for test databases when test. Written whole under a name of its own and
 * then linked into place, which fails when another tool making the same new database got there first: that
 * tool's key file, complete, is the one to use (the caller reads it). */
static enum taxid_code create_key(const struct taxid_ctx *ctx, const char *path, int test)
{
	unsigned char master[32];
	if (taxid_random_bytes(master, 32))
		return TAXID_E_INTERNAL;
	char *hex = taxid_hex_encode(master, 32);
	taxid_wipe(master, sizeof master);
	char tmp[4096];
	int fd = -1;
	errno = ENAMETOOLONG;
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) < sizeof tmp) {
		unlink(tmp); /* a leftover of a killed run with this pid */
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
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
	int n = snprintf(line, sizeof line, "%s%s\n%s", KEY_MAGIC, hex, test ? MODE_TEST "\n" : "");
	taxid_wipe(hex, strlen(hex));
	free(hex);
	int ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
	taxid_wipe(line, sizeof line);
	close(fd);
	if (!ok) {
		unlink(tmp);
		fprintf(stderr, "%s: cannot write key file '%s'\n", ctx->tool->name, path);
		return TAXID_E_IO_ERROR;
	}
	int linked = link(tmp, path) == 0, err = errno;
	unlink(tmp);
	if (!linked && err != EEXIST) {
		fprintf(stderr, "%s: cannot create key file '%s': %s\n", ctx->tool->name, path, strerror(err));
		return TAXID_E_KEY_UNAVAILABLE;
	}
	return linked ? sync_dir_of(path) == 0 ? TAXID_OK : TAXID_E_IO_ERROR : TAXID_OK;
}

/* The rotation state in meta, read in one statement (one snapshot: a rotation may end meanwhile). */
struct state {
	long long gen, next;
	char gen_check[65], next_check[65], key_check[65]; /* "" when absent */
	int bound;                                          /* key_check is set */
};

static void col_copy(struct taxid_q *q, int i, char out[65])
{
	const char *v = taxid_q_is_null(q, i) ? NULL : taxid_q_col_text(q, i);
	snprintf(out, 65, "%s", v ? v : "");
}

static enum taxid_code read_state(struct taxid_ctx *ctx, struct state *st)
{
	memset(st, 0, sizeof *st);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_KEYS_STATE);
	if (taxid_q_step(q)) {
		st->gen = taxid_q_is_null(q, 0) ? 1 : atoll(taxid_q_col_text(q, 0));
		st->next = taxid_q_is_null(q, 1) ? 0 : atoll(taxid_q_col_text(q, 1));
		col_copy(q, 2, st->gen_check);
		col_copy(q, 3, st->next_check);
		col_copy(q, 4, st->key_check);
		st->bound = !taxid_q_is_null(q, 4);
	}
	if (st->gen < 1)
		st->gen = 1;
	return taxid_q_end(q);
}

enum taxid_code taxid_keys_state(struct taxid_ctx *ctx, long long *gen, long long *next)
{
	struct state st;
	enum taxid_code c = read_state(ctx, &st);
	*gen = st.gen;
	*next = st.next;
	return c;
}

/* The data key of generation gen in f, checked against the check value meta holds for it (key_check for
 * generation 1, whose data key is the version-1 master). */
static enum taxid_code pick(struct taxid_ctx *ctx, const struct keyfile *f, long long gen, const char *want,
			    const char *path, const unsigned char **out, int quiet)
{
	*out = keyfile_data(f, gen);
	if (!*out) {
		if (!quiet)
			fprintf(stderr, "%s: key file '%s' holds no key of generation %lld, which '%s' is encrypted with "
					"(an older copy of the key file?)\n",
				ctx->tool->name, path, gen, ctx->db_path);
		return TAXID_E_KEY_UNAVAILABLE;
	}
	char have[65];
	data_check(*out, have);
	if (strlen(want) != 64 || !taxid_ct_equal(want, have, 64)) {
		if (!quiet)
			fprintf(stderr, "%s: the key of generation %lld in '%s' does not belong to '%s'\n", ctx->tool->name,
				gen, path, ctx->db_path);
		return TAXID_E_KEY_UNAVAILABLE;
	}
	return TAXID_OK;
}

/* Derive the keys of ctx's database from f and the rotation state st. */
static enum taxid_code derive_all(struct taxid_ctx *ctx, struct taxid_keys *k, const struct keyfile *f,
				  const struct state *st, const char *path, int quiet)
{
	const unsigned char *cur = NULL, *nxt = NULL;
	enum taxid_code c = pick(ctx, f, st->gen, st->gen == 1 ? st->key_check : st->gen_check, path, &cur, quiet);
	if (!c && st->next)
		c = pick(ctx, f, st->next, st->next_check, path, &nxt, quiet);
	if (c)
		return c;
	memset(k->enc_old, 0, 32);
	memset(k->index_old, 0, 32);
	k->rotating = nxt != NULL;
	k->gen = nxt ? st->next : st->gen;
	derive(nxt ? nxt : cur, "taxid/v1/enc", k->enc);
	derive(nxt ? nxt : cur, "taxid/v1/index", k->index);
	if (nxt) {
		derive(cur, "taxid/v1/enc", k->enc_old);
		derive(cur, "taxid/v1/index", k->index_old);
	}
	return TAXID_OK;
}

/* Read the state and the key file, check and derive. A reader outside a transaction may see a rotation's end
 * (meta) and then the file without the old key: it reads both again, a few times, before it gives up. */
static enum taxid_code load(struct taxid_ctx *ctx, int *unbound, int may_create)
{
	enum taxid_code c = TAXID_OK;
	struct taxid_keys *k = taxid_db_keys(ctx);
	char *path = k ? key_path(ctx) : NULL;
	if (!path)
		return TAXID_E_INTERNAL;
	struct state st;
	struct keyfile f;
	for (int attempt = 0; attempt < 5; attempt++) {
		int last = attempt == 4;
		memset(&st, 0, sizeof st);
		st.gen = 1;
		/* A database never bound to a key (no key check value yet) may get a new one, even when an earlier first
		 * run migrated it but failed to create the key file; a bound one never does. */
		if (!taxid_db_fresh(ctx) && (c = read_state(ctx, &st)))
			break;
		*unbound = !st.bound;
		if (access(path, F_OK) != 0 && *unbound && may_create)
			c = create_key(ctx, path, taxid_dbmode_env_test());
		if (!c)
			c = read_keyfile(ctx, path, &f);
		if (c)
			break;
		k->test_file = f.test;
		/* A key file serves databases of one mode. Were a test database made under a normal database's key
		 * file, its mode seal would be valid in that normal database too, and anyone who can write that file
		 * could copy the seal across and get a pinned clock on writes (SECURITY rule 29). */
		if (*unbound && f.test != taxid_dbmode_env_test()) {
			fprintf(stderr, "%s: key file '%s' was made for %s databases; a new %s database needs a key file of its own\n",
				ctx->tool->name, path, f.test ? "test" : "normal", f.test ? "normal" : "test");
			keyfile_wipe(&f);
			c = TAXID_E_KEY_UNAVAILABLE;
			break;
		}
		memcpy(k->secret, f.secret, 32);
		memcpy(k->pepper, f.pepper, 32);
		memcpy(k->check, f.check, 32);
		memcpy(k->audit, f.audit, 32);
		ctx->keys = k;
		/* The key check value ties the key file to this database: a wrong key is refused, not used. */
		char *hex = taxid_hex_encode(k->check, sizeof k->check);
		if (!hex) {
			c = TAXID_E_INTERNAL;
		} else if (st.bound) {
			if (!(strlen(st.key_check) == strlen(hex) && taxid_ct_equal(st.key_check, hex, strlen(hex)))) {
				fprintf(stderr, "%s: key file '%s' does not belong to '%s'\n", ctx->tool->name, path, ctx->db_path);
				c = TAXID_E_KEY_UNAVAILABLE;
			}
		} else {
			c = taxid_db_meta_put(ctx, "key_check", hex);
			snprintf(st.key_check, sizeof st.key_check, "%s", hex);
		}
		free(hex);
		int retry = 0;
		if (!c)
			retry = (c = derive_all(ctx, k, &f, &st, path, !last)) == TAXID_E_KEY_UNAVAILABLE;
		keyfile_wipe(&f);
		if (!retry || last)
			break;
		usleep(20000);
	}
	free(path);
	return c;
}

enum taxid_code taxid_keys_load(struct taxid_ctx *ctx, int *unbound)
{
	return load(ctx, unbound, 1);
}

enum taxid_code taxid_keys_reload(struct taxid_ctx *ctx)
{
	int unbound = 0;
	return load(ctx, &unbound, 0);
}

enum taxid_code taxid_keys_current(struct taxid_ctx *ctx)
{
	long long gen, next;
	if (!ctx->keys)
		return TAXID_OK;
	enum taxid_code c = taxid_keys_state(ctx, &gen, &next);
	if (!c && (next ? next : gen) != ctx->keys->gen) {
		fprintf(stderr, "%s: the database's key was rotated while this process ran (generation %lld, not %lld): "
				"run it again\n",
			ctx->tool->name, next ? next : gen, ctx->keys->gen);
		c = TAXID_E_KEY_UNAVAILABLE;
	}
	return c;
}

enum taxid_code taxid_keys_refresh(struct taxid_ctx *ctx)
{
	long long gen, next;
	if (!ctx->keys)
		return TAXID_OK;
	enum taxid_code c = taxid_keys_state(ctx, &gen, &next);
	if (!c && ((next ? next : gen) != ctx->keys->gen || (next != 0) != ctx->keys->rotating))
		c = taxid_keys_reload(ctx);
	return c;
}

enum taxid_code taxid_keys_prepare_next(struct taxid_ctx *ctx, long long gen, long long next, char check[65])
{
	char *path = key_path(ctx);
	struct keyfile f;
	enum taxid_code c = path ? read_keyfile(ctx, path, &f) : TAXID_E_INTERNAL;
	if (c) {
		free(path);
		return c;
	}
	const unsigned char *have = keyfile_data(&f, next);
	if (!have) {
		/* keep only the current generation and add the next one: what the file holds until the rotation ends */
		const unsigned char *cur = keyfile_data(&f, gen);
		if (!cur) {
			c = TAXID_E_KEY_UNAVAILABLE;
		} else {
			memmove(f.data[0], cur, 32);
			f.gen[0] = gen;
			f.gen[1] = next;
			f.n = 2;
			if (taxid_random_bytes(f.data[1], 32))
				c = TAXID_E_INTERNAL;
			else
				c = write_keyfile(ctx, path, &f);
			have = f.data[1];
		}
	}
	if (!c)
		data_check(have, check);
	keyfile_wipe(&f);
	free(path);
	return c;
}

enum taxid_code taxid_keys_drop_old(struct taxid_ctx *ctx, long long gen, int *dropped)
{
	char *path = key_path(ctx);
	struct keyfile f;
	*dropped = 0;
	enum taxid_code c = path ? read_keyfile(ctx, path, &f) : TAXID_E_INTERNAL;
	if (c) {
		free(path);
		return c;
	}
	int kept = 0;
	if (!keyfile_data(&f, gen)) {
		c = TAXID_E_KEY_UNAVAILABLE;
	} else {
		for (int i = 0; i < f.n; i++) {
			if (f.gen[i] < gen)
				continue;
			memmove(f.data[kept], f.data[i], 32);
			f.gen[kept++] = f.gen[i];
		}
	}
	if (!c && kept < f.n) {
		f.n = kept;
		c = write_keyfile(ctx, path, &f);
		*dropped = !c;
	}
	keyfile_wipe(&f);
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

int taxid_pii_index_old(const struct taxid_keys *k, const char *kind, const char *value, unsigned char out[32])
{
	if (!k->rotating)
		return 0;
	struct taxid_keys old = *k;
	memcpy(old.index, k->index_old, sizeof old.index);
	taxid_pii_index(&old, kind, value, out);
	taxid_wipe(&old, sizeof old);
	return 1;
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
	/* during a rotation a row not converted yet is still sealed with the previous key */
	if (taxid_aead_open(k->enc, kind, strlen(kind), blob, len, (unsigned char *)out) &&
	    (!k->rotating || taxid_aead_open(k->enc_old, kind, strlen(kind), blob, len, (unsigned char *)out))) {
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
