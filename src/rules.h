/*
 * rules.h — loaded rule sets: the parsed form (rules_parse.c), the compiled
 * matcher (rules_compile.c), the database files that hold it (rules_db.c,
 * rules_cache.c) and per-line matching (match.c).
 *
 * The rule language is specified in rules/README.md.  Every statement
 * becomes one struct rule whose id is its index in chaff_rules.v.  A
 * `block A .. B` statement becomes two rules, RA_BLOCK (start) and
 * RA_BLOCK_END (end), linked through .pair.  Patterns are stored in key
 * space (see normalize.h: NFKC_Casefold, white space collapsed), so
 * matching compares keys with keys.
 *
 * A loaded set is made of parts: the shipped rules (or a --rules-db file)
 * and the user's -R rules, each compiled into a database of its own so an
 * edit of one recompiles only that one (struct rules_part).  The rules of
 * part k are v[part[k].first .. + part[k].n); a part's tables use its
 * own local ids.  When a part comes from a database file, its patterns
 * point into the mapped file.
 *
 * A chaff_rules is immutable once loaded and is shared between threads;
 * each thread scans with its own struct match_scratch.
 */
#ifndef CHAFF_RULES_H
#define CHAFF_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "chaff.h"

enum rule_match {
    RM_EXACT = 0,  /* '=': the whole key equals pat */
    RM_PHRASE = 1, /* '+': pat occurs in the key (word edges for spaced scripts) */
    RM_REGEX = 2   /* '~': the key matches the regular expression pat */
};

enum rule_action {
    RA_DROP = 0,     /* drop the line */
    RA_KEEP = 1,     /* exception: protect the line from generic rules and heuristics */
    RA_NEXT = 2,     /* drop the line and the n non-blank lines after it */
    RA_PARA = 3,     /* drop the line and the lines after it up to a blank line */
    RA_REST = 4,     /* drop the line and everything after it */
    RA_BEFORE = 5,   /* drop the line and everything before it */
    RA_BLOCK = 6,    /* start of a block: drop through the line matching .pair */
    RA_BLOCK_END = 7 /* end of a block (never acts on its own) */
};

/* How a rule is matched; chosen by rules_compile.c, the cheapest form that
 * means the same. */
enum rule_form {
    RF_TABLE = 0,    /* looked up by the whole key: `=` rules, and `~` regexes
                        whose finite expansion is small (rules_regex.c) */
    RF_LITERAL = 1,  /* a phrase in the literal database; word edges are
                        checked on each report (match.c) */
    RF_REGEX = 2,    /* a regex in the database of its @maxlen tier */
    RF_VERIFIED = 3, /* a regex too costly to compile as written: a cheaper
                        pattern that matches a superset is compiled, and each
                        report is confirmed by rx_match() */
    RF_ANCHORED = 4  /* a regex anchored at the start: found through the
                        dispatch table by the key's first characters, and
                        run by rx_match() (no Vectorscan at all) */
};

enum rule_where {
    RW_ANY = 0,
    RW_HEAD = 1, /* only within the first where_n non-blank lines */
    RW_TAIL = 2  /* only within the last where_n non-blank lines */
};

#define RULE_DEFAULT_WHERE_N 15
#define RULE_DEFAULT_MAXLEN 80
#define RULE_DEFAULT_SPAN 60
#define RULE_MAX_LINE 4096 /* statement length limit in bytes */
#define RULE_MAX_FILES 4096

struct rule {
    uint32_t id;       /* index in chaff_rules.v, and the pattern id */
    uint32_t file;     /* index into chaff_rules.files */
    uint32_t line;     /* 1-based position of the statement */
    uint32_t col;      /* 1-based column of the pattern */
    uint16_t category; /* index into chaff_rules.categories */
    uint8_t match;     /* enum rule_match */
    uint8_t action;    /* enum rule_action */
    uint8_t where;     /* enum rule_where */
    uint8_t strong;    /* 1 = drops on its own, 0 = weak evidence */
    uint16_t where_n;  /* head/tail window in non-blank lines */
    uint16_t maxlen;   /* the line may have at most this many characters
                          for a phrase/regex rule to fire; 0 = no limit */
    uint16_t n;        /* RA_NEXT: lines after; RA_BLOCK: max span in lines */
    uint32_t langs;    /* language mask (lang.h); LANG_ALL = any */
    uint32_t site;     /* index into chaff_rules.sites; 0 = generic */
    uint32_t pair;     /* RA_BLOCK <-> RA_BLOCK_END partner id */
    char *pat;         /* pattern in key space, NUL-terminated */
    uint32_t plen;     /* strlen(pat) */
    uint8_t form;      /* enum rule_form (set by rules_compile) */
    uint8_t edges;     /* RF_LITERAL: 1 = its first character needs a word
                          edge before it, 2 = its last one after it */
};

/* A site scope as written after @site: "example.com" (the host or any
 * subdomain), "~sub.example.com" (excluded), "example.*" (any suffix). */
struct site_set {
    char **names;
    uint32_t n;
};

