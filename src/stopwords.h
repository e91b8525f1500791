/*
 * stopwords.h — the function words of each language pack and what they
 * say about a line: how much of it is function words (running text has
 * many, a menu or a title few) and which language it is written in.
 *
 * The lists are rules/<lang>/stopwords.txt, compiled into the library at
 * build time (scripts/embed.sh), so the features the line model was trained
 * with are the ones it runs with.
 */
#ifndef CHAFF_STOPWORDS_H
#define CHAFF_STOPWORDS_H

#include <stddef.h>
#include <stdint.h>

#include "doc.h"

#define SW_MAX_LANG 32 /* language ids, as bits of a lang.h mask */

/* What the function words of one line say. */
struct sw_tally {
    uint16_t n_words;               /* words looked up (a Han or kana character is one) */
    uint16_t n_stop;                /* of them, a stop word of some language */
    uint16_t per_lang[SW_MAX_LANG]; /* stop words of each language id */
};

/* Count the stop words of a match key (normalize.h: NFKC_Casefold, spaces
 * collapsed).  Words are runs of letters of any script, an apostrophe
 * allowed inside; each Han or kana character counts as a word of its own;
 * Greek words are looked up without their accents.  Only words of script
 * `script` (enum lang_script; Han and kana count together; SCRIPT_OTHER:
 * every script) are looked up: a Latin "c" on a Greek line ("13°C") says
 * nothing of its language.  Thread-safe. */
void sw_tally_key(const char *key, size_t len, unsigned script, struct sw_tally *t);

/* Languages (mask) whose list holds the word w[0..len) (key form). */
uint32_t sw_lookup(const char *w, size_t len);

/*
 * The language of every line of d, from its stop words: fills
 * line.lang_mask, line.n_stop and line.n_sw_words, and d->langs_text (the
 * languages the document's running text is written in).  A line whose stop
 * words name one language (or name the document's language among others)
 * is in that language; a line with none (a name, a menu item, a headline
 * without function words) may be in any language the document is written
 * in that uses the line's script; a line in a script no such language uses
 * gets the languages d->langs allows for that script.  A line with kana is
 * Japanese; a line mixing scripts is also in the document's languages of
 * each script it uses.  Rules of a language apply only to lines of that
 * language (classify.c).
 */
void sw_doc(struct doc *d);

#endif
