/* LSH stage: banding by sort. Each (band, key, doc) entry is 16 bytes; sorting them puts
 * every bucket in one run, which is cache-friendly and needs no per-bucket allocation. */
#include <dedup/dedup.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "util.h"

/* key: the band key, band index mixed in; val: the document; aux: unused. */
typedef dd__kv entry;

struct dd_lsh {
    size_t bands, rows, max_bucket;
    entry *e;
    size_t n, cap;
    uint32_t last_doc;
    bool unordered; /* documents were not inserted in ascending order */
};

double dd_lsh_probability(double s, size_t bands, size_t rows)
{
    return 1.0 - pow(1.0 - pow(s, (double)rows), (double)bands);
}

/* The S-curve's mean (fp: of P over [0, t]; fn: of 1 - P over [t, 1]) by the midpoint rule
 * with 200 steps, for one row count r and every band count b <= max_b at once. Per grid
 * point s^r is carried from the previous r (pw) and (1 - s^r)^b is multiplied up one band
 * at a time, so the whole search over b * r <= num_perm takes a few hundred thousand
 * multiplications; calling pow() for every (b, r) and point took 25 ms, most of a small
 * run. Results agree with pow() to about 1e-14, far inside the search's 1e-12 tie margin. */
#define MEAN_STEPS 200

static void mean_probs(double *pw, double lo, double hi, size_t max_b, int want_fn,
                       double *out /* [1 .. max_b] */)
{
    double t[MEAN_STEPS], w = (hi - lo) / MEAN_STEPS;
    size_t b;
    int i;

    for (i = 0; i < MEAN_STEPS; i++) {
        pw[i] *= lo + (i + 0.5) * w; /* s^r from s^(r-1) */
        t[i] = 1.0;
    }
    for (b = 1; b <= max_b; b++) {
        double sum = 0.0;
        if (hi > lo) {
            for (i = 0; i < MEAN_STEPS; i++) {
                t[i] *= 1.0 - pw[i]; /* (1 - s^r)^b: no band matches */
                sum += want_fn ? t[i] : 1.0 - t[i];
            }
        }
        out[b] = sum / MEAN_STEPS;
    }
}

/* Every (b, r) with b * r <= num_perm is scored, then the first strictly better one in
 * b-major order wins, as a plain double loop would choose. The scores are filled r-major
 * (that is how they are computed) into slots laid out b-major: slot(b, r) = first[b] + r - 1. */
dd_lsh_params dd_lsh_optimal(double threshold, size_t num_perm, double fp_weight,
                             double fn_weight)
{
    dd_lsh_params best = {1, num_perm, 1.0, 1.0};
    double best_err = INFINITY, pw_lo[MEAN_STEPS], pw_hi[MEAN_STEPS], *fp, *fn, *bfp, *bfn;
    size_t b, r, *first, slots = 0;
    int i;

    first = malloc((num_perm + 2) * sizeof *first);
    bfp = malloc((num_perm + 1) * sizeof *bfp);
    bfn = malloc((num_perm + 1) * sizeof *bfn);
    for (b = 1; first && b <= num_perm; b++) {
        first[b] = slots;
        slots += num_perm / b;
    }
    fp = malloc((slots + 1) * sizeof *fp);
    fn = malloc((slots + 1) * sizeof *fn);
    if (!first || !bfp || !bfn || !fp || !fn)
        goto done; /* out of memory: the strictest banding (one band of every row) */
    for (i = 0; i < MEAN_STEPS; i++)
        pw_lo[i] = pw_hi[i] = 1.0;
    for (r = 1; r <= num_perm; r++) {
        size_t max_b = num_perm / r;
        mean_probs(pw_lo, 0.0, threshold, max_b, 0, bfp);
        mean_probs(pw_hi, threshold, 1.0, max_b, 1, bfn);
        for (b = 1; b <= max_b; b++) {
            fp[first[b] + r - 1] = bfp[b];
            fn[first[b] + r - 1] = bfn[b];
        }
    }
    for (b = 1; b <= num_perm; b++) {
        for (r = 1; b * r <= num_perm; r++) {
            double err = fp_weight * fp[first[b] + r - 1] + fn_weight * fn[first[b] + r - 1];
            if (err < best_err - 1e-12) {
                best_err = err;
                best.bands = b;
                best.rows = r;
                best.fp_area = fp[first[b] + r - 1];
                best.fn_area = fn[first[b] + r - 1];
            }
        }
    }
done:
    free(first);
    free(bfp);
    free(bfn);
    free(fp);
    free(fn);
    return best;
}

