/* What a stored index keeps of a signed document (index.c): candidate keys made from the
 * band keys and signatures the pipeline kept, and the content terms its document frequencies count. The
 * only index file that sees the pipeline's internals. */
#include "index_internal.h"
#include "pipeline_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* Story keys: every pair of a document's STORY_TOP heaviest terms. Two reports of one
 * development share their rarest names and figures; a pair, not a single term, keeps the
 * postings of common terms ("police", "said") out of the candidates. */
enum { STORY_TOP = 6, STORY_KEYS = STORY_TOP * (STORY_TOP - 1) / 2 };

/* Key families, the seed of each key's hash. */
enum { KEY_BAND = 1, KEY_LEAD = 2, KEY_STORY = 3, KEY_OCR_NOISY = 4, KEY_OCR_CLEAN = 5 };

/* As pipeline_ocr.c: the gram similarity its OCR bands are tuned for (OCR_LSH_T), and the
 * unknown words per thousand of a text that looks misread (OCR_NOISE_MIN, _MAX). The keys
 * only find candidates; the run bands, pairs and verifies them itself. */
#define OCR_KEY_T 0.45
enum { OCR_KEY_NOISE_MIN = 30, OCR_KEY_NOISE_MAX = 350 };

dd__key_plan dd__index_key_plan(const dd_pipeline_opts *o)
{
    dd__key_plan p;
    double t = o->lsh_threshold > 0 ? o->lsh_threshold : o->threshold;

    p.num_perm = o->num_perm;
    p.copy = dd_lsh_optimal(t, o->num_perm, 0.25, 0.75);   /* as dd__candidates bands */
    p.lead = dd_lsh_optimal(0.4, o->num_perm < LEAD_VALUES ? o->num_perm : LEAD_VALUES, 0.25,
                            0.75);                         /* as lead_candidates */
    p.lead_n = p.lead.bands * p.lead.rows;                 /* as dd__run.lead_n */
    p.ocr = dd_lsh_optimal(OCR_KEY_T, OCR_VALUES, 0.25, 0.75);
    return p;
}

size_t dd__index_max_keys(const dd__key_plan *p)
{
    return p->copy.bands + p->lead.bands + STORY_KEYS;
}

static size_t band_keys(const uint32_t *sig, dd_lsh_params p, unsigned family, uint64_t *keys)
{
    size_t b;

    for (b = 0; b < p.bands; b++)
        keys[b] = XXH3_64bits_withSeed(sig + b * p.rows, p.rows * sizeof *sig,
                                       (uint64_t)family << 32 | b);
    return p.bands;
}

/* The run keeps its documents' 32-bit band keys (dd_lsh_band_keys), not their signatures:
 * a stored key is band b's key under the family and band as seed. */
static size_t kept_band_keys(const uint32_t *bkeys, size_t bands, unsigned family,
                             uint64_t *keys)
{
    size_t b;

    for (b = 0; b < bands; b++)
        keys[b] = XXH3_64bits_withSeed(bkeys + b, sizeof *bkeys, (uint64_t)family << 32 | b);
    return bands;
}

static int cmp_weight_desc(const void *pa, const void *pb)
{
    const dd__hw *a = pa, *b = pb;

    if (a->w != b->w)
        return a->w > b->w ? -1 : 1;
    return (a->h > b->h) - (a->h < b->h);
}

static size_t story_keys(const struct dd__result_mem *m, size_t doc, uint64_t *keys)
{
    size_t lo = m->voff[doc], n = m->voff[doc + 1] - lo, i, j, k = 0;
    dd__hw top[STORY_TOP];
    size_t nt = 0;

    for (i = 0; i < n; i++) { /* keep the STORY_TOP heaviest by insertion */
        dd__hw x = {m->vhash[m->vid[lo + i]], (double)m->vw[lo + i]};
        if (nt < STORY_TOP)
            top[nt++] = x;
        else if (cmp_weight_desc(&x, &top[nt - 1]) < 0)
            top[nt - 1] = x;
        else
            continue;
        qsort(top, nt, sizeof *top, cmp_weight_desc);
    }
    for (i = 0; i < nt; i++)
        for (j = i + 1; j < nt; j++) {
            uint64_t v[2] = {top[i].h < top[j].h ? top[i].h : top[j].h,
                             top[i].h < top[j].h ? top[j].h : top[i].h};
            keys[k++] = XXH3_64bits_withSeed(v, sizeof v, (uint64_t)KEY_STORY << 32);
        }
    return k;
}

void dd__index_keys(const dd_result *res, const dd__key_plan *p, size_t doc, uint64_t *keys,
                    size_t *n)
{
    const struct dd__result_mem *m = res->mem;
    size_t k = 0;

    if (m->bkeys)
        k += kept_band_keys(m->bkeys + doc * p->copy.bands, p->copy.bands, KEY_BAND, keys + k);
    if (m->lead)
        k += band_keys(m->lead + doc * p->lead_n, p->lead, KEY_LEAD, keys + k);
    if (m->voff)
        k += story_keys(m, doc, keys + k);
    *n = dd__sort_unique_u64(keys, k);
}

