/* keyrot.c: taxid-db keys rotate — a new data key for every personal field and blind index (issue 18 item 2). */
#ifndef TAXID_KEYROT_H
#define TAXID_KEYROT_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

/* taxid-db keys rotate: operator [batch]. Re-seals and re-indexes every row under a new data key, batch rows a
 * transaction, restartable after a kill at any point; then drops the old key from the key file. Audited
 * (keys_rotate_begin, keys_rotate_batch, keys_rotated). */
enum taxid_code taxid_keys_rotate(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
