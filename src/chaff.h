/*
 * chaff.h — the public interface of libchaff, the only header it installs.
 *
 * libchaff removes page chrome (login widgets, share rows, donation appeals,
 * cookie notices, navigation, credits, related-article lists) from scraped
 * page text and returns the article body as NFC UTF-8.
 *
 * Model.  A chaff_rules handle is loaded once from rule files and is then
 * immutable: any number of threads may share it.  A chaff_filter holds the
 * state of one stream (one input); bytes go in through chaff_filter_feed()
 * and chaff_filter_finish(), cleaned bytes come out through the caller's
 * chaff_write_fn, in the same framing as the input (text, lines, NUL or
 * JSON Lines).  In record framings one record in is always one record out,
 * in order, whatever happens to it: a record that cannot be cleaned is
 * written unchanged and counted in the statistics.
 *
 * Ownership.  Every _new and _load function has a matching _free that accepts NULL.
 * Strings passed in (paths, option strings) are copied or only read during
 * the call unless a function says otherwise.  Pointers returned by the
 * library stay owned by the handle they came from and live as long as it.
 * The library never writes to stderr, never calls exit() or abort();
 * warnings reach the caller through chaff_options.warn.
 *
 * Errors.  Functions return chaff_status; the numbers are stable and are
 * never renumbered.  chaff_strerror() names them.
 */
#ifndef CHAFF_H
#define CHAFF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CHAFF_VERSION_MAJOR 0
#define CHAFF_VERSION_MINOR 1
#define CHAFF_VERSION_PATCH 0
#define CHAFF_VERSION_STRING "0.1.0"

/* The library's version string, e.g. "0.1.0".  Static storage. */
const char *chaff_version(void);

typedef enum chaff_status {
    CHAFF_OK = 0,
    CHAFF_E_NOMEM = 1,   /* an allocation failed */
    CHAFF_E_TOOBIG = 2,  /* a buffer reached its cap (document, line) */
    CHAFF_E_RULES = 3,   /* a rule file has an error: see chaff_error */
    CHAFF_E_IO = 4,      /* reading a rule file failed */
    CHAFF_E_CHARSET = 5, /* unknown charset name or conversion failure */
    CHAFF_E_INVAL = 6,   /* invalid argument */
    CHAFF_E_DATA = 7,    /* malformed record (e.g. a line that is not JSON) */
    CHAFF_E_MATCHER = 8, /* the pattern matcher failed */
    CHAFF_E_WRITE = 9,   /* the output callback reported failure */
    CHAFF_E_TEST = 10    /* inline rule examples failed */
} chaff_status;

/* A short lowercase description of s.  Static storage. */
const char *chaff_strerror(chaff_status s);

/* Where a rule file went wrong: file:line:col: msg.  line/col are 1-based;
 * 0 means "the whole file" (e.g. it cannot be opened). */
typedef struct chaff_error {
    char file[512];
    unsigned line;
    unsigned col;
    char msg[256];
} chaff_error;

/* Optional allocator.  Set it once, before any other call; NULL restores
 * malloc/realloc/free.  ICU and Vectorscan keep their own allocators. */
typedef struct chaff_allocator {
    void *(*alloc)(void *ud, size_t size);
    void *(*resize)(void *ud, void *p, size_t size);
    void (*release)(void *ud, void *p);
    void *ud;
} chaff_allocator;
void chaff_set_allocator(const chaff_allocator *a);

/* ---- rules ------------------------------------------------------------ */

typedef struct chaff_rules chaff_rules;

/* Warning callback: one message per problem met in the data, lowercase,
 * without a trailing newline, e.g. "record 7: malformed json: ...". */
typedef void (*chaff_warn_fn)(void *ud, const char *msg);

/* Error callback: one error of a rule file, or one failed inline example
 * (chaff_rules_test). */
typedef void (*chaff_test_fail_fn)(void *ud, const chaff_error *e);

/*
 * Load and compile rules.  Each path is a rule file (*.rules) or a directory
 * searched recursively for *.rules files, in sorted order.  On error returns
 * CHAFF_E_RULES (or CHAFF_E_IO / CHAFF_E_NOMEM / CHAFF_E_MATCHER), fills *err
 * when err is not NULL, and sets *out to NULL.  The caller frees *out with
 * chaff_rules_free().
 */
