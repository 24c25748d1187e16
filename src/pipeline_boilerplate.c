/* Boilerplate pass (docs/ALGORITHMS.md, "Boilerplate lines"): from the first verification's
 * clusters, the lines repeated across unrelated stories, where they stand (page furniture
 * outside the body, or a wire template's recurring lines inside it); then every document
 * with such a line loses the shingles that touch it and gets its signatures made again, so
 * the driver (pipeline.c) bands and verifies again. On MPI ranks the documents read again
 * are shared out and their stripped signatures and sketches exchanged. */
#include "pipeline_stages.h"

#include <stdlib.h>
#include <string.h>

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
        qsort(roots, n, sizeof *roots, dd__cmp_u32);
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

/* On MPI ranks the grouping by text is shared out: a line text is rank dd__rank_of(h, N)'s,
 * which sorts and judges only its texts' lines; the per-line flags are then put together
 * (share_flags), so every rank ends with every line's flags, as one process has them. */
static bool owns(const dd__run *w, uint64_t h)
{
    return !w->shard || w->shard->ranks < 2 || dd__rank_of(h, w->shard->ranks) == w->shard->rank;
}

/* flag[0..n): each line's flag from the rank that owns its text (the others' are 0). */
static dd_status share_flags(const dd__run *w, uint8_t *flag, size_t n)
{
    const dd__shard *sh = w->shard;
    size_t nb = (n + 7) / 8, i, r, all_cap = 0, *lens;
    uint8_t *bits;
    void *all = NULL;
    dd_status st;

    if (!sh || sh->ranks < 2)
        return DD_OK;
    bits = calloc(nb + 1, 1);
    lens = malloc(sh->ranks * sizeof *lens);
    st = bits && lens ? DD_OK : DD_ENOMEM;
    for (i = 0; st == DD_OK && i < n; i++)
        bits[i / 8] |= (uint8_t)((flag[i] != 0) << (i % 8));
    if (st == DD_OK)
        st = sh->allgather(sh->ud, bits, nb, &all, &all_cap, lens);
    for (r = 0; st == DD_OK && r < sh->ranks; r++)
        if (lens[r] != nb)
            st = DD_EINVAL;
    for (i = 0; st == DD_OK && i < n; i++) {
        uint8_t v = 0;
        for (r = 0; r < sh->ranks; r++)
            v |= (uint8_t)(((const uint8_t *)all)[r * nb + i / 8] >> (i % 8) & 1);
        flag[i] = v;
    }
    free(bits);
    free(lens);
    free(all);
    return st;
}

/* The grouping by text goes a share of the line texts at a time (a line's share: the low
 * bits of its hash), so the sort keys are a quarter of the lines, not all of them: 16 bytes a
 * line at once were the boilerplate pass's peak on a million articles. */
enum { LINE_SHARES = 4 };

static unsigned share_of(uint64_t h)
{
    return (unsigned)(h % LINE_SHARES);
}

/* key[0..*n_key): this rank's lines whose text is in `share`, as (hash, line, first-pass
 * root), grouped by text. Line hashes are XXH3 values; a line's repeats come in index order,
 * as the bucket sort wants (only the grouping by text matters). */
static dd_status share_keys(const dd__run *w, dd_uf *uf, unsigned share, dd__kv *key,
                            size_t *n_key)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t i, k = 0;

    for (i = 0; i < m->n_lines; i++)
        if (share_of(dd__line_hash(&m->lines[i])) == share && owns(w, dd__line_hash(&m->lines[i])))
            key[k++] = (dd__kv){dd__line_hash(&m->lines[i]), (uint32_t)i,
                                dd_uf_find(uf, m->lines[i].doc)};
    *n_key = k;
    return dd__bucket_sort_kv(key, k);
}

/* flag[line] = its text is in 3 or more first-pass clusters, for the lines of key[0..n). */
static dd_status flag_repeats(const dd__run *w, const dd__kv *key, size_t n, uint32_t *roots,
                              uint8_t *flag)
{
    uint8_t *extra = NULL;
    size_t i, j, k;
    dd_status st = extra_lines(w, key, n, &extra);

    for (i = 0, k = 0; st == DD_OK && i < n; i = j, k++) {
        size_t r;
        for (j = i + 1; j < n && key[j].key == key[i].key; j++)
            ;
        r = j - i > 2 || (extra && extra[k]) ? distinct_roots(key + i, j - i, roots) : 0;
        r += extra ? extra[k] : 0;
        for (; i < j; i++)
            flag[key[i].val] = r >= 3;
    }
    free(extra);
    return st;
}

