/*
 * gen.c — deterministic multilingual benchmark corpus.
 *
 * Usage: gen OUTDIR [MB]   (default 100)
 *
 * Writes four files into OUTDIR:
 *   corpus.txt     pages as lines, a blank line between paragraphs and pages
 *                  (UTF-8; `chaff -f lines` treats every line as a document)
 *   corpus.zh.txt  the Chinese pages alone, for conversion to GBK by iconv
 *   corpus.jsonl   one record per page: {"id":N,"url":"...","text":"..."}
 *   corpus.wet     one WARC conversion record per page, as in a crawl's WET
 *                  files (CRLF header, Content-Length, the page as block)
 *
 * Each page is what a scraper keeps of a news page: navigation, a login
 * widget and a breadcrumb on top, a title, article paragraphs (sometimes
 * interrupted by a share row), then tags, a share row, related headlines, a
 * newsletter box, a cookie notice and a footer.  Text is invented from small
 * word lists with a fixed-seed generator (splitmix64), so every run writes
 * the same bytes.  Languages are chosen to keep the byte shares near 70%
 * Latin script (English, German, French, Polish), 20% CJK (Chinese,
 * Japanese) and 10% Cyrillic (Russian).  The Chinese text uses only GB2312
 * characters so that it converts to GBK without loss.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static unsigned range(unsigned lo, unsigned hi) { return lo + (unsigned)(rnd() % (hi - lo + 1)); }

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A language: words for prose, and the chrome a site in it shows. */
struct lang {
    const char *code;
    int group;    /* 0 Latin, 1 CJK, 2 Cyrillic */
    int spaced;   /* words separated by spaces */
    int cyrillic; /* capitalisation rule for the first word */
    const char *const *words;
    size_t n_words;
    const char *comma, *stop, *ask; /* punctuation */
    const char *const *menu;        /* navigation items */
    size_t n_menu;
    const char *const *chrome; /* whole chrome lines */
    size_t n_chrome;
    const char *share_word, *tags_word, *related_word, *crumb_home;
};

/* Word lists are laid out by hand, not by clang-format. */
/* clang-format off */
/* ---- English ---- */
static const char *const en_words[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "on",
    "he", "be", "at", "by", "this", "had", "from", "but", "not", "are", "or", "have", "they",
    "which", "one", "you", "were", "her", "all", "she", "there", "would", "their", "we", "him",
    "been", "has", "when", "who", "will", "more", "no", "if", "out", "so", "said", "what", "up",
    "its", "about", "into", "than", "them", "can", "only", "other", "new", "some", "could",
    "time", "these", "two", "may", "then", "do", "first", "any", "my", "now", "such", "like",
    "our", "over", "man", "me", "even", "most", "made", "after", "also", "did", "many", "before",
    "must", "through", "back", "years", "where", "much", "your", "way", "well", "down", "should",
    "because", "each", "just", "those", "people", "how", "too", "little", "state", "good",
    "very", "make", "world", "still", "own", "see", "men", "work", "long", "get", "here",
    "between", "both", "life", "being", "under", "never", "day", "same", "another", "know",
    "while", "last", "might", "us", "great", "old", "year", "off", "come", "since", "against",
    "go", "came", "right", "used", "take", "three", "government", "council", "minister",
    "report", "market", "company", "city", "police", "officials", "election", "economy",
    "water", "school", "health", "energy", "prices", "court", "plan", "week", "region",
    "investors", "researchers", "study", "village", "river", "bridge", "budget", "workers"};
static const char *const en_menu[] = {
    "Home", "News", "World", "Politics", "Business", "Tech", "Science", "Health", "Sport",
    "Culture", "Opinion", "Travel", "Video", "Podcasts", "Weather", "Local", "Markets"};
static const char *const en_chrome[] = {
    "Log in", "Sign in", "Username", "Password", "Forgot your password?", "Register",
    "Create an account", "Remember me", "Share this article", "Share on Facebook",
    "Share on X", "Email", "Print", "Copy link",
    "We use cookies to improve your experience. By continuing you agree to our cookie policy.",
    "Accept all cookies", "Manage preferences", "Subscribe to our newsletter",
    "Get the best stories in your inbox every morning.", "Sign up", "Advertisement",
    "All rights reserved.", "Privacy Policy", "Terms of Use", "Contact us", "Follow us",
    "Most read", "Read more", "Comments", "Show comments", "Support our journalism", "Donate"};

