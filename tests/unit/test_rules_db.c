/*
 * test_rules_db.c — rule databases and their cache (rules_db.c,
 * rules_cache.c, chaff_rules_open/compile in rules_parse.c): compiled once
 * and then loaded, the shipped database checked against its rule files, a
 * database file shipped with --rules-db, a crafted cache file (the
 * reproducer of issue 10 row 1) rejected and rebuilt, damaged files, and a
 * cache folder that is unsafe or planted with symlinks and FIFOs (row 2),
 * pruning, the compile lock, every error of --check-rules, and the compile
 * budgets (row 10).
 */
#include <stdlib.h>

/* Vectorscan allocates what it hands back with malloc; unit.h makes free
 * cmocka's checked free */
static void libc_free(void *p) { free(p); }

#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <hs/hs.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "lang.h"
#include "rules.h"
#include "rules_cache.h"
#include "rules_db.h"
#include "rules_regex.h"

/* ---- helpers ------------------------------------------------------------- */

struct said {
    char msg[16][600];
    unsigned n;
    unsigned errors;
    char last_error[600];
};

static void on_notice(void *ud, const char *msg)
{
    struct said *s = ud;
    if (s->n < 16)
        snprintf(s->msg[s->n], sizeof s->msg[0], "%s", msg);
    s->n++;
}

static void on_error(void *ud, const chaff_error *e)
{
    struct said *s = ud;
    s->errors++;
    snprintf(s->last_error, sizeof s->last_error, "%u:%u: %s", e->line, e->col, e->msg);
    on_notice(ud, s->last_error);
}

static bool said_has(const struct said *s, const char *needle)
{
    for (unsigned i = 0; i < s->n && i < 16; i++)
        if (strstr(s->msg[i], needle))
            return true;
    return false;
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void tmpdir(char *dir)
{
    strcpy(dir, "/tmp/chaff-db-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void rmrf(const char *dir)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
}

static unsigned count_prefix(const char *dir, const char *prefix, const char *suffix)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c '^%s.*%s$'", dir, prefix, suffix);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    unsigned n = 0;
    if (fscanf(p, "%u", &n) != 1)
        n = 0;
    pclose(p);
    return n;
}

/* Open the rules in paths with cache folder cache, notices into s. */
static chaff_status open_rules(chaff_rules **r, const char *cache, const char *path, const char *db,
                               struct said *s, chaff_error *err)
{
    chaff_rules_config c;
    chaff_rules_config_init(&c);
    const char *paths[1] = {path};
    c.paths = path ? paths : NULL;
    c.n_paths = path ? 1 : 0;
    c.db = db;
    c.cache_dir = cache;
    c.notice = on_notice;
    c.notice_ud = s;
    return chaff_rules_open(r, &c, err);
}

struct hits {
    uint32_t n;
    uint32_t id[32];
};

static void add(void *ud, uint32_t id)
{
    struct hits *h = ud;
    if (h->n < 32)
        h->id[h->n++] = id;
}

/* How many rules of r fire on key (a match key already). */
static uint32_t n_hits(const chaff_rules *r, const char *key)
{
    struct match_scratch *ms = NULL;
    assert_int_equal(match_scratch_new(r, &ms), CHAFF_OK);
    struct hits h = {0, {0}};
    assert_int_equal(match_key(r, ms, key, strlen(key), add, &h), CHAFF_OK);
    match_scratch_free(ms);
    return h.n;
}

static const char rules_text[] = "@category c\n"
                                 "= share this\n"
                                 "+ subscribe\n"
                                 "~ ^(read more|related):?$\n"
                                 "~ ^(follow us|find us) on \\w+\n"
                                 "~ [|] ?\\d+ comments$\n";

/* ---- compiled once, then loaded ---------------------------------------- */

static void test_compile_once(void **state)
{
    (void)state;
    char dir[64], cache[128], file[128];
    tmpdir(dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(file, sizeof file, "%s/site.rules", dir);
    put(dir, "site.rules", rules_text);
    chaff_rules *r = NULL;
    chaff_error err;
    struct said s = {0};
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    /* the first run compiles and says so, once, with the count and where */
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.msg[0], "compiling 5 rules from "));
    assert_non_null(strstr(s.msg[0], "site.rules into "));
    assert_non_null(strstr(s.msg[0], "/cache/rules-"));
    assert_non_null(strstr(s.msg[0], "(first run)"));
    assert_int_equal(n_hits(r, "share this"), 1);
    assert_int_equal(n_hits(r, "please subscribe now"), 1);
    assert_int_equal(n_hits(r, "read more:"), 1);
    assert_int_equal(n_hits(r, "follow us on twitter"), 1);
    assert_int_equal(n_hits(r, "a | 12 comments"), 1);
    assert_int_equal(n_hits(r, "nothing here"), 0);
    chaff_rules_free(r);
    assert_int_equal(count_prefix(cache, "rules-", ".db"), 1);
    /* the cache is private to its user */
    struct stat st;
    assert_int_equal(stat(cache, &st), 0);
    assert_int_equal(st.st_mode & 077, 0);

    /* the second run loads it without a word, and matches alike */
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    assert_int_equal(s.n, 0);
    assert_int_equal(r->part[0].mapped, 1);
    assert_int_equal(n_hits(r, "follow us on twitter"), 1);
    assert_int_equal(n_hits(r, "a | 12 comments"), 1);
    chaff_rules_free(r);

    /* an edit makes a new database: said again */
    put(dir, "site.rules", "@category c\n= share that\n");
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.msg[0], "compiling 1 rules from "));
    assert_int_equal(n_hits(r, "share that"), 1);
    assert_int_equal(n_hits(r, "share this"), 0);
    chaff_rules_free(r);

    /* the cache turned off: compiled, silently (asked for) */
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, "", file, NULL, &s, &err), CHAFF_OK);
    assert_int_equal(s.n, 0);
    assert_int_equal(r->part[0].mapped, 0);
    chaff_rules_free(r);
    rmrf(dir);
}

