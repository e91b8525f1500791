/*
 * rules_compile.c — every rule of a set into one Vectorscan database.
 *
 * How.  Each rule is one pattern whose id is the rule's id, compiled in
 * block mode with hs_compile_multi().  `=` and `+` rules become plain
 * byte literals (every ASCII byte that is not a letter or digit written
 * as \xHH); the two details a literal cannot say are checked by match.c
 * on each report, which is cheap because a literal's match is exactly as
 * long as the pattern: an exact rule fires only when the match spans the
 * whole key, a phrase only when its word edges hold.  `~` regexes are
 * compiled as written with UTF-8 and caseless matching.
 *
 * Why this way.  Measured with 2,000 mixed rules on this kind of machine:
 * literals compile in about 40 ms, while anchoring exact rules (^…$)
 * quadruples compile time and expressing word edges inside the pattern
 * (Vectorscan rejects \b under HS_FLAG_UCP, so an edge must be spelled as
 * a Unicode class alternation) takes tens of seconds and tens of MB.
 * Literals need no caseless flag: pattern and line are both keys, already
 * case folded.  Regexes are compiled without HS_FLAG_UCP, which keeps \b
 * usable and compiles several times faster; \w, \d and \b are therefore
 * ASCII, \s is exact because keys hold only ASCII spaces, and \p{L} or
 * \p{Han} give Unicode classes.  Regex cost dominates compile time (about
 * 1.5 ms each); rule packs should prefer phrases.
 *
 * Limits.  Vectorscan's own: no back-references, no look-around, no
 * pattern that matches the empty string.
 */
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "hash.h"

/* A literal as a Vectorscan expression: ASCII letters, digits and all
 * non-ASCII bytes as they are, everything else as \xHH so no byte can be
 * read as regex syntax.  NULL when out of memory. */
