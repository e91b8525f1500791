/*
 * lang.h — language codes known to rule scoping, and the scripts they use.
 *
 * Rules carry a language mask (@lang).  A document's languages come from
 * chaff_options.lang when given, otherwise from the scripts its letters are
 * written in (lang_detect_mask): a rule for English applies to any document
 * with a real share of Latin letters, a rule for Chinese to any document
 * with Han characters.  Script is a coarse but safe signal: chrome on a page
 * is often in the page's script, and a wrong guess only withholds rules,
 * it never drops text on its own.
 */
#ifndef CHAFF_LANG_H
#define CHAFF_LANG_H

#include <stddef.h>
#include <stdint.h>

enum lang_script {
    SCRIPT_OTHER = 0,
    SCRIPT_LATIN,
    SCRIPT_HAN,
    SCRIPT_KANA,
    SCRIPT_HANGUL,
    SCRIPT_CYRILLIC,
    SCRIPT_ARABIC,
    SCRIPT_GREEK,
    SCRIPT_HEBREW,
    SCRIPT_THAI,
    SCRIPT_DEVANAGARI,
    SCRIPT_COUNT
};

/* Bit i of a language mask is language id i (table order in lang.c).
 * LANG_ALL means "any language". */
#define LANG_ALL 0xffffffffu

/* Mask bit of a code such as "en", "zh", "zh-hant" (region/script suffixes
 * are ignored: "zh-tw" is zh), or 0 when unknown.  "any" gives LANG_ALL. */
uint32_t lang_from_code(const char *code, size_t len);
/* Mask from a comma-separated list ("en,de"); 0 if any code is unknown. */
uint32_t lang_from_list(const char *list);
/* Mask bit of an ISO 639-3 code ("eng", "zho", "cmn"; the 639-2/B forms
 * such as "ger" and "chi" too), or 0 when chaff has no rules for it. */
uint32_t lang_from_iso3(const char *code, size_t len);
/* Mask of a record's languages from list[0..len): codes separated by
 * commas (and spaces), each ISO 639-1 ("en", "pt-BR") or 639-3 ("eng").
 * Codes chaff has no rules for are left out; the first of them is copied
 * to bad[16] (NUL-terminated, cut to 15 bytes), else bad[0] is NUL. */
uint32_t lang_from_record(const char *list, size_t len, char bad[16]);
/* Code of the lowest set bit of mask, or "any". */
const char *lang_code(uint32_t mask);
/* Languages whose script has at least the given share of the letters
 * counted in hist[SCRIPT_COUNT] (letters per script). */
uint32_t lang_detect_mask(const uint32_t hist[SCRIPT_COUNT]);
/* Languages of the table written in each script, out[s] (Japanese in
 * kana and Han; none for SCRIPT_OTHER). */
void lang_script_masks(uint32_t out[SCRIPT_COUNT]);
/* Script of code point c.  Inline: the features and the stop words ask it
 * of every letter. */
static inline enum lang_script lang_script_of(uint32_t c)
{
    if (c < 0x80)
        return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ? SCRIPT_LATIN : SCRIPT_OTHER;
    if (c < 0x250)
        return (c >= 0xc0 && c != 0xd7 && c != 0xf7) ? SCRIPT_LATIN : SCRIPT_OTHER;
    if (c - 0x4e00u < 0x5200u) /* the main Han block, tested again below: asked first */
        return SCRIPT_HAN;
    if (c >= 0x370 && c < 0x400)
        return SCRIPT_GREEK;
    if (c >= 0x400 && c < 0x530)
        return SCRIPT_CYRILLIC;
    if (c >= 0x590 && c < 0x600)
        return SCRIPT_HEBREW;
    if ((c >= 0x600 && c < 0x700) || (c >= 0x750 && c < 0x780) || (c >= 0xfb50 && c < 0xfe00) ||
        (c >= 0xfe70 && c < 0xff00))
        return SCRIPT_ARABIC;
    if (c >= 0x900 && c < 0x980)
        return SCRIPT_DEVANAGARI;
    if (c >= 0xe00 && c < 0xe80)
        return SCRIPT_THAI;
    if (c >= 0x1e00 && c < 0x1f00)
        return SCRIPT_LATIN;
    if (c >= 0x1f00 && c < 0x2000)
        return SCRIPT_GREEK;
    if ((c >= 0x3040 && c < 0x3100) || (c >= 0x31f0 && c < 0x3200) || (c >= 0xff66 && c < 0xffa0))
        return SCRIPT_KANA;
    if ((c >= 0x1100 && c < 0x1200) || (c >= 0x3130 && c < 0x3190) || (c >= 0xac00 && c < 0xd7b0))
        return SCRIPT_HANGUL;
    if ((c >= 0x3400 && c < 0x4dc0) || (c >= 0x4e00 && c < 0xa000) || (c >= 0xf900 && c < 0xfb00) ||
        (c >= 0x20000 && c < 0x32000))
        return SCRIPT_HAN;
    if (c >= 0xff21 && c < 0xff5b)
        return SCRIPT_LATIN;
    return SCRIPT_OTHER;
}

#endif