/* ---- German ---- */
static const char *const de_words[] = {
    "der", "die", "und", "in", "den", "von", "zu", "das", "mit", "sich", "des", "auf", "für",
    "ist", "im", "dem", "nicht", "ein", "eine", "als", "auch", "es", "an", "werden", "aus", "er",
    "hat", "dass", "sie", "nach", "wird", "bei", "einer", "um", "am", "sind", "noch", "wie",
    "einem", "über", "einen", "so", "zum", "war", "haben", "nur", "oder", "aber", "vor", "zur",
    "bis", "mehr", "durch", "man", "sein", "wurde", "sei", "Jahr", "Stadt", "Regierung",
    "Unternehmen", "Menschen", "Woche", "Bürger", "Straße", "Gemeinde", "Schule", "Polizei",
    "Bericht", "Wirtschaft", "Preise", "Wasser", "Gericht", "Minister", "Forscher", "Studie",
    "neue", "große", "ersten", "heute", "gestern", "zwischen", "während", "gegen", "weitere",
    "könnte", "müssen", "sagte", "erklärte", "Zukunft", "Fluss", "Brücke", "Haushalt"};
static const char *const de_menu[] = {
    "Startseite", "Nachrichten", "Politik", "Wirtschaft", "Sport", "Kultur", "Wissen",
    "Panorama", "Reise", "Meinung", "Video", "Wetter", "Regional", "Digital", "Auto"};
static const char *const de_chrome[] = {
    "Anmelden", "Einloggen", "Benutzername", "Passwort", "Passwort vergessen?", "Registrieren",
    "Konto erstellen", "Angemeldet bleiben", "Artikel teilen", "Auf Facebook teilen",
    "Per E-Mail senden", "Drucken", "Link kopieren",
    "Wir verwenden Cookies, um Ihnen ein besseres Erlebnis zu bieten.", "Alle akzeptieren",
    "Einstellungen verwalten", "Newsletter abonnieren", "Jetzt anmelden", "Anzeige",
    "Alle Rechte vorbehalten.", "Datenschutz", "Impressum", "Kontakt", "Folgen Sie uns",
    "Meistgelesen", "Weiterlesen", "Kommentare", "Jetzt unterstützen"};

/* ---- French ---- */
static const char *const fr_words[] = {
    "le", "de", "un", "à", "être", "et", "en", "avoir", "que", "pour", "dans", "ce", "il",
    "qui", "ne", "sur", "se", "pas", "plus", "pouvoir", "par", "je", "avec", "tout", "faire",
    "son", "mettre", "autre", "on", "mais", "nous", "comme", "ou", "si", "leur", "y", "dire",
    "elle", "devoir", "avant", "deux", "même", "prendre", "aussi", "celui", "donner", "bien",
    "où", "fois", "vous", "encore", "nouveau", "aller", "cela", "entre", "premier", "vouloir",
    "déjà", "grand", "mon", "me", "moins", "aucun", "lui", "temps", "très", "savoir", "ville",
    "gouvernement", "entreprise", "marché", "année", "semaine", "école", "santé", "police",
    "rapport", "économie", "prix", "eau", "tribunal", "ministre", "chercheurs", "étude",
    "habitants", "région", "pont", "rivière", "budget", "travailleurs", "élection"};
static const char *const fr_menu[] = {
    "Accueil", "Actualités", "International", "Politique", "Économie", "Sport", "Culture",
    "Sciences", "Santé", "Opinions", "Vidéos", "Météo", "Régions", "Société"};
static const char *const fr_chrome[] = {
    "Se connecter", "Connexion", "Identifiant", "Mot de passe", "Mot de passe oublié ?",
    "S'inscrire", "Créer un compte", "Se souvenir de moi", "Partager cet article",
    "Partager sur Facebook", "Envoyer par e-mail", "Imprimer", "Copier le lien",
    "Nous utilisons des cookies pour améliorer votre expérience.", "Tout accepter",
    "Paramétrer les cookies", "Inscrivez-vous à notre newsletter", "S'abonner", "Publicité",
    "Tous droits réservés.", "Mentions légales", "Nous contacter", "Suivez-nous",
    "Les plus lus", "Lire la suite", "Commentaires", "Soutenez-nous"};

