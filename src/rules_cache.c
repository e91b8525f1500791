/*
 * rules_cache.c — where compiled rule databases are kept between runs,
 * and how database files are opened (rules_cache.h).
 *
 * Why so careful.  The cache folder may be shared or planted on: symlinks
 * at temporary names made root's chaff overwrite a root-only file, a FIFO
 * at the cache path hung every run, and pruning followed a symlinked
 * folder and deleted unrelated files (issue 10, row 2).  So: the folder is
 * opened once, without following a symlink, and used only when this user
 * owns it and nobody else may write to it; every later step works
 * relative to that descriptor (openat, renameat, unlinkat), so a path
 * swapped afterwards changes nothing.  Files are opened with O_NOFOLLOW
 * and O_NONBLOCK and must be regular files of this user; new files are
 * made with O_CREAT|O_EXCL|O_NOFOLLOW under a random name and renamed
 * into place, so a reader never sees half a file and nothing planted is
 * written through.  Pruning considers regular files of our own names only
 * and unlinks entries, which never follows a link.
 *
 * Trust.  The folder check keeps others' files out; the secret key (made
 * from getrandom(), mode 0600) makes every cache file carry a MAC
 * (rules_db.c), so a file that did get in, or was damaged, is rejected.
 *
 * Locks.  Compiling the shipped rules takes seconds; processes started
 * together (a cluster's workers) take name.lock with flock and the later
 * ones wait, then load what the first one wrote.
 */
#include "rules_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rules_db.h"

/* errno's text in house style: lowercase. */
static void errtext(char *dst, size_t n, const char *what, int e)
{
    snprintf(dst, n, "%s%s", what, strerror(e));
    size_t at = strlen(what);
    if (dst[at] >= 'A' && dst[at] <= 'Z')
        dst[at] = (char)(dst[at] + 32);
}

/* mkdir -p for path, the last folder with mode 0700 (the XDG rule). */
static int make_dirs(const char *path)
{
    char tmp[1024];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* Read this user's key, or make one.  0, or -1 with c->why. */
static int load_key(struct rcache *c)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        int fd = openat(c->dirfd, "key", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            struct stat st;
            ssize_t got = -1;
            if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                (st.st_mode & 077) == 0 && st.st_size == B2B_KEY)
                got = read(fd, c->key, B2B_KEY);
            close(fd);
            if (got == B2B_KEY)
                return 0;
            snprintf(c->why, sizeof c->why, "its key file is not a private file of this user");
            return -1;
        }
        if (errno != ENOENT) {
            errtext(c->why, sizeof c->why, "cannot read its key: ", errno);
            return -1;
        }
        /* make one under a temporary name, then link it in: link fails
         * when another process made the key first, and we read theirs */
        uint8_t k[B2B_KEY];
        if (getrandom(k, sizeof k, 0) != (ssize_t)sizeof k) {
            errtext(c->why, sizeof c->why, "no random key: ", errno);
            return -1;
        }
        char tmp[64];
        snprintf(tmp, sizeof tmp, "key.%ld.%02x%02x%02x.tmp", (long)getpid(), k[0], k[1], k[2]);
        fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            errtext(c->why, sizeof c->why, "cannot write its key: ", errno);
            return -1;
        }
        int ok = write(fd, k, sizeof k) == (ssize_t)sizeof k && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        int linked = ok ? linkat(c->dirfd, tmp, c->dirfd, "key", 0) : -1;
        int e = errno;
        unlinkat(c->dirfd, tmp, 0);
        if (linked == 0) {
            memcpy(c->key, k, sizeof k);
            return 0;
        }
        if (!ok || e != EEXIST) {
            errtext(c->why, sizeof c->why, "cannot write its key: ", ok ? e : EIO);
            return -1;
        }
    }
    snprintf(c->why, sizeof c->why, "its key file keeps changing");
    return -1;
}

