/*
 * lang.c — language table and script-based language guessing (lang.h).
 *
 * The table lists the languages rule packs exist for.  A language is
 * guessed present when its script holds at least 10% of a document's
 * letters (or 30 letters), so a Chinese page with an English share row
 * still gets the English rules.  Japanese is Han plus kana; Chinese
 * is Han; Korean is Hangul.
 */
#include "lang.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* keep in sync with rules/README.md (language codes) */
static const struct {
    const char *code;
    enum lang_script script, script2;
} lang_table[] = {
    {"en", SCRIPT_LATIN, SCRIPT_OTHER},      {"zh", SCRIPT_HAN, SCRIPT_OTHER},
    {"ja", SCRIPT_KANA, SCRIPT_HAN},         {"ko", SCRIPT_HANGUL, SCRIPT_OTHER},
    {"ru", SCRIPT_CYRILLIC, SCRIPT_OTHER},   {"uk", SCRIPT_CYRILLIC, SCRIPT_OTHER},
    {"de", SCRIPT_LATIN, SCRIPT_OTHER},      {"fr", SCRIPT_LATIN, SCRIPT_OTHER},
    {"es", SCRIPT_LATIN, SCRIPT_OTHER},      {"pt", SCRIPT_LATIN, SCRIPT_OTHER},
    {"it", SCRIPT_LATIN, SCRIPT_OTHER},      {"ar", SCRIPT_ARABIC, SCRIPT_OTHER},
    {"pl", SCRIPT_LATIN, SCRIPT_OTHER},      {"el", SCRIPT_GREEK, SCRIPT_OTHER},
    {"nl", SCRIPT_LATIN, SCRIPT_OTHER},      {"tr", SCRIPT_LATIN, SCRIPT_OTHER},
    {"cs", SCRIPT_LATIN, SCRIPT_OTHER},      {"sv", SCRIPT_LATIN, SCRIPT_OTHER},
    {"id", SCRIPT_LATIN, SCRIPT_OTHER},      {"vi", SCRIPT_LATIN, SCRIPT_OTHER},
    {"fa", SCRIPT_ARABIC, SCRIPT_OTHER},     {"he", SCRIPT_HEBREW, SCRIPT_OTHER},
    {"hi", SCRIPT_DEVANAGARI, SCRIPT_OTHER}, {"th", SCRIPT_THAI, SCRIPT_OTHER},
};
#define N_LANG (sizeof lang_table / sizeof lang_table[0])

uint32_t lang_from_code(const char *code, size_t len)
{
    if (len == 3 && memcmp(code, "any", 3) == 0)
        return LANG_ALL;
    size_t base = 0;
    while (base < len && code[base] != '-' && code[base] != '_')
        base++;
    for (size_t i = 0; i < N_LANG; i++) {
        size_t n = strlen(lang_table[i].code);
        if (n != base)
            continue;
        size_t k = 0;
        while (k < n && (code[k] | 0x20) == lang_table[i].code[k])
            k++;
        if (k == n)
            return 1u << i;
    }
    return 0;
}

uint32_t lang_from_list(const char *list)
{
    uint32_t m = 0;
    while (*list) {
        const char *end = strchr(list, ',');
        size_t n = end ? (size_t)(end - list) : strlen(list);
        uint32_t one = lang_from_code(list, n);
        if (!one)
            return 0;
        m |= one;
        list += n + (end ? 1 : 0);
    }
    return m;
}

/* ISO 639-3 (and 639-2/B) codes of the languages in lang_table, as WET
 * files name them in WARC-Identified-Content-Language.  Keep in sync with
 * lang_table. */