/* ---- the shipped database and --rules-db ----------------------------------- */

static void test_shipped_and_file(void **state)
{
    (void)state;
    char dir[64], cache[128], folder[128], db[128], shipped_db[128];
    tmpdir(dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(folder, sizeof folder, "%s/rules", dir);
    snprintf(db, sizeof db, "%s/all.db", dir);
    snprintf(shipped_db, sizeof shipped_db, "%s/rules.db", dir);
    assert_int_equal(mkdir(folder, 0755), 0);
    char en[160];
    snprintf(en, sizeof en, "%s/en", folder);
    assert_int_equal(mkdir(en, 0755), 0);
    put(en, "share.rules", rules_text);
    chaff_error err;
    struct said s = {0};

    /* what make does: the folder into rules.db beside it */
    chaff_rules_config c;
    chaff_rules_config_init(&c);
    const char *in[1] = {folder};
    c.paths = in;
    c.n_paths = 1;
    assert_int_equal(chaff_rules_compile(&c, shipped_db, &err), CHAFF_OK);

    /* a run with that folder as the default loads rules.db: no compile */
    chaff_rules_config_init(&c);
    c.shipped = folder;
    c.cache_dir = cache;
    c.notice = on_notice;
    c.notice_ud = &s;
    chaff_rules *r = NULL;
    assert_int_equal(chaff_rules_open(&r, &c, &err), CHAFF_OK);
    assert_int_equal(s.n, 0);
    assert_int_equal(r->n_parts, 1);
    assert_int_equal(r->part[0].mapped, 1);
    /* the paths are the folder's as found, not as built */
    assert_non_null(strstr(r->files[0].path, "/rules/en/share.rules"));
    assert_int_equal(r->v[0].langs, lang_from_code("en", 2));
    assert_int_equal(n_hits(r, "share this"), 1);
    chaff_rules_free(r);
    assert_int_equal(count_prefix(cache, "rules-", ".db"), 0);

    /* the folder edited: rules.db no longer stands for it, so the rules
     * are compiled into the cache, saying why */
    put(en, "share.rules", "@category c\n= share that\n");
    memset(&s, 0, sizeof s);
    assert_int_equal(chaff_rules_open(&r, &c, &err), CHAFF_OK);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.msg[0], "does not match the rules it stands for"));
    assert_int_equal(n_hits(r, "share that"), 1);
    chaff_rules_free(r);

    /* --compile-rules -o FILE and --rules-db FILE, and -R beside it */
    chaff_rules_config_init(&c);
    c.shipped = folder;
    assert_int_equal(chaff_rules_compile(&c, db, &err), CHAFF_OK);
    put(dir, "more.rules", "@category d\n= more\n");
    char more[160];
    snprintf(more, sizeof more, "%s/more.rules", dir);
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, cache, more, db, &s, &err), CHAFF_OK);
    assert_int_equal(r->n_parts, 2);
    assert_int_equal(chaff_rules_count(r), 2);
    assert_int_equal(n_hits(r, "share that"), 1);
    assert_int_equal(n_hits(r, "more"), 1);
    assert_string_equal(r->categories[r->v[1].category], "d");
    size_t k;
    assert_non_null(chaff_rules_file(r, 1, &k));
    assert_int_equal(k, 1);
    assert_null(chaff_rules_file(r, 2, &k));
    chaff_rules_free(r);

    /* a --rules-db file others may write to is not used */
    assert_int_equal(chmod(db, 0666), 0);
    assert_int_equal(open_rules(&r, cache, NULL, db, &s, &err), CHAFF_E_RULES);
    assert_non_null(strstr(err.msg, "others may write to it"));
    assert_int_equal(chmod(db, 0644), 0);
    /* nor a damaged one: every byte counts */
    int fd = open(db, O_RDWR);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    for (off_t at = 100; at < st.st_size; at += st.st_size / 7) {
        unsigned char b;
        assert_int_equal(pread(fd, &b, 1, at), 1);
        b ^= 0x20;
        assert_int_equal(pwrite(fd, &b, 1, at), 1);
        assert_int_equal(open_rules(&r, cache, NULL, db, &s, &err), CHAFF_E_RULES);
        assert_non_null(strstr(err.msg, "not usable"));
        b ^= 0x20;
        assert_int_equal(pwrite(fd, &b, 1, at), 1);
    }
    close(fd);
    assert_int_equal(open_rules(&r, cache, NULL, db, &s, &err), CHAFF_OK);
    chaff_rules_free(r);
    rmrf(dir);
}