void rcache_open(struct rcache *c, const char *dir)
{
    memset(c, 0, sizeof *c);
    c->dirfd = -1;
    const char *env;
    if (!dir && (env = getenv("CHAFF_CACHE_DIR")) != NULL)
        dir = env;
    if (dir) {
        if (!*dir)
            return; /* turned off */
        snprintf(c->path, sizeof c->path, "%s", dir);
    } else if ((env = getenv("XDG_CACHE_HOME")) && *env) {
        snprintf(c->path, sizeof c->path, "%s/chaff", env);
    } else if ((env = getenv("HOME")) && *env) {
        snprintf(c->path, sizeof c->path, "%s/.cache/chaff", env);
    } else {
        snprintf(c->why, sizeof c->why, "no cache folder (HOME is not set)");
        return;
    }
    if (make_dirs(c->path) != 0 && errno != EEXIST) {
        errtext(c->why, sizeof c->why, "cannot make it: ", errno);
        return;
    }
    int fd = open(c->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            snprintf(c->why, sizeof c->why, "it is a symbolic link or not a folder");
        else
            errtext(c->why, sizeof c->why, "cannot open it: ", errno);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(c->why, sizeof c->why, "it is not a folder");
        close(fd);
        return;
    }
    if (st.st_uid != geteuid()) {
        snprintf(c->why, sizeof c->why, "it belongs to another user");
        close(fd);
        return;
    }
    if (st.st_mode & 022) {
        snprintf(c->why, sizeof c->why, "others may write to it (mode %03o)",
                 (unsigned)(st.st_mode & 0777));
        close(fd);
        return;
    }
    c->dirfd = fd;
    if (load_key(c) != 0) {
        close(fd);
        c->dirfd = -1;
    }
}

void rcache_close(struct rcache *c)
{
    if (c->dirfd >= 0)
        close(c->dirfd);
    c->dirfd = -1;
}

void file_id_of(const struct stat *st, struct file_id *id)
{
    memset(id, 0, sizeof *id);
    id->dev = (uint64_t)st->st_dev;
    id->ino = (uint64_t)st->st_ino;
    id->size = (uint64_t)st->st_size;
    id->mtime_s = (uint64_t)st->st_mtim.tv_sec;
    id->mtime_ns = (uint64_t)st->st_mtim.tv_nsec;
    id->ctime_s = (uint64_t)st->st_ctim.tv_sec;
    id->ctime_ns = (uint64_t)st->st_ctim.tv_nsec;
}

/* Map the open file fd (already checked to be regular, size st_size). */
static chaff_status map_fd(int fd, const struct stat *st, void **image, size_t *len, char why[160])
{
    if (st->st_size < 64 || (uint64_t)st->st_size > RDB_MAX_SIZE) {
        snprintf(why, 160, "not a rules database (size %lld)", (long long)st->st_size);
        return CHAFF_E_IO;
    }
    void *p = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        errtext(why, 160, "cannot map it: ", errno);
        return CHAFF_E_IO;
    }
    *image = p;
    *len = (size_t)st->st_size;
    return CHAFF_OK;
}

chaff_status rcache_map(const struct rcache *c, const char *name, void **image, size_t *len,
                        struct file_id *id, char why[160])
{
    why[0] = '\0';
    if (c->dirfd < 0)
        return CHAFF_E_IO;
    int fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            errtext(why, 160, "cannot open it: ", errno);
        return CHAFF_E_IO;
    }
    struct stat st;
    chaff_status s = CHAFF_E_IO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        snprintf(why, 160, "not a regular file");
    else if (st.st_uid != geteuid())
        snprintf(why, 160, "it belongs to another user");
    else if ((s = map_fd(fd, &st, image, len, why)) == CHAFF_OK) {
        /* recently used, for pruning: at most once an hour, since a touch
         * changes the identity that the file's "seen" record knows */
        if (time(NULL) - st.st_mtim.tv_sec > 3600 && futimens(fd, NULL) == 0)
            fstat(fd, &st);
        file_id_of(&st, id);
    }
    close(fd);
    return s;
}

