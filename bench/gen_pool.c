/* Sentence-pool benchmark corpus: articles made of real sentences drawn from a pool, so
 * unrelated articles share sentences the way real crawls share quotes and agency copy. The
 * pool is about 200,000 distinct sentences of Reuters-21578 (JSON Lines) and the BBC corpus
 * (one file per article); each article takes 6-30 of them at random, in paragraphs of 1-3,
 * so at a million articles each sentence recurs in about 90 articles. 10% of the articles are
 * edited copies of an earlier original (a byline, a few letters changed, sometimes the tail
 * cut at a sentence end, a footer). Deterministic: article i depends only on the seed, i and
 * the pool. The truth (-t) is doc<TAB>group for every copy and each original that has one.
 *
 *   gen_pool -r reuters.jsonl -b bbc/ -n 1000000 [-p 200000] [-s seed] -o out.jsonl [-t t.tsv]
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_PCT 10 /* share of articles that are edited copies of an earlier original */
#define MIN_WORDS 4 /* sentences shorter or longer than this are not taken into the pool */
#define MAX_WORDS 80

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static char **pool;
static size_t *pool_len, n_pool, cap_pool;
static uint64_t *seen_h; /* open addressing over sentence hashes, 0 = empty */
static size_t seen_cap;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fputs("gen_pool: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static void put(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    while (n--)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h | 1;
}

/* Valid UTF-8 without control bytes: the BBC files hold a few Latin-1 bytes. */
static int clean_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], k, v;
        if (c < 0x20 || c == 0x7F)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        k = c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : 0;
        if (!k || c >= 0xF5 || i + k >= n)
            return 0;
        v = c & (0x3F >> k);
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
                return 0;
            v = v << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 2 && (v < 0x800 || (v >= 0xD800 && v < 0xE000))) ||
            (k == 3 && (v < 0x10000 || v > 0x10FFFF)))
            return 0;
        i += k + 1;
    }
    return 1;
}

/* Add one sentence (white space already collapsed) unless it is too short or long, not clean
 * text, or in the pool already. */
static void add_sentence(const char *s, size_t n)
{
    size_t words = 1, i;
    uint64_t h;

    for (i = 0; i < n; i++)
        words += s[i] == ' ';
    if (words < MIN_WORDS || words > MAX_WORDS || !clean_utf8((const unsigned char *)s, n))
        return;
    if (seen_cap == 0 || n_pool * 2 >= seen_cap) {
        size_t cap = seen_cap ? seen_cap * 2 : 1 << 18, j;
        uint64_t *t = xrealloc(NULL, cap * sizeof *t);
        memset(t, 0, cap * sizeof *t);
        for (j = 0; j < seen_cap; j++) {
            size_t k = seen_h[j] & (cap - 1);
            if (!seen_h[j])
                continue;
            while (t[k])
                k = (k + 1) & (cap - 1);
            t[k] = seen_h[j];
        }
        free(seen_h);
        seen_h = t;
        seen_cap = cap;
    }
    h = fnv(s, n);
    for (i = h & (seen_cap - 1); seen_h[i]; i = (i + 1) & (seen_cap - 1))
        if (seen_h[i] == h)
            return;
    seen_h[i] = h;
    if (n_pool == cap_pool) {
        cap_pool = cap_pool ? cap_pool * 2 : 1 << 16;
        pool = xrealloc(pool, cap_pool * sizeof *pool);
        pool_len = xrealloc(pool_len, cap_pool * sizeof *pool_len);
    }
    pool[n_pool] = xrealloc(NULL, n + 1);
    memcpy(pool[n_pool], s, n);
    pool[n_pool][n] = '\0';
    pool_len[n_pool++] = n;
}

/* Cut text (white space collapsed to single spaces) into sentences: an end mark followed by a
 * space and a capital, a digit or a quote. The piece after the last end mark (Reuters'
 * "Reuter" sign-off, a BBC headline run into the text) is dropped. */
