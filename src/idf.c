/* IDF stage: an open-addressing table from term hash to (background df, corpus df).
 * Lookups happen once per distinct term per document, so a flat table beats anything
 * cleverer; it holds a few hundred thousand terms at most. */
#include <dedup/dedup.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "util.h"

/* Generated at build time from data/idf/news-en.tsv (see the Makefile). */
extern const char *const dd__idf_news_en[];
extern const size_t dd__idf_news_en_lines;

typedef struct slot {
    uint64_t hash; /* 0 = empty; a real 0 hash is stored as 1 */
    uint32_t bg, corpus;
} slot;

struct dd_idf {
    slot *t;
    size_t cap, count;
    size_t bg_docs, corpus_docs;
    uint64_t seed;
};

dd_status dd_idf_new(uint64_t seed, dd_idf **out)
{
    dd_idf *idf = calloc(1, sizeof *idf);

    *out = NULL;
    if (!idf)
        return DD_ENOMEM;
    idf->seed = seed;
    *out = idf;
    return DD_OK;
}

void dd_idf_free(dd_idf *idf)
{
    if (!idf)
        return;
    free(idf->t);
    free(idf);
}

static size_t find(const dd_idf *idf, uint64_t h)
{
    size_t mask = idf->cap - 1, i = (size_t)(h * 0x9E3779B97F4A7C15ULL >> 20) & mask;

    while (idf->t[i].hash && idf->t[i].hash != h)
        i = (i + 1) & mask;
    return i;
}

static dd_status rehash(dd_idf *idf)
{
    size_t ncap = idf->cap ? idf->cap * 2 : 1024, i;
    slot *old = idf->t;
    size_t oldcap = idf->cap;

    idf->t = calloc(ncap, sizeof *idf->t);
    if (!idf->t) {
        idf->t = old;
        return DD_ENOMEM;
    }
    idf->cap = ncap;
    for (i = 0; i < oldcap; i++)
        if (old[i].hash)
            idf->t[find(idf, old[i].hash)] = old[i];
    free(old);
    return DD_OK;
}

static slot *get(dd_idf *idf, uint64_t h)
{
    size_t i;

    h = h ? h : 1;
    if ((idf->count + 1) * 2 > idf->cap && rehash(idf) != DD_OK)
        return NULL;
    i = find(idf, h);
    if (!idf->t[i].hash) {
        idf->t[i].hash = h;
        idf->count++;
    }
    return &idf->t[i];
}

static dd_status parse_header(dd_idf *idf, const char *line, size_t len)
{
    static const char head[] = "#dedup-idf\t1\tdocs\t";
    char num[24];
    char *end;
    unsigned long long n;

    if (len <= sizeof head - 1 || len - (sizeof head - 1) >= sizeof num ||
        memcmp(line, head, sizeof head - 1) != 0)
        return DD_EPARSE;
    memcpy(num, line + sizeof head - 1, len - (sizeof head - 1));
    num[len - (sizeof head - 1)] = '\0';
    n = strtoull(num, &end, 10);
    if (end == num || *end)
        return DD_EPARSE;
    idf->bg_docs += (size_t)n;
    return DD_OK;
}

/* One "stem<TAB>df" line. */
static dd_status load_entry(dd_idf *idf, const char *line, size_t n)
{
    const char *tab = memchr(line, '\t', n);
    char num[24];
    char *end;
    unsigned long long df;
    slot *s;

    if (!tab || tab == line || (size_t)(line + n - tab) >= sizeof num)
        return DD_EPARSE;
    memcpy(num, tab + 1, (size_t)(line + n - tab - 1));
    num[line + n - tab - 1] = '\0';
    df = strtoull(num, &end, 10);
    if (end == num || *end || df == 0 || df > UINT32_MAX)
        return DD_EPARSE;
    s = get(idf, XXH3_64bits_withSeed(line, (size_t)(tab - line), idf->seed));
    if (!s)
        return DD_ENOMEM;
    s->bg += (uint32_t)df;
    return DD_OK;
}

dd_status dd_idf_load(dd_idf *idf, const char *text, size_t len, const char *name, char *err,
                      size_t err_len)
{
    size_t pos = 0, lineno = 0;

    while (pos < len) {
        const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        dd_status st;

        pos += n + 1;
        lineno++;
        if (lineno == 1)
            st = parse_header(idf, line, n);
        else
            st = n ? load_entry(idf, line, n) : DD_OK;
        if (st == DD_EPARSE)
            snprintf(err, err_len, "%s:%zu: %s", name, lineno,
                     lineno == 1 ? "not a dedup idf table (no #dedup-idf header)"
                                 : "expected stem<TAB>df");
        if (st != DD_OK)
            return st;
    }
    if (lineno == 0) {
        snprintf(err, err_len, "%s: empty idf table", name);
        return DD_EPARSE;
    }
    return DD_OK;
}