chaff_status chaff_rules_load(chaff_rules **out, const char *const *paths, size_t n_paths,
                              chaff_error *err);
void chaff_rules_free(chaff_rules *r);

/*
 * Rule databases.  The shipped rules are compiled by `make` into a
 * database file beside them (rules.db); user and site rules compile into a
 * database of their own, kept in a cache folder, so an edit recompiles
 * only that one.  A database is loaded by mapping one file, after checking
 * it against the rule files it was built from.  chaff_rules_open() says
 * through notice whenever it has to compile ("compiling 6 rules from
 * site.rules into ~/.cache/chaff/rules-….db (first run)") or cannot use
 * the cache; processes compiling the same database wait for the first.
 */
#define CHAFF_RULES_CHECK                                                                          \
    0x1u /* report every error through on_error (not only                                          \
            the first) and patterns slow to compile or                                             \
            to scan through notice */

typedef struct chaff_rules_config {
    size_t size;              /* sizeof (chaff_rules_config): set by
                                 chaff_rules_config_init(), lets the struct grow */
    const char *shipped;      /* the default rules folder, or NULL */
    const char *shipped_db;   /* the database built from it (NULL: rules.db
                                 in the folder above it) */
    const char *db;           /* a database file from chaff_rules_compile(),
                                 used instead of shipped (--rules-db) */
    const char *const *paths; /* user and site rule files or folders (-R) */
    size_t n_paths;
    const char *cache_dir; /* NULL: $CHAFF_CACHE_DIR, else
                              $XDG_CACHE_HOME/chaff, else ~/.cache/chaff;
                              "" = no cache */
    unsigned flags;        /* CHAFF_RULES_CHECK */
    chaff_warn_fn notice;  /* compiling, cache problems, costly patterns
                              (one line each); may be NULL */
    void *notice_ud;
    chaff_test_fail_fn on_error; /* with CHAFF_RULES_CHECK: each error */
    void *error_ud;
} chaff_rules_config;

/* Fill *c with no rules, the default cache and size set. */
void chaff_rules_config_init(chaff_rules_config *c);

/*
 * Load the rules c names: the shipped folder (or a database file c->db)
 * and c->paths.  Errors as chaff_rules_load(); with CHAFF_RULES_CHECK
 * every error goes to c->on_error first and the result is CHAFF_E_RULES.
 * A database file that fails its checks is rebuilt (cache) or is an error
 * (c->db: CHAFF_E_RULES, err names it).
 */
chaff_status chaff_rules_open(chaff_rules **out, const chaff_rules_config *c, chaff_error *err);

/*
 * Compile the rules c names (the shipped folder and c->paths together;
 * c->db must be NULL) into one database file at path, replaced atomically:
 * a file to ship to workers and load there with c->db.  Errors as
 * chaff_rules_load(); CHAFF_E_IO when path cannot be written.
 */
chaff_status chaff_rules_compile(const chaff_rules_config *c, const char *path, chaff_error *err);

/* The path of loaded rule file i (static for the life of r) and, in
 * *n_rules when not NULL, its number of rules; NULL past the last file. */
const char *chaff_rules_file(const chaff_rules *r, size_t i, size_t *n_rules);

/* Number of rules (not counting comments, directives or examples). */
size_t chaff_rules_count(const chaff_rules *r);
/* Number of rule files loaded. */
size_t chaff_rules_files(const chaff_rules *r);

/*
 * Run every inline example (`! test-drop:` / `! test-keep:`) of every loaded
 * file against the whole rule set.  Each failure is reported through fail()
 * as an error whose position is the example's.  Returns CHAFF_OK when all
 * pass, CHAFF_E_TEST when any fails.  *n_pass / *n_fail may be NULL.
 */
chaff_status chaff_rules_test(const chaff_rules *r, chaff_test_fail_fn fail, void *ud,
                              size_t *n_pass, size_t *n_fail);

/* ---- filtering -------------------------------------------------------- */

