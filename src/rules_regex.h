/*
 * rules_regex.h — what chaff knows about a `~` regex before Vectorscan
 * sees it: its finite expansion into exact keys, its estimated compile
 * cost, and the shapes that are slow to compile or to scan.
 *
 * The parser reads the Vectorscan (PCRE) syntax the rule language allows
 * (rules/README.md): literals, escapes, classes, groups, alternation,
 * quantifiers, ^ $ \b.  What it does not know (look-around, \Q…\E, inline
 * flags, POSIX classes) it marks as unknown: such a regex is never
 * expanded and is costed as a wide class, so the analysis can only err
 * on the side of compiling a regex as written.
 */
#ifndef CHAFF_RULES_REGEX_H
#define CHAFF_RULES_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chaff.h"

#define RX_MAX_LEN 2048    /* bytes of one regex */
#define RX_MAX_ALT 200     /* '|' in one regex */
#define RX_MAX_COST 20000u /* estimated positions (see rules_regex.c) */
#define RX_WARN_COST 4000u /* --check-rules names a regex above this */
#define RX_VERIFY_COST                                                                             \
    500u /* above this, compile a cheaper superset and                                             \
            confirm each report (rx_prefilter, rx_match) */
#define RX_RELAX_REPEAT                                                                            \
    64u                     /* a bounded repeat of this many positions or                          \
                               more is unbounded in the prefilter */
#define RX_MAX_PROG 200000u /* instructions of an exact program */
#define RX_DOT_WEIGHT                                                                              \
    16u /* a class heavier than this (\p{L}: about 650                                             \
           ranges) is `.` in the prefilter */

struct rx_info {
    uint32_t alternations;      /* '|' outside classes */
    uint64_t cost;              /* estimated compile cost, in unrolled positions */
    size_t cost_at;             /* byte offset of the costliest repeat (or 0) */
    size_t cost_end;            /* … and its end */
    uint32_t cost_class;        /* the weight of the class it repeats */
    uint32_t cost_times;        /* how often it repeats it */
    bool first_any;             /* unanchored, and its first character may be
                                   almost anything: every position is a start */
    size_t first_at, first_end; /* that leading piece */
    bool unknown;               /* syntax the parser does not model */
    uint32_t loops;             /* unbounded repeats */
    bool wide_repeat;           /* a repeat whose body holds a wide set (`.{0,40}`,
                                   `[^。]*`): many states alive at once in a
                                   program run over it */
};

/* Analyse pat (NUL-terminated, the text that is compiled).  Returns
 * CHAFF_OK or CHAFF_E_NOMEM; a regex the parser cannot follow is not an
 * error here (Vectorscan reports real syntax errors) and gets
 * info->unknown. */
chaff_status rx_analyse(const char *pat, struct rx_info *info);

/* Called for each key of a finite expansion (not NUL-terminated). */
typedef chaff_status (*rx_key_fn)(void *ud, const char *key, size_t len);

/*
 * Expand a regex that is anchored at both ends (`^…$`) and finite into
 * the keys it matches, as the rule's exact keys: over match keys (case
 * folded, white space only single ASCII spaces) matching the regex and
 * being one of the keys are the same thing.  Calls fn for each key (no
 * key twice) when there are at most max, and sets *n_keys; *n_keys = 0
 * when the regex is not finite, not anchored, uses anything the
 * expansion does not model, or has more than max keys (then fn is not
 * called at all).  Returns CHAFF_OK, CHAFF_E_NOMEM, or fn's error.
 */
chaff_status rx_expand(const char *pat, uint32_t max, rx_key_fn fn, void *ud, uint32_t *n_keys);

/*
 * The cheaper superset of a costly regex: pat with the quantifier of each
 * bounded repeat of RX_RELAX_REPEAT or more positions made unbounded
 * ({m,n} as {m,}, * or +) and each class heavier than RX_DOT_WEIGHT made
 * `.`.  *out is a new string (chaff_xfree), or NULL when there is nothing
 * to make cheaper.  CHAFF_E_NOMEM.
 */
chaff_status rx_prefilter(const char *pat, char **out);

/* The exact program of pat, to confirm what its prefilter reports.
 * CHAFF_E_RULES when the regex uses anything the program does not model
 * (then compile it as written), CHAFF_E_NOMEM. */
struct rx_prog;
chaff_status rx_prog_new(const char *pat, struct rx_prog **out);
void rx_prog_free(struct rx_prog *g);

/* Working memory of rx_match, one per thread; zero it to start. */
struct rx_work {
    uint32_t *mem;
    uint32_t cap; /* instructions it has room for */
    uint32_t gen;
};
void rx_work_free(struct rx_work *w);

/* Does the regex match key[0..len) (a match key)?  *end: the earliest end
 * of a match, in bytes.  g is only read (programs are shared between
 * threads); w is the calling thread's.  CHAFF_E_NOMEM. */
chaff_status rx_match(const struct rx_prog *g, const char *key, size_t len, struct rx_work *w,
                      bool *matched, size_t *end);

/*
 * The heads of a regex anchored at its start: strings of up to eight code
 * points (four, two or one when there would be more than max) such that
 * every key it matches begins with one of them (a superset: assertions
 * are passed over, and a head stops before a wide set).  fn gets each (none a prefix of another)
 * when there are at most max and the regex is anchored and fully modelled; else *n_heads = 0.
 * *n_short: how many heads are shorter than RX_HEAD_MIN code points
 * without being the whole of a match (they say little about a key).
 */
#define RX_HEAD_MIN 3
chaff_status rx_heads(const char *pat, uint32_t max, rx_key_fn fn, void *ud, uint32_t *n_heads,
                      uint32_t *n_short);

/* Does every match of g start at the start of the key? */
bool rx_prog_anchored(const struct rx_prog *g);

#endif
