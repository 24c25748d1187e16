/* Shingle sets: a document's shingles (text order) -> its set, sorted and distinct, each
 * element with its first position in the text; views of kept sets, the boilerplate filters
 * and lead signatures over a set, bound sketches, and two helpers every stage shares. Loading
 * the sets of a block of documents, reading again those not kept, is pipeline_sets_load.c.
 * Invariant: a set (and a gram set) is sorted and distinct. */
#include "pipeline_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a document's set from its shingles --------------------------------------------- */

static bool hp_less(const struct dd__hp *a, const struct dd__hp *b)
{
    return a->h < b->h || (a->h == b->h && a->pos < b->pos);
}

/* Sort by (hash, position), all keys distinct. Quicksort with the comparison inlined: glibc's
 * qsort calls a comparator per step and was 10% of a copies run. Hashes are uniform, so a
 * median of three keeps the depth near log n; the smaller side recurses. */
static void sort_hp(struct dd__hp *v, size_t n)
{
    while (n > 16) {
        struct dd__hp *x = &v[0], *y = &v[n / 2], *z = &v[n - 1], p, t;
        size_t i = 0, j = n - 1;
        if (hp_less(y, x))
            t = *x, *x = *y, *y = t;
        if (hp_less(z, y))
            t = *y, *y = *z, *z = t;
        if (hp_less(y, x))
            t = *x, *x = *y, *y = t;
        p = *y;
        for (;;) {
            while (hp_less(&v[i], &p))
                i++;
            while (hp_less(&p, &v[j]))
                j--;
            if (i >= j)
                break;
            t = v[i], v[i] = v[j], v[j] = t;
            i++;
            j--;
        }
        if (j + 1 < n - j - 1) {
            sort_hp(v, j + 1);
            v += j + 1;
            n -= j + 1;
        } else {
            sort_hp(v + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        struct dd__hp t = v[i];
        size_t j = i;
        for (; j > 0 && hp_less(&t, &v[j - 1]); j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
}

/* Sort v[0..n) by (hash, position) into out: hashes are uniform, so a counting pass on their
 * top bits (about one bucket per element) leaves buckets of one or two, finished by
 * sort_hp. Positions ascend in v and the scatter is stable, so repeats of one shingle stay in
 * order. Twice as fast as sort_hp alone on news articles. */
static dd_status bucket_sort_hp(dd__setbuf *g, const struct dd__hp *v, size_t n,
                                struct dd__hp *out)
{
    unsigned bits = 1;
    size_t i, nb, sum = 0;

    while (bits < 20 && ((size_t)1 << bits) < n)
        bits++;
    nb = (size_t)1 << bits;
    if (dd__grow((void **)&g->count, &g->count_cap, nb + 1, sizeof *g->count) != DD_OK)
        return DD_ENOMEM;
    memset(g->count, 0, (nb + 1) * sizeof *g->count);
    for (i = 0; i < n; i++)
        g->count[(v[i].h >> (64 - bits)) + 1]++;
    for (i = 0; i <= nb; i++)
        g->count[i] = (uint32_t)(sum += g->count[i]);
    for (i = 0; i < n; i++)
        out[g->count[v[i].h >> (64 - bits)]++] = v[i];
    /* count[b] is now the end of bucket b, which is where bucket b + 1 starts. */
    for (i = 0, sum = 0; i < nb; sum = g->count[i++])
        if (g->count[i] - sum > 1)
            sort_hp(out + sum, g->count[i] - sum);
    return DD_OK;
}

dd_status dd__make_set(dd__setbuf *sb, const uint64_t *sh, size_t n, uint64_t *set,
                       uint32_t *pos, size_t *u)
{
    size_t i, k = 0;

    *u = 0;
    if (dd__grow((void **)&sb->hp, &sb->hp_cap, n + 1, sizeof *sb->hp) != DD_OK ||
        dd__grow((void **)&sb->hp2, &sb->hp2_cap, n + 1, sizeof *sb->hp2) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        sb->hp[i].h = sh[i];
        sb->hp[i].pos = (uint32_t)i;
    }
    if (bucket_sort_hp(sb, sb->hp, n, sb->hp2) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < n; i++) {
        if (i && sb->hp2[i].h == sb->hp2[i - 1].h)
            continue;
        set[k] = sb->hp2[i].h;
        pos[k] = sb->hp2[i].pos;
        k++;
    }
    *u = k;
    return DD_OK;
}

/* The grams are a sample already (DD_GRAM_SAMPLE): the same grams in every document, so set
 * similarities are estimated without bias from a fraction of the memory (docs/ALGORITHMS.md,
 * "Copies through OCR noise"). */
dd_status dd__make_gram_set(dd__setbuf *sb, uint64_t *gh, uint32_t *gt, size_t n, uint64_t *set,
                            uint32_t *pos, size_t *u)
{
    size_t i;
    dd_status st;

    st = dd__make_set(sb, gh, n, set, pos, u);
    for (i = 0; st == DD_OK && i < *u; i++)
        pos[i] = gt[pos[i]];
    return st;
}

void dd__setbuf_free(dd__setbuf *sb)
{
    free(sb->hp);
    free(sb->hp2);
    free(sb->count);
    memset(sb, 0, sizeof *sb);
}

/* ---- views, boilerplate, lead signatures --------------------------------------------- */

/* The chunk that holds doc's kept sets: the last one starting at or before doc (NULL when
 * none does, and then doc has no kept set). */
static const dd__set_chunk *chunk_of(const struct dd__result_mem *m, uint32_t doc)
{
    size_t a = 0, b = m->n_chunks;

    while (a < b) { /* the first chunk starting after doc */
        size_t mid = a + (b - a) / 2;
        if (m->chunks[mid].doc_lo <= doc)
            a = mid + 1;
        else
            b = mid;
    }
    return a ? &m->chunks[a - 1] : NULL;
}

dd__setview dd__kept_set(const struct dd__result_mem *m, uint32_t doc)
{
    const dd__set_chunk *c = chunk_of(m, doc);
    size_t n = m->set_off[doc + 1] - m->set_off[doc], gn = m->goff[doc + 1] - m->goff[doc];
    dd__setview v = {NULL, NULL, n, m->seq_len[doc], NULL, NULL, gn,
                     !(m->flags[doc] & DD__DOC_NOGRAMS)};

    if (n) {
        v.set = c->set + (m->set_off[doc] - m->set_off[c->doc_lo]);
        v.pos = c->pos + (m->set_off[doc] - m->set_off[c->doc_lo]);
    }
    if (gn) {
        v.gset = c->gset + (m->goff[doc] - m->goff[c->doc_lo]);
        v.gpos = c->gpos + (m->goff[doc] - m->goff[c->doc_lo]);
    }
    return v;
}

/* doc's lines: they are in (doc, first token) order once the boilerplate pass ran. */
static size_t doc_lines(const struct dd__result_mem *m, uint32_t doc, size_t *lo)
{
    size_t a = 0, b = m->n_lines, e;

    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (m->lines[mid].doc < doc)
            a = mid + 1;
        else
            b = mid;
    }
    for (e = a; e < m->n_lines && m->lines[e].doc == doc; e++)
        ;
    *lo = a;
    return e - a;
}

/* acc[t] = boilerplate tokens before token t (acc has tokens + 1 slots). */
static void boilerplate_prefix(const dd__run *w, uint32_t doc, size_t *acc)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t ntok = w->res->docs[doc].tokens;
    size_t lo, n_ln = doc_lines(m, doc, &lo), i;
    const dd__line *ln = m->lines + lo;
    long depth = 0;

    memset(acc, 0, (ntok + 1) * sizeof *acc);
    for (i = 0; i < n_ln; i++) {
        if (ln[i].bp) {
            acc[ln[i].a]++;
            acc[ln[i].b]--;
        }
    }
    for (i = 0; i <= ntok; i++) {
        long here = (long)acc[i];
        acc[i] = i ? acc[i - 1] + (depth > 0) : 0;
        depth += here;
    }
}

size_t dd__filter_boilerplate(const dd__run *w, uint32_t doc, const dd__setview *v, size_t *acc,
                              size_t *out)
{
    size_t ntok = w->res->docs[doc].tokens, k = w->o->shingle_k < ntok ? w->o->shingle_k : ntok;
    size_t i, kept = 0;

    boilerplate_prefix(w, doc, acc);
    for (i = 0; i < v->n; i++) {
        size_t p = v->pos[i];
        if (acc[p + k] == acc[p])
            out[kept++] = i;
    }
    return kept;
}

/* A gram is boilerplate when the token it starts in is (a gram running on into the next
 * line's first letters is rare enough not to matter). */
size_t dd__filter_boilerplate_grams(const dd__run *w, uint32_t doc, const dd__setview *v,
                                    size_t *acc, size_t *out)
{
    size_t i, kept = 0;

    boilerplate_prefix(w, doc, acc);
    for (i = 0; i < v->gn; i++) {
        size_t p = v->gpos[i];
        if (acc[p + 1] == acc[p])
            out[kept++] = i;
    }
    return kept;
}

void dd__lead_of_set(const dd__run *w, const dd__setview *v, uint32_t doc, uint32_t *sig)
{
    uint64_t lead[LEAD_SHINGLES];
    size_t n = 0, i;

    for (i = 0; i < v->n; i++) /* set order: by hash */
        if (v->pos[i] < LEAD_SHINGLES && n < LEAD_SHINGLES)
            lead[n++] = v->set[i];
    if (n)
        dd_minhash_sign(w->mh_lead, lead, n, sig);
    else
        dd__lonely_sig(sig, w->lead_n, doc);
}

/* ---- bound sketches ------------------------------------------------------------------ */

void dd__sketchbuf_free(dd__sketchbuf *sb)
{
    free(sb->gh);
    free(sb->gt);
    memset(sb, 0, sizeof *sb);
}

dd_status dd__sketch_put(dd__sketchbuf *sb, const uint64_t *h, size_t n, unsigned bits,
                         unsigned width, uint8_t **out, size_t *out_n, size_t *out_cap,
                         size_t *at)
{
    size_t need = dd_sketch_bound(n, bits, width);

    (void)sb;
    if (dd__grow((void **)out, out_cap, *out_n + need, 1) != DD_OK)
        return DD_ENOMEM;
    *at = *out_n;
    *out_n += dd_sketch_make(h, n, bits, width, *out + *out_n);
    return DD_OK;
}

dd_status dd__sketch_doc(dd__sketchbuf *sb, uint64_t seed, const dd_span *toks, size_t ntok,
                         const uint64_t *sh, size_t nsh, bool grams, uint8_t **out,
                         size_t *out_n, size_t *out_cap, size_t *word_at, size_t *gram_at)
{
    size_t bound, ng;
    dd_status st = dd__sketch_put(sb, sh, nsh, SKETCH_WORD_BITS, SKETCH_WORD_WIDTH, out, out_n,
                                  out_cap, word_at);

    *gram_at = DD__NO_SKETCH;
    if (st != DD_OK || !grams || ntok < OCR_MIN_TOKENS)
        return st;
    bound = dd_gram_bound(toks, ntok) + 1;
    if (dd__grow((void **)&sb->gh, &sb->gh_cap, bound, sizeof *sb->gh) != DD_OK ||
        dd__grow((void **)&sb->gt, &sb->gt_cap, bound, sizeof *sb->gt) != DD_OK)
        return DD_ENOMEM;
    /* the sample the gram sets are made of (a NULL tok would give every gram) */
    ng = dd_gram_hash(toks, ntok, seed, DD_GRAM_SAMPLE, sb->gh, sb->gt, bound);
    return dd__sketch_put(sb, sb->gh, ng, SKETCH_GRAM_BITS, SKETCH_GRAM_WIDTH, out, out_n,
                          out_cap, gram_at);
}

/* A stripped set is a subset of what the sketch was made from, so its sketch is no larger
 * (dd_sketch_bound grows with n) and goes where the old one was. */
static void sketch_over(const uint64_t *h, size_t n, unsigned bits, unsigned width, uint8_t *at)
{
    assert(dd_sketch_bound(n, bits, width) <= dd_sketch_size(at));
    dd_sketch_make(h, n, bits, width, at);
}

dd_status dd__sketch_restrip(dd__run *w, dd__sketchbuf *sb, uint32_t doc, const dd__setview *v)
{
    struct dd__result_mem *m = w->res->mem;

    (void)sb;
    if (m->sk_off[2 * doc] == DD__NO_SKETCH)
        return DD_OK;
    sketch_over(v->set, v->n, SKETCH_WORD_BITS, SKETCH_WORD_WIDTH, m->sk + m->sk_off[2 * doc]);
    /* The stripped gram set's size is not bounded by the old sketch: without the grams, the
     * gram sketch goes, and the document's OCR pairs are verified on their sets. */
    if (m->sk_off[2 * doc + 1] != DD__NO_SKETCH && v->grams)
        sketch_over(v->gset, v->gn, SKETCH_GRAM_BITS, SKETCH_GRAM_WIDTH,
                    m->sk + m->sk_off[2 * doc + 1]);
    else
        m->sk_off[2 * doc + 1] = DD__NO_SKETCH;
    return DD_OK;
}

/* ---- shared by every stage ------------------------------------------------------- */

/* opts.threads, or the number of online cores when it is 0. */
size_t dd__thread_count(const dd_pipeline_opts *o)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (o->threads)
        return o->threads;
    return n > 0 ? (size_t)n : 1;
}

/* A signature for a document with nothing to sign (no shingle in its lead, no content
 * term): values of its own, so such documents do not all share one bucket. */
void dd__lonely_sig(uint32_t *sig, size_t n, size_t doc)
{
    size_t i;

    for (i = 0; i < n; i++) /* Knuth's multiplicative hash: distinct for distinct docs */
        sig[i] = (uint32_t)doc * 2654435761u ^ (uint32_t)i;
}