typedef enum chaff_framing {
    CHAFF_FRAME_TEXT = 0,     /* the whole input is one document */
    CHAFF_FRAME_LINES = 1,    /* one document per line */
    CHAFF_FRAME_NUL = 2,      /* documents separated by NUL bytes */
    CHAFF_FRAME_JSONL = 3,    /* one JSON object per line, text in a field */
    CHAFF_FRAME_WARC = 4,     /* WARC records; text ones (WET conversion) cleaned */
    CHAFF_FRAME_TSV_JSONL = 5 /* key<TAB>JSON per line (Hadoop Streaming, Spark
                                 pipe()): the key kept, the JSON as in JSONL */
} chaff_framing;

/* Flags for chaff_options.flags. */
#define CHAFF_EXPLAIN 0x1u       /* write the explain listing, not the text */
#define CHAFF_NO_HEURISTICS 0x2u /* rules only: no context heuristics */
#define CHAFF_NO_RULES 0x4u      /* heuristics only: ignore rule hits */
#define CHAFF_LEARN                                                                                \
    0x8u /* count lines per site instead of cleaning: nothing is                                   \
            written; see chaff_filter_learned() */
#define CHAFF_DUMP_FEATURES                                                                        \
    0x10u                         /* write the line model's input of every non-blank line          \
                                    (tab-separated, for training) instead of the text */
#define CHAFF_KEEP_COMMENTS 0x20u /* keep reader comments under an article */
#define CHAFF_NO_MODEL                                                                             \
    0x40u /* the hand-written heuristics decide instead of the line                                \
             model (for comparison; the model reads them anyway) */
#define CHAFF_DROP_EMPTY                                                                           \
    0x80u /* record framings: a record whose cleaned text is empty                                 \
             is not written (counted in records_dropped); the one                                  \
             case where records in and out differ */
#define CHAFF_SNIFF_WARC                                                                           \
    0x100u /* text framing: an input that opens with a WARC version                                \
              line ("WARC/1.1") is read as warc framing instead (nothing                           \
              else starts that way); see chaff_filter_framing() */

/* Output callback: write len bytes.  Return 0 on success, nonzero to stop
 * the filter (it then returns CHAFF_E_WRITE). */
typedef int (*chaff_write_fn)(void *ud, const char *buf, size_t len);

typedef struct chaff_options {
    chaff_framing framing;
    const char *field;     /* JSONL: field holding the text ("text"); a dotted
                              path ("metadata.text") names a nested member */
    const char *url_field; /* JSONL: field holding the page URL ("url"), a path too */
    const char *url;       /* URL of the document(s) when not per record */
    const char *from;      /* input charset; NULL = detect */
    const char *lang;      /* comma-separated language codes; NULL = detect */
    size_t max_doc;        /* document cap in bytes (0 = 256 MiB) */
    unsigned jobs;         /* worker threads for record framings (0/1 = none) */
    unsigned flags;        /* CHAFF_EXPLAIN, ... */
    double budget;         /* max share of long sentence-like lines that
                              generic heuristics may drop (0 = default 0.5) */
    chaff_warn_fn warn;    /* may be NULL */
    void *warn_ud;
    const char *model;            /* a line-model file to use instead of the one built in
                                     (model/line.model); NULL = built in.  A file that does
                                     not parse fails chaff_filter_new with CHAFF_E_DATA and
                                     a warning "file:line:col: message" */
    const char *lang_field;       /* JSONL: field (a path) holding the record's languages
                                    ("en", "en,de", ISO 639-1 or 639-3); NULL = none.
                                    A record's languages (this field, or a WARC record's
                                    WARC-Identified-Content-Language) replace lang for it;
                                    codes chaff has no rules for are left out, and the
                                    first such code in a field is warned about once */
    const char *annotate;         /* JSONL: a top-level member (no dots) added to each cleaned
                                     record, or replaced when present: an object with the
                                     record's lines_in, lines_out, chars_removed,
                                     removed_share and removals by_category and
                                     by_heuristic; NULL = none */
    chaff_write_fn explain_write; /* when not NULL (and CHAFF_EXPLAIN is not set), the
                              explain listing of each document or cleaned record is
                              written here, beside the text written through write:
                              each block headed by "# record N id=… url=…" (the
                              JSONL "id" member, the WARC-Record-ID; "# document N"
                              in text framing) */
    void *explain_ud;
} chaff_options;

