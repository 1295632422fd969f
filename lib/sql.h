/* sql.c: the one place for SQL text — migrations and the named statements of sql.def. */
#ifndef TAXID_SQL_H
#define TAXID_SQL_H

/* The SQL that migrates a database from version-1 to version; NULL outside 1..current. */
const char *taxid_sql_migration(int version);
/* The text of statement id (enum taxid_stmt). */
const char *taxid_sql_text(int id);

#endif
