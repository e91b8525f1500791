/*
 * warc.h — WARC/1.x record headers (ISO 28500) for the warc framing.
 *
 * A WARC record is a version line ("WARC/1.0"), named header fields, a
 * blank line, a block of exactly Content-Length bytes, and two CRLFs.  The
 * filter cuts the stream into records with warc_head_end() and
 * warc_parse(), cleans the block of text records (WET "conversion"
 * records, and "resource"/"response" records whose Content-Type is
 * text/plain) and writes the header again with warc_write_head(): the new
 * Content-Length, and without the digest fields a changed block no longer
 * matches.  Everything else passes through byte for byte.
 */
#ifndef CHAFF_WARC_H
#define CHAFF_WARC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define WARC_HEAD_MAX ((size_t)64 << 10) /* a header block longer than this is malformed */

struct warc_head {
    size_t len;              /* bytes of the header block, blank line included */
    uint64_t content_length; /* the block's length */
    const char *type;        /* WARC-Type value (not NUL-terminated), or NULL */
    size_t type_len;
    const char *uri; /* WARC-Target-URI value, or NULL */
    size_t uri_len;
    const char *ctype; /* Content-Type value, or NULL */
    size_t ctype_len;
    const char *lang; /* WARC-Identified-Content-Language (WET: "eng,spa",
                         ISO 639-3), or NULL */
    size_t lang_len;
    const char *rid; /* WARC-Record-ID value, or NULL */
    size_t rid_len;
};

/* Does p[0..n) start a record ("WARC/" and a digit)?  1 yes, 0 no, -1 when
 * n is too short to tell. */
int warc_is_start(const char *p, size_t n);

/* The length of the header block at p[0..n): up to and including the
 * blank line that ends it ("\r\n\r\n", or "\n\n" from lax writers); 0 when
 * the blank line is not in p[0..n). */
size_t warc_head_end(const char *p, size_t n);

/* Parse the header block p[0..n) (n from warc_head_end()) into h, whose
 * pointers point into p.  CHAFF_E_DATA with a message in msg (lowercase,
 * no newline) when the version line or Content-Length is missing or
 * malformed. */
chaff_status warc_parse(const char *p, size_t n, struct warc_head *h, char msg[128]);

/* 1 when the record's block is plain text chaff cleans. */
int warc_is_text(const struct warc_head *h);

/* The charset parameter of Content-Type into out ("" when none). */
void warc_charset(const struct warc_head *h, char out[40]);

/* Append the header block p[0..h->len) to out with Content-Length set to
 * new_len; when the block changed, without WARC-Block-Digest and
 * WARC-Payload-Digest (they would no longer match) and with a charset
 * parameter of Content-Type set to UTF-8 (the block is UTF-8 now).  Line
 * ends are kept. */
chaff_status warc_write_head(const char *p, const struct warc_head *h, uint64_t new_len,
                             int changed, struct buf *out);

#endif
