/*
 * rules_db.c — the rule database file (rules_db.h): layout, writing,
 * checking and loading.
 *
 * Layout.  A header (magic, format version, byte order, size, the digest
 * of the rule sources, chaff's and Vectorscan's versions, the CPU
 * features compiled for, and a table of sections), then the sections,
 * then a 32-byte tag.  Sections hold fixed-size records (rules, files,
 * sites, examples, exact-key entries), arrays of string offsets, one
 * pool of NUL-terminated strings, the key bytes, and each Vectorscan
 * database as the in-memory image that hs_deserialize_database_at()
 * makes, at an offset that is a multiple of RDB_ALIGN.  Mapped at a page
 * boundary, an image sits at the address alignment it was made at, so
 * hs_scan() uses it where it lies: loading a database is an mmap, a tag
 * check and a pass over the small tables, with no copy and no parse of
 * the rule files.
 *
 * Trust.  Nothing in a file is used before its tag checks out: BLAKE2b
 * over every byte before the tag, keyed with the user's secret for cache
 * files (a MAC: a file crafted by anyone without the key fails), plain
 * for files made by `chaff --compile-rules` and `make`, which are trusted
 * as far as their integrity is concerned, like the binary and the rule
 * files beside them.  Then every offset, size, count, index, string and
 * hash chain is checked against the file before any is followed, and each
 * Vectorscan image against hs_database_info() and this CPU.  A file that
 * fails is rejected with a reason and the caller rebuilds.
 *
 * Limits.  A file is at most RDB_MAX_SIZE; it is read in the byte order it
 * was written in, so a file from a machine of the other order is rejected
 * (its source digest would not match either).
 */
#include "rules_db.h"

#include <hs/hs.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "buf.h"

#define RDB_ENDIAN 0x01020304u
#define RDB_NONE UINT32_MAX

/* keep in sync with the loader's checks in rdb_load */
enum {
    S_META,
    S_RULES,
    S_STRINGS,
    S_FILES,
    S_CATS,
    S_SITES,
    S_SITE_NAMES,
    S_EXAMPLES,
    S_SLOTS,
    S_EXACT,
    S_KEYS, /* the exact-key table … */
    S_HSLOTS,
    S_HEADS,
    S_HKEYS, /* … and the heads table: S_SLOTS + 3 */
    S_HS0,   /* … S_HS0 + RULES_MAX_DB - 1 */
    N_SECT = S_HS0 + RULES_MAX_DB
};

struct rdb_sect {
    uint64_t off, size;
    uint32_t count; /* records, or for a Vectorscan image: 1 = literal */
    uint32_t aux;   /* a Vectorscan image: its max_chars */
};

struct rdb_header {
    char magic[8];
    uint32_t version;
    uint32_t endian;
    uint64_t size;
    uint8_t source[B2B_OUT];
    char chaff_version[16];
    char hs_version[64];
    uint64_t cpu_features;
    uint32_t keyed;
    uint32_t n_sect;
    struct rdb_sect sect[N_SECT];
};

struct rdb_meta {
    uint32_t n_rules, n_statements, scan_chars, scan_bytes;
    uint32_t cap[2], n_entries[2]; /* the exact-key table, the heads table */
    uint32_t n_files, n_cats, n_sites, n_site_names, n_examples, n_roots;
};

struct rdb_rule {
    uint32_t file, line, col;
    uint16_t category;
    uint8_t match, action, where, strong, form, edges;
    uint16_t where_n, maxlen, n, pad;
    uint32_t langs, site, pair, pat, plen;
};

struct rdb_file {
    uint32_t path; /* string: the path as it was opened */
    uint32_t root; /* the input (a -R argument) it came from */
    uint32_t rel;  /* bytes of path before the part below root */
    uint32_t title, version, license, description;
};

struct rdb_site {
    uint32_t first, n; /* names: site_names[first .. first+n) */
};

struct rdb_example {
    uint32_t file, line, col, expect_drop, langs, site, text;
};

static const char magic[8] = {'C', 'H', 'A', 'F', 'F', 'D', 'B', '\0'};

uint64_t rdb_cpu_features(void)
{
    hs_platform_info_t plat;
    if (hs_populate_platform(&plat) != HS_SUCCESS)
        return 0;
    return plat.cpu_features & HS_CPU_FEATURES_AVX2;
}

