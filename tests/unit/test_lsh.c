/* Unit tests for LSH banding: parameter choice, the S-curve, and candidate pairs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <dedup/dedup.h>

#include "helpers.h"

#define NP 128

typedef struct ctx {
    dd_lsh *lsh;
    uint64_t *pairs;
    size_t n_pairs;
} ctx;

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof *c);

    *state = c;
    return c ? 0 : -1;
}

static int teardown(void **state)
{
    ctx *c = *state;

    dd_lsh_free(c->lsh);
    free(c->pairs);
    free(c);
    return 0;
}

static void random_sig(uint32_t *sig, size_t n, uint64_t *st)
{
    size_t i;

    for (i = 0; i < n; i++)
        sig[i] = (uint32_t)test_rand64(st);
}

static void candidates(ctx *c)
{
    assert_int_equal(dd_lsh_candidates(c->lsh, &c->pairs, &c->n_pairs), DD_OK);
}

static uint64_t pair(uint32_t a, uint32_t b)
{
    return (uint64_t)a << 32 | b;
}

/* Pairs are strictly ascending (so unique) and each has a < b. */
static void assert_pairs_canonical(const ctx *c)
{
    size_t i;

    for (i = 0; i < c->n_pairs; i++) {
        assert_true((uint32_t)(c->pairs[i] >> 32) < (uint32_t)c->pairs[i]);
        if (i)
            assert_true(c->pairs[i - 1] < c->pairs[i]);
    }
}

