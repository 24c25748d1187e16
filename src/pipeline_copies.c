/* Copies evidence: exact verification of MinHash candidates (Jaccard, containment, the
 * abridged-copy core rule, footer-only rejection) and the boilerplate pass that strips lines
 * repeated across unrelated documents before verifying again. docs/ALGORITHMS.md explains
 * each rule. */
#include "pipeline_stages.h"

#include <stdlib.h>
#include <string.h>

/* ---- verification -------------------------------------------------------------------- */

/* Where, in document x's own text order, are the shingles it shares with the other set?
 * mark[p] is 0 where position p holds no set element (a repeat or stripped boilerplate),
 * 1 for an unshared shingle and 2 for a shared one. */
typedef struct profile {
    size_t present, shared;           /* set elements, and those shared */
    size_t core_present, core_shared; /* the same between the first and last shared one */
    bool footer;                      /* all it shares is one block at its end */
} profile;

static void mark_shared(const dd__setview *x, const uint64_t *other, size_t n_other,
                        unsigned char *mark)
{
    size_t i, j = 0;

    memset(mark, 0, x->seq);
    for (i = 0; i < x->n; i++) {
        while (j < n_other && other[j] < x->set[i])
            j++;
        mark[x->pos[i]] = j < n_other && other[j] == x->set[i] ? 2 : 1;
    }
}

/* The same over tokens for the grams: a token is shared when one of the grams starting in it
 * is, present when it starts any. */
static void mark_shared_grams(const dd__setview *x, const dd__setview *other, size_t ntok,
                              unsigned char *mark)
{
    size_t i, j = 0;

    memset(mark, 0, ntok);
    for (i = 0; i < x->gn; i++) {
        unsigned char v;
        while (j < other->gn && other->gset[j] < x->gset[i])
            j++;
        v = j < other->gn && other->gset[j] == x->gset[i] ? 2 : 1;
        mark[x->gpos[i]] = v > mark[x->gpos[i]] ? v : mark[x->gpos[i]];
    }
}

/* Core and footer of n marked positions (k: the shingle length, for the footer's minimum). */
static void profile_marks(const unsigned char *mark, size_t n, size_t k, profile *pr)
{
    size_t i, first = n, last = 0, cnt = 0, seen = 0, t_best = n, in_best = 0;

    memset(pr, 0, sizeof *pr);
    for (i = 0; i < n; i++) {
        pr->present += mark[i] != 0;
        pr->shared += mark[i] == 2;
        if (mark[i] == 2) {
            first = i < first ? i : first;
            last = i;
        }
    }
    for (i = first; pr->shared && i <= last; i++) {
        pr->core_present += mark[i] != 0;
        pr->core_shared += mark[i] == 2;
    }
    /* The longest end block that is at least 80% shared; a footer if it holds 90% of all
     * shared shingles and at least a quarter of the document lies before it. */
    for (i = n; i-- > 0;) {
        cnt += mark[i] == 2;
        seen += mark[i] != 0;
        if (cnt * 5 >= seen * 4) {
            t_best = i;
            in_best = cnt;
        }
    }
    pr->footer = pr->shared && in_best * 10 >= pr->shared * 9 && t_best * 4 >= n &&
                 in_best >= 2 * k;
}

static void profile_doc(const dd__setview *x, const dd__setview *other, size_t k,
                        unsigned char *mark, profile *pr)
{
    mark_shared(x, other->set, other->n, mark);
    profile_marks(mark, x->seq, k, pr);
}

enum { REJECT, ACCEPT, FOOTER, NEED_GRAMS };

/* The verification rule (docs/ALGORITHMS.md, "Verification"): Jaccard, or containment of
 * the smaller set, or an abridged copy: between its first and last shared shingle the
 * smaller document is >= 90% shared and that core is at least two thirds of it, so a wrapper
 * (byline, footer, new headline) around a trimmed copy does not hide it. A pair whose
 * shared shingles are, in both documents, only a block at the end shares a footer. */
static int word_rule(const dd__run *w, const dd__setview *va, const dd__setview *vb,
                     const dd_set_score *s, unsigned char *mark)
{
    size_t na = va->n, nb = vb->n, k = w->o->shingle_k;
    profile pa, pb, *ps;
    bool ok = s->jaccard >= w->o->threshold ||
              (s->containment >= w->o->containment && (na < nb ? na : nb) >= w->o->min_contained);

    if (!ok && s->containment < 0.5)
        return REJECT;
    profile_doc(va, vb, k, mark, &pa);
    profile_doc(vb, va, k, mark, &pb);
    ps = na <= nb ? &pa : &pb;
    if (!ok)
        ok = w->o->containment <= 1.0 && ps->core_shared >= w->o->min_contained &&
             ps->core_shared * 10 >= ps->core_present * 9 && ps->core_present * 3 >= ps->present * 2;
    if (ok && pa.footer && pb.footer)
        return FOOTER;
    return ok ? ACCEPT : REJECT;
}

/* OCR rule (docs/ALGORITHMS.md, "Copies through OCR noise"): for a pair whose word shingles
 * fail and one of which looks misread, the containment of the smaller set of look-alike-folded
 * character grams (a few per cent of misread characters lower it far less than the word
 * shingles'), at OCR_C, with the footer test over tokens. Jaccard and the abridged core were
 * measured too: on clean wire stories cut from one template (bond issues, appointments) they
 * accepted pairs that containment at 0.8 leaves apart. */
#define OCR_C 0.8
enum { OCR_MIN_SHARED = 3 };

