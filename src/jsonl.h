/*
 * jsonl.h — JSON Lines records: find the text field of one line, decode it,
 * and splice cleaned text back into the line.
 *
 * In the `jsonl` framing each input line is one JSON object (RFC 8259).
 * The text to clean is the value of one string member (`text` by default,
 * --field), the page URL that of another (`url`).  A member is named by a
 * dotted path: `metadata.url` is the member "url" of the object that is
 * the value of the top-level member "metadata" (datatrove and dolma keep
 * their metadata so); a key that itself holds a dot cannot be named.
 * Everything
 * else in the line is passed through byte for byte: the output line is the
 * input line with only the text field's value replaced, so field order,
 * spacing, escapes in other members, numbers as written and a leading BOM
 * all survive.
 *
 * Conventions the callers keep:
 *  - The line given to jsonl_parse() has no newline; a CR before the newline
 *    has been set aside by the caller, which writes it back before the
 *    newline (line ends are kept byte for byte).
 *  - The cleaned text inside the JSON value has NO final newline: where the
 *    text framing ends its output with "\n", the jsonl framing drops it, so
 *    a value "para one\n\npara two\n" comes back as "para one\n\npara two".
 *    jsonl_splice() encodes exactly the bytes it is given; removing the
 *    final newline is the emitter's job.
 *  - A line whose field is absent, null or not a string is written out
 *    unchanged; a line that is not valid JSON is written out unchanged and
 *    reported as a warning by the caller.
 */
#ifndef CHAFF_JSONL_H
#define CHAFF_JSONL_H

#include <stddef.h>

#include "buf.h"
#include "chaff.h"

/* Containers may nest this deep (the top-level object counts as one);
 * deeper lines are rejected as malformed rather than risking the stack of
 * a consumer further down the pipeline. */
#define JSONL_MAX_DEPTH 256

/* The members one parse can look for (jsonl_parse_paths). */
enum jsonl_want {
    JSONL_TEXT,  /* the text to clean */
    JSONL_URL,   /* the page URL */
    JSONL_LANG,  /* the record's languages */
    JSONL_ID,    /* the record's id (any value), for headings */
    JSONL_ANNOT, /* where an annotation goes (replaced when present) */
    JSONL_N
};

enum { JSONL_ABSENT = 0, JSONL_STRING = 1, JSONL_OTHER = 2 };

struct jsonl_member {
    size_t start, end; /* byte span of the value in the line, quotes
                          included; both 0 when absent */
    int kind;          /* JSONL_ABSENT, JSONL_STRING or JSONL_OTHER */
};

struct jsonl_rec {
    size_t val_start, val_end;      /* byte span of the text field's value in the
                                       line, quotes included; both 0 when the
                                       field is absent */
    int has_text;                   /* field present and a JSON string */
    int text_is_null;               /* field present but null / not a string
                                       (passed through) */
    int has_url;                    /* url field present and a JSON string */
    struct jsonl_member m[JSONL_N]; /* each member looked for */
    size_t obj_end;                 /* offset of the top-level object's '}' */
    int obj_empty;                  /* the top-level object has no member */
};

/*
 * Parse line[0..len) (no trailing newline) as one JSON object: strict
 * RFC 8259 (no trailing commas, no comments, no NaN/Infinity, no leading
 * zeros, raw control characters in strings rejected, containers nested at
 * most JSONL_MAX_DEPTH deep).  White space around tokens is allowed, and a
 * UTF-8 byte order mark at the start of the line is skipped.
 *
 * For the member at the dotted path `field` (the last occurrence when the key
 * is duplicated, as jq reads it, so earlier ones pass through untouched;
 * keys are compared after decoding, so "te\u0078t" names "text"), rec gets
 * its value span and, when the value is a string, its
 * decoded UTF-8 is appended to *text.  Decoding handles every escape,
 * \uXXXX with surrogate pairs; a lone surrogate escape and each maximal
 * ill-formed UTF-8 subsequence of the raw line become U+FFFD, so *text is
 * always valid UTF-8 (it may contain U+0000 from "\u0000").  Members of
 * nested objects are taken only through a dotted path.  When url_field is not NULL, the decoded
 * value of that string member is appended to *url (url may be
 * NULL when url_field is).  text must not be NULL.
 *
 * Returns CHAFF_OK; CHAFF_E_DATA for malformed JSON, with a short lowercase
 * message in msg such as "expected ',' or '}' at byte 17" (bytes count from
 * 1, like columns, and include a BOM); CHAFF_E_NOMEM or CHAFF_E_TOOBIG
 * from the output buffers (msg says which).  On any error *text and *url are
 * truncated back to their length on entry and rec is zeroed.  *rec is
 * always written; msg is written only on error.  No allocation happens
 * apart from growth of *text and *url, and a small scratch buffer for keys
 * that carry escapes or non-ASCII bytes.
 */
