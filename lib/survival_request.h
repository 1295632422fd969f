/* survival_request.c: what every taxid-survival action reads from its request and how it shows a person — the
 * operator, days, words, regions, insurance types; the subject a request names (document -> person -> pensioner);
 * documents and names masked unless --reveal. */
#ifndef TAXID_SURVIVAL_REQUEST_H
#define TAXID_SURVIVAL_REQUEST_H

#include <jansson.h>

#include "calendar.h"
#include "errors.h"
#include "ids.h"
#include "pensioner.h"
#include "person.h"

struct taxid_ctx;

/* The operator of a request: {"id": "...", "role": "specialist" | "officer"}. */
struct taxid_op {
	const char *id, *role;
};

/* The operator, if any; need_role makes it required with that role. */
enum taxid_code taxid_survival_operator_get(struct taxid_ctx *ctx, json_t *req, const char *need_role, struct taxid_op *op);
/* An operator action (SECURITY rule 31): the operator is required, with need_role when given, else any role. */
enum taxid_code taxid_survival_operator_need(struct taxid_ctx *ctx, json_t *req, const char *need_role, struct taxid_op *op);
/* Today in the operator's zone. */
taxid_day taxid_survival_today(const struct taxid_ctx *ctx);
/* A calendar day member: "YYYY-MM-DD", or an RFC 3339 instant taken in the operator's zone. */
enum taxid_code taxid_survival_req_day(struct taxid_ctx *ctx, json_t *req, const char *key, int required, int *present,
				       taxid_day *d);
/* A day member that may not be in the future; def when absent. */
enum taxid_code taxid_survival_req_past_day(struct taxid_ctx *ctx, json_t *req, const char *key, int required, taxid_day def,
					    taxid_day *d);
/* One of words[] (NULL-terminated), or def when absent (def NULL: required). */
enum taxid_code taxid_survival_req_word(struct taxid_ctx *ctx, json_t *req, const char *key, const char *const *words,
					const char *def, const char **out);
/* "as_of" (default today); "region" (optional, a valid region code). */
enum taxid_code taxid_survival_req_as_of(struct taxid_ctx *ctx, json_t *req, taxid_day *d);
enum taxid_code taxid_survival_req_region(struct taxid_ctx *ctx, json_t *req, const char **region);
/* 1 when r is a six-digit region code of a known province. */
int taxid_survival_region_ok(const char *r);

/* Insurance types: a code or its Chinese name; class "employee" or "resident" decides duplicates. */
struct taxid_insurance {
	const char *code, *cls, *zh[3];
};
const struct taxid_insurance *taxid_insurance_find(const char *s);

/* A document number and a name as shown: masked unless --reveal (the name to its first character). */
json_t *taxid_survival_doc_json(struct taxid_ctx *ctx, const char *normalized);
json_t *taxid_survival_name_json(const struct taxid_ctx *ctx, const char *name);
/* The masked form of a name, malloc'd ("张*"; "*" for a one-character name). */
char *taxid_survival_name_mask(const char *name);
/* Decrypt a stored document number (malloc'd; NULL when it cannot be read). */
char *taxid_survival_open_doc(const struct taxid_ctx *ctx, int doc_type, const void *blob, size_t len);
/* Members of out: a string (null when NULL or ""), a day, a month (null when TAXID_MONTH_NONE). */
void taxid_json_set_str(json_t *o, const char *key, const char *s);
void taxid_json_set_day(json_t *o, const char *key, taxid_day d);
void taxid_json_set_month(json_t *o, const char *key, int m);

/* The subject of a request: document -> person -> pensioner, and the person's facts. */
struct taxid_subject {
	enum taxid_doc_type t;
	struct taxid_id_info info;
	struct taxid_person person;
	struct taxid_pensioner p;
	char birth[TAXID_DATE_LEN];
	char sex;
	int has_photo;
};

/* Find the enrolled pensioner a request names by doc_type/doc_no (and name). Not enrolled: missing. The masked
 * document goes into out. Clear s with taxid_subject_clear whatever it returns. */
enum taxid_code taxid_subject_load(struct taxid_ctx *ctx, json_t *req, json_t *out, int name_required,
				   enum taxid_code missing, struct taxid_subject *s);
void taxid_subject_clear(struct taxid_subject *s);
/* The person's birth date, sex and whether a reference photo is on file. */
enum taxid_code taxid_subject_facts(struct taxid_ctx *ctx, long long person_id, struct taxid_subject *s);
/* The birth month 1-12, or 0 when unknown. */
int taxid_subject_birth_month(const struct taxid_subject *s);

#endif
