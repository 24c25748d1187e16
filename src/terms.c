/* Terms stage: stop words out, Snowball stems in, names flagged. The stop list is Snowball's
 * English list in the normalizer's spelling (apostrophes dropped: "dont", "its") plus a few
 * words every news report carries ("said", "told", "mr", "year", "new", "per cent"), which
 * say nothing about which story it is. Quoted words: terms_quotes.c. */
#include <dedup/dedup.h>

#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "util.h"

static const char *const stop_words[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "arent", "as", "at", "be", "because", "been", "before", "being", "below", "between",
    "both", "but", "by", "can", "cannot", "cant", "cent", "could", "couldnt", "did", "didnt", "do",
    "does", "doesnt", "doing", "dont", "down", "during", "each", "few", "for", "from", "further",
    "had", "hadnt", "has", "hasnt", "have", "havent", "having", "he", "hed", "hell", "her", "here",
    "heres", "hers", "herself", "hes", "him", "himself", "his", "how", "hows", "i", "id", "if",
    "ill", "im", "in", "into", "is", "isnt", "it", "its", "itself", "ive", "just", "lets", "like",
    "may", "me", "might", "more", "most", "mr", "mrs", "ms", "must", "mustnt", "my", "myself",
    "new", "no", "nor", "not", "of", "off", "on", "once", "one", "only", "or", "other", "ought",
    "our", "ours", "ourselves", "out", "over", "own", "pct", "per", "said", "same", "say", "says",
    "shall", "shant", "she", "shed", "shell", "shes", "should", "shouldnt", "so", "some", "such",
    "than", "that", "thats", "the", "their", "theirs", "them", "themselves", "then", "there",
    "theres", "these", "they", "theyd", "theyll", "theyre", "theyve", "this", "those", "through",
    "to", "told", "too", "two", "under", "until", "up", "very", "was", "wasnt", "we", "wed",
    "well", "were", "werent", "weve", "what", "whats", "when", "whens", "where", "wheres", "which",
    "while", "who", "whom", "whos", "why", "whys", "will", "with", "wont", "would", "wouldnt",
    "year", "years", "you", "youd", "youll", "your", "youre", "yours", "yourself", "yourselves",
    "youve",
};

struct dd_terms {
    struct sb_stemmer *stemmer;
    uint64_t seed;
    dd_term *out;
    size_t out_cap;
    char *text;    /* stems of the last extraction, back to back */
    size_t text_len, text_cap;
    size_t *text_off; /* term i's stem starts at text + text_off[i] */
    size_t off_cap;
    char pair[16];
    /* Word cache: news vocabulary is Zipfian, so most words were seen before; stemming
     * (Snowball) and the stop-list search are then one hash probe. */
    struct cached *cache;
    size_t cache_cap, cache_n;
    char *arena; /* word bytes then stem bytes of each cached entry */
    size_t arena_len, arena_cap;
};

typedef struct cached {
    uint64_t h;            /* XXH3 of the word; 0 = empty slot */
    uint64_t head;         /* its first 8 bytes (zero padded): all of a short word */
    uint64_t term;         /* the term: its stem's hash (seeded), made once */
    uint32_t off;          /* word at arena + off, its stem right after it */
    uint8_t len, stem_len; /* stem_len 0: a stop word */
    bool figure;           /* the stem is a figure */
} cached;

#define CACHE_MAX_WORD 64
#define CACHE_MAX_SLOTS ((size_t)1 << 21)

