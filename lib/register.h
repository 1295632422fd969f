/* register.c: taxid-register's work — hall registration codes, on-site collection, account registration (hall
 * code or face), supplement and change of real-name information, bulk import, look-up and abnormal marks. */
#ifndef TAXID_REGISTER_H
#define TAXID_REGISTER_H

#include <jansson.h>
#include "errors.h"
#include "ids.h"

struct taxid_ctx;

/* Alphabet of hall registration codes: digits and upper-case letters without the look-alikes 0, 1, I, O. */
#define TAXID_REGCODE_ALPHABET "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#define TAXID_REGCODE_LEN 6

/* The paired document a type must be given with (DOMAIN §8): 208 for 233/239/240/241, 210 for 237, 213 for 238;
 * TAXID_DOC_UNKNOWN when none is needed. */
enum taxid_doc_type taxid_register_paired_type(enum taxid_doc_type t);
/* Draw a hall registration code (TAXID_REGCODE_LEN characters + NUL) from the CSPRNG without bias; 0 on success. */
int taxid_register_new_code(char code[TAXID_REGCODE_LEN + 1]);
/* Draw a random initial password of len characters (len >= 8) with every character class; 0 on success. */
int taxid_register_random_password(char *out, size_t len);
/* Mask a name for output: its first character and one '*' (out holds strlen(name) + 2 bytes). */
void taxid_mask_name(const char *name, char *out);

/* Actions. */
enum taxid_code taxid_register_account(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_code(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_collect(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_supplement(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_change(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_import(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_show(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_mark(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
