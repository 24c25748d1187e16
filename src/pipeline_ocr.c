/* OCR copies (docs/ALGORITHMS.md, "Copies through OCR noise"): which pairs may be copies read
 * by OCR, and their candidates. Every document has an OCR signature (one-permutation MinHash
 * of its look-alike-folded character grams, pipeline_sign.c) and an estimate of its noise
 * (unknown words per thousand, dd_vocab_noise). A pair is an OCR pair when one of its
 * documents looks misread; only such pairs come from the OCR bands, and only they are tried
 * on grams when the word rule rejects them, so clean text keeps its candidates and verdicts. */
#include "pipeline_stages.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Per-document OCR flags, made once before the first candidates (dd__ocr_flags). */
enum { OCR_LONG = 1, OCR_NOISY = 2 };

/* From OCR_NOISE_MIN unknown words per thousand a text looks misread (a clean news story has
 * 8 in the median, 40 at the 90th percentile; one with 2 % of its characters misread 70 in
 * the median: docs/ALGORITHMS.md). Above OCR_NOISE_MAX it is not prose (price tables, codes)
 * and the vocabulary says nothing about how it was read. */
enum { OCR_NOISE_MIN = 30, OCR_NOISE_MAX = 350 };

/* The OCR bands are tuned for a gram similarity of the leads of OCR_LSH_T. */
#define OCR_LSH_T 0.45

/* A pair is tried as an OCR pair when one document looks misread and neither is short: the
 * grams of a few lines of a template (earnings tables, dividend notices) match another
 * company's as well as a noisy copy's, and a short text's unknown words are names. */
bool dd__ocr_noisy(unsigned noise)
{
    return noise >= OCR_NOISE_MIN && noise <= OCR_NOISE_MAX;
}

dd_status dd__ocr_flags(dd__run *w)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t n = w->res->n_docs, i;

    free(w->ocr_flag);
    w->ocr_flag = malloc(n + 1);
    if (!w->ocr_flag)
        return DD_ENOMEM;
    for (i = 0; i < n; i++)
        w->ocr_flag[i] = (uint8_t)((w->res->docs[i].tokens >= OCR_MIN_TOKENS ? OCR_LONG : 0) |
                                   (dd__ocr_noisy(m->noise[i]) ? OCR_NOISY : 0));
    return DD_OK;
}

bool dd__ocr_pair(const dd__run *w, uint32_t a, uint32_t b)
{
    unsigned fa = w->ocr_flag[a], fb = w->ocr_flag[b];

    return (fa & fb & OCR_LONG) && ((fa | fb) & OCR_NOISY);
}

/* One band: the long documents sorted by the band's key; in each run of equal keys holding
 * a noisy member, every member is paired with those before it (at most MAX_BUCKET of them)
 * when one of the two is noisy. Runs without a noisy member cost one pass. */
enum { MAX_BUCKET = 100 };

/* Whether two documents' signatures agree on a quarter of their values or more (an
 * estimated gram similarity of 0.25). Tested as a pair comes out of a bucket, not once the
 * bands' pairs are joined: the pairs of chance agreements in one band of 8-bit values were
 * most of the band stage's memory on a million articles. */
static bool similar(const dd__run *w, uint32_t x, uint32_t y)
{
    const uint8_t *a = w->res->mem->osig + (size_t)x * OCR_VALUES;
    const uint8_t *b = w->res->mem->osig + (size_t)y * OCR_VALUES;
    size_t j, eq = 0;

    for (j = 0; j < OCR_VALUES; j++)
        eq += a[j] == b[j];
    return eq * 4 >= OCR_VALUES;
}

static dd_status run_pairs(const dd__run *w, const dd__kv *e, size_t i, size_t j,
                           uint64_t **out, size_t *n_out, size_t *cap)
{
    size_t a, b;

    for (b = i + 1; b < j; b++) {
        for (a = b - i > MAX_BUCKET ? b - MAX_BUCKET : i; a < b; a++) {
            uint32_t x = e[a].val, y = e[b].val;
            if (!dd__ocr_pair(w, x, y) || !similar(w, x, y))
                continue;
            if (*n_out == *cap && dd__grow((void **)out, cap, *n_out + 1, sizeof **out))
                return DD_ENOMEM;
            (*out)[(*n_out)++] = x < y ? (uint64_t)x << 32 | y : (uint64_t)y << 32 | x;
        }
    }
    return DD_OK;
}