/* ---- Polish ---- */
static const char *const pl_words[] = {
    "i", "w", "nie", "na", "się", "z", "do", "to", "że", "jest", "o", "jak", "ale", "po",
    "co", "tak", "za", "od", "go", "już", "jego", "jej", "czy", "przez", "tylko", "był",
    "może", "dla", "ich", "tym", "pod", "bardzo", "ten", "być", "także", "oraz", "który",
    "która", "które", "jednak", "kiedy", "gdzie", "roku", "miasta", "rząd", "rządu", "ludzie",
    "sprawie", "według", "wiele", "nowe", "duże", "pierwszy", "spółka", "rynek", "szkoła",
    "zdrowie", "policja", "raport", "gospodarka", "ceny", "woda", "sąd", "minister",
    "naukowcy", "badanie", "mieszkańcy", "region", "most", "rzeka", "budżet", "pracownicy",
    "wybory", "tydzień", "powiedział", "dzisiaj", "wczoraj", "między", "przeciwko", "więcej"};
static const char *const pl_menu[] = {
    "Strona główna", "Wiadomości", "Kraj", "Świat", "Polityka", "Biznes", "Sport", "Kultura",
    "Nauka", "Zdrowie", "Opinie", "Wideo", "Pogoda", "Region", "Motoryzacja"};
static const char *const pl_chrome[] = {
    "Zaloguj się", "Logowanie", "Nazwa użytkownika", "Hasło", "Nie pamiętasz hasła?",
    "Zarejestruj się", "Załóż konto", "Zapamiętaj mnie", "Udostępnij artykuł",
    "Udostępnij na Facebooku", "Wyślij e-mailem", "Drukuj", "Kopiuj link",
    "Ta strona używa plików cookies. Korzystając z niej, zgadzasz się na ich użycie.",
    "Akceptuję", "Ustawienia prywatności", "Zapisz się do newslettera", "Subskrybuj",
    "Reklama", "Wszelkie prawa zastrzeżone.", "Polityka prywatności", "Kontakt",
    "Obserwuj nas", "Najczęściej czytane", "Czytaj więcej", "Komentarze", "Wesprzyj nas"};

/* ---- Russian ---- */
static const char *const ru_words[] = {
    "и", "в", "не", "на", "я", "быть", "он", "с", "что", "а", "по", "это", "она", "этот",
    "к", "но", "они", "мы", "как", "из", "у", "который", "то", "за", "свой", "весь", "год",
    "от", "так", "о", "для", "ты", "же", "все", "тот", "мочь", "вы", "человек", "такой",
    "его", "сказать", "только", "или", "ещё", "бы", "себя", "один", "когда", "уже", "для",
    "вот", "кто", "да", "говорить", "время", "если", "нет", "город", "правительство",
    "компания", "рынок", "школа", "здоровье", "полиция", "доклад", "экономика", "цены",
    "вода", "суд", "министр", "учёные", "исследование", "жители", "область", "мост", "река",
    "бюджет", "рабочие", "выборы", "неделя", "сегодня", "вчера", "между", "против", "новый",
    "большой", "первый", "заявил", "сообщили", "после", "более", "также", "года", "власти"};
static const char *const ru_menu[] = {
    "Главная", "Новости", "В мире", "Политика", "Экономика", "Общество", "Спорт", "Культура",
    "Наука", "Здоровье", "Мнения", "Видео", "Погода", "Регионы", "Происшествия"};
static const char *const ru_chrome[] = {
    "Войти", "Вход", "Логин", "Пароль", "Забыли пароль?", "Регистрация",
    "Создать аккаунт", "Запомнить меня", "Поделиться", "Поделиться ВКонтакте",
    "Отправить по почте", "Печать", "Скопировать ссылку",
    "Мы используем файлы cookie, чтобы сайт работал лучше.", "Принять", "Настройки",
    "Подпишитесь на нашу рассылку", "Подписаться", "Реклама", "Все права защищены.",
    "Политика конфиденциальности", "Контакты", "Мы в соцсетях", "Самое читаемое",
    "Читать далее", "Комментарии", "Поддержать редакцию"};

/* ---- Chinese (GB2312 characters only) ---- */
static const char *const zh_words[] = {
    "我们", "今天", "政府", "经济", "市场", "公司", "城市", "发展", "问题", "工作", "国家",
    "社会", "记者", "报道", "表示", "认为", "已经", "目前", "进行", "通过", "由于", "因为",
    "所以", "但是", "如果", "还是", "需要", "可以", "重要", "新的", "地区", "居民", "学校",
    "医院", "警方", "法院", "部长", "专家", "研究", "调查", "价格", "能源", "环境", "水资源",
    "交通", "建设", "项目", "投资", "企业", "工人", "农民", "学生", "老师", "教育", "文化",
    "历史", "科学", "技术", "网络", "数据", "计划", "预算", "会议", "决定", "增长", "下降",
    "提高", "减少", "影响", "情况", "方面", "时间", "上午", "下午", "昨天", "明年", "去年",
    "的", "了", "在", "是", "和", "也", "都", "对", "与", "将", "被", "从", "这", "那"};
