/*
 * rules_cache.h — the folder of compiled rule databases, and opening
 * database files safely (rules_cache.c).
 */
#ifndef CHAFF_RULES_CACHE_H
#define CHAFF_RULES_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blake2b.h"
#include "chaff.h"

#define RCACHE_KEEP 4       /* databases kept; the least recently used go */
#define RCACHE_KEEP_SEEN 64 /* "seen" records kept */

/* What identifies a file's contents without reading them: its device,
 * inode, size, and modification and change times (the change time is
 * set by the kernel on every write and cannot be set back). */
struct file_id {
    uint64_t dev, ino, size, mtime_s, mtime_ns, ctime_s, ctime_ns;
};
struct stat;
void file_id_of(const struct stat *st, struct file_id *id);

struct rcache {
    int dirfd;            /* the folder, or -1: no cache */
    char path[1024];      /* its path (for messages) */
    uint8_t key[B2B_KEY]; /* this user's secret: cache files are tagged with it */
    char why[256];        /* dirfd < 0: why not, "" when turned off */
};

/*
 * Open the cache folder: dir, or when dir is NULL $CHAFF_CACHE_DIR, else
 * $XDG_CACHE_HOME/chaff, else $HOME/.cache/chaff; the empty string turns
 * the cache off.  The folder is made (mode 0700) when missing, and used
 * only when it is a real folder (not a symlink) owned by this user that
 * nobody else may write to; its secret key (the file `key`, 0600) is read,
 * or made from getrandom().  Otherwise c->dirfd is -1 and c->why says why.
 */
void rcache_open(struct rcache *c, const char *dir);
void rcache_close(struct rcache *c);

/* Map the cache file name (a regular file of this user, symlinks not
 * followed) read-only and mark it recently used.  CHAFF_E_IO when absent
 * (why "") or unusable (why says how). */
chaff_status rcache_map(const struct rcache *c, const char *name, void **image, size_t *len,
                        struct file_id *id, char why[160]);

/*
 * "Seen" records: a value this user's chaff worked out once and stored
 * under a question (the identity of a database file whose tag was
 * checked, the identities of rule files whose digest was computed), so
 * an unchanged file is not read and hashed again at every run.  A record
 * carries a MAC with the user's key.  get returns true and fills value
 * when there is a valid record; put stores one (best effort).
 */
bool rcache_seen_get(const struct rcache *c, const void *what, size_t n, uint8_t value[B2B_OUT]);
void rcache_seen_put(const struct rcache *c, const void *what, size_t n,
                     const uint8_t value[B2B_OUT]);

/* Take name's lock (name.lock, flock) for compiling it; *waited is true
 * when another process held it.  Returns the lock's descriptor, or -1 when
 * locking is not possible (then compile without it). */
int rcache_lock(const struct rcache *c, const char *name, bool *waited);
void rcache_unlock(int fd);

/* Store len bytes as name: a new temporary file (O_CREAT|O_EXCL|O_NOFOLLOW,
 * 0600) renamed into place, then prune the folder to RCACHE_KEEP
 * databases.  CHAFF_E_IO with why on failure. */
chaff_status rcache_store(const struct rcache *c, const char *name, const void *bytes, size_t len,
                          char why[160]);

/* Map the database file at path read-only: regular files only (a FIFO or
 * a device is refused, never waited on), and only one no other user could
 * have written (rules_cache.c, trusted_file).  CHAFF_E_IO with why
 * (errno's text, lowercase) when it cannot be read, *absent when it does
 * not exist; CHAFF_E_RULES with why when it is not trusted. */
chaff_status rdb_map_path(const char *path, void **image, size_t *len, bool *absent,
                          struct file_id *id, char why[160]);

/* Write a database file to path: a new temporary file beside it
 * (O_CREAT|O_EXCL|O_NOFOLLOW) renamed over it, so readers see the old file
 * or the new one.  CHAFF_E_IO with why. */
chaff_status rdb_save(const char *path, const void *bytes, size_t len, char why[160]);

#endif
