/*
 * test_decode.c — unit tests of the decode stage (src/decode.c).
 *
 * Every charset the detector must know round-trips: the UTF-8 paragraphs
 * below are encoded with iconv in the test, then decoded both with the
 * charset declared and with it detected, and must come back byte for byte.
 * The rest covers the edges: byte-order marks, invalid and truncated
 * sequences, the "mostly UTF-8" rule, controls and line ends, empty input,
 * unknown charset names, allocation failures, the output cap, calls from
 * several threads at once, and legacy charsets read by table against
 * iconv alone.
 */
#include "unit.h"

#include <iconv.h>
#include <pthread.h>

#include "alloc.h"
#include "buf.h"
#include "decode.h"

/* File-local helpers of decode.c, reachable under UNIT_TESTING. */
int dec_mostly_utf8(uint64_t n_valid_mb, uint64_t n_invalid, size_t cut_len);
int dec_resolve(const char *name, char canon[40], char decoder[40]);

#define FFFD "\xEF\xBF\xBD"

/* simplified Chinese (GBK) */
static const char txt_zh_hans[] =
    "国家统计局周二发布的数据显示，今年前三季度全国规模以上工业增加值同比增长百分之四点六，增速比上"
    "半年略有回升。分析人士认为，制造业投资保持稳定，高技术产业继续发挥带动作用。\n\n"
    "在消费方面，社会消费品零售总额同比增长百分之三点三，其中餐饮收入增长较快。国庆假期期间，各地旅"
    "游景区接待游客人数创下新高，交通运输部门也加开了多趟临时列车。\n\n"
    "不过，房地产市场仍处于调整之中，新建商品住宅销售面积继续下降。多位经济学家表示，随着一系列稳增"
    "长政策逐步落地，第四季度经济有望延续恢复态势。\n\n"
    "统计局新闻发言人在记者会上说，外部环境依然复杂严峻，国内需求仍显不足，但经济长期向好的基本面没"
    "有改变。\n";

/* simplified Chinese with a Latin name: GB18030 four-byte sequences */
static const char txt_zh_gb18030[] =
    "西班牙足球甲级联赛周日晚间进行了一场焦点战，主队凭借下半场的两粒进球以二比一逆转取胜。打进制胜"
    "球的后卫Muñoz赛后表示，球队在更衣室里进行了认真的调整。\n\n"
    "这场比赛吸引了近八万名观众到场观看，球场内气氛十分热烈。客队主教练承认，球队在体能方面出现了明"
    "显的问题，最后二十分钟几乎无法组织有效的进攻。\n\n"
    "根据赛程安排，两支球队下周都将参加欧洲冠军联赛的小组赛。俱乐部官方网站透露，几名受伤的主力球员"
    "有望在本月底前回到训练场。\n";

/* traditional Chinese (Big5) */
static const char txt_zh_hant[] =
    "中央氣象署今天上午發布颱風警報，預計強烈颱風將於明日清晨登陸東部沿海地區。氣象專家提醒民眾，務"
    "必做好防颱準備，避免前往海邊及山區。\n\n"
    "交通部表示，多條國內航線已經取消，鐵路局也宣布部分列車停駛。各縣市政府已成立災害應變中心，並將"
    "視風雨情況決定是否停止上班上課。\n\n"
    "農委會指出，颱風可能對蔬果產量造成影響，短期內市場價格恐將上漲。官員呼籲農民儘速搶收，並加強農"
    "田排水設施，以減少損失。\n";

/* Japanese (Shift_JIS) */
static const char txt_ja[] =
    "気象庁によりますと、大型で強い台風十号は、あすの朝にかけて九州南部に接近する見込みです。各地で"
    "猛烈な雨が降るおそれがあり、土砂災害や川の氾濫に厳重な警戒が必要です。\n\n"
    "鉄道各社は、新幹線の一部区間で計画運休を実施すると発表しました。航空会社も多くの便の欠航を決め"
    "ており、利用者には最新の運行情報を確認するよう呼びかけています。\n\n"
    "政府は首相官邸に対策室を設置し、関係省庁が情報収集を急いでいます。自治体は早めの避難を住民に求"
    "めており、避難所の開設も進められています。\n";

/* Korean (EUC-KR) */
static const char txt_ko[] =
    "한국은행은 오늘 금융통화위원회를 열고 기준금리를 현재 수준으로 유지하기로 결정했습니다. "
    "위원들은 물가 상승률이 점차 둔화되고 있지만 여전히 목표 수준을 웃돌고 있다고 판단했습니다.\n\n"
    "시장에서는 이번 결정이 어느 정도 예상된 결과라는 반응이 나왔습니다. 다만 일부 전문가들은 "
    "가계부채 증가세와 부동산 시장의 움직임을 주의 깊게 지켜봐야 한다고 지적했습니다.\n\n"
    "총재는 기자간담회에서 앞으로의 통화정책은 경제 지표를 면밀히 점검하면서 신중하게 운용하겠다고 "
    "밝혔습니다. 그는 또 환율 변동성이 커질 경우 적극적으로 대응하겠다고 덧붙였습니다.\n";

/* Russian (windows-1251, KOI8-R) */
static const char txt_ru[] =
    "Правительство Москвы объявило о запуске новой программы по благоустройству городских парков. "
    "В течение следующих трёх лет в столице планируется обновить более ста зелёных зон, включая "
    "скверы и набережные.\n\n"
    "По словам заместителя мэра, особое внимание будет уделено безопасности и доступности "
    "территорий для людей с ограниченными возможностями. В парках появятся новые освещённые "
    "дорожки, детские площадки и пункты проката велосипедов.\n\n"
    "Жители уже могут предложить свои идеи на специальном портале городской администрации. Первые "
    "работы начнутся весной, а завершить их рассчитывают к концу следующего года.\n";

/* Polish (ISO-8859-2) */
static const char txt_pl[] =
    "Rada Ministrów przyjęła w środę projekt ustawy budżetowej na przyszły rok. Zgodnie z "
    "założeniami deficyt ma wynieść nieco ponad trzy procent produktu krajowego brutto, a wydatki "
    "na ochronę zdrowia wzrosną o kilkanaście procent.\n\n"
    "Minister finansów podkreślił podczas konferencji prasowej, że rząd zamierza utrzymać "
    "stabilność finansów publicznych. Ekonomiści zwracają jednak uwagę, że wzrost gospodarczy może "
    "okazać się słabszy, niż zakłada rząd.\n\n"
    "Projekt trafi teraz do Sejmu, gdzie posłowie rozpoczną nad nim prace w przyszłym miesiącu. "
    "Opozycja zapowiedziała już, że zgłosi liczne poprawki dotyczące finansowania samorządów i "
    "szkolnictwa wyższego.\n";

