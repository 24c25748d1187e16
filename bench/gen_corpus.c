/* Benchmark corpus generator: news-like articles whose vocabulary (word frequencies) and
 * lengths (words per article) are learnt from Reuters-21578 (JSON Lines) and the BBC corpus
 * (one file per article), with a known share of copies and rewrites of earlier articles.
 * Deterministic: article i depends only on (seed, i), so a copy regenerates its original
 * instead of keeping it. Writes one JSON Lines file (-o), or a folder of text files (-d,
 * 1000 per subfolder), and optionally the truth (-t: doc<TAB>group for every copy, rewrite
 * and original that has one).
 *
 *   gen_corpus -r reuters.jsonl -b bbc/ -n 1000000 [-s seed] [-o out.jsonl | -d dir] [-t t.tsv]
 *   gen_corpus -x reuters.jsonl -d dir    (one file per non-empty story, for the peer test)
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_PCT 8    /* share of articles that are edited copies of an earlier one */
#define REWRITE_PCT 4 /* and retellings: same sentences reordered, a third of words changed */

typedef struct word {
    char *s;
    size_t len, count;
} word;

static word *vocab;
static size_t n_vocab, cap_vocab, *table_idx, table_cap;
static uint64_t *cum; /* cumulative counts over vocab */
/* Words per article, [0] from Reuters, [1] from BBC; an article takes a BBC length 3 times
 * in 4, which puts the mean near 2 KB, as in a newsroom's archive of full stories. */