static void split_sentences(const char *t, size_t n)
{
    size_t a = 0, i;

    for (i = 0; i + 3 < n; i++) {
        char c = t[i];
        size_t e = i + 1 + (t[i + 1] == '"' || t[i + 1] == '\''); /* a closing quote */
        char d = t[e + 1];
        if ((c == '.' || c == '!' || c == '?') && t[e] == ' ' &&
            ((d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9') || d == '"')) {
            add_sentence(t + a, e - a);
            a = e + 1;
        }
    }
    if (n && (t[n - 1] == '.' || t[n - 1] == '!' || t[n - 1] == '?' || t[n - 1] == '"') && a < n)
        add_sentence(t + a, n - a);
}

/* Collapse white space in place; returns the new length. */
static size_t collapse(char *s, size_t n)
{
    size_t i, w = 0;

    for (i = 0; i < n; i++) {
        char c = s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i];
        if (c == ' ' && (w == 0 || s[w - 1] == ' '))
            continue;
        s[w++] = c;
    }
    while (w && s[w - 1] == ' ')
        w--;
    return w;
}

/* The "text" string of a Reuters JSON Lines record, unescaped into out (\uXXXX as UTF-8). */
static size_t json_text(const char *line, char *out)
{
    const char *p = strstr(line, "\"text\": \"");
    size_t w = 0;

    if (!p)
        return 0;
    for (p += 9; *p && *p != '"'; p++) {
        if (*p != '\\') {
            out[w++] = *p;
            continue;
        }
        p++;
        if (*p == 'u' && p[1] && p[2] && p[3] && p[4]) {
            unsigned v = (unsigned)strtoul((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
            p += 4;
            if (v < 0x20)
                out[w++] = ' ';
            else if (v < 0x80)
                out[w++] = (char)v;
            else if (v < 0x800)
                out[w++] = (char)(0xC0 | v >> 6), out[w++] = (char)(0x80 | (v & 0x3F));
            else
                out[w++] = (char)(0xE0 | v >> 12), out[w++] = (char)(0x80 | (v >> 6 & 0x3F)),
                out[w++] = (char)(0x80 | (v & 0x3F));
        } else
            out[w++] = *p == 'n' || *p == 't' || *p == 'r' ? ' ' : *p;
    }
    return w;
}

static void learn_reuters(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL, *text = NULL;
    size_t cap = 0, tcap = 0;
    ssize_t n;

    if (!f) {
        perror(path);
        exit(1);
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        size_t len;
        if ((size_t)n * 2 + 1 > tcap)
            text = xrealloc(text, tcap = (size_t)n * 2 + 1);
        len = json_text(line, text);
        split_sentences(text, collapse(text, len));
    }
    free(line);
    free(text);
    fclose(f);
}

static int learn_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    FILE *f;
    char *b;

    (void)ftw;
    if (type != FTW_F || sb->st_size <= 0 || strstr(path, "README"))
        return 0;
    if (!(f = fopen(path, "rb")))
        return 0;
    b = xrealloc(NULL, (size_t)sb->st_size);
    if (fread(b, 1, (size_t)sb->st_size, f) == (size_t)sb->st_size)
        split_sentences(b, collapse(b, (size_t)sb->st_size));
    free(b);
    fclose(f);
    return 0;
}

/* nftw visits a folder's entries in readdir order: sort the pool by text so it does not
 * depend on the file system, then draw the kept sentences by a seeded shuffle. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void choose_pool(size_t want, uint64_t seed)
{
    uint64_t rng = seed ^ 0x5EED5EED5EEDULL;
    size_t i;

    qsort(pool, n_pool, sizeof *pool, cmp_str);
    for (i = n_pool; i > 1; i--) {
        size_t j = (size_t)(mix(&rng) % i);
        char *t = pool[i - 1];
        pool[i - 1] = pool[j];
        pool[j] = t;
    }
    for (i = want; i < n_pool; i++)
        free(pool[i]);
    if (want < n_pool)
        n_pool = want;
    for (i = 0; i < n_pool; i++)
        pool_len[i] = strlen(pool[i]);
}

/* ---- articles ------------------------------------------------------------------------- */

static int is_copy(uint64_t seed, size_t i)
{
    uint64_t rng = seed * 31 + i;
    return i >= 100 && mix(&rng) % 100 < COPY_PCT;
}

/* Original i: 6-30 pool sentences, paragraphs of 1-3 sentences. */
static void original(uint64_t seed, size_t i, buf *out)
{
    uint64_t rng = seed ^ (i * 0xD1B54A32D192ED03ULL);
    size_t k = 6 + (size_t)(mix(&rng) % 25), s = 0;

    out->n = 0;
    while (s < k) {
        size_t para = 1 + (size_t)(mix(&rng) % 3), j;
        if (s)
            put(out, "\n\n", 2);
        for (j = 0; j < para && s < k; j++, s++) {
            size_t x = (size_t)(mix(&rng) % n_pool);
            if (j)
                put(out, " ", 1);
            put(out, pool[x], pool_len[x]);
        }
    }
}

/* A copy: a byline, a few letters changed, a third of the time the tail cut at a sentence
 * end (70-99% kept), a footer. Only ASCII letters change, so the text stays UTF-8. */
static void copy_of(uint64_t *rng, const buf *src, buf *out)
{
    size_t i, cut = src->n, edits = 3 + (size_t)(mix(rng) % 5);

    out->n = 0;
    put(out, "By Staff Reporter\n\n", 19);
    if (mix(rng) % 3 == 0) {
        size_t want = src->n * (70 + (size_t)(mix(rng) % 30)) / 100;
        while (want < src->n && src->p[want - 1] != '.')
            want++;
        cut = want;
    }
    put(out, src->p, cut);
    for (i = 0; i < edits && out->n > 40; i++) {
        size_t at = 19 + (size_t)(mix(rng) % (out->n - 19));
        if (out->p[at] >= 'a' && out->p[at] <= 'z')
            out->p[at] = (char)('a' + mix(rng) % 26);
    }
    put(out, "\n\nShare this article.\n", 22);
}

/* Article i: an original, or a copy of an earlier original of the last 5,000. */
static size_t article(uint64_t seed, size_t i, buf *text, buf *tmp)
{
    uint64_t rng = seed * 131 + i;
    size_t src = i;

    if (!is_copy(seed, i)) {
        original(seed, i, text);
        return i;
    }
    do
        src = i - 1 - (size_t)(mix(&rng) % (i < 5000 ? i : 5000));
    while (is_copy(seed, src));
    original(seed, src, tmp);
    copy_of(&rng, tmp, text);
    return src;
}

static void json_string(FILE *f, const char *s, size_t n)
{
    size_t i;

    putc_unlocked('"', f);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            putc_unlocked(c, f);
    }
    putc_unlocked('"', f);
}

static void usage(void)
{
    fputs("usage: gen_pool -r reuters.jsonl -b bbc/ -n N [-p pool] [-s seed] -o out.jsonl "
          "[-t truth.tsv]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *reuters = NULL, *bbc = NULL, *out = NULL, *truth = NULL;
    size_t n = 0, want = 200000, i;
    uint64_t seed = 1;
    buf text = {0}, tmp = {0};
    FILE *f, *tf = NULL;
    unsigned char *seen;
    int c;

    while ((c = getopt(argc, argv, "r:b:n:p:s:o:t:")) != -1) {
        switch (c) {
        case 'r': reuters = optarg; break;
        case 'b': bbc = optarg; break;
        case 'n': n = strtoull(optarg, NULL, 10); break;
        case 'p': want = strtoull(optarg, NULL, 10); break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'o': out = optarg; break;
        case 't': truth = optarg; break;
        default: usage();
        }
    }
    if (!reuters || !bbc || !n || !out || !want)
        usage();
    learn_reuters(reuters);
    nftw(bbc, learn_file, 16, FTW_PHYS);
    if (n_pool == 0)
        usage();
    choose_pool(want, seed);
    fprintf(stderr, "gen_pool: %zu sentences in the pool\n", n_pool);
    if (!(f = fopen(out, "wb")))
        perror(out), exit(1);
    if (truth && !(tf = fopen(truth, "wb")))
        perror(truth), exit(1);
    if (!(seen = calloc(n / 8 + 1, 1)))
        return 1;
    for (i = 0; i < n; i++) {
        size_t src = article(seed, i, &text, &tmp), t = text.n < 60 ? text.n : 60;
        if (tf && src != i) {
            if (!(seen[src / 8] >> (src % 8) & 1))
                fprintf(tf, "p%07zu\tp%07zu\n", src, src);
            seen[src / 8] |= (unsigned char)(1u << (src % 8));
            fprintf(tf, "p%07zu\tp%07zu\n", i, src);
        }
        while (t < text.n && ((unsigned char)text.p[t] & 0xC0) == 0x80)
            t--; /* the title ends on a character boundary */
        fprintf(f, "{\"id\": \"p%07zu\", \"date\": \"2025-%02zu-%02zu\", \"title\": ", i,
                1 + i * 12 / n, 1 + (i * 336 / n) % 28);
        json_string(f, text.p, t);
        fputs(", \"text\": ", f);
        json_string(f, text.p, text.n);
        fputs("}\n", f);
    }
    if (fclose(f) != 0)
        perror(out), exit(1);
    if (tf)
        fclose(tf);
    return 0;
}