/* ---- a crafted cache file ------------------------------------------------ */

/* The Vectorscan database of ../shared/repro/crafted-cache-hs-….db:
 * hs_serialized_database_info() finds nothing wrong with it, and its
 * first scan crashes (its offsets point anywhere). */
static char *crafted_bytes(size_t *len)
{
    const char *path = unit_path("tests/fixtures/rules-db-crafted/crafted-hs.db");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char b[1 << 18];
    *len = fread(b, 1, sizeof b, f);
    fclose(f);
    char *info = NULL;
    assert_int_equal(hs_serialized_database_info(b, *len, &info), HS_SUCCESS);
    libc_free(info);
    return b;
}

static void test_crafted_cache(void **state)
{
    (void)state;
    char dir[64], cache[128], file[128];
    tmpdir(dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(file, sizeof file, "%s/site.rules", dir);
    put(dir, "site.rules", rules_text);
    chaff_rules *r = NULL;
    chaff_error err;
    struct said s = {0};
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    chaff_rules_free(r);

    /* An attacker who can write the cache file but not read the key makes
     * a well-formed database around the crafted Vectorscan bytes: the same
     * rules and source digest, every checksum but the MAC recomputed. */
    struct chaff_rules *set = chaff_xcalloc(1, sizeof *set);
    assert_non_null(set);
    assert_int_equal(rules_parse_text(set, file, rules_text, strlen(rules_text), 0xffffffffu, &err),
                     CHAFF_OK);
    size_t clen;
    char *crafted = crafted_bytes(&clen);
    hs_database_t *bad = NULL;
    assert_int_equal(hs_deserialize_database(crafted, clen, &bad), HS_SUCCESS);
    void *image, *heap;
    size_t len;
    assert_int_equal(rules_build(set, NULL, &image, &len, &heap, &err), CHAFF_OK);
    uint8_t source[B2B_OUT], wrong_key[B2B_KEY];
    memcpy(source, rdb_source(image, len), B2B_OUT);
    chaff_xfree(heap);
    memset(wrong_key, 0x5a, sizeof wrong_key);
    struct rdb_input in = {
        .r = set, .cpu_features = rdb_cpu_features(), .source = source, .key = wrong_key};
    in.hs[0] = bad;
    in.hs_max_chars[0] = UINT32_MAX;
    in.n_hs = 1;
    assert_int_equal(rdb_write(&in, &image, &len, &heap), CHAFF_OK);
    hs_free_database(bad);
    /* over the cache file */
    char name[300], path[700];
    snprintf(name, sizeof name, "ls '%s' | grep '^rules-.*\\.db$'", cache);
    FILE *p = popen(name, "r");
    assert_non_null(p);
    assert_non_null(fgets(name, sizeof name, p));
    pclose(p);
    name[strcspn(name, "\n")] = '\0';
    snprintf(path, sizeof path, "%s/%s", cache, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(image, 1, len, f), len);
    fclose(f);
    chaff_xfree(heap);
    chaff_rules_free(set);

    /* rejected with a message, rebuilt, and the scan is sound */
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.msg[0], "failed verification"));
    assert_int_equal(n_hits(r, "follow us on twitter"), 1);
    assert_int_equal(n_hits(r, "share this"), 1);
    chaff_rules_free(r);
    /* and stays rebuilt */
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    assert_int_equal(s.n, 0);
    chaff_rules_free(r);

    /* the bare reproducer given as a database is refused */
    char bare[128];
    snprintf(bare, sizeof bare, "%s/bare.db", dir);
    f = fopen(bare, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(crafted, 1, clen, f), clen);
    fclose(f);
    assert_int_equal(open_rules(&r, cache, NULL, bare, &s, &err), CHAFF_E_RULES);
    assert_string_equal(err.msg, "not usable: not a rules database");
    rmrf(dir);
}