static int gram_rule(const dd__run *w, const dd__setview *va, size_t ta, const dd__setview *vb,
                     size_t tb, unsigned char *mark)
{
    dd_set_score g = dd_verify_sets(va->gset, va->gn, vb->gset, vb->gn);
    size_t k = w->o->shingle_k, mn = va->gn < vb->gn ? va->gn : vb->gn;
    profile pa, pb;

    if (g.containment < OCR_C || mn < w->o->min_contained)
        return REJECT;
    mark_shared_grams(va, vb, ta, mark);
    profile_marks(mark, ta, k, &pa);
    mark_shared_grams(vb, va, tb, mark);
    profile_marks(mark, tb, k, &pb);
    return pa.footer && pb.footer ? FOOTER : ACCEPT;
}

/* Whether the sealed memo answers for the pair: the boilerplate pass stripped neither. */
static bool memo_covers(const dd__run *w, uint32_t a, uint32_t b)
{
    return w->memo.sealed && !((w->res->mem->flags[a] | w->res->mem->flags[b]) & DD__DOC_STRIPPED);
}

/* The OCR rule on a pair the word rule rejects: the first pass's verdict where the memo
 * covers it, else from the grams, or NEED_GRAMS when a side has none here (read again later,
 * only for such pairs: verify_block). */
static int ocr_rule(dd__run *w, uint32_t a, uint32_t b, const dd__setview *va,
                    const dd__setview *vb, unsigned char *mark)
{
    uint64_t key = (uint64_t)a << 32 | b;
    bool acc, foot;
    int r;

    if (memo_covers(w, a, b) && dd__ocr_memo_get(&w->memo, key, &acc, &foot))
        return acc ? ACCEPT : foot ? FOOTER : REJECT;
    if (!va->grams || !vb->grams)
        return NEED_GRAMS;
    r = gram_rule(w, va, w->res->docs[a].tokens, vb, w->res->docs[b].tokens, mark);
    if (!w->memo.sealed)
        dd__ocr_memo_add(&w->memo, key, r == ACCEPT, r == FOOTER);
    return r;
}

/* ACCEPT, REJECT, or NEED_GRAMS (ocr_rule). */
static int accept(dd__run *w, uint32_t a, uint32_t b, const dd__setview *va,
                  const dd__setview *vb, const dd_set_score *s, unsigned char *mark)
{
    int r = word_rule(w, va, vb, s, mark);

    /* containment > 1 asks for Jaccard alone: the OCR rule is a containment rule. A copy
     * shares some word shingles still (OCR_MIN_SHARED): a table of other figures may not. */
    if (r == REJECT && w->o->containment <= 1.0 && s->inter >= OCR_MIN_SHARED &&
        dd__ocr_pair(w, a, b)) {
        r = ocr_rule(w, a, b, va, vb, mark);
        if (r == NEED_GRAMS)
            return r;
    }
    if (r == FOOTER) {
        dd__verdicts *v = &w->verd;
        w->res->n_footer_only++;
        if (!w->memo.sealed && !v->lost) {
            if (dd__grow((void **)&v->foot, &v->foot_cap, v->n_foot + 1, sizeof *v->foot) != DD_OK)
                v->lost = true;
            else
                v->foot[v->n_foot++] = (uint64_t)a << 32 | b;
        }
    }
    return r == ACCEPT ? ACCEPT : REJECT;
}

/* Candidates are verified BLOCK_PAIRS at a time: the sets of a block's documents are
 * loaded (read again where they are not kept), at most 2 x BLOCK_PAIRS of them. A block's
 * sets (and gram sets, for OCR pairs) are the run's peak memory: 4096 pairs keep 1M
 * generated articles under 1.5 GB (docs/performance.md), 16384 did not. */
enum { BLOCK_PAIRS = 1 << 12 };

/* The distinct documents of cand[0..n), ascending. */
static uint32_t *block_docs(const uint64_t *cand, size_t n, size_t *n_docs)
{
    uint64_t *d = malloc((2 * n + 1) * sizeof *d);
    uint32_t *out = malloc((2 * n + 1) * sizeof *out);
    size_t i;

    if (!d || !out) {
        free(d);
        free(out);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        d[2 * i] = cand[i] >> 32;
        d[2 * i + 1] = (uint32_t)cand[i];
    }
    *n_docs = dd__sort_unique_u64(d, 2 * n);
    for (i = 0; i < *n_docs; i++)
        out[i] = (uint32_t)d[i];
    free(d);
    return out;
}