chaff_status jsonl_parse(const char *line, size_t len, const char *field, const char *url_field,
                         struct jsonl_rec *rec, struct buf *text, struct buf *url, char msg[128]);

/*
 * jsonl_parse() for up to JSONL_N members at once: path[k] (a dotted path,
 * or NULL when member k is not wanted) names member k, and when to[k] is
 * not NULL and the member is a string its decoded value is appended to
 * *to[k].  Two paths may name the same member.  Path segments are matched
 * as jsonl_parse() matches field (the last of duplicated keys, at every
 * level; keys compared after decoding); a path walks only into objects,
 * never into arrays.  rec->m[k] gets each member's span and kind, and
 * rec->val_start, val_end, has_text, text_is_null and has_url are filled
 * from members JSONL_TEXT and JSONL_URL as jsonl_parse() fills them.
 * Errors as jsonl_parse(); on error every *to[k] is truncated back.
 */
chaff_status jsonl_parse_paths(const char *line, size_t len, const char *const path[JSONL_N],
                               struct buf *const to[JSONL_N], struct jsonl_rec *rec, char msg[128]);

/*
 * Decode string member m of line[0..len) (as jsonl_parse_paths() found it,
 * kind JSONL_STRING) a part at a time: *at is 0 before the first part and
 * then where the next one starts; each call appends to out the decoded
 * bytes from *at up to the first newline after at least want bytes, or to
 * the string's end, when *at becomes m->end.  The parts joined are the
 * bytes jsonl_parse_paths() appends for the member, so a long text can be
 * decoded and cleaned in parts.  Returns CHAFF_OK, out's sticky error, or
 * CHAFF_E_INVAL when m does not name a string of line or *at is past it.
 */
chaff_status jsonl_string_part(const char *line, size_t len, const struct jsonl_member *m,
                               size_t *at, size_t want, struct buf *out);

/*
 * Append to out: line[0..len) with the span [rec->val_start, rec->val_end)
 * replaced by clean[0..clean_len) encoded as a JSON string, quotes
 * included.  The encoding escapes '"', '\\' and control characters (as
 * \n, \t, \r, \b, \f or \u00XX), escapes U+2028 and U+2029 as \u2028 and
 * \u2029 (so the line is also valid JavaScript), keeps other non-ASCII
 * UTF-8 as it is and turns ill-formed UTF-8 into U+FFFD, so the line stays
 * valid JSON.  When rec->has_text is 0 (field absent, null or not a
 * string) out gets the line unchanged.  Returns out's sticky error:
 * CHAFF_OK, CHAFF_E_NOMEM or CHAFF_E_TOOBIG.
 */
chaff_status jsonl_splice(const char *line, size_t len, const struct jsonl_rec *rec,
                          const char *clean, size_t clean_len, struct buf *out);

/*
 * jsonl_splice(), and also the JSON value annot[0..annot_len) (written as
 * it is) as the top-level member `key`: over the value of that member when
 * rec->m[JSONL_ANNOT] found it (parsed with path[JSONL_ANNOT] = key), else
 * as a new last member.  key NULL: plain jsonl_splice().  When the text
 * field lies inside the annotation's member the annotation is left out.
 * Returns out's sticky error, or CHAFF_E_INVAL when rec does not fit line.
 */
chaff_status jsonl_splice_annot(const char *line, size_t len, const struct jsonl_rec *rec,
                                const char *clean, size_t clean_len, const char *key,
                                const char *annot, size_t annot_len, struct buf *out);

/*
 * jsonl_splice_annot() with an empty text: out gets the record around its
 * text, and *text_at the offset in it (from where out was) between the
 * quotes of the text's value, where the encoded cleaned text goes
 * (SIZE_MAX when rec->has_text is 0).  Lets a caller write the record's
 * bytes before and after the text and encode the text as it comes,
 * without holding it whole.  Same errors as jsonl_splice_annot().
 */
chaff_status jsonl_splice_frame(const char *line, size_t len, const struct jsonl_rec *rec,
                                const char *key, const char *annot, size_t annot_len,
                                struct buf *out, size_t *text_at);

/*
 * Append clean[0..clean_len) to out as the inside of a JSON string (no
 * quotes), with the escaping described at jsonl_splice().  Returns out's
 * sticky error.
 */
chaff_status jsonl_encode(struct buf *out, const char *clean, size_t clean_len);

#endif
