/* survival_certify.c: certification that a pensioner is alive — who may certify, by which method and evidence, what a
 * certification does to the window and the payment; appeals for manual review. */
#ifndef TAXID_SURVIVAL_CERTIFY_H
#define TAXID_SURVIVAL_CERTIFY_H

#include <jansson.h>

#include "calendar.h"
#include "errors.h"
#include "survival_request.h"

struct taxid_ctx;

/* Who may certify at all on day: not ended, of retirement age (retirees), no duplicate pension. */
enum taxid_code taxid_survival_certify_gate(struct taxid_ctx *ctx, struct taxid_subject *s, taxid_day day);
/* Record a successful certification by method on day (detail stolen, may be NULL) and apply what follows: a new
 * window, and the payment started, resumed or left as it is. Members go into out. */
enum taxid_code taxid_survival_certify_apply(struct taxid_ctx *ctx, struct taxid_subject *s, const char *method, taxid_day day,
					     const char *issuer, const char *actor, json_t *detail, json_t *out);

#endif
