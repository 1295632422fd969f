/* register.c: taxid-register's work — hall registration codes, on-site collection, account registration (hall
 * code or face), supplement and change of real-name information; register_import.c: bulk import;
 * register_admin.c: look-up and abnormal marks. The identity claims they start from are in person.h. */
#ifndef TAXID_REGISTER_H
#define TAXID_REGISTER_H

#include <jansson.h>
#include "errors.h"
#include "ids.h"
#include "person.h"

struct taxid_ctx;

/* Alphabet of hall registration codes: digits and upper-case letters without the look-alikes 0, 1, I, O. */
#define TAXID_REGCODE_ALPHABET "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#define TAXID_REGCODE_LEN 6

/* Draw a hall registration code (TAXID_REGCODE_LEN characters + NUL) from the CSPRNG without bias; 0 on success. */
int taxid_register_new_code(char code[TAXID_REGCODE_LEN + 1]);

/* Actions. */
enum taxid_code taxid_register_account(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_code(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_collect(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_supplement(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_change(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_import(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Before an import batch commits (commit 1): one audit row naming the persons it created; commit 0: it was dropped. */
enum taxid_code taxid_register_import_end(struct taxid_ctx *ctx, int commit);
enum taxid_code taxid_register_show(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_register_mark(struct taxid_ctx *ctx, json_t *req, json_t *out);

/* Pieces the register files share (register.c holds them). */
/* Audit an event; takes the reference to detail (taxid_audit borrows its detail). */
enum taxid_code taxid_register_audit(struct taxid_ctx *ctx, const char *action, const char *subject, const char *actor,
				     json_t *detail);
/* Wipe a secret request member in place once it is no longer needed (SECURITY rule 21). */
void taxid_register_wipe_member(json_t *req, const char *key);
/* Today's local date, YYYY-MM-DD. */
void taxid_register_today(struct taxid_ctx *ctx, char out[11]);
/* An audit subject "kind:id". */
void taxid_register_subject(char *buf, size_t n, const char *kind, long long id);
/* An optional calendar date member (YYYY-MM-DD); out gets it or "". */
enum taxid_code taxid_register_read_date(struct taxid_ctx *ctx, json_t *req, const char *key, char out[11]);
/* Member "phone", a mobile number; ph->normalized is "" when it is absent and not required. */
enum taxid_code taxid_register_read_phone(struct taxid_ctx *ctx, json_t *req, int required, struct taxid_id_info *ph);
/* Member "region", the household-registration region 户籍所在地 (a GB/T 2260 code); *region NULL when absent. */
enum taxid_code taxid_register_read_region(struct taxid_ctx *ctx, json_t *req, const char **region);

/* Consent versions (001): the personal-information notice always, the face agreement for face flows; *consent
 * gets them with the time of acceptance. */
enum taxid_code taxid_register_read_consent(struct taxid_ctx *ctx, json_t *req, int need_face, json_t **consent);
/* Record accepted consent versions on the person's account, when there is one (the versions brought replace the
 * same kinds, others are kept). */
enum taxid_code taxid_register_record_consent(struct taxid_ctx *ctx, long long person_id, json_t *consent);
/* Keep a passed face check's reference as the person's reference photo. */
enum taxid_code taxid_register_set_photo(struct taxid_ctx *ctx, long long person_id, const char *ref);

#endif