static const char *const zh_menu[] = {
    "首页", "新闻", "国内", "国际", "财经", "科技", "体育", "娱乐", "军事", "汽车", "房产",
    "教育", "健康", "旅游", "视频", "图片", "评论"};
static const char *const zh_chrome[] = {
    "登录", "注册", "用户名", "密码", "忘记密码?", "看不清?换一张", "记住我", "免费注册",
    "分享到:", "分享到微博", "分享到微信", "打印", "复制链接",
    "本网站使用Cookie以改善您的浏览体验。继续浏览即表示您同意。", "接受", "设置",
    "订阅我们的新闻邮件", "立即订阅", "广告", "版权所有 不得转载", "隐私政策", "联系我们",
    "关注我们", "热门排行", "阅读全文", "网友评论", "责任编辑:王明", "返回顶部"};

/* ---- Japanese ---- */
static const char *const ja_words[] = {
    "政府", "経済", "市場", "会社", "東京", "大阪", "地域", "住民", "学校", "病院", "警察",
    "裁判所", "大臣", "専門家", "研究", "調査", "価格", "電力", "環境", "交通", "計画",
    "予算", "会議", "教育", "文化", "技術", "情報", "記者", "首相", "企業", "社員", "学生",
    "今年", "昨年", "来年", "今日", "先週", "問題", "影響", "状況", "結果", "発表", "関係",
    "は", "が", "を", "に", "で", "と", "の", "も", "から", "まで", "について", "によると",
    "している", "しました", "される", "という", "ため", "こと", "など", "さらに", "また"};
static const char *const ja_menu[] = {
    "ホーム", "ニュース", "国内", "国際", "経済", "政治", "社会", "スポーツ", "エンタメ",
    "科学", "ライフ", "天気", "動画", "特集", "地域"};
static const char *const ja_chrome[] = {
    "ログイン", "新規登録", "ユーザー名", "パスワード", "パスワードを忘れた方", "会員登録",
    "ログイン状態を保持する", "この記事をシェア", "ツイート", "シェア", "印刷", "リンクをコピー",
    "当サイトではクッキーを使用しています。", "同意する", "設定", "メールマガジン登録",
    "今すぐ登録", "広告", "無断転載を禁じます。", "プライバシーポリシー", "お問い合わせ",
    "フォローする", "アクセスランキング", "続きを読む", "コメント", "ページの先頭へ"};

