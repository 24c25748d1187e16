/* Copies evidence: exact verification of MinHash candidates (Jaccard, containment, the
 * abridged-copy core rule, footer-only rejection, the OCR rule) into res->pairs, after the
 * bound sketches (pipeline_copies_bound.c) reject most candidates unread, and the first
 * pass's verdicts kept for the second, which follows the boilerplate pass
 * (pipeline_boilerplate.c). docs/ALGORITHMS.md explains each rule. */
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
 * accepted pairs that containment at 0.8 leaves apart. OCR_C and OCR_MIN_SHARED are in
 * pipeline_internal.h: the bound sketches (pipeline_copies_bound.c) apply them too. */
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
            need[dd__lower_u32(docs, n_docs, a)] = 1;
            need[dd__lower_u32(docs, n_docs, b)] = 1;
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

/* Verify cand[0..n_cand) into res->pairs (cat: as dd__verdicts.cat, or NULL). */
static dd_status verify_all(dd__run *w, const uint64_t *cand, size_t n_cand, uint8_t *cat)
{
    unsigned char *mark = NULL;
    uint64_t *left = NULL;
    size_t i, mark_cap = 0, n_left = 0;
    dd_status st = dd__filter_candidates(w, cand, n_cand, &left, &n_left, cat);

    if (left)
        cand = left;
    for (i = 0; st == DD_OK && i < n_left; i += DD__BLOCK_PAIRS)
        st = verify_block(w, cand + i, n_left - i < DD__BLOCK_PAIRS ? n_left - i : DD__BLOCK_PAIRS,
                          &mark, &mark_cap);
    free(mark);
    free(left);
    return st;
}

/* ---- the first pass's verdicts, for the second ---------------------------------------- */

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

/* Give candidate `key` of the first pass (if it is one) the verdict `cat`. */
static void mark_verdict(dd__verdicts *v, uint64_t key, uint8_t cat)
{
    size_t k = dd__lower_u64(v->key, v->n, key);

    if (k < v->n && v->key[k] == key)
        v->cat[k] = cat;
}

void dd__verdicts_seal(dd__run *w)
{
    dd__verdicts *v = &w->verd;
    const dd_result *res = w->res;
    size_t i;

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
        mark_verdict(v, pair_key(&v->acc[i]), DD__V_ACCEPT);
    for (i = 0; i < v->n_foot; i++)
        mark_verdict(v, v->foot[i], DD__V_FOOTER);
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

/* The second verification starts afresh; the verdicts of the first are kept for it. */
void dd__verify_again(dd__run *w)
{
    dd__verdicts_seal(w);
    w->res->n_pairs = 0;
    w->res->n_footer_only = 0;
    w->res->n_bound_rejected = 0;
    dd__ocr_memo_seal(&w->memo);
}
