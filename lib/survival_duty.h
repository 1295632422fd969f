/* survival_duty.c: what follows a survival certification beyond its window (issue 13 items 3, 5, 6): the offline
 * device's new reference photo, the fingerprint report the office owes the certification system (drained by
 * `report outbox`), the app certification a fingerprint leaves owing that year, and the employer's USCC. The
 * declarations of survival_update.c's action and of survival.c's helpers for these modules are here too. */
#ifndef TAXID_SURVIVAL_DUTY_H
#define TAXID_SURVIVAL_DUTY_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

#define TAXID_EMPLOYER_LEN 24 /* an 18-character USCC */

/* The employer member key of req: absent (*present 0), or a USCC valid as by taxid-verify uscc, normalised into out. */
enum taxid_code taxid_survival_employer(struct taxid_ctx *ctx, json_t *req, const char *key,
					char out[TAXID_EMPLOYER_LEN], int *present);
/* A pensioner's employer into out ("" when none); TAXID_E_NOT_FOUND when the pensioner is unknown. */
enum taxid_code taxid_survival_employer_of(struct taxid_ctx *ctx, long long pid, char out[TAXID_EMPLOYER_LEN]);
/* After a successful certification by method on day (YYYY-MM-DD): offline_device records the reference photo,
 * fingerprint queues its report and the year's app duty, face settles that duty. Members go into out. */
enum taxid_code taxid_survival_after_certify(struct taxid_ctx *ctx, long long pid, long long person_id, const char *method,
					     const char *day, const char *actor, json_t *out);
/* status: employer, photo source, corrections (masked), fingerprint duties. */
enum taxid_code taxid_survival_status_extra(struct taxid_ctx *ctx, long long pid, long long person_id, json_t *out);

/* survival.c, for these modules (survival_request.h has the masking). */
enum taxid_code taxid_survival_operator(struct taxid_ctx *ctx, json_t *req, const char **id, const char **role);
const char *taxid_survival_insurance_code(const char *s);
enum taxid_code taxid_survival_rewindow(struct taxid_ctx *ctx, long long pid, const char *old_region, json_t *out);

#endif