/* ---- writing -------------------------------------------------------- */

/* The string pool being built; offsets are into it. */
struct pool {
    struct buf b;
};

static uint32_t pool_add(struct pool *p, const char *s)
{
    if (!s)
        return RDB_NONE;
    size_t at = p->b.len;
    buf_add(&p->b, s, strlen(s) + 1);
    return at > UINT32_MAX - 1 ? RDB_NONE : (uint32_t)at;
}

/* Which input a path came from, and where its part below that input
 * starts: rules_parse.c records both in the file's root and rel fields
 * (struct rule_file). */
chaff_status rdb_write(const struct rdb_input *in, void **image, size_t *len, void **heap)
{
    const struct chaff_rules *r = in->r;
    *image = *heap = NULL;
    *len = 0;
    chaff_status st = CHAFF_OK;
    struct pool pool;
    buf_init(&pool.b, (size_t)UINT32_MAX - 1);
    buf_addc(&pool.b, '\0'); /* offset 0 is the empty string */

    /* records, in heap arrays first; strings into the pool */
    struct rdb_rule *rules = chaff_xcalloc(r->n ? r->n : 1, sizeof *rules);
    struct rdb_file *files = chaff_xcalloc(r->n_files ? r->n_files : 1, sizeof *files);
    uint32_t *cats = chaff_xcalloc(r->n_categories ? r->n_categories : 1, sizeof *cats);
    struct rdb_site *sites = chaff_xcalloc(r->n_sites ? r->n_sites : 1, sizeof *sites);
    uint32_t n_names = 0;
    for (uint32_t i = 0; i < r->n_sites; i++)
        n_names += r->sites[i].n;
    uint32_t *names = chaff_xcalloc(n_names ? n_names : 1, sizeof *names);
    struct rdb_example *ex = chaff_xcalloc(r->n_examples ? r->n_examples : 1, sizeof *ex);
    char **hs_bytes = chaff_xcalloc(RULES_MAX_DB, sizeof *hs_bytes);
    size_t hs_len[RULES_MAX_DB] = {0};
    if (!rules || !files || !cats || !sites || !names || !ex || !hs_bytes) {
        st = CHAFF_E_NOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < r->n; i++) {
        const struct rule *ru = &r->v[i];
        struct rdb_rule *o = &rules[i];
        o->file = ru->file;
        o->line = ru->line;
        o->col = ru->col;
        o->category = ru->category;
        o->match = ru->match;
        o->action = ru->action;
        o->where = ru->where;
        o->strong = ru->strong;
        o->form = ru->form;
        o->edges = ru->edges;
        o->where_n = ru->where_n;
        o->maxlen = ru->maxlen;
        o->n = ru->n;
        o->langs = ru->langs;
        o->site = ru->site;
        o->pair = ru->pair;
        o->pat = pool_add(&pool, ru->pat);
        o->plen = ru->plen;
    }
    for (uint32_t i = 0; i < r->n_files; i++) {
        const struct rule_file *f = &r->files[i];
        files[i] = (struct rdb_file){pool_add(&pool, f->path),
                                     f->root,
                                     f->rel,
                                     pool_add(&pool, f->title),
                                     pool_add(&pool, f->version),
                                     pool_add(&pool, f->license),
                                     pool_add(&pool, f->description)};
    }
    for (uint32_t i = 0; i < r->n_categories; i++)
        cats[i] = pool_add(&pool, r->categories[i]);
    for (uint32_t i = 0, k = 0; i < r->n_sites; i++) {
        sites[i] = (struct rdb_site){k, r->sites[i].n};
        for (uint32_t j = 0; j < r->sites[i].n; j++)
            names[k++] = pool_add(&pool, r->sites[i].names[j]);
    }
    for (uint32_t i = 0; i < r->n_examples; i++) {
        const struct rule_example *e = &r->examples[i];
        ex[i] = (struct rdb_example){
            e->file, e->line, e->col, e->expect_drop, e->langs, e->site, pool_add(&pool, e->text)};
    }
    if (pool.b.err) {
        st = pool.b.err == CHAFF_E_NOMEM ? CHAFF_E_NOMEM : CHAFF_E_TOOBIG;
        goto out;
    }
    /* Vectorscan databases, serialized (to learn the image size) */
    for (uint32_t k = 0; k < in->n_hs; k++) {
        if (hs_serialize_database(in->hs[k], &hs_bytes[k], &hs_len[k]) != HS_SUCCESS) {
            st = CHAFF_E_MATCHER;
            goto out;
        }
    }

    struct rdb_meta meta = {r->n,
                            r->n_statements,
                            r->scan_chars,
                            r->scan_bytes,
                            {in->table[0].cap, in->table[1].cap},
                            {in->table[0].n, in->table[1].n},
                            r->n_files,
                            r->n_categories,
                            r->n_sites,
                            n_names,
                            r->n_examples,
                            r->n_roots};
    struct {
        const void *p;
        size_t size;
        uint32_t count;
    } part[N_SECT] = {
        [S_META] = {&meta, sizeof meta, 1},
        [S_RULES] = {rules, (size_t)r->n * sizeof *rules, r->n},
        [S_STRINGS] = {pool.b.p, pool.b.len, 0},
        [S_FILES] = {files, (size_t)r->n_files * sizeof *files, r->n_files},
        [S_CATS] = {cats, (size_t)r->n_categories * sizeof *cats, r->n_categories},
        [S_SITES] = {sites, (size_t)r->n_sites * sizeof *sites, r->n_sites},
        [S_SITE_NAMES] = {names, (size_t)n_names * sizeof *names, n_names},
        [S_EXAMPLES] = {ex, (size_t)r->n_examples * sizeof *ex, r->n_examples},
        [S_SLOTS] = {in->table[0].slot, (size_t)in->table[0].cap * sizeof(uint32_t),
                     in->table[0].cap},
        [S_EXACT] = {in->table[0].v, (size_t)in->table[0].n * sizeof(struct exact_entry),
                     in->table[0].n},
        [S_KEYS] = {in->table[0].keys, in->keys_len[0], 0},
        [S_HSLOTS] = {in->table[1].slot, (size_t)in->table[1].cap * sizeof(uint32_t),
                      in->table[1].cap},
        [S_HEADS] = {in->table[1].v, (size_t)in->table[1].n * sizeof(struct exact_entry),
                     in->table[1].n},
        [S_HKEYS] = {in->table[1].keys, in->keys_len[1], 0},
    };
    struct rdb_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, magic, sizeof magic);
    h.version = RDB_VERSION;
    h.endian = RDB_ENDIAN;
    memcpy(h.source, in->source, B2B_OUT);
    snprintf(h.chaff_version, sizeof h.chaff_version, "%s", CHAFF_VERSION_STRING);
    snprintf(h.hs_version, sizeof h.hs_version, "%s", hs_version());
    h.cpu_features = in->cpu_features;
    h.keyed = in->key != NULL;
    h.n_sect = N_SECT;
    size_t at = sizeof h;
    for (uint32_t k = 0; k < S_HS0; k++) {
        at = (at + 7) & ~(size_t)7;
        h.sect[k] = (struct rdb_sect){at, part[k].size, part[k].count, 0};
        at += part[k].size;
    }
    for (uint32_t k = 0; k < RULES_MAX_DB; k++) {
        if (k >= in->n_hs)
            continue;
        size_t size = 0;
        if (hs_serialized_database_size(hs_bytes[k], hs_len[k], &size) != HS_SUCCESS) {
            st = CHAFF_E_MATCHER;
            goto out;
        }
        at = (at + RDB_ALIGN - 1) & ~(size_t)(RDB_ALIGN - 1);
        h.sect[S_HS0 + k] = (struct rdb_sect){at, size, in->hs_literal[k], in->hs_max_chars[k]};
        at += size;
    }
    size_t total = at + B2B_OUT;
    if (total > RDB_MAX_SIZE) {
        st = CHAFF_E_TOOBIG;
        goto out;
    }
    h.size = total;
    char *mem = chaff_xmalloc(total + RDB_ALIGN);
    if (!mem) {
        st = CHAFF_E_NOMEM;
        goto out;
    }
    char *img = (char *)(((uintptr_t)mem + RDB_ALIGN - 1) & ~(uintptr_t)(RDB_ALIGN - 1));
    memset(img, 0, total);
    memcpy(img, &h, sizeof h);
    for (uint32_t k = 0; k < S_HS0; k++)
        if (part[k].size)
            memcpy(img + h.sect[k].off, part[k].p, part[k].size);
    for (uint32_t k = 0; k < in->n_hs; k++) {
        hs_database_t *db = NULL;
        /* the image Vectorscan makes here, at RDB_ALIGN alignment, is the
         * one hs_scan will use in place after mmap */
        if (hs_deserialize_database_at(hs_bytes[k], hs_len[k],
                                       (hs_database_t *)(void *)(img + h.sect[S_HS0 + k].off)) !=
            HS_SUCCESS) {
            chaff_xfree(mem);
            st = CHAFF_E_MATCHER;
            goto out;
        }
        (void)db;
    }
    b2b(img + at, B2B_OUT, in->key, in->key ? B2B_KEY : 0, img, at);
    *image = img;
    *len = total;
    *heap = mem;
