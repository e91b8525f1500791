/*
 * doc.h — one document in flight: its lines, their two forms, features,
 * rule hits and decisions.  Shared by segment.c (fills lines and features),
 * classify.c (decides), emit.c (writes) and filter_doc.c (owns the lifecycle).
 *
 * Everything hangs off the document's arena and is released at once when
 * the next document starts.
 */
#ifndef CHAFF_DOC_H
#define CHAFF_DOC_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "lang.h"

/* Lines longer than this (bytes) get no match key: no rule can hit them,
 * and they are judged on their features alone.  Chrome is short. */
#define DOC_KEY_MAX 4096

struct seg_feat {
    uint32_t n_chars;   /* code points, marks excluded */
    uint32_t n_letters; /* letters of any script */
    uint32_t n_digits;
    uint32_t n_punct;  /* punctuation and symbols */
    uint32_t n_cjk;    /* Han and kana: unspaced scripts */
    uint32_t n_words;  /* space-separated tokens holding a letter or digit */
    uint32_t elen;     /* effective length: n_chars + 2 per Han/kana char,
                          so unspaced text is not judged "short" */
    uint16_t n_seps;   /* separator tokens: | » › · • / > - between items */
    uint16_t n_stops;  /* sentence breaks inside the line */
    uint16_t n_upper;  /* words whose first character is an upper-case letter */
    uint16_t n_lower;  /* words whose first character is a lower-case letter */
    uint32_t shape;    /* the line's look: whether it starts with a letter or a
                          digit and its first three punctuation marks, hashed;
                          0 without punctuation ("June 9 – Tampa, FL @ …") */
    uint8_t terminal;  /* ends in terminal punctuation of any script */
    uint8_t bullet;    /* 1 = starts with a list bullet, 2 = numbered item */
    uint8_t bracketed; /* the whole line is [..] or an IFRAME:/IMAGE: left-over */
    uint8_t url;       /* holds a URL */
    uint8_t sep_lead;  /* starts with a separator ("/ Outlet", "» More") */
    uint8_t script;    /* dominant script (enum lang_script) */
    uint16_t scripts;  /* bit s: letters of script s occur */
};

enum line_class { LC_BLANK = 0, LC_BAD, LC_SHORT, LC_NEAR, LC_GOOD };

/* Why a line was kept or dropped; see emit.c for the explain wording. */
enum reason {
    R_NONE = 0,
    R_BLANK,       /* blank line */
    R_RULE,        /* a rule's own match */
    R_RULE_RANGE,  /* inside a next/para/rest/before/block range of a rule */
    R_KEEP_RULE,   /* protected by a keep rule */
    R_WEAK,        /* weak rule hit confirmed by context */
    R_GOOD,        /* long sentence-like text */
    R_NEAR,        /* short sentence-like text next to article text */
    R_CONTEXT,     /* short line took its neighbours' class */
    R_HEADING,     /* short line right before article text */
    R_HEAD,        /* short-line cluster at the head that touches chrome */
    R_TAIL,        /* short-line cluster at the tail that touches chrome */
    R_HEAD_CLEAN,  /* head lines kept: no chrome near them */
    R_TAIL_CLEAN,  /* tail lines kept: no chrome near them */
    R_NAV,         /* separator-heavy navigation line */
    R_LIST,        /* run of short list items (menu) */
    R_NONWORD,     /* short line of digits and symbols */
    R_PLACEHOLDER, /* [image] / IFRAME: left-over */
    R_BUDGET,      /* kept: the removal budget made generic rules back off */
    R_LONGLINE,    /* too long to judge: kept */
    R_OFFMAIN,     /* a section of text far smaller than the article */
    R_REPEAT,      /* repeats another line of the document */
    R_THREAD,      /* a comment thread or dated list after the article */
    R_TEASERS,     /* a list of cut-off teasers after the article */
    R_COLON_LIST,  /* short lines of a list the article introduces with ':' */
    R_SHAPED_LIST, /* a run of lines of one look right after the article's text */
    R_MODEL,       /* the line model's score against its threshold */
    R_COUNT        /* the number of reasons */
};

struct line {
    const char *text; /* output form (NFC, trimmed): in the document's text, or
                         in the arena when normalisation changed it; len bytes,
                         not NUL-terminated */
    uint32_t len;
    const char *key; /* match key, or NULL (blank, or over DOC_KEY_MAX) */
    uint32_t key_len;
    uint32_t key_hash; /* hash_key of the key: repeats are found by it */
    struct seg_feat f;
    uint32_t nb;              /* index among non-blank lines */
    uint32_t hit0, n_hits;    /* rule ids in doc.hits[hit0 .. hit0+n_hits) */
    uint8_t init;             /* class from features and rules, before context */
    uint8_t cls;              /* class after context */
    uint8_t keep;             /* final decision */
    uint8_t protect;          /* 1 = keep rule, 2 = site-scoped drop wins */
    uint8_t why;              /* enum reason */
    uint8_t nb_prev, nb_next; /* neighbour classes seen by context rules */
    int32_t rule;             /* rule id behind the decision, or -1 */
    uint32_t fig;             /* a figure for explain (cluster length, …) */
    uint32_t lang_mask;       /* languages the line is written in (stopwords.c) */
    uint16_t n_stop;          /* its stop words … */
    uint16_t n_sw_words;      /* … of this many words looked up */
    uint8_t indent;           /* leading white space of the input line, in columns (saturated) */
    uint8_t range;            /* inside a strong rule's range: 1 next/para/block, 2 rest/before */
    uint8_t h_why;            /* the hand-written pipeline's reason, a feature of the model */
    uint8_t sec_pct;          /* its section's weight, % of the main one's; 255 = none */
    float p;                  /* the line model's content probability; -1 = not asked */
};

struct doc {
    struct arena *arena;
    struct line *lines;
    uint32_t n_lines;
    uint32_t n_nonblank;
    uint32_t *hits;
    uint32_t n_hits;
    uint32_t langs;      /* languages the document's scripts allow (lang.h) */
    uint32_t langs_text; /* languages its running text is in (stopwords.c) */
    bool langs_given;    /* langs came from the caller (--lang): every line is in them */
    const char *host;    /* lowercase host of the URL, or NULL */
    uint32_t script_hist[SCRIPT_COUNT];
    bool at_head, at_tail; /* this window holds the document's head/tail */
    bool budget_backoff;
    uint32_t main_last; /* last line of the main section (sections step) */
    uint32_t n_dropped_rule, n_dropped_heur;
};

#endif
