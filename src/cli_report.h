/*
 * cli_report.h — `chaff report`: one static HTML page from --stats summaries.
 *
 * Part of the command, not of libchaff.  A struct report gathers any
 * number of summaries (report_add, one JSON text each, added up) and is
 * then written as one HTML page (report_write).  It owns everything it
 * holds; report_free releases it.  Nothing here writes to stderr: failures
 * come back as a message for the caller to print.
 */
#ifndef CHAFF_CLI_REPORT_H
#define CHAFF_CLI_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "chaff.h"

struct report;

/* A new, empty report, or NULL when out of memory. */
struct report *report_new(void);
void report_free(struct report *r);

/* Add the summary json[0..len) read from the file name (for messages and
 * the page).  0, or -1 with why ("line:col: expected ':'", "not a chaff
 * --stats summary") filled and nothing added. */
int report_add(struct report *r, const char *name, const char *json, size_t len, char why[256]);

/* Write the page to fp.  rules (may be NULL) are the loaded rules whose
 * files give each rule's text; title may be NULL.  0, or -1 when fp
 * reported a write error. */
int report_write(const struct report *r, FILE *fp, const chaff_rules *rules, const char *title);

#endif /* CHAFF_CLI_REPORT_H */