/* Fill *o with the defaults documented above. */
void chaff_options_init(chaff_options *o);

/* Totals over a stream.  Per-category, per-rule and per-site counts are in
 * the JSON summary (chaff_filter_stats_json). */
typedef struct chaff_stats {
    uint64_t records;       /* documents read */
    uint64_t records_error; /* passed through unchanged because of an error */
    uint64_t lines_in, lines_out;
    uint64_t bytes_in, bytes_out;
    uint64_t replacements;      /* invalid byte sequences turned into U+FFFD */
    uint64_t controls;          /* NUL and control characters removed */
    uint64_t dropped_rule;      /* lines dropped by a rule */
    uint64_t dropped_heuristic; /* lines dropped by a heuristic */
    uint64_t budget_backoffs;   /* documents where the removal budget acted */
    uint64_t windows;           /* extra windows for documents over the cap */
    uint64_t records_no_field;  /* JSONL records without the text field (passed
                                   through; a field named wrong shows here) */
    uint64_t records_dropped;   /* records left out, empty (CHAFF_DROP_EMPTY) */
} chaff_stats;

typedef struct chaff_filter chaff_filter;

/*
 * Create a filter over rules (which must outlive it; NULL means no rules)
 * with options opt (copied; NULL = defaults) writing through write/ud.
 */
chaff_status chaff_filter_new(chaff_filter **out, const chaff_rules *rules,
                              const chaff_options *opt, chaff_write_fn write, void *ud);

/* Feed len bytes of input.  Complete records are cleaned and written. */
chaff_status chaff_filter_feed(chaff_filter *f, const void *buf, size_t len);

/* End of one input (one file): in `text` framing the buffered document is
 * cleaned and written and the next bytes start a new document; in record
 * framings a last record without its delimiter is completed.  Statistics
 * carry on across inputs. */
chaff_status chaff_filter_end_input(chaff_filter *f);

/* End of input: clean and write what is buffered.  Call once. */
chaff_status chaff_filter_finish(chaff_filter *f);

void chaff_filter_free(chaff_filter *f);

/*
 * chaff learn.  A filter made with CHAFF_LEARN counts, per site (the host
 * of the record's URL; records without one are not counted), on how many
 * pages each line occurs; a page is a distinct URL (a recrawl counts
 * once), except that records given their site by chaff_options.url each
 * count.  chaff_filter_learn_merge() adds counts written
 * by an earlier run (one line of them, without its newline).  After
 * chaff_filter_finish(), chaff_filter_learned() writes either the counts
 * (counts != 0: mergeable, tab-separated) or a rule file: the lines on at
 * least min_share of a site's pages, and on min_pages pages or more, as
 * exact rules scoped to that site.  chaff_filter_learned() returns
 * CHAFF_E_DATA, writing nothing, when no page had a usable URL (neither
 * its own nor chaff_options.url) and nothing was merged, unless the
 * input held no page at all and counts != 0 (an empty shard).
 */
chaff_status chaff_filter_learn_merge(chaff_filter *f, const char *line, size_t len, char msg[128]);
chaff_status chaff_filter_learned(chaff_filter *f, int counts, unsigned min_pages, double min_share,
                                  chaff_write_fn write, void *ud);

/* The framing f reads: the one it was made with, or warc when
 * CHAFF_SNIFF_WARC found a WARC input (known once its first bytes are fed). */
chaff_framing chaff_filter_framing(const chaff_filter *f);

/* Totals so far.  The pointer lives as long as f. */
const chaff_stats *chaff_filter_stats(const chaff_filter *f);

/* Write the JSON summary (totals, removals per category and per rule,
 * errors, and by_site: per host of the records' URLs, the records cleaned,
 * lines in and lines removed, for at most 10,000 hosts, the rest counted
 * under "(other)") through write/ud, ending in a newline.  CHAFF_E_NOMEM
 * when the per-site table could not grow (its counts are incomplete). */