dd_status dd_lsh_new(size_t bands, size_t rows, size_t max_bucket, dd_lsh **out)
{
    dd_lsh *l;

    *out = NULL;
    if (bands == 0 || rows == 0 || bands > SIZE_MAX / rows)
        return DD_EINVAL;
    l = calloc(1, sizeof *l);
    if (!l)
        return DD_ENOMEM;
    l->bands = bands;
    l->rows = rows;
    l->max_bucket = max_bucket ? max_bucket : 100;
    *out = l;
    return DD_OK;
}

void dd_lsh_free(dd_lsh *lsh)
{
    if (!lsh)
        return;
    free(lsh->e);
    free(lsh);
}

dd_status dd_lsh_insert(dd_lsh *lsh, uint32_t doc, const uint32_t *sig, size_t sig_len)
{
    size_t i;

    if (sig_len < lsh->bands * lsh->rows)
        return DD_EINVAL;
    if (dd__grow((void **)&lsh->e, &lsh->cap, lsh->n + lsh->bands, sizeof *lsh->e) != DD_OK)
        return DD_ENOMEM;
    lsh->unordered |= lsh->n && doc < lsh->last_doc;
    lsh->last_doc = doc;
    for (i = 0; i < lsh->bands; i++) {
        entry *e = &lsh->e[lsh->n++];
        e->key = XXH3_64bits_withSeed(sig + i * lsh->rows, lsh->rows * sizeof *sig, i);
        e->val = doc;
        e->aux = 0;
    }
    return DD_OK;
}

static int cmp_entry(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;

    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->val > b->val) - (a->val < b->val);
}

static dd_status emit_run(const dd_lsh *l, const entry *run, size_t m, uint64_t **pairs,
                          size_t *n, size_t *cap)
{
    size_t i, j;

    for (j = 1; j < m; j++) {
        size_t from = j > l->max_bucket ? j - l->max_bucket : 0;
        if (dd__grow((void **)pairs, cap, *n + (j - from), sizeof **pairs) != DD_OK)
            return DD_ENOMEM;
        for (i = from; i < j; i++)
            if (run[i].val != run[j].val)
                (*pairs)[(*n)++] = (uint64_t)run[i].val << 32 | run[j].val;
    }
    return DD_OK;
}

dd_status dd_lsh_candidates(dd_lsh *lsh, uint64_t **pairs, size_t *n_pairs)
{
    uint64_t *p = NULL;
    size_t n = 0, cap = 0, i = 0;

    *pairs = NULL;
    *n_pairs = 0;
    if (lsh->n == 0)
        return DD_OK;
    /* Entries went in by ascending document, so a stable sort by key gives (key, doc). */
    if (lsh->unordered || dd__radix_sort_kv(lsh->e, lsh->n) != DD_OK)
        qsort(lsh->e, lsh->n, sizeof *lsh->e, cmp_entry);
    while (i < lsh->n) {
        size_t j = i + 1;
        while (j < lsh->n && lsh->e[j].key == lsh->e[i].key)
            j++;
        if (j - i > 1 && emit_run(lsh, lsh->e + i, j - i, &p, &n, &cap) != DD_OK) {
            free(p);
            return DD_ENOMEM;
        }
        i = j;
    }
    *pairs = p;
    *n_pairs = dd__sort_unique_u64(p, n);
    return DD_OK;
}

void dd_lsh_band_keys(size_t bands, size_t rows, const uint32_t *sig, uint32_t *keys)
{
    size_t b;

    for (b = 0; b < bands; b++)
        keys[b] = (uint32_t)XXH3_64bits_withSeed(sig + b * rows, rows * sizeof *sig, b);
}

void dd_lsh_band_hashes(size_t bands, size_t rows, const uint32_t *sig, uint64_t *hashes)
{
    size_t b;

    for (b = 0; b < bands; b++)
        hashes[b] = XXH3_64bits_withSeed(sig + b * rows, rows * sizeof *sig, b);
}

/* A band's keys are mostly distinct: only keys seen twice can make a pair. Two bitmaps of
 * FILTER_SPREAD bits per entry (at most 2^FILTER_MAX_BITS) mark the keys seen once and
 * twice by their top bits; the entries whose key is marked twice (every repeated key and a
 * few others) are all that is sorted. The runs of equal keys, and so the pairs, are the
 * ones sorting everything gives: a repeated key keeps all its entries, in document order. */
