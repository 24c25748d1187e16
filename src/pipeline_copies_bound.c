/* Copies evidence, bound sketches: candidate pairs -> the ones exact verification
 * (pipeline_copies.c) must still read. Two sets' sketches bound their shared elements from
 * above and their sizes from below, so a pair rejected on them fails the word rule (and the
 * OCR rule) on its exact sets too: the output is that of verifying every pair. */
#include "pipeline_stages.h"

#include <stdlib.h>
#include <string.h>

/* ---- rejecting pairs on their bound sketches -------------------------------------------
 * A pair with a document that is read again costs reading it (tens of microseconds); most
 * candidates on a corpus full of shared sentences share a sentence or two and fail every
 * rule. The sketches of the two sets (dd_sketch_make: bitmaps kept for each read-again
 * document, made here for the kept ones) give an upper bound u on |A n B| and lower bounds
 * on |A| and |B|; Jaccard and containment grow with |A n B| and shrink with the sizes, so when the
 * bounds already fail the word rule (and the OCR rule, on the gram sets, where it applies)
 * the exact scores fail it too: the pair is rejected without loading either set. The pairs
 * left are verified exactly, as before, so the output is the same (docs/ALGORITHMS.md,
 * "Bound sketches"). */

/* Whether an upper bound u on |A n B|, with lower bounds na and nb on the set sizes, lets the
 * word rule accept: Jaccard u / (na + nb - u) >= threshold, or containment u / min >= c0 =
 * min(containment, 0.5) (below that word_rule rejects whatever rule 2 or 3 would say). Grows
 * with u (IEEE division is monotone), so the smallest such u splits reject from maybe. */
static bool word_may_accept(const dd__run *w, size_t u, size_t na, size_t nb)
{
    double c0 = w->o->containment < 0.5 ? w->o->containment : 0.5;

    return u >= na + nb || (double)u / (double)(na + nb - u) >= w->o->threshold ||
           (double)u / (double)(na < nb ? na : nb) >= c0;
}

/* The gram rule's: containment of the smaller gram set u / min(ga, gb) >= OCR_C. */
static bool gram_may_accept(const dd__run *w, size_t u, size_t na, size_t nb)
{
    (void)w;
    return (double)u / (double)(na < nb ? na : nb) >= OCR_C;
}