static char *escape_literal(const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    char *out = chaff_xmalloc(n * 4 + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
        unsigned c = *q;
        if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
            (c >= 'A' && c <= 'Z')) {
            *o++ = (char)c;
        } else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

/*
 * Bounded repeats are what make UTF-8 regexes expensive to compile: each
 * counted step of `.{0,250}` becomes automaton states for every UTF-8 code
 * point length (one rule of that shape took 147 s).  A line a regex rule
 * can fire on is already bounded by its @maxlen guard, so a repeat whose
 * upper bound is RELAX_MIN or more (a length cap that large is the
 * line-length guard's job) is compiled unbounded: {m,n} becomes
 * {m,} ({0,n} as *, {1,n} as +).  At 41, the shipped rules compile in a
 * tenth of the time into a database half the size (one Russian footer
 * file of `.{0,80}` gaps alone made 19 MB), and every inline example
 * still holds; short caps such as {2,30} keep their meaning.  Escapes and character classes are left
 * alone.  Returns a new string (caller frees) or NULL when out of memory.
 */
#define RELAX_MIN 41
static char *relax_repeats(const char *pat)
{
    size_t n = strlen(pat);
    char *out = chaff_xmalloc(n + 1);
    if (!out)
        return NULL;
    size_t w = 0;
    int in_class = 0;
    for (size_t i = 0; i < n; i++) {
        char c = pat[i];
        if (c == '\\' && i + 1 < n) {
            out[w++] = c;
            out[w++] = pat[++i];
            continue;
        }
        if (in_class) {
            if (c == ']')
                in_class = 0;
            out[w++] = c;
            continue;
        }
        if (c == '[') {
            in_class = 1;
            out[w++] = c;
            if (i + 1 < n && pat[i + 1] == '^')
                out[w++] = pat[++i];
            if (i + 1 < n && pat[i + 1] == ']')
                out[w++] = pat[++i]; /* a leading ] is literal */
            continue;
        }
        if (c == '{') {
            size_t j = i + 1;
            unsigned long lo = 0, hi = 0;
            int have_lo = 0, have_hi = 0;
            while (j < n && pat[j] >= '0' && pat[j] <= '9') {
                lo = lo * 10 + (unsigned long)(pat[j++] - '0');
                have_lo = 1;
            }
            if (have_lo && j < n && pat[j] == ',') {
                j++;
                while (j < n && pat[j] >= '0' && pat[j] <= '9') {
                    hi = hi * 10 + (unsigned long)(pat[j++] - '0');
                    have_hi = 1;
                }
                if (have_hi && j < n && pat[j] == '}' && hi >= RELAX_MIN) {
                    if (lo == 0)
                        out[w++] = '*';
                    else if (lo == 1)
                        out[w++] = '+';
                    else
                        w += (size_t)sprintf(out + w, "{%lu,}", lo);
                    i = j;
                    continue;
                }
            }
        }
        out[w++] = c;
    }
    out[w] = '\0';
    return out;
}

/* Vectorscan's message in house style: lowercase start, no final period. */
static void tidy_message(char *dst, size_t cap, const char *prefix, const char *msg)
{
    int n = snprintf(dst, cap, "%s%s", prefix, msg ? msg : "unknown error");
    size_t len = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
    size_t at = strlen(prefix);
    if (at < len && dst[at] >= 'A' && dst[at] <= 'Z' && at + 1 < len && dst[at + 1] >= 'a' &&
        dst[at + 1] <= 'z')
        dst[at] = (char)(dst[at] + 32);
    if (len > 0 && dst[len - 1] == '.')
        dst[len - 1] = '\0';
}

/* FNV-1a of a key; shared with match.c through rules_key_hash(). */
uint32_t rules_key_hash(const char *key, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    return h;
}

/* Exact rules match only a whole key, so they are looked up by it rather
 * than compiled: most shipped rules are exact lines, and a database without
 * them is smaller and scans faster.  Rules of one pattern stay in id order. */
static chaff_status build_exact(struct chaff_rules *r)
{
    uint32_t n_exact = 0;
    for (uint32_t i = 0; i < r->n; i++)
        n_exact += r->v[i].match == RM_EXACT;
    if (!n_exact)
        return CHAFF_OK;
    uint32_t cap = 16;
    while (cap < 2 * n_exact)
        cap *= 2;
    r->exact_slot = chaff_xmalloc((size_t)cap * sizeof *r->exact_slot);
    r->exact_next = chaff_xmalloc((size_t)r->n * sizeof *r->exact_next);
    if (!r->exact_slot || !r->exact_next)
        return CHAFF_E_NOMEM;
    memset(r->exact_slot, 0xff, (size_t)cap * sizeof *r->exact_slot);
    memset(r->exact_next, 0xff, (size_t)r->n * sizeof *r->exact_next);
    r->exact_cap = cap;
    for (uint32_t i = 0; i < r->n; i++) {
        const struct rule *ru = &r->v[i];
        if (ru->match != RM_EXACT)
            continue;
        size_t len = strlen(ru->pat);
        for (uint32_t s = rules_key_hash(ru->pat, len) & (cap - 1);; s = (s + 1) & (cap - 1)) {
            uint32_t head = r->exact_slot[s];
            if (head == UINT32_MAX) {
                r->exact_slot[s] = i;
                break;
            }
            if (strcmp(r->v[head].pat, ru->pat) != 0)
                continue;
            while (r->exact_next[head] != UINT32_MAX)
                head = r->exact_next[head];
            r->exact_next[head] = i;
            break;
        }
    }
    return CHAFF_OK;
}

static void free_db(struct chaff_rules *r)
{
    if (r->scratch_proto)
        hs_free_scratch(r->scratch_proto);
    if (r->db)
        hs_free_database(r->db);
    r->scratch_proto = NULL;
    r->db = NULL;
    chaff_xfree(r->exact_slot);
    chaff_xfree(r->exact_next);
    r->exact_slot = r->exact_next = NULL;
    r->exact_cap = 0;
}

/*
 * Compiled-database cache.  Compiling a few thousand UTF-8 regexes takes
 * seconds, far more than cleaning a page, so the serialized database is
 * kept on disk under a name that hashes everything the compile depends on
 * (each expression, its flags and id, and Vectorscan's version).  A stale
 * or damaged file can only fail to load, never give wrong matches: a
 * different rule set has a different name, and hs_deserialize_database
 * checks the platform.  The folder is $CHAFF_CACHE_DIR, else
 * $XDG_CACHE_HOME/chaff, else $HOME/.cache/chaff; CHAFF_CACHE_DIR set to
 * the empty string turns the cache off.  Writes go to a temporary file
 * renamed into place, so concurrent runs never read half a file.
 */
static int cache_path(char *out, size_t n, uint64_t key)
{
    const char *dir = getenv("CHAFF_CACHE_DIR");
    char base[1024];
    if (dir) {
        if (!*dir)
            return 0;
        snprintf(base, sizeof base, "%s", dir);
    } else if ((dir = getenv("XDG_CACHE_HOME")) && *dir) {
        snprintf(base, sizeof base, "%s/chaff", dir);
    } else if ((dir = getenv("HOME")) && *dir) {
        snprintf(base, sizeof base, "%s/.cache/chaff", dir);
    } else {
        return 0;
    }
    int k = snprintf(out, n, "%s/hs-%016llx.db", base, (unsigned long long)key);
    return k > 0 && (size_t)k < n;
}

static hs_database_t *cache_load(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    hs_database_t *db = NULL;
    char *bytes = NULL;
    long len = -1;
    if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (bytes = chaff_xmalloc((size_t)len)) && fread(bytes, 1, (size_t)len, fp) == (size_t)len) {
        if (hs_deserialize_database(bytes, (size_t)len, &db) != HS_SUCCESS)
            db = NULL;
        else
            utimensat(AT_FDCWD, path, NULL, 0); /* recently used (best effort) */
    }
    chaff_xfree(bytes);
    fclose(fp);
    return db;
}