enum { FILTER_SPREAD = 16, FILTER_MAX_BITS = 27 };

static unsigned filter_bits(size_t n)
{
    unsigned b = 6;

    while (b < FILTER_MAX_BITS && ((size_t)1 << b) < n * FILTER_SPREAD)
        b++;
    return b;
}

/* Keep, in order, the entries of e[0..n) whose key may repeat; returns how many. filt holds
 * two bitmaps of 2^fb bits. */
static size_t keep_repeats(entry *e, size_t n, uint64_t *filt, unsigned fb)
{
    size_t words = ((size_t)1 << fb) / 64, i, k = 0;
    uint64_t *once = filt, *twice = filt + words;

    memset(filt, 0, 2 * words * sizeof *filt);
    for (i = 0; i < n; i++) {
        uint64_t b = e[i].key >> (64 - fb), bit = (uint64_t)1 << (b % 64);
        twice[b / 64] |= once[b / 64] & bit;
        once[b / 64] |= bit;
    }
    for (i = 0; i < n; i++) {
        uint64_t b = e[i].key >> (64 - fb);
        if (twice[b / 64] >> (b % 64) & 1)
            e[k++] = e[i];
    }
    return k;
}

/* One band's entries sorted, then its buckets emitted; the band index seeds the key hash
 * exactly as in dd_lsh_insert, so the pairs are the same. With `keys` (dd_lsh_band_keys),
 * the band's 32-bit key spread over 64 bits (bijectively: equal keys stay equal) instead. */
static dd_status band_pairs(const dd_lsh *lsh, const uint32_t *sigs, const uint32_t *keys,
                            const uint64_t *hashes, size_t n, size_t stride, size_t band,
                            entry *e, uint64_t *filt, uint64_t **p, size_t *np, size_t *cap)
{
    size_t i = 0, rows = lsh->rows;

    for (i = 0; i < n; i++) {
        e[i].key = hashes ? hashes[i * stride + band]
                   : keys ? dd__fmix64(keys[i * stride + band])
                          : XXH3_64bits_withSeed(sigs + i * stride + band * rows,
                                                 rows * sizeof *sigs, band);
        e[i].val = (uint32_t)i;
        e[i].aux = 0;
    }
    n = keep_repeats(e, n, filt, filter_bits(n));
    if (dd__bucket_sort_kv(e, n) != DD_OK) /* docs ascend: (key, doc) order */
        return DD_ENOMEM;
    for (i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && e[j].key == e[i].key)
            j++;
        if (j - i > 1 && emit_run(lsh, e + i, j - i, p, np, cap) != DD_OK)
            return DD_ENOMEM;
        i = j;
    }
    return DD_OK;
}

/* One part's pairs: the bands of one contiguous range. */
typedef struct band_job {
    uint64_t *p;
    size_t np, cap, n_unique; /* n_unique: dd__pairs_distinct's */
} band_job;

typedef struct band_ctx {
    const dd_lsh *lsh;
    const uint32_t *sigs, *keys; /* one of them (or hashes): keys or hashes when by_keys */
    const uint64_t *hashes;
    bool by_keys;
    size_t n, stride;
    band_job *job;
    size_t part, parts; /* the bands done: part, part + parts, part + 2 parts, ... */
} band_ctx;

static dd_status band_range(void *arg, size_t part, size_t lo, size_t hi)
{
    band_ctx *c = arg;
    band_job *j = &c->job[part];
    entry *e = malloc(c->n * sizeof *e);
    uint64_t *filt = malloc(((size_t)1 << filter_bits(c->n)) / 32 * sizeof *filt);
    dd_status st = e && filt ? DD_OK : DD_ENOMEM;
    size_t b;

    for (b = lo; st == DD_OK && b < hi; b++) {
        st = band_pairs(c->lsh, c->sigs, c->keys, c->hashes, c->n, c->stride,
                        c->part + b * c->parts, e, filt, &j->p, &j->np, &j->cap);
        if (st == DD_OK) /* sorted and distinct after the last band, for join_jobs */
            j->np = dd__pairs_distinct(j->p, j->np, &j->n_unique, b + 1 == hi);
    }
    free(e);
    free(filt);
    return st;
}

