/* record.c: the one read-handle-write loop every tool runs (CONTRACT.md "Records in, records out"). */
#ifndef TAXID_RECORD_H
#define TAXID_RECORD_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "errors.h"

struct taxid_ctx;
struct taxid_db;
struct taxid_keys;

/* A handler answers one request: fill out with result members, return TAXID_OK or a refusal. */
typedef enum taxid_code (*taxid_handler)(struct taxid_ctx *ctx, json_t *req, json_t *out);

/* Action flags. */
enum {
	TAXID_ACT_DB_OPTIONAL = 1 << 0, /* use the database when it exists; never create it */
	TAXID_ACT_DB_READ = 1 << 1,     /* the database must exist (exit 66 otherwise) */
	TAXID_ACT_DB_WRITE = 1 << 2,    /* create the database on first use; each request in BEGIN IMMEDIATE */
	TAXID_ACT_BATCH = 1 << 3,       /* commit every N requests (savepoint per request); output after commit */
	TAXID_ACT_NO_INPUT = 1 << 4,    /* one request from operands/options only; stdin is not read */
	TAXID_ACT_ROWS = 1 << 5,        /* the handler prints rows with taxid_emit; no result line on success */
	/* issue 10: the handler does its slow work (argon2) first, then opens the write transaction itself with
	 * taxid_db_begin; what it left open is committed or rolled back as for DB_WRITE (SECURITY rule 7) */
	TAXID_ACT_OWN_TX = 1 << 6,
	TAXID_ACT_FIRST_OPERAND = 1 << 7, /* a bare operand (no '=') is the value of the first of fields (FILE) */
	/* with BATCH: the handler refuses a request only before its first write, so a request needs no savepoint of
	 * its own (SQLite copies every page a savepoint's request changes into its sub-journal: a sixth of a bulk
	 * import's instructions at 100k people, issue 17 item 1); an error that stops the run drops the batch */
	TAXID_ACT_CHECKS_FIRST = 1 << 8,
};

/* Types of action options (they become request members: --as-of X is as_of="X"). */
enum taxid_opt_type { TAXID_OPT_STRING, TAXID_OPT_INT, TAXID_OPT_BOOL };

/* An option of one action; the same table drives parsing, --help and completion. */
struct taxid_opt {
	const char *name;      /* long name without dashes, e.g. "as-of"; the member is "as_of" */
	enum taxid_opt_type type;
	const char *arg;       /* placeholder in help, e.g. "DATE" */
	const char *help;
};

/* One action of a tool. */
struct taxid_action {
	const char *name;      /* "identity"; the first action is the default */
	taxid_handler fn;
	unsigned flags;
	const char *fields;    /* request members in help, e.g. "doc_type doc_no [name] [nationality]" */
	const char *help;      /* one line */
	const struct taxid_opt *opts; /* NULL-terminated by name == NULL, or NULL */
};

/* A tool: its name, one-line purpose and actions (NULL-terminated). */
struct taxid_tool {
	const char *name;
	const char *purpose;
	const struct taxid_action *actions;
};

/* Everything a handler may need; one per process. */
struct taxid_ctx {
	const struct taxid_tool *tool;
	const struct taxid_action *action;
	const char *db_path;         /* the SQLite file, or the PostgreSQL URI as printed (password hidden) */
	const char *db_uri;          /* the PostgreSQL URI to connect with (NULL: db_path is a SQLite file) */
	const char *key_path;        /* NULL: <db>.key or $TAXID_KEYFILE */
	struct taxid_db *db;         /* opened before the first request per the action's flags (NULL if absent and optional) */
	struct taxid_keys *keys;     /* the open database's keys (lib/db.c keeps them; NULL when no database) */
	int64_t now;                 /* seconds since the epoch, UTC (from --now / TAXID_NOW or the clock) */
	int now_pinned;              /* 1 when --now or TAXID_NOW set it */
	int test_db;                 /* the database was created for tests: writes may take a pinned clock (lib/dbmode.c) */
	int tz_offset;               /* seconds east of UTC for calendar dates */
	int reveal;                  /* --reveal: print personal data unmasked (audited) */
	int progress;                /* print progress on stderr */
	int zh;                      /* Chinese messages */
	long line;                   /* input line of the current request */
	int batch_size;
	/* A batch action's last work in a batch, set by its handler: called with commit 1 inside the batch's
	 * transaction right before it commits (a refusal then keeps nothing of the batch), with commit 0 when the
	 * batch is dropped; NULL: none. Import audits the persons a batch created in one row (issue 17 item 1). */
	enum taxid_code (*batch_end)(struct taxid_ctx *ctx, int commit);
	/* set by handlers on refusal */
	const char *err_field;
	json_t *err_detail;
	int keep_on_error;           /* commit the transaction although the request was refused */
	FILE *out;
	long done, refused;
	/* --reveal (issue 11): the subjects shown in clear by the current request (lib/operator.c) */
	json_t *reveal_subjects;
	long reveal_more;
	/* issue 18: --input csv (requests are the rows of a CSV file with a header); --format csv (the rows of a
	 * listing action as a spreadsheet: csv_columns while a request prints them, csv_started once the header is
	 * out, after which refusals go to standard error so that standard output stays one CSV file) */
	int input_csv;
#define TAXID_MAX_JOBS 64
	int jobs; /* --jobs N: worker processes for a read-only NDJSON stream (0: the number of processors) */
	const char *const *csv_columns;
	int csv_started;
};

/* Run a tool: parse argv (common options, action, action options, KEY=VALUE operands), open what the
 * action needs, run the record loop, return the exit status. A tool's main is only this call. */
int taxid_main(const struct taxid_tool *tool, int argc, char **argv);

#include "request.h" /* the helpers handlers use: lib/request.c, below the loop */

#endif
