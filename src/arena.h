/*
 * arena.h — bump allocator for one document's lifetime.
 *
 * Everything a document needs (line forms, keys, features, hits) comes from
 * its arena and is released at once by arena_reset(); nothing is freed one
 * by one.  The arena keeps its largest block across resets so a stream of
 * similar documents allocates nothing after the first.  A cap bounds the
 * total, so memory stays bounded by the document cap.
 */
#ifndef CHAFF_ARENA_H
#define CHAFF_ARENA_H

#include <stddef.h>

struct arena_block;
struct arena {
    struct arena_block *head;
    size_t used_total; /* bytes handed out since the last reset */
    size_t max;        /* cap on used_total; 0 = none */
};

void arena_init(struct arena *a, size_t max);
/* n bytes aligned for any object, or NULL (out of memory or over the cap).
 * Valid until arena_reset/arena_free. */
void *arena_alloc(struct arena *a, size_t n);
/* Copy of n bytes plus a NUL terminator. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Release everything handed out; keeps one block for reuse. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