static void test_lsh_probability_formula(void **state)
{
    static const struct {
        double s;
        size_t b, r;
        double want; /* 1 - (1 - s^r)^b, by hand */
    } cases[] = {
        {0.5, 1, 1, 0.5},
        {0.3, 1, 1, 0.3},
        {0.5, 2, 1, 0.75},          /* 1 - 0.5^2 */
        {0.5, 1, 2, 0.25},          /* 0.5^2 */
        {0.5, 2, 2, 0.4375},        /* 1 - 0.75^2 */
        {0.5, 20, 5, 0.4700507153}, /* 1 - (31/32)^20 */
        {0.0, 16, 8, 0.0},
        {1.0, 16, 8, 1.0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double p = dd_lsh_probability(cases[i].s, cases[i].b, cases[i].r);
        if (fabs(p - cases[i].want) > 1e-9)
            fail_msg("P(%g; b=%zu r=%zu) = %.10f, want %.10f", cases[i].s, cases[i].b, cases[i].r,
                     p, cases[i].want);
    }
}

static void test_lsh_optimal_fits_and_is_sensible(void **state)
{
    static const struct {
        double t, fp_w, fn_w;
        size_t np;
    } cases[] = {
        {0.5, 0.5, 0.5, 128}, {0.5, 0.25, 0.75, 128}, {0.3, 0.25, 0.75, 128},
        {0.8, 0.5, 0.5, 128}, {0.5, 0.5, 0.5, 64},    {0.5, 0.5, 0.5, 256},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dd_lsh_params p = dd_lsh_optimal(cases[i].t, cases[i].np, cases[i].fp_w, cases[i].fn_w);
        double t = cases[i].t;

        assert_true(p.bands >= 1 && p.rows >= 1);
        assert_true(p.bands * p.rows <= cases[i].np);
        assert_true(p.fp_area >= 0 && p.fp_area < 0.5);
        assert_true(p.fn_area >= 0 && p.fn_area < 0.5);
        /* Pairs well above the threshold are almost always found, pairs far below rarely. */
        assert_true(dd_lsh_probability(fmin(1.0, t + 0.3), p.bands, p.rows) > 0.95);
        assert_true(dd_lsh_probability(t / 4, p.bands, p.rows) < 0.1);
    }
}

/* The search as first written: every (b, r) integrated with pow(), the first strictly better
 * in b-major order kept. dd_lsh_optimal computes the same areas incrementally; it must
 * choose the same banding, or a run's candidates (and output) would change. */
static double ref_mean(double lo, double hi, size_t b, size_t r, int want_fn)
{
    double sum = 0.0, w = (hi - lo) / 200;
    int i;

    if (hi <= lo)
        return 0.0;
    for (i = 0; i < 200; i++) {
        double p = dd_lsh_probability(lo + (i + 0.5) * w, b, r);
        sum += want_fn ? 1.0 - p : p;
    }
    return sum / 200;
}

static dd_lsh_params ref_optimal(double t, size_t np, double fp_w, double fn_w)
{
    dd_lsh_params best = {1, np, 1.0, 1.0};
    double best_err = INFINITY;
    size_t b, r;

    for (b = 1; b <= np; b++) {
        for (r = 1; b * r <= np; r++) {
            double fp = ref_mean(0.0, t, b, r, 0), fn = ref_mean(t, 1.0, b, r, 1);
            if (fp_w * fp + fn_w * fn < best_err - 1e-12) {
                best_err = fp_w * fp + fn_w * fn;
                best = (dd_lsh_params){b, r, fp, fn};
            }
        }
    }
    return best;
}

static void test_lsh_optimal_matches_direct_integration(void **state)
{
    static const double ts[] = {0.01, 0.15, 0.3, 0.4, 0.45, 0.5, 0.73, 0.9};
    static const size_t nps[] = {1, 3, 16, 32, 48, 128};
    static const double ws[][2] = {{0.25, 0.75}, {0.5, 0.5}, {0.9, 0.1}};
    size_t i, j, k;

    (void)state;
    for (i = 0; i < sizeof ts / sizeof ts[0]; i++)
        for (j = 0; j < sizeof nps / sizeof nps[0]; j++)
            for (k = 0; k < sizeof ws / sizeof ws[0]; k++) {
                dd_lsh_params a = dd_lsh_optimal(ts[i], nps[j], ws[k][0], ws[k][1]);
                dd_lsh_params e = ref_optimal(ts[i], nps[j], ws[k][0], ws[k][1]);
                assert_int_equal(a.bands, e.bands);
                assert_int_equal(a.rows, e.rows);
                assert_true(fabs(a.fp_area - e.fp_area) < 1e-12);
                assert_true(fabs(a.fn_area - e.fn_area) < 1e-12);
            }
}

static void test_lsh_optimal_half_threshold_128(void **state)
{
    dd_lsh_params p = dd_lsh_optimal(0.5, 128, 0.5, 0.5);

    (void)state;
    assert_true(p.bands * p.rows <= 128);
    assert_true(dd_lsh_probability(0.9, p.bands, p.rows) > 0.99);
    assert_true(dd_lsh_probability(0.1, p.bands, p.rows) < 0.01);
    /* The steep part of the S-curve sits near the threshold. */
    assert_in_range((uintmax_t)lround(1000 * pow(1.0 / (double)p.bands, 1.0 / (double)p.rows)),
                    350, 650);
}

static void test_lsh_s_curve_monotone(void **state)
{
    dd_lsh_params p = dd_lsh_optimal(0.5, 128, 0.25, 0.75);
    double prev = -1.0;
    int i;

    (void)state;
    for (i = 0; i <= 100; i++) {
        double s = i / 100.0, q = dd_lsh_probability(s, p.bands, p.rows);
        assert_true(q >= prev);
        assert_true(q >= 0.0 && q <= 1.0);
        prev = q;
    }
    assert_true(dd_lsh_probability(0.0, p.bands, p.rows) == 0.0);
    assert_true(dd_lsh_probability(1.0, p.bands, p.rows) == 1.0);
}

static void test_lsh_weights_shift_tradeoff(void **state)
{
    /* Weighting false negatives more can only lower the false-negative area. */
    dd_lsh_params fp_heavy = dd_lsh_optimal(0.5, 128, 0.9, 0.1);
    dd_lsh_params fn_heavy = dd_lsh_optimal(0.5, 128, 0.1, 0.9);

    (void)state;
    assert_true(fn_heavy.fn_area <= fp_heavy.fn_area);
    assert_true(fn_heavy.fp_area >= fp_heavy.fp_area);
}

static void test_lsh_identical_signatures_are_candidates(void **state)
{
    ctx *c = *state;
    uint32_t same[NP], other[NP];
    uint64_t st = 1;

    random_sig(same, NP, &st);
    random_sig(other, NP, &st);
    assert_int_equal(dd_lsh_new(16, 8, 0, &c->lsh), DD_OK);
    assert_int_equal(dd_lsh_insert(c->lsh, 7, same, NP), DD_OK);
    assert_int_equal(dd_lsh_insert(c->lsh, 3, other, NP), DD_OK);
    assert_int_equal(dd_lsh_insert(c->lsh, 2, same, NP), DD_OK);
    assert_int_equal(dd_lsh_insert(c->lsh, 5, same, NP), DD_OK);
    candidates(c);
    assert_int_equal(c->n_pairs, 3);
    assert_true(c->pairs[0] == pair(2, 5));
    assert_true(c->pairs[1] == pair(2, 7));
    assert_true(c->pairs[2] == pair(5, 7));
}

static void test_lsh_one_shared_band_is_enough(void **state)
{
    ctx *c = *state;
    uint32_t a[NP], b[NP];
    uint64_t st = 2;

    random_sig(a, NP, &st);
    random_sig(b, NP, &st);
    memcpy(b + 5 * 8, a + 5 * 8, 8 * sizeof *a); /* band 5 of 16 equal */
    assert_int_equal(dd_lsh_new(16, 8, 0, &c->lsh), DD_OK);
    assert_int_equal(dd_lsh_insert(c->lsh, 0, a, NP), DD_OK);
    assert_int_equal(dd_lsh_insert(c->lsh, 1, b, NP), DD_OK);
    candidates(c);
    assert_int_equal(c->n_pairs, 1);
    assert_true(c->pairs[0] == pair(0, 1));
}

static void test_lsh_same_values_in_other_band_not_candidates(void **state)
{
    /* The band index is part of the key: equal rows in different bands do not collide. */
    ctx *c = *state;
    uint32_t a[NP], b[NP];
    uint64_t st = 3;

    random_sig(a, NP, &st);
    random_sig(b, NP, &st);
    memcpy(b + 1 * 8, a + 0 * 8, 8 * sizeof *a);
    assert_int_equal(dd_lsh_new(16, 8, 0, &c->lsh), DD_OK);
    assert_int_equal(dd_lsh_insert(c->lsh, 0, a, NP), DD_OK);
    assert_int_equal(dd_lsh_insert(c->lsh, 1, b, NP), DD_OK);
    candidates(c);
    assert_int_equal(c->n_pairs, 0);
}

static void test_lsh_disjoint_random_no_candidates(void **state)
{
    ctx *c = *state;
    uint32_t sig[NP];
    uint64_t st = 4;
    uint32_t d;

    assert_int_equal(dd_lsh_new(32, 4, 0, &c->lsh), DD_OK);
    for (d = 0; d < 200; d++) {
        random_sig(sig, NP, &st);
        assert_int_equal(dd_lsh_insert(c->lsh, d, sig, NP), DD_OK);
    }
    candidates(c);
    assert_int_equal(c->n_pairs, 0);
    assert_null(c->pairs);
}

static void test_lsh_pairs_sorted_unique(void **state)
{
    /* Docs inserted in scrambled order, groups sharing all bands (so each pair is found in
     * every band, 16 times) and some sharing one band. */
    static const uint32_t order[] = {9, 4, 0, 7, 2, 8, 1, 6, 3, 5};
    ctx *c = *state;
    uint32_t base[3][NP], sig[NP];
    uint64_t st = 5;
    size_t i;

    for (i = 0; i < 3; i++)
        random_sig(base[i], NP, &st);
    assert_int_equal(dd_lsh_new(16, 8, 0, &c->lsh), DD_OK);
    for (i = 0; i < 10; i++) {
        uint32_t d = order[i];
        memcpy(sig, base[d % 3], sizeof sig);
        if (d >= 6) { /* keep only band (d - 6) of the base */
            uint32_t keep[8];
            memcpy(keep, sig + (d - 6) * 8, sizeof keep);
            random_sig(sig, NP, &st);
            memcpy(sig + (d - 6) * 8, keep, sizeof keep);
        }
        assert_int_equal(dd_lsh_insert(c->lsh, d, sig, NP), DD_OK);
    }
    candidates(c);
    assert_pairs_canonical(c);
    /* Groups by d % 3: {0,3,6,9}, {1,4,7}, {2,5,8}. Docs 0-5 carry the whole base, doc d >= 6
     * only its band d - 6, so 6 and 9 share no band: 5 + 3 + 3 = 11 pairs. */
    assert_int_equal(c->n_pairs, 11);
    assert_true(c->pairs[0] == pair(0, 3));
    assert_true(c->pairs[1] == pair(0, 6));
    assert_true(c->pairs[2] == pair(0, 9));
    assert_true(c->pairs[10] == pair(5, 8));
    for (i = 0; i < c->n_pairs; i++)
        assert_true(c->pairs[i] != pair(6, 9));
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

    return (a > b) - (a < b);
}

/* The batch banding sorts only the entries whose key may repeat; the index's candidates sort
 * every entry. Both give the same pairs, with groups sharing some bands, a bucket larger
 * than max_bucket, and enough documents that most keys are distinct. */
static void test_lsh_batch_matches_index(void **state)
{
    enum { DOCS = 6000 };
    uint32_t *sigs = malloc((size_t)DOCS * NP * sizeof *sigs);
    uint64_t *whole = NULL, st = 29;
    size_t n_whole = 0, i, k;
    ctx *c = *state;

    assert_non_null(sigs);
    for (i = 0; i < DOCS; i++) {
        random_sig(sigs + i * NP, NP, &st);
        if (i % 7) /* groups of seven share some bands with their first */
            for (k = 0; k < 16; k++)
                if (test_rand64(&st) >> 62 == 0)
                    memcpy(sigs + i * NP + k * 8, sigs + (i - i % 7) * NP + k * 8,
                           8 * sizeof *sigs);
        if (i % 20 == 3) /* a bucket of 300 in band 5 */
            memcpy(sigs + i * NP + 5 * 8, sigs + 3 * NP + 5 * 8, 8 * sizeof *sigs);
    }
    assert_int_equal(dd_lsh_new(16, 8, 50, &c->lsh), DD_OK);
    for (i = 0; i < DOCS; i++)
        assert_int_equal(dd_lsh_insert(c->lsh, (uint32_t)i, sigs + i * NP, NP), DD_OK);
    candidates(c);
    assert_int_equal(dd_lsh_candidates_of(c->lsh, sigs, DOCS, NP, 2, &whole, &n_whole), DD_OK);
    assert_true(c->n_pairs > 20000);
    assert_int_equal(n_whole, c->n_pairs);
    assert_memory_equal(whole, c->pairs, n_whole * sizeof *whole);
    free(whole);
    free(sigs);
}

/* The MPI build bands b = r mod N on rank r: the parts' pairs together are the whole's. */
static void test_lsh_parts_union_is_whole(void **state)
{
    enum { DOCS = 300, PARTS = 3 };
    uint32_t *sigs = malloc(DOCS * NP * sizeof *sigs);
    uint64_t *whole = NULL, *all = malloc(DOCS * DOCS * sizeof *all), *p = NULL, st = 11;
    size_t n_whole = 0, n_all = 0, n, i, part, k;
    ctx *c = *state;

    assert_non_null(sigs);
    assert_non_null(all);
    for (i = 0; i < DOCS; i++) { /* groups of five share a random handful of bands */
        random_sig(sigs + i * NP, NP, &st);
        if (i % 5)
            for (k = 0; k < 16; k++)
                if ((st = st * 6364136223846793005ull + 1442695040888963407ull) >> 62 == 0)
                    memcpy(sigs + i * NP + k * 8, sigs + (i - i % 5) * NP + k * 8,
                           8 * sizeof *sigs);
    }
    assert_int_equal(dd_lsh_new(16, 8, 0, &c->lsh), DD_OK);
    assert_int_equal(dd_lsh_candidates_of(c->lsh, sigs, DOCS, NP, 2, &whole, &n_whole), DD_OK);
    assert_true(n_whole > 10);
    for (part = 0; part < PARTS; part++) {
        assert_int_equal(
            dd_lsh_candidates_part(c->lsh, sigs, DOCS, NP, 2, part, PARTS, &p, &n), DD_OK);
        if (n)
            memcpy(all + n_all, p, n * sizeof *p);
        n_all += n;
        free(p);
        p = NULL;
    }
    qsort(all, n_all, sizeof *all, cmp_u64);
    for (i = k = 0; i < n_all; i++)
        if (i == 0 || all[i] != all[i - 1])
            all[k++] = all[i];
    assert_int_equal(k, n_whole);
    assert_memory_equal(all, whole, n_whole * sizeof *whole);
    assert_int_equal(dd_lsh_candidates_part(c->lsh, sigs, DOCS, NP, 1, PARTS, PARTS, &p, &n),
                     DD_EINVAL);
    /* more parts than bands: the parts past the last band are empty */
    assert_int_equal(dd_lsh_candidates_part(c->lsh, sigs, DOCS, NP, 1, 20, 21, &p, &n), DD_OK);
    assert_int_equal(n, 0);
    free(whole);
    free(all);
    free(sigs);
}

static void test_lsh_max_bucket_bound(void **state)
{
    /* Six identical docs with max_bucket 2: each pairs only with its 2 predecessors in the
     * bucket, so (0,1) (0,2) (1,2) (1,3) (2,3) (2,4) (3,4) (3,5) (4,5): 9 of the 15 pairs. */
    ctx *c = *state;
    uint32_t sig[NP];
    uint64_t st = 6;
    uint32_t d;
    size_t i;

    random_sig(sig, NP, &st);
    assert_int_equal(dd_lsh_new(16, 8, 2, &c->lsh), DD_OK);
    for (d = 0; d < 6; d++)
        assert_int_equal(dd_lsh_insert(c->lsh, 5 - d, sig, NP), DD_OK);
    candidates(c);
    assert_pairs_canonical(c);
    assert_int_equal(c->n_pairs, 9);
    for (i = 0; i < c->n_pairs; i++) {
        uint32_t a = (uint32_t)(c->pairs[i] >> 32), b = (uint32_t)c->pairs[i];
        assert_in_range(b - a, 1, 2);
    }
}

static void test_lsh_max_bucket_default(void **state)
{
    /* 0 means 100: of 102 identical docs, doc 101 skips doc 0, its 101st predecessor. */
    ctx *c = *state;
    uint32_t sig[NP];
    uint64_t st = 7;
    uint32_t d;

    random_sig(sig, NP, &st);
    assert_int_equal(dd_lsh_new(4, 2, 0, &c->lsh), DD_OK);
    for (d = 0; d < 102; d++)
        assert_int_equal(dd_lsh_insert(c->lsh, d, sig, NP), DD_OK);
    candidates(c);
    assert_int_equal(c->n_pairs, 102 * 101 / 2 - 1);
    assert_true(c->pairs[99] == pair(0, 100));
    assert_true(c->pairs[100] == pair(1, 2));
}

static void test_lsh_band_keys_give_the_same_pairs(void **state)
{
    /* 300 documents in 30 families: each a base signature with some bands replaced at random,
     * so families share some bands; the buckets' cap (8) is reached too. Banding the kept
     * 32-bit band keys, or the 64-bit band hashes, gives the pairs dd_lsh_insert gives from
     * the signatures, on 1 and 3 threads; keys shorter than the bands are refused. */
    ctx *c = *state;
    enum { N = 300, BANDS = 16, ROWS = 8 };
    uint32_t *sigs = malloc(N * NP * sizeof *sigs), *keys = malloc(N * BANDS * sizeof *keys);
    uint64_t *hashes = malloc(N * BANDS * sizeof *hashes);
    uint32_t base[30][NP];
    uint64_t st = 11, *p1 = NULL, *p3 = NULL;
    size_t i, b, n1 = 0, n3 = 0;

    assert_non_null(sigs);
    assert_non_null(keys);
    for (i = 0; i < 30; i++)
        random_sig(base[i], NP, &st);
    assert_int_equal(dd_lsh_new(BANDS, ROWS, 8, &c->lsh), DD_OK);
    for (i = 0; i < N; i++) {
        uint32_t *sig = sigs + i * NP;
        memcpy(sig, base[i % 30], sizeof base[0]);
        for (b = 0; b < BANDS; b++)
            if (test_rand64(&st) % 4 == 0)
                random_sig(sig + b * ROWS, ROWS, &st);
        dd_lsh_band_keys(BANDS, ROWS, sig, keys + i * BANDS);
        dd_lsh_band_hashes(BANDS, ROWS, sig, hashes + i * BANDS);
        assert_int_equal(dd_lsh_insert(c->lsh, (uint32_t)i, sig, NP), DD_OK);
    }
    candidates(c);
    assert_true(c->n_pairs > 1000);
    assert_int_equal(dd_lsh_candidates_keys(c->lsh, keys, N, BANDS, 1, 0, 1, &p1, &n1), DD_OK);
    assert_int_equal(dd_lsh_candidates_keys(c->lsh, keys, N, BANDS, 3, 0, 1, &p3, &n3), DD_OK);
    assert_int_equal(n1, c->n_pairs);
    assert_int_equal(n3, c->n_pairs);
    assert_memory_equal(p1, c->pairs, n1 * sizeof *p1);
    assert_memory_equal(p3, c->pairs, n3 * sizeof *p3);
    free(p1);
    assert_int_equal(dd_lsh_candidates_keys(c->lsh, keys, N, BANDS - 1, 1, 0, 1, &p1, &n1), DD_EINVAL);
    free(p3);
    assert_int_equal(dd_lsh_candidates_hashes(c->lsh, hashes, N, BANDS, 1, &p1, &n1), DD_OK);
    assert_int_equal(dd_lsh_candidates_hashes(c->lsh, hashes, N, BANDS, 3, &p3, &n3), DD_OK);
    assert_int_equal(n1, c->n_pairs);
    assert_int_equal(n3, c->n_pairs);
    assert_memory_equal(p1, c->pairs, n1 * sizeof *p1);
    assert_memory_equal(p3, c->pairs, n3 * sizeof *p3);
    free(p1);
    free(p3);
    assert_int_equal(dd_lsh_candidates_hashes(c->lsh, hashes, N, BANDS - 1, 1, &p1, &n1), DD_EINVAL);
    free(hashes);
    /* As MPI ranks band: every (band, key) entry to one of three owners by its mixed key,
     * each owner's entries shuffled (documents out of order within a bucket); the union of
     * the owners' pairs is the pairs above, cap included. */
    {
        enum { OWNERS = 3 };
        uint64_t *mk = malloc(N * BANDS * sizeof *mk), *all = NULL;
        uint32_t *md = malloc(N * BANDS * sizeof *md);
        size_t o, n_all = 0, k;
        assert_non_null(mk);
        assert_non_null(md);
        for (o = 0; o < OWNERS; o++) {
            uint64_t *po = NULL;
            size_t m = 0, npo = 0;
            for (i = N; i-- > 0;) /* documents descending: the owner must sort them */
                for (b = 0; b < BANDS; b++) {
                    uint64_t key = dd_lsh_mixed_key(b, keys[i * BANDS + b]);
                    if (key % OWNERS == o) {
                        mk[m] = key;
                        md[m++] = (uint32_t)i;
                    }
                }
            assert_int_equal(dd_lsh_candidates_mixed(c->lsh, mk, md, m, &po, &npo), DD_OK);
            all = realloc(all, (n_all + npo + 1) * sizeof *all);
            assert_non_null(all);
            if (npo)
                memcpy(all + n_all, po, npo * sizeof *po);
            n_all += npo;
            free(po);
        }
        qsort(all, n_all, sizeof *all, cmp_u64);
        for (k = i = 0; i < n_all; i++)
            if (!k || all[i] != all[k - 1])
                all[k++] = all[i];
        assert_int_equal(k, c->n_pairs);
        assert_memory_equal(all, c->pairs, k * sizeof *all);
        free(all);
        free(mk);
        free(md);
    }
    free(sigs);
    free(keys);
}

static void test_lsh_empty_index(void **state)
{
    ctx *c = *state;

    assert_int_equal(dd_lsh_new(4, 4, 0, &c->lsh), DD_OK);
    candidates(c);
    assert_int_equal(c->n_pairs, 0);
}

static void test_lsh_einval(void **state)
{
    ctx *c = *state;
    uint32_t sig[NP] = {0};

    assert_int_equal(dd_lsh_new(0, 8, 0, &c->lsh), DD_EINVAL);
    assert_null(c->lsh);
    assert_int_equal(dd_lsh_new(8, 0, 0, &c->lsh), DD_EINVAL);
    assert_null(c->lsh);
    assert_int_equal(dd_lsh_new(SIZE_MAX, 2, 0, &c->lsh), DD_EINVAL);
    assert_null(c->lsh);
    assert_int_equal(dd_lsh_new(16, 8, 0, &c->lsh), DD_OK);
    assert_int_equal(dd_lsh_insert(c->lsh, 0, sig, NP - 1), DD_EINVAL);
    assert_int_equal(dd_lsh_insert(c->lsh, 0, sig, NP), DD_OK);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lsh_probability_formula),
        cmocka_unit_test(test_lsh_optimal_fits_and_is_sensible),
        cmocka_unit_test(test_lsh_optimal_matches_direct_integration),
        cmocka_unit_test(test_lsh_optimal_half_threshold_128),
        cmocka_unit_test(test_lsh_s_curve_monotone),
        cmocka_unit_test(test_lsh_weights_shift_tradeoff),
        T(test_lsh_parts_union_is_whole),
        T(test_lsh_batch_matches_index),
        T(test_lsh_identical_signatures_are_candidates),
        T(test_lsh_one_shared_band_is_enough),
        T(test_lsh_same_values_in_other_band_not_candidates),
        T(test_lsh_disjoint_random_no_candidates),
        T(test_lsh_pairs_sorted_unique),
        T(test_lsh_max_bucket_bound),
        T(test_lsh_max_bucket_default),
        T(test_lsh_band_keys_give_the_same_pairs),
        T(test_lsh_empty_index),
        T(test_lsh_einval),
    };
#undef T
    return cmocka_run_group_tests_name("lsh", tests, NULL, NULL);
}