struct rule_file {
    char *path;    /* as opened; used in messages and --explain */
    uint32_t root; /* the input (a path given to load) it came from */
    uint32_t rel;  /* bytes of path before the part below that input
                      (strlen(path) when the input is the file) */
    char *title, *version, *license, *description; /* header; may be NULL */
};

struct rule_example {
    uint32_t file, line, col;
    bool expect_drop; /* test-drop (true) or test-keep (false) */
    char *text;       /* the example line as written (not normalized) */
    uint32_t langs;   /* the @lang in force where it was written */
    uint32_t site;    /* the @site in force where it was written */
};

struct chaff_rules {
    struct rule *v;
    uint32_t n;
    struct rule_file *files;
    uint32_t n_files;
    char **categories;
    uint32_t n_categories;
    struct site_set *sites; /* sites[0] is the empty generic scope */
    uint32_t n_sites;
    struct rule_example *examples;
    uint32_t n_examples;
    uint32_t n_statements;   /* what chaff_rules_count() reports */
    uint32_t n_roots;        /* inputs the files came from */
    uint32_t scan_chars;     /* a line of more characters than this … */
    uint32_t scan_bytes;     /* … and a longer key than this cannot match:
                                the largest phrase/regex @maxlen (UINT32_MAX
                                when one has none) and exact key length */
    struct rules_part *part; /* the compiled parts, in id order */
    uint32_t n_parts;
    void *scratch_proto; /* hs_scratch_t * fitting every database, to
                            clone per thread; NULL when none */
};

/* ---- compiled parts ------------------------------------------------- */

#define RULES_MAX_DB 4 /* the literal database and three regex tiers */

/* One Vectorscan database of a part. */
struct rules_hs {
    const void *db;     /* hs_database_t *, inside the part's image */
    uint32_t max_chars; /* scanned only for lines of at most this many
                           characters (UINT32_MAX: any line) */
    uint8_t literal;    /* 1: the phrases, 0: regexes */
};

/* An exact key of the part's table and the rule it belongs to. */
struct exact_entry {
    uint32_t key, len; /* the key: keys[key .. key+len) */
    uint32_t rule;     /* local id */
    uint32_t next;     /* the next entry of the same key (a higher rule id),
                          UINT32_MAX ends */
};

struct rx_prog;

#define RULES_HEAD 2 /* the heads table is hashed by this many code points */

/* Bytes of the first cps code points of s[0..len). */
size_t rules_head_len(const char *s, size_t len, unsigned cps);

/* A hash table of keys (rules_key_hash, linear probing): the exact keys
 * of a part, or the prefixes of its anchored regexes (up to eight code
 * points, rx_heads), hashed and chained by their first RULES_HEAD. */
struct key_table {
    const uint32_t *slot; /* the first entry of each key, UINT32_MAX empty */
    uint32_t cap;         /* slots, a power of two; 0 = no keys */
    const struct exact_entry *v;
    uint32_t n;
    const char *keys;
    uint32_t max_len; /* the longest key: a longer line is not looked up */
};

struct rules_part {
    uint32_t first, n;      /* its rules in chaff_rules.v */
    struct key_table exact; /* `=` rules and expanded regexes */
    struct key_table heads; /* RF_ANCHORED rules by their heads */
    struct rules_hs hs[RULES_MAX_DB];
    uint32_t n_hs;
    void *progs; /* per local id: the exact program of an
                    RF_VERIFIED or RF_ANCHORED rule, made on
                    first use (match.c) */
    /* the heads table's chains laid out for scanning, made by
     * rules_finish (match.c) */
    void *heads_scan;
    /* storage: the database image, mapped from a file or on the heap */
    void *image;
    size_t image_len;
    int mapped;   /* 1: munmap(image), 0: image is in heap */
    void *heap;   /* what to free when not mapped */
    int borrowed; /* 1: the rules' patterns point into image */
};

/* ---- rules_parse.c -------------------------------------------------- */

/* Parse one file's text (path is used for messages and as rule_file.path)
 * into r, appending rules, examples, categories and sites.  default_langs
 * is the mask from the file's folder (rules/en/... -> en), LANG_ALL if
 * none.  Returns CHAFF_E_RULES and fills err on the first error. */
chaff_status rules_parse_text(struct chaff_rules *r, const char *path, const char *text, size_t len,
                              uint32_t default_langs, chaff_error *err);

/* rules_parse_text, going on after errors when on_error is not NULL:
 * each error is reported through it and counted in *n_errors, the
 * statement that failed is left out, and the result is CHAFF_E_RULES when
 * there was any (CHAFF_E_NOMEM stops at once). */
chaff_status rules_parse_all(struct chaff_rules *r, const char *path, const char *text, size_t len,
                             uint32_t default_langs, chaff_error *err, chaff_test_fail_fn on_error,
                             void *ud, unsigned *n_errors);

/* Does site scope `site` admit host (lowercase, no port)?  Scope 0 admits
 * every host; a non-zero scope admits none when host is NULL. */
bool rules_site_match(const struct chaff_rules *r, uint32_t site, const char *host);

/* Free r's compiled parts and scratch (the rules stay); used before a
 * recompile and by chaff_rules_free. */