out:
    for (uint32_t k = 0; hs_bytes && k < RULES_MAX_DB; k++)
        free(hs_bytes[k]); /* Vectorscan allocates with malloc */
    chaff_xfree(hs_bytes);
    chaff_xfree(rules);
    chaff_xfree(files);
    chaff_xfree(cats);
    chaff_xfree(sites);
    chaff_xfree(names);
    chaff_xfree(ex);
    buf_free(&pool.b);
    return st;
}

/* ---- checking and loading ------------------------------------------- */

const uint8_t *rdb_tag(const void *image, size_t len)
{
    return len >= B2B_OUT ? (const uint8_t *)image + len - B2B_OUT : NULL;
}

const uint8_t *rdb_source(const void *image, size_t len)
{
    const struct rdb_header *h = image;
    if (len < sizeof *h || memcmp(h->magic, magic, sizeof magic) != 0)
        return NULL;
    return h->source;
}

/* Is [off, off+size) inside a file of len bytes (before the tag), aligned
 * to align? */
static bool in_file(uint64_t off, uint64_t size, size_t len, uint64_t align)
{
    uint64_t body = len - B2B_OUT;
    return off <= body && size <= body - off && off % align == 0;
}

/* A string of the pool: NULL unless off names a NUL-terminated string
 * that lies inside it (RDB_NONE: no string, *ok stays). */
