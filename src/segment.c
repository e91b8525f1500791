/*
 * segment.c — lines, their two forms and their features.
 *
 * Features are what the classifier reasons with: length in characters and
 * an "effective length" in which each Han or kana character weighs three
 * (one Chinese character carries about as much as three Latin letters, so
 * unspaced text is not mistaken for a short menu item), words for spaced
 * scripts, terminal punctuation of every script, separator tokens, list
 * bullets and left-over placeholders.  ASCII bytes are classified through
 * a constant table (so threads share it without initialisation); other
 * code points through ICU's general category; the rest of a run of ASCII
 * letters and digits, or of Han characters, is counted whole.  One pass
 * per line, no allocation; the counts live in locals during the pass
 * (stores through f could alias s and would be redone for every
 * character).  Counts that struct seg_feat keeps in 16 bits saturate at
 * UINT16_MAX instead of wrapping on a very long line.
 */
#include "segment.h"

#include <stdint.h>
#include <string.h>
#include <unicode/uchar.h>

#include "hash.h"
#include "normalize.h"

/* ASCII byte classes.  L letter, D digit, S space, P punctuation/symbol,
 * T terminal punctuation (also P), X separator candidate (also P). */
enum { CL = 1, CD = 2, CS = 4, CP = 8, CT = 16, CX = 32 };

/* Letters A-Z a-z; digits; space and tab; every other printable is P;
 * . ! ? are also T; | / > - ~ < * \ are also X; other controls and DEL
 * are nothing.  Rows of 8 from 0x00. */
static const unsigned char ascii_class[128] =
    {
        0,  0,       0,       0,  0,  0,       0,       0,       0,  CS,      0,  0,  0,
        0,  0,       0,       0,  0,  0,       0,       0,       0,  0,       0,  0,  0,
        0,  0,       0,       0,  0,  0,       CS,      CP | CT, CP, CP,      CP, CP, CP,
        CP,                                                      /*  !"#$%&' */
        CP, CP,      CP | CX, CP, CP, CP | CX, CP | CT, CP | CX, /* ()*+,-./ */
        CD, CD,      CD,      CD, CD, CD,      CD,      CD,      CD, CD,      CP, CP, CP | CX,
        CP, CP | CX, CP | CT,                               /* 89:;<=>? */
        CP, CL,      CL,      CL, CL, CL,      CL,      CL, /* @A-G */
        CL, CL,      CL,      CL, CL, CL,      CL,      CL,      CL, CL,      CL, CL, CL,
        CL, CL,      CL,      CL, CL, CL,      CP,      CP | CX, CP, CP,      CP, /* XYZ[\]^_ */
        CP, CL,      CL,      CL, CL, CL,      CL,      CL,                       /* `a-g */
        CL, CL,      CL,      CL, CL, CL,      CL,      CL,      CL, CL,      CL, CL, CL,
        CL, CL,      CL,      CL, CL, CL,      CP,      CP | CX, CP, CP | CX, 0, /* xyz{|}~ DEL */
};

/* A count for a 16-bit field of struct seg_feat: saturated, not wrapped. */
static uint16_t sat16(uint32_t n) { return n > UINT16_MAX ? UINT16_MAX : (uint16_t)n; }

/* Terminal punctuation outside ASCII: keep in sync with the README's
 * description of sentence-like lines. */
static int is_terminal(uint32_t c)
{
    switch (c) {
    case 0x2026: /* … */
    case 0x3002: /* 。 */
    case 0xff01: /* ！ */
    case 0xff1f: /* ？ */
    case 0xff0e: /* ． */
    case 0xff61: /* ｡ */
    case 0x061f: /* ؟ arabic question mark */
    case 0x06d4: /* ۔ urdu full stop */
    case 0x0964: /* । danda */
    case 0x0965: /* ॥ */
    case 0x1362: /* ። ethiopic */
    case 0x203c:
    case 0x2047:
    case 0x2048:
    case 0x2049:
    case 0x203d:
    case 0x037e: /* greek question mark (NFC maps it to ';') */
    case 0xff1b: /* ； */ return 1;
    }
    return 0;
}

/* Closing quotes and brackets that may follow a sentence's final stop. */
static int is_closer(uint32_t c)
{
    return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0x201d || c == 0x2019 ||
           c == 0xbb || c == 0x203a || c == 0xff09 || c == 0x300d || c == 0x300f || c == 0x3011 ||
           c == 0x3009 || c == 0x300b || c == 0xff02 || c == 0x201c || c == 0x2018;
}