/* Greek (ISO-8859-7) */
static const char txt_el[] =
    "Η κυβέρνηση ανακοίνωσε σήμερα ένα νέο πρόγραμμα στήριξης για τους μικρούς επιχειρηματίες που "
    "επλήγησαν από τις πρόσφατες πλημμύρες. Σύμφωνα με τον αρμόδιο υπουργό, οι πρώτες πληρωμές "
    "αναμένεται να γίνουν μέσα στον επόμενο μήνα.\n\n"
    "Οι ενδιαφερόμενοι θα μπορούν να υποβάλουν τις αιτήσεις τους ηλεκτρονικά, μέσω ειδικής "
    "πλατφόρμας του υπουργείου. Οι τοπικές αρχές έχουν ήδη καταγράψει εκατοντάδες κατεστραμμένα "
    "καταστήματα και αποθήκες.\n\n"
    "Εκπρόσωποι των εμπορικών συλλόγων χαιρέτισαν την απόφαση, ζήτησαν όμως ταχύτερες διαδικασίες. "
    "Όπως δήλωσαν, πολλές οικογένειες δεν μπορούν να περιμένουν άλλο για να ξανανοίξουν τα μαγαζιά "
    "τους.\n";

/* French with typographic apostrophes and œ (windows-1252) */
static const char txt_fr[] =
    "Le gouvernement a présenté mercredi son projet de loi de finances pour l’année prochaine. "
    "Selon le ministre de l’Économie, le déficit public devrait être ramené à 4,1 % du produit "
    "intérieur brut, grâce à un effort d’économies de près de 40 milliards d’euros.\n\n"
    "Les collectivités locales seront mises à contribution, ce qui suscite déjà l’inquiétude de "
    "nombreux maires. « Nous ne pouvons pas faire plus avec moins », a déclaré le président d’une "
    "association d’élus, qui redoute une baisse des services publics.\n\n"
    "Le texte sera examiné par l’Assemblée nationale à partir du mois prochain. Les débats "
    "s’annoncent difficiles, le gouvernement ne disposant pas d’une majorité absolue pour faire "
    "adopter ses mesures, dont certaines touchent au cœur du pouvoir d’achat des ménages.\n";

/* French within ISO-8859-1 */
static const char txt_fr_latin1[] =
    "La ville de Lyon accueillera l'été prochain un grand festival consacré aux musiques du monde. "
    "Les organisateurs espèrent réunir plus de cent mille spectateurs pendant les trois jours de "
    "concerts, installés sur les quais du Rhône et dans le parc de la Tête d'Or.\n\n"
    "Le maire a précisé que l'entrée serait gratuite pour les moins de dix-huit ans et pour les "
    "étudiants. Des navettes supplémentaires seront mises en place afin de faciliter les "
    "déplacements entre la gare et les différentes scènes.\n\n"
    "Les associations de riverains ont toutefois exprimé leurs inquiétudes concernant le bruit et "
    "la sécurité. Une réunion publique est prévue le mois prochain à l'hôtel de ville pour "
    "répondre à leurs questions.\n";

/* iconv text (UTF-8) into charset; the caller frees the result. */
static char *encode(const char *text, size_t len, const char *charset, size_t *out_len)
{
    iconv_t cd = iconv_open(charset, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t cap = len * 4 + 16;
    char *dst = malloc(cap);
    assert_non_null(dst);
    char *ip = (char *)(uintptr_t)text, *op = dst;
    size_t il = len, ol = cap;
    assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
    assert_true(iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1);
    iconv_close(cd);
    *out_len = (size_t)(op - dst);
    return dst;
}

/* Decode in[0..len) into a fresh buffer (freed by the caller). */
static chaff_status decode(const char *in, size_t len, const char *from, struct buf *out,
                           struct dec_info *info)
{
    buf_init(out, 0);
    return dec_to_utf8(in, len, from, out, info);
}

static void assert_out(const struct buf *out, const char *want, size_t want_len)
{
    assert_int_equal(out->len, want_len);
    assert_memory_equal(out->p, want, want_len);
    assert_true(dec_valid_utf8(out->p, out->len));
}

#define ASSERT_OUT(out, lit) assert_out(out, lit, sizeof(lit) - 1)

struct rt_case {
    const char *text;
    const char *iconv_name; /* to make the bytes */
    const char *detected;   /* dec_info.charset when detected */
    const char *declare;    /* a name a caller might declare */
    const char *declared;   /* dec_info.charset when declared */
};

static const struct rt_case rt_cases[] = {
    {txt_zh_hans, "GBK", "GB18030", "gbk", "GBK"},
    {txt_zh_hans, "GB18030", "GB18030", "GB18030", "GB18030"},
    {txt_zh_gb18030, "GB18030", "GB18030", "gb18030", "GB18030"},
    {txt_zh_hant, "BIG5", "Big5", "big5", "Big5"},
    {txt_ja, "SHIFT_JIS", "Shift_JIS", "sjis", "Shift_JIS"},
    {txt_ko, "EUC-KR", "EUC-KR", "euc-kr", "EUC-KR"},
    {txt_ru, "WINDOWS-1251", "windows-1251", "cp1251", "windows-1251"},
    {txt_ru, "KOI8-R", "KOI8-R", "koi8-r", "KOI8-R"},
    {txt_pl, "ISO-8859-2", "ISO-8859-2", "latin2", "latin2"},
    {txt_pl, "ISO-8859-2", "ISO-8859-2", "ISO_8859-2", "ISO-8859-2"},
    {txt_el, "ISO-8859-7", "ISO-8859-7", "iso-8859-7", "ISO-8859-7"},
    {txt_fr, "WINDOWS-1252", "windows-1252", "cp1252", "windows-1252"},
    {txt_fr_latin1, "ISO-8859-1", "ISO-8859-1", "latin1", "ISO-8859-1"},
};
#define N_RT (sizeof rt_cases / sizeof rt_cases[0])

static void test_roundtrip_detected(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_RT; i++) {
        const struct rt_case *c = &rt_cases[i];
        size_t len;
        char *in = encode(c->text, strlen(c->text), c->iconv_name, &len);
        assert_false(dec_valid_utf8(in, len)); /* else the test proves nothing */
        struct buf out;
        struct dec_info info;
        assert_int_equal(decode(in, len, NULL, &out, &info), CHAFF_OK);
        if (strcmp(info.charset, c->detected) != 0)
            fail_msg("%s: detected %s, want %s", c->iconv_name, info.charset, c->detected);
        assert_int_equal(info.detected, 1);
        assert_true(info.confidence >= 10);
        assert_int_equal(info.n_invalid, 0);
        assert_int_equal(info.n_controls, 0);
        assert_out(&out, c->text, strlen(c->text));
        buf_free(&out);
        free(in);
    }
}

