/* Band stage: candidate pairs from the signatures the sign stage made. MinHash banding of
 * the shingle signatures (or SimHash tables with --signature simhash at the copies level),
 * the lead signatures' banding, and the OCR signatures' (pipeline_ocr.c), merged into one
 * ascending list of pairs (a << 32 | b, a < b). On MPI ranks (w->shard) a rank holds the
 * band keys of the documents it signed: every (band, key) has one owning rank, to which
 * the ranks send their entries (MPI_Alltoallv), and which makes that bucket's pairs; the
 * lead and OCR signatures are on every rank, and rank r bands their bands b = r mod N. The
 * ranks then exchange their pairs (each bucket is whole on one rank, so the union is
 * exact). */
#include "pipeline_stages.h"

#include <stdlib.h>
#include <string.h>

/* --signature simhash at the copies level: a fingerprint of each shingle set (all weights
 * 1) and block-permutation tables. It finds only near-exact copies (a Jaccard-0.5 copy sits
 * about 17 bits away); docs/ALGORITHMS.md compares it with banding. */
static dd_status simhash_candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    const struct dd__result_mem *m = w->res->mem;
    size_t n = w->res->n_docs, i, max = 1;
    unsigned dist = w->o->simhash_distance;
    uint64_t *fp = malloc((n + 1) * sizeof *fp);
    float *ones;
    dd_status st;

    for (i = 0; i < n; i++)
        max = m->set_off[i + 1] - m->set_off[i] > max ? m->set_off[i + 1] - m->set_off[i] : max;
    ones = malloc(max * sizeof *ones);
    if (!fp || !ones) {
        free(fp);
        free(ones);
        return DD_ENOMEM;
    }
    for (i = 0; i < max; i++)
        ones[i] = 1.0f;
    for (i = 0; i < n; i++)
        fp[i] = dd_simhash(dd__kept_set(m, (uint32_t)i).set, ones,
                           m->set_off[i + 1] - m->set_off[i]);
    st = dd_simhash_candidates(fp, n, dist, dist + 1 > 16 ? 16 : dist + 1, 0, cand, n_cand);
    free(fp);
    free(ones);
    return st;
}

/* Lead candidates. A copy trimmed from the bottom (the commonest edit of wire copy) keeps
 * the story's first sentences but only a part of its shingles: trimmed to a quarter, its
 * Jaccard with the full story is about 0.25, where banding tuned for 0.3 misses most pairs,
 * though containment (1.0) accepts them. So the first LEAD_SHINGLES shingles of each
 * document get a small signature of their own (LEAD_VALUES MinHash values, banded for a
 * similarity of 0.4, which a lead behind a new byline or headline still reaches); its pairs
 * join the candidates and are verified like the others. */
/* The lead signatures were made at signing (pipeline_sign.c) and remade for documents the
 * boilerplate pass stripped (pipeline_boilerplate.c). */
static dd_status lead_candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    size_t n = w->res->n_docs, nl = w->lead_n;
    dd_lsh_params p = w->lead_lsh;
    dd_lsh *lsh = NULL;
    dd_status st = dd_lsh_new(p.bands, p.rows, 0, &lsh);

    if (st == DD_OK)
        st = dd_lsh_candidates_part(lsh, w->res->mem->lead, n, nl, dd__thread_count(w->o),
                                    w->shard ? w->shard->rank : 0, w->shard ? w->shard->ranks : 1,
                                    cand, n_cand);
    dd_lsh_free(lsh);
    return st;
}

/* Every candidate list is sorted and distinct (dd_lsh's, the OCR bands', the union of
 * ranks'), so the union is a merge in place. */
dd_status dd__candidates_add(uint64_t **cand, size_t *n_cand, const uint64_t *more,
                             size_t n_more)
{
    return dd__merge_unique_u64(cand, n_cand, more, n_more);
}