/* mkdir -p for the folder holding path (best effort). */
static void make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            *p = '/';
            return;
        }
        *p = '/';
    }
}

/* Keep the cache folder small: every edit of a rule set leaves a database
 * behind, so beyond CACHE_KEEP files the least recently used go (a load
 * refreshes a file's time, see cache_load). */
#define CACHE_KEEP 4
static void cache_prune(const char *path)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *slash = '\0';
    for (;;) {
        DIR *dp = opendir(dir);
        if (!dp)
            return;
        char oldest[300] = "";
        struct timespec when = {0};
        unsigned n = 0;
        struct dirent *e;
        while ((e = readdir(dp)) != NULL) {
            size_t k = strlen(e->d_name);
            if (strncmp(e->d_name, "hs-", 3) != 0 || k < 7 || k >= sizeof oldest ||
                strcmp(e->d_name + k - 3, ".db") != 0)
                continue;
            struct stat st;
            if (fstatat(dirfd(dp), e->d_name, &st, 0) != 0)
                continue;
            n++;
            if (!*oldest || st.st_mtim.tv_sec < when.tv_sec ||
                (st.st_mtim.tv_sec == when.tv_sec && st.st_mtim.tv_nsec < when.tv_nsec)) {
                when = st.st_mtim;
                snprintf(oldest, sizeof oldest, "%s", e->d_name);
            }
        }
        if (n <= CACHE_KEEP || !*oldest || unlinkat(dirfd(dp), oldest, 0) != 0) {
            closedir(dp);
            return;
        }
        closedir(dp);
    }
}

static void cache_store(const char *path, const hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return;
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    make_parents(tmp);
    FILE *fp = fopen(tmp, "wb");
    if (fp) {
        int ok = fwrite(bytes, 1, len, fp) == len;
        ok = (fclose(fp) == 0) && ok;
        if (!ok || rename(tmp, path) != 0)
            remove(tmp);
        else
            cache_prune(path);
    }
    free(bytes); /* hs_serialize_database allocates with malloc */
}