/* ---- an unsafe or planted cache folder --------------------------------------- */

static void test_unsafe_folder(void **state)
{
    (void)state;
    char dir[64], cache[128], file[128], link[128], victim[128];
    tmpdir(dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(file, sizeof file, "%s/site.rules", dir);
    put(dir, "site.rules", rules_text);
    chaff_rules *r = NULL;
    chaff_error err;
    struct said s = {0};

    /* others may write to it: not used, said once, still works */
    assert_int_equal(mkdir(cache, 0775), 0);
    assert_int_equal(chmod(cache, 0775), 0);
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.msg[0], "not cached: the cache folder"));
    assert_non_null(strstr(s.msg[0], "others may write to it (mode 775)"));
    assert_int_equal(n_hits(r, "share this"), 1);
    chaff_rules_free(r);
    assert_int_equal(count_prefix(cache, "", ""), 0); /* nothing written */

    /* a symlink to a folder: not followed */
    snprintf(link, sizeof link, "%s/link", dir);
    assert_int_equal(chmod(cache, 0700), 0);
    assert_int_equal(symlink(cache, link), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, link, file, NULL, &s, &err), CHAFF_OK);
    assert_non_null(strstr(s.msg[0], "symbolic link"));
    chaff_rules_free(r);
    assert_int_equal(count_prefix(cache, "rules-", ".db"), 0);

    /* another user's folder (as root only: chown) */
    if (geteuid() == 0) {
        char other[128];
        snprintf(other, sizeof other, "%s/other", dir);
        assert_int_equal(mkdir(other, 0700), 0);
        assert_int_equal(chown(other, 65534, 65534), 0);
        memset(&s, 0, sizeof s);
        assert_int_equal(open_rules(&r, other, file, NULL, &s, &err), CHAFF_OK);
        assert_non_null(strstr(s.msg[0], "belongs to another user"));
        chaff_rules_free(r);
    }

    /* planted in a good folder: a FIFO at the database's name (must not
     * hang), and a symlink at it to a file that must not be written */
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    chaff_rules_free(r);
    char name[300], path[700];
    snprintf(name, sizeof name, "ls '%s' | grep '^rules-.*\\.db$'", cache);
    FILE *p = popen(name, "r");
    assert_non_null(p);
    assert_non_null(fgets(name, sizeof name, p));
    pclose(p);
    name[strcspn(name, "\n")] = '\0';
    snprintf(path, sizeof path, "%s/%s", cache, name);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(20); /* a hang fails the test */
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    alarm(0);
    assert_non_null(strstr(s.msg[0], "not a regular file"));
    chaff_rules_free(r);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode)); /* replaced by a real database */

    snprintf(victim, sizeof victim, "%s/victim", dir);
    put(dir, "victim", "precious\n");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(victim, path), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    chaff_rules_free(r);
    FILE *f = fopen(victim, "r");
    char text[32] = "";
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_string_equal(text, "precious\n");
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    rmrf(dir);
}

