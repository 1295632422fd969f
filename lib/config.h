/* config.c: the settings a tool reads, with their defaults and ranges, in one table; taxid-config reads and
 * changes them (an operator, audited). */
#ifndef TAXID_CONFIG_H
#define TAXID_CONFIG_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

/* One known setting: an integer with a default and an inclusive range. */
struct taxid_setting_def {
	const char *key;
	long long def, min, max;
	const char *help;
};

/* The known setting of that key, or NULL. */
const struct taxid_setting_def *taxid_config_find(const char *key);
/* The whole table, terminated by key == NULL. */
const struct taxid_setting_def *taxid_config_table(void);

/* taxid-config list: one row per known setting (value, default, range, whether it is set). */
enum taxid_code taxid_config_list(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* taxid-config get: key. */
enum taxid_code taxid_config_get(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* taxid-config set: key value operator [reason]; refuses unknown keys and values out of range; audited. */
enum taxid_code taxid_config_set(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