static const char *str_at(const char *pool, size_t n, uint32_t off, bool *ok)
{
    if (off == RDB_NONE)
        return NULL;
    if (off >= n) {
        *ok = false;
        return NULL;
    }
    return pool + off;
}

#define WHY(...) (snprintf(why, 160, __VA_ARGS__), CHAFF_E_RULES)

/* Append a copy of s to r's categories unless present; its index. */
static chaff_status merge_category(struct chaff_rules *r, const char *s, uint16_t *out)
{
    for (uint32_t i = 0; i < r->n_categories; i++)
        if (strcmp(r->categories[i], s) == 0) {
            *out = (uint16_t)i;
            return CHAFF_OK;
        }
    if (r->n_categories >= 65535)
        return CHAFF_E_RULES;
    char **v = chaff_xrealloc(r->categories, (r->n_categories + 1) * sizeof *v);
    if (!v)
        return CHAFF_E_NOMEM;
    r->categories = v;
    if (!(v[r->n_categories] = chaff_xstrdup(s)))
        return CHAFF_E_NOMEM;
    *out = (uint16_t)r->n_categories++;
    return CHAFF_OK;
}

/* The path of file f rebased onto root (see struct rdb_file). */
static char *rebase(const char *path, uint32_t rel, const char *root)
{
    if (!root)
        return chaff_xstrdup(path);
    const char *tail = path + rel;
    if (!*tail)
        return chaff_xstrdup(root);
    size_t rl = strlen(root), tl = strlen(tail);
    int slash = rl > 0 && root[rl - 1] != '/';
    size_t size = rl + (size_t)slash + tl + 1;
    char *out = chaff_xmalloc(size);
    if (!out)
        return NULL;
    snprintf(out, size, "%s%s%s", root, slash ? "/" : "", tail);
    return out;
}

/* Undo a half-done append: drop what was added past the old counts. */
struct counts {
    uint32_t n, n_files, n_categories, n_sites, n_examples, n_parts;
};