static uint64_t band_key(const dd__run *w, size_t doc, size_t band, size_t rows)
{
    return XXH3_64bits_withSeed(w->res->mem->osig + doc * OCR_VALUES + band * rows,
                                rows * sizeof *w->res->mem->osig, band);
}

/* Only a run holding a misread document gives pairs, and few documents look misread: their
 * keys go into an open-addressing table first (t: 2^bits slots, 0 marks a free one, a key of
 * 0 is noted apart), and only the long documents whose key is there are sorted. The runs are
 * those of sorting every long document, in the same order. */
typedef struct band_scratch {
    dd__kv *e;
    uint64_t *t;
    unsigned bits;
} band_scratch;

static bool table_has(const band_scratch *s, uint64_t key, bool zero)
{
    size_t mask = ((size_t)1 << s->bits) - 1, i = (size_t)(key >> (64 - s->bits));

    if (key == 0)
        return zero;
    for (; s->t[i]; i = (i + 1) & mask)
        if (s->t[i] == key)
            return true;
    return false;
}

static bool table_put(band_scratch *s, uint64_t key)
{
    size_t mask = ((size_t)1 << s->bits) - 1, i = (size_t)(key >> (64 - s->bits));

    if (key == 0)
        return true;
    for (; s->t[i]; i = (i + 1) & mask)
        if (s->t[i] == key)
            return false;
    s->t[i] = key;
    return false;
}

static dd_status band_pairs(const dd__run *w, size_t band, size_t rows, band_scratch *s,
                            uint64_t **out, size_t *n_out, size_t *cap)
{
    size_t n = w->res->n_docs, i, j, k = 0;
    dd__kv *e = s->e;
    dd_status st = DD_OK;
    bool zero = false;

    memset(s->t, 0, ((size_t)1 << s->bits) * sizeof *s->t);
    for (i = 0; i < n; i++)
        if ((w->ocr_flag[i] & (OCR_LONG | OCR_NOISY)) == (OCR_LONG | OCR_NOISY))
            zero |= table_put(s, band_key(w, i, band, rows));
    for (i = 0; i < n; i++) {
        uint64_t key;
        if (!(w->ocr_flag[i] & OCR_LONG))
            continue;
        key = band_key(w, i, band, rows);
        if (table_has(s, key, zero))
            e[k++] = (dd__kv){key, (uint32_t)i, 0};
    }
    if (dd__bucket_sort_kv(e, k) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; st == DD_OK && i < k; i = j) {
        for (j = i + 1; j < k && e[j].key == e[i].key; j++)
            ;
        if (j - i > 1)
            st = run_pairs(w, e, i, j, out, n_out, cap);
    }
    return st;
}

/* The bands are shared out over the threads (dd__parallel_for), each with its own entries
 * and pairs, kept distinct as they grow; the threads' lists are merged in place, so the
 * pairs do not depend on the thread count. */
typedef struct band_part {
    band_scratch s;
    uint64_t *pairs;
    size_t n, cap, n_unique; /* n_unique: dd__pairs_distinct's */
} band_part;

typedef struct band_job {
    const dd__run *w;
    size_t rows, n_noisy;
    band_part *part;
    size_t first, step; /* the bands banded: first, first + step, ... (one MPI rank's share) */
} band_job;

static dd_status band_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    band_job *j = ctx;
    band_part *p = &j->part[part];
    size_t band;
    dd_status st = DD_OK;

    p->s.bits = 4; /* at least twice as many slots as misread documents */
    while (p->s.bits < 40 && ((size_t)1 << p->s.bits) < 2 * j->n_noisy)
        p->s.bits++;
    p->s.e = malloc((j->w->res->n_docs + 1) * sizeof *p->s.e);
    p->s.t = malloc(((size_t)1 << p->s.bits) * sizeof *p->s.t);
    if (!p->s.e || !p->s.t)
        return DD_ENOMEM;
    for (band = lo; st == DD_OK && band < hi; band++) {
        st = band_pairs(j->w, j->first + band * j->step, j->rows, &p->s, &p->pairs, &p->n,
                        &p->cap);
        if (st == DD_OK) /* sorted and distinct after the last band, to be merged */
            p->n = dd__pairs_distinct(p->pairs, p->n, &p->n_unique, band + 1 == hi);
    }
    free(p->s.e); /* the scratch goes before the parts' pairs are joined */
    free(p->s.t);
    p->s.e = NULL;
    p->s.t = NULL;
    return st;
}

