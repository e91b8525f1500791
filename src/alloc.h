/*
 * alloc.h — the library's allocator, behind chaff_set_allocator().
 *
 * Every allocation in libchaff goes through these three calls so that an
 * embedder's allocator is honoured and tests can inject failures: under
 * UNIT_TESTING, alloc_fail_after(n) makes the (n+1)-th allocation from now
 * fail (n < 0 turns injection off).
 */
#ifndef CHAFF_ALLOC_H
#define CHAFF_ALLOC_H

#include <stddef.h>

/* malloc/realloc/free through the configured allocator.  chaff_xfree(NULL)
 * is a no-op; chaff_xrealloc(NULL, n) allocates. */
void *chaff_xmalloc(size_t n);
void *chaff_xcalloc(size_t n, size_t size);
void *chaff_xrealloc(void *p, size_t n);
void chaff_xfree(void *p);

/* Copy of the first n bytes of s, NUL-terminated; NULL on failure. */
char *chaff_xstrndup(const char *s, size_t n);
char *chaff_xstrdup(const char *s);

#ifdef UNIT_TESTING
void alloc_fail_after(long n);
#endif

/* STATIC: file-local, except in unit tests where tests may call it. */
#ifdef UNIT_TESTING
#define STATIC
#else
#define STATIC static
#endif

/* Checks that hold by construction: asserted in debug builds, and in
 * release builds the guarded branch is still taken defensively. */
#include <assert.h>
#define ALWAYS(x) (assert(x), (x))
#define NEVER(x) (assert(!(x)), (x))

#endif