/* The union of the jobs' pairs (each sorted and distinct), merged into the first job's
 * array one job at a time: never a copy of them all beside a sort's buffer of them all. */
static dd_status join_jobs(band_job *job, size_t nt, uint64_t **pairs, size_t *n_pairs)
{
    uint64_t *p = job[0].p;
    size_t t, n = job[0].np;
    dd_status st = DD_OK;

    job[0].p = NULL;
    for (t = 1; st == DD_OK && t < nt; t++) {
        st = dd__merge_unique_u64(&p, &n, job[t].p, job[t].np);
        free(job[t].p);
        job[t].p = NULL;
    }
    if (st != DD_OK) {
        free(p);
        return st;
    }
    *pairs = p;
    *n_pairs = n;
    return DD_OK;
}

/* The pairs of the bands part, part + parts, ... of cc's signatures or keys. */
static dd_status candidates(const band_ctx *cc, size_t threads, uint64_t **pairs,
                            size_t *n_pairs)
{
    band_job job[16];
    size_t nt = threads < 1 ? 1 : threads > 16 ? 16 : threads, t, nb;
    band_ctx c = *cc;
    const dd_lsh *lsh = c.lsh;
    dd_status st;

    c.job = job;
    *pairs = NULL;
    *n_pairs = 0;
    if (c.stride < (c.by_keys ? lsh->bands : lsh->bands * lsh->rows) || c.n > UINT32_MAX ||
        c.parts == 0 || c.part >= c.parts)
        return DD_EINVAL;
    nb = c.part < lsh->bands ? (lsh->bands - c.part + c.parts - 1) / c.parts : 0;
    if (c.n < 2 || nb == 0)
        return DD_OK;
    nt = nt > nb ? nb : nt;
    memset(job, 0, sizeof job);
    st = dd__parallel_for(nt, nb, band_range, &c);
    if (st == DD_OK)
        st = join_jobs(job, nt, pairs, n_pairs);
    for (t = 0; t < nt; t++)
        free(job[t].p);
    return st;
}

dd_status dd_lsh_candidates_of(const dd_lsh *lsh, const uint32_t *sigs, size_t n, size_t stride,
                               size_t threads, uint64_t **pairs, size_t *n_pairs)
{
    band_ctx c = {lsh, sigs, NULL, NULL, false, n, stride, NULL, 0, 1};

    return candidates(&c, threads, pairs, n_pairs);
}

dd_status dd_lsh_candidates_part(const dd_lsh *lsh, const uint32_t *sigs, size_t n,
                                 size_t stride, size_t threads, size_t part, size_t parts,
                                 uint64_t **pairs, size_t *n_pairs)
{
    band_ctx c = {lsh, sigs, NULL, NULL, false, n, stride, NULL, part, parts};

    return candidates(&c, threads, pairs, n_pairs);
}

dd_status dd_lsh_candidates_keys(const dd_lsh *lsh, const uint32_t *keys, size_t n,
                                 size_t stride, size_t threads, size_t part, size_t parts,
                                 uint64_t **pairs, size_t *n_pairs)
{
    band_ctx c = {lsh, NULL, keys, NULL, true, n, stride, NULL, part, parts};

    return candidates(&c, threads, pairs, n_pairs);
}

dd_status dd_lsh_candidates_hashes(const dd_lsh *lsh, const uint64_t *hashes, size_t n,
                                   size_t stride, size_t threads, uint64_t **pairs,
                                   size_t *n_pairs)
{
    band_ctx c = {lsh, NULL, NULL, hashes, true, n, stride, NULL, 0, 1};

    return candidates(&c, threads, pairs, n_pairs);
}

uint64_t dd_lsh_mixed_key(size_t band, uint32_t key)
{
    return dd__fmix64((uint64_t)band << 32 | key);
}

static int cmp_val(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;

    return (a->val > b->val) - (a->val < b->val);
}

dd_status dd_lsh_candidates_mixed(const dd_lsh *lsh, const uint64_t *keys, const uint32_t *docs,
                                  size_t n, uint64_t **pairs, size_t *n_pairs)
{
    entry *e = malloc((n + 1) * sizeof *e);
    size_t i;
    dd_status st;

    *pairs = NULL;
    *n_pairs = 0;
    if (!e)
        return DD_ENOMEM;
    for (i = 0; i < n; i++)
        e[i] = (entry){keys[i], docs[i], 0};
    st = dd__lsh_pairs_inplace(lsh, e, n, pairs, n_pairs);
    free(e);
    return st;
}

