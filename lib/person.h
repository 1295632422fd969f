/* person.c: natural persons known to the registry, found through their documents' blind index; the identity
 * claims requests make about them. */
#ifndef TAXID_PERSON_H
#define TAXID_PERSON_H

#include <jansson.h>
#include "errors.h"
#include "ids.h"

struct taxid_ctx;

/* A person as found by a document. Strings are malloc'd; free with taxid_person_clear. */
struct taxid_person {
	long long id, doc_id;
	int doc_type;
	char *name;             /* decrypted, exactly as collected */
	int abnormal;
	char *abnormal_reason;
	int level;              /* real-name level 0-5 */
	int has_account;
};

/* Find the person holding document (type, normalised number): TAXID_OK, TAXID_E_NOT_FOUND, or a database error. */
enum taxid_code taxid_person_find_doc(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized,
				      struct taxid_person *p);
/* A new person with one document. */
struct taxid_person_new {
	enum taxid_doc_type doc_type;
	const struct taxid_id_info *info; /* validated document: normalized number, birth date, sex, region, nationality */
	const char *name;
	int level;
	const char *expires_on;           /* document expiry YYYY-MM-DD, or NULL */
};
/* Find the person holding the document, or create them (inside the caller's transaction): *created says which.
 * An existing person is returned unchanged: compare names with taxid_person_find_doc first where it matters. */
enum taxid_code taxid_person_ensure(struct taxid_ctx *ctx, const struct taxid_person_new *n, long long *person_id,
				    int *created);
/* The decrypted, normalised number of a document by id (malloc'd), or NULL. */
char *taxid_person_doc_number(struct taxid_ctx *ctx, long long doc_id, int *doc_type);
/* Free what a find filled in. */
void taxid_person_clear(struct taxid_person *p);
/* Blind index of a document (type class + normalised number). */
void taxid_person_doc_index(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized, unsigned char out[32]);
/* During a key rotation the same under the previous key, and 1; else 0 (see taxid_pii_index_old). */
int taxid_person_doc_index_old(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized, unsigned char out[32]);
/* Safe name normalisation only: trim surrounding spaces (ASCII and U+3000) and unify middle-dot variants to U+00B7.
 * Never changes characters otherwise (no simplified/traditional folding). Returns a malloc'd string. */
char *taxid_name_normalize(const char *name);
/* 1 when two names are equal after taxid_name_normalize. */
int taxid_name_equal(const char *a, const char *b);
/* Mask a name for output: its first character and one '*' (out holds strlen(name) + 2 bytes). */
void taxid_mask_name(const char *name, char *out);

/* Find the person holding a document: *found says whether there is one; TAXID_OK or a database error. */
enum taxid_code taxid_person_find(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *normalized,
				  struct taxid_person *p, int *found);
/* Add a document to a known person (a paired document, or a new main document beside a known passport), inside
 * the caller's transaction; expires_on may be NULL. */
enum taxid_code taxid_person_add_doc(struct taxid_ctx *ctx, long long person_id, enum taxid_doc_type t,
				     const struct taxid_id_info *info, const char *expires_on, long long *doc_id);

/* What the person table holds beyond taxid_person_find_doc. */
struct taxid_person_extra {
	int has_photo;
	char expires_on[11]; /* of the document looked up; "" when none */
	char nationality[4];
};
/* The photo, nationality and the expiry of document doc_id of a person: TAXID_OK, TAXID_E_NOT_FOUND or a
 * database error. */
enum taxid_code taxid_person_extra(struct taxid_ctx *ctx, long long person_id, long long doc_id,
				   struct taxid_person_extra *x);

/* An identity claim as a request makes it: a validated document, its nationality, and the name when given. */
struct taxid_claim {
	enum taxid_doc_type type;
	struct taxid_id_info info;
	char *name; /* normalised (surrounding spaces, middle-dot variants), malloc'd; NULL when not given */
	char masked[sizeof ((struct taxid_id_info *)0)->normalized];
};
/* What a claim must carry besides the document. */
enum { TAXID_CLAIM_NAME = 1, TAXID_CLAIM_NATIONALITY = 2, TAXID_CLAIM_NEW = TAXID_CLAIM_NAME | TAXID_CLAIM_NATIONALITY };
/* Read members doc_type, doc_no, nationality and name of req (need: TAXID_CLAIM_*). Free with taxid_claim_free,
 * also after a refusal. */
enum taxid_code taxid_claim_read(struct taxid_ctx *ctx, json_t *req, int need, struct taxid_claim *cl);
void taxid_claim_free(struct taxid_claim *cl);
/* The paired document a type must be given with (DOMAIN §8): 208 for 233/239/240/241, 210 for 237, 213 for 238;
 * TAXID_DOC_UNKNOWN when none is needed. */
enum taxid_doc_type taxid_claim_paired_type(enum taxid_doc_type t);
/* The paired document of a claim (member "paired", DOMAIN §8), validated; *has says whether one was given.
 * required: refuse a missing one when the claim's type needs it. */
enum taxid_code taxid_claim_read_paired(struct taxid_ctx *ctx, json_t *req, const struct taxid_claim *cl, int required,
					struct taxid_claim *pc, int *has);
/* Output members doc_type and doc_no (masked unless revealing) of a claim. */
void taxid_claim_put_doc(struct taxid_ctx *ctx, json_t *out, const struct taxid_claim *cl);
/* The registry's view of a claim about person p: abnormal persons first, then the name, exactly (DOMAIN §1). */
enum taxid_code taxid_claim_matches(struct taxid_ctx *ctx, const struct taxid_person *p, const struct taxid_claim *cl);
/* Create a person with the claim's document (inside the caller's transaction); *doc_id gets the document's id. */
enum taxid_code taxid_claim_create_person(struct taxid_ctx *ctx, const struct taxid_claim *cl, int level,
					  const char *expires_on, long long *person_id, long long *doc_id);
/* The same when the caller has just found that no one holds the document (taxid_person_find): no second look-up. */
enum taxid_code taxid_claim_insert_person(struct taxid_ctx *ctx, const struct taxid_claim *cl, int level,
					  const char *expires_on, long long *person_id, long long *doc_id);
/* Store the paired document pc for person pid and link document doc_id to it; a paired document another person
 * holds is refused (DOMAIN §6). */
enum taxid_code taxid_claim_store_paired(struct taxid_ctx *ctx, long long pid, long long doc_id,
					 const struct taxid_claim *pc);

#endif