static size_t *lengths[2], n_lengths[2], cap_lengths[2];

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fputs("gen_corpus: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    while (n--)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static void add_word(const char *s, size_t n)
{
    size_t i;

    if (table_cap == 0 || n_vocab * 2 >= table_cap) {
        size_t j, cap = table_cap ? table_cap * 2 : 1 << 16;
        size_t *t = xrealloc(NULL, cap * sizeof *t);
        for (j = 0; j < cap; j++)
            t[j] = SIZE_MAX;
        for (j = 0; j < n_vocab; j++) {
            size_t k = fnv(vocab[j].s, vocab[j].len) & (cap - 1);
            while (t[k] != SIZE_MAX)
                k = (k + 1) & (cap - 1);
            t[k] = j;
        }
        free(table_idx);
        table_idx = t;
        table_cap = cap;
    }
    for (i = fnv(s, n) & (table_cap - 1); table_idx[i] != SIZE_MAX; i = (i + 1) & (table_cap - 1)) {
        word *w = &vocab[table_idx[i]];
        if (w->len == n && memcmp(w->s, s, n) == 0) {
            w->count++;
            return;
        }
    }
    if (n_vocab == cap_vocab) {
        cap_vocab = cap_vocab ? cap_vocab * 2 : 4096;
        vocab = xrealloc(vocab, cap_vocab * sizeof *vocab);
    }
    vocab[n_vocab].s = xrealloc(NULL, n);
    memcpy(vocab[n_vocab].s, s, n);
    vocab[n_vocab].len = n;
    vocab[n_vocab].count = 1;
    table_idx[i] = n_vocab++;
}

static void add_length(int from, size_t words)
{
    if (words < 20)
        return;
    if (n_lengths[from] == cap_lengths[from]) {
        cap_lengths[from] = cap_lengths[from] ? cap_lengths[from] * 2 : 4096;
        lengths[from] = xrealloc(lengths[from], cap_lengths[from] * sizeof *lengths[from]);
    }
    lengths[from][n_lengths[from]++] = words;
}

static int is_letter(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'';
}

/* Learn words (runs of ASCII letters) from text; returns the number of words. A JSON \n or
 * \" escape is skipped so it does not glue an "n" to a word. */
static size_t learn(const char *t, size_t n)
{
    size_t i = 0, words = 0;

    while (i < n) {
        size_t a;
        if (t[i] == '\\') {
            i += 2;
            continue;
        }
        if (!is_letter((unsigned char)t[i])) {
            i++;
            continue;
        }
        for (a = i; i < n && is_letter((unsigned char)t[i]); i++)
            ;
        if (i - a <= 24) {
            add_word(t + a, i - a);
            words++;
        }
    }
    return words;
}

static void learn_reuters(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (!f) {
        perror(path);
        exit(1);
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        const char *t = strstr(line, "\"text\": \"");
        if (t)
            add_length(0, learn(t + 9, (size_t)(line + n - t - 9)));
    }
    free(line);
    fclose(f);
}

static int learn_file(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    FILE *f;
    char *buf;

    (void)ftw;
    if (type != FTW_F || sb->st_size <= 0 || strstr(path, "README"))
        return 0;
    f = fopen(path, "rb");
    if (!f)
        return 0;
    buf = xrealloc(NULL, (size_t)sb->st_size);
    if (fread(buf, 1, (size_t)sb->st_size, f) == (size_t)sb->st_size)
        add_length(1, learn(buf, (size_t)sb->st_size));
    free(buf);
    fclose(f);
    return 0;
}

static void build_cumulative(void)
{
    size_t i, j = 0;
    uint64_t sum = 0;

    for (i = 0; i < n_vocab; i++) /* words seen once are mostly typos and codes */
        if (vocab[i].count >= 2)
            vocab[j++] = vocab[i];
    n_vocab = j;
    cum = xrealloc(NULL, n_vocab * sizeof *cum);
    for (i = 0; i < n_vocab; i++)
        cum[i] = sum += vocab[i].count;
}

/* ---- generation ------------------------------------------------------------------------ */

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static const word *pick(uint64_t *rng)
{
    uint64_t r = mix(rng) % cum[n_vocab - 1];
    size_t lo = 0, hi = n_vocab - 1;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cum[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return &vocab[lo];
}

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

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

/* Original article i: sentences of 8-35 words, paragraphs of 1-4 sentences, some numbers. */
static void original(uint64_t seed, size_t i, buf *out)
{
    uint64_t rng = seed ^ (i * 0xD1B54A32D192ED03ULL);
    int from = mix(&rng) % 4 != 0;
    size_t words = lengths[from][mix(&rng) % n_lengths[from]], w = 0;

    out->n = 0;
    while (w < words) {
        size_t sent = 1 + mix(&rng) % 4, s;
        for (s = 0; s < sent && w < words; s++) {
            size_t len = 8 + mix(&rng) % 28, k;
            for (k = 0; k < len && w < words; k++, w++) {
                char num[32];
                if (k)
                    put(out, " ", 1);
                if (mix(&rng) % 40 == 0) {
                    int n = snprintf(num, sizeof num, "%u", (unsigned)(mix(&rng) % 100000));
                    put(out, num, (size_t)n);
                } else {
                    const word *x = pick(&rng);
                    put(out, x->s, x->len);
                    if (k == 0 && out->p[out->n - x->len] >= 'a' && out->p[out->n - x->len] <= 'z')
                        out->p[out->n - x->len] = (char)(out->p[out->n - x->len] - 32);
                }
                if (k + 1 < len && mix(&rng) % 12 == 0)
                    put(out, ",", 1);
            }
            put(out, ". ", 2);
        }
        put(out, "\n\n", 2);
    }
}

/* A copy: a new first line, a few words changed, sometimes the tail cut off. */
static void copy_of(uint64_t *rng, const buf *src, buf *out)
{
    size_t i, cut = src->n, edits = 3 + mix(rng) % 5;

    out->n = 0;
    put(out, "By Staff Reporter\n\n", 19);
    if (mix(rng) % 3 == 0)
        cut = src->n * (70 + mix(rng) % 30) / 100;
    put(out, src->p, cut);
    for (i = 0; i < edits && out->n > 40; i++) {
        size_t at = 19 + mix(rng) % (out->n - 19);
        if (out->p[at] >= 'a' && out->p[at] <= 'z')
            out->p[at] = (char)('a' + mix(rng) % 26);
    }
    put(out, "\n\nShare this article.\n", 22);
}

/* A rewrite: sentences in another order, about a third of the words replaced. */
static void rewrite_of(uint64_t *rng, const buf *src, buf *out)
{
    size_t i, a = 0;
    buf sent = {0};

    out->n = 0;
    for (i = 0; i <= src->n; i++) {
        if (i < src->n && src->p[i] != '.')
            continue;
        sent.n = 0;
        put(&sent, src->p + a, i - a);
        a = i + 1;
        if (mix(rng) % 3 == 0)
            put(out, sent.p, sent.n); /* kept at its place */
        else {
            size_t k = 0;
            for (k = 0; k < sent.n; k++)
                if (sent.p[k] == ' ' && mix(rng) % 3 == 0 && k + 1 < sent.n &&
                    sent.p[k + 1] >= 'a' && sent.p[k + 1] <= 'z')
                    sent.p[k + 1] = (char)('a' + mix(rng) % 26);
            put(out, sent.p, sent.n);
        }
        put(out, ".", 1);
    }
    free(sent.p);
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

/* Article i: an original, or (by a hash of i) a copy or rewrite of an earlier article. */
static size_t article(uint64_t seed, size_t i, buf *text, buf *tmp)
{
    uint64_t rng = seed * 31 + i;
    unsigned kind = (unsigned)(mix(&rng) % 100);
    size_t src = i;

    if (i >= 100 && kind < COPY_PCT + REWRITE_PCT) {
        src = i - 1 - mix(&rng) % (i < 5000 ? i : 5000); /* an article of the last days */
        original(seed, src, tmp);
        if (kind < COPY_PCT)
            copy_of(&rng, tmp, text);
        else
            rewrite_of(&rng, tmp, text);
    } else
        original(seed, i, text);
    return src;
}

/* Write the "text" of every JSON Lines record with a non-empty one to dir/NNNNN.txt,
 * undoing the escapes (\\uXXXX as UTF-8; Reuters-21578 needs nothing past U+FFFF). */
static int split_jsonl(const char *path, const char *dir)
{
    FILE *f = fopen(path, "rb"), *o;
    char *line = NULL, name[4096];
    size_t cap = 0, n_out = 0;
    ssize_t n;

    if (!f)
        return perror(path), 1;
    mkdir(dir, 0777);
    while ((n = getline(&line, &cap, f)) > 0) {
        char *t = strstr(line, "\"text\": \""), *w;
        const char *p;
        if (!t || t[9] == '"')
            continue;
        for (p = t + 9, w = line; *p && *p != '"'; p++) {
            if (*p != '\\') {
                *w++ = *p;
                continue;
            }
            p++;
            if (*p == 'n')
                *w++ = '\n';
            else if (*p == 't')
                *w++ = '\t';
            else if (*p == 'r')
                *w++ = '\r';
            else if (*p == 'u') {
                unsigned v = (unsigned)strtoul((char[5]){p[1], p[2], p[3], p[4], 0}, NULL, 16);
                p += 4;
                if (v < 0x80)
                    *w++ = (char)v;
                else if (v < 0x800)
                    *w++ = (char)(0xC0 | v >> 6), *w++ = (char)(0x80 | (v & 0x3F));
                else
                    *w++ = (char)(0xE0 | v >> 12), *w++ = (char)(0x80 | (v >> 6 & 0x3F)),
                    *w++ = (char)(0x80 | (v & 0x3F));
            } else
                *w++ = *p;
        }
        snprintf(name, sizeof name, "%s/%05zu.txt", dir, n_out++);
        if (!(o = fopen(name, "wb")))
            return perror(name), 1;
        fwrite(line, 1, (size_t)(w - line), o);
        fclose(o);
    }
    free(line);
    fclose(f);
    return 0;
}

static void usage(void)
{
    fputs("usage: gen_corpus -r reuters.jsonl -b bbc/ -n N [-s seed] [-o out.jsonl | -d dir] "
          "[-t truth.tsv]\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *reuters = NULL, *bbc = NULL, *out = NULL, *dir = NULL, *truth = NULL;
    const char *split = NULL;
    size_t n = 0, i;
    uint64_t seed = 1;
    buf text = {0}, tmp = {0};
    FILE *f = NULL, *tf = NULL;
    unsigned char *seen;
    int c;

    while ((c = getopt(argc, argv, "r:b:n:s:o:d:t:x:")) != -1) {
        switch (c) {
        case 'x': split = optarg; break;
        case 'r': reuters = optarg; break;
        case 'b': bbc = optarg; break;
        case 'n': n = strtoull(optarg, NULL, 10); break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'o': out = optarg; break;
        case 'd': dir = optarg; break;
        case 't': truth = optarg; break;
        default: usage();
        }
    }
    if (split && dir)
        return split_jsonl(split, dir);
    if (!reuters || !bbc || !n || (!out == !dir))
        usage();
    learn_reuters(reuters);
    nftw(bbc, learn_file, 16, FTW_PHYS);
    build_cumulative();
    if (!n_vocab || !n_lengths[0] || !n_lengths[1])
        usage();
    if (out && !(f = fopen(out, "wb")))
        perror(out), exit(1);
    if (truth && !(tf = fopen(truth, "wb")))
        perror(truth), exit(1);
    if (dir)
        mkdir(dir, 0777);
    seen = calloc(n / 8 + 1, 1);
    if (!seen)
        return 1;
    for (i = 0; i < n; i++) {
        size_t src = article(seed, i, &text, &tmp);
        char id[64], path[4096];
        snprintf(id, sizeof id, "a%07zu", i);
        if (tf && src != i) {
            if (!(seen[src / 8] >> (src % 8) & 1))
                fprintf(tf, "a%07zu\ta%07zu\n", src, src);
            seen[src / 8] |= (unsigned char)(1u << (src % 8));
            fprintf(tf, "%s\ta%07zu\n", id, src);
        }
        if (f) {
            fprintf(f, "{\"id\": \"%s\", \"date\": \"2025-%02zu-%02zu\", \"title\": ", id,
                    1 + i * 12 / n, 1 + (i * 336 / n) % 28);
            json_string(f, text.p, text.n < 60 ? text.n : 60);
            fputs(", \"text\": ", f);
            json_string(f, text.p, text.n);
            fputs("}\n", f);
        } else {
            snprintf(path, sizeof path, "%s/%03zu", dir, i / 1000);
            if (i % 1000 == 0)
                mkdir(path, 0777);
            snprintf(path, sizeof path, "%s/%03zu/%s.txt", dir, i / 1000, id);
            if (!(f = fopen(path, "wb")))
                perror(path), exit(1);
            fwrite(text.p, 1, text.n, f);
            fclose(f);
            f = NULL;
        }
    }
    if (f && fclose(f) != 0)
        perror(out), exit(1);
    if (tf)
        fclose(tf);
    return 0;
}