/* Separator characters between navigation items. */
static int is_sep(uint32_t c)
{
    return c == 0xbb || c == 0xab || c == 0x203a || c == 0x2039 || c == 0xb7 || c == 0x2022 ||
           c == 0x2013 || c == 0x2014 || c == 0xff5c || c == 0x2192 || c == 0x25b8 || c == 0x25ba ||
           c == 0x30fb || c == 0xff0f || c == 0xff1e;
}

static int is_bullet(uint32_t c)
{
    return c == 0x2022 || c == 0x25e6 || c == 0x25aa || c == 0x25ab || c == 0x25a0 || c == 0x25a1 ||
           c == 0x25cf || c == 0x25cb || c == 0x25ba || c == 0x25b6 || c == 0xb7 || c == '*' ||
           c == '+' || c == '-' || c == 0x2013 || c == 0x2023 || c == 0x2043 || c == 0x25c6 ||
           c == 0x25c7 || c == 0x2605 || c == 0x2606 || c == 0x203a || c == 0xbb || c == 0x30fb ||
           c == 0xff65 || c == 0x2027 || c == 0x2219 || c == 0x25b8 || c == 0x25b7;
}

#ifdef UNIT_TESTING
int seg_fast_runs = 1;
#else
enum { seg_fast_runs = 1 };
#endif

/* Han characters every Unicode version since 11.0 has assigned in the
 * main block (general category Lo), which seg_features counts in runs:
 * U+4E00 .. U+9FEF. */
#define HAN_RUN_FIRST 0x4e00u
#define HAN_RUN_N (0x9ff0u - HAN_RUN_FIRST)

/* Inline, with everything below kana answered by the first test: the
 * features ask it of most characters. */
static inline int is_cjk(uint32_t c)
{
    if (c < 0x3040)
        return 0;
    return (c >= 0x3040 && c < 0x3100) || (c >= 0x3400 && c < 0x4dc0) ||
           (c >= 0x4e00 && c < 0xa000) || (c >= 0xf900 && c < 0xfb00) ||
           (c >= 0x20000 && c < 0x32000) || (c >= 0x31f0 && c < 0x3200);
}

static int has_sub(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = s, *end = s + len; (size_t)(end - p) >= n; p++) {
        p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (!p)
            return 0;
        if (memcmp(p, needle, n) == 0)
            return 1;
    }
    return 0;
}