static void test_roundtrip_declared(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_RT; i++) {
        const struct rt_case *c = &rt_cases[i];
        size_t len;
        char *in = encode(c->text, strlen(c->text), c->iconv_name, &len);
        struct buf out;
        struct dec_info info;
        assert_int_equal(decode(in, len, c->declare, &out, &info), CHAFF_OK);
        assert_string_equal(info.charset, c->declared);
        assert_int_equal(info.detected, 0);
        assert_int_equal(info.n_invalid, 0);
        assert_out(&out, c->text, strlen(c->text));
        buf_free(&out);
        free(in);
    }
}

/* Valid UTF-8 in every script comes through as it is, not detected. */
static void test_utf8_passthrough(void **state)
{
    (void)state;
    const char *texts[] = {txt_zh_hans, txt_zh_hant, txt_ja, txt_ko,         txt_ru,
                           txt_pl,      txt_el,      txt_fr, "plain ASCII\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct buf out;
        struct dec_info info;
        assert_int_equal(decode(texts[i], strlen(texts[i]), NULL, &out, &info), CHAFF_OK);
        assert_string_equal(info.charset, "UTF-8");
        assert_string_equal(info.decoder, "UTF-8");
        assert_int_equal(info.detected, 0);
        assert_int_equal(info.had_bom, 0);
        assert_out(&out, texts[i], strlen(texts[i]));
        buf_free(&out);
    }
}

/* Inputs over one iconv chunk and over the detector's 64 KiB prefix. */
static void test_large_inputs(void **state)
{
    (void)state;
    struct buf text;
    buf_init(&text, 0);
    while (text.len < 200 * 1024)
        buf_adds(&text, txt_zh_hans);
    assert_int_equal(text.err, CHAFF_OK);
    size_t len;
    char *in = encode(text.p, text.len, "GBK", &len);
    struct buf out;
    struct dec_info info;
    assert_int_equal(decode(in, len, NULL, &out, &info), CHAFF_OK);
    assert_string_equal(info.charset, "GB18030");
    assert_out(&out, text.p, text.len);
    buf_free(&out);
    assert_int_equal(decode(text.p, text.len, NULL, &out, &info), CHAFF_OK);
    assert_string_equal(info.charset, "UTF-8");
    assert_out(&out, text.p, text.len);
    buf_free(&out);
    free(in);
    buf_free(&text);
}

