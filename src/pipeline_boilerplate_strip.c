/* Boilerplate pass, stripping: the lines pipeline_boilerplate.c marked -> every document
 * with one loses the shingles that touch them and gets its signatures and sketches made
 * again. Kept sets shrink in place; documents read again are stripped a block at a time (on
 * MPI ranks a slice each, the results exchanged), and again whenever they are read.
 * Invariant: a document that would be left with nothing keeps its set. */
#include "pipeline_internal.h"

#include <stdlib.h>
#include <string.h>

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
    uint8_t *need = malloc(2 * DD__BLOCK_PAIRS + 1);
    dd_status st = need ? DD_OK : DD_ENOMEM;

    for (lo = 0; st == DD_OK && lo < n; lo += 2 * DD__BLOCK_PAIRS) {
        size_t hi = n - lo < 2 * DD__BLOCK_PAIRS ? n : lo + 2 * DD__BLOCK_PAIRS;
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
    size_t lo, hi, len = 0, *lens, r, at = 0, all_cap = 0;
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
        st = sh->allgather(sh->ud, mine, len, &all, &all_cap, lens);
    for (r = 0; st == DD_OK && r < sh->ranks; at += lens[r++])
        if (r != sh->rank)
            *n_changed += unpack_stripped(w, (const unsigned char *)all + at, lens[r]);
    free(mine);
    free(all);
    free(lens);
    return st;
}

/* ---- stripping every document ------------------------------------------------------ */

/* The scratch dd__strip_boilerplate needs: acc for the longest document's tokens, keep for
 * the largest set or gram set, reread for every document. */
static dd_status strip_scratch(const dd_result *res, size_t **acc, size_t **keep, uint32_t **reread)
{
    const struct dd__result_mem *m = res->mem;
    size_t max_tok = 0, max_set = 0, d;

    for (d = 0; d < res->n_docs; d++) {
        size_t sz = m->set_off[d + 1] - m->set_off[d], gsz = m->goff[d + 1] - m->goff[d];
        sz = gsz > sz ? gsz : sz;
        max_tok = res->docs[d].tokens > max_tok ? res->docs[d].tokens : max_tok;
        max_set = sz > max_set ? sz : max_set;
    }
    *acc = malloc((max_tok + 1) * sizeof **acc);
    *keep = malloc((max_set + 1) * sizeof **keep);
    *reread = malloc((res->n_docs + 1) * sizeof **reread);
    if (!*acc || !*keep || !*reread) {
        free(*acc);
        free(*keep);
        free(*reread);
        return DD_ENOMEM;
    }
    return DD_OK;
}

/* The chunk being compacted, met document after document, and where its first document's
 * sets began and begin now (set_off and goff are rewritten as the walk goes). */
typedef struct compactor {
    const dd__set_chunk *c; /* the chunk of the documents being compacted */
    size_t next;            /* index of the chunk after it */
    size_t old_lo, old_glo; /* set_off and goff of the chunk's first document, before */
    size_t new_lo, new_glo; /* and after */
} compactor;

/* Where document d's kept sets are (from) and go (to), and their sizes: its chunk's buffers
 * from the chunk's start, so a set moves only towards the front of its own chunk. */
typedef struct moves {
    uint64_t *from, *to, *gfrom, *gto;
    uint32_t *pfrom, *pto, *gpfrom, *gpto;
    size_t n, gn;
} moves;

static void moves_of(compactor *k, const struct dd__result_mem *m, size_t d, size_t wpos,
                     size_t gwpos, moves *v)
{
    memset(v, 0, sizeof *v);
    if (k->next < m->n_chunks && m->chunks[k->next].doc_lo == d) {
        k->c = &m->chunks[k->next++];
        k->old_lo = m->set_off[d];
        k->old_glo = m->goff[d];
        k->new_lo = wpos;
        k->new_glo = gwpos;
    }
    v->n = m->set_off[d + 1] - m->set_off[d];
    v->gn = m->goff[d + 1] - m->goff[d];
    if (v->n) {
        v->from = k->c->set + (m->set_off[d] - k->old_lo);
        v->pfrom = k->c->pos + (m->set_off[d] - k->old_lo);
        v->to = k->c->set + (wpos - k->new_lo);
        v->pto = k->c->pos + (wpos - k->new_lo);
    }
    if (v->gn) {
        v->gfrom = k->c->gset + (m->goff[d] - k->old_glo);
        v->gpfrom = k->c->gpos + (m->goff[d] - k->old_glo);
        v->gto = k->c->gset + (gwpos - k->new_glo);
        v->gpto = k->c->gpos + (gwpos - k->new_glo);
    }
}

