/* fixture.c: deterministic synthetic people for CI pipelines and benchmarks — valid document numbers, names with
 * rare characters and middle dots, mobiles, Luhn-valid bank cards, login names — from a seeded splitmix64, so the
 * same seed gives the same bytes. */
#ifndef TAXID_FIXTURE_H
#define TAXID_FIXTURE_H

#include <stdint.h>
#include <jansson.h>
#include "errors.h"
#include "ids.h"

struct taxid_ctx;

#define TAXID_FIXTURE_MAX_TYPES 12

/* What to generate. */
struct taxid_fixture_opts {
	uint64_t seed;
	enum taxid_doc_type types[TAXID_FIXTURE_MAX_TYPES]; /* drawn in turn, record i gets types[i % ntypes] */
	int ntypes;
	const char *password_hash; /* emitted as "password_hash"; NULL: "initial_password":"doc_tail6" */
};

struct taxid_fixture;

/* A generator for count records (count sizes the duplicate filter); NULL when out of memory. */
struct taxid_fixture *taxid_fixture_new(const struct taxid_fixture_opts *o, long count);
/* The next record, a new JSON object (import's field names). */
json_t *taxid_fixture_next(struct taxid_fixture *f);
void taxid_fixture_free(struct taxid_fixture *f);

/* The fixture action: count, seed, doc_types ("201,227,…"), password; prints raw NDJSON records on ctx->out. */
enum taxid_code taxid_fixture_action(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