#define LANG(c, g, sp, cy, comma, stop, ask, share, tags, rel, home)                               \
    {#c, g, sp, cy, c##_words, N_OF(c##_words), comma, stop, ask, c##_menu, N_OF(c##_menu),      \
     c##_chrome, N_OF(c##_chrome), share, tags, rel, home}

static const struct lang langs[] = {
    LANG(en, 0, 1, 0, ",", ".", "?", "Share", "Tags:", "Related articles", "Home"),
    LANG(de, 0, 1, 0, ",", ".", "?", "Teilen", "Schlagwörter:", "Mehr zum Thema", "Startseite"),
    LANG(fr, 0, 1, 0, ",", ".", " ?", "Partager", "Mots-clés :", "À lire aussi", "Accueil"),
    LANG(pl, 0, 1, 0, ",", ".", "?", "Udostępnij", "Tagi:", "Zobacz także", "Strona główna"),
    LANG(zh, 1, 0, 0, "，", "。", "？", "分享", "标签:", "相关新闻", "首页"),
    LANG(ja, 1, 0, 0, "、", "。", "か。", "シェア", "タグ:", "関連記事", "ホーム"),
    LANG(ru, 2, 1, 1, ",", ".", "?", "Поделиться", "Теги:", "Читайте также", "Главная"),
};

/* clang-format on */

/* Within a group, the languages and their weights. */
static const int group_langs[3][4] = {{0, 1, 2, 3}, {4, 5, -1, -1}, {6, -1, -1, -1}};
static const int group_n[3] = {4, 2, 1};
static const double group_share[3] = {0.70, 0.20, 0.10};

struct out {
    char *p;
    size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        while (o->len + n + 1 > o->cap)
            o->cap = o->cap ? o->cap * 2 : 1 << 16;
        o->p = realloc(o->p, o->cap);
        if (!o->p) {
            fprintf(stderr, "gen: out of memory\n");
            exit(1);
        }
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

/* The first word of a sentence, capitalised where the rule is simple
 * (ASCII, and Russian а–я); other scripts are written as they are. */
static void put_first(struct out *o, const struct lang *l, const char *w)
{
    unsigned char c0 = (unsigned char)w[0], c1 = (unsigned char)w[1];
    if (c0 >= 'a' && c0 <= 'z') {
        char c = (char)(c0 - 32);
        put(o, &c, 1);
        puts_(o, w + 1);
    } else if (l->cyrillic && c0 == 0xD0 && c1 >= 0xB0 && c1 <= 0xBF) {
        char u[2] = {(char)0xD0, (char)(c1 - 0x20)}; /* а–п → А–П */
        put(o, u, 2);
        puts_(o, w + 2);
    } else if (l->cyrillic && c0 == 0xD1 && c1 >= 0x80 && c1 <= 0x8F) {
        char u[2] = {(char)0xD0, (char)(c1 + 0x20)}; /* р–я → Р–Я */
        put(o, u, 2);
        puts_(o, w + 2);
    } else {
        puts_(o, w);
    }
}

static void sentence(struct out *o, const struct lang *l)
{
    unsigned n = l->spaced ? range(6, 22) : range(5, 16);
    for (unsigned i = 0; i < n; i++) {
        const char *w = l->words[rnd() % l->n_words];
        if (i == 0) {
            put_first(o, l, w);
            continue;
        }
        if (i > 2 && i + 2 < n && rnd() % 9 == 0)
            puts_(o, l->comma);
        if (l->spaced)
            puts_(o, " ");
        if (rnd() % 40 == 0) {
            char num[16];
            snprintf(num, sizeof num, "%u", range(2, 2030));
            puts_(o, num);
        } else {
            puts_(o, w);
        }
    }
    puts_(o, rnd() % 15 == 0 ? l->ask : l->stop);
}

static void paragraph(struct out *o, const struct lang *l)
{
    unsigned n = range(2, 7);
    for (unsigned i = 0; i < n; i++) {
        if (i && l->spaced)
            puts_(o, " ");
        sentence(o, l);
    }
    puts_(o, "\n");
}

static void title(struct out *o, const struct lang *l)
{
    unsigned n = l->spaced ? range(5, 11) : range(4, 8);
    for (unsigned i = 0; i < n; i++) {
        const char *w = l->words[rnd() % l->n_words];
        if (i == 0)
            put_first(o, l, w);
        else {
            if (l->spaced)
                puts_(o, " ");
            puts_(o, w);
        }
    }
    puts_(o, "\n");
}

static void menu(struct out *o, const struct lang *l)
{
    /* '»' is not in GBK: Chinese pages use the other separators. */
    static const char *const seps[] = {" | ", " · ", "  ", " / ", " » "};
    const char *sep = seps[rnd() % (N_OF(seps) - (l->group == 1))];
    unsigned n = range(5, 12);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            puts_(o, sep);
        puts_(o, l->menu[rnd() % l->n_menu]);
    }
    puts_(o, "\n");
}

static void chrome_lines(struct out *o, const struct lang *l, unsigned lo, unsigned hi)
{
    unsigned n = range(lo, hi);
    for (unsigned i = 0; i < n; i++) {
        puts_(o, l->chrome[rnd() % l->n_chrome]);
        puts_(o, "\n");
    }
}

static void page(struct out *o, const struct lang *l, unsigned long id)
{
    char tmp[160];
    menu(o, l);
    if (rnd() % 2)
        chrome_lines(o, l, 2, 5); /* login widget */
    snprintf(tmp, sizeof tmp, "%s > %s > %s\n", l->crumb_home, l->menu[rnd() % l->n_menu],
             l->menu[rnd() % l->n_menu]);
    puts_(o, tmp);
    puts_(o, "\n");
    title(o, l);
    snprintf(tmp, sizeof tmp, "%04u-%02u-%02u %02u:%02u\n", range(2015, 2026), range(1, 12),
             range(1, 28), range(0, 23), range(0, 59));
    puts_(o, tmp);
    puts_(o, "\n");
    unsigned n = range(4, 12);
    for (unsigned i = 0; i < n; i++) {
        paragraph(o, l);
        puts_(o, "\n");
        if (i == n / 2 && rnd() % 3 == 0) {
            chrome_lines(o, l, 1, 3); /* in-article share row or advertisement */
            puts_(o, "\n");
        }
    }
    puts_(o, l->tags_word);
    for (unsigned i = 0, t = range(2, 5); i < t; i++) {
        puts_(o, i ? ", " : " ");
        puts_(o, l->words[rnd() % l->n_words]);
    }
    puts_(o, "\n");
    puts_(o, l->share_word);
    puts_(o, "\nFacebook\nX\nWhatsApp\nEmail\n\n");
    puts_(o, l->related_word);
    puts_(o, "\n");
    for (unsigned i = 0, r = range(3, 6); i < r; i++)
        title(o, l);
    puts_(o, "\n");
    chrome_lines(o, l, 3, 7); /* newsletter, cookie notice, footer links */
    snprintf(tmp, sizeof tmp, "%s %u site%lu.example\n\n", l->group == 1 ? "版权所有" : "©",
             range(2010, 2026), id % 97);
    puts_(o, tmp);
}

static void json_string(FILE *f, const char *s, size_t n)
{
    putc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20)
                fprintf(f, "\\u%04x", c);
            else
                putc(c, f);
        }
    }
    putc('"', f);
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: gen OUTDIR [MB]\n");
        return 2;
    }
    double mb = argc == 3 ? atof(argv[2]) : 100.0;
    if (!(mb > 0)) {
        fprintf(stderr, "gen: bad size '%s'\n", argv[2]);
        return 2;
    }
    size_t target = (size_t)(mb * 1e6);
    FILE *txt = open_out(argv[1], "corpus.txt");
    FILE *zh = open_out(argv[1], "corpus.zh.txt");
    FILE *jsonl = open_out(argv[1], "corpus.jsonl");
    FILE *wet = open_out(argv[1], "corpus.wet");

    size_t total = 0, group_bytes[3] = {0, 0, 0};
    unsigned long id = 0;
    struct out o = {0};
    while (total < target) {
        /* The group furthest below its share writes the next page. */
        int g = 0;
        double worst = 1e300;
        for (int k = 0; k < 3; k++) {
            double have = total ? (double)group_bytes[k] / (double)total : 0.0;
            if (have - group_share[k] < worst) {
                worst = have - group_share[k];
                g = k;
            }
        }
        const struct lang *l = &langs[group_langs[g][rnd() % (unsigned)group_n[g]]];
        o.len = 0;
        page(&o, l, id);
        fwrite(o.p, 1, o.len, txt);
        if (strcmp(l->code, "zh") == 0)
            fwrite(o.p, 1, o.len, zh);
        /* The record's text is the page without its trailing blank line. */
        size_t n = o.len;
        while (n && o.p[n - 1] == '\n')
            n--;
        fprintf(jsonl, "{\"id\":%lu,\"url\":\"https://site.example/%s/%lu.html\",\"text\":", id,
                l->code, id);
        json_string(jsonl, o.p, n);
        fputs("}\n", jsonl);
        fprintf(wet,
                "WARC/1.0\r\nWARC-Type: conversion\r\n"
                "WARC-Target-URI: https://site.example/%s/%lu.html\r\n"
                "WARC-Date: 2024-03-14T10:00:00Z\r\n"
                "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-%012lu>\r\n"
                "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
                l->code, id, id, o.len);
        fwrite(o.p, 1, o.len, wet);
        fputs("\r\n\r\n", wet);
        total += o.len;
        group_bytes[g] += o.len;
        id++;
    }
    free(o.p);
    int bad = ferror(txt) | ferror(zh) | ferror(jsonl) | ferror(wet);
    bad |= fclose(txt) | fclose(zh) | fclose(jsonl) | fclose(wet);
    if (bad) {
        fprintf(stderr, "gen: write error\n");
        return 1;
    }
    fprintf(stderr, "gen: %lu pages, %.1f MB: Latin %.1f%%, CJK %.1f%%, Cyrillic %.1f%%\n", id,
            (double)total / 1e6, 100.0 * (double)group_bytes[0] / (double)total,
            100.0 * (double)group_bytes[1] / (double)total,
            100.0 * (double)group_bytes[2] / (double)total);
    return 0;
}