int rcache_lock(const struct rcache *c, const char *name, bool *waited)
{
    *waited = false;
    if (c->dirfd < 0)
        return -1;
    char lock[300];
    snprintf(lock, sizeof lock, "%s.lock", name);
    int fd = openat(c->dirfd, lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
    if (errno != EWOULDBLOCK) {
        close(fd);
        return -1;
    }
    *waited = true;
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

void rcache_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

/* Does name look like a file of ours: prefix, hex digits, suffix? */
static bool our_name(const char *name, const char *prefix, const char *suffix)
{
    size_t p = strlen(prefix);
    if (strncmp(name, prefix, p) != 0)
        return false;
    size_t n = strlen(name), k = strlen(suffix);
    return n > p + k && strcmp(name + n - k, suffix) == 0;
}

/* Keep the folder small: every edit of a rule set leaves a database
 * behind, so beyond RCACHE_KEEP the least recently used go (rcache_map
 * refreshes a file's time), with their locks; temporary files a crash
 * left behind go after an hour. */
static void prune(const struct rcache *c, const char *prefix, const char *suffix, unsigned keep)
{
    time_t now = time(NULL);
    for (int round = 0; round < 1000; round++) {
        int fd = dup(c->dirfd);
        DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
        if (!dp) {
            if (fd >= 0)
                close(fd);
            return;
        }
        rewinddir(dp);
        char oldest[256] = "";
        struct timespec when = {0, 0};
        unsigned n = 0;
        struct dirent *e;
        while ((e = readdir(dp)) != NULL) {
            struct stat st;
            if (fstatat(c->dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                !S_ISREG(st.st_mode) || st.st_uid != geteuid())
                continue;
            if ((our_name(e->d_name, "rules-", ".tmp") || our_name(e->d_name, "seen-", ".tmp") ||
                 our_name(e->d_name, "key.", ".tmp")) &&
                now - st.st_mtim.tv_sec > 3600) {
                unlinkat(c->dirfd, e->d_name, 0);
                continue;
            }
            /* the bare Vectorscan dumps of chaff before the database
             * format, 20 MB each, read by no chaff that writes this one */
            if (our_name(e->d_name, "hs-", ".db") && strlen(e->d_name) == 22) {
                unlinkat(c->dirfd, e->d_name, 0);
                continue;
            }
            if (!our_name(e->d_name, prefix, suffix) || strstr(e->d_name, ".tmp") ||
                strlen(e->d_name) >= sizeof oldest)
                continue;
            n++;
            if (!*oldest || st.st_mtim.tv_sec < when.tv_sec ||
                (st.st_mtim.tv_sec == when.tv_sec && st.st_mtim.tv_nsec < when.tv_nsec)) {
                when = st.st_mtim;
                snprintf(oldest, sizeof oldest, "%s", e->d_name);
            }
        }
        closedir(dp);
        if (n <= keep || !*oldest)
            return;
        unlinkat(c->dirfd, oldest, 0);
        char lock[300];
        snprintf(lock, sizeof lock, "%s.lock", oldest);
        unlinkat(c->dirfd, lock, 0);
    }
}

chaff_status rcache_store(const struct rcache *c, const char *name, const void *bytes, size_t len,
                          char why[160])
{
    why[0] = '\0';
    if (c->dirfd < 0)
        return CHAFF_E_IO;
    char tmp[320];
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
        uint8_t r[4];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            memset(r, attempt, sizeof r);
        snprintf(tmp, sizeof tmp, "%s.%ld.%02x%02x%02x%02x.tmp", name, (long)getpid(), r[0], r[1],
                 r[2], r[3]);
        fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        errtext(why, 160, "", errno);
        return CHAFF_E_IO;
    }
    const char *p = bytes;
    size_t left = len;
    int e = 0;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            e = w < 0 ? errno : ENOSPC;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && renameat(c->dirfd, tmp, c->dirfd, name) != 0)
        e = errno;
    if (e) {
        unlinkat(c->dirfd, tmp, 0);
        errtext(why, 160, "", e);
        return CHAFF_E_IO;
    }
    if (strncmp(name, "seen-", 5) == 0)
        prune(c, "seen-", "", RCACHE_KEEP_SEEN);
    else
        prune(c, "rules-", ".db", RCACHE_KEEP);
    return CHAFF_OK;
}

/* A database runs inside Vectorscan unchecked once its tag holds, and an
 * unkeyed tag proves nothing about who wrote it: so a file that another
 * user could have written (not ours or root's, writable by group or
 * others, or in a folder others may write to without the sticky bit) is
 * not used. */
static bool trusted_file(const char *path, const struct stat *st, char why[160])
{
    if (st->st_uid != geteuid() && st->st_uid != 0) {
        snprintf(why, 160, "it belongs to another user");
        return false;
    }
    if (st->st_mode & 022) {
        snprintf(why, 160, "others may write to it (mode %03o)", (unsigned)(st->st_mode & 0777));
        return false;
    }
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat ds;
    if (stat(dir, &ds) == 0 && (ds.st_mode & 022) && !(ds.st_mode & S_ISVTX)) {
        snprintf(why, 160, "others may write to its folder");
        return false;
    }
    return true;
}

chaff_status rdb_map_path(const char *path, void **image, size_t *len, bool *absent,
                          struct file_id *id, char why[160])
{
    why[0] = '\0';
    *absent = false;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *absent = errno == ENOENT;
        errtext(why, 160, "", errno);
        return CHAFF_E_IO;
    }
    struct stat st;
    chaff_status s = CHAFF_E_IO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        snprintf(why, 160, "not a regular file");
    else if (!trusted_file(path, &st, why))
        s = CHAFF_E_RULES;
    else if ((s = map_fd(fd, &st, image, len, why)) == CHAFF_OK)
        file_id_of(&st, id);
    close(fd);
    return s;
}