/* Move document d's kept sets to their place, keeping the `kept` shingles listed in keep
 * (all of them when kept is 0 or all): a stripped document is re-signed and its gram set
 * stripped too. v->n and v->gn become the sizes kept. */
static dd_status compact_doc(dd__run *w, uint32_t d, moves *v, size_t kept, size_t *acc,
                             size_t *keep, size_t *n_changed)
{
    struct dd__result_mem *m = w->res->mem;
    size_t i;

    if (kept == 0 || kept == v->n) {
        if (v->n && v->to != v->from) {
            memmove(v->to, v->from, v->n * sizeof *v->to);
            memmove(v->pto, v->pfrom, v->n * sizeof *v->pto);
        }
    } else {
        dd__setview gv = {NULL, NULL, 0, 0, v->gfrom, v->gpfrom, v->gn, true};
        for (i = 0; i < kept; i++) {
            v->to[i] = v->from[keep[i]]; /* from + keep[i] >= to + i */
            v->pto[i] = v->pfrom[keep[i]];
        }
        v->n = kept;
        if (v->gn) /* gto <= gfrom: compacted in place */
            v->gn = strip_grams(w, d, &gv, acc, keep, v->gto, v->gpto);
        if (resign(w, d, &(dd__setview){v->to, v->pto, kept, m->seq_len[d], v->gto, v->gpto,
                                        v->gn, true}) != DD_OK)
            return DD_ENOMEM;
        m->flags[d] |= DD__DOC_STRIPPED;
        (*n_changed)++;
        v->gfrom = v->gto; /* already in place */
        v->gpfrom = v->gpto;
    }
    if (v->gn && v->gto != v->gfrom) {
        memmove(v->gto, v->gfrom, v->gn * sizeof *v->gto);
        memmove(v->gpto, v->gpfrom, v->gn * sizeof *v->gpto);
    }
    return DD_OK;
}

/* Shrink each document's set to its non-boilerplate shingles (unless that would leave
 * nothing: a page that is all boilerplate keeps its set) and re-sign the ones that changed.
 * Kept sets only shrink, so they are compacted in place, document after document, each
 * within its chunk; the others are flagged to be stripped whenever they are read again. */
dd_status dd__strip_boilerplate(dd__run *w, size_t *n_changed)
{
    dd_result *res = w->res;
    struct dd__result_mem *m = res->mem;
    size_t *acc = NULL, *keep = NULL, d, li = 0, wpos = 0, gwpos = 0, n_reread = 0;
    uint32_t *reread = NULL;
    compactor k = {NULL, 0, 0, 0, 0, 0};
    dd_status st = DD_OK;

    if (strip_scratch(res, &acc, &keep, &reread) != DD_OK)
        return DD_ENOMEM;
    *n_changed = 0;
    for (d = 0; st == DD_OK && d < res->n_docs; d++) {
        size_t n_ln = 0, kept = 0;
        bool any_bp = false;
        moves v;
        moves_of(&k, m, d, wpos, gwpos, &v);
        while (li + n_ln < m->n_lines && m->lines[li + n_ln].doc == d)
            any_bp |= m->lines[li + n_ln++].bp != 0;
        li += n_ln;
        if (any_bp && (m->flags[d] & DD__DOC_REREAD))
            reread[n_reread++] = (uint32_t)d;
        else if (any_bp) { /* not dd__kept_set: the offsets before d are rewritten */
            dd__setview sv = {v.from, v.pfrom, v.n, m->seq_len[d], v.gfrom, v.gpfrom, v.gn,
                              !(m->flags[d] & DD__DOC_NOGRAMS)};
            kept = dd__filter_boilerplate(w, (uint32_t)d, &sv, acc, keep);
        }
        st = compact_doc(w, (uint32_t)d, &v, kept, acc, keep, n_changed);
        m->set_off[d] = wpos;
        wpos += v.n;
        m->goff[d] = gwpos;
        gwpos += v.gn;
    }
    if (st != DD_OK) {
        free(acc);
        free(keep);
        free(reread);
        return st;
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