/* flag[line] = it lies outside its body, as at least 4 in 5 of its text's occurrences do. */
static void flag_edges(const dd__kv *key, size_t n, const uint8_t *outside, uint8_t *flag)
{
    size_t i, j, q;

    for (i = 0; i < n; i = j) {
        size_t out = 0;
        bool edge;
        for (j = i; j < n && key[j].key == key[i].key; j++)
            out += outside[key[j].val];
        edge = out * 5 >= (j - i) * 4;
        for (q = i; q < j; q++)
            flag[key[q].val] = edge && outside[key[q].val];
    }
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
    uint8_t *outside = NULL, *flag = NULL;
    size_t i, n = m->n_lines, n_key, most = 0, count[LINE_SHARES] = {0};
    unsigned sh;
    bool in_order = true;
    dd_status st = DD_ENOMEM;

    *n_bp = 0;
    if (n == 0)
        return DD_OK;
    for (i = 1; i < n && in_order; i++)
        in_order = cmp_line_doc(&m->lines[i - 1], &m->lines[i]) < 0;
    if (!in_order)
        qsort(m->lines, n, sizeof *m->lines, cmp_line_doc);
    for (i = 0; i < n; i++)
        count[share_of(dd__line_hash(&m->lines[i]))]++;
    for (sh = 0; sh < LINE_SHARES; sh++)
        most = count[sh] > most ? count[sh] : most;
    key = malloc((most + 1) * sizeof *key);
    roots = malloc((most + 1) * sizeof *roots);
    outside = malloc(n);
    flag = calloc(n, 1);
    if (!key || !roots || !outside || !flag || n > UINT32_MAX)
        goto out;
    st = DD_OK;
    for (sh = 0; st == DD_OK && sh < LINE_SHARES; sh++)
        if ((st = share_keys(w, uf, sh, key, &n_key)) == DD_OK)
            st = flag_repeats(w, key, n_key, roots, flag);
    if (st != DD_OK || (st = share_flags(w, flag, n)) != DD_OK)
        goto out;
    for (i = 0; i < n; i++)
        m->lines[i].bp = flag[i] != 0;
    mark_outside(m, outside);
    memset(flag, 0, n);
    for (sh = 0; st == DD_OK && sh < LINE_SHARES; sh++)
        if ((st = share_keys(w, uf, sh, key, &n_key)) == DD_OK)
            flag_edges(key, n_key, outside, flag);
    if (st == DD_OK && (st = share_flags(w, flag, n)) == DD_OK)
        st = keep_body(res, uf, flag);
    for (i = 0; st == DD_OK && i < n; i++)
        *n_bp += m->lines[i].bp != 0;
out:
    free(key);
    free(roots);
    free(outside);
    free(flag);
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

/* Strip boilerplate found by the first clustering: lines in documents of three or more
 * first-pass clusters. *again tells whether any set changed, so the driver bands the changed
 * documents again and verifies the union of both passes' candidates on the stripped sets
 * (dd__verify_again first). */
/* After the pass, only the lines it marked are read (the sets of documents read again are
 * stripped by them, and so are the story terms): the others go, a fifth of the run's memory
 * on a million articles. */
static void keep_marked_lines(const dd__run *w)
{
    struct dd__result_mem *m = w->res->mem;
    size_t i, k = 0;
    dd__line *p;

    if (w->o->keep_lines)
        return;
    for (i = 0; i < m->n_lines; i++)
        if (m->lines[i].bp)
            m->lines[k++] = m->lines[i];
    m->n_lines = k;
    if (k == 0) {
        free(m->lines);
        m->lines = NULL;
        m->lines_cap = 0;
    } else if ((p = realloc(m->lines, k * sizeof *p)) != NULL) {
        m->lines = p;
        m->lines_cap = k;
    }
}

dd_status dd__boilerplate_strip(dd__run *w, bool *again)
{
    dd_result *res = w->res;
    dd_uf *uf = NULL;
    dd_status st = dd__pairs_uf(res, &uf);

    *again = false;
    if (st != DD_OK)
        return st;
    st = mark_boilerplate(w, uf, &res->n_boilerplate_lines);
    dd_uf_free(uf);
    if (st == DD_OK && res->n_boilerplate_lines > 0)
        st = strip_boilerplate(w, &res->n_stripped);
    if (st == DD_OK)
        keep_marked_lines(w);
    *again = st == DD_OK && res->n_stripped > 0;
    return st;
}
