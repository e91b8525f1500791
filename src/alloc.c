/*
 * alloc.c — allocation through an embedder-supplied hook.
 *
 * The hook is a process-wide setting made once before use (like
 * sqlite3_config): reading it needs no lock.  Failure injection for unit
 * tests counts allocations down and fails one, so each error path that
 * handles CHAFF_E_NOMEM can be exercised.
 */
#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "chaff.h"

static chaff_allocator g_alloc;
static int g_have_alloc;

#ifdef UNIT_TESTING
/* atomic: the filter's worker threads allocate too */
static _Atomic long g_fail_after = -1;
void alloc_fail_after(long n) { atomic_store(&g_fail_after, n); }
static int inject(void)
{
    long n = atomic_load(&g_fail_after);
    while (n >= 0)
        if (atomic_compare_exchange_weak(&g_fail_after, &n, n - 1))
            return n == 0; /* the count reached 0: this one fails, and no more */
    return 0;
}
#else
#define inject() 0
#endif

void chaff_set_allocator(const chaff_allocator *a)
{
    if (a && a->alloc && a->resize && a->release) {
        g_alloc = *a;
        g_have_alloc = 1;
    } else {
        g_have_alloc = 0;
    }
}

void *chaff_xmalloc(size_t n)
{
    if (inject())
        return NULL;
    if (n == 0)
        n = 1;
    return g_have_alloc ? g_alloc.alloc(g_alloc.ud, n) : malloc(n);
}

void *chaff_xcalloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    if (!g_have_alloc) {
        /* the C library's calloc: a large block comes as pages the kernel
         * zeroes when first touched, so a big table (a match scratch's
         * memo) costs nothing at start-up that is never used */
        if (inject())
            return NULL;
        return n && size ? calloc(n, size) : calloc(1, 1);
    }
    void *p = chaff_xmalloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *chaff_xrealloc(void *p, size_t n)
{
    if (inject())
        return NULL;
    if (n == 0)
        n = 1;
    return g_have_alloc ? g_alloc.resize(g_alloc.ud, p, n) : realloc(p, n);
}

void chaff_xfree(void *p)
{
    if (!p)
        return;
    if (g_have_alloc)
        g_alloc.release(g_alloc.ud, p);
    else
        free(p);
}

char *chaff_xstrndup(const char *s, size_t n)
{
    char *d = chaff_xmalloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *chaff_xstrdup(const char *s) { return chaff_xstrndup(s, strlen(s)); }