/* The smallest u in [0, hi] for which may(u) holds (it holds at hi). */
static size_t least_u(const dd__run *w, bool (*may)(const dd__run *, size_t, size_t, size_t),
                      size_t na, size_t nb, size_t hi)
{
    size_t lo = 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (may(w, mid, na, nb))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Whether the bound on |A n B| of two sketches stays under `need`; *u gets it. */
static bool sk_under(const uint8_t *x, const uint8_t *y, size_t need, size_t *u)
{
    *u = dd_sketch_inter(x, y);
    return *u < need;
}

/* Whether the word sketches of a and b already fail the word rule; *u gets the bound on
 * their shared shingles then. */
static bool word_bound_rejects(const dd__run *w, uint32_t a, uint32_t b, size_t *u)
{
    const struct dd__result_mem *m = w->res->mem;
    const size_t *off = m->sk_off;
    size_t na, nb;

    if (off[2 * a] == DD__NO_SKETCH || off[2 * b] == DD__NO_SKETCH)
        return false;
    na = dd_sketch_count(m->sk + off[2 * a]);
    nb = dd_sketch_count(m->sk + off[2 * b]);
    return na && nb &&
           sk_under(m->sk + off[2 * a], m->sk + off[2 * b],
                    least_u(w, word_may_accept, na, nb, na + nb), u);
}

/* Whether a pair the word bound rejects may still pass the OCR rule: then its gram sketches
 * decide. */
static bool ocr_may_save(const dd__run *w, uint32_t a, uint32_t b, size_t u)
{
    return w->o->containment <= 1.0 && u >= OCR_MIN_SHARED && dd__ocr_pair(w, a, b);
}

/* Whether accept() (pipeline_copies.c) must reject the pair, by the bounds alone. */
static bool bound_rejects(const dd__run *w, uint32_t a, uint32_t b)
{
    const struct dd__result_mem *m = w->res->mem;
    const size_t *off = m->sk_off;
    size_t u;

    if (!word_bound_rejects(w, a, b, &u))
        return false;
    if (ocr_may_save(w, a, b, u)) {
        size_t ga, gb;
        if (off[2 * a + 1] == DD__NO_SKETCH || off[2 * b + 1] == DD__NO_SKETCH)
            return false;
        ga = dd_sketch_count(m->sk + off[2 * a + 1]);
        gb = dd_sketch_count(m->sk + off[2 * b + 1]);
        /* an empty gram set has containment 0: rejected */
        if (ga && gb &&
            !sk_under(m->sk + off[2 * a + 1], m->sk + off[2 * b + 1],
                      least_u(w, gram_may_accept, ga, gb, ga < gb ? ga : gb), &u))
            return false;
    }
    return true;
}

typedef struct filter_job {
    const dd__run *w;
    const uint64_t *cand;
    uint8_t *keep;
} filter_job;

static dd_status filter_range(void *ctx, size_t part, size_t lo, size_t hi)
{
    filter_job *j = ctx;
    const uint8_t *fl = j->w->res->mem->flags;
    size_t i;

    (void)part;
    for (i = lo; i < hi; i++) {
        uint32_t a = (uint32_t)(j->cand[i] >> 32), b = (uint32_t)j->cand[i];
        /* pairs of two kept sets cost no reading: verified at once */
        j->keep[i] = !((fl[a] | fl[b]) & DD__DOC_REREAD) || !bound_rejects(j->w, a, b);
    }
    return DD_OK;
}

/* Sketches of the kept sets (and kept gram sets), made again each pass: the boilerplate pass
 * strips them in place. Earlier ones are left in the arena: kept sets are the first
 * --keep-text bytes of a corpus, a small part of it. */
static dd_status sketch_kept(dd__run *w)
{
    struct dd__result_mem *m = w->res->mem;
    dd__sketchbuf sb = {0};
    size_t d, at;
    dd_status st = DD_OK;
    int pass = w->memo.sealed ? 2 : 1;

    if (w->kept_sketched == pass) /* once a pass: dd__gram_sketches may have made them */
        return DD_OK;
    w->kept_sketched = pass;
    for (d = 0; st == DD_OK && d < w->res->n_docs; d++) {
        dd__setview v;
        if (m->flags[d] & (DD__DOC_REREAD | DD__DOC_CHANGED))
            continue;
        v = dd__kept_set(m, (uint32_t)d);
        st = dd__sketch_put(&sb, v.set, v.n, SKETCH_WORD_BITS, SKETCH_WORD_WIDTH, &m->sk, &m->sk_n,
                            &m->sk_cap, &at);
        m->sk_off[2 * d] = at;
        m->sk_off[2 * d + 1] = DD__NO_SKETCH;
        if (st == DD_OK && v.grams &&
            w->res->docs[d].tokens >= OCR_MIN_TOKENS) {
            st = dd__sketch_put(&sb, v.gset, v.gn, SKETCH_GRAM_BITS, SKETCH_GRAM_WIDTH, &m->sk,
                                &m->sk_n, &m->sk_cap, &at);
            m->sk_off[2 * d + 1] = at;
        }
    }
    dd__sketchbuf_free(&sb);
    return st;
}

/* Whether any document is read again (else no pair is filtered on its sketches). */
static bool any_reread(const dd__run *w)
{
    size_t d;

    for (d = 0; d < w->res->n_docs; d++)
        if (w->res->mem->flags[d] & DD__DOC_REREAD)
            return true;
    return false;
}

/* Whether document d should get its gram sketch now: read again, sketched, long, none yet. */
static bool lacks_gram_sketch(const dd__run *w, uint32_t d)
{
    const struct dd__result_mem *m = w->res->mem;

    return (m->flags[d] & (DD__DOC_REREAD | DD__DOC_CHANGED | DD__DOC_GSKETCH)) ==
               DD__DOC_REREAD &&
           m->sk_off[2 * d] != DD__NO_SKETCH && m->sk_off[2 * d + 1] == DD__NO_SKETCH &&
           w->res->docs[d].tokens >= OCR_MIN_TOKENS;
}

/* Gram sketches for the clean documents of the OCR pairs among cand[0..n_cand) whose word
 * bound fails (only their gram sketches can reject them): signing makes them only for
 * documents that look misread. Each such document is read once here (on the threads, 2 x
 * DD__BLOCK_PAIRS at a time), rather than once per pair by verification. The driver calls it
 * with the whole candidate list, on every MPI rank, so every rank holds the same sketches. */
dd_status dd__gram_sketches(dd__run *w, const uint64_t *cand, size_t n_cand)
{
    struct dd__result_mem *m = w->res->mem;
    uint32_t *docs = NULL;
    uint8_t *need = NULL;
    size_t n = 0, cap = 0, i, k;
    dd__sketchbuf sb = {0};
    dd_status st = DD_OK;

    if (!any_reread(w))
        return DD_OK;
    st = sketch_kept(w);
    for (i = 0; st == DD_OK && i < n_cand; i++) {
        uint32_t ab[2] = {(uint32_t)(cand[i] >> 32), (uint32_t)cand[i]};
        size_t u;
        if (!((m->flags[ab[0]] | m->flags[ab[1]]) & DD__DOC_REREAD) ||
            !word_bound_rejects(w, ab[0], ab[1], &u) || !ocr_may_save(w, ab[0], ab[1], u))
            continue; /* the bounds do not need its gram sketches */
        for (k = 0; k < 2 && st == DD_OK; k++)
            if (lacks_gram_sketch(w, ab[k])) {
                m->flags[ab[k]] |= DD__DOC_GSKETCH;
                st = dd__grow((void **)&docs, &cap, n + 1, sizeof *docs);
                if (st == DD_OK)
                    docs[n++] = ab[k];
            }
    }
    if (n > 1)
        qsort(docs, n, sizeof *docs, dd__cmp_u32);
    need = st == DD_OK ? malloc(2 * DD__BLOCK_PAIRS) : NULL;
    if (need)
        memset(need, 1, 2 * DD__BLOCK_PAIRS);
    else if (n)
        st = DD_ENOMEM;
    for (i = 0; st == DD_OK && i < n; i += 2 * DD__BLOCK_PAIRS) {
        size_t len = n - i < 2 * DD__BLOCK_PAIRS ? n - i : 2 * DD__BLOCK_PAIRS;
        dd__setblock blk;
        w->grams_only = true;
        st = dd__sets_load_need(w, docs + i, len, need, false, &blk);
        w->grams_only = false;
        for (k = 0; st == DD_OK && k < len; k++) {
            const dd__setview *v = dd__sets_get(&blk, docs[i + k]);
            size_t at;
            if (!v->grams || (m->flags[docs[i + k]] & DD__DOC_CHANGED))
                continue;
            st = dd__sketch_put(&sb, v->gset, v->gn, SKETCH_GRAM_BITS, SKETCH_GRAM_WIDTH,
                                &m->sk, &m->sk_n, &m->sk_cap, &at);
            m->sk_off[2 * docs[i + k] + 1] = at;
        }
        dd__sets_free(&blk);
    }
    dd__sketchbuf_free(&sb);
    free(need);
    free(docs);
    return st;
}

/* The candidates the bounds cannot reject, in order, into *out (n_out of them); NULL when
 * every set is kept (verifying them costs less than the bounds). bound[i] (when not NULL) is
 * set for each candidate rejected. */
dd_status dd__filter_candidates(dd__run *w, const uint64_t *cand, size_t n_cand, uint64_t **out,
                                size_t *n_out, uint8_t *bound)
{
    size_t i, k = 0, nt = dd__thread_count(w->o);
    filter_job job;
    dd_status st;

    *out = NULL;
    *n_out = n_cand;
    if (!any_reread(w) || n_cand == 0)
        return DD_OK;
    if ((st = sketch_kept(w)) != DD_OK)
        return st;
    job = (filter_job){w, cand, malloc(n_cand)};
    *out = malloc(n_cand * sizeof **out);
    if (!job.keep || !*out) {
        free(job.keep);
        free(*out);
        *out = NULL;
        return DD_ENOMEM;
    }
    nt = nt > DD__MAX_RANGE_THREADS ? DD__MAX_RANGE_THREADS : nt;
    st = dd__parallel_for(nt, n_cand, filter_range, &job);
    for (i = 0; st == DD_OK && i < n_cand; i++) {
        if (job.keep[i])
            (*out)[k++] = cand[i];
        else if (bound)
            bound[i] = DD__V_BOUND;
    }
    free(job.keep);
    *n_out = k;
    w->res->n_bound_rejected += n_cand - k;
    return st;
}
