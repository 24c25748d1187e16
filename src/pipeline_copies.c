/* Copies evidence: exact verification of MinHash candidates (Jaccard, containment, the
 * abridged-copy core rule, footer-only rejection) and the boilerplate pass that strips lines
 * repeated across unrelated documents before verifying again. docs/ALGORITHMS.md explains
 * each rule. */
#include "pipeline_internal.h"

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
                        unsigned char *mark, profile *pr)
{
    size_t i, j = 0;

    memset(mark, 0, x->seq);
    memset(pr, 0, sizeof *pr);
    for (i = 0; i < x->n; i++) {
        while (j < n_other && other[j] < x->set[i])
            j++;
        mark[x->pos[i]] = j < n_other && other[j] == x->set[i] ? 2 : 1;
        pr->shared += mark[x->pos[i]] == 2;
    }
    pr->present = x->n;
}

static void profile_doc(const dd__setview *x, const dd__setview *other, size_t k,
                        unsigned char *mark, profile *pr)
{
    size_t n = x->seq, i, first = n, last = 0, cnt = 0, seen = 0, t_best = n, in_best = 0;

    mark_shared(x, other->set, other->n, mark, pr);
    for (i = 0; i < n; i++) {
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

/* The verification rule (docs/ALGORITHMS.md, "Verification"): Jaccard, or containment of
 * the smaller set, or an abridged copy: between its first and last shared shingle the
 * smaller document is >= 90% shared and that core is at least half of it, so a wrapper
 * (byline, footer, new headline) around a trimmed copy does not hide it. A pair whose
 * shared shingles are, in both documents, only a block at the end shares a footer. */
static bool accept(const dd__run *w, const dd__setview *va, const dd__setview *vb,
                   const dd_set_score *s, unsigned char *mark)
{
    size_t na = va->n, nb = vb->n, k = w->o->shingle_k;
    profile pa, pb, *ps;
    bool ok = s->jaccard >= w->o->threshold ||
              (s->containment >= w->o->containment && (na < nb ? na : nb) >= w->o->min_contained);

    if (!ok && s->containment < 0.5)
        return false;
    profile_doc(va, vb, k, mark, &pa);
    profile_doc(vb, va, k, mark, &pb);
    ps = na <= nb ? &pa : &pb;
    if (!ok)
        ok = w->o->containment <= 1.0 && ps->core_shared >= w->o->min_contained &&
             ps->core_shared * 10 >= ps->core_present * 9 && ps->core_present * 2 >= ps->present;
    if (ok && pa.footer && pb.footer) {
        w->res->n_footer_only++;
        return false;
    }
    return ok;
}

/* Candidates are verified BLOCK_PAIRS at a time: the sets of a block's documents are
 * loaded (read again where they are not kept), at most 2 x BLOCK_PAIRS of them. */
enum { BLOCK_PAIRS = 1 << 14 };

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

static dd_status verify_block(dd__run *w, const uint64_t *cand, size_t n, unsigned char **mark,
                              size_t *mark_cap)
{
    dd_result *res = w->res;
    dd__setblock blk;
    size_t n_docs = 0, i;
    uint32_t *docs = block_docs(cand, n, &n_docs);
    dd_status st = docs ? dd__sets_load(w, docs, n_docs, &blk) : DD_ENOMEM;

    free(docs);
    if (st != DD_OK) {
        dd__sets_free(&blk);
        return st;
    }
    for (i = 0; st == DD_OK && i < n; i++) {
        uint32_t a = (uint32_t)(cand[i] >> 32), b = (uint32_t)cand[i];
        const dd__setview *va = dd__sets_get(&blk, a), *vb = dd__sets_get(&blk, b);
        size_t need = (va->seq > vb->seq ? va->seq : vb->seq) + 1;
        dd_set_score s;
        if ((res->mem->flags[a] | res->mem->flags[b]) & DD__DOC_CHANGED)
            continue;
        if (dd__grow((void **)mark, mark_cap, need, 1) != DD_OK) {
            st = DD_ENOMEM;
            break;
        }
        s = dd_verify_sets(va->set, va->n, vb->set, vb->n);
        if (!accept(w, va, vb, &s, *mark))
            continue;
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

dd_status dd__verify_copies(dd__run *w, const uint64_t *cand, size_t n_cand)
{
    unsigned char *mark = NULL;
    size_t i, mark_cap = 0;
    dd_status st = DD_OK;

    for (i = 0; st == DD_OK && i < n_cand; i += BLOCK_PAIRS)
        st = verify_block(w, cand + i, n_cand - i < BLOCK_PAIRS ? n_cand - i : BLOCK_PAIRS,
                          &mark, &mark_cap);
    free(mark);
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

static int cmp_u32(const void *pa, const void *pb)
{
    const uint32_t *a = pa, *b = pb;

    return (*a > *b) - (*a < *b);
}

/* Distinct roots among the n keys of one run of equal line hashes. */
static size_t distinct_roots(const dd__kv *run, size_t n, uint32_t *roots)
{
    size_t i, d = 1;

    for (i = 0; i < n; i++)
        roots[i] = run[i].val;
    if (n > 2)
        qsort(roots, n, sizeof *roots, cmp_u32);
    for (i = 1; i < n; i++)
        d += roots[i] != roots[i - 1];
    return d;
}

/* Lines are stored by (doc, first token), the order strip_boilerplate walks; the grouping
 * by text sorts (hash, root, index) keys instead, so the lines never move. */
static dd_status mark_boilerplate(struct dd__result_mem *m, dd_uf *uf, size_t *n_bp)
{
    dd__kv *key = NULL;
    uint32_t *roots = NULL;
    size_t i, j, n = m->n_lines;
    bool in_order = true;

    *n_bp = 0;
    if (n == 0)
        return DD_OK;
    key = malloc(n * sizeof *key);
    roots = malloc(n * sizeof *roots);
    if (!key || !roots || n > UINT32_MAX) {
        free(key);
        free(roots);
        return DD_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        key[i] = (dd__kv){m->lines[i].h, dd_uf_find(uf, m->lines[i].doc), (uint32_t)i};
        in_order &= i == 0 || cmp_line_doc(&m->lines[i - 1], &m->lines[i]) < 0;
    }
    if (dd__radix_sort_kv(key, n) != DD_OK) {
        free(key);
        free(roots);
        return DD_ENOMEM;
    }
    for (i = 0; i < n; i = j) {
        size_t r;
        for (j = i + 1; j < n && key[j].key == key[i].key; j++)
            ;
        r = j - i > 2 ? distinct_roots(key + i, j - i, roots) : 0;
        for (; i < j; i++) {
            m->lines[key[i].aux].bp = r >= 3;
            *n_bp += r >= 3;
        }
    }
    free(key);
    free(roots);
    if (!in_order)
        qsort(m->lines, n, sizeof *m->lines, cmp_line_doc);
    return DD_OK;
}

/* Re-sign a stripped document: its full and lead signatures from what is left. */
static void resign(dd__run *w, uint32_t d, const dd__setview *v)
{
    struct dd__result_mem *m = w->res->mem;

    dd_minhash_sign(w->mh, v->set, v->n, m->sigs + (size_t)d * w->o->num_perm);
    dd__lead_of_set(w, v, d, m->lead + (size_t)d * w->lead_n);
}

/* Documents that are read again: load those with a boilerplate line a block at a time,
 * strip, and re-sign the ones that changed; they are stripped again whenever read. */
static dd_status strip_reread(dd__run *w, const uint32_t *docs, size_t n, size_t *n_changed)
{
    struct dd__result_mem *m = w->res->mem;
    size_t *acc = NULL, *keep = NULL, acc_cap = 0, keep_cap = 0, i, j, lo;
    uint64_t *set = NULL;
    uint32_t *pos = NULL;
    size_t set_cap = 0, pos_cap = 0;
    dd_status st = DD_OK;

    for (lo = 0; st == DD_OK && lo < n; lo += 2 * BLOCK_PAIRS) {
        size_t hi = n - lo < 2 * BLOCK_PAIRS ? n : lo + 2 * BLOCK_PAIRS;
        dd__setblock blk;
        st = dd__sets_load(w, docs + lo, hi - lo, &blk);
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
            resign(w, d, &(dd__setview){set, pos, kept, v->seq});
            (*n_changed)++;
        }
        dd__sets_free(&blk);
    }
    free(acc);
    free(keep);
    free(set);
    free(pos);
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
    uint32_t *reread = NULL;
    size_t n_reread = 0;
    dd_status st;

    for (d = 0; d < res->n_docs; d++) {
        size_t sz = m->set_off[d + 1] - m->set_off[d];
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
            for (i = 0; i < kept; i++) {
                m->set[wpos + i] = m->set[lo + keep[i]]; /* lo + keep[i] >= wpos + i */
                m->pos[wpos + i] = m->pos[lo + keep[i]];
            }
            resign(w, (uint32_t)d,
                   &(dd__setview){m->set + wpos, m->pos + wpos, kept, m->seq_len[d]});
            m->flags[d] |= DD__DOC_STRIPPED;
            (*n_changed)++;
        }
        m->set_off[d] = wpos;
        wpos += kept;
    }
    m->set_off[res->n_docs] = wpos;
    m->set_n = wpos;
    free(acc);
    free(keep);
    st = strip_reread(w, reread, n_reread, n_changed);
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

static dd_status merge_candidates(uint64_t **cand, size_t *n, const uint64_t *more, size_t n_more)
{
    uint64_t *p = realloc(*cand, (*n + n_more + 1) * sizeof *p);

    if (!p)
        return DD_ENOMEM;
    if (n_more)
        memcpy(p + *n, more, n_more * sizeof *p);
    *cand = p;
    *n = dd__sort_unique_u64(p, *n + n_more);
    return DD_OK;
}

/* Second pass: strip boilerplate found by the first clustering, re-index the documents that
 * changed, and verify the union of both passes' candidates on the stripped sets. */
dd_status dd__boilerplate_pass(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    dd_result *res = w->res;
    uint64_t *more = NULL;
    size_t n_more = 0;
    dd_uf *uf = NULL;
    dd_status st = union_pairs(res, &uf);

    if (st != DD_OK)
        return st;
    st = mark_boilerplate(res->mem, uf, &res->n_boilerplate_lines);
    dd_uf_free(uf);
    if (st != DD_OK || res->n_boilerplate_lines == 0)
        return st;
    st = strip_boilerplate(w, &res->n_stripped);
    if (st != DD_OK || res->n_stripped == 0)
        return st;
    st = dd__candidates(w, &more, &n_more);
    if (st == DD_OK)
        st = merge_candidates(cand, n_cand, more, n_more);
    free(more);
    res->n_pairs = 0;
    res->n_footer_only = 0;
    return st == DD_OK ? dd__verify_copies(w, *cand, *n_cand) : st;
}

