/* Story stage, per document and per pair: tf-idf vectors (top K terms, L2-normalised), the
 * cosine and a length-corrected pair similarity, and the order of shared first mentions.
 * The clustering over the similarities is story_cluster.c. Invariant: vectors are sorted by
 * term hash, so a pair's similarity is one merge walk and adds in the same order every time. */
#include <dedup/dedup.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef dd__hw tw;

dd_status dd_story_vector(const uint64_t *h, size_t n, const dd_idf *idf, size_t top_k,
                          uint64_t *out_h, float *out_w, size_t *n_out)
{
    uint64_t *s = malloc((n ? n : 1) * sizeof *s);
    tw *t = malloc((n ? n : 1) * sizeof *t);
    size_t i = 0, d = 0;
    double norm = 0;

    *n_out = 0;
    if (!s || !t) {
        free(s);
        free(t);
        return DD_ENOMEM;
    }
    if (n)
        memcpy(s, h, n * sizeof *s);
    dd__sort_u64(s, n);
    while (i < n) { /* sublinear tf times idf */
        size_t j = i;
        while (j < n && s[j] == s[i])
            j++;
        t[d].h = s[i];
        t[d++].w = (1.0 + log((double)(j - i))) * dd_idf_weight(idf, s[i]);
        i = j;
    }
    if (d > top_k) {
        dd__select_hw_desc(t, d, top_k);
        d = top_k;
        dd__sort_hw_hash(t, d); /* hashes are distinct here */
    }
    for (i = 0; i < d; i++)
        norm += t[i].w * t[i].w;
    norm = norm > 0 ? sqrt(norm) : 1;
    for (i = 0; i < d; i++) {
        out_h[i] = t[i].h;
        out_w[i] = (float)(t[i].w / norm);
    }
    *n_out = d;
    free(s);
    free(t);
    return DD_OK;
}

dd_status dd_story_top_terms(dd_vec v, size_t k, uint64_t *out, size_t *n_out)
{
    tw *t;
    size_t i;

    *n_out = v.n < k ? v.n : k;
    if (v.n <= k) {
        if (v.n)
            memcpy(out, v.h, v.n * sizeof *out);
        return DD_OK;
    }
    t = malloc(v.n * sizeof *t);
    if (!t)
        return DD_ENOMEM;
    for (i = 0; i < v.n; i++)
        t[i] = (tw){v.h[i], v.w[i]};
    dd__select_hw_desc(t, v.n, k);
    for (i = 0; i < k; i++)
        out[i] = t[i].h;
    dd__sort_u64(out, k);
    free(t);
    return DD_OK;
}

double dd_story_cosine(dd_vec a, dd_vec b)
{
    size_t i = 0, j = 0;
    double dot = 0;

    /* Most terms are not shared, so the merge steps without a branch on which side is
     * smaller (a mispredicted one each step was a fifth of a stories run on Reuters);
     * shared terms add in ascending hash order as before, so the sum is the same. */
    while (i < a.n && j < b.n) {
        uint64_t x = a.h[i], y = b.h[j];
        if (x == y)
            dot += (double)a.w[i] * b.w[j];
        i += x <= y;
        j += y <= x;
    }
    return dot;
}

double dd_story_similarity(dd_vec a, dd_vec b, double penalty)
{
    double cos = dd_story_cosine(a, b), s;
    size_t n = a.n < b.n ? a.n : b.n;

    if (cos < DD_STORY_MIN_COSINE || n == 0)
        return 0;
    s = cos - penalty / sqrt((double)n);
    return s > 0 ? s : 0;
}

dd_story_opts dd_story_opts_default(void)
{
    dd_story_opts o = {0.36, 4.0, 0.2, 0.15, 0.5};
    return o;
}

/* ---- order of first mentions ----------------------------------------------------------- */

typedef struct mention {
    uint32_t pa, pb, ra;
    uint64_t h;
} mention;

static int cmp_by_a(const void *x, const void *y)
{
    const mention *p = x, *q = y;

    if (p->pa != q->pa)
        return p->pa < q->pa ? -1 : 1;
    if (p->pb != q->pb)
        return p->pb < q->pb ? -1 : 1;
    return (p->h > q->h) - (p->h < q->h);
}

static int cmp_by_b(const void *x, const void *y)
{
    const mention *p = x, *q = y;

    if (p->pb != q->pb)
        return p->pb < q->pb ? -1 : 1;
    if (p->pa != q->pa)
        return p->pa < q->pa ? -1 : 1;
    return (p->h > q->h) - (p->h < q->h);
}

dd_status dd_story_order(const uint64_t *ha, const uint32_t *pa, size_t na, const uint64_t *hb,
                         const uint32_t *pb, size_t nb, double *out)
{
    size_t i = 0, j = 0, n = 0;
    mention *m = malloc((na < nb ? na : nb) * sizeof *m + 1);
    double d2 = 0, k, r = 0;

    if (!m)
        return DD_ENOMEM;
    while (i < na && j < nb) {
        if (ha[i] < hb[j])
            i++;
        else if (hb[j] < ha[i])
            j++;
        else {
            m[n++] = (mention){pa[i], pb[j], 0, ha[i]};
            i++;
            j++;
        }
    }
    if (n >= 3) {
        qsort(m, n, sizeof *m, cmp_by_a);
        for (i = 0; i < n; i++)
            m[i].ra = (uint32_t)i;
        qsort(m, n, sizeof *m, cmp_by_b);
        for (i = 0; i < n; i++) {
            double d = (double)m[i].ra - (double)i;
            d2 += d * d;
        }
        k = (double)n;
        r = 1 - 6 * d2 / (k * (k * k - 1));
    }
    free(m);
    *out = r;
    return DD_OK;
}