static void truncate_to(struct chaff_rules *r, const struct counts *c, bool borrowed)
{
    for (uint32_t i = c->n; i < r->n; i++)
        if (!borrowed)
            chaff_xfree(r->v[i].pat);
    r->n = c->n;
    for (uint32_t i = c->n_files; i < r->n_files; i++) {
        struct rule_file *f = &r->files[i];
        chaff_xfree(f->path);
        chaff_xfree(f->title);
        chaff_xfree(f->version);
        chaff_xfree(f->license);
        chaff_xfree(f->description);
    }
    r->n_files = c->n_files;
    for (uint32_t i = c->n_categories; i < r->n_categories; i++)
        chaff_xfree(r->categories[i]);
    r->n_categories = c->n_categories;
    for (uint32_t i = c->n_sites; i < r->n_sites; i++) {
        for (uint32_t k = 0; k < r->sites[i].n; k++)
            chaff_xfree(r->sites[i].names[k]);
        chaff_xfree(r->sites[i].names);
    }
    r->n_sites = c->n_sites;
    for (uint32_t i = c->n_examples; i < r->n_examples; i++)
        chaff_xfree(r->examples[i].text);
    r->n_examples = c->n_examples;
}

static void release_image(void *image, size_t len, int mapped, void *heap)
{
    if (mapped)
        munmap(image, len);
    else
        chaff_xfree(heap);
}

