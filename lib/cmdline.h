/* cmdline.c: the command line every tool shares (options, action, operands, --help, completion). */
#ifndef TAXID_CMDLINE_H
#define TAXID_CMDLINE_H

#include <jansson.h>

struct taxid_ctx;
struct taxid_tool;

/* Read argv into ctx (ctx->tool set by the caller): database path, clock, zone, --reveal, progress, the action;
 * *request is the request the operands and options make (the defaults of every request read when the input is
 * read) and *single says to run it alone instead of reading standard input. Returns -1 to go on, or the exit
 * status to return now (after --help, --version or a usage error, said on stderr). */
int taxid_cmdline_parse(struct taxid_ctx *ctx, int argc, char **argv, json_t **request, int *single);
/* "TOOL __complete WORD...": print the candidates for the next word; returns the exit status. */
int taxid_cmdline_complete(const struct taxid_tool *tool, int argc, char **argv);

#endif
