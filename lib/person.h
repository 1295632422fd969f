/* person.c: natural persons known to the registry, found through their documents' blind index. */
#ifndef TAXID_PERSON_H
#define TAXID_PERSON_H

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
/* Safe name normalisation only: trim surrounding spaces (ASCII and U+3000) and unify middle-dot variants to U+00B7.
 * Never changes characters otherwise (no simplified/traditional folding). Returns a malloc'd string. */
char *taxid_name_normalize(const char *name);
/* 1 when two names are equal after taxid_name_normalize. */
int taxid_name_equal(const char *a, const char *b);

#endif
