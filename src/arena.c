/*
 * arena.c — bump allocator (see arena.h).
 *
 * Blocks form a list, newest first; a request larger than the default block
 * size gets a block of its own.  Reset keeps the largest block.
 */
#include "arena.h"

#include <stdalign.h>
#include <string.h>

#include "alloc.h"

#define ARENA_BLOCK ((size_t)256 * 1024)

struct arena_block {
    struct arena_block *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a, size_t max)
{
    a->head = NULL;
    a->used_total = 0;
    a->max = max;
}

void *arena_alloc(struct arena *a, size_t n)
{
    const size_t al = alignof(max_align_t);
    if (n > (size_t)-1 - sizeof(struct arena_block) - al)
        return NULL; /* rounding up would wrap */
    n = (n + al - 1) & ~(al - 1);
    if (n == 0)
        n = al;
    if (a->max && (n > a->max || a->used_total > a->max - n))
        return NULL;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = chaff_xmalloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used_total += n;
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void arena_reset(struct arena *a)
{
    struct arena_block *keep = NULL;
    for (struct arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        if (!keep || b->size > keep->size) {
            chaff_xfree(keep);
            keep = b;
        } else {
            chaff_xfree(b);
        }
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->used_total = 0;
}

void arena_free(struct arena *a)
{
    for (struct arena_block *b = a->head, *next; b; b = next) {
        next = b->next;
        chaff_xfree(b);
    }
    a->head = NULL;
    a->used_total = 0;
}