static void test_bom(void **state)
{
    (void)state;
    struct buf out;
    struct dec_info info;

    assert_int_equal(decode("\xEF\xBB\xBF"
                            "caf\xC3\xA9\n",
                            9, NULL, &out, &info),
                     CHAFF_OK);
    ASSERT_OUT(&out, "caf\xC3\xA9\n");
    assert_int_equal(info.had_bom, 1);
    assert_string_equal(info.charset, "UTF-8");
    buf_free(&out);

    /* UTF-16LE with BOM: "Мир\r\n" */
    const char le[] = "\xFF\xFE\x1C\x04\x38\x04\x40\x04\r\0\n\0";
    assert_int_equal(decode(le, sizeof le - 1, NULL, &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "\xD0\x9C\xD0\xB8\xD1\x80\n");
    assert_string_equal(info.charset, "UTF-16LE");
    assert_int_equal(info.had_bom, 1);
    assert_int_equal(info.detected, 0);
    buf_free(&out);

    /* UTF-16BE with BOM and a character outside the BMP: "a😀" */
    const char be[] = "\xFE\xFF\0a\xD8\x3D\xDE\x00";
    assert_int_equal(decode(be, sizeof be - 1, NULL, &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "a\xF0\x9F\x98\x80");
    assert_string_equal(info.charset, "UTF-16BE");
    buf_free(&out);

    /* a BOM wins over a declared charset */
    assert_int_equal(decode("\xEF\xBB\xBF\xC3\xA9", 5, "windows-1251", &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "\xC3\xA9");
    assert_string_equal(info.charset, "UTF-8");
    buf_free(&out);

    /* but a declared name must still be a charset */
    assert_int_equal(decode("\xEF\xBB\xBF"
                            "a",
                            4, "no-such-charset", &out, &info),
                     CHAFF_E_CHARSET);
    assert_int_equal(out.len, 0);
    buf_free(&out);

    /* a BOM alone is empty text */
    assert_int_equal(decode("\xFF\xFE", 2, NULL, &out, &info), CHAFF_OK);
    assert_int_equal(out.len, 0);
    assert_int_equal(info.had_bom, 1);
    buf_free(&out);

    /* a whole document in UTF-16LE with BOM */
    size_t len;
    char *body = encode(txt_ko, strlen(txt_ko), "UTF-16LE", &len);
    char *in = malloc(len + 2);
    assert_non_null(in);
    memcpy(in, "\xFF\xFE", 2);
    memcpy(in + 2, body, len);
    assert_int_equal(decode(in, len + 2, NULL, &out, &info), CHAFF_OK);
    assert_out(&out, txt_ko, strlen(txt_ko));
    buf_free(&out);
    free(in);
    free(body);
}

/* Text taken as UTF-8: one U+FFFD per maximal subpart. */
static void test_invalid_utf8_declared(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
        const char *want;
        uint64_t n;
    } cases[] = {
        {"a\xF0\x9F\x98"
         "b",
         5, "a" FFFD "b", 1},                            /* 4-byte sequence missing one */
        {"\xC0\xAF", 2, FFFD FFFD, 2},                   /* overlong '/' */
        {"\xE0\x80\xAF", 3, FFFD FFFD FFFD, 3},          /* overlong, 3 bytes */
        {"\xED\xA0\x80", 3, FFFD FFFD FFFD, 3},          /* surrogate U+D800 */
        {"\xF4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, 4}, /* above U+10FFFF */
        {"\xF5\xFE\xFF", 3, FFFD FFFD FFFD, 3},          /* never in UTF-8 */
        {"\x80\xBF"
         "x",
         3, FFFD FFFD "x", 2}, /* lone continuations */
        {"\xE2\x82"
         "x\xE2\x82\xAC",
         6, FFFD "x\xE2\x82\xAC", 1},
        {"end \xE4\xB8", 6, "end " FFFD, 1}, /* cut at the end */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf out;
        struct dec_info info;
        assert_int_equal(decode(cases[i].in, cases[i].len, "utf8", &out, &info), CHAFF_OK);
        assert_string_equal(info.charset, "UTF-8");
        assert_out(&out, cases[i].want, strlen(cases[i].want));
        assert_int_equal(info.n_invalid, cases[i].n);
        buf_free(&out);
    }
}

/* Stray bytes in otherwise good UTF-8 become U+FFFD: the page is not
 * re-read as a legacy charset. */
static void test_mostly_utf8(void **state)
{
    (void)state;
    struct buf in, want, out;
    struct dec_info info;
    buf_init(&in, 0);
    buf_init(&want, 0);
    buf_adds(&in, txt_ru);
    buf_adds(&want, txt_ru);
    buf_adds(&in, "It\x92s a stray windows-1252 quote, and \xFF too.\n");
    buf_adds(&want, "It" FFFD "s a stray windows-1252 quote, and " FFFD " too.\n");
    assert_int_equal(decode(in.p, in.len, NULL, &out, &info), CHAFF_OK);
    assert_string_equal(info.charset, "UTF-8");
    assert_int_equal(info.detected, 0);
    assert_int_equal(info.n_invalid, 2);
    assert_out(&out, want.p, want.len);
    buf_free(&out);

    /* the same text cut inside its last character */
    assert_int_equal(decode(txt_ja, strlen(txt_ja) - 3, NULL, &out, &info), CHAFF_OK);
    assert_string_equal(info.charset, "UTF-8");
    assert_int_equal(info.n_invalid, 1);
    assert_int_equal(out.len, strlen(txt_ja) - 4 + 3);
    assert_memory_equal(out.p + out.len - 3, FFFD, 3);
    buf_free(&out);
    buf_free(&in);
    buf_free(&want);

    /* one lead byte at the end of ASCII text is Latin-1, not a cut */
    assert_int_equal(decode("Caf\xE9", 4, NULL, &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "Caf\xC3\xA9");
    assert_int_equal(info.detected, 1);
    assert_string_equal(info.charset, "windows-1252");
    buf_free(&out);

    /* a cut that is a lead byte with its continuation is UTF-8 */
    assert_int_equal(decode("ASCII then \xE4\xB8", 13, NULL, &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "ASCII then " FFFD);
    assert_string_equal(info.charset, "UTF-8");
    buf_free(&out);
}

static void test_mostly_rule(void **state)
{
    (void)state;
    assert_true(dec_mostly_utf8(0, 0, 0));
    assert_true(dec_mostly_utf8(20, 1, 0));
    assert_false(dec_mostly_utf8(19, 1, 0));
    assert_true(dec_mostly_utf8(100, 5, 0));
    assert_false(dec_mostly_utf8(100, 6, 0));
    assert_false(dec_mostly_utf8(0, 1, 1)); /* "caf\xE9" */
    assert_true(dec_mostly_utf8(0, 1, 2));  /* "...\xE4\xB8" */
    assert_true(dec_mostly_utf8(3, 1, 1));
    assert_false(dec_mostly_utf8(3, 2, 1));
}

/* Invalid bytes in a legacy charset: U+FFFD, counted, and the rest goes on. */
static void test_invalid_legacy(void **state)
{
    (void)state;
    size_t len;
    char *gbk = encode(txt_zh_hans, strlen(txt_zh_hans), "GBK", &len);
    struct buf in, out;
    struct dec_info info;
    buf_init(&in, 0);
    buf_add(&in, gbk, 12); /* six characters */
    buf_addc(&in, '\xFF'); /* never valid in GB18030 */
    buf_add(&in, gbk + 12, len - 12);
    assert_int_equal(decode(in.p, in.len, NULL, &out, &info), CHAFF_OK);
    assert_string_equal(info.charset, "GB18030");
    assert_int_equal(info.n_invalid, 1);
    assert_int_equal(out.len, strlen(txt_zh_hans) + 3);
    assert_memory_equal(out.p, txt_zh_hans, 18);
    assert_memory_equal(out.p + 18, FFFD, 3);
    assert_memory_equal(out.p + 21, txt_zh_hans + 18, strlen(txt_zh_hans) - 18);
    buf_free(&out);

    /* truncated multi-byte character at the end of the input */
    assert_int_equal(decode(gbk, len - 2, "gbk", &out, &info), CHAFF_OK); /* cuts "。" */
    assert_int_equal(info.n_invalid, 1);
    assert_int_equal(out.len, strlen(txt_zh_hans) - 1 - 3 + 3);
    assert_memory_equal(out.p + out.len - 3, FFFD, 3);
    buf_free(&out);

    /* a GB18030 four-byte sequence cut after two bytes */
    assert_int_equal(decode("Mu\x81\x30", 4, "GB18030", &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "Mu" FFFD);
    assert_int_equal(info.n_invalid, 1);
    buf_free(&out);

    /* bytes a single-byte charset leaves undefined */
    assert_int_equal(decode("a\x81"
                            "b",
                            3, "windows-1252", &out, &info),
                     CHAFF_OK);
    ASSERT_OUT(&out, "a" FFFD "b");
    assert_int_equal(info.n_invalid, 1);
    buf_free(&out);

    /* UTF-16: a lone surrogate and an odd trailing byte */
    assert_int_equal(decode("a\0\x00\xD8"
                            "b\0c",
                            7, "UTF-16LE", &out, &info),
                     CHAFF_OK);
    ASSERT_OUT(&out, "a" FFFD "b" FFFD);
    assert_int_equal(info.n_invalid, 2);
    buf_free(&out);
    buf_free(&in);
    free(gbk);
}

/* Shift_JIS is read as CP932: 0x5C is a backslash, not a yen sign. */
static void test_sjis_backslash(void **state)
{
    (void)state;
    struct buf out;
    struct dec_info info;
    assert_int_equal(decode("C:\\tmp \x93\xfa\x96\x7b", 11, "Shift_JIS", &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "C:\\tmp \xE6\x97\xA5\xE6\x9C\xAC");
    assert_string_equal(info.decoder, "CP932");
    buf_free(&out);
}

static void test_controls(void **state)
{
    (void)state;
    struct buf out;
    struct dec_info info;
    const char in[] = "a\0b\x01"
                      "c\x7F"
                      "d\xC2\x85"
                      "e\xC2\x9F"
                      "f\tg\x1B[0m\n\xC2\xA0h";
    assert_int_equal(decode(in, sizeof in - 1, NULL, &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "abcdef\tg[0m\n\xC2\xA0h");
    assert_int_equal(info.n_controls, 6);
    assert_int_equal(info.n_invalid, 0);
    assert_string_equal(info.charset, "UTF-8");
    buf_free(&out);

    /* controls in a legacy charset, C1 among them */
    assert_int_equal(decode("\xB1\0"
                            "a\x85\x07",
                            5, "ISO-8859-2", &out, &info),
                     CHAFF_OK);
    ASSERT_OUT(&out, "\xC4\x85"
                     "a");
    assert_int_equal(info.n_controls, 3);
    buf_free(&out);

    /* long clean runs with a control here and there (the 8-byte path) */
    char big[1000];
    memset(big, 'x', sizeof big);
    big[7] = '\0';
    big[8] = '\x1F';
    big[500] = '\x7F';
    big[999] = '\x02';
    assert_int_equal(decode(big, sizeof big, NULL, &out, &info), CHAFF_OK);
    assert_int_equal(out.len, sizeof big - 4);
    assert_int_equal(info.n_controls, 4);
    assert_int_equal(strspn(out.p, "x"), out.len);
    buf_free(&out);
}

static void test_line_ends(void **state)
{
    (void)state;
    struct buf out;
    struct dec_info info;
    assert_int_equal(decode("a\r\nb\rc\n\r\n\r\rd\r", 13, NULL, &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "a\nb\nc\n\n\n\nd\n");
    assert_int_equal(info.n_controls, 0);
    buf_free(&out);

    /* CRLF split across two iconv output chunks (16 KiB) is one line end */
    size_t n = 16383;
    char *in = malloc(n + 3);
    assert_non_null(in);
    memset(in, 'x', n);
    memcpy(in + n, "\r\ny", 3);
    assert_int_equal(decode(in, n + 3, "windows-1252", &out, &info), CHAFF_OK);
    assert_int_equal(out.len, n + 2);
    assert_memory_equal(out.p + n, "\ny", 2);
    buf_free(&out);
    free(in);

    /* CRLF in UTF-16 */
    assert_int_equal(decode("\xFF\xFE"
                            "a\0\r\0\n\0b\0",
                            10, NULL, &out, &info),
                     CHAFF_OK);
    ASSERT_OUT(&out, "a\nb");
    buf_free(&out);
}

static void test_empty(void **state)
{
    (void)state;
    struct buf out;
    struct dec_info info;
    assert_int_equal(decode("", 0, NULL, &out, &info), CHAFF_OK);
    assert_int_equal(out.len, 0);
    assert_string_equal(info.charset, "UTF-8");
    buf_free(&out);
    assert_int_equal(decode(NULL, 0, "gbk", &out, &info), CHAFF_OK);
    assert_int_equal(out.len, 0);
    buf_free(&out);
    assert_int_equal(decode("\0\r", 2, NULL, &out, NULL), CHAFF_OK);
    ASSERT_OUT(&out, "\n");
    buf_free(&out);
}

static void test_unknown_charset(void **state)
{
    (void)state;
    const char *bad[] = {"no-such-charset", "", "UTF-8//IGNORE", "GBK//TRANSLIT",
                         "a-name-that-is-far-too-long-for-any-charset"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct buf out;
        struct dec_info info;
        buf_init(&out, 0);
        buf_adds(&out, "kept");
        assert_int_equal(dec_to_utf8("abc", 3, bad[i], &out, &info), CHAFF_E_CHARSET);
        assert_int_equal(out.len, 4);
        assert_int_equal(out.err, CHAFF_OK);
        assert_string_equal(out.p, "kept");
        buf_free(&out);
    }
}

static void test_appends(void **state)
{
    (void)state;
    struct buf out;
    buf_init(&out, 0);
    buf_adds(&out, "head|");
    assert_int_equal(dec_to_utf8("\xE9t\xE9", 3, "latin1", &out, NULL), CHAFF_OK);
    ASSERT_OUT(&out, "head|\xC3\xA9t\xC3\xA9");
    buf_free(&out);
}

static void test_resolve(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"gbk", "GBK", "GB18030"},
        {"GB2312", "GBK", "GB18030"},
        {"Shift_JIS", "Shift_JIS", "CP932"},
        {"x-sjis", "Shift_JIS", "CP932"},
        {"EUC-KR", "EUC-KR", "CP949"},
        {"Big5", "Big5", "BIG5-HKSCS"},
        {"cp1251", "windows-1251", "WINDOWS-1251"},
        {"x-cp1250", "windows-1250", "WINDOWS-1250"},
        {"Windows-1253", "windows-1253", "WINDOWS-1253"},
        {"ISO_8859-7", "ISO-8859-7", "ISO-8859-7"},
        {"iso-8859-15", "ISO-8859-15", "ISO-8859-15"},
        {"ISO-8859-8-I", "ISO-8859-8-I", "ISO-8859-8"},
        {"latin1", "ISO-8859-1", "WINDOWS-1252"},
        {"US-ASCII", "US-ASCII", "WINDOWS-1252"},
        {"utf8", "UTF-8", "UTF-8"},
        {"UTF-8", "UTF-8", "UTF-8"}, /* as convert() sets it without asking */
        {"KOI8-R", "KOI8-R", "KOI8-R"},
        {"EBCDIC-US", "EBCDIC-US", "EBCDIC-US"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char canon[40], dec[40];
        assert_true(dec_resolve(cases[i][0], canon, dec));
        assert_string_equal(canon, cases[i][1]);
        assert_string_equal(dec, cases[i][2]);
    }
    char canon[40], dec[40];
    assert_false(dec_resolve("", canon, dec));
    assert_false(dec_resolve("UTF-8//IGNORE", canon, dec));
}

static void test_valid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len;
        int ok;
    } cases[] = {
        {"", 0, 1},
        {"plain ascii, long enough for words", 34, 1},
        {"\0nul\x01", 5, 1},
        {"\xC2\x80", 2, 1},
        {"\xDF\xBF", 2, 1},
        {"\xE0\xA0\x80", 3, 1},
        {"\xEF\xBF\xBF", 3, 1},
        {"\xF0\x90\x80\x80", 4, 1},
        {"\xF4\x8F\xBF\xBF", 4, 1}, /* U+10FFFF */
        {"\xC0\x80", 2, 0},         /* overlong NUL */
        {"\xC1\xBF", 2, 0},
        {"\xE0\x9F\xBF", 3, 0},
        {"\xF0\x8F\xBF\xBF", 4, 0},
        {"\xED\xA0\x80", 3, 0}, /* surrogates */
        {"\xED\xBF\xBF", 3, 0},
        {"\xF4\x90\x80\x80", 4, 0},
        {"\xF5\x80\x80\x80", 4, 0},
        {"\xFF", 1, 0},
        {"\x80", 1, 0},
        {"\xE4\xB8", 2, 0},
        {"\xE4\xB8"
         "a",
         3, 0},
        {"0123456789abcd\xE9"
         "fghijklmnop",
         26, 0}, /* past the 8-byte path */
        {"0123456789abcdef\xE4\xB8\xAD", 19, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (dec_valid_utf8(cases[i].s, cases[i].len) != cases[i].ok)
            fail_msg("case %zu", i);
    }
}

/* Every allocation failure gives CHAFF_E_NOMEM, appends nothing, leaks
 * nothing (ASan/valgrind check the last part). */
static void test_nomem(void **state)
{
    (void)state;
    size_t gbk_len, le_len;
    char *gbk = encode(txt_zh_hans, strlen(txt_zh_hans), "GBK", &gbk_len);
    char *le = encode(txt_ru, strlen(txt_ru), "UTF-16", &le_len); /* BOM first */
    char ff[200];
    memset(ff, 0xFF, sizeof ff);
    struct {
        const char *in;
        size_t len;
        const char *from;
        int n_alloc; /* allocations the call makes: each one is failed in turn */
    } inputs[] = {
        {txt_ja, strlen(txt_ja), NULL, 1}, {gbk, gbk_len, NULL, 1},
        {gbk, gbk_len, "gbk", 1},          {le, le_len, NULL, 1},
        {ff, sizeof ff, "utf8", 3}, /* 1 byte in, 3 out: the buffer grows twice */
    };
    for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
        int n_nomem = 0;
        for (long n = 0;; n++) {
            struct buf out;
            buf_init(&out, 0);
            buf_adds(&out, "x");
            alloc_fail_after(n);
            chaff_status s = dec_to_utf8(inputs[k].in, inputs[k].len, inputs[k].from, &out, NULL);
            alloc_fail_after(-1);
            if (s == CHAFF_OK) {
                assert_true(out.len > 1);
                buf_free(&out);
                break;
            }
            assert_int_equal(s, CHAFF_E_NOMEM);
            if (out.p) { /* the first allocation may be the one that failed */
                assert_int_equal(out.len, 1);
                assert_int_equal(out.p[1], '\0');
            }
            n_nomem++;
            buf_free(&out);
            assert_true(n < 100);
        }
        if (n_nomem != inputs[k].n_alloc)
            fail_msg("input %zu: %d failures, want %d", k, n_nomem, inputs[k].n_alloc);
    }
    free(gbk);
    free(le);
}

static void test_toobig(void **state)
{
    (void)state;
    struct buf out;
    struct dec_info info;
    size_t len = strlen(txt_fr);

    buf_init(&out, len - 1);
    assert_int_equal(dec_to_utf8(txt_fr, len, NULL, &out, &info), CHAFF_E_TOOBIG);
    assert_int_equal(out.len, 0);
    assert_int_equal(out.err, CHAFF_E_TOOBIG);
    buf_free(&out);

    /* exactly at the cap is fine, and controls dropped make room */
    buf_init(&out, len);
    assert_int_equal(dec_to_utf8(txt_fr, len, NULL, &out, &info), CHAFF_OK);
    buf_free(&out);
    buf_init(&out, 3);
    assert_int_equal(dec_to_utf8("a\0b\0c", 5, NULL, &out, &info), CHAFF_OK);
    ASSERT_OUT(&out, "abc");
    buf_free(&out);

    /* legacy text grows in UTF-8: 2 bytes a character become 3 */
    size_t gbk_len;
    char *gbk = encode(txt_zh_hans, strlen(txt_zh_hans), "GBK", &gbk_len);
    buf_init(&out, strlen(txt_zh_hans) - 1);
    assert_true(gbk_len < out.max);
    buf_adds(&out, "");
    assert_int_equal(dec_to_utf8(gbk, gbk_len, NULL, &out, &info), CHAFF_E_TOOBIG);
    assert_int_equal(out.len, 0);
    buf_free(&out);
    free(gbk);

    /* a buffer already in error is left alone */
    buf_init(&out, 1);
    buf_adds(&out, "toolong");
    assert_int_equal(dec_to_utf8("a", 1, NULL, &out, &info), CHAFF_E_TOOBIG);
    buf_free(&out);
}

/* Calls from several threads at once each get their own detector and
 * converter. */
struct thread_job {
    const struct rt_case *c;
    int ok;
};

static void *thread_main(void *arg)
{
    struct thread_job *job = arg;
    size_t len;
    char *in = encode(job->c->text, strlen(job->c->text), job->c->iconv_name, &len);
    job->ok = 1;
    for (int round = 0; round < 20; round++) {
        struct buf out;
        struct dec_info info;
        buf_init(&out, 0);
        if (dec_to_utf8(in, len, round % 2 ? job->c->declare : NULL, &out, &info) != CHAFF_OK ||
            out.len != strlen(job->c->text) || memcmp(out.p, job->c->text, out.len) != 0)
            job->ok = 0;
        buf_free(&out);
    }
    free(in);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    struct thread_job jobs[4] = {
        {&rt_cases[0], 0}, {&rt_cases[3], 0}, {&rt_cases[4], 0}, {&rt_cases[7], 0}};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, &jobs[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_true(jobs[i].ok);
    }
}

/* One cache over a stream of records in different charsets, some
 * detected, one unknown, gives for every record what a fresh conversion
 * gives, with more charsets than converter slots so slots are reused. */
static void test_stream_hint(void **state)
{
    (void)state;
    struct dec_cache c;
    dec_cache_init(&c);
    char hint[40];
    /* a stream's first block: GBK text, cut inside a character */
    size_t len;
    char *in = encode(txt_zh_hans, strlen(txt_zh_hans), "GBK", &len);
    assert_int_equal(dec_sniff(&c, in, len - 1, hint), CHAFF_OK);
    assert_string_equal(hint, "GB18030");
    /* UTF-8, and nothing at all, give no hint */
    assert_int_equal(dec_sniff(&c, txt_zh_hans, strlen(txt_zh_hans), hint), CHAFF_OK);
    assert_string_equal(hint, "");
    assert_int_equal(dec_sniff(&c, "", 0, hint), CHAFF_OK);
    assert_string_equal(hint, "");
    free(in);

    struct buf out;
    buf_init(&out, 0);
    struct dec_info info;
    /* a short GBK record ("用户名/邮箱"), read in the stream's charset */
    static const char rec[] = "\xd3\xc3\xbb\xa7\xc3\xfb\x2f\xd3\xca\xcf\xe4";
    assert_int_equal(dec_convert_hinted(&c, rec, sizeof rec - 1, "GB18030", &out, &info), CHAFF_OK);
    assert_string_equal(info.charset, "GB18030");
    assert_int_equal(info.detected, 1);
    assert_int_equal(info.hinted, 1);
    assert_int_equal(info.n_invalid, 0);
    assert_int_equal(out.len, strlen("用户名/邮箱"));
    assert_memory_equal(out.p, "用户名/邮箱", out.len);
    /* UTF-8 records of the same stream stay UTF-8 */
    buf_reset(&out);
    assert_int_equal(dec_convert_hinted(&c, "登录密码", strlen("登录密码"), "GB18030", &out, &info),
                     CHAFF_OK);
    assert_string_equal(info.charset, "UTF-8");
    assert_memory_equal(out.p, "登录密码", out.len);
    /* a record the hint cannot read cleanly is detected alone: 0xFF is
     * never valid in GB18030 */
    buf_reset(&out);
    static const char ru[] = "\xcf\xf0\xe8\xe2\xe5\xf2\x2c\x20\xec\xe8\xf0\xff";
    assert_int_equal(dec_convert_hinted(&c, ru, sizeof ru - 1, "GB18030", &out, &info), CHAFF_OK);
    assert_string_not_equal(info.charset, "GB18030");
    assert_int_equal(info.hinted, 0);
    /* no hint: dec_convert() itself */
    struct buf ref;
    buf_init(&ref, 0);
    struct dec_info ri;
    buf_reset(&out);
    assert_int_equal(dec_convert_hinted(&c, rec, sizeof rec - 1, "", &out, &info), CHAFF_OK);
    assert_int_equal(dec_convert(&c, rec, sizeof rec - 1, NULL, &ref, &ri), CHAFF_OK);
    assert_string_equal(info.charset, ri.charset);
    assert_int_equal(out.len, ref.len);
    buf_free(&ref);
    buf_free(&out);
    dec_cache_free(&c);
}

static void test_cache_same_results(void **state)
{
    (void)state;
    static const struct {
        const char *in, *from;
    } recs[] = {
        {"\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7\xa1\xa3", "gbk"},
        {"\xa7\x41\xa6\x6e", "big5"},
        {"\xf0\xd2\xc9\xd7\xc5\xd4", "koi8-r"},
        {"\xcf\xf0\xe8\xe2\xe5\xf2", "windows-1251"},
        {"caf\xe9", "latin1"},
        {"\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd", "sjis"},
        {"\xbe\xc8\xb3\xe7", "euc-kr"},
        {"x", "no-such-charset"},
        {"y", "no-such-charset"}, /* the same name again: its resolution is kept */
        {"z", "a-charset-name-longer-than-any-the-cache-keeps"},
        {"z", "a-charset-name-longer-than-any-the-cache-keeps"},
        {"\xbe\xc8", "euc-kr"},
        {"\xbe\xc8\xb3\xe7", "EUC-KR"},
        {"\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7\xa1\xa3\xc4\xe3\xba\xc3", NULL},
        {"plain ascii", NULL},
        {"\xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7\xa1\xa3", "gbk"},
    };
    struct dec_cache c;
    dec_cache_init(&c);
    struct buf a, b;
    buf_init(&a, 0);
    buf_init(&b, 0);
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
            struct dec_info ia, ib;
            buf_reset(&a);
            buf_reset(&b);
            size_t n = strlen(recs[i].in);
            chaff_status sa = dec_convert(&c, recs[i].in, n, recs[i].from, &a, &ia);
            chaff_status sb = dec_to_utf8(recs[i].in, n, recs[i].from, &b, &ib);
            assert_int_equal(sa, sb);
            assert_int_equal(a.len, b.len);
            if (a.len)
                assert_memory_equal(a.p, b.p, a.len);
            if (!sa) {
                assert_string_equal(ia.charset, ib.charset);
                assert_string_equal(ia.decoder, ib.decoder);
                assert_int_equal(ia.confidence, ib.confidence);
                assert_int_equal(ia.n_invalid, ib.n_invalid);
            }
        }
    dec_cache_free(&c);
    dec_cache_free(&c); /* a freed cache is an empty one */
    buf_free(&a);
    buf_free(&b);
}

/* dec_text() gives what dec_convert() writes, and leaves clean UTF-8
 * where it lies (no copy) but nothing else. */
static void test_text_view(void **state)
{
    (void)state;
    static const struct {
        const char *in, *from;
        int view; /* the text stays in the input */
    } cases[] = {
        {"plain ascii\nand a second line\twith a tab", NULL, 1},
        {"\xe5\x9b\xbd\xe5\xae\xb6\xe7\xbb\x9f\xe8\xae\xa1 caf\xc3\xa9 \xf0\x9f\x98\x80", NULL, 1},
        {"declared and clean", "utf-8", 1},
        {"", NULL, 1},
        {"a line\r\nends in CRLF", NULL, 0},
        {"a control \x01 inside", NULL, 0},
        {"a C1 control \xc2\x85 inside", NULL, 0},
        {"a long clean prefix before one stray byte: \xff, and after", NULL, 0},
        {"\xef\xbb\xbf"
         "a BOM",
         NULL, 0},
        {"cut at the end \xe5\x9b", NULL, 0},
        {"caf\xe9", NULL, 0},
        {"caf\xe9", "latin1", 0},
        {"ascii first, then GBK \xc4\xe3\xba\xc3\xa3\xac\xca\xc0\xbd\xe7\xa1\xa3\xc4\xe3\xba\xc3",
         NULL, 0},
        {"ascii declared otherwise", "gbk", 0},
        {"a stray CR at the end\r", "utf-8", 0},
    };
    struct dec_cache c;
    dec_cache_init(&c);
    struct buf a, b;
    buf_init(&a, 0);
    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dec_info ia, ib;
        buf_reset(&a);
        buf_reset(&b);
        buf_add(&b, "kept", 4); /* text is appended after what is there */
        size_t n = strlen(cases[i].in);
        chaff_status sa = dec_convert(&c, cases[i].in, n, cases[i].from, &a, &ia);
        const char *t = NULL;
        size_t tl = 0;
        chaff_status sb = dec_text(&c, cases[i].in, n, cases[i].from, NULL, &b, &ib, &t, &tl);
        assert_int_equal(sa, CHAFF_OK);
        assert_int_equal(sb, CHAFF_OK);
        assert_int_equal(tl, a.len);
        if (tl)
            assert_memory_equal(t, a.p, tl);
        assert_string_equal(ia.charset, ib.charset);
        assert_string_equal(ia.decoder, ib.decoder);
        assert_int_equal(ia.n_invalid, ib.n_invalid);
        assert_int_equal(ia.n_controls, ib.n_controls);
        if (cases[i].view) {
            assert_true(t == cases[i].in);
            assert_int_equal(b.len, 4);
        } else {
            assert_true(t == b.p + 4);
            assert_int_equal(b.len, 4 + tl);
        }
    }
    dec_cache_free(&c);
    buf_free(&a);
    buf_free(&b);
}

/* Legacy charsets read by table give what iconv alone gives: random bytes,
 * likely pairs, sequences of three and four bytes, pairs that make two
 * characters, line ends and controls, a lead byte at the end, and inputs
 * longer than a conversion chunk, for every charset read that way, each
 * compared with dec_tables_on = 0 (which reads it all with iconv). */
static void test_tables_match_iconv(void **state)
{
    (void)state;
    static const char *const names[] = {
        "gbk",          "gb18030",      "big5",         "big5-hkscs",   "shift_jis",
        "euc-jp",       "euc-kr",       "koi8-r",       "koi8-u",       "windows-1250",
        "windows-1251", "windows-1252", "windows-1253", "windows-1255", "iso-8859-2",
        "iso-8859-5",   "iso-8859-7",   "iso-8859-8",   "iso-8859-15",  "ibm424"};
    static const char *const piece[] = {"a",
                                        "Text ",
                                        "\r\n",
                                        "\r",
                                        "\n",
                                        "\x01",
                                        "\x1b",
                                        "\\",
                                        "~",
                                        "\x81\x30\x81\x30",
                                        "\x84\x31\xa4\x39",
                                        "\x88\x62",
                                        "\x88\x64",
                                        "\x88\xa3",
                                        "\x8f\xa2\xaf",
                                        "\xb1",
                                        "\x81\x41",
                                        "\xa4\xa4",
                                        "\xb0\xa1",
                                        "\x80",
                                        "\xff",
                                        "\xa1\x40"};
    struct dec_cache on, off;
    dec_cache_init(&on);
    dec_cache_init(&off);
    struct buf a, b;
    buf_init(&a, 0);
    buf_init(&b, 0);
    char *in = malloc(50000);
    assert_non_null(in);
    unsigned seed = 4321;
    for (size_t ni = 0; ni < sizeof names / sizeof names[0]; ni++)
        for (int round = 0; round < 120; round++) {
            size_t len = 0, cap = round % 40 == 39 ? 45000 : 1 + (size_t)(round * 37) % 2000;
            while (len + 8 < cap) {
                seed = seed * 1103515245u + 12345u;
                unsigned r = seed >> 8;
                if (r % 4 == 0) { /* a likely pair */
                    in[len++] = (char)(0x81 + r / 4 % 0x7e);
                    in[len++] = (char)(0x40 + r / 512 % 0xbf);
                } else if (r % 4 == 1) { /* any byte */
                    in[len++] = (char)(r / 4);
                } else {
                    const char *q = piece[r / 4 % (sizeof piece / sizeof piece[0])];
                    memcpy(in + len, q, strlen(q));
                    len += strlen(q);
                }
            }
            if (round % 3 == 0)
                in[len++] = (char)0x81; /* a lead byte at the very end */
            struct dec_info ia, ib;
            buf_reset(&a);
            buf_reset(&b);
            chaff_status sa = dec_convert(&on, in, len, names[ni], &a, &ia);
            dec_tables_on = 0;
            chaff_status sb = dec_convert(&off, in, len, names[ni], &b, &ib);
            dec_tables_on = 1;
            assert_int_equal(sa, sb);
            if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0))
                fail_msg("%s, round %d: the table's text differs from iconv's", names[ni], round);
            assert_string_equal(ia.decoder, ib.decoder);
            assert_int_equal(ia.n_invalid, ib.n_invalid);
        }
    free(in);
    buf_free(&a);
    buf_free(&b);
    dec_cache_free(&on);
    dec_cache_free(&off);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_text_view),
    cmocka_unit_test(test_cache_same_results),
    cmocka_unit_test(test_stream_hint),
    cmocka_unit_test(test_roundtrip_detected),
    cmocka_unit_test(test_roundtrip_declared),
    cmocka_unit_test(test_utf8_passthrough),
    cmocka_unit_test(test_large_inputs),
    cmocka_unit_test(test_bom),
    cmocka_unit_test(test_invalid_utf8_declared),
    cmocka_unit_test(test_mostly_utf8),
    cmocka_unit_test(test_mostly_rule),
    cmocka_unit_test(test_invalid_legacy),
    cmocka_unit_test(test_sjis_backslash),
    cmocka_unit_test(test_controls),
    cmocka_unit_test(test_line_ends),
    cmocka_unit_test(test_empty),
    cmocka_unit_test(test_unknown_charset),
    cmocka_unit_test(test_appends),
    cmocka_unit_test(test_resolve),
    cmocka_unit_test(test_valid_utf8),
    cmocka_unit_test(test_nomem),
    cmocka_unit_test(test_toobig),
    cmocka_unit_test(test_threads),
    cmocka_unit_test(test_tables_match_iconv),
};

UNIT_MAIN(tests)
