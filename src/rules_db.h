/*
 * rules_db.h — the rule database file: a compiled rule set in one file
 * that is loaded by mmap, checked, and used in place (rules_db.c).
 *
 * Written by rules_compile.c (rules_build), read by rules_parse.c
 * (chaff_rules_open) from the prebuilt shipped database, the cache, or a
 * --rules-db file.
 */
#ifndef CHAFF_RULES_DB_H
#define CHAFF_RULES_DB_H

#include <stddef.h>
#include <stdint.h>

#include "blake2b.h"
#include "rules.h"

#define RDB_VERSION                                                                                \
    2                  /* bump on any change of the layout or of what a                            \
                          compile produces (forms, tiers, limits) */
#define RDB_ALIGN 4096 /* Vectorscan images start at this alignment */
#define RDB_MAX_SIZE ((size_t)1 << 30)

/* What rules_build hands over to be laid out. */
struct rdb_input {
    const struct chaff_rules *r; /* rules (form and edges set), files,
                                    categories, sites, examples */
    struct key_table table[2];   /* the exact keys, the heads */
    size_t keys_len[2];
    const void *hs[RULES_MAX_DB]; /* hs_database_t * */
    uint32_t hs_max_chars[RULES_MAX_DB];
    uint8_t hs_literal[RULES_MAX_DB];
    uint32_t n_hs;
    uint64_t cpu_features; /* what the databases were compiled for */
    const uint8_t *source; /* B2B_OUT bytes: rules_source_digest */
    const uint8_t *key;    /* B2B_KEY bytes, or NULL: plain digest */
};

/* Lay out a database file.  *image (RDB_ALIGN-aligned, *len bytes) lies in
 * *heap, which the caller frees with chaff_xfree.  CHAFF_E_NOMEM,
 * CHAFF_E_MATCHER (Vectorscan cannot serialize), CHAFF_E_TOOBIG. */
chaff_status rdb_write(const struct rdb_input *in, void **image, size_t *len, void **heap);

/* How a database is loaded into a set. */
struct rdb_load {
    const uint8_t *key;       /* the tag's key, or NULL for a plain one */
    const uint8_t *tag_seen;  /* the tag this very file had when it was
                               last checked (a "seen" record), or NULL:
                               then the tag is not computed again */
    const uint8_t *source;    /* expected source digest, or NULL: any */
    const char *const *roots; /* rebase file paths onto these inputs
                                 (n_roots must equal the file's), or NULL */
    size_t n_roots;
};

/*
 * Check the image (its tag over every byte first, then every offset,
 * count and index, then each Vectorscan database's header and platform)
 * and append it to r as a new part: its rules, files, categories (merged
 * by name), sites and examples.  The part takes the image: it unmaps
 * (mapped) or frees heap when r is freed, also when loading fails.  On
 * failure returns CHAFF_E_RULES (the file is not a valid database for
 * this build; why says how, lowercase) or CHAFF_E_NOMEM, and r is as
 * before.
 */
chaff_status rdb_load(struct chaff_rules *r, void *image, size_t len, int mapped, void *heap,
                      const struct rdb_load *how, char why[160]);

/* The tag stored at the end of an image (its last B2B_OUT bytes). */
const uint8_t *rdb_tag(const void *image, size_t len);

/* The source digest recorded in an image that passed rdb_load, or in any
 * image whose header is readable (NULL if not). */
const uint8_t *rdb_source(const void *image, size_t len);

/* The Vectorscan platform chaff compiles for here: this CPU's features,
 * at most AVX2 (a database for AVX-512 would not load where AVX-512 is
 * missing, valgrind's virtual CPU among them). */
uint64_t rdb_cpu_features(void);

#endif
