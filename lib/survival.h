/* survival*.c: pension survival certification (DOMAIN.md §7, §8 "Survival side") — enrolment of retirees and
 * dependants, certification by every method, regional window policies, life events, duplicate pensions, appeals,
 * the restartable monthly run, due lists and coverage reports. taxid-survival(1) states the rules; lib/survival.c
 * says which file holds which part. The actions of cmd/taxid-survival.c: */
#ifndef TAXID_SURVIVAL_H
#define TAXID_SURVIVAL_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

/* Enrol a retiree or a dependant (idempotent by document; dependants need a specialist operator). */
enum taxid_code taxid_survival_enroll(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Certify that a pensioner is alive by one method; renews the window and resumes a suspended payment. */
enum taxid_code taxid_survival_certify(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Special certification by an agency officer when every other method failed. */
enum taxid_code taxid_survival_special(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Record a life event (death, imprisonment, release, missing, ... , a dependant's 18th birthday) and apply its rule. */
enum taxid_code taxid_survival_event(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Record that overpaid months were recovered, the oldest first (issue 13). */
enum taxid_code taxid_survival_recover(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Flag a duplicate pension found elsewhere; clear it by the keep rule (employee over resident, first region). */
enum taxid_code taxid_survival_duplicate_flag(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_survival_duplicate_clear(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Record the social-security card's state (normal, lost, frozen). */
enum taxid_code taxid_survival_card(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Record that a reference photo exists (or is missing) for face comparison. */
enum taxid_code taxid_survival_photo(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* File an appeal for manual review; decide it (an approval counts as one successful certification). */
enum taxid_code taxid_survival_appeal_file(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_survival_appeal_decide(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Set a region's window policy; list the policies (rows). */
enum taxid_code taxid_survival_policy_set(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_survival_policy_list(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* The policy parser alone, without the database (for the fuzzer): check a policy set request and give the policy
 * it would store as JSON (the shape policy list prints). */
enum taxid_code taxid_survival_policy_parse(struct taxid_ctx *ctx, json_t *req, json_t **policy);
/* Everything known about one pensioner. */
enum taxid_code taxid_survival_status(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Rows: everyone due within some days of a date, or overdue, or suspended for a lapse. */
enum taxid_code taxid_survival_due(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* The batch for a date: terminations at 18, suspensions after a lapse, reminders; notices as rows; restartable. */
enum taxid_code taxid_survival_run(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Coverage by region and month, as JSON or as a self-contained HTML page with an SVG chart. */
enum taxid_code taxid_survival_report(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Issue 13.5: print the fingerprint certifications not yet reported to the certification system and mark them reported. */
enum taxid_code taxid_survival_report_outbox(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Issue 13.4: correct a name or document (an officer), change region, insurance type or employer (the person or an
 * operator); the window follows a region whose policy differs. */
enum taxid_code taxid_survival_update(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
