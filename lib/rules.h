/* The numbers of the rules (DOMAIN.md, SECURITY.md) that more than one file needs: one name each, so a rule is
 * changed in one place (issue 15 item 5; lib/README.md maps every rule to where it lives). */
#ifndef TAXID_RULES_H
#define TAXID_RULES_H

/* SECURITY rule 6, the national lock: this many consecutive failures of one method lock it ... */
#define TAXID_LOCK_THRESHOLD 5
/* ... for 120 minutes (a plain number: the schema's seed spells it into SQL with TAXID_STR). */
#define TAXID_LOCK_SECONDS 7200
_Static_assert(TAXID_LOCK_SECONDS == 120 * 60, "the national lock lasts 120 minutes");

/* A number-valued macro as a string literal, for SQL text. */
#define TAXID_STR_(x) #x
#define TAXID_STR(x) TAXID_STR_(x)

#endif
