/*
 * learn.h — lines repeated across a site's pages (chaff learn).
 *
 * Across many pages of one site, chrome repeats and articles do not.  A
 * learner counts, per site (the host of the record's URL), on how many
 * pages each line occurs -- by its match key, once per page -- and how many
 * pages the site has.  A page is a distinct URL: a recrawl of a URL
 * already counted is not counted again (a 64-bit hash of each URL is
 * remembered, up to LEARN_MAX_DEFAULT of them; past that, new URLs are
 * counted without being remembered, so their recrawls count again).
 * Memory is bounded: past LEARN_MAX_DEFAULT entries the rarest lines are
 * dropped (lossy counting), so a line that survives was seen at least
 * that often.  Counts can be written out and merged again, so shards of a
 * corpus are counted apart and added up (map, then reduce); URLs are
 * distinct within a shard only, since the counts hold no URLs.  The
 * result is a rule file: the lines on at least a share of a site's pages
 * as exact rules under @site, for a person to review.
 */
#ifndef CHAFF_LEARN_H
#define CHAFF_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "doc.h"

#define LEARN_MAX_DEFAULT ((size_t)1 << 22) /* counted lines kept at most */
#define LEARN_KEY_MAX 300                   /* longer lines are not counted */
#define LEARN_HOST_MAX 253                  /* a DNS name's length at most */

/* A sentence-like line -- LEARN_SENTENCE_CHARS characters or more, of
 * LEARN_SENTENCE_WORDS words or more, ending as a sentence ends -- is
 * learned only when on LEARN_SENTENCE_SHARE of a site's pages and on
 * LEARN_SENTENCE_PAGES or more, whatever --min-share and --min-pages say.
 * Chrome is mostly short (menus, buttons, bylines); a long sentence that
 * repeats is more often content: an article's lead quoted by the pages
 * of its series, a syndicated paragraph, the summary a section repeats.
 * A rule drops the whole line, and losing a sentence of an article costs
 * more than keeping one of chrome.  The sentences that are chrome (cookie
 * notices, newsletter pitches, disclaimers) are on nearly every page, so
 * 80% still takes them while leaving room for pages where they were cut
 * or changed; 20 pages keep a handful of related articles from teaching
 * their shared paragraph.  Where URLs are known the pages are distinct
 * URLs, so a page crawled many times does not make up the 20. */
#define LEARN_SENTENCE_CHARS 60
#define LEARN_SENTENCE_WORDS 6
#define LEARN_SENTENCE_SHARE 0.8
#define LEARN_SENTENCE_PAGES 20

struct learn;

struct learn *learn_new(size_t max_entries);
void learn_free(struct learn *l);

/* The form of host[0..n) written to a rule file, in out (NUL-terminated):
 * lowercase, and for a non-ASCII host its UTS #46 (IDNA) mapping; its
 * length, or 0 when host is no host name a rule file may hold (controls,
 * spaces, '/', '@', ':', empty labels, more than LEARN_HOST_MAX bytes,
 * invalid UTF-8 or IDNA).  The only gate between a crawl's URLs and the
 * @site lines chaff learn writes. */
size_t learn_host(const char *host, size_t n, char out[LEARN_HOST_MAX + 1]);

/* Count the distinct lines of one page of site host ("" or NULL: the page
 * has no URL and is not counted).  url[0..url_len) is the page's own URL
 * (its fragment ignored): a URL counted before is a recrawl, and the page
 * is not counted again.  url NULL: the page has no URL of its own (the
 * site came from --url) and always counts.  more: d is a further piece of
 * the page of the previous call (a page judged in pieces), whose lines are
 * counted when that page was, and which is no new page.  CHAFF_E_DATA when
 * host is not a host name (learn_host): the page is not counted. */
chaff_status learn_page(struct learn *l, const char *host, const char *url, size_t url_len,
                        bool more, const struct doc *d);

/* How many pages were counted (distinct, with a usable site; merged
 * counts included), and how many learn_page() was given (pages without
 * a URL included, further pieces not). */
uint64_t learn_n_pages(const struct learn *l);
uint64_t learn_n_seen(const struct learn *l);

/* Add one line of counts as learn_write_counts() writes them; lineno is
 * for the message.  CHAFF_E_DATA with msg filled for a malformed line. */
chaff_status learn_merge_line(struct learn *l, const char *s, size_t n, char msg[128]);

/* The counts, mergeable: a header line, then "P\thost\tpages" per site and
 * "L\thost\tpages-with-the-line\tkey" per line, sites and lines sorted. */
chaff_status learn_write_counts(struct learn *l, struct buf *out);

/* A rule file: for every site with at least min_pages pages, each line
 * on at least min_share of them (and on min_pages or more) as an exact
 * rule, most frequent first; a sentence-like line only when it is on
 * LEARN_SENTENCE_SHARE of them and on LEARN_SENTENCE_PAGES or more. */
chaff_status learn_write_rules(struct learn *l, unsigned min_pages, double min_share,
                               struct buf *out);

#endif