dd_status dd_idf_load_builtin(dd_idf *idf)
{
    size_t i;
    dd_status st = dd__idf_news_en_lines ? parse_header(idf, dd__idf_news_en[0],
                                                        strlen(dd__idf_news_en[0]))
                                         : DD_EPARSE;

    for (i = 1; st == DD_OK && i < dd__idf_news_en_lines; i++)
        st = load_entry(idf, dd__idf_news_en[i], strlen(dd__idf_news_en[i]));
    return st;
}

dd_status dd_idf_add_doc(dd_idf *idf, const uint64_t *hashes, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        slot *s = get(idf, hashes[i]);
        if (!s)
            return DD_ENOMEM;
        s->corpus++;
    }
    idf->corpus_docs++;
    return DD_OK;
}

dd_status dd_idf_add_counts(dd_idf *idf, const uint64_t *terms, const uint32_t *counts, size_t n,
                            size_t docs)
{
    size_t i;

    for (i = 0; i < n; i++) {
        slot *s;
        if (!counts[i])
            continue;
        if (!(s = get(idf, terms[i])))
            return DD_ENOMEM;
        s->corpus += counts[i];
    }
    idf->corpus_docs += docs;
    return DD_OK;
}

double dd_idf_weight(const dd_idf *idf, uint64_t hash)
{
    double df = 0, n = (double)(idf->bg_docs + idf->corpus_docs);

    if (idf->cap) {
        size_t i = find(idf, hash ? hash : 1);
        if (idf->t[i].hash)
            df = (double)idf->t[i].bg + (double)idf->t[i].corpus;
    }
    return log((n + 1) / (df + 1)) + 1e-3;
}

size_t dd_idf_docs(const dd_idf *idf)
{
    return idf->bg_docs + idf->corpus_docs;
}

/* ---- building tables ----------------------------------------------------------------- */

struct dd_idf_builder {
    dd__strmap stems; /* stem -> index */
    uint32_t *df, *last_doc;
    size_t cap, docs;
};

dd_status dd_idf_builder_new(dd_idf_builder **out)
{
    dd_idf_builder *b = calloc(1, sizeof *b);

    *out = b;
    if (!b)
        return DD_ENOMEM;
    dd__strmap_init(&b->stems);
    b->docs = 1; /* last_doc 0 means "never" */
    return DD_OK;
}

void dd_idf_builder_free(dd_idf_builder *b)
{
    if (!b)
        return;
    dd__strmap_free(&b->stems);
    free(b->df);
    free(b->last_doc);
    free(b);
}

dd_status dd_idf_builder_term(dd_idf_builder *b, const char *stem, size_t len)
{
    uint32_t idx;
    bool found;
    size_t cap = b->cap;

    if (dd__strmap_put(&b->stems, stem, len, (uint32_t)b->stems.count, &idx, &found) != DD_OK)
        return DD_ENOMEM;
    if (!found) {
        if (dd__grow((void **)&b->df, &cap, idx + 1, sizeof *b->df) != DD_OK)
            return DD_ENOMEM;
        cap = b->cap;
        if (dd__grow((void **)&b->last_doc, &cap, idx + 1, sizeof *b->last_doc) != DD_OK)
            return DD_ENOMEM;
        b->cap = cap;
        b->df[idx] = 0;
        b->last_doc[idx] = 0;
    }
    if (b->last_doc[idx] != b->docs) {
        b->last_doc[idx] = (uint32_t)b->docs;
        b->df[idx]++;
    }
    return DD_OK;
}

void dd_idf_builder_next_doc(dd_idf_builder *b)
{
    b->docs++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

dd_status dd_idf_builder_write(const dd_idf_builder *b, size_t min_df, FILE *out)
{
    const char **keys = malloc((b->stems.count + 1) * sizeof *keys);
    size_t i, n = 0;
    uint32_t idx;

    if (!keys)
        return DD_ENOMEM;
    for (i = 0; i < b->stems.cap; i++)
        if (b->stems.keys[i])
            keys[n++] = b->stems.keys[i];
    if (n)
        qsort(keys, n, sizeof *keys, cmp_str);
    fprintf(out, "#dedup-idf\t1\tdocs\t%zu\n", b->docs - 1);
    for (i = 0; i < n; i++) {
        dd__strmap_get(&b->stems, keys[i], strlen(keys[i]), &idx);
        if (b->df[idx] >= min_df)
            fprintf(out, "%s\t%u\n", keys[i], b->df[idx]);
    }
    free(keys);
    return ferror(out) ? DD_EIO : DD_OK;
}