void rules_drop_parts(struct chaff_rules *r);

/* ---- rules_compile.c ------------------------------------------------ */

/* Compile every rule of r, which has no parts yet, into one part held in
 * memory (no file), for tests and the fuzzer; chaff_rules_open compiles
 * through rules_build and rules_db.c instead.  On a pattern error fills
 * err with the rule's file:line:col and returns CHAFF_E_RULES. */
chaff_status rules_compile(struct chaff_rules *r, chaff_error *err);

/* How rules_build works and reports. */
typedef void (*rules_warn_fn)(void *ud, const chaff_error *w);
struct rules_build_opts {
    const uint8_t *source;       /* digest recorded in the file (B2B_OUT
                                    bytes; NULL: zeros) */
    const uint8_t *key;          /* the tag's key (B2B_KEY bytes), or NULL */
    chaff_test_fail_fn on_error; /* every error goes here and compiling
                                    goes on to the end (--check-rules);
                                    NULL: stop at the first, in err */
    void *error_ud;
    rules_warn_fn warn; /* patterns slow to compile or to scan */
    void *warn_ud;
};

/* Compile the whole parsed set r (rules, files, categories, sites,
 * examples) into the bytes of a database file (rules_db.c).  *image is
 * aligned for Vectorscan and lies in *heap (chaff_xfree).  o may be NULL.
 * CHAFF_E_RULES for a rule error (in err, or each through o->on_error),
 * CHAFF_E_NOMEM, CHAFF_E_MATCHER. */
chaff_status rules_build(const struct chaff_rules *r, const struct rules_build_opts *o,
                         void **image, size_t *image_len, void **heap, chaff_error *err);

/* --check-rules: everything rules_build checks, without compiling the
 * databases (each regex's syntax is checked alone instead).  Errors and
 * warnings as rules_build. */
chaff_status rules_plan(const struct chaff_rules *r, const struct rules_build_opts *o,
                        chaff_error *err);

/* A regex as compiled before any other form: bounded repeats of 41 or more
 * unbounded (rules_compile.c).  A new string, or NULL (out of memory). */
char *rules_relax(const char *pat);

/* The hash of a match key that indexes exact rules (rules_part.exact_slot);
 * classify.c uses it for its own tables too. */
uint32_t rules_key_hash(const char *key, size_t len);

/* A letter or digit of a script written with spaces between words (word
 * edges of phrases, match.c). */
bool rules_word_char(uint32_t c);

/* ---- match.c -------------------------------------------------------- */

/* After the last part is loaded: room for the exact programs of regexes
 * run by rx_match, and the prototype scratch.  CHAFF_E_NOMEM,
 * CHAFF_E_MATCHER. */
chaff_status rules_finish(struct chaff_rules *r);

/* Free a part's exact programs. */
void rules_free_progs(struct rules_part *p);

struct match_scratch;

/* Per-thread scanning state for r (r may have no rules). */
chaff_status match_scratch_new(const struct chaff_rules *r, struct match_scratch **out);
void match_scratch_free(struct match_scratch *s);

typedef void (*match_fn)(void *ud, uint32_t rule_id);

/* Call fn once for each rule whose pattern matches key[0..len), the key of
 * a line of n_chars characters (seg_feat.n_chars; 0 when unknown): exact
 * rules only when the whole key equals their pattern, phrase and regex
 * rules on any match.  No rule is reported twice in one call; the order
 * is match.c's "Order".  Rules whose @maxlen n_chars exceeds may be left
 * out (their guard would reject them).  Guards (maxlen, where, langs,
 * site) are not applied here: classify.c applies them. */
chaff_status match_line(const struct chaff_rules *r, struct match_scratch *s, const char *key,
                        size_t len, uint32_t n_chars, match_fn fn, void *ud);

/* The hashes match_line looks a key up by, made ahead by match_prefetch
 * and handed back to match_line_hint with the same key: `have` says which
 * are made (MH_*). */
enum { MH_MEMO = 1, MH_WHOLE = 2, MH_HEADS = 4 };
struct match_hint {
    uint64_t memo;                 /* the memo set */
    uint32_t whole;                /* the exact table */
    uint32_t head[2], head_len[2]; /* the heads table: one and RULES_HEAD code points */
    unsigned have;
};

/* Ask the memory for what match_line(r, s, key, len, ...) will read first
 * (its memo set, the table slots of the key and its heads), so that a
 * caller can overlap those misses with the line before; the hashes made
 * for it go to *hint.  Answers nothing. */
void match_prefetch(const struct chaff_rules *r, const struct match_scratch *s, const char *key,
                    size_t len, struct match_hint *hint);

/* match_line with the hint match_prefetch made for the same key and
 * length (or NULL). */
chaff_status match_line_hint(const struct chaff_rules *r, struct match_scratch *s, const char *key,
                             size_t len, uint32_t n_chars, const struct match_hint *hint,
                             match_fn fn, void *ud);

/* match_line for a line of unknown length: every database is scanned. */
chaff_status match_key(const struct chaff_rules *r, struct match_scratch *s, const char *key,
                       size_t len, match_fn fn, void *ud);

#endif