/* The OCR signatures and noise estimates serve only here and in dd__ocr_flags, once a run:
 * they are given back before verification, whose blocks of sets are the run's peak memory. */
static void release(struct dd__result_mem *m)
{
    free(m->osig);
    free(m->noise);
    m->osig = NULL;
    m->noise = NULL;
    m->osig_cap = m->noise_cap = 0;
}

dd_status dd__ocr_candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    dd_lsh_params p = dd_lsh_optimal(OCR_LSH_T, OCR_VALUES, 0.25, 0.75);
    size_t nt = dd__thread_count(w->o), t;
    band_part part[DD__MAX_RANGE_THREADS];
    band_job job = {w, p.rows, 0, part, w->shard ? w->shard->rank : 0,
                    w->shard ? w->shard->ranks : 1};
    size_t nb = job.first < p.bands ? (p.bands - job.first + job.step - 1) / job.step : 0;
    dd_status st = DD_OK;

    *cand = NULL;
    *n_cand = 0;
    for (t = 0; t < w->res->n_docs; t++)
        job.n_noisy += (w->ocr_flag[t] & (OCR_LONG | OCR_NOISY)) == (OCR_LONG | OCR_NOISY);
    if (w->res->n_docs < 2 || job.n_noisy == 0 || nb == 0) { /* a pair needs a misread side */
        if (!w->o->keep_ocr_sigs)
            release(w->res->mem);
        return DD_OK;
    }
    nt = nt > DD__MAX_RANGE_THREADS ? DD__MAX_RANGE_THREADS : nt;
    nt = nt > nb ? nb : nt;
    memset(part, 0, sizeof part);
    st = dd__parallel_for(nt, nb, band_range, &job);
    for (t = 0; t < nt; t++) { /* the union, merged part by part into the first's array */
        if (st == DD_OK && t == 0) {
            *cand = part[0].pairs;
            *n_cand = part[0].n;
            part[0].pairs = NULL;
        } else if (st == DD_OK)
            st = dd__merge_unique_u64(cand, n_cand, part[t].pairs, part[t].n);
        free(part[t].s.e);
        free(part[t].s.t);
        free(part[t].pairs);
    }
    if (st != DD_OK) {
        free(*cand);
        *cand = NULL;
        *n_cand = 0;
        return st;
    }
    if (!w->o->keep_ocr_sigs)
        release(w->res->mem);
    return DD_OK;
}

/* ---- the OCR rule's first-pass verdicts ----------------------------------------------- */

static void memo_push(dd__ocr_memo *m, int i, uint64_t pair)
{
    if (m->lost)
        return;
    if (m->n[i] == m->cap[i] &&
        dd__grow((void **)&m->pair[i], &m->cap[i], m->n[i] + 1, sizeof *m->pair[i]) != DD_OK) {
        m->lost = true;
        return;
    }
    m->pair[i][m->n[i]++] = pair;
}

void dd__ocr_memo_add(dd__ocr_memo *m, uint64_t pair, bool accepted, bool footer)
{
    assert(!m->sealed);
    memo_push(m, 0, pair);
    if (accepted)
        memo_push(m, 1, pair);
    if (footer)
        memo_push(m, 2, pair);
}

void dd__ocr_memo_seal(dd__ocr_memo *m)
{
    int i;

    for (i = 0; i < 3; i++)
        if (m->n[i])
            m->n[i] = dd__sort_unique_u64(m->pair[i], m->n[i]);
    m->sealed = true;
}

bool dd__ocr_memo_get(const dd__ocr_memo *m, uint64_t pair, bool *accepted, bool *footer)
{
    if (!m->sealed || m->lost || !dd__has_u64(m->pair[0], m->n[0], pair))
        return false;
    *accepted = dd__has_u64(m->pair[1], m->n[1], pair);
    *footer = dd__has_u64(m->pair[2], m->n[2], pair);
    return true;
}

void dd__ocr_memo_free(dd__ocr_memo *m)
{
    int i;

    for (i = 0; i < 3; i++)
        free(m->pair[i]);
    memset(m, 0, sizeof *m);
}
