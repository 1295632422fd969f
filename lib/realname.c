/* A person's real-name standing as login and bind see it: an expired identity document. */
#include <stdio.h>

#include "db.h"
#include "enterprise.h"
#include "realname.h"
#include "record.h"

enum taxid_code taxid_realname_expired(struct taxid_ctx *ctx, long long person_id, json_t **detail)
{
	char today[11], type[8];
	taxid_bind_today(ctx, today);
	*detail = NULL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_DOC_EXPIRED_OF_PERSON);
	taxid_q_int(q, 1, person_id);
	taxid_q_text(q, 2, today);
	if (taxid_q_step(q)) {
		snprintf(type, sizeof type, "%lld", taxid_q_col_int(q, 0));
		*detail = json_pack("{s:s,s:s,s:s}", "doc_type", type, "expires_on", taxid_q_col_text(q, 1), "action",
				    TAXID_REALNAME_RENEW);
	}
	enum taxid_code c = taxid_q_end(q);
	if (c) {
		json_decref(*detail);
		*detail = NULL;
	}
	return c;
}

json_t *taxid_realname_methods(long long required)
{
	if (required > 4)
		return json_pack("[s]", "collect");
	return json_pack("[sss]", "face", "bank", "registry");
}

json_t *taxid_realname_level_detail(int level, long long required)
{
	return json_pack("{s:i,s:I,s:o,s:s}", "level", level, "required", (json_int_t)required, "methods",
			 taxid_realname_methods(required), "action",
			 required > 4 ? TAXID_REALNAME_COLLECT : TAXID_REALNAME_RAISE);
}