static size_t ocr_keys(const struct dd__result_mem *m, const dd__key_plan *p, size_t doc,
                       unsigned family, uint64_t *keys)
{
    size_t b;

    for (b = 0; b < p->ocr.bands; b++)
        keys[b] = XXH3_64bits_withSeed(m->osig + doc * OCR_VALUES + b * p->ocr.rows, p->ocr.rows,
                                       (uint64_t)family << 32 | b);
    return p->ocr.bands;
}

/* An OCR pair needs a side that looks misread, so a clean document stores its OCR bands as
 * "clean" keys and looks up "noisy" ones only; a misread one stores "noisy" keys and looks
 * up both. Two clean documents never meet here: their 8-bit values collide by chance in a
 * large store. Only documents long enough for the OCR rule have them. */
void dd__index_ocr_keys(const dd_result *res, const dd__key_plan *p, size_t doc, uint64_t *store,
                        size_t *n_store, uint64_t *look, size_t *n_look)
{
    const struct dd__result_mem *m = res->mem;
    bool noisy;

    *n_store = *n_look = 0;
    if (!m->osig || !m->noise || res->docs[doc].tokens < OCR_MIN_TOKENS)
        return;
    noisy = m->noise[doc] >= OCR_KEY_NOISE_MIN && m->noise[doc] <= OCR_KEY_NOISE_MAX;
    *n_store = ocr_keys(m, p, doc, noisy ? KEY_OCR_NOISY : KEY_OCR_CLEAN, store);
    *n_look = ocr_keys(m, p, doc, KEY_OCR_NOISY, look);
    if (noisy)
        *n_look += ocr_keys(m, p, doc, KEY_OCR_CLEAN, look + *n_look);
}

size_t dd__index_max_ocr_keys(const dd__key_plan *p)
{
    return 2 * p->ocr.bands;
}

dd_status dd__index_terms(const dd_result *res, size_t doc, uint64_t **terms, size_t *n)
{
    const struct dd__result_mem *m = res->mem;
    size_t lo = m->term_off ? m->term_off[doc] : 0, cnt = m->term_off ? m->term_off[doc + 1] - lo : 0, i;
    uint64_t *t;

    /* once the story vectors are made, the terms are gone: a vector holds the document's
     * distinct terms, sorted */
    if (m->vid) {
        lo = m->voff[doc];
        cnt = m->voff[doc + 1] - lo;
    }
    t = malloc((cnt + 1) * sizeof *t);
    *terms = NULL;
    *n = 0;
    if (!t)
        return DD_ENOMEM;
    for (i = 0; i < cnt; i++)
        t[i] = m->vid ? m->vhash[m->vid[lo + i]] : m->term_hash[m->terms[lo + i].id];
    *n = dd__sort_unique_u64(t, cnt);
    *terms = t;
    return DD_OK;
}

double dd__index_day(const dd_result *res, size_t doc)
{
    return res->mem->days ? res->mem->days[doc] : NAN;
}

uint32_t dd__index_copy_group(const dd_result *res, size_t doc)
{
    return res->near_copy ? res->near_copy[doc] : (uint32_t)doc;
}

static int cmp_line_dh(const void *pa, const void *pb)
{
    const dd__line *a = pa, *b = pb;

    if (a->doc != b->doc)
        return a->doc < b->doc ? -1 : 1;
    return (dd__line_hash(a) > dd__line_hash(b)) - (dd__line_hash(a) < dd__line_hash(b));
}

dd_status dd__index_lines(const dd_result *res, uint64_t **h, size_t **off)
{
    const struct dd__result_mem *m = res->mem;
    dd__line *l = malloc((m->n_lines + 1) * sizeof *l);
    size_t i, k = 0, d = 0;

    *h = malloc((m->n_lines + 1) * sizeof **h);
    *off = malloc((res->n_docs + 1) * sizeof **off);
    if (!l || !*h || !*off) {
        free(l);
        free(*h);
        free(*off);
        *h = NULL;
        *off = NULL;
        return DD_ENOMEM;
    }
    if (m->n_lines)
        memcpy(l, m->lines, m->n_lines * sizeof *l);
    qsort(l, m->n_lines, sizeof *l, cmp_line_dh);
    for (i = 0; i < m->n_lines; i++) {
        while (d <= l[i].doc && d <= res->n_docs)
            (*off)[d++] = k;
        if (k == (*off)[l[i].doc] || (*h)[k - 1] != dd__line_hash(&l[i]))
            (*h)[k++] = dd__line_hash(&l[i]);
    }
    while (d <= res->n_docs)
        (*off)[d++] = k;
    free(l);
    return DD_OK;
}
