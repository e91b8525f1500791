/*
 * blake2b.h — BLAKE2b (RFC 7693), plain and keyed, for the rule database
 * files: the digest of the rule sources a database was built from, and
 * the tag over a database file (a MAC when keyed, see rules_db.c).
 *
 * Usage: b2b_init(), any number of b2b_update(), b2b_final(); or b2b()
 * for one buffer.  The state holds no pointers and may be copied.
 */
#ifndef CHAFF_BLAKE2B_H
#define CHAFF_BLAKE2B_H

#include <stddef.h>
#include <stdint.h>

#define B2B_OUT 32 /* the digest length chaff uses, bytes */
#define B2B_KEY 32 /* the key length chaff uses, bytes */

struct b2b {
    uint64_t h[8];
    uint64_t t[2];
    uint8_t b[128];
    size_t c; /* bytes in b */
    size_t outlen;
};

/* Start a digest of outlen bytes (1..64) keyed with key[0..keylen)
 * (keylen 0..64; 0 = unkeyed).  Returns 0, or -1 on a bad length. */
int b2b_init(struct b2b *s, size_t outlen, const void *key, size_t keylen);
void b2b_update(struct b2b *s, const void *in, size_t n);
/* Write the digest (s->outlen bytes) to out.  s is spent. */
void b2b_final(struct b2b *s, void *out);
/* One buffer: out[0..outlen) = BLAKE2b(key, in).  0, or -1 on a bad length. */
int b2b(void *out, size_t outlen, const void *key, size_t keylen, const void *in, size_t n);

#endif