chaff_status rules_compile(struct chaff_rules *r, chaff_error *err)
{
    free_db(r);
    r->scan_chars = r->scan_bytes = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        const struct rule *ru = &r->v[i];
        if (ru->match == RM_EXACT) {
            size_t len = ru->pat ? strlen(ru->pat) : 0;
            if (len > r->scan_bytes)
                r->scan_bytes = (uint32_t)len;
        } else if (!ru->maxlen) {
            r->scan_chars = UINT32_MAX;
        } else if (ru->maxlen > r->scan_chars) {
            r->scan_chars = ru->maxlen;
        }
    }
    if (r->n == 0)
        return CHAFF_OK;
    if (build_exact(r) != CHAFF_OK) {
        if (err) {
            memset(err, 0, sizeof *err);
            snprintf(err->msg, sizeof err->msg, "out of memory");
        }
        return CHAFF_E_NOMEM;
    }
    const char **expr = chaff_xcalloc(r->n, sizeof *expr);
    char **owned = chaff_xcalloc(r->n, sizeof *owned);
    unsigned *flags = chaff_xcalloc(r->n, sizeof *flags);
    unsigned *ids = chaff_xcalloc(r->n, sizeof *ids);
    chaff_status st = CHAFF_OK;
    if (!expr || !owned || !flags || !ids)
        st = CHAFF_E_NOMEM;
    uint32_t m = 0; /* phrase and regex rules, compiled */
    for (uint32_t i = 0; st == CHAFF_OK && i < r->n; i++) {
        const struct rule *ru = &r->v[i];
        if (NEVER(!ru->pat)) {
            st = CHAFF_E_INVAL;
            break;
        }
        if (ru->match == RM_EXACT)
            continue; /* looked up by key (build_exact) */
        ids[m] = i;
        if (ru->match == RM_REGEX) {
            owned[m] = relax_repeats(ru->pat);
            if (!owned[m]) {
                st = CHAFF_E_NOMEM;
                break;
            }
            expr[m] = owned[m];
            flags[m++] = HS_FLAG_UTF8 | HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
            continue;
        }
        owned[m] = escape_literal(ru->pat);
        if (!owned[m]) {
            st = CHAFF_E_NOMEM;
            break;
        }
        expr[m] = owned[m];
        /* a phrase must report every occurrence because match.c may
         * reject one for its word edges */
        flags[m++] = 0;
    }

    /* Target at most AVX2: a database built for AVX-512 cannot be loaded
     * where AVX-512 is missing (older CPUs, valgrind's virtual CPU), and
     * one cached file then serves every x86-64 machine that shares it. */
    hs_platform_info_t plat;
    hs_platform_info_t *platp = NULL;
    if (hs_populate_platform(&plat) == HS_SUCCESS) {
        plat.cpu_features &= HS_CPU_FEATURES_AVX2;
        plat.tune = HS_TUNE_FAMILY_GENERIC;
        platp = &plat;
    }
    hs_database_t *db = NULL;
    char cpath[1100];
    int cached = 0;
    if (st == CHAFF_OK) {
        uint64_t key = HASH64_INIT;
        const char *ver = hs_version();
        key = hash64(key, ver, strlen(ver));
        if (platp)
            key = hash64(key, &plat.cpu_features, sizeof plat.cpu_features);
        key = hash64(key, &m, sizeof m);
        for (uint32_t i = 0; i < m; i++) {
            key = hash64(key, expr[i], strlen(expr[i]) + 1);
            key = hash64(key, &flags[i], sizeof flags[i]);
            key = hash64(key, &ids[i], sizeof ids[i]);
        }
        cached = cache_path(cpath, sizeof cpath, key);
        if (cached && (db = cache_load(cpath)) != NULL)
            cached = 0; /* loaded: nothing to store */
    }
    if (st == CHAFF_OK && !db && m > 0) {
        hs_compile_error_t *ce = NULL;
        if (hs_compile_multi(expr, flags, ids, m, HS_MODE_BLOCK, platp, &db, &ce) !=
            HS_SUCCESS) {
            int at = ce ? ce->expression : -1;
            if (at >= 0 && (uint32_t)at < m) {
                const struct rule *ru = &r->v[ids[at]];
                st = CHAFF_E_RULES;
                if (err) {
                    memset(err, 0, sizeof *err);
                    const char *path = ru->file < r->n_files ? r->files[ru->file].path : "";
                    snprintf(err->file, sizeof err->file, "%s", path ? path : "");
                    err->line = ru->line;
                    err->col = ru->col;
                    tidy_message(err->msg, sizeof err->msg,
                                 ru->match == RM_REGEX ? "bad regex: " : "bad pattern: ",
                                 ce ? ce->message : NULL);
                }
            } else {
                st = CHAFF_E_MATCHER;
                if (err) {
                    memset(err, 0, sizeof *err);
                    tidy_message(err->msg, sizeof err->msg, "vectorscan: ",
                                 ce ? ce->message : NULL);
                }
            }
            if (ce)
                hs_free_compile_error(ce);
            db = NULL;
        }
    }
    if (st == CHAFF_E_NOMEM && err) {
        memset(err, 0, sizeof *err);
        snprintf(err->msg, sizeof err->msg, "out of memory");
    }
    for (uint32_t i = 0; owned && i < r->n; i++)
        chaff_xfree(owned[i]); /* the unused tail is NULL */
    chaff_xfree(owned);
    chaff_xfree(expr);
    chaff_xfree(flags);
    chaff_xfree(ids);
    if (st)
        return st;
    if (!db)
        return CHAFF_OK; /* exact rules only */
    if (cached)
        cache_store(cpath, db);

    hs_scratch_t *proto = NULL;
    hs_error_t he = hs_alloc_scratch(db, &proto);
    if (he != HS_SUCCESS) {
        hs_free_database(db);
        if (err) {
            memset(err, 0, sizeof *err);
            snprintf(err->msg, sizeof err->msg, "vectorscan: cannot allocate scratch (error %d)",
                     (int)he);
        }
        return he == HS_NOMEM ? CHAFF_E_NOMEM : CHAFF_E_MATCHER;
    }
    r->db = db;
    r->scratch_proto = proto;
    return CHAFF_OK;
}
