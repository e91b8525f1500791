/*
 * sites.h — per-site counts for the --stats summary ("by_site"): for each
 * host of a record's URL, the records cleaned, their lines in and the
 * lines removed (lines in less lines out, as the totals count them).
 *
 * The table keeps at most max hosts (SITES_MAX by default); counts for
 * hosts that come after it is full go to one bucket, SITES_OTHER, so the
 * memory a stream costs stays bounded whatever it holds.  Hosts are at
 * most 255 bytes (cls_host cuts them so).  Which hosts get a row depends
 * on the order they are added in: the filter adds them in input order, on
 * the thread that feeds, so the table is the same whatever the jobs.
 *
 * Ownership: the table owns its host strings (one buffer, back to back)
 * and its rows; sites_free releases both.  Errors are sticky (s->err).
 */
#ifndef CHAFF_SITES_H
#define CHAFF_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SITES_MAX 10000
#define SITES_OTHER "(other)"

struct site {
    size_t host; /* offset of the host in sites.names */
    uint64_t records, lines_in, lines_removed;
};

struct sites {
    struct site *v;
    size_t n, cap, max;
    uint32_t *index;   /* open addressing: row + 1, 0 for empty */
    size_t index_cap;  /* a power of two, at least twice n */
    struct buf names;  /* the hosts, each NUL-terminated */
    struct site other; /* hosts past max (host unused) */
    chaff_status err;  /* sticky: first failure */
};

/* An empty table of at most max hosts (0 = SITES_MAX). */
void sites_init(struct sites *s, size_t max);
/* Release the rows and names; s may be reused after sites_init. */
void sites_free(struct sites *s);

/* Add one record's figures under host (a NULL or empty host is not
 * counted: a record without a URL has no site).  Returns s->err:
 * CHAFF_E_NOMEM when a row could not be added (the counts go nowhere, and
 * the error stays). */
chaff_status sites_add(struct sites *s, const char *host, uint64_t records, uint64_t lines_in,
                       uint64_t lines_removed);

/* The host of row i (i < s->n). */
const char *sites_host(const struct sites *s, size_t i);

/* Append the table to b as a JSON object, host to {"records","lines_in",
 * "lines_removed"}, the most lines removed first (ties by host), and
 * SITES_OTHER last when it counted anything.  Returns b->err, or s->err
 * when the table lost counts. */
chaff_status sites_json(const struct sites *s, struct buf *b);

#endif