static void test_prune(void **state)
{
    (void)state;
    char dir[64], cache[128], file[128], victim_dir[128];
    tmpdir(dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(file, sizeof file, "%s/site.rules", dir);
    snprintf(victim_dir, sizeof victim_dir, "%s/victims", dir);
    assert_int_equal(mkdir(cache, 0700), 0);
    assert_int_equal(mkdir(victim_dir, 0700), 0);
    /* six stale databases, oldest first; a symlink named like one, to a
     * file elsewhere; a symlinked folder; an old bare Vectorscan dump */
    char path[400];
    for (int i = 0; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "rules-%016d.db", i);
        put(cache, name, "stale");
        snprintf(path, sizeof path, "%s/%s", cache, name);
        struct timespec t[2] = {{1000000 + i, 0}, {1000000 + i, 0}};
        assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
    }
    put(victim_dir, "rules-deadbeefdeadbeef.db", "not ours");
    snprintf(path, sizeof path, "%s/rules-0000000000000099.db", cache);
    char target[400];
    snprintf(target, sizeof target, "%s/rules-deadbeefdeadbeef.db", victim_dir);
    assert_int_equal(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/rules-dir.db", cache);
    assert_int_equal(symlink(victim_dir, path), 0);
    put(cache, "hs-0123456789abcdef.db", "old dump");

    put(dir, "site.rules", rules_text);
    chaff_rules *r = NULL;
    chaff_error err;
    struct said s = {0};
    assert_int_equal(open_rules(&r, cache, file, NULL, &s, &err), CHAFF_OK);
    chaff_rules_free(r);
    /* four regular databases remain, the new one and the newest stale */
    snprintf(path, sizeof path, "%s/rules-%016d.db", cache, 0);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/rules-%016d.db", cache, 5);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/hs-0123456789abcdef.db", cache);
    assert_int_equal(access(path, F_OK), -1);
    /* links untouched, and what they point at */
    assert_int_equal(access(target, F_OK), 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "find '%s' -maxdepth 1 -type f -name 'rules-*.db' | wc -l", cache);
    FILE *p = popen(cmd, "r");
    unsigned n = 0;
    assert_int_equal(fscanf(p, "%u", &n), 1);
    pclose(p);
    assert_int_equal(n, RCACHE_KEEP);
    rmrf(dir);
}

static void test_lock(void **state)
{
    (void)state;
    char dir[64];
    tmpdir(dir);
    struct rcache c;
    rcache_open(&c, dir);
    assert_true(c.dirfd >= 0);
    bool waited = true;
    int fd = rcache_lock(&c, "rules-x.db", &waited);
    assert_true(fd >= 0);
    assert_false(waited);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the child waits for the parent's lock (the copy of the parent's
         * descriptor it inherited would hold it: flock locks belong to the
         * open file) */
        close(fd);
        bool w = false;
        int cfd = rcache_lock(&c, "rules-x.db", &w);
        _exit(cfd >= 0 && w ? 0 : 1);
    }
    struct timespec t = {0, 200000000};
    nanosleep(&t, NULL);
    rcache_unlock(fd);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    rcache_close(&c);
    rmrf(dir);
}

/* ---- --check-rules and the budgets -------------------------------------------- */

static void test_every_error(void **state)
{
    (void)state;
    char dir[64], file[128];
    tmpdir(dir);
    snprintf(file, sizeof file, "%s/bad.rules", dir);
    /* three errors, and between them good rules; a costly pattern */
    put(dir, "bad.rules",
        "@category c\n"
        "= fine\n"
        "@catgory x\n" /* 3 */
        "= fine too\n"
        "~ (?<=a)b\n"                   /* 5: Vectorscan's, in our words */
        "next x = a\n"                  /* 6 */
        "~ ^[\\p{L} ]{3,30}\\. news$\n" /* costly: a warning */
        "= \xe3\x80\x80\n");            /* 8 */
    chaff_rules_config c;
    chaff_rules_config_init(&c);
    const char *paths[1] = {file};
    c.paths = paths;
    c.n_paths = 1;
    c.cache_dir = "";
    c.flags = CHAFF_RULES_CHECK;
    struct said s = {0};
    c.on_error = on_error;
    c.error_ud = &s;
    c.notice = on_notice;
    c.notice_ud = &s;
    chaff_rules *r = NULL;
    chaff_error err;
    assert_int_equal(chaff_rules_open(&r, &c, &err), CHAFF_E_RULES);
    assert_null(r);
    assert_int_equal(s.errors, 4);
    assert_true(said_has(&s, "3:1: unknown directive '@catgory'"));
    assert_true(said_has(&s, "5:3: bad regex: look-around is not available"));
    assert_true(said_has(&s, "6:6: bad number 'x' (expected 1 to 65535)"));
    assert_true(said_has(&s, "8:3: pattern is empty after normalization"));
    assert_true(said_has(&s, ":7:4: warning: slow to compile as written ('[\\p{L} ]{3,30}'"));
    rmrf(dir);
}