chaff_status rdb_load(struct chaff_rules *r, void *image, size_t len, int mapped, void *heap,
                      const struct rdb_load *how, char why[160])
{
    chaff_status st = CHAFF_E_RULES;
    const char *img = image;
    const struct rdb_header *h = image;
    why[0] = '\0';
    /* the header's fixed fields, then the tag over everything */
    if (len < sizeof *h + B2B_OUT || len > RDB_MAX_SIZE) {
        st = WHY("not a rules database (size %zu)", len);
        goto fail;
    }
    if (memcmp(h->magic, magic, sizeof magic) != 0) {
        st = WHY("not a rules database");
        goto fail;
    }
    if (h->endian != RDB_ENDIAN || h->version != RDB_VERSION) {
        st = WHY("made by another version of chaff");
        goto fail;
    }
    if (h->size != len || h->n_sect != N_SECT || !!h->keyed != !!how->key) {
        st = WHY("damaged (size or kind does not match)");
        goto fail;
    }
    uint8_t tag[B2B_OUT];
    if (how->tag_seen)
        memcpy(tag, how->tag_seen, B2B_OUT);
    else
        b2b(tag, B2B_OUT, how->key, how->key ? B2B_KEY : 0, img, len - B2B_OUT);
    if (memcmp(tag, img + len - B2B_OUT, B2B_OUT) != 0) {
        st = WHY(how->key ? "failed verification (not written by this user's chaff, or damaged)"
                          : "failed verification (damaged)");
        goto fail;
    }
    if (strncmp(h->chaff_version, CHAFF_VERSION_STRING, sizeof h->chaff_version) != 0 ||
        strncmp(h->hs_version, hs_version(), sizeof h->hs_version - 1) != 0) {
        st = WHY("made by another version of chaff or Vectorscan");
        goto fail;
    }
    if ((h->cpu_features & ~rdb_cpu_features()) != 0) {
        st = WHY("made for a CPU with features this one lacks");
        goto fail;
    }
    if (how->source && memcmp(how->source, h->source, B2B_OUT) != 0) {
        st = WHY("does not match the rules it stands for");
        goto fail;
    }
    /* sections */
    for (uint32_t k = 0; k < N_SECT; k++) {
        const struct rdb_sect *s = &h->sect[k];
        uint64_t align = k >= S_HS0 ? RDB_ALIGN : 8;
        if (s->size && !in_file(s->off, s->size, len, align)) {
            st = WHY("damaged (section %u out of bounds)", k);
            goto fail;
        }
    }
    if (h->sect[S_META].size != sizeof(struct rdb_meta)) {
        st = WHY("damaged (no metadata)");
        goto fail;
    }
    struct rdb_meta m;
    memcpy(&m, img + h->sect[S_META].off, sizeof m);
    const struct {
        uint32_t sect, count;
        size_t rec;
    } arrays[] = {
        {S_RULES, m.n_rules, sizeof(struct rdb_rule)},
        {S_FILES, m.n_files, sizeof(struct rdb_file)},
        {S_CATS, m.n_cats, sizeof(uint32_t)},
        {S_SITES, m.n_sites, sizeof(struct rdb_site)},
        {S_SITE_NAMES, m.n_site_names, sizeof(uint32_t)},
        {S_EXAMPLES, m.n_examples, sizeof(struct rdb_example)},
        {S_SLOTS, m.cap[0], sizeof(uint32_t)},
        {S_EXACT, m.n_entries[0], sizeof(struct exact_entry)},
        {S_HSLOTS, m.cap[1], sizeof(uint32_t)},
        {S_HEADS, m.n_entries[1], sizeof(struct exact_entry)},
    };
    for (size_t k = 0; k < sizeof arrays / sizeof arrays[0]; k++)
        if (h->sect[arrays[k].sect].size != (uint64_t)arrays[k].count * arrays[k].rec ||
            h->sect[arrays[k].sect].count != arrays[k].count) {
            st = WHY("damaged (section %u has the wrong size)", arrays[k].sect);
            goto fail;
        }
    const char *pool = img + h->sect[S_STRINGS].off;
    size_t pool_n = h->sect[S_STRINGS].size;
    if (pool_n == 0 || pool[pool_n - 1] != '\0') {
        st = WHY("damaged (strings)");
        goto fail;
    }
    if (m.n_sites == 0 || (m.cap[0] & (m.cap[0] - 1)) != 0 || (m.cap[1] & (m.cap[1] - 1)) != 0 ||
        (m.cap[0] == 0) != (m.n_entries[0] == 0) || (m.cap[1] == 0) != (m.n_entries[1] == 0) ||
        m.n_entries[0] >= UINT32_MAX || m.n_entries[1] >= UINT32_MAX ||
        (how->roots && how->n_roots != m.n_roots) || m.n_rules > 1000000 || m.n_cats > 65535) {
        st = WHY("damaged (counts)");
        goto fail;
    }
    const struct rdb_rule *rr = (const void *)(img + h->sect[S_RULES].off);
    const struct rdb_file *rf = (const void *)(img + h->sect[S_FILES].off);
    const uint32_t *rc = (const void *)(img + h->sect[S_CATS].off);
    const struct rdb_site *rs = (const void *)(img + h->sect[S_SITES].off);
    const uint32_t *rn = (const void *)(img + h->sect[S_SITE_NAMES].off);
    const struct rdb_example *re = (const void *)(img + h->sect[S_EXAMPLES].off);
    struct key_table tables[2];
    for (int t = 0; t < 2; t++)
        tables[t] = (struct key_table){(const void *)(img + h->sect[S_SLOTS + 3 * t].off),
                                       m.cap[t],
                                       (const void *)(img + h->sect[S_EXACT + 3 * t].off),
                                       m.n_entries[t],
                                       img + h->sect[S_KEYS + 3 * t].off,
                                       0};
    bool ok = true;
    for (uint32_t i = 0; ok && i < m.n_rules; i++) {
        const struct rdb_rule *x = &rr[i];
        ok = x->file < m.n_files && x->category < m.n_cats && x->site < m.n_sites &&
             x->pair < m.n_rules && x->match <= RM_REGEX && x->action <= RA_BLOCK_END &&
             x->where <= RW_TAIL && x->form <= RF_ANCHORED && x->pat < pool_n &&
             x->plen == strlen(pool + x->pat) && x->plen > 0;
        /* a block's start and end name each other */
        ok = ok && (x->action == RA_BLOCK || x->action == RA_BLOCK_END
                        ? rr[x->pair].pair == i && x->pair != i
                        : x->pair == i);
    }
    for (uint32_t i = 0; ok && i < m.n_files; i++) {
        str_at(pool, pool_n, rf[i].title, &ok);
        str_at(pool, pool_n, rf[i].version, &ok);
        str_at(pool, pool_n, rf[i].license, &ok);
        str_at(pool, pool_n, rf[i].description, &ok);
        const char *p = str_at(pool, pool_n, rf[i].path, &ok);
        ok = ok && p && rf[i].rel <= strlen(p) && rf[i].root < m.n_roots;
    }
    for (uint32_t i = 0; ok && i < m.n_cats; i++)
        ok = rc[i] < pool_n;
    for (uint32_t i = 0; ok && i < m.n_sites; i++)
        ok = rs[i].first <= m.n_site_names && rs[i].n <= m.n_site_names - rs[i].first &&
             (i != 0 || rs[i].n == 0);
    for (uint32_t i = 0; ok && i < m.n_site_names; i++)
        ok = rn[i] < pool_n && pool[rn[i]] != '\0';
    for (uint32_t i = 0; ok && i < m.n_examples; i++)
        ok = re[i].file < m.n_files && re[i].site < m.n_sites && re[i].text < pool_n;
    for (int t = 0; t < 2; t++) {
        const struct key_table *kt = &tables[t];
        uint64_t keys_n = h->sect[S_KEYS + 3 * t].size;
        for (uint32_t i = 0; ok && i < kt->cap; i++)
            ok = kt->slot[i] == RDB_NONE || kt->slot[i] < kt->n;
        /* a chain only goes forward, so it ends */
        for (uint32_t i = 0; ok && i < kt->n; i++)
            ok = kt->v[i].key <= keys_n && kt->v[i].len <= keys_n - kt->v[i].key &&
                 kt->v[i].rule < m.n_rules &&
                 (kt->v[i].next == RDB_NONE || (kt->v[i].next > i && kt->v[i].next < kt->n));
        for (uint32_t i = 0; ok && i < kt->n; i++)
            if (kt->v[i].len > tables[t].max_len)
                tables[t].max_len = kt->v[i].len;
    }
    if (!ok) {
        st = WHY("damaged (an index out of range)");
        goto fail;
    }
    uint32_t n_hs = 0;
    for (uint32_t k = 0; k < RULES_MAX_DB; k++) {
        const struct rdb_sect *s = &h->sect[S_HS0 + k];
        if (!s->size)
            break;
        n_hs++;
        char *info = NULL;
        const hs_database_t *db = (const void *)(img + s->off);
        size_t dbsize = 0;
        if (hs_database_info(db, &info) != HS_SUCCESS ||
            hs_database_size(db, &dbsize) != HS_SUCCESS || dbsize != s->size) {
            free(info);
            st = WHY("damaged (a Vectorscan database)");
            goto fail;
        }
        free(info); /* Vectorscan allocates with malloc */
    }

    /* append: rules, files, categories, sites, examples, the part */
    struct counts before = {r->n,       r->n_files,    r->n_categories,
                            r->n_sites, r->n_examples, r->n_parts};
    if (r->n_sites == 0) {
        /* sites[0], the generic scope, is shared by every part */
        struct site_set *v = chaff_xcalloc(1, sizeof *v);
        if (!v) {
            st = CHAFF_E_NOMEM;
            goto fail;
        }
        chaff_xfree(r->sites);
        r->sites = v;
        r->n_sites = 1;
        before.n_sites = 1;
    }
    st = CHAFF_E_NOMEM;
    uint32_t first = r->n, file0 = r->n_files, site0 = r->n_sites - 1;
    uint16_t *catmap = chaff_xcalloc(m.n_cats ? m.n_cats : 1, sizeof *catmap);
    struct rule *v = chaff_xrealloc(r->v, ((size_t)r->n + m.n_rules + 1) * sizeof *v);
    if (v)
        r->v = v;
    struct rule_file *fv =
        chaff_xrealloc(r->files, ((size_t)r->n_files + m.n_files + 1) * sizeof *fv);
    if (fv)
        r->files = fv;
    struct site_set *sv = chaff_xrealloc(r->sites, ((size_t)r->n_sites + m.n_sites) * sizeof *sv);
    if (sv)
        r->sites = sv;
    struct rule_example *ev =
        chaff_xrealloc(r->examples, ((size_t)r->n_examples + m.n_examples + 1) * sizeof *ev);
    if (ev)
        r->examples = ev;
    struct rules_part *pv = chaff_xrealloc(r->part, ((size_t)r->n_parts + 1) * sizeof *pv);
    if (pv)
        r->part = pv;
    if (!catmap || !v || !fv || !sv || !ev || !pv)
        goto undo;
    for (uint32_t i = 0; i < m.n_cats; i++) {
        chaff_status cs = merge_category(r, pool + rc[i], &catmap[i]);
        if (cs == CHAFF_E_RULES) {
            st = WHY("too many categories");
            goto undo;
        }
        if (cs)
            goto undo;
    }
    for (uint32_t i = 0; i < m.n_files; i++) {
        struct rule_file *f = &r->files[r->n_files];
        memset(f, 0, sizeof *f);
        r->n_files++;
        const char *root = how->roots ? how->roots[rf[i].root] : NULL;
        f->path = rebase(pool + rf[i].path, rf[i].rel, root);
        f->root = rf[i].root;
        f->rel =
            root ? (uint32_t)(strlen(f->path) - strlen(pool + rf[i].path + rf[i].rel)) : rf[i].rel;
        if (rf[i].title != RDB_NONE && !(f->title = chaff_xstrdup(pool + rf[i].title)))
            goto undo;
        if (rf[i].version != RDB_NONE && !(f->version = chaff_xstrdup(pool + rf[i].version)))
            goto undo;
        if (rf[i].license != RDB_NONE && !(f->license = chaff_xstrdup(pool + rf[i].license)))
            goto undo;
        if (rf[i].description != RDB_NONE &&
            !(f->description = chaff_xstrdup(pool + rf[i].description)))
            goto undo;
        if (!f->path)
            goto undo;
    }
    for (uint32_t i = 1; i < m.n_sites; i++) {
        struct site_set *ss = &r->sites[r->n_sites];
        memset(ss, 0, sizeof *ss);
        r->n_sites++;
        ss->names = chaff_xcalloc(rs[i].n ? rs[i].n : 1, sizeof *ss->names);
        if (!ss->names)
            goto undo;
        for (uint32_t k = 0; k < rs[i].n; k++, ss->n++)
            if (!(ss->names[k] = chaff_xstrdup(pool + rn[rs[i].first + k])))
                goto undo;
    }
    for (uint32_t i = 0; i < m.n_examples; i++) {
        struct rule_example *e = &r->examples[r->n_examples];
        memset(e, 0, sizeof *e);
        r->n_examples++;
        e->file = file0 + re[i].file;
        e->line = re[i].line;
        e->col = re[i].col;
        e->expect_drop = re[i].expect_drop != 0;
        e->langs = re[i].langs;
        e->site = re[i].site ? site0 + re[i].site : 0;
        if (!(e->text = chaff_xstrdup(pool + re[i].text)))
            goto undo;
    }
    for (uint32_t i = 0; i < m.n_rules; i++) {
        const struct rdb_rule *x = &rr[i];
        struct rule *ru = &r->v[r->n++];
        memset(ru, 0, sizeof *ru);
        ru->id = first + i;
        ru->file = file0 + x->file;
        ru->line = x->line;
        ru->col = x->col;
        ru->category = catmap[x->category];
        ru->match = x->match;
        ru->action = x->action;
        ru->where = x->where;
        ru->strong = x->strong;
        ru->form = x->form;
        ru->edges = x->edges;
        ru->where_n = x->where_n;
        ru->maxlen = x->maxlen;
        ru->n = x->n;
        ru->langs = x->langs;
        ru->site = x->site ? site0 + x->site : 0;
        ru->pair = first + x->pair;
        ru->pat = (char *)(pool + x->pat);
        ru->plen = x->plen;
    }
    struct rules_part *p = &r->part[r->n_parts];
    memset(p, 0, sizeof *p);
    p->first = first;
    p->n = m.n_rules;
    p->exact = tables[0];
    p->heads = tables[1];
    for (uint32_t k = 0; k < n_hs; k++) {
        const struct rdb_sect *s = &h->sect[S_HS0 + k];
        p->hs[k] = (struct rules_hs){img + s->off, s->aux, (uint8_t)(s->count != 0)};
    }
    p->n_hs = n_hs;
    p->image = image;
    p->image_len = len;
    p->mapped = mapped;
    p->heap = heap;
    p->borrowed = 1;
    r->n_parts++;
    r->n_statements += m.n_statements;
    if (m.scan_chars > r->scan_chars)
        r->scan_chars = m.scan_chars;
    if (m.scan_bytes > r->scan_bytes)
        r->scan_bytes = m.scan_bytes;
    chaff_xfree(catmap);
    return CHAFF_OK;
undo:
    truncate_to(r, &before, true);
    chaff_xfree(catmap);
fail:
    release_image(image, len, mapped, heap);
    return st;
}