/* On MPI ranks each rank banded its share of the bands: every rank takes the union. */
static dd_status gather_candidates(const dd__run *w, uint64_t **cand, size_t *n_cand)
{
    const dd__shard *sh = w->shard;
    size_t *lens, total = 0, r;
    void *all = NULL;
    size_t all_cap = 0;
    dd_status st;

    if (!sh || sh->ranks < 2)
        return DD_OK;
    if (!(lens = malloc(sh->ranks * sizeof *lens)))
        return DD_ENOMEM;
    st = sh->allgather(sh->ud, *cand, *n_cand * sizeof **cand, &all, &all_cap, lens);
    for (r = 0; st == DD_OK && r < sh->ranks; r++)
        total += lens[r];
    free(lens);
    if (st != DD_OK)
        return st;
    free(*cand);
    *cand = all;
    *n_cand = dd__sort_unique_u64_mt(*cand, total / sizeof **cand, dd__thread_count(w->o));
    return DD_OK;
}

/* The shingle bands on MPI ranks, GROUP_BANDS bands a round so that the exchange buffers
 * stay at 16 bytes x GROUP_BANDS per document a rank signed. */
enum { GROUP_BANDS = 3 };

typedef struct keyed_buf {
    dd__kv *send; /* key: dd_lsh_mixed_key (its owner: dd__rank_of), val: the document */
    void *recv;
    uint64_t *mixed, *out;
    uint32_t *mine; /* the documents this rank signed, ascending: their keys are here */
    size_t n_mine;
    size_t send_cap, recv_cap, mixed_cap, out_cap, n_out;
    size_t *lens, *at, *rlens;
} keyed_buf;

/* This rank's entries of bands [b0, b1) to their owners; the pairs of the buckets it owns
 * appended to kb->out. */
static dd_status keyed_round(dd__run *w, const dd_lsh *lsh, keyed_buf *kb, size_t b0, size_t b1)
{
    const dd__shard *sh = w->shard;
    const uint32_t *bk = w->res->mem->bkeys;
    size_t nb = w->bands, g = b1 - b0, N = sh->ranks, i, b, r;
    size_t total = kb->n_mine * g, m = 0, np = 0, k = 0;
    uint64_t *pairs = NULL;
    dd_status st;

    memset(kb->lens, 0, N * sizeof *kb->lens);
    if (dd__grow((void **)&kb->mixed, &kb->mixed_cap, total + 1, sizeof *kb->mixed) != DD_OK ||
        dd__grow((void **)&kb->send, &kb->send_cap, total + 1, sizeof *kb->send) != DD_OK)
        return DD_ENOMEM;
    for (i = 0; i < kb->n_mine; i++) {
        const uint32_t *keys = bk + (size_t)kb->mine[i] * nb;
        /* a document's keys are a row of 4 x bands bytes, read 4 x GROUP_BANDS at a time:
         * a cache miss each, unless asked for early (0.62 -> 0.36 s a band stage at 1M) */
        if (i + 16 < kb->n_mine)
            __builtin_prefetch(bk + (size_t)kb->mine[i + 16] * nb + b0);
        for (b = b0; b < b1; b++) {
            kb->mixed[k] = dd_lsh_mixed_key(b, keys[b]);
            kb->lens[dd__rank_of(kb->mixed[k++], N)]++;
        }
    }
    for (total = 0, r = 0; r < N; r++) {
        kb->at[r] = total;
        total += kb->lens[r];
        kb->lens[r] *= sizeof *kb->send;
    }
    for (k = 0, i = 0; i < kb->n_mine; i++)
        for (b = b0; b < b1; b++, k++)
            kb->send[kb->at[dd__rank_of(kb->mixed[k], N)]++] = (dd__kv){kb->mixed[k], kb->mine[i], 0};
    st = sh->alltoall(sh->ud, kb->send, kb->lens, &kb->recv, &kb->recv_cap, kb->rlens);
    for (r = 0; st == DD_OK && r < N; r++)
        m += kb->rlens[r] / sizeof *kb->send;
    /* the receive buffer is malloc'd, and every rank's part whole entries: aligned */
    if (st == DD_OK)
        st = dd__lsh_pairs_inplace(lsh, kb->recv, m, &pairs, &np);
    if (st == DD_OK &&
        dd__grow((void **)&kb->out, &kb->out_cap, kb->n_out + np + 1, sizeof *kb->out) != DD_OK)
        st = DD_ENOMEM;
    if (st == DD_OK && np) {
        memcpy(kb->out + kb->n_out, pairs, np * sizeof *pairs);
        kb->n_out += np;
    }
    free(pairs);
    return st;
}