chaff_status rdb_save(const char *path, const void *bytes, size_t len, char why[160])
{
    why[0] = '\0';
    char tmp[4200];
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
        uint8_t r[4];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            memset(r, attempt, sizeof r);
        int k = snprintf(tmp, sizeof tmp, "%s.%ld.%02x%02x%02x%02x.tmp", path, (long)getpid(), r[0],
                         r[1], r[2], r[3]);
        if (k < 0 || (size_t)k >= sizeof tmp) {
            snprintf(why, 160, "path too long");
            return CHAFF_E_IO;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        errtext(why, 160, "", errno);
        return CHAFF_E_IO;
    }
    const char *p = bytes;
    size_t left = len;
    int e = 0;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            e = w < 0 ? errno : ENOSPC;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        errtext(why, 160, "", e);
        return CHAFF_E_IO;
    }
    return CHAFF_OK;
}

/* The record's file name: a keyed digest of the question. */
static void seen_name(const struct rcache *c, const void *what, size_t n, char name[64])
{
    uint8_t d[8];
    b2b(d, sizeof d, c->key, B2B_KEY, what, n);
    snprintf(name, 64, "seen-%02x%02x%02x%02x%02x%02x%02x%02x", d[0], d[1], d[2], d[3], d[4], d[5],
             d[6], d[7]);
}

/* The MAC of a record: the question and its value, keyed. */
static void seen_mac(const struct rcache *c, const void *what, size_t n,
                     const uint8_t value[B2B_OUT], uint8_t mac[B2B_OUT])
{
    struct b2b h;
    b2b_init(&h, B2B_OUT, c->key, B2B_KEY);
    static const char tag[] = "chaff seen";
    b2b_update(&h, tag, sizeof tag);
    b2b_update(&h, what, n);
    b2b_update(&h, value, B2B_OUT);
    b2b_final(&h, mac);
}

bool rcache_seen_get(const struct rcache *c, const void *what, size_t n, uint8_t value[B2B_OUT])
{
    if (c->dirfd < 0)
        return false;
    char name[64];
    seen_name(c, what, n, name);
    int fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    uint8_t rec[2 * B2B_OUT], mac[B2B_OUT];
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
              read(fd, rec, sizeof rec) == (ssize_t)sizeof rec;
    close(fd);
    if (!ok)
        return false;
    seen_mac(c, what, n, rec, mac);
    if (memcmp(mac, rec + B2B_OUT, B2B_OUT) != 0)
        return false;
    memcpy(value, rec, B2B_OUT);
    return true;
}

void rcache_seen_put(const struct rcache *c, const void *what, size_t n,
                     const uint8_t value[B2B_OUT])
{
    if (c->dirfd < 0)
        return;
    char name[64], why[160];
    uint8_t rec[2 * B2B_OUT];
    seen_name(c, what, n, name);
    memcpy(rec, value, B2B_OUT);
    seen_mac(c, what, n, value, rec + B2B_OUT);
    (void)rcache_store(c, name, rec, sizeof rec, why);
}
