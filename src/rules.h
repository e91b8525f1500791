/*
 * rules.h — loaded rule sets: the parsed form (rules_parse.c), the compiled
 * matcher (rules_compile.c) and per-line matching (match.c).
 *
 * The rule language is specified in rules/README.md.  Every statement
 * becomes one struct rule whose id is its index in chaff_rules.v and also
 * its Vectorscan pattern id.  A `block A .. B` statement becomes two rules,
 * RA_BLOCK (start) and RA_BLOCK_END (end), linked through .pair.
 * Patterns are stored in key space (see normalize.h: NFKC_Casefold, white
 * space collapsed), so matching compares keys with keys.
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
    RA_DROP = 0,      /* drop the line */
    RA_KEEP = 1,      /* exception: protect the line from generic rules and heuristics */
    RA_NEXT = 2,      /* drop the line and the n non-blank lines after it */
    RA_PARA = 3,      /* drop the line and the lines after it up to a blank line */
    RA_REST = 4,      /* drop the line and everything after it */
    RA_BEFORE = 5,    /* drop the line and everything before it */
    RA_BLOCK = 6,     /* start of a block: drop through the line matching .pair */
    RA_BLOCK_END = 7  /* end of a block (never acts on its own) */
};

enum rule_where {
    RW_ANY = 0,
    RW_HEAD = 1, /* only within the first where_n non-blank lines */
    RW_TAIL = 2  /* only within the last where_n non-blank lines */
};

#define RULE_DEFAULT_WHERE_N 15
#define RULE_DEFAULT_MAXLEN 80
#define RULE_DEFAULT_SPAN 60
#define RULE_MAX_LINE 4096   /* statement length limit in bytes */
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
};

/* A site scope as written after @site: "example.com" (the host or any
 * subdomain), "~sub.example.com" (excluded), "example.*" (any suffix). */
struct site_set {
    char **names;
    uint32_t n;
};

struct rule_file {
    char *path;        /* as opened; used in messages and --explain */
    char *title, *version, *license, *description; /* header; may be NULL */
};

struct rule_example {
    uint32_t file, line, col;
    bool expect_drop;  /* test-drop (true) or test-keep (false) */
    char *text;        /* the example line as written (not normalized) */
    uint32_t langs;    /* the @lang in force where it was written */
    uint32_t site;     /* the @site in force where it was written */
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
    uint32_t n_statements;  /* what chaff_rules_count() reports */
    uint32_t scan_chars;    /* a line of more characters than this … */
    uint32_t scan_bytes;    /* … and a longer key than this cannot match:
                               the largest phrase/regex @maxlen (UINT32_MAX
                               when one has none) and exact key length */
    uint32_t *exact_slot;   /* exact rules by key: a hash table of the first
                               rule id of each pattern (UINT32_MAX empty) … */
    uint32_t *exact_next;   /* … and, per rule id, the next rule of the same
                               pattern (UINT32_MAX ends) */
    uint32_t exact_cap;     /* slots, a power of two; 0 = no exact rules */
    void *db;               /* hs_database_t * of the phrase and regex rules,
                               NULL when there are none */
    void *scratch_proto;    /* hs_scratch_t * to clone per thread */
};

/* ---- rules_parse.c -------------------------------------------------- */

/* Parse one file's text (path is used for messages and as rule_file.path)
 * into r, appending rules, examples, categories and sites.  default_langs
 * is the mask from the file's folder (rules/en/... -> en), LANG_ALL if
 * none.  Returns CHAFF_E_RULES and fills err on the first error. */
chaff_status rules_parse_text(struct chaff_rules *r, const char *path,
                              const char *text, size_t len,
                              uint32_t default_langs, chaff_error *err);

/* Does site scope `site` admit host (lowercase, no port)?  Scope 0 admits
 * every host; a non-zero scope admits none when host is NULL. */
bool rules_site_match(const struct chaff_rules *r, uint32_t site,
                      const char *host);

/* ---- rules_compile.c ------------------------------------------------ */

/* Compile every rule of r into one Vectorscan database (r->db) and a
 * prototype scratch.  On a pattern error fills err with the rule's
 * file:line:col and Vectorscan's message and returns CHAFF_E_RULES. */
chaff_status rules_compile(struct chaff_rules *r, chaff_error *err);

/* The hash of a match key that indexes exact rules (chaff_rules.exact_slot). */
uint32_t rules_key_hash(const char *key, size_t len);

/* ---- match.c -------------------------------------------------------- */

struct match_scratch;

/* Per-thread scanning state for r (r may have no rules). */
chaff_status match_scratch_new(const struct chaff_rules *r,
                               struct match_scratch **out);
void match_scratch_free(struct match_scratch *s);

typedef void (*match_fn)(void *ud, uint32_t rule_id);

/* Call fn once for each rule whose pattern matches key[0..len): exact rules
 * only when the whole key equals their pattern, phrase and regex rules on
 * any match.  No rule is reported twice in one call.  Guards (maxlen,
 * where, langs, site) are not applied here: classify.c applies them. */
chaff_status match_key(const struct chaff_rules *r, struct match_scratch *s,
                       const char *key, size_t len, match_fn fn, void *ud);

#endif
