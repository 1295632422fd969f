/* Normal and test databases. The mode is chosen when the file is created and kept in meta; a test mark is
 * sealed with a keyed hash, so that someone who can write the file but has no key cannot turn a normal
 * database into one that takes a pinned clock. The seal is the same for every database under one key file, so
 * a test database also needs a key file made for test databases ("mode test", lib/keys.c), which no normal
 * database is ever created under: a seal copied into a normal database is checked under a key file without
 * that line and does not count. No tool changes the mode afterwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "db.h"
#include "dbmode.h"
#include "keys.h"
#include "record.h"

static char *mode_seal(const struct taxid_ctx *ctx)
{
	unsigned char mac[32];
	taxid_secret_hash(ctx->keys, "db_mode", "test", 4, mac);
	return taxid_hex_encode(mac, sizeof mac);
}

enum taxid_code taxid_dbmode_load(struct taxid_ctx *ctx, int db_is_new)
{
	enum taxid_code c = TAXID_OK;
	char *seal = mode_seal(ctx);
	if (!seal)
		return TAXID_E_INTERNAL;
	char *mode = taxid_db_meta_get(ctx, "db_mode");
	if (!mode && db_is_new) {
		int test = taxid_dbmode_env_test();
		if (!(c = taxid_db_meta_put(ctx, "db_mode", test ? "test" : "normal")) && test)
			c = taxid_db_meta_put(ctx, "db_mode_seal", seal);
		mode = strdup(test ? "test" : "normal");
	}
	char *stored = taxid_db_meta_get(ctx, "db_mode_seal");
	ctx->test_db = ctx->keys && ctx->keys->test_file && mode && strcmp(mode, "test") == 0 && stored &&
		       strlen(stored) == strlen(seal) && taxid_ct_equal(stored, seal, strlen(seal));
	free(stored);
	free(mode);
	free(seal);
	return c;
}

enum taxid_code taxid_dbmode_report(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	char *chain = taxid_db_meta_get(ctx, "audit_chain");
	json_object_set_new(out, "schema", json_integer(taxid_db_schema_version()));
	json_object_set_new(out, "mode", json_string(ctx->test_db ? "test" : "normal"));
	json_object_set_new(out, "audit_chain", chain ? json_string(chain) : json_null());
	free(chain);
	return TAXID_OK;
}