dd_status dd__lsh_pairs_inplace(const dd_lsh *lsh, dd__kv *e, size_t n, uint64_t **pairs,
                                size_t *n_pairs)
{
    uint64_t *filt = malloc(((size_t)1 << filter_bits(n)) / 32 * sizeof *filt), *p = NULL;
    size_t i, j, np = 0, cap = 0;
    dd_status st = filt ? DD_OK : DD_ENOMEM;

    *pairs = NULL;
    *n_pairs = 0;
    if (st == DD_OK) {
        n = keep_repeats(e, n, filt, filter_bits(n));
        st = dd__bucket_sort_kv(e, n);
    }
    for (i = 0; st == DD_OK && i < n; i = j) {
        for (j = i + 1; j < n && e[j].key == e[i].key; j++)
            ;
        if (j - i < 2)
            continue;
        qsort(e + i, j - i, sizeof *e, cmp_val); /* documents come from several ranks */
        st = emit_run(lsh, e + i, j - i, &p, &np, &cap);
    }
    free(filt);
    if (st != DD_OK) {
        free(p);
        return st;
    }
    *pairs = p;
    *n_pairs = dd__sort_unique_u64(p, np);
    return DD_OK;
}

/* ---- SimHash block tables ------------------------------------------------------------ */

/* Same layout and order as banding entries: key = the chosen blocks, other bits cleared. */
typedef entry fp_entry;

/* Mask of the blocks whose bits are set in `choice` (block j covers bits [lo_j, hi_j)). */
static uint64_t block_mask(unsigned choice, unsigned blocks)
{
    uint64_t mask = 0;
    unsigned j;

    for (j = 0; j < blocks; j++) {
        unsigned lo = 64 * j / blocks, hi = 64 * (j + 1) / blocks, b;
        if (choice >> j & 1)
            for (b = lo; b < hi; b++)
                mask |= (uint64_t)1 << b;
    }
    return mask;
}

static dd_status simtab_one(const uint64_t *fp, size_t n, uint64_t mask, unsigned max_dist,
                            size_t max_bucket, fp_entry *e, uint64_t **pairs, size_t *np,
                            size_t *cap)
{
    size_t i = 0, a, b;

    for (i = 0; i < n; i++)
        e[i] = (fp_entry){fp[i] & mask, (uint32_t)i, 0};
    if (dd__radix_sort_kv(e, n) != DD_OK) /* stable, and i ascends: (key, doc) order */
        qsort(e, n, sizeof *e, cmp_entry);
    for (i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && e[j].key == e[i].key)
            j++;
        for (b = i + 1; b < j; b++) {
            for (a = b - i > max_bucket ? b - max_bucket : i; a < b; a++) {
                if (dd_hamming(fp[e[a].val], fp[e[b].val]) > max_dist)
                    continue;
                if (dd__grow((void **)pairs, cap, *np + 1, sizeof **pairs) != DD_OK)
                    return DD_ENOMEM;
                (*pairs)[(*np)++] = (uint64_t)e[a].val << 32 | e[b].val;
            }
        }
        i = j;
    }
    return DD_OK;
}

dd_status dd_simhash_candidates(const uint64_t *fp, size_t n, unsigned max_dist, unsigned blocks,
                                size_t max_bucket, uint64_t **pairs, size_t *n_pairs)
{
    fp_entry *e;
    uint64_t *p = NULL;
    size_t np = 0, cap = 0;
    unsigned choice;
    dd_status st = DD_OK;

    *pairs = NULL;
    *n_pairs = 0;
    if (blocks > 16 || max_dist >= blocks || n > UINT32_MAX)
        return DD_EINVAL;
    if (n < 2)
        return DD_OK;
    e = malloc((n ? n : 1) * sizeof *e);
    if (!e)
        return DD_ENOMEM;
    for (choice = 0; st == DD_OK && choice < 1u << blocks; choice++)
        if ((unsigned)__builtin_popcount(choice) == blocks - max_dist)
            st = simtab_one(fp, n, block_mask(choice, blocks), max_dist,
                            max_bucket ? max_bucket : 100, e, &p, &np, &cap);
    free(e);
    if (st != DD_OK) {
        free(p);
        return st;
    }
    *pairs = p;
    *n_pairs = dd__sort_unique_u64(p, np);
    return DD_OK;
}
