/*
 * embed.h — data files compiled into libchaff (scripts/embed.sh writes the
 * tables at build time): the stop-word lists and the line model.
 */
#ifndef CHAFF_EMBED_H
#define CHAFF_EMBED_H

#include <stddef.h>

struct embed_file {
    const char *name; /* the path it was made from ("rules/en/stopwords.txt"); NULL ends a table */
    const char *data; /* its bytes, followed by a NUL not counted in len */
    size_t len;
};

/* rules/<lang>/stopwords.txt of every language pack */
extern const struct embed_file embed_stopwords[];
/* model/line.model */
extern const struct embed_file embed_model[];

#endif