static int cmp_word(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

bool dd_terms_is_stop(const char *word, size_t len)
{
    char buf[16];

    if (len >= sizeof buf)
        return false;
    memcpy(buf, word, len);
    buf[len] = '\0';
    return bsearch(buf, stop_words, sizeof stop_words / sizeof stop_words[0],
                   sizeof stop_words[0], cmp_word) != NULL;
}

dd_status dd_terms_new(uint64_t seed, dd_terms **out)
{
    dd_terms *t = calloc(1, sizeof *t);

    *out = NULL;
    if (!t)
        return DD_ENOMEM;
    t->stemmer = sb_stemmer_new("english", NULL);
    if (!t->stemmer) {
        free(t);
        return DD_ENOMEM;
    }
    t->seed = seed;
    *out = t;
    return DD_OK;
}

void dd_terms_free(dd_terms *t)
{
    if (!t)
        return;
    sb_stemmer_delete(t->stemmer);
    free(t->cache);
    free(t->arena);
    free(t->out);
    free(t->text);
    free(t->text_off);
    free(t);
}

const char *dd_terms_stem(dd_terms *t, const char *word, size_t len, size_t *out_len)
{
    const sb_symbol *s;

    if (len > 64) { /* not a word; stemming it is wasted work */
        *out_len = len;
        return word;
    }
    s = sb_stemmer_stem(t->stemmer, (const sb_symbol *)word, (int)len);
    if (!s)
        return NULL;
    *out_len = (size_t)sb_stemmer_length(t->stemmer);
    return (const char *)s;
}

/* One character of a script written without spaces (see normalize.c). */
static bool unspaced_char(const dd_span *tok)
{
    utf8proc_int32_t c;

    if (tok->len < 3 || (unsigned char)tok->ptr[0] < 0xE0)
        return false;
    if (utf8proc_iterate((const utf8proc_uint8_t *)tok->ptr, (utf8proc_ssize_t)tok->len, &c) !=
        (utf8proc_ssize_t)tok->len)
        return false;
    return (c >= 0x0E00 && c <= 0x0EFF) || (c >= 0x1000 && c <= 0x109F) ||
           (c >= 0x1780 && c <= 0x17FF) || (c >= 0x3040 && c <= 0x30FF) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || c >= 0x20000;
}

static bool is_number(const dd_span *tok)
{
    return tok->ptr[0] >= '0' && tok->ptr[0] <= '9';
}

/* A figure as written: digits and points, then at most three letters ("1980s", "3rd",
 * "4pm"). Letters and digits mixed beyond that are a code or a link, not a figure. */
static bool figure(const char *s, size_t len)
{
    size_t d = 0;

    while (d < len && ((s[d] >= '0' && s[d] <= '9') || s[d] == '.'))
        d++;
    if (d == 0 || !(s[0] >= '0' && s[0] <= '9') || len - d > 3)
        return false;
    for (; d < len; d++)
        if (!(s[d] >= 'a' && s[d] <= 'z'))
            return false;
    return true;
}

/* Emit term s (hash th, figure or not) from token `token`. */
static dd_status emit_hashed(dd_terms *t, size_t *n, const char *s, size_t len, size_t token,
                             uint64_t th, bool fig)
{
    if (dd__grow((void **)&t->out, &t->out_cap, *n + 1, sizeof *t->out) != DD_OK ||
        dd__grow((void **)&t->text_off, &t->off_cap, *n + 2, sizeof *t->text_off) != DD_OK ||
        dd__grow((void **)&t->text, &t->text_cap, t->text_len + len, 1) != DD_OK)
        return DD_ENOMEM;
    memcpy(t->text + t->text_len, s, len);
    t->text_off[*n] = t->text_len;
    t->text_len += len;
    t->text_off[*n + 1] = t->text_len;
    t->out[*n].hash = th;
    t->out[*n].token = (uint32_t)token;
    t->out[*n].flags = fig ? DD_TERM_FIGURE : 0;
    (*n)++;
    return DD_OK;
}

static dd_status emit(dd_terms *t, size_t *n, const char *s, size_t len, size_t token)
{
    return emit_hashed(t, n, s, len, token, XXH3_64bits_withSeed(s, len, t->seed),
                       figure(s, len));
}

/* "960m" and "$960 million" are the same figure: a number glued to a magnitude suffix is
 * emitted as the number and the magnitude word. Other glued letters ("3g", "1980s") stay. */
static dd_status number(dd_terms *t, size_t *m, const char *s, size_t len, size_t token)
{
    static const struct {
        const char *suffix, *word;
    } mags[] = {{"m", "million"},  {"mn", "million"},  {"bn", "billion"}, {"b", "billion"},
                {"tn", "trillion"}, {"k", "thousand"}, {"pc", "percent"}};
    size_t d = 0, i;

    while (d < len && ((s[d] >= '0' && s[d] <= '9') || s[d] == '.'))
        d++;
    for (i = 0; d < len && i < sizeof mags / sizeof mags[0]; i++) {
        if (strlen(mags[i].suffix) == len - d && memcmp(s + d, mags[i].suffix, len - d) == 0) {
            dd_status st = emit(t, m, s, d, token);
            return st == DD_OK ? emit(t, m, mags[i].word, strlen(mags[i].word), token) : st;
        }
    }
    return emit(t, m, s, len, token);
}

/* The value of a token of digits only, between lo and hi of them; -1 if it is not one. */
static long digits(const dd_span *tok, size_t lo, size_t hi)
{
    long v = 0;
    size_t j;

    if (tok->len < lo || tok->len > hi)
        return -1;
    for (j = 0; j < tok->len; j++) {
        if (!(tok->ptr[j] >= '0' && tok->ptr[j] <= '9'))
            return -1;
        v = v * 10 + (tok->ptr[j] - '0');
    }
    return v;
}

/* Tokens i..i+2 are a numeric date ("2024-12-05", "2024/12/05": the normaliser keeps
 * neither separator, so a year of 1900-2099 then a two-digit month and a two-digit day).
 * A date is one fact; its parts alone are not ("05" and "12" would match any other day's
 * figures, and a dateline's year every report of that year). */
static bool numeric_date(const dd_span *toks, size_t n, size_t i)
{
    long y, mo, d;

    if (i + 2 >= n)
        return false;
    y = digits(&toks[i], 4, 4);
    mo = digits(&toks[i + 1], 2, 2);
    d = digits(&toks[i + 2], 2, 2);
    return y >= 1900 && y <= 2099 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

/* The first 8 bytes of s (len bytes), zero padded. */
static uint64_t word_head(const char *s, size_t len)
{
    uint64_t x = 0;

    memcpy(&x, s, len < 8 ? len : 8);
    return x;
}

/* The slot of word (hash h) in the cache: its entry, or the empty slot where it belongs. A
 * word of up to 8 bytes is compared in the slot itself, without reading the arena. */
static cached *cache_slot(const dd_terms *t, uint64_t h, const char *s, size_t len)
{
    size_t mask = t->cache_cap - 1, i;
    uint64_t head = word_head(s, len);

    for (i = (size_t)h & mask; t->cache[i].h; i = (i + 1) & mask)
        if (t->cache[i].h == h && t->cache[i].len == len && t->cache[i].head == head &&
            (len <= 8 || memcmp(t->arena + t->cache[i].off + 8, s + 8, len - 8) == 0))
            return &t->cache[i];
    return &t->cache[i];
}

static dd_status cache_grow(dd_terms *t)
{
    size_t cap = t->cache_cap ? t->cache_cap * 2 : 4096, i;
    cached *old = t->cache, *nc = calloc(cap, sizeof *nc);

    if (!nc)
        return DD_ENOMEM;
    t->cache = nc;
    for (i = 0; i < t->cache_cap; i++) {
        size_t j;
        if (!old[i].h)
            continue;
        for (j = (size_t)old[i].h & (cap - 1); nc[j].h; j = (j + 1) & (cap - 1))
            ;
        nc[j] = old[i];
    }
    t->cache_cap = cap;
    free(old);
    return DD_OK;
}

/* Remember word -> stem (or stop word), unless the cache is full: then words are simply
 * stemmed each time. */
static dd_status cache_put(dd_terms *t, uint64_t h, const char *w, size_t len, const char *stem,
                           size_t stem_len)
{
    cached *c;

    if (t->cache_n >= CACHE_MAX_SLOTS / 2 || stem_len > 255)
        return DD_OK;
    if ((t->cache_n + 1) * 2 > t->cache_cap && cache_grow(t) != DD_OK)
        return DD_ENOMEM;
    if (dd__grow((void **)&t->arena, &t->arena_cap, t->arena_len + len + stem_len,
                 sizeof *t->arena) != DD_OK)
        return DD_ENOMEM;
    c = cache_slot(t, h, w, len);
    *c = (cached){h ? h : 1, word_head(w, len), XXH3_64bits_withSeed(stem, stem_len, t->seed),
                  (uint32_t)t->arena_len, (uint8_t)len, (uint8_t)stem_len, figure(stem, stem_len)};
    memcpy(t->arena + t->arena_len, w, len);
    memcpy(t->arena + t->arena_len + len, stem, stem_len);
    t->arena_len += len + stem_len;
    t->cache_n++;
    return DD_OK;
}

/* A word of two or more letters: its stem, unless it is a stop word. */
static dd_status word(dd_terms *t, size_t *m, const char *s, size_t len, size_t token)
{
    uint64_t h;
    const char *stem;
    size_t stem_len = 0;
    bool stop;

    if (len > CACHE_MAX_WORD) {
        stem = dd_terms_stem(t, s, len, &stem_len);
        return stem ? emit(t, m, stem, stem_len, token) : DD_ENOMEM;
    }
    h = XXH3_64bits(s, len);
    h = h ? h : 1;
    if (t->cache_cap) {
        const cached *c = cache_slot(t, h, s, len);
        if (c->h)
            return c->stem_len ? emit_hashed(t, m, t->arena + c->off + c->len, c->stem_len,
                                             token, c->term, c->figure)
                               : DD_OK;
    }
    stop = dd_terms_is_stop(s, len);
    stem = stop ? "" : dd_terms_stem(t, s, len, &stem_len);
    if (!stem)
        return DD_ENOMEM;
    if (!stop && stem_len == 0) { /* cannot happen with Snowball; keep the word */
        stem = s;
        stem_len = len;
    }
    {
        /* the stem is a view into the stemmer, copied by cache_put before any reuse */
        dd_status st = cache_put(t, h, s, len, stem, stem_len);
        if (st != DD_OK || stop)
            return st;
    }
    return emit(t, m, stem, stem_len, token);
}

dd_status dd_terms_extract(dd_terms *t, const dd_span *toks, size_t n, const dd_term **terms,
                           size_t *n_out)
{
    size_t i, m = 0;

    *terms = NULL;
    *n_out = 0;
    t->text_len = 0;
    for (i = 0; i < n; i++) {
        const dd_span *k = &toks[i];
        const char *s = k->ptr;
        size_t len = k->len;
        dd_status st = DD_OK;

        if (unspaced_char(k)) {
            if (i + 1 < n && unspaced_char(&toks[i + 1]) && k->len + toks[i + 1].len <= 16) {
                memcpy(t->pair, k->ptr, k->len);
                memcpy(t->pair + k->len, toks[i + 1].ptr, toks[i + 1].len);
                st = emit(t, &m, t->pair, k->len + toks[i + 1].len, i);
            }
        } else if (numeric_date(toks, n, i)) {
            /* "2024-12-05", whatever the separator; 11 bytes with the NUL, in t->pair */
            memcpy(t->pair, s, 4);
            t->pair[4] = t->pair[7] = '-';
            memcpy(t->pair + 5, toks[i + 1].ptr, 2);
            memcpy(t->pair + 8, toks[i + 2].ptr, 2);
            st = emit_hashed(t, &m, t->pair, 10, i, XXH3_64bits_withSeed(t->pair, 10, t->seed),
                             true);
            i += 2;
        } else if (is_number(k)) {
            st = number(t, &m, s, len, i);
        } else if (len > 1) {
            st = word(t, &m, s, len, i);
        }
        if (st != DD_OK)
            return st;
    }
    *terms = t->out;
    *n_out = m;
    return DD_OK;
}

/* ---- names ---------------------------------------------------------------------------- */

/* Whether a list bullet (*, U+2022 bullet, U+2023, U+00B7 middle dot, U+2013/2014 dashes)
 * ends at s[i - 1]; its length in bytes, else 0. */
static size_t bullet_before(const char *s, size_t i)
{
    const unsigned char *u = (const unsigned char *)s;

    if (i >= 1 && u[i - 1] == '*')
        return 1;
    if (i >= 2 && u[i - 2] == 0xC2 && u[i - 1] == 0xB7)
        return 2;
    if (i >= 3 && u[i - 3] == 0xE2 && u[i - 2] == 0x80 &&
        (u[i - 1] == 0xA2 || u[i - 1] == 0xA3 || u[i - 1] == 0x93 || u[i - 1] == 0x94))
        return 3;
    return 0;
}

/* Only spaces between s[i] and the start of its line (or of the text)? */
static bool at_line_start(const char *s, size_t i)
{
    while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
        i--;
    return i == 0 || s[i - 1] == '\n';
}

/* Does the word at s[i] open a sentence? Looking back over spaces, quotes and brackets: the
 * start of the text, a paragraph break (blank line) or a full stop, ! or ? before it. */
static bool sentence_start(const char *s, size_t i)
{
    int newlines = 0;

    while (i > 0) {
        char c = s[--i];
        size_t b = bullet_before(s, i + 1);
        if (b && newlines == 0 && at_line_start(s, i + 1 - b))
            return true; /* a list item: "  * Enjoy all our plans" */
        if (c == '\n')
            newlines++;
        else if (c == '"' || c == '\'' || c == '(' || c == '[' || c == '-')
            continue;
        else if (c != ' ' && c != '\t' && c != '\r')
            return c == '.' || c == '!' || c == '?' || c == ':' || newlines >= 2;
        if (newlines >= 2)
            return true;
    }
    return true;
}

/* Has s[a, b) a lower-case letter? A line without one is a wire headline in capitals. */
static bool has_lower(const char *s, size_t a, size_t b)
{
    for (; a < b; a++)
        if (s[a] >= 'a' && s[a] <= 'z')
            return true;
    return false;
}

dd_status dd_terms_mark_names(dd_terms *t, const char *text, size_t len, dd_term *terms,
                              size_t n)
{
    uint64_t *names = NULL, seen[4] = {0, 0, 0, 0};
    size_t n_names = 0, cap = 0, i = 0, k, line_end = 0;
    bool shouting = false;
    char low[CACHE_MAX_WORD];

    while (i < len && text[i] != '\n') /* the headline capitalises every word */
        i++;
    while (i < len) {
        size_t a, m = 0, w;
        while (i + 8 <= len && !dd__has_upper8(dd__load8(text + i)))
            i += 8;
        if (i >= len)
            break;
        a = i;
        /* only a capital starting a word can start a name: skip to the next capital */
        if (!dd__ascii_upper(text[i]) || (i > 0 && dd__ascii_alnum(text[i - 1]))) {
            i++;
            continue;
        }
        while (i < len && dd__ascii_alnum(text[i]))
            i++;
        w = i - a;
        if (w < 2 || w > CACHE_MAX_WORD || sentence_start(text, a))
            continue;
        if (a >= line_end) { /* one look at each line that holds a candidate */
            size_t line_start = a;
            const char *nl;
            while (line_start > 0 && text[line_start - 1] != '\n')
                line_start--;
            nl = memchr(text + a, '\n', len - a);
            line_end = nl ? (size_t)(nl - text) : len;
            shouting = !has_lower(text, line_start, line_end);
        }
        if (shouting)
            continue;
        for (k = 0; k < w; k++)
            low[k] = dd__ascii_upper(text[a + k]) ? (char)(text[a + k] + 32) : text[a + k];
        t->text_len = 0;
        if (word(t, &m, low, w, 0) != DD_OK) {
            free(names);
            return DD_ENOMEM;
        }
        if (m == 0)
            continue; /* a stop word */
        if (dd__grow((void **)&names, &cap, n_names + 1, sizeof *names) != DD_OK) {
            free(names);
            return DD_ENOMEM;
        }
        names[n_names++] = t->out[0].hash;
    }
    n_names = dd__sort_unique_u64(names, n_names);
    /* A 256-bit filter of the names' hashes first: a document has a few dozen names and
     * hundreds of terms, and most terms are not names (a search each was 4 % of a run). */
    for (k = 0; k < n_names; k++)
        seen[names[k] >> 62] |= (uint64_t)1 << (names[k] & 63);
    for (k = 0; n_names && k < n; k++)
        if (!(terms[k].flags & DD_TERM_FIGURE) &&
            (seen[terms[k].hash >> 62] >> (terms[k].hash & 63) & 1) &&
            dd__has_u64(names, n_names, terms[k].hash))
            terms[k].flags |= DD_TERM_NAME;
    free(names);
    return DD_OK;
}

const char *dd_terms_text(const dd_terms *t, size_t i, size_t *len)
{
    *len = t->text_off[i + 1] - t->text_off[i];
    return t->text + t->text_off[i];
}