/* Where doc is in docs[0..n) (ascending; it is there). */
static size_t doc_index(const uint32_t *docs, size_t n, uint32_t doc)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (docs[mid] < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The documents of the block whose gram sets an OCR pair may need: only they are made again
 * (with regrams, those of every pair; else not where the memo has the verdict). */
static uint8_t *grams_needed(const dd__run *w, const uint64_t *cand, size_t n,
                             const uint32_t *docs, size_t n_docs, bool regrams)
{
    uint8_t *need = calloc(n_docs + 1, 1);
    size_t i;

    for (i = 0; need && i < n; i++) {
        uint32_t a = (uint32_t)(cand[i] >> 32), b = (uint32_t)cand[i];
        if (dd__ocr_pair(w, a, b) && (regrams || !memo_covers(w, a, b))) {
            need[doc_index(docs, n_docs, a)] = 1;
            need[doc_index(docs, n_docs, b)] = 1;
        }
    }
    return need;
}

/* Verify cand[0..n) into res->pairs. Without regrams, the pairs whose OCR rule needs grams
 * that a kept set lacks go to *later (then verified again with regrams: those documents are
 * read again, and only those). */
static dd_status verify_pairs(dd__run *w, const uint64_t *cand, size_t n, unsigned char **mark,
                              size_t *mark_cap, bool regrams, uint64_t **later, size_t *n_later)
{
    dd_result *res = w->res;
    dd__setblock blk;
    size_t n_docs = 0, i, later_cap = 0;
    uint32_t *docs = block_docs(cand, n, &n_docs);
    uint8_t *gneed = docs ? grams_needed(w, cand, n, docs, n_docs, regrams) : NULL;
    dd_status st = gneed ? dd__sets_load_need(w, docs, n_docs, gneed, regrams, &blk) : DD_ENOMEM;

    free(docs);
    free(gneed);
    if (st != DD_OK) {
        dd__sets_free(&blk);
        return st;
    }
    for (i = 0; st == DD_OK && i < n; i++) {
        uint32_t a = (uint32_t)(cand[i] >> 32), b = (uint32_t)cand[i];
        const dd__setview *va = dd__sets_get(&blk, a), *vb = dd__sets_get(&blk, b);
        size_t ta = res->docs[a].tokens, tb = res->docs[b].tokens;
        size_t need = (va->seq > vb->seq ? va->seq : vb->seq) + (ta > tb ? ta : tb) + 1;
        dd_set_score s;
        if ((res->mem->flags[a] | res->mem->flags[b]) & DD__DOC_CHANGED)
            continue;
        if (dd__grow((void **)mark, mark_cap, need, 1) != DD_OK) {
            st = DD_ENOMEM;
            break;
        }
        s = dd_verify_sets(va->set, va->n, vb->set, vb->n);
        switch (accept(w, a, b, va, vb, &s, *mark)) {
        case ACCEPT:
            break;
        case NEED_GRAMS:
            if (!later) /* cannot happen: with regrams every side has its grams */
                continue;
            if (dd__grow((void **)later, &later_cap, *n_later + 1, sizeof **later) != DD_OK)
                st = DD_ENOMEM;
            else
                (*later)[(*n_later)++] = cand[i];
            continue;
        default:
            continue;
        }
        if (dd__grow((void **)&res->pairs, &res->mem->pairs_cap, res->n_pairs + 1,
                     sizeof *res->pairs) != DD_OK)
            st = DD_ENOMEM;
        else
            res->pairs[res->n_pairs++] =
                (dd_pair_score){a, b, s.jaccard, s.containment, -1, true, NULL, NULL, NULL};
    }
    dd__sets_free(&blk);
    return st;
}

static int cmp_pair(const void *pa, const void *pb)
{
    const dd_pair_score *x = pa, *y = pb;

    if (x->a != y->a)
        return x->a < y->a ? -1 : 1;
    return (x->b > y->b) - (x->b < y->b);
}

/* The pairs put aside come last; sorting the block's pairs gives them the candidates'
 * order, as if verified in one pass. */
static dd_status verify_block(dd__run *w, const uint64_t *cand, size_t n, unsigned char **mark,
                              size_t *mark_cap)
{
    uint64_t *later = NULL;
    size_t n_later = 0, first = w->res->n_pairs;
    dd_status st = verify_pairs(w, cand, n, mark, mark_cap, false, &later, &n_later);

    if (st == DD_OK && n_later) {
        st = verify_pairs(w, later, n_later, mark, mark_cap, true, NULL, NULL);
        if (w->res->n_pairs > first) /* none accepted: pairs may still be NULL */
            qsort(w->res->pairs + first, w->res->n_pairs - first, sizeof *w->res->pairs,
                  cmp_pair);
    }
    free(later);
    return st;
}

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

/* Whether accept() must reject the pair, by the bounds alone. */
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

static int cmp_u32(const void *pa, const void *pb)
{
    const uint32_t *a = pa, *b = pb;

    return (*a > *b) - (*a < *b);
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
 * BLOCK_PAIRS at a time), rather than once per pair by verification. The driver calls it
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
        qsort(docs, n, sizeof *docs, cmp_u32);
    need = st == DD_OK ? malloc(2 * BLOCK_PAIRS) : NULL;
    if (need)
        memset(need, 1, 2 * BLOCK_PAIRS);
    else if (n)
        st = DD_ENOMEM;
    for (i = 0; st == DD_OK && i < n; i += 2 * BLOCK_PAIRS) {
        size_t len = n - i < 2 * BLOCK_PAIRS ? n - i : 2 * BLOCK_PAIRS;
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
static dd_status filter_candidates(dd__run *w, const uint64_t *cand, size_t n_cand,
                                   uint64_t **out, size_t *n_out, uint8_t *bound)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t d, i, k = 0, nt = dd__thread_count(w->o);
    bool any = false;
    filter_job job;
    dd_status st;

    *out = NULL;
    *n_out = n_cand;
    for (d = 0; d < w->res->n_docs && !any; d++)
        any = (m->flags[d] & DD__DOC_REREAD) != 0;
    if (!any || n_cand == 0)
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

/* Verify cand[0..n_cand) into res->pairs (cat: as dd__verdicts.cat, or NULL). */
static dd_status verify_all(dd__run *w, const uint64_t *cand, size_t n_cand, uint8_t *cat)
{
    unsigned char *mark = NULL;
    uint64_t *left = NULL;
    size_t i, mark_cap = 0, n_left = 0;
    dd_status st = filter_candidates(w, cand, n_cand, &left, &n_left, cat);

    if (left)
        cand = left;
    for (i = 0; st == DD_OK && i < n_left; i += BLOCK_PAIRS)
        st = verify_block(w, cand + i, n_left - i < BLOCK_PAIRS ? n_left - i : BLOCK_PAIRS,
                          &mark, &mark_cap);
    free(mark);
    free(left);
    return st;
}

/* Where key is in sorted keys[0..n), or n. */
static size_t find_key(const uint64_t *keys, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && keys[lo] == key ? lo : n;
}

static uint64_t pair_key(const dd_pair_score *p)
{
    return (uint64_t)p->a << 32 | p->b;
}

/* First pass: remember the candidates; their bound rejections are marked as they happen. */
static dd_status record(dd__run *w, const uint64_t *cand, size_t n_cand)
{
    dd__verdicts *v = &w->verd;

    if (v->lost || v->recorded || w->memo.sealed)
        return DD_OK;
    v->recorded = true;
    v->key = malloc((n_cand + 1) * sizeof *v->key);
    v->cat = calloc(n_cand + 1, 1); /* DD__V_REJECT */
    if (!v->key || !v->cat) {
        v->lost = true;
        return DD_OK;
    }
    if (n_cand)
        memcpy(v->key, cand, n_cand * sizeof *cand);
    v->n = n_cand;
    return DD_OK;
}

void dd__verdicts_seal(dd__run *w)
{
    dd__verdicts *v = &w->verd;
    const dd_result *res = w->res;
    size_t i, k;

    if (!v->recorded || v->lost)
        return;
    v->acc = malloc((res->n_pairs + 1) * sizeof *v->acc);
    if (!v->acc) {
        v->lost = true;
        return;
    }
    if (res->n_pairs)
        memcpy(v->acc, res->pairs, res->n_pairs * sizeof *v->acc);
    v->n_acc = res->n_pairs;
    for (i = 0; i < v->n_acc; i++)
        if ((k = find_key(v->key, v->n, pair_key(&v->acc[i]))) < v->n)
            v->cat[k] = DD__V_ACCEPT;
    for (i = 0; i < v->n_foot; i++)
        if ((k = find_key(v->key, v->n, v->foot[i])) < v->n)
            v->cat[k] = DD__V_FOOTER;
}

/* Second pass: the first pass's verdict where it stands (neither document stripped), else
 * NULL; *fresh gets the candidates that must be verified again. */
static dd_status reuse(dd__run *w, const uint64_t *cand, size_t n_cand, uint64_t **fresh,
                       size_t *n_fresh, dd_pair_score **kept, size_t *n_kept)
{
    const dd__verdicts *v = &w->verd;
    const uint8_t *fl = w->res->mem->flags;
    size_t i, j = 0, a = 0;

    *fresh = malloc((n_cand + 1) * sizeof **fresh);
    *kept = malloc((v->n_acc + 1) * sizeof **kept);
    *n_fresh = *n_kept = 0;
    if (!*fresh || !*kept)
        return DD_ENOMEM;
    (*fresh)[0] = 0; /* (none may be written) */
    for (i = 0; i < n_cand; i++) { /* cand and v->key ascend: one walk */
        uint32_t da = (uint32_t)(cand[i] >> 32), db = (uint32_t)cand[i];
        while (j < v->n && v->key[j] < cand[i])
            j++;
        if (j == v->n || v->key[j] != cand[i] ||
            ((fl[da] | fl[db]) & (DD__DOC_STRIPPED | DD__DOC_CHANGED))) {
            (*fresh)[(*n_fresh)++] = cand[i];
            continue;
        }
        switch (v->cat[j]) {
        case DD__V_ACCEPT:
            while (a < v->n_acc && pair_key(&v->acc[a]) < cand[i])
                a++;
            (*kept)[(*n_kept)++] = v->acc[a];
            break;
        case DD__V_FOOTER:
            w->res->n_footer_only++;
            break;
        case DD__V_BOUND:
            w->res->n_bound_rejected++;
            break;
        default:
            break;
        }
    }
    return DD_OK;
}

/* Merge the kept pairs into res->pairs[first..n_pairs) (both ascending). */
static dd_status merge_kept(dd_result *res, size_t first, const dd_pair_score *kept,
                            size_t n_kept)
{
    size_t n_new = res->n_pairs - first, i = 0, j = 0, k = 0;
    dd_pair_score *tmp = malloc((n_new + n_kept + 1) * sizeof *tmp);

    if (!tmp || dd__grow((void **)&res->pairs, &res->mem->pairs_cap, res->n_pairs + n_kept + 1,
                         sizeof *res->pairs) != DD_OK) {
        free(tmp);
        return DD_ENOMEM;
    }
    while (i < n_new || j < n_kept)
        tmp[k++] = j == n_kept || (i < n_new && pair_key(&res->pairs[first + i]) <
                                                    pair_key(&kept[j]))
                       ? res->pairs[first + i++]
                       : kept[j++];
    if (k)
        memcpy(res->pairs + first, tmp, k * sizeof *tmp);
    res->n_pairs = first + k;
    free(tmp);
    return DD_OK;
}

dd_status dd__verify_copies(dd__run *w, const uint64_t *cand, size_t n_cand)
{
    uint64_t *fresh = NULL;
    dd_pair_score *kept = NULL;
    size_t n_fresh = 0, n_kept = 0, first = w->res->n_pairs;
    dd_status st;

    if (!w->memo.sealed) {
        st = record(w, cand, n_cand);
        return st == DD_OK ? verify_all(w, cand, n_cand, w->verd.lost ? NULL : w->verd.cat) : st;
    }
    if (!w->verd.recorded || w->verd.lost)
        return verify_all(w, cand, n_cand, NULL);
    st = reuse(w, cand, n_cand, &fresh, &n_fresh, &kept, &n_kept);
    if (st == DD_OK)
        st = verify_all(w, fresh, n_fresh, NULL);
    if (st == DD_OK && n_kept)
        st = merge_kept(w->res, first, kept, n_kept);
    free(fresh);
    free(kept);
    return st;
}

/* ---- boilerplate ----------------------------------------------------------------------
 * A line (>= 3 tokens) found in documents of three or more different first-pass clusters
 * is boilerplate: the same words beside unrelated stories. Copies of one story share their
 * lines too, but they sit in one cluster, so they count once. Shingles touching such lines
 * are dropped from a document's set before the second pass. See docs/ALGORITHMS.md. */

static int cmp_line_doc(const void *pa, const void *pb)
{
    const dd__line *a = pa, *b = pb;

    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    return (a->a > b->a) - (a->a < b->a);
}


/* Distinct roots among the n keys of one run of equal line hashes. */
static size_t distinct_roots(const dd__kv *run, size_t n, uint32_t *roots)
{
    size_t i, d = 1;

    for (i = 0; i < n; i++)
        roots[i] = run[i].aux;
    if (n > 2)
        qsort(roots, n, sizeof *roots, cmp_u32);
    for (i = 1; i < n; i++)
        d += roots[i] != roots[i - 1];
    return d;
}

/* dd_pipeline_opts.extra_lines: per distinct line hash of the sorted keys, the copies groups
 * outside the run (a stored index) that hold it; *extra stays NULL without the hook. */
static dd_status extra_lines(const dd__run *w, const dd__kv *key, size_t n, uint8_t **extra)
{
    uint64_t *h;
    size_t i, u = 0;
    dd_status st;

    *extra = NULL;
    if (!w->o->extra_lines)
        return DD_OK;
    h = malloc((n + 1) * sizeof *h);
    if (!h)
        return DD_ENOMEM;
    for (i = 0; i < n; i++)
        if (!u || h[u - 1] != key[i].key)
            h[u++] = key[i].key;
    *extra = calloc(u + 1, 1);
    st = *extra ? w->o->extra_lines(w->o->extra_lines_ud, h, u, *extra) : DD_ENOMEM;
    free(h);
    return st;
}

/* A line of the article body: not boilerplate, BODY_TOKENS or more, and not the headline
 * (a document's first line). */
enum { BODY_TOKENS = 10 };

static bool body_line(const dd__line *ln)
{
    return !ln->bp && ln->a > 0 && ln->b - ln->a >= BODY_TOKENS;
}

/* Boilerplate is the page around the article: lines before its body (site header, byline,
 * dateline) and after it (footer). For each line (lines in document order), whether it lies
 * outside its document's body (1), between two body lines (0); a document without body
 * lines is all outside. */
static void mark_outside(const struct dd__result_mem *m, uint8_t *outside)
{
    size_t lo, hi, i;

    for (lo = 0; lo < m->n_lines; lo = hi) {
        size_t first = SIZE_MAX, last = 0;
        for (hi = lo; hi < m->n_lines && m->lines[hi].doc == m->lines[lo].doc; hi++)
            if (body_line(&m->lines[hi])) {
                first = first == SIZE_MAX ? hi : first;
                last = hi;
            }
        for (i = lo; i < hi; i++)
            outside[i] = first == SIZE_MAX || i <= first || i >= last;
    }
}

/* Repeated lines inside a document's body go too while they are at most a third of its
 * text (the recurring lines of a wire template: bond issues, appointments); past that the
 * document is mostly sentences other articles also carry, and only the page around its body
 * goes (lines with furniture[i] set). A third keeps Reuters-21578's pairs as they were and
 * the sentence-pool corpus's precision at 0.99 (a half: 0.96; docs/ALGORITHMS.md). The share
 * is taken over each first-pass cluster, so copies of one story, a byline or a footer apart,
 * are stripped alike rather than on either side of the third. */
static dd_status keep_body(const dd_result *res, dd_uf *uf, const uint8_t *furniture)
{
    struct dd__result_mem *m = res->mem;
    size_t *bp_tok = calloc(res->n_docs + 1, sizeof *bp_tok);
    size_t *tok = calloc(res->n_docs + 1, sizeof *tok);
    size_t lo, hi, i;

    if (!bp_tok || !tok) {
        free(bp_tok);
        free(tok);
        return DD_ENOMEM;
    }
    for (i = 0; i < m->n_lines; i++)
        bp_tok[dd_uf_find(uf, m->lines[i].doc)] +=
            m->lines[i].bp ? m->lines[i].b - m->lines[i].a : 0;
    for (i = 0; i < res->n_docs; i++)
        tok[dd_uf_find(uf, (uint32_t)i)] += res->docs[i].tokens;
    for (lo = 0; lo < m->n_lines; lo = hi) {
        uint32_t r = dd_uf_find(uf, m->lines[lo].doc);
        for (hi = lo; hi < m->n_lines && m->lines[hi].doc == m->lines[lo].doc; hi++)
            ;
        if (bp_tok[r] * 3 > tok[r])
            for (i = lo; i < hi; i++)
                m->lines[i].bp = m->lines[i].bp && furniture[i];
    }
    free(bp_tok);
    free(tok);
    return DD_OK;
}

/* Lines are sorted by (doc, first token), the order strip_boilerplate walks; the grouping
 * by text sorts (hash, index, root) keys instead, so the lines never move.
 * A line text repeated in three or more first-pass clusters is boilerplate where it stands
 * outside the body, if it stands there in at least 4 of 5 of its occurrences. A sentence
 * that recurs at random places (a quote, the agency paragraph stories reuse) is shared
 * content instead: stripped, it left each document its own few sentences, and a shared
 * passage then counted as most of one (the abridged-copy rule joined unrelated articles
 * this way on the sentence-pool corpus; docs/ALGORITHMS.md). */
static dd_status mark_boilerplate(const dd__run *w, dd_uf *uf, size_t *n_bp)
{
    const dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    dd__kv *key = NULL;
    uint32_t *roots = NULL;
    uint8_t *outside = NULL, *extra = NULL;
    size_t i, j, k, n = m->n_lines;
    bool in_order = true;
    dd_status st;

    *n_bp = 0;
    if (n == 0)
        return DD_OK;
    for (i = 1; i < n && in_order; i++)
        in_order = cmp_line_doc(&m->lines[i - 1], &m->lines[i]) < 0;
    if (!in_order)
        qsort(m->lines, n, sizeof *m->lines, cmp_line_doc);
    key = malloc(n * sizeof *key);
    roots = malloc(n * sizeof *roots);
    outside = malloc(n);
    if (!key || !roots || !outside || n > UINT32_MAX) {
        free(key);
        free(roots);
        free(outside);
        return DD_ENOMEM;
    }
    for (i = 0; i < n; i++)
        key[i] = (dd__kv){m->lines[i].h, (uint32_t)i, dd_uf_find(uf, m->lines[i].doc)};
    /* line hashes are XXH3 values; a line's repeats come in index order, as the bucket
     * sort wants (only the grouping by text matters below) */
    if (dd__bucket_sort_kv(key, n) != DD_OK) {
        free(key);
        free(roots);
        free(outside);
        return DD_ENOMEM;
    }
    if ((st = extra_lines(w, key, n, &extra)) != DD_OK) {
        free(key);
        free(roots);
        free(outside);
        free(extra);
        return st;
    }
    for (i = 0, k = 0; i < n; i = j, k++) {
        size_t r;
        for (j = i + 1; j < n && key[j].key == key[i].key; j++)
            ;
        r = j - i > 2 || (extra && extra[k]) ? distinct_roots(key + i, j - i, roots) : 0;
        r += extra ? extra[k] : 0;
        for (; i < j; i++)
            m->lines[key[i].val].bp = r >= 3;
    }
    mark_outside(m, outside);
    for (i = 0; i < n; i = j) {
        size_t out = 0, q;
        bool edge;
        for (j = i; j < n && key[j].key == key[i].key; j++)
            out += outside[key[j].val];
        edge = out * 5 >= (j - i) * 4;
        for (q = i; q < j; q++)
            outside[key[q].val] = edge && outside[key[q].val];
    }
    st = keep_body(res, uf, outside);
    free(key);
    free(roots);
    free(outside);
    free(extra);
    for (i = 0; i < n; i++)
        *n_bp += m->lines[i].bp != 0;
    return st;
}

/* Re-sign a stripped document: its full and lead signatures from what is left. The OCR
 * signature stays as it was made: its pairs are verified on the stripped sets all the same. */
static dd_status resign(dd__run *w, uint32_t d, const dd__setview *v)
{
    struct dd__result_mem *m = w->res->mem;
    uint32_t *sig = malloc(w->o->num_perm * sizeof *sig);

    if (!sig)
        return DD_ENOMEM;
    dd_minhash_sign(w->mh, v->set, v->n, sig);
    dd_lsh_band_keys(w->bands, w->rows, sig, m->bkeys + (size_t)d * w->bands);
    free(sig);
    dd__lead_of_set(w, v, d, m->lead + (size_t)d * w->lead_n);
    return DD_OK;
}

/* The grams of v that start outside boilerplate into gset/gpos (room for v->gn each), or all
 * of them when none would be left, as for shingles. Returns how many. */
static size_t strip_grams(const dd__run *w, uint32_t d, const dd__setview *v, size_t *acc,
                          size_t *keep, uint64_t *gset, uint32_t *gpos)
{
    size_t g = dd__filter_boilerplate_grams(w, d, v, acc, keep), i;

    if (g == 0) {
        for (i = 0; i < v->gn; i++)
            keep[i] = i;
        g = v->gn;
    }
    for (i = 0; i < g; i++) { /* keep[i] >= i: in place when gset is v->gset */
        gset[i] = v->gset[keep[i]];
        gpos[i] = v->gpos[keep[i]];
    }
    return g;
}

/* Documents that are read again: load those with a boilerplate line a block at a time,
 * strip, and re-sign the ones that changed; they are stripped again whenever read.
 * Re-signing does not use their grams; they are made only for a document with a gram
 * sketch, which is made again from them (without, its OCR pairs could not be rejected
 * unread: on a corpus of shared sentences that was a third of the candidates). */
static dd_status strip_reread(dd__run *w, const uint32_t *docs, size_t n, size_t *n_changed)
{
    struct dd__result_mem *m = w->res->mem;
    size_t *acc = NULL, *keep = NULL, acc_cap = 0, keep_cap = 0, i, j, lo;
    uint64_t *set = NULL, *gset = NULL;
    uint32_t *pos = NULL, *gpos = NULL;
    size_t set_cap = 0, pos_cap = 0, gset_cap = 0, gpos_cap = 0;
    dd__sketchbuf skb = {0};
    uint8_t *need = malloc(2 * BLOCK_PAIRS + 1);
    dd_status st = need ? DD_OK : DD_ENOMEM;

    for (lo = 0; st == DD_OK && lo < n; lo += 2 * BLOCK_PAIRS) {
        size_t hi = n - lo < 2 * BLOCK_PAIRS ? n : lo + 2 * BLOCK_PAIRS;
        dd__setblock blk;
        for (i = 0; i < hi - lo; i++)
            need[i] = m->sk_off && m->sk_off[2 * docs[lo + i] + 1] != DD__NO_SKETCH;
        st = dd__sets_load_need(w, docs + lo, hi - lo, need, false, &blk);
        for (i = 0; st == DD_OK && i < hi - lo; i++) {
            const dd__setview *v = &blk.v[i];
            uint32_t d = docs[lo + i];
            size_t kept;
            if (m->flags[d] & DD__DOC_CHANGED)
                continue;
            if (dd__grow((void **)&acc, &acc_cap, w->res->docs[d].tokens + 1, sizeof *acc) !=
                    DD_OK ||
                dd__grow((void **)&keep, &keep_cap, v->n + 1, sizeof *keep) != DD_OK ||
                dd__grow((void **)&set, &set_cap, v->n + 1, sizeof *set) != DD_OK ||
                dd__grow((void **)&pos, &pos_cap, v->n + 1, sizeof *pos) != DD_OK) {
                st = DD_ENOMEM;
                break;
            }
            kept = dd__filter_boilerplate(w, d, v, acc, keep);
            if (kept == 0 || kept == v->n)
                continue;
            for (j = 0; j < kept; j++) {
                set[j] = v->set[keep[j]];
                pos[j] = v->pos[keep[j]];
            }
            m->flags[d] |= DD__DOC_STRIPPED;
            st = resign(w, d, &(dd__setview){set, pos, kept, v->seq, NULL, NULL, 0, false});
            if (st == DD_OK && v->grams &&
                (dd__grow((void **)&keep, &keep_cap, v->gn + 1, sizeof *keep) != DD_OK ||
                 dd__grow((void **)&gset, &gset_cap, v->gn + 1, sizeof *gset) != DD_OK ||
                 dd__grow((void **)&gpos, &gpos_cap, v->gn + 1, sizeof *gpos) != DD_OK))
                st = DD_ENOMEM;
            if (st == DD_OK) {
                dd__setview sv = {set, pos, kept, v->seq, gset, gpos, 0, v->grams};
                if (v->grams)
                    sv.gn = strip_grams(w, d, v, acc, keep, gset, gpos);
                st = dd__sketch_restrip(w, &skb, d, &sv); /* without grams its gram sketch goes */
            }
            (*n_changed)++;
        }
        dd__sets_free(&blk);
    }
    free(acc);
    free(keep);
    free(set);
    free(pos);
    free(gset);
    free(gpos);
    free(need);
    dd__sketchbuf_free(&skb);
    return st;
}

/* ---- stripping read-again documents on MPI ranks ----------------------------------------
 * Reading the documents again is the cost of stripping, so on MPI ranks (w->shard) rank r
 * strips the r-th slice of them and ships, for each document it stripped, what stripping
 * changed: its band keys, lead signature and sketches (rewritten in place, so they fit
 * where they were). */

typedef struct stripped_head {
    uint32_t doc;
    uint32_t word_len, gram_len; /* sketch bytes; gram_len UINT32_MAX: its gram sketch went */
} stripped_head;

static dd_status put_bytes(unsigned char **buf, size_t *n, size_t *cap, const void *p, size_t len)
{
    if (dd__grow((void **)buf, cap, *n + len + 1, 1) != DD_OK)
        return DD_ENOMEM;
    if (len)
        memcpy(*buf + *n, p, len);
    *n += len;
    return DD_OK;
}

static dd_status pack_stripped(const dd__run *w, const uint32_t *docs, size_t n,
                               unsigned char **buf, size_t *len)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t i, cap = 0, nb = w->bands, nl = w->lead_n;
    dd_status st = DD_OK;

    *buf = NULL;
    *len = 0;
    for (i = 0; st == DD_OK && i < n; i++) {
        uint32_t d = docs[i];
        size_t wo = m->sk_off[2 * d], go = m->sk_off[2 * d + 1];
        stripped_head h = {d, 0, UINT32_MAX};
        if (!(m->flags[d] & DD__DOC_STRIPPED))
            continue;
        h.word_len = wo == DD__NO_SKETCH ? 0 : (uint32_t)dd_sketch_size(m->sk + wo);
        h.gram_len = go == DD__NO_SKETCH ? UINT32_MAX : (uint32_t)dd_sketch_size(m->sk + go);
        st = put_bytes(buf, len, &cap, &h, sizeof h);
        if (st == DD_OK)
            st = put_bytes(buf, len, &cap, m->bkeys + (size_t)d * nb, nb * sizeof *m->bkeys);
        if (st == DD_OK)
            st = put_bytes(buf, len, &cap, m->lead + (size_t)d * nl, nl * sizeof *m->lead);
        if (st == DD_OK && h.word_len)
            st = put_bytes(buf, len, &cap, m->sk + wo, h.word_len);
        if (st == DD_OK && h.gram_len != UINT32_MAX)
            st = put_bytes(buf, len, &cap, m->sk + go, h.gram_len);
    }
    return st;
}

/* Another rank's stripped documents, as if stripped here; returns how many. */
static size_t unpack_stripped(dd__run *w, const unsigned char *p, size_t len)
{
    struct dd__result_mem *m = w->res->mem;
    const unsigned char *end = p + len;
    size_t nb = w->bands, nl = w->lead_n, n = 0;

    while (p < end) {
        stripped_head h;
        memcpy(&h, p, sizeof h);
        p += sizeof h;
        m->flags[h.doc] |= DD__DOC_STRIPPED;
        memcpy(m->bkeys + (size_t)h.doc * nb, p, nb * sizeof *m->bkeys);
        p += nb * sizeof *m->bkeys;
        memcpy(m->lead + (size_t)h.doc * nl, p, nl * sizeof *m->lead);
        p += nl * sizeof *m->lead;
        if (h.word_len)
            memcpy(m->sk + m->sk_off[2 * h.doc], p, h.word_len);
        p += h.word_len;
        if (h.gram_len == UINT32_MAX)
            m->sk_off[2 * h.doc + 1] = DD__NO_SKETCH;
        else { /* a sketch made at signing, so every rank has its place */
            if (m->sk_off[2 * h.doc + 1] != DD__NO_SKETCH)
                memcpy(m->sk + m->sk_off[2 * h.doc + 1], p, h.gram_len);
            p += h.gram_len;
        }
        n++;
    }
    return n;
}

/* strip_reread, one slice per rank, the results exchanged. */
static dd_status strip_reread_shared(dd__run *w, const uint32_t *docs, size_t n,
                                     size_t *n_changed)
{
    const dd__shard *sh = w->shard;
    size_t lo, hi, len = 0, *lens, r, at = 0;
    unsigned char *mine = NULL;
    void *all = NULL;
    dd_status st;

    if (!sh || sh->ranks < 2)
        return strip_reread(w, docs, n, n_changed);
    lo = n * sh->rank / sh->ranks;
    hi = n * (sh->rank + 1) / sh->ranks;
    if (!(lens = malloc(sh->ranks * sizeof *lens)))
        return DD_ENOMEM;
    st = strip_reread(w, docs + lo, hi - lo, n_changed);
    if (st == DD_OK)
        st = pack_stripped(w, docs + lo, hi - lo, &mine, &len);
    if (st == DD_OK)
        st = sh->allgather(sh->ud, mine, len, &all, lens);
    for (r = 0; st == DD_OK && r < sh->ranks; at += lens[r++])
        if (r != sh->rank)
            *n_changed += unpack_stripped(w, (const unsigned char *)all + at, lens[r]);
    free(mine);
    free(all);
    free(lens);
    return st;
}

/* Shrink each document's set to its non-boilerplate shingles (unless that would leave
 * nothing: a page that is all boilerplate keeps its set) and re-sign the ones that changed.
 * Kept sets only shrink, so they are compacted in place, document after document; the
 * others are flagged to be stripped whenever they are read again. */
static dd_status strip_boilerplate(dd__run *w, size_t *n_changed)
{
    dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    size_t *acc = NULL, *keep = NULL, max_tok = 0, max_set = 0, d, li = 0, wpos = 0, i;
    size_t gwpos = 0;
    uint32_t *reread = NULL;
    size_t n_reread = 0;
    dd_status st;

    for (d = 0; d < res->n_docs; d++) {
        size_t sz = m->set_off[d + 1] - m->set_off[d], gsz = m->goff[d + 1] - m->goff[d];
        sz = gsz > sz ? gsz : sz;
        max_tok = res->docs[d].tokens > max_tok ? res->docs[d].tokens : max_tok;
        max_set = sz > max_set ? sz : max_set;
    }
    acc = malloc((max_tok + 1) * sizeof *acc);
    keep = malloc((max_set + 1) * sizeof *keep);
    reread = malloc((res->n_docs + 1) * sizeof *reread);
    if (!acc || !keep || !reread) {
        free(acc);
        free(keep);
        free(reread);
        return DD_ENOMEM;
    }
    *n_changed = 0;
    for (d = 0; d < res->n_docs; d++) {
        size_t lo = m->set_off[d], hi = m->set_off[d + 1], n_ln = 0, kept = hi - lo;
        size_t glo = m->goff[d], gkept = m->goff[d + 1] - glo;
        bool any_bp = false;
        while (li + n_ln < m->n_lines && m->lines[li + n_ln].doc == d)
            any_bp |= m->lines[li + n_ln++].bp != 0;
        li += n_ln;
        if (any_bp && (m->flags[d] & DD__DOC_REREAD))
            reread[n_reread++] = (uint32_t)d;
        else if (any_bp) {
            dd__setview v = dd__kept_set(m, (uint32_t)d);
            kept = dd__filter_boilerplate(w, (uint32_t)d, &v, acc, keep);
        }
        if (kept == 0 || kept == hi - lo) {
            kept = hi - lo;
            if (kept && wpos != lo) { /* no set kept at all: m->set is NULL */
                memmove(m->set + wpos, m->set + lo, kept * sizeof *m->set);
                memmove(m->pos + wpos, m->pos + lo, kept * sizeof *m->pos);
            }
        } else {
            dd__setview gv = {NULL, NULL, 0, 0, m->gset + glo, m->gpos + glo, gkept, true};
            for (i = 0; i < kept; i++) {
                m->set[wpos + i] = m->set[lo + keep[i]]; /* lo + keep[i] >= wpos + i */
                m->pos[wpos + i] = m->pos[lo + keep[i]];
            }
            if (gkept) /* gwpos <= glo: compacted in place */
                gkept = strip_grams(w, (uint32_t)d, &gv, acc, keep, m->gset + gwpos,
                                    m->gpos + gwpos);
            if (resign(w, (uint32_t)d,
                       &(dd__setview){m->set + wpos, m->pos + wpos, kept, m->seq_len[d],
                                      m->gset + gwpos, m->gpos + gwpos, gkept, true}) != DD_OK) {
                free(acc);
                free(keep);
                free(reread);
                return DD_ENOMEM;
            }
            m->flags[d] |= DD__DOC_STRIPPED;
            (*n_changed)++;
            glo = gwpos; /* already in place */
        }
        if (gkept && gwpos != glo) {
            memmove(m->gset + gwpos, m->gset + glo, gkept * sizeof *m->gset);
            memmove(m->gpos + gwpos, m->gpos + glo, gkept * sizeof *m->gpos);
        }
        m->set_off[d] = wpos;
        wpos += kept;
        m->goff[d] = gwpos;
        gwpos += gkept;
    }
    m->set_off[res->n_docs] = wpos;
    m->goff[res->n_docs] = gwpos;
    m->gset_n = gwpos;
    m->set_n = wpos;
    free(acc);
    free(keep);
    st = strip_reread_shared(w, reread, n_reread, n_changed);
    free(reread);
    return st;
}

static dd_status union_pairs(const dd_result *res, dd_uf **out)
{
    dd_status st = dd_uf_new(res->n_docs, out);
    size_t i;

    for (i = 0; st == DD_OK && i < res->n_pairs; i++)
        dd_uf_union(*out, res->pairs[i].a, res->pairs[i].b);
    return st;
}

/* Strip boilerplate found by the first clustering: lines in documents of three or more
 * first-pass clusters. *again tells whether any set changed, so the driver bands the changed
 * documents again and verifies the union of both passes' candidates on the stripped sets
 * (dd__verify_again first). */
dd_status dd__boilerplate_strip(dd__run *w, bool *again)
{
    dd_result *res = w->res;
    dd_uf *uf = NULL;
    dd_status st = union_pairs(res, &uf);

    *again = false;
    if (st != DD_OK)
        return st;
    st = mark_boilerplate(w, uf, &res->n_boilerplate_lines);
    dd_uf_free(uf);
    if (st != DD_OK || res->n_boilerplate_lines == 0)
        return st;
    st = strip_boilerplate(w, &res->n_stripped);
    *again = st == DD_OK && res->n_stripped > 0;
    return st;
}

/* The second verification starts afresh; the verdicts of the first are kept for it. */
void dd__verify_again(dd__run *w)
{
    dd__verdicts_seal(w);
    w->res->n_pairs = 0;
    w->res->n_footer_only = 0;
    w->res->n_bound_rejected = 0;
    dd__ocr_memo_seal(&w->memo);
}