void seg_features(const char *s, size_t len, struct seg_feat *f, uint32_t hist[SCRIPT_COUNT])
{
    memset(f, 0, sizeof *f);
    uint32_t script_n[SCRIPT_COUNT] = {0};
    uint32_t n_chars = 0, n_letters = 0, n_digits = 0, n_punct = 0, n_cjk = 0, n_words = 0;
    uint32_t n_seps = 0, n_stops = 0, n_upper = 0, n_lower = 0;
    uint32_t shape = 2166136261u, n_shape = 0;
    int in_word = 0, word_has_alnum = 0;
    uint32_t last = 0, last_nonspace = 0, prev_nonspace = 0;
    int prev_space = 1;
    uint32_t first = 0, second = 0;
    int first_set = 0;
    uint32_t sep_pending = 0; /* a separator seen after a space, awaiting its right side */
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        uint32_t c;
        int letter = 0, digit = 0, space = 0, punct = 0;
        int8_t type = 0; /* ICU's general category, for characters past ASCII */
        if (b == ' ' && seg_fast_runs && first_set == 2 && !sep_pending && i + 1 < len &&
            (unsigned char)s[i + 1] < 0x80 && (ascii_class[(unsigned char)s[i + 1]] & (CL | CD))) {
            /* A space before an ASCII word: the general step ends the word
             * before it and counts the space; the word's first character
             * adds its case (for title-case runs) and a sentence break
             * after a terminal mark; the rest of the step is the one below
             * for the rest of a word, which takes the word from there. */
            n_words += in_word && word_has_alnum;
            n_chars++;
            b = (unsigned char)s[++i];
            if (ascii_class[b] & CL) {
                n_upper += b <= 'Z';
                n_lower += b > 'Z';
                n_stops += prev_nonspace < 0x80 ? (ascii_class[prev_nonspace] & CT) != 0
                                                : is_terminal(prev_nonspace) != 0;
            }
            prev_space = 0;
        }
        if (b < 0x80 && (ascii_class[b] & (CL | CD)) && !prev_space && !sep_pending &&
            first_set == 2 && seg_fast_runs) {
            /* The rest of an ASCII word: for a letter or digit that follows
             * a non-space, with no separator pending and the first two
             * characters known, the general step below only counts it and
             * makes it the previous character.  Take the whole run here. */
            size_t j = i;
            do {
                unsigned char k = ascii_class[b];
                n_letters += k & CL;
                script_n[SCRIPT_LATIN] += k & CL;
                n_digits += (k & CD) >> 1;
                j++;
            } while (j < len && (b = (unsigned char)s[j]) < 0x80 && (ascii_class[b] & (CL | CD)));
            n_chars += (uint32_t)(j - i);
            c = (unsigned char)s[j - 1];
            i = j;
            in_word = word_has_alnum = 1;
            prev_nonspace = last_nonspace = last = c;
            continue;
        }
        if (b < 0x80) {
            c = b;
            i++;
            unsigned char k = ascii_class[b];
            letter = k & CL;
            digit = k & CD;
            space = k & CS;
            punct = k & CP;
            if (letter)
                script_n[SCRIPT_LATIN]++;
        } else {
            if (b >= 0xe4 && b <= 0xe9 && first_set == 2 && last - HAN_RUN_FIRST < HAN_RUN_N &&
                seg_fast_runs) {
                /* The rest of a run of Han characters (U+4E00 to U+9FEF, three
                 * bytes each, every one a letter of general category Lo): after
                 * one of them, the general step only counts the next one and
                 * makes it the previous character, as for an ASCII word. */
                size_t j = i;
                uint32_t run = 0;
                c = last;
                while (j + 2 < len) {
                    unsigned char b0 = (unsigned char)s[j], b1 = (unsigned char)s[j + 1],
                                  b2 = (unsigned char)s[j + 2];
                    if (b0 < 0xe4 || b0 > 0xe9 || (b1 & 0xc0) != 0x80 || (b2 & 0xc0) != 0x80)
                        break;
                    uint32_t h = ((b0 & 0x0fu) << 12) | ((b1 & 0x3fu) << 6) | (b2 & 0x3fu);
                    if (h - HAN_RUN_FIRST >= HAN_RUN_N)
                        break;
                    c = h;
                    run++;
                    j += 3;
                }
                if (run) {
                    n_chars += run;
                    n_letters += run;
                    n_cjk += run;
                    script_n[SCRIPT_HAN] += run;
                    i = j;
                    prev_nonspace = last_nonspace = last = c;
                    continue;
                }
            }
            c = norm_next(s, len, &i);
            int8_t t = type = u_charType((UChar32)c);
            if (t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || t == U_COMBINING_SPACING_MARK ||
                t == U_FORMAT_CHAR)
                continue;
            if (norm_is_space(c))
                space = 1;
            else if (t >= U_UPPERCASE_LETTER && t <= U_OTHER_LETTER)
                letter = 1;
            else if (t == U_DECIMAL_DIGIT_NUMBER || t == U_LETTER_NUMBER || t == U_OTHER_NUMBER)
                digit = 1;
            else
                punct = 1;
            if (letter) {
                script_n[lang_script_of(c)]++;
                if (is_cjk(c))
                    n_cjk++;
            }
        }
        if (!first_set && !space) {
            first = c;
            first_set = 1;
        } else if (first_set == 1) {
            second = c;
            first_set = 2;
        }
        if (punct && n_shape < 3 && first_set) {
            shape = (shape ^ c) * 16777619u;
            n_shape++;
        }
        n_chars++;
        n_letters += letter ? 1u : 0u;
        n_digits += digit ? 1u : 0u;
        n_punct += punct ? 1u : 0u;
        /* words: a token counts when it holds a letter or digit that is not Han/kana */
        if (space) {
            if (in_word && word_has_alnum)
                n_words++;
            in_word = word_has_alnum = 0;
        } else {
            if (!in_word && letter) {
                /* the case of a word's first character: title-case runs */
                int8_t t = c < 0x80
                               ? (c >= 'A' && c <= 'Z' ? U_UPPERCASE_LETTER : U_LOWERCASE_LETTER)
                               : type;
                n_upper += t == U_UPPERCASE_LETTER || t == U_TITLECASE_LETTER;
                n_lower += t == U_LOWERCASE_LETTER;
            }
            in_word = 1;
            if ((letter || digit) && !is_cjk(c))
                word_has_alnum = 1;
        }
        /* separators: a separator character with white space or a CJK
         * character on at least one side, between two items */
        int sep = (c < 0x80 ? (ascii_class[c] & CX) != 0 : is_sep(c));
        if (sep_pending && !space) {
            if (!(c < 0x80 ? (ascii_class[c] & CX) : is_sep(c)))
                n_seps++;
            sep_pending = 0;
        }
        if (sep && (((prev_space || is_cjk(prev_nonspace)) && prev_nonspace) ||
                    (!prev_space && (i < len && (s[i] == ' ' || is_cjk(last))))))
            sep_pending = c;
        /* sentence breaks inside the line */
        if (!space && last && (c < 0x80 ? ascii_class[c] & CL : letter) && (last == ' ') &&
            (prev_nonspace < 0x80 ? (ascii_class[prev_nonspace] & CT) != 0
                                  : is_terminal(prev_nonspace)))
            n_stops++;
        if (letter && is_cjk(c) &&
            (prev_nonspace == 0x3002 || prev_nonspace == 0xff01 || prev_nonspace == 0xff1f))
            n_stops++;
        if (!space) {
            prev_nonspace = c;
            last_nonspace = c;
        }
        prev_space = space;
        last = space ? ' ' : c;
    }
    if (in_word && word_has_alnum)
        n_words++;
    (void)last_nonspace;
    f->n_chars = n_chars;
    f->n_letters = n_letters;
    f->n_digits = n_digits;
    f->n_punct = n_punct;
    f->n_cjk = n_cjk;
    f->n_words = n_words;
    f->n_seps = sat16(n_seps);
    f->n_stops = sat16(n_stops);
    if (n_shape) {
        int lead_digit =
            first < 0x80 ? (ascii_class[first] & CD) != 0 : u_isdigit((UChar32)first) != 0;
        f->shape = ((shape ^ (lead_digit ? 2u : 1u)) * 16777619u) | 1u;
    }
    f->n_upper = sat16(n_upper);
    f->n_lower = sat16(n_lower);

    /* terminal punctuation: the last character that is not a closer */
    size_t j = len;
    while (j > 0) {
        size_t k = j - 1;
        while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
            k--;
        size_t t = k;
        uint32_t c = norm_next(s, len, &t);
        j = k;
        if (norm_is_space(c) || is_closer(c))
            continue;
        f->terminal = (c < 0x80 ? (ascii_class[c] & CT) != 0 || c == ';' : is_terminal(c)) ? 1 : 0;
        break;
    }
    f->elen = f->n_chars + 2 * f->n_cjk;
    /* a bullet, or the 'o' text browsers draw nested list items with */
    if ((first_set && is_bullet(first) && (second == ' ' || second == 0xa0 || first_set == 1)) ||
        (first == 'o' && second == ' ' && len > 2))
        f->bullet = 1;
    else if (first >= '0' && first <= '9') {
        size_t k = 0;
        while (k < len && s[k] >= '0' && s[k] <= '9')
            k++;
        if (k < 4 && k + 1 < len && (s[k] == '.' || s[k] == ')') && s[k + 1] == ' ')
            f->bullet = 2;
    }
    f->sep_lead = first_set &&
                  (first < 0x80 ? (first == '/' || first == '|' || first == '>') : is_sep(first)) &&
                  second == ' ';
    if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
        f->bracketed = 1;
    if ((len >= 7 && (memcmp(s, "IFRAME:", 7) == 0 || memcmp(s, "IMAGE:", 6) == 0)))
        f->bracketed = 1;
    f->url = (has_sub(s, len, "http://") || has_sub(s, len, "https://") || has_sub(s, len, "www."))
                 ? 1
                 : 0;
    uint32_t best = 0;
    for (int k = 1; k < SCRIPT_COUNT; k++) {
        if (script_n[k])
            f->scripts |= (uint16_t)(1u << k);
        if (script_n[k] > best) {
            best = script_n[k];
            f->script = (uint8_t)k;
        }
        if (hist)
            hist[k] += script_n[k];
    }
}