chaff_status chaff_filter_stats_json(const chaff_filter *f, chaff_write_fn write, void *ud);

/*
 * One-shot convenience: clean one document of len bytes (any charset)
 * and write the result through write/ud.  url may be NULL.  opt may be NULL.
 */
chaff_status chaff_clean(const chaff_rules *rules, const chaff_options *opt, const char *doc,
                         size_t len, const char *url, chaff_write_fn write, void *ud);

/* ---- for bindings (api.c) --------------------------------------------- */

/*
 * Calls a binding (Python ctypes, cffi, another language's FFI) can make
 * without callbacks or structs whose layout it must track release by
 * release: output into a buffer the library allocates, the default rules
 * found as the installed command finds them, and chaff_options passed with
 * its size so the struct can grow.
 *
 * Growing options.  chaff_options has no size field of its own, so its
 * size travels beside it, as with Linux openat2(2): a caller passes
 * sizeof (its chaff_options).  A smaller size (a caller built against an
 * older chaff.h) means the fields past it take their defaults; a larger
 * one (a newer chaff.h than the library) is accepted when every byte the
 * library does not know is zero, else CHAFF_E_INVAL.  Fields are only ever
 * added at the end of chaff_options.
 */

/* The smallest size accepted: chaff_options up to and including model,
 * the struct as it was when the sized calls appeared. */
#define CHAFF_OPTIONS_SIZE_MIN (offsetof(chaff_options, model) + sizeof(const char *))

/* sizeof (chaff_options) as this library was built, for a binding that
 * wants to check its own layout. */
size_t chaff_options_size(void);

/* chaff_options_init() for a caller whose struct is size bytes: the
 * defaults fill the fields the library knows, and bytes past them are
 * zeroed.  Returns CHAFF_E_INVAL (and writes nothing) when o is NULL or
 * size < CHAFF_OPTIONS_SIZE_MIN. */
chaff_status chaff_options_init_sized(chaff_options *o, size_t size);

/*
 * The default rules folder of the library: $CHAFF_RULES when it is set and
 * not empty, else the folder `make install` put the rules in
 * ($(datadir)/chaff/rules, fixed when the library was built).  The folder
 * may not exist.  Its compiled database is rules.db in the folder above
 * it, which is where chaff_rules_open() looks when shipped_db is NULL.
 * Static storage or the environment's: copy it before changing
 * $CHAFF_RULES.  The command also looks for a checkout's rules/ beside its
 * executable; a library cannot know where its caller was built.
 */
const char *chaff_default_rules_path(void);

/*
 * chaff_rules_open() with the usual configuration, for callers that do not
 * fill a chaff_rules_config: shipped is the rules folder (NULL:
 * chaff_default_rules_path(); "": no shipped rules), shipped_db its
 * database (NULL: beside it, as in chaff_rules_config), paths/n_paths user
 * and site rule files or folders, and the default cache folder.  Errors as
 * chaff_rules_open(); a shipped folder that does not exist is CHAFF_E_IO
 * with err naming it.  The caller frees *out with chaff_rules_free().
 */
chaff_status chaff_rules_open_default(chaff_rules **out, const char *shipped,
                                      const char *shipped_db, const char *const *paths,
                                      size_t n_paths, chaff_error *err);

/*
 * chaff_clean() into a buffer: clean one document of len bytes and set
 * *out to the cleaned text (NUL-terminated; the terminator is not counted
 * in *out_len), allocated by the library and freed by the caller with
 * chaff_free().  opt is NULL (defaults) or a chaff_options of opt_size
 * bytes, read as described under "Growing options"; url may be NULL.
 * rules may be NULL (heuristics only) and may be shared by any number of
 * threads calling this at once: each call has its own filter.  On error
 * *out is NULL and *out_len 0; the warnings of opt->warn still reach it.
 */
chaff_status chaff_clean_buf(const chaff_rules *rules, const chaff_options *opt, size_t opt_size,
                             const char *doc, size_t len, const char *url, char **out,
                             size_t *out_len);

/* Free a buffer the library returned (chaff_clean_buf); NULL is a no-op. */
void chaff_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* CHAFF_H */