static dd_status keyed_candidates(dd__run *w, const dd_lsh *lsh, uint64_t **cand, size_t *n_cand)
{
    size_t N = w->shard->ranks, b0, d;
    keyed_buf kb;
    dd_status st = DD_OK;

    memset(&kb, 0, sizeof kb);
    kb.lens = malloc(N * sizeof *kb.lens);
    kb.at = malloc(N * sizeof *kb.at);
    kb.rlens = malloc(N * sizeof *kb.rlens);
    kb.mine = malloc((w->res->n_docs + 1) * sizeof *kb.mine);
    if (!kb.lens || !kb.at || !kb.rlens || !kb.mine || (w->res->n_docs && !w->own))
        st = DD_ENOMEM;
    for (d = 0; st == DD_OK && d < w->res->n_docs; d++)
        if (w->own[d])
            kb.mine[kb.n_mine++] = (uint32_t)d;
    for (b0 = 0; st == DD_OK && b0 < w->bands; b0 += GROUP_BANDS)
        st = keyed_round(w, lsh, &kb, b0, b0 + GROUP_BANDS < w->bands ? b0 + GROUP_BANDS : w->bands);
    if (st == DD_OK) {
        *cand = kb.out;
        *n_cand = dd__sort_unique_u64_mt(kb.out, kb.n_out, dd__thread_count(w->o));
        kb.out = NULL;
    }
    free(kb.send);
    free(kb.recv);
    free(kb.mixed);
    free(kb.out);
    free(kb.lens);
    free(kb.at);
    free(kb.rlens);
    free(kb.mine);
    return st;
}

dd_status dd__candidates(dd__run *w, uint64_t **cand, size_t *n_cand)
{
    dd_result *res = w->res;
    dd_lsh *lsh = NULL;
    uint64_t *lead = NULL, *ocr = NULL;
    size_t n_lead = 0, n_ocr = 0;
    dd_status st;

    if (w->o->level == DD_LEVEL_COPIES && w->o->signature == DD_SIGNATURE_SIMHASH)
        return simhash_candidates(w, cand, n_cand);
    st = dd_lsh_new(w->bands, w->rows, 0, &lsh);
    res->bands = w->bands;
    res->rows = w->rows;
    if (st == DD_OK && w->shard && w->shard->ranks > 1) /* each rank its own documents' keys */
        st = keyed_candidates(w, lsh, cand, n_cand);
    else if (st == DD_OK) /* documents keep their band keys (w->bands, chosen in start) */
        st = dd_lsh_candidates_keys(lsh, res->mem->bkeys, res->n_docs, w->bands,
                                    dd__thread_count(w->o), 0, 1, cand, n_cand);
    dd_lsh_free(lsh);
    if (st == DD_OK)
        st = lead_candidates(w, &lead, &n_lead);
    if (st == DD_OK)
        st = dd__candidates_add(cand, n_cand, lead, n_lead);
    /* The OCR signatures are not made again with the boilerplate stripped: their candidates
     * are the first pass's, which the second pass keeps. */
    if (st == DD_OK && !w->ocr_banded)
        st = dd__ocr_candidates(w, &ocr, &n_ocr);
    if (st == DD_OK)
        st = dd__candidates_add(cand, n_cand, ocr, n_ocr);
    if (st == DD_OK)
        st = gather_candidates(w, cand, n_cand);
    w->ocr_banded = true;
    free(lead);
    free(ocr);
    return st;
}