void seg_scratch_init(struct seg_scratch *s)
{
    buf_init(&s->out, 0);
    buf_init(&s->key, 0);
}

void seg_scratch_free(struct seg_scratch *s)
{
    buf_free(&s->out);
    buf_free(&s->key);
}

chaff_status seg_doc(struct doc *d, struct seg_scratch *s, const char *text, size_t len)
{
    uint32_t n = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        n++;
        p = nl ? nl + 1 : end;
    }
    d->lines = arena_alloc(d->arena, (size_t)(n ? n : 1) * sizeof *d->lines);
    if (!d->lines)
        return CHAFF_E_NOMEM;
    memset(d->script_hist, 0, sizeof d->script_hist);
    uint32_t i = 0, nb = 0;
    for (const char *p = text, *end = text + len; p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = (size_t)((nl ? nl : end) - p);
        struct line *L = &d->lines[i];
        memset(L, 0, sizeof *L);
        L->rule = -1;
        L->sec_pct = 255;
        L->p = -1.0f;
        /* indentation of the input line (columns; a tab counts 4, a
         * no-break or ideographic space 1): text browsers indent lists,
         * quotes and table cells, which says where a line sat */
        {
            uint32_t ind = 0;
            for (size_t k = 0; k < ll && ind < 255; k++) {
                unsigned char b = (unsigned char)p[k];
                if (b == ' ')
                    ind++;
                else if (b == '\t')
                    ind += 4;
                else if (b == 0xc2 && k + 1 < ll && (unsigned char)p[k + 1] == 0xa0)
                    ind++, k++;
                else if (b == 0xe3 && k + 2 < ll && (unsigned char)p[k + 1] == 0x80 &&
                         (unsigned char)p[k + 2] == 0x80)
                    ind++, k += 2;
                else
                    break;
            }
            L->indent = (uint8_t)(ind > 255 ? 255 : ind);
        }
        /* the output form: the trimmed line itself when it is NFC (nearly
         * every line), else its normalised copy in the arena */
        size_t b, e;
        norm_trim(p, ll, &b, &e);
        if (e - b > UINT32_MAX / 2)
            return CHAFF_E_TOOBIG;
        if (norm_is_nfc(p + b, e - b)) {
            L->text = e > b ? p + b : "";
            L->len = (uint32_t)(e - b);
        } else {
            buf_reset(&s->out);
            if (norm_output(p, ll, &s->out))
                return s->out.err;
            if (s->out.len > UINT32_MAX / 2)
                return CHAFF_E_TOOBIG;
            L->len = (uint32_t)s->out.len;
            if (s->out.len == e - b && memcmp(s->out.p, p + b, e - b) == 0)
                L->text = p + b; /* NFC after all (the quick check said maybe) */
            else
                L->text = arena_strndup(d->arena, s->out.p, s->out.len);
            if (!L->text)
                return CHAFF_E_NOMEM;
        }
        if (L->len) {
            L->nb = nb++;
            seg_features(L->text, L->len, &L->f, d->script_hist);
            if (L->len <= DOC_KEY_MAX) {
                buf_reset(&s->key);
                if (norm_key(L->text, L->len, &s->key))
                    return s->key.err;
                L->key = arena_strndup(d->arena, s->key.p ? s->key.p : "", s->key.len);
                if (!L->key)
                    return CHAFF_E_NOMEM;
                L->key_len = (uint32_t)s->key.len;
                L->key_hash = (uint32_t)hash_key(L->key, L->key_len);
            }
        }
        p = nl ? nl + 1 : end;
    }
    d->n_lines = i;
    d->n_nonblank = nb;
    if (s->out.cap > ((size_t)1 << 20)) /* after a long line that was not NFC */
        buf_free(&s->out);
    return CHAFF_OK;
}

chaff_status key_index_init(struct key_index *x, struct arena *a, uint32_t n)
{
    x->cap = 64;
    while (x->cap < n * 2u)
        x->cap *= 2;
    x->slot = arena_alloc(a, (size_t)x->cap * sizeof *x->slot);
    if (!x->slot)
        return CHAFF_E_NOMEM;
    memset(x->slot, 0xff, (size_t)x->cap * sizeof *x->slot);
    return CHAFF_OK;
}

int32_t *key_index_slot(const struct key_index *x, const struct doc *d, const struct line *L)
{
    for (uint32_t s = L->key_hash & (x->cap - 1);; s = (s + 1) & (x->cap - 1)) {
        int32_t i = x->slot[s];
        if (i < 0)
            return &x->slot[s];
        const struct line *F = &d->lines[i];
        if (F->key_len == L->key_len && memcmp(F->key, L->key, L->key_len) == 0)
            return &x->slot[s];
    }
}