static const struct {
    char iso3[4];
    char code[3];
} iso3_table[] = {
    {"eng", "en"}, {"zho", "zh"}, {"chi", "zh"}, {"cmn", "zh"}, {"jpn", "ja"}, {"kor", "ko"},
    {"rus", "ru"}, {"ukr", "uk"}, {"deu", "de"}, {"ger", "de"}, {"fra", "fr"}, {"fre", "fr"},
    {"spa", "es"}, {"por", "pt"}, {"ita", "it"}, {"ara", "ar"}, {"arb", "ar"}, {"pol", "pl"},
    {"ell", "el"}, {"gre", "el"}, {"nld", "nl"}, {"dut", "nl"}, {"tur", "tr"}, {"ces", "cs"},
    {"cze", "cs"}, {"swe", "sv"}, {"ind", "id"}, {"vie", "vi"}, {"fas", "fa"}, {"per", "fa"},
    {"pes", "fa"}, {"heb", "he"}, {"hin", "hi"}, {"tha", "th"},
};

uint32_t lang_from_iso3(const char *code, size_t len)
{
    if (len != 3)
        return 0;
    char c[3];
    for (size_t k = 0; k < 3; k++)
        c[k] = (char)(code[k] | 0x20);
    for (size_t i = 0; i < sizeof iso3_table / sizeof iso3_table[0]; i++)
        if (memcmp(c, iso3_table[i].iso3, 3) == 0)
            return lang_from_code(iso3_table[i].code, 2);
    return 0;
}

uint32_t lang_from_record(const char *list, size_t len, char bad[16])
{
    uint32_t m = 0;
    size_t i = 0;
    bad[0] = '\0';
    while (i < len) {
        while (i < len && (list[i] == ',' || list[i] == ' ' || list[i] == '\t'))
            i++;
        size_t a = i;
        while (i < len && list[i] != ',' && list[i] != ' ' && list[i] != '\t')
            i++;
        if (a == i)
            break;
        size_t n = i - a, base = 0;
        while (base < n && list[a + base] != '-' && list[a + base] != '_')
            base++;
        /* "any" is a rule-file word, not a language a record is in */
        uint32_t one = base == 3   ? lang_from_iso3(list + a, 3)
                       : base == 2 ? lang_from_code(list + a, n)
                                   : 0;
        if (one && one != LANG_ALL)
            m |= one;
        else if (!bad[0])
            snprintf(bad, 16, "%.*s", (int)(n < 15 ? n : 15), list + a);
    }
    return m;
}

const char *lang_code(uint32_t mask)
{
    if (mask == LANG_ALL || mask == 0)
        return "any";
    for (size_t i = 0; i < N_LANG; i++)
        if (mask & (1u << i))
            return lang_table[i].code;
    return "any";
}

static uint32_t script_mask[SCRIPT_COUNT];  /* languages written in the script */
static uint32_t primary_mask[SCRIPT_COUNT]; /* languages whose first script it is */
static pthread_once_t script_once = PTHREAD_ONCE_INIT;

static void script_init(void)
{
    for (size_t i = 0; i < N_LANG; i++) {
        script_mask[lang_table[i].script] |= 1u << i;
        script_mask[lang_table[i].script2] |= 1u << i;
        primary_mask[lang_table[i].script] |= 1u << i;
    }
    script_mask[SCRIPT_OTHER] = 0;
    primary_mask[SCRIPT_OTHER] = 0;
}

/* A language is in when its first script is: Japanese's is kana, so Han
 * alone says Chinese.  Asked once per script, not per language: a
 * document may be one line. */
uint32_t lang_detect_mask(const uint32_t hist[SCRIPT_COUNT])
{
    pthread_once(&script_once, script_init);
    uint64_t total = 0;
    for (int s = 1; s < SCRIPT_COUNT; s++)
        total += hist[s];
    uint32_t m = 0;
    for (int s = 1; s < SCRIPT_COUNT; s++) {
        uint32_t n = hist[s];
        if (n >= 30 || (n > 0 && (uint64_t)n * 10 >= total))
            m |= primary_mask[s];
    }
    return m;
}

void lang_script_masks(uint32_t out[SCRIPT_COUNT])
{
    pthread_once(&script_once, script_init);
    memcpy(out, script_mask, sizeof script_mask);
}
