/* fuzz_policy: the two policy parsers, without a database (libFuzzer):
 *   taxid_lockctl_policy_parse   a lock policy (taxid-lockout policy set), lockctl.c
 *   taxid_survival_policy_parse  a survival window policy (taxid-survival policy set), survival.c
 *
 * Input: a JSON text (a request as taxid-lockout or taxid-survival would read it); both parsers get it when it is
 * an object. Properties checked besides "no crash" (and no leak):
 *   - a refusal is one of the request codes (missing_field, bad_type, bad_value, bad_utf8) and names a field;
 *   - an accepted lock policy has a known scope and window and duration, 1 <= threshold <= 1000, and window and
 *     duration seconds within a year when they count;
 *   - an accepted window policy has a known kind, 1-60 months (12 unless rolling), 0-366 grace days, at most 8
 *     reminders, strictly descending, each 0-366, and a real MM-DD deadline for a fixed window;
 *   - what either parser gives back, read again as a request, is accepted and gives back the same (idempotence). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "taxid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                      \
	do {                                                                                                 \
		if (!(cond)) {                                                                                   \
			fprintf(stderr, "fuzz_policy: property failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
			abort();                                                                                     \
		}                                                                                                \
	} while (0)

static struct taxid_ctx ctx; /* no database */

static void reset_ctx(void)
{
	json_decref(ctx.err_detail);
	ctx.err_detail = NULL;
	ctx.err_field = NULL;
}

static void refused(enum taxid_code c)
{
	CHECK(c == TAXID_E_MISSING_FIELD || c == TAXID_E_BAD_TYPE || c == TAXID_E_BAD_VALUE || c == TAXID_E_BAD_UTF8);
	CHECK(ctx.err_field != NULL);
	reset_ctx();
}

static int one_of(const char *s, const char *const *words)
{
	for (int i = 0; s && words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

static void lock_policy(json_t *req)
{
	static const char *const scopes[] = {"password", "declaration", "sms", "face", NULL};
	static const char *const windows[] = {"none", "sliding", "day", NULL};
	static const char *const durations[] = {"seconds", "midnight", "permanent", NULL};
	json_t *row = NULL, *again = NULL;
	reset_ctx();
	enum taxid_code c = taxid_lockctl_policy_parse(&ctx, req, &row);
	if (c) {
		CHECK(row == NULL);
		refused(c);
		return;
	}
	const char *w = json_string_value(json_object_get(row, "window"));
	const char *d = json_string_value(json_object_get(row, "duration"));
	json_int_t t = json_integer_value(json_object_get(row, "threshold"));
	json_int_t ws = json_integer_value(json_object_get(row, "window_seconds"));
	json_int_t ds = json_integer_value(json_object_get(row, "duration_seconds"));
	CHECK(one_of(json_string_value(json_object_get(row, "scope")), scopes));
	CHECK(one_of(w, windows) && one_of(d, durations));
	CHECK(t >= 1 && t <= 1000);
	CHECK(strcmp(w, "sliding") != 0 || (ws >= 1 && ws <= 366LL * 86400));
	CHECK(strcmp(d, "seconds") != 0 || (ds >= 1 && ds <= 366LL * 86400));
	CHECK(taxid_lockctl_policy_parse(&ctx, row, &again) == TAXID_OK);
	CHECK(json_equal(row, again));
	json_decref(again);
	json_decref(row);
	reset_ctx();
}

static void window_policy(json_t *req)
{
	static const char *const kinds[] = {"rolling", "birthday", "fixed", NULL};
	json_t *pol = NULL, *again = NULL;
	reset_ctx();
	enum taxid_code c = taxid_survival_policy_parse(&ctx, req, &pol);
	if (c) {
		CHECK(pol == NULL);
		refused(c);
		return;
	}
	const char *kind = json_string_value(json_object_get(pol, "kind"));
	CHECK(one_of(kind, kinds));
	json_int_t grace = json_integer_value(json_object_get(pol, "grace_days"));
	CHECK(grace >= 0 && grace <= 366);
	json_t *months = json_object_get(pol, "months");
	if (strcmp(kind, "rolling") == 0)
		CHECK(json_integer_value(months) >= 1 && json_integer_value(months) <= 60);
	else
		CHECK(months == NULL);
	json_t *rem = json_object_get(pol, "reminders");
	CHECK(json_is_array(rem) && json_array_size(rem) <= 8);
	size_t i;
	json_t *r;
	json_int_t prev = 367;
	json_array_foreach(rem, i, r)
	{
		CHECK(json_is_integer(r) && json_integer_value(r) >= 0 && json_integer_value(r) < prev);
		prev = json_integer_value(r);
	}
	if (strcmp(kind, "fixed") == 0) {
		const char *dl = json_string_value(json_object_get(pol, "deadline"));
		int m = 0, d = 0;
		CHECK(dl && strlen(dl) == 5 && sscanf(dl, "%2d-%2d", &m, &d) == 2 && taxid_date_valid(2000, m, d));
	}
	CHECK(taxid_survival_policy_parse(&ctx, pol, &again) == TAXID_OK);
	CHECK(json_equal(pol, again));
	json_decref(again);
	json_decref(pol);
	reset_ctx();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(req)) {
		lock_policy(req);
		window_policy(req);
	}
	json_decref(req);
	return 0;
}