static void test_budgets(void **state)
{
    (void)state;
    /* a rule with 300 alternatives took 508 s and 935 MB: rejected at
     * once, at its position, in our words */
    struct buf b;
    buf_init(&b, 0);
    buf_adds(&b, "@category c\n= ok\n~ ^((");
    for (int i = 0; i < 300; i++)
        buf_addf(&b, "%sw%dx%c", i ? "|" : "", i, 'a' + i % 26);
    buf_adds(&b, ") ?){2,5}$\n");
    struct chaff_rules r;
    memset(&r, 0, sizeof r);
    chaff_error err;
    assert_int_equal(rules_parse_text(&r, "t.rules", b.p, b.len, 0xffffffffu, &err), CHAFF_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(rules_compile(&r, &err), CHAFF_E_RULES);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 3);
    assert_string_equal(err.msg, "regex with 300 alternatives (at most 201)");
    struct chaff_rules *heap = chaff_xmalloc(sizeof *heap);
    *heap = r;
    chaff_rules_free(heap);

    /* too long */
    buf_reset(&b);
    buf_adds(&b, "@category c\n~ x");
    for (int i = 0; i < RX_MAX_LEN; i++)
        buf_addc(&b, 'a');
    buf_adds(&b, "\n");
    memset(&r, 0, sizeof r);
    assert_int_equal(rules_parse_text(&r, "t.rules", b.p, b.len, 0xffffffffu, &err), CHAFF_OK);
    assert_int_equal(rules_compile(&r, &err), CHAFF_E_RULES);
    assert_string_equal(err.msg, "regex longer than 2048 bytes");
    heap = chaff_xmalloc(sizeof *heap);
    *heap = r;
    chaff_rules_free(heap);

    /* a costly pattern with a cheaper superset is compiled as that and
     * checked: accepted (x.{40}y is compiled, \p{L} checked) */
    buf_reset(&b);
    buf_adds(&b, "@category c\n~ x\\p{L}{40}y\n");
    memset(&r, 0, sizeof r);
    assert_int_equal(rules_parse_text(&r, "t.rules", b.p, b.len, 0xffffffffu, &err), CHAFF_OK);
    assert_int_equal(rules_compile(&r, &err), CHAFF_OK);
    assert_int_equal(r.v[0].form, RF_VERIFIED);
    heap = chaff_xmalloc(sizeof *heap);
    *heap = r;
    chaff_rules_free(heap);

    /* too costly, and nothing to make cheaper: an exact count of a
     * hundred words, unanchored (compiled, it would take long) */
    buf_reset(&b);
    buf_adds(&b, "@category c\n~ x(");
    for (int i = 0; i < 100; i++)
        buf_addf(&b, "%sword%02d", i ? "|" : "", i);
    buf_adds(&b, "){40}y\n");
    memset(&r, 0, sizeof r);
    assert_int_equal(rules_parse_text(&r, "t.rules", b.p, b.len, 0xffffffffu, &err), CHAFF_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(rules_compile(&r, &err), CHAFF_E_RULES);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 5);
    assert_int_equal(err.col, 4);
    assert_non_null(strstr(err.msg, "regex too costly to compile"));
    heap = chaff_xmalloc(sizeof *heap);
    *heap = r;
    chaff_rules_free(heap);
    buf_free(&b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_compile_once),  cmocka_unit_test(test_shipped_and_file),
    cmocka_unit_test(test_crafted_cache), cmocka_unit_test(test_unsafe_folder),
    cmocka_unit_test(test_prune),         cmocka_unit_test(test_lock),
    cmocka_unit_test(test_every_error),   cmocka_unit_test(test_budgets),
};

UNIT_MAIN(tests)
